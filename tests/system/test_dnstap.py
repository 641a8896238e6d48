"""dnstap query logs (issue 21): the real enumd logging to a file and to a
collector's Unix socket (fstrm_capture), read back with dnstap-ldns, the
reader BIND's and Knot's users use. Every query sent is compared with what
the log says: its type (AQ/AR), transport, name and type, the answer's rcode,
the identity; sampling and the query/response switches; a collector that
comes late; configurations that cannot work.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import dns.rcode

from enumd_harness import Enumd, ServerStartError

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYGROUND = os.path.join(REPO, "zones", "playground", "e164.arpa.db")
DNSTAP_LDNS = shutil.which("dnstap-ldns")
FSTRM_CAPTURE = shutil.which("fstrm_capture")
ORIGIN = "e164.arpa."
NUMBER = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."
# One line per message: "DATE TIME AQ|AR ADDRESS UDP|TCP SIZEb "QNAME" IN TYPE"
LINE = re.compile(r'^\S+ \S+ (AQ|AR) (\S+) (UDP|TCP) (\d+)b "([^"]*)" IN (\S+)$')


def read_log(path):
    done = subprocess.run([DNSTAP_LDNS, "-r", path], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    out = []
    for line in done.stdout.splitlines():
        m = LINE.match(line)
        assert m, f"unexpected dnstap-ldns line: {line!r}"
        out.append((m.group(1), m.group(2), m.group(3), m.group(5), m.group(6)))
    return out


def read_yaml(path):
    done = subprocess.run([DNSTAP_LDNS, "-y", "-r", path], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@unittest.skipUnless(DNSTAP_LDNS, "needs dnstap-ldns (tools/deps.sh test installs it)")
class DnstapTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="enumd-dnstap-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.log = os.path.join(self.tmp, "queries.dnstap")

    def serve(self, **dnstap):
        return Enumd(zones=[(ORIGIN, PLAYGROUND)], extra_config={"dnstap": dnstap})

    def test_every_query_and_answer_is_in_the_file(self):
        with self.serve(file=self.log, identity="enum-ns1") as enumd:
            enumd.query(NUMBER, "NAPTR")
            r = enumd.query("9.9.9.9." + ORIGIN, "NAPTR")
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            enumd.query(ORIGIN, "SOA", tcp=True)
            self.assertIn("dnstap: logging queries and responses of 1 in 1", enumd.log_text())
        # The readiness probes are logged too: keep only ours. Each handler
        # thread has its own queue, so UDP and TCP messages interleave in any
        # order; within one handler they keep theirs.
        got = [e for e in read_log(self.log) if e[3] != ORIGIN or e[2] == "TCP"]
        got = [e for e in got if e[2] == "UDP"] + [e for e in got if e[2] == "TCP"]
        self.assertEqual(got, [
            ("AQ", "127.0.0.1", "UDP", NUMBER, "NAPTR"),
            ("AR", "127.0.0.1", "UDP", NUMBER, "NAPTR"),
            ("AQ", "127.0.0.1", "UDP", "9.9.9.9." + ORIGIN, "NAPTR"),
            ("AR", "127.0.0.1", "UDP", "9.9.9.9." + ORIGIN, "NAPTR"),
            ("AQ", "127.0.0.1", "TCP", ORIGIN, "SOA"),
            ("AR", "127.0.0.1", "TCP", ORIGIN, "SOA"),
        ])
        text = read_yaml(self.log)
        self.assertIn('identity: "enum-ns1"', text)
        self.assertRegex(text, r'version: "enumd [0-9.]+"')
        self.assertIn("rcode: NXDOMAIN", text)
        self.assertIn("E2U+sip", text)  # the answer's NAPTR, in the AUTH_RESPONSE
        self.assertRegex(text, r"response_time: !!timestamp")

    def test_sampling_and_the_switches(self):
        with self.serve(file=self.log, sample=4, responses=False) as enumd:
            before = len(read_log(self.log)) if os.path.getsize(self.log) else 0
            self.assertEqual(before, 0)  # nothing is flushed while it runs
            for i in range(40):
                enumd.query(f"{i % 10}.{i // 10}.9.9." + ORIGIN, "NAPTR")
        got = [e for e in read_log(self.log) if e[3] != ORIGIN]
        # One worker, one UDP handler: exactly every 4th query (the readiness
        # probes count too, so the phase is not known; the number is).
        self.assertIn(len(got), (10, 11))
        self.assertEqual({e[0] for e in got}, {"AQ"})

    @unittest.skipUnless(FSTRM_CAPTURE, "needs fstrm_capture (package fstrm-bin)")
    def test_a_collector_on_a_unix_socket_that_comes_late(self):
        sock = os.path.join(self.tmp, "dnstap.sock")
        out = os.path.join(self.tmp, "captured.dnstap")
        with self.serve(socket=sock) as enumd:
            # No collector yet: enumd answers all the same; these are lost.
            for _ in range(3):
                self.assertEqual(enumd.query(NUMBER, "NAPTR").rcode(), dns.rcode.NOERROR)
            capture = subprocess.Popen([FSTRM_CAPTURE, "-t", "protobuf:dnstap.Dnstap", "-u", sock,
                                        "-w", out], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            try:
                # enumd reconnects within about a second; then every query arrives.
                deadline = time.monotonic() + 15
                name = "7.7.7.7." + ORIGIN
                while time.monotonic() < deadline:
                    enumd.query(name, "NAPTR")
                    time.sleep(0.2)
                    if os.path.exists(out) and os.path.getsize(out) > 100:
                        break
                enumd.stop()
            finally:
                capture.send_signal(signal.SIGINT)  # fstrm_capture closes the file cleanly
                capture.wait(10)
        got = read_log(out)
        self.assertIn(("AR", "127.0.0.1", "UDP", "7.7.7.7." + ORIGIN, "NAPTR"), got)

    def test_configurations_that_cannot_work_stop_the_start(self):
        with self.assertRaises(ServerStartError) as e:
            with Enumd(zones=[(ORIGIN, PLAYGROUND)], expect_exit_code=1,
                       extra_config={"dnstap": {"file": "/nonexistent-dir/q.dnstap"}}):
                pass
        self.assertIn("/nonexistent-dir/q.dnstap", str(e.exception))
        with self.assertRaises(ServerStartError) as e:
            with Enumd(zones=[(ORIGIN, PLAYGROUND)], expect_exit_code=1,
                       extra_config={"dnstap": {"file": self.log, "socket": self.log + ".s"}}):
                pass
        self.assertIn("not both", str(e.exception))


if __name__ == "__main__":
    unittest.main()
