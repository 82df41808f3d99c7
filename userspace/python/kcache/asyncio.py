# SPDX-License-Identifier: GPL-2.0
"""kcache for asyncio: every command of kcache.Cache as a coroutine.

An ioctl on /dev/kcache cannot be awaited (the kernel offers no io_uring
command for it), so each call runs in a thread pool executor: the event
loop never blocks, and the calls of many tasks run in parallel in the
kernel (the C layer releases the GIL around the ioctl).  Pub/sub reads the
netlink socket with the loop itself (loop.sock_recv), no thread.

    import kcache.asyncio

    async with kcache.asyncio.Cache() as c:
        await c.set("k", "v")
        async with c.pipeline() as p:
            p.get("k").incr("n")
        async for key in c.scan_iter(match="user:*"):
            ...
        async for msg in c.listen("news"):
            ...
"""
import asyncio
import concurrent.futures
import errno
import functools
import inspect

from . import client as _client
from .exceptions import ClosedError, WatchError
from .pubsub import PubSub as _PubSub

DEFAULT_WORKERS = 8


class Cache:
    """An open /dev/kcache whose methods are coroutines.  executor: a
    concurrent.futures executor to run the ioctls in (default: a thread
    pool of max_workers threads owned by this Cache); db: the database,
    as kcache.Cache's."""

    def __init__(self, path=_client.K.KC_DEVICE_PATH, executor=None,
                 max_workers=DEFAULT_WORKERS, db=0):
        self.sync = _client.Cache(path, db)
        self._own = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="kcache")

    async def _run(self, fn, *a, **kw):
        if self.sync.closed:
            raise ClosedError("the kcache Cache is closed", errno.EBADF)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *a, **kw))

    async def close(self):
        self.sync.close()
        if self._own:
            self._executor.shutdown(wait=False)

    aclose = close

    @property
    def closed(self):
        return self.sync.closed

    @property
    def db(self):
        return self.sync.db

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    # Server information (not in Commands).
    async def version(self):
        return await self._run(self.sync.version)

    async def stats(self):
        return await self._run(self.sync.stats)

    info = stats

    async def class_stats(self):
        return await self._run(self.sync.class_stats)

    async def dbsize(self):
        return await self._run(self.sync.dbsize)

    async def config_get(self):
        return await self._run(self.sync.config_get)

    async def config_set(self, **kw):
        return await self._run(self.sync.config_set, **kw)

    async def publish(self, channel, message):
        return await self._run(self.sync.publish, channel, message)

    async def keys(self, pattern="*"):
        return await self._run(self.sync.keys, pattern)

    async def hscan(self, name, cursor=0, match=None, count=None):
        return await self._run(self.sync.hscan, name, cursor, match, count)

    async def sscan(self, name, cursor=0, match=None, count=None):
        return await self._run(self.sync.sscan, name, cursor, match, count)

    # Async generators.
    async def scan_iter(self, match=None, count=None, _type=None, type=None):
        """Yields keys, one SCAN call (in the executor) per page."""
        cursor = 0
        while True:
            cursor, keys = await self.scan(cursor, match, count, _type, type)
            for k in keys:
                yield k
            if cursor == 0:
                return

    async def hscan_iter(self, name, match=None, count=None):
        _, d = await self.hscan(name, 0, match, count)
        for item in d.items():
            yield item

    async def sscan_iter(self, name, match=None, count=None):
        _, s = await self.sscan(name, 0, match, count)
        for m in s:
            yield m

    # Pipelines and transactions: commands are queued without I/O; the
    # batch runs in the executor.
    def pipeline(self, transaction=False):
        return Pipeline(self, self.sync.pipeline(transaction))

    def transaction(self, watch=()):
        """An async context manager; the watched keys are read when it is
        entered (async with) or by await tx.watch(...)."""
        return Pipeline(self, _client.Transaction(self.sync), watch)

    async def retry_transaction(self, fn, watch=(), retries=None, backoff=0.0):
        """As kcache.Cache.retry_transaction; fn may be a coroutine
        function.  Returns (fn's value, the results)."""
        n = 0
        while True:
            tx = self.transaction(watch)
            await tx.watch()
            value = fn(tx)
            if inspect.isawaitable(value):
                value = await value
            try:
                return value, await tx.execute()
            except WatchError:
                n += 1
                if retries is not None and n > retries:
                    raise
                await asyncio.sleep(backoff)

    # Pub/sub.
    def pubsub(self, rcvbuf=None):
        return PubSub(rcvbuf)

    def subscribe(self, *channels, patterns=(), keyspace=None, rcvbuf=None):
        p = PubSub(rcvbuf)
        p.sync_pubsub_setup(channels, patterns, keyspace)
        return p

    async def listen(self, *channels, patterns=(), keyspace=None, rcvbuf=None):
        async with self.subscribe(*channels, patterns=patterns, keyspace=keyspace,
                                  rcvbuf=rcvbuf) as p:
            async for m in p.listen():
                yield m


def _command(name):
    sync = getattr(_client.Cache, name)

    async def method(self, *a, **kw):
        return await self._run(getattr(self.sync, name), *a, **kw)
    method.__name__ = name
    method.__qualname__ = "Cache." + name
    method.__doc__ = sync.__doc__
    return method


for _name in _client.COMMAND_NAMES:
    if _name not in Cache.__dict__:
        setattr(Cache, _name, _command(_name))


class Pipeline:
    """A kcache Pipeline or Transaction whose execute() is awaited.
    Command methods queue (no await) and return the pipeline."""

    def __init__(self, cache, inner, watch=()):
        self._cache = cache
        self._inner = inner
        self._to_watch = list(watch) if not isinstance(watch, (bytes, str)) else [watch]

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name in _client.COMMAND_NAMES:
            @functools.wraps(attr)
            def queue(*a, **kw):
                attr(*a, **kw)
                return self
            return queue
        return attr

    def __len__(self):
        return len(self._inner)

    async def watch(self, *names):
        names = self._to_watch + list(names)
        self._to_watch = []
        if names:
            await self._cache._run(self._inner.watch, *names)
        return self

    async def execute(self, raise_on_error=True):
        if self._to_watch:
            await self.watch()
        return await self._cache._run(self._inner.execute, raise_on_error)

    @property
    def results(self):
        return self._inner.results

    async def __aenter__(self):
        await self.watch()
        return self

    async def __aexit__(self, typ, val, tb):
        if typ is None:
            await self.execute()
        else:
            self._inner.reset()


class PubSub:
    """kcache.PubSub read by the event loop: await get_message(),
    async for m in listen()."""

    def __init__(self, rcvbuf=None):
        self.sync = _PubSub(rcvbuf)
        self.sync._nl.sock.setblocking(False)

    def sync_pubsub_setup(self, channels, patterns, keyspace):
        try:
            if channels:
                self.sync.subscribe(*channels)
            if patterns:
                self.sync.psubscribe(*patterns)
            if keyspace is not None and keyspace is not False:
                self.sync.keyspace("*" if keyspace is True else keyspace)
        except BaseException:
            self.sync.close()
            raise

    def __getattr__(self, name):
        return getattr(self.sync, name)

    async def get_message(self, timeout=None):
        """The next message; None after timeout seconds (None: wait)."""
        s = self.sync
        s._check()
        loop = asyncio.get_running_loop()

        async def one():
            while not s._pending:
                try:
                    buf = await loop.sock_recv(s._nl.sock, 1 << 17)
                except OSError as e:
                    import errno
                    if e.errno == errno.ENOBUFS:
                        s._pending.append({"type": "overrun", "pattern": None,
                                           "channel": None, "data": None})
                        continue
                    raise
                s._pending.extend(s._parse(buf))
            return s._pending.pop(0)
        if timeout is None:
            return await one()
        try:
            return await asyncio.wait_for(one(), timeout)
        except asyncio.TimeoutError:
            return None

    async def listen(self):
        while self.sync._nl is not None:
            yield await self.get_message()

    def __aiter__(self):
        return self.listen()

    async def close(self):
        self.sync.close()

    aclose = close

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.sync.close()
