#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Generates kcache's netlink code from its spec with the kernel's generator.

Documentation/netlink/specs/kcache.yaml is the one source of the family.
From it the kernel's own YNL generator (tools/net/ynl/ynl-gen-c.py of
Debian's linux-source-6.12, extracted into the build directory by make,
never committed) writes:

  kmod/netlink-gen.h    the op table, policy and hook declarations and the
                        multicast group indices (--mode kernel --header)
  kmod/netlink-gen.c    the per-op policies and the split op table
                        (--mode kernel --source)
  uapi/linux/kcache.h   between its YNL-GEN markers: the family name and
                        version, the attribute sets, the commands and the
                        multicast group names (--mode uapi, whose header
                        guard and includes are left out: kcache.h stays the
                        one uapi header)

Two things the 6.12 generator lacks are supplied here, without changing
what it does otherwise:
  - it runs only inside a kernel tree (it looks for MAINTAINERS to name
    the spec in its output); here the tree is this repository;
  - it renders a binary attribute's policy for exact-len or a lone
    min-len only; kcache's binary attributes check a length range
    (min-len and max-len) or a maximum (max-len), rendered as the policy
    macros the kernel has for them.

  kmod/ynl-gen.py --ynl DIR            regenerate the three files
  kmod/ynl-gen.py --ynl DIR --check    fail (and show the diff) unless
                                        regenerating changes nothing
"""
import argparse
import difflib
import gc
import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = "Documentation/netlink/specs/kcache.yaml"
UAPI = "uapi/linux/kcache.h"
BEGIN = "/* YNL-GEN uapi begin: `make netlink-gen` writes what follows */"
END = "/* YNL-GEN uapi end */"
OUTPUTS = [
    ("kmod/netlink-gen.h", ["--mode", "kernel", "--header"]),
    ("kmod/netlink-gen.c", ["--mode", "kernel", "--source"]),
    (UAPI, ["--mode", "uapi", "--header"]),
]


def load_generator(ynl_dir):
    path = os.path.join(ynl_dir, "ynl-gen-c.py")
    sys.path.insert(0, ynl_dir)
    spec = importlib.util.spec_from_file_location("ynl_gen_c", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)

    def find_kernel_root(full_path):
        return ROOT, os.path.relpath(os.path.abspath(full_path), ROOT)

    binary_policy = gen.TypeBinary._attr_policy

    def attr_policy(self, policy):
        checks = set(self.checks)
        if checks == {"min-len", "max-len"}:
            return "NLA_POLICY_RANGE(NLA_BINARY, %s, %s)" % (
                self.get_limit_str("min-len"), self.get_limit_str("max-len"))
        if checks == {"max-len"}:
            return "{ .type = NLA_BINARY, .len = %s, }" % self.get_limit_str("max-len")
        return binary_policy(self, policy)

    family_init = gen.SpecFamily.__init__
    schema = os.path.join(ynl_dir, "../../../Documentation/netlink/genetlink-c.yaml")

    def spec_family_init(self, spec_path, schema_path=None, exclude_ops=None):
        family_init(self, spec_path, schema_path or os.path.normpath(schema), exclude_ops)

    gen.find_kernel_root = find_kernel_root
    gen.SpecFamily.__init__ = spec_family_init
    gen.TypeBinary._attr_policy = attr_policy
    return gen


def run(gen, args, out):
    argv = sys.argv
    sys.argv = ["ynl-gen-c.py", "--spec", os.path.join(ROOT, SPEC), "-o", out] + args
    try:
        gen.main()
        gc.collect()  # the generator writes its file when its writer is freed
    finally:
        sys.argv = argv
    with open(out) as f:
        return f.read()


def splice(generated, current):
    """current with the body of the generated uapi header between the markers."""
    lines = generated.splitlines(keepends=True)
    head = [ln for ln in lines if ln.startswith("/*")][1:3]  # "Do not edit", spec
    start = next(i for i, ln in enumerate(lines) if ln.startswith("#define _UAPI_"))
    stop = max(i for i, ln in enumerate(lines) if ln.startswith("#endif"))
    body = "".join(head) + "\n" + "".join(lines[start + 1:stop]).strip("\n") + "\n"
    if current.count(BEGIN) != 1 or current.count(END) != 1:
        raise SystemExit("%s: needs one %s and one %s line" % (UAPI, BEGIN, END))
    pre, rest = current.split(BEGIN + "\n", 1)
    _, post = rest.split(END + "\n", 1)
    return pre + BEGIN + "\n" + body + END + "\n" + post


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ynl", required=True, help="the kernel's tools/net/ynl directory")
    ap.add_argument("--check", action="store_true",
                    help="change nothing; fail if regenerating would")
    args = ap.parse_args()
    gen = load_generator(args.ynl)
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, gen_args in OUTPUTS:
            path = os.path.join(ROOT, name)
            text = run(gen, gen_args, os.path.join(tmp, os.path.basename(name)))
            old = open(path).read() if os.path.exists(path) else ""
            if name == UAPI:
                text = splice(text, old)
            if text == old:
                continue
            stale += 1
            if args.check:
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(keepends=True), text.splitlines(keepends=True),
                    "a/" + name, "b/" + name))
            else:
                with open(path, "w") as f:
                    f.write(text)
                print("\tGEN\t%s" % name)
    if args.check and stale:
        print("%d generated file(s) differ from %s: run make netlink-gen" % (stale, SPEC),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
