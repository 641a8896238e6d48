"""Foreign zone files read as BIND reads them (issue 23) and oversize data
refused at check/import time (issue 18).

The corpus (zones/foreign, written for this project: one file per case of
issue 23, and files named bind-*, knot-* and nsd-* shaped after the
constructs the test-suite zones of BIND 9, Knot DNS and NSD exercise, none
copied from them) goes through enumctl check/import/export and through BIND's
named-checkzone/named-compilezone (zone_corpus.py); the agreement rate is
printed and must stay at the measured level. The oversize cases are
generated here rather than kept as large files.
"""

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

import zone_corpus

ENUMCTL = zone_corpus.ENUMCTL
HEAD = """$TTL 3600
@\tIN SOA\tns1.example. hostmaster.example. 1 7200 3600 1209600 300
\tIN NS\tns1
ns1\tIN A\t192.0.2.1
"""


def enumctl(*args, **kw):
    return subprocess.run([ENUMCTL, *args], capture_output=True, text=True, timeout=120, **kw)


class CorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = zone_corpus.compare_corpus()
        print(file=sys.stderr)
        zone_corpus.report(cls.results, out=sys.stderr)

    def test_agreement_with_bind(self):
        """Every zone but the documented ones: same decision, same records."""
        differ = [r for r in self.results if not r["agree"]]
        undocumented = [f"{r['name']}: {r['detail']}" for r in differ
                        if r["name"] not in zone_corpus.DOCUMENTED]
        self.assertEqual(undocumented, [])
        self.assertGreaterEqual(len(self.results), 105)

    def test_documented_differences_still_differ_as_documented(self):
        by_name = {r["name"]: r for r in self.results}
        for name in zone_corpus.DOCUMENTED:
            r = by_name[name]
            self.assertTrue(r["bind_ok"], name)
            self.assertFalse(r["enumd_ok"], name)

    def test_every_case_of_the_issue_has_a_sample(self):
        names = {r["name"] for r in self.results}
        for case in ["no-ttl-soa-minimum.db", "axfr-dump.db", "generate-modifiers.db",
                     "out-of-zone.db", "svcb-https.db", "nsec3-bind.db", "apl.db",
                     "generic-rdata.db", "rrsig-ttls.db", "case-duplicates.db",
                     "ns-no-address.db", "ns-cname.db", "ns-below-dname.db",
                     "ns-wildcard.db", "two-dnames.db", "owner-special-chars.db"]:
            self.assertIn(case, names)


CHECK_NAMES_LINE = re.compile(r":(\d+): .*\(check-names\)")


class CheckNamesTest(unittest.TestCase):
    """BIND's check-names (zone/check_names.h) on every corpus file: the
    records enumctl warns about are the ones named-checkzone warns about (its
    default, -k warn), and with --check-names fail enumctl decides as
    `named-checkzone -k fail` (named's default for a primary zone)."""

    @classmethod
    def setUpClass(cls):
        cls.files = zone_corpus.zone_files(zone_corpus.CORPUS)

    def run_both(self, path, enumctl_mode, bind_mode):
        origin = zone_corpus.zone_origin(path)
        cwd = os.path.dirname(path)
        ours = zone_corpus.run([ENUMCTL, "check", "--check-names", enumctl_mode, "--origin",
                                origin, path], cwd)
        bind = zone_corpus.run([zone_corpus.CHECKZONE, "-k", bind_mode, origin, path], cwd)
        return ours, bind

    def test_warnings_name_the_lines_bind_warns_about(self):
        flagged = 0
        for path in self.files:
            ours, bind = self.run_both(path, "warn", "warn")
            if ours.returncode != 0 or bind.returncode != 0:
                continue  # rejected for another reason: nothing to compare
            with self.subTest(os.path.basename(path)):
                want = sorted(int(m) for m in CHECK_NAMES_LINE.findall(bind.stdout))
                got = sorted(int(m) for m in CHECK_NAMES_LINE.findall(ours.stderr))
                self.assertEqual(got, want, ours.stderr + bind.stdout)
                flagged += len(want)
        self.assertGreaterEqual(flagged, 10)  # the check-names samples do flag

    def test_fail_mode_decides_as_named_checkzone_k_fail(self):
        rejected = 0
        for path in self.files:
            name = os.path.basename(path)
            if name in zone_corpus.DOCUMENTED:
                continue
            ours, bind = self.run_both(path, "fail", "fail")
            with self.subTest(name):
                self.assertIn(ours.returncode, (0, 1), ours.stderr)
                self.assertEqual(ours.returncode == 0, bind.returncode == 0,
                                 ours.stderr + bind.stdout)
                if ours.returncode and "check-names" in ours.stderr:
                    rejected += 1
        self.assertGreaterEqual(rejected, 7)

    def test_ignore_mode_says_nothing(self):
        path = os.path.join(zone_corpus.CORPUS, "bind-check-names-mx.db")
        r = enumctl("check", "--check-names", "ignore", "--origin", "example.", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("check-names", r.stderr)
        r = enumctl("check", "--check-names", "maybe", "--origin", "example.", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--check-names takes warn, fail or ignore", r.stderr)


class OversizeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zone-oversize-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def zone(self, body, name="z.db"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(HEAD + body)
        return path

    def assert_rejected(self, path, line, reason):
        for cmd in (["check", "--origin", "example.", path],
                    ["import", "--store", os.path.join(self.tmp, "store"), "--origin",
                     "example.", path]):
            r = enumctl(*cmd)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(f"{path}:{line}: ", r.stderr)
            self.assertIn(reason, r.stderr)

    def test_rrset_larger_than_a_message_is_refused(self):
        """280 NAPTR records of ~270 octets (75 KB): no message can hold them."""
        regexp = "!^.*$!sip:" + "x" * 230 + "@example.net!"
        body = "".join(f'big\tIN NAPTR\t10 {i} "u" "E2U+sip" "{regexp}" .\n' for i in range(280))
        path = self.zone(body)
        # The record that no longer fits is reported, at its own line.
        r = enumctl("check", "--origin", "example.", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not fit in a DNS message", r.stderr)
        line = int(r.stderr.split(path + ":")[1].split(":")[0])
        self.assertGreater(line, 200)
        self.assert_rejected(path, line, "does not fit in a DNS message")
        # BIND refuses it too.
        b = subprocess.run([zone_corpus.CHECKZONE, "example.", path], capture_output=True,
                           text=True)
        self.assertNotEqual(b.returncode, 0)

    def test_many_records_at_one_name_are_refused(self):
        body = "".join(f"many\tIN A\t10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n"
                       for i in range(6000))
        path = self.zone(body)
        r = enumctl("check", "--origin", "example.", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not fit in a DNS message", r.stderr)

    def test_more_than_255_types_at_one_name_are_refused(self):
        body = "".join(f"types\tIN TYPE{65000 + i}\t\\# 1 00\n" for i in range(256))
        path = self.zone(body)
        self.assert_rejected(path, 5 + 255, "more than 255 record types")

    def test_255_types_at_one_name_import_and_export(self):
        body = "".join(f"types\tIN TYPE{65000 + i}\t\\# 1 00\n" for i in range(254))
        path = self.zone(body)
        store = os.path.join(self.tmp, "store")
        r = enumctl("import", "--store", store, "--origin", "example.", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = enumctl("export", "--store", store, "example.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("types.example."), 254)

    def test_name_longer_than_255_octets_with_the_origin_is_refused(self):
        label = "a" * 63
        owner = ".".join([label] * 3) + "." + "b" * 60  # 252 octets before the origin
        path = self.zone(f"{owner}\tIN A\t192.0.2.9\n")
        self.assert_rejected(path, 5, "name longer than 255 octets")

    def test_huge_quoted_string_fails_fast_in_bounded_memory(self):
        """A 64 MiB quoted string (the 1 GiB case of issue 18, scaled down):
        refused at its line; the reader never holds more than 1 MiB of it."""
        path = os.path.join(self.tmp, "huge.db")
        with open(path, "w") as f:
            f.write(HEAD)
            f.write('huge\tIN TXT\t"')
            chunk = "x" * (1 << 20)
            for _ in range(64):
                f.write(chunk)
            f.write('"\n')
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = enumctl("check", "--origin", "example.", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{path}:5: line longer than 1048576 bytes", r.stderr)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if peak_kb > before:  # a child with a higher peak than any before it
            self.assertLess(peak_kb, 64 * 1024, "peak RSS of enumctl check, KiB")

    def test_missing_or_unreadable_file_says_why(self):
        missing = os.path.join(self.tmp, "missing.db")
        r = enumctl("check", "--origin", "example.", missing)
        self.assertEqual(r.returncode, 1)
        self.assertIn("No such file or directory", r.stderr)
        path = self.zone("")
        os.chmod(path, 0)
        # Root reads any file: run enumctl as nobody there (CI runs as root).
        prefix = (["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
                  if os.geteuid() == 0 else [])
        r = subprocess.run(prefix + [ENUMCTL, "check", "--origin", "example.", path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Permission denied", r.stderr)


if __name__ == "__main__":
    unittest.main()
