#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the TAP results of one kcache VM run (or of the static checks).

Reads the result channel written by selftests/vm/init.sh (or any file of
KCACHE-TEST-BEGIN/END blocks), prints one line per test program and writes
"passed failed skipped" to --counts.

A failed test is listed with the last "# " lines before it (why it
failed, as kselftest prints it) and the last "#   " lines after it (the
report selftests/python/kcache_python.py prints after the result).
Counting rules, per test program (one BEGIN/END block):
  - only top-level TAP lines count: "ok N ..." / "not ok N ..." at column 0;
    nested KTAP subtests (indented) and kselftest "# " lines do not;
  - "# SKIP" in the directive counts as skipped, "# TODO"/"# XFAIL" as passed;
  - a plan "1..N" with fewer than N results adds the missing ones as failed;
  - "1..0" with no results is one skipped test;
  - a program that prints no TAP is one test: exit 0 passes, 4 (KSFT_SKIP)
    skips, anything else fails;
  - a non-zero exit other than 4, a timeout, "Bail out!" or a block without
    its END line adds one failure unless a failure was already counted;
  - a test the host expected but the guest never started is one failure.
A run without a KCACHE-VERDICT line (hang, panic, timeout) adds one failure.
"""

import argparse
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$')
PLAN = re.compile(r'^\s*1\.\.(\d+)')
DIRECTIVE = re.compile(r'#\s*(SKIP|TODO|XFAIL)\b', re.IGNORECASE)


class Block:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rc = None
        self.secs = None
        self.timeout = False


def count_block(b):
    """Return (passed, failed, skipped, notes)."""
    passed = failed = skipped = 0
    notes = []
    plan = None
    results = 0
    bail = False
    diag = []       # the "# " lines since the last result
    after = None    # the last failure's "#   " lines after it, if it was the last result
    for line in b.lines:
        if line.lstrip().startswith('#'):
            diag = (diag + [line.strip()[:200]])[-6:]
            if after is not None and line.startswith('#   '):
                after[:] = (after + ['  ' + line.strip()[:200]])[-6:]
        if plan is None:
            m = PLAN.match(line)
            if m and not line.startswith((' ', '\t')):
                plan = int(m.group(1))
                continue
        if line.startswith('Bail out!'):
            bail = True
            continue
        m = RESULT.match(line)
        if not m:
            continue
        after = None
        why, diag = diag, []
        results += 1
        ok = m.group(1) == 'ok'
        d = DIRECTIVE.search(m.group(3))
        kind = d.group(1).upper() if d else None
        if kind == 'SKIP':
            skipped += 1
        elif ok or kind in ('TODO', 'XFAIL'):
            passed += 1
        else:
            failed += 1
            notes.append('not ok %s %s' % (m.group(2) or '?', m.group(3)))
            notes.extend('  ' + d for d in why)
            after = []
            notes.append(after)
    notes = [n for x in notes for n in (x if isinstance(x, list) else [x])]

    if plan is not None and results < plan:
        failed += plan - results
        notes.append('plan 1..%d but %d results' % (plan, results))
    if results == 0 and plan in (None, 0) and b.rc is not None and not b.timeout:
        if plan == 0 or b.rc == 4:
            skipped += 1
        elif b.rc == 0:
            passed += 1
    extra = None
    if b.rc is None:
        extra = 'did not finish (VM died or hung during this test)'
    elif b.timeout:
        extra = 'timed out'
    elif b.rc not in (0, 4):
        extra = 'exit code %d' % b.rc
    elif bail:
        extra = 'Bail out!'
    if extra:
        notes.append(extra)
        if failed == 0:
            failed += 1
    return passed, failed, skipped, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('results')
    ap.add_argument('--counts', required=True)
    ap.add_argument('--expect', default=None,
                    help='file of test names the guest should have run')
    ap.add_argument('--no-verdict-ok', action='store_true',
                    help='do not require a KCACHE-VERDICT line')
    ap.add_argument('--why-no-verdict', default='the VM did not report a verdict')
    args = ap.parse_args()

    with open(args.results, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    blocks = []
    seen = set()
    verdict = None
    cur = None
    P = F = S = 0
    out = []

    for raw in text.split('\n'):
        line = raw.replace('\r', '')
        if line.startswith('KCACHE-TEST-BEGIN '):
            cur = Block(line.split(None, 1)[1].strip())
            blocks.append(cur)
            seen.add(cur.name)
        elif line.startswith('KCACHE-TEST-END ') and cur:
            m = re.search(r'rc=(-?\d+)', line)
            cur.rc = int(m.group(1)) if m else 1
            m = re.search(r'secs=(\d+)', line)
            cur.secs = int(m.group(1)) if m else None
            cur = None
        elif line.startswith('KCACHE-TEST-TIMEOUT '):
            name = line.split()[1]
            for b in blocks:
                if b.name == name:
                    b.timeout = True
        elif line.startswith(('KCACHE-TEST-SKIP ', 'KCACHE-TEST-NOTRUN ')):
            parts = line.split(None, 2)
            name = parts[1] if len(parts) > 1 else '?'
            why = parts[2] if len(parts) > 2 else ''
            seen.add(name)
            if parts[0] == 'KCACHE-TEST-SKIP':
                S += 1
                out.append('  SKIP %s: %s' % (name, why))
            else:
                F += 1
                out.append('  FAIL %s: not run: %s' % (name, why))
        elif line.startswith('KCACHE-VERDICT'):
            verdict = line[len('KCACHE-VERDICT'):].strip()
            cur = None
        elif cur is not None:
            cur.lines.append(line)

    for b in blocks:
        p, f, s, notes = count_block(b)
        P += p
        F += f
        S += s
        secs = '' if b.secs is None else ' (%d s)' % b.secs
        status = 'FAIL' if f else ('SKIP' if s and not p else 'ok  ')
        out.append('  %s %s: %d passed, %d failed, %d skipped%s' %
                   (status, b.name, p, f, s, secs))
        for n in notes[:24]:
            out.append('         %s' % n)
        if len(notes) > 24:
            out.append('         ... and %d more' % (len(notes) - 24))

    if args.expect:
        with open(args.expect) as f:
            for name in (l.strip() for l in f):
                if name and name not in seen:
                    F += 1
                    out.append('  FAIL %s: never started (the VM stopped before it)' % name)

    if verdict is None and not args.no_verdict_ok:
        F += 1
        out.append('  FAIL vm: %s' % args.why_no_verdict)
    elif verdict is not None and not verdict.startswith('PASS'):
        out.append('  FAIL guest verdict: %s' % verdict)
        if F == 0:
            F += 1

    print('\n'.join(out))
    with open(args.counts, 'w') as f:
        f.write('%d %d %d\n' % (P, F, S))
    return 0


if __name__ == '__main__':
    sys.exit(main())
