#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the Redis command table of Documentation/kcache-proxy.rst.

One row per command and subcommand of Redis 7.0.15, in one section per
Redis group, with what kcache-proxy does with it:

  yes   in kcache-proxy's command table (cmds[] of userspace/proxy/redis.c;
        a subcommand: named by its container's handler)
  part  there, with the limit cmdnotes.txt gives, or refused inside MULTI
        where Redis queues it (RX_NOTXN in its entry)
  no    not there, or there only to refuse it, for the reason given

Three inputs, none of them a running program:

  userspace/proxy/redis.c       cmds[]: its initialisers are parsed (the
                                members named as struct redis_cmd in
                                redis.h names them); for a container
                                (RX_SUBCMD) its handler, in any
                                userspace/proxy/*.c, is read for the
                                subcommand names it compares argv[1] with
  tools/redis-7.0.15-commands.txt
                                Redis's commands, "group name" a line, a
                                subcommand as "group name|sub"
  tools/cmdnotes.txt            why a command is "no", what "part" lacks
                                (its header says how)

The table goes between the lines ".. cmdtable-begin" and ".. cmdtable-end"
of the document.  A Redis command the proxy lacks with no reason, a note
that no longer fits the proxy's table or that names no Redis command is
an error (exit 2): the table cannot say what is not known.

  cmdtable.py                 rewrite the table
  cmdtable.py --check         exit 1, with a diff, unless that changes nothing
  cmdtable.py --refresh PORT  rewrite the Redis list from COMMAND DOCS of
                              the redis-server 7.0.15 on 127.0.0.1:PORT
"""
import argparse
import difflib
import glob
import os
import re
import socket
import sys
import textwrap

TOOLS = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.dirname(TOOLS)
ROOT = os.path.dirname(os.path.dirname(PROXY))
REDIS_VERSION = "7.0.15"
REDIS_LIST = os.path.join(TOOLS, "redis-%s-commands.txt" % REDIS_VERSION)
NOTES = os.path.join(TOOLS, "cmdnotes.txt")
DOC = os.path.join(ROOT, "Documentation", "kcache-proxy.rst")
TABLE_C = os.path.join(PROXY, "redis.c")
STRUCT_H = os.path.join(PROXY, "redis.h")
BEGIN = ".. cmdtable-begin"
END = ".. cmdtable-end"

# The data types, keys, then the server's groups; any other group Redis
# reports follows, in alphabetical order.
GROUP_ORDER = ["string", "list", "hash", "set", "sorted-set", "generic",
               "transactions", "pubsub", "connection", "server", "scripting"]
TITLES = {
    "bitmap": "Bitmaps", "cluster": "Cluster", "connection": "Connection",
    "generic": "Keys", "geo": "Geospatial indexes", "hash": "Hashes",
    "hyperloglog": "HyperLogLog", "list": "Lists", "pubsub": "Pub/sub",
    "scripting": "Scripting and functions", "server": "Server",
    "set": "Sets", "sorted-set": "Sorted sets", "stream": "Streams",
    "string": "Strings", "transactions": "Transactions",
}
WIDTH = 79


class Error(Exception):
    pass


# ------------------------------------------------------------ the C side

C_TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"'
                      r"|'(?:\\.|[^'\\\n])*'", re.S)


def strip_comments(src):
    """C source without its comments (newlines kept), strings intact."""
    def repl(m):
        t = m.group(0)
        if t.startswith(("//", "/*")):
            return " " + "\n" * t.count("\n")
        return t
    return C_TOKENS.sub(repl, src)


def read_c(path):
    with open(path, encoding="utf-8") as f:
        return strip_comments(f.read())


def block(src, start):
    """The text between the brace at src[start] and its match."""
    assert src[start] == "{"
    depth = 0
    i = start
    while i < len(src):
        c = src[i]
        if c in "\"'":
            m = C_TOKENS.match(src, i)
            if not m:
                raise Error("unterminated literal at offset %d" % i)
            i = m.end()
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return src[start + 1:i]
        i += 1
    raise Error("unbalanced braces from offset %d" % start)


def split_top(text, sep=","):
    """Split on sep outside braces, parentheses and literals."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            m = C_TOKENS.match(text, i)
            if not m:
                raise Error("unterminated literal in %r" % text[:60])
            cur.append(m.group(0))
            i = m.end()
            continue
        if c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    last = "".join(cur).strip()
    if last:
        parts.append(last)
    return parts


def c_string(expr):
    """The value of a (concatenated) C string literal, or None."""
    lits = re.findall(r'"((?:\\.|[^"\\])*)"', expr)
    if not lits or re.sub(r'"(?:\\.|[^"\\])*"', "", expr).strip():
        return None
    return "".join(bytes(s, "utf-8").decode("unicode_escape") for s in lits)


def struct_members(src, name):
    m = re.search(r"\bstruct\s+%s\s*\{" % name, src)
    if not m:
        raise Error("no struct %s in %s" % (name, STRUCT_H))
    names = []
    for decl in block(src, m.end() - 1).split(";"):
        for part in decl.split(","):
            ids = re.findall(r"[A-Za-z_]\w*", re.sub(r"\[.*?\]", "", part))
            if ids:
                names.append(ids[-1])
    return names


def proxy_table():
    """{name: member dict} of cmds[], and {container: [subcommands]}."""
    members = struct_members(read_c(STRUCT_H), "redis_cmd")
    src = read_c(TABLE_C)
    found = list(re.finditer(
        r"\bstruct\s+redis_cmd\s+(\w+)\s*\[\s*\]\s*=\s*\{", src))
    if len(found) != 1:
        raise Error("%s: %d arrays of struct redis_cmd, expected one"
                    % (TABLE_C, len(found)))
    body = block(src, found[0].end() - 1)
    cmds = {}
    for ent in split_top(body):
        if not (ent.startswith("{") and ent.endswith("}")):
            raise Error("cmds[]: not a braced initialiser: %r" % ent[:60])
        fields = split_top(ent[1:-1])
        row = {}
        for pos, f in enumerate(fields):
            d = re.match(r"\.(\w+)\s*=\s*(.*)", f, re.S)
            if d:
                row[d.group(1)] = d.group(2).strip()
            elif pos < len(members):
                row[members[pos]] = f
            else:
                raise Error("cmds[]: too many fields in %r" % ent[:60])
        name = c_string(row.get("name", ""))
        if not name or not re.fullmatch(r"[a-z_-]+", name):
            raise Error("cmds[]: no lower-case name in %r" % ent[:60])
        if name in cmds:
            raise Error("cmds[]: %s twice" % name)
        row["name"] = name
        cmds[name] = row
    if not cmds:
        raise Error("cmds[] is empty")
    subs = {}
    for name, row in sorted(cmds.items()):
        if re.search(r"\bRX_SUBCMD\b", row.get("x", "")):
            subs[name] = handler_subcommands(name, row.get("fn", ""))
    return cmds, subs


def handler_subcommands(name, fn):
    """The subcommand names a container's handler compares argv[1] with:
    strcmp(sub, "x") where sub is arg_lower(&argv[1], sub, ...),
    arg_eq(&argv[1], "x"), and the strings of a subs[] table."""
    if not re.fullmatch(r"\w+", fn):
        raise Error("%s: handler %r is not a function name" % (name, fn))
    bodies = []
    for path in sorted(glob.glob(os.path.join(PROXY, "*.c"))):
        src = read_c(path)
        for m in re.finditer(r"\bvoid\s+%s\s*\([^;{]*\)\s*\{" % fn, src):
            bodies.append(block(src, m.end() - 1))
    if len(bodies) != 1:
        raise Error("%s: %d definitions of its handler %s()"
                    % (name, len(bodies), fn))
    body = bodies[0]
    found = set()
    for var in re.findall(r"\barg_lower\s*\(\s*&\s*argv\s*\[\s*1\s*\]"
                          r"\s*,\s*(\w+)", body):
        found.update(re.findall(r'\bstrcmp\s*\(\s*%s\s*,\s*"([^"]*)"\s*\)'
                                % var, body))
    found.update(re.findall(r'\barg_eq\s*\(\s*&\s*argv\s*\[\s*1\s*\]\s*,'
                            r'\s*"([^"]*)"\s*\)', body))
    for m in re.finditer(r"\bsubs\s*\[\s*\]\s*=\s*\{", body):
        for f in split_top(block(body, m.end() - 1)):
            s = c_string(f)
            if s is not None:
                found.add(s)
    bad = [s for s in found if not re.fullmatch(r"[a-z][a-z-]*", s)]
    if bad or not found:
        raise Error("%s: %s() names no subcommands%s" % (
            name, fn, " it can be read for: %s" % bad if bad else ""))
    return sorted(found)


# ------------------------------------------------------------ Redis's list

def redis_commands():
    """[(group, name)] of the committed Redis list."""
    rows = []
    with open(REDIS_LIST, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split()
            if len(w) != 2 or not re.fullmatch(r"[a-z_-]+(\|[a-z_-]+)?",
                                               w[1]):
                raise Error("%s:%d: not \"group name\"" % (REDIS_LIST, n))
            rows.append((w[0], w[1]))
    names = [r[1] for r in rows]
    if len(set(names)) != len(names):
        raise Error("%s: a command twice" % REDIS_LIST)
    return rows


def resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise Error("redis-server closed the connection")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise Error("redis-server: " + rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode()
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [resp_read(f) for _ in range(n)]
    raise Error("redis-server: unexpected reply %r" % line[:40])


def resp_call(f, sock, *args):
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(req)
    return resp_read(f)


def refresh(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = sock.makefile("rb")
    info = resp_call(f, sock, "INFO", "server")
    ver = re.search(r"^redis_version:(\S+)", info, re.M)
    if not ver or ver.group(1) != REDIS_VERSION:
        raise Error("redis-server on port %d is %s, not %s" % (
            port, ver.group(1) if ver else "unknown", REDIS_VERSION))
    docs = resp_call(f, sock, "COMMAND", "DOCS")
    listed = set(resp_call(f, sock, "COMMAND", "LIST"))
    sock.close()
    rows = []

    def walk(flat):
        for name, doc in zip(flat[0::2], flat[1::2]):
            d = dict(zip(doc[0::2], doc[1::2]))
            rows.append((d["group"], name.lower()))
            walk(d.get("subcommands") or [])
    walk(docs)
    names = {r[1] for r in rows}
    if names != listed:
        raise Error("COMMAND DOCS and COMMAND LIST differ: %s" %
                    sorted(names ^ listed))
    with open(REDIS_LIST, "w", encoding="utf-8") as out:
        out.write("# The commands of Redis %s, from COMMAND DOCS of its "
                  "redis-server\n# (userspace/proxy/tools/cmdtable.py "
                  "--refresh PORT).  One a line:\n# \"group name\"; a "
                  "subcommand as \"group name|sub\".\n" % REDIS_VERSION)
        for g, n in sorted(rows, key=lambda r: (group_key(r[0]), r[1])):
            out.write("%s %s\n" % (g, n))
    return len(rows)


# ------------------------------------------------------------ the notes

def read_notes():
    """{name or @group: (kind, text)}, kind "part", "refused" or "no"."""
    notes = {}
    with open(NOTES, encoding="utf-8") as f:
        lines = f.read().split("\n")
    cur = None
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            cur = None
            continue
        if line[0] in " \t":
            if cur is None:
                raise Error("%s:%d: continuation of nothing" % (NOTES, n))
            notes[cur] += " " + line.strip()
            continue
        w = line.split(None, 1)
        if len(w) < 2:
            raise Error("%s:%d: \"name note\" expected" % (NOTES, n))
        cur = w[0].lower()
        if cur in notes:
            raise Error("%s:%d: %s noted twice" % (NOTES, n, cur))
        notes[cur] = w[1].strip()
    out = {}
    for k, text in notes.items():
        m = re.match(r"(no|refused):\s*", text)
        kind = m.group(1) if m else "part"
        text = text[m.end():] if m else text
        if not text:
            raise Error("%s: %s: no text" % (NOTES, k))
        if k.startswith("@") and kind != "no":
            raise Error("%s: %s: a group's note is \"no: reason\""
                        % (NOTES, k))
        out[k] = (kind, text)
    return out


# ------------------------------------------------------------ the table

def group_key(g):
    return (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g)


def display(name):
    return name.replace("|", " ").upper()


def no_multi(row):
    """The note of an entry MULTI cannot queue that Redis's can: RX_NOTXN
    without RX_TXCTL (which runs it anyway) or RF_NOMULTI (refused by
    Redis too)."""
    def has(field, flag):
        return re.search(r"\b%s\b" % flag, row.get(field, "")) is not None
    if has("x", "RX_NOTXN") and not has("x", "RX_TXCTL") and \
            not has("flags", "RF_NOMULTI"):
        return "Refused inside MULTI."
    return ""


def statuses(redis, cmds, subs, notes):
    """[(group, name, status, note)], the names kcache-proxy has and Redis
    lacks, and the errors."""
    have = set(cmds)
    for c, ss in subs.items():
        have.update("%s|%s" % (c, s) for s in ss)
    known = {n for _, n in redis} | {"@" + g for g, _ in redis}
    errors = ["no command %s in Redis %s" % (k, REDIS_VERSION)
              for k in sorted(notes) if k not in known]
    used = set()
    rows = []
    for g, n in redis:
        kind, text = notes.get(n, (None, ""))
        if n in have:
            multi = no_multi(cmds[n.split("|")[0]])
            if kind == "no":
                errors.append("kcache-proxy has %s now: its note says it "
                              "lacks it (\"no:\")" % n)
            elif kind == "refused":
                rows.append((g, n, "no", text))
            elif kind or multi:
                rows.append((g, n, "part", "  ".join(
                    t for t in (text, multi) if t)))
            else:
                rows.append((g, n, "yes", ""))
            continue
        if kind in ("part", "refused"):
            errors.append("kcache-proxy has no %s: its note must be "
                          "\"no: reason\"" % n)
            continue
        parent = n.split("|")[0]
        if not kind and parent != n and parent not in have:
            kind, text = "no", "As %s." % display(parent)
        if not kind and "@" + g in notes:
            used.add("@" + g)
            kind, text = notes["@" + g]
        if not kind:
            errors.append("no reason why kcache-proxy lacks %s (%s): add "
                          "\"%s no: reason\"" % (display(n), g, n))
            continue
        rows.append((g, n, "no", text))
    errors += ["%s: no command of the group lacks a reason" % k
               for k in sorted(notes)
               if k.startswith("@") and k in known and k not in used]
    extra = sorted(have - {n for _, n in redis})
    return rows, extra, [os.path.relpath(NOTES, ROOT) + ": " + e
                         for e in errors]


def simple_table(header, rows, widths):
    """An RST simple table; the last column is wrapped to its width."""
    border = "  ".join("=" * w for w in widths)
    out = [border, "  ".join(h.ljust(w) for h, w in zip(header, widths))
           .rstrip(), border]
    for row in rows:
        last = textwrap.wrap(row[-1], widths[-1], break_long_words=False,
                             break_on_hyphens=False) or [""]
        for i, text in enumerate(last):
            cells = [c if i == 0 else "" for c in row[:-1]] + [text]
            out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths))
                       .rstrip())
    out.append(border)
    return out


def render(rows, extra):
    groups = sorted({r[0] for r in rows}, key=group_key)
    count = {g: {"yes": 0, "part": 0, "no": 0} for g in groups}
    for g, _, st, _ in rows:
        count[g][st] += 1
    out = []
    tot = {k: sum(c[k] for c in count.values()) for k in ("yes", "part", "no")}
    sums = []
    for g in groups + [None]:
        c = count[g] if g else tot
        label = "``%s``" % g if g else "all"
        sums.append((label, str(sum(c.values())), str(c["yes"]),
                     str(c["part"]), str(c["no"])))
    w = [max(len(r[0]) for r in sums), 8, 4, 4, 4]
    out += simple_table(("Group", "Commands", "yes", "part", "no"), sums, w)
    name_w = max(len("Command"), max(len(display(r[1])) for r in rows))
    widths = [name_w, 6, max(30, WIDTH - name_w - 6 - 4)]
    for g in groups:
        title = "%s (``%s``)" % (TITLES.get(g, g.capitalize()), g)
        c = count[g]
        out += ["", title, "~" * len(title), "",
                "%d commands: %d yes, %d part, %d no." % (
                    sum(c.values()), c["yes"], c["part"], c["no"]), ""]
        grows = sorted((r for r in rows if r[0] == g),
                       key=lambda r: r[1].split("|", 1) + [""])
        out += simple_table(("Command", "Status", "Notes"),
                            [(display(n), st, note)
                             for _, n, st, note in grows], widths)
    if extra:
        out += ["", "kcache-proxy also answers, though Redis %s has no such "
                "command:" % REDIS_VERSION, ""]
        out += textwrap.wrap(", ".join(display(n) for n in extra), WIDTH)
        out[-1] += "."
    return out


def generate():
    cmds, subs = proxy_table()
    rows, extra, errors = statuses(redis_commands(), cmds, subs,
                                   read_notes())
    if errors:
        raise Error("\ncmdtable: ".join(errors))
    with open(DOC, encoding="utf-8") as f:
        old = f.read()
    lines = old.split("\n")
    try:
        b = lines.index(BEGIN)
        e = lines.index(END, b)
    except ValueError:
        raise Error("%s: no \"%s\" ... \"%s\" lines" % (DOC, BEGIN, END))
    new = "\n".join(lines[:b + 1] + [""] + render(rows, extra) + [""] +
                    lines[e:])
    return old, new


def diff(a, b, name):
    """A unified diff; difflib's own would take the table's many equal
    lines (borders, headers) for junk and show them as changed."""
    yield "--- a/%s\n+++ b/%s\n" % (name, name)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in sm.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        yield "@@ -%d,%d +%d,%d @@\n" % (i1 + 1, i2 - i1, j1 + 1, j2 - j1)
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[a1:a2])
                continue
            yield from ("-" + line for line in a[a1:a2])
            yield from ("+" + line for line in b[b1:b2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 with a diff unless the table is up to date")
    ap.add_argument("--refresh", type=int, metavar="PORT",
                    help="rewrite the Redis command list from the "
                    "redis-server %s on 127.0.0.1:PORT" % REDIS_VERSION)
    args = ap.parse_args()
    try:
        if args.refresh:
            n = refresh(args.refresh)
            print("%s: %d commands" % (os.path.relpath(REDIS_LIST), n))
            return 0
        old, new = generate()
    except (Error, OSError) as e:
        print("cmdtable: %s" % e, file=sys.stderr)
        return 2
    if old == new:
        return 0
    rel = os.path.relpath(DOC, ROOT)
    if args.check:
        sys.stdout.writelines(diff(old.splitlines(True),
                                   new.splitlines(True), rel))
        print("cmdtable: %s is out of date: run %s" %
              (rel, os.path.relpath(os.path.abspath(__file__), ROOT)))
        return 1
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(new)
    print("cmdtable: %s rewritten" % rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
