#!/usr/bin/env python3
"""Small DNS helpers for the benchmarks (stdlib only, 127.0.0.1 only).

  dnsprobe.py start --port P --name N --expect S --pidfile F [--timeout 300] -- CMD...
      Records t0, starts CMD (the server), then sends a NAPTR query for N over
      UDP every 10 ms until an answer arrives with RCODE NOERROR, AA set and
      S in its answer section. Prints the milliseconds from t0 to that answer
      and leaves the server running (its pid goes to F). Exit 1 on timeout or
      if the server exits.

  dnsprobe.py compare --ports enumd=P1,knotd=P2,nsd=P3 --meta META.json
      Asks every server the sample names of the generator's META (existing,
      wildcard-covered, nonexistent, large) over UDP with EDNS 4096 (TCP when
      truncated) and prints, per name, whether rcode, AA and the answer's
      record set agree. Exit 1 on any difference.
"""

import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

HOST = "127.0.0.1"  # never anything else


def build_query(name, qtype=35, qid=None, edns=None):
    qid = random.randrange(65536) if qid is None else qid
    msg = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\0" + struct.pack("!HH", qtype, 1)
    if edns:
        msg += b"\0" + struct.pack("!HHIH", 41, edns, 0, 0)
    return qid, msg


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("latin-1").lower())
        off += n
    if not jumped:
        end = off
    return ".".join(labels) + ".", end


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        owner, off = read_name(msg, off)
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        answers.append((owner, rtype, ttl, msg[off:off + rdlen].hex()))
        off += rdlen
    return {"id": qid, "rcode": flags & 0xF, "aa": bool(flags & 0x400),
            "tc": bool(flags & 0x200), "answers": sorted(answers), "raw": msg}


def udp_ask(port, name, timeout, edns=None):
    qid, q = build_query(name, edns=edns)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (HOST, port))
        while True:
            data, _ = s.recvfrom(65535)
            r = parse(data)
            if r["id"] == qid:
                return r


def tcp_ask(port, name, timeout):
    qid, q = build_query(name, edns=4096)
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                raise OSError("connection closed")
            buf += chunk
        return parse(buf[2:2 + struct.unpack("!H", buf[:2])[0]])


def cmd_start(a):
    t0 = time.monotonic()
    proc = subprocess.Popen(a.command, stdout=subprocess.DEVNULL if a.quiet else None,
                            stdin=subprocess.DEVNULL)
    with open(a.pidfile, "w") as f:
        f.write("%d\n" % proc.pid)
    deadline = t0 + a.timeout
    expect = a.expect.encode()
    _, q = build_query(a.name, qid=4711)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        now = time.monotonic()
        if now > deadline:
            print("no correct answer within %ds" % a.timeout, file=sys.stderr)
            return 1
        if proc.poll() is not None:
            print("server exited with %d before answering" % proc.returncode, file=sys.stderr)
            return 1
        try:
            s.sendto(q, (HOST, a.port))
        except OSError:
            pass
        tick_end = now + 0.010
        while True:
            left = tick_end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data = s.recv(65535)
            except (socket.timeout, OSError):
                break
            try:
                r = parse(data)
            except (IndexError, struct.error, UnicodeDecodeError):
                continue
            if (r["id"] == 4711 and r["rcode"] == 0 and r["aa"] and r["answers"]
                    and expect in data):
                print("%.1f" % ((time.monotonic() - t0) * 1000))
                return 0
        left = tick_end - time.monotonic()
        if left > 0:
            time.sleep(left)


def cmd_compare(a):
    ports = dict(p.split("=") for p in a.ports.split(","))
    meta = json.load(open(a.meta))
    names = []
    for kind in ("existing", "wildcard", "nonexistent"):
        names += [(kind, n) for n in meta["samples"][kind]]
    bad = 0
    for kind, name in names:
        results = {}
        for server, port in ports.items():
            try:
                r = udp_ask(int(port), name, 2.0, edns=4096)
                if r["tc"]:
                    r = tcp_ask(int(port), name, 2.0)
                # owners compared case-insensitively; TTLs and order ignored
                results[server] = (r["rcode"], r["aa"],
                                   tuple((o, t, d) for o, t, _, d in r["answers"]))
            except OSError as e:
                results[server] = ("error", str(e))
        ref = next(iter(results.values()))
        same = all(v == ref for v in results.values())
        if not same:
            bad += 1
        if not same or a.verbose:
            print("%-4s %-11s %s %s" % ("ok" if same else "DIFF", kind, name,
                                        {k: (v[0], len(v[2]) if len(v) > 2 else v)
                                         for k, v in results.items()}))
    print("compare: %d names, %d differ (%s)" % (len(names), bad, ", ".join(ports)))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--expect", required=True)
    s.add_argument("--pidfile", required=True)
    s.add_argument("--timeout", type=int, default=300)
    s.add_argument("--quiet", action="store_true")
    s.add_argument("command", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("--ports", required=True)
    c.add_argument("--meta", required=True)
    c.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    return cmd_start(a) if a.cmd == "start" else cmd_compare(a)


if __name__ == "__main__":
    sys.exit(main())
