# SPDX-License-Identifier: GPL-2.0
"""SCAN's guarantee under concurrent writes: a key present for the whole
iteration is yielded at least once, while other threads add and delete
enough keys to grow and shrink the index."""
import threading
import time

import kcache

CHURN_KEYS = 3000   # each thread's keys: 2 x 3000 + 500 grows the index to 8192+


def test_scan_iter_under_concurrent_writes(c):
    stable = {b"stable:%d" % i for i in range(500)}
    with c.pipeline() as p:
        for k in stable:
            p.set(k, 1)
    stop = threading.Event()
    written = [0, 0]
    errors = []

    def churn(tid):
        # Adds CHURN_KEYS keys, deletes them all, again: the index keeps
        # growing and shrinking under the scans.
        try:
            with kcache.Cache() as w:
                while not stop.is_set():
                    for i in range(0, CHURN_KEYS, 100):
                        with w.pipeline() as p:
                            for j in range(i, i + 100):
                                p.set(b"churn:%d:%d" % (tid, j), j)
                        written[tid] += 100
                    for i in range(0, CHURN_KEYS, 100):
                        w.delete(*[b"churn:%d:%d" % (tid, j) for j in range(i, i + 100)])
                        written[tid] += 100
        except Exception as e:  # noqa: BLE001 - checked below
            errors.append(e)
    ts = [threading.Thread(target=churn, args=(t,)) for t in range(2)]
    for t in ts:
        t.start()
    rounds = 0
    try:
        # Scans start once both threads write, and go on until each has
        # been through a whole grow-and-shrink cycle during them.
        deadline = time.monotonic() + 120
        while min(written) == 0 and not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        first = list(written)
        while not errors and time.monotonic() < deadline and (
                rounds < 3 or min(w - f for w, f in zip(written, first)) < 2 * CHURN_KEYS):
            seen = []
            for k in c.scan_iter(count=25):
                seen.append(k)
            got = set(seen)
            assert stable <= got, "round %d: %d stable keys missing, e.g. %r" % (
                rounds, len(stable - got), sorted(stable - got)[:3])
            assert all(k.startswith((b"stable:", b"churn:")) for k in got)
            rounds += 1
        during = [w - f for w, f in zip(written, first)]
    finally:
        stop.set()
        for t in ts:
            t.join(60)
    assert not errors, errors
    # Not vacuous: both threads added and deleted all their keys while
    # the scans ran.
    assert min(during) >= 2 * CHURN_KEYS, (during, rounds)
    # A filtered scan under the same guarantee.
    assert set(c.scan_iter(match="stable:*", count=7)) == stable
