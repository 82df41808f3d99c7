# SPDX-License-Identifier: GPL-2.0
"""Strings, integers, bits and the memcached-style extras."""
import datetime
import time

import pytest

import kcache


def test_get_set_bytes_out(c):
    assert c.get("missing") is None
    assert c.set("k", "v") is True
    assert c.get("k") == b"v"
    assert c.get(b"k") == b"v"
    assert c.set(b"bin\x00key", b"\x00\xff" * 10) is True
    assert c.get(b"bin\x00key") == b"\x00\xff" * 10
    assert c.set("n", 42) and c.get("n") == b"42"
    assert c.set("f", 1.5) and c.get("f") == b"1.5"
    assert c.set("ba", bytearray(b"xy")) and c.get(memoryview(b"ba")) == b"xy"
    assert c.set("empty", b"") and c.get("empty") == b""


def test_str_keys_are_utf8(c):
    c.set("clé-☃", "välue")
    assert c.get("clé-☃".encode()) == "välue".encode()
    assert c.get("clé-☃") == "välue".encode()


def test_large_value_round_trips(c):
    v = bytes(range(256)) * 4096          # 1 MiB, past the first reply buffer
    assert c.set("big", v)
    assert c.get("big") == v
    assert c.strlen("big") == len(v)


def test_set_options(c):
    assert c.set("k", "a", nx=True) is True
    assert c.set("k", "b", nx=True) is None
    assert c.get("k") == b"a"
    assert c.set("x", "a", xx=True) is None
    assert c.get("x") is None
    assert c.set("k", "c", xx=True) is True
    assert c.set("k", "d", get=True) == b"c"
    assert c.set("new", "d", get=True) is None and c.get("new") == b"d"
    # Redis 7 SET NX GET: the old value, nothing changed.
    assert c.set("k", "e", nx=True, get=True) == b"d"
    assert c.get("k") == b"d"
    assert c.set("k", "t", ex=100)
    assert 98 <= c.ttl("k") <= 100
    assert c.set("k", "u", keepttl=True) and 98 <= c.ttl("k") <= 100
    assert c.set("k", "v") and c.ttl("k") == -1
    assert c.set("k", "p", px=50000) and 48000 < c.pttl("k") <= 50000
    assert c.set("k", "q", ex=datetime.timedelta(seconds=30)) and 28 <= c.ttl("k") <= 30
    assert c.set("k", "r", exat=int(time.time()) + 60) and 57 <= c.ttl("k") <= 60
    assert c.set("k", "s", pxat=int(time.time() * 1000) + 60000) and 57 <= c.ttl("k") <= 60
    with pytest.raises(kcache.InvalidArgument):
        c.set("k", "v", ex=0)
    with pytest.raises(kcache.InvalidArgument):
        c.set("k", "v", ex=10, px=10)
    with pytest.raises(kcache.InvalidArgument):
        c.set("k", "v", nx=True, xx=True)
    with pytest.raises(kcache.InvalidArgument):
        c.set("k", "v", ex=5, keepttl=True)


def test_expiry_happens(c):
    c.set("short", "v", px=200)
    assert c.get("short") == b"v"
    time.sleep(0.4)
    assert c.get("short") is None
    assert c.exists("short") == 0


def test_setnx_setex_getset_getdel_getex(c):
    assert c.setnx("k", 1) is True
    assert c.setnx("k", 2) is False
    assert c.setex("e", 100, "v") is True and 98 <= c.ttl("e") <= 100
    assert c.psetex("p", 100000, "v") is True and c.pttl("p") > 90000
    assert c.getset("k", 3) == b"1"
    assert c.getdel("k") == b"3"
    assert c.getdel("k") is None
    c.set("g", "v")
    assert c.getex("g", ex=50) == b"v" and 48 <= c.ttl("g") <= 50
    assert c.getex("g", persist=True) == b"v" and c.ttl("g") == -1
    assert c.getex("g") == b"v"
    assert c.getex("nope", ex=5) is None


def test_mget_mset_msetnx(c):
    assert c.mset({"a": 1, "b": b"2", "c": "3"}) is True
    assert c.mget(["a", "b", "missing", "c"]) == [b"1", b"2", None, b"3"]
    assert c.mget("a", "b") == [b"1", b"2"]
    assert c.msetnx({"x": 1, "a": 9}) is False
    assert c.get("x") is None and c.get("a") == b"1"
    assert c.msetnx({"x": 1, "y": 2}) is True
    assert c.mget("x", "y") == [b"1", b"2"]
    with pytest.raises(kcache.InvalidArgument):
        c.mset({})


def test_append_prepend_strlen_ranges(c):
    assert c.append("s", "hello") == 5
    assert c.append("s", " world") == 11
    assert c.prepend("s", ">") == 12
    assert c.get("s") == b">hello world"
    assert c.strlen("s") == 12 and c.strlen("missing") == 0
    assert c.getrange("s", 1, 5) == b"hello"
    assert c.getrange("s", -5, -1) == b"world"
    assert c.substr("s", 0, 0) == b">"
    assert c.getrange("missing", 0, 10) == b""
    assert c.setrange("s", 1, "HELLO") == 12
    assert c.get("s") == b">HELLO world"
    assert c.setrange("pad", 3, "x") == 4 and c.get("pad") == b"\0\0\0x"


def test_incr_decr(c):
    assert c.incr("n") == 1
    assert c.incr("n", 10) == 11
    assert c.incrby("n", -1) == 10
    assert c.decr("n") == 9
    assert c.decrby("n", 5) == 4
    assert c.get("n") == b"4"
    c.set("s", "abc")
    with pytest.raises(kcache.NotAnInteger):
        c.incr("s")
    c.set("max", str(2**63 - 1))
    with pytest.raises(kcache.IntegerOverflow):
        c.incr("max")
    assert c.get("max") == str(2**63 - 1).encode()


def test_bits(c):
    assert c.getbit("b", 7) == 0
    assert c.setbit("b", 7, 1) == 0
    assert c.get("b") == b"\x01"
    assert c.getbit("b", 7) == 1
    assert c.setbit("b", 7, 0) == 1
    assert c.setbit("b", 0, True) == 0
    assert c.get("b") == b"\x80"
    assert c.getbit("b", 1000) == 0
    with pytest.raises(kcache.InvalidArgument):
        c.getbit("b", -1)


def test_memcached_extras(c):
    assert c.add("m", "1") is True
    assert c.add("m", "2") is False
    assert c.replace("m", "3") is True
    assert c.replace("none", "3") is False
    v, cas = c.gets("m")
    assert v == b"3" and cas > 0
    assert c.cas("m", "4", cas) is True
    assert c.cas("m", "5", cas) is False
    assert c.get("m") == b"4"
    assert c.gets("none") is None
    assert c.touch("m", 100) is True and 98 <= c.ttl("m") <= 100
    assert c.touch("none", 100) is False
    assert c.gat("m", 200) == b"4" and c.ttl("m") > 150
    assert c.add("f", "v", flags=7)
