#!/usr/bin/env python3
"""Turns the benchmarks' raw TSV results into the tables they print.

  report.py import FILE --numbers N   (from import_bench.sh)
  report.py serve FILE [--title T]    (from serve_bench.sh)
  report.py traffic FILE [--title T]  (from traffic_bench.sh)

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
    # key, label, formatter; each row once per worker count ("[1w]", "[2w]").
    ("start_ms", "start to first correct answer, ms (lower better)", f0),
    ("cold_qps", "UDP qps, first pass over the query file (cold; warm-up)", f0),
    ("max_qps", "UDP max qps, loadgen closed loop (higher better)", f0),
    ("max_pct_ceiling", "UDP max qps, % of the loopback ceiling", f1),
    ("max_loss_pct", "UDP lost at max qps, %", f2),
    ("half_p50_us", "p50 latency at 50% of own max qps, us", f0),
    ("half_p99_us", "p99 latency at 50% of own max qps, us (lower better)", f0),
    ("half_p999_us", "p99.9 latency at 50% of own max qps, us", f0),
    ("half_loss_pct", "lost at 50% of own max qps, %", f2),
    ("khalf_p99_us", "p99 latency at 50% of knotd's max qps (same load for all), us", f0),
    ("khalf_loss_pct", "lost at 50% of knotd's max qps, %", f2),
    ("fixed_qps", "fixed-rate run (loadgen): answered qps", f0),
    ("fixed_loss_pct", "fixed-rate run: lost, %", f2),
    ("fixed_p99_us", "p99 latency at the fixed rate (same load for all), us", f0),
    ("cpu_us", "server CPU us per answered query, fixed rate (lower better)", f2),
    ("udp_qps", "UDP qps, dnsperf -c 8 unlimited (higher better)", f0),
    ("udp_lat_ms", "UDP avg latency at that load (dnsperf), ms", f2),
    ("udp_lost", "UDP queries lost (dnsperf)", f0),
    ("tcp_qps", "TCP qps, dnsperf -m tcp -c 8 (higher better)", f0),
    ("xc_dnsperf_qps", "check: dnsperf answered qps at the check rate", f0),
    ("xc_loadgen_qps", "check: loadgen answered qps at the check rate", f0),
    ("xc_dnsperf_nx_pct", "check: dnsperf NXDOMAIN, % of answers", f2),
    ("xc_loadgen_nx_pct", "check: loadgen NXDOMAIN, % of answers", f2),
    ("rss_mib", "RSS after the runs, MiB (lower better)", f0),
    ("pss_mib", "PSS after the runs, MiB (sum over processes)", f0),
]
CEILING = "ceiling"  # the trivial responder: a column, never in the ratios
AGREE_PCT = 3.0  # loadgen and dnsperf must agree this closely at the check rate


def median_of(per, server):
    v = list(per.get(server, {}).values())
    return statistics.median(v) if v else None


def do_serve(a):
    # data[key][workers][server][round] = value; keys are "name.wN" (older
    # files without ".wN" were 1 worker).
    data = {}
    servers = []
    for ln in open(a.file):
        server, rnd, key, value = ln.rstrip("\n").split("\t")
        name, _, w = key.partition(".w")
        w = int(w) if w else 1
        if server not in servers:
            servers.append(server)
        data.setdefault(name, {}).setdefault(w, {}).setdefault(server, {})[rnd] = float(value)
    # A server's max qps over the ceiling's in the same round.
    for w, per in data.get("max_qps", {}).items():
        ceil = per.get(CEILING, {})
        for server, rounds in per.items():
            if server == CEILING:
                continue
            pct = {r: 100 * v / ceil[r] for r, v in rounds.items() if ceil.get(r)}
            if pct:
                data.setdefault("max_pct_ceiling", {}).setdefault(w, {})[server] = pct
    workers = sorted({w for per in data.values() for w in per})
    rounds = max(len(r) for per in data.values() for by_s in per.values() for r in by_s.values())
    # enumd first, the trivial responder last, the others in the order they ran.
    columns = sorted((s for s in servers if s != CEILING), key=lambda s: s != "enumd")
    columns += [CEILING] if CEILING in servers else []
    others = [s for s in columns if s not in ("enumd", CEILING)]
    header = ["metric"] + columns
    if "enumd" in servers:
        header += ["enumd/%s" % s for s in others]
    rows = []
    for key, label, fmt in SERVE_ROWS:
        for w in workers:
            per = data.get(key, {}).get(w)
            if not per:
                continue
            row = ["%s [%dw]" % (label, w)]
            row += [cell(list(per.get(s, {}).values()), fmt) for s in columns]
            if "enumd" in servers:
                e = median_of(per, "enumd")
                for s in others:
                    o = median_of(per, s)
                    row.append("%.2f" % (e / o) if e is not None and o else "-")
            rows.append(row)
    print("\nSERVE  %s\n%d rounds; median [min-max]; [Nw] = N workers each" % (a.title, rounds))
    print("(ratios are enumd's median over the other's; for CPU/query, latency and RSS lower is"
          " better; the ceiling column is the trivial responder, pinned like a server)")
    print(table(header, rows))

    # The checks under the table.
    notes = []
    xc = []
    for s in columns:
        d = median_of(data.get("xc_dnsperf_qps", {}).get(workers[0], {}), s)
        g = median_of(data.get("xc_loadgen_qps", {}).get(workers[0], {}), s)
        if d and g is not None:
            xc.append((s, 100 * (g - d) / d))
    if xc:
        worst = max(abs(p) for _, p in xc)
        notes.append("loadgen vs dnsperf at the same offered rate (answered qps): %s: %s"
                     % (", ".join("%s %+.2f%%" % x for x in xc),
                        "agree (within %.0f%%)" % AGREE_PCT if worst <= AGREE_PCT
                        else "DISAGREE (more than %.0f%% apart)" % AGREE_PCT))
    if "enumd" in servers and "knotd" in servers:
        # At 50% of each server's own max the faster server carries more load;
        # 50% of knotd's max and the fixed rate are the same load for both.
        for key, what in (("half_p99_us", "at 50% of own max"),
                          ("khalf_p99_us", "at 50% of knotd's max"),
                          ("fixed_p99_us", "at the fixed rate")):
            for w in workers:
                per = data.get(key, {}).get(w, {})
                e, k = median_of(per, "enumd"), median_of(per, "knotd")
                if e is not None and k is not None:
                    notes.append("target p99 %s <= knotd's [%dw]: %s (%s vs %s us)"
                                 % (what, w, "met" if e <= k else "NOT met", f0(e), f0(k)))
    for w in workers:
        for s, rounds_ in data.get("fixed_loss_pct", {}).get(w, {}).items():
            m = statistics.median(rounds_.values())
            if m > 0.1:
                notes.append("%s [%dw] lost %.2f%% at the fixed rate: it does not sustain it, so its"
                             " CPU/query is not comparable" % (s, w, m))
    for n in notes:
        print(n)


def do_traffic(a):
    """traffic_bench.sh: per mode, file 1 (first pass) and files 2..K (steady)."""
    data = {}  # (mode, server) -> key -> {file: value}
    modes, servers = [], []
    for ln in open(a.file):
        server, mode, f, key, value = ln.rstrip("\n").split("\t")
        if mode not in modes:
            modes.append(mode)
        if server not in servers:
            servers.append(server)
        data.setdefault((mode, server), {}).setdefault(key, {})[int(f)] = float(value)
    others = [s for s in servers if s != "enumd"] if "enumd" in servers else []
    print("\nTRAFFIC  " + a.title)
    print("first = file 1 after start (names never asked before); steady = files 2..K,"
          " median [min-max]")

    def values(mode, server, key, first):
        per = data.get((mode, server), {}).get(key, {})
        return [v for f, v in sorted(per.items()) if f > 0 and (f == 1) == (first == "first")]

    rows = []
    for mode in modes:
        spec = [("start to first answer, ms", "start_ms", None, f0),
                ("start to names loaded (enumd), ms", "loaded_ms", None, f0),
                ("CPU s until loaded (enumd)", "load_cpu_s", None, f1),
                ("RSS before file 1, MiB", "rss_mib", 0, f0),
                ("CPU us per answer, first pass", "cpu_us", "first", f2),
                ("CPU us per answer, steady", "cpu_us", "steady", f2),
                ("answered qps, first pass", "qps", "first", f0),
                ("answered qps, steady", "qps", "steady", f0),
                ("lost %, worst file", "loss_pct", "max", f2),
                ("NXDOMAIN % of answers, file 1", "nxdomain", "nx", f1),
                ("RSS after the last file, MiB", "rss_mib", "last", f0)]
        for label, key, which, fmt in spec:
            cells, meds = [], {}
            for s in servers:
                per = data.get((mode, s), {}).get(key, {})
                if which in (None, 0):
                    v = [per[0]] if 0 in per else []
                elif which == "max":
                    v = [max(per.values())] if per else []
                elif which == "last":
                    v = [per[max(per)]] if per else []
                elif which == "nx":
                    ans = data.get((mode, s), {}).get("answered", {}).get(1, 0)
                    v = [100 * per[1] / ans] if 1 in per and ans else []
                else:
                    v = values(mode, s, key, which)
                cells.append(cell(v, fmt))
                if v:
                    meds[s] = statistics.median(v)
            ratios = ["%.2f" % (meds["enumd"] / meds[o]) if "enumd" in meds and meds.get(o)
                      else "-" for o in others]
            rows.append([mode + ": " + label] + cells + ratios)
    print(table(["metric"] + servers + ["enumd/" + o for o in others], rows))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("import")
    i.add_argument("file")
    i.add_argument("--numbers", type=int, required=True)
    s = sub.add_parser("serve")
    s.add_argument("file")
    s.add_argument("--title", default="")
    t = sub.add_parser("traffic")
    t.add_argument("file")
    t.add_argument("--title", default="")
    a = ap.parse_args()
    {"import": do_import, "serve": do_serve, "traffic": do_traffic}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
