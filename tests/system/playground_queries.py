"""The queries of the ENUM Playground (seeds/001), as one list for differential
tests: every query is sent to enumd and to BIND serving the same zone, and the
answers must not differ (enumd_harness.compare_answers).

The zone (e164.arpa.db, origin e164.arpa.) holds, besides the apex SOA/NS/A:
  +61355500911..915   1..5.1.9.0.0.5.5.5.3.1.6   single, 50/50, 3-record, order 10/20, regexp
  +61255501x          *.1.0.5.5.5.2.1.6           wildcard, fixed URI
  +61255502x          *.2.0.5.5.5.2.1.6           wildcard, regexp URI
  +61255501234        4.3.2.1.0.5.5.5.2.1.6       exception (order 50) inside the 501 block
  0011 (international) *.1.1.0.0                  wildcard

The exception is not the override the seed describes: its empty non-terminals
2.1.0.5.5.5.2.1.6 and 3.2.1.0.5.5.5.2.1.6 exist, so by RFC 4592 §2.2.1 every
other number under +612555012 is NXDOMAIN instead of matching *.1.0.5.5.5.2.1.6
(BIND 9.18 answers exactly that). The seed's own exception example,
5.4.3.2.0.5.5.5.2.1.6 (order 50), is not in the zone file: it gets the
*.2.0.5.5.5.2.1.6 answer.

Each entry: Query(qname, qtype, note); qtype is a type mnemonic.
"""

import collections
import os

ORIGIN = "e164.arpa."

_HERE = os.path.dirname(os.path.abspath(__file__))
_ZONE_CANDIDATES = (
    os.environ.get("ENUMD_PLAYGROUND_ZONE", ""),
    os.path.join(_HERE, "..", "..", "zones", "playground", "e164.arpa.db"),
    os.path.join(_HERE, "..", "..", "..", "shared", "data", "enum-playground", "e164.arpa.db"),
)
# The playground zone file: $ENUMD_PLAYGROUND_ZONE, else the repo's copy in
# zones/playground/, else the shared original.
ZONE_FILE = next(os.path.abspath(p) for p in _ZONE_CANDIDATES if p and os.path.exists(p))

Query = collections.namedtuple("Query", "qname qtype note")

_N = "0.0.5.5.5.3.1.6.e164.arpa."  # +6135550091x without its last two digits
_B1 = "1.0.5.5.5.2.1.6.e164.arpa."  # +61255501 block (wildcard, fixed URI)
_B2 = "2.0.5.5.5.2.1.6.e164.arpa."  # +61255502 block (wildcard, regexp URI)
_INTL = "1.1.0.0.e164.arpa."        # 0011 international prefix

PLAYGROUND_QUERIES = [
    # --- apex -----------------------------------------------------------------
    Query("e164.arpa.", "SOA", "apex SOA"),
    Query("e164.arpa.", "NS", "apex NS; BIND adds the in-zone A of the NS target"),
    Query("e164.arpa.", "A", "apex A 127.0.0.1"),
    Query("e164.arpa.", "TXT", "NODATA at the apex: SOA in authority"),
    Query("e164.arpa.", "NAPTR", "NODATA at the apex"),
    Query("e164.arpa.", "AAAA", "NODATA at the apex, a type the NS target lacks"),
    Query("e164.arpa.", "ANY", "ANY at the apex: SOA, NS and A"),
    Query("E164.ARPA.", "SOA", "upper-case apex"),
    Query("ns.e164.arpa.", "A", "the SOA MNAME has no records: NXDOMAIN"),

    # --- specific numbers +6135550091x -----------------------------------------
    Query("1.1.9." + _N, "NAPTR", "+61355500911 single record, no replacement"),
    Query("2.1.9." + _N, "NAPTR", "+61355500912 50/50 pair (order 10, pref 100 twice)"),
    Query("3.1.9." + _N, "NAPTR", "+61355500913 three records 25/25/50 (pref 100/100/200)"),
    Query("4.1.9." + _N, "NAPTR", "+61355500914 failover pair, order 10 then 20"),
    Query("5.1.9." + _N, "NAPTR", r"+61355500915 regexp with a \1 back-reference"),
    Query("6.1.9." + _N, "NAPTR", "+61355500916 not provisioned, no wildcard: NXDOMAIN"),
    Query("1.1.9." + _N, "A", "NODATA: A at a NAPTR-only name"),
    Query("1.1.9." + _N, "TXT", "NODATA: TXT at a NAPTR-only name"),
    Query("1.1.9." + _N, "ANY", "ANY at a number: its NAPTR RRset"),
    Query("3.1.9." + _N, "ANY", "ANY at a three-record number"),
    Query("1.1.9.0.0.5.5.5.3.1.6.E164.ARPA.", "NAPTR", "mixed case: question echoed as sent"),
    Query("2.1.9.0.0.5.5.5.3.1.6.e164.ARPA.", "NAPTR", "mixed case, two-record set"),
    Query("1.9." + _N, "NAPTR", "empty non-terminal above the numbers: NODATA"),
    Query("0.5.5.5.3.1.6.e164.arpa.", "NAPTR", "empty non-terminal: NODATA"),
    Query("6.e164.arpa.", "NAPTR", "empty non-terminal near the apex: NODATA"),
    Query("9.9.1.1.9." + _N, "NAPTR", "below a leaf number (overlong): NXDOMAIN"),

    # --- wildcard *.1.0.5.5.5.2.1.6 (+61255501x, fixed URI) -------------------
    Query("0.0.0." + _B1, "NAPTR", "+61255501000 synthesised from *.1.0.5.5.5.2.1.6"),
    Query("9.9.9." + _B1, "NAPTR", "+61255501999 synthesised"),
    Query("5." + _B1, "NAPTR", "+612555015 short number: one label below the wildcard"),
    Query("9.9.9.9.9.9.0.0.0." + _B1, "NAPTR", "overlong number: wildcards match any depth"),
    Query("0.0.0." + _B1, "AAAA", "wildcard NODATA: name matched, type absent"),
    Query("0.0.0." + _B1, "ANY", "ANY synthesised from a wildcard"),
    Query("0.0.0.1.0.5.5.5.2.1.6.E164.ARPA.", "NAPTR", "mixed-case wildcard match"),
    Query(_B1, "NAPTR", "the wildcard's parent is an empty non-terminal: NODATA"),
    Query("*." + _B1, "NAPTR", "literal '*' label: the wildcard record itself"),
    Query("*." + _B1, "A", "literal '*' label, absent type: NODATA"),
    Query("9.*." + _B1, "NAPTR", "below the wildcard owner: *.*.1.0... absent, NXDOMAIN"),

    # --- the exception 4.3.2.1.0.5.5.5.2.1.6 and what it blocks ----------------
    Query("4.3.2." + _B1, "NAPTR", "+61255501234 specific record (order 50) beats the wildcard"),
    Query("4.3.2." + _B1, "A", "NODATA at the specific record"),
    Query("5.3.2." + _B1, "NAPTR",
          "+61255501235: ENT 3.2.1.0... is the closest encloser, no *.3.2.1.0...: NXDOMAIN"),
    Query("3.2." + _B1, "NAPTR", "empty non-terminal made by the exception: NODATA"),
    Query("2." + _B1, "NAPTR", "empty non-terminal made by the exception: NODATA"),
    Query("9.2." + _B1, "NAPTR", "+612555012 range lost the wildcard: NXDOMAIN"),
    Query("0.0.9.2." + _B1, "NAPTR", "+61255501200 (seed says wildcard): NXDOMAIN"),
    Query("0.4.3.2." + _B1, "NAPTR", "below the exception, no wildcard there: NXDOMAIN"),

    # --- wildcard *.2.0.5.5.5.2.1.6 (+61255502x, regexp URI) ------------------
    Query("0.0.0." + _B2, "NAPTR", "+61255502000 seed example, regexp from the wildcard"),
    Query("5.4.3." + _B2, "NAPTR",
          "+61255502345: the seed shows order 50 here, the zone has no such record"),
    Query("1." + _B2, "NAPTR", "+612555021 short number, synthesised"),
    Query("*." + _B2, "NAPTR", "literal '*' label of the second block"),
    Query(_B2, "NAPTR", "parent of the wildcard: empty non-terminal, NODATA"),

    # --- international wildcard *.1.1.0.0 ---------------------------------------
    Query("4.4." + _INTL, "NAPTR", "0011 44: synthesised from *.1.1.0.0"),
    Query("1.2.3.4.5.6.7.8.9.4.4." + _INTL, "NAPTR", "long international number"),
    Query("*." + _INTL, "NAPTR", "literal '*' of the international wildcard"),
    Query(_INTL, "NAPTR", "1.1.0.0 is an empty non-terminal: NODATA"),
    Query("0.0.e164.arpa.", "NAPTR", "empty non-terminal: NODATA"),
    Query("2.1.0.0.e164.arpa.", "NAPTR", "no *.1.0.0 wildcard: NXDOMAIN"),

    # --- other NXDOMAIN names ---------------------------------------------------
    Query("9.e164.arpa.", "NAPTR", "unused country code: NXDOMAIN"),
    Query("1.1.1.1.1.1.1.1.1.1.1.e164.arpa.", "NAPTR", "unrelated number: NXDOMAIN"),
    Query("foo.e164.arpa.", "NAPTR", "non-digit label: NXDOMAIN"),
    Query("9.9.9.e164.arpa.", "A", "NXDOMAIN for a non-NAPTR type"),

    # --- outside every served zone ----------------------------------------------
    Query("example.com.", "NAPTR", "outside the zone: REFUSED, AA clear"),
    Query("example.com.", "A", "outside the zone: REFUSED"),
    Query("arpa.", "SOA", "parent of the zone: REFUSED"),
    Query(".", "NS", "root: REFUSED"),
    Query("e164.arpa.com.", "NAPTR", "suffix look-alike: REFUSED"),
    Query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.example.", "NAPTR", "zone name as a prefix: REFUSED"),
]
