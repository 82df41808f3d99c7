#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy under hostile clients, both protocols: thousands of
connections held at once (and --maxclients past them), slowloris clients
that send a byte at a time or never finish a line, clients that pipeline
large replies and never read them, oversized pipelines and lengths, and an
open files limit below --maxclients.  Each time a well-behaved client must
still be answered, and the proxy's memory (VmRSS, VmHWM) must stay under
the bounds Documentation/kcache-proxy.rst gives.  Prints the figures it
measured as "# hostile:" lines."""
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import PROXY, Proxy, Raw, Tap, cmd, free_port, resp_upto, skip_all, wait_port  # noqa: E402

NCONN = int(os.environ.get("KC_HOSTILE_CONNS", "4000"))     # held at once
NSLOW = int(os.environ.get("KC_HOSTILE_SLOW", "400"))       # slowloris clients
LATENCY = 5.0       # seconds a well-behaved client may wait, whatever happens
MiB = 1 << 20


def note(msg):
    print("# hostile: " + msg, flush=True)


def status(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def info_field(r, section, field):
    r.send(cmd("INFO", section))
    b = r.read_until(resp_upto(1))
    r.take()
    for line in b.split(b"\r\n"):
        if line.startswith(field.encode() + b":"):
            return int(line.split(b":")[1])
    return None


def served(port, key, secs=LATENCY):
    """PING, SET, GET, DEL from a fresh client: (ok, seconds taken)."""
    t0 = time.time()
    try:
        r = Raw(port, secs)
        v = "v-%s" % key
        r.send(cmd("PING") + cmd("SET", key, v) + cmd("GET", key) + cmd("DEL", key))
        want = b"+PONG\r\n+OK\r\n$%d\r\n%s\r\n:1\r\n" % (len(v), v.encode())
        b = r.read_until(lambda b: len(b) >= len(want), secs)
        r.close()
    except OSError:
        return False, time.time() - t0
    return b == want, time.time() - t0


def mc_served(port, key, secs=LATENCY):
    t0 = time.time()
    try:
        r = Raw(port, secs)
        r.send(b"set %s 0 0 2\r\nmv\r\nget %s\r\ndelete %s\r\n" % (key.encode(), key.encode(),
                                                                   key.encode()))
        want = b"STORED\r\nVALUE %s 0 2\r\nmv\r\nEND\r\nDELETED\r\n" % key.encode()
        b = r.read_until(lambda b: len(b) >= len(want), secs)
        r.close()
    except OSError:
        return False, time.time() - t0
    return b == want, time.time() - t0


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    for lim in ((want, max(want, hard)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect_many(port, n, rcvbuf=0):
    """n blocking connections (loopback: the handshake needs no accept)."""
    out = []
    for _ in range(n):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


def exchange(socks, req, done, secs):
    """Sends req (bytes, or a function of the index) on every socket and reads
    each until done(reply) or EOF; returns the replies (None if unfinished)."""
    sel = selectors.DefaultSelector()
    got = [b""] * len(socks)
    fin = [False] * len(socks)
    for i, s in enumerate(socks):
        s.setblocking(False)
        try:
            s.send(req(i) if callable(req) else req)
        except OSError:
            fin[i] = True
            continue
        sel.register(s, selectors.EVENT_READ, i)
    left = len(socks) - sum(fin)
    end = time.time() + secs
    while left and time.time() < end:
        for key, _ in sel.select(max(0.01, end - time.time())):
            i = key.data
            try:
                d = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            got[i] += d
            if not d or done(got[i]):
                fin[i] = True
                left -= 1
                sel.unregister(key.fileobj)
    sel.close()
    for s in socks:
        s.setblocking(True)
        s.settimeout(10)
    return [g if f else None for g, f in zip(got, fin)]


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def wait_for(pred, secs):
    end = time.time() + secs
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


# ---------------------------------------------------------------- tests

def many_connections(t):
    """NCONN connections (3/4 Redis, 1/4 memcached) held at once."""
    have = raise_nofile(2 * NCONN + 1024)
    n = NCONN
    if have < NCONN + 256:
        n = max(100, have - 256)
        note("open files limited to %d: %d connections instead of %d" % (have, n, NCONN))
    nr, nm = n * 3 // 4, n - n * 3 // 4
    px = Proxy("--maxclients", str(n + 2))
    time.sleep(1)       # the start-up probes are closed
    base = status(px.p.pid, "VmRSS")
    ctl = Raw(px.rport, 30)
    t0 = time.time()
    rs = connect_many(px.rport, nr)
    ms = connect_many(px.mport, nm)
    secs_connect = time.time() - t0
    reps = exchange(rs, b"PING\r\n", lambda b: b.endswith(b"\r\n"), 60)
    mreps = exchange(ms, b"version\r\n", lambda b: b.endswith(b"\r\n"), 60)
    secs = time.time() - t0
    pong = sum(r == b"+PONG\r\n" for r in reps)
    ver = sum(r is not None and r.startswith(b"VERSION ") for r in mreps)
    t.eq((pong, ver), (nr, nm), "%d Redis and %d memcached clients connected and answered" % (nr, nm))
    rss = status(px.p.pid, "VmRSS")
    per = (rss - base) / n
    note("%d connections held: connect %.1f s, all answered after %.1f s; VmRSS %.1f MiB "
         "(%.1f MiB before, %.1f KiB a connection)" % (n, secs_connect, secs, rss / MiB,
                                                      base / MiB, per / 1024))
    t.ok(rss - base < n * 16 * 1024,
         "%d idle connections cost under 16 KiB each (%.1f KiB)" % (n, per / 1024))
    t.eq(info_field(ctl, "clients", "connected_clients"), n + 1,
         "INFO connected_clients counts all %d clients" % (n + 1))
    ok, lat = served(px.rport, "hostile:fresh")
    t.ok(ok, "with %d clients connected a fresh client gets PING/SET/GET/DEL answered "
         "(%.2f s)" % (n + 1, lat))
    note("fresh client answered in %.2f s with %d connections open" % (lat, n + 1))
    # The next ones are over --maxclients (n + 2: n, ctl and the fresh one
    # when it was connected; it is closed now, so take its place first).
    wait_for(lambda: info_field(ctl, "clients", "connected_clients") == n + 1, 10)
    extra = Raw(px.rport)
    extra.send(cmd("PING"))
    t.eq(extra.read_until(resp_upto(1)), b"+PONG\r\n",
         "client number %d (--maxclients) is served" % (n + 2))
    r1, m1 = Raw(px.rport), Raw(px.mport)
    t.eq(r1.read_until(lambda b: b.endswith(b"\r\n")), b"-ERR max number of clients reached\r\n",
         "Redis client over --maxclients: redis-server's error")
    t.ok(r1.closed(), "... and the connection is closed")
    t.eq(m1.read_until(lambda b: b.endswith(b"\r\n")), b"SERVER_ERROR Too many open connections\r\n",
         "memcached client over --maxclients: memcached's error")
    t.ok(m1.closed(), "... and the connection is closed")
    t.eq(info_field(ctl, "stats", "rejected_connections"), 2, "INFO rejected_connections:2")
    r1.close()
    m1.close()
    extra.close()
    close_all(rs + ms)
    t.ok(wait_for(lambda: info_field(ctl, "clients", "connected_clients") == 1, 30),
         "after they close, connected_clients is back to 1")
    note("VmHWM %.1f MiB, VmRSS after the clients closed %.1f MiB" %
         (status(px.p.pid, "VmHWM") / MiB, status(px.p.pid, "VmRSS") / MiB))
    ok, _ = served(px.rport, "hostile:after")
    t.ok(ok, "a client after them is served")
    ctl.close()
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")


def slowloris(t):
    """NSLOW clients each dripping a request a byte at a time."""
    px = Proxy()
    time.sleep(1)
    nr = NSLOW * 3 // 4
    nm = NSLOW - nr

    def req(i):
        if i < nr:
            k, v = "slow:%d" % i, "value-%d" % i
            if i % 3 == 0:
                return b"SET %s %s\r\n" % (k.encode(), v.encode())       # inline
            return cmd("SET", k, v)
        i -= nr
        return b"set slowm:%d 0 0 %d\r\nvalue-%d\r\n" % (i, len("value-%d" % i), i)
    reqs = [req(i) for i in range(NSLOW)]
    socks = connect_many(px.rport, nr) + connect_many(px.mport, nm)
    for s in socks:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # A few bytes each, then one more byte a round: every request stays
    # unfinished while the well-behaved client is timed.
    sent = [3] * NSLOW
    for s, r in zip(socks, reqs):
        s.sendall(r[:3])
    lats, bad = [], 0
    rounds = 8
    t0 = time.time()
    for _ in range(rounds):
        for i, s in enumerate(socks):
            if sent[i] < len(reqs[i]) - 1:
                s.sendall(reqs[i][sent[i]:sent[i] + 1])
                sent[i] += 1
        ok, lat = served(px.rport, "hostile:loris")
        bad += not ok
        lats.append(lat)
        ok, lat = mc_served(px.mport, "hostile:lorism")
        bad += not ok
        lats.append(lat)
    lats.sort()
    note("%d slowloris clients, %d rounds of one byte each in %.1f s: a well-behaved client "
         "waited %.3f s median, %.3f s at most" % (NSLOW, rounds, time.time() - t0,
                                                  lats[len(lats) // 2], lats[-1]))
    t.eq(bad, 0, "while %d slowloris clients dribble, other clients are answered correctly" % NSLOW)
    t.ok(lats[-1] < LATENCY, "... each within %.0f s (at most %.2f s)" % (LATENCY, lats[-1]))
    # The proxy kept every partial request: finishing them gets answers.
    reps = exchange(socks, lambda i: reqs[i][sent[i]:], lambda b: b.endswith(b"\r\n"), 60)
    want = [b"+OK\r\n"] * nr + [b"STORED\r\n"] * nm
    t.eq(sum(a == b for a, b in zip(reps, want)), NSLOW,
         "all %d requests sent a byte at a time are answered when finished" % NSLOW)
    r = Raw(px.rport, 20)
    r.send(cmd("MGET", *["slow:%d" % i for i in range(nr)]))
    b = r.read_until(resp_upto(1), 20)
    t.eq(b, b"*%d\r\n" % nr + b"".join(b"$%d\r\nvalue-%d\r\n" % (len(b"value-%d" % i), i)
                                      for i in range(nr)),
         "and stored what they sent")
    r.take()
    r.send(cmd("DEL", *["slow:%d" % i for i in range(nr)] + ["slowm:%d" % i for i in range(nm)]))
    t.eq(r.read_until(resp_upto(1)), b":%d\r\n" % NSLOW, "DEL of their keys")
    r.close()
    close_all(socks)

    # Lines that never end: the limit (64 KiB) answers the servers' error
    # and closes; the partial line before it costs no more than itself.
    cases = [
        (px.rport, b"GET " + b"k" * (64 * 1024), b"-ERR Protocol error: too big inline request\r\n",
         "Redis inline request over 64 KiB"),
        (px.rport, b"*" + b"1" * (64 * 1024 + 8), b"-ERR Protocol error: too big mbulk count string\r\n",
         "Redis multibulk count line over 64 KiB"),
        (px.rport, b"*1\r\n$" + b"1" * (64 * 1024 + 8),
         b"-ERR Protocol error: too big bulk count string\r\n", "Redis bulk length line over 64 KiB"),
        (px.mport, b"set " + b"k" * (64 * 1024), b"",
         "memcached line over 64 KiB (memcached closes without a reply)"),
    ]
    for port, data, want, name in cases:
        r = Raw(port, 10)
        for i in range(0, len(data), 8192):     # in pieces, as a slow client would
            r.send(data[i:i + 8192])
            time.sleep(0.01)
        b = r.read_until(lambda b: len(b) >= len(want), 10)
        t.ok(b == want and r.closed(), "%s: the error, then the connection is closed" % name, b[:100])
        r.close()

    ok, _ = served(px.rport, "hostile:loris2")
    t.ok(ok, "the proxy still serves new clients")
    note("slowloris proxy: VmHWM %.1f MiB" % (status(px.p.pid, "VmHWM") / MiB))
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")

    # --timeout 3: a silent client is closed, a dribbling one is not
    # (as redis-server: any input counts as activity).
    px = Proxy("--timeout", "3")
    idle, drip = Raw(px.rport, 20), Raw(px.rport, 20)
    drip.send(b"PI")
    t0 = time.time()
    for c in b"NG":
        time.sleep(2)
        drip.send(bytes([c]))
    closed = idle.closed(10)
    t.ok(closed, "--timeout 3: a silent client is closed (after %.1f s)" % (time.time() - t0))
    drip.send(b"\r\n")
    t.eq(drip.read_until(lambda b: b.endswith(b"\r\n")), b"+PONG\r\n",
         "--timeout 3: a client sending a byte every 2 s is kept")
    idle.close()
    drip.close()
    t.eq(px.stop(), 0, "the --timeout proxy exits 0 on SIGTERM")


def non_reader(t):
    """Clients that pipeline GETs of a 256 KiB value and never read."""
    px = Proxy("--max-output-buffer", "8m")
    time.sleep(1)
    val = os.urandom(256 * 1024)
    ngets = 2000        # 500 MiB of replies each
    ctl = Raw(px.rport, 30)
    ctl.send(cmd("SET", "hostile:big", val))
    t.eq(ctl.read_until(resp_upto(1)), b"+OK\r\n", "SET of a 256 KiB value")
    ctl.take()
    m = Raw(px.mport, 30)
    m.send(b"set hostile:bigm 0 0 %d\r\n%s\r\n" % (len(val), val))
    t.eq(m.read_until(lambda b: b.endswith(b"\r\n")), b"STORED\r\n", "memcached set of it")
    m.close()
    base = status(px.p.pid, "VmRSS")

    x, xm, y = connect_many(px.rport, 1, 4096) + connect_many(px.mport, 1, 4096) + \
        connect_many(px.rport, 1, 4096)
    x.sendall(cmd("GET", "hostile:big") * ngets)
    xm.sendall(b"get" + b" hostile:bigm" * ngets + b"\r\n")
    y.sendall(cmd("GET", "hostile:big") * 16)      # 4 MiB: over 1 MiB, under 8
    lats, bad = [], 0
    t0 = time.time()
    while time.time() - t0 < 4:
        ok, lat = served(px.rport, "hostile:nr")
        bad += not ok
        lats.append(lat)
    t.ok(bad == 0 and max(lats) < LATENCY,
         "while 3 clients do not read, another is answered (%d times, at most %.2f s)" %
         (len(lats), max(lats)))
    dropped = lambda: px.logtext().count("output buffer over 8388608 bytes") >= 2   # noqa: E731
    t.ok(wait_for(dropped, 30), "the two with 500 MiB of replies pending are dropped "
         "past --max-output-buffer 8m", px.logtext()[-600:])
    hwm = status(px.p.pid, "VmHWM")
    note("non-readers: VmRSS %.1f MiB before, VmHWM %.1f MiB with 2 x %d MiB of replies "
         "asked for" % (base / MiB, hwm / MiB, ngets * len(val) // MiB))
    t.ok(hwm - base < 160 * MiB, "the proxy's memory stayed bounded: VmHWM %.1f MiB, "
         "%.1f MiB over its start" % (hwm / MiB, (hwm - base) / MiB))

    def drain(s):
        n, s2 = 0, s
        s2.settimeout(20)
        try:
            while True:
                d = s2.recv(1 << 20)
                if not d:
                    return n, True
                n += len(d)
        except OSError as e:
            return n, not isinstance(e, socket.timeout)
    for s, name, full in ((x, "Redis", ngets * (len(val) + 12)),
                          (xm, "memcached", ngets * (len(val) + 30))):
        n, eof = drain(s)
        t.ok(eof and n < full, "%s non-reader: connection closed after %.1f of %d MiB" %
             (name, n / MiB, full // MiB))
    t.eq(info_field(ctl, "clients", "connected_clients"), 2,
         "the client under the limit stays connected (paused)")
    # It reads at last and gets all 16 replies.
    y.settimeout(30)
    want = (b"$%d\r\n%s\r\n" % (len(val), val)) * 16
    got = b""
    try:
        while len(got) < len(want):
            d = y.recv(1 << 20)
            if not d:
                break
            got += d
    except OSError:
        pass
    t.ok(got == want, "a paused client that reads at last gets all 16 replies (%d of %d bytes)"
         % (len(got), len(want)))
    close_all([x, xm, y])
    ctl.send(cmd("DEL", "hostile:big", "hostile:bigm"))
    t.eq(ctl.read_until(resp_upto(1)), b":2\r\n", "DEL of both values")
    ctl.close()
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")


def pipelines(t):
    """100k commands in one write; counts and lengths past the limits."""
    px = Proxy()
    time.sleep(1)
    n = 100000
    base = status(px.p.pid, "VmRSS")

    def pipeline(port, data, tail, secs=120):
        r = Raw(port, secs)
        th = threading.Thread(target=r.send, args=(data,))
        th.start()      # the proxy stops reading when we do not: read meanwhile
        t0 = time.time()
        b = r.read_until(lambda b: b.endswith(tail), secs)
        th.join(secs)
        r.close()
        return b, time.time() - t0
    b, secs = pipeline(px.rport, cmd("DEL", "hostile:pc") + cmd("INCR", "hostile:pc") * n,
                       b":%d\r\n" % n)
    want = b":0\r\n" + b"".join(b":%d\r\n" % i for i in range(1, n + 1))
    t.ok(b == want, "Redis: %d INCRs in one write, every reply in order (%.1f s)" % (n, secs),
         b[-100:])
    b, secs2 = pipeline(px.mport, b"set hostile:pm 0 0 1\r\n0\r\n" + b"incr hostile:pm 1\r\n" * n,
                        b"\r\n%d\r\n" % n)
    want = b"STORED\r\n" + b"".join(b"%d\r\n" % i for i in range(1, n + 1))
    t.ok(b == want, "memcached: %d incr in one write, every reply in order (%.1f s)" % (n, secs2),
         b[-100:])
    note("pipelines of %d commands: Redis %.1f s, memcached %.1f s" % (n, secs, secs2))

    bad = [
        (px.rport, b"*2000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n",
         "*N over --max-args (1048576)"),
        (px.rport, b"*9223372036854775808\r\n", b"-ERR Protocol error: invalid multibulk length\r\n",
         "*N past 2^63"),
        (px.rport, b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n",
         "$N over --max-bulk (512 MiB, Redis's proto-max-bulk-len)"),
        (px.rport, b"*1\r\n$99999999999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n",
         "$N past 2^64"),
    ]
    for port, data, want, name in bad:
        r = Raw(port)
        r.send(cmd("PING") + data)
        b = r.read_until(lambda b: len(b) >= 7 + len(want))
        t.ok(b == b"+PONG\r\n" + want and r.closed(), "%s: protocol error, closed" % name, b[:100])
        r.close()
    # memcached: a data block over item_size_max is read and dropped, the
    # connection goes on (memcached's behaviour).
    r = Raw(px.mport, 30)
    big = 2 * MiB
    r.send(b"set hostile:huge 0 0 %d\r\n" % big)
    for i in range(0, big, 256 * 1024):
        r.send(b"x" * 256 * 1024)
    r.send(b"\r\nget hostile:huge\r\nversion\r\n")
    b = r.read_until(lambda b: b.count(b"\r\n") >= 3, 30)
    t.ok(b.startswith(b"SERVER_ERROR object too large for cache\r\nEND\r\nVERSION "),
         "memcached: a 2 MiB data block is refused and skipped, the connection goes on", b[:100])
    r.take()
    # More keys in one get than the 8192 of a piece: memcached's key lists
    # have no limit; a key that never ends is refused, its line skipped.
    r.send(b"get" + b" k" * 9000 + b"\r\nversion\r\n")
    b = r.read_until(lambda b: b.count(b"\r\n") >= 2, 30)
    t.ok(b.startswith(b"END\r\nVERSION "),
         "memcached: get with 9000 keys is served, the connection goes on", b[:100])
    r.take()
    r.send(b"get " + b"k" * (256 * 1024))
    r.send(b"\r\nversion\r\n")
    b = r.read_until(lambda b: b.count(b"\r\n") >= 2, 30)
    t.ok(b.startswith(b"CLIENT_ERROR bad command line format\r\nVERSION "),
         "memcached: a 256 KiB key in a get is refused, its line skipped", b[:100])
    r.close()
    # *1048576 announced and never sent: nothing is allocated for it.
    r = Raw(px.rport)
    r.send(b"*1048576\r\n$3\r\nSET\r\n")
    time.sleep(0.5)
    ok, lat = served(px.rport, "hostile:pl")
    t.ok(ok, "with a 1048576-argument command pending, others are served (%.2f s)" % lat)
    rss = status(px.p.pid, "VmRSS")
    t.ok(rss - base < 64 * MiB, "pipelines: VmRSS %.1f MiB, %.1f MiB over its start" %
         (rss / MiB, (rss - base) / MiB))
    r.close()
    note("pipelines proxy: VmHWM %.1f MiB" % (status(px.p.pid, "VmHWM") / MiB))
    c = Raw(px.rport)
    c.send(cmd("DEL", "hostile:pc", "hostile:pm"))
    t.eq(c.read_until(resp_upto(1)), b":2\r\n", "DEL of the counters")
    c.close()
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")


def fd_limit(t):
    """Open files limit 256 under --maxclients 10000: the proxy lowers
    --maxclients and refuses the rest instead of spinning on EMFILE."""
    if os.geteuid() != 0 or not os.access("/usr/bin/setpriv", os.X_OK):
        t.skip("open files limit", "needs root and setpriv")
        return
    rport, mport = free_port(), free_port()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "kcache-proxy-fd-%d.log" % rport), "w+")

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    # Without CAP_SYS_RESOURCE it cannot raise its hard limit.
    p = subprocess.Popen(["/usr/bin/setpriv", "--bounding-set", "-sys_resource", PROXY,
                          "--bind", "127.0.0.1", "--redis-port", str(rport), "--memcache-port",
                          str(mport), "--threads", "2"], stdout=log, stderr=subprocess.STDOUT,
                         preexec_fn=limit)
    try:
        if not t.ok(wait_port(rport, p) and wait_port(mport, p), "proxy with 256 open files starts"):
            return
        time.sleep(1)
        log.flush()
        log.seek(0)
        text = log.read()
        maxc = 256 - (32 + 8 * 2)
        t.ok("--maxclients lowered from 10000 to %d" % maxc in text,
             "it lowers --maxclients to %d and says so" % maxc, text[-400:])
        # More than the 256 descriptors: without the lowered limit accept()
        # fails with EMFILE and the last ones are never answered.
        socks = connect_many(rport, maxc + 60)
        reps = exchange(socks, b"PING\r\n", lambda b: b.endswith(b"\r\n"), 20)
        pong = sum(r == b"+PONG\r\n" for r in reps)
        refused = sum(r == b"-ERR max number of clients reached\r\n" for r in reps)
        t.eq((pong, refused), (maxc, 60), "%d clients served, 60 refused with the error" % maxc)
        ticks0 = sum(int(x) for x in open("/proc/%d/stat" % p.pid).read().split(")")[1].split()[11:13])
        time.sleep(2)
        ticks1 = sum(int(x) for x in open("/proc/%d/stat" % p.pid).read().split(")")[1].split()[11:13])
        t.ok(ticks1 - ticks0 < 100, "and does not spin while full (%d CPU ticks in 2 s)" %
             (ticks1 - ticks0))
        close_all(socks)
        time.sleep(1)
        ok, _ = served(rport, "hostile:fd")
        t.ok(ok, "a client after they closed is served")
        log.seek(0)
        t.ok("Too many open files" not in log.read(), "no accept() EMFILE in the log")
    finally:
        p.terminate()
        try:
            t.eq(p.wait(10), 0, "the proxy exits 0 on SIGTERM")
        except subprocess.TimeoutExpired:
            p.kill()
            t.ok(False, "the proxy exits on SIGTERM")


def main():
    if not os.path.exists("/dev/kcache"):
        skip_all("no /dev/kcache (kcache.ko not loaded)")
    t = Tap()
    t0 = time.time()
    for name, fn in (("many connections", many_connections), ("slowloris", slowloris),
                     ("non-reader", non_reader), ("pipelines", pipelines),
                     ("fd limit", fd_limit)):
        t1 = time.time()
        t.run(name, lambda: fn(t))
        note("%s took %.1f s" % (name, time.time() - t1))
    note("total %.1f s" % (time.time() - t0))
    t.done()


if __name__ == "__main__":
    main()
