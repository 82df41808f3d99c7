# SPDX-License-Identifier: GPL-2.0
"""Bad input gets clean, typed exceptions."""
import errno
import os

import pytest

import kcache


def test_hierarchy():
    for cls in (kcache.WrongType, kcache.NoSuchKey, kcache.OutOfMemory, kcache.TooLarge,
                kcache.KeyTooLong, kcache.PermissionError, kcache.WatchError,
                kcache.InvalidArgument, kcache.ClosedError, kcache.DataError):
        assert issubclass(cls, kcache.KcacheError)
    assert issubclass(kcache.PermissionError, PermissionError)
    assert issubclass(kcache.InvalidArgument, ValueError)
    assert issubclass(kcache.DataError, TypeError)
    assert issubclass(kcache.OutOfMemory, MemoryError)


def test_wrong_python_types(c):
    for bad in (None, {"a": 1}, [1], object(), True):
        with pytest.raises(kcache.DataError):
            c.set("k", bad)
        with pytest.raises((kcache.DataError, TypeError)):
            c.get(bad)
    with pytest.raises(TypeError):
        c.incr("k", "one")
    with pytest.raises(OverflowError):
        c.incr("k", 2**64)
    with pytest.raises(kcache.DataError):
        c.expire("k", "soon")
    assert c.dbsize() == 0


def test_bad_keys(c):
    with pytest.raises(kcache.InvalidArgument):
        c.set("", "v")
    with pytest.raises(kcache.KeyTooLong) as e:
        c.set("k" * 251, "v")
    assert e.value.errno == errno.ENAMETOOLONG
    assert c.set("k" * 250, "v") is True
    with pytest.raises(kcache.KeyTooLong):
        c.get(b"\xff" * 300)


def test_huge_values(c):
    limit = c.version()["item_size_max"]
    with pytest.raises(kcache.TooLarge) as e:
        c.set("big", b"x" * (limit + 1))
    assert e.value.errno == errno.E2BIG
    assert c.get("big") is None
    c.set("big", b"x" * 1000)
    with pytest.raises(kcache.TooLarge):
        c.append("big", b"y" * limit)
    assert c.strlen("big") == 1000
    with pytest.raises(kcache.TooLarge):
        c.setbit("big", limit * 8, 1)


def test_closed_cache(c):
    cache = kcache.Cache()
    cache.close()
    cache.close()
    assert cache.closed
    for call in (lambda: cache.get("k"), lambda: cache.set("k", 1), lambda: cache.stats(),
                 lambda: cache.pipeline().set("k", 1).execute(),
                 lambda: cache.transaction(watch=["k"])):
        with pytest.raises(kcache.ClosedError):
            call()
    with kcache.Cache() as c2:
        assert c2.ping()
    assert c2.closed


def test_missing_device():
    with pytest.raises(FileNotFoundError):
        kcache.Cache("/dev/no-such-kcache")
    with pytest.raises(kcache.NotSupported):
        kcache.Cache("/dev/null").get("k")


def _as_nobody(fn):
    """Runs fn() in a child that dropped root; its exception's class name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = b"none"
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            out = ("%s|%s|%s" % (type(e).__name__, isinstance(e, kcache.KcacheError),
                                 isinstance(e, PermissionError))).encode()
        os.write(w, out)
        os._exit(0)
    os.close(w)
    data = os.read(r, 4096)
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode()


def test_permission_errors(c):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges")
    cache = kcache.Cache()

    def flush_as_nobody():
        os.setgid(65534)
        os.setuid(65534)
        cache.flushall()
    assert _as_nobody(flush_as_nobody) == "PermissionError|True|True"

    def config_as_nobody():
        os.setgid(65534)
        os.setuid(65534)
        cache.config_set(notify=1)
    assert _as_nobody(config_as_nobody) == "PermissionError|True|True"

    def open_as_nobody():
        os.setgid(65534)
        os.setuid(65534)
        kcache.Cache()
    mode = os.stat(kcache.DEVICE_PATH).st_mode & 0o777
    if mode & 0o006 != 0o006:
        assert _as_nobody(open_as_nobody) == "PermissionError|True|True"
    cache.close()


def test_out_of_memory_is_typed():
    e = kcache.exceptions.error_for(-errno.ENOMEM)
    assert isinstance(e, kcache.OutOfMemory) and e.errno == errno.ENOMEM
    assert "out of memory" in str(e)


def test_raw_op_rejects_bad_arguments(c):
    dev = c._dev
    with pytest.raises(TypeError):
        dev.op(1, "k")
    with pytest.raises(TypeError):
        dev.op(kcache._kcache.KC_OP_GET, 12, None, None, 0, 0, 0, 0, 0, 0, 1)
    with pytest.raises(TypeError):
        dev.op(kcache._kcache.KC_OP_MGET, None, None, [b"a", None], 0, 0, 0, 0, 0, 0, 2)
    with pytest.raises(OverflowError):
        dev.op(2**33, b"k", None, None, 0, 0, 0, 0, 0, 0, 0)
    r = dev.op(9999, b"k", None, None, 0, 0, 0, 0, 0, 0, 0)
    assert r[0] == -errno.EOPNOTSUPP
    with pytest.raises(TypeError):
        dev.batch([("not", "an", "op")], False, None)
    with pytest.raises(ValueError):
        dev.batch([(0,) + (None,) * 3 + (0,) * 7] * 4097, False, None)
    with pytest.raises(ValueError):
        dev.op(kcache._kcache.KC_OP_GET, b"k", None, None, 0, 0, 0, 0, 0, 0, 9)
    with pytest.raises(ValueError):
        dev.batch([(kcache._kcache.KC_OP_GET, b"k", None, None, 0, 0, 0, 0, 0, 0, -1)],
                  False, None)
    # A transaction of NOPs only, and an empty pipeline, are fine.
    assert dev.batch([(0, None, None, None, 0, 0, 0, 0, 0, 0, 0)] * 3, True, None)[0] == 0
    assert c.pipeline().execute() == []
