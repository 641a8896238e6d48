"""docker/entrypoint.sh on 127.0.0.1 (issue 21), for what needs no network
namespace: a new volume with a broken zone file, which used to make enumd
exit at once and the container's restart policy loop, and the messages the
entrypoint gives a read-only container. The seed's playground at 172.30.0.2
is test_docker_playground.py.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import dns.exception
import dns.rcode

import enumd_harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENTRYPOINT = os.path.join(REPO, "docker", "entrypoint.sh")
BASE_CONFIG = os.path.join(REPO, "docker", "enumd.yaml")
BIN_DIR = os.path.abspath(enumd_harness.BIN_DIR)
PLAYGROUND = "playground/e164.arpa.db"
TIMEOUT = 20.0


class Entrypoint:
    """entrypoint.sh on a temp copy of zones/, a new (empty) store and run dir."""

    def __init__(self, test, prefix=()):
        self.tmp = tempfile.mkdtemp(prefix="enumd-entrypoint-")
        test.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.zones = os.path.join(self.tmp, "zones")
        shutil.copytree(os.path.join(REPO, "zones"), self.zones)
        self.store = os.path.join(self.tmp, "store")
        self.run_dir = os.path.join(self.tmp, "run")
        self.port = enumd_harness.free_port()
        self.prefix = list(prefix)
        self.log_path = os.path.join(self.tmp, "log")
        self.proc = None
        test.addCleanup(self.kill)

    def start(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ENUMD_BIN_DIR": BIN_DIR,
               "ENUMD_ZONES_DIR": self.zones, "ENUMD_CONFIG": BASE_CONFIG,
               "ENUMD_STORE": self.store, "ENUMD_RUN_DIR": self.run_dir,
               "ENUMD_LISTEN": f"127.0.0.1:{self.port}", "ENUMD_WORKERS": "1",
               **enumd_harness.sanitizer_env()}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([*self.prefix, "bash", ENTRYPOINT], env=env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for_log(self, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode} before "
                                     f"logging {text!r}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.log()}")
            time.sleep(0.1)

    def soa(self):
        return enumd_harness.make_query("e164.arpa.", "SOA")

    def wait_until_served(self, timeout=TIMEOUT):
        import dns.query
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = dns.query.udp(self.soa(), "127.0.0.1", port=self.port, timeout=0.3)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return r
            except (dns.exception.DNSException, OSError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"e164.arpa. not served:\n{self.log()}")
            time.sleep(0.1)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class BrokenZoneOnNewVolumeTest(unittest.TestCase):

    def break_playground(self, e):
        path = os.path.join(e.zones, PLAYGROUND)
        with open(path) as f:
            good = f.read()
        with open(path, "a") as f:
            f.write("9.9.9 IN NAPTR 10 not-a-number\n")
        line = good.count("\n") + 1
        return path, good, line

    def test_waits_and_says_what_to_do_then_serves_the_fixed_file(self):
        e = Entrypoint(self)
        path, good, line = self.break_playground(e)
        e.start()
        e.wait_for_log("waits (unhealthy) instead of exiting")
        log = e.log()
        # enumd's own words: the file, the line, and that nothing can be served.
        self.assertIn(f"{path}:{line}: ", log)
        self.assertIn("the store has no copy: enumd would not start", log)
        self.assertIn("fix the file, or move it out of", log)
        self.assertNotIn("no store at", log)   # a new, empty volume is no damaged store
        # It stays up (no restart loop), and says nothing more meanwhile.
        time.sleep(2.5)
        self.assertIsNone(e.proc.poll(), log)
        self.assertEqual(e.log(), log)
        # Fixing the file is enough: it starts over and serves every zone.
        with open(path, "w") as f:
            f.write(good)
        e.wait_for_log("a zone file changed: starting over")
        e.wait_until_served()
        e.proc.send_signal(signal.SIGTERM)
        self.assertEqual(e.proc.wait(timeout=10), 0, e.log())

    def test_stops_at_once_while_waiting(self):
        e = Entrypoint(self)
        self.break_playground(e)
        e.start()
        e.wait_for_log("waits (unhealthy) instead of exiting")
        t0 = time.monotonic()
        e.proc.send_signal(signal.SIGTERM)
        self.assertEqual(e.proc.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 1.5)   # docker stop: no 10 s wait, no SIGKILL

    def test_broken_file_with_a_stored_copy_is_served_from_the_store(self):
        """The other case: the copy in the store is served at once, no waiting."""
        e = Entrypoint(self)
        subprocess.run([os.path.join(BIN_DIR, "enumctl"), "import", "--store", e.store,
                        os.path.join(e.zones, PLAYGROUND)], check=True, capture_output=True)
        path, _, line = self.break_playground(e)
        e.start()
        e.wait_until_served()
        self.assertIn(f"{path}:{line}: ", e.log())
        self.assertNotIn("cannot start", e.log())


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                     "needs root and setpriv to run the entrypoint as another user")
class ReadOnlyContainerTest(unittest.TestCase):
    """As the image's user, with only the store and the run dir writable:
    what `docker run --read-only --tmpfs /run/enumd:...` gives the entrypoint."""

    NOBODY = 65534

    def user(self):
        return ["setpriv", f"--reuid={self.NOBODY}", f"--regid={self.NOBODY}",
                "--clear-groups"]

    def test_unwritable_run_dir_says_to_mount_a_tmpfs(self):
        e = Entrypoint(self, prefix=self.user())
        os.makedirs(e.run_dir)            # root's, 0755: like /run/enumd on a read-only root
        os.makedirs(e.store)
        os.chown(e.store, self.NOBODY, self.NOBODY)
        os.chmod(e.tmp, 0o755)
        e.start()
        self.assertEqual(e.proc.wait(timeout=TIMEOUT), 1)
        self.assertIn(f"docker run --read-only --tmpfs {e.run_dir}:uid={self.NOBODY}", e.log())

    def test_serves_writing_only_the_store_and_the_run_dir(self):
        e = Entrypoint(self, prefix=self.user())
        for d in (e.run_dir, e.store):
            os.makedirs(d)
            os.chown(d, self.NOBODY, self.NOBODY)
        os.chmod(e.tmp, 0o755)
        for top, dirs, files in os.walk(e.zones):   # read-only zones, as mounted :ro
            for name in dirs + files:
                os.chmod(os.path.join(top, name), 0o555 if name in dirs else 0o444)
        before = {os.path.join(top, n) for top, dirs, files in os.walk(e.tmp)
                  for n in dirs + files}
        e.start()
        e.wait_until_served()
        after = {os.path.join(top, n) for top, dirs, files in os.walk(e.tmp)
                 for n in dirs + files}
        new = {os.path.relpath(p, e.tmp).split(os.sep)[0] for p in after - before}
        self.assertLessEqual(new, {"run", "store", "log"}, after - before)
        e.proc.send_signal(signal.SIGTERM)
        self.assertEqual(e.proc.wait(timeout=10), 0, e.log())


if __name__ == "__main__":
    unittest.main()
