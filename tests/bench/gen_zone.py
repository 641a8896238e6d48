#!/usr/bin/env python3
"""Deterministic ENUM benchmark zone and dnsperf query file.

    gen_zone.py --numbers 1000000 --seed 1 --zone e164.db --queries queries.txt

Writes a BIND master file for origin e164.arpa. holding exactly N numbers
(E.164, reversed-digit owners), and optionally a dnsperf query file
("NAME NAPTR" per line). Python 3 standard library only; the same
--numbers/--seed always give byte-identical files.

The number plan:
  * numbers are allocated in blocks of 10,000 (a prefix of len-4 digits), each
    block filled to 30-90%, in +61 (AU), +44 (UK), +1 (NANP), +49 (DE) and
    +81 (JP) with each country's real lengths (AU 11 digits, UK 12, NANP 11,
    DE 12-13, JP 11-12); no number is a prefix of another;
  * each number has one NAPTR (80%) or two (20%, order 10 pref 100/200):
        10 100 "u" "E2U+sip" "!^.*$!sip:+NUMBER@gwK.example.net!" .
  * wildcard blocks: *.PREFIX covering 1,000 numbers each, together about 1%
    as many numbers as the zone holds, each with 3 specific exceptions inside
    it (exceptions count towards N);
  * a few "large" names: 3 with 10 NAPTRs (answer > 512 bytes) and 3 with 24
    NAPTRs (answer > 1232 bytes).

Query mix (--query-count lines, default 1,000,000, shuffled):
  ~80% existing numbers (incl. exceptions and each large name a few times),
  ~10% wildcard-covered numbers that RFC 4592 synthesises (never below an
       empty non-terminal created by an exception, so BIND, Knot, NSD and
       enumd in its default `wildcards: rfc4592` mode all answer from the
       wildcard),
  ~10% nonexistent numbers (NXDOMAIN): half inside populated blocks, half in
       unallocated blocks.
A summary (counts) goes to stderr and, with --meta FILE, as JSON to FILE.
"""

import argparse
import json
import random
import sys

ORIGIN = "e164.arpa."

# (country, fixed leading digits, total digits incl. country code, weight).
# Leading-digit sets never nest, and every range has one fixed length, so no
# number is a prefix of another.
RANGES = [
    ("AU", "612", 11, 6), ("AU", "613", 11, 6), ("AU", "617", 11, 4),
    ("AU", "618", 11, 4), ("AU", "614", 11, 10),  # mobile 04xx
    ("UK", "4420", 12, 6), ("UK", "44121", 12, 3), ("UK", "44161", 12, 3),
    ("UK", "447", 12, 12),  # mobile 07xxx
    ("NANP", "1", 11, 20),
    ("DE", "4930", 12, 4), ("DE", "4989", 12, 3), ("DE", "4940", 12, 3),
    ("DE", "49151", 13, 3), ("DE", "49170", 12, 3),
    ("JP", "813", 11, 4), ("JP", "816", 11, 2), ("JP", "8190", 12, 4),
]

BLOCK = 10_000
WILDCARD_SPAN = 1_000
EXCEPTIONS_PER_WILDCARD = 3
GATEWAYS = 64


def block_prefix(rng, rng_spec):
    """A random 10k-block prefix (total-4 digits) inside a range."""
    _, lead, total, _ = rng_spec
    n = total - 4 - len(lead)
    if lead == "1":  # NANP: NPA [2-9]XX, NXX [2-9]XX
        npa = str(rng.randint(2, 9)) + "%02d" % rng.randint(0, 99)
        nxx = str(rng.randint(2, 9)) + "%02d" % rng.randint(0, 99)
        return "1" + npa + nxx
    return lead + "".join(str(rng.randint(0, 9)) for _ in range(n))


def owner(number):
    """Owner name relative to e164.arpa.: reversed digits."""
    return ".".join(reversed(number))


def fqdn(number):
    return owner(number) + "." + ORIGIN


def naptr(order, pref, number, gw):
    return ('%s IN NAPTR %d %d "u" "E2U+sip" "!^.*$!sip:+%s@gw%d.example.net!" .\n'
            % (owner(number), order, pref, number, gw))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--zone", required=True, help="zone file to write")
    ap.add_argument("--queries", help="dnsperf query file to write")
    ap.add_argument("--query-count", type=int, default=1_000_000)
    ap.add_argument("--meta", help="write counts as JSON here")
    args = ap.parse_args()
    if args.numbers < 1000:
        ap.error("--numbers must be at least 1000")

    rng = random.Random(args.seed)
    weights = [r[3] for r in RANGES]
    used_blocks = set()

    def new_block():
        while True:
            spec = rng.choices(RANGES, weights)[0]
            p = block_prefix(rng, spec)
            if p not in used_blocks:
                used_blocks.add(p)
                return p

    n_wild = max(1, round(args.numbers * 0.01 / WILDCARD_SPAN))
    n_exc = n_wild * EXCEPTIONS_PER_WILDCARD
    n_regular = args.numbers - n_exc
    q_total = args.query_count
    q_exist = int(q_total * 0.8)
    q_wild = int(q_total * 0.1)
    q_nx = q_total - q_exist - q_wild
    p_exist = min(1.0, q_exist / args.numbers)
    # nonexistent-in-block candidates: sample with a probability giving ~q_nx/2
    free_slots_est = n_regular * (1 / 0.6 - 1)  # mean fill 60%
    p_nx_in = min(1.0, (q_nx / 2) / max(1.0, free_slots_est))

    queries_exist, queries_wild, queries_nx = [], [], []
    records = 0
    large_numbers = []
    stats = {"numbers": 0, "records": 0, "names_two_naptr": 0, "blocks": 0,
             "wildcard_blocks": n_wild, "exceptions": n_exc, "large_names": []}

    with open(args.zone, "w", buffering=1 << 20) as z:
        z.write("; enumd benchmark zone: %d numbers, seed %d (tests/bench/gen_zone.py)\n"
                % (args.numbers, args.seed))
        z.write("$ORIGIN %s\n$TTL 3600\n" % ORIGIN)
        z.write("@ IN SOA ns1.example.net. hostmaster.example.net. "
                "( 2024010101 3600 900 1209600 300 )\n")
        z.write("@ IN NS ns1.example.net.\n@ IN NS ns2.example.net.\n")
        records += 3

        # --- wildcard blocks, each in a 10k block of its own ---
        z.write("; wildcard blocks with specific exceptions\n")
        for w in range(n_wild):
            base = new_block() + str(rng.randint(0, 9))  # covers 1,000 numbers
            gw = 1 + w % GATEWAYS
            z.write('*.%s IN NAPTR 100 10 "u" "E2U+sip" "!^\\\\+(.*)$!sip:\\\\1@wc%d.example.net!" .\n'
                    % (owner(base), gw))
            records += 1
            exc_first = rng.sample(range(10), 2)  # exceptions live below these digits
            exc = set()
            while len(exc) < EXCEPTIONS_PER_WILDCARD:
                exc.add(base + str(rng.choice(exc_first)) + "%02d" % rng.randint(0, 99))
            for num in sorted(exc):
                z.write(naptr(50, 100, num, 1 + rng.randrange(GATEWAYS)))
                records += 1
                stats["numbers"] += 1
                queries_exist.append(num)  # exceptions always queried
            free_first = [d for d in range(10) if d not in exc_first]
            for _ in range(max(1, q_wild // n_wild)):
                queries_wild.append(base + str(rng.choice(free_first)) + "%02d" % rng.randint(0, 99))

        # --- regular blocks ---
        z.write("; number blocks\n")
        left = n_regular
        large_left = [10, 10, 10, 24, 24, 24]
        while left > 0:
            prefix = new_block()
            stats["blocks"] += 1
            fill = rng.uniform(0.3, 0.9)
            k = min(left, max(1, int(BLOCK * fill)))
            chosen = sorted(rng.sample(range(BLOCK), k))
            left -= k
            for s in chosen:
                num = prefix + "%04d" % s
                probe = num
                if large_left:
                    n_rr = large_left.pop(0)
                    large_numbers.append(num)
                    stats["large_names"].append({"name": fqdn(num), "naptr": n_rr})
                    for i in range(n_rr):
                        z.write(naptr(10 + 10 * (i // 4), 100 + i, num, 1 + i % GATEWAYS))
                    records += n_rr
                elif rng.random() < 0.2:
                    gw = rng.randrange(GATEWAYS)
                    z.write(naptr(10, 100, num, 1 + gw))
                    z.write(naptr(10, 200, num, 1 + (gw + 1) % GATEWAYS))
                    records += 2
                    stats["names_two_naptr"] += 1
                else:
                    z.write(naptr(10, 100, num, 1 + rng.randrange(GATEWAYS)))
                    records += 1
                if args.queries and rng.random() < p_exist:
                    queries_exist.append(num)
            stats["numbers"] += k
            if args.queries and k < BLOCK:
                # a few unassigned numbers of this block (NXDOMAIN, deep encloser)
                m = sum(1 for _ in range(BLOCK - k) if rng.random() < p_nx_in)
                if m:
                    taken = set(chosen)
                    free = [s for s in range(BLOCK) if s not in taken]
                    for s in rng.sample(free, min(m, len(free))):
                        queries_nx.append(prefix + "%04d" % s)
    stats["records"] = records
    # the last number written: servers that load the file answer it last
    stats["probe"] = {"name": fqdn(probe), "expect": "sip:+%s@" % probe}
    assert stats["numbers"] == args.numbers, stats

    if args.queries:
        # nonexistent numbers in unallocated blocks (shallow closest encloser)
        while len(queries_nx) < q_nx:
            spec = rng.choices(RANGES, weights)[0]
            p = block_prefix(rng, spec)
            if p in used_blocks:
                continue
            queries_nx.append(p + "%04d" % rng.randrange(BLOCK))
        del queries_nx[q_nx:]
        # existing: top up by resampling if the zone is smaller than the mix wants
        while len(queries_exist) < q_exist - 6 * 5 and queries_exist:
            queries_exist.append(rng.choice(queries_exist))
        for num in large_numbers:
            queries_exist.extend([num] * 5)
        del queries_exist[q_exist:]
        while len(queries_wild) < q_wild:
            queries_wild.append(rng.choice(queries_wild))
        del queries_wild[q_wild:]
        lines = ([fqdn(n) + " NAPTR\n" for n in queries_exist]
                 + [fqdn(n) + " NAPTR\n" for n in queries_wild]
                 + [fqdn(n) + " NAPTR\n" for n in queries_nx])
        rng.shuffle(lines)
        with open(args.queries, "w", buffering=1 << 20) as q:
            q.writelines(lines)
        stats["queries"] = {"total": len(lines), "existing": len(queries_exist),
                            "wildcard": len(queries_wild), "nonexistent": len(queries_nx)}
        # a few of each kind, for the servers' cross-check (serve_bench.sh)
        stats["samples"] = {
            "existing": [fqdn(n) for n in queries_exist[:20]] + [fqdn(n) for n in large_numbers],
            "wildcard": [fqdn(n) for n in queries_wild[:20]],
            "nonexistent": [fqdn(n) for n in queries_nx[:10] + queries_nx[-10:]],
        }
    print(json.dumps({k: v for k, v in stats.items() if k not in ("samples",)}),
          file=sys.stderr)
    if args.meta:
        with open(args.meta, "w") as f:
            json.dump(stats, f, indent=1)


if __name__ == "__main__":
    main()
