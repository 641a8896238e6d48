"""Issue 19: TSIG (RFC 8945) and UPDATE wire code against real peers.

enumd's server/dns code runs through tests/system/tsig_tool.cc
(enumd_test_tsig, hex in and out); dnspython, nsupdate and named are the
other side, with keys from tsig-keygen:
  - answers enumd signs are accepted by dnspython (every HMAC) and nsupdate,
    and its BADTIME/BADSIG/BADKEY answers are read as such by dnspython;
  - a multi-message stream enumd signs (some messages unsigned, RFC 8945
    §5.3.1) is accepted by dnspython's zone transfer client, and a changed
    byte is caught;
  - requests enumd signs are accepted by named, and named's signed answers
    and AXFR stream verify with enumd's client side;
  - key files enumd writes are read by named-checkconf and nsupdate -k.
The checked-in vectors (server/dns/testdata) cover the reverse direction at
a fixed time; this test runs live, at the current time.
"""

import base64
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.wire
import dns.zone

from enumd_harness import BIN_DIR, HOST, Bind, _recv_exact

TOOL = os.path.join(BIN_DIR, "enumd_test_tsig")
ALGORITHMS = {
    "hmac-md5": dns.tsig.HMAC_MD5, "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224, "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384, "hmac-sha512": dns.tsig.HMAC_SHA512,
}
ZONE = "e164.arpa."
NAPTR = '10 100 "u" "E2U+sip" "!^.*$!sip:61355500911@10.0.1.98!" .'


def tool(*args, stdin=b""):
    """Runs enumd_test_tsig; returns its output lines."""
    done = subprocess.run([TOOL, *map(str, args)], input=stdin, capture_output=True,
                          timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"enumd_test_tsig {args} failed: {done.stderr.decode()}")
    return done.stdout.decode().split("\n")[:-1]


def hexlines(*msgs):
    return b"".join(m.hex().encode() + b"\n" for m in msgs)


def keygen(name, alg):
    text = subprocess.run(["tsig-keygen", "-a", alg, name], check=True, capture_output=True,
                          text=True).stdout
    return text, re.search(r'secret "([^"]+)"', text).group(1)


class PinnedClock:
    """time.time() pinned, so that dnspython signs at a chosen time."""

    def __init__(self, t):
        self.t = t

    def __enter__(self):
        self.saved = time.time
        time.time = lambda: float(self.t)

    def __exit__(self, *exc):
        time.time = self.saved


class UdpResponder:
    """A UDP server on 127.0.0.1 answering each datagram with answer(bytes)."""

    def __init__(self, answer):
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.received.append(data)
            self.sock.sendto(self.answer(data), peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join()
        self.sock.close()


class TsigInterop(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TOOL):
            raise unittest.SkipTest(f"no {TOOL} (build the tree first)")
        cls.tmp = tempfile.mkdtemp(prefix="tsig-interop-")
        cls.secrets = {}
        texts = []
        for alg in ALGORITHMS:
            text, secret = keygen(f"{alg}.key.", alg)
            texts.append(text)
            cls.secrets[alg] = secret
        cls.keyfile = os.path.join(cls.tmp, "keys.conf")
        with open(cls.keyfile, "w") as f:
            f.write("".join(texts))
        cls.keyring = dns.tsigkeyring.from_text(
            {f"{alg}.key.": (ALGORITHMS[alg], s) for alg, s in cls.secrets.items()})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def update(self, alg="hmac-sha256", keyring=None, keyname=None, owner="1.1.9.0.0.5.5.5.3.1.6"):
        u = dns.update.UpdateMessage(ZONE, keyring=keyring or self.keyring,
                                     keyname=keyname or f"{alg}.key.",
                                     keyalgorithm=ALGORITHMS[alg])
        u.replace(f"{owner}.{ZONE}" if not owner.endswith(".") else owner, 300, "NAPTR", NAPTR)
        return u

    def answer(self, request_wire, now="now"):
        line = tool("answer", self.keyfile, now, stdin=hexlines(request_wire))[0]
        hexed, outcome = line.split(" ")
        return bytes.fromhex(hexed), outcome

    # --- answers enumd signs, read by dnspython ------------------------------

    def test_dnspython_accepts_our_signed_answers_for_every_algorithm(self):
        for alg in ALGORITHMS:
            with self.subTest(alg=alg):
                u = self.update(alg)
                wire, outcome = self.answer(u.to_wire())
                self.assertEqual(outcome, "verified")
                # Raises unless the TSIG verifies against the request MAC.
                r = dns.message.from_wire(wire, keyring=self.keyring, request_mac=u.mac)
                self.assertTrue(r.had_tsig)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(r.tsig_error, 0)

    def test_dnspython_accepts_our_signed_notzone_answer(self):
        # A prescan failure comes after the TSIG check: its answer is signed.
        u = self.update(owner="1.example.")
        wire, outcome = self.answer(u.to_wire())
        self.assertEqual(outcome, "verified")
        r = dns.message.from_wire(wire, keyring=self.keyring, request_mac=u.mac)
        self.assertEqual(r.rcode(), dns.rcode.NOTZONE)

    def test_dnspython_reads_our_badtime_answer(self):
        u = self.update()
        with PinnedClock(int(time.time()) - 1000):
            request = u.to_wire()
        wire, outcome = self.answer(request)
        self.assertEqual(outcome, "badtime")
        self.assertEqual(wire[3] & 0xF, dns.rcode.NOTAUTH)
        # dnspython raises PeerBadTime only for a TSIG it could parse with
        # the key: the answer is signed, with the client's Time Signed.
        with self.assertRaises(dns.tsig.PeerBadTime):
            dns.message.from_wire(wire, keyring=self.keyring, request_mac=u.mac)

    def test_dnspython_reads_our_unsigned_badsig_and_badkey_answers(self):
        wrong = dns.tsigkeyring.from_text(
            {"hmac-sha256.key.": (dns.tsig.HMAC_SHA256, base64.b64encode(b"x" * 32).decode())})
        u = self.update(keyring=wrong)
        wire, outcome = self.answer(u.to_wire())
        self.assertEqual(outcome, "badsig")
        self.assertEqual(wire[3] & 0xF, dns.rcode.NOTAUTH)
        with self.assertRaises(dns.tsig.PeerBadSignature):
            dns.message.from_wire(wire, keyring=wrong, request_mac=u.mac)

        stranger = dns.tsigkeyring.from_text(
            {"stranger.key.": (dns.tsig.HMAC_SHA256, self.secrets["hmac-sha256"])})
        u = self.update(keyring=stranger, keyname="stranger.key.")
        wire, outcome = self.answer(u.to_wire())
        self.assertEqual(outcome, "badkey")
        with self.assertRaises(dns.tsig.PeerBadKey):
            dns.message.from_wire(wire, keyring=stranger, request_mac=u.mac)

    # --- nsupdate --------------------------------------------------------------

    def nsupdate(self, keyfile, port):
        script = (f"server {HOST} {port}\nzone {ZONE}\n"
                  "prereq nxdomain 9.1.9.0.0.5.5.5.3.1.6.e164.arpa.\n"
                  f"update add 9.1.9.0.0.5.5.5.3.1.6.e164.arpa. 300 NAPTR {NAPTR}\n"
                  "send\n")
        return subprocess.run(["nsupdate", "-t", "3", "-r", "0", "-k", keyfile], input=script,
                              capture_output=True, text=True, timeout=30)

    def nsupdate_against_us(self, keyfile):
        """Runs nsupdate -k keyfile against a UDP server whose every answer
        is enumd_test_tsig's; returns (nsupdate's result, the outcomes)."""
        outcomes = []

        def answer(data):
            wire, outcome = self.answer(data)
            outcomes.append(outcome)
            return wire
        with UdpResponder(answer) as server:
            done = self.nsupdate(keyfile, server.port)
        return done, outcomes

    def test_nsupdate_accepts_our_signed_answer(self):
        # nsupdate reads the key file enumd writes (TsigKeyToText).
        ours = os.path.join(self.tmp, "ours.key")
        keys = "\n".join(tool("keys", self.keyfile)) + "\n"
        sha256 = keys[keys.index('key "hmac-sha256.key"'):]
        sha256 = sha256[:sha256.index("};") + 3]
        with open(ours, "w") as f:
            f.write(sha256)
        done, outcomes = self.nsupdate_against_us(ours)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(outcomes, ["verified"])

    def test_nsupdate_reports_our_badsig_answer(self):
        text, _ = keygen("hmac-sha256.key.", "hmac-sha256")  # same name, another secret
        other = os.path.join(self.tmp, "other.key")
        with open(other, "w") as f:
            f.write(text)
        done, outcomes = self.nsupdate_against_us(other)
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(outcomes, ["badsig"])
        self.assertIn("NOTAUTH", done.stdout + done.stderr)

    # --- a signed stream, read by dnspython's zone transfer --------------------

    def axfr_messages(self, query, count):
        """`count` answer messages of an AXFR of ZONE: SOA first and last."""
        soa = dns.rrset.from_text(ZONE, 300, "IN", "SOA",
                                  "ns.e164.arpa. hostmaster.e164.arpa. 1 3600 600 86400 300")
        ns = dns.rrset.from_text(ZONE, 300, "IN", "NS", "ns.e164.arpa.")
        out = []
        for i in range(count):
            m = dns.message.Message(id=query.id)
            m.flags = dns.flags.QR | dns.flags.AA
            m.question = [dns.rrset.RRset(dns.name.from_text(ZONE), dns.rdataclass.IN,
                                          dns.rdatatype.AXFR)] if i == 0 else []
            if i == 0:
                m.answer.extend([soa, ns])
            m.answer.append(dns.rrset.from_text(f"{i}.0.0.0.5.5.5.3.1.6.{ZONE}", 300, "IN",
                                                "NAPTR", NAPTR))
            if i == count - 1:
                m.answer.append(soa)
            out.append(m.to_wire())
        return out

    def serve_axfr(self, pattern, tamper=None):
        """A TCP server answering one AXFR with messages signed per `pattern`
        by enumd's TsigStreamSigner; returns (port, thread)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((HOST, 0))
        listener.listen(1)
        listener.settimeout(10)
        port = listener.getsockname()[1]

        def run():
            conn, _ = listener.accept()
            with conn, listener:
                (n,) = struct.unpack("!H", conn.recv(2))
                request = b""
                while len(request) < n:
                    request += conn.recv(n - len(request))
                q = dns.message.from_wire(request, keyring=self.keyring)
                msgs = self.axfr_messages(q, len(pattern))
                signed = [bytes.fromhex(h) for h in tool(
                    "stream", self.keyfile, "now", pattern, stdin=hexlines(request, *msgs))]
                if tamper is not None:  # clear AA: still well formed, but not what was signed
                    m = bytearray(signed[tamper])
                    m[2] ^= 0x04
                    signed[tamper] = bytes(m)
                for m in signed:
                    conn.sendall(struct.pack("!H", len(m)) + m)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return port, t

    def test_dnspython_xfr_accepts_our_signed_stream_with_unsigned_messages(self):
        port, t = self.serve_axfr("SUUSUS")
        z = dns.zone.from_xfr(dns.query.xfr(HOST, ZONE, port=port, keyring=self.keyring,
                                            keyname="hmac-sha256.key.", timeout=10))
        t.join()
        self.assertEqual(len(z.nodes), 1 + 6)  # apex and six NAPTR owners

    def test_dnspython_xfr_catches_a_changed_unsigned_message(self):
        port, t = self.serve_axfr("SUUSUS", tamper=2)  # an unsigned one
        with self.assertRaises(dns.tsig.BadSignature):
            dns.zone.from_xfr(dns.query.xfr(HOST, ZONE, port=port, keyring=self.keyring,
                                            keyname="hmac-sha256.key.", timeout=10))
        t.join()

    # --- named: our requests, its answers ---------------------------------------

    def test_named_accepts_our_signed_requests_and_we_verify_its_answers(self):
        zone_file = os.path.join(self.tmp, "e164.arpa.db")
        with open(zone_file, "w") as f:
            f.write("$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n"
                    "ns A 192.0.2.53\n")
            for i in range(40):
                f.write(f'{i % 10}.{i // 10}.0.0.5.5.5.3.1.6 NAPTR {NAPTR}\n')
        with KeyedBind(self.keyfile, "hmac-sha512.key.", zones=[(ZONE, zone_file)]) as bind:
            # An UPDATE signed by enumd: named applies it and signs its answer.
            u = dns.update.UpdateMessage(ZONE)
            u.add(f"7.7.7.0.5.5.5.3.1.6.{ZONE}", 300, "NAPTR", NAPTR)
            answer, mac = signed_udp_exchange(self.keyfile, u.to_wire(), bind.port)
            self.assertEqual(answer[3] & 0xF, dns.rcode.NOERROR, answer.hex())
            self.assertEqual(tool("verify", self.keyfile, "hmac-sha512.key.", mac, "now",
                                  stdin=hexlines(answer)), ["verified", "complete"])
            r = bind.query(f"7.7.7.0.5.5.5.3.1.6.{ZONE}", "NAPTR")
            self.assertEqual(len(r.answer), 1)

            # An AXFR request signed by enumd; named's signed stream verifies.
            q = dns.message.make_query(ZONE, "AXFR")
            signed, mac = tool("sign-request", self.keyfile, "hmac-sha512.key.", "now",
                               stdin=hexlines(q.to_wire()))[0].split(" ")
            msgs = tcp_stream(bind.port, bytes.fromhex(signed))
            self.assertGreater(len(msgs), 2)  # transfer-message-size 512
            got = tool("verify", self.keyfile, "hmac-sha512.key.", mac, "now",
                       stdin=hexlines(*msgs))
            self.assertEqual(got, ["verified"] * len(msgs) + ["complete"])

            # A request signed with another secret: named answers BADSIG,
            # unsigned, and we read it as the peer's error.
            other_keys = os.path.join(self.tmp, "other512.conf")
            with open(other_keys, "w") as f:
                f.write(keygen("hmac-sha512.key.", "hmac-sha512")[0])
            answer, mac = signed_udp_exchange(other_keys, u.to_wire(), bind.port)
            self.assertEqual(answer[3] & 0xF, dns.rcode.NOTAUTH)
            self.assertEqual(tool("verify", self.keyfile, "hmac-sha512.key.", mac, "now",
                                  stdin=hexlines(answer)), ["peer-error", "incomplete"])

    def test_named_checkconf_reads_the_key_file_we_write(self):
        ours = os.path.join(self.tmp, "written.conf")
        with open(ours, "w") as f:
            f.write("\n".join(tool("keys", self.keyfile)) + "\n")
        conf = os.path.join(self.tmp, "check.conf")
        with open(conf, "w") as f:
            f.write(f'include "{ours}";\n')
        done = subprocess.run(["named-checkconf", conf], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        # And the keys read back are the keys tsig-keygen wrote.
        self.assertEqual(tool("keys", ours), tool("keys", self.keyfile))


def signed_udp_exchange(keyfile, request, port, key="hmac-sha512.key."):
    """Signs `request` with enumd's SignRequest, sends it over UDP to
    127.0.0.1:port; returns (the raw answer, the request MAC as hex)."""
    signed, mac = tool("sign-request", keyfile, key, "now", stdin=hexlines(request))[0].split(" ")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(bytes.fromhex(signed), (HOST, port))
        answer, _ = s.recvfrom(65535)
    return answer, mac


def tcp_stream(port, request):
    """Sends one request over TCP and reads answer messages until the second
    SOA of an AXFR; returns them raw."""
    msgs, soas = [], 0
    with socket.create_connection((HOST, port), timeout=10) as s:
        s.sendall(struct.pack("!H", len(request)) + request)
        while soas < 2:
            head = _recv_exact(s, 2)
            m = _recv_exact(s, struct.unpack("!H", head)[0]) if head else None
            if m is None:
                raise EOFError("named closed the connection mid-transfer")
            msgs.append(m)
            soas += _answer_types(m).count(dns.rdatatype.SOA)
    return msgs


def _answer_types(m):
    """The types of the answer records of raw message `m` (no TSIG check)."""
    p = dns.wire.Parser(m, 12)
    qdcount, ancount = struct.unpack("!HH", m[4:8])
    for _ in range(qdcount):
        p.get_name()
        p.get_struct("!HH")
    types = []
    for _ in range(ancount):
        p.get_name()
        rdtype, _, _, rdlen = p.get_struct("!HHIH")
        p.seek(p.current + rdlen)
        types.append(rdtype)
    return types


class KeyedBind(Bind):
    """named with the keys of `keyfile` and zones that accept UPDATE and AXFR
    signed with `key` (transfer-message-size 512, so an AXFR takes several
    messages)."""

    def __init__(self, keyfile, key, **kw):
        super().__init__(extra_options="    transfer-message-size 512;", **kw)
        self.keyfile = keyfile
        self.key = key

    def _prepare(self):
        super()._prepare()
        with open(self.config_path) as f:
            conf = f.read()
        conf = f'include "{self.keyfile}";\n' + conf.replace(
            "    check-names ignore;\n",
            "    check-names ignore;\n"
            f'    allow-update {{ key "{self.key}"; }};\n'
            f'    allow-transfer {{ key "{self.key}"; }};\n')
        with open(self.config_path, "w") as f:
            f.write(conf)


if __name__ == "__main__":
    unittest.main()
