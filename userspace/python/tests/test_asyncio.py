# SPDX-License-Identifier: GPL-2.0
"""kcache.asyncio: coroutines that never block the event loop."""
import asyncio
import time

import pytest

import kcache
import kcache.asyncio as kca


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_basic_and_context_manager(c):
    async def main():
        async with kca.Cache() as a:
            assert await a.set("k", "v") is True
            assert await a.get("k") == b"v"
            assert await a.hset("h", mapping={"f": 1}) == 1
            assert await a.hgetall("h") == {b"f": b"1"}
            assert await a.smembers("none") == set()
            assert (await a.stats())["curr_items"] == 2
            with pytest.raises(kcache.WrongType):
                await a.lpush("k", 1)
        assert a.closed
        with pytest.raises(kcache.ClosedError):
            await a.get("k")
    run(main())


def test_many_concurrent_tasks(c):
    async def main():
        async with kca.Cache(max_workers=16) as a:
            async def task(i):
                for j in range(20):
                    await a.incr("total")
                    await a.rpush("l%d" % (i % 10), j)
                return i
            res = await asyncio.gather(*(task(i) for i in range(200)))
            assert res == list(range(200))
            assert await a.get("total") == b"4000"
            assert sum([await a.llen("l%d" % i) for i in range(10)]) == 4000
    run(main())


def test_loop_not_blocked(c):
    big = b"x" * (c.version()["item_size_max"] - 64)
    c.set("v", big)

    async def main():
        async with kca.Cache(max_workers=4) as a:
            ticks = 0
            stop = False

            async def ticker():
                nonlocal ticks
                while not stop:
                    ticks += 1
                    await asyncio.sleep(0)
            t = asyncio.ensure_future(ticker())
            t0 = time.monotonic()
            vals = await asyncio.gather(*(a.get("v") for _ in range(20)))
            stop = True
            await t
            assert all(v == big for v in vals)
            # The ticker ran while the gets were in flight.
            assert ticks > 5, (ticks, time.monotonic() - t0)
    run(main())


def test_async_pipeline_and_transaction(c):
    async def main():
        async with kca.Cache() as a:
            async with a.pipeline() as p:
                p.set("a", 1).incr("a")
                p.get("a")
            assert p.results == [True, 2, b"2"]
            async with a.transaction(watch=["a"]) as tx:
                v = int(await a.get("a"))
                tx.set("a", v * 10)
            assert tx.results == [True] and await a.get("a") == b"20"
            tx = a.transaction(watch=["a"])
            await tx.watch()
            await a.incr("a")
            tx.set("a", 0)
            with pytest.raises(kcache.WatchError):
                await tx.execute()

            async def bump(tx):
                v = int(await a.get("a"))
                tx.set("a", v + 1)
                return v
            # Concurrent read-modify-write transactions: none lost.
            await asyncio.gather(*(a.retry_transaction(bump, watch=["a"]) for _ in range(20)))
            assert await a.get("a") == b"41"
    run(main())


def test_async_scan_iter(c):
    with c.pipeline() as p:
        for i in range(250):
            p.set("as:%d" % i, i)
    c.hset("h", mapping={"x1": 1, "y1": 2})
    c.sadd("s", "m1", "m2")

    async def main():
        async with kca.Cache() as a:
            keys = set()
            async for k in a.scan_iter(match="as:*", count=20):
                keys.add(k)
            assert keys == {b"as:%d" % i for i in range(250)}
            assert [kv async for kv in a.hscan_iter("h", match="x*")] == [(b"x1", b"1")]
            assert {m async for m in a.sscan_iter("s")} == {b"m1", b"m2"}
    run(main())


def test_async_pubsub(c):
    async def main():
        async with kca.Cache() as a:
            async with a.subscribe("ch", patterns=["p.*"]) as p:
                await a.publish("ch", "one")
                await a.publish("p.x", "two")
                m1 = await p.get_message(timeout=10)
                m2 = await p.get_message(timeout=10)
                assert (m1["type"], m1["data"]) == ("message", b"one")
                assert (m2["type"], m2["pattern"], m2["data"]) == ("pmessage", b"p.*", b"two")
                assert await p.get_message(timeout=0.2) is None

            got = []

            async def reader():
                async for m in a.listen("feed"):
                    got.append(m["data"])
                    if len(got) == 10:
                        return
            t = asyncio.ensure_future(reader())
            await asyncio.sleep(0.3)
            for i in range(10):
                await a.publish("feed", str(i))
            await asyncio.wait_for(t, 30)
            assert got == [str(i).encode() for i in range(10)]
    run(main())
