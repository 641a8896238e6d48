"""Issue 20: enumd as a secondary (zones[].primaries).

enumd follows a BIND 9 primary and a Knot DNS primary (both from Debian, on
127.0.0.1 with ports of their own), every message signed with a TSIG key:
the first transfer (AXFR), then changes made with nsupdate on the primary,
whose NOTIFY makes enumd check and take them by IXFR; after each step every
name's answers of enumd are compared with the primary's. A restarted enumd
serves what it held without transferring again (the primary's log shows no
new transfer).

Bad primaries are a small dnspython server that answers the SOA query and
then misbehaves in the transfer: it ends it early (the connection closed),
signs it with the wrong key, ends it with another serial, or never ends it.
Each time enumd logs the zone, the primary and the reason, keeps serving
the version it had, and tries again at the SOA's retry interval; once the
primary behaves it takes the new version.

Also: a NOTIFY from an address that is not a primary, or unsigned when the
primary has a key, is REFUSED (as BIND answers a non-primary); an UPDATE to
a secondary zone is REFUSED (BIND 9.18 without update forwarding); a zone
that was never transferred answers SERVFAIL.
"""

import json
import os
import re
import socket
import struct
import subprocess
import threading
import time
import unittest
import urllib.request

import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.zone

from enumd_harness import HOST, Enumd, _Server, free_port
from test_transfer import (EXTRA_NAMES, KEY_NAME, KEYRING, KNOTD, NAMED, SECRET, TYPES,
                           WRONG_KEYRING, ZONE, ZONE_TEXT, TempDir, answer_key, axfr_records,
                           key_file, wait_for)

KEY = dns.tsig.Key(KEY_NAME, SECRET, "hmac-sha256")


class PinnedEnumd(Enumd):
    """enumd on a port chosen before it starts (the primary's NOTIFY target)."""

    def __init__(self, port, **kw):
        super().__init__(**kw)
        self.pinned = port

    def start(self):
        return super().start(port=self.pinned)


class Primary(_Server):
    """A primary of ZONE on a port of its own that NOTIFYs enumd_port."""

    def __init__(self, enumd_port):
        super().__init__(())
        self.enumd_port = enumd_port

    def _ready_question(self):
        return (ZONE, "SOA")

    def serial(self):
        return self.query(ZONE, "SOA").answer[0][0].serial

    def update(self, *changes):
        """One signed UPDATE with nsupdate: changes are nsupdate lines."""
        script = (f"server {HOST} {self.port}\nzone {ZONE}\n" + "\n".join(changes) +
                  "\nsend\n")
        done = subprocess.run(["nsupdate", "-y", f"hmac-sha256:{KEY_NAME.rstrip('.')}:{SECRET}"],
                              input=script, capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            raise AssertionError(f"nsupdate failed: {done.stdout}{done.stderr}")


class BindPrimary(Primary):
    label = "named-primary"

    def _prepare(self):
        t = self.tmp
        with open(os.path.join(t, "zone.db"), "w") as f:
            f.write(f"$ORIGIN {ZONE}\n" + ZONE_TEXT)
        k = KEY_NAME.rstrip(".")
        conf = f"""\
options {{
    directory "{t}";
    pid-file "{t}/named.pid";
    session-keyfile "{t}/session.key";
    managed-keys-directory "{t}";
    listen-on port {self.port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    minimal-responses yes;
    answer-cookie no;
    notify-source {HOST};
}};
controls {{ }};
key "{k}" {{ algorithm hmac-sha256; secret "{SECRET}"; }};
server {HOST} {{ keys {{ "{k}"; }}; }};
zone "{ZONE}" {{
    type primary;
    file "{t}/zone.db";
    check-names ignore;
    allow-update {{ key "{k}"; }};
    allow-transfer {{ key "{k}"; }};
    notify explicit;
    notify-delay 0;
    also-notify {{ {HOST} port {self.enumd_port}; }};
}};
"""
        self.config_path = os.path.join(t, "named.conf")
        with open(self.config_path, "w") as f:
            f.write(conf)

    def _command(self):
        return [NAMED, "-g", "-n", "1", "-c", self.config_path]

    def transfers(self):
        """Outgoing transfers BIND logged as started."""
        return len(re.findall(r"transfer of '[^']+': [AI]XFR", self.log_text()))


class KnotPrimary(Primary):
    label = "knotd-primary"

    def _prepare(self):
        t = self.tmp
        with open(os.path.join(t, "zone.db"), "w") as f:
            f.write(f"$ORIGIN {ZONE}\n" + ZONE_TEXT)
        conf = f"""\
server:
    rundir: "{t}"
    listen: {HOST}@{self.port}
log:
  - target: stderr
    any: info
database:
    storage: "{t}"
control:
    listen: "{t}/knot.sock"
key:
  - id: {KEY_NAME}
    algorithm: hmac-sha256
    secret: {SECRET}
remote:
  - id: enumd
    address: {HOST}@{self.enumd_port}
    key: {KEY_NAME}
acl:
  - id: keyed
    key: {KEY_NAME}
    action: [transfer, update]
template:
  - id: default
    storage: "{t}"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: {ZONE}
    file: "{t}/zone.db"
    notify: enumd
    acl: keyed
    semantic-checks: off
"""
        self.config_path = os.path.join(t, "knot.conf")
        with open(self.config_path, "w") as f:
            f.write(conf)

    def _command(self):
        return [KNOTD, "-c", self.config_path]

    def transfers(self):
        return len(re.findall(r"[AI]XFR, outgoing", self.log_text()))


def secondary_config(tmp, primary_port, key=True, timeout=5, address=HOST):
    kf = os.path.join(tmp, "xfr.key")
    key_file(kf)
    p = {"address": address, "port": primary_port}
    if key:
        p["key"] = KEY_NAME
    return {"keys": [kf],
            "zones": [{"origin": ZONE, "primaries": [p],
                       "transfer_in": {"timeout": timeout},
                       "transfer": {"keys": [KEY_NAME]}}]}


def enumd_serial(e):
    try:
        r = e.query(ZONE, "SOA", timeout=0.5)
    except Exception:
        return None
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return None
    return r.answer[0][0].serial


def compare_with_primary(test, primary, e, step):
    want = primary.serial()
    test.assertTrue(wait_for(lambda: enumd_serial(e) == want, timeout=10),
                    f"{step}: enumd has serial {enumd_serial(e)}, {primary.label} {want}\n"
                    f"{e.log_text()[-3000:]}")
    z = axfr_records(primary.port)
    names = sorted({n.derelativize(z.origin).to_text() for n in z.nodes} |
                   {f"{n}.{ZONE}" for n in EXTRA_NAMES})
    for name in names:
        for t in TYPES:
            test.assertEqual(answer_key(e, name, t), answer_key(primary, name, t),
                             f"{step}: enumd vs {primary.label} for {name} {t}")


class FollowsPrimaryTest(unittest.TestCase):
    """enumd as secondary of BIND and Knot: AXFR, nsupdate + NOTIFY -> IXFR,
    restart without a transfer."""

    def follow(self, primary_class):
        tmp = self.enterContext(TempDir())
        port = free_port()
        primary = primary_class(port)
        primary.start()
        self.addCleanup(primary.stop)
        e = PinnedEnumd(port, extra_config=secondary_config(tmp, primary.port))
        e.start()
        self.addCleanup(e.stop)
        compare_with_primary(self, primary, e, "first transfer")
        first = (r"AXFR of e164\.arpa\. from 127\.0\.0\.1:\d+ key xfr-key\.: "
                 r"serial none to 100 \(whole zone")
        self.assertTrue(wait_for(lambda: re.search(first, e.log_text()), timeout=10),
                        e.log_text()[-3000:])
        primary.update(
            "update add 5.1.0.5.5.5.2.1.6.e164.arpa. 300 IN NAPTR 10 100 \"u\" \"E2U+sip\" "
            "\"!^.*$!sip:new@example.com!\" .",
            "update delete 4.1.0.5.5.5.2.1.6.e164.arpa. NAPTR")
        compare_with_primary(self, primary, e, "first update")
        primary.update("update add extra.e164.arpa. 60 IN TXT \"hello\"",
                       "update delete 1.1.9.0.0.5.5.5.3.1.6.e164.arpa.")
        compare_with_primary(self, primary, e, "second update")
        incremental = r"IXFR of e164\.arpa\. from .*\(incremental"
        self.assertTrue(wait_for(lambda: len(re.findall(incremental, e.log_text())) >= 2,
                                 timeout=10), e.log_text()[-3000:])
        self.assertEqual(len(re.findall(incremental, e.log_text())), 2, e.log_text()[-3000:])
        # enumd serves IXFR itself from what it applied (its journal).
        r = dns.query.xfr(HOST, ZONE, rdtype=dns.rdatatype.IXFR, serial=100, port=e.port,
                          keyring=KEYRING, keyname=KEY_NAME, timeout=5)
        soas = [rr for m in r for rr in m.answer if rr.rdtype == dns.rdatatype.SOA]
        self.assertGreaterEqual(len(soas), 4)  # new, and at least one difference
        # A restart: served at once, from the store, no new transfer.
        transfers = primary.transfers()
        self.assertGreaterEqual(transfers, 3, primary.log_text()[-3000:])
        serial = enumd_serial(e)
        e.restart()
        self.assertEqual(enumd_serial(e), serial)
        time.sleep(1.0)
        self.assertEqual(primary.transfers(), transfers)
        self.assertNotIn("transferring", e.log_text().split("### ")[-1])
        compare_with_primary(self, primary, e, "after restart")
        return primary, e

    def test_bind_primary(self):
        self.follow(BindPrimary)

    def test_knot_primary(self):
        self.follow(KnotPrimary)


class FakePrimary:
    """A primary that answers SOA queries (UDP and TCP) and transfers, in a
    mode: "good", "truncated" (closes mid-transfer), "bad-tsig" (signs with
    the wrong key), "wrong-serial" (ends with another serial), "endless"
    (never ends), "bad-ixfr" (an IXFR whose deletion the secondary lacks),
    "no-ixfr" (IXFR answered NOTIMP, as by a primary without IXFR). Every
    answer is signed with KEY (but bad-tsig's). `requests` lists the
    transfers asked for ("AXFR", "IXFR"), in order."""

    def __init__(self, serial=1, timers="3600 1 86400"):
        self.serial = serial
        self.timers = timers  # the SOA's refresh, retry, expire
        self.mode = "good"
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((HOST, self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((HOST, self.port))
        self.tcp.listen(8)
        self.stopping = False
        self.transfers = 0
        self.requests = []
        self.threads = [threading.Thread(target=self.serve_udp, daemon=True),
                        threading.Thread(target=self.serve_tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping = True
        self.udp.close()
        self.tcp.close()

    def soa(self, serial):
        return dns.rrset.from_text(ZONE, 3600, "IN", "SOA",
                                   f"ns.{ZONE} root.{ZONE} {serial} {self.timers} 60")

    def records(self, serial):
        rrs = [dns.rrset.from_text(ZONE, 3600, "IN", "NS", f"ns.{ZONE}"),
               dns.rrset.from_text(f"ns.{ZONE}", 3600, "IN", "A", "127.0.0.1")]
        for i in range(serial):
            rrs.append(dns.rrset.from_text(f"{i}.5.5.5.{ZONE}", 3600, "IN", "NAPTR",
                                           f'10 100 "u" "E2U+sip" "!^.*$!sip:{serial}-{i}@x!" .'))
        return rrs

    def serve_udp(self):
        while not self.stopping:
            try:
                wire, peer = self.udp.recvfrom(65535)
                q = dns.message.from_wire(wire, keyring=KEYRING)
                r = dns.message.make_response(q)
                r.flags |= dns.flags.AA
                r.answer.append(self.soa(self.serial))
                self.udp.sendto(r.to_wire(), peer)
            except Exception:
                continue

    def serve_tcp(self):
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_conn, args=(conn,), daemon=True).start()

    def serve_conn(self, conn):
        try:
            with conn:
                n = struct.unpack("!H", conn.recv(2))[0]
                wire = b""
                while len(wire) < n:
                    wire += conn.recv(n - len(wire))
                q = dns.message.from_wire(wire, keyring=KEYRING)
                if q.question[0].rdtype == dns.rdatatype.SOA:
                    r = dns.message.make_response(q)
                    r.flags |= dns.flags.AA
                    r.answer.append(self.soa(self.serial))
                    out = r.to_wire()
                    conn.sendall(struct.pack("!H", len(out)) + out)
                    return
                self.transfers += 1
                self.requests.append(dns.rdatatype.to_text(q.question[0].rdtype))
                self.transfer(conn, q)
        except Exception:
            return

    def transfer(self, conn, q):
        mode, serial = self.mode, self.serial
        if mode == "no-ixfr" and q.question[0].rdtype == dns.rdatatype.IXFR:
            r = dns.message.make_response(q)
            r.set_rcode(dns.rcode.NOTIMP)
            out = r.to_wire()
            conn.sendall(struct.pack("!H", len(out)) + out)
            return
        if mode == "bad-ixfr" and q.question[0].rdtype == dns.rdatatype.IXFR:
            # An incremental answer whose deletion the secondary's zone lacks.
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            r.answer = [self.soa(serial), self.soa(serial - 1),
                        dns.rrset.from_text(f"77.5.5.5.{ZONE}", 3600, "IN", "TXT", '"never"'),
                        self.soa(serial), self.soa(serial)]
            out = r.to_wire()
            conn.sendall(struct.pack("!H", len(out)) + out)
            return
        rrs = [self.soa(serial)] + self.records(serial)
        final = self.soa(serial + 1 if mode == "wrong-serial" else serial)
        chunks = [rrs[i:i + 2] for i in range(0, len(rrs), 2)] + [[final]]
        if mode == "truncated":
            chunks = chunks[:-2]
        if mode == "endless":
            chunks = chunks[:-1]  # the rest never comes
        ctx = None
        for i, chunk in enumerate(chunks):
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            if mode == "bad-tsig":
                r.use_tsig(WRONG_KEYRING, KEY_NAME)
                r.request_mac = q.mac
            r.answer = chunk
            out = r.to_wire(multi=True, tsig_ctx=ctx)
            ctx = r.tsig_ctx
            conn.sendall(struct.pack("!H", len(out)) + out)
            time.sleep(0.01)
        if mode == "endless":
            # A transfer that never ends: the connection stays open, silent.
            deadline = time.monotonic() + 30
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.1)

    def notify(self, keyring=KEYRING, source=HOST, port=None):
        m = dns.message.make_query(ZONE, "SOA")
        m.flags = dns.flags.AA  # RD clear; the opcode (in the same word) after it
        m.set_opcode(dns.opcode.NOTIFY)
        if keyring:
            m.use_tsig(keyring, KEY_NAME)
        return dns.query.udp(m, HOST, port=port, timeout=2, source=source)


class BadPrimaryTest(unittest.TestCase):
    def setUp(self):
        tmp = self.enterContext(TempDir())
        self.primary = FakePrimary(serial=3)
        self.addCleanup(self.primary.stop)
        config = secondary_config(tmp, self.primary.port, timeout=2)
        self.metrics_port = free_port()
        config["metrics"] = {"listen": f"{HOST}:{self.metrics_port}"}
        self.e = Enumd(extra_config=config)
        self.e.start()
        self.addCleanup(self.e.stop)
        self.assertTrue(wait_for(lambda: enumd_serial(self.e) == 3, timeout=10),
                        self.e.log_text()[-3000:])
        self.before = answer_key(self.e, f"1.5.5.5.{ZONE}", "NAPTR")

    def metric(self, name, **labels):
        """A sample of enumd's /metrics page (0 when absent)."""
        with urllib.request.urlopen(f"http://{HOST}:{self.metrics_port}/metrics",
                                    timeout=5) as r:
            text = r.read().decode()
        want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
                       if labels else "")
        for line in text.splitlines():
            if line.startswith(want + " "):
                return float(line.split()[-1])
        return 0.0

    def misbehave(self, mode, reason):
        """The primary moves to serial 4 but sends it `mode`-style: enumd logs
        `reason`, keeps serial 3 and its answers, and retries."""
        self.primary.mode = mode
        self.primary.serial = 4
        started = self.primary.transfers
        self.assertEqual(self.primary.notify(port=self.e.port).rcode(), dns.rcode.NOERROR)
        self.assertTrue(wait_for(lambda: re.search(reason, self.e.log_text()), timeout=10),
                        self.e.log_text()[-3000:])
        self.assertRegex(self.e.log_text(),
                         r"zone e164\.arpa\.: [AI]XFR of e164\.arpa\. from 127\.0\.0\.1:\d+ key "
                         r"xfr-key\.: .*" + reason)
        self.assertEqual(enumd_serial(self.e), 3)
        self.assertEqual(answer_key(self.e, f"1.5.5.5.{ZONE}", "NAPTR"), self.before)
        # Retried at the SOA's retry interval (1 s) without another NOTIFY.
        seen = self.primary.transfers
        self.assertTrue(wait_for(lambda: self.primary.transfers > seen, timeout=8))
        self.assertGreater(seen, started)
        failed = (self.metric("enumd_transfers_in_total", type="AXFR", result="failed") +
                  self.metric("enumd_transfers_in_total", type="IXFR", result="failed"))
        self.assertGreaterEqual(failed, 1)
        self.assertEqual(self.metric("enumd_zone_expired", zone=ZONE), 0)
        # A primary that behaves again is followed.
        self.primary.mode = "good"
        self.assertTrue(wait_for(lambda: enumd_serial(self.e) == 4, timeout=10),
                        self.e.log_text()[-3000:])
        self.assertNotEqual(answer_key(self.e, f"1.5.5.5.{ZONE}", "NAPTR"), self.before)

        def applied():
            return (self.metric("enumd_transfers_in_total", type="AXFR", result="applied") +
                    self.metric("enumd_transfers_in_total", type="IXFR", result="applied"))

        # The first AXFR, and this one. The new serial answers as soon as the
        # writer has published it; the transfer is counted just after (a
        # scrape in between, seen under ThreadSanitizer, still says 1).
        self.assertTrue(wait_for(lambda: applied() >= 2, timeout=5), applied())
        self.assertGreater(self.metric("enumd_transfer_in_records_total"), 0)
        self.assertGreaterEqual(self.metric("enumd_soa_checks_total", result="newer"), 2)
        self.assertGreater(self.metric("enumd_zone_last_refresh_time_seconds", zone=ZONE), 0)
        status = self.e.enumctl(["status", "--store", self.e.store]).stdout
        self.assertRegex(status, r"transfers_in\tchecks_up_to_date \d+\tchecks_newer \d+\t")

    def test_truncated_transfer(self):
        self.misbehave("truncated", r"closed the connection after \d+ messages")

    def test_bad_tsig(self):
        requests = len(self.primary.requests)
        self.misbehave("bad-tsig", r"TSIG BADSIG")
        # An IXFR that failed TSIG is not followed by an AXFR: it would fail
        # the same way (the retries are IXFRs again).
        self.assertEqual(set(self.primary.requests[requests:]), {"IXFR"},
                         self.primary.requests)

    def test_primary_without_ixfr_is_followed_by_axfr(self):
        requests = len(self.primary.requests)
        self.primary.mode = "no-ixfr"
        self.primary.serial = 4
        self.assertEqual(self.primary.notify(port=self.e.port).rcode(), dns.rcode.NOERROR)
        self.assertTrue(wait_for(lambda: enumd_serial(self.e) == 4, timeout=10),
                        self.e.log_text()[-3000:])
        self.assertEqual(self.primary.requests[requests:requests + 2], ["IXFR", "AXFR"])
        self.assertRegex(self.e.log_text(),
                         r"IXFR of e164\.arpa\. from 127\.0\.0\.1:\d+ key xfr-key\.: "
                         r"message 1: answered NOTIMP")
        self.assertNotEqual(answer_key(self.e, f"1.5.5.5.{ZONE}", "NAPTR"), self.before)

    def test_wrong_final_serial(self):
        self.misbehave("wrong-serial", r"the final SOA has serial 5, the first 4")

    def test_transfer_that_never_ends(self):
        self.misbehave("endless", r"not whole after 2 s")

    def test_ixfr_that_does_not_apply_is_followed_by_axfr(self):
        self.primary.mode = "bad-ixfr"
        self.primary.serial = 4
        self.assertEqual(self.primary.notify(port=self.e.port).rcode(), dns.rcode.NOERROR)
        self.assertTrue(wait_for(lambda: enumd_serial(self.e) == 4, timeout=10),
                        self.e.log_text()[-3000:])
        # The transfer's line is logged after the zone is served: wait for it.
        axfr = r"AXFR of e164\.arpa\. from .*: serial 3 to 4 \(whole zone"
        self.assertTrue(wait_for(lambda: re.search(axfr, self.e.log_text()), timeout=10),
                        self.e.log_text()[-3000:])
        self.assertRegex(self.e.log_text(),
                         r"IXFR of e164\.arpa\. from 127\.0\.0\.1:\d+ key xfr-key\.: record "
                         r"3: deletes 77\.5\.5\.5\.e164\.arpa\. type 16, which the zone does "
                         r"not have")
        self.assertNotEqual(answer_key(self.e, f"1.5.5.5.{ZONE}", "NAPTR"), self.before)

    def test_notify_and_update_refused(self):
        # From an address that is not a primary (127.0.0.2), and unsigned
        # while the primary has a key: REFUSED, as BIND answers.
        self.assertEqual(self.primary.notify(port=self.e.port, source="127.0.0.2").rcode(),
                         dns.rcode.REFUSED)
        self.assertEqual(self.primary.notify(port=self.e.port, keyring=None).rcode(),
                         dns.rcode.REFUSED)
        u = dns.update.UpdateMessage(ZONE, keyring=KEYRING, keyname=KEY_NAME)
        u.add(f"9.{ZONE}", 60, "TXT", '"x"')
        self.assertEqual(dns.query.tcp(u, HOST, port=self.e.port, timeout=5).rcode(),
                         dns.rcode.REFUSED)
        self.assertEqual(enumd_serial(self.e), 3)


class ExpireTest(unittest.TestCase):
    def test_servfail_after_expire_also_after_a_restart(self):
        # Refresh 2 s, retry 1 s, expire 6 s (enumd's smallest, as Knot's).
        tmp = self.enterContext(TempDir())
        primary = FakePrimary(serial=7, timers="2 1 6")
        self.addCleanup(primary.stop)
        e = Enumd(extra_config=secondary_config(tmp, primary.port, timeout=2))
        e.start()
        self.addCleanup(e.stop)
        self.assertTrue(wait_for(lambda: enumd_serial(e) == 7, timeout=10), e.log_text()[-3000:])
        primary.stop()  # the primary goes away: refreshes fail from now on
        self.assertTrue(wait_for(lambda: e.query(ZONE, "SOA").rcode() == dns.rcode.SERVFAIL,
                                 timeout=12), e.log_text()[-3000:])
        self.assertIn("zone e164.arpa.: expired: no answer from its primaries for 6 s",
                      e.log_text())
        self.assertEqual(e.query(f"1.5.5.5.{ZONE}", "NAPTR").rcode(), dns.rcode.SERVFAIL)
        status = json.loads(e.enumctl(["status", "--store", e.store, "--json"]).stdout)
        zone = status["zones"][0]
        self.assertEqual((zone["role"], zone["serial"], zone["expired"]), ("secondary", 7, True))
        self.assertIn("SOA query", zone["refresh_error"])
        self.assertRegex(e.enumctl(["status", "--store", e.store]).stdout,
                         r"e164\.arpa\.\tserial 7\t.*\tsecondary, refreshed \d+ s ago, next "
                         r"check in \d+ s, EXPIRED \(SERVFAIL\), last failure: .*SOA query")
        # The last good refresh is in the store: a restart does not revive it.
        e.restart()
        self.assertEqual(e.query(ZONE, "SOA").rcode(), dns.rcode.SERVFAIL)


class NeverTransferredTest(unittest.TestCase):
    def test_servfail_until_transferred(self):
        tmp = self.enterContext(TempDir())
        e = Enumd(extra_config=secondary_config(tmp, free_port(), timeout=1))
        e.start()
        self.addCleanup(e.stop)
        r = e.query(ZONE, "SOA")
        self.assertEqual(r.rcode(), dns.rcode.SERVFAIL)
        self.assertFalse(r.flags & dns.flags.AA)
        self.assertTrue(wait_for(lambda: "nothing to serve yet" in e.log_text(), timeout=10),
                        e.log_text()[-2000:])


if __name__ == "__main__":
    unittest.main()
