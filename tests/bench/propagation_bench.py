#!/usr/bin/python3
"""Propagation benchmark (issue 20): how long after an UPDATE is answered by
the primary (enumd) each secondary serves it.

enumd serves a generated zone of --numbers numbers and NOTIFYs its
secondaries (BIND 9 and Knot DNS, as tests/system/test_transfer.py runs them,
and another enumd with zones[].primaries: TSIG-signed transfers, NOTIFY to
their ports). Once every secondary has the
zone, one client sends --updates UPDATEs (each adds a NAPTR at a new number)
at --rate a second, one after the other; each answered UPDATE is serial
S0 + i. A thread per secondary asks its SOA serial every --poll-ms ms and
records when each serial first appears. Update i is visible on a secondary
at the first poll that sees a serial >= S0 + i (secondaries apply IXFR
atomically, serial and data together). Prints p50/p90/p99/max per
secondary, and how many never arrived within --settle seconds.

  tests/bench/propagation_bench.py [--numbers N] [--updates U] [--rate R]
      [--secondaries bind,knot,enumd] [--poll-ms MS] [--settle S] [--build DIR]

Target (issue 20): p99 < 1 s. Needs named (bind9) and knotd (knot);
everything listens on 127.0.0.1 on free ports and stops at the end.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.update  # noqa: E402

import enumd_harness  # noqa: E402
from enumd_harness import HOST, Enumd, free_port  # noqa: E402
from test_transfer import (KEY_NAME, ZONE, BindSecondary, KnotSecondary,  # noqa: E402
                           key_file)

from test_secondary import PinnedEnumd  # noqa: E402


class EnumdSecondary(PinnedEnumd):
    """enumd following the primary (zones[].primaries), on a chosen port."""

    label = "enumd-secondary"

    def __init__(self, primary_port, port, key_path):
        super().__init__(port, extra_config={
            "keys": [key_path], "workers": 1, "log_level": "info",
            "zones": [{"origin": ZONE, "primaries": [
                {"address": HOST, "port": primary_port, "key": KEY_NAME}]}]})

    def serial(self):
        try:
            r = self.query(ZONE, "SOA", timeout=0.5)
        except Exception:
            return None
        return r.answer[0][0].serial if r.answer else None


KINDS = {"bind": BindSecondary, "knot": KnotSecondary, "enumd": EnumdSecondary}


def zone_text(numbers):
    lines = ["$TTL 3600",
             f"@ SOA ns.{ZONE} root.{ZONE} 1000 3600 600 86400 60",
             f"@ NS ns.{ZONE}", "ns A 127.0.0.1"]
    for i in range(numbers):
        digits = ".".join(reversed(f"{i:09d}"))
        lines.append(f'{digits}.1.6 NAPTR 10 100 "u" "E2U+sip" '
                     f'"!^.*$!sip:{i}@gw{i % 16}.example.net!" .')
    return "\n".join(lines) + "\n"


class Poller(threading.Thread):
    """Asks `server` for the zone's SOA serial every `interval` seconds;
    keeps (first time seen, serial) for each new serial."""

    def __init__(self, server, interval):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.seen = []  # (monotonic time, serial), serials increasing
        self.stop = threading.Event()

    def run(self):
        q = dns.message.make_query(ZONE, "SOA")
        last = None
        while not self.stop.is_set():
            try:
                r = dns.query.udp(q, HOST, port=self.server.port, timeout=0.5)
                serial = next((rr[0].serial for rr in r.answer), None)
            except Exception:
                serial = None
            now = time.monotonic()
            if serial is not None and serial != last:
                self.seen.append((now, serial))
                last = serial
            self.stop.wait(self.interval)

    def visible_at(self, serial):
        for t, s in self.seen:
            if (s - serial) % 2**32 < 2**31:
                return t
        return None


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--numbers", type=int, default=100000)
    ap.add_argument("--updates", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--secondaries", default="bind,knot,enumd")
    ap.add_argument("--poll-ms", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=60.0)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--logs", help="copy every server's log into this directory")
    a = ap.parse_args()
    os.environ["ENUMD_BIN_DIR"] = os.path.join(os.path.abspath(a.build), "bin")

    tmp = tempfile.mkdtemp(prefix="propagation-")
    zone_file = os.path.join(tmp, "zone.db")
    with open(zone_file, "w") as f:
        f.write(zone_text(a.numbers))
    kf = os.path.join(tmp, "xfr.key")
    key_file(kf)
    kinds = [k for k in a.secondaries.split(",") if k]
    ports = []
    for _ in kinds:
        p = free_port()
        while p in ports:
            p = free_port()
        ports.append(p)
    config = {"keys": [kf],
              "zones": [{"origin": ZONE, "file": zone_file,
                         "transfer": {"keys": [KEY_NAME]},
                         "update": {"allow": ["127.0.0.1/32"]},
                         "journal": {"max_entries": a.updates * 2},
                         # Knot and enumd take NOTIFY only signed (Knot: its acl in
                         # test_transfer.py; enumd: from a primary with a key).
                         "notify": [f"{HOST}:{p}" +
                                    (f" key {KEY_NAME}" if k in ("knot", "enumd") else "")
                                    for k, p in zip(kinds, ports)]}],
              "log_level": "info", "workers": 1}
    started = []
    try:
        primary = Enumd(zones=(), extra_config=config)
        primary.start()
        started.append(primary)
        secondaries = []
        for kind, port in zip(kinds, ports):
            s = (EnumdSecondary(primary.port, port, kf) if kind == "enumd"
                 else KINDS[kind](primary.port, port))
            s.start()
            started.append(s)
            secondaries.append((kind, s))
        s0 = primary.query(ZONE, "SOA").answer[0][0].serial
        t0 = time.monotonic()
        for kind, s in secondaries:
            while s.serial() != s0:
                if time.monotonic() - t0 > 300:
                    raise SystemExit(f"{kind} never loaded the zone:\n{s.log_text()[-3000:]}")
                time.sleep(0.1)
        print(f"zone of {a.numbers} numbers on every secondary after "
              f"{time.monotonic() - t0:.1f} s", file=sys.stderr)

        pollers = {kind: Poller(s, a.poll_ms / 1000) for kind, s in secondaries}
        for p in pollers.values():
            p.start()
        acked = []  # (monotonic time answered, serial)
        gap = 1.0 / a.rate
        next_send = time.monotonic()
        for i in range(a.updates):
            u = dns.update.UpdateMessage(ZONE)
            digits = ".".join(reversed(f"{a.numbers + i:09d}"))
            u.add(f"{digits}.1.6.{ZONE}", 300, "NAPTR",
                  f'10 100 "u" "E2U+sip" "!^.*$!sip:new{i}@gw.example.net!" .')
            r = dns.query.tcp(u, HOST, port=primary.port, timeout=10)
            if r.rcode() != dns.rcode.NOERROR:
                raise SystemExit(f"update {i}: {dns.rcode.to_text(r.rcode())}")
            acked.append((time.monotonic(), (s0 + i + 1) % 2**32))
            next_send += gap
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        sent_for = acked[-1][0] - acked[0][0]
        final = acked[-1][1]
        deadline = time.monotonic() + a.settle
        while time.monotonic() < deadline and any(
                p.visible_at(final) is None for p in pollers.values()):
            time.sleep(0.05)
        for p in pollers.values():
            p.stop.set()
            p.join()

        print(f"PROPAGATION  {a.numbers} numbers, {a.updates} updates at {a.rate:g}/s "
              f"(sent in {sent_for:.1f} s), SOA polled every {a.poll_ms:g} ms")
        print(f"{'secondary':<10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'missing':>8}")
        for kind, p in pollers.items():
            lat = []
            missing = 0
            for t, serial in acked:
                seen = p.visible_at(serial)
                if seen is None:
                    missing += 1
                else:
                    lat.append(max(0.0, seen - t) * 1000)
            if lat:
                print(f"{kind:<10} {statistics.median(lat):8.1f} {percentile(lat, 90):8.1f} "
                      f"{percentile(lat, 99):8.1f} {max(lat):8.1f} {missing:8d}")
            else:
                print(f"{kind:<10} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {missing:8d}")
        print("target: p99 < 1000 ms")
    finally:
        if a.logs:
            os.makedirs(a.logs, exist_ok=True)
            for s in started:
                with open(os.path.join(a.logs, s.label + ".log"), "w") as f:
                    f.write(s.log_text())
        for s in reversed(started):
            try:
                s.stop(check=False)
            except Exception as e:  # keep stopping the others
                print(f"stopping {s.label}: {e}", file=sys.stderr)
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
