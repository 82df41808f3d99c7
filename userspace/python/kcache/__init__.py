# SPDX-License-Identifier: GPL-2.0
"""kcache: the in-kernel cache from Python, straight through /dev/kcache.

    import kcache
    with kcache.Cache() as c:
        c.set("greeting", "hello", ex=60)
        c.get("greeting")                 # b'hello'
        with c.transaction(watch=["n"]) as tx:
            tx.incr("n")
            tx.lpush("log", "incremented")

Names and return types follow redis-py; values come back as bytes, str
arguments go in as UTF-8.  See Documentation/python.rst.
"""
from . import _kcache
from .client import COMMAND_NAMES, Cache, Commands, Pipeline, Transaction
from .exceptions import (ClosedError, ConditionFailed, DataError, IntegerOverflow,
                         InvalidArgument, KcacheError, KeyTooLong, NoSuchKey, NotAnInteger,
                         NotSupported, OutOfMemory, OutOfRange, PermissionError,
                         ReplyTooLarge, ResponseError, TooLarge, WatchError, WrongType)
from .pubsub import PubSub

__version__ = "0.1"
DEVICE_PATH = _kcache.KC_DEVICE_PATH

__all__ = ["Cache", "Commands", "Pipeline", "Transaction", "PubSub", "COMMAND_NAMES",
           "KcacheError", "ResponseError", "NoSuchKey", "ConditionFailed", "TooLarge",
           "KeyTooLong", "ReplyTooLarge", "InvalidArgument", "OutOfMemory", "IntegerOverflow",
           "NotAnInteger", "WrongType", "PermissionError", "OutOfRange", "NotSupported",
           "WatchError", "ClosedError", "DataError", "DEVICE_PATH"]
