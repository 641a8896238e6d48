"""enumd under a service manager (issue 21): the sd_notify messages a
Type=notify unit gets, received here on a socket of the test's own as
systemd would receive them. READY=1 must come only when every zone answers;
a SIGHUP reload is RELOADING=1 ... READY=1; SIGTERM says STOPPING=1.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.rcode

import enumd_harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZONES = [("e164.arpa.", os.path.join(REPO, "zones", "playground", "e164.arpa.db")),
         ("e164.example.net.", os.path.join(REPO, "zones", "private", "e164.example.net.db")),
         ("epc.mnc001.mcc001.3gppnetwork.org.",
          os.path.join(REPO, "zones", "3gpp", "epc.mnc001.mcc001.3gppnetwork.org.db"))]
TIMEOUT = 10.0


class NotifySocket:
    """The datagram socket systemd gives a Type=notify service ($NOTIFY_SOCKET)."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def next(self, timeout=TIMEOUT):
        """The next message as {KEY: value}; AssertionError when none comes."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            raise AssertionError(f"no sd_notify message within {timeout} s")
        return dict(line.split("=", 1) for line in data.splitlines() if "=" in line)

    def close(self):
        self.sock.close()


class ServiceNotifyTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="enumd-notify-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.notify = NotifySocket(self.tmp)
        self.addCleanup(self.notify.close)

    def answers_authoritatively(self, server, origin):
        r = server.query(origin, "SOA")
        return (r.rcode() == dns.rcode.NOERROR and bool(r.flags & dns.flags.AA)
                and len(r.answer) == 1)

    def spawn(self, zones):
        """enumd started as systemd would start it: nobody polls it, the
        notify socket alone says when it is up. Returns (Enumd, Popen)."""
        server = enumd_harness.Enumd(zones=zones)
        server.tmp = self.tmp
        server.port = enumd_harness.free_port()
        server._prepare()
        log = open(os.path.join(self.tmp, "enumd.log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen(server._command(), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.tmp,
                                env={**os.environ, "NOTIFY_SOCKET": self.notify.path})

        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        return server, proc

    def log(self):
        with open(os.path.join(self.tmp, "enumd.log")) as f:
            return f.read()

    def test_ready_only_when_every_zone_answers(self):
        server, proc = self.spawn(ZONES)
        msg = self.notify.next()
        self.assertEqual(msg.get("READY"), "1", msg)
        self.assertEqual(msg.get("STATUS"), f"serving {len(ZONES)} zone(s)")
        # At the moment READY=1 arrives, every zone already answers.
        for origin, _ in ZONES:
            with self.subTest(origin=origin):
                self.assertTrue(self.answers_authoritatively(server, origin), self.log())
        self.assertIn("ready in", self.log())

        proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.notify.next().get("STOPPING"), "1")
        self.assertEqual(proc.wait(timeout=TIMEOUT), 0)

    def test_threads_carry_their_job_as_name(self):
        # What `top -H`, `ps -L` and perf show: an operator sees which
        # thread is busy (the query path, the writer of updates, ...).
        server, proc = self.spawn(ZONES[:1])
        self.assertEqual(self.notify.next().get("READY"), "1", self.log())
        task = f"/proc/{proc.pid}/task"
        names = set()
        for tid in os.listdir(task):
            with open(os.path.join(task, tid, "comm")) as f:
                names.add(f.read().strip())
        for name in ("enumd-udp", "enumd-tcp", "enumd-writer", "enumd-control", "enumd-notify",
                     "enumd-secondary"):
            self.assertIn(name, names)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=TIMEOUT), 0)

    def test_reload_is_reloading_then_ready_with_the_new_serial(self):
        zone = os.path.join(self.tmp, "e164.arpa.db")
        shutil.copy(ZONES[0][1], zone)
        server, proc = self.spawn([("e164.arpa.", zone)])
        self.assertEqual(self.notify.next().get("READY"), "1")
        serial = server.query("e164.arpa.", "SOA").answer[0][0].serial
        with open(zone) as f:
            text = f.read()
        self.assertIn(str(serial), text)
        with open(zone, "w") as f:
            f.write(text.replace(str(serial), str(serial + 1), 1))
        proc.send_signal(signal.SIGHUP)
        msg = self.notify.next()
        self.assertEqual(msg.get("RELOADING"), "1", msg)
        msg = self.notify.next()
        self.assertEqual(msg.get("READY"), "1", msg)
        # Ready again means the reloaded zone is what answers.
        self.assertEqual(server.query("e164.arpa.", "SOA").answer[0][0].serial, serial + 1)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.notify.next().get("STOPPING"), "1")
        self.assertEqual(proc.wait(timeout=TIMEOUT), 0)

    def test_no_ready_when_start_fails(self):
        """A zone file with an error and no stored copy: enumd exits 1 and
        never claims to be ready (systemd then reports the start as failed)."""
        broken = os.path.join(self.tmp, "broken.db")
        with open(broken, "w") as f:
            f.write("$ORIGIN e164.arpa.\n@ 3600 IN SOA ns. h. 1 2 3 4\n")
        _, proc = self.spawn([("e164.arpa.", broken)])
        self.assertEqual(proc.wait(timeout=TIMEOUT), 1)
        self.notify.sock.setblocking(False)
        with self.assertRaises(BlockingIOError):
            self.notify.sock.recv(4096)
        self.assertIn("broken.db:2", self.log())

    def test_without_notify_socket_nothing_changes(self):
        """Started by hand (no $NOTIFY_SOCKET) enumd serves as before."""
        with enumd_harness.Enumd(zones=ZONES[:1]) as server:
            self.assertTrue(self.answers_authoritatively(server, "e164.arpa."))


if __name__ == "__main__":
    unittest.main()
