"""Servers and clients for the UPDATE system tests (test_update.py): enumd
and BIND 9 serving the same zone with dynamic updates allowed to one TSIG
key, nsupdate runs, and signed UPDATEs from dnspython.

    keys = TsigKeyFile(tmpdir)            # tsig-keygen -a hmac-sha256
    with UpdatableEnumd(keys, ZONE_FILE) as enumd, \\
         UpdatableBind(keys, ZONE_FILE) as bind:
        rcode = nsupdate(enumd.port, keys.path, "update add ...")

Both serve ORIGIN (e164.arpa.) with serial policy "increment" (BIND's
serial-update-method default, enumd's `serial:` default, set explicitly on
both) so that SOA serials can be compared as they are.
"""

import os
import re
import shutil
import subprocess

import dns.name
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update

from enumd_harness import HOST, Bind, Enumd

ORIGIN = "e164.arpa."
KEY_NAME = "update-key."


class TsigKeyFile:
    """A key written by tsig-keygen into `directory`: .path (BIND's key
    statement, which both servers and nsupdate -k read), .name, .secret,
    .keyring for dnspython."""

    def __init__(self, directory, name=KEY_NAME, algorithm="hmac-sha256"):
        text = subprocess.run(["tsig-keygen", "-a", algorithm, name], check=True,
                              capture_output=True, text=True).stdout
        self.name = name
        self.secret = re.search(r'secret "([^"]+)"', text).group(1)
        self.algorithm = dns.name.from_text(algorithm)
        self.path = os.path.join(directory, f"{name.rstrip('.')}.key")
        with open(self.path, "w") as f:
            f.write(text)
        self.keyring = dns.tsigkeyring.from_text({name: self.secret})


class UpdatableEnumd(Enumd):
    """enumd serving ORIGIN from `zone_file`, taking updates signed with
    `key`. `zone_settings` is merged into the zone's config entry."""

    def __init__(self, key, zone_file, zone_settings=None, **kw):
        self.key = key
        zone = {"origin": ORIGIN, "file": os.path.abspath(zone_file), "serial": "increment",
                "update": {"keys": [key.name]}}
        zone.update(zone_settings or {})
        extra = {"keys": [key.path], "zones": [zone], "log_level": "info"}
        extra.update(kw.pop("extra_config", {}))
        super().__init__(zones=[(ORIGIN, zone_file)], extra_config=extra, **kw)


    def crash_and_restart(self):
        """SIGKILLs enumd and starts it again on the same port, config and
        store; returns once it answers."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._spawn()
        self._wait_ready()


class UpdatableBind(Bind):
    """named as primary of ORIGIN, from a private copy of `zone_file` (named
    writes its journal beside it), allow-update { key KEY; }, serial-update-
    method increment, AXFR allowed from 127.0.0.1 (the tests list its names
    with it)."""

    def __init__(self, key, zone_file, policy=None, **kw):
        self.key = key
        self.source_zone = zone_file
        self.policy = policy  # update-policy rules instead of allow-update
        super().__init__(zones=[(ORIGIN, zone_file)], **kw)

    def _prepare(self):
        copy = os.path.join(self.tmp, "zone.db")
        shutil.copyfile(self.source_zone, copy)
        self.zones = [(ORIGIN, copy, None)]
        super()._prepare()
        with open(self.config_path) as f:
            conf = f.read()
        conf = f'include "{self.key.path}";\n' + conf.replace(
            "    check-names ignore;\n",
            "    check-names ignore;\n" +
            (f'    allow-update {{ key "{self.key.name}"; }};\n' if self.policy is None else
             "    update-policy {\n" + "".join(f"        {r};\n" for r in self.policy) +
             "    };\n") +
            "    serial-update-method increment;\n"
            "    allow-transfer { 127.0.0.1; };\n"
            # BIND's default (yes) gives the authority SOA of a negative
            # answer to an SOA query TTL 0; enumd follows RFC 2308 §3, as
            # Knot does (test_differential lists that difference). Off here
            # so that the update tests compare data, not that choice.
            "    zero-no-soa-ttl no;\n")
        with open(self.config_path, "w") as f:
            f.write(conf)


_FAILED = re.compile(r"update failed: ([A-Z]+)")


def nsupdate(port, key_path, block, tcp=False, timeout=20):
    """Runs nsupdate -k KEY with `block` (nsupdate commands, without server,
    zone and send) against 127.0.0.1:port; returns the answer's rcode name
    (NOERROR, NXDOMAIN, ...), or raises when nsupdate fails otherwise."""
    script = f"server {HOST} {port}\nzone {ORIGIN}\n{block.strip()}\nsend\n"
    cmd = ["nsupdate", "-k", key_path, "-t", "5", "-r", "0"] + (["-v"] if tcp else [])
    done = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=timeout)
    out = done.stdout + done.stderr
    if done.returncode == 0:
        return "NOERROR"
    m = _FAILED.search(out)
    if m:
        return m.group(1)
    raise AssertionError(f"nsupdate failed without an rcode:\n{script}\n{out}")


def signed_update(key, origin=ORIGIN):
    """A dns.update.UpdateMessage for `origin` signed with `key`."""
    return dns.update.UpdateMessage(origin, keyring=key.keyring, keyname=key.name,
                                    keyalgorithm=key.algorithm)


def send_update(port, message, tcp=False, timeout=5.0):
    """Sends an UpdateMessage; returns the answer's rcode (the TSIG of the
    answer is verified by dnspython)."""
    if tcp:
        r = dns.query.tcp(message, HOST, port=port, timeout=timeout)
    else:
        r = dns.query.udp(message, HOST, port=port, timeout=timeout)
    return r.rcode()


def rcode_text(rcode):
    return dns.rcode.to_text(rcode)
