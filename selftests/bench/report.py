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
         "kcache-proxy-memcache", "redis", "memcached",
         "py-kcache", "py-redis-proxy", "py-redis"]
OPS = ["nop", "get", "set", "incr", "lpush", "lpop", "sadd", "hset", "mset"]
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


COST_HEAD = ["system", "op", "P", "ops/s", "CPU us/op", "sys us/op", "CPU spread",
             "syscalls/op", "CPU x server", "CPU x proxy", "top system calls per op"]


def cost_rows(costs):
    """Server CPU time and system calls per request (phase cost)."""
    rows = []
    for c in sorted(costs, key=lambda c: (c["op"], c["pipeline"], c["proto"], c["system"])):
        cr = c.get("cpu_runs") or []
        sp = ("%.0f%%" % (100.0 * (max(cr) - min(cr)) / c["cpu_us_per_op"])
              if len(cr) > 1 and c["cpu_us_per_op"] else "")
        top = ", ".join("%s %.2f" % kv for kv in list(c.get("syscalls", {}).items())[:4])
        rows.append([c["system"], c["op"], str(c["pipeline"]), fmt_rate(c["ops_per_sec"]),
                     "%.2f" % c["cpu_us_per_op"], "%.2f" % c["sys_us_per_op"], sp,
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
        p = r.get("pipeline", 1) if r["system"] in ("kcache-proxy", "kcache-proxy-memcache",
                                                     "redis", "memcached") else 1
        if op == "nop":
            op = "get"
            vs = MAIN_VS
            ks = MAIN_KS
        if system == "redis":
            if ks != 16:
                return None
            if vs == 0:
                vs = MAIN_VS
        return self.get(system, op, 1, p, ks, vs)


def sort_key(r):
    return (ORDER.index(r["system"]) if r["system"] in ORDER else 99,
            OPS.index(r["op"]) if r["op"] in OPS else 99,
            r.get("key_size") or 0, r.get("value_size") or 0,
            r.get("pipeline", 1), r.get("threads", 1))


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
                     "%d err" % r["errors"] if r.get("errors") else ""])
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
            parts, ok = [], True
            for vs in vss:
                k = res.get("kcache-ioctl", op, 1, 1, 16, vs)
                x = ratio(k, res.get(ref, op, 1, 1, 16, vs))
                ok = ok and x is not None and x >= 10
                parts.append("%d B: %s" % (vs, fmt_ratio(x)))
            out.append((ok, "ioctl %s, 1 thread >= 10x %s (-P 1): %s" %
                        (op.upper(), ref, ", ".join(parts))))
    parts, ok = [], True
    for vs in vss:
        x = ratio(res.get("kcache-batch", "get", 1, 100, 16, vs),
                  res.get("memcached", "get", 1, 1, 16, vs))
        ok = ok and x is not None and x >= 30
        parts.append("%d B: %s" % (vs, fmt_ratio(x)))
    out.append((ok, "batched GET (100 a call) >= 30x memcached GET per key: " + ", ".join(parts)))
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
    parts, ok = [], True
    for vs in vss:
        x = ratio(res.get("kcache-ioctl", "get", 2, 1, 16, vs),
                  res.get("kcache-ioctl", "get", 1, 1, 16, vs))
        ok = ok and x is not None and x >= 1.7
        parts.append("%d B: %s" % (vs, fmt_ratio(x)))
    out.append((ok, "ioctl GET, 2 threads >= 1.7x 1 thread: " + ", ".join(parts)))
    return out


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
        f.write("""set terminal pngcairo size 1400,1000 font ",10"
set output '%s'
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set format y "%%.0s%%c"
set ylabel "operations per second (log scale)"
set grid ytics
set key outside right top vertical
set multiplot layout 2,1 title "%s"
""" % (png, title.replace('"', "'")))
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
    lines = ["Conditions: " + cond, "",
             "Throughput (median of the runs; spread = (max - min) / median; ratios against "
             "the same op, key and value size at -P 1, or at the same -P for pipelined loads; "
             "NOP against GET):",
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
    if not done:
        lines += ["", "WARNING: the guest did not finish (no KCB-DONE): results are partial"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "table.rst"), "w") as f:
        f.write(rst_table(rows) + "\n\n" + rst_table(mrows, mhead) + "\n\n")
        f.write("\n".join("- %s: %s" % ("met" if ok else "**missed**", t) for ok, t in tg) + "\n")
    png = chart(res, a.out, "kcache vs redis-server vs memcached, key %d B, value %d B, %s" %
                (MAIN_KS, MAIN_VS, info.get("kernel", "")))
    print(text, end="")
    print("\nresults: %s" % os.path.join(a.out, "results.json"))
    if png:
        print("chart:   %s" % png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
