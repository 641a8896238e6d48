"""Foreign zone files through enumctl and through BIND 9 (issue 23).

For every zone file in a corpus directory (default: zones/foreign beside this
file), compares enumctl's decision and records with BIND's:

  - decision: `enumctl check` exit status vs `named-checkzone` (BIND's
    defaults: check-names warn, integrity checks full; test_zone_corpus.py
    also compares --check-names fail with `named-checkzone -k fail`);
  - records, when both accept: the zone is imported into a fresh store and
    exported, the export is compiled by `named-compilezone` (so BIND must read
    back whatever enumctl writes), and its record set is compared with the one
    `named-compilezone` makes of the original file. Both sides go through
    BIND's own printer, so any two spellings of one record compare equal.

A zone agrees when the decision is the same and, if accepted, the records
are. The origin is `example.` unless the file's first line says
`; origin: NAME`.

Run by hand (prints one line per zone and the agreement rate):
  ENUMD_BIN_DIR=build/bin /usr/bin/python3 tests/system/zone_corpus.py [DIR]
"""

import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

BIN_DIR = os.environ.get(
    "ENUMD_BIN_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin"))
ENUMCTL = os.path.join(BIN_DIR, "enumctl")
CHECKZONE = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"
COMPILEZONE = shutil.which("named-compilezone") or "/usr/bin/named-compilezone"
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zones", "foreign")
DEFAULT_ORIGIN = "example."

# Zones where enumd decides differently from BIND on purpose, with the reason.
# They count as differences in the rate (the rate is what a user meets), and
# the test checks that each still differs in the documented way.
DOCUMENTED = {
    "naptr-regexp-and-replacement.db":
        "RFC 3403 §4.1: a NAPTR has a regexp or a replacement, never both; "
        "BIND accepts it, a client would have to guess which to use",
}


def zone_origin(path):
    with open(path, "rb") as f:
        first = f.readline().decode("latin-1").strip()
    if first.startswith("; origin:"):
        return first.split(":", 1)[1].strip()
    return DEFAULT_ORIGIN


def run(args, cwd, timeout=60):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          errors="replace", timeout=timeout)


def compiled_records(path, origin, cwd, checks=True):
    """BIND's record set of a zone file (lines of named-compilezone's output,
    lower-cased), or None when BIND rejects it."""
    with tempfile.NamedTemporaryFile(suffix=".out") as out:
        args = [COMPILEZONE, "-q", "-s", "full", "-o", out.name]
        if not checks:
            args[1:1] = ["-i", "none", "-k", "ignore", "-n", "ignore"]
        r = run(args + [origin, path], cwd)
        if r.returncode != 0:
            return None
        with open(out.name, encoding="latin-1") as f:
            return sorted(" ".join(line.split()).lower() for line in f
                          if line.strip() and not line.startswith(";"))


def compare_one(path, workdir):
    """Returns a dict: name, bind_ok, enumd_ok, agree, detail."""
    name = os.path.basename(path)
    origin = zone_origin(path)
    cwd = os.path.dirname(path)  # $INCLUDE names are relative to it on both sides
    res = {"name": name, "origin": origin, "detail": ""}
    bind = run([CHECKZONE, origin, path], cwd)
    res["bind_ok"] = bind.returncode == 0
    ours = run([ENUMCTL, "check", "--origin", origin, path], cwd)
    res["enumd_ok"] = ours.returncode == 0
    res["enumd_msg"] = (ours.stderr or ours.stdout).strip()
    res["bind_msg"] = bind.stdout.strip()
    if ours.returncode not in (0, 1):
        res["agree"] = False
        res["detail"] = f"enumctl check exited {ours.returncode}: {res['enumd_msg']}"
        return res
    if res["bind_ok"] != res["enumd_ok"]:
        res["agree"] = False
        res["detail"] = ("BIND accepts, enumd rejects: " + res["enumd_msg"] if res["bind_ok"]
                         else "BIND rejects, enumd accepts: " + res["bind_msg"].splitlines()[-2:][0])
        return res
    if not res["bind_ok"]:
        res["agree"] = True
        return res
    store = os.path.join(workdir, name + ".store")
    r = run([ENUMCTL, "import", "--store", store, "--origin", origin, path], cwd)
    if r.returncode != 0:
        res["agree"] = False
        res["detail"] = "check accepts, import fails: " + r.stderr.strip()
        return res
    exported = os.path.join(workdir, name + ".export")
    with open(exported, "w") as f:
        r = subprocess.run([ENUMCTL, "export", "--store", store, origin], stdout=f,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    shutil.rmtree(store, ignore_errors=True)
    if r.returncode != 0:
        res["agree"] = False
        res["detail"] = "export fails: " + r.stderr.strip()
        return res
    want = compiled_records(path, origin, cwd, checks=False)
    if want is None:
        res["agree"] = False
        res["detail"] = "named-checkzone accepts, named-compilezone fails"
        return res
    got = compiled_records(exported, origin, cwd, checks=False)
    if got is None:
        res["agree"] = False
        res["detail"] = "BIND cannot read the export: " + run(
            [CHECKZONE, "-i", "none", "-k", "ignore", origin, exported], cwd).stdout.strip()
        return res
    if want != got:
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        res["agree"] = False
        res["detail"] = (f"records differ: {len(missing)} only in BIND "
                         f"{missing[:3]}, {len(extra)} only in enumd {extra[:3]}")
        return res
    res["agree"] = True
    return res


def zone_files(corpus):
    return sorted(os.path.join(corpus, f) for f in os.listdir(corpus)
                  if f.endswith(".db") or f.endswith(".zone"))


def compare_corpus(corpus=CORPUS, jobs=2):
    """Compares every zone in `corpus`; returns the list of result dicts."""
    with tempfile.TemporaryDirectory(prefix="zone-corpus-") as workdir:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(lambda p: compare_one(p, workdir), zone_files(corpus)))


def report(results, out=sys.stdout):
    agree = sum(r["agree"] for r in results)
    for r in results:
        mark = "same" if r["agree"] else "DIFF"
        b = "accept" if r["bind_ok"] else "reject"
        e = "accept" if r["enumd_ok"] else "reject"
        note = " (documented)" if r["name"] in DOCUMENTED and not r["agree"] else ""
        print(f"{mark} bind={b} enumd={e} {r['name']}{note} {r['detail']}", file=out)
    pct = 100.0 * agree / len(results) if results else 0.0
    print(f"agreement: {agree}/{len(results)} = {pct:.1f}%", file=out)
    return agree


if __name__ == "__main__":
    report(compare_corpus(sys.argv[1] if len(sys.argv) > 1 else CORPUS))
