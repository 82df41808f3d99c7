# SPDX-License-Identifier: GPL-2.0
"""Lists, hashes, sets and set algebra with redis-py's return types."""
import errno

import pytest

import kcache


def test_lists(c):
    assert c.lpush("l", "b", "a") == 2
    assert c.rpush("l", "c", "d") == 4
    assert c.lrange("l", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert c.lrange("missing", 0, -1) == []
    assert c.llen("l") == 4 and c.llen("missing") == 0
    assert c.lindex("l", 1) == b"b" and c.lindex("l", -1) == b"d"
    assert c.lindex("l", 10) is None
    assert c.lpushx("nolist", "x") == 0 and c.exists("nolist") == 0
    assert c.rpushx("l", "e") == 5
    assert c.lpop("l") == b"a"
    assert c.rpop("l") == b"e"
    assert c.lpop("l", 2) == [b"b", b"c"]
    assert c.lpop("missing") is None
    assert c.lpop("missing", 2) is None
    c.rpush("l", "x", "d", "x", "x")
    assert c.lrem("l", 2, "x") == 2
    assert c.lrange("l", 0, -1) == [b"d", b"d", b"x"]
    assert c.lset("l", 0, "D") is True
    with pytest.raises(kcache.OutOfRange):
        c.lset("l", 99, "z")
    with pytest.raises(kcache.NoSuchKey):
        c.lset("missing", 0, "z")
    assert c.linsert("l", "before", "x", "w") == 4
    assert c.linsert("l", "AFTER", "x", "y") == 5
    assert c.linsert("l", "after", "nopivot", "y") == -1
    assert c.linsert("missing", "after", "x", "y") == 0
    assert c.lrange("l", 0, -1) == [b"D", b"d", b"w", b"x", b"y"]
    assert c.ltrim("l", 1, 2) is True
    assert c.lrange("l", 0, -1) == [b"d", b"w"]
    assert c.ltrim("missing", 0, 1) is True
    assert c.rpop("l", 5) == [b"w", b"d"]
    assert c.exists("l") == 0
    with pytest.raises(kcache.InvalidArgument):
        c.linsert("l", "middle", "x", "y")


def test_big_list_reply(c):
    # Replies past the first buffer are fetched again from the same inputs
    # (LRANGE's start and SCAN's cursor are in/out fields).
    vals = [b"%06d" % i + b"." * 100 for i in range(5000)]
    for i in range(0, len(vals), 1000):
        c.rpush("big", *vals[i:i + 1000])
    assert c.lrange("big", 0, -1) == vals
    assert c.lrange("big", 10, 4009) == vals[10:4010]
    keys = [b"k" * 200 + b"%05d" % i for i in range(200)]
    c.mset({k: 1 for k in keys})
    cursor, page = c.scan(0, match="k*", count=200)
    assert set(page) | set(c.scan_iter(match="k*")) == set(keys)


def test_hashes(c):
    assert c.hset("h", "f1", "v1") == 1
    assert c.hset("h", mapping={"f2": 2, "f3": b"3"}) == 2
    assert c.hset("h", items=["f1", "V1", "f4", "4"]) == 1
    assert c.hget("h", "f1") == b"V1" and c.hget("h", "nope") is None
    assert c.hget("missing", "f") is None
    assert c.hgetall("h") == {b"f1": b"V1", b"f2": b"2", b"f3": b"3", b"f4": b"4"}
    assert c.hgetall("missing") == {}
    assert c.hmget("h", ["f1", "nope", "f2"]) == [b"V1", None, b"2"]
    assert c.hmget("missing", "a", "b") == [None, None]
    assert sorted(c.hkeys("h")) == [b"f1", b"f2", b"f3", b"f4"]
    assert sorted(c.hvals("h")) == [b"2", b"3", b"4", b"V1"]
    assert c.hlen("h") == 4 and c.hlen("missing") == 0
    assert c.hexists("h", "f1") is True and c.hexists("h", "x") is False
    assert c.hexists("missing", "x") is False
    assert c.hstrlen("h", "f1") == 2 and c.hstrlen("h", "x") == 0
    assert c.hincrby("h", "n", 5) == 5 and c.hincrby("h", "n") == 6
    assert c.hsetnx("h", "f1", "z") is False
    assert c.hsetnx("h", "f9", "z") is True
    assert c.hdel("h", "f1", "f2", "nope") == 2
    assert c.hdel("missing", "f") == 0
    assert c.hmset("h2", {"a": 1}) is True and c.hget("h2", "a") == b"1"
    with pytest.raises(kcache.DataError):
        c.hset("h")
    c.hset("h", "f3x", "abc")
    with pytest.raises(kcache.NotAnInteger):
        c.hincrby("h", "f3x", 1)


def test_hscan_iter(c):
    c.hset("h", mapping={"a1": 1, "a2": 2, "b1": 3})
    assert dict(c.hscan_iter("h")) == {b"a1": b"1", b"a2": b"2", b"b1": b"3"}
    assert dict(c.hscan_iter("h", match="a*")) == {b"a1": b"1", b"a2": b"2"}
    assert c.hscan("h", match="b?") == (0, {b"b1": b"3"})
    assert list(c.hscan_iter("missing")) == []


def test_sets(c):
    assert c.sadd("s", "a", "b", "c") == 3
    assert c.sadd("s", "a", "d") == 1
    assert c.smembers("s") == {b"a", b"b", b"c", b"d"}
    assert c.smembers("missing") == set()
    assert c.scard("s") == 4 and c.scard("missing") == 0
    assert c.sismember("s", "a") is True and c.sismember("s", "z") is False
    assert c.sismember("missing", "z") is False
    assert c.smismember("s", ["a", "z", "b"]) == [True, False, True]
    assert c.smismember("missing", "a", "b") == [False, False]
    assert c.srem("s", "d", "z") == 1 and c.srem("missing", "a") == 0
    assert c.srandmember("s") in {b"a", b"b", b"c"}
    assert set(c.srandmember("s", 2)) <= {b"a", b"b", b"c"} and len(c.srandmember("s", 2)) == 2
    assert len(c.srandmember("s", -5)) == 5
    assert c.srandmember("missing") is None
    m = c.spop("s")
    assert m in {b"a", b"b", b"c"} and c.scard("s") == 2
    assert len(c.spop("s", 5)) == 2 and c.exists("s") == 0
    assert c.spop("missing") is None
    c.sadd("x", "1", "2")
    assert c.smove("x", "y", "1") is True and c.smove("x", "y", "9") is False
    assert c.smembers("y") == {b"1"}


def test_set_algebra(c):
    c.sadd("a", 1, 2, 3, 4)
    c.sadd("b", 3, 4, 5)
    c.sadd("d", 4, 6)
    assert c.sdiff("a", "b") == {b"1", b"2"}
    assert c.sinter(["a", "b"]) == {b"3", b"4"}
    assert c.sinter("a", "b", "d") == {b"4"}
    assert c.sunion(["a", "b", "d"]) == {b"1", b"2", b"3", b"4", b"5", b"6"}
    assert c.sdiff("a", "missing") == {b"1", b"2", b"3", b"4"}
    assert c.sinter("a", "missing") == set()
    assert c.sdiffstore("out", ["a", "b"]) == 2 and c.smembers("out") == {b"1", b"2"}
    assert c.sinterstore("out", "a", "b") == 2 and c.smembers("out") == {b"3", b"4"}
    assert c.sunionstore("out", "b", "d") == 4
    assert c.smembers("out") == {b"3", b"4", b"5", b"6"}


def test_sscan_iter(c):
    c.sadd("s", "m1", "m2", "x1")
    assert set(c.sscan_iter("s")) == {b"m1", b"m2", b"x1"}
    assert set(c.sscan_iter("s", match="m*")) == {b"m1", b"m2"}
    assert c.sscan("missing") == (0, [])


def test_wrong_type(c):
    c.set("str", "v")
    c.rpush("list", "v")
    for call in (lambda: c.lpush("str", 1), lambda: c.hget("str", "f"),
                 lambda: c.sadd("str", 1), lambda: c.get("list"),
                 lambda: c.incr("list"), lambda: c.smembers("list"),
                 lambda: c.hgetall("list"), lambda: c.lrange("str", 0, -1)):
        with pytest.raises(kcache.WrongType) as e:
            call()
        assert e.value.errno == errno.EPROTOTYPE and "WRONGTYPE" in str(e.value)
        assert isinstance(e.value, kcache.KcacheError)
