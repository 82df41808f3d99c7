#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy serves the cache of the network namespace it runs in.

Two proxies, one in the initial namespace and one in a new one (made with
unshare(CLONE_NEWNET), loopback brought up), over /dev/kcache and over
netlink: keys, DBSIZE, KEYS, FLUSHALL and the memcached port of one never
reach the other.  Clients connect from inside each namespace (a socket
belongs to the namespace it was made in)."""
import ctypes
import fcntl
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import Proxy, Raw, Tap, skip_all  # noqa: E402
from redis_proto import call  # noqa: E402

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def new_netns():
    """Moves this process into a new network namespace with lo up."""
    if libc.unshare(CLONE_NEWNET):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sh14x", b"lo", 0)
    flags = struct.unpack("16sh14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))
    s.close()


def mc(r, line, want_end):
    r.send(line)
    b = r.read_until(lambda b: b.endswith(want_end), 10)
    r.take()
    return b


def main():
    t = Tap()
    if os.geteuid() != 0:
        skip_all("needs root (unshare)")
    init_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        new_netns()
    except OSError as e:
        skip_all("unshare(CLONE_NEWNET): %s" % e)
    child_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    t.ok(os.fstat(child_ns).st_ino != os.fstat(init_ns).st_ino, "in a new network namespace")

    # Proxies and clients made in a namespace stay in it.
    px1 = Proxy()
    px1n = Proxy("--transport", "netlink")
    c1, c1n, m1 = Raw(px1.rport), Raw(px1n.rport), Raw(px1.mport)
    setns(init_ns)
    px0 = Proxy()
    px0n = Proxy("--transport", "netlink")
    c0, c0n, m0 = Raw(px0.rport), Raw(px0n.rport), Raw(px0.mport)

    def keys_disjoint():
        t.eq(call(c0, "FLUSHALL"), "+OK", "FLUSHALL in the initial namespace")
        t.eq(call(c1, "FLUSHALL"), "+OK", "FLUSHALL in the new namespace")
        t.eq(call(c0, "SET", "ns:k", "init"), "+OK", "SET in the initial namespace")
        t.eq(call(c1, "SET", "ns:k", "child"), "+OK", "SET of the same key in the new one")
        t.eq(call(c1n, "SET", "ns:nl", "child-nl"), "+OK", "SET over netlink in the new one")
        t.eq(call(c0, "GET", "ns:k"), b"init", "the initial namespace reads its own value")
        t.eq(call(c0n, "GET", "ns:k"), b"init", "... over netlink too")
        t.eq(call(c1, "GET", "ns:k"), b"child", "the new namespace reads its own value")
        t.eq(call(c1n, "GET", "ns:k"), b"child", "... over netlink too")
        t.eq(call(c0, "EXISTS", "ns:nl"), 0, "a key of the new namespace is not in the initial one")
        t.eq(call(c1, "GET", "ns:nl"), b"child-nl", "the netlink proxy wrote the new namespace's cache")
        t.eq(call(c0, "DBSIZE"), 1, "DBSIZE counts its own namespace's keys (initial)")
        t.eq(call(c1, "DBSIZE"), 2, "DBSIZE counts its own namespace's keys (new)")
        t.eq(sorted(call(c1, "KEYS", "*")), [b"ns:k", b"ns:nl"], "KEYS lists its own namespace's keys")
    t.run("keys", keys_disjoint)

    def memcached_port():
        t.eq(mc(m1, b"set mc:k 5 0 3\r\nabc\r\n", b"\r\n"), b"STORED\r\n",
             "memcached set in the new namespace")
        t.eq(mc(m0, b"get mc:k\r\n", b"END\r\n"), b"END\r\n",
             "not seen by the initial namespace's memcached port")
        t.eq(mc(m1, b"get mc:k\r\n", b"END\r\n"), b"VALUE mc:k 5 3\r\nabc\r\nEND\r\n",
             "seen by its own")
    t.run("memcached", memcached_port)

    def flush_stays():
        t.eq(call(c1, "FLUSHALL"), "+OK", "FLUSHALL in the new namespace")
        t.eq(call(c1, "DBSIZE"), 0, "empties it")
        t.eq(call(c0, "GET", "ns:k"), b"init", "and leaves the initial namespace's keys")
    t.run("flush", flush_stays)

    for c in (c0, c0n, m0, c1, c1n, m1):
        c.close()
    for p in (px0, px0n, px1, px1n):
        p.stop()
    os.close(child_ns)
    os.close(init_ns)
    t.done()


if __name__ == "__main__":
    main()
