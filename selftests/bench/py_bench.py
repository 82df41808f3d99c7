#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""GET/SET operations per second from Python, one client thread:
kcache.Cache (the ioctl, userspace/python), redis-py against kcache-proxy,
and redis-py against redis-server, in interleaved rounds (the host's load
drifts; see bench_guest.py's interleave()).

    py_bench.py --proxy-port 26380 --redis-port 26379 [--secs 0.5] [--runs 5]

Prints one JSON object per (system, op) on stdout:
{"system": "py-kcache"|"py-redis-proxy"|"py-redis", "op": "get"|"set",
 "ops_per_sec": median, "runs": [...], "errors": n, ...}.  A target that
cannot be reached is left out (a '#' line says why).  bench_guest.py's
python phase runs it in the `make bench` guest; it also runs by hand
anywhere kcache.ko is loaded (PYTHONPATH=build/python/lib).
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def targets(args):
    out = []
    try:
        import kcache
        out.append(("py-kcache", "kcache.Cache", kcache.Cache()))
    except Exception as e:  # noqa: BLE001 - reported, the others still run
        print("# kcache.Cache unavailable: %s" % e, flush=True)
    try:
        import redis
    except ImportError:
        print("# redis-py (python3-redis) is not installed", flush=True)
        return out
    for system, port in (("py-redis-proxy", args.proxy_port), ("py-redis", args.redis_port)):
        if not port:
            continue
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        try:
            r.ping()
        except Exception as e:  # noqa: BLE001
            print("# %s on port %d unavailable: %s" % (system, port, e), flush=True)
            continue
        out.append((system, "redis-py %s" % redis.__version__, r))
    return out


def timed(fn, keys, value, secs):
    """Calls fn(key[, value]) round-robin over keys for secs; ops/s."""
    n, nk = 0, len(keys)
    end = time.perf_counter() + secs
    t0 = time.perf_counter()
    while True:
        for i in range(100):
            fn(keys[(n + i) % nk], value)
        n += 100
        now = time.perf_counter()
        if now >= end:
            return n / (now - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy-port", type=int, default=0)
    ap.add_argument("--redis-port", type=int, default=0)
    ap.add_argument("--secs", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    args = ap.parse_args()

    keys = [(b"pyb:%012d" % i)[:args.key_size].ljust(args.key_size, b"k")
            for i in range(args.keys)]
    value = os.urandom(args.value_size // 2 + 1).hex().encode()[:args.value_size]
    tgts = targets(args)
    errors = {}
    runs = {}
    for system, _, cl in tgts:
        for k in keys:
            cl.set(k, value)

    def op_set(cl):
        def f(k, v):
            cl.set(k, v)
        return f

    def op_get(cl, system):
        def f(k, v):
            if cl.get(k) != v:
                errors[system] = errors.get(system, 0) + 1
        return f

    for _ in range(args.runs):
        for system, _, cl in tgts:
            runs.setdefault((system, "set"), []).append(
                timed(op_set(cl), keys, value, args.secs))
            runs.setdefault((system, "get"), []).append(
                timed(op_get(cl, system), keys, value, args.secs))
    for system, client, cl in tgts:
        for op in ("get", "set"):
            r = runs[(system, op)]
            print(json.dumps({"system": system, "op": op, "client": client,
                              "ops_per_sec": median(r), "runs": r,
                              "errors": errors.get(system, 0) if op == "get" else 0,
                              "key_size": args.key_size, "value_size": args.value_size,
                              "keys": args.keys}, sort_keys=True), flush=True)
        if system == "py-kcache":
            cl.flushall()
        else:
            cl.delete(*keys[:1000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
