"""Issue 6, the bounded UDP send wait on a real socket: enumd behind a slow link.

enumd's UDP thread sends its replies with sendmmsg(MSG_DONTWAIT). When the
socket's send buffer is full it stops reading and waits for room, at most
100 ms (ServerOptions::udp_send_wait_ms), then drops the replies it holds,
counts them, and reads on; TCP is served by another thread meanwhile. The
unit tests check this on AF_UNIX sockets; here it runs on UDP over a link
that cannot carry what the server wants to send.

The test process moves into a network namespace of its own (unshare), where
only lo exists. There an HTB qdisc on lo sends the UDP packets from enumd's
port at 2 Mbit/s and lets everything else through at full speed, so a flood
of queries for a 3 KB answer fills the server socket's send buffer within
milliseconds, and keeps it full for seconds. Checked:

  - every query is accounted for: answered, or dropped by enumd (its log's
    total), or dropped by the kernel on the way in (Udp RcvbufErrors of the
    namespace: the server stopped reading while it waited), or by the qdisc;
    enumd did drop some, and did answer some;
  - while the link is backed up, a TCP query is answered at once;
  - once it has drained, a UDP query is answered at once;
  - SIGTERM while the send buffer is full stops enumd at once.

Needs root (unshare(CLONE_NEWNET), tc) and a kernel with HTB and the u32
classifier; without them the module is skipped and says why.
"""

import ctypes
import os
import re
import socket
import subprocess
import time
import unittest

import dns.message
import dns.rcode

from enumd_harness import HOST, Enumd, make_query

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "features.example."
ZONES = [(ORIGIN, os.path.join(HERE, "zones", "features.db"))]
CONFIG = {"udp": {"max_payload": 4096}}  # BIG whole over UDP, not truncated
BIG = "9.9.9." + ORIGIN  # 40 NAPTR records: a ~3.2 KB answer
BIG_RECORDS = 40
SMALL = "1.2.3.4." + ORIGIN  # one NAPTR record

RATE = "2mbit"  # enumd's UDP replies; ~75 big answers a second
FLOOD = 600  # queries sent back to back: far more than the link carries
QUIET = 2.0  # s without a reply that ends the count
CLONE_NEWNET = 0x40000000


def _run(*argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def setUpModule():
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root: a network namespace and a qdisc on its lo")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise unittest.SkipTest(f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}")
    # From here on this process (and what it starts) sees only the new
    # namespace: its own lo, down until now, and its own UDP counters.
    _run("ip", "link", "set", "lo", "up")


class SlowLink:
    """HTB on lo: UDP from `port` at RATE, everything else unlimited."""

    def __init__(self, port):
        tc = ["tc"]
        try:
            _run(*tc, "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "20",
                 "r2q", "1000")
        except RuntimeError as e:
            raise unittest.SkipTest(f"cannot shape lo (HTB): {e}")
        try:
            _run(*tc, "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb",
                 "rate", RATE, "ceil", RATE, "burst", "8kb")
            _run(*tc, "class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb",
                 "rate", "10gbit")
            # A queue that never overflows: the send buffer must fill first.
            _run(*tc, "qdisc", "add", "dev", "lo", "parent", "1:10", "handle", "10:", "pfifo",
                 "limit", "100000")
            _run(*tc, "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1",
                 "u32", "match", "ip", "protocol", "17", "0xff", "match", "ip", "sport",
                 str(port), "0xffff", "flowid", "1:10")
        except RuntimeError as e:
            self.remove()
            raise unittest.SkipTest(f"cannot shape lo (HTB classes, u32 filter): {e}")

    def remove(self):
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)

    def queue(self):
        """(packets waiting, packets dropped) in the slow class's queue."""
        out = _run("tc", "-s", "qdisc", "show", "dev", "lo")
        block = out[out.index("qdisc pfifo 10:"):]
        dropped = int(re.search(r"dropped (\d+)", block).group(1))
        backlog = int(re.search(r"backlog \S+ (\d+)p", block).group(1))
        return backlog, dropped


def udp_receive_errors():
    """The namespace's Udp RcvbufErrors: datagrams a full receive queue refused."""
    with open("/proc/thread-self/net/snmp") as f:
        lines = [line.split() for line in f if line.startswith("Udp:")]
    header, values = lines[0], lines[1]
    return int(values[header.index("RcvbufErrors")])


def backed_up(link, timeout=5.0):
    """The slow link's backlog once it has one (0 if none within `timeout`):
    the send loop may end before the server, slowed by a sanitizer or by
    other tests, has sent its first replies."""
    deadline = time.monotonic() + timeout
    while True:
        backlog, _ = link.queue()
        if backlog > 0 or time.monotonic() > deadline:
            return backlog
        time.sleep(0.02)


def logged_drops(log):
    """enumd's own count of UDP replies it did not send (0 if never logged)."""
    totals = re.findall(r"udp: \d+ replies not sent.*\(total (\d+)\)", log)
    return int(totals[-1]) if totals else 0


def flood(port, count):
    """Sends `count` queries for BIG (ids 0..count-1) from one socket with a
    large receive buffer; returns the socket."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE: keep every reply
    query = make_query(BIG, "NAPTR", use_edns=0, payload=4096)
    for i in range(count):
        query.id = i
        s.sendto(query.to_wire(), (HOST, port))
    return s


def collect(s, count):
    """Reads replies until QUIET s pass without one; returns the set of ids
    answered with the whole BIG answer."""
    s.settimeout(QUIET)
    answered = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            wire, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        reply = dns.message.from_wire(wire)
        if (reply.id < count and reply.rcode() == dns.rcode.NOERROR and
                sum(len(rrset) for rrset in reply.answer) == BIG_RECORDS):
            answered.add(reply.id)
    return answered


class UdpCongestionTest(unittest.TestCase):

    def test_every_query_is_answered_or_counted_and_tcp_is_served_meanwhile(self):
        with Enumd(zones=ZONES, extra_config=CONFIG) as enumd:
            link = SlowLink(enumd.port)
            self.addCleanup(link.remove)
            refused_before = udp_receive_errors()

            s = flood(enumd.port, FLOOD)
            with s:
                # The link is backed up now; TCP must not wait for it.
                self.assertGreater(backed_up(link), 0, "the slow link is not backed up")
                t0 = time.monotonic()
                reply = enumd.query(SMALL, "NAPTR", tcp=True, timeout=2)
                tcp_time = time.monotonic() - t0
                self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
                self.assertTrue(reply.answer)
                self.assertLess(tcp_time, 0.5, "TCP waited for the UDP socket")
                self.assertGreater(link.queue()[0], 0, "the link drained before TCP was checked")

                answered = collect(s, FLOOD)

            # Drained: an ordinary UDP query is answered at once.
            t0 = time.monotonic()
            reply = enumd.query(SMALL, "NAPTR", timeout=1)
            self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            self.assertLess(time.monotonic() - t0, 0.5)

            refused = udp_receive_errors() - refused_before
            _, qdisc_dropped = link.queue()
            enumd.stop()
            dropped = logged_drops(enumd.log_text())

        accounted = len(answered) + dropped + refused + qdisc_dropped
        detail = (f"sent {FLOOD}: answered {len(answered)}, dropped by enumd {dropped}, "
                  f"refused on receive {refused}, dropped by the qdisc {qdisc_dropped}")
        self.assertEqual(accounted, FLOOD, detail)
        self.assertGreater(len(answered), 0, detail)
        self.assertGreater(dropped, 0, "the send wait never ran out: " + detail)
        self.assertEqual(qdisc_dropped, 0, detail)

    def test_sigterm_while_the_send_buffer_is_full_stops_at_once(self):
        with Enumd(zones=ZONES, extra_config=CONFIG) as enumd:
            link = SlowLink(enumd.port)
            self.addCleanup(link.remove)
            with flood(enumd.port, FLOOD):
                self.assertGreater(backed_up(link), 0, "the slow link is not backed up")
                t0 = time.monotonic()
                enumd.stop()  # asserts exit code 0, no SIGKILL
                elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 1.0, f"enumd took {elapsed:.2f} s to stop")


if __name__ == "__main__":
    unittest.main()
