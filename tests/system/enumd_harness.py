"""System-test harness: start the real enumd (or BIND 9 as a reference) on a
free port of 127.0.0.1, query it, stop it.

Every system test imports this module. It is run by /usr/bin/python3 (Debian's,
with python3-dnspython 2.3), never by a pyenv python without dnspython.

    with Enumd(zones=[("e164.arpa.", ZONE, "rfc4592")]) as enumd, \\
         Bind(zones=[("e164.arpa.", ZONE)]) as bind:
        q = ("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "NAPTR")
        assert compare_answers(enumd.query(*q), bind.query(*q),
                               names=("enumd", "bind")) == []

Contracts that hold for both servers:
  - They listen on 127.0.0.1 only, UDP and TCP, on .port (picked by free_port()).
  - start() returns once the server answers a SOA query for its first zone over
    UDP (10 s at most); if it exits first or never answers, ServerStartError
    carries its log.
  - stop() (also run by __exit__) sends SIGTERM, waits 5 s, then SIGKILLs, and
    raises AssertionError when the exit code is not `expect_exit_code` (None:
    any). It never masks an exception already propagating out of a `with`.
  - restart() stops (same exit-code check) and starts again on the same port,
    config and store.
  - Each instance owns a temp directory (config, store, log) removed on stop;
    set ENUMD_KEEP_TMP=1 to keep it for debugging.
  - query() clears RD by default (like `dig +norec`): an authoritative server
    must answer the same either way, and BIND's extra-record policy depends on
    RD unless minimal-responses is "yes" (see Bind).

Why BIND runs with `minimal-responses yes;` — see the Bind class.
"""

import os
import random
import shlex
import shutil
import signal as signal_module
import socket
import struct
import subprocess
import sys
import tempfile
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

HOST = "127.0.0.1"
BIN_DIR = os.environ.get(
    "ENUMD_BIN_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin"))
NAMED = os.environ.get("ENUMD_NAMED") or shutil.which("named") or "/usr/sbin/named"
DIG = shutil.which("dig") or "/usr/bin/dig"

QUERY_TIMEOUT = 2.0   # seconds, for .query() and .dig()
RAW_TIMEOUT = 1.0     # seconds to wait for a reply to .raw_udp()/.raw_tcp()
START_TIMEOUT = 10.0  # seconds until the first SOA answer
STOP_TIMEOUT = 5.0    # seconds between SIGTERM and SIGKILL
START_ATTEMPTS = 3    # new port each time the old one turned out to be taken

# Ports are drawn below Linux's ephemeral range (32768-60999) so that a client
# socket opened by another test cannot grab the port between free_port() and
# the server's bind().
_PORT_RANGE = (20000, 32000)
_PORT_IN_USE_MARKERS = ("address already in use", "address in use", "eaddrinuse",
                        "unable to listen on any configured interfaces")  # named


class ServerStartError(RuntimeError):
    """The server exited or did not answer in time; the message holds its log."""


def sanitizer_env():
    """The sanitizer options of this run (tools/asan.sh, tools/tsan.sh set
    them), for a test that starts enumd with an environment of its own:
    without them a TSan build would run without its suppressions."""
    names = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS")
    return {n: os.environ[n] for n in names if n in os.environ}


def free_port(host=HOST):
    """Returns a port on which both a UDP and a TCP socket can bind on `host`.

    Nothing is held: another process may still take the port before the server
    binds it; start() retries with a new port when the log says so.
    """
    for _ in range(500):
        port = random.randrange(*_PORT_RANGE)
        if _port_is_free(host, port):
            return port
    raise RuntimeError(f"no free UDP+TCP port on {host} in {_PORT_RANGE}")


def _port_is_free(host, port):
    socks = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            if kind == socket.SOCK_STREAM:
                # Servers set SO_REUSEADDR, so a port in TIME_WAIT is usable.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def _normalize_zones(zones):
    """[(origin, file[, wildcards])] -> [(origin_with_dot, abs_file|None, mode|None)]."""
    out = []
    for z in zones:
        if len(z) == 2:
            origin, path = z
            mode = None
        elif len(z) == 3:
            origin, path, mode = z
        else:
            raise ValueError(f"zone must be (origin, file[, wildcards]): {z!r}")
        if not origin.endswith("."):
            origin += "."
        out.append((origin, os.path.abspath(path) if path else None, mode))
    return out


class _Server:
    """Process lifecycle, readiness and the query API shared by Enumd and Bind.

    Subclasses set `label` and implement _prepare() (write config files into
    self.tmp for self.port) and _command() (argv).
    """

    label = "server"

    def __init__(self, zones, expect_exit_code=0):
        self.zones = _normalize_zones(zones)
        self.expect_exit_code = expect_exit_code
        self.env = {}  # added to the server's environment
        self.port = None
        self.proc = None
        self.tmp = None
        self.log_path = None
        self.exit_code = None
        self._log_file = None
        self._attempt_offset = 0
        self._final_log = None

    # --- lifecycle -----------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            # The test failed inside the block: show what the server said, and
            # do not replace the test's exception with an exit-code complaint.
            sys.stderr.write(f"\n--- {self.label} log (tail) ---\n{self._log_tail()}\n")
        self.stop(check=exc_type is None)
        return False

    def start(self, port=None):
        """Starts the server and waits until it answers; returns self.
        `port`: the one to use (chosen before, e.g. a primary's NOTIFY
        target), tried once; by default a free one, another if it is taken."""
        if self.proc is not None:
            raise RuntimeError(f"{self.label} already started")
        self._final_log = None
        self.tmp = tempfile.mkdtemp(prefix=f"{self.label}-test-")
        self.log_path = os.path.join(self.tmp, f"{self.label}.log")
        attempts = 1 if port else START_ATTEMPTS
        try:
            for attempt in range(1, attempts + 1):
                self.port = port or free_port()
                self._prepare()
                self._spawn()
                try:
                    self._wait_ready()
                    return self
                except ServerStartError:
                    in_use = self._port_was_taken()
                    self._kill()
                    if not in_use or attempt == attempts:
                        raise
        except BaseException:
            self._abandon()
            raise
        return self

    def restart(self):
        """Stops the server (checking its exit code like stop()) and starts it
        again with the same config, store and port; returns self. For tests of
        what survives a restart."""
        self._terminate(check=True)
        try:
            self._spawn()
            self._wait_ready()
        except BaseException:
            self._abandon()
            raise
        return self

    def stop(self, check=True):
        """Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its
        temp dir. Idempotent.

        With check=True raises AssertionError when it had to be killed or its
        exit code differs from expect_exit_code.
        """
        if self.proc is None:
            return
        try:
            self._terminate(check)
        finally:
            self._final_log = self.log_text()
            self._remove_tmp()

    def _terminate(self, check):
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal_module.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                killed = True
                self.proc.kill()
                self.proc.wait()
        self.exit_code = self.proc.returncode
        self.proc = None
        self._close_log()
        if not check:
            return
        if killed:
            raise AssertionError(
                f"{self.label} ignored SIGTERM for {STOP_TIMEOUT} s and was killed; "
                f"log tail:\n{self._log_tail()}")
        if self.expect_exit_code is not None and self.exit_code != self.expect_exit_code:
            raise AssertionError(
                f"{self.label} exited with {self.exit_code}, expected "
                f"{self.expect_exit_code}; log tail:\n{self._log_tail()}")

    def _abandon(self):
        """Failed start: kill, keep the log text, remove the temp dir."""
        self._kill()
        self._final_log = self.log_text()
        self._remove_tmp()

    def _spawn(self):
        self._close_log()
        self._log_file = open(self.log_path, "ab")
        self._attempt_offset = self._log_file.tell()  # earlier attempts precede it
        self._log_file.write(f"### {shlex.join(self._command())}\n".encode())
        self._log_file.flush()
        self.proc = subprocess.Popen(
            self._command(), stdin=subprocess.DEVNULL, stdout=self._log_file,
            stderr=subprocess.STDOUT, cwd=self.tmp, start_new_session=True,
            env={**os.environ, **self.env})

    def _kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.exit_code = self.proc.returncode
            self.proc = None
        self._close_log()

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _remove_tmp(self):
        if self.tmp and not os.environ.get("ENUMD_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            sys.stderr.write(f"{self.label}: kept {self.tmp}\n")

    def _ready_question(self):
        return (self.zones[0][0], "SOA") if self.zones else (".", "SOA")

    def _is_ready(self, response):
        if not self.zones:
            return True  # any answer means it is listening
        return (response.rcode() == dns.rcode.NOERROR and
                any(r.rdtype == dns.rdatatype.SOA for r in response.answer))

    def _port_was_taken(self):
        """True when this start attempt's log says the port could not be bound."""
        log = self.log_text()[self._attempt_offset:].lower()
        return any(m in log for m in _PORT_IN_USE_MARKERS)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        qname, qtype = self._ready_question()
        last = "no answer"
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerStartError(
                    f"{self.label} exited with {rc} before answering; log:\n{self.log_text()}")
            if self._port_was_taken():
                # Fail now rather than wait for the timeout if the server
                # keeps running without the socket.
                raise ServerStartError(
                    f"{self.label} could not bind port {self.port}; log:\n{self.log_text()}")
            try:
                response = self.query(qname, qtype, timeout=0.2)
                if response.flags & dns.flags.TC:
                    # Truncated (a rate limiter's slip): ask again over TCP,
                    # as a resolver would.
                    response = self.query(qname, qtype, tcp=True, timeout=1.0)
                if self._is_ready(response):
                    return
                last = f"answered {dns.rcode.to_text(response.rcode())}"
            except (dns.exception.DNSException, OSError) as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"{self.label} did not answer {qname} {qtype} on {HOST}:{self.port} "
                    f"within {START_TIMEOUT} s ({last}); log:\n{self.log_text()}")
            time.sleep(0.05)

    # --- inspection ----------------------------------------------------------

    def run_log(self):
        """What the running server wrote since its last start: without the log
        of an earlier attempt that could not bind its port (a count of log
        lines must not include that attempt's)."""
        return self.log_text()[self._attempt_offset:]

    def log_text(self):
        """Everything the server wrote to stdout/stderr so far (also after stop)."""
        if self._final_log is not None and self.proc is None:
            return self._final_log
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def _log_tail(self, lines=60):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def signal(self, sig):
        """Sends `sig` to the server process."""
        os.kill(self.proc.pid, sig)

    # --- queries -------------------------------------------------------------

    def query(self, qname, qtype, tcp=False, rd=False, timeout=QUERY_TIMEOUT, **kw):
        """Sends one query and returns the dns.message.Message answer.

        `kw` goes to dns.message.make_query (use_edns=0, payload=1232,
        want_dnssec=True, rdclass="CH", flags=..., id=...). RD is clear unless
        rd=True or `flags` is given. Raises dns.exception.Timeout when no
        answer comes within `timeout`.
        """
        if "flags" not in kw:
            kw["flags"] = dns.flags.RD if rd else 0
        return self.send(make_query(qname, qtype, **kw), tcp=tcp, timeout=timeout)

    def send(self, message, tcp=False, timeout=QUERY_TIMEOUT):
        """Sends a prepared dns.message.Message; returns the parsed answer."""
        if tcp:
            return dns.query.tcp(message, HOST, port=self.port, timeout=timeout)
        return dns.query.udp(message, HOST, port=self.port, timeout=timeout)

    def raw_udp(self, data, timeout=RAW_TIMEOUT):
        """Sends `data` as one UDP datagram; returns the reply bytes or None."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(data, (HOST, self.port))
            try:
                reply, _ = s.recvfrom(65535)
                return reply
            except (socket.timeout, ConnectionError):
                return None

    def raw_tcp(self, data, timeout=RAW_TIMEOUT, add_length=True, half_close=False):
        """Sends `data` over a new TCP connection; returns the first reply
        message (without its 2-byte length) or None when the server closes the
        connection or says nothing within `timeout`.

        add_length=False sends `data` as is, to test broken framing.
        half_close=True shuts down the write side after sending.
        """
        with socket.create_connection((HOST, self.port), timeout=timeout) as s:
            try:
                s.sendall(struct.pack("!H", len(data)) + data if add_length else data)
                if half_close:
                    s.shutdown(socket.SHUT_WR)
                header = _recv_exact(s, 2)
                if header is None:
                    return None
                return _recv_exact(s, struct.unpack("!H", header)[0])
            except (socket.timeout, ConnectionError):
                return None

    def dig(self, args, check=True):
        """Runs `dig @127.0.0.1 -p PORT +norec +time=2 +tries=1 ARGS`; returns
        stdout. `args` is a list or a shell-like string; later options win, so
        ARGS may say +rec or +tcp. check=True raises on a non-zero exit."""
        if isinstance(args, str):
            args = shlex.split(args)
        cmd = [DIG, f"@{HOST}", "-p", str(self.port), "+norec",
               f"+time={int(QUERY_TIMEOUT)}", "+tries=1", *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{shlex.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
        return done.stdout


def make_query(qname, qtype, **kw):
    """dns.message.make_query, with the EDNS version and flags kept.

    dnspython 2.3's make_query ends with want_dnssec(False), which clears the
    whole EDNS TTL field (`ednsflags &= ~DO` on an IntFlag), so use_edns=1 or
    ednsflags=... would silently be sent as version 0 without flags. Put back
    what was asked for.
    """
    m = dns.message.make_query(qname, qtype, **kw)
    if m.opt is not None:
        version = kw.get("use_edns")
        if version is None or isinstance(version, bool):
            version = 0
        flags = int(kw.get("ednsflags") or 0)
        if kw.get("want_dnssec"):
            flags |= int(dns.flags.DO)
        m.ednsflags = (flags & 0xFF00FFFF) | ((version & 0xFF) << 16)
    return m


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _resolve_bin_dir(build_dir):
    """Accepts the bin dir itself or a CMake build dir containing bin/."""
    if build_dir is None:
        return BIN_DIR
    candidate = os.path.join(build_dir, "bin")
    if os.path.exists(os.path.join(candidate, "enumd")):
        return candidate
    return build_dir


def _to_yaml(config):
    try:
        import yaml
        return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    except ImportError:
        # JSON is YAML: one flow-style value per top-level key.
        import json
        return "".join(f"{k}: {json.dumps(v)}\n" for k, v in config.items())


class Enumd(_Server):
    """The real enumd binary with a temporary config and store.

    zones: [(origin, zone_file[, wildcards])]; zone_file None serves whatever
    the store holds; wildcards ("rfc4592", ...) None leaves the key out.
    extra_config: top-level YAML keys merged over the defaults (they win).
    listen_v6: also listen on [::1] at the same port (the caller checks that
    ::1 exists; readiness is still checked on 127.0.0.1).
    The daemon imports the zone files itself at start.
    """

    label = "enumd"

    def __init__(self, build_dir=None, zones=(), extra_config=None, expect_exit_code=0,
                 listen_v6=False):
        super().__init__(zones, expect_exit_code)
        self.listen_v6 = listen_v6
        self.bin_dir = _resolve_bin_dir(build_dir)
        self.binary = os.path.join(self.bin_dir, "enumd")
        self.extra_config = dict(extra_config or {})
        self.config_path = None
        self.store = None

    def _prepare(self):
        if not os.access(self.binary, os.X_OK):
            raise ServerStartError(f"no enumd binary at {self.binary} (ENUMD_BIN_DIR?)")
        self.store = os.path.join(self.tmp, "store")
        os.makedirs(self.store, exist_ok=True)
        zones = []
        for origin, path, mode in self.zones:
            z = {"origin": origin}
            if path:
                z["file"] = path
            if mode:
                z["wildcards"] = mode
            zones.append(z)
        config = {
            "listen": [f"{HOST}:{self.port}"] + ([f"[::1]:{self.port}"] if self.listen_v6 else []),
            "workers": 1,
            "store": self.store,
            "log_level": "debug",
            "zones": zones,
        }
        config.update(self.extra_config)
        self.config_path = os.path.join(self.tmp, "enumd.yaml")
        with open(self.config_path, "w") as f:
            f.write(_to_yaml(config))

    def _command(self):
        return [self.binary, "--config", self.config_path]

    def enumctl(self, args, check=True):
        """Runs BIN/enumctl ARGS (list or string); returns CompletedProcess.
        The caller adds --store self.store where the subcommand needs it."""
        if isinstance(args, str):
            args = shlex.split(args)
        cmd = [os.path.join(self.bin_dir, "enumctl"), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{shlex.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
        return done


class Bind(_Server):
    """BIND 9 `named` serving the same zone files: the reference enumd is
    compared with (DESIGN.md rule 1).

    Options chosen so that a diff against enumd means something:
      - minimal-responses yes: BIND's default (no-auth-recursive) puts the
        apex NS RRset in the authority section (and its glue in additional)
        of every positive answer to an RD=0 query, and does additional-section
        processing for NAPTR/SRV/MX targets. With "yes" it adds authority and
        additional records only where the protocol needs them: SOA in
        NXDOMAIN/NODATA, NS + glue in referrals. enumd is expected to answer
        like that; pass minimal_responses="no-auth-recursive" (or "no") to
        see BIND's default.
      - answer-cookie no: dig sends an EDNS COOKIE and BIND would echo a server
        cookie; enumd does not implement RFC 7873.
      - max-udp-size / edns-udp-size 1232: the payload BIND advertises and
        honours, equal to enumd's default udp.max_payload.
      - recursion no, no rndc (controls {}), IPv4 127.0.0.1 only, everything
        written inside the temp dir, check-names ignore (ENUM owner names are
        digits and '*'; some zones carry '_' labels).
    BIND knows only RFC 4592 wildcards: a zone whose third element is another
    mode is refused.
    """

    label = "named"

    def __init__(self, zones=(), minimal_responses="yes", extra_options="",
                 expect_exit_code=0):
        super().__init__(zones, expect_exit_code)
        for origin, path, mode in self.zones:
            if mode not in (None, "rfc4592"):
                raise ValueError(f"BIND has no wildcard mode {mode!r} (zone {origin})")
            if not path:
                raise ValueError(f"BIND needs a zone file for {origin}")
        self.minimal_responses = minimal_responses
        self.extra_options = extra_options
        self.config_path = None

    def _prepare(self):
        t = self.tmp
        zones = "".join(
            f'zone "{origin}" {{\n'
            f'    type primary;\n'
            f'    file "{path}";\n'
            f'    check-names ignore;\n'
            f'}};\n'
            for origin, path, _ in self.zones)
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
    querylog yes;
    minimal-responses {self.minimal_responses};
    answer-cookie no;
    max-udp-size 1232;
    edns-udp-size 1232;
{self.extra_options}
}};
controls {{ }};
{zones}"""
        self.config_path = os.path.join(t, "named.conf")
        with open(self.config_path, "w") as f:
            f.write(conf)

    def _command(self):
        # -g: foreground, all logging to stderr (our log file); -n 1: one
        # worker thread. We run as root and named stays root without -u.
        return [NAMED, "-g", "-n", "1", "-c", self.config_path]


# --- answer comparison -------------------------------------------------------

_COMPARED_FLAGS = (("AA", dns.flags.AA), ("TC", dns.flags.TC), ("RA", dns.flags.RA))


def _canonical_rdata_text(rd):
    """Rdata text with embedded domain names lowercased (RFC 4034 §6.2 form,
    as dnspython canonicalises them); strings such as the NAPTR regexp keep
    their case. A compressed name in rdata may borrow the query's case."""
    try:
        wire = rd.to_digestable()
        return dns.rdata.from_wire(rd.rdclass, rd.rdtype, wire, 0, len(wire)).to_text()
    except Exception:  # unknown or odd types: compare as sent
        return rd.to_text()


def _rrset_map(section):
    """{(owner lowercased, class, type, covers): (ttl, sorted rdata texts)}"""
    out = {}
    for rrset in section:
        key = (rrset.name.to_text().lower(), dns.rdataclass.to_text(rrset.rdclass),
               dns.rdatatype.to_text(rrset.rdtype),
               dns.rdatatype.to_text(rrset.covers) if rrset.covers else "")
        rdatas = sorted(_canonical_rdata_text(rd) for rd in rrset)
        if key in out:  # same RRset twice: merge, keep the lower TTL
            ttl, old = out[key]
            out[key] = (min(ttl, rrset.ttl), sorted(old + rdatas))
        else:
            out[key] = (rrset.ttl, rdatas)
    return out


def _rrset_text(key, ttl, rdatas):
    name, rdclass, rdtype, covers = key
    t = f"{rdtype}({covers})" if covers else rdtype
    return "; ".join(f"{name} {ttl} {rdclass} {t} {rd}" for rd in rdatas) or \
        f"{name} {ttl} {rdclass} {t} <empty>"


def compare_answers(msg_a, msg_b, names=("a", "b")):
    """Differences between two answers to the same query, as readable lines;
    [] when they are equivalent.

    Compared: rcode (with EDNS extended bits), opcode, the AA/TC/RA flags, the
    question (exactly, case included: both must echo it as sent), EDNS
    presence and UDP payload size, and answer/authority/additional as sets of
    RRsets keyed by lowercased owner, class and type, each with its TTL and
    its sorted, canonicalised rdata. Ignored: id, QR, RD, CD/AD, record and
    RRset order, owner-name case, EDNS options and flags.
    """
    na, nb = names
    diffs = []

    def differ(what, va, vb):
        if va != vb:
            diffs.append(f"{what}: {na}={va} {nb}={vb}")

    differ("rcode", dns.rcode.to_text(msg_a.rcode()), dns.rcode.to_text(msg_b.rcode()))
    differ("opcode", dns.opcode.to_text(msg_a.opcode()), dns.opcode.to_text(msg_b.opcode()))
    for flag_name, flag in _COMPARED_FLAGS:
        differ(f"flag {flag_name}", bool(msg_a.flags & flag), bool(msg_b.flags & flag))

    def question(m):
        return [f"{q.name.to_text()} {dns.rdataclass.to_text(q.rdclass)} "
                f"{dns.rdatatype.to_text(q.rdtype)}" for q in m.question]
    differ("question", question(msg_a), question(msg_b))

    def edns(m):
        return f"payload {m.payload}" if m.edns >= 0 else "none"
    differ("EDNS", edns(msg_a), edns(msg_b))

    for section_name in ("answer", "authority", "additional"):
        sa = _rrset_map(getattr(msg_a, section_name))
        sb = _rrset_map(getattr(msg_b, section_name))
        for key in sorted(set(sa) | set(sb)):
            if key not in sb:
                diffs.append(f"{section_name}: only in {na}: {_rrset_text(key, *sa[key])}")
            elif key not in sa:
                diffs.append(f"{section_name}: only in {nb}: {_rrset_text(key, *sb[key])}")
            elif sa[key] != sb[key]:
                diffs.append(f"{section_name}: {key[0]} {key[2]} differs: "
                             f"{na}: {_rrset_text(key, *sa[key])} | "
                             f"{nb}: {_rrset_text(key, *sb[key])}")
    return diffs


def format_answer(msg):
    """The message as dig-like text, for assertion messages."""
    return msg.to_text()
