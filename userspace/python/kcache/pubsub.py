# SPDX-License-Identifier: GPL-2.0
"""Pub/sub and keyspace events over the kcache generic netlink family,
with a raw AF_NETLINK socket from Python's socket module (no libnl).

The kernel multicasts every KC_CMD_PUBLISH to the "pubsub" group and, while
config notify is 1, every key event to the "keyspace" group; channels and
patterns are not groups, so a subscriber receives everything and keeps what
it subscribed to (as kcache-cli and kcache-proxy do).  Joining a group
needs CAP_NET_ADMIN.  The kernel never waits for a listener: one that does
not read fast enough loses messages; the next read then yields one
{'type': 'overrun'} message and carries on.

Messages are dicts, as redis-py's:

  {'type': 'message', 'pattern': None, 'channel': b'ch', 'data': b'hi'}
  {'type': 'pmessage', 'pattern': b'c*', 'channel': b'ch', 'data': b'hi'}
  {'type': 'keyspace', 'pattern': b'*', 'channel': b'k', 'key': b'k',
   'db': 0, 'event': 'set', 'data': b'set'}
                                        (key/channel None for 'flush'; db
                                        None for a flush of every database)
  {'type': 'overrun', 'pattern': None, 'channel': None, 'data': None}

No subscribe confirmations are sent (the kernel keeps no subscriptions).
"""
import errno
import select
import socket
import struct
import threading
import time

from . import _glob
from . import _kcache as K
from .exceptions import ClosedError, InvalidArgument, KcacheError, NotSupported, error_for

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_DROP_MEMBERSHIP = 2
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
NLA_F_MASK = 0x3FFF

_HDR = struct.Struct("=IHHII")      # struct nlmsghdr
_GENL = struct.Struct("=BBH")       # struct genlmsghdr
_ATTR = struct.Struct("=HH")        # struct nlattr

EVENTS = {K.KC_EVENT_SET: "set", K.KC_EVENT_DEL: "del", K.KC_EVENT_EXPIRE: "expire",
          K.KC_EVENT_EVICT: "evict", K.KC_EVENT_FLUSH: "flush"}


def _attr(t, data):
    a = _ATTR.pack(_ATTR.size + len(data), t) + data
    return a + b"\0" * (-len(a) % 4)


def _attrs(buf):
    """{type: payload} of a run of netlink attributes (last one wins)."""
    out, off = {}, 0
    while off + _ATTR.size <= len(buf):
        ln, t = _ATTR.unpack_from(buf, off)
        if ln < _ATTR.size or off + ln > len(buf):
            break
        out[t & NLA_F_MASK] = buf[off + _ATTR.size:off + ln]
        off += (ln + 3) & ~3
    return out


def _msgs(buf):
    """(type, flags, seq, payload) of each netlink message in buf."""
    off = 0
    while off + _HDR.size <= len(buf):
        ln, typ, flags, seq, _ = _HDR.unpack_from(buf, off)
        if ln < _HDR.size or off + ln > len(buf):
            return
        yield typ, flags, seq, buf[off + _HDR.size:off + ln]
        off += (ln + 3) & ~3


class Netlink:
    """A generic netlink socket bound to the kcache family."""

    def __init__(self, rcvbuf=None):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            self.sock.bind((0, 0))
            for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK):
                try:
                    self.sock.setsockopt(SOL_NETLINK, opt, 1)
                except OSError:
                    pass
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.seq = int(time.time()) & 0xffff
            self.family, self.groups = self._resolve()
        except BaseException:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def _send(self, typ, cmd, attrs, flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        self.seq += 1
        body = _GENL.pack(cmd, version, 0) + b"".join(attrs)
        self.sock.send(_HDR.pack(_HDR.size + len(body), typ, flags, self.seq, 0) + body)
        return self.seq

    def _request(self, typ, cmd, attrs, version=1):
        """Sends a request and returns the payload of its reply (None for
        a bare ack); raises the kernel's errno with its extack message."""
        seq = self._send(typ, cmd, attrs, version=version)
        reply = None
        while True:
            buf = self.sock.recv(65536)
            for mtyp, mflags, mseq, payload in _msgs(buf):
                if mseq != seq:
                    continue
                if mtyp == NLMSG_ERROR:
                    err = struct.unpack_from("=i", payload)[0]
                    if err == 0:
                        return reply
                    msg = None
                    if mflags & NLM_F_ACK_TLVS:
                        ln = struct.unpack_from("=I", payload, 4)[0]
                        # NETLINK_CAP_ACK: only the request's header is echoed.
                        skip = 4 + (_HDR.size if ln > _HDR.size else ln)
                        m = _attrs(payload[skip:]).get(NLMSGERR_ATTR_MSG)
                        if m:
                            msg = m.rstrip(b"\0").decode(errors="replace")
                    raise error_for(err, "kernel reports: %s" % msg if msg else None)
                if mtyp == NLMSG_DONE:
                    return reply
                reply = payload

    def _resolve(self):
        try:
            p = self._request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                              [_attr(CTRL_ATTR_FAMILY_NAME, K.KC_GENL_NAME.encode() + b"\0")])
        except KcacheError as e:
            if e.errno == errno.ENOENT:
                raise NotSupported("no generic netlink family %r: is kcache.ko loaded?"
                                   % K.KC_GENL_NAME, errno.ENOENT) from None
            raise
        a = _attrs(p[_GENL.size:])
        family = struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]
        groups = {}
        for g in _attrs(a.get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
            ga = _attrs(g)
            name = ga[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()
            groups[name] = struct.unpack("=I", ga[CTRL_ATTR_MCAST_GRP_ID][:4])[0]
        return family, groups

    def publish(self, channel, message):
        ch = channel.encode() if isinstance(channel, str) else bytes(channel)
        msg = message.encode() if isinstance(message, str) else bytes(message)
        self._request(self.family, K.KC_CMD_PUBLISH,
                      [_attr(K.KC_A_CHANNEL, ch), _attr(K.KC_A_MESSAGE, msg)],
                      version=K.KC_GENL_VERSION)

    def join(self, group):
        try:
            self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])
        except OSError as e:
            raise error_for(-e.errno, "joining the %s group (needs CAP_NET_ADMIN)" % group) \
                from None

    def leave(self, group):
        try:
            self.sock.setsockopt(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, self.groups[group])
        except OSError:
            pass


def _b(x):
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    raise InvalidArgument("a channel or pattern must be str or bytes, not %s"
                          % type(x).__name__)


class PubSub:
    """A subscription: a netlink socket in the groups it needs, and the
    channels, patterns and key patterns to keep.  Iterating it (or
    listen()) yields messages; get_message(timeout) returns one or None.
    Not shared between threads: one PubSub per listener."""

    def __init__(self, rcvbuf=None):
        self._nl = Netlink(rcvbuf)
        self.channels = set()
        self.patterns = set()
        self.key_patterns = set()
        self._joined = set()
        self._pending = []
        self._lock = threading.Lock()

    # ---------------------------------------------------- subscriptions

    def _join(self, group):
        if group not in self._joined:
            self._nl.join(group)
            self._joined.add(group)

    def subscribe(self, *channels):
        self._check()
        self._join(K.KC_MCGRP_PUBSUB)
        self.channels.update(_b(c) for c in channels)

    def psubscribe(self, *patterns):
        self._check()
        self._join(K.KC_MCGRP_PUBSUB)
        self.patterns.update(_b(p) for p in patterns)

    def unsubscribe(self, *channels):
        self.channels.difference_update(_b(c) for c in channels) if channels \
            else self.channels.clear()

    def punsubscribe(self, *patterns):
        self.patterns.difference_update(_b(p) for p in patterns) if patterns \
            else self.patterns.clear()

    def keyspace(self, pattern="*"):
        """Keyspace events of the keys matching pattern (the cache's
        config notify must be 1: Cache.config_set(notify=1))."""
        self._check()
        self._join(K.KC_MCGRP_KEYSPACE)
        self.key_patterns.add(_b(pattern))

    @property
    def subscribed(self):
        return bool(self.channels or self.patterns or self.key_patterns)

    # ---------------------------------------------------------- reading

    def _check(self):
        if self._nl is None:
            raise ClosedError("the PubSub is closed", errno.EBADF)

    def fileno(self):
        self._check()
        return self._nl.sock.fileno()

    def _parse(self, buf):
        """Messages of one datagram that match a subscription."""
        out = []
        for typ, _, _, payload in _msgs(buf):
            if typ != self._nl.family or len(payload) < _GENL.size:
                continue
            cmd = payload[0]
            a = _attrs(payload[_GENL.size:])
            if cmd == K.KC_CMD_MESSAGE:
                ch, data = a.get(K.KC_A_CHANNEL, b""), a.get(K.KC_A_MESSAGE, b"")
                if ch in self.channels:
                    out.append({"type": "message", "pattern": None, "channel": ch,
                                "data": data})
                for p in self.patterns:
                    if _glob.match(p, ch):
                        out.append({"type": "pmessage", "pattern": p, "channel": ch,
                                    "data": data})
            elif cmd == K.KC_CMD_EVENT:
                ev = a.get(K.KC_A_EVENT)
                ev = EVENTS.get(struct.unpack("=I", ev[:4])[0], "unknown") if ev else "unknown"
                key = a.get(K.KC_A_KEY)
                db = a.get(K.KC_A_DB)
                db = struct.unpack("=I", db[:4])[0] if db else None
                for p in self.key_patterns:
                    if key is None or _glob.match(p, key):
                        out.append({"type": "keyspace", "pattern": p, "channel": key,
                                    "key": key, "db": db, "event": ev, "data": ev.encode()})
                        break
        return out

    def _recv(self, timeout):
        """One datagram's messages; [] on timeout.  timeout None: block."""
        sock = self._nl.sock
        if timeout is not None:
            r, _, _ = select.select([sock], [], [], timeout)
            if not r:
                return []
        try:
            buf = sock.recv(1 << 17)
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                return [{"type": "overrun", "pattern": None, "channel": None, "data": None}]
            if e.errno in (errno.EAGAIN, errno.EINTR):
                return []
            raise
        return self._parse(buf)

    def get_message(self, timeout=0.0):
        """The next message, waiting up to timeout seconds (None: for
        ever); None if nothing came."""
        self._check()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._pending.extend(self._recv(left))
            if not self._pending and deadline is not None and time.monotonic() >= deadline:
                return None
        return self._pending.pop(0)

    def listen(self):
        """Yields messages until the PubSub is closed."""
        while self._nl is not None:
            try:
                m = self.get_message(timeout=0.5)
            except (ClosedError, OSError):
                if self._nl is None:
                    return
                raise
            if m is not None:
                yield m

    __iter__ = listen

    def close(self):
        if self._nl is not None:
            nl, self._nl = self._nl, None
            nl.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

