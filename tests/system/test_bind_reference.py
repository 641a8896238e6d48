"""BIND 9 serving the ENUM Playground zone answers what the seed shows.

This proves the reference side of the differential tests: if these fail, the
problem is the harness or BIND's setup, not enumd. It is also the template for
the enumd-vs-BIND test: start both on the same zone, send every
playground_queries.PLAYGROUND_QUERIES entry to each, and require
compare_answers(enumd_answer, bind_answer) == [].

Facts checked here that enumd must match (BIND 9.18, minimal-responses yes):
  - RFC 4592 §2.2.1: the exception 4.3.2.1.0.5.5.5.2.1.6 creates the empty
    non-terminals 2.1.0.5.5.5.2.1.6 and 3.2.1.0.5.5.5.2.1.6; they answer NODATA
    and every name below them other than the exception is NXDOMAIN, not the
    *.1.0.5.5.5.2.1.6 wildcard.
  - Negative answers carry the zone SOA in authority with TTL 3600
    (min(SOA TTL, SOA MINIMUM), RFC 2308 §3; both are 3600 in this zone).
  - The question is echoed with the client's case; answer owners use the
    zone's case (BIND compresses case-sensitively).
"""

import os
import socket
import unittest
from unittest import mock

import dns.flags
import dns.rcode
import dns.rdatatype

import enumd_harness
from enumd_harness import Bind, compare_answers, format_answer
from playground_queries import ORIGIN, PLAYGROUND_QUERIES, ZONE_FILE

SOA_TEXT = "ns.e164.arpa. root.e164.arpa. 2009010918 3600 3600 3600 3600"


def rrsets(section):
    """{(owner lowercased, type): (ttl, sorted rdata texts)}"""
    return {(r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype)):
            (r.ttl, sorted(rd.to_text() for rd in r)) for r in section}


class BindPlaygroundTest(unittest.TestCase):
    """One named for the whole class: it starts in about 0.3 s."""

    @classmethod
    def setUpClass(cls):
        cls.server = Bind(zones=[(ORIGIN, ZONE_FILE)])
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    # --- helpers -------------------------------------------------------------

    def ask(self, qname, qtype, **kw):
        return self.server.query(qname, qtype, **kw)

    def assertAnswer(self, msg, qname, qtype, rdatas, ttl=3600):
        """NOERROR, AA, exactly `rdatas` at `qname` and nothing else."""
        text = format_answer(msg)
        self.assertEqual(msg.rcode(), dns.rcode.NOERROR, text)
        self.assertTrue(msg.flags & dns.flags.AA, text)
        self.assertFalse(msg.flags & dns.flags.RA, text)
        self.assertEqual(rrsets(msg.answer),
                         {(qname.lower(), qtype): (ttl, sorted(rdatas))}, text)
        self.assertEqual(msg.authority, [], text)
        self.assertEqual(msg.additional, [], text)

    def assertNegative(self, msg, rcode):
        """NXDOMAIN or NODATA: AA, empty answer, the SOA alone in authority."""
        text = format_answer(msg)
        self.assertEqual(msg.rcode(), rcode, text)
        self.assertTrue(msg.flags & dns.flags.AA, text)
        self.assertEqual(msg.answer, [], text)
        self.assertEqual(rrsets(msg.authority), {(ORIGIN, "SOA"): (3600, [SOA_TEXT])}, text)
        self.assertEqual(msg.additional, [], text)

    # --- the seed's numbers ----------------------------------------------------

    def test_single_record_is_answered_authoritatively(self):
        q = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR",
                          ['10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@10.0.1.98!" .'])

    def test_load_balance_pair_returns_both_records(self):
        q = "2.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            f'10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@server{i}.enum.nickvsnetworking.com!" .'
            for i in (1, 2)])

    def test_three_record_set_keeps_preferences(self):
        q = "3.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            f'10 {pref} "u" "E2U+sip" "!^.*$!sip:61355500912@server{i}.enum.nickvsnetworking.com!" .'
            for i, pref in ((1, 100), (2, 100), (3, 200))])

    def test_failover_pair_keeps_orders(self):
        q = "4.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            f'{order} 100 "u" "E2U+sip" "!^.*$!sip:61355500912@{host}.enum.nickvsnetworking.com!" .'
            for order, host in ((10, "firstchoice"), (20, "secondchoice"))])

    def test_regexp_backreference_is_one_backslash_on_the_wire(self):
        # The zone file's "\\1" is a master-file escape for one backslash.
        msg = self.ask("5.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
        self.assertEqual(len(msg.answer), 1, format_answer(msg))
        (rd,) = list(msg.answer[0])
        self.assertEqual((rd.order, rd.preference, rd.flags, rd.service),
                         (10, 100, b"u", b"E2U+sip"))
        self.assertEqual(rd.regexp, b"!(^.*$)!sip:+1\\1@enum.nickvsnetworking.com!")
        self.assertEqual(rd.replacement.to_text(), ".")

    # --- wildcards -------------------------------------------------------------

    def test_wildcard_answer_owner_is_the_qname(self):
        q = "0.0.0.2.0.5.5.5.2.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR",
                          ['100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .'])

    def test_fixed_uri_wildcard_matches_block_numbers(self):
        for q in ("0.0.0.1.0.5.5.5.2.1.6.e164.arpa.", "9.9.9.1.0.5.5.5.2.1.6.e164.arpa."):
            with self.subTest(q):
                self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
                    '100 100 "u" "E2U+sip" '
                    '"!^.*$!sip:61255501_numbers@enum.nickvsnetworking.com!" .'])

    def test_wildcard_matches_names_several_labels_below_it(self):
        q = "9.9.9.9.9.9.0.0.0.1.0.5.5.5.2.1.6.e164.arpa."
        msg = self.ask(q, "NAPTR")
        self.assertIn((q, "NAPTR"), rrsets(msg.answer), format_answer(msg))

    def test_specific_record_beats_wildcard(self):
        q = "4.3.2.1.0.5.5.5.2.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            '50 100 "u" "E2U+sip" "!^.*$!sip:staticroute@enum.nickvsnetworking.com!" .'])

    def test_empty_non_terminal_blocks_wildcard(self):
        # RFC 4592 §2.2.1: closest encloser 3.2.1.0.5.5.5.2.1.6 (an ENT) has no
        # '*' child, so there is no source of synthesis.
        for q in ("5.3.2.1.0.5.5.5.2.1.6.e164.arpa.", "9.2.1.0.5.5.5.2.1.6.e164.arpa.",
                  "0.0.9.2.1.0.5.5.5.2.1.6.e164.arpa."):
            with self.subTest(q):
                self.assertNegative(self.ask(q, "NAPTR"), dns.rcode.NXDOMAIN)

    def test_empty_non_terminal_is_nodata(self):
        for q in ("3.2.1.0.5.5.5.2.1.6.e164.arpa.", "2.1.0.5.5.5.2.1.6.e164.arpa.",
                  "1.0.5.5.5.2.1.6.e164.arpa.", "1.1.0.0.e164.arpa."):
            with self.subTest(q):
                self.assertNegative(self.ask(q, "NAPTR"), dns.rcode.NOERROR)

    def test_seed_exception_example_is_absent_so_wildcard_answers(self):
        # The seed shows order 50 for 5.4.3.2.0.5.5.5.2.1.6; the zone file has
        # no such record, so *.2.0.5.5.5.2.1.6 answers.
        q = "5.4.3.2.0.5.5.5.2.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR",
                          ['100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .'])

    def test_international_wildcard_answers_long_numbers(self):
        q = "1.2.3.4.5.6.7.8.9.4.4.1.1.0.0.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            '100 100 "u" "E2U+sip" '
            '"!(^.*$)!sip:+1\\\\1@international_gw.nickvsnetworking.com!" .'])

    def test_literal_asterisk_query_returns_the_wildcard_record(self):
        q = "*.1.0.5.5.5.2.1.6.e164.arpa."
        self.assertAnswer(self.ask(q, "NAPTR"), q, "NAPTR", [
            '100 100 "u" "E2U+sip" "!^.*$!sip:61255501_numbers@enum.nickvsnetworking.com!" .'])

    def test_name_below_the_wildcard_owner_is_nxdomain(self):
        self.assertNegative(self.ask("9.*.1.0.5.5.5.2.1.6.e164.arpa.", "NAPTR"),
                            dns.rcode.NXDOMAIN)

    # --- negative answers, apex, case, refusal ---------------------------------

    def test_unprovisioned_number_is_nxdomain(self):
        self.assertNegative(self.ask("6.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR"),
                            dns.rcode.NXDOMAIN)

    def test_missing_type_is_nodata(self):
        for q, t in (("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "A"), ("e164.arpa.", "TXT"),
                     ("0.0.0.1.0.5.5.5.2.1.6.e164.arpa.", "AAAA")):
            with self.subTest(q=q, t=t):
                self.assertNegative(self.ask(q, t), dns.rcode.NOERROR)

    def test_apex_records(self):
        self.assertAnswer(self.ask(ORIGIN, "SOA"), ORIGIN, "SOA", [SOA_TEXT])
        self.assertAnswer(self.ask(ORIGIN, "A"), ORIGIN, "A", ["127.0.0.1"])

    def test_apex_ns_answer_carries_the_in_zone_address(self):
        # Additional-section processing for NS happens even with
        # minimal-responses yes.
        msg = self.ask(ORIGIN, "NS")
        self.assertEqual(rrsets(msg.answer), {(ORIGIN, "NS"): (3600, [ORIGIN])})
        self.assertEqual(rrsets(msg.additional), {(ORIGIN, "A"): (3600, ["127.0.0.1"])})
        self.assertEqual(msg.authority, [])

    def test_any_returns_every_rrset_at_the_name(self):
        msg = self.ask(ORIGIN, "ANY")
        self.assertEqual(set(rrsets(msg.answer)),
                         {(ORIGIN, "SOA"), (ORIGIN, "NS"), (ORIGIN, "A")}, format_answer(msg))
        self.assertTrue(msg.flags & dns.flags.AA)

    def test_mixed_case_question_is_echoed_as_sent(self):
        q = "1.1.9.0.0.5.5.5.3.1.6.E164.ARPA."
        msg = self.ask(q, "NAPTR")
        self.assertEqual(msg.question[0].name.to_text(), q)
        self.assertEqual(len(msg.answer), 1, format_answer(msg))
        self.assertEqual(msg.answer[0].name.to_text().lower(), q.lower())

    def test_outside_zone_is_refused_without_aa(self):
        for q in ("example.com.", "arpa.", "e164.arpa.com."):
            with self.subTest(q):
                msg = self.ask(q, "NAPTR")
                self.assertEqual(msg.rcode(), dns.rcode.REFUSED, format_answer(msg))
                self.assertFalse(msg.flags & dns.flags.AA)
                self.assertEqual((msg.answer, msg.authority), ([], []))

    def test_unknown_edns_version_gets_badvers(self):
        msg = self.ask(ORIGIN, "SOA", use_edns=1)
        self.assertEqual(msg.rcode(), dns.rcode.BADVERS, format_answer(msg))
        self.assertEqual(msg.edns, 0)

    def test_edns_answer_advertises_1232(self):
        msg = self.ask(ORIGIN, "SOA", use_edns=0, payload=4096)
        self.assertEqual((msg.edns, msg.payload), (0, 1232))

    # --- the whole query list ----------------------------------------------------

    def test_every_playground_query_gets_the_same_answer_over_udp_and_tcp(self):
        for qname, qtype, note in PLAYGROUND_QUERIES:
            with self.subTest(qname=qname, qtype=qtype, note=note):
                udp = self.ask(qname, qtype)
                tcp = self.ask(qname, qtype, tcp=True)
                self.assertFalse(udp.flags & dns.flags.TC)
                self.assertEqual(compare_answers(udp, tcp, names=("udp", "tcp")), [])

    def test_dig_prints_the_seed_answer(self):
        out = self.server.dig("+short NAPTR 1.1.9.0.0.5.5.5.3.1.6.e164.arpa")
        self.assertEqual(out.strip(),
                         '10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@10.0.1.98!" .')


class BindLifecycleTest(unittest.TestCase):
    """The harness itself: ports, stop, logs."""

    def test_two_servers_get_different_ports_and_stop_cleanly(self):
        with Bind(zones=[(ORIGIN, ZONE_FILE)]) as a, Bind(zones=[(ORIGIN, ZONE_FILE)]) as b:
            self.assertNotEqual(a.port, b.port)
            self.assertEqual(a.query(ORIGIN, "SOA").rcode(), dns.rcode.NOERROR)
            tmp = a.tmp
        self.assertEqual((a.exit_code, b.exit_code), (0, 0))
        self.assertIn("shutting down", a.log_text())
        if not os.environ.get("ENUMD_KEEP_TMP"):
            self.assertFalse(os.path.exists(tmp))

    def test_port_taken_before_start_is_replaced(self):
        # Another process grabs the picked port between free_port() and bind().
        taken = enumd_harness.free_port()
        real_free_port = enumd_harness.free_port
        ports = iter([taken])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter, \
                mock.patch.object(enumd_harness, "free_port",
                                  lambda: next(ports, None) or real_free_port()):
            squatter.bind(("127.0.0.1", taken))
            with Bind(zones=[(ORIGIN, ZONE_FILE)]) as b:
                self.assertNotEqual(b.port, taken)
                self.assertEqual(b.query(ORIGIN, "SOA").rcode(), dns.rcode.NOERROR)

    def test_default_minimal_responses_adds_ns_to_positive_answers(self):
        # Why the harness sets `minimal-responses yes`: BIND's default
        # (no-auth-recursive) adds the apex NS RRset and its glue to positive
        # answers for RD=0 queries, and not for RD=1 ones.
        with Bind(zones=[(ORIGIN, ZONE_FILE)], minimal_responses="no-auth-recursive") as b:
            q = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."
            norec = b.query(q, "NAPTR")
            rec = b.query(q, "NAPTR", rd=True)
        self.assertIn((ORIGIN, "NS"), rrsets(norec.authority), format_answer(norec))
        self.assertIn((ORIGIN, "A"), rrsets(norec.additional), format_answer(norec))
        self.assertEqual((rec.authority, rec.additional), ([], []), format_answer(rec))


if __name__ == "__main__":
    unittest.main()
