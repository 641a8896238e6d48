"""A catalog zone (RFC 9432) that enumd generates (issue 20): `catalog:
generate` lists every other configured zone. BIND 9 (catalog-zones) and Knot
DNS (catalog-role: interpret) consume it as secondaries of enumd: they add
the member zones, transfer them, answer as enumd does, and follow when a
SIGHUP adds or removes a zone. Also: the catalog's own records, a serial that
moves only when the list changes (across restarts too), IXFR of the change,
and the catalog refusing updates, imports and a file.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import unittest

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import dns.xfr
import dns.zone

import enumd_harness
from enumd_harness import HOST, Enumd, free_port
from test_transfer import ZONE, ZONE_TEXT, Secondary, answer_key, wait_for

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
CATALOG = "catalog.enumd."
OTHER = "example.net."
ADDED = "example.org."


def small_zone(origin, address):
    return (f"$TTL 300\n@ SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 60\n"
            f"@ NS ns.{origin}\nns A 127.0.0.1\nwww A {address}\n")


def axfr(port, zone):
    z = dns.zone.Zone(zone)
    q, _ = dns.xfr.make_query(z)
    dns.query.inbound_xfr(HOST, z, query=q, port=port, timeout=10, lifetime=30)
    return z


class BindConsumer(Secondary):
    label = "named-catalog"

    def _prepare(self):
        t = self.tmp
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
    notify no;
    minimal-responses yes;
    answer-cookie no;
    allow-new-zones yes;
    catalog-zones {{
        zone "{CATALOG}" default-primaries {{ {HOST} port {self.primary_port}; }};
    }};
}};
controls {{ }};
zone "{CATALOG}" {{
    type secondary;
    primaries {{ {HOST} port {self.primary_port}; }};
    file "{t}/catalog.bk";
}};
"""
        self.config_path = os.path.join(t, "named.conf")
        with open(self.config_path, "w") as f:
            f.write(conf)

    def _command(self):
        return [enumd_harness.NAMED, "-g", "-n", "1", "-c", self.config_path]


class KnotConsumer(Secondary):
    label = "knotd-catalog"

    def _prepare(self):
        t = self.tmp
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
remote:
  - id: primary
    address: {HOST}@{self.primary_port}
acl:
  - id: notify_from_primary
    address: {HOST}
    action: notify
template:
  - id: default
    storage: "{t}"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
  - id: member
    storage: "{t}"
    master: primary
    acl: notify_from_primary
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
    semantic-checks: off
zone:
  - domain: {CATALOG}
    master: primary
    acl: notify_from_primary
    catalog-role: interpret
    catalog-template: member
"""
        self.config_path = os.path.join(t, "knot.conf")
        with open(self.config_path, "w") as f:
            f.write(conf)

    def _command(self):
        return [KNOTD, "-c", self.config_path]


class CatalogTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="catalog-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.files = {}
        for origin, text in ((ZONE, ZONE_TEXT), (OTHER, small_zone(OTHER, "192.0.2.1")),
                             (ADDED, small_zone(ADDED, "192.0.2.2"))):
            self.files[origin] = os.path.join(self.tmp, origin + "db")
            with open(self.files[origin], "w") as f:
                f.write(text)

    def config(self, members, notify_ports=()):
        allow = {"allow": ["127.0.0.0/8"]}
        zones = [{"origin": o, "file": self.files[o], "transfer": allow,
                  "notify": [f"{HOST}:{p}" for p in notify_ports]} for o in members]
        zones.append({"origin": CATALOG, "catalog": "generate", "transfer": allow,
                      "notify": [f"{HOST}:{p}" for p in notify_ports]})
        return {"zones": zones, "notify": {"retries": 3, "retry_interval_ms": 300}}

    def start_enumd(self, members, notify_ports=()):
        e = Enumd(zones=(), extra_config=self.config(members, notify_ports))
        e.start()
        self.addCleanup(e.stop)
        return e

    def reconfigure(self, e, members, notify_ports=()):
        e.extra_config = self.config(members, notify_ports)
        store = e.store
        e._prepare()  # rewrites the config file (the store stays)
        self.assertEqual(e.store, store)
        e.proc.send_signal(signal.SIGHUP)

    def catalog_serial(self, server):
        r = server.query(CATALOG, "SOA")
        return r.answer[0][0].serial if r.answer else None

    def test_the_catalog_records_and_serial(self):
        e = self.start_enumd([ZONE, OTHER])
        z = axfr(e.port, CATALOG)
        soa = z.find_rdataset("@", "SOA")
        self.assertEqual(soa.ttl, 0)
        self.assertEqual([r.to_text() for r in z.find_rdataset("@", "NS")], ["invalid."])
        self.assertEqual([r.to_text() for r in z.find_rdataset("version", "TXT")], ['"2"'])
        members = {}
        for name, node in z.nodes.items():
            for rds in node.rdatasets:
                if rds.rdtype == dns.rdatatype.PTR:
                    labels = name.labels
                    self.assertEqual(labels[1], b"zones", name)
                    self.assertEqual(len(labels), 2, name)
                    members[rds[0].target.to_text()] = labels[0]
        self.assertEqual(sorted(members), sorted([ZONE, OTHER]))
        self.assertEqual(len(set(members.values())), 2)  # unique labels
        serial = soa[0].serial

        # A SIGHUP that changes nothing, and a restart: the same serial.
        self.reconfigure(e, [ZONE, OTHER])
        self.assertTrue(wait_for(lambda: "reload: done" in e.log_text()))
        self.assertEqual(self.catalog_serial(e), serial)
        e.restart()
        self.assertEqual(self.catalog_serial(e), serial)

        # A zone added: the serial goes up, the old members keep their
        # labels, and IXFR from the old serial is the difference.
        self.reconfigure(e, [ZONE, OTHER, ADDED])
        self.assertTrue(wait_for(lambda: (self.catalog_serial(e) or serial) != serial))
        new_serial = self.catalog_serial(e)
        self.assertEqual((new_serial - serial) % 2**32 < 2**31, True)
        msgs = list(dns.query.xfr(HOST, CATALOG, rdtype="IXFR", serial=serial, port=e.port,
                                  relativize=False, timeout=5, lifetime=10))
        added = [rr for m in msgs for rr in m.answer if rr.rdtype == dns.rdatatype.PTR]
        self.assertEqual([rd.target.to_text() for rr in added for rd in rr], [ADDED])
        z = axfr(e.port, CATALOG)
        for target, label in members.items():
            node = z.get_node(dns.name.Name([label, b"zones"]), False)
            self.assertIsNotNone(node, target)

    def test_refuses_updates_imports_and_a_file(self):
        e = self.start_enumd([ZONE])
        u = dns.update.UpdateMessage(CATALOG)
        u.add("x.zones", 0, "PTR", "example.com.")
        r = dns.query.tcp(u, HOST, port=e.port, timeout=5)
        self.assertIn(r.rcode(), (dns.rcode.REFUSED, dns.rcode.NOTAUTH))
        done = e.enumctl(["import", "--store", e.store, "--origin", CATALOG,
                          self.files[OTHER]], check=False)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("generated catalog zone", done.stdout + done.stderr)
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(f"zones:\n  - origin: {CATALOG}\n    catalog: generate\n"
                    f"    file: {self.files[OTHER]}\n")
        done = subprocess.run([e.binary, "--check-config", bad], capture_output=True, text=True,
                              timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("bad.yaml:4", done.stderr + done.stdout)
        self.assertIn("catalog", done.stderr + done.stdout)

    def test_bind_and_knot_follow_the_catalog(self):
        consumers = []
        ports = [free_port(), free_port()]
        while ports[1] == ports[0]:
            ports[1] = free_port()
        e = self.start_enumd([ZONE, OTHER], notify_ports=ports)
        for cls, port in ((BindConsumer, ports[0]), (KnotConsumer, ports[1])):
            s = cls(e.port, port)
            s.start()
            self.addCleanup(s.stop)
            consumers.append(s)

        def serves(server, zone, name, rdtype):
            try:
                return answer_key(server, name, rdtype) == answer_key(e, name, rdtype)
            except Exception:
                return False

        checks = [(ZONE, "1.1.9.0.0.5.5.5.3.1.6." + ZONE, "NAPTR"),
                  (ZONE, "7.1.0.5.5.5.2.1.6." + ZONE, "NAPTR"),
                  (ZONE, "nothing." + ZONE, "NAPTR"),
                  (OTHER, "www." + OTHER, "A")]
        for s in consumers:
            for zone, name, rdtype in checks:
                self.assertTrue(wait_for(lambda: serves(s, zone, name, rdtype), timeout=20),
                                f"{s.label}: {name} {rdtype}\n{s.log_text()[-3000:]}")

        # A zone added on enumd: both pick it up from the catalog (NOTIFY).
        self.reconfigure(e, [ZONE, OTHER, ADDED], notify_ports=ports)
        for s in consumers:
            self.assertTrue(wait_for(lambda: serves(s, ADDED, "www." + ADDED, "A"), timeout=20),
                            f"{s.label}\n{s.log_text()[-3000:]}")
        # A zone removed: both stop serving it.
        self.reconfigure(e, [ZONE, ADDED], notify_ports=ports)

        def dropped(server):
            try:
                r = server.query("www." + OTHER, "A", timeout=1)
            except Exception:
                return False
            return r.rcode() == dns.rcode.REFUSED or not (r.flags & dns.flags.AA)
        for s in consumers:
            self.assertTrue(wait_for(lambda: dropped(s), timeout=20),
                            f"{s.label}\n{s.log_text()[-3000:]}")
            # (A consumer may re-add its zones while it takes the change.)
            self.assertTrue(wait_for(lambda: serves(s, ADDED, "www." + ADDED, "A"), timeout=10),
                            f"{s.label}\n{s.log_text()[-3000:]}")


if __name__ == "__main__":
    unittest.main()
