#!/usr/bin/env python3
"""Carrier-shaped query files over a gen_zone.py zone (issue 22).

    gen_traffic.py --zone zone-N-s1.db --index zone-N-s1.idx \\
                   --mode uniform --seed 7 --count 1000000 --out q-uniform-7.q

Real ENUM / number-portability traffic is one query per call spread over the
whole number set, not a replay of a set that fits a cache. Every file drawn
here is fresh (a new --seed gives new names; the same seed the same bytes):

  uniform  80% numbers of the zone drawn uniformly over ALL of them,
           10% names a wildcard synthesises (a random number under a random
           wildcard block, never below an exception's empty non-terminal),
           10% misdials: a number of the zone with one of its last 7 digits
           changed, kept only if no such number exists (NXDOMAIN);
  zipf     the same shares, but the existing numbers drawn by a Zipf law
           (s = 1) over a fixed popularity order of all numbers (a
           permutation that depends on the zone, not on --seed: the popular
           numbers stay popular across files);
  flood    random names that do not exist (a random-subdomain flood): half
           random numbers inside populated 10k blocks (deep closest
           encloser), half random digit strings of 11-13 digits anywhere.

The zone's numbers are read once from the zone file into --index (sorted
8-byte integers; 10M numbers = 80 MB, ~40 s) and the wildcard blocks into
INDEX.json; later runs read those. Standard library only.
"""

import argparse
import array
import bisect
import json
import math
import os
import random
import sys

ORIGIN = ".e164.arpa."


def number_of(owner):
    """'4.3.2.1' (relative owner, reversed digits) -> 1234, or None."""
    digits = owner.split(".")
    if not all(d.isdigit() and len(d) == 1 for d in digits):
        return None
    return int("".join(reversed(digits)))


def build_index(zone, index):
    nums = []
    wild = []  # [base number string, [exception first digits]]
    last = None
    with open(zone) as f:
        for line in f:
            if not line or line[0] in ";$@ \t\n":
                continue
            owner = line.split(" ", 1)[0]
            if owner.startswith("*."):
                base = "".join(reversed(owner[2:].split(".")))
                wild.append([base, []])
                continue
            if owner == last:
                continue
            last = owner
            n = number_of(owner)
            if n is None:
                continue
            nums.append(n)
            if wild:
                s = str(n)
                base = wild[-1][0]
                if s.startswith(base) and len(s) > len(base):
                    d = int(s[len(base)])
                    if d not in wild[-1][1]:
                        wild[-1][1].append(d)
    nums.sort()
    arr = array.array("q", nums)
    del nums
    with open(index + ".tmp", "wb") as f:
        arr.tofile(f)
    with open(index + ".json.tmp", "w") as f:
        json.dump({"wildcards": wild, "numbers": len(arr)}, f)
    os.replace(index + ".json.tmp", index + ".json")
    os.replace(index + ".tmp", index)


def load_index(index):
    arr = array.array("q")
    with open(index, "rb") as f:
        arr.fromfile(f, os.path.getsize(index) // 8)
    with open(index + ".json") as f:
        meta = json.load(f)
    return arr, meta["wildcards"]


def exists(arr, n):
    i = bisect.bisect_left(arr, n)
    return i < len(arr) and arr[i] == n


def fqdn(number):
    return ".".join(reversed(str(number))) + ORIGIN


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zone", required=True, help="zone file from gen_zone.py")
    ap.add_argument("--index", required=True, help="cache of the zone's numbers (made if missing)")
    ap.add_argument("--mode", choices=("uniform", "zipf", "flood"), default="uniform")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--out", help="query file to write (none: only build the index)")
    a = ap.parse_args()

    if not (os.path.exists(a.index) and os.path.exists(a.index + ".json")
            and os.path.getmtime(a.index) >= os.path.getmtime(a.zone)):
        build_index(a.zone, a.index)
    if not a.out:
        return
    arr, wild = load_index(a.index)
    n = len(arr)
    wild_bases = {w[0] for w in wild}
    rng = random.Random(a.seed)

    def covered(number):
        """True if a wildcard block covers the number (then it is no misdial)."""
        s = str(number)
        return any(s[:k] in wild_bases for k in range(1, len(s)))

    def nonexistent(number):
        return not exists(arr, number) and not covered(number)

    def wildcard_name():
        base, exc = wild[rng.randrange(len(wild))]
        free = [d for d in range(10) if d not in exc]
        return int(base + str(rng.choice(free)) + "%02d" % rng.randrange(100))

    def misdial():
        while True:
            s = list(str(arr[rng.randrange(n)]))
            i = len(s) - 1 - rng.randrange(7)
            s[i] = str((int(s[i]) + 1 + rng.randrange(9)) % 10)
            m = int("".join(s))
            if nonexistent(m):
                return m

    # Zipf (s = 1) by inverse CDF: rank r in [1, n] with P(r) ~ 1/r, then a
    # fixed permutation of the sorted numbers (stride coprime with n).
    stride = 2654435761 % n or 1
    while math.gcd(stride, n) != 1:
        stride += 1

    def zipf_number():
        r = int(math.exp(rng.random() * math.log(n + 1)))  # 1..n
        return arr[((min(r, n) - 1) * stride + 12345) % n]

    def flood_name():
        while True:
            if rng.random() < 0.5:
                prefix = str(arr[rng.randrange(n)])[:-4]
                m = int(prefix + "%04d" % rng.randrange(10000))
            else:
                digits = rng.randint(11, 13)
                m = rng.randrange(10 ** (digits - 1), 10 ** digits)
            if nonexistent(m):
                return m

    out = []
    kinds = {"existing": 0, "wildcard": 0, "nonexistent": 0}
    for _ in range(a.count):
        if a.mode == "flood":
            out.append(flood_name())
            kinds["nonexistent"] += 1
            continue
        u = rng.random()
        if u < 0.8:
            out.append(arr[rng.randrange(n)] if a.mode == "uniform" else zipf_number())
            kinds["existing"] += 1
        elif u < 0.9 and wild:
            out.append(wildcard_name())
            kinds["wildcard"] += 1
        else:
            out.append(misdial())
            kinds["nonexistent"] += 1
    with open(a.out + ".tmp", "w", buffering=1 << 20) as f:
        f.writelines(fqdn(m) + " NAPTR\n" for m in out)
    os.replace(a.out + ".tmp", a.out)
    print(json.dumps({"mode": a.mode, "seed": a.seed, "queries": len(out),
                      "distinct": len(set(out)), **kinds}), file=sys.stderr)


if __name__ == "__main__":
    main()
