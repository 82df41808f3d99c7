#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy's blocking list and sorted-set commands against redis-server 7.0.

First the same commands on both servers, replies compared byte for byte:
LMOVE, RPOPLPUSH, LMPOP and the blocking forms with data present, timing
out, their argument and timeout errors, inside MULTI (never blocking) and
in RESP3, in other databases.  Then the same behaviour checks on both
servers: a client woken by another's push, three clients served in the
order they blocked, a pipelined command waiting behind a blocked one, a
disconnected waiter taking nothing, CLIENT UNBLOCK (TIMEOUT and ERROR),
INFO's blocked_clients, and waiters in other databases (served by a push
in their own, by SWAPDB and by MOVE, in line only behind their own
database's waiters).  The same for BZPOPMIN, BZPOPMAX and BZMPOP, woken
by ZADD, ZUNIONSTORE and RENAME.  Last, on the proxy only, a push straight
into the kernel (kcache-cli, no proxy) wakes a proxy client's BLPOP.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import BUILD, Proxy, Raw, Reference, Tap, cmd, resp_upto  # noqa: E402

CLI = os.environ.get("KCACHE_CLI", os.path.join(BUILD, "userspace", "kcache-cli"))

SCRIPT = [
    ("FLUSHALL",), ("RPUSH", "src", "a", "b", "c", "d"),
    ("LMOVE", "src", "dst", "LEFT", "RIGHT"), ("LMOVE", "src", "dst", "right", "left"),
    ("LRANGE", "dst", "0", "-1"), ("LMOVE", "src", "dst", "UP", "LEFT"),
    ("LMOVE", "src", "dst", "LEFT", "DOWN"), ("LMOVE", "nosuch", "dst", "LEFT", "LEFT"),
    ("EXISTS", "nosuch"), ("RPOPLPUSH", "src", "dst"), ("RPOPLPUSH", "nosuch", "dst"),
    # timeouts round up to whole milliseconds: 0.001 is 1 ms, not forever
    ("BLPOP", "nosuch", "0.001"), ("BLMPOP", "0.0001", "1", "nosuch", "LEFT"),
    ("BLMOVE", "nosuch", "dst", "LEFT", "LEFT", "0.001"), ("BZPOPMIN", "nosuch", "0.001"),
    ("LMOVE", "dst", "dst", "LEFT", "RIGHT"), ("LRANGE", "dst", "0", "-1"),
    ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"), ("LRANGE", "dst", "0", "-1"),
    ("SET", "str", "v"), ("LMOVE", "str", "dst", "LEFT", "LEFT"),
    ("LMOVE", "dst", "str", "LEFT", "LEFT"), ("LMOVE", "nosuch", "str", "LEFT", "LEFT"),
    ("RPOPLPUSH", "dst", "str"), ("LRANGE", "dst", "0", "-1"),
    ("LMPOP", "2", "nosuch", "dst", "LEFT"), ("LMPOP", "2", "nosuch", "dst", "RIGHT", "COUNT", "10"),
    ("LMPOP", "1", "dst", "LEFT"), ("RPUSH", "l2", "x", "y", "z"),
    ("LMPOP", "0", "l2", "LEFT"), ("LMPOP", "-1", "l2", "LEFT"), ("LMPOP", "x", "l2", "LEFT"),
    ("LMPOP", "3", "l2", "LEFT"), ("LMPOP", "2", "l2", "LEFT"), ("LMPOP", "1", "l2", "MIDDLE"),
    ("LMPOP", "1", "l2", "LEFT", "COUNT", "0"), ("LMPOP", "1", "l2", "LEFT", "COUNT", "x"),
    ("LMPOP", "1", "l2", "LEFT", "COUNT", "1", "COUNT", "2"), ("LMPOP", "1", "l2", "LEFT", "COUNT"),
    ("LMPOP", "1", "l2", "LEFT", "FOO"), ("LMPOP", "2", "str", "l2", "LEFT"),
    ("LMPOP", "2", "l2", "str", "RIGHT", "COUNT", "2"), ("LMPOP", "1", "l2"),
    ("LMPOP", "1", "nosuch", "LEFT"),
    # Blocking forms that find data or time out.
    ("RPUSH", "q", "1", "2", "3"), ("BLPOP", "q", "0"), ("BRPOP", "q", "0"),
    ("BLPOP", "nosuch", "q", "1.5"), ("EXISTS", "q"), ("BLPOP", "nosuch", "0.05"),
    ("BRPOP", "nosuch", "nosuch2", "0.05"), ("BLPOP", "str", "0"), ("BLPOP", "nosuch", "str", "0"),
    ("BLPOP", "q", "-1"), ("BLPOP", "q", "abc"), ("BLPOP", "q", ""),
    ("BLPOP", "q", "inf"), ("BLPOP", "q", "-inf"), ("BLPOP", "q", "nan"), ("BLPOP", "q", " 1"),
    ("BLPOP", "q", "1 "), ("BLPOP", "q", "1e30"),
    ("BLPOP", "q"),
    ("RPUSH", "m", "a", "b"), ("BLMOVE", "m", "md", "RIGHT", "LEFT", "0"),
    ("BLMOVE", "m", "md", "LEFT", "LEFT", "-1"), ("BLMOVE", "m", "md", "UP", "LEFT", "0"),
    ("BLMOVE", "m", "md", "LEFT", "LEFT", "x"), ("BLMOVE", "nosuch", "md", "LEFT", "LEFT", "0.05"),
    ("BLMOVE", "m", "str", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "m", "md", "0"),
    ("BRPOPLPUSH", "m", "md", "0.05"), ("BRPOPLPUSH", "m", "md", "-2"), ("LRANGE", "md", "0", "-1"),
    ("RPUSH", "bm", "1", "2", "3"), ("BLMPOP", "0", "2", "nosuch", "bm", "RIGHT", "COUNT", "2"),
    ("BLMPOP", "0.05", "1", "nosuch", "LEFT"), ("BLMPOP", "-1", "1", "bm", "LEFT"),
    ("BLMPOP", "x", "1", "bm", "LEFT"), ("BLMPOP", "0", "0", "bm", "LEFT"),
    ("BLMPOP", "0", "1", "bm", "SIDEWAYS"), ("BLMPOP", "0", "1", "bm", "LEFT", "COUNT", "0"),
    ("BLMPOP", "0", "1", "bm"), ("BLMPOP", "0", "1", "str", "LEFT"), ("BLMPOP", "0", "1", "bm", "LEFT"),
    ("EXISTS", "bm"),
    # Inside MULTI nothing blocks: nil at once, data if there is some.
    ("MULTI",), ("BLPOP", "nosuch", "0"), ("BRPOP", "nosuch", "0"),
    ("BLMOVE", "nosuch", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "nosuch", "d", "0"),
    ("BLMPOP", "0", "1", "nosuch", "LEFT"), ("RPUSH", "mq", "a", "b", "c"), ("BLPOP", "mq", "0"),
    ("BLMOVE", "mq", "mq2", "LEFT", "RIGHT", "0"), ("BLMPOP", "0", "1", "mq", "RIGHT", "COUNT", "5"),
    ("LMOVE", "mq2", "mq", "LEFT", "LEFT"), ("EXEC",),
    ("MULTI",), ("BLPOP", "q", "-1"), ("EXEC",),
    ("LRANGE", "mq", "0", "-1"), ("EXISTS", "d"),
    # In the selected database, also when a queued SELECT selected it.
    ("SELECT", "5"), ("RPUSH", "q5", "a"), ("BLPOP", "q5", "0"), ("SELECT", "0"),
    ("RPUSH", "q5", "b"), ("SELECT", "5"), ("BLPOP", "q5", "0.05"),
    ("BLMOVE", "q5", "d5", "LEFT", "LEFT", "0.05"), ("SELECT", "0"),
    ("BLMOVE", "q5", "d5", "LEFT", "LEFT", "0"), ("MULTI",), ("SELECT", "6"),
    ("RPUSH", "q6", "x", "y"), ("BLPOP", "q6", "0"), ("BLMPOP", "0", "2", "q5", "q6", "LEFT"),
    ("EXEC",), ("EXISTS", "q6"), ("SELECT", "0"), ("LRANGE", "d5", "0", "-1"),
    # Sorted sets: BZPOPMIN, BZPOPMAX, BZMPOP (and ZMPOP) with data, timing
    # out, their errors, inside MULTI, in another database.
    ("ZADD", "zq", "1", "a", "2", "b", "3", "c", "4", "d"), ("BZPOPMIN", "zq", "0"),
    ("BZPOPMAX", "nosuch", "zq", "0"), ("BZPOPMIN", "nosuch", "nosuch2", "0.05"),
    ("BZPOPMAX", "nosuch", "0.05"), ("BZPOPMIN", "str", "0"), ("BZPOPMIN", "nosuch", "str", "0"),
    ("BZPOPMIN", "zq", "-1"), ("BZPOPMIN", "zq", "abc"), ("BZPOPMIN", "zq", ""),
    ("BZPOPMIN", "zq", "nan"), ("BZPOPMIN", "zq", "1e30"), ("BZPOPMIN", "zq"),
    ("BZMPOP", "0", "2", "nosuch", "zq", "MIN", "COUNT", "5"), ("EXISTS", "zq"),
    ("BZMPOP", "0.05", "1", "zq", "MAX"), ("BZMPOP", "-1", "1", "zq", "MIN"),
    ("BZMPOP", "x", "1", "zq", "MIN"), ("BZMPOP", "0", "0", "zq", "MIN"),
    ("BZMPOP", "0", "-1", "zq", "MIN"), ("BZMPOP", "0", "3", "zq", "MIN"),
    ("BZMPOP", "0", "1", "zq", "SIDEWAYS"), ("BZMPOP", "0", "1", "zq", "MIN", "COUNT", "0"),
    ("BZMPOP", "0", "1", "zq", "MIN", "COUNT", "-3"), ("BZMPOP", "0", "1", "zq", "MIN", "COUNT"),
    ("BZMPOP", "0", "1", "zq"), ("BZMPOP", "0", "1", "str", "MIN"),
    ("ZADD", "zq2", "1", "x", "2", "y"), ("BZMPOP", "0", "2", "str", "zq2", "MIN"),
    ("BZMPOP", "0", "2", "zq2", "str", "MAX", "COUNT", "9"),
    ("MULTI",), ("BZPOPMIN", "nosuch", "0"), ("BZPOPMAX", "nosuch", "nosuch2", "0"),
    ("BZMPOP", "0", "1", "nosuch", "MIN"), ("ZADD", "zm", "1", "a", "2", "b", "3", "c"),
    ("BZPOPMIN", "zm", "0"), ("BZPOPMAX", "nosuch", "zm", "0"),
    ("BZMPOP", "0", "2", "nosuch", "zm", "MIN", "COUNT", "5"), ("BZPOPMIN", "zm", "0"),
    ("BZPOPMIN", "zm", "-1"), ("ZMPOP", "1", "zm", "MIN"), ("EXEC",),
    ("MULTI",), ("BZMPOP", "x", "1", "zm", "MIN"), ("EXEC",), ("EXISTS", "zm"),
    ("SELECT", "5"), ("ZADD", "zq5", "1", "a"), ("BZPOPMIN", "zq5", "0"), ("SELECT", "0"),
    ("ZADD", "zq5", "2", "b"), ("SELECT", "5"), ("BZPOPMIN", "zq5", "0.05"),
    ("BZMPOP", "0.05", "1", "zq5", "MIN"), ("SELECT", "0"), ("BZPOPMAX", "zq5", "0"),
    ("MULTI",), ("SELECT", "6"), ("ZADD", "zq6", "1", "x", "2", "y"), ("BZPOPMIN", "zq6", "0"),
    ("BZMPOP", "0", "2", "zq5", "zq6", "MAX"), ("EXEC",), ("EXISTS", "zq6"), ("SELECT", "0"),
]

RESP3 = [
    ("BLPOP", "nosuch", "0.05"), ("BLMOVE", "nosuch", "d", "LEFT", "LEFT", "0.05"),
    ("BLMPOP", "0.05", "1", "nosuch", "LEFT"), ("RPUSH", "r3", "a", "b"),
    ("BLMPOP", "0", "1", "r3", "LEFT", "COUNT", "5"), ("LMPOP", "1", "r3", "LEFT"),
    ("MULTI",), ("BLPOP", "nosuch", "0"), ("EXEC",),
    ("BZPOPMIN", "nosuch", "0.05"), ("BZMPOP", "0.05", "1", "nosuch", "MAX"),
    ("ZADD", "z3", "1", "a", "2.5", "b", "inf", "c"), ("BZPOPMIN", "z3", "0"),
    ("BZPOPMAX", "z3", "0"), ("BZMPOP", "0", "1", "z3", "MIN", "COUNT", "5"),
    ("MULTI",), ("BZPOPMAX", "nosuch", "0"), ("BZMPOP", "0", "1", "nosuch", "MIN"), ("EXEC",),
]


def one(r, *args, secs=5):
    r.send(cmd(*args))
    r.read_until(resp_upto(1), secs)
    return r.take()


def diff(t, px, ref):
    a, b = Raw(px.rport), Raw(ref.port)
    bad = []
    for c in SCRIPT:
        x, y = one(a, *c), one(b, *c)
        if x != y:
            bad.append("%r: proxy %r, redis %r" % (c, x[:200], y[:200]))
    t.ok(not bad, "%d commands: replies byte-identical to redis" % len(SCRIPT), "\n".join(bad[:15]))
    for r in (a, b):
        one(r, "HELLO", "3")
    bad = []
    for c in RESP3:
        x, y = one(a, *c), one(b, *c)
        if x != y:
            bad.append("%r: proxy %r, redis %r" % (c, x[:200], y[:200]))
    t.ok(not bad, "RESP3: %d commands byte-identical to redis" % len(RESP3), "\n".join(bad[:15]))
    a.close()
    b.close()


def silent(r, secs=0.3):
    """True when nothing arrives on r for secs."""
    return r.read_until(lambda b: len(b) > 0, secs) == b""


def info_blocked(port):
    r = Raw(port)
    b = one(r, "INFO", "clients")
    r.close()
    for line in b.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    return None


def behaviour(t, port, name):
    ctl = Raw(port)
    one(ctl, "FLUSHALL")

    # Woken by another client's push.
    a = Raw(port)
    a.send(cmd("BLPOP", "wk", "0"))
    t.ok(silent(a), "%s: BLPOP on a missing key waits" % name)
    t.eq(info_blocked(port), 1, "%s: INFO blocked_clients counts it" % name)
    one(ctl, "RPUSH", "wk", "v")
    t.eq(a.read_until(resp_upto(1)), b"*2\r\n$2\r\nwk\r\n$1\r\nv\r\n",
         "%s: a push wakes it with [key, element]" % name)
    a.take()
    t.eq(one(ctl, "EXISTS", "wk"), b":0\r\n", "%s: the element went to the waiter" % name)
    t.eq(info_blocked(port), 0, "%s: blocked_clients back to 0" % name)

    # A key someone waits on is skipped, another key's element taken.
    a.send(cmd("BLPOP", "sk1", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "sk2", "v2")
    b = Raw(port)
    t.eq(one(b, "BLPOP", "sk1", "sk2", "0"), b"*2\r\n$3\r\nsk2\r\n$2\r\nv2\r\n",
         "%s: BLPOP takes from a later key at once" % name)
    b.send(cmd("BLPOP", "sk1", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "sk1", "first", "second")
    t.eq(a.read_until(resp_upto(1)), b"*2\r\n$3\r\nsk1\r\n$5\r\nfirst\r\n",
         "%s: the older waiter gets the first element" % name)
    t.eq(b.read_until(resp_upto(1)), b"*2\r\n$3\r\nsk1\r\n$6\r\nsecond\r\n",
         "%s: the newer one the second" % name)
    a.take()
    b.close()

    # Three clients are served in the order they blocked.
    cs = [Raw(port) for _ in range(3)]
    for c in cs:
        c.send(cmd("BRPOP", "other", "fifo", "0"))
        time.sleep(0.2)
    one(ctl, "RPUSH", "fifo", "x1", "x2", "x3")
    got = [c.read_until(resp_upto(1)) for c in cs]
    # BRPOP: the first waiter takes the tail.
    t.eq(got, [b"*2\r\n$4\r\nfifo\r\n$2\r\nx%d\r\n" % i for i in (3, 2, 1)],
         "%s: one push of three: FIFO order of three waiters" % name)
    for c in cs:
        c.take()
        c.send(cmd("BLPOP", "fifo2", "0"))
        time.sleep(0.2)
    # One push at a time, each waiter's reply read before the next push:
    # kcache-proxy serves a waiter once the kernel says its key changed,
    # which may come after the pusher's own reply (kcache-proxy.rst).
    got = []
    for i, c in enumerate(cs):
        one(ctl, "LPUSH", "fifo2", "y%d" % i)
        got.append(c.read_until(resp_upto(1)))
    t.eq(got, [b"*2\r\n$5\r\nfifo2\r\n$2\r\ny%d\r\n" % i for i in range(3)],
         "%s: three pushes: FIFO order of three waiters" % name)
    for c in cs:
        c.close()

    # A pipelined command waits behind the blocked one.
    a.send(cmd("BLMOVE", "pk", "pd", "RIGHT", "LEFT", "0") + cmd("PING"))
    t.ok(silent(a), "%s: a command pipelined after BLMOVE waits" % name)
    one(ctl, "RPUSH", "pk", "e1")
    t.eq(a.read_until(resp_upto(2)), b"$2\r\ne1\r\n+PONG\r\n",
         "%s: BLMOVE answered, then the pipelined PING" % name)
    a.take()
    t.eq(one(ctl, "LRANGE", "pd", "0", "-1"), b"*1\r\n$2\r\ne1\r\n", "%s: BLMOVE moved it" % name)

    # A waiter whose destination is no list: WRONGTYPE once the source
    # has an element, which stays there; the client goes on.
    one(ctl, "SET", "wd", "nolist")
    a.send(cmd("BRPOPLPUSH", "ws", "wd", "0"))
    t.ok(silent(a), "%s: BRPOPLPUSH to a string destination waits" % name)
    one(ctl, "RPUSH", "ws", "a", "b", "c")
    t.eq(a.read_until(resp_upto(1), 5),
         b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
         "%s: a push answers the waiter WRONGTYPE (destination)" % name)
    a.take()
    t.eq(one(ctl, "LRANGE", "ws", "0", "-1"), b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
         "%s: the source keeps its elements, in order" % name)
    t.eq(info_blocked(port), 0, "%s: and the waiter is unblocked" % name)
    # A source that becomes no list is still waited on.
    one(ctl, "DEL", "ws")
    a.send(cmd("BLMOVE", "ws", "wl", "LEFT", "LEFT", "0"))
    time.sleep(0.2)
    one(ctl, "SET", "ws", "str")
    t.ok(silent(a), "%s: BLMOVE keeps waiting when its source becomes a string" % name)
    one(ctl, "DEL", "ws")
    one(ctl, "RPUSH", "ws", "x")
    t.eq(a.read_until(resp_upto(1), 5), b"$1\r\nx\r\n", "%s: and is served by the next push" % name)
    a.take()

    # Timeout.
    t0 = time.time()
    r = one(a, "BLPOP", "tk", "0.5")
    dt = time.time() - t0
    t.eq(r, b"*-1\r\n", "%s: BLPOP timeout: nil" % name)
    t.ok(0.4 <= dt < 3, "%s: after about 0.5 s (%.2f s)" % (name, dt))

    # A waiter that disconnects takes nothing.
    d = Raw(port)
    d.send(cmd("BLPOP", "dk", "0"))
    time.sleep(0.2)
    d.close()
    time.sleep(0.3)
    t.eq(info_blocked(port), 0, "%s: a disconnected waiter is no longer blocked" % name)
    a.send(cmd("BLPOP", "dk", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "dk", "z")
    t.eq(a.read_until(resp_upto(1)), b"*2\r\n$2\r\ndk\r\n$1\r\nz\r\n",
         "%s: the next waiter gets the element" % name)
    a.take()

    # CLIENT UNBLOCK.
    cid = int(one(a, "CLIENT", "ID")[1:-2])
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid)), b":0\r\n", "%s: CLIENT UNBLOCK of a client not blocked: 0" % name)
    a.send(cmd("BLPOP", "uk", "0"))
    time.sleep(0.2)
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid), "FOO"),
         b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", "%s: CLIENT UNBLOCK bad reason" % name)
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid)), b":1\r\n", "%s: CLIENT UNBLOCK: 1" % name)
    t.eq(a.read_until(resp_upto(1)), b"*-1\r\n", "%s: unblocked (TIMEOUT): nil" % name)
    a.take()
    a.send(cmd("BLMOVE", "uk", "ud", "LEFT", "LEFT", "0"))
    time.sleep(0.2)
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid), "ERROR"), b":1\r\n", "%s: CLIENT UNBLOCK ERROR: 1" % name)
    t.eq(a.read_until(resp_upto(1)), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
         "%s: unblocked (ERROR): the UNBLOCKED error" % name)
    a.take()
    t.eq(one(a, "PING"), b"+PONG\r\n", "%s: the unblocked client goes on" % name)
    a.close()
    databases(t, port, name, ctl)
    ctl.close()


def databases(t, port, name, ctl):
    """Waiters in other databases (ctl is in database 0)."""
    w0, w3, p3 = Raw(port), Raw(port), Raw(port)
    one(w3, "SELECT", "3")
    one(p3, "SELECT", "3")
    # In line only behind the waiters of the same database.
    w0.send(cmd("BLPOP", "dq", "0"))
    time.sleep(0.2)
    w3.send(cmd("BLPOP", "dq", "0"))
    time.sleep(0.2)
    one(p3, "RPUSH", "dq", "in3")
    t.eq(w3.read_until(resp_upto(1)), b"*2\r\n$2\r\ndq\r\n$3\r\nin3\r\n",
         "%s: a push in database 3 serves its waiter, not an older one in database 0" % name)
    w3.take()
    t.ok(silent(w0), "%s: the waiter in database 0 still waits" % name)
    one(ctl, "RPUSH", "dq", "in0")
    t.eq(w0.read_until(resp_upto(1)), b"*2\r\n$2\r\ndq\r\n$3\r\nin0\r\n",
         "%s: a push in database 0 serves that one" % name)
    w0.take()
    # SWAPDB and MOVE bring a list into a waiter's database.
    w3.send(cmd("BLPOP", "sq", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "sq", "from0")
    t.ok(silent(w3), "%s: a push to the same name in database 0 leaves database 3's waiter" % name)
    t.eq(one(ctl, "SWAPDB", "0", "3"), b"+OK\r\n", "%s: SWAPDB 0 3" % name)
    t.eq(w3.read_until(resp_upto(1)), b"*2\r\n$2\r\nsq\r\n$5\r\nfrom0\r\n",
         "%s: SWAPDB serves the waiter from the list it brought" % name)
    w3.take()
    one(ctl, "SWAPDB", "0", "3")
    w3.send(cmd("BLPOP", "mq", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "mq", "moved")
    t.eq(one(ctl, "MOVE", "mq", "3"), b":1\r\n", "%s: MOVE of a list to database 3" % name)
    t.eq(w3.read_until(resp_upto(1)), b"*2\r\n$2\r\nmq\r\n$5\r\nmoved\r\n",
         "%s: MOVE serves a waiter of the target database" % name)
    w3.take()
    t.eq(info_blocked(port), 0, "%s: nobody left blocked" % name)
    for r in (w0, w3, p3):
        r.close()


def zsets(t, port, name):
    """The blocking sorted-set pops, as the list checks above."""
    ctl = Raw(port)
    one(ctl, "FLUSHALL")
    pre = name + ": zset"

    # Woken by another client's ZADD: [key, member, score].
    a = Raw(port)
    a.send(cmd("BZPOPMIN", "zw", "0"))
    t.ok(silent(a), "%s: BZPOPMIN on a missing key waits" % pre)
    t.eq(info_blocked(port), 1, "%s: INFO blocked_clients counts it" % pre)
    one(ctl, "ZADD", "zw", "2", "b", "1.5", "a")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$2\r\nzw\r\n$1\r\na\r\n$3\r\n1.5\r\n",
         "%s: a ZADD wakes it with [key, member, score]" % pre)
    a.take()
    t.eq(one(ctl, "ZRANGE", "zw", "0", "-1"), b"*1\r\n$1\r\nb\r\n", "%s: the other member stays" % pre)
    t.eq(info_blocked(port), 0, "%s: blocked_clients back to 0" % pre)

    # BZMPOP with a count takes what one ZADD brought, from the highest.
    a.send(cmd("BZMPOP", "0", "2", "zm1", "zm2", "MAX", "COUNT", "2"))
    t.ok(silent(a), "%s: BZMPOP waits" % pre)
    one(ctl, "ZADD", "zm2", "1", "x", "2", "y", "3", "z")
    t.eq(a.read_until(resp_upto(1)),
         b"*2\r\n$3\r\nzm2\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n",
         "%s: BZMPOP MAX COUNT 2: the two highest" % pre)
    a.take()

    # ZUNIONSTORE and RENAME bring members too.
    a.send(cmd("BZPOPMAX", "zs", "0"))
    time.sleep(0.2)
    one(ctl, "ZUNIONSTORE", "zs", "1", "zm2")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$2\r\nzs\r\n$1\r\nx\r\n$1\r\n1\r\n",
         "%s: ZUNIONSTORE into the key serves BZPOPMAX" % pre)
    a.take()
    a.send(cmd("BZPOPMIN", "zr", "0"))
    time.sleep(0.2)
    one(ctl, "ZADD", "zsrc", "7", "r")
    one(ctl, "RENAME", "zsrc", "zr")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$2\r\nzr\r\n$1\r\nr\r\n$1\r\n7\r\n",
         "%s: RENAME onto the key serves BZPOPMIN" % pre)
    a.take()

    # Three clients are served in the order they blocked.
    cs = [Raw(port) for _ in range(3)]
    for c in cs:
        c.send(cmd("BZPOPMIN", "other", "zfifo", "0"))
        time.sleep(0.2)
    one(ctl, "ZADD", "zfifo", "1", "m1", "2", "m2", "3", "m3")
    got = [c.read_until(resp_upto(1)) for c in cs]
    t.eq(got, [b"*3\r\n$5\r\nzfifo\r\n$2\r\nm%d\r\n$1\r\n%d\r\n" % (i, i) for i in (1, 2, 3)],
         "%s: one ZADD of three: FIFO order of three waiters" % pre)
    for c in cs:
        c.take()
        c.send(cmd("BZPOPMAX", "zfifo2", "0"))
        time.sleep(0.2)
    got = []
    for i, c in enumerate(cs):
        one(ctl, "ZADD", "zfifo2", str(i), "n%d" % i)
        got.append(c.read_until(resp_upto(1)))
    t.eq(got, [b"*3\r\n$6\r\nzfifo2\r\n$2\r\nn%d\r\n$1\r\n%d\r\n" % (i, i) for i in range(3)],
         "%s: three ZADDs: FIFO order of three waiters" % pre)
    for c in cs:
        c.close()

    # A pipelined command waits behind the blocked one.
    a.send(cmd("BZMPOP", "0", "1", "zp", "MIN") + cmd("PING"))
    t.ok(silent(a), "%s: a command pipelined after BZMPOP waits" % pre)
    one(ctl, "ZADD", "zp", "5", "e")
    t.eq(a.read_until(resp_upto(2)),
         b"*2\r\n$2\r\nzp\r\n*1\r\n*2\r\n$1\r\ne\r\n$1\r\n5\r\n+PONG\r\n",
         "%s: BZMPOP answered, then the pipelined PING" % pre)
    a.take()

    # Timeout: nil (a null array), after about the time asked.
    for c in (("BZPOPMIN", "zt", "0.5"), ("BZMPOP", "0.5", "1", "zt", "MAX")):
        t0 = time.time()
        r = one(a, *c)
        dt = time.time() - t0
        t.eq(r, b"*-1\r\n", "%s: %s timeout: nil" % (pre, c[0]))
        t.ok(0.4 <= dt < 3, "%s: %s after about 0.5 s (%.2f s)" % (pre, c[0], dt))

    # A waiter that disconnects takes nothing.
    d = Raw(port)
    d.send(cmd("BZPOPMIN", "zd", "0"))
    time.sleep(0.2)
    d.close()
    time.sleep(0.3)
    t.eq(info_blocked(port), 0, "%s: a disconnected waiter is no longer blocked" % pre)
    a.send(cmd("BZPOPMAX", "zd", "0"))
    time.sleep(0.2)
    one(ctl, "ZADD", "zd", "1", "q")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$2\r\nzd\r\n$1\r\nq\r\n$1\r\n1\r\n",
         "%s: the next waiter gets the member" % pre)
    a.take()

    # A key of another type leaves the waiter waiting.
    a.send(cmd("BZPOPMIN", "zx", "0"))
    time.sleep(0.2)
    one(ctl, "RPUSH", "zx", "l")
    t.ok(silent(a), "%s: a list pushed under the key leaves BZPOPMIN waiting" % pre)
    one(ctl, "DEL", "zx")
    one(ctl, "ZADD", "zx", "3", "z")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$2\r\nzx\r\n$1\r\nz\r\n$1\r\n3\r\n",
         "%s: then a sorted set there serves it" % pre)
    a.take()

    # CLIENT UNBLOCK.
    cid = int(one(a, "CLIENT", "ID")[1:-2])
    a.send(cmd("BZPOPMIN", "zu", "0"))
    time.sleep(0.2)
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid)), b":1\r\n", "%s: CLIENT UNBLOCK: 1" % pre)
    t.eq(a.read_until(resp_upto(1)), b"*-1\r\n", "%s: unblocked (TIMEOUT): nil" % pre)
    a.take()
    a.send(cmd("BZMPOP", "0", "1", "zu", "MIN"))
    time.sleep(0.2)
    t.eq(one(ctl, "CLIENT", "UNBLOCK", str(cid), "ERROR"), b":1\r\n", "%s: CLIENT UNBLOCK ERROR: 1" % pre)
    t.eq(a.read_until(resp_upto(1)), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
         "%s: unblocked (ERROR): the UNBLOCKED error" % pre)
    a.take()

    # Databases: served by a ZADD in its own, by SWAPDB.
    w3, p3 = Raw(port), Raw(port)
    one(w3, "SELECT", "3")
    one(p3, "SELECT", "3")
    a.send(cmd("BZPOPMIN", "zdq", "0"))
    time.sleep(0.2)
    w3.send(cmd("BZPOPMIN", "zdq", "0"))
    time.sleep(0.2)
    one(p3, "ZADD", "zdq", "3", "in3")
    t.eq(w3.read_until(resp_upto(1)), b"*3\r\n$3\r\nzdq\r\n$3\r\nin3\r\n$1\r\n3\r\n",
         "%s: a ZADD in database 3 serves its waiter, not an older one in database 0" % pre)
    w3.take()
    t.ok(silent(a), "%s: the waiter in database 0 still waits" % pre)
    one(ctl, "ZADD", "zdq", "0", "in0")
    t.eq(a.read_until(resp_upto(1)), b"*3\r\n$3\r\nzdq\r\n$3\r\nin0\r\n$1\r\n0\r\n",
         "%s: a ZADD in database 0 serves that one" % pre)
    a.take()
    w3.send(cmd("BZMPOP", "0", "1", "zsq", "MIN"))
    time.sleep(0.2)
    one(ctl, "ZADD", "zsq", "1", "from0")
    t.ok(silent(w3), "%s: a ZADD to the same name in database 0 leaves database 3's waiter" % pre)
    t.eq(one(ctl, "SWAPDB", "0", "3"), b"+OK\r\n", "%s: SWAPDB 0 3" % pre)
    t.eq(w3.read_until(resp_upto(1)),
         b"*2\r\n$3\r\nzsq\r\n*1\r\n*2\r\n$5\r\nfrom0\r\n$1\r\n1\r\n",
         "%s: SWAPDB serves the waiter from the sorted set it brought" % pre)
    w3.take()
    one(ctl, "SWAPDB", "0", "3")
    t.eq(info_blocked(port), 0, "%s: nobody left blocked" % pre)
    for r in (a, w3, p3, ctl):
        r.close()


def kernel_push(t, px):
    a = Raw(px.rport)
    one(a, "DEL", "kk")
    a.send(cmd("BLPOP", "kk", "10"))
    t.ok(silent(a), "proxy: BLPOP waits for a direct kernel push")
    p = subprocess.run([CLI, "rpush", "kk", "from-kernel"], capture_output=True, timeout=30)
    t.ok(p.returncode == 0, "kcache-cli rpush ran", p.stderr)
    t0 = time.time()
    got = a.read_until(resp_upto(1), 5)
    t.eq(got, b"*2\r\n$2\r\nkk\r\n$11\r\nfrom-kernel\r\n", "proxy: a push through /dev/kcache wakes BLPOP")
    t.ok(time.time() - t0 < 2, "proxy: woken at once, not by the timeout")
    a.close()


def main():
    t = Tap()
    px = Proxy()
    ref = Reference("redis")
    if ref.p:
        t.run("diff", lambda: diff(t, px, ref))
        t.run("redis behaviour", lambda: behaviour(t, ref.port, "redis"))
        t.run("redis zsets", lambda: zsets(t, ref.port, "redis"))
    else:
        t.skip("replies compared with redis", "no redis-server")
    t.run("proxy behaviour", lambda: behaviour(t, px.rport, "proxy"))
    t.run("proxy zsets", lambda: zsets(t, px.rport, "proxy"))
    t.run("kernel push", lambda: kernel_push(t, px))
    ref.stop()
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")
    t.done()


if __name__ == "__main__":
    main()
