#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The netlink family's YAML spec against the uapi header.

Documentation/netlink/specs/kcache.yaml is the one source of the family:
the netlink part of uapi/linux/kcache.h between its YNL-GEN markers and
kmod/netlink-gen.[ch] are generated from it (make netlink-gen-check, a
static check, fails when regenerating would change them).  What the spec
only references ("header: linux/kcache.h": the opcode, type, flag and event
enums and the limits, written by hand in the header) is checked here: the
same names and values, the header's __X_LAST / X_MAX convention, and the
policy limits the spec's checks state.  The generated part is checked the
same way (family name and version, every command, attribute, nested
attribute set and multicast group), so a header edited past the markers
fails here too.  The spec must also be valid against the kernel's
genetlink-c schema, and, when kcache.ko is loaded, the kernel's own YNL
library must be able to drive the family from the spec alone (requests, a
dump, errors with extack, a notification).

The schema and YNL come from Debian's linux-source-6.12 (make selftests puts
them in $KCACHE_BUILD/kernel-netlink); without them those checks are skipped.
Needs python3-yaml (and python3-jsonschema for the schema check).
"""
import errno
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HEADER = os.path.join(ROOT, "uapi", "linux", "kcache.h")
SPEC = os.path.join(ROOT, "Documentation", "netlink", "specs", "kcache.yaml")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            for line in str(diag or "").splitlines()[:30]:
                print("#   " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        print("1..%d" % self.n)
        print("# %d passed, %d failed" % (self.n - self.failed, self.failed))
        sys.exit(1 if self.failed else 0)


def c_upper(name):
    """The spec's naming rule for C identifiers (as ynl-gen-c's)."""
    return name.upper().replace("-", "_")


# ---------------------------------------------------------------- the header

class Header:
    """Enums (members in order, with values), #defines and the type word of
    each enum member's comment ("/* u32: ..." -> "u32")."""

    def __init__(self, path):
        text = open(path).read()
        self.defines = {}
        self.enums = {}
        self.comment_type = {}
        self.values = {}
        for m in re.finditer(r"^#define\s+(\w+)\s+(.+?)\s*(?:/\*.*)?$", text, re.M):
            self.defines[m.group(1)] = m.group(2).strip()
        for m in re.finditer(r"enum\s+(\w+)\s*\{(.*?)\};", text, re.S):
            self._enum(m.group(1), m.group(2))
        for name, expr in self.defines.items():
            v = self.eval(expr)
            if v is not None:
                self.values.setdefault(name, v)

    def _enum(self, name, body):
        # The first word of a member's trailing comment: "/* u32: ..." -> u32.
        for m in re.finditer(r"\b(\w+)\s*(?:=[^,/]*)?,\s*/\*\s*(\w+)\s*[:,*]", body):
            self.comment_type[m.group(1)] = m.group(2)
        code = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        members = []
        nxt = 0
        for part in [p.strip() for p in code.split(",") if p.strip()]:
            mm = re.match(r"(\w+)\s*(?:=\s*(.+))?$", part, re.S)
            if not mm:
                continue
            member, expr = mm.group(1), mm.group(2)
            val = self.eval(expr) if expr else nxt
            self.values[member] = val
            members.append((member, val))
            nxt = (val if val is not None else 0) + 1
        self.enums[name] = members

    def eval(self, expr):
        if expr is None:
            return None
        e = re.sub(r"(\d+)[uU]\b", r"\1", expr.strip())
        if e.startswith('"'):
            return e.strip('"')
        if not re.fullmatch(r"[\w\s()<>+\-*|~]+", e):
            return None
        for name in sorted(set(re.findall(r"[A-Za-z_]\w*", e)), key=len, reverse=True):
            if name not in self.values:
                return None
            e = re.sub(r"\b%s\b" % name, str(self.values[name]), e)
        try:
            return eval(e, {"__builtins__": {}})  # noqa: S307 - digits and operators only
        except Exception:  # noqa: BLE001
            return None

    def value(self, name):
        return self.values.get(name)


# ---------------------------------------------------------------- the spec

def spec_enum_values(defn):
    """(C name, value) of an enum or flags definition, in order."""
    prefix = defn.get("name-prefix", "")
    out = []
    start = defn.get("value-start", 0)
    for i, e in enumerate(defn["entries"]):
        ent = e if isinstance(e, dict) else {"name": e}
        v = ent.get("value")
        if defn["type"] == "flags":
            v = 1 << (start + i) if v is None else v
        else:
            v = start + i if v is None else v
        out.append((c_upper(prefix + ent["name"]), v))
    return out


def set_values(aset):
    prefix = aset["name-prefix"]
    out = []
    v = 0
    for a in aset["attributes"]:
        v = a.get("value", v + 1)
        out.append((c_upper(prefix + a["name"]), v, a))
    return out


# Attribute types and the words the header's comments use for them.
TYPE_WORDS = {
    "u32": "u32", "u64": "u64", "s64": "s64", "string": "string",
    "binary": "binary", "nest": "nest", "flag": "flag",
}


def check_static(t, spec, h):
    t.eq(spec.get("protocol"), "genetlink-c", "the spec uses the genetlink-c protocol")
    fam = c_upper(spec["c-family-name"])
    t.eq(h.value(fam), spec["name"], "family name %s = \"%s\"" % (fam, spec["name"]))
    ver = c_upper(spec["c-version-name"])
    t.eq(h.value(ver), spec.get("version", 1), "family version %s" % ver)

    # Definitions: enums, flags, constants.
    consts = {}
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            cname = c_upper(d["name"])
            consts[d["name"]] = d["value"]
            t.eq(h.value(cname), d["value"], "constant %s" % cname)
            continue
        ename = d.get("enum-name")
        members = h.enums.get(ename)
        if not t.ok(members is not None, "enum %s is in the header" % ename):
            continue
        want = spec_enum_values(d)
        got = [(n, v) for n, v in members if not n.startswith("__")]
        t.eq(got, want, "enum %s: names and values" % ename)
        extra = [n for n, _ in members if n.startswith("__")]
        if d["type"] == "flags":
            mask = (1 << len(want)) - 1
            t.ok(len(extra) == 1 and h.value(extra[0]) == mask,
                 "flags %s: %s is the mask of every flag" % (ename, extra),
                 "mask %#x" % mask)
        else:
            last = "__%sLAST" % c_upper(d["name-prefix"])
            mx = "%sMAX" % c_upper(d["name-prefix"])
            t.ok(extra == [last] and h.value(last) == len(want) and
                 h.value(mx) == len(want) - 1,
                 "enum %s ends with %s and %s = %s - 1" % (ename, last, mx, last))

    # Attribute sets.
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    for s in spec["attribute-sets"]:
        ename = s["enum-name"]
        members = h.enums.get(ename)
        if not t.ok(members is not None, "attribute set %s is in the header" % ename):
            continue
        want = set_values(s)
        unspec = c_upper(s["name-prefix"]) + "UNSPEC"
        got = [(n, v) for n, v in members if not n.startswith("__")]
        t.eq(got, [(unspec, 0)] + [(n, v) for n, v, a in want if a["type"] != "unused"],
             "attribute set %s: UNSPEC, then every attribute in order" % ename)
        want = [w for w in want if w[2]["type"] != "unused"]
        cnt, mx = c_upper(s["attr-cnt-name"]), c_upper(s["attr-max-name"])
        last = want[-1][1]
        t.ok(h.value(cnt) == last + 1 and h.value(mx) == last,
             "attribute set %s: %s = %d, %s = %s - 1" % (ename, cnt, last + 1, mx, cnt),
             "%s = %r, %s = %r" % (cnt, h.value(cnt), mx, h.value(mx)))
        bad = []
        for n, _, a in want:
            word = h.comment_type.get(n)
            typ = a["type"]
            if typ == "pad":
                continue
            if word in TYPE_WORDS.values() and word != TYPE_WORDS.get(typ):
                bad.append("%s: header says %s, spec %s" % (n, word, typ))
            if typ == "nest" and a.get("nested-attributes") not in sets:
                bad.append("%s: nested set %s undefined" % (n, a.get("nested-attributes")))
            if "enum" in a and a["enum"] not in [d["name"] for d in spec["definitions"]]:
                bad.append("%s: enum %s undefined" % (n, a["enum"]))
            for k, v in a.get("checks", {}).items():
                if isinstance(v, str) and k != "flags-mask" and v not in consts:
                    bad.append("%s: check %s names unknown constant %s" % (n, k, v))
        t.ok(not bad, "attribute set %s: types agree with the header's comments, "
             "references resolve" % ename, "\n".join(bad))

    # Limits the kernel's policies enforce, as the spec's checks state them.
    top = {a["name"]: a for a in sets["kcache"]["attributes"]}
    t.eq(consts.get(top["opcode"]["checks"]["max"]), h.value("KC_OP_MAX"),
         "opcode: max is KC_OP_MAX")
    t.eq(consts.get(top["type"]["checks"]["max"]), h.value("KC_TYPE_MAX"),
         "type: max is KC_TYPE_MAX")
    t.eq(top["type"]["checks"]["min"], h.value("KC_TYPE_STRING"), "type: min is KC_TYPE_STRING")
    t.eq(top["flags"]["checks"]["flags-mask"], top["flags"]["enum"], "flags: masked by op-flag")

    # Operations.
    ops = spec["operations"]
    prefix = ops["name-prefix"]
    want = []
    v = 0
    for op in ops["list"]:
        v = op.get("value", v + 1)
        if op["name"] != "unspec":
            want.append((c_upper(prefix + op["name"]), v))
    members = h.enums.get(ops["enum-name"], [])
    got = [(n, val) for n, val in members if not n.startswith("__")]
    t.eq(got, [(c_upper(prefix) + "UNSPEC", 0)] + want, "commands: names and values")
    cnt, mx = c_upper(spec["cmd-cnt-name"]), c_upper(spec["cmd-max-name"])
    t.ok(h.value(cnt) == want[-1][1] + 1 and h.value(mx) == want[-1][1],
         "commands: %s and %s" % (cnt, mx))
    bad = []
    for op in ops["list"]:
        aset = {a["name"] for a in sets[op.get("attribute-set", "kcache")]["attributes"]}
        lists = []
        for mode in ("do", "dump"):
            for part in ("request", "reply"):
                lists += op.get(mode, {}).get(part, {}).get("attributes", [])
        lists += op.get("event", {}).get("attributes", [])
        bad += ["%s: no attribute %s" % (op["name"], a) for a in lists if a not in aset]
        if "event" in op and op.get("mcgrp") not in [g["name"] for g in spec["mcast-groups"]["list"]]:
            bad.append("%s: no group %s" % (op["name"], op.get("mcgrp")))
    t.ok(not bad, "operations name only attributes and groups the spec defines",
         "\n".join(bad))

    # Multicast groups, both ways.
    spec_groups = {c_upper(g["c-define-name"]): g["name"] for g in spec["mcast-groups"]["list"]}
    hdr_groups = {n: h.value(n) for n in h.defines if n.startswith("KC_MCGRP_")}
    t.eq(hdr_groups, spec_groups, "multicast groups: header defines = spec groups")

    # Everything of the header's netlink part is in the spec.
    described = {d.get("enum-name") for d in spec["definitions"]} | \
        {s["enum-name"] for s in spec["attribute-sets"]} | {ops["enum-name"]}
    netlink_enums = [e for e in h.enums if re.match(r"kc_(cmd|event|\w*attr)$", e)]
    missing = [e for e in netlink_enums if e not in described]
    t.ok(not missing, "every netlink enum of the header is in the spec", missing)


# ---------------------------------------------------------------- schema, YNL

def kernel_netlink_dir():
    for d in (os.environ.get("KCACHE_KERNEL_NETLINK"),
              os.path.join(os.environ.get("KCACHE_BUILD", os.path.join(ROOT, "build")),
                           "kernel-netlink")):
        if d and os.path.exists(os.path.join(d, "Documentation/netlink/genetlink-c.yaml")):
            return d
    return None


def check_schema(t, spec, knl):
    name = "the spec is valid against the kernel's genetlink-c schema"
    if not knl:
        return t.skip(name, "no schema: make selftests extracts it from linux-source-6.12")
    try:
        import jsonschema
    except ImportError:
        return t.skip(name, "python3-jsonschema is not installed")
    import yaml
    schema = yaml.safe_load(open(os.path.join(knl, "Documentation/netlink/genetlink-c.yaml")))
    try:
        jsonschema.validate(spec, schema)
        t.ok(True, name)
    except jsonschema.ValidationError as e:
        t.ok(False, name, str(e))


def check_live(t, knl, h):
    names = ["YNL: version", "YNL: op set and get", "YNL: op error with extack",
             "YNL: elements", "YNL: keys dump", "YNL: stats get and dump",
             "YNL: config get", "YNL: a keyspace notification"]
    if not knl or not os.path.exists(os.path.join(knl, "tools/net/ynl/lib/ynl.py")):
        for n in names:
            t.skip(n, "no YNL library (make selftests extracts it)")
        return
    if not os.path.exists("/sys/module/kcache"):
        for n in names:
            t.skip(n, "kcache.ko is not loaded")
        return
    sys.path.insert(0, os.path.join(knl, "tools/net/ynl"))
    try:
        from lib import YnlFamily, NlError
    except Exception as e:  # noqa: BLE001
        for n in names:
            t.skip(n, "YNL does not load: %s" % e)
        return
    ynl = YnlFamily(SPEC, schema="")

    def run(name, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            t.ok(False, name + " (raised)", "%s: %s" % (type(e).__name__, e))

    def version():
        r = ynl.do("version", {})
        t.ok(r.get("version-abi") == h.value("KC_ABI_VERSION") and
             r.get("key-max") == h.value("KC_KEY_MAX") and
             r.get("value-max") == h.value("KC_NL_VALUE_MAX"), names[0], r)

    def set_get():
        ynl.do("op", {"opcode": "set", "key": b"spec:k", "value": b"v\x001",
                      "client-flags": 7})
        r = ynl.do("op", {"opcode": "get", "key": b"spec:k"})
        t.ok(r.get("value") == b"v\x001" and r.get("client-flags") == 7 and
             r.get("cas", 0) > 0, names[1], r)

    def error():
        try:
            ynl.do("op", {"opcode": "set", "flags": ["set-nx"], "key": b"spec:k",
                          "value": b"x"})
            t.ok(False, names[2], "no error")
        except NlError as e:
            msg = (e.extack or {}).get("msg", "") if hasattr(e, "extack") else ""
            t.ok(e.nl_msg.error == -errno.EEXIST and "condition" in str(msg + str(e)),
                 names[2], "%s %s" % (e.nl_msg.error, e))

    def elems():
        r = ynl.do("op", {"opcode": "mget", "arg": [b"spec:k", b"spec:none"]})
        el = r.get("elem", [])
        t.ok(len(el) == 2 and el[0].get("value") == b"v\x001" and "nil" in el[1],
             names[3], r)

    def keys():
        r = ynl.dump("keys", {"pattern": b"spec:*"})
        t.ok([(k.get("key"), k.get("type")) for k in r] == [(b"spec:k", "string")],
             names[4], r)

    def stats():
        s = ynl.do("stats", {})
        d = ynl.dump("stats", {})
        v = ynl.do("version", {})
        t.ok(s["stats"]["curr-items"] >= 1 and len(d) == v["nr-classes"] and
             all("hot" in c["class"] for c in d), names[5], (s, len(d)))

    def config():
        r = ynl.do("config-get", {})
        t.ok(r.get("notify") in (0, 1) and r.get("memory-limit-mb", 0) >= 2, names[6], r)

    def notification():
        # YNL binds a subscriber's socket itself: a fresh one, first.
        lis = YnlFamily(SPEC, schema="")
        lis.ntf_subscribe("keyspace")
        ynl.do("config-set", {"notify": 1})
        try:
            ynl.do("op", {"opcode": "del", "key": b"spec:k"})
            got = []
            for _ in range(50):
                lis.check_ntf()
                got += list(lis.async_msg_queue)
                lis.async_msg_queue.clear()
                if any(m.get("msg", {}).get("key") == b"spec:k" for m in got):
                    break
                import time
                time.sleep(0.05)
            t.ok(any(m.get("name") == "event" and m["msg"].get("event") == "del" and
                     m["msg"].get("key") == b"spec:k" for m in got), names[7], got)
        finally:
            ynl.do("config-set", {"notify": 0})

    for n, fn in zip(names, (version, set_get, error, elems, keys, stats, config,
                             notification)):
        run(n, fn)


def main():
    t = Tap()
    try:
        import yaml
    except ImportError:
        print("1..0 # SKIP python3-yaml is not installed")
        sys.exit(4)
    spec = yaml.safe_load(open(SPEC))
    h = Header(HEADER)
    check_static(t, spec, h)
    knl = kernel_netlink_dir()
    check_schema(t, spec, knl)
    check_live(t, knl, h)
    t.done()


if __name__ == "__main__":
    main()
