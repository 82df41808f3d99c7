# SPDX-License-Identifier: GPL-2.0
"""Keys: DEL, EXISTS, TYPE, RENAME, expiry, SCAN, FLUSH and the server
calls (version, stats, class_stats, config)."""
import time

import pytest

import kcache


def test_delete_exists(c):
    c.mset({"a": 1, "b": 2, "c": 3})
    assert c.exists("a") == 1
    assert c.exists("a", "b", "zz", "a") == 3
    assert c.delete("a") == 1
    assert c.delete("a") == 0
    assert c.delete("b", "c", "zz") == 2
    assert c.exists("a", "b", "c") == 0
    c.set("u", 1)
    assert c.unlink("u") == 1


def test_type(c):
    c.set("s", 1)
    c.rpush("l", 1)
    c.hset("h", "f", 1)
    c.sadd("z", 1)
    assert [c.type(k) for k in ("s", "l", "h", "z", "none")] == \
        [b"string", b"list", b"hash", b"set", b"none"]


def test_rename(c):
    c.set("a", 1)
    assert c.rename("a", "b") is True
    assert c.get("b") == b"1" and c.get("a") is None
    with pytest.raises(kcache.NoSuchKey):
        c.rename("a", "c")
    c.set("c", 3)
    assert c.renamenx("b", "c") is False
    assert c.renamenx("b", "d") is True
    assert c.get("d") == b"1"
    with pytest.raises(kcache.NoSuchKey):
        c.renamenx("nope", "e")


def test_expire_family(c):
    c.set("k", "v")
    assert c.ttl("k") == -1 and c.pttl("k") == -1
    assert c.ttl("missing") == -2 and c.pttl("missing") == -2
    assert c.expire("k", 100) is True
    assert 98 <= c.ttl("k") <= 100
    assert c.expire("k", 50, nx=True) is False
    assert c.expire("k", 200, gt=True) is True and c.ttl("k") > 150
    assert c.expire("k", 300, lt=True) is False
    assert c.expire("k", 10, xx=True) is True and c.ttl("k") <= 10
    assert c.pexpire("k", 100000) is True and c.pttl("k") > 90000
    assert c.expireat("k", int(time.time()) + 500) is True and c.ttl("k") > 400
    assert c.pexpireat("k", int(time.time() * 1000) + 600000) is True and c.ttl("k") > 500
    assert c.persist("k") is True and c.ttl("k") == -1
    assert c.persist("k") is False
    assert c.persist("missing") is False
    assert c.expire("missing", 10) is False
    with pytest.raises(kcache.InvalidArgument):
        c.expire("k", 10, nx=True, xx=True)
    assert c.expire("k", -1) is True
    assert c.exists("k") == 0


def test_scan(c):
    keys = {("key:%d" % i).encode() for i in range(300)}
    with c.pipeline() as p:
        for k in keys:
            p.set(k, 1)
        p.rpush("list:1", "x")
    seen = set()
    cursor = 0
    calls = 0
    while True:
        cursor, page = c.scan(cursor, match="key:*", count=50)
        seen.update(page)
        calls += 1
        if cursor == 0:
            break
    assert seen == keys and calls > 1
    assert set(c.scan_iter(match="key:1?")) == {("key:%d" % i).encode() for i in range(10, 20)}
    assert set(c.scan_iter(_type="list")) == {b"list:1"}
    assert set(c.scan_iter(type="list")) == {b"list:1"}
    assert set(c.keys("list:*")) == {b"list:1"}
    assert len(c.keys()) == 301
    assert c.dbsize() == 301
    # Sorted sets are a type the kernel knows: none here.
    assert set(c.scan_iter(_type="zset")) == set()
    with pytest.raises(kcache.InvalidArgument):
        c.scan(0, _type="stream")
    with pytest.raises(kcache.InvalidArgument):
        c.scan(0, count=0)


def test_scan_iter_is_lazy(c):
    with c.pipeline() as p:
        for i in range(100):
            p.set("lazy:%d" % i, i)
    it = c.scan_iter(count=10)
    first = next(it)
    assert first.startswith(b"lazy:")
    before = c.stats()
    # Nothing more is asked until the generator is pulled again.
    assert c.stats()["curr_items"] == before["curr_items"] == 100
    rest = list(it)
    assert len(set(rest) | {first}) == 100


def test_flush_and_ping(c):
    c.set("a", 1)
    assert c.ping() is True
    assert c.flushall() is True
    assert c.get("a") is None
    c.set("b", 1)
    assert c.flushdb() is True and c.dbsize() == 0


def test_server_calls(c):
    v = c.version()
    assert v["abi_version"] == kcache._kcache.KC_ABI_VERSION and v["key_max"] == 250
    assert v["batch_max"] == 4096 and v["nr_classes"] > 0
    s0 = c.info()
    c.set("a", "b")
    c.get("a")
    c.get("nope")
    s1 = c.stats()
    assert s1["cmd_set"] == s0["cmd_set"] + 1
    assert s1["get_hits"] == s0["get_hits"] + 1
    assert s1["get_misses"] == s0["get_misses"] + 1
    assert s1["curr_items"] == 1 and s1["limit_bytes"] > 0
    cls = c.class_stats()
    assert len(cls) == v["nr_classes"]
    assert sum(x["items"] for x in cls) == 1
    cfg = c.config_get()
    assert cfg["item_size_max"] == v["item_size_max"]
    old = cfg["notify"]
    try:
        assert c.config_set(notify=1)["notify"] == 1
        assert c.config_get()["notify"] == 1
    finally:
        c.config_set(notify=old)
    with pytest.raises(kcache.InvalidArgument):
        c.config_set()
