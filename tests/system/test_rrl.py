"""Response rate limiting (issue 7): the real enumd, flooded over UDP from
several loopback sources at once.

The server runs 4 workers, so SO_REUSEPORT spreads the flooding sockets over
different workers: the limit shown here is the whole server's, not one
worker's. Semantics are BIND 9's rate-limit (see README "Response rate
limiting"): each (client /24, answer, name) account earns `rate` credits a
second, at most `rate`; the debt of a flooder can reach window x rate, so a
sustained flood gets about one second's worth of full answers and then only
slips until it has been quiet for about `window` seconds.

Sources: 127.0.0.2-5 (one /24) flood; 127.0.1.2 stays under the rate;
127.0.2.0/24 is exempt; other 127.0.x.0/24 prefixes keep tests apart.
"""

import select
import socket
import time
import unittest

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from enumd_harness import HOST, Enumd, make_query
from playground_queries import ORIGIN, ZONE_FILE

NAME = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."   # one NAPTR record
OTHER = "2.1.9.0.0.5.5.5.3.1.6.e164.arpa."  # another number, two records
RATE = 5
WINDOW = 2
SLIP = 2
RRL = {"enabled": True, "responses_per_second": RATE, "window": WINDOW, "slip": SLIP,
       "exempt": ["127.0.2.0/24"]}


class Sender:
    """UDP sockets bound to given loopback sources; sends queries, collects
    every reply and sorts it into full answers, slips and (by difference) drops."""

    def __init__(self, port, sources):
        self.port = port
        self.socks = []
        for src in sources:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.setblocking(False)
            self.socks.append(s)
        self.sent = 0
        self.replies = []  # (source, dns.message.Message)
        self.next = 0

    def close(self):
        for s in self.socks:
            s.close()

    def send(self, qname, qtype="NAPTR", **kw):
        s = self.socks[self.next % len(self.socks)]
        self.next += 1
        q = make_query(qname, qtype, flags=0, **kw)
        s.sendto(q.to_wire(), (HOST, self.port))
        self.sent += 1
        return q

    def drain(self, wait=0.0):
        deadline = time.monotonic() + wait
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(self.socks, [], [], left)
            if not ready:
                return
            for s in ready:
                try:
                    data, _ = s.recvfrom(65535)
                except BlockingIOError:
                    continue
                self.replies.append((s.getsockname()[0], dns.message.from_wire(data)))

    def flood(self, qname, qps, seconds, qtype="NAPTR"):
        """Sends `qps` queries a second for `seconds`, round-robin over the sockets."""
        start = time.monotonic()
        n = int(qps * seconds)
        for i in range(n):
            delay = start + i / qps - time.monotonic()
            if delay > 0:
                self.drain(delay)
            self.send(qname, qtype)
        self.drain(0.5)

    def tally(self):
        full = [m for _, m in self.replies if not m.flags & dns.flags.TC]
        slips = [m for _, m in self.replies if m.flags & dns.flags.TC]
        return len(full), len(slips), self.sent - len(self.replies)


def full_answer(m, qname=NAME):
    return (m.rcode() == dns.rcode.NOERROR and not m.flags & dns.flags.TC and
            any(r.rdtype == dns.rdatatype.NAPTR and r.name.to_text().lower() == qname.lower()
                for r in m.answer))


class RateLimitOn(unittest.TestCase):
    """One server, rate 5/s, slip 2, window 2 s; each test uses its own prefixes."""

    @classmethod
    def setUpClass(cls):
        cls.enumd = Enumd(zones=[(ORIGIN, ZONE_FILE)],
                          extra_config={"workers": 4, "rate_limit": RRL})
        cls.enumd.start()

    @classmethod
    def tearDownClass(cls):
        cls.enumd.stop()

    def sender(self, *sources):
        s = Sender(self.enumd.port, sources)
        self.addCleanup(s.close)
        return s

    def test_flood_is_limited_with_slips_while_a_quiet_prefix_is_served(self):
        flood = self.sender("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
        quiet = self.sender("127.0.1.2")
        seconds, qps = 3.0, 100
        start = time.monotonic()
        for i in range(int(qps * seconds)):
            delay = start + i / qps - time.monotonic()
            if delay > 0:
                flood.drain(delay)
            flood.send(NAME)
            if i % 25 == 0:  # 4 a second from the quiet /24: under the rate
                quiet.send(NAME)
            quiet.drain(0)
        flood.drain(0.5)
        quiet.drain(0.5)

        full, slipped, dropped = flood.tally()
        limited = flood.sent - full
        print(f"\nflood: {flood.sent} sent in {seconds} s from 4 sources in 127.0.0.0/24: "
              f"{full} answered, {slipped} slipped (TC=1), {dropped} dropped; "
              f"quiet 127.0.1.2: {quiet.sent} sent, {len(quiet.replies)} answered")
        # BIND's credit: one second's `rate` at first (two if the flood began
        # just before a second ticked over), then the debt (down to -window x
        # rate) eats every later second's credit while the flood lasts.
        self.assertGreaterEqual(full, RATE)
        self.assertLessEqual(full, 2 * RATE)
        # slip 2: the first limited response of the account slips, then every
        # second one; the rest are dropped. Loopback loses nothing.
        self.assertEqual(slipped, (limited + 1) // 2)
        self.assertEqual(dropped, limited // 2)
        self.assertTrue(all(full_answer(m) for src, m in flood.replies
                            if not m.flags & dns.flags.TC))
        # Each source got some of the answers and slips: one account, whichever worker.
        self.assertEqual({src for src, _ in flood.replies},
                         {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"})

        # The quiet /24 got every answer in full.
        self.assertEqual(len(quiet.replies), quiet.sent)
        self.assertTrue(all(full_answer(m) for _, m in quiet.replies))

        # TCP from a flooding source is never limited.
        for _ in range(3):
            r = dns.query.tcp(make_query(NAME, "NAPTR", flags=0), HOST, port=self.enumd.port,
                              source="127.0.0.2", timeout=2)
            self.assertTrue(full_answer(r), r)
        # Another name from the flooding prefix has its own account.
        r = dns.query.udp(make_query(OTHER, "NAPTR", flags=0), HOST, port=self.enumd.port,
                          source="127.0.0.3", timeout=2)
        self.assertTrue(full_answer(r, OTHER), r)

        # The daemon logs the counters (on its next once-a-second tick).
        deadline = time.monotonic() + 3
        while "rate limit: dropped" not in self.enumd.log_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("rate limit: dropped", self.enumd.log_text())
        self.assertIn(f"rate limit: {RATE} responses/s", self.enumd.log_text())

    def test_slip_is_truncated_question_and_opt_and_tcp_retry_answers(self):
        s = self.sender("127.0.5.2")
        ids = {s.send(NAME, use_edns=0, payload=1232).id for _ in range(3 * RATE)}
        s.drain(0.5)
        full, slipped, dropped = s.tally()
        self.assertEqual(full + slipped + dropped, 3 * RATE)
        self.assertLessEqual(full, 2 * RATE)
        self.assertGreaterEqual(slipped, 1)
        for _, m in s.replies:
            self.assertIn(m.id, ids)
            self.assertTrue(m.flags & dns.flags.QR)
            self.assertTrue(m.flags & dns.flags.AA)
            self.assertEqual(m.rcode(), dns.rcode.NOERROR)
            self.assertEqual([r.name.to_text().lower() for r in m.question], [NAME])
            self.assertEqual(m.edns, 0)  # the OPT is kept in slips too
            if m.flags & dns.flags.TC:
                self.assertEqual((m.answer, m.authority, m.additional), ([], [], []))
            else:
                self.assertTrue(full_answer(m))
        # The client's retry over TCP gets the full answer.
        q = make_query(NAME, "NAPTR", flags=0)
        self.assertTrue(full_answer(dns.query.tcp(q, HOST, port=self.enumd.port,
                                                  source="127.0.5.2", timeout=2)))

    def test_exempt_prefix_is_never_limited(self):
        s = self.sender("127.0.2.7", "127.0.2.8")
        s.flood(NAME, qps=200, seconds=1.0)
        full, slipped, dropped = s.tally()
        self.assertEqual((full, slipped, dropped), (s.sent, 0, 0))

    def test_nxdomain_for_random_names_shares_the_zones_account(self):
        s = self.sender("127.0.3.2")
        for i in range(40):
            s.send(f"{i}.9.9.9.9.9.9.9.9.9.9.{ORIGIN}")
        s.drain(0.5)
        nx = [m for _, m in s.replies
              if m.rcode() == dns.rcode.NXDOMAIN and not m.flags & dns.flags.TC]
        self.assertGreaterEqual(len(nx), RATE)
        self.assertLessEqual(len(nx), 2 * RATE)

    def test_a_flooder_is_answered_again_after_the_window(self):
        s = self.sender("127.0.4.2")
        s.flood(NAME, qps=50, seconds=1.0)
        full, _, _ = s.tally()
        self.assertLessEqual(full, 2 * RATE)
        # Right after: the debt still holds.
        s.replies.clear()
        s.sent = 0
        s.send(NAME)
        s.drain(0.3)
        self.assertFalse([m for _, m in s.replies if full_answer(m)])
        # More than `window` seconds of quiet: a fresh account.
        time.sleep(WINDOW + 1.2)
        s.replies.clear()
        s.sent = 0
        s.send(NAME)
        s.drain(1.0)
        self.assertEqual(len(s.replies), 1)
        self.assertTrue(full_answer(s.replies[0][1]))


class RateLimitOffOrLogOnly(unittest.TestCase):

    def flood(self, extra_config):
        with Enumd(zones=[(ORIGIN, ZONE_FILE)], extra_config=extra_config) as enumd:
            s = Sender(enumd.port, ["127.0.0.2", "127.0.0.3"])
            try:
                s.flood(NAME, qps=200, seconds=1.0)
            finally:
                s.close()
            time.sleep(1.2)  # a tick to log on
            return s.tally(), s.sent, enumd.log_text()

    def test_off_by_default_nothing_is_limited(self):
        (full, slipped, dropped), sent, log = self.flood({"workers": 2})
        self.assertEqual((full, slipped, dropped), (sent, 0, 0))
        self.assertNotIn("rate limit", log)

    def test_log_only_answers_everything_and_logs_what_it_would_drop(self):
        (full, slipped, dropped), sent, log = self.flood(
            {"workers": 2, "rate_limit": dict(RRL, log_only=True)})
        self.assertEqual((full, slipped, dropped), (sent, 0, 0))
        self.assertIn("rate limit (log only): 5 responses/s", log)
        self.assertIn("rate limit: would have dropped", log)


if __name__ == "__main__":
    unittest.main()
