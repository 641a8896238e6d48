"""Issue 7, bounded TCP resources: the real enumd under hostile TCP clients.

Each test starts enumd with the limit it checks set small, attacks it, and
checks that the limit holds while UDP and other TCP clients are still served:

  - thousands of idle connections against tcp.max_connections: the oldest
    idle ones are closed, newcomers get their answer at once;
  - many connections from 127.0.0.2 against tcp.max_connections_per_source:
    the extra ones are closed, 127.0.0.3 is served;
  - clients sending one byte a second: cut off at tcp.query_timeout_ms
    (default 2000) although they keep sending;
  - a client that pipelines queries and never reads: the server stops reading
    it (its bytes wait in the kernel), enumd's RSS stays flat, and
    tcp.idle_timeout_ms resets it.

The test process raises its RLIMIT_NOFILE to the hard limit (enumd inherits
it); with a hard limit too low for the flood it uses what it can and says so.
"""

import os
import resource
import select
import socket
import struct
import sys
import time
import unittest

import dns.message
import dns.query
import dns.rcode

from enumd_harness import HOST, Enumd, make_query
from playground_queries import ORIGIN, ZONE_FILE

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES_ORIGIN = "features.example."
ZONES = [(ORIGIN, ZONE_FILE), (FEATURES_ORIGIN, os.path.join(HERE, "zones", "features.db"))]
NAME = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."  # a playground number with NAPTRs
BIG = "9.9.9." + FEATURES_ORIGIN  # 40 NAPTR records, ~3.2 KB answer

FLOOD = 3000  # idle connections wanted for the flood test
FD_MARGIN = 200  # descriptors left for everything else in this process


def setUpModule():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def flood_size():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return FLOOD
    return max(0, min(FLOOD, soft - FD_MARGIN))


def framed_query(qname, qtype, qid=0):
    wire = make_query(qname, qtype, id=qid).to_wire()
    return struct.pack("!H", len(wire)) + wire


def connect(port, source=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((HOST, port))
    return s


def closed_by_peer(sock):
    """True if the peer has closed (EOF or reset); reads (and drops) data.
    Never blocks, whatever the socket's timeout."""
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    try:
        while poller.poll(0):
            if not sock.recv(65536):
                return True
        return False
    except ConnectionError:
        return True


def wait_closed(socks, timeout):
    """Polls `socks` until each is closed by the peer or the timeout passes;
    returns the set of indexes seen closed."""
    poller = select.poll()
    by_fd = {}
    for i, s in enumerate(socks):
        poller.register(s.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
        by_fd[s.fileno()] = i
    closed = set()
    deadline = time.monotonic() + timeout
    while len(closed) < len(socks):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for fd, _ in poller.poll(int(left * 1000) + 1):
            i = by_fd[fd]
            if closed_by_peer(socks[i]):
                closed.add(i)
                poller.unregister(fd)
    return closed


def tcp_answer(server, qname=NAME, qtype="NAPTR", source=None, timeout=2.0):
    """One query over a new TCP connection (optionally from `source`); returns
    (answer, seconds)."""
    start = time.monotonic()
    with connect(server.port, source, timeout) as s:
        s.sendall(framed_query(qname, qtype, 4242))
        header = recv_exact(s, 2)
        answer = dns.message.from_wire(recv_exact(s, struct.unpack("!H", header)[0]))
    return answer, time.monotonic() - start


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed before the answer was complete")
        buf += chunk
    return buf


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def kernel_queues(server_port, client_port):
    """(tx_queue, rx_queue) of the server's side of one IPv4 connection from
    /proc/net/tcp, or None if the server has no such established socket."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            if (int(local.split(":")[1], 16) == server_port and
                    int(remote.split(":")[1], 16) == client_port and state == "01"):
                tx, rx = queues.split(":")
                return int(tx, 16), int(rx, 16)
    return None


class TcpLimitsTest(unittest.TestCase):
    def assert_serves_others(self, server, source=None):
        """UDP and a fresh TCP connection both get a prompt NOERROR answer."""
        udp = server.query(NAME, "NAPTR", timeout=2.0)
        self.assertEqual(udp.rcode(), dns.rcode.NOERROR)
        answer, took = tcp_answer(server, source=source)
        self.assertEqual(answer.rcode(), dns.rcode.NOERROR)
        self.assertTrue(answer.answer, "a TCP answer without records")
        self.assertLess(took, 1.0, f"the TCP answer took {took:.3f} s")

    def test_idle_flood_closes_the_oldest_idle_connections_first(self):
        n = flood_size()
        cap = 100
        if n < FLOOD:
            sys.stderr.write(f"\nRLIMIT_NOFILE allows only {n} idle connections, not {FLOOD}\n")
        self.assertGreater(n, 2 * cap, "RLIMIT_NOFILE too low for any flood")
        config = {"tcp": {"max_connections": cap, "idle_timeout_ms": 60000}}
        with Enumd(zones=ZONES, extra_config=config) as server:
            socks = []
            try:
                for _ in range(n):
                    socks.append(connect(server.port))
                # Each accept over the cap closes the oldest idle connection:
                # all but the newest `cap` are closed, in the order they came.
                expected = set(range(n - cap))
                closed = wait_closed(socks[:n - cap], timeout=10.0)
                self.assertEqual(len(closed), n - cap,
                                 f"{n - cap - len(closed)} old idle connections still open")
                self.assertEqual(wait_closed(socks[n - cap:], timeout=0.3), set(),
                                 "one of the newest connections was closed")
                self.assertEqual(closed, expected)
                fds = len(os.listdir(f"/proc/{server.proc.pid}/fd"))
                self.assertLess(fds, cap + 60, f"enumd holds {fds} descriptors")

                # A real client is answered at once, over TCP and UDP; its
                # connection took the place of the oldest survivor.
                self.assert_serves_others(server)
                self.assertEqual(wait_closed([socks[n - cap]], timeout=2.0), {0})
                self.assertEqual(wait_closed(socks[n - cap + 1:], timeout=0.2), set())
                # A survivor is still a working connection.
                survivor = socks[-1]
                survivor.sendall(framed_query(NAME, "NAPTR", 7))
                header = recv_exact(survivor, 2)
                answer = dns.message.from_wire(
                    recv_exact(survivor, struct.unpack("!H", header)[0]))
                self.assertEqual(answer.id, 7)
            finally:
                for s in socks:
                    s.close()

    def test_per_source_cap_spares_other_sources(self):
        per_source = 10
        config = {"tcp": {"max_connections": 1000, "max_connections_per_source": per_source,
                          "idle_timeout_ms": 60000}}
        with Enumd(zones=ZONES, extra_config=config) as server:
            socks = []
            try:
                for _ in range(200):
                    socks.append(connect(server.port, source="127.0.0.2"))
                closed = wait_closed(socks, timeout=3.0)
                self.assertEqual(len(closed), 200 - per_source)
                # The first ones were kept; the later ones took nobody's place.
                self.assertEqual(closed, set(range(per_source, 200)))
                self.assert_serves_others(server, source="127.0.0.3")
                # The kept ones still work.
                kept = socks[0]
                kept.sendall(framed_query(NAME, "NAPTR", 9))
                header = recv_exact(kept, 2)
                self.assertEqual(
                    dns.message.from_wire(recv_exact(kept, struct.unpack("!H", header)[0])).id, 9)
            finally:
                for s in socks:
                    s.close()

    def test_one_byte_per_second_clients_are_cut_off_at_the_query_timeout(self):
        # Defaults: query_timeout_ms 2000, idle_timeout_ms 10000. Bytes keep
        # coming, so only the query timeout can end these connections.
        with Enumd(zones=ZONES) as server:
            query = framed_query(NAME, "NAPTR")
            socks = [connect(server.port) for _ in range(20)]
            try:
                start = time.monotonic()
                sent = [0] * len(socks)
                closed_at = {}
                served_meanwhile = False
                while len(closed_at) < len(socks) and time.monotonic() - start < 8:
                    for i, s in enumerate(socks):
                        if i in closed_at:
                            continue
                        if closed_by_peer(s):
                            closed_at[i] = time.monotonic() - start
                            continue
                        try:
                            s.send(query[sent[i]:sent[i] + 1])
                            sent[i] += 1
                        except (BrokenPipeError, ConnectionError):
                            closed_at[i] = time.monotonic() - start
                    if not served_meanwhile and time.monotonic() - start > 1.0:
                        self.assert_serves_others(server)
                        served_meanwhile = True
                    time.sleep(1.0 - (time.monotonic() - start) % 1.0)
                self.assertTrue(served_meanwhile)
                self.assertEqual(len(closed_at), len(socks), "a slow client was never cut off")
                for i, at in closed_at.items():
                    # Bytes 1..3 went out at 0, 1 and 2 s: still sending when cut.
                    self.assertGreaterEqual(at, 1.5, f"client {i} cut at {at:.2f} s")
                    self.assertLess(at, 4.5, f"client {i} cut at {at:.2f} s")
                    self.assertLess(sent[i], len(query))
                    self.assertGreaterEqual(sent[i], 2)
            finally:
                for s in socks:
                    s.close()

    def test_client_that_never_reads_is_stopped_bounded_and_reset_when_idle(self):
        config = {"tcp": {"idle_timeout_ms": 3000, "max_queued_bytes": 65536}}
        with Enumd(zones=ZONES, extra_config=config) as server:
            pid = server.proc.pid
            self.assert_serves_others(server)
            before = rss_kb(pid)
            hog = connect(server.port)
            try:
                hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                # 20000 pipelined queries for a 3.2 KB answer each: 64 MB of
                # answers if the server kept answering into memory.
                queries = b"".join(framed_query(BIG, "NAPTR", i) for i in range(20000))
                hog.setblocking(False)
                sent = 0
                # Well inside the idle timeout (3 s), however slow the server
                # (sanitizer builds): the reset is checked further down.
                deadline = time.monotonic() + 1.5
                while sent < len(queries) and time.monotonic() < deadline:
                    try:
                        sent += hog.send(queries[sent:sent + 65536])
                    except BlockingIOError:
                        select.select([], [hog], [], 0.1)
                time.sleep(0.5)
                port = hog.getsockname()[1]
                queues = kernel_queues(server.port, port)
                self.assertIsNotNone(queues, "the server side of the hog is gone too early")
                # The server stopped reading: the hog's queries wait in the
                # server's receive queue (or could not even be sent).
                self.assertTrue(queues[1] > 0 or sent < len(queries),
                                f"server read everything: queues {queues}, sent {sent}")
                time.sleep(0.3)
                self.assertEqual(kernel_queues(server.port, port)[1], queues[1],
                                 "the server kept reading a client that does not read")
                grown = rss_kb(pid) - before
                self.assertLess(grown, 16 * 1024, f"enumd's RSS grew by {grown} KB")
                self.assert_serves_others(server)

                # No progress for idle_timeout_ms: the server resets it.
                gone = time.monotonic() + 6.0
                while kernel_queues(server.port, port) is not None and time.monotonic() < gone:
                    time.sleep(0.2)
                self.assertIsNone(kernel_queues(server.port, port),
                                  "the hog outlived the idle timeout")
                hog.setblocking(True)
                hog.settimeout(5.0)
                self.assertTrue(wait_closed([hog], timeout=5.0) == {0})
                self.assertLess(rss_kb(pid) - before, 16 * 1024)
                self.assert_serves_others(server)
            finally:
                hog.close()


if __name__ == "__main__":
    unittest.main()
