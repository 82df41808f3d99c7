#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy with real Redis clients: python3-redis, redis-cli (commands
and --pipe mass insertion) and redis-benchmark, all from Debian."""
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import BUILD, Proxy, Raw, Tap, cmd, resp_upto  # noqa: E402

CLI = os.path.join(BUILD, "userspace", "kcache-cli")
FLOOD = 600     # 60 KB messages: over the 16 MiB a proxy's group socket queues

try:
    import redis
except ImportError:
    redis = None


def sh(args, inp=None, timeout=120):
    p = subprocess.run(args, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def main():
    t = Tap()
    px = Proxy()
    port = str(px.rport)

    if redis is None:
        t.skip("python3-redis", "python3-redis is not installed")
    else:
        r = redis.Redis(host="127.0.0.1", port=px.rport, socket_timeout=30)

        def basics():
            t.ok(r.ping(), "redis-py: PING")
            t.ok(r.set("py:s", "v") and r.get("py:s") == b"v", "redis-py: SET/GET")
            t.eq(r.set("py:s", "w", nx=True), None, "redis-py: SET NX on an existing key")
            t.eq(r.set("py:s", "x", xx=True, get=True), b"v", "redis-py: SET XX GET")
            t.ok(r.set("py:e", "v", ex=100) and 99 <= r.ttl("py:e") <= 100, "redis-py: SET EX and TTL")
            t.ok(r.expire("py:e", 5, gt=False) and r.persist("py:e") and r.ttl("py:e") == -1,
                 "redis-py: EXPIRE, PERSIST")
            t.eq(r.incr("py:n"), 1, "redis-py: INCR")
            t.eq(r.incrby("py:n", 41), 42, "redis-py: INCRBY")
            t.eq(r.decrby("py:n", 2), 40, "redis-py: DECRBY")
            t.eq(r.incrbyfloat("py:f", 2.5), 2.5, "redis-py: INCRBYFLOAT")
            t.eq(r.append("py:s", "yz"), 3, "redis-py: APPEND")
            t.eq(r.getrange("py:s", 1, -1), b"yz", "redis-py: GETRANGE")
            t.eq(r.setrange("py:s", 1, "AB"), 3, "redis-py: SETRANGE")
            t.eq(r.mset({"py:m1": "1", "py:m2": "2"}), True, "redis-py: MSET")
            t.eq(r.mget(["py:m1", "py:nokey", "py:m2"]), [b"1", None, b"2"], "redis-py: MGET")
            t.eq(r.setbit("py:b", 9, 1), 0, "redis-py: SETBIT")
            t.eq(r.getbit("py:b", 9), 1, "redis-py: GETBIT")
            t.eq(r.type("py:s"), b"string", "redis-py: TYPE")
            t.eq(r.exists("py:s", "py:n", "py:nokey"), 2, "redis-py: EXISTS")
            t.eq(r.getdel("py:m1"), b"1", "redis-py: GETDEL")
            t.eq(r.getex("py:m2", ex=50), b"2", "redis-py: GETEX")
            t.ok(r.dbsize() >= 5, "redis-py: DBSIZE")
            info = r.info()
            t.ok(info.get("redis_version") and "used_memory" in info and
                 "connected_clients" in info, "redis-py: INFO parses", sorted(info)[:20])
            t.ok(r.client_setname("tester") and r.client_getname() in ("tester", b"tester"),
                 "redis-py: CLIENT SETNAME/GETNAME")
            t.ok(isinstance(r.client_id(), int), "redis-py: CLIENT ID")
            t.ok(any(c.get("name") == "tester" for c in r.client_list()), "redis-py: CLIENT LIST")
            t.ok(r.config_get("maxmemory") != {}, "redis-py: CONFIG GET")
            try:
                r.get("py:s") and r.incr("py:s")
                t.ok(False, "redis-py: INCR on a string raises")
            except redis.ResponseError as e:
                t.eq(str(e), "value is not an integer or out of range", "redis-py: INCR on a string raises")
            t.eq(r.delete("py:s", "py:n", "py:f", "py:m2", "py:b", "py:e", "py:nokey"), 6,
                 "redis-py: DEL of many keys")
        t.run("redis-py basics", basics)

        def types():
            t.eq(r.rpush("py:l", "a", "b", "c"), 3, "redis-py: RPUSH")
            t.eq(r.lrange("py:l", 0, -1), [b"a", b"b", b"c"], "redis-py: LRANGE")
            t.eq(r.lpop("py:l"), b"a", "redis-py: LPOP")
            t.eq(r.hset("py:h", mapping={"f": "1", "g": "2"}), 2, "redis-py: HSET mapping")
            t.eq(r.hgetall("py:h"), {b"f": b"1", b"g": b"2"}, "redis-py: HGETALL")
            t.eq(r.hincrby("py:h", "f", 4), 5, "redis-py: HINCRBY")
            t.eq(r.sadd("py:set", "x", "y", "x"), 2, "redis-py: SADD")
            t.eq(r.smembers("py:set"), {b"x", b"y"}, "redis-py: SMEMBERS")
            t.eq(r.type("py:h"), b"hash", "redis-py: TYPE of a hash")
            t.eq(r.delete("py:l", "py:h", "py:set"), 3, "redis-py: DEL of aggregates")
        t.run("redis-py types", types)

        def pipeline():
            p = r.pipeline(transaction=False)
            for i in range(500):
                p.set("pp:%d" % i, i)
            for i in range(500):
                p.get("pp:%d" % i)
            p.incr("pp:0")
            res = p.execute()
            t.ok(res[:500] == [True] * 500 and res[500:1000] == [str(i).encode() for i in range(500)]
                 and res[1000] == 1, "redis-py: a pipeline of 1001 commands")
            t.eq(r.delete(*["pp:%d" % i for i in range(500)]), 500, "redis-py: DEL after the pipeline")
        t.run("redis-py pipeline", pipeline)

        def txn():
            p = r.pipeline(transaction=True)
            p.set("tx:a", "1").incr("tx:a").get("tx:a")
            try:
                res = p.execute()
            except redis.ResponseError as e:
                if "does not support transactions" in str(e):
                    t.skip("redis-py: MULTI/EXEC", "the kcache module has no KC_BATCH_TXN yet")
                    t.skip("redis-py: WATCH aborts EXEC on a change", "no KC_BATCH_TXN yet")
                    return
                raise
            t.eq(res, [True, 2, b"2"], "redis-py: MULTI/EXEC")
            with r.pipeline() as p:
                p.watch("tx:a")
                r.set("tx:a", "changed")
                p.multi()
                p.set("tx:a", "mine")
                try:
                    p.execute()
                    t.ok(False, "redis-py: WATCH aborts EXEC on a change")
                except redis.WatchError:
                    t.ok(r.get("tx:a") == b"changed", "redis-py: WATCH aborts EXEC on a change")
            r.delete("tx:a")
        t.run("redis-py transactions", txn)

        def watch_types():
            r.delete("wt:l", "wt:h", "wt:s", "wt:new")
            r.rpush("wt:l", "a")
            with r.pipeline() as p:
                p.watch("wt:l")
                t.eq(p.lrange("wt:l", 0, -1), [b"a"], "redis-py: read a watched list")
                r.lpush("wt:l", "other")    # another connection
                p.multi()
                p.rpush("wt:l", "mine")
                try:
                    p.execute()
                    t.ok(False, "WATCH on a list: another client's LPUSH aborts EXEC")
                except redis.WatchError:
                    t.eq(r.lrange("wt:l", 0, -1), [b"other", b"a"],
                         "WATCH on a list: another client's LPUSH aborts EXEC")
            r.hset("wt:h", "f", "1")
            with r.pipeline() as p:
                p.watch("wt:h", "wt:l")
                p.multi()
                p.hset("wt:h", "g", "2")
                t.eq(p.execute(), [1], "WATCH on a hash and a list nobody touched: EXEC runs")
            with r.pipeline() as p:
                p.watch("wt:new")
                r.sadd("wt:new", "x")       # a missing key appears, as a set
                p.multi()
                p.set("wt:new", "mine")
                try:
                    p.execute()
                    t.ok(False, "WATCH on a missing key: a SADD that creates it aborts EXEC")
                except redis.WatchError:
                    t.eq(r.type("wt:new"), b"set",
                         "WATCH on a missing key: a SADD that creates it aborts EXEC")
            r.sadd("wt:s", "a", "b")
            with r.pipeline() as p:
                p.watch("wt:s")
                r.srem("wt:s", "a", "b")    # the set disappears
                p.multi()
                p.sadd("wt:s", "mine")
                try:
                    p.execute()
                    t.ok(False, "WATCH on a set: deleting it aborts EXEC")
                except redis.WatchError:
                    t.eq(r.exists("wt:s"), 0, "WATCH on a set: deleting it aborts EXEC")
            r.delete("wt:l", "wt:h", "wt:s", "wt:new")
        t.run("redis-py WATCH on every type", watch_types)

        def databases():
            # db=3: redis-py sends SELECT 3 on every connection of its pool.
            r3 = redis.Redis(host="127.0.0.1", port=px.rport, db=3, socket_timeout=30)
            r3.flushdb()
            r.delete("db:k")
            t.ok(r3.set("db:k", "in3") and r.get("db:k") is None,
                 "redis-py db=3: its keys are not database 0's")
            t.eq((r3.get("db:k"), r3.dbsize()), (b"in3", 1), "redis-py db=3: GET, DBSIZE")
            t.ok(r3.move("db:k", 0) and r.get("db:k") == b"in3" and r3.exists("db:k") == 0,
                 "redis-py: MOVE to database 0")
            t.ok(r.copy("db:k", "db:k", destination_db=3) and r3.get("db:k") == b"in3",
                 "redis-py: COPY with destination_db")
            ks = r.info("keyspace")
            t.ok(ks.get("db3", {}).get("keys") == 1 and ks.get("db0", {}).get("keys", 0) >= 1,
                 "redis-py: INFO keyspace has db0 and db3", ks)
            with r3.pipeline() as p:
                p.watch("db:k")
                r.set("db:k", "other")      # the same name in database 0
                p.multi()
                p.set("db:k", "mine")
                t.eq(p.execute(), [True], "redis-py: WATCH in database 3 is not about database 0")
            t.eq((r.get("db:k"), r3.get("db:k")), (b"other", b"mine"), "redis-py: each database its value")
            t.ok(r3.swapdb(0, 3) and r.get("db:k") == b"mine" and r3.get("db:k") == b"other",
                 "redis-py: SWAPDB")
            r3.swapdb(0, 3)
            t.ok(list(r3.config_get("databases").values()) in ([b"16"], ["16"]),
                 "redis-py: CONFIG GET databases", r3.config_get("databases"))
            r3.flushdb()
            r.delete("db:k")
            r3.close()
        t.run("redis-py databases", databases)

        def scan_iter():
            r.mset({"si:%d" % i: i for i in range(500)})
            r.rpush("si:list", "x")
            got = list(r.scan_iter(match="si:*", count=50))
            t.eq(sorted(set(got)), sorted([b"si:%d" % i for i in range(500)] + [b"si:list"]),
                 "redis-py: scan_iter(match=...) sees every key")
            t.eq(list(r.scan_iter(match="si:*", _type="list")), [b"si:list"],
                 "redis-py: scan_iter(_type='list')")
            t.eq(sorted(r.keys("si:1?")), sorted(b"si:1%d" % i for i in range(10)), "redis-py: KEYS")
            t.ok(r.randomkey() is not None, "redis-py: RANDOMKEY")
            r.sadd("si:set", *["m%d" % i for i in range(100)])
            t.eq(sorted(r.sscan_iter("si:set", match="m1*")),
                 sorted([b"m1"] + [b"m1%d" % i for i in range(10)]), "redis-py: sscan_iter")
            r.hset("si:h", mapping={"f1": "a", "g1": "b"})
            t.eq(r.hscan("si:h", match="f*"), (0, {b"f1": b"a"}), "redis-py: HSCAN")
            r.delete(*["si:%d" % i for i in range(500)], "si:list", "si:set", "si:h")
        t.run("redis-py SCAN", scan_iter)

        def pubsub():
            p = r.pubsub()
            p.subscribe("news", "sport")
            p.psubscribe("n*")

            def take(n, secs=10):
                out, end = [], time.time() + secs
                while len(out) < n and time.time() < end:
                    m = p.get_message(timeout=0.2)
                    if m:
                        out.append((m["type"], m.get("pattern"), m["channel"], m["data"]))
                return out
            t.eq(take(3), [("subscribe", None, b"news", 1), ("subscribe", None, b"sport", 2),
                           ("psubscribe", None, b"n*", 3)], "redis-py: subscribe counts")
            pub = redis.Redis(host="127.0.0.1", port=px.rport, socket_timeout=30)
            counts = [pub.publish("news", "m1"), pub.publish("sport", "m2"),
                      pub.publish("nothing", "m3"), pub.publish("zzz", "m4")]
            t.eq(counts, [2, 1, 1, 0], "redis-py: PUBLISH counts this proxy's receivers")
            t.eq(take(4), [("message", None, b"news", b"m1"), ("pmessage", b"n*", b"news", b"m1"),
                           ("message", None, b"sport", b"m2"), ("pmessage", b"n*", b"nothing", b"m3")],
                 "redis-py: messages and pattern messages, in order")
            with pub.pipeline(transaction=False) as pp:
                for i in range(2000):
                    pp.publish("sport", "seq %d" % i)
                res = pp.execute()
            t.eq(res, [1] * 2000, "redis-py: 2000 pipelined PUBLISH")
            got = take(2000, 60)
            t.eq([m[3] for m in got], [b"seq %d" % i for i in range(2000)],
                 "redis-py: 2000 messages arrive once each, in order")
            p.unsubscribe("news")
            t.eq(take(1), [("unsubscribe", None, b"news", 2)], "redis-py: UNSUBSCRIBE count")
            p.punsubscribe()
            t.eq(take(1), [("punsubscribe", None, b"n*", 1)], "redis-py: PUNSUBSCRIBE count")
            p.unsubscribe()
            t.eq(take(1), [("unsubscribe", None, b"sport", 0)], "redis-py: UNSUBSCRIBE of the rest")
            t.eq(pub.publish("sport", "late"), 0, "redis-py: nobody left to receive")
            # kcache-cli shares the group: it hears the proxy, the proxy hears it
            if os.access(CLI, os.X_OK):
                p.subscribe("cli")
                take(1)
                rc, out, err = sh([CLI, "publish", "cli", "from the cli"])
                t.ok(rc == 0 and take(1) == [("message", None, b"cli", b"from the cli")],
                     "kcache-cli publish reaches a proxy subscriber", out + err)
                sub = subprocess.Popen([CLI, "subscribe", "--count", "1", "--timeout", "20",
                                        "cli"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                time.sleep(1)
                n = pub.publish("cli", "to the cli")
                try:
                    out, err = sub.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    sub.kill()
                    out, err = sub.communicate()
                t.ok(b"to the cli" in out and n == 1,
                     "a proxy PUBLISH reaches kcache-cli subscribe (counted: proxy clients only)",
                     (out + err).decode(errors="replace"))
                p.unsubscribe()
                take(1)
            else:
                t.skip("kcache-cli and the proxy share the pubsub group", "no " + CLI)
            p.close()
            pub.close()
        t.run("redis-py pub/sub", pubsub)

        def overrun():
            """The proxy stopped while 30 MiB are published: it loses some, logs, goes on."""
            px2 = Proxy()
            sub = redis.Redis(host="127.0.0.1", port=px.rport, socket_timeout=30)
            p = sub.pubsub()
            p.subscribe("flood")
            while p.get_message(timeout=1) is None:
                pass
            other = redis.Redis(host="127.0.0.1", port=px2.rport, socket_timeout=60)
            big = b"x" * 60000
            os.kill(px.p.pid, signal.SIGSTOP)
            try:
                with other.pipeline(transaction=False) as pp:
                    for _ in range(FLOOD):
                        pp.publish("flood", big)
                    pp.execute()
            finally:
                os.kill(px.p.pid, signal.SIGCONT)
            n, end = 0, time.time() + 120
            while time.time() < end:
                # the first one may take a while on a loaded machine: the
                # proxy just woke up with a full socket to drain
                m = p.get_message(timeout=3 if n else 30)
                if m is None:
                    break
                n += m["type"] == "message"
            other.publish("flood", "after")
            last = None
            while time.time() < end and last is None:
                m = p.get_message(timeout=1)
                if m and m["type"] == "message":
                    last = m["data"]
            t.ok(0 < n < FLOOD and last == b"after",
                 "netlink overrun: the subscriber misses messages, then gets new ones "
                 "(%d of %d, then %r)" % (n, FLOOD, last))
            t.ok(sub.ping() and "pub/sub messages lost" in px.logtext(),
                 "netlink overrun: logged, and the proxy keeps serving", px.logtext()[-600:])
            p.close()
            t.eq(px2.stop(), 0, "the second proxy exits 0")
        t.run("pub/sub overrun", overrun)

        def resp3():
            try:
                r3 = redis.Redis(host="127.0.0.1", port=px.rport, protocol=3)
                r3.ping()
            except TypeError:
                t.skip("redis-py RESP3", "this redis-py has no protocol=3")
                return
            t.ok(r3.set("r3", "v") and r3.get("r3") == b"v" and r3.get("r3:no") is None,
                 "redis-py over RESP3")
            r3.delete("r3")
        t.run("redis-py RESP3", resp3)

        def big_values():
            # proto-max-bulk-len is also the module's item_size_max
            big = b"x" * (4 << 20) + b"end"
            t.ok(r.config_set("proto-max-bulk-len", "8mb"), "CONFIG SET proto-max-bulk-len 8mb")
            t.ok(r.set("big", big) and r.get("big") == big and r.strlen("big") == len(big),
                 "a 4 MiB value stores and reads back")
            t.eq(r.append("big", b"!"), len(big) + 1, "APPEND to it")
            t.ok(r.config_set("proto-max-bulk-len", "1mb"), "CONFIG SET proto-max-bulk-len 1mb")
            try:
                r.set("big2", b"y" * (2 << 20))
                t.ok(False, "a 2 MiB value over the limit is refused")
            except redis.ResponseError as e:
                t.eq(str(e), "string exceeds maximum allowed size (proto-max-bulk-len)",
                     "a 2 MiB value over the limit is refused")
            t.ok(r.strlen("big") == len(big) + 1, "what is stored stays")
            # A 40 MiB value (CONFIG SET proto-max-bulk-len 512mb raises
            # item_size_max to Redis's 512 MiB; kcache_basic stores one past
            # the kernel's 128 MiB input bound) is read whole by GET, in
            # MULTI and by LINDEX (the cache's limit raised for it:
            # maxmemory 0 puts it back).
            huge = bytes(range(256)) * ((40 << 20) // 256) + b"end"
            t.ok(r.config_set("maxmemory", "400mb"), "CONFIG SET maxmemory 400mb")
            t.ok(r.config_set("proto-max-bulk-len", "512mb"),
                 "CONFIG SET proto-max-bulk-len 512mb")
            t.ok(r.set("huge", huge), "a 40 MiB SET")
            got = r.get("huge")
            t.ok(got == huge, "a 40 MiB value reads back whole",
                 None if got is None else len(got))
            got = None
            p = r.pipeline(transaction=True)
            p.get("huge")
            p.strlen("huge")
            res = p.execute()
            t.ok(res[0] == huge and res[1] == len(huge), "and inside MULTI/EXEC",
                 [len(res[0] or b""), res[1]])
            res = None
            r.delete("huge")
            t.eq(r.rpush("hugel", huge), 1, "a 40 MiB list element")
            got = r.lindex("hugel", 0)
            t.ok(got == huge, "LINDEX reads it back whole", None if got is None else len(got))
            got = None
            r.delete("hugel")
            # four of them in one MULTI: more than a kcache transaction
            # carries (128 MiB of values), refused whole and said so
            p = r.pipeline(transaction=True)
            for i in range(4):
                p.set("tx%d" % i, huge)
            try:
                p.execute()
                t.ok(False, "EXEC of 160 MiB of values is refused")
            except redis.exceptions.ResponseError as e:
                t.ok("a kcache transaction carries at most 128 MiB of values" in str(e),
                     "EXEC of 160 MiB of values: EXECABORT, said why", str(e))
            p = None
            t.eq(r.exists("tx0", "tx1", "tx2", "tx3"), 0, "and none of them ran")
            huge = None
            r.config_set("maxmemory", "0")
            # leave the module's item_size_max at its 1 MiB default for the
            # tests after this one (this proxy's own limit does not matter)
            r.config_set("proto-max-bulk-len", "1mb")
            r.delete("big")
        t.run("big values", big_values)

        def maxmemory():
            t.ok(r.config_set("maxmemory", "1"), "CONFIG SET maxmemory 1")
            t.eq(r.config_get("maxmemory"), {"maxmemory": "1"}, "CONFIG GET maxmemory: 1")
            try:
                r.set("mm", "1")
                t.ok(False, "a write over maxmemory: OOM")
            except redis.ResponseError as e:
                t.ok(str(e).startswith("OOM command not allowed"), "a write over maxmemory: OOM", str(e))
            t.eq(r.get("mm"), None, "reads still work")
            # A transaction queued before the limit came down: its EXEC is
            # refused when it holds a write, run when it only reads (Redis)
            t.ok(r.config_set("maxmemory", "0"), "CONFIG SET maxmemory 0 (for a MULTI)")
            m = Raw(px.rport)
            m.send(cmd("MULTI") + cmd("SET", "mm", "1") + cmd("GET", "mm"))
            t.eq(m.read_until(resp_upto(3)), b"+OK\r\n+QUEUED\r\n+QUEUED\r\n", "MULTI SET GET: queued")
            m.take()
            r.config_set("maxmemory", "1")
            m.send(cmd("EXEC"))
            t.eq(m.read_until(resp_upto(1)),
                 b"-EXECABORT Transaction discarded because of: OOM command not allowed "
                 b"when used memory > 'maxmemory'.\r\n",
                 "EXEC of a write after maxmemory 1: EXECABORT, OOM")
            m.take()
            r.config_set("maxmemory", "0")
            m.send(cmd("MULTI") + cmd("GET", "mm"))
            m.read_until(resp_upto(2))
            m.take()
            r.config_set("maxmemory", "1")
            m.send(cmd("EXEC"))
            t.eq(m.read_until(resp_upto(1)), b"*1\r\n$-1\r\n",
                 "EXEC of a read after maxmemory 1: runs")
            m.take()
            m.send(cmd("MULTI") + cmd("GET", "mm") + cmd("EXEC"))
            t.eq(m.read_until(resp_upto(3)),
                 b"+OK\r\n-OOM command not allowed when used memory > 'maxmemory'.\r\n"
                 b"-EXECABORT Transaction discarded because of previous errors.\r\n",
                 "over maxmemory nothing is queued, not even a read")
            m.close()
            t.eq(r.get("mm"), None, "and nothing was written")
            t.ok(r.config_set("maxmemory", "0"), "CONFIG SET maxmemory 0")
            t.eq(r.config_get("maxmemory"), {"maxmemory": "0"}, "CONFIG GET maxmemory: 0")
            t.ok(r.set("mm", "1") and r.delete("mm") == 1, "writes again")
            t.eq(int(r.info("memory")["maxmemory"]), 0, "INFO maxmemory: 0, as CONFIG GET")
            big = b"z" * (1 << 20)
            t.ok(all(r.set("mm:%d" % i, big) for i in range(8)) and r.delete(*["mm:%d" % i for i in range(8)]) == 8,
                 "8 MiB of writes: the kernel's limit is back")
            # noeviction: at the limit writes fail, nothing stored goes
            t.eq(r.config_get("maxmemory-policy"), {"maxmemory-policy": "allkeys-lru"},
                 "CONFIG GET maxmemory-policy: allkeys-lru by default")
            try:
                r.config_set("maxmemory-policy", "volatile-lru")
                t.ok(False, "CONFIG SET maxmemory-policy volatile-lru is refused")
            except redis.ResponseError as e:
                t.ok("(allkeys-lru) or none (noeviction)" in str(e),
                     "CONFIG SET maxmemory-policy volatile-lru is refused, saying which are", str(e))
            # 8 MiB over what the cache holds now (whole MiB: the kernel's
            # unit).  used_memory counts whole slab pages, whose free
            # chunks take values too: up to room MiB of them may store.
            room = (int(r.info("memory")["used_memory"]) >> 20) + 8
            stored, oom = [], None
            try:
                t.ok(r.config_set("maxmemory", "%dmb" % room), "CONFIG SET maxmemory: 8 MiB of room")
                t.ok(r.config_set("maxmemory-policy", "noeviction"),
                     "CONFIG SET maxmemory-policy noeviction")
                t.eq((r.config_get("maxmemory-policy"), r.info("memory")["maxmemory_policy"]),
                     ({"maxmemory-policy": "noeviction"}, "noeviction"), "CONFIG GET and INFO say so")
                val = b"n" * 100000
                for i in range(room * 11 + 50):
                    try:
                        r.set("ne:%d" % i, val)
                        stored.append("ne:%d" % i)
                    except redis.ResponseError as e:
                        oom = str(e)
                        break
                t.ok(oom is not None and stored and
                     oom.startswith("OOM command not allowed when used memory > 'maxmemory'"),
                     "writes past the 8 MiB: OOM (%d stored first)" % len(stored), oom)
                t.eq(r.exists(*stored) if stored else -1, len(stored), "every key stored is still there")
            finally:
                t.ok(r.config_set("maxmemory-policy", "allkeys-lru"),
                     "CONFIG SET maxmemory-policy allkeys-lru")
            t.ok(r.set("ne:after", val), "evicting again: the write succeeds")
            r.delete(*stored, "ne:after")
            r.config_set("maxmemory", "0")
        t.run("maxmemory", maxmemory)

        def config_port():
            # Redis's test suite sets every parameter to its own value
            t.ok(r.config_set("port", px.rport), "CONFIG SET port to its own port: OK")
            try:
                r.config_set("port", px.rport + 1)
                t.ok(False, "CONFIG SET port to another port is refused")
            except redis.ResponseError as e:
                t.ok("listens on the port it was started with" in str(e),
                     "CONFIG SET port to another port is refused, saying why", str(e))
            t.eq(r.config_get("port"), {"port": str(px.rport)}, "CONFIG GET port: unchanged")
        t.run("config port", config_port)

        def command_list():
            # raw: redis-py parses any COMMAND reply as COMMAND INFO's
            m = Raw(px.rport)

            def names(*args):
                m.send(cmd(*args))
                b = m.read_until(resp_upto(1))
                m.take()
                return [x.decode() for x in re.findall(rb"\$\d+\r\n([^\r]*)\r\n", b)]
            got = names("COMMAND", "LIST")
            subs = [n for n in got if "|" in n]
            m.send(cmd("COMMAND", "COUNT"))
            count = int(m.read_until(resp_upto(1))[1:-2])
            m.take()
            t.ok({"set", "client", "client|list", "config|get", "object|encoding"} <= set(got) and
                 len(got) == len(set(got)) and
                 all(n.split("|")[0] in got for n in subs) and len(got) - len(subs) == count,
                 "COMMAND LIST: the commands (COMMAND COUNT) and container|sub names",
                 "%d names, %d subcommands, COMMAND COUNT %d" % (len(got), len(subs), count))
            cfg = names("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*")
            t.ok("config" in cfg and "config|set" in cfg and all(n.startswith("config") for n in cfg),
                 "COMMAND LIST FILTERBY PATTERN config*: config and its subcommands", cfg)
            m.close()
        t.run("command list", command_list)

        def latency():
            bounds = [(1024 << b) // 1000 for b in range(40)]
            r.config_resetstat()
            r.set("lat:a", "b")
            r.set("lat:c", "d")
            r.client_id()
            r.execute_command("CLIENT", "LIST")
            raw = r.execute_command("LATENCY", "HISTOGRAM")
            h = dict(zip([k.decode() for k in raw[0::2]], raw[1::2]))
            t.ok({"set", "config|resetstat", "client|id", "client|list"} <= set(h),
                 "LATENCY HISTOGRAM: the commands called since RESETSTAT", sorted(h))
            st = dict(zip([k.decode() for k in h["set"][0::2]], h["set"][1::2]))
            hist = st.get("histogram_usec", [])
            keys, cums = hist[0::2], hist[1::2]
            t.ok(st.get("calls") == 2 and keys and all(k in bounds for k in keys) and
                 keys == sorted(keys) and cums == sorted(cums) and cums[-1] == 2,
                 "LATENCY HISTOGRAM set: 2 calls, cumulative counts in Redis's buckets", st)
            raw = r.execute_command("LATENCY", "HISTOGRAM", "blabla", "CLIENT", "set")
            t.eq(sorted(k.decode() for k in raw[0::2]), ["client|id", "client|list", "set"],
                 "LATENCY HISTOGRAM of some: a parent gives its subcommands, unknown skipped")
            t.eq(r.execute_command("LATENCY", "HISTOGRAM", "blabla"), [],
                 "LATENCY HISTOGRAM of an unknown command: empty")
            li = r.info("latencystats")
            p = li.get("latency_percentiles_usec_set", {})
            t.ok(set(p) == {"p50", "p99", "p99.9"} and p["p50"] <= p["p99"] <= p["p99.9"],
                 "INFO latencystats: p50, p99, p99.9 of set", li)
            r.delete("lat:a", "lat:c")
        t.run("latency histogram", latency)

        def many_clients():
            errs = []

            def worker(n):
                try:
                    c = redis.Redis(host="127.0.0.1", port=px.rport, socket_timeout=20)
                    for i in range(200):
                        c.set("mc:%d:%d" % (n, i), i)
                        if c.get("mc:%d:%d" % (n, i)) != str(i).encode():
                            errs.append("mismatch %d %d" % (n, i))
                    c.delete(*["mc:%d:%d" % (n, i) for i in range(200)])
                except Exception as e:  # noqa: BLE001
                    errs.append(repr(e))
            ts = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
            for th in ts:
                th.start()
            for th in ts:
                th.join(60)
            t.ok(not errs, "16 concurrent redis-py clients", errs[:5])
        t.run("many clients", many_clients)

    # redis-cli
    def cli():
        rc, out, err = sh(["redis-cli", "-p", port, "SET", "cli:k", "hello"])
        t.ok(rc == 0 and out.strip() == "OK", "redis-cli SET", out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "GET", "cli:k"])
        t.ok(rc == 0 and out.strip() == "hello", "redis-cli GET", out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "INCR", "cli:k"])
        t.ok("ERR value is not an integer or out of range" in out + err, "redis-cli shows errors", out + err)
        rc, out, err = sh(["redis-cli", "-p", port], inp=b"PING\nDEL cli:k\nCOMMAND COUNT\n")
        t.ok(rc == 0 and out.split()[:2] == ["PONG", "1"], "redis-cli reading commands from stdin", out + err)
        rc, out, err = sh(["redis-cli", "-3", "-p", port, "HELLO", "3"])
        t.ok(rc == 0 and "proto" in out, "redis-cli -3 HELLO 3", out + err)
    t.run("redis-cli", cli)

    def mass_insert():
        n = 20000
        data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nmass:%d\r\n$%d\r\nv%d\r\n" %
                        (len(b"mass:%d" % i), i, len(b"v%d" % i), i) for i in range(n))
        rc, out, err = sh(["redis-cli", "-p", port, "--pipe"], inp=data, timeout=120)
        t.ok(rc == 0 and "errors: 0, replies: %d" % n in out, "redis-cli --pipe mass insertion of %d keys" % n,
             out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "DBSIZE"])
        t.ok(rc == 0 and int(out.strip() or 0) >= n, "DBSIZE counts the mass insertion", out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "GET", "mass:12345"])
        t.ok(out.strip() == "v12345", "a mass-inserted key reads back", out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "FLUSHALL"])
        t.ok(out.strip() == "OK", "FLUSHALL", out + err)
        rc, out, err = sh(["redis-cli", "-p", port, "DBSIZE"])
        t.ok(out.strip() == "0", "DBSIZE after FLUSHALL is 0", out + err)
    t.run("mass insert", mass_insert)

    def benchmark():
        tests = "ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,mset"
        rc, out, err = sh(["redis-benchmark", "-p", port, "-q", "-n", "2000", "-c", "10",
                           "-t", tests], timeout=240)
        lines = [x for x in out.replace("\r", "\n").splitlines() if "requests per second" in x]
        t.ok(rc == 0 and len(lines) == len(tests.split(",")) and "ERR" not in out + err,
             "redis-benchmark -q -t %s: every test completes" % tests, out[-1500:] + err[-500:])
        rc, out, err = sh(["redis-benchmark", "-p", port, "-q", "-n", "2000", "-P", "16",
                           "-t", "set,get"], timeout=240)
        lines = [x for x in out.replace("\r", "\n").splitlines() if "requests per second" in x]
        t.ok(rc == 0 and len(lines) == 2 and "ERR" not in out + err,
             "redis-benchmark -P 16 (pipelined)", out[-800:] + err[-500:])
        for line in lines:
            print("# " + line.strip())
    t.run("benchmark", benchmark)

    t.eq(px.stop(), 0, "the proxy exits 0 on SIGTERM")
    t.done()


if __name__ == "__main__":
    main()
