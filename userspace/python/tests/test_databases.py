# SPDX-License-Identifier: GPL-2.0
"""Databases: Cache(db=N) and what works per database -- commands,
pipelines, transactions and their watched keys, SCAN, DBSIZE, MOVE,
SWAPDB, FLUSHDB against FLUSHALL, keyspace events."""
import pytest

import kcache


@pytest.fixture
def c3(c):
    """A second Cache on database 3 of the same (empty) cache."""
    with kcache.Cache(db=3) as other:
        yield other


def test_db_is_its_own_keyspace(c, c3):
    assert c.db == 0 and c3.db == 3
    c.set("k", "zero")
    assert c3.get("k") is None
    c3.set("k", "three")
    c3.rpush("l", "a", "b")
    assert c.get("k") == b"zero" and c3.get("k") == b"three"
    assert c.exists("l") == 0 and c3.lrange("l", 0, -1) == [b"a", b"b"]
    assert c.dbsize() == 1 and c3.dbsize() == 2
    assert sorted(c3.keys()) == [b"k", b"l"] and c.keys() == [b"k"]
    assert c3.delete("k", "l") == 2
    assert c.get("k") == b"zero" and c3.dbsize() == 0


def test_db_range(c):
    for bad in (-1, 16, 1.0, True, "1"):
        with pytest.raises(kcache.InvalidArgument):
            kcache.Cache(db=bad)
    with pytest.raises(kcache.InvalidArgument):
        c.move("k", 16)
    with pytest.raises(kcache.InvalidArgument):
        c.swapdb(0, -1)
    with kcache.Cache(db=15) as c15:
        assert c15.set("last", 1) is True and c15.dbsize() == 1


def test_move(c, c3):
    c.set("m", "v", ex=100)
    assert c.move("m", 3) is True
    assert c.get("m") is None and c3.get("m") == b"v"
    assert 90 < c3.ttl("m") <= 100
    assert c.move("m", 3) is False            # gone from 0
    c.set("m", "again")
    assert c.move("m", 3) is False            # 3 has it: nothing moves
    assert c.get("m") == b"again" and c3.get("m") == b"v"
    with pytest.raises(kcache.InvalidArgument):
        c.move("m", 0)                         # its own database


def test_swapdb(c, c3):
    c.set("a", "zero")
    c3.set("b", "three")
    c3.sadd("s", "x")
    assert c.swapdb(0, 3) is True
    assert c.get("b") == b"three" and c.smembers("s") == {b"x"}
    assert c3.get("a") == b"zero" and c3.dbsize() == 1 and c.dbsize() == 2
    assert c3.swapdb(3, 0) is True             # any Cache may swap any two
    assert c.get("a") == b"zero" and c3.get("b") == b"three"


def test_flushdb_and_flushall(c, c3):
    c.set("a", 1)
    c3.set("a", 3)
    assert c3.flushdb() is True
    assert c3.dbsize() == 0 and c.get("a") == b"1"
    c3.set("a", 3)
    assert c3.flushall() is True
    assert c.dbsize() == 0 and c3.dbsize() == 0


def test_scan_per_db(c, c3):
    for i in range(50):
        c3.set("s:%d" % i, i)
    c.set("s:zero", 0)
    assert set(c3.scan_iter(match="s:*", count=7)) == {b"s:%d" % i for i in range(50)}
    assert list(c.scan_iter(match="s:*")) == [b"s:zero"]


def test_pipeline_and_mset_in_db(c, c3):
    with c3.pipeline() as p:
        p.mset({"x": 1, "y": 2}).incr("x").get("x").dbsize()
    assert p.results == [True, 2, b"2", 2]
    assert c.mget("x", "y") == [None, None]
    assert c3.mget("x", "y") == [b"2", b"2"]
    assert c3.exists("x", "y", "z") == 2 and c.exists("x", "y") == 0


def test_transaction_watches_its_db(c, c3):
    c3.set("n", 1)
    c.set("n", 100)
    with c3.transaction(watch=["n"]) as tx:
        c.set("n", 101)                        # another database's n
        tx.incr("n")
    assert tx.results == [2] and c.get("n") == b"101"
    tx = c3.transaction(watch=["n"])
    c3.set("n", 5)                             # this one: aborts
    tx.incr("n")
    with pytest.raises(kcache.WatchError):
        tx.execute()
    assert c3.get("n") == b"5"


def test_keyspace_event_names_db(c, c3):
    old = c.config_get()["notify"]
    c.config_set(notify=1)
    try:
        with c.subscribe(keyspace="ev:*") as p:
            c3.set("ev:a", 1)
            c.set("ev:a", 1)
            c3.flushdb()
            c.flushall()
            got = []
            while len(got) < 4:
                m = p.get_message(timeout=10.0)
                if m is None:
                    break
                got.append((m["event"], m["key"], m["db"]))
        assert got == [("set", b"ev:a", 3), ("set", b"ev:a", 0),
                       ("flush", None, 3), ("flush", None, None)]
    finally:
        c.config_set(notify=old)
