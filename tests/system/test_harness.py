"""Self-tests of enumd_harness: compare_answers() on hand-made messages, and the
Enumd class's lifecycle (config written, readiness, raw I/O, stop and exit
code) against a stand-in daemon, so the harness is known to work before the
real enumd serves and failures in enumd tests point at enumd.
"""

import os
import signal
import stat
import tempfile
import textwrap
import unittest

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from enumd_harness import Enumd, ServerStartError, compare_answers, free_port, make_query
from playground_queries import ORIGIN, ZONE_FILE

NAPTR = '10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@10.0.1.98!" .'
QNAME = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."


def answer(qname=QNAME, rcode=dns.rcode.NOERROR, aa=True, records=(), authority=(),
           edns=-1, payload=1232, msg_id=1, rd=False):
    q = make_query(qname, "NAPTR", flags=dns.flags.RD if rd else 0, id=msg_id)
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    if aa:
        r.flags |= dns.flags.AA
    for name, ttl, rdtype, *rdatas in records:
        r.answer.append(dns.rrset.from_text(name, ttl, "IN", rdtype, *rdatas))
    for name, ttl, rdtype, *rdatas in authority:
        r.authority.append(dns.rrset.from_text(name, ttl, "IN", rdtype, *rdatas))
    if edns >= 0:
        r.use_edns(edns, payload=payload)
    else:
        r.use_edns(False)
    return r


class CompareAnswersTest(unittest.TestCase):

    def test_equal_answers_have_no_differences(self):
        a = answer(records=[(QNAME, 3600, "NAPTR", NAPTR)])
        b = answer(records=[(QNAME, 3600, "NAPTR", NAPTR)], msg_id=2, rd=True)
        self.assertEqual(compare_answers(a, b), [])

    def test_record_order_and_owner_case_are_ignored(self):
        r1 = '10 100 "u" "E2U+sip" "!^.*$!sip:a@x!" .'
        r2 = '20 100 "u" "E2U+sip" "!^.*$!sip:b@x!" .'
        a = answer(records=[(QNAME, 60, "NAPTR", r1, r2)])
        b = answer(records=[(QNAME.upper(), 60, "NAPTR", r2, r1)])
        self.assertEqual(compare_answers(a, b), [])

    def test_name_case_inside_rdata_is_ignored_but_string_case_is_not(self):
        a = answer(records=[(QNAME, 60, "NAPTR", '10 100 "u" "E2U+sip" "" Target.Example.')])
        b = answer(records=[(QNAME, 60, "NAPTR", '10 100 "u" "E2U+sip" "" target.example.')])
        self.assertEqual(compare_answers(a, b), [])
        c = answer(records=[(QNAME, 60, "NAPTR", '10 100 "U" "E2U+sip" "" target.example.')])
        self.assertEqual(len(compare_answers(a, c)), 1)

    def test_rcode_and_flags_are_reported(self):
        a = answer(rcode=dns.rcode.NXDOMAIN, aa=True)
        b = answer(rcode=dns.rcode.NOERROR, aa=False)
        b.flags |= dns.flags.RA
        self.assertEqual(compare_answers(a, b, names=("enumd", "bind")), [
            "rcode: enumd=NXDOMAIN bind=NOERROR",
            "flag AA: enumd=True bind=False",
            "flag RA: enumd=False bind=True",
        ])

    def test_ttl_and_rdata_differences_are_reported(self):
        a = answer(records=[(QNAME, 3600, "NAPTR", NAPTR)])
        b = answer(records=[(QNAME, 300, "NAPTR", NAPTR)])
        (diff,) = compare_answers(a, b)
        self.assertIn("answer:", diff)
        self.assertIn(" 3600 ", diff)
        self.assertIn(" 300 ", diff)

    def test_missing_rrset_names_the_side_that_has_it(self):
        soa = ("e164.arpa.", 3600, "SOA", "ns.e164.arpa. root.e164.arpa. 1 2 3 4 5")
        a = answer(authority=[soa])
        b = answer()
        self.assertEqual(compare_answers(a, b, names=("enumd", "bind")), [
            "authority: only in enumd: e164.arpa. 3600 IN SOA "
            "ns.e164.arpa. root.e164.arpa. 1 2 3 4 5"])

    def test_question_case_is_compared_exactly(self):
        a = answer(qname=QNAME.upper())
        b = answer(qname=QNAME)
        (diff,) = compare_answers(a, b)
        self.assertTrue(diff.startswith("question:"), diff)

    def test_edns_presence_and_payload_are_compared(self):
        self.assertEqual(compare_answers(answer(edns=0), answer()),
                         ["EDNS: a=payload 1232 b=none"])
        self.assertEqual(compare_answers(answer(edns=0, payload=1232),
                                         answer(edns=0, payload=4096)),
                         ["EDNS: a=payload 1232 b=payload 4096"])


FAKE_ENUMD = textwrap.dedent("""\
    #!/usr/bin/python3
    # Stand-in for enumd: reads --config, answers SOA at each origin over UDP
    # and TCP, REFUSED elsewhere; exits 0 on SIGTERM. A config key `fake_exit: N`
    # makes it exit with N at once.
    import selectors, signal, socket, struct, sys
    import yaml, dns.message, dns.rcode, dns.rrset, dns.flags
    cfg = yaml.safe_load(open(sys.argv[sys.argv.index("--config") + 1]))
    print("fake enumd config:", cfg, flush=True)
    if "fake_exit" in cfg:
        sys.exit(cfg["fake_exit"])
    host, port = cfg["listen"][0].rsplit(":", 1)
    origins = [z["origin"].lower() for z in cfg["zones"]]
    def reply(data):
        q = dns.message.from_wire(data)
        r = dns.message.make_response(q)
        name = q.question[0].name.to_text().lower()
        if name in origins:
            r.flags |= dns.flags.AA
            r.answer.append(dns.rrset.from_text(name, 3600, "IN", "SOA", "ns. root. 1 2 3 4 5"))
        else:
            r.set_rcode(dns.rcode.REFUSED)
        return r.to_wire()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind((host, int(port)))
    tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((host, int(port))); tcp.listen()
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ); sel.register(tcp, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is udp:
                data, peer = udp.recvfrom(65535)
                udp.sendto(reply(data), peer)
            else:
                conn, _ = tcp.accept()
                with conn:
                    n = struct.unpack("!H", conn.recv(2))[0]
                    out = reply(conn.recv(n))
                    conn.sendall(struct.pack("!H", len(out)) + out)
    """)


class EnumdLifecycleTest(unittest.TestCase):
    """Enumd() against FAKE_ENUMD placed in a temporary bin dir."""

    def setUp(self):
        self.bin_dir = tempfile.mkdtemp(prefix="fake-enumd-bin-")
        path = os.path.join(self.bin_dir, "enumd")
        with open(path, "w") as f:
            f.write(FAKE_ENUMD)
        os.chmod(path, stat.S_IRWXU)

    def tearDown(self):
        os.remove(os.path.join(self.bin_dir, "enumd"))
        os.rmdir(self.bin_dir)

    def test_config_is_written_and_server_is_queried(self):
        with Enumd(self.bin_dir, zones=[(ORIGIN, ZONE_FILE, "rfc4592")],
                   extra_config={"udp": {"max_payload": 512}}) as e:
            with open(e.config_path) as f:
                config = f.read()
            self.assertIn(f"127.0.0.1:{e.port}", config)
            self.assertIn(f"file: {ZONE_FILE}", config)
            self.assertIn("wildcards: rfc4592", config)
            self.assertIn("max_payload: 512", config)
            self.assertEqual(e.query(ORIGIN, "SOA").rcode(), dns.rcode.NOERROR)
            self.assertEqual(e.query(ORIGIN, "SOA", tcp=True).rcode(), dns.rcode.NOERROR)
            wire = make_query("example.com.", "A", id=7).to_wire()
            for raw in (e.raw_udp(wire), e.raw_tcp(wire)):
                self.assertEqual(dns.message.from_wire(raw).rcode(), dns.rcode.REFUSED)
            self.assertIn("status: NOERROR", e.dig(["SOA", ORIGIN]))
            self.assertIn("fake enumd config", e.log_text())
            tmp = e.tmp
        self.assertEqual(e.exit_code, 0)
        if not os.environ.get("ENUMD_KEEP_TMP"):
            self.assertFalse(os.path.exists(tmp))

    def test_restart_keeps_port_config_and_store(self):
        with Enumd(self.bin_dir, zones=[(ORIGIN, ZONE_FILE)]) as e:
            port, store = e.port, e.store
            marker = os.path.join(store, "marker")
            open(marker, "w").close()
            pid = e.proc.pid
            e.restart()
            self.assertNotEqual(e.proc.pid, pid)
            self.assertEqual((e.port, e.store), (port, store))
            self.assertTrue(os.path.exists(marker))
            self.assertEqual(e.query(ORIGIN, "SOA").rcode(), dns.rcode.NOERROR)
            self.assertEqual(e.log_text().count("fake enumd config"), 2)

    def test_early_exit_raises_with_the_log(self):
        e = Enumd(self.bin_dir, zones=[(ORIGIN, ZONE_FILE)], extra_config={"fake_exit": 3})
        with self.assertRaises(ServerStartError) as cm:
            e.start()
        self.assertIn("exited with 3", str(cm.exception))
        self.assertIn("fake enumd config", str(cm.exception))

    def test_unexpected_exit_code_fails_stop(self):
        e = Enumd(self.bin_dir, zones=[(ORIGIN, ZONE_FILE)]).start()
        e.signal(signal.SIGKILL)
        with self.assertRaises(AssertionError) as cm:
            e.stop()
        self.assertIn("exited with -9", str(cm.exception))

    def test_expected_exit_code_none_accepts_anything(self):
        e = Enumd(self.bin_dir, zones=[(ORIGIN, ZONE_FILE)], expect_exit_code=None).start()
        e.signal(signal.SIGKILL)
        e.stop()
        self.assertEqual(e.exit_code, -9)

    def test_missing_binary_is_reported(self):
        with self.assertRaises(ServerStartError) as cm:
            Enumd(os.path.join(self.bin_dir, "nowhere"), zones=[(ORIGIN, ZONE_FILE)]).start()
        self.assertIn("no enumd binary", str(cm.exception))


class FreePortTest(unittest.TestCase):

    def test_port_binds_for_udp_and_tcp(self):
        import socket
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket() as t:
            u.bind(("127.0.0.1", port))
            t.bind(("127.0.0.1", port))


if __name__ == "__main__":
    unittest.main()
