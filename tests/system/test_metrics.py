"""Prometheus metrics (issue 21): the real enumd with `metrics.listen`, asked
known queries, then scraped with curl; every figure is compared with what
was sent, and the whole page with Prometheus's own `promtool check metrics`.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.name
import dns.opcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.message
import dns.query
import dns.rcode
import dns.update
import dns.xfr

import enumd_harness
from enumd_harness import Enumd, make_query

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYGROUND = os.path.join(REPO, "zones", "playground", "e164.arpa.db")
THREEGPP = os.path.join(REPO, "zones", "3gpp", "epc.mnc001.mcc001.3gppnetwork.org.db")
CURL = shutil.which("curl")
PROMTOOL = shutil.which("promtool")
IMS = "ims.apn.epc.mnc001.mcc001.3gppnetwork.org."


def parse(text):
    """{(name, frozenset(labels)): value} of a text-format page."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def make_memory_cgroup(limit):
    """A memory cgroup below this process's own, limited to `limit` bytes:
    (path, limit file, "v1"|"v2"). v1's memory controller where the host
    mounts one (legacy or hybrid layout), else v2's. Skips where neither can
    be made (not root, or a read-only cgroup file system)."""
    with open("/proc/self/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split() for line in f]

    def mount(v1):
        for m in mounts:
            rest = m[m.index("-") + 1:]
            if (v1 and rest[0] == "cgroup" and "memory" in rest[2].split(",")) or \
                    (not v1 and rest[0] == "cgroup2"):
                return m[3], m[4]
        return None

    tried = []
    for v1, limit_file in ((True, "memory.limit_in_bytes"), (False, "memory.max")):
        own = [p for n, c, p in lines if ("memory" in c.split(",") if v1 else n == "0")]
        found = mount(v1)
        if not own or not found:
            continue
        root, point = found
        rel = own[0][len(root):] if root != "/" and own[0].startswith(root) else own[0]
        path = os.path.join(point + rel.rstrip("/"), f"enumd-test-{os.getpid()}")
        try:
            os.mkdir(path)
            with open(os.path.join(path, limit_file), "w") as f:
                f.write(str(limit))
            return path, limit_file, "v1" if v1 else "v2"
        except OSError as e:
            tried.append(f"{path}: {e}")
            remove_cgroup(path)
    raise unittest.SkipTest("cannot make a memory cgroup here: " + ("; ".join(tried) or "none"))


def mapped_tables(pid):
    """The lines of /proc/PID/maps that map a table file (*.sst)."""
    with open(f"/proc/{pid}/maps") as f:
        return [line for line in f if line.rstrip().endswith(".sst")]


def remove_cgroup(path):
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)  # its last process is still leaving


class MetricsServer(Enumd):
    """Enumd with /metrics on a port of its own."""

    def __init__(self, zones, extra=None):
        self.metrics_port = enumd_harness.free_port()
        config = {"metrics": {"listen": f"127.0.0.1:{self.metrics_port}"}, "workers": 2}
        config.update(extra or {})
        super().__init__(zones=zones, extra_config=config)

    def scrape(self, path="/metrics", method=None):
        args = [CURL, "-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"]
        if method == "HEAD":
            args.append("--head")
        done = subprocess.run(args + [f"http://127.0.0.1:{self.metrics_port}{path}"],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        body, _, code = done.stdout.rpartition("\n")
        return int(code), body

    def metrics(self):
        code, body = self.scrape()
        assert code == 200, (code, body)
        return parse(body), body


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


@unittest.skipUnless(CURL, "needs curl (tools/deps.sh test installs it)")
class MetricsTest(unittest.TestCase):

    def test_counts_what_was_asked_and_promtool_accepts_the_page(self):
        with MetricsServer([("e164.arpa.", PLAYGROUND), ("epc.mnc001.mcc001.3gppnetwork.org.",
                                                         THREEGPP)]) as enumd:
            before, _ = enumd.metrics()   # the harness's readiness queries are in it
            base = lambda name, **l: value(before, name, **l) or 0  # noqa: E731
            # 4 NAPTR over UDP (EDNS, one with DO), 1 NXDOMAIN over TCP,
            # 1 truncated (no EDNS, 3GPP), 1 REFUSED, 1 FORMERR, 1 dropped (QR=1).
            for _ in range(3):
                enumd.query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR", use_edns=0,
                            payload=1232)
            enumd.query("2.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR", want_dnssec=True)
            r = enumd.query("nope.e164.arpa.", "NAPTR", tcp=True)
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            r = enumd.query(IMS, "NAPTR", use_edns=False)
            self.assertTrue(r.flags & dns.flags.TC)
            r = enumd.query("example.org.", "A")
            self.assertEqual(r.rcode(), dns.rcode.REFUSED)
            bad = make_query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR").to_wire() + b"\x00"
            r = dns.message.from_wire(enumd.raw_udp(bad), ignore_trailing=True)
            self.assertEqual(r.rcode(), dns.rcode.FORMERR)
            response = bytearray(bad[:-1])
            response[2] |= 0x80   # QR: a response, which a server drops
            self.assertIsNone(enumd.raw_udp(bytes(response), timeout=0.3))

            m, text = enumd.metrics()
            d = lambda name, **l: (value(m, name, **l) or 0) - base(name, **l)  # noqa: E731
            self.assertEqual(d("enumd_queries_total", transport="udp", family="ipv4"), 8)
            self.assertEqual(d("enumd_queries_total", transport="tcp", family="ipv4"), 1)
            self.assertEqual(d("enumd_queries_dropped_total"), 1)
            self.assertEqual(d("enumd_query_types_total", qtype="NAPTR"), 7)
            self.assertEqual(d("enumd_query_types_total", qtype="A"), 1)
            self.assertEqual(d("enumd_responses_total", rcode="NOERROR"), 5)
            self.assertEqual(d("enumd_responses_total", rcode="NXDOMAIN"), 1)
            self.assertEqual(d("enumd_responses_total", rcode="REFUSED"), 1)
            self.assertEqual(d("enumd_responses_total", rcode="FORMERR"), 1)
            self.assertEqual(d("enumd_responses_truncated_total"), 1)
            self.assertEqual(d("enumd_queries_edns_do_total"), 1)
            # The three with use_edns=0 and the one with DO.
            self.assertEqual(d("enumd_queries_edns_total"), 4)
            self.assertEqual(d("enumd_response_size_bytes_count", transport="tcp"), 1)
            self.assertEqual(d("enumd_response_size_bytes_count", transport="udp"), 7)
            # Zones: what the store holds, as named-checkzone would say.
            self.assertEqual(value(m, "enumd_zones"), 2)
            self.assertEqual(value(m, "enumd_zone_serial", zone="e164.arpa."), 2009010918)
            self.assertEqual(value(m, "enumd_zone_records", zone="e164.arpa."), 16)
            self.assertEqual(value(m, "enumd_build_info", version=self.version()), 1)
            self.assertEqual(value(m, "enumd_reloads_total", result="ok"), 0)
            if PROMTOOL:
                done = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual((done.returncode, done.stdout + done.stderr), (0, ""))

    @unittest.skipUnless(PROMTOOL, "needs promtool (package prometheus; tools/deps.sh test)")
    def test_promtool_rejects_a_broken_page(self):
        """The check above is not vacuous: promtool finds a counter without _total."""
        bad = "# HELP enumd_x Things.\n# TYPE enumd_x counter\nenumd_x 1\n"
        done = subprocess.run([PROMTOOL, "check", "metrics"], input=bad, capture_output=True,
                              text=True, timeout=60)
        self.assertIn("_total", done.stdout + done.stderr)

    def version(self):
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            return re.search(r"project\(enumd VERSION ([0-9.]+)", f.read()).group(1)

    def test_http_endpoint_answers_metrics_only(self):
        with MetricsServer([("e164.arpa.", PLAYGROUND)]) as enumd:
            code, body = enumd.scrape("/")
            self.assertEqual(code, 404)
            code, body = enumd.scrape(method="HEAD")
            self.assertEqual(code, 200)
            self.assertIn("text/plain; version=0.0.4", body)
            self.assertIn(f"metrics on http://127.0.0.1:{enumd.metrics_port}/metrics",
                          enumd.log_text())

    def test_reloads_and_serials_follow_sighup(self):
        tmp = tempfile.mkdtemp(prefix="enumd-metrics-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        zone = os.path.join(tmp, "e164.arpa.db")
        shutil.copy(PLAYGROUND, zone)
        with open(zone) as f:
            text = f.read()
        with MetricsServer([("e164.arpa.", zone)]) as enumd:
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_zone_serial", zone="e164.arpa."), 2009010918)
            with open(zone, "w") as f:
                f.write(text.replace("2009010918", "2009010919", 1))
            enumd.signal(signal.SIGHUP)
            m = self.wait_for(enumd, "enumd_reloads_total", 1, result="ok")
            self.assertEqual(value(m, "enumd_zone_serial", zone="e164.arpa."), 2009010919)
            self.assertEqual(value(m, "enumd_reload_last_success"), 1)
            self.assertIsNotNone(value(m, "enumd_reload_last_duration_seconds"))
            # A broken file: the reload fails, the served serial stays.
            with open(zone, "a") as f:
                f.write("9.9.9 IN NAPTR 10 not-a-number\n")
            enumd.signal(signal.SIGHUP)
            m = self.wait_for(enumd, "enumd_reloads_total", 1, result="failed")
            self.assertEqual(value(m, "enumd_zone_serial", zone="e164.arpa."), 2009010919)
            self.assertEqual(value(m, "enumd_reload_last_success"), 0)

    def wait_for(self, enumd, name, wanted, **labels):
        deadline = time.monotonic() + 10
        while True:
            m, _ = enumd.metrics()
            if value(m, name, **labels) == wanted:
                return m
            if time.monotonic() > deadline:
                self.fail(f"{name}{labels} never reached {wanted}:\n{enumd.log_text()}")
            time.sleep(0.1)

    def test_rate_limit_drops_and_slips_are_counted(self):
        rl = {"rate_limit": {"enabled": True, "responses_per_second": 1, "window": 5,
                             "slip": 2}}
        with MetricsServer([("e164.arpa.", PLAYGROUND)], rl) as enumd:
            q = make_query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR").to_wire()
            for _ in range(40):
                enumd.raw_udp(q, timeout=0.05)
            m, _ = enumd.metrics()
            dropped = value(m, "enumd_rrl_dropped_total")
            slipped = value(m, "enumd_rrl_slipped_total")
            self.assertGreater(dropped, 10)
            self.assertGreater(slipped, 10)
            # Slips go out truncated and count as responses; drops do not.
            self.assertGreaterEqual(value(m, "enumd_responses_truncated_total"), slipped)

    def test_tcp_connections_accepted_evicted_timed_out(self):
        # One worker: eviction takes an idle connection of the accepting worker.
        tcp = {"tcp": {"max_connections": 1, "idle_timeout_ms": 300}, "workers": 1}
        with MetricsServer([("e164.arpa.", PLAYGROUND)], tcp) as enumd:
            first = socket.create_connection(("127.0.0.1", enumd.port))
            time.sleep(0.1)
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_tcp_connections_open"), 1)
            # At the cap of 1, a second connection takes the idle one's place.
            second = socket.create_connection(("127.0.0.1", enumd.port))
            self.assertEqual(first.recv(1), b"")   # closed by the server
            # Then the second one idles out.
            second.settimeout(5)
            self.assertEqual(second.recv(1), b"")
            first.close()
            second.close()
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_tcp_connections_accepted_total"), 2)
            self.assertEqual(value(m, "enumd_tcp_connections_evicted_total"), 1)
            self.assertEqual(value(m, "enumd_tcp_connections_timed_out_total"), 1)
            self.assertEqual(value(m, "enumd_tcp_connections_open"), 0)

    def test_store_figures(self):
        # Names cached as they are asked (with the default every name is
        # loaded, and a loaded cache knows absent names: no misses at all
        # once the load, a few ms here, has ended).
        with MetricsServer([("e164.arpa.", PLAYGROUND), ("epc.mnc001.mcc001.3gppnetwork.org.",
                                                          THREEGPP)],
                           extra={"cache": {"names_mb": 256}}) as enumd:
            for i in range(20):
                enumd.query(f"{i}.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            m, body = enumd.metrics()
            files = value(m, "enumd_store_table_files")
            self.assertGreaterEqual(files, 2)  # one import, one file, per zone at least
            self.assertEqual(files, len([f for f in os.listdir(enumd.store)
                                         if f.endswith(".sst")]))
            self.assertGreater(value(m, "enumd_store_table_bytes"), 0)
            for zone in ("e164.arpa.", "epc.mnc001.mcc001.3gppnetwork.org."):
                self.assertGreaterEqual(value(m, "enumd_zone_table_files", zone=zone), 1)
                self.assertGreater(value(m, "enumd_zone_table_bytes", zone=zone), 0)
            self.assertEqual(value(m, "enumd_store_block_cache_capacity_bytes"), 64 << 20)
            self.assertGreater(value(m, "enumd_store_block_cache_hits_total") +
                               value(m, "enumd_store_block_cache_misses_total"), 0)
            self.assertIsNotNone(value(m, "enumd_store_compactions_total"))
            # Per zone: the 20 numbers (and the harness's readiness probes) in
            # e164.arpa., exactly these 3 in the 3GPP zone, none for a name
            # outside both (REFUSED).
            for _ in range(3):
                enumd.query(IMS, "NAPTR")
            enumd.query("example.org.", "A")
            m, _ = enumd.metrics()
            self.assertGreaterEqual(value(m, "enumd_zone_queries_total", zone="e164.arpa."), 20)
            self.assertEqual(value(m, "enumd_zone_queries_total",
                                   zone="epc.mnc001.mcc001.3gppnetwork.org."), 3)
            self.assertEqual(value(m, "enumd_zone_queries_total", zone="other"), 0)
            # The node caches: the 20 names were read once (misses), asked
            # again they are found (hits).
            misses = value(m, "enumd_node_cache_misses_total")
            hits = value(m, "enumd_node_cache_hits_total")
            self.assertGreater(misses, 0)
            for i in range(20):
                enumd.query(f"{i}.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            m, _ = enumd.metrics()
            self.assertGreaterEqual(value(m, "enumd_node_cache_hits_total") - hits, 20)

    def test_store_reads_mmap_or_pread(self):
        """store_reads: the same answers; with mmap the table files are mapped
        into enumd (its /proc/PID/maps lists them), with pread they are not;
        auto maps a store as small as this one and says so, unless the node
        caches hold the zones (cache.names_mb: auto, the default): then pread,
        so that the data does not count twice in enumd's RSS."""
        mapped, answers, logs = {}, {}, {}
        configs = {"mmap": {"store_reads": "mmap"}, "pread": {"store_reads": "pread"},
                   "auto": {"cache": {"names_mb": 256}}, "default": {}}
        for mode, extra in configs.items():
            with MetricsServer([("e164.arpa.", PLAYGROUND)], extra=extra) as enumd:
                answers[mode] = [enumd.query(f"{i}.1.9.0.0.5.5.5.3.1.6.e164.arpa.",
                                             "NAPTR").to_text().split("\n", 1)[1]
                                 for i in range(10)]
                mapped[mode] = len(mapped_tables(enumd.proc.pid))
                logs[mode] = enumd.log_text()
        for mode in ("pread", "auto", "default"):
            self.assertEqual(answers["mmap"], answers[mode], mode)
        self.assertGreater(mapped["mmap"], 0, mapped)
        self.assertEqual(mapped["pread"], 0, mapped)
        self.assertGreater(mapped["auto"], 0, mapped)
        self.assertEqual(mapped["default"], 0, mapped)
        self.assertRegex(logs["auto"], r"store_reads auto: mmap \([0-9.]+ GiB of tables, "
                                       r"[0-9.]+ GiB of memory \((RAM|cgroup [^)]*)\)\)")
        self.assertRegex(logs["default"], r"store_reads auto: pread \([0-9.]+ GiB of tables, "
                                          r"[0-9.]+ GiB of memory \((RAM|cgroup [^)]*)\): the "
                                          r"node caches hold the zones")
        self.assertNotIn("store_reads auto", logs["mmap"] + logs["pread"])

    def _numbers_zone(self, count, tag, serial=2009010918):
        """The playground zone (with SOA serial `serial`) plus `count` numbers
        under 4.4.e164.arpa. (NAPTR replacement sip:N@tag); returns (path,
        owner names)."""
        tmp = tempfile.mkdtemp(prefix="enumd-names-")
        self.addCleanup(shutil.rmtree, tmp, True)
        zone = os.path.join(tmp, "e164.arpa.db")
        names = []
        with open(PLAYGROUND) as src, open(zone, "w") as dst:
            dst.write(src.read().replace("2009010918", str(serial)))
            for i in range(count):
                owner = ".".join(reversed(f"{i:07d}")) + ".4.4.e164.arpa."
                names.append(owner)
                dst.write(f'{owner} 300 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:{i}@{tag}!" .\n')
        return zone, names

    @staticmethod
    def _wait_for_log(enumd, pattern, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = re.findall(pattern, enumd.run_log())
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count} x {pattern!r} in the log:\n{enumd.run_log()[-3000:]}")

    def test_every_name_is_loaded_into_the_node_caches(self):
        """cache.names_mb: auto (the default): once the zones are loaded (in the
        background, after the first answer), the first query for any number
        is answered from the node cache of the thread the kernel sends it to
        (2 workers, udp.spread: name); with names_mb set, names are cached only
        as they are asked. A new zone version is loaded again."""
        zone, names = self._numbers_zone(20000, "a")
        sample = names[::97]
        with MetricsServer([("e164.arpa.", zone)]) as enumd:
            self._wait_for_log(enumd, r"node caches loaded: \d+ names")
            m, _ = enumd.metrics()
            hits, misses = (value(m, "enumd_node_cache_hits_total"),
                            value(m, "enumd_node_cache_misses_total"))
            for name in sample:
                answer = enumd.query(name, "NAPTR")
                self.assertEqual(answer.rcode(), dns.rcode.NOERROR)
                self.assertIn(f"sip:{int(name[:13].replace('.', '')[::-1])}@a!",
                              answer.answer[0].to_text())
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_node_cache_misses_total") - misses, 0)
            self.assertGreaterEqual(value(m, "enumd_node_cache_hits_total") - hits, len(sample))
            log = enumd.run_log()
            self.assertRegex(log, r"cache.names_mb auto: every name of the zones loaded in the "
                                  r"background \([0-9.]+ MiB of tables, 1 copy")
            self.assertRegex(log, r"store_reads auto: pread \(.*: the node caches hold the zones")
            # Every node: the 20,010 names and the empty non-terminals above them.
            loaded = re.search(r"node caches loaded: (\d+) names of 1 zones, [0-9.]+ MiB in 2 "
                               r"caches", log)
            self.assertTrue(loaded, log)
            self.assertGreater(int(loaded.group(1)), 20010)
            # enumctl status says so too.
            report = json.loads(enumd.enumctl(["status", "--store", enumd.store, "--json"]).stdout)
            self.assertEqual(report["counters"]["node_caches"]["loads"], 1)
            self.assertEqual(report["counters"]["node_caches"]["names_loaded"],
                             int(loaded.group(1)))
            self.assertGreater(report["counters"]["node_caches"]["bytes_loaded"], 0)
            # Both threads took their caches (the sample went to both), and
            # both know which names do not exist.
            self.assertEqual(report["counters"]["node_caches"]["caches"], 2)
            self.assertEqual(report["counters"]["node_caches"]["knowing_absence"], 2)
            # A new version (the file changed, SIGHUP): loaded again, and its
            # data answered from the caches.
            changed, _ = self._numbers_zone(20000, "b", serial=2009010919)
            shutil.copyfile(changed, zone)
            enumd.signal(signal.SIGHUP)
            self._wait_for_log(enumd, r"node caches loaded: \d+ names", count=2)
            m, _ = enumd.metrics()
            misses = value(m, "enumd_node_cache_misses_total")
            for name in sample:
                self.assertIn("@b!", enumd.query(name, "NAPTR").answer[0].to_text())
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_node_cache_misses_total") - misses, 0)

        with MetricsServer([("e164.arpa.", zone)], extra={"cache": {"names_mb": 256}}) as enumd:
            m, _ = enumd.metrics()
            misses = value(m, "enumd_node_cache_misses_total")
            for name in sample:
                self.assertEqual(enumd.query(name, "NAPTR").rcode(), dns.rcode.NOERROR)
            m, _ = enumd.metrics()
            self.assertGreaterEqual(value(m, "enumd_node_cache_misses_total") - misses,
                                    len(sample))
            self.assertNotIn("node caches loaded", enumd.run_log())
            self.assertNotIn("cache.names_mb auto", enumd.run_log())
            status = enumd.enumctl(["status", "--store", enumd.store]).stdout
            self.assertIn("node_caches\t(names are cached as they are asked (cache.names_mb))",
                          status)

    def test_changes_made_while_the_caches_load_are_answered(self):
        """UPDATEs acknowledged before, during and after background loads of
        the node caches: every number answers its last acknowledged value
        (a loaded cache carries the change log's position from before its
        load, so the changes the load may have missed are dropped from it),
        and numbers added and deleted meanwhile answer and stop answering.
        The updates themselves make the caches load again: once more names
        changed than an eighth of those loaded."""
        zone, names = self._numbers_zone(40000, "a")
        changed = names[::40]
        zones = [{"origin": "e164.arpa.", "file": zone, "update": {"allow": ["127.0.0.1/32"]}}]
        loaded = r"node caches loaded: \d+ names"
        again = r"node caches: loading again: \d+ names changed since the last load"
        with MetricsServer([], extra={"zones": zones}) as enumd:
            last = {}
            round_ = 0
            loads_during = 0
            # Until a load ended while updates were made and the updates made
            # one (the first load may end before round 1 or during it).
            while round_ < 3 or loads_during == 0 or not re.search(again, enumd.run_log()):
                round_ += 1
                self.assertLess(round_, 40, "no load ended while updates were made")
                before = len(re.findall(loaded, enumd.run_log()))
                # Numbers that were not in the zone come (25 a round) and go
                # (the last round's): a loaded cache knows which names do not
                # exist, and must not take these for absent or present wrongly.
                created = [".".join(reversed(f"{1000000 + round_ * 100 + k}")) + ".4.4.e164.arpa."
                           for k in range(25)]
                for name in changed + created:
                    u = dns.update.UpdateMessage("e164.arpa.")
                    u.replace(name, 300, "NAPTR",
                              f'10 100 "u" "E2U+sip" "!^.*$!sip:r{round_}@c!" .')
                    r = dns.query.udp(u, "127.0.0.1", port=enumd.port, timeout=5)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR, r)
                    last[name] = f"sip:r{round_}@c!"
                for name in [n for n, v in last.items() if v == f"sip:r{round_ - 1}@c!"
                             and n not in changed]:
                    u = dns.update.UpdateMessage("e164.arpa.")
                    u.delete(name)
                    r = dns.query.udp(u, "127.0.0.1", port=enumd.port, timeout=5)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR, r)
                    last[name] = None
                loads_during += len(re.findall(loaded, enumd.run_log())) > before

            def check():
                for name, value in last.items():
                    answer = enumd.query(name, "NAPTR")
                    if value is None:
                        self.assertEqual(answer.rcode(), dns.rcode.NXDOMAIN, name)
                    else:
                        self.assertIn(value, answer.answer[0].to_text(), name)
            check()
            # And once more after every load has ended (none is due: no change since).
            time.sleep(1.5)
            check()

    def test_store_reads_auto_under_a_real_cgroup_memory_limit(self):
        """enumd started inside a memory cgroup of its own (v1 memory.limit_in_bytes
        on a host with the legacy or hybrid layout, v2 memory.max on a unified
        one) with a limit below four times its tables reads them with pread and
        says which limit decided."""
        cgroup, limit_file, kind = make_memory_cgroup(512 << 20)
        self.addCleanup(remove_cgroup, cgroup)
        tmp = tempfile.mkdtemp(prefix="enumd-cgroup-")
        self.addCleanup(shutil.rmtree, tmp, True)
        # 160 MiB of zone file (comments beside the playground's records):
        # four times that is more than the 512 MiB limit.
        zone = os.path.join(tmp, "e164.arpa.db")
        with open(PLAYGROUND) as src, open(zone, "w") as dst:
            dst.write(src.read())
            pad = "; " + "x" * 65530 + "\n"
            for _ in range(2560):
                dst.write(pad)

        class InCgroup(MetricsServer):
            def _command(self):
                return ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "sh",
                        os.path.join(cgroup, "cgroup.procs")] + super()._command()

        with InCgroup([("e164.arpa.", zone)]) as enumd:
            with open(f"/proc/{enumd.proc.pid}/cgroup") as f:
                self.assertIn(os.path.basename(cgroup), f.read())
            answer = enumd.query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertEqual(answer.rcode(), dns.rcode.NOERROR)
            self.assertTrue(answer.answer)
            self.assertFalse(mapped_tables(enumd.proc.pid))
            log = enumd.log_text()
        # Nor are the names loaded into the caches: 1.5 x 160 MiB of tables
        # is more than a quarter of 512 MiB.
        self.assertRegex(log, r"cache.names_mb auto: 256 MiB, names cached as they are asked "
                              r"\(1[0-9][0-9]\.[0-9] MiB of tables")
        self.assertNotIn("node caches loaded", log)
        self.assertRegex(log, r"store_reads auto: pread \(0\.1[0-9] GiB of tables, 0\.50 GiB of "
                              rf"memory \(cgroup {kind} {limit_file} of /[^)]*"
                              rf"{os.path.basename(cgroup)}\): mapped")

    def test_updates_and_journal_are_counted(self):
        zones = [{"origin": "e164.arpa.", "file": PLAYGROUND,
                  "update": {"allow": ["127.0.0.1/32"]}},
                 {"origin": "epc.mnc001.mcc001.3gppnetwork.org.", "file": THREEGPP}]
        with MetricsServer([], extra={"zones": zones}) as enumd:
            m, _ = enumd.metrics()
            self.assertEqual(value(m, "enumd_updates_total", result="applied"), 0)
            self.assertEqual(value(m, "enumd_zone_journal_changes", zone="e164.arpa."), 0)

            def update(zone, name, rcode):
                u = dns.update.UpdateMessage(zone)
                u.add(name, 300, "TXT", '"metrics"')
                r = dns.query.udp(u, "127.0.0.1", port=enumd.port, timeout=5)
                self.assertEqual(r.rcode(), rcode, r)

            update("e164.arpa.", "9.9.9.e164.arpa.", dns.rcode.NOERROR)
            update("e164.arpa.", "9.9.8.e164.arpa.", dns.rcode.NOERROR)
            update("e164.arpa.", "outside.example.", dns.rcode.NOTZONE)
            update("epc.mnc001.mcc001.3gppnetwork.org.", IMS, dns.rcode.REFUSED)  # takes no updates
            m, body = enumd.metrics()
            self.assertEqual(value(m, "enumd_updates_total", result="applied"), 2)
            self.assertEqual(value(m, "enumd_updates_total", result="failed"), 1)
            self.assertEqual(value(m, "enumd_updates_total", result="refused"), 1)
            self.assertEqual(value(m, "enumd_zone_journal_changes", zone="e164.arpa."), 2)
            self.assertGreater(value(m, "enumd_zone_journal_bytes", zone="e164.arpa."), 0)
            self.assertEqual(value(m, "enumd_zone_serial", zone="e164.arpa."), 2009010920)
            if PROMTOOL:
                done = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_transfers_and_notify_are_counted(self):
        # A secondary that answers NOTIFY, on a UDP port of the test's.
        secondary = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        secondary.bind(("127.0.0.1", 0))
        secondary.settimeout(0.05)
        self.addCleanup(secondary.close)
        zones = [{"origin": "e164.arpa.", "file": PLAYGROUND,
                  "update": {"allow": ["127.0.0.1/32"]},
                  "transfer": {"allow": ["127.0.0.2/32"]},
                  "notify": [f"127.0.0.1:{secondary.getsockname()[1]}"]}]
        with MetricsServer([], extra={"zones": zones}) as enumd:
            def xfr(rdtype, source, serial=None):
                q = dns.message.make_query("e164.arpa.", rdtype)
                if serial is not None:
                    soa = q.find_rrset(q.authority, dns.name.from_text("e164.arpa."),
                                       dns.rdataclass.IN, dns.rdatatype.SOA, create=True)
                    soa.add(dns.rdata.from_text("IN", "SOA", f". . {serial} 1 1 1 1"), 0)
                return list(dns.query.xfr("127.0.0.1", "e164.arpa.", rdtype=rdtype,
                                          serial=serial or 0, port=enumd.port, timeout=5,
                                          lifetime=10, source=source))

            # Refused (an address outside the ACL), whole, up to date.
            with self.assertRaises(dns.xfr.TransferError):
                xfr("AXFR", "127.0.0.3")
            xfr("AXFR", "127.0.0.2")
            serial = enumd.query("e164.arpa.", "SOA").answer[0][0].serial
            xfr("IXFR", "127.0.0.2", serial)
            # An update (NOTIFY goes out), then IXFR from the old serial.
            u = dns.update.UpdateMessage("e164.arpa.")
            u.add("9.9.9.e164.arpa.", 300, "TXT", '"metrics"')
            self.assertEqual(dns.query.tcp(u, "127.0.0.1", port=enumd.port, timeout=5).rcode(),
                             0)

            def answer_notifies():
                """Answers every NOTIFY waiting (one per serial; a newer serial
                replaces a pending one, so answer them all)."""
                while True:
                    try:
                        data, peer = secondary.recvfrom(512)
                    except (socket.timeout, BlockingIOError):
                        return
                    reply = dns.message.make_response(dns.message.from_wire(data))
                    secondary.sendto(reply.to_wire(), peer)
            msgs = xfr("IXFR", "127.0.0.2", serial)
            records = sum(len(rrset) for m in msgs for rrset in m.answer)
            # A NOTIFY to us (we are the zone's primary: accepted) and one
            # for a zone not served here (rejected).
            for name in ("e164.arpa.", "example.com."):
                q = dns.message.make_query(name, "SOA")
                q.set_opcode(dns.opcode.NOTIFY)
                dns.query.udp(q, "127.0.0.1", port=enumd.port, timeout=2)

            def settled():
                answer_notifies()
                m, _ = enumd.metrics()
                return value(m, "enumd_notify_targets_total", result="answered") >= 1 and \
                    value(m, "enumd_transfers_out_total", result="complete") == 2
            deadline = time.monotonic() + 5
            while not settled() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(settled(), enumd.log_text()[-2000:])
            m, body = enumd.metrics()
            req = lambda t, a: value(m, "enumd_transfer_requests_total", type=t, answer=a)
            self.assertEqual(req("AXFR", "rejected"), 1)
            self.assertEqual(req("AXFR", "whole"), 1)
            self.assertEqual(req("IXFR", "soa_only"), 1)
            self.assertEqual(req("IXFR", "incremental"), 1)
            self.assertEqual(req("IXFR", "whole"), 0)
            self.assertEqual(value(m, "enumd_transfers_out_total", result="cut_short"), 0)
            self.assertEqual(value(m, "enumd_transfers_out_active"), 0)
            # The AXFR's records (the SOA twice) and the IXFR's.
            axfr_records = value(m, "enumd_transfer_out_records_total") - records
            zone_records = int(re.search(r'enumd_zone_records\{zone="e164\.arpa\."\} (\d+)',
                                         body).group(1))
            # Before the update the zone had one record less; AXFR sends the SOA twice.
            self.assertEqual(axfr_records, (zone_records - 1) + 1)
            self.assertGreaterEqual(value(m, "enumd_transfer_out_messages_total"), 2)
            self.assertEqual(value(m, "enumd_notify_received_total", result="accepted"), 1)
            self.assertEqual(value(m, "enumd_notify_received_total", result="rejected"), 1)
            self.assertGreaterEqual(value(m, "enumd_notify_sent_total"), 1)
            if PROMTOOL:
                done = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            status = enumd.enumctl(["status", "--store", enumd.store]).stdout
            self.assertRegex(status, r"transfers_out\trejected 1\tsoa_only 1\tincremental 1\t"
                                     r"whole 1\tcomplete 2\tfailed 0\tcut_short 0\trecords \d+\tactive 0\n")
            self.assertRegex(status, r"notify\treceived_accepted 1\treceived_rejected 1\t"
                                     r"sent \d+\tanswered [1-9]\d*\tgiven_up 0")

    def test_off_by_default(self):
        with Enumd(zones=[("e164.arpa.", PLAYGROUND)]) as enumd:
            self.assertNotIn("metrics on", enumd.log_text())


if __name__ == "__main__":
    unittest.main()
