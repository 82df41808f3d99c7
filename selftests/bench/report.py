#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The host half of `make bench`: results.json, the table and the chart.

    report.py RESULT_LOG --out DIR [--accel A] [--qemu VERSION]

Reads the KCB-* lines bench_guest.py printed on the result channel and
writes DIR/results.json (every throughput and memory record), DIR/table.txt
and DIR/table.rst (the same table, printed on stdout too, with ratios
against memcached and redis-server and the issue's targets), and
DIR/throughput.png (gnuplot, when it is installed).  Exits non-zero only
when the log holds no result at all.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

ORDER = ["kcache-ioctl", "kcache-batch", "kcache-netlink", "kcache-proxy",
         "kcache-proxy-memcache", "redis", "redis-io2", "memcached",
         "py-kcache", "py-redis-proxy", "py-redis"]
OPS = ["nop", "get", "set", "incr", "lpush", "lpop", "sadd", "hset", "mset", "mget"]
NET = ("kcache-proxy", "kcache-proxy-memcache", "redis", "redis-io2", "memcached")
# the value size of the chart and the summary
MAIN_VS, MAIN_KS = 100, 16


def parse(path):
    info, recs, mems, done = {}, [], [], None
    costs = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip("\r\n")
            tag, _, rest = line.partition(" ")
            try:
                if tag == "KCB-INFO":
                    info = json.loads(rest)
                elif tag == "KCB-RESULT":
                    recs.append(json.loads(rest))
                elif tag == "KCB-MEM":
                    mems.append(json.loads(rest))
                elif tag == "KCB-COST":
                    costs.append(json.loads(rest))
                elif tag == "KCB-DONE":
                    done = rest
            except ValueError:
                print("report: bad line in %s: %.100s" % (path, line), file=sys.stderr)
    return info, recs, mems, done, costs


COST_HEAD = ["system", "op", "P", "keys", "ops/s", "p50 us", "p99 us", "CPU us/op",
             "sys us/op", "CPU spread", "syscalls/op", "CPU x server", "CPU x proxy",
             "top system calls per op"]


def cost_rows(costs):
    """Server CPU time and system calls per request (phase cost)."""
    rows = []
    for c in sorted(costs, key=lambda c: (c.get("keys", "uniform") != "uniform", c["op"],
                                          c["pipeline"], c["proto"], c["system"])):
        cr = c.get("cpu_runs") or []
        sp = ("%.0f%%" % (100.0 * (max(cr) - min(cr)) / c["cpu_us_per_op"])
              if len(cr) > 1 and c["cpu_us_per_op"] else "")
        top = ", ".join("%s %.2f" % kv for kv in list(c.get("syscalls", {}).items())[:4])
        rows.append([c["system"], c["op"], str(c["pipeline"]), c.get("keys", "uniform"),
                     fmt_rate(c["ops_per_sec"]), "%.0f" % c.get("p50_us", 0),
                     "%.0f" % c.get("p99_us", 0), "%.2f" % c["cpu_us_per_op"], "%.2f" % c["sys_us_per_op"], sp,
                     "%.2f" % c["syscalls_per_op"] if "syscalls_per_op" in c else "-",
                     fmt_ratio(c.get("cpu_ratio_redis", c.get("cpu_ratio_memcached"))),
                     fmt_ratio(c.get("cpu_ratio_kcache-proxy",
                                     c.get("cpu_ratio_kcache-proxy-memcache"))), top])
    return rows


def spread(r):
    runs = r.get("runs") or []
    med = r["ops_per_sec"]
    if len(runs) < 2 or not med:
        return ""
    return "%.0f%%" % (100.0 * (max(runs) - min(runs)) / med)


def fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.0fk" % (v / 1e3)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.2fx" % x if x < 10 else "%.1fx" % x


class Results:
    def __init__(self, recs):
        self.recs = recs
        self.idx = {}
        for r in recs:
            self.idx[self.key(r["system"], r["op"], r.get("threads", 1), r.get("pipeline", 1),
                              r.get("key_size"), r.get("value_size"))] = r

    @staticmethod
    def key(system, op, threads, pipeline, ks, vs):
        return (system, op, threads, pipeline, ks, vs)

    def get(self, system, op, threads=1, pipeline=1, ks=MAIN_KS, vs=MAIN_VS):
        r = self.idx.get(self.key(system, op, threads, pipeline, ks, vs))
        return r["ops_per_sec"] if r else None

    def ref(self, r, system):
        """The memcached or redis figure this record is compared with."""
        op, ks, vs = r["op"], r.get("key_size"), r.get("value_size")
        if r["system"].startswith("py-"):
            # Python clients (py_bench.py) compare with py-redis only.
            return self.get("py-redis", op, 1, 1, ks, vs) if system == "redis" else None
        # requests of one per round trip compare with servers at -P 1;
        # a pipelined load with the same pipeline
        p = r.get("pipeline", 1) if r["system"] in NET else 1
        # network loads compare at the same number of client threads
        t = r.get("threads", 1) if r["system"] in NET else 1
        if op == "nop":
            op = "get"
            vs = MAIN_VS
            ks = MAIN_KS
        if system == "redis":
            if ks != 16:
                return None
            if vs == 0:
                vs = MAIN_VS
        return self.get(system, op, t, p, ks, vs)


def sort_key(r):
    return (ORDER.index(r["system"]) if r["system"] in ORDER else 99,
            OPS.index(r["op"]) if r["op"] in OPS else 99,
            r.get("key_size") or 0, r.get("value_size") or 0,
            r.get("pipeline", 1), r.get("threads", 1))


def note(r):
    """Errors, and a spread too wide for a ratio to mean much (> 25%)."""
    out = []
    if r.get("errors"):
        out.append("%d err" % r["errors"])
    runs = r.get("runs") or []
    if len(runs) > 1 and r["ops_per_sec"] and \
            (max(runs) - min(runs)) / r["ops_per_sec"] > 0.25:
        out.append("spread > 25%")
    return ", ".join(out)


def table_rows(res):
    rows = []
    for r in sorted(res.recs, key=sort_key):
        m = res.ref(r, "memcached")
        d = res.ref(r, "redis")
        v = r["ops_per_sec"]
        rows.append([r["system"], r["op"], str(r.get("threads", 1)), str(r.get("pipeline", 1)),
                     str(r.get("key_size") or "-"), str(r.get("value_size") or "-"),
                     fmt_rate(v), spread(r),
                     fmt_ratio(v / m if m and r["system"] != "memcached" else None),
                     fmt_ratio(v / d if d and r["system"] != "redis" else None),
                     note(r)])
    return rows


HEAD = ["system", "op", "thr", "P", "key", "value", "ops/s", "spread", "x memcached",
        "x redis", ""]


def text_table(rows, head=HEAD):
    w = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head)).rstrip(),
           "  ".join("-" * w[i] for i in range(len(head))).rstrip()]
    for x in rows:
        out.append("  ".join(str(c).ljust(w[i]) if i < 6 else str(c).rjust(w[i])
                             for i, c in enumerate(x)).rstrip())
    return "\n".join(out)


def rst_table(rows, head=HEAD):
    head = [h if h else "note" for h in head]
    w = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    w = [max(n, 1) for n in w]
    sep = "  ".join("=" * n for n in w)
    out = [sep, "  ".join(h.ljust(w[i]) for i, h in enumerate(head)).rstrip(), sep]
    for x in rows:
        out.append("  ".join((str(c) if str(c) else "..").ljust(w[i]) if i == 0 else
                             str(c).ljust(w[i]) for i, c in enumerate(x)).rstrip())
    out.append(sep)
    return "\n".join(out)


def memory_rows(mems):
    rows = []
    for m in mems:
        rows.append([m["system"], m.get("basis", ""), "%.1f" % m["value"],
                     str(m.get("stored", "")), str(m.get("items", ""))])
    return rows


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def targets(res, mems):
    """(met, text) for each of the issue's targets, from this run only."""
    out = []
    vss = sorted(set(r["value_size"] for r in res.recs
                     if r["system"] == "kcache-ioctl" and r["op"] == "get"))

    def ratio(a, b):
        return a / b if a and b else None

    for op in ("get", "set"):
        for ref in ("memcached", "redis"):
            parts, ok = [], bool(vss)
            for vs in vss:
                k = res.get("kcache-ioctl", op, 1, 1, 16, vs)
                x = ratio(k, res.get(ref, op, 1, 1, 16, vs))
                ok = ok and x is not None and x >= 10
                parts.append("%d B: %s" % (vs, fmt_ratio(x)))
            out.append((ok, "ioctl %s, 1 thread >= 10x %s (-P 1): %s" %
                        (op.upper(), ref, (", ".join(parts) or "not measured"))))
    parts, ok = [], bool(vss)
    for vs in vss:
        x = ratio(res.get("kcache-batch", "get", 1, 100, 16, vs),
                  res.get("memcached", "get", 1, 1, 16, vs))
        ok = ok and x is not None and x >= 30
        parts.append("%d B: %s" % (vs, fmt_ratio(x)))
    out.append((ok, "batched GET (100 a call) >= 30x memcached GET per key: " + (", ".join(parts) or "not measured")))
    for p, want in ((1, 1.0), (16, 1.5)):
        xs, worst = [], None
        for r in res.recs:
            if r["system"] != "kcache-proxy" or r.get("pipeline") != p:
                continue
            x = ratio(r["ops_per_sec"],
                      res.get("redis", r["op"], 1, p, 16, r["value_size"]))
            if x is None:
                continue
            xs.append(x)
            if worst is None or x < worst[0]:
                worst = (x, "%s %d B" % (r["op"], r["value_size"]))
        g = geomean(xs)
        ok = bool(xs) and min(xs) >= want
        out.append((ok, "kcache-proxy >= %.1fx redis-server at -P %d: geometric mean %s, "
                        "lowest %s (%s), %d of %d tests met" %
                    (want, p, fmt_ratio(g), fmt_ratio(worst[0]) if worst else "-",
                     worst[1] if worst else "-", sum(1 for x in xs if x >= want), len(xs))))
    km = next((m for m in mems if m["system"] == "kcache" and m["basis"] == "used_bytes+index"),
              None)
    mm = next((m for m in mems if m["system"] == "memcached" and
               m["basis"] == "total_malloced+hash_bytes"), None)
    if km and mm:
        out.append((km["value"] <= mm["value"],
                    "memory per item <= memcached's: kcache %.1f B, memcached %.1f B (%s)" %
                    (km["value"], mm["value"], fmt_ratio(km["value"] / mm["value"]))))
    else:
        out.append((False, "memory per item <= memcached's: not measured"))
    parts, ok = [], bool(vss)
    for vs in vss:
        x = ratio(res.get("kcache-ioctl", "get", 2, 1, 16, vs),
                  res.get("kcache-ioctl", "get", 1, 1, 16, vs))
        ok = ok and x is not None and x >= 1.7
        parts.append("%d B: %s" % (vs, fmt_ratio(x)))
    out.append((ok, "ioctl GET, 2 threads >= 1.7x 1 thread: " + (", ".join(parts) or "not measured")))
    return out


def targets18(res, mems, costs):
    """(met, text) for each target of issue 18, from this run only."""
    out = []

    def cost(system, op, p):
        return next((c for c in costs if c["system"] == system and c["op"] == op and
                     c["pipeline"] == p and c.get("keys", "uniform") == "uniform"), None)

    for ref, proxy, want in (("redis", "kcache-proxy", 0.8),
                             ("memcached", "kcache-proxy-memcache", 1.0)):
        parts, ok = [], True
        for op in ("get", "set"):
            for p in (1, 16):
                c = cost(proxy, op, p)
                x = c.get("cpu_ratio_" + ref) if c else None
                ok = ok and x is not None and x <= want
                parts.append("%s P%d %s" % (op.upper(), p, fmt_ratio(x)))
        out.append((ok, "proxy CPU per request <= %.1fx %s (median of per-round ratios): %s" %
                    (want, ref, (", ".join(parts) or "not measured"))))
    parts, ok = [], True
    for op in ("get", "set"):
        for p in (1, 16):
            a, b = cost("kcache-proxy", op, p), cost("redis", op, p)
            x = a.get("syscalls_per_op") if a else None
            y = b.get("syscalls_per_op") if b else None
            ok = ok and x is not None and y is not None and x <= y
            parts.append("%s P%d %s vs %s" % (op.upper(), p, x if x is not None else "-",
                                               y if y is not None else "-"))
    out.append((ok, "proxy system calls per request <= redis-server's: " + (", ".join(parts) or "not measured")))
    for ref, want in (("redis", 1.3), ("redis-io2", 1.0)):
        xs, worst, n = [], None, 0
        for r in res.recs:
            if r["system"] != "kcache-proxy" or r.get("threads", 1) != 2:
                continue
            x = res.get(ref, r["op"], 2, r.get("pipeline", 1), 16, r["value_size"])
            if not x:
                continue
            # the median of per-round ratios where the run has them
            x = r.get("paired_ratio_" + ref, r["ops_per_sec"] / x)
            xs.append(x)
            n += x >= want
            if worst is None or x < worst[0]:
                worst = (x, "%s -P %d" % (r["op"], r.get("pipeline", 1)))
        out.append((bool(xs) and n == len(xs),
                    "proxy throughput >= %.1fx %s, 2 client threads: %s" %
                    (want, ref, "%d of %d tests met, geometric mean %s, lowest %s (%s)" %
                     (n, len(xs), fmt_ratio(geomean(xs)), fmt_ratio(worst[0]), worst[1])
                     if xs else "not measured")))
    km = next((m for m in mems if m["system"] == "kcache" and m["basis"] == "used_bytes+index"),
              None)
    for ref, basis, want in (("memcached", "total_malloced+hash_bytes", 0.95),
                             ("redis", "used_memory", 0.9)):
        mm = next((m for m in mems if m["system"] == ref and m["basis"] == basis), None)
        x = km["value"] / mm["value"] if km and mm and mm["value"] else None
        out.append((x is not None and x <= want,
                    "bytes per item <= %.2fx %s's: %s" %
                    (want, ref, "kcache %.1f B, %s %.1f B (%s)" %
                     (km["value"], ref, mm["value"], fmt_ratio(x)) if x else "not measured")))
    kb = res.get("kcache-batch", "mget", 1, 1, 16, MAIN_VS)
    for ref in ("memcached", "redis"):
        o = res.get(ref, "mget", 1, 1, 16, MAIN_VS)
        x = kb / o if kb and o else None
        out.append((x is not None and x >= 3,
                    "batch GET of 100 per key >= 3x %s's 100-key %s: %s" %
                    (ref, "get" if ref == "memcached" else "MGET", fmt_ratio(x))))
    vss = sorted(set(r["value_size"] for r in res.recs
                     if r["system"] == "kcache-ioctl" and r["op"] == "get"))
    parts, ok = [], bool(vss)
    for vs in vss:
        g1, g2 = res.get("kcache-ioctl", "get", 1, 1, 16, vs), res.get("kcache-ioctl", "get", 2, 1, 16, vs)
        n1, n2 = res.get("kcache-ioctl", "nop", 1, 1, 0, 0), res.get("kcache-ioctl", "nop", 2, 1, 0, 0)
        x = (g2 / g1) / (n2 / n1) if g1 and g2 and n1 and n2 else None
        ok = ok and x is not None and x >= 0.9
        parts.append("%d B: %s" % (vs, fmt_ratio(x)))
    out.append((ok, "ioctl GET 2-thread scaling >= 0.9x NOP's: " + (", ".join(parts) or "not measured")))
    return out


def gnuplot_head(png, size, ylabel, log):
    """The settings both charts share: grouped bars, a key on the right."""
    return """set terminal pngcairo size %s font ",10"
set output '%s'
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
%sset ylabel "%s"
set grid ytics
set key outside right top vertical
""" % (size, png, 'set logscale y\nset format y "%.0s%c"\n' if log else "set yrange [0:*]\n",
       ylabel)


def chart(res, out_dir, title):
    """Two panels of grouped bars (log scale), key 16 B, value 100 B."""
    if not shutil.which("gnuplot"):
        print("report: gnuplot not installed: no chart", file=sys.stderr)
        return None
    panels = [
        ("one request per round trip (-P 1, 1 client thread)",
         [("kcache-ioctl", 1, 1), ("kcache-netlink", 1, 1), ("kcache-proxy", 1, 1),
          ("redis", 1, 1), ("kcache-proxy-memcache", 1, 1), ("memcached", 1, 1)]),
        ("more per round trip (batch of 100, -P 16, 2 threads)",
         [("kcache-batch", 1, 100), ("kcache-ioctl", 2, 1), ("kcache-proxy", 1, 16),
          ("redis", 1, 16), ("kcache-proxy-memcache", 1, 16), ("memcached", 1, 16)]),
    ]
    labels = {("kcache-ioctl", 2, 1): "kcache-ioctl (2 threads)",
              ("kcache-batch", 1, 100): "kcache-batch (100 GETs a call)"}
    files = []
    for i, (_, cols) in enumerate(panels):
        path = os.path.join(out_dir, "chart%d.dat" % i)
        with open(path, "w") as f:
            f.write("op " + " ".join('"%s"' % labels.get(c, c[0] + ("" if c[2] == 1 else
                                                                       " -P %d" % c[2]))
                                     for c in cols) + "\n")
            for op in OPS:
                vals = []
                for system, thr, p in cols:
                    vs = 0 if op in ("incr", "nop") and system.startswith("kcache-ioctl") else MAIN_VS
                    if op == "incr" and system in ("memcached", "kcache-proxy-memcache"):
                        vs = 0
                    v = res.get(system, op, thr, p, MAIN_KS if op != "nop" else 0, vs)
                    vals.append("%.0f" % v if v else "-")
                if any(v != "-" for v in vals):
                    f.write(op + " " + " ".join(vals) + "\n")
        files.append(path)
    png = os.path.join(out_dir, "throughput.png")
    gp = os.path.join(out_dir, "chart.gp")
    with open(gp, "w") as f:
        f.write(gnuplot_head(png, "1400,1000", "operations per second (log scale)", True))
        f.write('set multiplot layout 2,1 title "%s"\n' % title.replace('"', "'"))
        for i, (ptitle, cols) in enumerate(panels):
            f.write('set title "%s"\n' % ptitle)
            f.write("plot " + ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" %
                                        (files[i], j + 2, j + 2) for j in range(len(cols))) + "\n")
        f.write("unset multiplot\n")
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if p.returncode != 0:
        print("report: gnuplot failed: " + p.stderr[-500:], file=sys.stderr)
        return None
    return png


def cost_chart(costs, out_dir, title):
    """Server CPU time per request (uniform keys), one group per op and -P."""
    if not costs or not shutil.which("gnuplot"):
        return None
    systems = [x for x in ("kcache-proxy", "redis", "kcache-proxy-memcache", "memcached")
               if any(c["system"] == x for c in costs)]
    groups = sorted(set((c["op"], c["pipeline"]) for c in costs),
                    key=lambda g: (g[1], OPS.index(g[0]) if g[0] in OPS else 99))
    dat = os.path.join(out_dir, "cost.dat")
    with open(dat, "w") as f:
        f.write("group " + " ".join('"%s"' % x for x in systems) + "\n")
        for op, p in groups:
            vals = []
            for x in systems:
                c = next((c for c in costs if c["system"] == x and c["op"] == op and
                          c["pipeline"] == p and c.get("keys", "uniform") == "uniform" and
                          c.get("cpu_us_per_op")), None)
                vals.append("%.3f" % c["cpu_us_per_op"] if c else "-")
            f.write('"%s -P %d" %s\n' % (op.upper(), p, " ".join(vals)))
    png = os.path.join(out_dir, "cpu_per_request.png")
    gp = os.path.join(out_dir, "cost.gp")
    with open(gp, "w") as f:
        f.write(gnuplot_head(png, "1000,600",
                             "server CPU time per request (us; lower is better)", False) +
                'set title "%s"\nplot ' % title.replace('"', "'") +
                ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" % (dat, j + 2, j + 2)
                          for j in range(len(systems))) + "\n")
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if p.returncode != 0:
        print("report: gnuplot failed: " + p.stderr[-500:], file=sys.stderr)
        return None
    return png


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("--out", required=True)
    ap.add_argument("--accel", default="")
    ap.add_argument("--qemu", default="")
    ap.add_argument("--host-load", default="",
                    help="the host's load before and after the boot")
    a = ap.parse_args()
    info, recs, mems, done, costs = parse(a.log)
    if not recs and not mems and not costs:
        print("report: no results in %s" % a.log, file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(recs + mems + costs, f, indent=1, sort_keys=True)
        f.write("\n")

    res = Results(recs)
    cfg = info.get("config", {})
    cond = ("QEMU TCG (%s, %s), %s vCPUs, %s MiB, guest kernel %s; %s; %s; keys %s, "
            "seed %s, %s runs of %s s (redis-benchmark: %s runs, -c %s)" %
            (a.accel or "?", a.qemu or "?", info.get("cpus", "?"),
             info.get("mem_kb", 0) // 1024, info.get("kernel", "?"), info.get("redis", "?"),
             info.get("memcached", "?"), cfg.get("keys"), cfg.get("seed"), cfg.get("runs"),
             cfg.get("secs"), cfg.get("rb_runs"), cfg.get("conns")))
    if a.host_load:
        cond += "; host " + a.host_load
    rows = table_rows(res)
    mrows = memory_rows(mems)
    mhead = ["system", "basis", "bytes/item", "items stored", "items loaded"]
    tg = targets(res, mems)
    tg18 = targets18(res, mems, costs)
    lines = ["Conditions: " + cond, "",
             "Throughput (median of the runs; spread = (max - min) / median; ratios against "
             "the same op, key and value size at -P 1, or at the same -P for pipelined loads, "
             "and network loads at the same number of client threads (thr: kc-bench's threads, "
             "or kc-netload's and redis-benchmark's client threads); NOP against GET):",
             "", text_table(rows), "",
             "Server cost per request (kc-netload, 10 connections, key 16 B, value 100 B; "
             "CPU = user + system time of the server's process per reply, median of the "
             "rounds; x server: against redis-server or memcached (same protocol), x proxy: "
             "against this build's kcache-proxy, each the median of per-round ratios; "
             "system calls from a separate run under strace -c -f):", "", text_table(cost_rows(costs), COST_HEAD)
             if costs else "(not measured)", "",
             "Memory per item:", "", text_table(mrows, mhead), "",
             "Targets (this run):"]
    lines += ["  [%s] %s" % ("met" if ok else "MISSED", t) for ok, t in tg]
    lines += ["", "Targets of issue 18 (this run):"]
    lines += ["  [%s] %s" % ("met" if ok else "MISSED", t) for ok, t in tg18]
    if not done:
        lines += ["", "WARNING: the guest did not finish (no KCB-DONE): results are partial"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "table.rst"), "w") as f:
        f.write(rst_table(rows) + "\n\n" + rst_table(mrows, mhead) + "\n\n")
        f.write("\n".join("- %s: %s" % ("met" if ok else "**missed**", t)
                           for ok, t in tg + tg18) + "\n")
    png = chart(res, a.out, "kcache vs redis-server vs memcached, key %d B, value %d B, %s" %
                (MAIN_KS, MAIN_VS, info.get("kernel", "")))
    cpng = cost_chart(costs, a.out, "server CPU time per request, key 16 B, value 100 B, %s" %
                      info.get("kernel", ""))
    print(text, end="")
    print("\nresults: %s" % os.path.join(a.out, "results.json"))
    if png:
        print("chart:   %s" % png)
    if cpng:
        print("chart:   %s" % cpng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
