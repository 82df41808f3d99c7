# SPDX-License-Identifier: GPL-2.0
"""One Cache shared by many threads; the GIL is released in the ioctl."""
import sys
import threading
import time

import pytest

import kcache


def run_threads(n, fn, timeout=120):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - checked below
            errors.append(e)
    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout)
    assert not any(t.is_alive() for t in ts)
    return errors


def test_shared_cache_many_threads(c):
    per = 300

    def work(i):
        for j in range(per):
            c.incr("total")
            c.set("t%d:%d" % (i, j), j)
            assert c.get("t%d:%d" % (i, j)) == str(j).encode()
            c.rpush("list", i)
    assert run_threads(8, work) == []
    assert c.get("total") == str(8 * per).encode()
    assert c.llen("list") == 8 * per
    assert c.dbsize() == 8 * per + 2


def test_gil_released_during_ioctl(c):
    # One long ioctl with a tiny input and output (SUNIONSTORE of two sets
    # of 50000 members) in a thread; the main thread keeps running Python
    # meanwhile only if the GIL is released around the ioctl.  With the GIL
    # held it could not run at all until the call returned.
    n = 50000
    c.sadd("a", *[b"%d" % i for i in range(n)])
    c.sadd("b", *[b"%d" % i for i in range(n, 2 * n)])
    t0 = time.monotonic()
    assert c.sunionstore("u", "a", "b") == 2 * n
    alone = time.monotonic() - t0
    assert alone > 0.01, "the call is too quick to tell (%.3f s)" % alone
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        for attempt in range(3):
            done = threading.Event()
            res = []

            def call():
                res.append(c.sunionstore("u", "a", "b"))
                done.set()
            t = threading.Thread(target=call)
            start = time.monotonic()
            t.start()
            last, gap, spins = start, 0.0, 0
            while not done.is_set():
                now = time.monotonic()
                gap = max(gap, now - last)
                last = now
                spins += 1
            t.join(60)
            took = time.monotonic() - start
            assert res == [2 * n]
            if gap < took / 2 and spins > 100:
                break
        assert gap < took / 2 and spins > 100, \
            "main thread stalled %.3f s of a %.3f s call (%d spins)" % (gap, took, spins)
    finally:
        sys.setswitchinterval(old)


def test_close_while_other_threads_use_it(c):
    cache = kcache.Cache()
    cache.set("k", "v")
    stop = threading.Event()
    seen = {"closed": 0, "ok": 0, "other": []}

    def user():
        while not stop.is_set():
            try:
                assert cache.get("k") in (b"v", None)
                seen["ok"] += 1
            except kcache.ClosedError:
                seen["closed"] += 1
                return
            except Exception as e:  # noqa: BLE001 - must not happen
                seen["other"].append(e)
                return
    ts = [threading.Thread(target=user) for _ in range(4)]
    for t in ts:
        t.start()
    # Close while they run; each sees ClosedError on its next call.  The
    # waits are bounded, not timed: a thread may wait long for the GIL.
    deadline = time.monotonic() + 30
    while seen["ok"] < 20 and not seen["other"] and time.monotonic() < deadline:
        time.sleep(0.01)
    cache.close()
    while seen["closed"] + len(seen["other"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    for t in ts:
        t.join(30)
    assert seen["other"] == [] and seen["closed"] == 4 and seen["ok"] > 0
    assert cache.closed
    with pytest.raises(kcache.ClosedError):
        cache.fileno()


def test_pipelines_per_thread(c):
    def work(i):
        for _ in range(20):
            with c.pipeline() as p:
                for j in range(50):
                    p.rpush("l%d" % i, j)
            assert p.results == list(range(len(p.results) and p.results[0],
                                           p.results[0] + 50))
    assert run_threads(4, work) == []
    assert [c.llen("l%d" % i) for i in range(4)] == [1000] * 4
