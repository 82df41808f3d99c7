#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy --transport netlink: the data operations as KC_CMD_OP
messages of the kcache generic netlink family instead of /dev/kcache
ioctls.  The replies must be the same (redis_proto.py's script against
redis-server, byte for byte), pipelines must survive the batching into
netlink windows, and what netlink cannot carry (over 65531 bytes) must
get a clear error on both protocols."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import PROXY, Proxy, Raw, Reference, Tap, cmd, resp_upto  # noqa: E402
from redis_proto import SCRIPT, SCRIPT3, call, keyspace_pipelined, run_script, scan_all  # noqa: E402

TOO_BIG = b"-ERR value or reply larger than --transport netlink carries (65531 bytes): " \
          b"use --transport ioctl\r\n"


def main():
    t = Tap()
    px = Proxy("--transport", "netlink")
    ref = Reference("redis")

    t.ok("transport netlink" in px.logtext(), "the proxy says it uses netlink", px.logtext()[-300:])

    def bad_option():
        p = subprocess.run([PROXY, "--transport", "pigeon"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10)
        t.ok(p.returncode == 2 and b"want ioctl or netlink" in p.stderr,
             "--transport with an unknown kind is refused", p.stderr)
    t.run("bad option", bad_option)

    def diff(script, name, hello3=False):
        got = run_script(px.rport, script, hello3)
        if ref.p is None:
            t.skip(name, "no redis-server to compare with")
            return
        want = run_script(ref.port, script, hello3)
        bad = [(c, g, w) for c, g, w in zip(script, got, want) if g != w]
        t.ok(not bad, name + " (%d commands)" % len(script),
             "\n".join("%r:\n  proxy: %r\n  redis: %r" % b for b in bad[:8]))

    t.run("diff RESP2", lambda: diff(SCRIPT, "over netlink: replies identical to redis-server"))
    t.run("diff RESP3", lambda: diff(SCRIPT3, "over netlink: RESP3 replies identical", True))

    def sizes():
        r = Raw(px.rport, 20)
        v = os.urandom(65531)
        r.send(cmd("SET", "nl:max", v) + cmd("GET", "nl:max") + cmd("STRLEN", "nl:max") +
               cmd("SET", "nl:big", b"x" * 65532) + cmd("EXISTS", "nl:big") +
               cmd("APPEND", "nl:max", "x") + cmd("RPUSH", "nl:l", b"y" * 40000, b"z" * 40000) +
               cmd("LRANGE", "nl:l", "0", "-1") + cmd("LLEN", "nl:l") + cmd("DEL", "nl:max", "nl:l"))
        b = r.read_until(resp_upto(10), 20)
        t.eq(b, b"+OK\r\n$65531\r\n" + v + b"\r\n:65531\r\n" + TOO_BIG + b":0\r\n:65532\r\n" +
             b":2\r\n" + TOO_BIG + b":2\r\n:2\r\n",
             "a 65531-byte value round-trips; a larger value or reply gets a clear error")
        r.close()
    t.run("sizes", sizes)

    def pipeline():
        r = Raw(px.rport, 60)
        n = 3000
        reqs = [cmd("SET", "nlp:%d" % i, "v%d" % i) for i in range(n)]
        reqs += [cmd("INCR", "nlp:c") for _ in range(n)]
        reqs += [cmd("GET", "nlp:%d" % i) for i in range(n)]
        r.send(b"".join(reqs))
        b = r.read_until(resp_upto(3 * n), 120)
        want = b"+OK\r\n" * n + b"".join(b":%d\r\n" % (i + 1) for i in range(n)) + \
            b"".join(b"$%d\r\nv%d\r\n" % (len(b"v%d" % i), i) for i in range(n))
        t.ok(b == want, "a pipeline of %d commands over netlink: every reply, in order" % (3 * n),
             b[:200])
        r.take()
        v = b"w" * 60000
        r.send(b"".join(cmd("SET", "nlb:%d" % i, v) for i in range(200)) +
               b"".join(cmd("GET", "nlb:%d" % i) for i in range(200)))
        b = r.read_until(resp_upto(400), 120)
        t.ok(b == b"+OK\r\n" * 200 + (b"$60000\r\n" + v + b"\r\n") * 200,
             "200 pipelined GETs of 60 KB values: no reply lost to the netlink receive buffer",
             b[:200])
        r.take()
        call(r, "FLUSHALL")
        r.close()
        t.ok("replies lost" not in px.logtext(), "no netlink reply was lost", px.logtext()[-300:])
    t.run("pipeline", pipeline)

    def txn_scan():
        r = Raw(px.rport, 20)
        r.send(cmd("RPUSH", "nlt", "a") + cmd("WATCH", "nlt") + cmd("MULTI") +
               cmd("RPUSH", "nlt", "b") + cmd("LRANGE", "nlt", "0", "-1") + cmd("EXEC"))
        b = r.read_until(resp_upto(6))
        t.eq(b, b":1\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
             "WATCH, MULTI and EXEC (which always use /dev/kcache)")
        r.take()
        call(r, "DEL", "nlt")
        # 200-byte keys: 1000 of them are more than one netlink reply holds
        names = [b"nls:%04d:" % i + b"k" * 191 for i in range(5000)]
        r.send(b"".join(cmd("SET", k, "v") for k in names))
        r.read_until(resp_upto(5000), 60)
        r.take()
        keys, calls, bad = scan_all(r, "COUNT", "1000")
        t.ok(bad is None and set(keys) == set(names),
             "SCAN COUNT 1000 of 200-byte keys over netlink: every key (%d calls)" % calls, bad)
        k = call(r, "KEYS", "nls:*")
        t.ok(isinstance(k, list) and len(k) == 5000 and set(k) == set(names),
             "KEYS over netlink: 5000 long keys, each once")
        call(r, "FLUSHALL")
        r.close()
    t.run("txn and scan", txn_scan)

    def memcache():
        m = Raw(px.mport, 20)
        v = b"m" * 65531
        m.send(b"set nlm 5 0 %d\r\n%s\r\nget nlm\r\nset nlm2 0 0 70000\r\n%s\r\nget nlm2\r\n"
               b"incr nlm3 1\r\nset nlm3 0 0 1\r\n7\r\nincr nlm3 5\r\ndelete nlm\r\n" %
               (len(v), v, b"n" * 70000))
        b = m.read_until(lambda b: b.endswith(b"DELETED\r\n"), 20)
        t.eq(b, b"STORED\r\nVALUE nlm 5 %d\r\n%s\r\nEND\r\n" % (len(v), v) +
             b"SERVER_ERROR object too large for --transport netlink (65531 bytes); use "
             b"--transport ioctl\r\nEND\r\nNOT_FOUND\r\nSTORED\r\n12\r\nDELETED\r\n",
             "memcached over netlink: values up to 65531 bytes, a clear error past that")
        m.close()
    t.run("memcache", memcache)

    def keyspace():
        name = "over netlink: keyspace notifications as redis-server publishes them"
        if ref.p is None:
            t.skip(name, "no redis-server to compare with")
            return
        got, want = keyspace_pipelined(px.rport), keyspace_pipelined(ref.port)
        i = next((i for i, (g, w) in enumerate(zip(got[1], want[1])) if g != w),
                 min(len(got[1]), len(want[1])))
        t.ok(got == want, name + " (%d messages)" % len(want[1]),
             "replies equal: %s; message %d on:\n  proxy: %r\n  redis: %r" % (
                 got[0] == want[0], i, got[1][i:i + 4], want[1][i:i + 4]))
    t.run("keyspace", keyspace)

    ref.stop()
    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")
    t.done()


if __name__ == "__main__":
    main()
