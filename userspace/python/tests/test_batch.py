# SPDX-License-Identifier: GPL-2.0
"""Pipelines (one KC_IOC_BATCH) and transactions (KC_BATCH_TXN, WATCH)."""
import threading

import pytest

import kcache


def test_pipeline_results_in_order(c):
    with c.pipeline() as p:
        assert p.set("a", 1) is p
        p.get("a").incr("a").get("a").get("missing").lpush("l", "x", "y")
        p.hset("h", mapping={"f": "v"}).hgetall("h").smembers("none").delete("a", "l", "z")
        assert len(p) == 10
    assert p.results == [True, b"1", 2, b"2", None, 2, 1, {b"f": b"v"}, set(), 2]


def test_pipeline_is_one_batch_and_not_atomic(c):
    s0 = c.stats()
    p = c.pipeline()
    for i in range(100):
        p.set("k%d" % i, i)
    assert p.execute() == [True] * 100
    assert c.stats()["cmd_set"] == s0["cmd_set"] + 100
    assert c.mget(["k0", "k99"]) == [b"0", b"99"]
    assert p.execute() == []


def test_pipeline_errors(c):
    c.set("s", "str")
    p = c.pipeline()
    p.set("a", 1).lpush("s", "x").get("a")
    with pytest.raises(kcache.WrongType):
        p.execute()
    # The others ran: a pipeline is not a transaction.
    assert c.get("a") == b"1"
    p.incr("a").lpush("s", "x").incr("a")
    res = p.execute(raise_on_error=False)
    assert res[0] == 2 and isinstance(res[1], kcache.WrongType) and res[2] == 3


def test_pipeline_discarded_on_exception(c):
    with pytest.raises(RuntimeError):
        with c.pipeline() as p:
            p.set("a", 1)
            raise RuntimeError("stop")
    assert c.get("a") is None


def test_pipeline_big_replies(c):
    big = b"x" * (c.version()["item_size_max"] - 64)
    c.set("big", big)
    c.rpush("l", *[b"%d" % i for i in range(20000)])
    with c.pipeline() as p:
        for _ in range(3):
            p.get("big")
        p.lrange("l", 0, -1)
        p.set("big", "new", get=True)
    assert p.results[:3] == [big] * 3
    assert p.results[3] == [b"%d" % i for i in range(20000)]
    assert p.results[4] == big and c.get("big") == b"new"


def test_pipeline_longer_than_batch_max(c):
    n = 4096 + 50
    p = c.pipeline()
    for i in range(n):
        p.incr("counter")
    assert p.execute() == list(range(1, n + 1))


def test_transaction_runs_all(c):
    c.set("n", 5)
    with c.transaction(watch=["n"]) as tx:
        v = int(c.get("n"))
        tx.set("n", v * 2).lpush("log", "doubled").get("n")
    assert tx.results == [True, 1, b"10"]
    with c.pipeline(transaction=True) as tx:
        tx.incr("n").incr("n")
    assert tx.results == [11, 12]


def test_transaction_watch_conflict_from_another_thread(c):
    c.set("n", 1)
    tx = c.transaction(watch=["n"])
    tx.set("n", 100).set("other", 1)
    t = threading.Thread(target=lambda: c.incr("n"))
    t.start()
    t.join(30)
    with pytest.raises(kcache.WatchError) as e:
        tx.execute()
    assert e.value.errno == 125
    assert c.get("n") == b"2" and c.get("other") is None


def test_watch_missing_key_then_created(c):
    with pytest.raises(kcache.WatchError):
        with c.transaction(watch="k") as tx:
            c.set("k", 1)
            tx.set("k", 2)
    assert c.get("k") == b"1"
    # Deleted, expired or rewritten: all count as changed.
    c.set("d", 1)
    tx = c.transaction(watch=["d"])
    c.delete("d")
    tx.set("d", 5)
    with pytest.raises(kcache.WatchError):
        tx.execute()


def test_transaction_runtime_error_fails_one_op(c):
    c.set("s", "str")
    tx = c.transaction()
    tx.set("a", 1).incr("s").set("b", 2)
    res = tx.execute(raise_on_error=False)
    assert res[0] is True and isinstance(res[1], kcache.NotAnInteger) and res[2] is True
    assert c.mget("a", "b") == [b"1", b"2"]


def test_transaction_malformed_op_runs_nothing(c):
    tx = c.transaction()
    tx.set("a", 1).set("", 2).set("b", 3)
    with pytest.raises(kcache.InvalidArgument) as e:
        tx.execute()
    assert "op 1" in str(e.value)
    assert c.mget("a", "b") == [None, None]


def test_transaction_too_many_ops(c):
    tx = c.transaction()
    for _ in range(4097):
        tx.incr("n")
    with pytest.raises(kcache.TooLarge):
        tx.execute()
    assert c.get("n") is None


def test_retry_transaction_under_contention(c):
    c.set("n", 0)
    per, workers = 30, 4
    errors = []

    def incr_once(tx):
        v = int(c.get("n"))
        tx.set("n", v + 1)
        return v

    def worker():
        try:
            for _ in range(per):
                c.retry_transaction(incr_once, watch=["n"])
        except Exception as e:  # noqa: BLE001 - reported by the assertion
            errors.append(e)
    ts = [threading.Thread(target=worker) for _ in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors
    # Every read-modify-write survived: no increment was lost.
    assert c.get("n") == str(per * workers).encode()


def test_retry_transaction_gives_up(c):
    c.set("n", 0)

    def always_conflict(tx):
        c.incr("n")
        tx.set("n", 0)
    with pytest.raises(kcache.WatchError):
        c.retry_transaction(always_conflict, watch=["n"], retries=2)
    assert c.get("n") == b"3"
    value, res = c.retry_transaction(lambda tx: tx.get("n") and "ok", watch=["n"])
    assert value == "ok" and res == [b"3"]


def test_transaction_big_reply(c):
    n = c.version()["item_size_max"] - 64
    c.set("big", b"y" * n)
    c.set("big2", b"z" * n)
    with c.transaction(watch=["big"]) as tx:
        tx.get("big").strlen("big").getdel("big2")
    assert tx.results == [b"y" * n, n, b"z" * n]
    assert c.exists("big2") == 0
