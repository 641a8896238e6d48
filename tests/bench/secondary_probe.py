#!/usr/bin/env python3
"""Probe for secondary_bench.sh: watches a server that is starting (--pid,
--port; --started: when it was started) until it answers --name/--type authoritatively with NOERROR and at
least one record (with --serial: the zone's SOA with that serial), sampling
its memory every 50 ms meanwhile, then --settle seconds more.

Prints one line: seconds_to_answer rss_peak_kb anon_peak_kb rss_end_kb
anon_end_kb (RssAnon: VmRSS without the pages of mapped files). Exits 1
when the process dies or --timeout passes first."""

import argparse
import socket
import struct
import sys
import time

from axfr_client import rss_kb  # (VmRSS, RssAnon); zeros once the process is gone


def wire_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"


def answered(port, name, qtype, serial):
    q = struct.pack("!HHHHHH", 0x5151, 0, 1, 0, 0, 0) + wire_name(name) + struct.pack("!HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    try:
        s.sendto(q, ("127.0.0.1", port))
        r = s.recv(4096)
    except OSError:
        return False
    finally:
        s.close()
    if len(r) < 12 or (r[2] & 0x04) == 0 or (r[3] & 0xF) != 0:
        return False
    if struct.unpack("!H", r[6:8])[0] == 0:
        return False
    if serial is None:
        return True
    # The SOA's serial: the first answer record, owner compressed to the question.
    pos = 12 + len(wire_name(name)) + 4
    pos += 2 if r[pos] & 0xC0 == 0xC0 else len(wire_name(name))
    rdlen = struct.unpack("!H", r[pos + 8:pos + 10])[0]
    rdata = r[pos + 10:pos + 10 + rdlen]
    # mname and rname may be compressed: walk both names.
    p = 0
    for _ in range(2):
        while rdata[p] != 0 and rdata[p] & 0xC0 != 0xC0:
            p += rdata[p] + 1
        p += 2 if rdata[p] & 0xC0 == 0xC0 else 1
    return struct.unpack("!I", rdata[p:p + 4])[0] == serial


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="e164.arpa.")
    ap.add_argument("--type", type=int, default=6)
    ap.add_argument("--serial", type=int)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--settle", type=float, default=0)
    ap.add_argument("--started", type=float,
                    help="when the server was started (Unix time); default: now")
    a = ap.parse_args()
    # Times count from the server's start: monotonic, shifted by how long ago that was.
    t0 = time.monotonic() - (time.time() - a.started if a.started else 0)
    peak = [0, 0]
    done_at = None
    while True:
        now_mem = rss_kb(a.pid)
        if now_mem == (0, 0):  # a live process always has resident pages
            sys.exit("secondary_probe: the server exited")
        peak = [max(p, v) for p, v in zip(peak, now_mem)]
        now = time.monotonic()
        if done_at is None:
            if answered(a.port, a.name, a.type, a.serial):
                done_at = now
            elif now - t0 > a.timeout:
                sys.exit("secondary_probe: no answer before the timeout")
        if done_at is not None and now - done_at >= a.settle:
            break
        time.sleep(0.05 if done_at is None else 0.2)
    print(f"{done_at - t0:.3f} {peak[0]} {peak[1]} {now_mem[0]} {now_mem[1]}")


if __name__ == "__main__":
    main()
