"""`enumd --check-config FILE` (issue 21): a configuration and every zone file
it names checked without serving, as BIND's `named-checkconf -z`. Serials and
verdicts on zone files are compared with named-checkzone's on the same files.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import enumd_harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYGROUND = os.path.join(REPO, "zones", "playground", "e164.arpa.db")
PRIVATE = os.path.join(REPO, "zones", "private", "e164.example.net.db")
ENUMD = os.path.join(enumd_harness.BIN_DIR, "enumd")
CHECKZONE = shutil.which("named-checkzone")


def named_checkzone(origin, path):
    """(exit status, serial or None) of BIND's named-checkzone."""
    done = subprocess.run([CHECKZONE, "-i", "none", origin, path], capture_output=True,
                          text=True)
    m = re.search(r"loaded serial (\d+)", done.stdout)
    return done.returncode, int(m.group(1)) if m else None


class CheckConfigTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="enumd-checkconf-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.store = os.path.join(self.tmp, "store")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def config(self, zones, extra=""):
        lines = ["listen: [\"127.0.0.1:53\"]", f"store: {self.store}", extra, "zones:"]
        for origin, path in zones:
            lines.append(f"  - origin: {origin}")
            if path:
                lines.append(f"    file: {path}")
        return self.write("enumd.yaml", "\n".join(lines) + "\n")

    def check(self, path, *more):
        return subprocess.run([ENUMD, "--check-config", path, *more], capture_output=True,
                              text=True, timeout=60)

    def broken_copy(self):
        """The playground zone with a bad TTL on one line: (path, line)."""
        with open(PLAYGROUND) as f:
            lines = f.read().splitlines()
        n = next(i for i, l in enumerate(lines) if "NAPTR" in l and not l.startswith(";"))
        lines.insert(n + 1, "9.9.9.0.0.5.5.5.3.1.6 99999999999 IN NAPTR 10 100 \"u\" "
                     "\"E2U+sip\" \"!^.*$!sip:x@example.net!\" .")
        return self.write("broken.db", "\n".join(lines) + "\n"), n + 2

    @unittest.skipUnless(CHECKZONE, "needs named-checkzone (bind9-utils)")
    def test_good_zones_pass_with_bind_serials(self):
        path = self.config([("e164.arpa.", PLAYGROUND), ("e164.example.net.", PRIVATE)])
        done = self.check(path)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stderr, "")
        for origin, zone in (("e164.arpa.", PLAYGROUND), ("e164.example.net.", PRIVATE)):
            status, serial = named_checkzone(origin, zone)
            self.assertEqual(status, 0)
            self.assertRegex(done.stdout, rf"zone {re.escape(origin)}: serial {serial}, \d+ names,"
                             rf" \d+ records from {re.escape(zone)}: OK")
        self.assertIn("configuration OK: 2 zone(s)", done.stdout)
        # Nothing served, nothing written: the store is still not there.
        self.assertIn("not there yet", done.stdout)
        self.assertFalse(os.path.exists(self.store))
        # An empty directory (a new Docker volume) is no store yet either.
        os.mkdir(self.store)
        done = self.check(path)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("not there yet", done.stdout)
        self.assertEqual(os.listdir(self.store), [])

    @unittest.skipUnless(CHECKZONE, "needs named-checkzone (bind9-utils)")
    def test_broken_zone_file_fails_with_file_and_line(self):
        broken, line = self.broken_copy()
        status, _ = named_checkzone("e164.arpa.", broken)
        self.assertNotEqual(status, 0, "BIND accepts the broken file")
        path = self.config([("e164.arpa.", broken), ("e164.example.net.", PRIVATE)])
        done = self.check(path)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stderr, rf"enumd: zone e164\.arpa\.: {re.escape(broken)}:{line}: ")
        self.assertIn("the store has no copy: enumd would not start", done.stderr)
        # The other zone is still checked and reported.
        self.assertIn("zone e164.example.net.: serial", done.stdout)
        self.assertIn("1 problem(s); 1 of 2 zone(s) OK; enumd would not start", done.stdout)

    def test_syntax_error_in_the_config_names_file_and_line(self):
        path = self.write("enumd.yaml", "listen: [\"127.0.0.1:53\"]\nworkers: lots\n")
        done = self.check(path)
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, rf"^enumd: {re.escape(path)}:2: key 'workers'")

    def test_missing_zone_file_is_an_error(self):
        path = self.config([("e164.arpa.", os.path.join(self.tmp, "nope.db"))])
        done = self.check(path)
        self.assertEqual(done.returncode, 1)
        self.assertIn("nope.db", done.stderr)

    def test_zone_without_file_must_be_in_the_store(self):
        path = self.config([("e164.arpa.", None)])
        done = self.check(path)
        self.assertEqual(done.returncode, 1)
        self.assertIn("zone e164.arpa.: no file, and the store", done.stderr)
        # Once imported, the same configuration passes.
        subprocess.run([os.path.join(enumd_harness.BIN_DIR, "enumctl"), "import", "--store",
                        self.store, PLAYGROUND], check=True, capture_output=True)
        done = self.check(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"zone e164\.arpa\.: serial \d+, .* in the store: OK")

    def test_secondary_zone_needs_no_file_but_its_key(self):
        # Issue 20: a zone with primaries is transferred, not read; its key
        # must be in a key file or enumd would not start.
        kf = self.write("xfr.key", 'key "xfr" { algorithm hmac-sha256; secret "'
                        'ZW51bWQtdHJhbnNmZXItdGVzdC1zZWNyZXQtMDEyMw=="; };\n')
        zone = ("zones:\n  - origin: e164.arpa.\n    primaries:\n"
                "      - {address: 192.0.2.1, port: 5300, key: KEY}\n")
        path = self.write("enumd.yaml", f"store: {self.store}\nkeys: [{kf}]\n" +
                          zone.replace("KEY", "xfr"))
        done = self.check(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("zone e164.arpa.: secondary of 192.0.2.1 port 5300 key xfr.; not in the "
                      "store yet", done.stdout)
        path = self.write("enumd.yaml", f"store: {self.store}\nkeys: [{kf}]\n" +
                          zone.replace("KEY", "other"))
        done = self.check(path)
        self.assertEqual(done.returncode, 1)
        self.assertIn("zone e164.arpa.: primary 192.0.2.1 key other. is in no key file",
                      done.stderr)
        # A file beside primaries is a configuration error with its line.
        path = self.write("enumd.yaml", f"store: {self.store}\nkeys: [{kf}]\n" +
                          zone.replace("KEY", "xfr") + "    file: x.db\n")
        done = self.check(path)
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stderr, r"enumd\.yaml:7: key 'zones\[0\]\.file': a zone with "
                                      r"primaries takes no file")

    def test_flags_apply_as_when_serving(self):
        path = self.config([])
        done = self.check(path, "--zone", f"e164.arpa.={PLAYGROUND}")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("zone e164.arpa.: serial", done.stdout)

    def test_while_enumd_serves_the_store(self):
        """A running enumd holds the store's write lock; the check still
        reads it, and says which serial stays in service when a file breaks."""
        with enumd_harness.Enumd(zones=[("e164.arpa.", PLAYGROUND)]) as enumd:
            serial = enumd.query("e164.arpa.", "SOA").answer[0][0].serial
            broken, line = self.broken_copy()
            self.store = enumd.store
            path = self.config([("e164.arpa.", broken)])
            done = self.check(path)
            # 2: enumd would start, serving the stored copy.
            self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
            self.assertIn("enumd would start and serve the stored version", done.stdout)
            self.assertIn(f"{broken}:{line}: ", done.stderr)
            self.assertIn(f"enumd keeps serving the stored serial {serial}", done.stderr)
            self.assertIn(f"store {enumd.store}: 1 zone(s)", done.stdout)


if __name__ == "__main__":
    unittest.main()
