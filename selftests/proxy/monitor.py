#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""MONITOR on kcache-proxy against redis-server 7.0.

The same clients run the same commands, one at a time, on kcache-proxy and
on a reference redis-server; a third client monitors.  Its stream must be
the expected one on both: each line's timestamp is checked for its form
and for being now, then replaced, and each client's address is checked to
be that client's (ip:port of its socket) and replaced by its name.  The
commands cover databases (SELECT 3 shows db 3), MULTI/EXEC (queued
commands shown at EXEC), AUTH and HELLO redaction, escaped binary
arguments, commands that are not shown (unknown, wrong arity, admin),
several clients (on either worker of the proxy), the monitor's own
commands and their refusal ("Replica can't interact with the keyspace"),
and RESET leaving monitor mode.  Then, on the proxy alone: a monitor that
does not read is dropped past --max-output-buffer, and monitors that come
and go leave no memory behind.
"""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import Proxy, Raw, Reference, Tap, cmd, resp_reply_len, skip_all  # noqa: E402

BIN = b"a\"b\\c\nd\re\tf\x07g\x08h\x00i\xffj \xc3\xa9~"
BIN_REPR = b'"a\\"b\\\\c\\nd\\re\\tf\\ag\\bh\\x00i\\xffj \\xc3\\xa9~"'
NCLIENTS = 4        # extra clients, one command each: some on each worker

# What the monitor must see, in order; A, B, C0.. are the clients, M the monitor.
EXPECTED = [
    b'[0 A] "DEL" "mon:k" "mon:x" "mon:l" "mon:bin"',
    b'[0 A] "SET" "mon:k" "v"',
    b'[0 A] "GET" "mon:k"',
    b'[0 A] "SET" "mon:bin" ' + BIN_REPR,
    b'[3 A] "SELECT" "3"',
    b'[3 A] "SET" "mon:k3" "x"',
    b'[3 A] "DEL" "mon:k3"',
    b'[0 A] "SELECT" "0"',
    b'[0 A] "MULTI"',
    b'[0 A] "SET" "mon:x" "1"',
    b'[0 A] "INCR" "mon:x"',
    b'[2 A] "SELECT" "2"',
    b'[2 A] "GET" "mon:x"',
    b'[2 A] "EXEC"',
    b'[0 A] "SELECT" "0"',
    b'[0 A] "MULTI"',
    b'[0 A] "DISCARD"',
    b'[0 A] "MULTI"',
    b'[0 A] "EXEC"',
    b'[0 A] "AUTH" "(redacted)"',
    b'[0 A] "AUTH" "(redacted)" "(redacted)"',
    b'[0 A] "AUTH" "a" "b" "c"',
    b'[0 A] "HELLO" "2" "AUTH" "(redacted)" "(redacted)" "setname" "n1"',
    b'[0 A] "HELLO" "3" "bogus" "auth" "a" "b"',
    b'[0 A] "HELLO" "2" "auth" "(redacted)" "(redacted)" "setname" "bad name" "auth" "c" "d"',
    b'[0 A] "CLIENT" "ID"',
    b'[0 A] "ECHO" "x y"',
    b'[0 A] "LPUSH" "mon:l" "x"',
    b'[0 A] "INCR" "mon:l"',
    b'[0 A] "BLPOP" "mon:nolist" "0.1"',
    b'[0 B] "PING"',
    b'[0 B] "SET" "mon:k2" "\\xc3\\xa9"',
] + [b'[0 C%d] "SET" "mon:c%d" "%d"' % (i, i, i) for i in range(NCLIENTS)] + [
    b'[0 A] "QUIT"',
]

# (A's commands, B's, ...) in the order they run; none of them waits for
# the monitor.  Commands Redis does not show are mixed in.
SCRIPT = [
    ("A", ("DEL", "mon:k", "mon:x", "mon:l", "mon:bin")),
    ("A", ("SET", "mon:k", "v")),
    ("A", ("GET", "mon:k")),
    ("A", ("SET", "mon:bin", BIN)),
    ("A", ("SELECT", "3")),
    ("A", ("SET", "mon:k3", "x")),
    ("A", ("DEL", "mon:k3")),
    ("A", ("SELECT", "0")),
    ("A", ("MULTI",)), ("A", ("SET", "mon:x", "1")), ("A", ("INCR", "mon:x")),
    ("A", ("SELECT", "2")), ("A", ("GET", "mon:x")), ("A", ("EXEC",)),
    ("A", ("SELECT", "0")),
    ("A", ("MULTI",)), ("A", ("SET", "mon:x", "2")), ("A", ("DISCARD",)),
    ("A", ("MULTI",)), ("A", ("NOSUCHCMD",)), ("A", ("EXEC",)),
    ("A", ("AUTH", "pw")), ("A", ("AUTH", "default", "pw")), ("A", ("AUTH", "a", "b", "c")),
    ("A", ("HELLO", "2", "AUTH", "default", "pw", "setname", "n1")),
    ("A", ("HELLO", "3", "bogus", "auth", "a", "b")),
    ("A", ("HELLO", "2", "auth", "default", "pw", "setname", "bad name", "auth", "c", "d")),
    ("A", ("nosuchcmd", "x")), ("A", ("GET",)), ("A", ("CLIENT", "NOSUCH")),
    ("A", ("CLIENT", "GETNAME", "extra")),
    ("A", ("CONFIG", "GET", "maxmemory")), ("A", ("CLIENT", "LIST")),
    ("A", ("SLOWLOG", "LEN")), ("A", ("CLIENT", "ID")),
    ("A", ("ECHO", "x y")),
    ("A", ("LPUSH", "mon:l", "x")), ("A", ("INCR", "mon:l")),
    ("A", ("BLPOP", "mon:nolist", "0.1")),
    ("B", ("PING",)), ("B", ("SET", "mon:k2", "\u00e9")),
] + [("C%d" % i, ("SET", "mon:c%d" % i, str(i))) for i in range(NCLIENTS)] + [
    ("A", ("QUIT",)),
]

LINE = re.compile(rb"^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$", re.S)


class Client(Raw):
    def req(self, *args, secs=5):
        """One command, its one reply."""
        self.send(cmd(*args))
        self.read_until(lambda b: resp_reply_len(b) is not None, secs)
        n = resp_reply_len(self.buf)
        if n is None:
            raise TimeoutError("no reply to %r (have %r)" % (args[:3], self.buf[:100]))
        r, self.buf = self.buf[:n], self.buf[n:]
        return r

    def addr(self):
        return "%s:%d" % self.s.getsockname()[:2]


def norm(t, data, names, what):
    """Monitor lines with "+<now>.<usec> [db <ip:port>]" checked, then named."""
    out, bad = [], []
    now = time.time()
    for ln in data.split(b"\r\n"):
        if not ln:
            continue
        m = LINE.match(ln)
        if not m or abs(int(m.group(1)) - now) > 120 or m.group(4).decode() not in names:
            bad.append(ln)
            out.append(ln)
            continue
        out.append(b"[%s %s] %s" % (m.group(3), names[m.group(4).decode()].encode(),
                                    m.group(5)))
    t.ok(not bad, "%s: every line is +<unix time>.<usec> [<db> <the client's ip:port>]" % what,
         b"\n".join(bad[:5]))
    return out


def scenario(t, port, what):
    """Runs the script with a monitor on port; returns what to compare."""
    res = {}
    m = Client(port)
    res["MONITOR"] = m.req("MONITOR")
    cl = {"A": Client(port), "B": Client(port)}
    for i in range(NCLIENTS):
        cl["C%d" % i] = Client(port)
    names = {c.addr(): n for n, c in cl.items()}
    names[m.addr()] = "M"
    for who, c in SCRIPT:
        cl[who].req(*c)
    end = Client(port)
    names[end.addr()] = "E"
    end.req("ECHO", "end-marker")
    marker = b'"ECHO" "end-marker"\r\n'
    data = m.read_until(lambda b: marker in b, 10)
    m.take()
    lines = norm(t, data, names, what)
    t.ok(lines and lines[-1] == b'[0 E] "ECHO" "end-marker"', "%s: the stream ends with the "
         "marker" % what, lines[-3:])
    res["stream"] = lines[:-1]

    # The monitor's own commands: refused when they touch keys; shown otherwise.
    def mon(*c, lines=0):
        r = m.req(*c)
        if lines:
            m.read_until(lambda b: b.count(b"\r\n") >= lines, 5)
        return [r] + norm(t, m.take(), names, what + " " + c[0])

    res["mon GET"] = mon("GET", "mon:k")
    res["mon SET"] = mon("SET", "mon:k", "w")
    res["mon PUBLISH"] = mon("PUBLISH", "ch", "m")
    res["mon OBJECT ENCODING"] = mon("OBJECT", "ENCODING", "mon:k")
    res["mon PING"] = mon("PING", lines=1)
    res["mon ECHO"] = mon("ECHO", "e", lines=1)
    info = m.req("CLIENT", "INFO")
    m.read_until(lambda b: b.count(b"\r\n") >= 1, 5)
    res["mon CLIENT INFO line"] = norm(t, m.take(), names, what + " CLIENT INFO")
    res["mon CLIENT INFO flags"] = re.findall(rb" flags=(\w+) ", info)
    # MONITOR again answers nothing: the PING after it is the next reply.
    m.send(cmd("MONITOR"))
    res["mon MONITOR PING"] = mon("PING", lines=1)
    res["mon MULTI"] = mon("MULTI", lines=1)
    res["mon MULTI GET"] = mon("GET", "mon:k")
    res["mon MULTI EXEC"] = mon("EXEC", lines=1)
    res["mon RESET"] = mon("RESET")
    # Out of monitor mode: no more lines, keys readable again.
    b = cl["B"]
    res["after RESET: B SET"] = b.req("SET", "mon:after", "1")
    res["after RESET: GET"] = m.req("GET", "mon:k")
    m.read_until(lambda b: False, 0.5)
    res["after RESET: nothing more"] = m.take()
    res["after RESET: CLIENT INFO flags"] = re.findall(rb" flags=(\w+) ", m.req("CLIENT", "INFO"))
    for c in list(cl.values()) + [m, end]:
        c.close()
    return res


def non_reader(t):
    """A monitor that never reads is dropped; a reading one is unharmed."""
    px = Proxy("--max-output-buffer", "4m")
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", px.rport))
        s.sendall(cmd("MONITOR"))
        good = Client(px.rport, 30)
        t.eq(good.req("MONITOR"), b"+OK\r\n", "slow monitor: a second monitor, which reads")
        seen = {"n": 0}

        def reader():
            buf = b""
            good.s.settimeout(30)
            while True:
                try:
                    d = good.s.recv(1 << 20)
                except OSError:
                    return
                if not d:
                    return
                buf += d
                k = buf.count(b"\r\n")
                seen["n"] += k
                buf = buf[buf.rfind(b"\r\n") + 2:] if k else buf

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        val = b"x" * (64 * 1024)
        a = Client(px.rport, 30)
        n = 200             # 200 lines of 64 KiB: 12.5 MiB for each monitor
        for i in range(n):
            t_ok = a.req("SET", "mon:big", val, secs=10)
            if t_ok != b"+OK\r\n":
                break
        msg = "output buffer over 4194304 bytes"
        end = time.time() + 20
        while time.time() < end and msg not in px.logtext():
            time.sleep(0.1)
        t.ok(msg in px.logtext(), "slow monitor: dropped past --max-output-buffer 4m",
             px.logtext()[-400:])
        s.settimeout(10)
        closed = False
        try:
            while not closed:
                closed = not s.recv(1 << 20)
        except OSError:
            closed = True
        t.ok(closed, "slow monitor: its connection is closed")
        end = time.time() + 20
        while time.time() < end and seen["n"] < n:
            time.sleep(0.1)
        t.eq(seen["n"], n, "slow monitor: the reading monitor received all %d lines" % n)
        t.eq(a.req("PING"), b"+PONG\r\n", "slow monitor: clients are still served")
        a.close()
        good.s.shutdown(socket.SHUT_RDWR)
        th.join(5)
        good.close()
        s.close()
    finally:
        px.stop()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def churn(t):
    """Monitors that come and go (closed, or RESET) leave nothing behind."""
    px = Proxy()
    try:
        a = Client(px.rport)
        for i in range(50):
            m = Client(px.rport)
            m.req("MONITOR")
            a.req("SET", "mon:churn", "x" * 1000)
            m.close()
        time.sleep(0.3)
        base = rss_kib(px.p.pid)
        for i in range(500):
            m = Client(px.rport)
            m.req("MONITOR")
            a.req("SET", "mon:churn", "x" * 1000)
            if i % 2:
                m.req("RESET")
            m.close()
        time.sleep(0.3)
        grew = rss_kib(px.p.pid) - base
        t.ok(grew < 4096, "500 monitors opened and closed: RSS grew %d KiB (< 4 MiB)" % grew)
        info = a.req("INFO", "clients")
        t.ok(b"connected_clients:1\r\n" in info, "after them, INFO counts one client",
             info[:200])
        # Nobody monitors now: a new client sees no stray lines.
        m = Client(px.rport)
        m.req("MONITOR")
        m.read_until(lambda b: False, 0.3)
        t.eq(m.take(), b"", "a new monitor gets no lines from before its MONITOR")
        a.req("SET", "mon:churn", "y")
        got = m.read_until(lambda b: b.endswith(b"\r\n"), 5)
        t.ok(re.match(rb'^\+\d+\.\d{6} \[0 127\.0\.0\.1:%d\] "SET" "mon:churn" "y"\r\n$' %
                      a.s.getsockname()[1], got), "and then gets the next command, only it", got)
        a.close()
        m.close()
        t.eq(px.stop(), 0, "the proxy exits 0")
    finally:
        px.stop()


def main():
    t = Tap()
    ref = Reference("redis")
    if not ref.p:
        skip_all("no /usr/bin/redis-server on the host root")
    px = Proxy()
    try:
        got = {}
        for name, port in (("kcache-proxy", px.rport), ("redis-server", ref.port)):
            try:
                got[name] = scenario(t, port, name)
            except Exception as e:  # noqa: BLE001 - report, keep going
                t.ok(False, "%s: the scenario runs" % name, "%s: %s" % (type(e).__name__, e))
                got[name] = {}
        k, r = got["kcache-proxy"], got["redis-server"]
        t.eq(r.get("stream"), EXPECTED, "redis-server shows the expected stream")
        t.eq(k.get("stream"), EXPECTED, "kcache-proxy shows the expected stream")
        for key in r:
            if key != "stream":
                t.eq(k.get(key), r[key], "monitor: %s as redis-server" % key)
        t.eq(r.get("mon GET", [None])[0], b"-ERR Replica can't interact with the keyspace\r\n",
             "a monitor's GET is refused with Redis's words")
        t.eq(k.get("mon CLIENT INFO flags"), [b"O"], "CLIENT INFO shows flags=O for a monitor")
        t.eq(k.get("mon RESET"), [b"+RESET\r\n"], "RESET answers +RESET, its line unseen")
    finally:
        px.stop()
        ref.stop()
    t.run("slow monitor", lambda: non_reader(t))
    t.run("monitor churn", lambda: churn(t))
    t.done()


if __name__ == "__main__":
    main()
