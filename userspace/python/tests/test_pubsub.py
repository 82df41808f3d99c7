# SPDX-License-Identifier: GPL-2.0
"""Pub/sub and keyspace events from the kcache netlink groups."""
import threading

import pytest

import kcache


def drain(p, n, timeout=10.0):
    out = []
    while len(out) < n:
        m = p.get_message(timeout=timeout)
        if m is None:
            break
        out.append(m)
    return out


def test_publish_subscribe(c):
    with c.subscribe("news", patterns=["sport.*"]) as p:
        c.publish("news", "hello")
        c.publish("other", "not for us")
        c.publish("sport.ski", b"\x00bin")
        c.publish("news", "")
        msgs = drain(p, 3)
        assert msgs == [
            {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"},
            {"type": "pmessage", "pattern": b"sport.*", "channel": b"sport.ski",
             "data": b"\x00bin"},
            {"type": "message", "pattern": None, "channel": b"news", "data": b""},
        ]
        assert p.get_message(timeout=0.2) is None
        p.unsubscribe("news")
        c.publish("news", "gone")
        c.publish("sport.run", "x")
        assert drain(p, 1)[0]["channel"] == b"sport.run"


def test_listen_generator_in_a_thread(c):
    got = []
    ready = threading.Event()

    def reader():
        with c.subscribe("chan") as p:
            ready.set()
            for m in p.listen():
                got.append(m["data"])
                if len(got) == 50:
                    return
    t = threading.Thread(target=reader)
    t.start()
    assert ready.wait(10)
    for i in range(50):
        c.publish("chan", str(i))
    t.join(30)
    assert got == [str(i).encode() for i in range(50)]


def test_cache_listen(c):
    gen = c.listen("a")
    c.publish("a", "first")  # before the generator starts: not subscribed yet
    # The subscription starts with the first next(): publish from a thread.
    threading.Timer(0.5, lambda: c.publish("a", "second")).start()
    m = next(gen)
    assert m["data"] == b"second"
    gen.close()


def test_keyspace_events(c):
    old = c.config_get()["notify"]
    c.config_set(notify=1)
    try:
        with c.subscribe(keyspace="user:*") as p:
            c.set("user:1", "x")
            c.set("other", "y")
            c.delete("user:1")
            c.set("user:2", "z", px=100)
            msgs = drain(p, 3)
            assert [(m["type"], m["event"], m["key"]) for m in msgs[:2]] == \
                [("keyspace", "set", b"user:1"), ("keyspace", "del", b"user:1")]
            assert (msgs[2]["event"], msgs[2]["key"]) == ("set", b"user:2")
            c.flushall()
            m = drain(p, 1)[0]
            assert m["event"] == "flush" and m["key"] is None
    finally:
        c.config_set(notify=old)


def test_pubsub_closed_and_bad_input(c):
    p = c.pubsub()
    with pytest.raises(kcache.InvalidArgument):
        p.subscribe(42)
    p.close()
    with pytest.raises(kcache.ClosedError):
        p.get_message()
    with pytest.raises(kcache.ClosedError):
        p.subscribe("x")
    with pytest.raises(kcache.DataError):
        c.publish("ch", None)


def test_pubsub_object_api(c):
    old = c.config_get()["notify"]
    c.config_set(notify=1)
    try:
        with c.pubsub() as p:
            assert not p.subscribed
            p.psubscribe("a.*", b"b?")
            assert p.subscribed
            c.publish("a.1", "x")
            c.publish("bb", "y")
            got = drain(p, 2)
            assert [(m["type"], m["pattern"], m["channel"]) for m in got] == \
                [("pmessage", b"a.*", b"a.1"), ("pmessage", b"b?", b"bb")]
            p.punsubscribe("a.*")
            c.publish("a.2", "x")
            assert p.get_message(timeout=0.3) is None
            p.punsubscribe()
            assert not p.subscribed
            p.keyspace("x*")
            c.set("y1", 1)
            c.set("x1", 1)
            c.expire("x1", -1)
            got = drain(p, 2)
            assert [(m["event"], m["key"]) for m in got] == [("set", b"x1"), ("del", b"x1")]
    finally:
        c.config_set(notify=old)


def test_slow_subscriber_gets_an_overrun(c):
    with c.subscribe("flood", rcvbuf=4096) as p:
        for i in range(1500):
            c.publish("flood", b"%d" % i + b"." * 200)
        msgs = drain(p, 1500, timeout=1.0)
    types = [m["type"] for m in msgs]
    assert "overrun" in types
    data = [m["data"] for m in msgs if m["type"] == "message"]
    # What did arrive came in order, and some was lost.
    nums = [int(d.split(b".")[0]) for d in data]
    assert nums == sorted(nums) and len(nums) < 1500
