#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sorted sets between redis-server 7.0 and kcache's RDB code, on the host.

rdb_interop.py RDB_UNIT: starts a redis-server on loopback, fills it with
small (listpack) and large (skiplist) sorted sets, scores such as 1, -2.5,
1e300, inf, -inf, 0.1 and integers, SAVEs, and then checks that
  - the reader (RDB_UNIT show) finds every member and score of its file,
    as ZRANGE 0 -1 WITHSCORES gives them;
  - the writer's file of the same keys (RDB_UNIT copy) passes
    redis-check-rdb and a redis-server started on it answers ZRANGE 0 -1
    WITHSCORES and OBJECT ENCODING exactly as the first;
  - the writer's DUMP payload of each key (RDB_UNIT dumps) is byte for
    byte redis-server's DUMP (rdbcompression off: the writer never
    compresses).
Prints TAP; skips when redis-server or redis-check-rdb is missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
CHECK = shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb"


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), 30)
        self.f = self.s.makefile("rb")

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("bad reply %r" % line)

    def __call__(self, *args):
        self.s.sendall(enc(*args))
        return self.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Redis:
    def __init__(self, d, fn):
        self.port = free_port()
        self.p = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
                                   "--dir", d, "--dbfilename", fn, "--save", "",
                                   "--appendonly", "no", "--logfile", os.path.join(d, "redis.log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 30
        while True:
            try:
                self.c = Client(self.port)
                if self.c("ping") == "PONG":
                    break
            except (OSError, RuntimeError):
                if time.time() > end or self.p.poll() is not None:
                    raise RuntimeError("redis-server did not start on %s" % fn)
                time.sleep(0.05)

    def stop(self):
        self.p.terminate()
        self.p.wait(20)


n_tests = 0
n_failed = 0


def ok(cond, what, diag=""):
    global n_tests, n_failed
    n_tests += 1
    if not cond:
        n_failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_tests, what), flush=True)
    if not cond and diag:
        print("# " + str(diag)[:1500].replace("\n", "\n# "), flush=True)


def text(b):
    """The escaping of rdb-unit show."""
    return "".join(chr(c) if 32 < c < 127 and c != 92 else "\\x%02x" % c for c in b)


def populate(c):
    c("flushall")
    c("zadd", "z:mixed", "1", "one", "-2.5", "neg", "1e300", "huge", "inf", "pinf",
      "-inf", "ninf", "0.1", "tenth", "42", "int", "-7", "negint", "1e17", "e17",
      "4611686018427387904", "p62", "4611686018427388928", "p62up", "0", "zero",
      "123456789012", "big", "1e-300", "tiny")
    c("zadd", "z:intmembers", "1", "1", "2", "-5", "3", "300", "4", "70000", "5", "007", "6", "-0")
    c("zadd", "z:ties", *sum([["5", m] for m in ("b", "a", "c", "aa", "")], []))
    c("zadd", "z:bin", "1.5", b"\x00\xff\r\n", "2", b"sp ace")
    c("zadd", "z:128", *sum([[str(i * 0.5), "m%d" % i] for i in range(128)], []))
    c("zadd", "z:129", *sum([[str(i * 0.5), "m%d" % i] for i in range(129)], []))
    c("zadd", "z:large", *sum([[repr(i / 7.0) if i % 3 else str(i), "member:%d" % i]
                               for i in range(-150, 150)], []))
    c("zadd", "z:large", "inf", "top", "-inf", "bottom", "1e300", "h", "-1e-300", "t")
    c("zadd", "z:long64", "1", "x" * 64, "2", "y")
    c("zadd", "z:long65", "1", "x" * 65, "2.75", "y")
    c("zadd", "z:one", "-0.5", "only")
    c("set", "s:plain", "not a zset")
    c("zadd", "z:ttl", "3", "t")
    c("pexpire", "z:ttl", "3600000")


def zstate(c):
    out = {}
    for k in c("keys", "*"):
        if c("type", k) != "zset":
            continue
        out[k] = (c("object", "encoding", k), c("zrange", k, "0", "-1", "withscores"))
    return out


def show(unit, path):
    p = subprocess.run([unit, "show", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        return None, p.stderr.decode()
    keys, cur = {}, None
    for line in p.stdout.decode().splitlines():
        if line.startswith("zset "):
            cur = line[5:]
            keys[cur] = []
        elif line.startswith("other "):
            cur = None
        elif cur is not None:
            m, s = line.rsplit(" ", 1)
            keys[cur] += [m, s]
    return keys, ""


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: rdb_interop.py RDB_UNIT")
    unit = os.path.abspath(sys.argv[1])
    if not (os.access(REDIS, os.X_OK) and os.access(CHECK, os.X_OK)):
        print("1..0 # SKIP no redis-server / redis-check-rdb")
        return
    tmp = tempfile.mkdtemp(prefix="kcache-rdb-interop-")
    a = os.path.join(tmp, "a")
    b = os.path.join(tmp, "b")
    os.mkdir(a)
    os.mkdir(b)
    red = Redis(a, "dump.rdb")
    try:
        populate(red.c)
        want = zstate(red.c)
        encs = sorted(set(e for e, _ in want.values()))
        ok(encs == [b"listpack", b"skiplist"] and len(want) == 11,
           "redis-server holds %d sorted sets, listpack and skiplist" % len(want), want.keys())
        ok(red.c("save") == "OK", "redis-server SAVE (rdbcompression yes)")
        src = os.path.join(a, "dump.rdb")
        got, err = show(unit, src)
        bad = []
        for k, (_, zr) in want.items():
            exp = [text(x) for x in zr]
            if got is None or got.get(text(k)) != exp:
                bad.append("%r: want %s got %s" % (k, exp[:8], (got or {}).get(text(k), "none")))
        ok(got is not None and not bad and len(got) == len(want),
           "reader: every member and score of redis-server's RDB", err + "\n".join(bad))

        # the writer's file, loaded by redis-server
        out = os.path.join(b, "dump.rdb")
        p = subprocess.run([unit, "copy", src, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ok(p.returncode == 0, "writer: the keys written again", p.stdout.decode())
        p = subprocess.run([CHECK, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ok(p.returncode == 0 and b"RDB looks OK" in p.stdout, "redis-check-rdb accepts the writer's file",
           p.stdout.decode()[-800:])
        red2 = Redis(b, "dump.rdb")
        try:
            again = zstate(red2.c)
            d = ["%r: %r vs %r" % (k, want.get(k), again.get(k)) for k in set(want) | set(again)
                 if want.get(k) != again.get(k)]
            ok(not d, "redis-server on the writer's file: ZRANGE WITHSCORES and OBJECT ENCODING "
               "as the original, %d keys" % len(want), "\n".join(d))
            ok(red2.c("pttl", "z:ttl") > 3000000, "the expiry came along")
        finally:
            red2.stop()

        # DUMP payloads byte for byte
        red.c("config", "set", "rdbcompression", "no")
        p = subprocess.run([unit, "dumps", src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        mine = dict(line.split() for line in p.stdout.decode().splitlines())
        diff = []
        for k in want:
            theirs = red.c("dump", k)
            if mine.get(k.hex()) != theirs.hex():
                diff.append("%r:\n  redis %s\n  ours  %s" % (k, theirs.hex()[:200],
                                                              mine.get(k.hex(), "none")[:200]))
        ok(p.returncode == 0 and not diff and len(mine) == len(want),
           "writer: DUMP payload of each sorted set byte for byte redis-server's", "\n".join(diff))
        # and redis-server RESTOREs ours
        bad = []
        for k in want:
            nk = b"r:" + k
            try:
                red.c("restore", nk, "0", bytes.fromhex(mine[k.hex()]))
            except RuntimeError as e:
                bad.append("%r: %s" % (k, e))
                continue
            if red.c("zrange", nk, "0", "-1", "withscores") != want[k][1]:
                bad.append("%r differs" % k)
        ok(not bad, "redis-server RESTOREs the writer's payloads, same ZRANGE", "\n".join(bad))
    finally:
        red.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n_tests)
    sys.exit(1 if n_failed else 0)


if __name__ == "__main__":
    main()
