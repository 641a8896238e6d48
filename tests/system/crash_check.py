"""kill -9 at random points during `enumctl import` and during sequences of
`enumctl add`/`enumctl del`, and the checks that must hold afterwards
(issue 7, "Crash safety and data integrity"). One copy, used by
tests/system/test_crash_safety.py (a handful of runs, fixed seeds) and by
tests/bench/kill9_bench.sh (100 runs):

    /usr/bin/python3 tests/system/crash_check.py --bin-dir build/bin --runs 100

After every kill:
  - the store opens: `enumctl zones`, `list` and `export` succeed;
  - the zone is one whole version: its exported record set equals the set
    before the interrupted command or the set after it (for an import: the
    previous zone or the new file's), and the counts in the zone's meta
    (`enumctl zones`) match the exported records and names;
  - every add/del that exited 0 before the kill is there (the expected sets
    are built from them);
  - enumd starts on the store and answers the SOA and a number's NAPTR RRset
    as the expected set says.
A run whose command finished before the kill must show the new state.
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from enumd_harness import Enumd  # noqa: E402

import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

ORIGIN = "e164.arpa."
GEN_ZONE = os.path.join(_HERE, "..", "bench", "gen_zone.py")
TTL = 3600  # gen_zone.py's $TTL; adds pass --ttl 3600 so every NAPTR RRset keeps it


class CrashCheckFailure(AssertionError):
    pass


def naptr_line(owner, uri):
    """An add's record as `enumctl export` prints it."""
    return f'{owner}\t{TTL}\tIN\tNAPTR\t10 100 "u" "E2U+sip" "!^.*$!{uri}!" .'


def owner_of(number):
    """'+886912345678' -> '8.7.6.5.4.3.2.1.9.6.8.8.e164.arpa.'"""
    return ".".join(reversed(number.lstrip("+"))) + "." + ORIGIN


def number_of(owner):
    labels = owner[:-len("." + ORIGIN)].split(".")
    return "+" + "".join(reversed(labels))


def soa_without_serial(line):
    """The record line, with the serial of an SOA replaced by SERIAL."""
    fields = line.split("\t")
    if len(fields) >= 5 and fields[3] == "SOA":
        rdata = fields[4].split(" ")
        if len(rdata) == 7:
            rdata[2] = "SERIAL"
            fields[4] = " ".join(rdata)
    return "\t".join(fields)


def owner_field(line):
    return line.split("\t", 1)[0]


def number_owners(records):
    """Owners of NAPTR records that are numbers (all-digit labels, no wildcard)."""
    out = set()
    for r in records:
        fields = r.split("\t")
        if fields[3] == "NAPTR" and fields[0].endswith("." + ORIGIN):
            labels = fields[0][:-len("." + ORIGIN)].split(".")
            if all(label.isdigit() and len(label) == 1 for label in labels):
                out.add(fields[0])
    return out


class CrashRunner:
    """A store with one zone (origin e164.arpa.), two generated versions of it
    (`numbers` numbers, seeds `seed` and `seed`+1), and the kill runs.

    `self.current` is the record set the store must hold between runs."""

    def __init__(self, bin_dir, workdir, numbers, seed, log=None):
        self.bin_dir = bin_dir
        self.enumctl_bin = os.path.join(bin_dir, "enumctl")
        self.workdir = workdir
        self.store = os.path.join(workdir, "store")
        self.numbers = numbers
        self.seed = seed
        self.log = log or (lambda msg: None)
        self.versions = {}  # name -> (zone file, record set)
        self.current = None
        self.current_name = None
        self.import_seconds = None
        self.op_seconds = None
        self.fresh = 0

    # --- commands ------------------------------------------------------------

    def enumctl(self, *args, check=True, timeout=300):
        done = subprocess.run([self.enumctl_bin, *args], capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise CrashCheckFailure(f"enumctl {' '.join(args)} exited with {done.returncode}: "
                                    f"{done.stderr.strip()}")
        return done

    def export(self):
        """(record lines as a list, header line) of the store's zone. The SOA
        serial reads "SERIAL": every add and del moves it (issue 19), and
        what is checked here is which records survive, not how far it went."""
        out = self.enumctl("export", "--store", self.store, ORIGIN).stdout
        lines = out.splitlines()
        header = lines[0] if lines and lines[0].startswith(";") else ""
        records = [soa_without_serial(ln) for ln in lines
                   if ln and not ln.startswith((";", "$"))]
        return records, header

    def zone_counts(self):
        """(names, records) from `enumctl zones`."""
        out = self.enumctl("zones", "--store", self.store).stdout
        for line in out.splitlines():
            fields = line.split("\t")
            if fields[0] == ORIGIN:
                return int(fields[2].split()[0]), int(fields[3].split()[0])
        raise CrashCheckFailure(f"enumctl zones does not list {ORIGIN}: {out!r}")

    # --- set-up --------------------------------------------------------------

    def setup(self):
        os.makedirs(self.workdir, exist_ok=True)
        for name, seed in (("old", self.seed), ("new", self.seed + 1)):
            path = os.path.join(self.workdir, f"{name}.db")
            subprocess.run([sys.executable, GEN_ZONE, "--numbers", str(self.numbers),
                            "--seed", str(seed), "--zone", path], check=True,
                           stderr=subprocess.DEVNULL)
            self.versions[name] = (path, None)
        timings = []
        for name in ("old", "new", "old"):
            started = time.monotonic()
            self.enumctl("import", "--store", self.store, self.versions[name][0])
            timings.append(time.monotonic() - started)
            records, _ = self.export()
            got = frozenset(records)
            if len(got) != len(records):
                raise CrashCheckFailure(f"export of {name} repeats records")
            if self.versions[name][1] is not None and self.versions[name][1] != got:
                raise CrashCheckFailure(f"importing {name} twice gave two record sets")
            self.versions[name] = (self.versions[name][0], got)
        if self.versions["old"][1] == self.versions["new"][1]:
            raise CrashCheckFailure("the two generated versions are the same zone")
        self.current, self.current_name = self.versions["old"][1], "old"
        self.import_seconds = sum(timings) / len(timings)
        # How long one add or del takes (open, read, synced write): kills aim
        # inside it. The median of a few, as the first write after an import
        # also cleans up; run_add_del keeps it up to date.
        rng, times = random.Random(self.seed), []
        for _ in range(3):
            number = self.fresh_number(rng)
            for argv in (["add", "--ttl", str(TTL), number, "sip:probe@setup"], ["del", number]):
                started = time.monotonic()
                self.enumctl(argv[0], "--store", self.store, *argv[1:])
                times.append(time.monotonic() - started)
        self.op_seconds = sorted(times)[len(times) // 2]
        self.verify({"before": self.current}, "setup")
        self.log(f"setup: {self.numbers} numbers, {len(self.current)} records; import "
                 f"{self.import_seconds:.2f} s, add/del {self.op_seconds * 1000:.0f} ms")

    def fresh_number(self, rng):
        """A number in +88 (no generated range uses it), never given before."""
        self.fresh += 1
        return f"+88{self.fresh % 100:02d}{rng.randrange(10**8):08d}"

    # --- the checks ----------------------------------------------------------

    def verify(self, expected, what):
        """Checks the store against `expected` ({label: record set}); returns
        the label of the set it holds and makes that set current."""
        records, header = self.export()
        got = frozenset(records)
        label = next((k for k, v in expected.items() if v == got), None)
        if label is None:
            parts = []
            for k, v in expected.items():
                extra, missing = sorted(got - v), sorted(v - got)
                parts.append(f"vs {k}: {len(extra)} extra {extra[:3]}, "
                             f"{len(missing)} missing {missing[:3]}")
            raise CrashCheckFailure(f"{what}: the zone is none of {sorted(expected)} "
                                    f"({len(got)} records): " + "; ".join(parts))
        names, count = self.zone_counts()
        owners = {owner_field(r) for r in records}
        if (names, count) != (len(owners), len(records)):
            raise CrashCheckFailure(
                f"{what}: the zone's meta says {names} names, {count} records; the export "
                f"holds {len(owners)} names, {len(records)} records ({header})")
        numbered = sorted(number_owners(records))
        probe = numbered[len(numbered) // 2] if numbered else None
        if probe:
            listed = self.enumctl("list", "--store", self.store, number_of(probe)[:6]).stdout
            if number_of(probe) not in listed:
                raise CrashCheckFailure(f"{what}: enumctl list does not show {number_of(probe)}")
        self.check_enumd(got, probe, what)
        self.current = got
        return label

    def check_enumd(self, records, probe, what):
        with Enumd(build_dir=self.bin_dir, zones=[(ORIGIN, None)],
                   extra_config={"store": self.store}) as enumd:
            soa = enumd.query(ORIGIN, "SOA")
            if soa.rcode() != dns.rcode.NOERROR or not soa.answer:
                raise CrashCheckFailure(f"{what}: enumd answers the SOA with "
                                        f"{dns.rcode.to_text(soa.rcode())}")
            if probe:
                want = sum(1 for r in records
                           if owner_field(r) == probe and r.split("\t")[3] == "NAPTR")
                r = enumd.query(probe, "NAPTR", tcp=True)
                got = sum(len(rr) for rr in r.answer if rr.rdtype == dns.rdatatype.NAPTR)
                if got != want:
                    raise CrashCheckFailure(f"{what}: enumd answers {got} NAPTR for {probe}, "
                                            f"the export holds {want}")

    # --- runs ----------------------------------------------------------------

    def kill_after(self, argv, delay):
        """Runs enumctl ARGV and SIGKILLs it after `delay` s unless it ended;
        returns (killed, returncode, stderr)."""
        proc = subprocess.Popen([self.enumctl_bin, *argv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        killed = proc.returncode == -signal.SIGKILL
        return killed, proc.returncode, err.decode(errors="replace").strip()

    def run_import(self, rng):
        """Imports the other version, killed after a random part of an
        import's time (up to 110%: some imports finish first)."""
        target = "new" if self.current_name != "new" else "old"
        path, target_set = self.versions[target]
        delay = rng.uniform(0, 1.1 * self.import_seconds)
        killed, rc, err = self.kill_after(["import", "--store", self.store, path], delay)
        what = f"import {target} killed at {delay:.3f} s" if killed else f"import {target}"
        if not killed and rc != 0:
            raise CrashCheckFailure(f"{what} exited with {rc}: {err}")
        expected = {"new version": target_set}
        if killed:
            expected["old version"] = self.current
        label = self.verify(expected, what)
        self.current_name = target if label == "new version" else self.current_name
        return {"kind": "import", "killed": killed, "delay": delay, "outcome": label}

    def run_add_del(self, rng):
        """A sequence of adds and dels; one of them (at a random index) is
        killed at a random moment of its run."""
        before = set(self.current)
        added = {}  # number -> uris, of this sequence
        zone_numbers = sorted(number_owners(before))
        length = rng.randrange(3, 10)
        victim = rng.randrange(length)
        model = set(before)
        done = 0
        for i in range(length):
            choice = rng.random()
            if choice < 0.45 or not added:
                number = self.fresh_number(rng)
                uri = f"sip:n{self.fresh}@crash.example"
                argv = ["add", "--store", self.store, "--ttl", str(TTL), number, uri]
                after = model | {naptr_line(owner_of(number), uri)}
                added.setdefault(number, []).append(uri)
            elif choice < 0.6:
                number = rng.choice(sorted(added))
                uri = f"sip:n{self.fresh}-{i}@crash.example"
                argv = ["add", "--store", self.store, "--ttl", str(TTL), number, uri]
                after = model | {naptr_line(owner_of(number), uri)}
                added[number].append(uri)
            elif choice < 0.85:
                number = rng.choice(sorted(added))
                owner = owner_of(number)
                argv = ["del", "--store", self.store, number]
                after = {r for r in model if owner_field(r) != owner}
                del added[number]
            else:
                owner = rng.choice(zone_numbers)
                argv = ["del", "--store", self.store, number_of(owner)]
                after = {r for r in model if owner_field(r) != owner}
                zone_numbers.remove(owner)
            if i < victim:
                started = time.monotonic()
                self.enumctl(*argv)  # raises unless it exits 0
                self.op_seconds = 0.8 * self.op_seconds + 0.2 * (time.monotonic() - started)
                model = after
                done += 1
                continue
            delay = rng.uniform(0, 1.1 * self.op_seconds)
            killed, rc, err = self.kill_after(argv, delay)
            what = (f"add/del sequence, op {i + 1}/{length} ({argv[0]}) "
                    f"{'killed at %.3f s' % delay if killed else 'finished'}, {done} done before")
            if not killed and rc != 0:
                raise CrashCheckFailure(f"{what}: exited with {rc}: {err}")
            expected = {"after": frozenset(after)}
            if killed:
                expected["before"] = frozenset(model)
            label = self.verify(expected, what)
            return {"kind": "add/del", "killed": killed, "delay": delay, "outcome": label,
                    "ops_done": done + (label == "after")}
        raise AssertionError("unreachable")

    def run(self, index, rng):
        return self.run_import(rng) if index % 2 == 0 else self.run_add_del(rng)


def summarize(results, failures, seconds):
    lines = [f"kill -9 runs: {len(results) + len(failures)} in {seconds:.0f} s, "
             f"{len(failures)} failed"]
    for kind in ("import", "add/del"):
        rs = [r for r in results if r["kind"] == kind]
        if not rs:
            continue
        killed = [r for r in rs if r["killed"]]
        outcomes = {}
        for r in killed:
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        text = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "-"
        lines.append(f"  {kind:8} {len(rs):4} runs, {len(killed)} killed mid-command "
                     f"(state after: {text}), {len(rs) - len(killed)} finished first")
        if kind == "add/del":
            lines.append(f"           {sum(r['ops_done'] for r in rs)} adds/dels reported done, "
                         f"all present")
    for f in failures:
        lines.append(f"  FAILED run {f[0]}: {f[1]}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="kill -9 during enumctl import/add/del")
    ap.add_argument("--bin-dir", default=os.environ.get(
        "ENUMD_BIN_DIR", os.path.join(_HERE, "..", "..", "build", "bin")))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--numbers", type=int, default=150_000,
                    help="numbers per generated zone version (records: about 1.2x)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", help="keep the store and zones here (default: a temp dir)")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.numbers < 100:
        ap.error("--runs must be >= 1 and --numbers >= 100")
    workdir = args.workdir or tempfile.mkdtemp(prefix="enumd-kill9-")
    started = time.monotonic()
    runner = CrashRunner(os.path.abspath(args.bin_dir), workdir, args.numbers, args.seed,
                         log=lambda m: print(m, flush=True))
    results, failures = [], []
    try:
        runner.setup()
        rng = random.Random(args.seed)
        for i in range(args.runs):
            try:
                r = runner.run(i, rng)
                results.append(r)
                print(f"run {i + 1}: {r['kind']} "
                      f"{'killed at %.3f s' % r['delay'] if r['killed'] else 'finished'}"
                      f" -> {r['outcome']}", flush=True)
            except CrashCheckFailure as e:
                failures.append((i + 1, str(e)))
                print(f"run {i + 1}: FAILED: {e}", flush=True)
                # Carry on from whatever the store now holds.
                runner.current = frozenset(runner.export()[0])
    finally:
        print(summarize(results, failures, time.monotonic() - started), flush=True)
        if args.workdir is None and not failures:
            shutil.rmtree(workdir, ignore_errors=True)
        elif failures:
            print(f"store and zones kept in {workdir}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
