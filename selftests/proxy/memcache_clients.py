#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy with real memcached clients: python3-pymemcache (its Client
and its HashClient spread over two proxies, which share the one kcache) and
libmemcached-tools (memccp, memccat, memcexist, memctouch, memcrm,
memcflush, memcstat, memcping and a short memcslap run), across both
proxies at once where the tool takes a server list."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import Proxy, Raw, Tap  # noqa: E402

try:
    from pymemcache.client.base import Client
    from pymemcache.client.hash import HashClient
except ImportError:
    Client = HashClient = None


def sh(args, timeout=120):
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError:
        return 127, "", "%s: not installed" % args[0]
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def pymc(t, p1, p2):
    c = Client(("127.0.0.1", p1), connect_timeout=5, timeout=10)
    c.flush_all(noreply=False)
    t.ok(c.set("cl:a", b"1", expire=100, noreply=False), "pymemcache: set")
    t.eq(c.get("cl:a"), b"1", "pymemcache: get")
    t.eq(c.touch("cl:a", 200, noreply=False), True, "pymemcache: touch")
    v, cas = c.gets("cl:a")
    t.ok(v == b"1" and cas, "pymemcache: gets")
    t.eq(c.cas("cl:a", b"2", cas, noreply=False), True, "pymemcache: cas")
    t.eq(c.cas("cl:a", b"3", cas, noreply=False), False, "pymemcache: cas with a stale unique")
    t.eq(c.incr("cl:a", 2**64 - 2), 0, "pymemcache: incr wraps at 2^64")
    t.eq(c.decr("cl:a", 5), 0, "pymemcache: decr stops at 0")
    t.eq(c.delete("cl:a", noreply=False), True, "pymemcache: delete")
    # A multiget bigger than any line limit: memcached takes any number of keys.
    many = {"cl:m%05d" % i: b"v%d" % i for i in range(20000)}
    c.set_many(many, noreply=False)
    got = c.get_many(list(many) + ["cl:none"])
    t.eq(len(got), len(many), "pymemcache: get_many of 20000 keys (a 200 KB line)")
    t.ok(got == many, "pymemcache: every value of the big get_many")
    st = c.stats()
    t.ok(st.get(b"curr_items", 0) >= 20000 and b"get_hits" in st, "pymemcache: stats")
    t.ok(b"item_size_max" in c.stats("settings"), "pymemcache: stats settings")
    t.ok(c.version(), "pymemcache: version")
    c.close()

    h = HashClient([("127.0.0.1", p1), ("127.0.0.1", p2)], connect_timeout=5, timeout=10,
                   use_pooling=False)
    keys = ["hc:%d" % i for i in range(300)]
    servers = {h.hasher.get_node(k) for k in keys}
    t.eq(len(servers), 2, "HashClient: the keys spread over both proxies")
    failed = h.set_many({k: k.encode() for k in keys}, noreply=False)
    t.eq(failed, [], "HashClient: set_many over two proxies")
    t.eq(h.get_many(keys), {k: k.encode() for k in keys}, "HashClient: get_many over two proxies")
    t.eq(h.incr("hc:n", 1), None, "HashClient: incr of a missing key")
    h.set("hc:n", b"41", noreply=False)
    t.eq(h.incr("hc:n", 1), 42, "HashClient: incr")
    t.ok(h.delete_many(keys, noreply=False), "HashClient: delete_many")
    t.eq(h.get_many(keys), {}, "HashClient: the keys are gone")
    # Both proxies serve the one kcache: a key set through one is there on the other.
    a = Client(("127.0.0.1", p1), timeout=10)
    b = Client(("127.0.0.1", p2), timeout=10)
    a.set("hc:shared", b"x", noreply=False)
    t.eq(b.get("hc:shared"), b"x", "two proxies, one cache")
    a.close()
    b.close()
    h.close()


def tools(t, p1, p2):
    one = "--servers=127.0.0.1:%d" % p1
    both = "--servers=127.0.0.1:%d,127.0.0.1:%d" % (p1, p2)
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "clfile.txt")
        with open(f, "w") as fh:
            fh.write("contents of the file\n" * 100)
        rc, out, err = sh(["memccp", both, f])
        t.ok(rc == 0, "memccp stores a file", out + err)
    rc, out, err = sh(["memccat", both, "clfile.txt"])
    t.ok(rc == 0 and out.startswith("contents of the file\n" * 100), "memccat reads it back", out[:200] + err)
    rc, out, err = sh(["memcexist", both, "clfile.txt"])
    t.ok(rc == 0, "memcexist finds it", out + err)
    rc, out, err = sh(["memctouch", both, "--expire=100", "clfile.txt"])
    t.ok(rc == 0, "memctouch touches it", out + err)
    rc, out, err = sh(["memcrm", both, "clfile.txt"])
    t.ok(rc == 0, "memcrm deletes it", out + err)
    rc, out, err = sh(["memccat", one, "clfile.txt"])
    t.ok(rc != 0, "memccat of the deleted key fails", out + err)
    rc, out, err = sh(["memcstat", both])
    t.ok(rc == 0 and out.count("curr_items") == 2 and "limit_maxbytes" in out,
         "memcstat shows both proxies' statistics", out[-400:] + err)
    rc, out, err = sh(["memcping", both])
    t.ok(rc == 0, "memcping reaches both", out + err)
    for test in ("set", "get", "mget"):
        rc, out, err = sh(["memcslap", both, "--test=" + test, "--concurrency=2",
                           "--execute-number=500"], timeout=300)
        t.ok(rc == 0 and "Time total" in out, "memcslap --test=%s (2 threads, 500 each)" % test,
             out[-400:] + err[-400:])
    rc, out, err = sh(["memcflush", both])
    t.ok(rc == 0, "memcflush flushes", out + err)
    c = Client(("127.0.0.1", p2), timeout=10) if Client else None
    if c:
        t.eq(c.stats().get(b"curr_items"), 0, "nothing left after memcflush")
        c.close()


def main():
    t = Tap()
    p1 = Proxy()
    p2 = Proxy()
    # memcflush empties database 0, memcached's; curr_items counts the
    # whole cache, so start without the keys earlier tests left elsewhere.
    r = Raw(p1.rport)
    r.send(b"*1\r\n$8\r\nFLUSHALL\r\n")
    t.eq(r.read_until(lambda b: b.endswith(b"\r\n")), b"+OK\r\n", "FLUSHALL first")
    r.close()
    if Client is None:
        t.skip("pymemcache", "python3-pymemcache is not installed")
    else:
        t.run("pymemcache", lambda: pymc(t, p1.mport, p2.mport))
    t.run("libmemcached-tools", lambda: tools(t, p1.mport, p2.mport))
    t.eq((p1.stop(), p2.stop()), (0, 0), "both proxies exit 0 on SIGTERM")
    t.done()


if __name__ == "__main__":
    main()
