"""Crash safety and data integrity (issue 7).

kill -9 at random points (fixed seeds) during `enumctl import` and during
sequences of `enumctl add`/`del`: afterwards the store opens, the zone is the
old or the new version whole, every change reported done is there, and enumd
serves it (the checks are in crash_check.py, shared with
tests/bench/kill9_bench.sh, which does 100 runs).

And stores enumd must refuse at start, with one line naming the store and what
is wrong and a non-zero exit, serving nothing: another format tag, RocksDB
files damaged (CURRENT naming no MANIFEST, a garbled MANIFEST, the newest
table file truncated), a directory that is not a store, and a zone whose
version lacks its registration or apex node. What is not checked at start: a
garbled data block in the middle of a table file -- finding it takes reading
the whole store, and start-up must not depend on the store's size.
"""

import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

import dns.exception
import dns.query
import dns.rcode

from crash_check import ORIGIN, CrashCheckFailure, CrashRunner, naptr_line, owner_of
from enumd_harness import BIN_DIR, HOST, free_port, make_query
from playground_queries import ZONE_FILE

ENUMD = os.path.join(BIN_DIR, "enumd")
ENUMCTL = os.path.join(BIN_DIR, "enumctl")
STORE_EDIT = os.path.join(BIN_DIR, "enumd_test_store_edit")

NUMBERS = 20_000  # per zone version: ~24,000 records, an import of ~0.5 s
KILLS_WANTED = 3  # runs killed mid-command, per kind
MAX_RUNS = 8


class KillNineTest(unittest.TestCase):
    """One store for the class; each test runs until KILLS_WANTED of its runs
    were really killed mid-command (some finish before the kill)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="enumd-crash-")
        cls.runner = CrashRunner(BIN_DIR, cls.tmp, NUMBERS, seed=7)
        try:
            cls.runner.setup()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def kill_runs(self, run, seed):
        rng = random.Random(seed)
        results = []
        while sum(r["killed"] for r in results) < KILLS_WANTED:
            self.assertLess(len(results), MAX_RUNS,
                            f"the command always finished before the kill: {results}")
            results.append(run(rng))
        return results

    def test_kill_9_during_import_leaves_the_old_or_the_new_zone_whole(self):
        results = self.kill_runs(self.runner.run_import, seed=11)
        for r in results:
            self.assertIn(r["outcome"], ("old version", "new version"))
            if not r["killed"]:
                self.assertEqual(r["outcome"], "new version")

    def test_kill_9_during_add_and_del_keeps_every_change_reported_done(self):
        results = self.kill_runs(self.runner.run_add_del, seed=12)
        self.assertGreater(sum(r["ops_done"] for r in results), 0)

    def test_the_checks_notice_a_lost_change(self):
        # The store loses an add the runner believes in: verify must say so.
        number = "+8899123456789"
        line = naptr_line(owner_of(number), "sip:lost@crash.example")
        self.runner.enumctl("add", "--store", self.runner.store, "--ttl", "3600", number,
                            "sip:lost@crash.example")
        believed = self.runner.current | {line}
        self.runner.verify({"with it": believed}, "add")
        self.runner.enumctl("del", "--store", self.runner.store, number)
        with self.assertRaises(CrashCheckFailure) as cm:
            self.runner.verify({"with it": believed}, "lost add")
        self.assertIn("1 missing", str(cm.exception))
        self.runner.verify({"without it": believed - {line}}, "restored")


class DamagedStoreTest(unittest.TestCase):
    """Each test damages a copy of a good store and expects enumd and
    enumctl to refuse it with one clear line."""

    def setUp(self):
        for tool in (ENUMD, ENUMCTL, STORE_EDIT):
            if not os.access(tool, os.X_OK):
                self.fail(f"no {tool} (ENUMD_BIN_DIR?)")
        self.tmp = tempfile.mkdtemp(prefix="enumd-damaged-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.store = os.path.join(self.tmp, "store")
        done = subprocess.run([ENUMCTL, "import", "--store", self.store, ZONE_FILE],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)

    def start_enumd(self, store, *extra):
        """Runs enumd on `store` serving e164.arpa.; returns (exit code,
        stderr). A server that starts is stopped and reported as exit None."""
        port = free_port()
        cmd = [ENUMD, "--store", store, "--listen", f"{HOST}:{port}", "--workers", "1",
               "--zone", ORIGIN, *extra]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    r = dns.query.udp(make_query(ORIGIN, "SOA"), HOST, port=port, timeout=0.2)
                    if r.rcode() == dns.rcode.NOERROR and r.answer:
                        break  # serving
                except (dns.exception.DNSException, OSError):
                    pass
            if proc.poll() is None:
                proc.terminate()
                out, err = proc.communicate(timeout=10)
                return None, err + out
            out, err = proc.communicate(timeout=10)
            return proc.returncode, err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def assert_refused(self, expect, store=None):
        store = store or self.store
        rc, err = self.start_enumd(store)
        self.assertIsNotNone(rc, f"enumd started on a damaged store:\n{err}")
        self.assertEqual(rc, 1, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith(f"enumd: store {store}"), lines[0])
        self.assertIn(expect, lines[0])
        return lines[0]

    def edit(self, op, key, value=None):
        args = [STORE_EDIT, self.store, op, key.hex()] + ([value.hex()] if value else [])
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        self.assertIn(done.returncode, (0, 1), done.stderr)
        return bytes.fromhex(done.stdout.strip()) if op == "get" and done.returncode == 0 \
            else None

    def generation(self):
        origin_wire = b"\x04e164\x04arpa\x00"
        meta = self.edit("get", b"M" + origin_wire)
        self.assertIsNotNone(meta)
        # ZoneMeta::Encode: version byte, u32 origin length, origin, u32 generation.
        at = 1 + 4 + len(origin_wire)
        return meta[at:at + 4]

    def test_a_good_store_starts(self):
        # The control for every case below.
        rc, err = self.start_enumd(self.store)
        self.assertIsNone(rc, f"enumd exited with {rc}: {err}")

    def test_another_format_tag_is_refused(self):
        self.edit("put", b"V", b"enumd-store-0")
        line = self.assert_refused("has format 'enumd-store-0', this build reads 'enumd-store-1'")
        done = subprocess.run([ENUMCTL, "zones", "--store", self.store], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(done.returncode, 1)
        self.assertIn("has format 'enumd-store-0'", done.stderr)
        self.assertNotIn("\n", line)

    def test_current_naming_no_manifest_is_refused(self):
        with open(os.path.join(self.store, "CURRENT"), "w") as f:
            f.write("MANIFEST-999999\n")
        self.assert_refused("is damaged (")

    def test_a_garbled_manifest_is_refused(self):
        with open(os.path.join(self.store, "CURRENT")) as f:
            manifest = os.path.join(self.store, f.read().strip())
        size = os.path.getsize(manifest)
        with open(manifest, "r+b") as f:
            f.seek(size // 4)
            f.write(bytes(random.Random(1).randrange(256) for _ in range(size // 2)))
        # RocksDB either refuses the MANIFEST ("is damaged (Corruption...") or
        # reads the part before the damage, which lacks the zone's table:
        # refused by the check of the zone's version. Never served.
        self.assert_refused("is damaged")

    def test_a_truncated_newest_table_file_is_refused(self):
        tables = sorted(f for f in os.listdir(self.store) if f.endswith(".sst"))
        self.assertTrue(tables)
        newest = os.path.join(self.store, tables[-1])
        os.truncate(newest, os.path.getsize(newest) // 2)
        line = self.assert_refused("is damaged (")
        self.assertIn(tables[-1], line)

    def test_an_empty_store_file_is_refused(self):
        # CURRENT emptied, as a full disk during an update could leave it.
        open(os.path.join(self.store, "CURRENT"), "w").close()
        self.assert_refused("is damaged (")

    def test_a_directory_that_is_not_a_store_is_refused_and_left_alone(self):
        other = os.path.join(self.tmp, "etc")
        os.makedirs(other)
        with open(os.path.join(other, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n")
        self.assert_refused("is not an enumd store: the directory holds 'hosts'", store=other)
        self.assertEqual(os.listdir(other), ["hosts"])
        # enumctl import refuses it too.
        done = subprocess.run([ENUMCTL, "import", "--store", other, ZONE_FILE],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 1)
        self.assertIn("is not an enumd store", done.stderr)
        self.assertEqual(os.listdir(other), ["hosts"])

    def test_a_zone_whose_apex_node_is_missing_is_not_served(self):
        self.edit("del", b"N" + self.generation())  # the apex key is empty
        rc, err = self.start_enumd(self.store)
        self.assertEqual(rc, 1, err)
        self.assertTrue(err.strip().startswith(
            f"enumd: store {self.store} is damaged: zone {ORIGIN}: its version "
            f"(generation {int.from_bytes(self.generation(), 'big')}) has no apex "
            f"node; nothing was changed; restore it from a backup"), err)
        # Re-importing repairs it.
        done = subprocess.run([ENUMCTL, "import", "--store", self.store, ZONE_FILE],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        rc, err = self.start_enumd(self.store)
        self.assertIsNone(rc, err)

    def test_a_zone_whose_version_is_not_registered_is_not_served(self):
        self.edit("del", b"G" + self.generation())
        rc, err = self.start_enumd(self.store)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"is damaged: zone {ORIGIN}: its version (generation "
                      f"{int.from_bytes(self.generation(), 'big')}) is not registered; "
                      f"nothing was changed", err)


if __name__ == "__main__":
    unittest.main()
