# SPDX-License-Identifier: GPL-2.0
"""Helpers for the kcache-proxy end-to-end tests (run in the VM guest).

Each test starts its own kcache-proxy on loopback ports and, where the host
root has them, a reference redis-server or memcached to compare replies
with, and prints TAP.  Everything is bounded in time and stops by itself.
"""
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("KCACHE_ROOT", os.path.normpath(os.path.join(HERE, "../..")))
BUILD = os.environ.get("KCACHE_BUILD", os.path.join(ROOT, "build"))
PROXY = os.environ.get("KCACHE_PROXY", os.path.join(BUILD, "userspace", "kcache-proxy"))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name), flush=True)
            if diag is not None:
                for line in str(diag).splitlines()[:20]:
                    print("#   " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %.300r\nwant: %.300r" % (got, want))

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def run(self, name, fn):
        """Runs fn(); an exception is a failure of that named check."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report, keep going
            self.ok(False, name + " (raised)", "%s: %s" % (type(e).__name__, e))

    def done(self):
        print("1..%d" % self.n)
        print("# %d passed, %d failed" % (self.n - self.failed, self.failed))
        sys.exit(1 if self.failed else 0)


def skip_all(why):
    print("1..0 # SKIP " + why)
    sys.exit(4)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc=None, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Proxy:
    """A kcache-proxy of our own on free loopback ports."""

    def __init__(self, *extra):
        if not os.path.exists("/dev/kcache"):
            skip_all("no /dev/kcache (kcache.ko not loaded)")
        if not os.access(PROXY, os.X_OK):
            skip_all("no %s: build userspace first" % PROXY)
        self.rport = free_port()
        self.mport = free_port()
        self.log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                     "kcache-proxy-%d.log" % self.rport), "w+")
        self.args = [PROXY, "--bind", "127.0.0.1", "--redis-port", str(self.rport),
                     "--memcache-port", str(self.mport), "--threads", "2"] + list(extra)
        self.p = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        if not (wait_port(self.rport, self.p) and wait_port(self.mport, self.p)):
            self.log.seek(0)
            print("# proxy did not start: " + self.log.read().replace("\n", "\n# "))
            self.stop()
            print("1..1\nnot ok 1 - kcache-proxy starts")
            sys.exit(1)

    def stop(self, timeout=10):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


class Reference:
    """redis-server or memcached from the host root, on loopback, no disk."""

    def __init__(self, kind):
        self.p = None
        self.port = free_port()
        if kind == "redis" and os.access("/usr/bin/redis-server", os.X_OK):
            cmd = ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no",
                   "--dir", os.environ.get("TMPDIR", "/tmp"), "--logfile", ""]
        elif kind == "memcached" and os.access("/usr/bin/memcached", os.X_OK):
            cmd = ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
                   "-u", "nobody", "-m", "64"]
        else:
            return
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port, self.p):
            self.stop()
            self.p = None

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()


class Raw:
    """A plain TCP client: send bytes, read replies with a deadline."""

    def __init__(self, port, timeout=5):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        self.s.sendall(data)

    def read_until(self, pred, secs=None):
        """Reads until pred(buf) or EOF or the deadline; returns buf."""
        end = time.time() + (secs or self.timeout)
        while not pred(self.buf) and time.time() < end:
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not d:
                break
            self.buf += d
        return self.buf

    def closed(self, secs=3):
        """True when the server closed the connection within secs."""
        end = time.time() + secs
        while time.time() < end:
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not d:
                return True
            self.buf += d
        return False

    def take(self):
        b, self.buf = self.buf, b""
        return b

    def close(self):
        self.s.close()


class RespUpto:
    """read_until predicate: b holds at least n complete RESP replies.

    Resumes where the last call stopped (read_until's buffer only grows),
    so a reply of 100,000 elements arriving in many reads is parsed once,
    not once per read as resp_count(b) >= n would.
    """

    def __init__(self, n):
        self.want = n
        self.got = 0
        self.i = 0
        self.open = []  # elements still due in each unfinished aggregate

    def __call__(self, b):
        while self.got < self.want:
            nl = b.find(b"\r\n", self.i)
            if nl < 0:
                break
            t = b[self.i:self.i + 1]
            if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
                self.i = nl + 2
            elif t in (b"$", b"=", b"!"):
                n = int(b[self.i + 1:nl])
                end = nl + 2 if n < 0 else nl + 2 + n + 2
                if end > len(b):
                    break
                self.i = end
            elif t in (b"*", b"~", b">", b"%", b"|"):
                n = int(b[self.i + 1:nl])
                self.i = nl + 2
                if n > 0:
                    self.open.append(2 * n if t in (b"%", b"|") else n)
                    continue
            else:
                raise ValueError("bad reply type %r" % t)
            # One element is complete: close the aggregates it completes.
            while self.open:
                self.open[-1] -= 1
                if self.open[-1]:
                    break
                self.open.pop()
            else:
                self.got += 1
        return self.got >= self.want


def resp_upto(n):
    """A read_until predicate: n complete replies (see RespUpto)."""
    return RespUpto(n)


def resp_reply_len(b, i=0):
    """End offset of one complete RESP reply at b[i:], or None."""
    p = RespUpto(1)
    p.i = i
    return p.i if p(b) else None


def resp_count(b):
    """How many complete replies b holds."""
    p = RespUpto(len(b) + 1)
    p(b)
    return p.got


def cmd(*args):
    """One RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
