#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The Python package's pytest suite (userspace/python/tests) against the
module in this VM, as TAP: one result per pytest test, failures' reports as
'#' diagnostics.  The package is imported from the build tree
($KCACHE_BUILD/python/lib, made by the top-level `make`), not installed.
The host root is read-only here: no .pytest_cache, no bytecode files.

    make check-6.12 KCACHE_TESTS=python/kcache_python.py \\
        KCACHE_TEST_ENV=KCACHE_PYTEST_ARGS=-ktransaction   (a subset)"""
import os
import sys

sys.dont_write_bytecode = True
ROOT = os.environ.get("KCACHE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("KCACHE_BUILD") or os.path.join(ROOT, "build")
LIB = os.path.join(BUILD, "python", "lib")
TESTS = os.path.join(ROOT, "userspace", "python", "tests")

try:
    import pytest
except ImportError:
    print("1..0 # SKIP python3-pytest is not installed (selftests/vm/lib.sh lists it)")
    sys.exit(4)
if not os.path.isdir(os.path.join(LIB, "kcache")):
    print("1..1\nnot ok 1 - kcache package built in %s (run make)" % LIB)
    sys.exit(1)
sys.path.insert(0, LIB)
os.environ["PYTHONPATH"] = LIB + os.pathsep + os.environ.get("PYTHONPATH", "")


class Diag:
    """pytest's own report, as TAP diagnostics ('# ' before every line)."""

    def __init__(self, out):
        self.out = out
        self.bol = True
        self.encoding = "utf-8"

    def write(self, s):
        if s in (".", "s", "F", "E", "x", "X"):
            return len(s)  # progress marks: the TAP lines say it all
        for part in s.splitlines(True):
            if self.bol:
                self.out.write("# ")
            self.out.write(part)
            self.bol = part.endswith("\n")
        return len(s)

    def flush(self):
        self.out.flush()

    def isatty(self):
        return False


TAP_OUT = sys.stdout
DIAG = sys.stdout = Diag(TAP_OUT)


def tap(line):
    """A TAP line, at the start of a line whatever pytest printed last."""
    if not DIAG.bol:
        TAP_OUT.write("\n")
        DIAG.bol = True
    TAP_OUT.write(line + "\n")
    TAP_OUT.flush()


class Tap:
    """A pytest plugin printing TAP: the plan once collected, then one
    line per test when its last phase is known."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.done = set()

    def pytest_collection_finish(self, session):
        tap("TAP version 13\n1..%d" % len(session.items))

    def _line(self, ok, nodeid, extra="", diag=None):
        self.n += 1
        name = nodeid.split("::", 1)[-1]
        tap("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, name, extra))
        if diag:
            for ln in str(diag).splitlines()[-40:]:
                tap("#   " + ln)

    def pytest_runtest_logreport(self, report):
        nid = report.nodeid
        if nid in self.done:
            if report.failed and report.when == "teardown":
                print("#   teardown of %s failed:" % nid, flush=True)
                for ln in str(report.longrepr).splitlines()[-20:]:
                    print("#   " + ln, flush=True)
                self.failed += 1
            return
        if report.skipped:
            why = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            self.done.add(nid)
            self._line(True, nid, " # SKIP %s" % why)
        elif report.failed:
            self.done.add(nid)
            self.failed += 1
            self._line(False, nid, diag=report.longrepr)
        elif report.when == "call":
            self.done.add(nid)
            self._line(True, nid, " # %.2fs" % report.duration if report.duration > 5 else "")

    def pytest_collectreport(self, report):
        if report.failed:
            print("# collection failed: %s" % report.nodeid, flush=True)
            for ln in str(report.longrepr).splitlines()[-30:]:
                print("#   " + ln, flush=True)


plugin = Tap()
args = ["-p", "no:cacheprovider", "-q", "--tb=short", "--rootdir", TESTS,
        "-c", os.path.join(TESTS, "pytest.ini")]
# More pytest arguments from the command line or, through the harness,
# KCACHE_TEST_ENV=KCACHE_PYTEST_ARGS=-kgil (no blanks: the harness splits
# KCACHE_TEST_ENV into words).
args += sys.argv[1:] + os.environ.get("KCACHE_PYTEST_ARGS", "").split() + [TESTS]
rc = pytest.main(args, plugins=[plugin])
sys.stdout = TAP_OUT
if rc == pytest.ExitCode.NO_TESTS_COLLECTED or plugin.n == 0:
    print("1..1\nnot ok 1 - pytest collected and ran tests (exit %d)" % rc)
    sys.exit(1)
sys.exit(0 if rc == 0 and not plugin.failed else 1)
