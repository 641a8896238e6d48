"""Issue 18: reloads raced against checked queries.

enumd serves a zone whose file is rewritten and re-imported (SIGHUP) thousands
of times while client threads query it over UDP and TCP and check every
answer. Each version k of the zone is known, so every answer can be checked:

  - 100 stable numbers always answer their own NAPTR; a wildcard block always
    answers for names below it; a name outside everything is NXDOMAIN;
  - 0.0.0.1 answers "v<k>", and one client never sees k go backwards;
  - 7.7.7 exists only in even versions: NOERROR says "flip<k>" with k even,
    NXDOMAIN carries the SOA of an odd version. A negative answer's SOA serial
    and the name's absence come from the same version, so an answer mixing
    two versions is caught;
  - 8.8.j.8 exists for j < k % 20 (names and empty non-terminals come and go),
    with the same SOA rule.

Every answer must come from a version at least as new as the last one fully
served before the query was sent, and no newer than the last one written.
Passes when no answer is wrong, nothing times out, every reload was applied
and the log holds no error. ENUMD_STRESS_SIGNALS sets the number of SIGHUPs
(default 2000); the sanitizer builds run it too.
"""

import os
import random
import re
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
import unittest

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype

from enumd_harness import HOST, Enumd, make_query

SIGNALS = int(os.environ.get("ENUMD_STRESS_SIGNALS", "2000"))
ORIGIN = "e164.arpa."
SERIAL_BASE = 1000
STABLE = [f"{i % 10}.{i // 10 % 10}.2.1" for i in range(100)]


def zone_text(k):
    lines = [
        f"$ORIGIN {ORIGIN}",
        "$TTL 300",
        f"@ SOA ns.e164.arpa. hostmaster.e164.arpa. {SERIAL_BASE + k} 3600 600 86400 300",
        "@ NS ns.e164.arpa.",
        "ns A 192.0.2.1",
        '*.5.5.5 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:wild@example.net!" .',
        f'0.0.0.1 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:v{k}@example.net!" .',
    ]
    for i, name in enumerate(STABLE):
        lines.append(f'{name} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:stable{i}@example.net!" .')
    if k % 2 == 0:
        lines.append(f'7.7.7 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:flip{k}@example.net!" .')
    for j in range(k % 20):
        lines.append(f'8.8.{j}.8 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:bulk{j}-{k}@example.net!" .')
    return "\n".join(lines) + "\n"


URI = re.compile(r"sip:([a-z]+)([0-9]*)(?:-([0-9]+))?@")


class Versions:
    """What the writer has written and what enumd has fully served."""

    def __init__(self):
        self.lock = threading.Lock()
        self.written = 0  # newest version in the file
        self.served = 0   # newest version every query sent from now on must see at least

    def window(self):
        with self.lock:
            return self.served, self.written


class Client(threading.Thread):
    def __init__(self, port, versions, tcp, seed, stop):
        super().__init__(daemon=True)
        self.port, self.versions, self.tcp = port, versions, tcp
        self.rng = random.Random(seed)
        self.stop = stop
        self.checked = 0
        self.timeouts = 0
        self.wrong = []
        self.last_version = 0

    def ask(self, qname):
        q = make_query(qname, "NAPTR")
        wire = q.to_wire()
        if self.tcp:
            with socket.create_connection((HOST, self.port), timeout=2) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                data = b""
                while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                    chunk = s.recv(65535)
                    if not chunk:
                        raise OSError("connection closed")
                    data += chunk
                return dns.message.from_wire(data[2:])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.sendto(wire, (HOST, self.port))
            while True:
                data, _ = s.recvfrom(65535)
                r = dns.message.from_wire(data)
                if r.id == q.id:
                    return r

    def fail(self, qname, why, r):
        self.wrong.append(f"{qname}: {why}\n{r}")

    def check(self, qname, r, lo, hi):
        rc = r.rcode()
        uris = [URI.search(rd.regexp.decode()).groups()
                for rrset in r.answer for rd in rrset if rrset.rdtype == dns.rdatatype.NAPTR]
        soa = [rd.serial - SERIAL_BASE for rrset in r.authority for rd in rrset
               if rrset.rdtype == dns.rdatatype.SOA]

        def in_window(k):
            return lo <= k <= hi

        kind = qname.split(".")[0:4]
        if qname.endswith(".2.1." + ORIGIN):
            i = STABLE.index(qname[: -len("." + ORIGIN)])
            if rc != dns.rcode.NOERROR or uris != [("stable", str(i), None)]:
                self.fail(qname, "stable name answered wrong", r)
        elif qname.endswith(".5.5.5." + ORIGIN):
            if rc != dns.rcode.NOERROR or uris != [("wild", "", None)]:
                self.fail(qname, "wildcard name answered wrong", r)
        elif qname == "4.4.4." + ORIGIN:
            if rc != dns.rcode.NXDOMAIN or len(soa) != 1 or not in_window(soa[0]):
                self.fail(qname, f"missing name answered wrong (window {lo}..{hi})", r)
        elif qname == "0.0.0.1." + ORIGIN:
            if rc != dns.rcode.NOERROR or len(uris) != 1 or uris[0][0] != "v":
                self.fail(qname, "version name answered wrong", r)
            else:
                k = int(uris[0][1])
                if not in_window(k) or k < self.last_version:
                    self.fail(qname, f"version {k} outside {lo}..{hi} or before "
                              f"{self.last_version}", r)
                self.last_version = max(self.last_version, k)
        elif qname == "7.7.7." + ORIGIN:
            if rc == dns.rcode.NOERROR:
                k = int(uris[0][1]) if len(uris) == 1 and uris[0][0] == "flip" else -1
                if k < 0 or k % 2 or not in_window(k):
                    self.fail(qname, f"flip answer not from an even version in {lo}..{hi}", r)
            elif rc == dns.rcode.NXDOMAIN:
                if len(soa) != 1 or soa[0] % 2 == 0 or not in_window(soa[0]):
                    self.fail(qname, f"NXDOMAIN not from an odd version in {lo}..{hi}", r)
            else:
                self.fail(qname, "unexpected rcode", r)
        else:  # 8.8.j.8
            j = int(kind[2])
            if rc == dns.rcode.NOERROR:
                ok = (len(uris) == 1 and uris[0][0] == "bulk" and int(uris[0][1]) == j and
                      in_window(int(uris[0][2])) and j < int(uris[0][2]) % 20)
                if not ok:
                    self.fail(qname, f"bulk answer not from a version in {lo}..{hi}", r)
            elif rc == dns.rcode.NXDOMAIN:
                if len(soa) != 1 or not in_window(soa[0]) or j < soa[0] % 20:
                    self.fail(qname, f"bulk NXDOMAIN not from a version in {lo}..{hi}", r)
            else:
                self.fail(qname, "unexpected rcode", r)

    def names(self):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(STABLE) + "." + ORIGIN
        if r < 0.4:
            return f"{self.rng.randrange(10)}.{self.rng.randrange(10)}.5.5.5.{ORIGIN}"
        if r < 0.45:
            return "4.4.4." + ORIGIN
        if r < 0.65:
            return "0.0.0.1." + ORIGIN
        if r < 0.8:
            return "7.7.7." + ORIGIN
        return f"8.8.{self.rng.randrange(20)}.8.{ORIGIN}"

    def run(self):
        while not self.stop.is_set():
            qname = self.names()
            lo, _ = self.versions.window()
            try:
                r = self.ask(qname)
            except (OSError, dns.exception.DNSException):
                self.timeouts += 1
                continue
            _, hi = self.versions.window()
            self.check(qname, r, lo, hi)
            self.checked += 1


class ReloadStressTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="enumd-stress-")
        self.zone = os.path.join(self.tmp, "stress.db")
        self.write(0)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, k):
        new = self.zone + ".new"
        with open(new, "w") as f:
            f.write(zone_text(k))
        os.rename(new, self.zone)  # never a half-written file

    def served_version(self, enumd):
        r = enumd.query("0.0.0.1." + ORIGIN, "NAPTR")
        m = re.search(r"sip:v([0-9]+)@", r.to_text())
        return int(m.group(1)) if m else -1

    def wait_served(self, enumd, k):
        """Until version k answers (re-signalling now and then); False on timeout."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.served_version(enumd) >= k:
                return True
            time.sleep(0.02)
            if time.monotonic() % 1 < 0.03:
                enumd.signal(signal.SIGHUP)
        return False

    def test_thousands_of_reloads_against_checked_queries(self):
        """Each reload a new version of the zone (reclamation of the old ones)."""
        self.stress("whole", SIGNALS // 2)

    def test_thousands_of_differences_against_checked_queries(self):
        """Each reload the file's difference, written in place (journaled)."""
        self.stress("difference", SIGNALS // 2)

    def stress(self, mode, signals):
        zones = [{"origin": ORIGIN, "file": self.zone, "reload": mode}]
        with Enumd(extra_config={"workers": 2, "zones": zones}) as enumd:
            versions = Versions()
            stop = threading.Event()
            clients = [Client(enumd.port, versions, tcp, seed, stop)
                       for seed, tcp in enumerate([False, False, False, True])]
            for c in clients:
                c.start()
            started = time.monotonic()
            for k in range(1, signals + 1):
                # `written` first: a reload still running from an earlier
                # SIGHUP may read the file as soon as it is renamed, and a
                # query answered from it must find k inside its window.
                with versions.lock:
                    versions.written = k
                self.write(k)
                enumd.signal(signal.SIGHUP)
                if k % 50 == 0 or k == signals:
                    # Once version k answers, every query sent later must see
                    # k or newer, on any thread.
                    self.assertTrue(self.wait_served(enumd, k), f"version {k} never served")
                    with versions.lock:
                        versions.served = k
                else:
                    time.sleep(0.002)
            time.sleep(0.3)
            stop.set()
            for c in clients:
                c.join(10)
            elapsed = time.monotonic() - started
            log = enumd.log_text()
            reloads = log.count("reload: done")
            checked = sum(c.checked for c in clients)
            timeouts = sum(c.timeouts for c in clients)
            wrong = [w for c in clients for w in c.wrong]
            imports = log.count("imported serial")
            diffs = log.count("written in place")
            print(f"\nreload stress ({mode}): {signals} SIGHUPs in {elapsed:.1f} s, "
                  f"{reloads} reloads, {imports} imports, {diffs} differences, "
                  f"{checked} answers checked "
                  f"({sum(c.checked for c in clients if c.tcp)} over TCP), "
                  f"{len(wrong)} wrong, {timeouts} timeouts")
            self.assertEqual(wrong[:5], [])
            self.assertGreater(checked, 1000)
            self.assertLessEqual(timeouts, checked // 1000, "queries went unanswered")
            self.assertGreaterEqual(reloads, signals // 50)
            if mode == "difference":
                self.assertGreaterEqual(diffs, signals // 50)
                self.assertEqual(imports, 1)  # only the first, at start
            else:
                self.assertEqual(diffs, 0)
            errors = [line for line in log.splitlines() if " error: " in line]
            self.assertEqual(errors, [])
            # Replaced versions were dropped: the store holds about one.
            tables = [f for f in os.listdir(enumd.store) if f.endswith(".sst")]
            self.assertLess(len(tables), 20, tables)


if __name__ == "__main__":
    unittest.main()
