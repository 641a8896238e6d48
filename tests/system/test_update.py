"""Issue 19: RFC 2136 UPDATE with TSIG against the running enumd, at the
user's level.

  - Differential: one nsupdate script (TSIG-signed) run step by step against
    BIND 9 and enumd serving the same playground zone with the same key and
    serial policy; every step's rcode must agree, and after every step every
    name of either zone (and names probing wildcards and empty
    non-terminals) must be answered alike.
  - Bad input: malformed UPDATE messages over UDP and TCP, TSIG failures
    and updates without a key, sent to both servers: the same rcode (or the
    same silence), the server still answering, the zone unchanged.
  - Durability: enumd killed with SIGKILL at random moments during a stream
    of updates from two clients; after each restart every update answered
    NOERROR is there, and the SOA serial counts exactly the transactions
    applied (10 rounds; 100 with ENUMD_LONG_TESTS=1).
  - Read-your-writes: after each NOERROR, a query on another socket (UDP and
    TCP) sees the change; checker threads never see half of a transaction.
"""

import concurrent.futures
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.exception
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.wire

from enumd_harness import HOST, compare_answers, make_query
from playground_queries import ZONE_FILE
from update_support import (ORIGIN, TsigKeyFile, UpdatableBind, UpdatableEnumd, nsupdate,
                            send_update, signed_update)

LONG = os.environ.get("ENUMD_LONG_TESTS") == "1"

N = "0.0.5.5.5.3.1.6.e164.arpa."    # +6135550091x without its last two digits
B1 = "1.0.5.5.5.2.1.6.e164.arpa."   # the +61255501 wildcard block
B2 = "2.0.5.5.5.2.1.6.e164.arpa."   # the +61255502 wildcard block


def naptr(user, order=10):
    return f'{order} 100 "u" "E2U+sip" "!^.*$!sip:{user}@example.net!" .'


class KeyedTestCase(unittest.TestCase):
    """One TSIG key (tsig-keygen, hmac-sha256) per test class."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("nsupdate") or not shutil.which("tsig-keygen"):
            raise unittest.SkipTest("nsupdate/tsig-keygen missing (bind9-dnsutils, bind9)")
        cls.tmp = tempfile.mkdtemp(prefix="update-test-")
        cls.key = TsigKeyFile(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


# --- 1. differential: the same nsupdate script against BIND and enumd ------------

# Each step: (what it checks, nsupdate commands). Names are absolute. The
# rcode of every step is compared, then the answers for every name.
SCRIPT = [
    ("a new number three labels below its nearest existing ancestor: two empty "
     "non-terminals appear",
     f'update add 7.7.7.7.0.5.5.5.3.1.6.e164.arpa. 300 NAPTR {naptr("new")}'),
    ("prerequisite 'name not in use' on a used name: YXDOMAIN, nothing added",
     f"prereq nxdomain 1.1.9.{N}\nupdate add 1.1.9.{N} 300 TXT \"no\""),
    ("prerequisite 'name in use' on an absent name: NXDOMAIN",
     f"prereq yxdomain 8.8.9.{N}\nupdate add 8.8.9.{N} 300 TXT \"no\""),
    ("an empty non-terminal is not in use (RFC 2136 §2.4.4): NXDOMAIN",
     "prereq yxdomain 7.7.0.5.5.5.3.1.6.e164.arpa.\n"
     "update add 7.7.0.5.5.5.3.1.6.e164.arpa. 300 TXT \"no\""),
    ("'name not in use' holds at an empty non-terminal, which then gets data",
     "prereq nxdomain 7.7.7.0.5.5.5.3.1.6.e164.arpa.\n"
     "update add 7.7.7.0.5.5.5.3.1.6.e164.arpa. 300 TXT \"ent now data\""),
    ("replace an RRset under 'RRset exists'",
     f"prereq yxrrset 1.1.9.{N} NAPTR\nupdate delete 1.1.9.{N} NAPTR\n"
     f"update add 1.1.9.{N} 600 NAPTR {naptr('replaced')}"),
    ("'RRset exists' for a type the name lacks: NXRRSET",
     f"prereq yxrrset 2.1.9.{N} TXT\nupdate delete 2.1.9.{N}"),
    ("'RRset does not exist' for a type the name has: YXRRSET",
     f"prereq nxrrset 2.1.9.{N} NAPTR\nupdate delete 2.1.9.{N}"),
    ("value-dependent prerequisite (RFC 2136 §2.4.2) with the whole RRset, "
     "then one record of the pair deleted",
     f'prereq yxrrset 4.1.9.{N} NAPTR 10 100 "u" "E2U+sip" '
     '"!^.*$!sip:61355500912@firstchoice.enum.nickvsnetworking.com!" .\n'
     f'prereq yxrrset 4.1.9.{N} NAPTR 20 100 "u" "E2U+sip" '
     '"!^.*$!sip:61355500912@secondchoice.enum.nickvsnetworking.com!" .\n'
     f'update delete 4.1.9.{N} NAPTR 20 100 "u" "E2U+sip" '
     '"!^.*$!sip:61355500912@secondchoice.enum.nickvsnetworking.com!" .'),
    ("value-dependent prerequisite naming one record of a two-record RRset: NXRRSET",
     f'prereq yxrrset 2.1.9.{N} NAPTR 10 100 "u" "E2U+sip" '
     '"!^.*$!sip:61355500912@server1.enum.nickvsnetworking.com!" .\n'
     f"update delete 2.1.9.{N} NAPTR"),
    ("one record deleted from a pair; a record added with another TTL sets the "
     "RRset's TTL",
     f'update delete 2.1.9.{N} NAPTR 10 100 "u" "E2U+sip" '
     '"!^.*$!sip:61355500912@server1.enum.nickvsnetworking.com!" .\n'
     f'update add 3.1.9.{N} 60 NAPTR {naptr("fourth", 30)}'),
    ("a record that is already there: no change, no new serial",
     f'update add 5.1.9.{N} 3600 NAPTR 10 100 "u" "E2U+sip" '
     '"!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .'),
    ("deleting what is not there: NOERROR, no change",
     f'update delete 5.1.9.{N} NAPTR {naptr("absent")}\n'
     f"update delete 9.9.9.9.{N} TXT"),
    ("a CNAME beside other data is ignored (RFC 2136 §3.4.2.2)",
     f"update add 5.1.9.{N} 300 CNAME 1.1.9.{N}"),
    ("a CNAME at a new name, then data beside it is ignored, then a second "
     "CNAME replaces the first",
     f"update add 6.1.9.{N} 300 CNAME 1.1.9.{N}\n"
     f'update add 6.1.9.{N} 300 NAPTR {naptr("beside")}\n'
     f"update add 6.1.9.{N} 300 CNAME 2.1.9.{N}"),
    ("an SOA with a greater serial is taken as it is",
     "update add e164.arpa. 3600 SOA ns.e164.arpa. root.e164.arpa. 2009011000 3600 3600 "
     "3600 600"),
    ("an SOA with a smaller serial and deleting the SOA are ignored",
     "update add e164.arpa. 3600 SOA ns.e164.arpa. root.e164.arpa. 2009010001 7200 3600 "
     "3600 600\nupdate delete e164.arpa. SOA"),
    ("deleting the apex NS RRset is ignored; deleting the address of the apex's "
     "own name server (e164.arpa. NS e164.arpa.) is REFUSED, whole: BIND's "
     "post-update name server check",
     "update delete e164.arpa. NS\nupdate delete e164.arpa. A"),
    ("a second apex NS added with its address, the first deleted, then "
     "deleting the last is ignored",
     "update add e164.arpa. 3600 NS ns2.e164.arpa.\n"
     "update add ns2.e164.arpa. 3600 A 192.0.2.2\n"
     "update delete e164.arpa. NS e164.arpa.\n"
     "update delete e164.arpa. NS ns2.e164.arpa."),
    ("the name server's last address deleted: REFUSED",
     "update delete ns2.e164.arpa. A"),
    ("the apex is no name server any more: its A may go",
     "update delete e164.arpa. A"),
    ("delete every RRset at the apex (class ANY, type ANY): SOA and NS stay",
     "update add e164.arpa. 300 TXT \"apex text\"\nupdate delete e164.arpa."),
    ("an exception under the +61255502 wildcard: its empty non-terminals hide "
     "the wildcard from its siblings (RFC 4592 §2.2.1)",
     f'update add 5.4.3.{B2} 300 NAPTR {naptr("exception", 50)}'),
    ("the playground's exception deleted: its empty non-terminals go and the "
     "+61255501 wildcard answers under them again",
     f"update delete 4.3.2.{B1}"),
    ("a new wildcard; an existing wildcard deleted",
     f'update add *.3.0.5.5.5.2.1.6.e164.arpa. 300 NAPTR {naptr("wild3", 100)}\n'
     "update delete *.1.1.0.0.e164.arpa. NAPTR"),
    ("NS at a wildcard name",
     "update add *.9.9.e164.arpa. 300 NS ns.example."),
    ("a delegation with glue below the apex hides a number under it",
     f'update add 1.2.3.4.5.5.5.7.1.6.e164.arpa. 300 NAPTR {naptr("under-cut")}\n'
     "update add 5.5.5.7.1.6.e164.arpa. 300 NS ns.5.5.5.7.1.6.e164.arpa.\n"
     "update add ns.5.5.5.7.1.6.e164.arpa. 300 A 192.0.2.57"),
    ("the delegation removed: the number answers again",
     "update delete 5.5.5.7.1.6.e164.arpa. NS"),
    ("several record types at one number, owner in upper case",
     f"update add 8.1.9.{N.upper()} 300 TXT \"carrier=42\"\n"
     f"update add 8.1.9.{N} 300 A 192.0.2.8\n"
     f"update add 8.1.9.{N} 300 AAAA 2001:db8::8\n"
     f"update add 8.1.9.{N} 300 URI 10 1 \"sip:8@example.net\""),
    ("a whole name deleted (class ANY, type ANY)",
     f"update delete 3.1.9.{N}"),
    ("the deep number deleted: the empty non-terminal above it with data stays",
     "update delete 7.7.7.7.0.5.5.5.3.1.6.e164.arpa. NAPTR"),
    ("its data deleted too: the branch is pruned to the nearest existing name",
     "update delete 7.7.7.0.5.5.5.3.1.6.e164.arpa. TXT"),
    ("a transaction of several names under a prerequisite that holds",
     f"prereq yxdomain 1.1.9.{N}\nprereq nxrrset 1.1.9.{N} TXT\n"
     f'update add 1.1.9.{N} 300 TXT "moved"\n'
     f'update add 6.6.6.{N} 300 NAPTR {naptr("six")}\n'
     f"update delete 5.1.9.{N} NAPTR\n"
     f"update delete 6.1.9.{N} CNAME"),
    ("an update outside the zone: NOTZONE, nothing of it applied",
     f'update add 9.9.9.{N} 300 TXT "no"\nupdate add 1.example. 300 TXT "no"'),
    ("a failing prerequisite after others that hold: nothing applied",
     f"prereq yxdomain 1.1.9.{N}\nprereq yxrrset 6.6.6.{N} NAPTR\n"
     f"prereq nxdomain 6.6.6.{N}\n"
     f"update delete 1.1.9.{N}"),
]

# Types asked for every name after every step, and at the end.
STEP_TYPES = ("ANY", "NAPTR")
FINAL_TYPES = ("SOA", "NS", "A", "AAAA", "TXT", "NAPTR", "CNAME", "URI", "ANY")


def script_names():
    """Every owner the script names, every ancestor of those in the zone,
    and a child of each (wildcard and empty non-terminal probes)."""
    names = set()
    origin = dns.name.from_text(ORIGIN)
    for _, block in SCRIPT:
        for line in block.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] in ("update", "prereq"):
                n = dns.name.from_text(words[2])
                while n.is_subdomain(origin):
                    names.add(n.to_text().lower())
                    if n == origin:
                        break
                    n = n.parent()
    probes = set()
    for n in names:
        base = n[2:] if n.startswith("*.") else n
        probes.add("9." + base)
    return names | probes


def zone_names_bind(bind):
    """The owners of BIND's zone (AXFR)."""
    msgs = dns.query.xfr(HOST, ORIGIN, port=bind.port, timeout=5)
    out = set()
    for m in msgs:
        for rrset in m.answer:
            out.add(rrset.name.to_text().lower())
    return out


class DifferentialUpdateTest(KeyedTestCase):
    """The same nsupdate script against BIND 9 and enumd.

    Deliberate differences: none. This test found two (fixed in enumd):
    an NS at a wildcard name was REFUSED where BIND ignores it, and enumd
    lacked BIND's post-update name server check."""

    def compare_all(self, enumd, bind, names, types, step, tcp=False):
        def compare(question):
            name, qtype = question
            a = enumd.query(name, qtype, tcp=tcp)
            b = bind.query(name, qtype, tcp=tcp)
            return [f"{name} {qtype}: {d}" for d in compare_answers(a, b, names=("enumd", "bind"))]
        questions = [(name, qtype) for name in sorted(names) for qtype in types]
        # Queries in parallel: the servers wait for nothing, the test for
        # round trips (~1 ms each, 500 per step).
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            diffs = [d for found in pool.map(compare, questions) for d in found]
        self.assertEqual(diffs, [], f"after step {step!r}:\n" + "\n".join(diffs[:40]))

    def test_nsupdate_script_matches_bind_step_by_step(self):
        with UpdatableEnumd(self.key, ZONE_FILE) as enumd, \
                UpdatableBind(self.key, ZONE_FILE) as bind:
            base_names = script_names() | zone_names_bind(bind)
            rcodes = []
            for i, (what, block) in enumerate(SCRIPT):
                with self.subTest(step=i, what=what):
                    got = nsupdate(enumd.port, self.key.path, block, tcp=i % 2 == 1)
                    want = nsupdate(bind.port, self.key.path, block, tcp=i % 2 == 0)
                    rcodes.append(want)
                    self.assertEqual(got, want, f"step {i}: {what}\n{block}")
                    names = base_names | zone_names_bind(bind)
                    self.compare_all(enumd, bind, names, STEP_TYPES, what)
            names = base_names | zone_names_bind(bind)
            self.compare_all(enumd, bind, names, FINAL_TYPES, "the end")
            self.compare_all(enumd, bind, names, ("NAPTR", "ANY"), "the end, TCP", tcp=True)
            # The script exercises failures and ignored changes, not only
            # successes: a test that only ever saw NOERROR would prove little.
            for rcode in ("NOERROR", "YXDOMAIN", "NXDOMAIN", "NXRRSET", "YXRRSET", "NOTZONE",
                          "REFUSED"):
                self.assertIn(rcode, rcodes)


POLICY = [
    "deny update-key. name 9.9.3.1.6.e164.arpa. ANY",
    "grant update-key. subdomain 3.1.6.e164.arpa. ANY",
    "grant update-key. wildcard *.1.6.e164.arpa. NAPTR",
    "grant update-key. zonesub TXT",
    "grant other-key. name 7.7.1.6.e164.arpa. NAPTR",
    "grant update-key. subdomain 4.1.6.e164.arpa.",
]

# (key, what it checks, nsupdate commands) under POLICY.
POLICY_SCRIPT = [
    ("update", "wildcard rule: a name below *.1.6", f"update add 1.2.1.6.e164.arpa. 300 NAPTR {naptr('w')}"),
    ("update", "wildcard rule: not the name itself", f"update add 1.6.e164.arpa. 300 NAPTR {naptr('w')}"),
    ("update", "zonesub TXT anywhere", 'update add 5.5.e164.arpa. 300 TXT "zonesub"'),
    ("update", "no rule for A under the wildcard", "update add 1.2.1.6.e164.arpa. 300 A 192.0.2.1"),
    ("update", "subdomain ANY: below and at the name",
     "update add 5.3.1.6.e164.arpa. 300 A 192.0.2.5\nupdate add 3.1.6.e164.arpa. 300 A 192.0.2.3"),
    ("update", "ANY covers NS too, as BIND reads it",
     "update add 5.3.1.6.e164.arpa. 300 NS ns.example."),
    ("update", "a rule without types: not NS", "update add 5.4.1.6.e164.arpa. 300 NS ns.example."),
    # (Also DS, DNSKEY, CDS for BIND; not tried here: BIND keeps a DS
    # outside a cut but answers NXDOMAIN for its name, a query-side quirk.)
    ("update", "a rule without types: A, TXT, NAPTR",
     "update add 5.4.1.6.e164.arpa. 300 A 192.0.2.54\n"
     'update add 5.4.1.6.e164.arpa. 300 TXT "t"\n'
     f"update add 6.4.1.6.e164.arpa. 300 NAPTR {naptr('n')}"),
    ("update", "deny before grant: the first match wins",
     "update add 9.9.3.1.6.e164.arpa. 300 A 192.0.2.9"),
    ("update", "one refused record refuses the whole update",
     f"update add 2.2.1.6.e164.arpa. 300 NAPTR {naptr('x')}\n"
     "update add 2.2.1.6.e164.arpa. 300 A 192.0.2.2"),
    ("update", "deleting an RRset the rules grant", "update delete 1.2.1.6.e164.arpa. NAPTR"),
    ("update", "deleting every RRset of a name under subdomain ANY",
     "update delete 5.3.1.6.e164.arpa."),
    ("update", "deleting every RRset of a name that held nothing before the update",
     f"update add 3.2.1.6.e164.arpa. 300 NAPTR {naptr('y')}\nupdate delete 3.2.1.6.e164.arpa."),
    ("update", "deleting every RRset of a name whose types are all granted",
     'update add 4.2.1.6.e164.arpa. 300 TXT "t"\n'
     f"update add 4.2.1.6.e164.arpa. 300 NAPTR {naptr('z')}"),
    ("update", "... (that name's delete)", "update delete 4.2.1.6.e164.arpa."),
    ("update", "deleting every RRset of the apex, whose A no rule grants",
     "update delete e164.arpa."),
    ("update", "the SOA is not TXT", "update add e164.arpa. 3600 SOA ns.e164.arpa. "
     "root.e164.arpa. 2009011999 3600 3600 3600 600"),
    ("other", "another key's own name rule", f"update add 7.7.1.6.e164.arpa. 300 NAPTR {naptr('o')}"),
    ("other", "and nothing else for it", f"update add 8.7.1.6.e164.arpa. 300 NAPTR {naptr('o')}"),
]


class PolicyUpdateTest(KeyedTestCase):
    """BIND's update-policy and enumd's `update.policy`, the same rules:
    every update's rcode and the resulting answers agree."""

    def test_update_policy_matches_bind(self):
        other = TsigKeyFile(self.tmp, name="other-key.")
        both = os.path.join(self.tmp, "both.keys")
        with open(both, "w") as f:
            for k in (self.key, other):
                with open(k.path) as src:
                    f.write(src.read())
        servers_key = TsigKeyFile.__new__(TsigKeyFile)  # both keys, named as update-key
        servers_key.__dict__.update(self.key.__dict__, path=both)
        policy = {"update": {"policy": POLICY}}
        with UpdatableEnumd(servers_key, ZONE_FILE, zone_settings=policy) as enumd, \
                UpdatableBind(servers_key, ZONE_FILE, policy=POLICY) as bind:
            rcodes = []
            for key_name, what, block in POLICY_SCRIPT:
                key = self.key if key_name == "update" else other
                with self.subTest(what=what):
                    got = nsupdate(enumd.port, key.path, block)
                    want = nsupdate(bind.port, key.path, block)
                    rcodes.append(want)
                    self.assertEqual(got, want, f"{what}\n{block}")
            names = script_names() | zone_names_bind(bind) | {
                n for _, _, block in POLICY_SCRIPT for n in
                (line.split()[2] for line in block.splitlines())}
            DifferentialUpdateTest.compare_all(self, enumd, bind, names, ("ANY", "NAPTR"),
                                               "the policy script")
            self.assertIn("REFUSED", rcodes)
            self.assertIn("NOERROR", rcodes)


# --- 2. bad input: malformed and badly signed UPDATEs --------------------------

def wire_name(text):
    return dns.name.from_text(text).canonicalize().to_wire()


def record(owner, rdtype, rdclass=1, ttl=0, rdata=b""):
    """One resource record in wire form; owner as text or wire bytes."""
    name = owner if isinstance(owner, bytes) else wire_name(owner)
    return name + struct.pack("!HHIH", rdtype, rdclass, ttl, len(rdata)) + rdata


def update_message(zone=(ORIGIN, dns.rdatatype.SOA, 1), prereqs=(), updates=(), counts=None,
                   msg_id=None, flags=None):
    """A raw UPDATE: header, zone section, prerequisites, updates. `counts`
    (ZOCOUNT, PRCOUNT, UPCOUNT, ADCOUNT) replaces the true counts."""
    zones = [zone] if isinstance(zone, tuple) else list(zone)
    body = b"".join(wire_name(z) + struct.pack("!HH", t, c) for z, t, c in zones)
    body += b"".join(prereqs) + b"".join(updates)
    true_counts = (len(zones), len(prereqs), len(updates), 0)
    header = struct.pack("!HH4H", random.randrange(65536) if msg_id is None else msg_id,
                         dns.opcode.UPDATE << 11 if flags is None else flags,
                         *(counts or true_counts))
    return header + body


def tsig_sign(message, key_name, secret, now=None, fudge=300):
    """Appends a TSIG RR (RFC 8945, hmac-sha256) to a raw message, whatever
    the message says: written here rather than by dnspython, which signs only
    messages it can build."""
    import base64
    import hashlib
    import hmac
    now = int(time.time()) if now is None else now
    key = wire_name(key_name)
    alg = wire_name("hmac-sha256.")
    when = struct.pack("!HIH", now >> 32, now & 0xFFFFFFFF, fudge)
    variables = key + struct.pack("!HI", 255, 0) + alg + when + struct.pack("!HH", 0, 0)
    mac = hmac.new(base64.b64decode(secret), message + variables, hashlib.sha256).digest()
    rdata = alg + when + struct.pack("!H", len(mac)) + mac + message[:2] + struct.pack("!HH", 0, 0)
    arcount = struct.unpack("!H", message[10:12])[0] + 1
    signed = message[:10] + struct.pack("!H", arcount) + message[12:]
    return signed + record(key, dns.rdatatype.TSIG, 255, 0, rdata)


TSIG_ERRORS = {0: "NOERROR", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC"}


def reply_summary(reply):
    """(rcode name, TSIG error name or None) of a raw reply; None for no reply."""
    if reply is None:
        return None
    rcode = dns.rcode.to_text(reply[3] & 0xF)
    tsig_error = None
    try:
        counts = struct.unpack("!4H", reply[4:12])
        p = dns.wire.Parser(reply, 12)
        for _ in range(counts[0]):
            p.get_name()
            p.get_struct("!HH")
        for _ in range(sum(counts[1:])):
            p.get_name()
            rdtype, _, _, rdlen = p.get_struct("!HHIH")
            end = p.current + rdlen
            if rdtype == dns.rdatatype.TSIG:
                p.get_name()
                p.get_struct("!HIH")
                (mac_size,) = p.get_struct("!H")
                p.get_bytes(mac_size)
                _, error, _ = p.get_struct("!HHH")
                tsig_error = TSIG_ERRORS.get(error, str(error))
            p.seek(end)
    except Exception:  # a reply we cannot walk: compare the rcode only
        pass
    return rcode, tsig_error


NEW = "1.2.3.9.9.5.5.5.3.1.6.e164.arpa."  # what the bad updates try to add


def add_new(name=NEW, rdtype=dns.rdatatype.TXT, rdclass=1, ttl=300, rdata=b"\x03bad"):
    return record(name, rdtype, rdclass, ttl, rdata)


class BadInputTest(KeyedTestCase):
    """Malformed and badly signed UPDATEs, each sent to BIND and enumd over
    UDP and TCP: both must answer the same rcode and TSIG error (or both
    stay silent), keep answering, and leave the zone as it was.

    Deliberate difference: an RRset grown past what enumd can serve (65,535
    bytes in a message) is refused with SERVFAIL; BIND 9.18 refuses, with
    the same SERVFAIL, any RRset past 100 records (max-records-per-type, a
    denial-of-service limit of its own; Knot has none). The test uses an
    RRset that is over both limits."""

    def signed(self, message, **kw):
        return tsig_sign(message, self.key.name, self.key.secret, **kw)

    def cases(self):
        """(what, message[, difference]): a difference is (enumd's answer,
        BIND's answer, why) where they deliberately differ."""
        ok_update = add_new()
        valid = update_message(updates=[ok_update])
        valid_signed = self.signed(valid)
        other_key = "c3RyYW5nZXJzZWNyZXRzdHJhbmdlcnNlY3JldHN0cmFuZ2Vy"
        tampered = bytearray(valid_signed)
        tampered[-30] ^= 0x01  # a byte of the MAC
        yield "a valid signed update cut inside the update section", valid_signed[:40]
        yield "a header only, 8 bytes", valid[:8]
        yield "UPCOUNT one more than present", self.signed(
            update_message(updates=[ok_update], counts=(1, 0, 2, 0)))
        yield "ARCOUNT says 2, one TSIG present", (
            valid_signed[:10] + struct.pack("!H", 2) + valid_signed[12:])
        yield "two zones in the zone section", self.signed(update_message(
            zone=[(ORIGIN, 6, 1), ("example.", 6, 1)], updates=[ok_update]))
        yield "no zone section", self.signed(update_message(zone=[], updates=[ok_update]))
        yield "zone type A instead of SOA", self.signed(
            update_message(zone=(ORIGIN, dns.rdatatype.A, 1), updates=[ok_update]))
        yield "zone class CH", self.signed(update_message(
            zone=(ORIGIN, 6, 3), updates=[ok_update])), (
            ("NOTAUTH", "NOERROR"), ("NOTIMP", "NOERROR"),
            "BIND hands class CH to its built-in _bind view, which takes no updates "
            "(NOTIMP); enumd has no views and serves e164.arpa. in class IN only, so "
            "it is not authoritative for this zone: NOTAUTH (RFC 2136 §3.1.2)")
        yield "zone class HS", self.signed(update_message(
            zone=(ORIGIN, 6, 4), updates=[ok_update])), (
            ("NOTAUTH", "NOERROR"), ("REFUSED", "BADKEY"),
            "BIND has no view of class HS, so no keys either (REFUSED, BADKEY); enumd "
            "verifies the key, then answers NOTAUTH as for any zone it does not serve")
        yield "a zone not served", self.signed(update_message(
            zone=("example.", 6, 1), updates=[add_new("a.example.")]))
        yield "prerequisite of class CH", self.signed(update_message(
            prereqs=[record(NEW, dns.rdatatype.ANY, 3)], updates=[ok_update]))
        yield "prerequisite with TTL 300", self.signed(update_message(
            prereqs=[record(NEW, dns.rdatatype.ANY, 254, 300)], updates=[ok_update]))
        yield "prerequisite 'RRset exists' with RDATA", self.signed(update_message(
            prereqs=[record(NEW, dns.rdatatype.TXT, 255, 0, b"\x01x")], updates=[ok_update]))
        yield "prerequisite outside the zone", self.signed(update_message(
            prereqs=[record("a.example.", dns.rdatatype.ANY, 254)], updates=[ok_update]))
        yield "an update outside the zone after a good one", self.signed(update_message(
            updates=[ok_update, add_new("1.example.")]))
        yield "an update of class CH", self.signed(update_message(
            updates=[add_new(rdclass=3)]))
        yield "a delete (class ANY) with TTL 300", self.signed(update_message(
            updates=[ok_update, record(NEW, dns.rdatatype.TXT, 255, 300)]))
        yield "a delete (class ANY) with RDATA", self.signed(update_message(
            updates=[ok_update, record(NEW, dns.rdatatype.TXT, 255, 0, b"\x01x")]))
        yield "an add of type AXFR", self.signed(update_message(
            updates=[add_new(rdtype=dns.rdatatype.AXFR)]))
        yield "a TXT whose RDATA overruns itself", self.signed(update_message(
            updates=[add_new(rdata=b"\x09abc")])), (
            ("FORMERR", "NOERROR"), ("FORMERR", None),
            "BIND checks every record's RDATA while parsing, before the TSIG, and "
            "answers unsigned; enumd checks RDATA (its import rules) after verifying "
            "the key, so its FORMERR is signed and the client can trust it")
        at = 12 + len(wire_name(ORIGIN)) + 4  # where the update's owner starts
        yield "a compression loop in an owner", self.signed(update_message(
            updates=[struct.pack("!H", 0xC000 | at) + ok_update[len(wire_name(NEW)):]]))
        yield "QR set: a response, never answered", self.signed(update_message(
            updates=[ok_update], flags=0x8000 | dns.opcode.UPDATE << 11))
        yield "signed with an unknown key", tsig_sign(valid, "stranger.", other_key)
        yield "a changed MAC", bytes(tampered)
        yield "signed 20 minutes ago (BADTIME)", self.signed(valid, now=int(time.time()) - 1200)
        yield "signed 20 minutes ahead (BADTIME)", self.signed(valid,
                                                               now=int(time.time()) + 1200)
        yield "unsigned, the zone wants a key", valid
        yield "trailing garbage after the TSIG", valid_signed + b"\x00\x01\x02", (
            ("FORMERR", None), ("NOERROR", "NOERROR"),
            "BIND ignores bytes after the last record and applies the update; enumd "
            "answers FORMERR to any message with trailing bytes, queries included "
            "(README, 'Malformed input'): the bytes are outside the MAC and the "
            "counts, so the message is not what its sender signed")

    def state(self, server):
        """What must not change: the SOA and the target name's answer."""
        soa = server.query(ORIGIN, "SOA").answer[0][0].serial
        r = server.query(NEW, "ANY", tcp=True)
        return soa, dns.rcode.to_text(r.rcode()), sorted(
            f"{rrset.name} {rrset.ttl} {rd}" for rrset in r.answer for rd in rrset)

    def test_bad_updates_answered_as_bind_does_and_change_nothing(self):
        with UpdatableEnumd(self.key, ZONE_FILE) as enumd, \
                UpdatableBind(self.key, ZONE_FILE) as bind:
            seen = set()
            for what, message, *difference in self.cases():
                for tcp in (False, True):
                    with self.subTest(what=what, tcp=tcp):
                        got, before = {}, {}
                        for server in (enumd, bind):
                            before[server.label] = self.state(server)
                            send = server.raw_tcp if tcp else server.raw_udp
                            got[server.label] = reply_summary(send(message, timeout=2.0))
                        if difference:
                            ours, bind_says, why = difference[0]
                            self.assertEqual(got["enumd"], ours, what)
                            self.assertEqual(got["named"], bind_says, f"{what}: {why}")
                        else:
                            self.assertEqual(got["enumd"], got["named"], what)
                            seen.add(got["named"])
                        # enumd never applies any of these; BIND too, except
                        # where it answered NOERROR (trailing garbage).
                        self.assertEqual(self.state(enumd), before["enumd"], what)
                        if got["named"] is None or got["named"][0] != "NOERROR":
                            self.assertEqual(self.state(bind), before["named"], what)
            # The cases reach every kind of refusal, not one rcode for all.
            for expected in (("FORMERR", None), ("FORMERR", "NOERROR"), ("NOTAUTH", "BADSIG"),
                             ("NOTAUTH", "BADKEY"), ("NOTAUTH", "BADTIME"), ("REFUSED", None),
                             ("NOTZONE", "NOERROR"), ("NOTAUTH", "NOERROR"), None):
                self.assertIn(expected, seen)
            self.assertNotIn(("NOERROR", "NOERROR"), seen)

    def test_oversize_rrset_refused_and_nothing_of_it_written(self):
        txt = b"\xf0" + b"x" * 240
        with UpdatableEnumd(self.key, ZONE_FILE) as enumd, \
                UpdatableBind(self.key, ZONE_FILE) as bind:
            for server in (enumd, bind):
                first = [add_new(rdata=txt[:1] + b"%03d" % i + txt[4:]) for i in range(99)]
                reply = server.raw_tcp(self.signed(update_message(updates=first)), timeout=5)
                self.assertEqual(reply_summary(reply), ("NOERROR", "NOERROR"), server.label)
                before = self.state(server)
                # 180 more: 279 records of 246 bytes, over 65,535 bytes and
                # over BIND's 100 records.
                more = [add_new(rdata=txt[:1] + b"%03d" % (100 + i) + txt[4:])
                        for i in range(180)]
                reply = server.raw_tcp(self.signed(update_message(updates=more)), timeout=5)
                self.assertEqual(reply_summary(reply), ("SERVFAIL", "NOERROR"), server.label)
                self.assertEqual(self.state(server), before, server.label)
                self.assertEqual(len(before[2]), 99)


# --- 3. durability: kill -9 during a stream of updates ---------------------------

def number_name(number):
    """The ENUM name of a digit string."""
    return ".".join(reversed(number)) + "." + ORIGIN


class DurabilityTest(KeyedTestCase):
    """Two clients (one over UDP, one over TCP) send numbered updates, each
    adding a NAPTR and a TXT to a new number in one transaction; enumd is
    killed with SIGKILL at a random moment and restarted. Afterwards every
    update answered NOERROR must be there, every other one entirely there or
    entirely absent, and the SOA serial (policy increment) must be the
    original plus the number of transactions present."""

    ROUNDS = 100 if LONG else 10

    def client(self, port, tcp, prefix, acked, sent, stop):
        seq = 0
        while not stop.is_set():
            number = f"{prefix}{seq:05d}"
            seq += 1
            name = number_name(number)
            u = signed_update(self.key)
            u.add(name, 300, "NAPTR", naptr(number))
            u.add(name, 300, "TXT", f'"{number}"')
            sent.append(name)
            try:
                rcode = send_update(port, u, tcp=tcp, timeout=0.5)
            except (dns.exception.DNSException, OSError, EOFError):
                if stop.wait(0.02):
                    return
                continue  # the server is gone or restarting: not acknowledged
            if rcode == dns.rcode.NOERROR:
                acked.append(name)

    def present(self, server, name):
        r = server.query(name, "ANY", tcp=True)
        types = sorted(dns.rdatatype.to_text(x.rdtype) for x in r.answer)
        self.assertIn(types, ([], ["NAPTR", "TXT"]), f"half a transaction at {name}")
        return bool(types)

    def test_every_acknowledged_update_survives_kill_9(self):
        rng = random.Random(os.environ.get("ENUMD_TEST_SEED") or time.time_ns())
        with UpdatableEnumd(self.key, ZONE_FILE) as enumd:
            base = enumd.query(ORIGIN, "SOA").answer[0][0].serial
            applied = 0
            all_acked = []
            for rnd in range(self.ROUNDS):
                acked, sent, stop = [], [], threading.Event()
                threads = [threading.Thread(target=self.client, args=(
                    enumd.port, tcp, f"49{rnd:03d}{int(tcp)}", acked, sent, stop))
                    for tcp in (False, True)]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.1, 0.6))
                enumd.crash_and_restart()
                stop.set()
                for t in threads:
                    t.join()
                for name in sent:
                    present = self.present(enumd, name)
                    applied += present
                    if name in acked:
                        self.assertTrue(present, f"round {rnd}: acknowledged {name} lost")
                all_acked += acked
                serial = enumd.query(ORIGIN, "SOA").answer[0][0].serial
                self.assertEqual(serial, base + applied, f"round {rnd}")
            self.assertGreater(len(all_acked), self.ROUNDS * 3, "too few updates to prove much")
            if os.environ.get("ENUMD_TEST_VERBOSE"):
                print(f"\n{self.ROUNDS} kills, {len(all_acked)} acknowledged, {applied} applied",
                      file=sys.stderr)
            for name in all_acked:  # still there after every later crash
                self.assertTrue(self.present(enumd, name), f"acknowledged {name} lost later")


# --- 4. read-your-writes and atomic visibility -----------------------------------

class VisibilityTest(KeyedTestCase):
    """What an acknowledged update changed is visible to the next query,
    whichever socket it comes on; no answer shows half of a transaction."""

    def enumd(self):
        # Two query workers: a query may land on either.
        return UpdatableEnumd(self.key, ZONE_FILE, extra_config={"workers": 2})

    def test_each_update_is_visible_to_the_next_query_on_another_socket(self):
        with self.enumd() as enumd:
            previous = None
            for i in range(150):
                name = number_name(f"4888{i:04d}")
                u = signed_update(self.key)
                u.add(name, 300, "NAPTR", naptr(f"v{i}"))
                if previous:
                    u.delete(previous, "NAPTR")
                self.assertEqual(send_update(enumd.port, u, tcp=i % 2 == 1), dns.rcode.NOERROR)
                for tcp in (False, True):
                    r = enumd.query(name, "NAPTR", tcp=tcp)
                    self.assertEqual(len(r.answer), 1, f"update {i} not visible (tcp={tcp})")
                    if previous:
                        r = enumd.query(previous, "NAPTR", tcp=tcp)
                        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN,
                                         f"delete {i} not visible (tcp={tcp})")
                previous = name

    def test_no_query_sees_half_of_a_transaction(self):
        # X and Y are two numbers. Transaction k moves the route between them:
        # odd k: X's NAPTR goes, X becomes a CNAME to Y, Y gets the NAPTR;
        # even k: Y's NAPTR and X's CNAME go, X gets the NAPTR back. A query
        # for X's NAPTR sees both names in one answer (the CNAME is
        # followed), so it must find exactly one NAPTR, tagged k, and tags
        # never go back. P's NAPTR is replaced (delete one record, add
        # another: a carrier change) in the same transactions: always one.
        x, y, p = (number_name(n) for n in ("61355507001", "61355507002", "61355507003"))
        errors, counts, stop = [], {"queries": 0, "via_cname": 0, "direct": 0}, threading.Event()

        def tag(rrset):
            return int(rrset[0].regexp.decode().split(":")[1].split("@")[0][1:])

        def check(port, tcp):
            last_x = last_p = 0
            while not stop.is_set():
                try:
                    qx = make_query(x, "NAPTR")
                    rx = (dns.query.tcp if tcp else dns.query.udp)(qx, HOST, port=port, timeout=2)
                    qp = make_query(p, "NAPTR")
                    rp = (dns.query.tcp if tcp else dns.query.udp)(qp, HOST, port=port, timeout=2)
                except (dns.exception.DNSException, OSError) as e:
                    errors.append(f"query failed: {e!r}")
                    return
                counts["queries"] += 2
                naptrs = [s for s in rx.answer if s.rdtype == dns.rdatatype.NAPTR]
                cnames = [s for s in rx.answer if s.rdtype == dns.rdatatype.CNAME]
                if len(naptrs) != 1 or len(naptrs[0]) != 1:
                    errors.append(f"X answer with {len(naptrs)} NAPTR RRsets:\n{rx}")
                    return
                owner = naptrs[0].name.to_text()
                if cnames:
                    counts["via_cname"] += 1
                    if owner != y or cnames[0][0].target.to_text() != y:
                        errors.append(f"X answer mixes versions:\n{rx}")
                        return
                else:
                    counts["direct"] += 1
                    if owner != x:
                        errors.append(f"X answer without CNAME from {owner}:\n{rx}")
                        return
                t = tag(naptrs[0])
                if cnames and t % 2 == 0 or not cnames and t % 2 == 1:
                    errors.append(f"tag {t} at the wrong number:\n{rx}")
                    return
                if t < last_x:
                    errors.append(f"X went back from version {last_x} to {t}")
                    return
                last_x = t
                if len(rp.answer) != 1 or len(rp.answer[0]) != 1:
                    errors.append(f"P answer without exactly one NAPTR:\n{rp}")
                    return
                tp = tag(rp.answer[0])
                if tp < last_p or tp < t:  # P was read after X: at least X's version
                    errors.append(f"P at version {tp} after {last_p}, X at {t}")
                    return
                last_p = tp

        with self.enumd() as enumd:
            u = signed_update(self.key)
            u.add(x, 300, "NAPTR", naptr("v0"))
            u.add(p, 300, "NAPTR", naptr("v0"))
            self.assertEqual(send_update(enumd.port, u, tcp=True), dns.rcode.NOERROR)
            checkers = [threading.Thread(target=check, args=(enumd.port, tcp))
                        for tcp in (False, True)]
            for t in checkers:
                t.start()
            k = 0
            # Until enough transactions, and answers of both shapes, were
            # seen (a few seconds; longer in sanitizer builds), or 60 s.
            start = time.monotonic()

            def enough():
                spent = time.monotonic() - start
                if spent > 60 or errors:
                    return True
                return (spent > (20 if LONG else 3) and k > 100 and
                        counts["via_cname"] > 50 and counts["direct"] > 50)
            try:
                while not enough():
                    k += 1
                    u = signed_update(self.key)
                    if k % 2 == 1:
                        u.delete(x, "NAPTR")
                        u.add(x, 300, "CNAME", y)
                        u.add(y, 300, "NAPTR", naptr(f"v{k}"))
                    else:
                        u.delete(y, "NAPTR")
                        u.delete(x, "CNAME")
                        u.add(x, 300, "NAPTR", naptr(f"v{k}"))
                    u.delete(p, "NAPTR", naptr(f"v{k - 1}"))
                    u.add(p, 300, "NAPTR", naptr(f"v{k}"))
                    self.assertEqual(send_update(enumd.port, u, tcp=k % 2 == 0),
                                     dns.rcode.NOERROR, f"transaction {k}")
            finally:
                stop.set()
                for t in checkers:
                    t.join()
            self.assertEqual(errors, [])
            # Enough of both states, and of switches, to mean something.
            if os.environ.get("ENUMD_TEST_VERBOSE"):
                print(f"\n{k} transactions, {counts}", file=sys.stderr)
            self.assertGreater(k, 100)
            self.assertGreater(counts["via_cname"], 50, counts)
            self.assertGreater(counts["direct"], 50, counts)


class WriterPriorityTest(KeyedTestCase):
    """The writer thread asks for writer_nice (default -10) while its load is
    light, so an update does not wait a scheduler tick behind a busy query
    thread (daemon/writer_priority.h); 0 leaves it at the process's own."""

    @staticmethod
    def writer_nice(enumd):
        task = f"/proc/{enumd.proc.pid}/task"
        for tid in os.listdir(task):
            with open(f"{task}/{tid}/comm") as f:
                if f.read().strip() != "enumd-writer":
                    continue
            with open(f"{task}/{tid}/stat") as f:
                # Fields after the name in parentheses; nice is field 19.
                return int(f.read().rsplit(")", 1)[1].split()[16])
        raise AssertionError("no enumd-writer thread")

    def check_nice(self, enumd, expected):
        # Set by the writer thread once it starts; give it a moment.
        deadline = time.monotonic() + 5
        while self.writer_nice(enumd) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.writer_nice(enumd), expected)

    def test_writer_boosted_while_light_where_allowed(self):
        own = os.nice(0)
        with UpdatableEnumd(self.key, ZONE_FILE) as enumd:
            u = signed_update(self.key)
            u.add(number_name("48880001"), 300, "NAPTR", naptr("boost"))
            self.assertEqual(send_update(enumd.port, u), dns.rcode.NOERROR)
            # Allowed with CAP_SYS_NICE or RLIMIT_NICE (root outside a
            # container that drops the capability); else refused, the log
            # says so and the writer keeps the process's priority.
            allowed = subprocess.run([sys.executable, "-c", "import os; os.nice(-10)"],
                                     stderr=subprocess.DEVNULL).returncode == 0
            if allowed:
                self.check_nice(enumd, -10)
            else:
                self.assertEqual(self.writer_nice(enumd), own)
                self.assertIn("writer: nice -10 refused", enumd.log_text())

    def test_writer_nice_0_leaves_the_process_priority(self):
        own = os.nice(0)
        with UpdatableEnumd(self.key, ZONE_FILE, extra_config={"writer_nice": 0}) as enumd:
            u = signed_update(self.key)
            u.add(number_name("48880002"), 300, "NAPTR", naptr("plain"))
            self.assertEqual(send_update(enumd.port, u), dns.rcode.NOERROR)
            time.sleep(0.2)
            self.assertEqual(self.writer_nice(enumd), own)
            self.assertNotIn("writer: nice", enumd.log_text())


if __name__ == "__main__":
    unittest.main()
