#!/usr/bin/env python3
"""Raw AXFR reader for axfr_bench.sh: sends one AXFR over TCP, reads the
length-prefixed messages without parsing records (so the server, not the
client, sets the pace), counts records from each header's ANCOUNT, and
samples the server's RSS (VmRSS of --pid, and RssAnon: VmRSS also counts
the pages of files it maps, which enumd's store tables are) every 20 ms
while it sends.

Prints one line: seconds records messages bytes rss_before_kb rss_max_kb
anon_before_kb anon_max_kb.
Stops at --records records (the zone's count + 1: the SOA comes twice) or
when the server closes."""

import argparse
import socket
import struct
import sys
import time


def rss_kb(pid):
    """(VmRSS, RssAnon) of pid in KiB; zeros when it is gone."""
    rss = anon = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
    except OSError:
        pass
    return rss, anon


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--zone", default="e164.arpa.")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--records", type=int, required=True)
    a = ap.parse_args()

    qname = b"".join(bytes([len(l)]) + l.encode() for l in a.zone.rstrip(".").split(".")) + b"\0"
    query = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", 252, 1)
    before = rss_kb(a.pid)
    peak = list(before)
    s = socket.create_connection(("127.0.0.1", a.port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.monotonic()
    s.sendall(struct.pack("!H", len(query)) + query)
    buf = bytearray()
    records = messages = total = 0
    next_sample = t0
    pos = 0
    while records < a.records:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
        total += len(chunk)
        while len(buf) - pos >= 2:
            n = struct.unpack_from("!H", buf, pos)[0]
            if len(buf) - pos < 2 + n:
                break
            rcode = buf[pos + 5] & 0xF
            if rcode != 0:
                sys.exit(f"axfr_client: rcode {rcode}")
            records += struct.unpack_from("!H", buf, pos + 2 + 6)[0]
            messages += 1
            pos += 2 + n
        if pos > (1 << 22):
            del buf[:pos]
            pos = 0
        now = time.monotonic()
        if now >= next_sample:
            peak = [max(p, v) for p, v in zip(peak, rss_kb(a.pid))]
            next_sample = now + 0.02
    elapsed = time.monotonic() - t0
    peak = [max(p, v) for p, v in zip(peak, rss_kb(a.pid))]
    s.close()
    print(f"{elapsed:.3f} {records} {messages} {total} {before[0]} {peak[0]} {before[1]} {peak[1]}")


if __name__ == "__main__":
    main()
