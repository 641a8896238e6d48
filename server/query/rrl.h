// Rrl: response rate limiting for UDP answers, as BIND 9's `rate-limit` and
// Knot DNS's mod-rrl do it. Answers sent over TCP are never limited, so a
// client whose UDP answer was dropped or slipped can always get it over TCP.
//
// What is counted (BIND's "identical responses"): every UDP response about to
// be sent is put in an account keyed by
//   (client prefix: IPv4 /ipv4_prefix_length or IPv6 /ipv6_prefix_length,
//    response class, and a name:)
//   - answer (NOERROR, answer records): the qname, qtype and qclass;
//   - nodata (NOERROR, no answer, not a referral): the qname, any type;
//   - referral (NOERROR, no answer, NS in authority, AA clear): the cut;
//   - nxdomain: the zone (the SOA owner in the authority section), so a flood
//     of random names under one zone shares one account;
//   - error (FORMERR, SERVFAIL, NOTIMP, REFUSED, ...): no name, one account
//     per prefix.
// The class and name are read back from the response bytes, so the Responder
// needs no changes and the key is exactly what the client would see. The
// name's case is folded (RFC 4343). Not like BIND: an answer synthesised from
// a wildcard is keyed by its qname, not by the wildcard (the bytes do not
// say), so random numbers under a wildcard get an account each; BIND's
// referrals-, nodata- and all-per-second and qps-scale are not offered.
//
// Credits (BIND's definition, in whole seconds): a new account starts with
// `rate` credits; each second adds `rate`, never above `rate`; each response
// takes one. A response that leaves the account negative is limited; the
// balance never goes below -window*rate, so a prefix that flooded must stay
// quiet for up to `window` seconds before it is answered again. An account
// unused for more than `window` seconds starts afresh.
//
// A limited response is dropped, or "slipped": every `slip`-th limited
// response of an account (the first one included) is sent as a truncated
// reply (header, question, OPT; TC=1; no records) so a real client behind a
// spoofed prefix retries over TCP. slip 0 drops all, slip 1 slips all. In
// log-only mode nothing is limited but the counters say what would have been.
// Exempt prefixes are never counted.
//
// The table: `table_size` entries in sets of kWays (128 bytes, two cache
// lines), each set behind its own spinlock, shared by every worker thread so
// the limit holds for the whole server (SO_REUSEPORT spreads one prefix's
// clients over all workers). A key (a keyed 64-bit hash of the fields above)
// lives in one set; a new key takes a stale entry of its set, else the least
// recently used one (an eviction; counted). Everything is allocated in the
// constructor: Check/Apply never allocate, never throw. Cost, measured by
// hand: about 50 ns of CPU per check with hot accounts, 90-100 ns when every
// check misses the cache (65,536 live accounts).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dns/constants.h"

namespace enumd::query {

// An address prefix (CIDR): addr in network byte order, IPv4 in addr[0..3].
struct RrlPrefix {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint8_t length = 0;  // 0..32 (IPv4) or 0..128 (IPv6)
};

struct RrlOptions {
  uint32_t responses_per_second = 10;  // answers, nodata, referrals; 1..kMaxRate
  uint32_t nxdomains_per_second = 0;   // 0 = responses_per_second
  uint32_t errors_per_second = 0;      // 0 = responses_per_second
  uint32_t window = 15;                // seconds, 1..kMaxWindow
  uint32_t slip = 2;                   // 0..kMaxSlip
  uint32_t ipv4_prefix_length = 24;    // 0..32
  uint32_t ipv6_prefix_length = 56;    // 0..128
  std::vector<RrlPrefix> exempt;
  size_t table_size = 65536;  // entries; rounded up to whole sets, at least one set
  bool log_only = false;
  uint64_t seed = 0;           // keys the hash; 0 = a random one
  unsigned counter_slots = 1;  // one per thread that calls Check (its worker index)
};

// Out-of-range options are clamped to these (config validates them first).
inline constexpr uint32_t kRrlMaxRate = 1000;    // BIND's maximum
inline constexpr uint32_t kRrlMaxWindow = 3600;  // BIND's maximum
inline constexpr uint32_t kRrlMaxSlip = 10;      // BIND's maximum

enum class RrlAction { kSend, kDrop, kSlip };
enum class RrlClass : uint8_t { kAnswer, kNoData, kReferral, kNxDomain, kError };

// What ClassifyResponse() reads from a response.
struct RrlResponseInfo {
  RrlClass cls = RrlClass::kError;
  uint16_t qtype = 0;   // answer class only; else 0
  uint16_t qclass = 0;  // answer class only; else 0
  // The accounting name: uncompressed wire form, case as in the message (the
  // key folds it). Points into the response (the qname or a suffix of it) or
  // into `buf` (a name that had to be decompressed). Null = no name.
  const uint8_t* name = nullptr;
  size_t name_len = 0;
  uint8_t buf[dns::kMaxNameWire];
};

// Reads the class and the accounting name from a response built by the
// Responder (any well-formed DNS message works). Malformed bytes classify as
// kError without a name: a response we cannot read is counted, not waved
// through. `out->name` may point into `resp`: keep both alive together.
void ClassifyResponse(const uint8_t* resp, size_t len, RrlResponseInfo* out) noexcept;

// How the server itself describes a response it built (Responder::
// last_response): the class and accounting name come from the answer as it
// was decided, not from reading the bytes back. `wildcard` marks an answer
// synthesised from a wildcard, whose name is then the wildcard's parent.
struct RrlResponse {
  RrlResponseInfo info;
  bool wildcard = false;
};

// Rewrites the response in place into its slip form: the header with TC=1 and
// AN=NS=0, the question, and the OPT record if there was one (ARCOUNT 0 or 1).
// Returns the new length (<= len); a response whose question cannot be read
// keeps only its header. len < 12 returns len unchanged.
size_t MakeSlip(uint8_t* resp, size_t len) noexcept;

// Whole seconds on a clock that never goes back. Injected so tests are
// deterministic.
class RrlClock {
 public:
  virtual ~RrlClock() = default;
  virtual uint32_t NowSeconds() const noexcept = 0;
};
// CLOCK_MONOTONIC_COARSE (a vDSO read; the RRL needs whole seconds only).
const RrlClock& MonotonicRrlClock() noexcept;

struct RrlCounters {
  uint64_t dropped = 0;  // in log-only mode: would have been dropped
  uint64_t slipped = 0;  // in log-only mode: would have been slipped
  uint64_t evicted = 0;  // live accounts replaced because their set was full
};

class Rrl {
 public:
  // `clock` must outlive the Rrl. Allocates the whole table (about 18 bytes
  // per entry). Options out of range are clamped (see the constants above).
  explicit Rrl(RrlOptions options, const RrlClock* clock = &MonotonicRrlClock());
  ~Rrl();
  Rrl(const Rrl&) = delete;
  Rrl& operator=(const Rrl&) = delete;

  // Accounts the UDP response [resp, resp+len) about to go to `peer` and says
  // what to do with it. `slot` is the caller's counter slot (its worker index;
  // taken modulo counter_slots); each slot should be used by one thread at a
  // time. Thread-safe. A null peer or an address family other than IPv4/IPv6
  // is never limited.
  // `wildcard_skip` (Responder::last_wildcard_skip): for an answer synthesised
  // from a wildcard, the bytes of the query name before the wildcard's
  // parent; the account is then the wildcard's, not the query name's (BIND).
  RrlAction Check(const uint8_t* resp, size_t len, const sockaddr* peer, unsigned slot,
                  size_t wildcard_skip = 0) noexcept;
  // The same for a response the caller describes (the server's own answers).
  RrlAction Check(const RrlResponse& response, const sockaddr* peer, unsigned slot) noexcept;

  // Check, then act: returns len (send as is), MakeSlip's length, or 0 (drop).
  size_t Apply(uint8_t* resp, size_t len, const sockaddr* peer, unsigned slot,
               size_t wildcard_skip = 0) noexcept;
  size_t Apply(uint8_t* resp, size_t len, const RrlResponse& response, const sockaddr* peer,
               unsigned slot) noexcept;

  // Sums of every slot. Any thread; the figures are a consistent-enough snapshot.
  RrlCounters Totals() const noexcept;

  const RrlOptions& options() const { return options_; }
  size_t capacity() const { return sets_count_ * kWays; }  // entries

  static constexpr size_t kWays = 7;  // entries per set: 8-byte lock word + 7 x 16 = 128 bytes

 private:
  struct Entry;
  struct Set;
  struct Slot;

  // An address as a 128-bit number (IPv4: the low 32 bits) and a mask.
  struct Net {
    bool v6 = false;
    uint64_t hi = 0, lo = 0;
    uint64_t mask_hi = 0, mask_lo = 0;
  };
  uint64_t Mix(uint64_t h, uint64_t w) const noexcept;

  RrlOptions options_;
  const RrlClock* clock_;
  uint32_t rates_[5];  // per RrlClass
  uint64_t k0_, k1_;   // hash keys
  Net v4_mask_, v6_mask_;
  std::vector<Net> exempt_;
  size_t sets_count_ = 0;
  std::unique_ptr<Set[]> sets_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace enumd::query
