"""enumctl on the real binary (issue #2): the user's six commands, round trips
checked by BIND's and Knot's zone checkers, E.164 input, private suffixes,
every rejection rule with its FILE:LINE, the store lock held by a running
enumd, and kill -9 in the middle of a large import.

Record sets are compared as dnspython parses the zone files, so "the same
zone" means the same (owner, TTL, type, rdata) set whatever the layout.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest

import dns.rdatatype
import dns.rcode
import dns.zone

from enumd_harness import BIN_DIR, Enumd
from playground_queries import ORIGIN, ZONE_FILE

ENUMCTL = os.path.join(BIN_DIR, "enumctl")
NAMED_CHECKZONE = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"
KZONECHECK = shutil.which("kzonecheck") or "/usr/bin/kzonecheck"

# A zone with nothing but its apex, for tests that add numbers.
EMPTY_ZONE = textwrap.dedent("""\
    $ORIGIN {origin}
    $TTL 3600
    @ IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 60
    @ IN NS ns.example.net.
    """)


def enumctl(*args, timeout=120, env=None):
    """Runs BIN_DIR/enumctl ARGS; returns the CompletedProcess (text)."""
    return subprocess.run([ENUMCTL, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def record_set(path, origin=ORIGIN):
    """{(owner, ttl, type, rdata text)} of a zone file, as dnspython reads it."""
    zone = dns.zone.from_file(path, origin=origin, relativize=False)
    out = set()
    for name, ttl, rdata in zone.iterate_rdatas():
        out.add((name.to_text().lower(), ttl, dns.rdatatype.to_text(rdata.rdtype),
                 rdata.to_text()))
    return out


def record_set_of_text(text, origin=ORIGIN):
    with tempfile.NamedTemporaryFile("w", suffix=".db") as f:
        f.write(text)
        f.flush()
        return record_set(f.name, origin)


class EnumctlTestCase(unittest.TestCase):
    """A temp dir per test (self.tmp) with a store path (self.store) in it."""

    def setUp(self):
        if not os.access(ENUMCTL, os.X_OK):
            self.fail(f"no enumctl at {ENUMCTL} (ENUMD_BIN_DIR?)")
        self.tmp = tempfile.mkdtemp(prefix="enumctl-test-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.store = os.path.join(self.tmp, "store")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def ok(self, *args, **kw):
        """Runs enumctl and requires exit code 0; returns stdout."""
        done = enumctl(*args, **kw)
        self.assertEqual(done.returncode, 0,
                         f"enumctl {' '.join(args)}:\n{done.stdout}{done.stderr}")
        return done.stdout

    def fails(self, *args, **kw):
        """Runs enumctl and requires exit code 1 with a message; returns stderr."""
        done = enumctl(*args, **kw)
        self.assertEqual(done.returncode, 1,
                         f"enumctl {' '.join(args)} should fail:\n{done.stdout}{done.stderr}")
        self.assertTrue(done.stderr.startswith("enumctl: "), done.stderr)
        return done.stderr

    def export(self, origin=ORIGIN, store=None):
        return self.ok("export", "--store", store or self.store, origin)

    def exported_set(self, origin=ORIGIN, store=None):
        return record_set_of_text(self.export(origin, store), origin)

    def import_empty_zone(self, origin=ORIGIN):
        self.ok("import", "--store", self.store,
                self.write("empty.db", EMPTY_ZONE.format(origin=origin)))


# --- the six commands ---------------------------------------------------

class UserCommandsTest(EnumctlTestCase):
    """check, import, export, add, del, list on the playground, as in issue #2."""

    NUMBER = "+61355500999"
    NAME = "9.9.9.0.0.5.5.5.3.1.6.e164.arpa."
    URI = "sip:61355500999@pbx.example.net"

    def test_check_validates_the_playground_and_writes_nothing(self):
        scratch = self.path("scratch")
        os.mkdir(scratch)
        env = dict(os.environ, TMPDIR=scratch)
        out = self.ok("check", ZONE_FILE, env=env)
        self.assertIn("zone e164.arpa. serial 2009010918: 10 names, 16 records: OK", out)
        self.assertEqual(os.listdir(scratch), [])
        self.assertFalse(os.path.exists(self.store))

    def test_import_then_export_gives_the_zone_back(self):
        out = self.ok("import", "--store", self.store, ZONE_FILE)
        self.assertIn("imported e164.arpa. serial 2009010918: 10 names, 16 records", out)
        self.assertEqual(self.exported_set(), record_set(ZONE_FILE))

    def test_add_del_and_list_a_number(self):
        self.ok("import", "--store", self.store, ZONE_FILE)
        out = self.ok("add", "--store", self.store, self.NUMBER, self.URI)
        self.assertIn(self.NAME, out)
        want = (self.NAME, 3600, "NAPTR", f'10 100 "u" "E2U+sip" "!^.*$!{self.URI}!" .')
        # The change moved the SOA serial on by one (RFC 2136 §3.6).
        soa = next(r for r in record_set(ZONE_FILE) if r[2] == "SOA")
        bumped = soa[:3] + (soa[3].replace(" 2009010918 ", " 2009010919 "),)
        self.assertEqual(self.exported_set(),
                         (record_set(ZONE_FILE) - {soa}) | {bumped, want})

        listed = self.ok("list", "--store", self.store, "+6135550").splitlines()
        numbers = [line.split("\t")[0] for line in listed]
        self.assertEqual(numbers, ["+61355500911", "+61355500912", "+61355500913",
                                   "+61355500914", "+61355500915", "+61355500999"])

        self.ok("del", "--store", self.store, self.NUMBER)
        bumped = soa[:3] + (soa[3].replace(" 2009010918 ", " 2009010920 "),)
        self.assertEqual(self.exported_set(), (record_set(ZONE_FILE) - {soa}) | {bumped})
        listed = self.ok("list", "--store", self.store, "+6135550")
        self.assertNotIn("+61355500999", listed)
        # Deleting again: nothing to delete is an error, and changes nothing.
        self.assertIn("no NAPTR records", self.fails("del", "--store", self.store, self.NUMBER))

    def test_zones_lists_what_the_store_holds(self):
        self.ok("import", "--store", self.store, ZONE_FILE)
        out = self.ok("zones", "--store", self.store)
        self.assertIn("e164.arpa.\tserial 2009010918\t10 names\t16 records", out)


# --- round trips, checked by BIND and Knot -----------------------------------------

class RoundTripTest(EnumctlTestCase):

    def setUp(self):
        super().setUp()
        self.ok("import", "--store", self.store, ZONE_FILE)
        self.exported = self.write("exported.db", self.export())

    def test_import_export_import_gives_the_same_record_set(self):
        store2 = self.path("store2")
        self.ok("import", "--store", store2, self.exported)
        again = self.export(store=store2)
        self.assertEqual(record_set(self.exported), record_set(ZONE_FILE))
        self.assertEqual(record_set_of_text(again), record_set(ZONE_FILE))
        with open(self.exported) as f:
            self.assertEqual(again, f.read())  # a fixed point

    def test_named_checkzone_loads_the_export_and_sees_the_same_zone(self):
        if not os.access(NAMED_CHECKZONE, os.X_OK):
            self.skipTest(f"{NAMED_CHECKZONE} not installed (Debian: bind9-utils)")
        done = subprocess.run([NAMED_CHECKZONE, "-i", "local", ORIGIN, self.exported],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

        def canonical(path):
            d = subprocess.run([NAMED_CHECKZONE, "-q", "-D", "-o", "-", ORIGIN, path],
                               capture_output=True, text=True, timeout=60, check=True)
            return sorted(" ".join(line.split()) for line in d.stdout.splitlines())
        self.assertEqual(canonical(self.exported), canonical(ZONE_FILE))

    def test_kzonecheck_loads_the_export(self):
        if not os.access(KZONECHECK, os.X_OK):
            self.skipTest(f"{KZONECHECK} not installed (Debian: knot-dnssecutils)")
        done = subprocess.run([KZONECHECK, "-o", ORIGIN, self.exported],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_the_soa_comes_first(self):
        with open(self.exported) as f:
            records = [line for line in f if line.strip() and line[0] not in ";$"]
        self.assertEqual(records[0].split("\t")[3], "SOA")


# --- E.164 input ---------------------------------------------------------------

class E164InputTest(EnumctlTestCase):
    NAME = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."

    def test_the_ways_people_write_a_number_give_one_name(self):
        for i, number in enumerate(["+61 3 5550 0911", "+61-3-5550-0911", "(+61) 355500911",
                                    "+61355500911"]):
            with self.subTest(number=number):
                self.store = self.path(f"store{i}")
                self.import_empty_zone()
                self.ok("add", "--store", self.store, number, "sip:a@example.net")
                names = {r[0] for r in self.exported_set() if r[2] == "NAPTR"}
                self.assertEqual(names, {self.NAME})
                listed = self.ok("list", "--store", self.store, "+61")
                self.assertEqual(listed.split("\t")[0], "+61355500911")

    def test_what_is_not_an_e164_number_is_refused_and_changes_nothing(self):
        self.import_empty_zone()
        before = self.export()
        for bad in ["61355500911", "+61 3 5550 O911", "+61a355500911", "+6135550091112345",
                    "", "+", "++61355500911", "+61 (0) 3 5550 0911"]:
            with self.subTest(number=bad):
                self.fails("add", "--store", self.store, bad, "sip:a@example.net")
                self.fails("del", "--store", self.store, bad)
        self.assertIn("15", self.fails("add", "--store", self.store, "+6135550091112345",
                                       "sip:a@example.net"))
        self.assertEqual(self.export(), before)

    def test_list_takes_a_prefix_but_not_a_malformed_one(self):
        self.import_empty_zone()
        self.fails("list", "--store", self.store, "6135550")
        self.fails("list", "--store", self.store, "+61x")


class PrivateSuffixTest(EnumctlTestCase):
    SUFFIX = "e164.example.net."

    def test_add_list_del_under_a_private_suffix(self):
        self.import_empty_zone(self.SUFFIX)
        self.ok("add", "--store", self.store, "--suffix", "e164.example.net", "+61355500911",
                "sip:a@example.net")
        names = {r[0] for r in self.exported_set(self.SUFFIX) if r[2] == "NAPTR"}
        self.assertEqual(names, {"1.1.9.0.0.5.5.5.3.1.6.e164.example.net."})
        listed = self.ok("list", "--store", self.store, "--suffix", self.SUFFIX, "+613")
        self.assertEqual(listed.split("\t")[0], "+61355500911")
        # Under the default suffix e164.arpa. the store has no zone for it.
        self.assertIn("e164.arpa", self.fails("add", "--store", self.store, "+61355500912",
                                              "sip:b@example.net"))
        self.ok("del", "--store", self.store, "--suffix", self.SUFFIX, "+61355500911")
        self.assertEqual({r for r in self.exported_set(self.SUFFIX) if r[2] == "NAPTR"}, set())


class AddOptionsTest(EnumctlTestCase):
    NAME = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."

    def naptrs(self):
        return {(r[1], r[3]) for r in self.exported_set() if r[2] == "NAPTR"}

    def test_default_naptr(self):
        self.import_empty_zone()
        self.ok("add", "--store", self.store, "+61355500911", "sip:a@example.net")
        self.assertEqual(self.naptrs(),
                         {(3600, '10 100 "u" "E2U+sip" "!^.*$!sip:a@example.net!" .')})

    def test_order_pref_service_and_ttl(self):
        self.import_empty_zone()
        self.ok("add", "--store", self.store, "--order", "20", "--pref", "50", "--service",
                "E2U+h323", "--ttl", "600", "+61355500911", "h323:a@example.net")
        self.assertEqual(self.naptrs(),
                         {(600, '20 50 "u" "E2U+h323" "!^.*$!h323:a@example.net!" .')})
        # Joining the RRset without --ttl keeps its TTL.
        self.ok("add", "--store", self.store, "+61355500911", "sip:b@example.net")
        self.assertEqual({ttl for ttl, _ in self.naptrs()}, {600})

    def test_bad_option_values_are_refused(self):
        self.import_empty_zone()
        for args in (["--order", "65536"], ["--pref", "-1"], ["--ttl", "2147483648"],
                     ["--order", "x"], ["--flags", "u!"]):
            with self.subTest(args=args):
                self.fails("add", "--store", self.store, *args, "+61355500911", "sip:a@b")
        self.fails("add", "--store", self.store, "+61355500911", "sip:\\q@b")  # bad escape
        self.assertEqual(self.naptrs(), set())

    def test_a_uri_with_the_default_delimiter_uses_another(self):
        self.import_empty_zone()
        self.ok("add", "--store", self.store, "+61355500911", "sip:a!b@example.net")
        (ttl, rdata), = self.naptrs()
        self.assertIn("sip:a!b@example.net", rdata)

    def test_add_and_del_need_an_existing_store(self):
        self.fails("add", "--store", self.store, "+61355500911", "sip:a@b")
        self.fails("del", "--store", self.store, "+61355500911")
        self.assertFalse(os.path.exists(self.store))


# --- rejection rules --------------------------------------------------------------

HEAD = textwrap.dedent("""\
    $ORIGIN e164.arpa.
    $TTL 3600
    @ IN SOA ns.e164.arpa. hostmaster.e164.arpa. 7 3600 600 86400 60
    @ IN NS ns.example.net.
    """)  # 4 lines: the bad record below is on line 5 or later

BAD_ZONES = [
    # (name, zone text, line, words of the reason)
    ("no_soa", "$ORIGIN e164.arpa.\n$TTL 60\n@ IN NS ns.example.\nx IN A 10.0.0.1\n",
     3, "no SOA"),
    ("two_soas", HEAD + "x IN A 10.0.0.1\n@ IN SOA ns h 8 1 1 1 1\n", 6, "a second, different SOA"),
    ("soa_below_apex", HEAD.replace("@ IN SOA", "sub IN SOA"), 3, "not at the zone apex"),
    ("no_ns_at_apex", "$ORIGIN e164.arpa.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nsub IN NS ns.x.\n",
     3, "no NS records at the zone apex"),
    # (a record outside the origin is skipped with a warning, as BIND does: issue 23)
    ("ns_at_wildcard", HEAD + "* IN NS ns.example.\n", 5, "NS at a wildcard name"),
    ("cname_then_data", HEAD + "x IN CNAME y\nx IN TXT \"t\"\n", 6, "CNAME beside other data"),
    ("data_then_cname", HEAD + "x IN TXT \"t\"\nx IN CNAME y\n", 6, "CNAME beside other data"),
    ("two_cnames", HEAD + "x IN CNAME y\nx IN CNAME z\n", 6, "more than one CNAME"),
    ("class_ch", HEAD + "x CH TXT \"t\"\n", 5, "CH"),
    ("naptr_regexp", HEAD + 'x IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@b" .\n', 5,
     "malformed NAPTR regexp"),
    ("naptr_regexp_and_replacement",
     HEAD + 'x IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@b!" sip.example.\n', 5,
     "both regexp and replacement"),
    ("ttl_range", HEAD + "x 4294967296 IN A 10.0.0.1\n", 5, "TTL"),
    ("number_range", HEAD + 'x IN NAPTR 65536 100 "u" "E2U+sip" "!^.*$!sip:a@b!" .\n', 5,
     "out of range"),
    ("lone_backslash_1", HEAD + 'x IN NAPTR 10 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\1@b!" .\n', 5,
     "malformed escape"),
]


class RejectionTest(EnumctlTestCase):

    def test_check_names_file_and_line_and_writes_nothing(self):
        scratch = self.path("scratch")
        os.mkdir(scratch)
        env = dict(os.environ, TMPDIR=scratch)
        for name, text, line, reason in BAD_ZONES:
            with self.subTest(rule=name):
                path = self.write(f"{name}.db", text)
                err = self.fails("check", path, env=env)
                self.assertTrue(err.startswith(f"enumctl: {path}:{line}: "), err)
                self.assertIn(reason, err)
                self.assertEqual(os.listdir(scratch), [])
        self.assertFalse(os.path.exists(self.store))

    def test_import_of_a_bad_zone_leaves_the_store_as_it_was(self):
        self.ok("import", "--store", self.store, ZONE_FILE)
        before = self.export()
        for name, text, line, reason in BAD_ZONES:
            with self.subTest(rule=name):
                path = self.write(f"{name}.db", text)
                err = self.fails("import", "--store", self.store, "--origin", ORIGIN, path)
                self.assertTrue(err.startswith(f"enumctl: {path}:{line}: "), err)
                self.assertEqual(self.export(), before)


# --- a running enumd ---------------------------------------------------------------

class RunningEnumdTest(EnumctlTestCase):
    """Issue 19: while enumd serves the store, enumctl's writing commands go
    through it (its control socket) and queries see each change as soon as
    enumctl returns; without the socket they would be refused by the lock."""

    NUMBER_NAME = "9.9.9.0.0.5.5.5.3.1.6.e164.arpa."

    def serial(self, server):
        return server.query(ORIGIN, "SOA").answer[0][0].serial

    def test_writing_commands_go_through_a_running_enumd(self):
        with Enumd(zones=[(ORIGIN, ZONE_FILE)]) as server:
            store = server.store
            first = self.serial(server)
            out = self.ok("add", "--store", store, "+61355500999", "sip:a@b")
            self.assertIn(self.NUMBER_NAME, out)
            r = server.query(self.NUMBER_NAME, "NAPTR")
            self.assertIn("sip:a@b", r.to_text())
            self.assertEqual(self.serial(server), first + 1)
            self.ok("del", "--store", store, "+61355500911")
            r = server.query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            err = self.fails("del", "--store", store, "+61355500911")
            self.assertIn("no NAPTR records", err)
            changes = self.write("changes.txt",
                                 "# one transaction\n"
                                 "add +61355500998 300 NAPTR 10 100 \"u\" \"E2U+sip\" "
                                 "\"!^.*$!sip:x@y!\" .\n"
                                 "add 8.9.9.0.0.5.5.5.3.1.6.e164.arpa. 300 TXT \"note\"\n"
                                 "del +61355500912 NAPTR\n")
            out = self.ok("apply", "--store", store, changes)
            self.assertIn("applied 3 change(s) to e164.arpa.", out)
            r = server.query("8.9.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertIn("sip:x@y", r.to_text())
            r = server.query("2.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            self.assertEqual(self.serial(server), first + 3)
            # A bad change anywhere: nothing of the file is applied.
            bad = self.write("bad.txt", "del +61355500998\n"
                                        "add +61355500997 300 NAPTR 10 100 \"u\" \"E2U+sip\" "
                                        "\"!^.*$!sip:x@y!\" replacement.example.\n")
            err = self.fails("apply", "--store", store, bad)
            self.assertIn("bad.txt:2:", err)
            self.assertIn("sip:x@y", server.query("8.9.9.0.0.5.5.5.3.1.6.e164.arpa.",
                                                  "NAPTR").to_text())
            status = self.ok("status", "--store", store)
            self.assertIn(f"e164.arpa.\tserial {first + 3}", status)
            self.assertIn("journal 3 changes", status)
            self.assertRegex(status, r"updates\treceived \d+\tapplied 3\t")
            self.assertRegex(status, r"^enumd [0-9.]+, pid \d+, up 0d 00:0\d:\d\d\n")
            self.assertIn(f"listening on 127.0.0.1:{server.port} udp+tcp", status)
            self.assertIn("queries\t(counted only with metrics.listen set)", status)
            report = json.loads(self.ok("status", "--store", store, "--json"))
            self.assertEqual(report["zones"][0]["origin"], ORIGIN)
            self.assertEqual(report["zones"][0]["serial"], first + 3)
            self.assertEqual(report["zones"][0]["journal_changes"], 3)
            self.assertEqual(report["zones"][0]["file"], ZONE_FILE)
            self.assertEqual(report["counters"]["updates"]["applied"], 3)
            self.assertEqual(report["listeners"], [f"127.0.0.1:{server.port} udp+tcp"])
            self.assertIsNone(report["read_only"])
            self.assertGreaterEqual(report["uptime_seconds"], 0)
            # An import through it of the file, older than the zone now (its
            # serial is lower): refused as a difference, taken --whole.
            err = self.fails("import", "--store", store, ZONE_FILE)
            self.assertIn("serial did not increase", err)
            self.ok("import", "--store", store, "--whole", ZONE_FILE)
            self.assertEqual(self.serial(server), 2009010918)
            self.assertEqual(self.exported_set(store=store), record_set(ZONE_FILE))


    def wait_log(self, server, text, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while server.log_text().count(text) < count:
            if time.monotonic() > deadline:
                self.fail(f"enumd never logged {text!r} {count} time(s):\n{server.log_text()}")
            time.sleep(0.05)

    def test_a_changed_zone_file_is_written_as_its_difference(self):
        """ixfr-from-differences: SIGHUP or enumctl import of an edited file
        rewrites only the names that changed, in place, and journals them
        after the updates' entries; a changed file whose serial did not move
        on is refused, the served version kept (BIND, Knot)."""
        zone = self.path("zone.db")
        shutil.copy(ZONE_FILE, zone)
        with open(ZONE_FILE) as f:
            text = f.read()
        with Enumd(zones=[(ORIGIN, zone)]) as server:
            store = server.store
            self.ok("add", "--store", store, "+61355500999", "sip:a@b")  # journal entry 1
            serial = self.serial(server)
            self.assertEqual(serial, 2009010919)
            # Edit: a new serial, one number changed, one new; the update's
            # number is not in the file, so the difference removes it.
            edited = (text.replace("2009010918", "2009010930", 1)
                      .replace("sip:61355500912@10.0.1.98", "sip:moved-61355500911@10.0.1.98", 1)
                      + "4.4.4.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" \"E2U+sip\" "
                        "\"!^.*$!sip:new@b!\" .\n")
            self.assertNotEqual(edited, text)
            with open(zone, "w") as f:
                f.write(edited)
            server.signal(signal.SIGHUP)
            self.wait_log(server, "written in place")
            self.assertRegex(server.log_text(), r"serial 2009010930, \d+ names changed, written "
                                                r"in place \(journal: 2 changes\)")
            self.assertEqual(self.serial(server), 2009010930)
            r = server.query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertIn("moved-61355500911", r.to_text())
            self.assertIn("sip:new@b", server.query("4.4.4.0.0.5.5.5.3.1.6.e164.arpa.",
                                                   "NAPTR").to_text())
            self.assertEqual(server.query(self.NUMBER_NAME, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
            self.assertEqual(self.exported_set(store=store), record_set(zone))
            self.assertIn("journal 2 changes", self.ok("status", "--store", store))
            # The same file through enumctl import: nothing changed, nothing journaled.
            self.ok("import", "--store", store, zone)
            self.wait_log(server, "0 names changed, written in place (journal: 2 changes)")
            # Changed, but the serial did not move on: refused, the zone kept.
            with open(zone, "w") as f:
                f.write(edited.replace("sip:new@b", "sip:newer@b"))
            err = self.fails("import", "--store", store, zone)
            self.assertIn("the zone changed but its serial did not increase", err)
            self.assertIn("journal 2 changes", self.ok("status", "--store", store))
            self.assertIn("sip:new@b", server.query("4.4.4.0.0.5.5.5.3.1.6.e164.arpa.",
                                                   "NAPTR").to_text())


# --- kill -9 in the middle of an import -------------------------------------------

class KilledImportTest(EnumctlTestCase):
    """A large import killed in each of its phases leaves the previous zone
    whole; the next writer cleans up and imports normally.

    An import reads and sorts the file (no store writes yet), writes the new
    version's nodes (unlogged, into memory tables), then commits (flushes them
    to table files and flips the zone's meta record). Kills aim at each phase,
    told apart by the process's I/O counters rather than by timing, so a
    loaded machine does not move them."""

    LARGE_RECORDS = 300_000

    def write_large_zone(self):
        path = self.path("large.db")
        with open(path, "w") as f:
            f.write(HEAD)
            # Not in canonical order, so the import really sorts.
            for i in range(self.LARGE_RECORDS):
                n = str(61255500000 + (i * 7919) % 10_000_000)
                owner = ".".join(reversed(n))
                f.write(f'{owner} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:+{n}@pbx!" .\n')
        return path

    @staticmethod
    def io_counters(pid):
        """(bytes read, bytes written) by the process so far, or None once it is gone."""
        try:
            with open(f"/proc/{pid}/io") as f:
                fields = dict(line.split(": ") for line in f.read().splitlines())
            return int(fields["rchar"]), int(fields["wchar"])
        except (OSError, ValueError, KeyError):
            return None

    # What a store writes at its log's first record: zeros two chunks of
    # 1 MiB ahead (ZeroAheadLog in zone_store.cc).
    LOG_ZEROS = 2 << 20

    def kill_during(self, phase, large, small):
        """Starts an import of `large` and SIGKILLs it in `phase`; returns a
        description. Retries (up to 3 times) when the import ends first."""
        size = os.path.getsize(large)
        notes = []
        for attempt in range(3):
            proc = subprocess.Popen([ENUMCTL, "import", "--store", self.store, large],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started = time.monotonic()
            wchar_after_read = None
            while proc.poll() is None and time.monotonic() - started < 60:
                io = self.io_counters(proc.pid)
                if io is None:
                    break
                rchar, wchar = io
                if rchar >= size and wchar_after_read is None:
                    wchar_after_read = wchar
                if phase == "read":
                    # Early in the zone file (not after a fixed time: on a
                    # quiet machine the whole file is read within 0.3 s).
                    ready = size // 10 <= rchar < size // 2
                elif phase == "write nodes":
                    # The new version is registered (a small synced write: with
                    # the zeros the store writes ahead of a log's first record,
                    # LOG_ZEROS more), and its nodes go to memory until the
                    # commit flushes them.
                    ready = (wchar_after_read is not None and wchar > wchar_after_read and
                             wchar < wchar_after_read + self.LOG_ZEROS + (1 << 20))
                    if ready:
                        time.sleep(0.05)
                else:  # "commit": table files being written (past the log's zeros)
                    ready = wchar >= self.LOG_ZEROS + (2 << 20)
                if ready:
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.005)
            proc.wait(timeout=60)
            err = proc.stderr.read().decode(errors="replace").strip()
            proc.stderr.close()
            elapsed = time.monotonic() - started
            if proc.returncode == -signal.SIGKILL:
                return f"{phase}: killed after {elapsed:.2f} s (attempt {attempt + 1})"
            notes.append(f"{phase}: exited with {proc.returncode} after {elapsed:.2f} s {err}")
            if proc.returncode == 0:
                self.ok("import", "--store", self.store, small)  # put the small zone back
        self.fail("the import always ended before the kill:\n" + "\n".join(notes))

    def test_kill_9_during_a_large_import_keeps_the_previous_zone(self):
        small = self.write("small.db", HEAD + "1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" "
                           "\"E2U+sip\" \"!^.*$!sip:small@example.net!\" .\n")
        large = self.write_large_zone()
        self.ok("import", "--store", self.store, small)
        want = record_set(small)
        self.assertEqual(self.exported_set(), want)

        for phase in ("read", "write nodes", "commit"):
            with self.subTest(phase=phase):
                note = self.kill_during(phase, large, small)
                self.assertEqual(self.exported_set(), want, note)
                zones = self.ok("zones", "--store", self.store)
                self.assertIn("\t2 names\t3 records\t", zones, note)

        # A writer after the kills cleans up and imports normally.
        small2 = self.write("small2.db", HEAD + "2.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" "
                            "\"E2U+sip\" \"!^.*$!sip:small2@example.net!\" .\n")
        self.ok("import", "--store", self.store, small2)
        self.assertEqual(self.exported_set(), record_set(small2))
        self.assertEqual([f for f in os.listdir(self.store) if f.startswith("enumd-import")], [])
        # And the large zone itself imports whole.
        out = self.ok("import", "--store", self.store, large)
        self.assertIn(f"{self.LARGE_RECORDS + 2} records", out)


if __name__ == "__main__":
    unittest.main()
