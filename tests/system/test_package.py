"""The Debian package and the systemd unit (issue 21): the package CPack
builds from this build tree is unpacked into a fresh directory (dpkg -x), its
control data read with dpkg-deb, its binaries run from there, its man pages
rendered, and lintian must report no error; the unit is checked with
systemd-analyze (verify, and the offline security score).
"""

import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import enumd_harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.path.dirname(os.path.abspath(enumd_harness.BIN_DIR))
UNIT = "lib/systemd/system/enumd.service"
CONFIG = "etc/enumd/enumd.yaml"
EXAMPLES = "usr/share/doc/enumd/examples/zones"
MAN_PAGES = ("usr/share/man/man8/enumd.8.gz", "usr/share/man/man8/enumctl.8.gz",
             "usr/share/man/man5/enumd.yaml.5.gz")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(enumd VERSION ([0-9.]+)", f.read()).group(1)


class PackageTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        for tool in ("cpack", "dpkg-deb", "dpkg"):
            if not shutil.which(tool):
                raise unittest.SkipTest(f"needs {tool}")
        if not os.path.exists(os.path.join(BUILD_DIR, "CPackConfig.cmake")):
            raise unittest.SkipTest(f"{BUILD_DIR} is not a CMake build tree")
        cls.tmp = tempfile.mkdtemp(prefix="enumd-package-")
        done = run(["cpack", "-G", "DEB", "--config",
                    os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", cls.tmp])
        if done.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise AssertionError(f"cpack failed:\n{done.stdout}{done.stderr}")
        debs = glob.glob(os.path.join(cls.tmp, "enumd_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg", "-x", cls.deb, cls.root], check=True)
        cls.control = os.path.join(cls.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def field(self, name):
        return run(["dpkg-deb", "--field", self.deb, name]).stdout.strip()

    # --- control data ---------------------------------------------------------

    def test_control_fields(self):
        info = run(["dpkg-deb", "--info", self.deb])
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertEqual(self.field("Package"), "enumd")
        self.assertEqual(self.field("Version"), project_version())
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.assertEqual(self.field("Architecture"), arch)
        self.assertEqual(self.field("Section"), "net")
        depends = {d.split()[0] for d in self.field("Depends").split(", ")}
        # dpkg-shlibdeps found the libraries; adduser runs in postinst.
        for package in ("adduser", "libc6", "libldns3", "libuv1", "libsystemd0",
                        "libyaml-cpp0.7"):
            self.assertIn(package, depends)
        # The changelog's version is the package's (lintian checks it too).
        with gzip.open(self.path("usr/share/doc/enumd/changelog.gz"), "rt") as f:
            self.assertRegex(f.readline(), rf"^enumd \({re.escape(project_version())}\) ")

    def test_conffile_and_maintainer_scripts(self):
        with open(os.path.join(self.control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/" + CONFIG])
        for script in ("postinst", "prerm", "postrm"):
            with self.subTest(script=script):
                path = os.path.join(self.control, script)
                self.assertTrue(os.access(path, os.X_OK))
                self.assertEqual(run(["sh", "-n", path]).returncode, 0)
        with open(os.path.join(self.control, "postinst")) as f:
            postinst = f.read()
        # The unit's user is created, and owns the store.
        self.assertRegex(postinst, r"adduser --system --group .*enumd")
        self.assertIn("chown enumd:enumd /var/lib/enumd", postinst)

    def test_files(self):
        """Exactly the shipped files: no tests, fuzzers, headers or static libraries."""
        found = set()
        for top, dirs, files in os.walk(self.root):
            for name in files:
                found.add(os.path.relpath(os.path.join(top, name), self.root))
        zones = set()
        for top, _, files in os.walk(os.path.join(REPO, "zones")):
            for name in files:
                if name.endswith(".db"):
                    rel = os.path.relpath(os.path.join(top, name), os.path.join(REPO, "zones"))
                    zones.add(os.path.join(EXAMPLES, rel))
        expected = {"usr/sbin/enumd", "usr/sbin/enumctl", UNIT, CONFIG,
                    "usr/share/doc/enumd/copyright", "usr/share/doc/enumd/changelog.gz",
                    "usr/share/doc/enumd/README.md", *MAN_PAGES, *zones}
        self.assertEqual(found, expected)
        self.assertTrue(os.path.isdir(self.path("var/lib/enumd")))
        for binary in ("usr/sbin/enumd", "usr/sbin/enumctl"):
            self.assertTrue(os.access(self.path(binary), os.X_OK))
            # Stripped (lintian: unstripped-binary-or-object).
            self.assertNotIn(".debug_info", run(["objdump", "-h", self.path(binary)]).stdout)

    # --- what was installed works ---------------------------------------------

    def test_installed_config_checks(self):
        store = os.path.join(self.tmp, "check-store")
        done = run([self.path("usr/sbin/enumd"), "--check-config", self.path(CONFIG),
                    "--store", store])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("configuration OK", done.stdout)
        # The config's store is the one the unit may write.
        with open(self.path(CONFIG)) as f:
            self.assertRegex(f.read(), r"(?m)^store: /var/lib/enumd\b")

    def test_installed_binaries_serve_the_example_zones(self):
        zones = [("e164.arpa.", self.path(f"{EXAMPLES}/playground/e164.arpa.db")),
                 ("e164.example.net.", self.path(f"{EXAMPLES}/private/e164.example.net.db"))]
        for _, path in zones:
            done = run([self.path("usr/sbin/enumctl"), "check", path])
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        with enumd_harness.Enumd(build_dir=self.path("usr/sbin"), zones=zones) as enumd:
            self.assertEqual(enumd.binary, self.path("usr/sbin/enumd"))
            answer = enumd.query("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
            self.assertIn("sip:61355500912@10.0.1.98", answer.answer[0].to_text())

    # --- man pages ------------------------------------------------------------

    def man_text(self, page):
        with gzip.open(self.path(page), "rt") as f:
            source = f.read()
        # groff's own warnings (-ww) are what lintian reports as groff-message.
        done = run(["groff", "-man", "-ww", "-z", "-K", "utf8"], input=source)
        self.assertEqual(done.stderr, "", f"{page}: groff warnings")
        done = run(["man", "-l", self.path(page)], env={**os.environ, "MANWIDTH": "100",
                                                         "MAN_KEEP_FORMATTING": ""})
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_man_pages_render_and_cover_every_option(self):
        if not (shutil.which("groff") and shutil.which("man")):
            self.skipTest("needs groff and man (man-db)")
        enumd = self.man_text(MAN_PAGES[0])
        usage = run([self.path("usr/sbin/enumd"), "--help"]).stdout
        for option in sorted(set(re.findall(r"--[a-z][a-z-]+", usage))):
            with self.subTest(page="enumd.8", option=option):
                self.assertIn(option, enumd)
        enumctl = self.man_text(MAN_PAGES[1])
        usage = run([self.path("usr/sbin/enumctl"), "--help"])
        commands = re.findall(r"(?m)^  ([a-z]+) ", usage.stdout + usage.stderr)
        self.assertGreaterEqual(len(commands), 8)
        for command in commands:
            with self.subTest(page="enumctl.8", command=command):
                self.assertRegex(enumctl, rf"(?m)^ +{command}\b")
        config = self.man_text(MAN_PAGES[2])
        schema = run([self.path("usr/sbin/enumd"), "--help-config"]).stdout
        keys = re.findall(r"(?m)^([a-z_\[\].]+): ", schema)
        self.assertGreaterEqual(len(keys), 30)
        for key in keys:
            with self.subTest(page="enumd.yaml.5", key=key):
                self.assertRegex(config, rf"(?m)^ +{re.escape(key)}\b")

    # --- lintian and systemd --------------------------------------------------

    def test_lintian_reports_no_errors(self):
        if not shutil.which("lintian"):
            self.skipTest("needs lintian (tools/deps.sh test installs it)")
        done = run(["lintian", "--fail-on", "error", "--no-tag-display-limit", self.deb])
        tags = [line for line in done.stdout.splitlines() if re.match(r"[EWIPX]: ", line)]
        self.assertEqual(done.returncode, 0, "\n".join(tags) + done.stderr)
        self.assertEqual([t for t in tags if t.startswith("E: ")], [])
        # Warnings are not errors, but none are expected either.
        self.assertEqual([t for t in tags if t.startswith("W: ")], [])

    def installed_unit(self):
        """The unit as installed, with its ExecStart pointing into the unpacked
        tree (systemd-analyze verify checks that the program exists)."""
        with open(self.path(UNIT)) as f:
            text = f.read()
        self.assertIn("ExecStart=/usr/sbin/enumd ", text)
        path = os.path.join(self.tmp, "enumd.service")
        with open(path, "w") as f:
            f.write(text.replace("ExecStart=/usr/sbin/enumd ",
                                 f"ExecStart={self.path('usr/sbin/enumd')} "))
        return text, path

    def test_unit_settings(self):
        text, _ = self.installed_unit()
        settings = {}
        for line in text.splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                settings.setdefault(key, []).append(value)
        one = {k: v[-1] for k, v in settings.items()}
        self.assertEqual(one["Type"], "notify")
        self.assertEqual(one["ExecReload"], "/bin/kill -HUP $MAINPID")
        self.assertEqual(one["User"], "enumd")
        self.assertEqual(one["CapabilityBoundingSet"], "CAP_NET_BIND_SERVICE")
        self.assertEqual(one["AmbientCapabilities"], "CAP_NET_BIND_SERVICE")
        self.assertEqual(one["NoNewPrivileges"], "yes")
        self.assertEqual(one["ProtectSystem"], "strict")
        self.assertEqual(one["ExecStart"], "/usr/sbin/enumd --config /" + CONFIG)
        # The store of the default configuration is writable, nothing else.
        self.assertEqual(settings["ReadWritePaths"], ["/var/lib/enumd"])

    def test_systemd_analyze_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("needs systemd-analyze (package systemd)")
        _, unit = self.installed_unit()
        # man: Documentation= pages are looked up in the unpacked tree.
        env = {**os.environ, "MANPATH": self.path("usr/share/man")}
        done = run(["systemd-analyze", "verify", unit], env=env)
        self.assertEqual((done.returncode, done.stdout + done.stderr), (0, ""))
        # A mistake is caught: the check is not vacuous.
        with open(unit) as f:
            broken = f.read().replace("ProtectSystem=strict", "ProtectSystem=strikt")
        with open(unit, "w") as f:
            f.write(broken)
        done = run(["systemd-analyze", "verify", unit], env=env)
        self.assertIn("strikt", done.stdout + done.stderr)

    def test_systemd_security_exposure(self):
        """systemd's own score of the sandbox (0 = locked down, 10 = none);
        1.4 when this test was written. It must stay in the "OK" band."""
        if not shutil.which("systemd-analyze"):
            self.skipTest("needs systemd-analyze (package systemd)")
        _, unit = self.installed_unit()
        done = run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit])
        m = re.search(r"Overall exposure level for enumd\.service: ([0-9.]+)", done.stdout)
        self.assertIsNotNone(m, done.stdout + done.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0, done.stdout)


if __name__ == "__main__":
    unittest.main()
