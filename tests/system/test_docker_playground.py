"""The Docker playground without Docker (issue 4): docker/entrypoint.sh, the
file the enumd image runs, serves a copy of zones/ at 172.30.0.2 port 53 in a
network namespace this test creates, the way the container does on the
enum_playground network (172.30.0.0/26). The test's side of a veth pair is
172.30.0.1/26; dig and dnspython ask from there what the README's Playground
section asks.

Runs as root only (ip netns add, port 53); without the privileges the whole
module is skipped with the reason. Traffic goes to 172.30.0.2 in our own
namespace and to BIND on 127.0.0.1 (the reference), nowhere else; when the
host already has an address or route in 172.30.0.0/26 (a real
enum_playground network, say) the module is skipped rather than compete
with it. The namespace, the veth pair, the servers and the temp files are
removed however the tests end (ENUMD_KEEP_TMP=1 keeps the temp files).

What the image adds around the entrypoint (the user, the capability, the
health check's dig) is in docker/Dockerfile; test_dockerfile.py checks that
file statically.
"""

import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import dns.exception
import dns.flags
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

import enumd_harness
from enumd_harness import Bind, compare_answers, format_answer, make_query

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENTRYPOINT = os.path.join(REPO, "docker", "entrypoint.sh")
HEALTHCHECK = os.path.join(REPO, "docker", "healthcheck.sh")
BASE_CONFIG = os.path.join(REPO, "docker", "enumd.yaml")
ZONES = os.path.join(REPO, "zones")
BIN_DIR = os.path.abspath(enumd_harness.BIN_DIR)
IP = shutil.which("ip") or "/usr/sbin/ip"
DIG = shutil.which("dig")

SUBNET = ipaddress.ip_network("172.30.0.0/26")
SERVER = "172.30.0.2"   # the container's address in the seed and in compose.yaml
CLIENT = "172.30.0.1"   # the Docker host's side of the network

START_TIMEOUT = 30.0    # the entrypoint checks every zone, then enumd imports them
STOP_TIMEOUT = 5.0
QUERY_TIMEOUT = 2.0

PLAYGROUND = "playground/e164.arpa.db"
PRIVATE = "private/e164.example.net.db"
THREEGPP = "3gpp/epc.mnc001.mcc001.3gppnetwork.org.db"
APN_IMS = "ims.apn.epc.mnc001.mcc001.3gppnetwork.org."
APN_INTERNET = "internet.apn.epc.mnc001.mcc001.3gppnetwork.org."

# --- the network namespace, made once for the module ------------------------------

_netns = None


def _ip(*args, check=True):
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done


class Netns:
    """A namespace holding SERVER/26 (and lo), joined to CLIENT/26 on this side
    by a veth pair. delete() removes both; it is safe to call at any point."""

    def __init__(self):
        tag = f"{os.getpid() % 0x10000:04x}{secrets.token_hex(2)}"
        self.name = f"enumd-playground-{tag}"
        self.host_veth = f"enpg{tag}h"      # interface names: 15 bytes at most
        self.ns_veth = f"enpg{tag}n"
        self.created = False

    def create(self):
        done = _ip("netns", "add", self.name, check=False)
        if done.returncode != 0:
            raise unittest.SkipTest(
                f"cannot create a network namespace (ip netns add: {done.stderr.strip()}); "
                "this test needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN")
        self.created = True
        try:
            _ip("link", "add", self.host_veth, "type", "veth", "peer", "name", self.ns_veth)
            _ip("link", "set", self.ns_veth, "netns", self.name)
            _ip("addr", "add", f"{CLIENT}/{SUBNET.prefixlen}", "dev", self.host_veth)
            _ip("link", "set", self.host_veth, "up")
            _ip("-n", self.name, "addr", "add", f"{SERVER}/{SUBNET.prefixlen}", "dev", self.ns_veth)
            _ip("-n", self.name, "link", "set", self.ns_veth, "up")
            _ip("-n", self.name, "link", "set", "lo", "up")
        except RuntimeError as e:
            self.delete()
            if "not permitted" in str(e).lower():
                raise unittest.SkipTest(f"cannot set up the veth pair: {e}")
            raise

    def delete(self):
        # Deleting the host end removes the pair; the namespace goes with its name.
        if _ip("link", "show", self.host_veth, check=False).returncode == 0:
            _ip("link", "del", self.host_veth, check=False)
        if self.created:
            _ip("netns", "del", self.name, check=False)
            self.created = False


def _competes(network):
    """True when traffic for SUBNET could follow `network` rather than our
    veth: it overlaps SUBNET and is at least as specific. A broader route
    (a default, a VPN's 172.16.0.0/12) loses to our connected /26."""
    return network.overlaps(SUBNET) and network.prefixlen >= SUBNET.prefixlen


def _subnet_in_use():
    """An address or route of the host that competes with SUBNET, or None."""
    for line in _ip("-4", "-o", "addr", "show").stdout.splitlines():
        fields = line.split()
        if "inet" in fields:
            iface = ipaddress.ip_interface(fields[fields.index("inet") + 1])
            if iface.ip in SUBNET or _competes(iface.network):
                return f"address {iface} on {fields[1]}"
    for line in _ip("-4", "route", "show").stdout.splitlines():
        for token in line.split()[:2]:   # "PREFIX ..." or "TYPE PREFIX ..."
            try:
                dst = ipaddress.ip_network(token, strict=False)
            except ValueError:
                continue
            if _competes(dst):
                return f"route {line.strip()}"
            break
    return None


def setUpModule():
    global _netns
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root: creates a network namespace and serves port 53")
    if not os.access(IP, os.X_OK):
        raise unittest.SkipTest("needs iproute2's `ip` to create a network namespace")
    in_use = _subnet_in_use()
    if in_use:
        raise unittest.SkipTest(
            f"{SUBNET} is already in use on this host ({in_use}); not competing with it")
    for b in ("enumd", "enumctl"):
        if not os.access(os.path.join(BIN_DIR, b), os.X_OK):
            raise RuntimeError(f"no {b} in {BIN_DIR} (ENUMD_BIN_DIR?)")
    _netns = Netns()
    unittest.addModuleCleanup(_netns.delete)
    _netns.create()


# --- the entrypoint in the namespace ----------------------------------------------


class Playground:
    """docker/entrypoint.sh run in the namespace on a temp copy of zones/,
    with a temp store and run dir, and the image's defaults otherwise
    (listen 0.0.0.0:53, docker/enumd.yaml)."""

    def __init__(self, env=None, user=None):
        self.user = user    # (uid, gid) to run as, like the image's USER; None: us
        self.tmp = tempfile.mkdtemp(prefix="enumd-docker-test-")
        self.zones = os.path.join(self.tmp, "zones")
        shutil.copytree(ZONES, self.zones)
        self.store = os.path.join(self.tmp, "store")
        self.run_dir = os.path.join(self.tmp, "run")
        self.log_path = os.path.join(self.tmp, "entrypoint.log")
        self.env = dict(env or {})
        self.proc = None
        self._log = None
        self._log_start = 0

    def environment(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "ENUMD_BIN_DIR": BIN_DIR,
            "ENUMD_ZONES_DIR": self.zones,
            "ENUMD_CONFIG": BASE_CONFIG,
            "ENUMD_STORE": self.store,
            "ENUMD_RUN_DIR": self.run_dir,
            "ENUMD_WORKERS": "2",
        }
        env.update(enumd_harness.sanitizer_env())
        env.update(self.env)
        return env

    def zone_path(self, relative):
        return os.path.join(self.zones, relative)

    # lifecycle

    def start(self):
        self._log = open(self.log_path, "ab")
        self._log_start = self._log.tell()
        self.proc = subprocess.Popen(
            [IP, "netns", "exec", _netns.name, *self._as_user(), "bash", ENTRYPOINT],
            env=self.environment(), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"entrypoint exited with {self.proc.returncode}:\n{self.run_log()}")
            try:
                r = ask("e164.arpa.", "SOA", timeout=0.3)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return self
                last = dns.rcode.to_text(r.rcode())
            except (dns.exception.DNSException, OSError) as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                self.stop(check=False)
                raise AssertionError(f"no SOA answer from {SERVER} within {START_TIMEOUT} s "
                                     f"({last}):\n{self.run_log()}")
            time.sleep(0.1)

    def _as_user(self):
        if self.user is None:
            return []
        uid, gid = self.user
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]

    def stop(self, check=True):
        """SIGTERM (enumd is the process: ip netns exec and the entrypoint
        exec it), SIGKILL to the group after STOP_TIMEOUT."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                if check:
                    raise AssertionError(f"enumd ignored SIGTERM:\n{self.run_log()}")
        self._log.close()
        if check and proc.returncode != 0:
            raise AssertionError(f"enumd exited with {proc.returncode}:\n{self.run_log()}")

    def restart(self):
        self.stop()
        return self.start()

    def remove(self):
        self.stop(check=False)
        if os.environ.get("ENUMD_KEEP_TMP"):
            sys.stderr.write(f"kept {self.tmp}\n")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def run_log(self):
        """What the entrypoint and enumd wrote since the last start."""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_start)
            return f.read().decode("utf-8", "replace")

    def healthcheck(self):
        return subprocess.run(
            [IP, "netns", "exec", _netns.name, *self._as_user(), "bash", HEALTHCHECK],
            env=self.environment(), capture_output=True, text=True, timeout=60)


def _parents(path):
    """path and every folder above it."""
    path = os.path.abspath(path)
    out = [path]
    while os.path.dirname(path) != path:
        path = os.path.dirname(path)
        out.append(path)
    return out


def ask(qname, qtype, tcp=False, timeout=QUERY_TIMEOUT, **kw):
    """One query to SERVER:53 from CLIENT; kw as enumd_harness.make_query
    (use_edns=False/0, payload=...). RD clear unless flags say otherwise."""
    kw.setdefault("flags", 0)
    q = make_query(qname, qtype, **kw)
    if tcp:
        return dns.query.tcp(q, SERVER, port=53, source=CLIENT, timeout=timeout)
    return dns.query.udp(q, SERVER, port=53, source=CLIENT, timeout=timeout)


def dig(*args):
    """dig @172.30.0.2 ARGS (the README's command, bounded in time)."""
    done = subprocess.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", *args],
                          capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def naptr_set(msg, section="answer"):
    """{(owner, rdata text)} of the NAPTR records in a section."""
    return {(r.name.to_text().lower(), rd.to_text())
            for r in getattr(msg, section) if r.rdtype == dns.rdatatype.NAPTR for rd in r}


def naptr(owner, *rdatas):
    """The expected naptr_set(): rdatas in zone-file syntax, normalised."""
    return {(owner.lower(), dns.rdata.from_text("IN", "NAPTR", t).to_text()) for t in rdatas}


def uri(number, host):
    return f'"!^.*$!sip:{number}@{host}!" .'


NICK = "enum.nickvsnetworking.com"
SEED_ANSWERS = {
    # qname: (rcode, NAPTR rdatas) - the README's table, from zones/playground.
    "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@10.0.1.98!" .']),
    "2.1.9.0.0.5.5.5.3.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '10 100 "u" "E2U+sip" ' + uri("61355500912", "server1." + NICK),
        '10 100 "u" "E2U+sip" ' + uri("61355500912", "server2." + NICK)]),
    "3.1.9.0.0.5.5.5.3.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '10 100 "u" "E2U+sip" ' + uri("61355500912", "server1." + NICK),
        '10 100 "u" "E2U+sip" ' + uri("61355500912", "server2." + NICK),
        '10 200 "u" "E2U+sip" ' + uri("61355500912", "server3." + NICK)]),
    "4.1.9.0.0.5.5.5.3.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '10 100 "u" "E2U+sip" ' + uri("61355500912", "firstchoice." + NICK),
        '20 100 "u" "E2U+sip" ' + uri("61355500912", "secondchoice." + NICK)]),
    "5.1.9.0.0.5.5.5.3.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '10 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .']),
    # Synthesised from *.2.0.5.5.5.2.1.6, owner = the name asked.
    "0.0.0.2.0.5.5.5.2.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .']),
    # The seed's exception example is not in the zone: the wildcard answers.
    "5.4.3.2.0.5.5.5.2.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!" .']),
    "4.3.2.1.0.5.5.5.2.1.6.e164.arpa.": (dns.rcode.NOERROR, [
        '50 100 "u" "E2U+sip" "!^.*$!sip:staticroute@enum.nickvsnetworking.com!" .']),
    # RFC 4592: the exception's empty non-terminal 3.2.1.0.5.5.5.2.1.6 blocks the wildcard.
    "5.3.2.1.0.5.5.5.2.1.6.e164.arpa.": (dns.rcode.NXDOMAIN, []),
    "9.9.9.1.1.0.0.e164.arpa.": (dns.rcode.NOERROR, [
        '100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\\\1@international_gw.nickvsnetworking.com!" .']),
}

GW = '100 10 "u" "E2U+sip" "!^(.*)$!sip:\\\\1@gw.london.example.net!" .'
PRIVATE_ANSWERS = {
    "3.2.1.0.0.9.0.0.7.7.4.4.e164.example.net.": [
        '10 10 "u" "E2U+sip" "!^.*$!sip:+447700900123@pbx1.london.example.net!" .',
        '10 10 "u" "E2U+email:mailto" "!^.*$!mailto:reception@example.net!" .'],
    "6.5.4.0.0.9.0.0.7.7.4.4.e164.example.net.": [
        '10 10 "u" "E2U+sip" "!^.*$!sip:+447700900456@pbx1.london.example.net!" .',
        '20 10 "u" "E2U+pstn:tel" "!^.*$!tel:+447700900456!" .'],
    "3.2.1.0.6.4.9.7.0.2.4.4.e164.example.net.": [GW],        # +442079460123, the block
    "5.4.3.0.6.4.9.7.0.2.4.4.e164.example.net.": [             # +442079460345, ported
        '10 10 "u" "E2U+sip" "!^.*$!sip:+442079460345@sbc.ported-carrier.example.org!" .'],
    "9.9.3.0.6.4.9.7.0.2.4.4.e164.example.net.": [GW],        # +442079460399: *.3.0...
    "6.4.3.0.6.4.9.7.0.2.4.4.e164.example.net.": [GW],        # +442079460346: *.4.3.0...
    "2.4.1.0.5.5.5.2.0.2.1.e164.example.net.": [
        '10 10 "u" "E2U+sip" "!^.*$!sip:+12025550142@trunk-a.dc.example.net!" .',
        '10 20 "u" "E2U+sip" "!^.*$!sip:+12025550142@trunk-b.dc.example.net!" .'],
}


def zone_addresses(path, names):
    """{(owner, type, address)} of the A/AAAA records of `names` in a zone file."""
    zone = dns.zone.from_file(path, relativize=False, check_origin=False)
    out = set()
    for name in names:
        node = zone.get_node(name)
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype) if node else None
            for rd in rdataset or ():
                out.add((name.to_text().lower(), dns.rdatatype.to_text(rdtype), rd.to_text()))
    return out


def addresses(msg):
    return {(r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype), rd.to_text())
            for r in msg.additional if r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
            for rd in r}


class ServedZonesTest(unittest.TestCase):
    """One entrypoint start serving zones/ as the image ships it."""

    @classmethod
    def setUpClass(cls):
        cls.playground = Playground()
        cls.addClassCleanup(cls.playground.remove)
        cls.playground.start()

    def assertNaptrAnswer(self, msg, qname, rcode, rdatas):
        text = format_answer(msg)
        self.assertEqual(msg.rcode(), rcode, text)
        self.assertTrue(msg.flags & dns.flags.AA, text)
        self.assertFalse(msg.flags & dns.flags.TC, text)
        self.assertFalse(msg.flags & dns.flags.RA, text)
        self.assertEqual(naptr_set(msg), naptr(qname, *rdatas), text)

    # --- the seed's queries, over UDP and TCP ------------------------------------

    def test_seed_queries_give_the_zone_records_over_udp_and_tcp(self):
        for qname, (rcode, rdatas) in SEED_ANSWERS.items():
            for tcp in (False, True):
                with self.subTest(qname=qname, tcp=tcp):
                    self.assertNaptrAnswer(ask(qname, "NAPTR", tcp=tcp), qname, rcode, rdatas)

    def test_the_seeds_dig_command_answers_authoritatively(self):
        if not DIG:
            self.skipTest("no dig (apt install dnsutils)")
        for extra in ([], ["+tcp"]):
            with self.subTest(extra=extra):
                out = dig(*extra, "-t", "naptr", "1.1.9.0.0.5.5.5.3.1.6.e164.arpa")
                self.assertIn("status: NOERROR", out)
                self.assertIn("flags: qr aa rd;", out)   # RD copied, never RA
                self.assertRegex(out, r'1\.1\.9\.0\.0\.5\.5\.5\.3\.1\.6\.e164\.arpa\.\s+3600\s+IN'
                                      r'\s+NAPTR\s+10 100 "u" "E2U\+sip" '
                                      r'"!\^\.\*\$!sip:61355500912@10\.0\.1\.98!" \.')

    def test_playground_answers_equal_bind_on_the_same_file(self):
        """Every query of playground_queries, compared with BIND 9 serving the
        same copy of the zone on 127.0.0.1 (the reference, DESIGN rule 1)."""
        if not os.access(enumd_harness.NAMED, os.X_OK):
            self.skipTest(f"no BIND at {enumd_harness.NAMED} (apt install bind9)")
        from playground_queries import ORIGIN, PLAYGROUND_QUERIES
        zones = [(ORIGIN, self.playground.zone_path(PLAYGROUND)),
                 ("e164.example.net.", self.playground.zone_path(PRIVATE))]
        queries = [(q.qname, q.qtype) for q in PLAYGROUND_QUERIES]
        queries += [(name, "NAPTR") for name in PRIVATE_ANSWERS]
        with Bind(zones=zones) as bind:
            for qname, qtype in queries:
                for tcp in (False, True):
                    with self.subTest(qname=qname, qtype=qtype, tcp=tcp):
                        diffs = compare_answers(ask(qname, qtype, tcp=tcp),
                                                bind.query(qname, qtype, tcp=tcp),
                                                names=("enumd", "bind"))
                        self.assertEqual(diffs, [])

    # --- the private-suffix zone -------------------------------------------------

    def test_private_suffix_zone_answers(self):
        for qname, rdatas in PRIVATE_ANSWERS.items():
            for tcp in (False, True):
                with self.subTest(qname=qname, tcp=tcp):
                    self.assertNaptrAnswer(ask(qname, "NAPTR", tcp=tcp), qname,
                                           dns.rcode.NOERROR, rdatas)

    # --- the 3GPP zone: TC over UDP, everything over TCP (seed 003) -------------

    def test_3gpp_pgw_answer_is_truncated_over_udp_without_edns(self):
        r = ask(APN_IMS, "NAPTR", use_edns=False)
        text = format_answer(r)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR, text)
        self.assertTrue(r.flags & dns.flags.TC, text)
        self.assertTrue(r.flags & dns.flags.AA, text)
        self.assertLessEqual(len(r.to_wire()), 512, text)

    def test_3gpp_pgw_answer_is_whole_over_tcp_with_the_pgw_addresses(self):
        r = ask(APN_IMS, "NAPTR", tcp=True, use_edns=False)
        text = format_answer(r)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR, text)
        self.assertFalse(r.flags & dns.flags.TC, text)
        records = [rd for rrset in r.answer for rd in rrset]
        self.assertEqual(len(records), 10, text)
        self.assertTrue(all(rd.flags == b"a" and rd.service.startswith(b"x-3gpp-pgw:")
                            for rd in records), text)
        self.assertGreater(len(r.to_wire()), 512, text)
        # Additional-section processing: the A/AAAA of every replacement.
        expected = zone_addresses(self.playground.zone_path(THREEGPP),
                                  [rd.replacement for rd in records])
        self.assertEqual(addresses(r), expected, text)

    def test_3gpp_pgw_answer_fits_an_edns_buffer(self):
        r = ask(APN_IMS, "NAPTR", use_edns=0, payload=1232)
        text = format_answer(r)
        self.assertFalse(r.flags & dns.flags.TC, text)
        self.assertEqual(sum(len(rrset) for rrset in r.answer), 10, text)

    def test_3gpp_small_apn_answer_fits_udp_without_edns(self):
        r = ask(APN_INTERNET, "NAPTR", use_edns=False)
        text = format_answer(r)
        self.assertFalse(r.flags & dns.flags.TC, text)
        records = [rd for rrset in r.answer for rd in rrset]
        self.assertEqual(len(records), 2, text)
        expected = zone_addresses(self.playground.zone_path(THREEGPP),
                                  [rd.replacement for rd in records])
        self.assertEqual(addresses(r), expected, text)

    def test_dig_retries_the_truncated_3gpp_answer_over_tcp(self):
        if not DIG:
            self.skipTest("no dig (apt install dnsutils)")
        out = dig("+noedns", "+ignore", "-t", "naptr", APN_IMS)
        self.assertRegex(out, r"flags: qr aa tc( rd)?;", out)
        out = dig("+noedns", "-t", "naptr", APN_IMS)
        self.assertIn("Truncated, retrying in TCP mode", out)
        self.assertIn("ANSWER: 10,", out)

    # --- the health check ----------------------------------------------------------

    def test_healthcheck_passes_while_enumd_serves(self):
        if not DIG:
            self.skipTest("no dig (apt install dnsutils): the health check uses it")
        done = self.playground.healthcheck()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("3 zone(s) answered", done.stdout)

    def test_entrypoint_lists_every_zone_file_with_its_origin(self):
        with open(os.path.join(self.playground.run_dir, "enumd.yaml")) as f:
            config = f.read()
        for origin, path in (("e164.arpa.", PLAYGROUND), ("e164.example.net.", PRIVATE),
                             ("epc.mnc001.mcc001.3gppnetwork.org.", THREEGPP)):
            self.assertIn(f'  - origin: "{origin}"\n'
                          f'    file: "{self.playground.zone_path(path)}"\n', config)


class RestartTest(unittest.TestCase):
    """Each test starts its own entrypoint on a fresh copy of zones/ and a
    fresh store, changes something and restarts, as a user of the container
    does with `docker restart enum` (same store volume, same container)."""

    def setUp(self):
        self.playground = Playground()
        self.addCleanup(self.playground.remove)

    def edit(self, relative, old, new):
        path = self.playground.zone_path(relative)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def test_edited_zone_file_is_served_after_restart(self):
        q = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.playground.start()
        self.assertIn("10.0.1.98!", str(ask(q, "NAPTR").answer[0]))
        self.edit(PLAYGROUND, "sip:61355500912@10.0.1.98!", "sip:61355500911@pbx.example.net!")
        self.edit(PLAYGROUND, "2009010918 ; serial", "2009010919 ; serial")
        self.playground.restart()
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = ask(q, "NAPTR", tcp=tcp)
                self.assertEqual(naptr_set(r), naptr(
                    q, '10 100 "u" "E2U+sip" "!^.*$!sip:61355500911@pbx.example.net!" .'),
                    format_answer(r))
        self.assertEqual(ask("e164.arpa.", "SOA").answer[0][0].serial, 2009010919)
        log = self.playground.run_log()
        self.assertIn("zone e164.arpa.: importing", log)
        self.assertNotIn("zone e164.example.net.: importing", log)   # unchanged

    def test_restart_without_changes_reads_no_zone_file(self):
        self.playground.start()
        self.playground.restart()
        log = self.playground.run_log()
        self.assertNotIn("importing", log)
        self.assertEqual(log.count("checked before (unchanged)"), 3, log)

    def test_new_zone_file_is_served_after_restart(self):
        self.playground.start()
        self.assertEqual(ask("e164.example.org.", "SOA").rcode(), dns.rcode.REFUSED)
        os.makedirs(self.playground.zone_path("extra"))
        with open(self.playground.zone_path("extra/anything.db"), "w") as f:
            f.write("; no $ORIGIN: the SOA owner names the zone\n"
                    "e164.example.org. 60 IN SOA ns.example.org. admin.example.org. 1 60 60 60 60\n"
                    "e164.example.org. 60 IN NS ns.example.org.\n"
                    '1.1.1.e164.example.org. 60 IN NAPTR 10 10 "u" "E2U+sip" '
                    '"!^.*$!sip:one@example.org!" .\n')
        self.playground.restart()
        r = ask("1.1.1.e164.example.org.", "NAPTR")
        self.assertEqual(naptr_set(r), naptr("1.1.1.e164.example.org.",
                                             '10 10 "u" "E2U+sip" "!^.*$!sip:one@example.org!" .'),
                         format_answer(r))

    def test_zone_file_with_an_error_leaves_the_served_zone_as_it_was(self):
        q = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa."
        self.playground.start()
        before = naptr_set(ask(q, "NAPTR"))
        self.edit(PLAYGROUND, "sip:61355500912@10.0.1.98!", "sip:changed@10.0.1.98!")
        with open(self.playground.zone_path(PLAYGROUND), "a") as f:
            f.write("9.9.9 IN NAPTR 10 not-a-number\n")
        self.playground.restart()
        self.assertEqual(naptr_set(ask(q, "NAPTR")), before)
        log = self.playground.run_log()
        self.assertRegex(log, r"e164\.arpa\.db:\d+: ")          # file, line and reason
        self.assertIn("warning:", log)

    def test_longest_match_from_the_environment(self):
        """ENUMD_WILDCARDS=e164.arpa.=longest-match: the exception applies to
        its own number only; its neighbours get the block's wildcard."""
        q = "5.3.2.1.0.5.5.5.2.1.6.e164.arpa."
        self.playground.start()
        self.assertEqual(ask(q, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
        self.playground.env["ENUMD_WILDCARDS"] = "e164.arpa.=longest-match"
        self.playground.restart()
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = ask(q, "NAPTR", tcp=tcp)
                self.assertEqual(naptr_set(r), naptr(q, '100 100 "u" "E2U+sip" '
                                                     + uri("61255501_numbers", NICK)),
                                 format_answer(r))
        exception = "4.3.2.1.0.5.5.5.2.1.6.e164.arpa."
        self.assertEqual(naptr_set(ask(exception, "NAPTR")),
                         naptr(exception, '50 100 "u" "E2U+sip" '
                               + uri("staticroute", NICK)))

    def test_unprivileged_user_with_the_bind_capability_serves_port_53(self):
        """The image's arrangement: enumd carries cap_net_bind_service (setcap)
        and runs as a user without privileges, which the namespace does not
        otherwise allow below port 1024."""
        setcap = shutil.which("setcap")
        if not setcap:
            self.skipTest("no setcap (apt install libcap2-bin)")
        for d in _parents(REPO) + _parents(tempfile.gettempdir()):
            if not os.stat(d).st_mode & 0o001:
                self.skipTest(f"{d} is not searchable by other users")
        nobody = (65534, 65534)
        pg = self.playground
        bin_dir = os.path.join(pg.tmp, "bin")
        os.makedirs(bin_dir)
        for b in ("enumd", "enumctl"):
            shutil.copy2(os.path.join(BIN_DIR, b), bin_dir)
        done = subprocess.run([setcap, "cap_net_bind_service=+ep", os.path.join(bin_dir, "enumd")],
                              capture_output=True, text=True)
        if done.returncode != 0:
            self.skipTest(f"setcap failed here: {done.stderr.strip()}")
        for d in (pg.store, pg.run_dir):
            os.makedirs(d)
            os.chown(d, *nobody)
        for root, dirs, files in os.walk(pg.tmp):
            os.chmod(root, 0o755)
        pg.user = nobody
        pg.env["ENUMD_BIN_DIR"] = bin_dir
        pg.start()
        r = ask("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR", tcp=True)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR, format_answer(r))
        self.assertEqual(os.stat(os.path.join(pg.store)).st_uid, nobody[0])
        if DIG:
            done = pg.healthcheck()
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_healthcheck_fails_when_enumd_does_not_answer(self):
        if not DIG:
            self.skipTest("no dig (apt install dnsutils): the health check uses it")
        self.playground.start()
        self.playground.stop()
        done = self.playground.healthcheck()
        self.assertNotEqual(done.returncode, 0, done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
