"""System tests of `enumctl lookup` (issue 5): the real enumctl asking the real
enumd, serving the ENUM playground (seed 001), the 3GPP EPC zone (seed 003)
and tests/system/zones/lookup.example.db; plus small scripted servers for what
enumd refuses to serve (malformed regexps) or never does (SERVFAIL, garbage).

Expected URIs follow RFC 3402: the regexp is applied to the number with its
"+" (RFC 6116 §2.4), so "!(^.*$)!sip:+1\\1@...!" gives "sip:+1+61...@...".
Where a reference exists the expectation is derived from it: the records and
addresses enumctl reports are compared with what dnspython gets from the same
server over TCP.
"""

import json
import os
import socket
import subprocess
import threading
import time
import unittest

import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from enumd_harness import BIN_DIR, HOST, Enumd, free_port
from playground_queries import ZONE_FILE as PLAYGROUND

HERE = os.path.dirname(os.path.abspath(__file__))
EPC_ZONE = os.path.join(HERE, "..", "..", "zones", "3gpp", "epc.mnc001.mcc001.3gppnetwork.org.db")
EPC = "epc.mnc001.mcc001.3gppnetwork.org."
IMS_APN = "ims.apn." + EPC
LOOKUP_ZONE = os.path.join(HERE, "zones", "lookup.example.db")
LOOKUP_SUFFIX = "e164.lookup.example"
NICK = "enum.nickvsnetworking.com"


def enumctl_lookup(*args):
    """Runs BIN/enumctl lookup ARGS; returns the CompletedProcess."""
    return subprocess.run([os.path.join(BIN_DIR, "enumctl"), "lookup", *args],
                          capture_output=True, text=True, timeout=60)


def lookup(server, *args, check_rc=None):
    """Runs `enumctl lookup ARGS --server 127.0.0.1:PORT` against `server`
    (anything with a .port); returns (exit code, stdout, stderr)."""
    done = enumctl_lookup(*args, "--server", f"{HOST}:{server.port}")
    if check_rc is not None and done.returncode != check_rc:
        raise AssertionError(f"enumctl lookup {' '.join(args)} exited {done.returncode}, "
                             f"expected {check_rc}:\n{done.stdout}{done.stderr}")
    return done.returncode, done.stdout, done.stderr


def lookup_json(server, *args, check_rc=0):
    _, out, _ = lookup(server, *args, "--json", check_rc=check_rc)
    return json.loads(out)


def usable(doc):
    """[(rank, order, preference, share, uri-or-target)] of the usable records."""
    return [(r["rank"], r["order"], r["preference"], r["share"], r.get("uri", r.get("target")))
            for r in doc["records"] if r["status"] == "usable"]


class PlaygroundLookupTest(unittest.TestCase):
    """The seed's numbers, looked up against enumd serving the playground."""

    @classmethod
    def setUpClass(cls):
        cls.enumd = Enumd(zones=[("e164.arpa.", PLAYGROUND, "rfc4592")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.enumd.stop()

    def test_issue_example_prints_ranks_shares_and_the_preference_note(self):
        rc, out, err = lookup(self.enumd, "+61355500913")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, (
            "3.1.9.0.0.5.5.5.3.1.6.e164.arpa  NAPTR (3 records, E2U+sip)\n"
            f"  1  order 10  pref 100  50%  sip:61355500912@server1.{NICK}\n"
            f"  1  order 10  pref 100  50%  sip:61355500912@server2.{NICK}\n"
            f"  2  order 10  pref 200  fallback  sip:61355500912@server3.{NICK}\n"
            "  note: preference is a processing order (RFC 3403 §4.1), not a weight: server3 "
            "gets calls only when server1 and server2 fail\n"))
        self.assertEqual(err, "")

    def test_seed_numbers_911_to_915(self):
        expected = {
            # One record: all calls to it.
            "+61355500911": [(1, 10, 100, "100%", "sip:61355500912@10.0.1.98")],
            # Equal order and preference: a 50/50 split.
            "+61355500912": [(1, 10, 100, "50%", f"sip:61355500912@server1.{NICK}"),
                             (1, 10, 100, "50%", f"sip:61355500912@server2.{NICK}")],
            # Preference 200 is a fallback, not "50% of the traffic".
            "+61355500913": [(1, 10, 100, "50%", f"sip:61355500912@server1.{NICK}"),
                             (1, 10, 100, "50%", f"sip:61355500912@server2.{NICK}"),
                             (2, 10, 200, "fallback", f"sip:61355500912@server3.{NICK}")],
            # Order 10 first, order 20 after it.
            "+61355500914": [(1, 10, 100, "100%", f"sip:61355500912@firstchoice.{NICK}"),
                             (2, 20, 100, "fallback", f"sip:61355500912@secondchoice.{NICK}")],
            # \1 is the whole AUS "+61355500915", after the literal "+1".
            "+61355500915": [(1, 10, 100, "100%", f"sip:+1+61355500915@{NICK}")],
        }
        for number, records in expected.items():
            with self.subTest(number=number):
                doc = lookup_json(self.enumd, number)
                self.assertEqual(doc["status"], "found")
                self.assertEqual(usable(doc), records)
        notes = lookup_json(self.enumd, "+61355500913")["notes"]
        self.assertEqual(len(notes), 1)
        self.assertIn("server3 gets calls only when server1 and server2 fail", notes[0])
        self.assertEqual(lookup_json(self.enumd, "+61355500912")["notes"], [])

    def test_records_are_the_ones_the_server_sent(self):
        # The reference: dnspython's view of the same answer.
        for number in ("+61355500911", "+61355500912", "+61355500913", "+61355500914",
                       "+61355500915", "+61255502000", "+61255501234"):
            with self.subTest(number=number):
                doc = lookup_json(self.enumd, number)
                answer = self.enumd.query(doc["query"]["name"] + ".", "NAPTR", tcp=True)
                raw = sorted((rd.order, rd.preference, rd.flags.decode(), rd.service.decode(),
                              rd.regexp.decode())
                             for rrset in answer.answer for rd in rrset)
                got = sorted((r["order"], r["preference"], r["flags"], r["service"], r["regexp"])
                             for r in doc["records"])
                self.assertEqual(got, raw)
                self.assertEqual(doc["record_count"], len(raw))

    def test_wildcard_block_builds_the_uri_from_the_number(self):
        doc = lookup_json(self.enumd, "+61255502000")
        # Synthesised from *.2.0.5.5.5.2.1.6: the owner is the name asked.
        self.assertEqual(doc["query"]["name"], "0.0.0.2.0.5.5.5.2.1.6.e164.arpa")
        self.assertEqual(doc["records"][0]["owner"], "0.0.0.2.0.5.5.5.2.1.6.e164.arpa")
        self.assertEqual(usable(doc), [(1, 100, 100, "100%", f"sip:+1+61255502000@{NICK}")])
        other = lookup_json(self.enumd, "+61255502999")
        self.assertEqual(usable(other)[0][4], f"sip:+1+61255502999@{NICK}")

    def test_exception_inside_a_wildcard_block(self):
        doc = lookup_json(self.enumd, "+61255501234")
        self.assertEqual(usable(doc),
                         [(1, 50, 100, "100%", f"sip:staticroute@{NICK}")])

    def test_neighbour_of_the_exception_is_no_such_number_under_rfc4592(self):
        rc, out, err = lookup(self.enumd, "+61255501235")
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(err, "enumctl lookup: no such number +61255501235: "
                              "5.3.2.1.0.5.5.5.2.1.6.e164.arpa does not exist (NXDOMAIN)\n")

    def test_nonexistent_number_exits_2(self):
        rc, _, err = lookup(self.enumd, "+61355500916")
        self.assertEqual(rc, 2)
        self.assertIn("no such number +61355500916", err)
        self.assertEqual(err.count("\n"), 1)
        doc = lookup_json(self.enumd, "+61355500916", check_rc=2)
        self.assertEqual(doc["status"], "nxdomain")
        self.assertEqual(doc["exit_code"], 2)

    def test_no_record_for_the_service_exits_2(self):
        rc, _, err = lookup(self.enumd, "+61355500913", "--service", "E2U+email:mailto")
        self.assertEqual(rc, 2)
        self.assertIn("no NAPTR record for E2U+email:mailto", err)

    def test_sip_shorthand_tcp_and_number_formats(self):
        a = lookup_json(self.enumd, "+61355500913")
        b = lookup_json(self.enumd, "+61 3 5550 0913", "--service", "sip", "--tcp")
        self.assertEqual(usable(a), usable(b))
        self.assertEqual(b["transport"][0]["protocol"], "tcp")
        self.assertFalse(b["transport"][0]["truncated_udp"])

    def test_bad_number_exits_1(self):
        rc, _, err = lookup(self.enumd, "61355500913")
        self.assertEqual(rc, 1)
        self.assertIn("must start with '+'", err)


class ThreeGppLookupTest(unittest.TestCase):
    """S-NAPTR PGW selection (seed 003) against enumd serving the EPC zone."""

    def setUp(self):
        if not os.path.exists(EPC_ZONE):
            self.skipTest(f"no 3GPP zone at {EPC_ZONE}")

    def reference(self, enumd, service_tags):
        """What an MME gets from the full (TCP) answer: the NAPTR records whose
        service holds every tag, and each replacement's addresses."""
        answer = enumd.query(IMS_APN, "NAPTR", tcp=True)
        records = [rd for rrset in answer.answer for rd in rrset]
        picked = [rd for rd in records
                  if set(service_tags) <= set(rd.service.decode().lower().split(":"))]
        keys = sorted({(rd.order, rd.preference) for rd in picked})
        out = []
        for rd in picked:
            host = rd.replacement.to_text()
            addresses = []
            for qtype in ("A", "AAAA"):
                for rrset in enumd.query(host, qtype, tcp=True).answer:
                    addresses += [r.to_text() for r in rrset]
            out.append((keys.index((rd.order, rd.preference)) + 1, rd.order, rd.preference,
                        host.rstrip("."), addresses))
        return len(records), sorted(out)

    def selection(self, doc):
        return sorted((r["rank"], r["order"], r["preference"], r["target"],
                       r["targets"][0]["addresses"])
                      for r in doc["records"] if r["status"] == "usable")

    def test_s8_pgws_are_selected_as_the_seed_describes(self):
        with Enumd(zones=[(EPC, EPC_ZONE, "rfc4592")]) as enumd:
            doc = lookup_json(enumd, "--snaptr", IMS_APN, "--service", "x-3gpp-pgw:x-s8-gtp")
            count, expected = self.reference(enumd, ["x-3gpp-pgw", "x-s8-gtp"])
            self.assertEqual(doc["record_count"], count)
            self.assertEqual(self.selection(doc), expected)
            # S5-only and PMIP PGWs are left out.
            for r in doc["records"]:
                if r["status"] == "other-service":
                    self.assertNotIn("x-s8-gtp", r["service"].split(":"))
            # The first place is shared; every other record is a fallback.
            shares = {r["target"]: r["share"] for r in doc["records"] if r["status"] == "usable"}
            firsts = [t for t, s in shares.items() if s != "fallback"]
            self.assertEqual(len(firsts), 2)
            self.assertTrue(all(shares[t] == "50%" for t in firsts))
            s5 = lookup_json(enumd, "--snaptr", IMS_APN, "--service", "x-3gpp-pgw:x-s5-gtp")
            _, expected_s5 = self.reference(enumd, ["x-3gpp-pgw", "x-s5-gtp"])
            self.assertEqual(self.selection(s5), expected_s5)

    def test_answer_that_only_comes_whole_over_tcp(self):
        # udp.max_payload 512 caps the EDNS answer: the ten-PGW NAPTR set does
        # not fit, so UDP brings TC=1 and only TCP the whole answer.
        with Enumd(zones=[(EPC, EPC_ZONE, "rfc4592")],
                   extra_config={"udp": {"max_payload": 512}}) as enumd:
            udp = enumd.query(IMS_APN, "NAPTR", use_edns=0, payload=1232)
            self.assertTrue(udp.flags & dns.flags.TC, "the test needs a truncated UDP answer")
            rc, out, err = lookup(enumd, "--snaptr", IMS_APN, "--service", "x-3gpp-pgw:x-s8-gtp")
            self.assertEqual(rc, 0, err)
            self.assertIn(f"transport: the UDP answer for {IMS_APN.rstrip('.')} NAPTR was "
                          "truncated (TC); asked again over TCP", out)
            doc = lookup_json(enumd, "--snaptr", IMS_APN, "--service", "x-3gpp-pgw:x-s8-gtp")
            count, expected = self.reference(enumd, ["x-3gpp-pgw", "x-s8-gtp"])
            self.assertEqual(doc["record_count"], count)
            self.assertEqual(self.selection(doc), expected)
            naptr_events = [t for t in doc["transport"] if t["type"] == "NAPTR"]
            self.assertEqual(naptr_events, [{"name": IMS_APN.rstrip("."), "type": "NAPTR",
                                             "protocol": "tcp", "truncated_udp": True}])

    def test_small_answer_uses_the_additional_section(self):
        with Enumd(zones=[(EPC, EPC_ZONE, "rfc4592")]) as enumd:
            doc = lookup_json(enumd, "--snaptr", "internet.apn." + EPC,
                              "--service", "x-3gpp-pgw:x-s5-gtp")
            self.assertEqual(doc["transport"], [])
            first = [r for r in doc["records"] if r["rank"] == 1]
            self.assertEqual(len(first), 1)
            self.assertIn("A", first[0]["targets"][0]["from_additional"])


class LookupZoneTest(unittest.TestCase):
    """Non-terminal rules, loops, partial matches, a big ENUM answer and SRV,
    against enumd serving tests/system/zones/lookup.example.db."""

    @classmethod
    def setUpClass(cls):
        cls.enumd = Enumd(zones=[("lookup.example.", LOOKUP_ZONE, "rfc4592")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.enumd.stop()

    def enum(self, number, check_rc=0):
        return lookup_json(self.enumd, number, "--suffix", LOOKUP_SUFFIX, check_rc=check_rc)

    def test_non_terminal_rule_is_followed(self):
        doc = self.enum("+442079460001")
        self.assertEqual(usable(doc), [
            # RFC 3402: the PBX's regexp sees the original number "+442079460001".
            (1, 10, 10, "100%", "sip:02079460001@pbx.lookup.example"),
            (2, 10, 20, "fallback", "sip:operator@pbx.lookup.example")])
        self.assertEqual(doc["records"][1]["via"], ["rules.pbx.lookup.example"])

    def test_non_terminal_loop_exits_1(self):
        rc, out, err = lookup(self.enumd, "+442079460003", "--suffix", LOOKUP_SUFFIX)
        self.assertEqual(rc, 1)
        self.assertIn("non-terminal loop", err)
        self.assertIn("loop-a.lookup.example -> loop-b.lookup.example -> loop-a.lookup.example",
                      out)

    def test_partial_match_keeps_the_rest_and_says_so(self):
        rc, out, _ = lookup(self.enumd, "+442079460002", "--suffix", LOOKUP_SUFFIX)
        self.assertEqual(rc, 0)
        self.assertIn("100%  sip:02079460002\n", out)
        self.assertIn("matches only part of the number", out)

    def test_i_flag_and_case(self):
        doc = self.enum("+442079460004")
        self.assertEqual(usable(doc), [(1, 10, 10, "100%", "SIP:79460004@LONDON.lookup.example")])

    def test_big_enum_answer_comes_over_tcp(self):
        # 24 records, about 2 KB: more than the 1232 bytes enumctl offers over UDP.
        udp = self.enumd.query("5.0.0.0.6.4.9.7.0.2.4.4." + LOOKUP_SUFFIX + ".", "NAPTR",
                               use_edns=0, payload=1232)
        self.assertTrue(udp.flags & dns.flags.TC)
        doc = self.enum("+442079460005")
        self.assertEqual(doc["record_count"], 24)
        self.assertTrue(doc["transport"][0]["truncated_udp"])
        self.assertEqual([u[3] for u in usable(doc)][:3], ["50%", "50%", "fallback"])

    def test_only_other_services_exits_2(self):
        rc, _, err = lookup(self.enumd, "+442079460006", "--suffix", LOOKUP_SUFFIX)
        self.assertEqual(rc, 2)
        self.assertIn("(2 for other services)", err)
        doc = lookup_json(self.enumd, "+442079460006", "--suffix", LOOKUP_SUFFIX,
                          "--service", "E2U+pstn:tel")
        self.assertEqual(usable(doc), [(1, 10, 20, "100%", "tel:+442079460006")])

    def test_snaptr_s_flag_srv_weights_and_addresses(self):
        doc = lookup_json(self.enumd, "--snaptr", "tac-lb01.tac-hb00.tac.epc.lookup.example",
                          "--service", "x-3gpp-sgw:x-s11")
        first = doc["records"][0]
        self.assertEqual((first["rank"], first["flags"], first["target"]),
                         (1, "s", "_gtp._udp.sgw.epc.lookup.example"))
        srv = [(t["priority"], t["weight"], t["weight_percent"], t["port"], t["host"],
                t["addresses"]) for t in first["targets"]]
        self.assertEqual(srv, [
            (10, 70, 70, 2123, "sgw-a.epc.lookup.example", ["198.51.100.11", "2001:db8:5::11"]),
            (10, 30, 30, 2123, "sgw-b.epc.lookup.example", ["198.51.100.12"]),
            (20, 0, 100, 2123, "sgw-c.epc.lookup.example", ["198.51.100.13"])])
        # The "x-3gpp-sgw:x-s4" record offers another protocol.
        self.assertEqual(doc["matching_count"], 2)

    def test_snaptr_non_terminal_and_a_host_without_address(self):
        rc, out, err = lookup(self.enumd, "--snaptr", "mvno.apn.epc.lookup.example",
                              "--service", "x-3gpp-pgw:x-s8-gtp")
        self.assertEqual(rc, 1)
        self.assertIn("pgw-noaddr.epc.lookup.example: no A/AAAA records", err)
        self.assertIn("1  order 10  pref 10  100%  a  pgw-1.epc.lookup.example  "
                      "(via internet.apn.epc.lookup.example)", out)


class ScriptedServer:
    """A UDP server on 127.0.0.1 that answers every query with `respond(query)`
    (a dns.message.Message or raw bytes), for answers enumd never gives."""

    def __init__(self, respond):
        self.respond = respond
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.sock.close()

    def run(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            reply = self.respond(dns.message.from_wire(data))
            self.sock.sendto(reply if isinstance(reply, bytes) else reply.to_wire(), peer)


def naptr_answer(query, *records):
    r = dns.message.make_response(query)
    r.flags |= dns.flags.AA
    name = query.question[0].name
    for text in records:
        r.answer.append(dns.rrset.from_rdata(
            name, 60, dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.NAPTR, text)))
    return r


class ErrorsTest(unittest.TestCase):
    """Exit code 1, with one line, for what a server gets wrong."""

    def test_nothing_listening_exits_1(self):
        port = free_port()
        start = time.monotonic()
        res = enumctl_lookup("+61355500913", "--server", f"{HOST}:{port}",
                             "--timeout", "300", "--retries", "1")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertEqual(res.stderr.count("\n"), 1)
        # Refused at once (ICMP port unreachable) or timed out after 2 x 300 ms.
        self.assertTrue("connection refused" in res.stderr or "timed out" in res.stderr,
                        res.stderr)
        self.assertLess(time.monotonic() - start, 5)

    def test_server_that_never_answers_times_out(self):
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind((HOST, 0))
        try:
            start = time.monotonic()
            res = enumctl_lookup("+61355500913", "--server", f"{HOST}:{silent.getsockname()[1]}",
                                 "--timeout", "300", "--retries", "1")
            elapsed = time.monotonic() - start
        finally:
            silent.close()
        self.assertEqual(res.returncode, 1)
        self.assertIn("timed out (2 tries of 300 ms)", res.stderr)
        self.assertGreaterEqual(elapsed, 0.55)

    def test_servfail_exits_1(self):
        def servfail(q):
            r = dns.message.make_response(q)
            r.set_rcode(dns.rcode.SERVFAIL)
            return r
        with ScriptedServer(servfail) as server:
            rc, out, err = lookup(server, "+61355500913")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "enumctl lookup: SERVFAIL for 3.1.9.0.0.5.5.5.3.1.6.e164.arpa "
                              "NAPTR: the server could not answer\n")

    def test_malformed_regexp_and_contradicting_fields_exit_1(self):
        def answer(q):
            return naptr_answer(
                q,
                '10 100 "u" "E2U+sip" "!^.*$!sip:good@example.net!" .',
                '10 100 "u" "E2U+sip" "!^.*$!sip:bad@example.net" .',
                '10 100 "u" "E2U+sip" "!(^.*$!sip:paren@example.net!" .',
                '10 100 "u" "E2U+sip" "!^.*$!sip:both@example.net!" pbx.example.net.')
        with ScriptedServer(answer) as server:
            rc, out, err = lookup(server, "+61355500913")
        self.assertEqual(rc, 1)
        self.assertIn("  1  order 10  pref 100  100%  sip:good@example.net\n", out)
        self.assertIn("error: malformed regexp \"!^.*$!sip:bad@example.net\": has 2 unescaped "
                      "delimiter(s)", out)
        self.assertIn("is not a POSIX extended regular expression", out)
        self.assertIn("REGEXP and REPLACEMENT are both set", out)
        self.assertTrue(err.startswith("enumctl lookup: 3 record(s) with errors; first: "), err)
        self.assertEqual(err.count("\n"), 1)

    def test_garbage_answer_exits_1(self):
        def garbage(q):
            wire = naptr_answer(q, '10 100 "u" "E2U+sip" "!^.*$!sip:a@b!" .').to_wire()
            return wire[:-3]  # the record is cut short, TC is not set
        with ScriptedServer(garbage) as server:
            rc, _, err = lookup(server, "+61355500913")
        self.assertEqual(rc, 1)
        self.assertIn("bad answer from 127.0.0.1:", err)


if __name__ == "__main__":
    unittest.main()
