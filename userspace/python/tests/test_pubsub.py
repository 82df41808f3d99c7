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
