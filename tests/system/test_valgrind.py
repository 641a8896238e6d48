"""valgrind finds no leak and no memory error in enumd's start, serving,
reload and stop (issue 7, "Crash safety and data integrity").

The real enumd runs under

    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
             --error-exitcode=97

on the playground zone with two workers; it answers UDP and TCP queries
(plus malformed ones), re-imports a changed zone file on SIGHUP, frees the
replaced generation, and stops on SIGTERM. Any definite or indirect leak, and
any invalid read/write or use of uninitialised memory, makes valgrind exit
with 97. "Still reachable" blocks (RocksDB's and yaml-cpp's static state at
exit) are allowed; no suppression file is used.

valgrind and ASan cannot run together: CMake registers this module only in
builds without ENUMD_SANITIZE, and a by-hand run against a sanitizer build is
told so and skipped.

The harness's Enumd is not used because its start and stop timeouts are sized
for a native binary; under valgrind start-up and the leak check at exit take
seconds each.
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import dns.exception
import dns.query
import dns.rcode
import dns.rdatatype

from enumd_harness import BIN_DIR, HOST, free_port, make_query
from playground_queries import ORIGIN, ZONE_FILE

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"
ENUMD = os.path.join(BIN_DIR, "enumd")
ERROR_EXIT = 97
READY_TIMEOUT = 120  # seconds: valgrind runs enumd ~20-50x slower
STOP_TIMEOUT = 120

NUMBER_913 = "3.1.9.0.0.5.5.5.3.1.6." + ORIGIN
ADDED = "9.9.9.0.0.5.5.5.3.1.6." + ORIGIN


def sanitized(binary):
    """True when `binary` is built with ASan (it links libasan or carries
    its runtime): valgrind cannot run it."""
    with open(binary, "rb") as f:
        data = f.read()
    return b"libasan.so" in data or b"__asan_init" in data


class ValgrindTest(unittest.TestCase):

    def setUp(self):
        if not os.access(ENUMD, os.X_OK):
            self.fail(f"no enumd at {ENUMD} (ENUMD_BIN_DIR?)")
        if not os.access(VALGRIND, os.X_OK):
            self.fail("valgrind is not installed (tools/deps.sh test installs it)")
        if sanitized(ENUMD):
            self.skipTest("enumd is an ASan build; valgrind cannot run it "
                          "(CMake does not register this test there)")
        self.tmp = tempfile.mkdtemp(prefix="enumd-valgrind-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.zone = os.path.join(self.tmp, "e164.arpa.db")
        shutil.copyfile(ZONE_FILE, self.zone)
        self.port = free_port()
        self.config = os.path.join(self.tmp, "enumd.yaml")
        with open(self.config, "w") as f:
            f.write(f'listen: ["{HOST}:{self.port}"]\n'
                    f"workers: 2\n"
                    f"store: {self.tmp}/store\n"
                    f"log_level: debug\n"
                    f"zones:\n"
                    f"  - origin: {ORIGIN}\n"
                    f"    file: {self.zone}\n")
        self.log_path = os.path.join(self.tmp, "valgrind.log")
        self.proc = None
        self.addCleanup(self.kill)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def query(self, qname, qtype, tcp=False, timeout=5.0):
        q = make_query(qname, qtype, flags=0)
        if tcp:
            return dns.query.tcp(q, HOST, port=self.port, timeout=timeout)
        return dns.query.udp(q, HOST, port=self.port, timeout=timeout)

    def wait_for(self, what, check, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"enumd exited with {self.proc.returncode} while waiting for "
                          f"{what}:\n{self.log()}")
            try:
                if check():
                    return
            except (dns.exception.DNSException, OSError):
                pass
            time.sleep(0.2)
        self.fail(f"timed out after {timeout} s waiting for {what}:\n{self.log()}")

    def naptr_count(self, qname, tcp=False):
        r = self.query(qname, "NAPTR", tcp=tcp)
        return sum(len(rr) for rr in r.answer if rr.rdtype == dns.rdatatype.NAPTR), r.rcode()

    def test_start_serve_reload_stop_without_leaks_or_errors(self):
        cmd = [VALGRIND, "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
               f"--error-exitcode={ERROR_EXIT}", "--num-callers=40", "--track-fds=no",
               ENUMD, "--config", self.config]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.tmp,
                                         start_new_session=True)

        def soa():
            r = self.query(ORIGIN, "SOA", timeout=1.0)
            return r.rcode() == dns.rcode.NOERROR and r.answer
        self.wait_for("the first SOA answer", soa, READY_TIMEOUT)

        # Serving: positive, wildcard, NXDOMAIN, refused, over UDP and TCP.
        for tcp in (False, True):
            self.assertEqual(self.naptr_count(NUMBER_913, tcp), (3, dns.rcode.NOERROR))
            self.assertEqual(self.naptr_count("5.1.0.5.5.5.2.1.6." + ORIGIN, tcp)[1],
                             dns.rcode.NOERROR)
            self.assertEqual(self.naptr_count(ADDED, tcp), (0, dns.rcode.NXDOMAIN))
            self.assertEqual(self.naptr_count("example.com.", tcp)[1], dns.rcode.REFUSED)
        # Malformed input: a short header, garbage, a TCP frame cut short.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for junk in (b"\x12", b"\x00" * 11, os.urandom(300), b"\xff" * 12 + b"\xc0\x0c"):
                s.sendto(junk, (HOST, self.port))
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            s.sendall(struct.pack("!H", 200) + b"\x00" * 20)  # then close mid-message
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            s.sendall(struct.pack("!H", 12) + b"\x00\x01\x80" + b"\x00" * 9)  # QR=1: dropped

        # SIGHUP with a changed zone file (and a new serial, which a
        # difference reload requires): the names that changed are written in
        # place and journaled.
        with open(self.zone) as f:
            text = f.read()
        assert "2009010918" in text
        with open(self.zone, "w") as f:
            f.write(text.replace("2009010918", "2009010919", 1))
            f.write(f'{ADDED} 3600 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:added@example.net!" .\n')
        os.kill(self.proc.pid, signal.SIGHUP)
        self.wait_for("the reloaded zone",
                      lambda: self.naptr_count(ADDED) == (1, dns.rcode.NOERROR), READY_TIMEOUT)
        self.assertEqual(self.naptr_count(ADDED, tcp=True), (1, dns.rcode.NOERROR))
        self.assertEqual(self.naptr_count(NUMBER_913), (3, dns.rcode.NOERROR))
        # A SIGHUP with nothing changed publishes the same zone again.
        os.kill(self.proc.pid, signal.SIGHUP)
        time.sleep(3.5)  # past the 2 s grace: the replaced generation is dropped
        self.assertEqual(self.naptr_count(ADDED, tcp=True), (1, dns.rcode.NOERROR))

        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"enumd under valgrind did not stop in {STOP_TIMEOUT} s:\n{self.log()}")
        log = self.log()
        self.assertIn("info: stopped", log)
        summary = re.search(r"ERROR SUMMARY: (\d+) errors", log)
        self.assertIsNotNone(summary, f"no valgrind summary:\n{log}")
        for kind in ("definitely lost", "indirectly lost"):
            m = re.search(kind + r": ([\d,]+) bytes", log)
            # No leak summary at all means nothing was left on the heap.
            if m:
                self.assertEqual(m.group(1), "0", f"{kind}:\n{log}")
        self.assertEqual((rc, summary.group(1)), (0, "0"),
                         f"valgrind exit {rc} (errors give {ERROR_EXIT}):\n{log}")


if __name__ == "__main__":
    unittest.main()
