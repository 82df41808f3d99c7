# SPDX-License-Identifier: GPL-2.0
"""kcache.Cache: the /dev/kcache ioctl API with redis-py's names.

Every command is written once, in Commands, as the kernel op(s) it sends
and a function turning the raw result into the Python value.  Cache runs
them at once (one KC_IOC_OP, the GIL released), Pipeline queues them for
one KC_IOC_BATCH, Transaction for one KC_IOC_BATCH with KC_BATCH_TXN and
watched keys.  A Cache works on one database (Cache(db=N), redis-py's
Redis(db=N)), and so do its pipelines and transactions.
"""
import datetime
import errno
import threading
import time as _time

from . import _glob
from . import _kcache as K
from .exceptions import (DataError, InvalidArgument, KcacheError, NoSuchKey,
                         TooLarge, WatchError, error_for)

_ENOENT = -errno.ENOENT
_EEXIST = -errno.EEXIST
_ECANCELED = -errno.ECANCELED

NONE, BYTES, ELEMS, SCAN = K.REPLY_NONE, K.REPLY_BYTES, K.REPLY_ELEMS, K.REPLY_SCAN

_TYPES = {K.KC_TYPE_NONE: b"none", K.KC_TYPE_STRING: b"string", K.KC_TYPE_LIST: b"list",
          K.KC_TYPE_HASH: b"hash", K.KC_TYPE_SET: b"set", K.KC_TYPE_ZSET: b"zset"}
_TYPE_IDS = {v.decode(): k for k, v in _TYPES.items() if k}

_PASS = (bytes, str, bytearray, memoryview)


def _enc(v):
    """A value as kcache takes it: bytes-like and str as they are (str in
    UTF-8, by the C layer), int and float in decimal as redis-py does."""
    t = type(v)
    if t in _PASS:
        return v
    if t is bool or v is None:
        raise DataError("invalid input of type %s: convert to bytes, str or a number first"
                        % t.__name__)
    if isinstance(v, int):
        return b"%d" % v
    if isinstance(v, float):
        return repr(v).encode()
    if isinstance(v, _PASS):
        return v
    raise DataError("invalid input of type %s: convert to bytes, str or a number first"
                    % t.__name__)


def _encs(vals):
    return [_enc(v) for v in vals]


def _flat(keys, args):
    if isinstance(keys, (bytes, str, bytearray, memoryview, int, float)):
        keys = [keys]
    return _encs(list(keys) + list(args))


def _secs(t, what):
    if isinstance(t, datetime.timedelta):
        t = int(t.total_seconds())
    if not isinstance(t, int) or isinstance(t, bool):
        raise DataError("%s must be an int or timedelta" % what)
    return t


def _msecs(t, what):
    if isinstance(t, datetime.timedelta):
        t = int(t.total_seconds() * 1000)
    if not isinstance(t, int) or isinstance(t, bool):
        raise DataError("%s must be an int or timedelta" % what)
    return t


def _abs_secs(t, what):
    if isinstance(t, datetime.datetime):
        t = int(t.timestamp())
    return _secs(t, what)


def _abs_msecs(t, what):
    if isinstance(t, datetime.datetime):
        t = int(t.timestamp() * 1000)
    return _msecs(t, what)


def _expiry(ex=None, px=None, exat=None, pxat=None, positive=True):
    """(flags, expire) of the SET/GETEX options; at most one may be given."""
    given = [x is not None for x in (ex, px, exat, pxat)]
    if sum(given) > 1:
        raise InvalidArgument("only one of ex, px, exat and pxat may be given")
    if ex is not None:
        flags, v = 0, _secs(ex, "ex")
    elif px is not None:
        flags, v = K.KC_TTL_MS, _msecs(px, "px")
    elif exat is not None:
        flags, v = K.KC_TTL_ABS, _abs_secs(exat, "exat")
    elif pxat is not None:
        flags, v = K.KC_TTL_ABS | K.KC_TTL_MS, _abs_msecs(pxat, "pxat")
    else:
        return 0, 0
    if positive and v <= 0:
        raise InvalidArgument("invalid expire time: must be positive")
    return flags, v


def _db(db):
    """A database number, 0 .. KC_DB_COUNT - 1 (as Redis's 16)."""
    if not isinstance(db, int) or isinstance(db, bool) or not 0 <= db < K.KC_DB_COUNT:
        raise InvalidArgument("database %r: kcache has 0 to %d" % (db, K.KC_DB_COUNT - 1))
    return db


def _op(opcode, key=None, val=None, args=None, flags=0, num=0, num2=0, expire=0,
        cas=0, cflags=0, reply=NONE):
    return (opcode, key, val, args, flags, num, num2, expire, cas, cflags, reply)


# ------------------------------------------------------------ converters
# Each takes the raw (result, num, cas, expire, client_flags, reply) of
# one op and returns the Python value or raises.

def _raise(r):
    raise error_for(r[0])


def _c_true(r):
    if r[0]:
        _raise(r)
    return True


def _c_num(r):
    if r[0]:
        _raise(r)
    return r[1]


def _c_num_or0(r):
    if r[0] == _ENOENT:
        return 0
    if r[0]:
        _raise(r)
    return r[1]


def _c_bool_num(r):
    if r[0] == _ENOENT:
        return False
    if r[0]:
        _raise(r)
    return bool(r[1])


def _c_reply(r):
    if r[0] == _ENOENT:
        return None
    if r[0]:
        _raise(r)
    return r[5]


def _c_list(r):
    if r[0] == _ENOENT:
        return []
    if r[0]:
        _raise(r)
    return r[5]


def _c_set(r):
    if r[0] == _ENOENT:
        return set()
    if r[0]:
        _raise(r)
    return set(r[5])


def _c_dict(r):
    if r[0] == _ENOENT:
        return {}
    if r[0]:
        _raise(r)
    e = r[5]
    return dict(zip(e[0::2], e[1::2]))


def _c_ok_or_false(r):
    """True on success; False when the key is missing or the condition
    failed (ENOENT, EEXIST)."""
    if r[0] in (_ENOENT, _EEXIST):
        return False
    if r[0]:
        _raise(r)
    return True


def _c_nx(r):
    if r[0] == _EEXIST:
        return False
    if r[0]:
        _raise(r)
    return True


def _c_exists(r):
    if r[0] == _ENOENT:
        return 0
    if r[0]:
        _raise(r)
    return 1


def _c_del(r):
    if r[0] == _ENOENT:
        return 0
    if r[0]:
        _raise(r)
    return 1


def _c_sum(rs):
    return sum(rs)


def _c_type(r):
    if r[0]:
        _raise(r)
    return _TYPES.get(r[1], b"none")


def _c_gets(r):
    if r[0] == _ENOENT:
        return None
    if r[0]:
        _raise(r)
    return r[5], r[2]


def _c_elem_bools(r):
    if r[0] == _ENOENT:
        return None
    if r[0]:
        _raise(r)
    return [e is not None for e in r[5]]


def _c_ttl(r):
    if r[0] == _ENOENT:
        return -2
    if r[0]:
        _raise(r)
    return r[3]


def _c_scan(r):
    if r[0]:
        _raise(r)
    return r[1], r[5]


def _c_pop(r):
    if r[0] == _ENOENT:
        return None
    if r[0]:
        _raise(r)
    return r[5]


def _c_set_cmd(get, nx, xx):
    return _SET_CONVS[bool(get), bool(nx), bool(xx)]


def _make_set_conv(get, nx, xx):
    def conv(r):
        res = r[0]
        if res == 0 or (res == _EEXIST and get):
            if get:
                return r[5] if r[1] == 1 else None
            return True
        if (res == _EEXIST and nx) or (res == _ENOENT and xx):
            return None
        _raise(r)
    return conv


_SET_CONVS = {(g, n, x): _make_set_conv(g, n, x)
              for g in (False, True) for n in (False, True) for x in (False, True)}


def _c_must_exist(r):
    if r[0]:
        raise error_for(r[0], "no such key" if r[0] == _ENOENT else None)
    return True


class Commands:
    """Every command; subclasses define _cmd(conv, op) and
    _cmds(conv, ops) (conv then takes the list of converted results)."""

    # ------------------------------------------------------------ strings

    def get(self, name):
        """GET: the value (bytes) or None."""
        return self._cmd(_c_reply, (K.KC_OP_GET, _enc(name), None, None, 0, 0, 0, 0, 0, 0, BYTES))

    def set(self, name, value, ex=None, px=None, nx=False, xx=False, keepttl=False,
            get=False, exat=None, pxat=None):
        """SET with Redis's options.  True, or None when NX/XX did not
        hold; with get=True the old value (or None) instead."""
        flags, expire = _expiry(ex, px, exat, pxat)
        if nx:
            flags |= K.KC_SET_NX
        if xx:
            flags |= K.KC_SET_XX
        if keepttl:
            flags |= K.KC_SET_KEEPTTL
        if get:
            flags |= K.KC_SET_GET
        return self._cmd(_c_set_cmd(get, nx, xx),
                         (K.KC_OP_SET, _enc(name), _enc(value), None, flags, 0, 0, expire, 0, 0,
                          BYTES if get else NONE))

    def setnx(self, name, value):
        """SETNX: True if set, False if the key existed."""
        return self._cmd(_c_nx, _op(K.KC_OP_SET, _enc(name), _enc(value), flags=K.KC_SET_NX))

    def setex(self, name, time, value):
        return self.set(name, value, ex=time)

    def psetex(self, name, time_ms, value):
        return self.set(name, value, px=time_ms)

    def getset(self, name, value):
        return self.set(name, value, get=True)

    def getdel(self, name):
        return self._cmd(_c_reply, _op(K.KC_OP_GETDEL, _enc(name), reply=BYTES))

    def getex(self, name, ex=None, px=None, exat=None, pxat=None, persist=False):
        """GETEX: the value, also setting (or with persist removing) the
        expiry."""
        flags, expire = _expiry(ex, px, exat, pxat)
        if persist:
            if flags:
                raise InvalidArgument("persist cannot be combined with an expiry")
            flags |= K.KC_GET_TOUCH
        elif expire:
            flags |= K.KC_GET_TOUCH
        return self._cmd(_c_reply, _op(K.KC_OP_GET, _enc(name), flags=flags, expire=expire,
                                       reply=BYTES))

    def mget(self, keys, *args):
        """MGET: a list with the value or None per key."""
        return self._cmd(_c_list, _op(K.KC_OP_MGET, args=_flat(keys, args), reply=ELEMS))

    def _mset_args(self, mapping):
        if not mapping:
            raise InvalidArgument("mset needs at least one key")
        a = []
        for k, v in mapping.items():
            a.append(_enc(k))
            a.append(_enc(v))
        return a

    def mset(self, mapping):
        return self._cmd(_c_true, _op(K.KC_OP_MSET, args=self._mset_args(mapping)))

    def msetnx(self, mapping):
        return self._cmd(_c_nx, _op(K.KC_OP_MSET, args=self._mset_args(mapping),
                                    flags=K.KC_SET_NX))

    def append(self, key, value):
        """APPEND (creates a missing key): the new length."""
        return self._cmd(_c_num, _op(K.KC_OP_APPEND, _enc(key), _enc(value),
                                     flags=K.KC_APPEND_CREATE))

    def prepend(self, key, value):
        """kcache's PREPEND (creates a missing key): the new length."""
        return self._cmd(_c_num, _op(K.KC_OP_PREPEND, _enc(key), _enc(value),
                                     flags=K.KC_APPEND_CREATE))

    def strlen(self, name):
        return self._cmd(_c_num_or0, _op(K.KC_OP_STRLEN, _enc(name)))

    def getrange(self, key, start, end):
        return self._cmd(_c_reply, _op(K.KC_OP_GETRANGE, _enc(key), num=start, num2=end,
                                       reply=BYTES))

    substr = getrange

    def setrange(self, name, offset, value):
        return self._cmd(_c_num, _op(K.KC_OP_SETRANGE, _enc(name), _enc(value), num=offset))

    def incrby(self, name, amount=1):
        return self._cmd(_c_num, (K.KC_OP_INCRBY, _enc(name), None, None, 0, amount, 0, 0, 0, 0,
                                  NONE))

    incr = incrby

    def decrby(self, name, amount=1):
        return self._cmd(_c_num, _op(K.KC_OP_DECRBY, _enc(name), num=amount))

    decr = decrby

    def getbit(self, name, offset):
        return self._cmd(_c_num, _op(K.KC_OP_GETBIT, _enc(name), num=offset))

    def setbit(self, name, offset, value):
        """SETBIT: the old bit."""
        return self._cmd(_c_num, _op(K.KC_OP_SETBIT, _enc(name), num=offset,
                                     num2=1 if value else 0))

    # ------------------------------------------- memcached-style extras

    def add(self, name, value, ex=None, flags=0):
        """memcached add: True if stored, False if the key existed."""
        f, expire = _expiry(ex)
        return self._cmd(_c_nx, _op(K.KC_OP_ADD, _enc(name), _enc(value), flags=f,
                                    expire=expire, cflags=flags))

    def replace(self, name, value, ex=None, flags=0):
        """memcached replace: True if stored, False if the key was missing."""
        f, expire = _expiry(ex)
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_REPLACE, _enc(name), _enc(value),
                                              flags=f, expire=expire, cflags=flags))

    def gets(self, name):
        """memcached gets: (value, cas) or None."""
        return self._cmd(_c_gets, _op(K.KC_OP_GET, _enc(name), reply=BYTES))

    def cas(self, name, value, cas, ex=None):
        """memcached cas: True if stored, False if the version differs or
        the key is gone."""
        f, expire = _expiry(ex)
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_SET, _enc(name), _enc(value),
                                              flags=f | K.KC_SET_CAS, expire=expire, cas=cas))

    def touch(self, name, ex):
        """memcached touch (not Redis's TOUCH): a new expiry in seconds
        (0: none); False if the key is missing."""
        f, expire = _expiry(ex, positive=False)
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_TOUCH, _enc(name), flags=f,
                                              expire=expire))

    def gat(self, name, ex):
        """memcached gat: the value (or None), setting a new expiry."""
        f, expire = _expiry(ex, positive=False)
        return self._cmd(_c_reply, _op(K.KC_OP_GET, _enc(name), flags=f | K.KC_GET_TOUCH,
                                       expire=expire, reply=BYTES))

    # ----------------------------------------------------------- keyspace

    def delete(self, *names):
        """DEL: how many of the keys existed (each deleted on its own)."""
        if len(names) == 1:
            return self._cmd(_c_del, _op(K.KC_OP_DEL, _enc(names[0])))
        return self._cmds(_c_sum, [(_c_del, _op(K.KC_OP_DEL, _enc(n))) for n in names])

    unlink = delete

    def exists(self, *names):
        """EXISTS: how many of the keys exist."""
        if len(names) == 1:
            return self._cmd(_c_exists, _op(K.KC_OP_EXISTS, _enc(names[0])))
        return self._cmds(_c_sum, [(_c_exists, _op(K.KC_OP_EXISTS, _enc(n))) for n in names])

    def type(self, name):
        """TYPE: b'string', b'list', b'hash', b'set' or b'none'."""
        return self._cmd(_c_type, _op(K.KC_OP_TYPE, _enc(name)))

    def rename(self, src, dst):
        """RENAME: True; NoSuchKey when src is missing."""
        return self._cmd(_c_must_exist, _op(K.KC_OP_RENAME, _enc(src), _enc(dst)))

    def renamenx(self, src, dst):
        def conv(r):
            if r[0] == _EEXIST:
                return False
            return _c_must_exist(r)
        return self._cmd(conv, _op(K.KC_OP_RENAME, _enc(src), _enc(dst), flags=K.KC_SET_NX))

    def _expire(self, name, t, flags, nx, xx, gt, lt):
        for on, f in ((nx, K.KC_EXPIRE_NX), (xx, K.KC_EXPIRE_XX), (gt, K.KC_EXPIRE_GT),
                      (lt, K.KC_EXPIRE_LT)):
            if on:
                flags |= f
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_EXPIRE, _enc(name), flags=flags, expire=t))

    def expire(self, name, time, nx=False, xx=False, gt=False, lt=False):
        """EXPIRE: True if set, False if the key is missing or the
        condition did not hold."""
        return self._expire(name, _secs(time, "time"), 0, nx, xx, gt, lt)

    def pexpire(self, name, time, nx=False, xx=False, gt=False, lt=False):
        return self._expire(name, _msecs(time, "time"), K.KC_TTL_MS, nx, xx, gt, lt)

    def expireat(self, name, when, nx=False, xx=False, gt=False, lt=False):
        return self._expire(name, _abs_secs(when, "when"), K.KC_TTL_ABS, nx, xx, gt, lt)

    def pexpireat(self, name, when, nx=False, xx=False, gt=False, lt=False):
        return self._expire(name, _abs_msecs(when, "when"), K.KC_TTL_ABS | K.KC_TTL_MS,
                            nx, xx, gt, lt)

    def persist(self, name):
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_PERSIST, _enc(name)))

    def ttl(self, name):
        """TTL in seconds; -1 without expiry, -2 for a missing key."""
        return self._cmd(_c_ttl, _op(K.KC_OP_TTL, _enc(name)))

    def pttl(self, name):
        return self._cmd(_c_ttl, _op(K.KC_OP_TTL, _enc(name), flags=K.KC_TTL_MS))

    def flushall(self):
        """FLUSH every key of every database (CAP_SYS_ADMIN, else
        PermissionError)."""
        return self._cmd(_c_true, _op(K.KC_OP_FLUSH))

    def flushdb(self):
        """FLUSH the keys of this database only (CAP_SYS_ADMIN)."""
        return self._cmd(_c_true, _op(K.KC_OP_FLUSH, flags=K.KC_FLUSH_DB))

    def dbsize(self):
        """DBSIZE: the keys of this database (expired ones not yet
        reclaimed count, as in Redis)."""
        return self._cmd(_c_num, _op(K.KC_OP_DBSIZE))

    def move(self, name, db):
        """MOVE: True when name went to database db with its value and
        expiry; False when it is missing here or db has the key."""
        return self._cmd(_c_ok_or_false, _op(K.KC_OP_MOVE, _enc(name), num=_db(db)))

    def swapdb(self, first, second):
        """SWAPDB: databases first and second trade contents, for every
        client at once (CAP_SYS_ADMIN)."""
        return self._cmd(_c_true, _op(K.KC_OP_SWAPDB, num=_db(first), num2=_db(second)))

    def ping(self):
        """KC_OP_NOP: True (measures the call path)."""
        return self._cmd(_c_true, _op(K.KC_OP_NOP))

    def scan(self, cursor=0, match=None, count=None, _type=None, type=None):
        """SCAN: (next cursor, [keys]); cursor 0 comes back at the end."""
        t = _type if _type is not None else type
        tid = 0
        if t is not None:
            if isinstance(t, bytes):
                t = t.decode()
            if t not in _TYPE_IDS:
                raise InvalidArgument("unknown type %r: want string, list, hash, set or zset" % (t,))
            tid = _TYPE_IDS[t]
        if count is not None and count <= 0:
            raise InvalidArgument("count must be positive")
        return self._cmd(_c_scan, _op(K.KC_OP_SCAN, val=_enc(match) if match else None,
                                      num=cursor, num2=count or 0, cflags=tid, reply=SCAN))

    # -------------------------------------------------------------- lists

    def _push(self, opcode, flags, name, values):
        if not values:
            raise InvalidArgument("push needs at least one value")
        return self._cmd(_c_num_or0 if flags else _c_num,
                         _op(opcode, _enc(name), args=_encs(values), flags=flags))

    def lpush(self, name, *values):
        return self._push(K.KC_OP_LPUSH, 0, name, values)

    def rpush(self, name, *values):
        return self._push(K.KC_OP_RPUSH, 0, name, values)

    def lpushx(self, name, *values):
        return self._push(K.KC_OP_LPUSH, K.KC_SET_XX, name, values)

    def rpushx(self, name, *values):
        return self._push(K.KC_OP_RPUSH, K.KC_SET_XX, name, values)

    def _pop(self, opcode, name, count):
        if count is None:
            return self._cmd(_c_pop, _op(opcode, _enc(name), reply=BYTES))
        return self._cmd(_c_pop, _op(opcode, _enc(name), flags=K.KC_POP_COUNT, num=count,
                                     reply=ELEMS))

    def lpop(self, name, count=None):
        """LPOP: an element or None; with count a list (None if missing)."""
        return self._pop(K.KC_OP_LPOP, name, count)

    def rpop(self, name, count=None):
        return self._pop(K.KC_OP_RPOP, name, count)

    def lrange(self, name, start, end):
        return self._cmd(_c_list, _op(K.KC_OP_LRANGE, _enc(name), num=start, num2=end,
                                      reply=ELEMS))

    def llen(self, name):
        return self._cmd(_c_num_or0, _op(K.KC_OP_LLEN, _enc(name)))

    def lindex(self, name, index):
        return self._cmd(_c_reply, _op(K.KC_OP_LINDEX, _enc(name), num=index, reply=BYTES))

    def lset(self, name, index, value):
        """LSET: True; NoSuchKey for a missing list, OutOfRange outside."""
        return self._cmd(_c_must_exist, _op(K.KC_OP_LSET, _enc(name), _enc(value), num=index))

    def lrem(self, name, count, value):
        return self._cmd(_c_num_or0, _op(K.KC_OP_LREM, _enc(name), _enc(value), num=count))

    def ltrim(self, name, start, end):
        def conv(r):
            if r[0] in (0, _ENOENT):
                return True
            _raise(r)
        return self._cmd(conv, _op(K.KC_OP_LTRIM, _enc(name), num=start, num2=end))

    def linsert(self, name, where, refvalue, value):
        """LINSERT: the new length, -1 without the pivot, 0 for a missing
        list."""
        w = where.lower() if isinstance(where, str) else bytes(where).decode().lower()
        if w not in ("before", "after"):
            raise InvalidArgument("where must be 'before' or 'after'")
        flags = K.KC_LINSERT_BEFORE if w == "before" else K.KC_LINSERT_AFTER
        return self._cmd(_c_num_or0, _op(K.KC_OP_LINSERT, _enc(name), _enc(value),
                                         args=[_enc(refvalue)], flags=flags))

    # ------------------------------------------------------------- hashes

    def hset(self, name, key=None, value=None, mapping=None, items=None):
        """HSET: how many fields were new."""
        a = []
        if key is not None:
            a += [_enc(key), _enc(value)]
        if mapping:
            for k, v in mapping.items():
                a += [_enc(k), _enc(v)]
        if items:
            a += _encs(items)
        if not a:
            raise DataError("hset needs key and value, mapping or items")
        if len(a) % 2:
            raise DataError("hset items must be field, value pairs")
        return self._cmd(_c_num, _op(K.KC_OP_HSET, _enc(name), args=a))

    def hmset(self, name, mapping):
        self.hset(name, mapping=mapping)
        return True if isinstance(self, Cache) else self

    def hsetnx(self, name, key, value):
        def conv(r):
            if r[0] == _EEXIST:
                return False
            return bool(_c_num(r))
        return self._cmd(conv, _op(K.KC_OP_HSET, _enc(name), args=[_enc(key), _enc(value)],
                                   flags=K.KC_SET_NX))

    def hget(self, name, key):
        return self._cmd(_c_reply, _op(K.KC_OP_HGET, _enc(name), _enc(key), reply=BYTES))

    def hmget(self, name, keys, *args):
        def conv(r):
            if r[0] == _ENOENT:
                return [None] * len(a)
            return _c_list(r)
        a = _flat(keys, args)
        return self._cmd(conv, _op(K.KC_OP_HMGET, _enc(name), args=a, reply=ELEMS))

    def hdel(self, name, *keys):
        return self._cmd(_c_num_or0, _op(K.KC_OP_HDEL, _enc(name), args=_encs(keys)))

    def hlen(self, name):
        return self._cmd(_c_num_or0, _op(K.KC_OP_HLEN, _enc(name)))

    def hexists(self, name, key):
        return self._cmd(_c_bool_num, _op(K.KC_OP_HEXISTS, _enc(name), _enc(key)))

    def hgetall(self, name):
        """HGETALL: a dict of bytes -> bytes ({} for a missing key)."""
        return self._cmd(_c_dict, _op(K.KC_OP_HGETALL, _enc(name), reply=ELEMS))

    def hkeys(self, name):
        return self._cmd(_c_list, _op(K.KC_OP_HKEYS, _enc(name), reply=ELEMS))

    def hvals(self, name):
        return self._cmd(_c_list, _op(K.KC_OP_HVALS, _enc(name), reply=ELEMS))

    def hincrby(self, name, key, amount=1):
        return self._cmd(_c_num, _op(K.KC_OP_HINCRBY, _enc(name), _enc(key), num=amount))

    def hstrlen(self, name, key):
        return self._cmd(_c_num_or0, _op(K.KC_OP_HSTRLEN, _enc(name), _enc(key)))

    # --------------------------------------------------------------- sets

    def sadd(self, name, *values):
        if not values:
            raise InvalidArgument("sadd needs at least one member")
        return self._cmd(_c_num, _op(K.KC_OP_SADD, _enc(name), args=_encs(values)))

    def srem(self, name, *values):
        return self._cmd(_c_num_or0, _op(K.KC_OP_SREM, _enc(name), args=_encs(values)))

    def smembers(self, name):
        """SMEMBERS: a set of bytes (empty for a missing key)."""
        return self._cmd(_c_set, _op(K.KC_OP_SMEMBERS, _enc(name), reply=ELEMS))

    def sismember(self, name, value):
        return self._cmd(_c_bool_num, _op(K.KC_OP_SISMEMBER, _enc(name), _enc(value)))

    def smismember(self, name, values, *args):
        a = _flat(values, args)

        def conv(r):
            if r[0] == _ENOENT:
                return [False] * len(a)
            return _c_elem_bools(r)
        return self._cmd(conv, _op(K.KC_OP_SMISMEMBER, _enc(name), args=a, reply=ELEMS))

    def scard(self, name):
        return self._cmd(_c_num_or0, _op(K.KC_OP_SCARD, _enc(name)))

    def spop(self, name, count=None):
        """SPOP: a member or None; with count a list."""
        if count is None:
            return self._cmd(_c_pop, _op(K.KC_OP_SPOP, _enc(name), reply=BYTES))
        return self._cmd(_c_list, _op(K.KC_OP_SPOP, _enc(name), flags=K.KC_POP_COUNT,
                                      num=count, reply=ELEMS))

    def srandmember(self, name, number=None):
        """SRANDMEMBER: a member or None; with number a list (negative:
        members may repeat)."""
        if number is None:
            return self._cmd(_c_pop, _op(K.KC_OP_SRANDMEMBER, _enc(name), reply=BYTES))
        return self._cmd(_c_list, _op(K.KC_OP_SRANDMEMBER, _enc(name), flags=K.KC_POP_COUNT,
                                      num=number, reply=ELEMS))

    def smove(self, src, dst, value):
        return self._cmd(_c_bool_num, _op(K.KC_OP_SMOVE, _enc(src), _enc(value),
                                          args=[_enc(dst)]))

    def sdiff(self, keys, *args):
        return self._cmd(_c_set, _op(K.KC_OP_SDIFF, args=_flat(keys, args), reply=ELEMS))

    def sinter(self, keys, *args):
        return self._cmd(_c_set, _op(K.KC_OP_SINTER, args=_flat(keys, args), reply=ELEMS))

    def sunion(self, keys, *args):
        return self._cmd(_c_set, _op(K.KC_OP_SUNION, args=_flat(keys, args), reply=ELEMS))

    def sdiffstore(self, dest, keys, *args):
        return self._cmd(_c_num, _op(K.KC_OP_SDIFFSTORE, _enc(dest), args=_flat(keys, args)))

    def sinterstore(self, dest, keys, *args):
        return self._cmd(_c_num, _op(K.KC_OP_SINTERSTORE, _enc(dest), args=_flat(keys, args)))

    def sunionstore(self, dest, keys, *args):
        return self._cmd(_c_num, _op(K.KC_OP_SUNIONSTORE, _enc(dest), args=_flat(keys, args)))


#: The names of every command (kcache.asyncio wraps each).
COMMAND_NAMES = sorted(n for n, v in vars(Commands).items()
                       if callable(v) and not n.startswith("_"))


class Cache(Commands):
    """An open /dev/kcache (the caller's instance).  Each method is one
    ioctl with the GIL released; one Cache may be used by many threads at
    once (pipelines and transactions are per thread).  ``with Cache() as
    c:`` closes it at the end.  db: the database (0 .. 15) every command
    of this Cache works on, as redis-py's Redis(db=)."""

    def __init__(self, path=K.KC_DEVICE_PATH, db=0):
        self._db = _db(db)
        try:
            self._dev = K.Device(path)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EPERM):
                raise error_for(-e.errno, "cannot open %s: its mode does not let this user "
                                "read and write it (module parameters dev_mode, dev_gid)"
                                % path) from None
            if e.errno == errno.ENOENT:
                raise FileNotFoundError(errno.ENOENT, "no %s: is kcache.ko loaded?" % path,
                                        path) from None
            raise
        self._op = self._dev.op
        self._nl = None
        self._nl_lock = threading.Lock()

    @property
    def db(self):
        """The database of this Cache's commands."""
        return self._db

    def _cmd(self, conv, op):
        try:
            return conv(self._op(*op, self._db))
        except K.ClosedError:
            raise ClosedError_() from None

    def _cmds(self, conv, pairs):
        res = self._batch([op for _, op in pairs], False, None)
        return conv([c(r) for (c, _), r in zip(pairs, res)])

    def _batch(self, ops, txn, watch):
        """Raw results of ops in KC_IOC_BATCH calls (one for a
        transaction; pipelines longer than KC_BATCH_MAX are split)."""
        try:
            if txn or len(ops) <= K.KC_BATCH_MAX:
                if txn and len(ops) > K.KC_BATCH_MAX:
                    raise TooLarge("%d operations in one transaction, at most %d"
                                   % (len(ops), K.KC_BATCH_MAX), errno.E2BIG)
                ret, done, res = self._dev.batch(ops, txn, watch, self._db)
                if ret == _ECANCELED and txn:
                    raise WatchError("a watched key changed: the transaction did not run",
                                     errno.ECANCELED)
                if ret and txn:
                    # One malformed op: none ran; say which and why.
                    for i, r in enumerate(res):
                        if r[0] and r[0] != _ECANCELED:
                            raise error_for(r[0], "transaction not run: op %d" % i)
                    raise error_for(ret, "transaction not run")
                if ret:
                    # A plain batch stopped early: the ops it did not get
                    # to carry the batch's error (libkcache marks them too).
                    for i in range(done, len(res)):
                        if res[i][0] == 0:
                            res[i] = (ret,) + res[i][1:]
                return res
            out = []
            for i in range(0, len(ops), K.KC_BATCH_MAX):
                out += self._batch(ops[i:i + K.KC_BATCH_MAX], False, None)
            return out
        except K.ClosedError:
            raise ClosedError_() from None

    # --------------------------------------------------------- lifecycle

    def close(self):
        """Closes the device (and the netlink socket of publish())."""
        self._dev.close()
        with self._nl_lock:
            if self._nl is not None:
                self._nl.close()
                self._nl = None

    @property
    def closed(self):
        return self._dev.closed

    def fileno(self):
        return self._call(self._dev.fileno)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<kcache.Cache %s>" % ("closed" if self.closed else
                                      "fd=%d db=%d" % (self.fileno(), self._db))

    # ------------------------------------------------------ server info

    def _call(self, f, *a):
        try:
            return f(*a)
        except K.ClosedError:
            raise ClosedError_() from None
        except OSError as e:
            raise error_for(-e.errno) from None

    def version(self):
        """KC_IOC_VERSION: abi_version, key_max, item_size_max, ..."""
        return self._call(self._dev.version)

    def stats(self):
        """KC_IOC_STATS as a dict (curr_items, get_hits, evictions, ...)."""
        return self._call(self._dev.stats)

    info = stats

    def class_stats(self):
        """KC_IOC_CLASS_STATS: one dict per slab class."""
        return self._call(self._dev.class_stats)

    def config_get(self):
        """KC_IOC_CONFIG: memory_limit_mb, notify, automove, item_size_max,
        chunk_min, growth_factor_pct, noevict."""
        return self._call(self._dev.config)

    def config_set(self, memory_limit_mb=None, notify=None, automove=None, noevict=None):
        """Changes the given fields (CAP_SYS_ADMIN); the new configuration.
        noevict=True: a full cache refuses stores (OutOfMemory) instead of
        evicting."""
        mask = 0
        if memory_limit_mb is not None:
            mask |= K.KC_CONFIG_MEMORY_LIMIT
        if notify is not None:
            mask |= K.KC_CONFIG_NOTIFY
        if automove is not None:
            mask |= K.KC_CONFIG_AUTOMOVE
        if noevict is not None:
            mask |= K.KC_CONFIG_NOEVICT
        if not mask:
            raise InvalidArgument("config_set needs memory_limit_mb, notify, automove or noevict")
        return self._call(self._dev.config, mask, memory_limit_mb or 0, int(bool(notify)),
                          int(bool(automove)), int(bool(noevict)))

    # -------------------------------------------------------- iterators

    def scan_iter(self, match=None, count=None, _type=None, type=None):
        """Yields keys lazily, one SCAN call per page.  A key present for
        the whole iteration is yielded at least once; keys may repeat."""
        cursor = 0
        while True:
            cursor, keys = self.scan(cursor, match, count, _type, type)
            yield from keys
            if cursor == 0:
                return

    def keys(self, pattern="*"):
        """Every key matching pattern (by SCAN, repeats removed)."""
        return list(dict.fromkeys(self.scan_iter(match=pattern, count=1000)))

    def hscan(self, name, cursor=0, match=None, count=None):
        """HSCAN: (0, {field: value}).  The kernel has no HSCAN: this is
        one HGETALL (a snapshot, each field exactly once) filtered here."""
        d = self.hgetall(name)
        if match is not None:
            m = _enc(match)
            m = m.encode() if isinstance(m, str) else bytes(m)
            d = {k: v for k, v in d.items() if _glob.match(m, k)}
        return 0, d

    def hscan_iter(self, name, match=None, count=None):
        """Yields (field, value) pairs of a hash; see hscan()."""
        yield from self.hscan(name, 0, match, count)[1].items()

    def sscan(self, name, cursor=0, match=None, count=None):
        """SSCAN: (0, [members]), from one SMEMBERS (see hscan())."""
        s = self.smembers(name)
        if match is not None:
            m = _enc(match)
            m = m.encode() if isinstance(m, str) else bytes(m)
            s = {k for k in s if _glob.match(m, k)}
        return 0, list(s)

    def sscan_iter(self, name, match=None, count=None):
        yield from self.sscan(name, 0, match, count)[1]

    # ---------------------------------------- pipelines and transactions

    def pipeline(self, transaction=False):
        """A Pipeline (one KC_IOC_BATCH, not atomic) or, with
        transaction=True, a Transaction without watched keys."""
        return Transaction(self) if transaction else Pipeline(self)

    def transaction(self, watch=()):
        """A Transaction; the keys in watch are watched from now on."""
        return Transaction(self, watch)

    def retry_transaction(self, fn, watch=(), retries=None, backoff=0.0):
        """Calls fn(tx) and runs tx, again from scratch while a watched key
        changed in between (at most retries times if given, then
        WatchError).  fn reads through this Cache and queues on tx;
        returns (fn's value, tx's results)."""
        n = 0
        while True:
            tx = Transaction(self, watch)
            value = fn(tx)
            try:
                return value, tx.execute()
            except WatchError:
                n += 1
                if retries is not None and n > retries:
                    raise
                if backoff:
                    _time.sleep(backoff)

    # --------------------------------------------------------- pub/sub

    def _netlink(self):
        from .pubsub import Netlink
        with self._nl_lock:
            if self._dev.closed:
                raise ClosedError_()
            if self._nl is None:
                self._nl = Netlink()
            return self._nl

    def publish(self, channel, message):
        """PUBLISH over netlink (KC_CMD_PUBLISH).  Returns None: the kernel
        multicasts and does not count subscribers."""
        nl = self._netlink()
        with self._nl_lock:
            nl.publish(_enc(channel), _enc(message))

    def pubsub(self, rcvbuf=None):
        """A PubSub: subscribe()/psubscribe()/keyspace(), then listen()."""
        from .pubsub import PubSub
        return PubSub(rcvbuf=rcvbuf)

    def subscribe(self, *channels, patterns=(), keyspace=None, rcvbuf=None):
        """A PubSub already subscribed to channels, patterns and (with a
        glob, or True for every key) keyspace events; iterate it."""
        p = self.pubsub(rcvbuf)
        try:
            if channels:
                p.subscribe(*channels)
            if patterns:
                p.psubscribe(*patterns)
            if keyspace is not None and keyspace is not False:
                p.keyspace("*" if keyspace is True else keyspace)
        except BaseException:
            p.close()
            raise
        return p

    def listen(self, *channels, patterns=(), keyspace=None, rcvbuf=None):
        """Yields the messages of subscribe(...) until closed."""
        with self.subscribe(*channels, patterns=patterns, keyspace=keyspace,
                            rcvbuf=rcvbuf) as p:
            yield from p.listen()


def ClosedError_():
    from .exceptions import ClosedError
    return ClosedError("the kcache Cache is closed", errno.EBADF)


class Pipeline(Commands):
    """Queues commands and sends them in one KC_IOC_BATCH (several past
    KC_BATCH_MAX ops).  Each op runs on its own, in order, not atomically.
    Command methods return the pipeline (for chaining); execute() returns
    the list of results, raising the first error unless
    raise_on_error=False (then errors are in the list).  ``with
    c.pipeline() as p:`` executes on a clean exit (results in p.results)
    and discards the queue when the block raises."""

    _txn = False

    def __init__(self, cache):
        self.cache = cache
        self._ops = []
        self._convs = []  # (conv, first op, op count, multi)
        self.results = None

    def _cmd(self, conv, op):
        self._convs.append((conv, len(self._ops), 1, False))
        self._ops.append(op)
        return self

    def _cmds(self, conv, pairs):
        self._convs.append(((conv, [c for c, _ in pairs]), len(self._ops), len(pairs), True))
        self._ops.extend(op for _, op in pairs)
        return self

    def __len__(self):
        return len(self._convs)

    def reset(self):
        self._ops = []
        self._convs = []

    def _watch(self):
        return None

    def execute(self, raise_on_error=True):
        ops, convs = self._ops, self._convs
        self.reset()
        if not convs and not self._txn:
            self.results = []
            return []
        raw = self.cache._batch(ops, self._txn, self._watch())
        out = []
        for conv, i, n, multi in convs:
            try:
                if multi:
                    agg, cs = conv
                    out.append(agg([c(r) for c, r in zip(cs, raw[i:i + n])]))
                else:
                    out.append(conv(raw[i]))
            except KcacheError as e:
                out.append(e)
        self.results = out
        if raise_on_error:
            for r in out:
                if isinstance(r, KcacheError):
                    raise r
        return out

    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        if typ is None:
            self.execute()
        else:
            self.reset()


class Transaction(Pipeline):
    """Queues commands and runs them as one kernel transaction (Redis's
    MULTI/EXEC): all or, when a watched key changed since it was watched,
    none (WatchError).  Watch keys when creating it (Cache.transaction(
    watch=[...])) or with watch() before reading them through the Cache.
    A runtime error (WrongType, ...) fails that command only."""

    _txn = True

    def __init__(self, cache, watch=()):
        super().__init__(cache)
        self._watched = []
        if watch:
            if isinstance(watch, (bytes, str)):
                watch = [watch]
            self.watch(*watch)

    def watch(self, *names):
        """Watches names: the transaction will not run if any of them is
        written, deleted, expired or evicted from now on."""
        if len(self._watched) + len(names) > K.KC_WATCH_MAX:
            raise TooLarge("at most %d watched keys" % K.KC_WATCH_MAX, errno.E2BIG)
        keys = [_enc(n) for n in names]
        raw = self.cache._batch([_op(K.KC_OP_EXISTS, k) for k in keys], False, None)
        for k, r in zip(keys, raw):
            if r[0] == _ENOENT:
                self._watched.append((k, 0))
            elif r[0]:
                raise error_for(r[0], "watch")
            else:
                self._watched.append((k, r[2]))
        return self

    def unwatch(self):
        self._watched = []
        return self

    def _watch(self):
        return self._watched

    def execute(self, raise_on_error=True):
        try:
            return super().execute(raise_on_error)
        finally:
            self._watched = []
