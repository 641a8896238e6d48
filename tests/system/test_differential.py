"""enumd and BIND 9 serving the same zones answer every query the same
(DESIGN.md rule 1; issue 3, "A differential test").

Both servers load the playground zone (e164.arpa.) and tests/system/zones/
features.db (features.example.: what the playground lacks: cuts with glue,
DS, CNAME chains and loops, wildcard CNAME, empty non-terminals, NAPTR
additional data, MX, an SOA whose TTL differs from its MINIMUM, TXT, big
RRsets). Every query is asked over UDP and TCP, each with and without EDNS
(payload 1232), and compare_answers() must find nothing, except:

  - EXPECTED_DIFFERENCES below: deliberate choices, each with its reason. A
    listed difference that no longer shows up fails the test, so the table
    cannot go stale.
  - Truncated UDP answers (TC=1 from both): only rcode, flags, question and
    EDNS are compared, because what each server keeps under TC legitimately
    differs:
      * BIND without EDNS keeps as many records of the RRset that does not
        fit as it can (a partial RRset, in its random rrset-order); with
        EDNS it sends an empty answer section.
      * enumd keeps whole RRsets only, so a single RRset that does not fit
        leaves the answer empty with or without EDNS (DESIGN.md rule 5;
        RFC 2181 §9: a client must not use a truncated RRset anyway).
    The same queries over TCP are compared in full.

Besides, both serve parent.example. with child zones (zones/parent.db,
zones/child.db: DS queries for a child's apex are answered from the parent,
RFC 4035 §3.1.4.1) and signed.example. (zones/signed.db, signed by
dnssec-signzone when the test starts: each RRSIG with the TTL of the RRset
it covers, RFC 4034 §3), and are asked queries of class * and NONE (FORMERR
from both).

BIND runs with `minimal-responses no-auth;`: no NS RRset in the authority
section of positive answers (enumd never adds one), but additional-section
processing for NS, MX, SRV and NAPTR targets, which enumd does too.
"""

import collections
import os
import shutil
import subprocess
import tempfile
import unittest

import dns.flags
import dns.rcode
import dns.rdatatype

from enumd_harness import Bind, Enumd, compare_answers
from playground_queries import ORIGIN, PLAYGROUND_QUERIES, ZONE_FILE, Query

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES_ORIGIN = "features.example."
FEATURES_FILE = os.path.join(HERE, "zones", "features.db")
ZONES = [(ORIGIN, ZONE_FILE), (FEATURES_ORIGIN, FEATURES_FILE)]
# A parent and the child zones it delegates to, one file for all children
# (zones/child.db names nothing relative to its origin).
PARENT_ORIGIN = "parent.example."
CHILD_ORIGINS = ["child.parent.example.", "nods.parent.example.", "absent.parent.example.",
                 "alias.parent.example.", "a.deep.parent.example.", "orphan.example."]
CUT_ZONES = [(PARENT_ORIGIN, os.path.join(HERE, "zones", "parent.db"))] + [
    (o, os.path.join(HERE, "zones", "child.db")) for o in CHILD_ORIGINS]
SIGNED_ORIGIN = "signed.example."
SIGNED_SOURCE = os.path.join(HERE, "zones", "signed.db")


def sign_zone(source, origin, workdir):
    """Signs `source` with a fresh KSK and ZSK (ECDSA P-256, as a registry
    would) by BIND's dnssec-keygen and dnssec-signzone; returns the signed
    file's path. Takes well under a second."""
    zone = os.path.join(workdir, "signed.db")
    shutil.copy(source, zone)
    for extra in (["-f", "KSK"], []):
        key = subprocess.run(["dnssec-keygen", "-q", "-K", workdir, "-a", "ECDSAP256SHA256",
                              *extra, origin], capture_output=True, text=True, check=True)
        with open(zone, "a") as f:
            f.write(f"$INCLUDE {os.path.join(workdir, key.stdout.strip())}.key\n")
    signed = zone + ".signed"
    subprocess.run(["dnssec-signzone", "-q", "-K", workdir, "-o", origin, "-f", signed, zone],
                   capture_output=True, text=True, check=True, cwd=workdir)
    return signed


def _f(name):
    return FEATURES_ORIGIN if name == "@" else f"{name}.{FEATURES_ORIGIN}"


FEATURE_QUERIES = [
    # --- apex, TXT, MX, case -----------------------------------------------------
    Query(_f("@"), "SOA", "apex SOA (TTL 600, MINIMUM 120)"),
    Query(_f("@"), "NS", "apex NS: A/AAAA of both in-zone targets in additional"),
    Query(_f("@"), "ANY", "ANY at the apex"),
    Query(_f("@"), "TXT", "NODATA at the apex: SOA with TTL 120 = MINIMUM"),
    Query(_f("@"), "DS", "DS at the apex: the parent's, NODATA here"),
    Query(_f("txt"), "TXT", "TXT with two strings"),
    Query(_f("txt"), "A", "NODATA, negative TTL 120"),
    Query("TxT.Features.EXAMPLE.", "TXT", "mixed-case query"),
    Query(_f("mixedcase"), "A", "owner written MixedCase in the file"),
    Query(_f("MIXEDCASE"), "A", "upper-case query of a mixed-case owner"),
    Query(_f("mx"), "MX", "MX: A and AAAA of the in-zone target in additional"),
    Query(_f("mx"), "ANY", "ANY: no additional-section processing"),
    Query(_f("mxwild"), "MX", "MX target covered only by a wildcard: synthesised A"),
    Query(_f("host.wa"), "A", "the wildcard itself"),
    Query(_f("nx"), "A", "NXDOMAIN, negative TTL 120"),
    Query(_f("nx"), "SOA", "NXDOMAIN for an SOA query (see EXPECTED_DIFFERENCES)"),
    Query(_f("nx"), "TYPE65280", "NXDOMAIN, private-use type"),
    Query(_f("txt"), "TYPE65280", "NODATA, private-use type"),
    Query(_f("txt"), "RRSIG", "RRSIG in an unsigned zone: NODATA"),
    # --- delegations -----------------------------------------------------------
    Query(_f("sub"), "NS", "referral at the cut: AA clear, in-bailiwick + sibling glue"),
    Query(_f("sub"), "A", "referral at the cut for another type"),
    Query(_f("sub"), "ANY", "ANY at a cut: referral"),
    Query(_f("sub"), "DS", "DS at the cut: answered by the parent, AA"),
    Query("SUB.features.example.", "DS", "DS at the cut, upper case"),
    Query(_f("sub"), "SOA", "SOA at a cut: referral"),
    Query(_f("ns.sub"), "A", "glue name: referral, never answered from the parent"),
    Query(_f("ns.sub"), "AAAA", "glue name, AAAA: referral"),
    Query(_f("www.sub"), "A", "occluded data below the cut: referral"),
    Query(_f("deep.www.sub"), "TXT", "deeper occluded name: referral"),
    Query(_f("nothere.sub"), "NAPTR", "missing name below the cut: referral"),
    Query(_f("www.sub"), "DS", "DS below the cut: referral"),
    Query(_f("sibling"), "NS", "second cut, NS in-bailiwick"),
    Query(_f("sibling"), "DS", "cut without DS: NODATA from the parent"),
    Query(_f("ns.sibling"), "A", "sibling glue name: referral to 'sibling'"),
    Query(_f("outside"), "A", "cut with out-of-zone NS: referral without glue"),
    Query(_f("x.outside"), "NAPTR", "below an out-of-zone-NS cut"),
    Query(_f("bigdeleg"), "NS", "13 NS with A+AAAA glue: over 512 without EDNS"),
    Query(_f("x.bigdeleg"), "A", "referral with 26 glue RRsets"),
    # --- CNAME ---------------------------------------------------------------
    Query(_f("alias1"), "A", "chain alias1 -> alias2 -> target inside the zone"),
    Query(_f("alias1"), "NAPTR", "chain ending at a NAPTR"),
    Query(_f("alias1"), "MX", "chain ending in NODATA: SOA in authority"),
    Query(_f("alias1"), "CNAME", "qtype CNAME: the CNAME alone"),
    Query(_f("alias1"), "ANY", "ANY at an alias: the CNAME alone"),
    Query(_f("alias1"), "RRSIG", "RRSIG at an alias is not followed"),
    Query(_f("alias1"), "NSEC", "NSEC at an alias is not followed"),
    Query("ALIAS1.Features.Example.", "A", "mixed-case chain"),
    Query(_f("out"), "A", "CNAME leaving the zone: the CNAME only"),
    Query(_f("chainout"), "A", "in-zone CNAME to a CNAME leaving the zone"),
    Query(_f("toenum"), "NAPTR", "CNAME into the other served zone: not followed"),
    Query(_f("dangling"), "A", "CNAME to a missing name: NXDOMAIN with the CNAME"),
    Query(_f("dangling"), "SOA", "the same for an SOA query"),
    Query(_f("todeleg"), "A", "CNAME into a delegation: CNAME + referral, AA"),
    Query(_f("towild"), "A", "CNAME to a name the wildcard CNAME covers"),
    Query(_f("loop1"), "A", "CNAME loop: SERVFAIL with each CNAME once"),
    Query(_f("chain1"), "A", "12 CNAMEs: more than 11 restarts, SERVFAIL"),
    Query(_f("chain2"), "A", "11 CNAMEs then the A: answered"),
    Query(_f("chain3"), "TXT", "10 CNAMEs then the TXT"),
    Query(_f("x.wild"), "A", "wildcard CNAME: synthesised owner, then the target"),
    Query(_f("a.b.wild"), "NAPTR", "wildcard CNAME two labels deep"),
    Query("X.Wild.features.example.", "A", "mixed-case wildcard CNAME"),
    Query(_f("x.wild"), "CNAME", "wildcard CNAME, qtype CNAME"),
    Query(_f("x.wild"), "ANY", "wildcard CNAME, qtype ANY"),
    Query(_f("*.wild"), "A", "the wildcard owner asked literally"),
    Query(_f("wild"), "A", "parent of the wildcard: empty non-terminal, NODATA"),
    # --- empty non-terminals -----------------------------------------------------
    Query(_f("ent"), "TXT", "empty non-terminal: NODATA"),
    Query(_f("3.ent"), "TXT", "empty non-terminal: NODATA"),
    Query(_f("2.3.ent"), "A", "empty non-terminal: NODATA"),
    Query(_f("1.2.3.ent"), "TXT", "the leaf"),
    Query(_f("x.2.3.ent"), "TXT", "below an empty non-terminal: NXDOMAIN"),
    Query(_f("x.2.3.ent"), "SOA", "the same for an SOA query"),
    # --- NAPTR additional-section processing (RFC 3403 §4.2) ---------------------
    Query(_f("1.2.3.4"), "NAPTR", 'flag "s": SRV of both replacements + target addresses'),
    Query(_f("2.2.3.4"), "NAPTR", 'flag "a": A and AAAA of the replacement'),
    Query(_f("3.2.3.4"), "NAPTR", 'flag "S" (upper case)'),
    Query(_f("4.2.3.4"), "NAPTR", 'flag "A" (upper case)'),
    Query(_f("5.2.3.4"), "NAPTR", "empty flag (non-terminal): nothing in additional"),
    Query(_f("6.2.3.4"), "NAPTR", 'flag "u" with a non-root replacement: nothing'),
    Query(_f("7.2.3.4"), "NAPTR", 'flag "a" into the other served zone: nothing'),
    Query(_f("8.2.3.4"), "NAPTR", 'flag "s" to a name outside every zone'),
    Query(_f("1.2.3.4"), "ANY", "ANY: no additional-section processing"),
    Query(_f("_sip._udp.pbx"), "SRV", "SRV: the target's A and AAAA"),
    Query(_f("_sip._tcp.pbx"), "SRV", "SRV at a name that also has an A"),
    Query(_f("_sip._tcp.pbx"), "ANY", "SRV and A at one name"),
    Query(_f("pgw1.pbx"), "AAAA", "plain AAAA"),
    Query(_f("apn"), "NAPTR", 'ten "a" records: addresses only partly fit 1232 bytes'),
    # --- sizes ---------------------------------------------------------------------
    Query(_f("8.8.8"), "NAPTR", "~860 bytes: TC without EDNS only"),
    Query(_f("7.7.7"), "NAPTR", "~1370 bytes: TC over UDP with EDNS 1232 too"),
    Query(_f("9.9.9"), "NAPTR", "40 records, ~3.2 KB: TC over UDP, whole over TCP"),
    Query(_f("9.9.9"), "ANY", "ANY of the big set"),
    Query("9.9.9.FEATURES.example.", "NAPTR", "big set, mixed case"),
]


def _under(origin):
    """Like _f, for another origin."""
    return lambda name: origin if name == "@" else f"{name}.{origin}"


_p = _under(PARENT_ORIGIN)
_s = _under(SIGNED_ORIGIN)


# Issue 23: the parent side of a cut, when both sides are served here.
PARENT_SIDE_QUERIES = [
    Query(_p("child"), "DS", "DS for a served child's apex: the parent's DS, AA"),
    Query("CHILD.Parent.EXAMPLE.", "DS", "the same in mixed case"),
    Query(_p("nods"), "DS", "the child's cut has no DS: the parent's NODATA"),
    Query(_p("absent"), "DS", "the parent does not know the child: its NXDOMAIN"),
    Query(_p("alias"), "DS", "a CNAME in the parent: followed in the parent"),
    Query(_p("a.deep"), "DS", "the child sits below another cut: the parent's referral"),
    Query("orphan.example.", "DS", "no parent served: the zone's own NODATA"),
    Query(_p("@"), "DS", "the parent's own apex: its NODATA"),
    Query(_p("child"), "NS", "other types at the child's apex: the child answers"),
    Query(_p("child"), "SOA", "the child's SOA"),
    Query(_p("child"), "ANY", "ANY at the child's apex: the child's data"),
    Query(_p("x.child"), "DS", "DS below the child's apex: the child's NXDOMAIN"),
    Query(_p("www"), "A", "plain data in the parent"),
    Query(_p("x.other"), "A", "referral to the parent's own name server (see "
          "EXPECTED_DIFFERENCES)"),
]
# Issue 23: a zone signed by dnssec-signzone; without DO nothing is added,
# so what differs is only the TTL each RRSIG is served with.
SIGNED_QUERIES = [
    Query(_s("www"), "RRSIG", "RRSIGs over A 3600, TXT 60, AAAA 86400, NSEC 300"),
    Query(_s("www"), "ANY", "ANY: each RRSIG beside the RRset it covers"),
    Query(_s("@"), "RRSIG", "apex: SOA, NS, DNSKEY 3600, NSEC 300"),
    Query(_s("@"), "ANY", "ANY at the apex"),
    Query(_s("@"), "DNSKEY", "the keys"),
    Query(_s("www"), "TXT", "the 60 s TXT"),
    Query(_s("www"), "NSEC", "NSEC (TTL = SOA MINIMUM)"),
    Query(_s("ns"), "RRSIG", "a name with A and NSEC only"),
    Query(_s("nothere"), "A", "NXDOMAIN without DO: the SOA only"),
]
# Issue 23: QCLASS * (RFC 1035 §3.2.5) and NONE, in and outside served zones.
META_CLASS_QUERIES = [
    Query(_p("www"), "A", "a name with data"),
    Query(_p("child"), "DS", "the parent side of a cut"),
    Query(_p("nothere"), "A", "a missing name"),
    Query(_f("@"), "ANY", "ANY of class ANY"),
    Query("example.org.", "A", "outside every zone"),
]

TRANSPORTS = (
    ("udp", dict(tcp=False)),
    ("udp+edns", dict(tcp=False, use_edns=0, payload=1232)),
    ("tcp", dict(tcp=True)),
    ("tcp+edns", dict(tcp=True, use_edns=0, payload=1232)),
)
# Only in test_edns_payload_sizes_match_bind: the smallest EDNS size, and one
# above the cap (both servers cap it at 1232).
SMALL_AND_LARGE_EDNS = (
    ("udp+edns512", dict(tcp=False, use_edns=0, payload=512)),
    ("udp+edns4096", dict(tcp=False, use_edns=0, payload=4096)),
)
ALL = tuple(t for t, _ in TRANSPORTS)

# Deliberate differences: the query ("*" = any name or type), the transports
# where it shows, a substring of the compare_answers() line, why enumd answers
# as it does, and a query where it must show (test_every_expected_difference_
# still_shows_up fails when it no longer does, so the table cannot go stale).
Expected = collections.namedtuple("Expected", "qname qtype transports diff reason example")
_SOA_ZERO_TTL = ("BIND sets the TTL of the authority SOA to 0 in an NXDOMAIN answer "
                 "to an SOA query (its query_nxdomain(), so that resolvers do not "
                 "cache that SOA as an answer); RFC 2308 §3 says min(SOA TTL, "
                 "MINIMUM) = 120 here, and Knot DNS sends that, as enumd does.")
_EDNS512_MINIMAL = ("BIND leaves out all additional data except referral glue when an "
                    "EDNS client advertises 512 bytes or less (a BIND heuristic against "
                    "truncation); the data is optional (RFC 1034 §4.3.2 step 6, "
                    "RFC 2181 §9) and enumd adds it whenever it fits, as BIND itself "
                    "does for a client without EDNS and the same 512 bytes.")
_REFERRAL_AUTH_ADDRESS = (
    "A referral whose name server is the zone's own data, not glue (a name "
    "above every cut): BIND 9.18 adds only glue to a referral and leaves that "
    "address out; Knot DNS adds it, as enumd does (RFC 1034 §4.3.2 step 6: "
    "the addresses of the name servers the zone holds; it saves the resolver "
    "a query).")
_SOA_DIFF = "authority: features.example. SOA differs"
EXPECTED_DIFFERENCES = [
    Expected(_f("nx"), "SOA", ALL, _SOA_DIFF, _SOA_ZERO_TTL, None),
    Expected(_f("x.2.3.ent"), "SOA", ALL, _SOA_DIFF, _SOA_ZERO_TTL, None),
    Expected(_f("dangling"), "SOA", ALL, _SOA_DIFF, _SOA_ZERO_TTL, None),
    Expected(_p("x.other"), "A", ALL, "additional: only in enumd: ns.parent.example.",
             _REFERRAL_AUTH_ADDRESS, None),
    Expected("*", "*", ("udp+edns512",), "additional: only in enumd", _EDNS512_MINIMAL,
             (_f("1.2.3.4"), "NAPTR")),
]


def expected_for(qname, qtype, transport):
    return [e for e in EXPECTED_DIFFERENCES
            if e.qname in ("*", qname.lower()) and e.qtype in ("*", qtype) and
            transport in e.transports]


def truncated_differences(enumd_msg, bind_msg):
    """For TC answers: compare only what both must agree on."""
    diffs = []
    for what, get in (("rcode", lambda m: dns.rcode.to_text(m.rcode())),
                      ("flag TC", lambda m: bool(m.flags & dns.flags.TC)),
                      ("flag AA", lambda m: bool(m.flags & dns.flags.AA)),
                      ("flag RA", lambda m: bool(m.flags & dns.flags.RA)),
                      ("question", lambda m: [q.to_text() for q in m.question]),
                      ("EDNS", lambda m: m.payload if m.edns >= 0 else None)):
        if get(enumd_msg) != get(bind_msg):
            diffs.append(f"{what}: enumd={get(enumd_msg)} bind={get(bind_msg)}")
    return diffs


class DifferentialTest(unittest.TestCase):
    """One enumd and one named for the whole class."""

    @classmethod
    def setUpClass(cls):
        signdir = tempfile.mkdtemp(prefix="signed-zone-")
        cls.addClassCleanup(shutil.rmtree, signdir, ignore_errors=True)
        zones = ZONES + CUT_ZONES + [
            (SIGNED_ORIGIN, sign_zone(SIGNED_SOURCE, SIGNED_ORIGIN, signdir))]
        cls.enumd = Enumd(zones=zones)
        cls.enumd.start()
        cls.addClassCleanup(cls.enumd.stop)
        cls.bind = Bind(zones=zones, minimal_responses="no-auth")
        cls.bind.start()
        cls.addClassCleanup(cls.bind.stop)

    def differences(self, qname, qtype, transport, **kw):
        """(unexplained diff lines, EXPECTED_DIFFERENCES entries seen, enumd
        answer, BIND answer). Truncated UDP answers are compared by
        truncated_differences() only."""
        a = self.enumd.query(qname, qtype, **kw)
        b = self.bind.query(qname, qtype, **kw)
        if not kw.get("tcp") and a.flags & dns.flags.TC and b.flags & dns.flags.TC:
            return truncated_differences(a, b), [], a, b
        diffs = compare_answers(a, b, names=("enumd", "bind"))
        expected = expected_for(qname, qtype, transport)
        unexplained = [d for d in diffs if not any(e.diff in d for e in expected)]
        explained = [e for e in expected if any(e.diff in d for d in diffs)]
        return unexplained, explained, a, b

    def check_queries(self, queries, transports):
        """Asks every query over each of `transports` ((name, kw) pairs);
        returns the set of (Expected, transport) seen."""
        seen_expected = set()
        for qname, qtype, note in queries:
            for transport, kw in transports:
                with self.subTest(qname=qname, qtype=qtype, transport=transport, note=note):
                    unexplained, explained, a, b = self.differences(qname, qtype, transport, **kw)
                    self.assertEqual(unexplained, [],
                                     f"\n--- enumd ---\n{a.to_text()}\n--- bind ---\n{b.to_text()}")
                    for e in explained:
                        seen_expected.add((e, transport))
        return seen_expected

    def test_playground_queries_match_bind_over_udp(self):
        self.check_queries(PLAYGROUND_QUERIES, TRANSPORTS[:2])

    def test_playground_queries_match_bind_over_tcp(self):
        self.check_queries(PLAYGROUND_QUERIES, TRANSPORTS[2:])

    def test_feature_queries_match_bind_over_udp(self):
        self.check_queries(FEATURE_QUERIES, TRANSPORTS[:2])

    def test_feature_queries_match_bind_over_tcp(self):
        self.check_queries(FEATURE_QUERIES, TRANSPORTS[2:])

    def test_ds_for_a_child_apex_is_answered_from_the_parent_as_by_bind(self):
        self.check_queries(PARENT_SIDE_QUERIES, TRANSPORTS)
        # Not a vacuous agreement: the parent's DS itself, with AA.
        m = self.enumd.query(_p("child"), "DS")
        self.assertTrue(m.flags & dns.flags.AA)
        self.assertEqual([r.rdtype for r in m.answer], [dns.rdatatype.DS], m.to_text())

    def test_signed_zone_rrsig_ttls_match_bind(self):
        self.check_queries(SIGNED_QUERIES, TRANSPORTS)
        # Each RRSIG has its covered RRset's TTL (not one TTL for all).
        m = self.enumd.query(_s("www"), "RRSIG", tcp=True)
        ttls = {dns.rdatatype.to_text(rr.covers): rr.ttl for rr in m.answer}
        self.assertEqual(ttls, {"A": 3600, "TXT": 60, "AAAA": 86400, "NSEC": 300},
                         m.to_text())

    def test_class_any_and_none_get_formerr_as_from_bind(self):
        for qclass in ("ANY", "NONE"):
            transports = [(name, dict(kw, rdclass=qclass)) for name, kw in TRANSPORTS]
            self.check_queries(META_CLASS_QUERIES, transports)
            m = self.enumd.query(_p("www"), "A", rdclass=qclass)
            self.assertEqual(m.rcode(), dns.rcode.FORMERR, m.to_text())

    def test_every_expected_difference_still_shows_up(self):
        transports = dict(TRANSPORTS + SMALL_AND_LARGE_EDNS)
        for e in EXPECTED_DIFFERENCES:
            for transport in e.transports:
                qname, qtype = e.example or (e.qname, e.qtype)
                with self.subTest(qname=qname, qtype=qtype, transport=transport):
                    seen = self.check_queries([Query(qname, qtype, e.reason)],
                                              [(transport, transports[transport])])
                    self.assertIn((e, transport), seen,
                                  "no longer differs: remove it from EXPECTED_DIFFERENCES")

    def test_truncated_udp_answers_agree_on_rcode_and_tc(self):
        # The queries whose UDP answers are truncated are exactly these, for
        # both servers; over TCP they are whole and compared in full above.
        cases = [(_f("8.8.8"), "NAPTR", "udp"), (_f("7.7.7"), "NAPTR", "udp"),
                 (_f("7.7.7"), "NAPTR", "udp+edns"), (_f("9.9.9"), "NAPTR", "udp"),
                 (_f("9.9.9"), "NAPTR", "udp+edns"), (_f("9.9.9"), "ANY", "udp+edns")]
        kws = dict(TRANSPORTS)
        for qname, qtype, transport in cases:
            with self.subTest(qname=qname, qtype=qtype, transport=transport):
                a = self.enumd.query(qname, qtype, **kws[transport])
                b = self.bind.query(qname, qtype, **kws[transport])
                self.assertTrue(a.flags & dns.flags.TC, a.to_text())
                self.assertTrue(b.flags & dns.flags.TC, b.to_text())
                self.assertEqual(truncated_differences(a, b), [])
                # enumd: whole RRsets only, so nothing of the one RRset.
                self.assertEqual(a.answer, [], a.to_text())
        # 8.8.8 fits an EDNS answer of 1232 bytes: no TC from either.
        for server in (self.enumd, self.bind):
            m = server.query(_f("8.8.8"), "NAPTR", use_edns=0, payload=1232)
            self.assertFalse(m.flags & dns.flags.TC, m.to_text())
            self.assertEqual(len(m.answer[0]), 10)

    def test_edns_payload_sizes_512_and_4096_match_bind(self):
        # 512 is the smallest EDNS size; 4096 is capped at 1232 by both.
        queries = [q for q in FEATURE_QUERIES
                   if q.qtype in ("NAPTR", "MX", "NS", "SRV") or "bigdeleg" in q.qname]
        queries += PLAYGROUND_QUERIES[:12]
        self.check_queries(queries, SMALL_AND_LARGE_EDNS)

    def test_rd_set_changes_nothing(self):
        # An authoritative server answers the same with RD=1 (only RD is copied).
        for qname, qtype, _ in PLAYGROUND_QUERIES[:12] + FEATURE_QUERIES[:12]:
            with self.subTest(qname=qname, qtype=qtype):
                unexplained, _, a, b = self.differences(qname, qtype, "udp+edns",
                                                        use_edns=0, payload=1232, rd=True)
                self.assertEqual(unexplained, [])
                self.assertTrue(a.flags & dns.flags.RD)


if __name__ == "__main__":
    unittest.main()
