#!/usr/bin/env python3
"""Checks that the benchmark tools count right (CTest bench.tools); not speed.

  tools_test.py LOADGEN CEILING_RESPONDER RESPONDER_BENCH ENUMCTL [unittest args]

loadgen against ceiling_responder and against small Python servers on
127.0.0.1 that answer, answer with garbage, or stay silent; bad query files
and arguments; ceiling_responder fed malformed datagrams; responder_bench
over the playground zone (its rcode counts) and its bad input. Stdlib only.
"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

LOADGEN = CEILING = RESPONDER_BENCH = ENUMCTL = None
PLAYGROUND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "zones",
                          "playground", "e164.arpa.db")
HOST = "127.0.0.1"


def run_loadgen(*args, timeout=30):
    p = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    figures = {}
    for line in p.stdout.splitlines():
        key, value = line.split()
        figures[key] = float(value) if key != "mode" else value
    return p.returncode, figures, p.stderr


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype=35, flags=0, qdcount=1):
    return struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, 0) + wire_name(name) + \
        struct.pack("!HH", qtype, 1)


class QueryFile:
    """A temporary query file holding TEXT."""

    def __init__(self, text):
        fd, self.path = tempfile.mkstemp(suffix=".q")
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        os.unlink(self.path)


class UdpServer:
    """A UDP socket on 127.0.0.1 served by HANDLER(sock, data, peer) in a thread."""

    def __init__(self, handler):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.handler, self.stop, self.received = handler, False, []
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.received.append(data)
            if self.handler:
                self.handler(self.sock, data, peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        self.sock.close()


class Ceiling:
    """ceiling_responder on a free port of 127.0.0.1."""

    def __init__(self, threads=1):
        self.proc = subprocess.Popen([CEILING, "--port", "0", "--threads", str(threads)],
                                     stdout=subprocess.PIPE, text=True)
        words = self.proc.stdout.readline().split()
        assert words[:2] == ["listening", HOST], words
        self.port = int(words[2])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class LoadgenAgainstCeiling(unittest.TestCase):
    QUERIES = "1.2.3.4.5.6.1.e164.arpa. NAPTR\n; a comment\n\nexample.net A\n"

    def test_open_loop_sends_at_the_rate_and_counts_every_answer(self):
        with QueryFile(self.QUERIES) as q, Ceiling() as c:
            rc, f, err = run_loadgen("--port", c.port, "--queries", q, "--rate", 2000,
                                     "--duration", 1, "--sockets", 4)
        self.assertEqual(rc, 0, err)
        self.assertAlmostEqual(f["sent"], 2000, delta=100)
        self.assertEqual(f["answered"], f["sent"])
        self.assertEqual(f["lost"], 0)
        self.assertEqual(f["rcode_NOERROR"], f["answered"])
        self.assertEqual(f["aa"], f["answered"])
        for k in ("unexpected", "malformed", "mismatched", "send_errors", "tc"):
            self.assertEqual(f[k], 0, k)
        lat = [f["lat_p50_us"], f["lat_p90_us"], f["lat_p99_us"], f["lat_p99.9_us"],
               f["lat_max_us"]]
        self.assertGreater(lat[0], 0)
        self.assertEqual(lat, sorted(lat))

    def test_closed_loop_with_two_responder_threads_loses_nothing(self):
        with QueryFile(self.QUERIES) as q, Ceiling(threads=2) as c:
            rc, f, err = run_loadgen("--port", c.port, "--queries", q, "--outstanding", 8,
                                     "--sockets", 4, "--duration", 0.5)
        self.assertEqual(rc, 0, err)
        self.assertGreater(f["answered"], 100)
        self.assertEqual(f["answered"], f["sent"])
        self.assertEqual(f["lost"], 0)
        self.assertAlmostEqual(f["qps"], f["answered"] / f["duration_s"], delta=1)

    def test_count_stops_after_that_many_queries_each_answered(self):
        # The benchmark's warm-up: the whole file once, then stop, well
        # before the duration runs out.
        with QueryFile(self.QUERIES) as q, Ceiling() as c:
            for mode in (["--outstanding", 16], ["--rate", 50000]):
                with self.subTest(mode=mode):
                    rc, f, err = run_loadgen("--port", c.port, "--queries", q, *mode,
                                             "--sockets", 4, "--count", 1001, "--duration", 20)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(f["sent"], 1001)
                    self.assertEqual(f["answered"], 1001)
                    self.assertLess(f["duration_s"], 5)


class LoadgenAgainstHostileServers(unittest.TestCase):
    def test_garbage_replies_are_counted_apart_from_the_answer(self):
        def handler(sock, data, peer):
            qid = struct.unpack("!H", data[:2])[0]
            other = query(qid, "other.example.")
            answer = bytearray(data)
            answer[2] |= 0x80 | 0x02  # QR, TC
            answer[3] = 3  # NXDOMAIN
            for junk in (data[:5],  # shorter than a header
                         data,  # QR clear: a query, not a reply
                         struct.pack("!H", qid ^ 0x8000) + bytes(answer[2:]),  # unknown ID
                         bytes([other[0], other[1], 0x80, 0]) + other[4:]):  # other question
                sock.sendto(junk, peer)
            sock.sendto(bytes(answer), peer)
            sock.sendto(bytes(answer), peer)  # a duplicate

        with QueryFile("a.example. A\n") as q, UdpServer(handler) as s:
            rc, f, err = run_loadgen("--port", s.port, "--queries", q, "--outstanding", 1,
                                     "--sockets", 1, "--duration", 0.5)
        self.assertEqual(rc, 0, err)
        n = f["answered"]
        self.assertGreater(n, 10)
        self.assertEqual(f["sent"], n)
        self.assertEqual(f["lost"], 0)
        self.assertEqual(f["rcode_NXDOMAIN"], n)
        self.assertEqual(f["tc"], n)
        self.assertEqual(f["aa"], 0)
        self.assertEqual(f["malformed"], 2 * n)
        self.assertEqual(f["mismatched"], n)
        # Wrong IDs and duplicates; the last duplicate may come after loadgen left.
        self.assertIn(f["unexpected"], (2 * n - 1, 2 * n))

    def test_formerr_without_question_counts_as_an_answer(self):
        def handler(sock, data, peer):
            sock.sendto(data[:2] + bytes([0x80, 1]) + bytes(8), peer)

        with QueryFile("a.example. A\n") as q, UdpServer(handler) as s:
            rc, f, err = run_loadgen("--port", s.port, "--queries", q, "--outstanding", 1,
                                     "--sockets", 1, "--duration", 0.3)
        self.assertEqual(rc, 0, err)
        self.assertGreater(f["answered"], 0)
        self.assertEqual(f["rcode_FORMERR"], f["answered"])
        self.assertEqual(f["mismatched"], 0)

    def test_latency_is_the_time_the_server_takes(self):
        def handler(sock, data, peer):
            time.sleep(0.02)
            sock.sendto(bytes([data[0], data[1], 0x84, 0]) + data[4:], peer)

        with QueryFile("a.example. A\n") as q, UdpServer(handler) as s:
            rc, f, err = run_loadgen("--port", s.port, "--queries", q, "--outstanding", 1,
                                     "--sockets", 1, "--duration", 0.5)
        self.assertEqual(rc, 0, err)
        self.assertGreater(f["answered"], 5)
        self.assertGreaterEqual(f["lat_p50_us"], 20000)
        self.assertLess(f["lat_p50_us"], 200000)
        self.assertGreaterEqual(f["lat_avg_us"], 20000)

    def test_a_silent_server_loses_every_query_after_the_timeout(self):
        with QueryFile("a.example. A\n") as q, UdpServer(None) as s:
            rc, f, err = run_loadgen("--port", s.port, "--queries", q, "--rate", 200,
                                     "--duration", 0.5, "--timeout-ms", 100, "--sockets", 3)
            received = len(s.received)
        self.assertEqual(rc, 0, err)
        self.assertAlmostEqual(f["sent"], 100, delta=10)
        self.assertEqual(received, f["sent"])
        self.assertEqual(f["answered"], 0)
        self.assertEqual(f["lost"], f["sent"])

    def test_queries_are_encoded_as_written(self):
        text = "\\065b\\.c.example. TYPE65280\nEXAMPLE naptr\n. ns\n"
        with QueryFile(text) as q, UdpServer(None) as s:
            rc, f, err = run_loadgen("--port", s.port, "--queries", q, "--rate", 30,
                                     "--duration", 0.2, "--timeout-ms", 10, "--edns", 1232,
                                     "--sockets", 1)
            got = list(s.received)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(got), 6)
        opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
        want = [b"\x04Ab.c\x07example\0" + struct.pack("!HH", 65280, 1),
                b"\x07EXAMPLE\0" + struct.pack("!HH", 35, 1),
                b"\0" + struct.pack("!HH", 2, 1)]
        for i, data in enumerate(got):
            self.assertEqual(data[2:12], struct.pack("!HHHHH", 0, 1, 0, 0, 1))
            self.assertEqual(data[12:], want[i % 3] + opt)
        self.assertEqual(len({d[:2] for d in got}), 6, "every query has its own ID")


class LoadgenRejectsBadInput(unittest.TestCase):
    def assert_bad_file(self, text, reason, line=1):
        with QueryFile(text) as q:
            rc, _, err = run_loadgen("--port", 9, "--queries", q, "--rate", 1)
        self.assertEqual(rc, 2, err)
        self.assertIn("%s:%d: %s" % (q, line, reason), err)

    def test_bad_query_lines_name_the_file_line_and_reason(self):
        cases = [
            ("onlyaname\n", "expected \"NAME TYPE\""),
            ("a.example. A extra\n", "extra text"),
            ("a.example. NOSUCHTYPE\n", "unknown query type"),
            ("a.example. TYPE65536\n", "unknown query type"),
            ("a..example. A\n", "empty label"),
            (".a.example. A\n", "empty label"),
            ("%s.example. A\n" % ("x" * 64), "label longer than 63 bytes"),
            ("%s A\n" % ".".join(["x" * 60] * 5), "name longer than 255 bytes"),
            ("a\\1x.example. A\n", "bad \\DDD escape"),
            ("a\\300.example. A\n", "\\DDD escape above 255"),
            ("a.example\\ A\n", "'\\' at the end of the name"),
            ("x" * 2000 + " A\n", "line longer than 1024 bytes"),
        ]
        for text, reason in cases:
            with self.subTest(text=text[:40]):
                self.assert_bad_file(text, reason)
        self.assert_bad_file("; ok\na.example. A\nb.example.\n", "expected", line=3)

    def test_an_empty_or_missing_file_is_refused(self):
        with QueryFile("; nothing\n\n") as q:
            rc, _, err = run_loadgen("--port", 9, "--queries", q, "--rate", 1)
        self.assertEqual(rc, 2)
        self.assertIn("no queries", err)
        rc, _, err = run_loadgen("--port", 9, "--queries", "/nonexistent/q", "--rate", 1)
        self.assertEqual(rc, 2)
        self.assertIn("cannot open", err)

    def test_bad_arguments_are_refused(self):
        with QueryFile("a.example. A\n") as q:
            base = ["--port", 9, "--queries", q]
            for args in ([], ["--rate", 1, "--outstanding", 1], ["--rate", "abc"],
                         ["--rate", 0], ["--outstanding", 4, "--sockets", 8],
                         ["--rate", 1, "--sockets", 0], ["--rate", 1, "--edns", 100],
                         ["--rate", 1, "--server", "localhost"], ["--rate", 1, "--batch", 65],
                         ["--rate", 1, "--bogus", 1], ["--rate"], ["--rate", 1, "--count", 0]):
                with self.subTest(args=args):
                    rc, _, err = run_loadgen(*base, *args)
                    self.assertEqual(rc, 2, err)
                    self.assertIn("usage:", err)


class CeilingResponderSurvivesMalformedDatagrams(unittest.TestCase):
    def test_answers_queries_drops_non_queries_formerrs_bad_questions(self):
        with Ceiling() as c:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect((HOST, c.port))
            s.settimeout(0.3)

            def ask(data):
                s.send(data)
                try:
                    return s.recv(65535)
                except socket.timeout:
                    return None

            q = query(0x1234, "4.3.2.1.e164.arpa.", flags=0x0100)
            r = ask(q)
            self.assertEqual(r[:2], b"\x12\x34")
            self.assertEqual(r[2:4], b"\x85\x00")  # QR AA RD, NOERROR
            self.assertEqual(r[4:12], struct.pack("!HHHH", 1, 1, 0, 0))
            self.assertEqual(r[12:len(q)], q[12:])
            self.assertEqual(r[len(q):len(q) + 2], b"\xc0\x0c")
            self.assertIn(b"E2U+sip", r)
            self.assertIsNone(ask(b"\x00\x01\x00"))  # shorter than a header
            self.assertIsNone(ask(query(7, "a.example.", flags=0x8000)))  # a response
            long_label = struct.pack("!HHHHHH", 8, 0, 1, 0, 0, 0) + b"\x40" + b"a" * 64 + b"\0"
            for bad in (query(8, "a.example.", qdcount=2), query(8, "a.example.", qdcount=0),
                        query(8, "a.example.")[:-3], long_label + b"\0\1\0\1",
                        struct.pack("!HHHHHH", 8, 0, 1, 0, 0, 0) + b"\xc0\x0c\0\1\0\1",
                        query(8, ".".join(["x" * 60] * 5))):
                r = ask(bad)
                self.assertEqual(r, b"\x00\x08\x84\x01" + bytes(8), bad)
            # A datagram longer than the responder reads: the question still answers.
            r = ask(query(9, "big.example.") + b"\xff" * 4000)
            self.assertEqual(r[:4], b"\x00\x09\x84\x00")
            self.assertEqual(ask(query(10, "still.alive."))[:2], b"\x00\x0a")
            s.close()


class ResponderBenchCounts(unittest.TestCase):
    """responder_bench answers a file through enumd's responder: the rcodes
    it counts are the playground's answers, round after round."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.store = os.path.join(cls.dir.name, "store")
        p = subprocess.run([ENUMCTL, "import", "--store", cls.store, PLAYGROUND],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_bench(self, *args):
        return subprocess.run([RESPONDER_BENCH, *map(str, args)], capture_output=True,
                              text=True, timeout=60)

    def test_counts_the_answers_rcodes_each_round(self):
        # A number of the playground and a name under its wildcard
        # *.1.0.5.5.5.2.1.6 (NOERROR), three missing names (NXDOMAIN: one
        # beside the number, one deep, one without a type, NAPTR by
        # default), and the apex's SOA (NOERROR).
        queries = self.write("q.txt", "\n".join([
            "1.1.9.0.0.5.5.5.3.1.6.e164.arpa. NAPTR",
            "4.3.2.1.0.5.5.5.2.1.6.e164.arpa. NAPTR",
            "7.7.7.1.0.5.5.5.3.1.6.e164.arpa. NAPTR",
            "9.9.9.9.9.9.9.9.9.e164.arpa. NAPTR",
            "1.2.3.e164.arpa.",
            "e164.arpa. SOA",
        ]) + "\n")
        p = self.run_bench("--store", self.store, "--rounds", 2, "--batch", 4, queries)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 2)
        for round_, line in enumerate(lines, 1):
            f = line.split()
            self.assertEqual(f[0], "q.txt")
            self.assertEqual(f[2], str(round_))
            self.assertGreater(float(f[3]), 0)
            self.assertEqual(f[5:], ["6", "queries", "NOERROR", "3", "NXDOMAIN", "3",
                                     "other", "0"])

    def test_bad_input_is_refused(self):
        bad_name = self.write("bad.txt", "a..b.e164.arpa. NAPTR\n")
        bad_type = self.write("type.txt", "1.e164.arpa. BOGUS\n")
        good = self.write("good.txt", "1.e164.arpa. NAPTR\n")
        for args, why in [
            (["--store", self.store, bad_name], "bad name"),
            (["--store", self.store, bad_type], "unknown query type"),
            (["--store", self.store, "--zone", "example.net.", good], "no zone"),
            (["--store", os.path.join(self.dir.name, "none"), good], "store"),
            (["--store", self.store, "--batch", "0", good], "usage"),
            (["--store", self.store, "--batch", "65", good], "usage"),
            (["--store", self.store], "usage"),
            (["--store", self.store, os.path.join(self.dir.name, "missing.q")], "cannot read"),
            (["--bogus", good], "unknown option"),
        ]:
            with self.subTest(args=args):
                p = self.run_bench(*args)
                self.assertEqual(p.returncode, 2)
                self.assertIn(why, p.stderr)


if __name__ == "__main__":
    LOADGEN, CEILING, RESPONDER_BENCH, ENUMCTL = sys.argv[1:5]
    unittest.main(argv=[sys.argv[0]] + sys.argv[5:])
