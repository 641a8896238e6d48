#!/usr/bin/env python3
"""Turns the benchmarks' raw TSV results into the tables they print.

  report.py import FILE --numbers N   (from import_bench.sh)
  report.py serve FILE [--title T]    (from serve_bench.sh)

Every cell is "median [min-max]" over the rounds; ratios are of medians.
"""

import argparse
import statistics
import sys


def cell(values, fmt):
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return "%s [%s-%s]" % (fmt(med), fmt(min(values)), fmt(max(values)))


def f0(v):
    return "{:,.0f}".format(v)


def f1(v):
    return "%.1f" % v


def f2(v):
    return "%.2f" % v


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def do_import(a):
    by_tool = {}
    for ln in open(a.file):
        tool, _, records, wall, user, sys_, rss, store = ln.rstrip("\n").split("\t")
        d = by_tool.setdefault(tool, {"wall": [], "rps": [], "cpu": [], "rpc": [], "rss": [],
                                      "store": []})
        wall = float(wall)
        d["wall"].append(wall)
        d["rps"].append(int(records) / wall if wall > 0 else 0)
        d["cpu"].append(float(user) + float(sys_))
        d["rpc"].append(int(records) / d["cpu"][-1] if d["cpu"][-1] > 0 else 0)
        d["rss"].append(int(rss) / 1024)
        if store != "-":
            d["store"].append(float(store))
        n_rec = int(records)
    rounds = max(len(d["wall"]) for d in by_tool.values())
    print("\nIMPORT  %s numbers, %s records, %d rounds; median [min-max]"
          % (f0(a.numbers), f0(n_rec), rounds))
    rows = [[t, cell(d["wall"], f2), cell(d["rps"], f0), cell(d["cpu"], f2),
             cell(d["rpc"], f0), cell(d["rss"], f0), cell(d["store"], f0)]
            for t, d in by_tool.items()]
    print(table(["tool", "wall s", "records/s", "CPU s (user+sys)", "records/CPU-s",
                 "peak RSS MiB", "store MiB"], rows))
    print("(records/s: records / wall time; records/CPU-s: records / user+sys time of"
          " all threads -- steadier than wall time on a busy machine)")
    e = by_tool.get("enumctl import")
    if e:
        rps = statistics.median(e["rps"])
        rss = statistics.median(e["rss"])
        print("target >= 300,000 records/s: %s (median %s)"
              % ("met" if rps >= 300000 else "NOT met", f0(rps)))
        if a.numbers >= 10_000_000:
            print("target peak RSS < 1 GiB at 10M numbers: %s (median %s MiB)"
                  % ("met" if rss < 1024 else "NOT met", f0(rss)))
        for other in ("named-checkzone", "kzonecheck"):
            if other in by_tool:
                print("enumctl import speed / %s: %.2fx" % (
                    other, rps / statistics.median(by_tool[other]["rps"])))


SERVE_ROWS = [
    # key, label, formatter
    ("start_ms", "start to first correct answer, ms (lower better)", f0),
    ("udp_qps", "UDP qps, dnsperf -c 8 unlimited (higher better)", f0),
    ("udp_lat_ms", "UDP avg latency at that load, ms", f2),
    ("udp_lost", "UDP queries lost", f0),
    ("tcp_qps", "TCP qps, dnsperf -m tcp -c 8 (higher better)", f0),
    ("fixed_qps", "fixed-rate run: answered qps", f0),
    ("fixed_lost", "fixed-rate run: queries lost", f0),
    ("cpu_us", "server CPU us per answered query (lower better)", f2),
    ("rss_mib", "RSS after the runs, MiB (lower better)", f0),
    ("pss_mib", "PSS after the runs, MiB (sum over processes)", f0),
]


def do_serve(a):
    data = {}
    servers = []
    for ln in open(a.file):
        server, _, key, value = ln.rstrip("\n").split("\t")
        if server not in servers:
            servers.append(server)
        data.setdefault(key, {}).setdefault(server, []).append(float(value))
    rounds = max(len(v) for per in data.values() for v in per.values())
    others = [s for s in servers if s != "enumd"]
    header = ["metric"] + servers + ["enumd/%s" % s for s in others if "enumd" in servers]
    rows = []
    for key, label, fmt in SERVE_ROWS:
        per = data.get(key)
        if not per:
            continue
        row = [label] + [cell(per.get(s, []), fmt) for s in servers]
        if "enumd" in servers:
            for s in others:
                e, o = per.get("enumd"), per.get(s)
                if e and o and statistics.median(o) > 0:
                    row.append("%.2f" % (statistics.median(e) / statistics.median(o)))
                else:
                    row.append("-")
        rows.append(row)
    print("\nSERVE  %s; %d rounds; median [min-max]" % (a.title, rounds))
    print("(ratios are enumd's median over the other's; CPU/query and RSS: lower is better)")
    print(table(header, rows))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("import")
    i.add_argument("file")
    i.add_argument("--numbers", type=int, required=True)
    s = sub.add_parser("serve")
    s.add_argument("file")
    s.add_argument("--title", default="")
    a = ap.parse_args()
    (do_import if a.cmd == "import" else do_serve)(a)


if __name__ == "__main__":
    sys.exit(main())
