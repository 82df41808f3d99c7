# SPDX-License-Identifier: GPL-2.0
"""SCAN's guarantee under concurrent writes: a key present for the whole
iteration is yielded at least once, while other threads add and delete
enough keys to resize the index."""
import threading

import kcache


def test_scan_iter_under_concurrent_writes(c):
    stable = {b"stable:%d" % i for i in range(500)}
    with c.pipeline() as p:
        for k in stable:
            p.set(k, 1)
    stop = threading.Event()
    written = [0]
    errors = []

    def churn(tid):
        try:
            with kcache.Cache() as w:
                i = 0
                while not stop.is_set():
                    with w.pipeline() as p:
                        for j in range(100):
                            p.set(b"churn:%d:%d" % (tid, i + j), j)
                    if i >= 2000:
                        w.delete(*[b"churn:%d:%d" % (tid, i - 2000 + j) for j in range(100)])
                    i += 100
                    written[0] += 100
        except Exception as e:  # noqa: BLE001 - checked below
            errors.append(e)
    ts = [threading.Thread(target=churn, args=(t,)) for t in range(2)]
    for t in ts:
        t.start()
    try:
        for rnd in range(3):
            seen = []
            for k in c.scan_iter(count=25):
                seen.append(k)
            got = set(seen)
            assert stable <= got, "round %d: %d stable keys missing" % (rnd, len(stable - got))
            assert all(k.startswith((b"stable:", b"churn:")) for k in got)
    finally:
        stop.set()
        for t in ts:
            t.join(60)
    assert not errors
    assert written[0] > 0
    # A filtered scan under the same guarantee.
    assert set(c.scan_iter(match="stable:*", count=7)) == stable
