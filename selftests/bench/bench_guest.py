#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The guest half of `make bench`: every measurement, in one VM boot.

selftests/vm/bench.sh boots a stock 6.12 guest with kcache.ko loaded and
runs this script (from the host's root over 9p) as the only "test".  It
starts memcached, redis-server and kcache-proxy on loopback, runs
kc-bench (ioctl, batch, netlink), kc-netload (memcached protocol) and
redis-benchmark against them with the same key count, key and value sizes
and seed, then loads 1M items into each for memory per item.

It prints, on the result channel:
    KCB-INFO {...}     the conditions (kernel, CPUs, versions, parameters)
    KCB-RESULT {...}   one throughput record (results.json's format)
    KCB-MEM {...}      one memory record
    KCB-DONE           the end; anything missing before it is reported
and "# ..." progress lines.  The host (selftests/bench/report.py) turns
them into build/bench/results.json, the table and the chart.

Parameters come from $KCACHE_BUILD/bench/config.json, written by
bench.sh; every key has a default below.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

BUILD = os.environ.get("KCACHE_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
BIN = os.path.join(BUILD, "bench", "bin")
PROXY = os.path.join(BUILD, "userspace", "kcache-proxy")

DEFAULTS = {
    "keys": 10000,            # distinct keys of every throughput test
    # (key size, value size) of the kcache and memcached-protocol tests:
    # every value size with 16 B keys, and 32 B keys with 100 B values
    # (all six pairs take about 5 minutes more)
    "sizes": [[16, 32], [16, 100], [16, 1024], [32, 100]],
    "value_sizes": [32, 100, 1024],  # redis-benchmark -d
    "seed": 42,
    "runs": 5,                # timed runs per measurement (median, spread)
    "secs": 0.5,              # seconds per timed run (kc-bench, kc-netload)
    "warmup": 0.2,
    "threads": [1, 2],        # kc-bench ioctl threads
    "batch": 100,             # GETs per KC_IOC_BATCH
    "conns": 10,              # -c of every network load
    "pipelines": [1, 16],
    "rb_requests": 2000,      # redis-benchmark -n per test at -P 1
    "rb_requests_pipelined": 20000,
    "rb_runs": 3,             # redis-benchmark invocations per setting
    "rb_tests": "set,get,incr,lpush,lpop,sadd,hset,mset",
    "rb_main_value_size": 100,  # rb_tests run at this -d, rb_tests_other_sizes at the others
    "rb_tests_other_sizes": "set,get",
    # redis-benchmark --threads of the rb_tests at rb_main_value_size
    # (other sizes: 1)
    "rb_client_threads": [1, 2],
    # -n of runs with 2 or more client threads: redis-benchmark --threads
    # notices the end of a run only every 250 ms, so a run must last seconds
    "rb_threads_requests": 40000,
    "rb_threads_requests_pipelined": 400000,
    # a second redis-server with io-threads N (0: none), system "redis-io2"
    "redis_io_threads": 2,
    "net_key_sizes": [16, 32],  # key sizes of the memcached-protocol loads
    # kc-netload --threads of the memcached-protocol GET and SET loads at
    # rb_main_value_size, at every pipeline, as rb_client_threads for
    # redis-benchmark (other sizes and INCR: 1); the records' threads and
    # client_threads.  [1]: one client thread
    "net_client_threads": [1, 2],
    "mem_items": 1000000,
    "mem_key_size": 32,
    "mem_value_size": 100,
    "ports": {"memcached": 21211, "redis": 26379, "proxy_redis": 26380,
              "proxy_memcache": 21212, "redis_io": 26381},
    "only": "",               # comma list of phases: mem,ioctl,cost,multiget,memcache,redis,python,profile
    "profile": False,         # also run the profile phase (perf, cpu-clock)
    "proxy_threads": 0,       # kcache-proxy --threads; 0: its default (one per CPU)
    # phase cost: server CPU time and system calls per request
    "cost_ops": ["get", "set"],
    "cost_rounds": 5,         # interleaved rounds of every (system, op, -P)
    "cost_secs": 1.0,         # seconds per round (CPU time has 10 ms ticks)
    "cost_warmup": 0.3,
    "cost_strace_secs": 1.0,  # the separate run under strace -c -f
    # key choice of the cost rounds: uniform, and Zipf with this exponent
    # (0: uniform only)
    "cost_zipf": 0.99,
    # phase multiget: one request for mget_batch keys (memcached's multi-key
    # get, Redis's MGET, KC_IOC_BATCH)
    "mget_batch": 100,
    # other kcache-proxy binaries, [[name, path], ...] (bench.sh's
    # BENCH_BASE builds them from git revisions), measured as
    # kcache-proxy@NAME in the same rounds
    "proxy_base": [],
}

RB_NAMES = {"SET": "set", "GET": "get", "INCR": "incr", "LPUSH": "lpush",
            "LPOP": "lpop", "SADD": "sadd", "HSET": "hset", "MSET (10 keys)": "mset"}

procs = {}


def say(msg):
    print("# " + msg, flush=True)


def emit(tag, rec):
    print("%s %s" % (tag, json.dumps(rec, sort_keys=True)), flush=True)


def load_config():
    cfg = dict(DEFAULTS)
    path = os.path.join(BUILD, "bench", "config.json")
    if os.path.exists(path):
        with open(path) as f:
            cfg.update(json.load(f))
    return cfg


def run(cmd, timeout):
    """Runs cmd; returns (rc, stdout, stderr).  Never hangs past timeout."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", "timed out after %ds" % timeout
    except OSError as e:
        return 127, "", str(e)


def last_json(out):
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def wait_port(port, proc, secs=30):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def start(name, cmd, port):
    log = open("/tmp/%s.log" % name, "w")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    procs[name] = p
    if not wait_port(port, p):
        stop(name)
        with open("/tmp/%s.log" % name) as f:
            raise RuntimeError("%s did not start: %s" % (name, f.read()[-500:]))
    return p


def stop(name):
    p = procs.pop(name, None)
    if p is None:
        return
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_memcached(cfg, mem_mb=1024):
    port = cfg["ports"]["memcached"]
    start("memcached", ["memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(port),
                        "-U", "0", "-t", "2", "-m", str(mem_mb), "-c", "4096"], port)


def start_redis(cfg, name="redis", io_threads=0):
    port = cfg["ports"]["redis_io" if io_threads else "redis"]
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
           "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", "/tmp"]
    if io_threads:
        cmd += ["--io-threads", str(io_threads), "--io-threads-do-reads", "yes"]
    start(name, cmd, port)


def start_proxy(cfg, name="proxy", binary=PROXY, offset=0):
    p = cfg["ports"]
    cmd = [binary, "-p", str(p["proxy_redis"] + offset), "-m", str(p["proxy_memcache"] + offset),
           "-b", "127.0.0.1", "-q"]
    if cfg["proxy_threads"]:
        cmd += ["--threads", str(cfg["proxy_threads"])]
    start(name, cmd, p["proxy_redis"] + offset)
    if not wait_port(p["proxy_memcache"] + offset, procs[name]):
        raise RuntimeError("%s does not listen on %d" % (name, p["proxy_memcache"] + offset))


def rss(name):
    p = procs.get(name)
    try:
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, AttributeError):
        pass
    return 0


def record(system, op, rec, client, **kw):
    out = {
        "system": system, "op": op, "client": client,
        "threads": kw.pop("threads", 1), "pipeline": kw.pop("pipeline", 1),
        "value_size": kw.pop("value_size"), "key_size": kw.pop("key_size"),
        "ops_per_sec": rec["ops_per_sec"], "runs": rec["runs"],
        "errors": rec.get("errors", 0),
    }
    for k in ("first_error", "misses", "calls_per_sec", "conns", "batch", "seed", "p50_us",
              "p99_us"):
        if k in rec and rec[k] not in ("", None):
            out[k] = rec[k]
    # keys: how they are chosen; key_count: how many there are
    if "keys" in rec:
        out["key_count"] = rec["keys"]
    out["keys"] = "zipf" if rec.get("zipf") else "uniform"
    # kc-netload reports the client threads it ran; kc-bench's threads are
    # its own (ioctl) threads, redis-benchmark's its --threads
    out["client_threads"] = rec.get("client_threads", out["threads"])
    out.update(kw)
    emit("KCB-RESULT", out)
    if out["errors"]:
        say("%s %s: %d errors (%s)" % (system, op, out["errors"], rec.get("first_error", "")))


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


class Job:
    """One measurement: a command that prints one run, and its record."""

    def __init__(self, cmd, system, op, client, later=(), **kw):
        self.cmd, self.system, self.op, self.client = cmd, system, op, client
        self.later = list(later)  # extra arguments from the second round on
        self.kw = kw
        self.recs = []


def interleave(cfg, jobs):
    """Runs every job once per round, cfg["runs"] rounds, and records each.

    The host is shared and its load drifts: a system measured in one block
    of time and another in the next would be compared under different
    loads.  Rounds spread every job over the same stretch of time, so the
    ratios between them hold even when the absolute figures wander.
    """
    for r in range(cfg["runs"]):
        for j in jobs:
            cmd = j.cmd + ["--runs", "1", "--secs", str(cfg["secs"]),
                           "--warmup", str(cfg["warmup"])] + (j.later if r else [])
            rc, out, err = run(cmd, 180)
            rec = last_json(out)
            if rec is None:
                say("%s failed (rc %d): %s" % (" ".join(cmd[:4]), rc, err.strip()[-300:]))
                continue
            j.recs.append(rec)
    for j in jobs:
        if not j.recs:
            continue
        runs = [x["runs"][0] for x in j.recs]
        rec = dict(j.recs[-1])
        rec["runs"] = runs
        rec["ops_per_sec"] = median(runs)
        rec["errors"] = sum(x.get("errors", 0) for x in j.recs)
        rec["first_error"] = next((x["first_error"] for x in j.recs if x.get("first_error")), "")
        if "misses" in rec:
            rec["misses"] = sum(x.get("misses", 0) for x in j.recs)
        if "calls_per_sec" in rec:
            rec["calls_per_sec"] = median([x["calls_per_sec"] for x in j.recs])
        for k in ("p50_us", "p99_us"):
            if k in rec:
                rec[k] = median([x[k] for x in j.recs if k in x])
        record(j.system, j.op, rec, j.client, **j.kw)


def kc_job(cfg, mode, op, ks, vs, system, threads=1, extra=(), **kw):
    cmd = [os.path.join(BIN, "kc-bench"), mode, "--op", op, "--threads", str(threads),
           "--key-size", str(ks), "--value-size", str(vs), "--keys", str(cfg["keys"]),
           "--seed", str(cfg["seed"])] + list(extra)
    # INCR counts from "0" and NOP takes no key: no value size to speak of
    return Job(cmd, system, op, "kc-bench", later=["--no-preload"], threads=threads,
               value_size=0 if op in ("incr", "nop") else vs,
               key_size=0 if op == "nop" else ks, **kw)


def key_sizes(cfg, allowed=None):
    out = []
    for ks, _ in cfg["sizes"]:
        if ks not in out and (allowed is None or ks in allowed):
            out.append(ks)
    return out


def phase_ioctl(cfg):
    for ks in key_sizes(cfg):
        for vs in [v for k, v in cfg["sizes"] if k == ks]:
            say("kcache ioctl/batch/netlink, key %d B, value %d B" % (ks, vs))
            jobs = []
            for op in ("get", "set"):
                for t in cfg["threads"]:
                    jobs.append(kc_job(cfg, "ioctl", op, ks, vs, "kcache-ioctl", t))
            jobs.append(kc_job(cfg, "batch", "get", ks, vs, "kcache-batch",
                               extra=["--batch", str(cfg["batch"])], pipeline=cfg["batch"]))
            for op in ("get", "set"):
                jobs.append(kc_job(cfg, "netlink", op, ks, vs, "kcache-netlink"))
            interleave(cfg, jobs)
        # INCR and NOP do not depend on the value size
        interleave(cfg, [kc_job(cfg, "ioctl", "incr", ks, 1, "kcache-ioctl", t)
                         for t in cfg["threads"]])
    interleave(cfg, [kc_job(cfg, "ioctl", "nop", 16, 0, "kcache-ioctl", t)
                     for t in cfg["threads"]])


def net_job(cfg, system, port, op, ks, vs, pipeline, threads=1):
    """A memcached-protocol load of --conns connections over threads client
    threads (net_client_threads; not kc-bench's threads): the record's
    threads and client_threads, as redis-benchmark's --threads."""
    cmd = [os.path.join(BIN, "kc-netload"), "run", "--proto", "memcache", "--port", str(port),
           "--op", op, "--conns", str(cfg["conns"]), "--pipeline", str(pipeline),
           "--threads", str(threads),
           "--key-size", str(ks), "--value-size", str(vs), "--keys", str(cfg["keys"]),
           "--seed", str(cfg["seed"])]
    return Job(cmd, system, op, "kc-netload", later=["--no-preload"], pipeline=pipeline,
               threads=threads, value_size=vs if op != "incr" else 0, key_size=ks)


def phase_memcache(cfg):
    targets = [("memcached", cfg["ports"]["memcached"]),
               ("kcache-proxy-memcache", cfg["ports"]["proxy_memcache"])]
    for ks in key_sizes(cfg, cfg["net_key_sizes"]):
        for vs in [v for k, v in cfg["sizes"] if k == ks]:
            threads = cfg["net_client_threads"] if vs == cfg["rb_main_value_size"] else [1]
            say("memcached protocol, key %d B, value %d B, %s client threads" %
                (ks, vs, "/".join(str(t) for t in threads)))
            # every thread count in the same rounds: their ratios hold
            interleave(cfg, [net_job(cfg, system, port, op, ks, vs, p, t)
                             for t in threads
                             for p in cfg["pipelines"] for op in ("get", "set")
                             for system, port in targets])
        interleave(cfg, [net_job(cfg, system, port, "incr", ks, 1, p)
                         for p in cfg["pipelines"] for system, port in targets])


def phase_multiget(cfg):
    """Many keys per request: KC_IOC_BATCH against memcached's multi-key get
    and Redis's MGET, mget_batch keys each, in interleaved rounds.  Every
    record's ops_per_sec counts keys."""
    p, n, ks, vs = cfg["ports"], cfg["mget_batch"], 16, 100
    say("multi-key get: %d keys per request, key %d B, value %d B" % (n, ks, vs))
    jobs = [kc_job(cfg, "batch", "get", ks, vs, "kcache-batch", extra=["--batch", str(n)],
                   pipeline=1, batch=n)]
    for system, proto, port in (("memcached", "memcache", p["memcached"]),
                                ("kcache-proxy-memcache", "memcache", p["proxy_memcache"]),
                                ("redis", "redis", p["redis"]),
                                ("kcache-proxy", "redis", p["proxy_redis"])):
        cmd = [os.path.join(BIN, "kc-netload"), "run", "--proto", proto, "--port", str(port),
               "--op", "mget", "--batch", str(n), "--conns", str(cfg["conns"]),
               "--key-size", str(ks), "--value-size", str(vs), "--keys", str(cfg["keys"]),
               "--seed", str(cfg["seed"])]
        jobs.append(Job(cmd, system, "mget", "kc-netload", later=["--no-preload"],
                        pipeline=1, value_size=vs, key_size=ks))
    # kc-bench's batch record is op "get" at pipeline 1: name it as the others
    jobs[0].op = "mget"
    interleave(cfg, jobs)


def strace_count(pid, cmd, timeout):
    """Runs cmd while strace -c -f counts pid's system calls (all threads).

    Returns (client's JSON record, {syscall: calls}, total calls) or None.
    strace stops every thread at every call, so the run's throughput is
    meaningless; only the count per reply is kept.
    """
    out = "/tmp/strace-%d.txt" % pid
    st = subprocess.Popen(["strace", "-f", "-c", "-q", "-o", out, "-p", str(pid)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)     # let it attach to every thread
    if st.poll() is not None:
        say("strace -p %d failed: %s" % (pid, st.stderr.read().decode()[-300:]))
        return None
    rc, o, err = run(cmd, timeout)
    st.send_signal(signal.SIGTERM)
    try:
        st.wait(30)
    except subprocess.TimeoutExpired:
        st.kill()
        st.wait()
    rec = last_json(o)
    calls, total = {}, 0
    try:
        with open(out) as f:
            for line in f:
                parts = line.split()
                # % time, seconds, usecs/call, calls, [errors,] syscall
                if len(parts) >= 5 and parts[3].isdigit() and not line.startswith("-"):
                    if parts[-1] == "total":
                        total = int(parts[3])
                    else:
                        calls[parts[-1]] = int(parts[3])
    except OSError:
        pass
    if rec is None or not total:
        say("counting system calls of %d failed (rc %d): %s" % (pid, rc, err.strip()[-300:]))
        return None
    return rec, calls, total


def phase_cost(cfg):
    """Server CPU time and system calls per request, every system alike.

    kc-netload drives each server with the same requests (10 connections,
    one client thread) and reads the server's /proc/PID/stat (user and
    system time of all its threads) around every timed window: CPU time
    per reply.  The rounds interleave the systems, so every ratio is taken
    within one round (the median of the per-round ratios is reported as
    well as the median of each system).  Then one short run per system
    under strace -c -f counts the server's system calls per reply.
    """
    p = cfg["ports"]
    systems = [("redis", "redis", p["redis"], "redis"),
               ("kcache-proxy", "redis", p["proxy_redis"], "proxy"),
               ("memcached", "memcache", p["memcached"], "memcached"),
               ("kcache-proxy-memcache", "memcache", p["proxy_memcache"], "proxy")]
    for i, (name, path) in enumerate(cfg["proxy_base"]):
        proc = "proxy@" + name
        start_proxy(cfg, proc, path, 100 * (i + 1))
        systems += [("kcache-proxy@" + name, "redis", p["proxy_redis"] + 100 * (i + 1), proc),
                     ("kcache-proxy-memcache@" + name, "memcache",
                      p["proxy_memcache"] + 100 * (i + 1), proc)]
    ks, vs = 16, 100
    dists = [("uniform", [])] + ([("zipf", ["--zipf", str(cfg["cost_zipf"])])]
                                 if cfg["cost_zipf"] else [])
    recs = {}
    for dist, dist_args in dists:
        for pipe in cfg["pipelines"]:
            for op in cfg["cost_ops"]:
                say("cost per request: %s, -P %d, %s keys, %d rounds of %.1f s" %
                    (op, pipe, dist, cfg["cost_rounds"], cfg["cost_secs"]))
                for r in range(cfg["cost_rounds"]):
                    for system, proto, port, proc in systems:
                        cmd = [os.path.join(BIN, "kc-netload"), "run", "--proto", proto,
                               "--port", str(port), "--op", op, "--conns", str(cfg["conns"]),
                               "--pipeline", str(pipe), "--key-size", str(ks),
                               "--value-size", str(vs), "--keys", str(cfg["keys"]),
                               "--seed", str(cfg["seed"]), "--runs", "1",
                               "--secs", str(cfg["cost_secs"]),
                               "--warmup", str(cfg["cost_warmup"]),
                               "--server-pid", str(procs[proc].pid)] + dist_args
                        if r:
                            cmd.append("--no-preload")
                        rc, out, err = run(cmd, 120)
                        rec = last_json(out)
                        if rec is None or "cpu_us_per_op" not in rec:
                            say("%s failed (rc %d): %s" % (system, rc, err.strip()[-300:]))
                            continue
                        recs.setdefault((system, op, pipe, dist), []).append((r, rec))
    for system, proto, port, proc in systems:
        for (dist, _), pipe, op in ((d, pp, o) for d in dists for pp in cfg["pipelines"]
                                    for o in cfg["cost_ops"]):
            # cost_rounds 0: system calls only
            got = recs.get((system, op, pipe, dist), [])
            cmd = [os.path.join(BIN, "kc-netload"), "run", "--proto", proto,
                   "--port", str(port), "--op", op, "--conns", str(cfg["conns"]),
                   "--pipeline", str(pipe), "--key-size", str(ks), "--value-size", str(vs),
                   "--keys", str(cfg["keys"]), "--seed", str(cfg["seed"]), "--runs", "1",
                   "--secs", str(cfg["cost_strace_secs"]), "--warmup", "0.05"]
            sc = None   # system calls: counted in the uniform runs only
            if dist == "uniform":
                # store the keys first, outside strace (its replies are
                # not counted, its system calls would be)
                run(cmd[:cmd.index("--secs")] + ["--secs", "0.05"], 120)
                sc = strace_count(procs[proc].pid, cmd + ["--no-preload"], 300)
            rounds = {r: x for r, x in got}
            if not rounds and not sc:
                continue
            out = {
                "system": system, "op": op, "pipeline": pipe, "proto": proto,
                "metric": "cost", "client": "kc-netload", "client_threads": 1,
                "keys": dist, "key_size": ks, "value_size": vs,
                "conns": cfg["conns"], "rounds": len(got),
                "ops_per_sec": median([x["ops_per_sec"] for x in rounds.values()] or [0]),
                "cpu_us_per_op": median([x["cpu_us_per_op"] for x in rounds.values()] or [0]),
                "sys_us_per_op": median([x["sys_us_per_op"] for x in rounds.values()] or [0]),
                "cpu_runs": [round(x["cpu_us_per_op"], 2) for x in rounds.values()],
                "ops_runs": [round(x["ops_per_sec"], 1) for x in rounds.values()],
                "errors": sum(x.get("errors", 0) for x in rounds.values()),
                "misses": sum(x.get("misses", 0) for x in rounds.values()),
                "p50_us": median([x.get("p50_us", 0) for x in rounds.values()] or [0]),
                "p99_us": median([x.get("p99_us", 0) for x in rounds.values()] or [0]),
            }
            # paired ratios: this system's CPU per request over the
            # other's in the same round, median over the rounds
            refs = (("redis", "kcache-proxy") if proto == "redis" else
                    ("memcached", "kcache-proxy-memcache"))
            for ref in refs:
                other = dict(recs.get((ref, op, pipe, dist), []))
                xs = [rounds[r]["cpu_us_per_op"] / other[r]["cpu_us_per_op"]
                      for r in rounds if r in other and other[r]["cpu_us_per_op"] > 0]
                if xs and ref != system:
                    out["cpu_ratio_" + ref] = round(median(xs), 3)
            if sc:
                rec, calls, total = sc
                n = max(rec.get("replies", 0), 1)
                out["syscalls_per_op"] = round(total / n, 3)
                out["syscalls"] = {k: round(v / n, 3) for k, v in
                                   sorted(calls.items(), key=lambda kv: -kv[1])
                                   if v / n >= 0.01}
                out["strace_replies"] = n
            emit("KCB-COST", out)
            say("  %s %s -P %d %s: %.2f us CPU/op (%.2f sys), %s syscalls/op, %.0f ops/s" %
                (system, op, pipe, dist, out["cpu_us_per_op"], out["sys_us_per_op"],
                 out.get("syscalls_per_op", "?"), out["ops_per_sec"]))
    for name, _ in cfg["proxy_base"]:
        stop("proxy@" + name)


def redis_benchmark(cfg, port, vs, pipeline, tests, threads=1):
    n = cfg["rb_requests"] if pipeline == 1 else cfg["rb_requests_pipelined"]
    if threads > 1:
        n = cfg["rb_threads_requests"] if pipeline == 1 else cfg["rb_threads_requests_pipelined"]
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(cfg["conns"]),
           "-n", str(n), "-d", str(vs), "-P", str(pipeline), "-r", str(cfg["keys"]),
           "-t", tests, "--csv"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    rc, out, err = run(cmd, 300)
    res = {}
    for line in out.splitlines():
        m = re.match(r'^"([^"]+)","([0-9.]+)"', line)
        if m and m.group(1) in RB_NAMES:
            res[RB_NAMES[m.group(1)]] = float(m.group(2))
    if rc != 0 or not res:
        say("redis-benchmark on port %d failed (rc %d): %s" % (port, rc, (err + out)[-300:]))
    if "ERR" in out or "ERR" in err:
        say("redis-benchmark on port %d saw errors: %s" % (port, (err + out)[-300:]))
    return res, n


def preload_redis(cfg, port, vs):
    # redis-benchmark's keys are key:<12 digits> (16 B) below -r: store them
    # all, so GET hits from the first request on, as in the other tests.
    cmd = [os.path.join(BIN, "kc-netload"), "fill", "--proto", "redis", "--port", str(port),
           "--items", str(cfg["keys"]), "--key-size", "16", "--value-size", str(vs)]
    rc, out, err = run(cmd, 120)
    if rc != 0:
        say("preloading port %d failed: %s" % (port, err.strip()[-300:]))


def phase_redis(cfg):
    targets = [("redis", cfg["ports"]["redis"]), ("kcache-proxy", cfg["ports"]["proxy_redis"])]
    if cfg["redis_io_threads"]:
        start_redis(cfg, "redis-io2", cfg["redis_io_threads"])
        targets.append(("redis-io2", cfg["ports"]["redis_io"]))
    for vs in cfg["value_sizes"]:
        # every test at the main value size; the others only where -d matters most
        main = vs == cfg["rb_main_value_size"]
        tests = cfg["rb_tests"] if main else cfg["rb_tests_other_sizes"]
        for p, thr in ((p, t) for t in (cfg["rb_client_threads"] if main else [1])
                       for p in cfg["pipelines"]):
            say("redis-benchmark -t %s, value %d B, -P %d, %d client threads" %
                (tests, vs, p, thr))
            runs = {s: {} for s, _ in targets}
            for r in range(cfg["rb_runs"]):
                # interleave the systems, so drift in the host's load
                # touches both alike
                for system, port in targets:
                    preload_redis(cfg, port, vs)
                    t = time.time()
                    res, n = redis_benchmark(cfg, port, vs, p, tests, thr)
                    say("  %s, run %d: %d tests in %.0f s" % (system, r + 1, len(res),
                                                             time.time() - t))
                    for op, rps in res.items():
                        runs[system].setdefault(op, []).append(rps)
            for system, _ in targets:
                for op, rs in runs[system].items():
                    rec = {"ops_per_sec": median(rs), "runs": rs, "conns": cfg["conns"]}
                    # paired ratios: each run over the other server's run
                    # of the same round, median over the rounds
                    kw = {}
                    for ref, _ in targets:
                        other = runs[ref].get(op, [])
                        if ref != system and len(other) == len(rs):
                            kw["paired_ratio_" + ref] = round(
                                median([a / b for a, b in zip(rs, other) if b]), 3)
                    record(system, op, rec, "redis-benchmark", pipeline=p, value_size=vs,
                           key_size=16, requests=n, threads=thr, **kw)
    stop("redis-io2")


def memcached_stats(port, what=b"stats"):
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(what + b"\r\n")
    buf = b""
    while not buf.endswith(b"END\r\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    st = {}
    for line in buf.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT":
            st[parts[1]] = parts[2]
    return st


def redis_info(port):
    rc, out, _ = run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "info", "memory"], 30)
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.strip().split(":", 1)
            info[k] = v
    rc, out, _ = run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "dbsize"], 30)
    info["dbsize"] = out.strip()
    return info


def fill(cfg, proto, port, n):
    cmd = [os.path.join(BIN, "kc-netload"), "fill", "--proto", proto, "--port", str(port),
           "--items", str(n), "--key-size", str(cfg["mem_key_size"]),
           "--value-size", str(cfg["mem_value_size"]), "--conns", "4", "--pipeline", "100"]
    rc, out, err = run(cmd, 900)
    rec = last_json(out)
    if rec is None or rc != 0:
        raise RuntimeError("loading %d items on port %d failed: %s" % (n, port, err[-300:]))
    return rec


def phase_mem(cfg):
    n, ks, vs = cfg["mem_items"], cfg["mem_key_size"], cfg["mem_value_size"]
    base = {"items": n, "key_size": ks, "value_size": vs, "metric": "bytes_per_item"}

    say("memory: %d items of %d B keys and %d B values into kcache" % (n, ks, vs))
    rc, out, err = run([os.path.join(BIN, "kc-bench"), "mem", "--items", str(n),
                        "--key-size", str(ks), "--value-size", str(vs),
                        "--seed", str(cfg["seed"])], 900)
    k = last_json(out)
    if k is None:
        say("kc-bench mem failed (rc %d): %s" % (rc, err.strip()[-300:]))
    else:
        items = max(k["curr_items"], 1)
        used = k["used_bytes"]
        emit("KCB-MEM", dict(base, system="kcache", basis="used_bytes+index",
                             value=round((used + k["index_bytes_est"]) / items, 1),
                             stored=k["curr_items"], detail=k,
                             note="KC_IOC_STATS used_bytes (slab pages) plus the "
                                  "rhashtable bucket array (estimated)"))
        emit("KCB-MEM", dict(base, system="kcache", basis="used_bytes",
                             value=round(used / items, 1), stored=k["curr_items"]))
        emit("KCB-MEM", dict(base, system="kcache", basis="kernel_used_delta",
                             value=round(k["kernel_used_delta"] / items, 1),
                             stored=k["curr_items"],
                             note="/proc/meminfo MemTotal-MemFree-Buffers-Cached, "
                                  "after minus before"))

    say("memory: the same into memcached")
    stop("memcached")
    start_memcached(cfg, mem_mb=2048)
    r0 = rss("memcached")
    t = fill(cfg, "memcache", cfg["ports"]["memcached"], n)
    st = memcached_stats(cfg["ports"]["memcached"])
    # total_malloced (slab pages handed to classes) is in "stats slabs"
    st.update(memcached_stats(cfg["ports"]["memcached"], b"stats slabs"))
    r1 = rss("memcached")
    items = max(int(st.get("curr_items", 0)), 1)
    malloced = int(st.get("total_malloced", 0))
    hashb = int(st.get("hash_bytes", 0))
    emit("KCB-MEM", dict(base, system="memcached", basis="total_malloced+hash_bytes",
                         value=round((malloced + hashb) / items, 1), stored=items,
                         load_secs=t["load_secs"],
                         detail={x: st.get(x) for x in ("bytes", "curr_items", "total_malloced",
                                                        "limit_maxbytes", "hash_bytes",
                                                        "evictions", "total_items")},
                         note="stats total_malloced (slab pages) plus hash_bytes"))
    emit("KCB-MEM", dict(base, system="memcached", basis="rss_delta",
                         value=round((r1 - r0) / items, 1), stored=items))
    emit("KCB-MEM", dict(base, system="memcached", basis="bytes",
                         value=round(int(st.get("bytes", 0)) / items, 1), stored=items,
                         note="stats bytes: item headers, keys and values only"))
    stop("memcached")

    say("memory: the same into redis-server")
    stop("redis")
    start_redis(cfg)
    i0 = redis_info(cfg["ports"]["redis"])
    r0 = rss("redis")
    t = fill(cfg, "redis", cfg["ports"]["redis"], n)
    i1 = redis_info(cfg["ports"]["redis"])
    r1 = rss("redis")
    items = max(int(i1.get("dbsize", "0") or 0), 1)
    um = int(i1.get("used_memory", 0)) - int(i0.get("used_memory", 0))
    emit("KCB-MEM", dict(base, system="redis", basis="used_memory", value=round(um / items, 1),
                         stored=items, load_secs=t["load_secs"],
                         detail={x: i1.get(x) for x in ("used_memory", "used_memory_rss",
                                                        "mem_allocator", "dbsize")},
                         note="INFO memory used_memory, after minus before"))
    emit("KCB-MEM", dict(base, system="redis", basis="rss_delta",
                         value=round((r1 - r0) / items, 1), stored=items))
    stop("redis")


def phase_python(cfg):
    """kcache.Cache vs redis-py (kcache-proxy, redis-server): py_bench.py."""
    lib = os.path.join(BUILD, "python", "lib")
    env = dict(os.environ, PYTHONPATH=lib, PYTHONDONTWRITEBYTECODE="1")
    p = cfg["ports"]
    cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_bench.py"),
           "--proxy-port", str(p["proxy_redis"]), "--redis-port", str(p["redis"]),
           "--secs", str(cfg["secs"]), "--runs", str(cfg["runs"]), "--keys", str(cfg["keys"])]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         timeout=1200).stdout.decode(errors="replace")
    got = {}
    for line in out.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            got[(rec["system"], rec["op"])] = rec["ops_per_sec"]
            record(rec.pop("system"), rec.pop("op"), rec, rec.pop("client"),
                   key_size=rec.pop("key_size"), value_size=rec.pop("value_size"))
        elif line.strip():
            say("py_bench: " + line.lstrip("# "))
    for op in ("get", "set"):
        k = got.get(("py-kcache", op))
        for other in ("py-redis-proxy", "py-redis"):
            o = got.get((other, op))
            if k and o:
                say("python %s: kcache.Cache %.0f ops/s = %.2fx redis-py via %s (%.0f ops/s)"
                    % (op.upper(), k, k / o, other[3:], o))


def perf_profile(name, cmd, secs, focus=()):
    """perf record -a (cpu-clock: TCG has no PMU) around cmd; prints the top."""
    data = "/tmp/perf.data"
    rc, out, err = run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1999", "-a", "-g",
                        "-o", data, "--"] + cmd, secs)
    if rc != 0 and not os.path.exists(data):
        say("perf record for %s failed (rc %d): %s" % (name, rc, err.strip()[-300:]))
        return
    lines = []
    for sort in ("sym", "comm,dso"):
        rc, rep, err = run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                            "--sort", sort, "--percent-limit", "1"], 300)
        lines += [x.rstrip() for x in rep.splitlines() if x.strip() and not x.startswith("#")]
        lines.append("")
    # who calls the hot spots: lock contention, page clearing
    for sym in focus:
        rc, rep, err = run(["perf", "report", "-i", data, "--stdio", "--no-children",
                            "--sort", "sym", "--symbols", sym,
                            "-g", "caller,0.5,callee,function,percent"], 300)
        got = [x.rstrip() for x in rep.splitlines() if x.strip() and not x.startswith("#")]
        lines += got[:30] + [""]
    say("profile of %s:" % name)
    for x in lines[:130]:
        say("  " + x)
    emit("KCB-PROFILE", {"name": name, "cmd": " ".join(cmd), "top": lines[:130]})


def phase_profile(cfg):
    kb = os.path.join(BIN, "kc-bench")
    short = ["--keys", str(cfg["keys"]), "--seed", str(cfg["seed"]), "--runs", "2", "--secs", "1",
             "--warmup", "0.2"]
    lock = ["native_queued_spin_lock_slowpath"]
    for name, args, focus in (
            ("ioctl GET, 1 thread", ["ioctl", "--op", "get"], []),
            ("ioctl GET, 2 threads", ["ioctl", "--op", "get", "--threads", "2"], lock),
            ("ioctl INCR, 2 threads", ["ioctl", "--op", "incr", "--threads", "2"], lock),
            ("ioctl SET, 2 threads", ["ioctl", "--op", "set", "--threads", "2"], lock),
            ("KC_IOC_BATCH of 100 GETs", ["batch", "--op", "get"], []),
            ("netlink GET", ["netlink", "--op", "get"], ["clear_page_erms"])):
        perf_profile(name, [kb] + args + short, 120, focus)
    p = cfg["ports"]
    for name, port in (("kcache-proxy", p["proxy_redis"]), ("redis-server", p["redis"])):
        for tests, pipe in (("sadd,lpop,mset", "16"), ("get", "1")):
            perf_profile("redis-benchmark -t %s -P %s against %s" % (tests, pipe, name),
                         ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c",
                          str(cfg["conns"]), "-n", "20000" if pipe != "1" else "3000",
                          "-P", pipe, "-r", str(cfg["keys"]), "-t", tests, "-q"], 300)


def info(cfg):
    def first_line(cmd):
        rc, out, err = run(cmd, 30)
        return (out or err).strip().splitlines()[0] if (out or err).strip() else "?"

    params = {}
    pdir = "/sys/module/kcache/parameters"
    if os.path.isdir(pdir):
        for p in sorted(os.listdir(pdir)):
            try:
                with open(os.path.join(pdir, p)) as f:
                    params[p] = f.read().strip()
            except OSError:
                pass
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    emit("KCB-INFO", {
        "kernel": os.uname().release, "cpus": os.cpu_count(), "mem_kb": int(mem),
        "cpu_model": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                           if line.startswith("model name")), "?"),
        "redis": first_line(["redis-server", "--version"]),
        "memcached": first_line(["memcached", "-V"]),
        "redis_benchmark": first_line(["redis-benchmark", "--version"]),
        "kcache_params": params, "config": cfg,
    })


def main():
    cfg = load_config()
    only = set(x for x in cfg["only"].split(",") if x)
    t0 = time.time()
    info(cfg)
    for prog in ("kc-bench", "kc-netload"):
        if not os.access(os.path.join(BIN, prog), os.X_OK):
            say("%s is not built (%s): run make bench" % (prog, BIN))
            return 1
    try:
        # Memory first: kcache, memcached and redis-server all start empty,
        # and kc-bench mem flushes what it stored before the rest runs.
        if not only or "mem" in only:
            phase_mem(cfg)
            say("phase mem done at %.0f s" % (time.time() - t0))
        if not only or "ioctl" in only:
            phase_ioctl(cfg)
            say("phase ioctl done at %.0f s" % (time.time() - t0))
        if not only or only & {"memcache", "redis", "python", "profile", "cost", "multiget"}:
            start_memcached(cfg)
            start_redis(cfg)
            start_proxy(cfg)
        if not only or "cost" in only:
            phase_cost(cfg)
            say("phase cost done at %.0f s" % (time.time() - t0))
        if not only or "multiget" in only:
            phase_multiget(cfg)
            say("phase multiget done at %.0f s" % (time.time() - t0))
        if not only or "memcache" in only:
            phase_memcache(cfg)
            say("phase memcache done at %.0f s" % (time.time() - t0))
        if not only or "redis" in only:
            phase_redis(cfg)
            say("phase redis done at %.0f s" % (time.time() - t0))
        if not only or "python" in only:
            phase_python(cfg)
            say("phase python done at %.0f s" % (time.time() - t0))
        if cfg["profile"] or "profile" in only:
            if "proxy" not in procs:
                start_memcached(cfg)
                start_redis(cfg)
                start_proxy(cfg)
            phase_profile(cfg)
            say("phase profile done at %.0f s" % (time.time() - t0))
    finally:
        for name in list(procs):
            stop(name)
    print("KCB-DONE secs=%.0f" % (time.time() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
