# SPDX-License-Identifier: GPL-2.0
"""kcache's exceptions: one class per errno of the uapi's result table
(uapi/linux/kcache.h, "Operation results"), all under KcacheError.

Where Redis answers a miss with nil or 0 the methods return None or 0
instead of raising; NoSuchKey is raised only where Redis raises ("ERR no
such key": RENAME, LSET, ...)."""
import builtins
import errno as _errno

from ._kcache import ClosedError as _ClosedError


class KcacheError(Exception):
    """Base of every kcache error.  .errno is the positive errno the kernel
    gave (0 when the error was found in Python)."""

    def __init__(self, msg, errno=0):
        super().__init__(msg)
        self.errno = errno


#: redis-py's name for the server's error replies.
ResponseError = KcacheError


class NoSuchKey(KcacheError):
    """ENOENT where Redis raises (RENAME, LSET, ...)."""


class ConditionFailed(KcacheError):
    """EEXIST where no return value expresses it (CAS mismatch)."""


class TooLarge(KcacheError):
    """E2BIG: a value over item_size_max, a reply over KC_REPLY_MAX, inputs
    over KC_INPUT_MAX, too many operations in a batch."""


class KeyTooLong(TooLarge):
    """ENAMETOOLONG: a key longer than KC_KEY_MAX (250) bytes."""


class ReplyTooLarge(TooLarge):
    """ENOSPC: a reply did not fit the buffer given for it."""


class InvalidArgument(KcacheError, ValueError):
    """EINVAL: an empty key, a bad flag combination, a negative offset..."""


class OutOfMemory(KcacheError, MemoryError):
    """ENOMEM: the cache is at its limit and nothing could be evicted."""


class IntegerOverflow(KcacheError):
    """EOVERFLOW: INCR/DECR would leave the signed 64-bit range."""


class NotAnInteger(KcacheError):
    """EDOM: the value is not a base-10 signed 64-bit integer."""


class WrongType(KcacheError):
    """EPROTOTYPE: the key holds another kind of value (Redis WRONGTYPE)."""


class PermissionError(KcacheError, builtins.PermissionError):
    """EPERM/EACCES: the operation needs CAP_SYS_ADMIN (FLUSH, CONFIG set)
    or CAP_NET_ADMIN (joining a multicast group), or the device's mode
    does not allow this user."""


class OutOfRange(KcacheError, IndexError):
    """ERANGE: an index outside the list (LSET)."""


class NotSupported(KcacheError):
    """EOPNOTSUPP/ENOTTY: the module does not know the operation."""


class WatchError(KcacheError):
    """ECANCELED: a key watched by a transaction changed; nothing ran."""


class ClosedError(KcacheError, _ClosedError):
    """The Cache (or PubSub) was closed."""


class DataError(KcacheError, TypeError):
    """A Python value kcache cannot send (None, a dict, a bool...)."""


_BY_ERRNO = {
    _errno.ENOENT: (NoSuchKey, "no such key"),
    _errno.EEXIST: (ConditionFailed, "condition not met (key exists or CAS differs)"),
    _errno.E2BIG: (TooLarge, "too large (value over item_size_max, or reply/input limit)"),
    _errno.ENAMETOOLONG: (KeyTooLong, "key longer than 250 bytes"),
    _errno.EINVAL: (InvalidArgument, "invalid argument"),
    _errno.ENOMEM: (OutOfMemory, "out of memory: the cache is full and nothing could be evicted"),
    _errno.EOVERFLOW: (IntegerOverflow, "increment or decrement would overflow"),
    _errno.EDOM: (NotAnInteger, "value is not an integer or out of range"),
    _errno.EPROTOTYPE: (WrongType, "WRONGTYPE Operation against a key holding the wrong kind of value"),
    _errno.ENOSPC: (ReplyTooLarge, "reply larger than its buffer"),
    _errno.EPERM: (PermissionError, "operation not permitted (needs CAP_SYS_ADMIN)"),
    _errno.EACCES: (PermissionError, "permission denied (the device's mode does not allow it)"),
    _errno.ERANGE: (OutOfRange, "index out of range"),
    _errno.EOPNOTSUPP: (NotSupported, "operation not supported by this kcache module"),
    _errno.ENOTTY: (NotSupported, "not a kcache device, or unknown ioctl"),
    _errno.ECANCELED: (WatchError, "watched key changed: transaction not run"),
}


def error_for(result, what=None):
    """The exception for a negative result (-errno) of an operation."""
    e = -result
    cls, text = _BY_ERRNO.get(e, (KcacheError, None))
    if text is None:
        import os
        text = os.strerror(e)
    name = _errno.errorcode.get(e, str(e))
    msg = "%s (%s)" % (text, name)
    if what:
        msg = "%s: %s" % (what, msg)
    return cls(msg, e)
