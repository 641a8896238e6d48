#include "query/rrl.h"

#include <netinet/in.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "common/byte_order.h"
#include "dns/name.h"

namespace enumd::query {

namespace {

constexpr size_t kRrHeader = 10;  // type, class, ttl, rdlength after the owner

// Skips a possibly compressed name without decompressing it (a pointer ends
// it). Returns the offset after it, or 0 when it runs off the end or is not a
// name. Enough to walk a message; names we need to read go through
// QnameLength or dns::ReadName, which check them.
size_t SkipName(const uint8_t* m, size_t len, size_t off) noexcept {
  for (int labels = 0; labels < 128 && off < len; ++labels) {
    const uint8_t b = m[off];
    if (b == 0) return off + 1;
    if ((b & 0xC0) == 0xC0) return off + 2 <= len ? off + 2 : 0;
    if ((b & 0xC0) != 0) return 0;
    off += 1 + b;
  }
  return 0;
}

// One resource record at `off`: its start, type, TTL field, and end.
struct Rr {
  size_t start = 0;
  size_t end = 0;
  uint16_t type = 0;
  uint32_t ttl = 0;
};

bool NextRr(const uint8_t* m, size_t len, size_t* off, Rr* rr) noexcept {
  rr->start = *off;
  const size_t after_owner = SkipName(m, len, *off);
  if (after_owner == 0 || after_owner + kRrHeader > len) return false;
  rr->type = Load16(m + after_owner);
  rr->ttl = Load32(m + after_owner + 4);
  const size_t end = after_owner + kRrHeader + Load16(m + after_owner + 8);
  if (end > len) return false;
  rr->end = end;
  *off = end;
  return true;
}

// The question name's wire length (it follows the header, never compressed:
// nothing precedes it to point at), or 0 if it is not a valid uncompressed
// name inside the message.
size_t QnameLength(const uint8_t* m, size_t len) noexcept {
  return len > dns::kHeaderSize ? dns::WireNameLength(m + dns::kHeaderSize, len - dns::kHeaderSize)
                                : 0;
}

// Points out->name at the owner name of the record at `off`. The usual owner
// is a pointer to a suffix of the qname (the zone apex, the cut): that is
// used in place; anything else is decompressed into out->buf. Returns false
// if the name cannot be read.
bool OwnerName(const uint8_t* m, size_t len, size_t off, size_t qname_len,
               RrlResponseInfo* out) noexcept {
  const uint8_t* qname = m + dns::kHeaderSize;
  if (off + 2 <= len && (m[off] & 0xC0) == 0xC0) {
    const size_t target = (size_t{m[off] & 0x3Fu} << 8 | m[off + 1]) - dns::kHeaderSize;
    for (size_t at = 0; at < qname_len && target >= at; at += 1 + qname[at]) {
      if (at != target) continue;
      out->name = qname + at;
      out->name_len = qname_len - at;
      return true;
    }
  }
  size_t o = off;
  size_t n = 0;
  if (!dns::ReadName(m, len, &o, out->buf, &n)) return false;
  out->name = out->buf;
  out->name_len = n;
  return true;
}

inline uint64_t Mum(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// ASCII lower case of 8 bytes at once (RFC 4343: only A-Z fold). Label
// length bytes (0..63) are never letters, so a whole wire name folds.
inline uint64_t FoldWord(uint64_t w) noexcept {
  constexpr uint64_t k = 0x0101010101010101ull;
  const uint64_t low7 = w & (0x7F * k);
  const uint64_t ge_a = low7 + (0x80 - 'A') * k;  // top bit: byte >= 'A'
  const uint64_t gt_z = low7 + (0x7F - 'Z') * k;  // top bit: byte > 'Z'
  const uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * k);
  return w | (upper >> 2);
}

uint64_t MaskBits(int bits) noexcept {  // the top `bits` (0..64) of a word
  return bits <= 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - bits);
}

inline void CpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class MonotonicClock : public RrlClock {
 public:
  uint32_t NowSeconds() const noexcept override {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<uint32_t>(ts.tv_sec);
  }
};

}  // namespace

void ClassifyResponse(const uint8_t* m, size_t len, RrlResponseInfo* out) noexcept {
  out->cls = RrlClass::kError;
  out->qtype = 0;
  out->qclass = 0;
  out->name = nullptr;
  out->name_len = 0;
  if (len < dns::kHeaderSize) return;
  const uint16_t flags = Load16(m + 2);
  const uint16_t qd = Load16(m + 4);
  const uint16_t an = Load16(m + 6);
  const uint16_t ns = Load16(m + 8);
  const uint16_t ar = Load16(m + 10);
  const uint16_t rcode = flags & 0xF;
  if ((rcode != dns::rcode::kNoError && rcode != dns::rcode::kNXDomain) || qd != 1) return;
  const size_t qname_len = QnameLength(m, len);
  const size_t qname_end = dns::kHeaderSize + qname_len;
  if (qname_len == 0 || qname_end + 4 > len) return;
  size_t off = qname_end + 4;

  if (rcode == dns::rcode::kNoError && an > 0) {
    // The common case: nothing past the question is read.
    out->cls = RrlClass::kAnswer;
    out->name = m + dns::kHeaderSize;
    out->name_len = qname_len;
    out->qtype = Load16(m + qname_end);
    out->qclass = Load16(m + qname_end + 2);
    return;
  }

  Rr rr;
  for (uint16_t i = 0; i < an; ++i) {  // a CNAME chain ending in NXDOMAIN
    if (!NextRr(m, len, &off, &rr)) return;
  }
  size_t soa_owner = 0;
  size_t ns_owner = 0;
  for (uint16_t i = 0; i < ns; ++i) {
    if (!NextRr(m, len, &off, &rr)) return;
    if (rr.type == dns::type::kSOA && soa_owner == 0) soa_owner = rr.start;
    if (rr.type == dns::type::kNS && ns_owner == 0) ns_owner = rr.start;
  }
  for (uint16_t i = 0; i < ar; ++i) {
    if (!NextRr(m, len, &off, &rr)) return;
    // RFC 6891 §6.1.3: the upper 8 bits of the rcode are the OPT TTL's first
    // byte; anything there (BADVERS) makes the response an error.
    if (rr.type == dns::type::kOPT && (rr.ttl >> 24) != 0) return;
  }

  if (rcode == dns::rcode::kNXDomain) {
    out->cls = RrlClass::kNxDomain;
    // Keyed by the zone; without a readable SOA (cannot happen for our
    // answers) the prefix's NXDOMAINs share one nameless account rather than
    // one per random name.
    if (soa_owner != 0 && !OwnerName(m, len, soa_owner, qname_len, out)) {
      out->name = nullptr;
      out->name_len = 0;
    }
    return;
  }
  if (ns_owner != 0 && (flags & dns::flag::kAA) == 0) {
    // An unreadable cut leaves the response an error.
    if (OwnerName(m, len, ns_owner, qname_len, out)) {
      out->cls = RrlClass::kReferral;
    } else {
      out->name = nullptr;
      out->name_len = 0;
    }
    return;
  }
  out->cls = RrlClass::kNoData;
  out->name = m + dns::kHeaderSize;
  out->name_len = qname_len;
}

size_t MakeSlip(uint8_t* m, size_t len) noexcept {
  if (len < dns::kHeaderSize) return len;
  const uint16_t qd = Load16(m + 4);
  const uint16_t an = Load16(m + 6);
  const uint16_t ns = Load16(m + 8);
  const uint16_t ar = Load16(m + 10);
  Store16(m + 2, static_cast<uint16_t>(Load16(m + 2) | dns::flag::kTC));
  Store16(m + 6, 0);
  Store16(m + 8, 0);
  size_t end = 0;
  if (qd == 1) {
    const size_t qname_end = SkipName(m, len, dns::kHeaderSize);
    if (qname_end != 0 && qname_end + 4 <= len) end = qname_end + 4;
  }
  if (end == 0) {
    Store16(m + 4, 0);
    Store16(m + 10, 0);
    return dns::kHeaderSize;
  }
  // Keep the OPT (RFC 6891 §7: it is not part of the records TC drops), as
  // BIND does; its owner is the root, so moving it breaks no pointer.
  size_t off = end;
  size_t opt_start = 0;
  size_t opt_end = 0;
  Rr rr;
  const uint32_t total = uint32_t{an} + ns + ar;
  for (uint32_t i = 0; i < total; ++i) {
    if (!NextRr(m, len, &off, &rr)) break;
    if (i >= uint32_t{an} + ns && rr.type == dns::type::kOPT && m[rr.start] == 0) {
      opt_start = rr.start;
      opt_end = rr.end;
    }
  }
  Store16(m + 10, 0);
  if (opt_end != 0) {
    std::memmove(m + end, m + opt_start, opt_end - opt_start);
    end += opt_end - opt_start;
    Store16(m + 10, 1);
  }
  return end;
}

const RrlClock& MonotonicRrlClock() noexcept {
  static const MonotonicClock clock;
  return clock;
}

// 16 bytes: the account of one key. `balance` needs 23 bits: -kRrlMaxWindow *
// kRrlMaxRate .. kRrlMaxRate.
struct Rrl::Entry {
  uint64_t key;  // 0 = free
  uint32_t time;
  int32_t balance : 24;
  uint32_t slip : 8;
};
static_assert(int64_t{kRrlMaxWindow} * kRrlMaxRate < (int64_t{1} << 23),
              "the balance does not fit 24 bits");

struct alignas(64) Rrl::Set {
  static_assert(sizeof(Entry) == 16);
  std::atomic<uint32_t> lock{0};
  Entry entries[kWays] = {};

  void Lock() noexcept {
    while (lock.exchange(1, std::memory_order_acquire) != 0) {
      while (lock.load(std::memory_order_relaxed) != 0) CpuRelax();
    }
  }
  void Unlock() noexcept { lock.store(0, std::memory_order_release); }
};

// Per-thread counters: one writer each, so a relaxed load+store suffices (no
// locked read-modify-write on the hot path); readers sum them.
struct alignas(64) Rrl::Slot {
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> slipped{0};
  std::atomic<uint64_t> evicted{0};
};

namespace {

inline void Bump(std::atomic<uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

Rrl::Rrl(RrlOptions options, const RrlClock* clock) : options_(std::move(options)), clock_(clock) {
  RrlOptions& o = options_;
  o.responses_per_second = std::clamp<uint32_t>(o.responses_per_second, 1, kRrlMaxRate);
  if (o.nxdomains_per_second == 0) o.nxdomains_per_second = o.responses_per_second;
  if (o.errors_per_second == 0) o.errors_per_second = o.responses_per_second;
  o.nxdomains_per_second = std::min(o.nxdomains_per_second, kRrlMaxRate);
  o.errors_per_second = std::min(o.errors_per_second, kRrlMaxRate);
  o.window = std::clamp<uint32_t>(o.window, 1, kRrlMaxWindow);
  o.slip = std::min(o.slip, kRrlMaxSlip);
  o.ipv4_prefix_length = std::min<uint32_t>(o.ipv4_prefix_length, 32);
  o.ipv6_prefix_length = std::min<uint32_t>(o.ipv6_prefix_length, 128);
  if (o.counter_slots == 0) o.counter_slots = 1;
  rates_[static_cast<int>(RrlClass::kAnswer)] = o.responses_per_second;
  rates_[static_cast<int>(RrlClass::kNoData)] = o.responses_per_second;
  rates_[static_cast<int>(RrlClass::kReferral)] = o.responses_per_second;
  rates_[static_cast<int>(RrlClass::kNxDomain)] = o.nxdomains_per_second;
  rates_[static_cast<int>(RrlClass::kError)] = o.errors_per_second;

  v4_mask_.mask_lo = MaskBits(static_cast<int>(o.ipv4_prefix_length)) >> 32;
  v6_mask_.v6 = true;
  v6_mask_.mask_hi = MaskBits(static_cast<int>(o.ipv6_prefix_length));
  v6_mask_.mask_lo = MaskBits(static_cast<int>(o.ipv6_prefix_length) - 64);
  for (const RrlPrefix& p : o.exempt) {
    Net n;
    n.v6 = p.v6;
    const int length = std::min<int>(p.length, p.v6 ? 128 : 32);
    if (p.v6) {
      n.mask_hi = MaskBits(length);
      n.mask_lo = MaskBits(length - 64);
      n.hi = Load64(p.addr) & n.mask_hi;
      n.lo = Load64(p.addr + 8) & n.mask_lo;
    } else {
      n.mask_lo = MaskBits(length) >> 32;
      n.lo = Load32(p.addr) & n.mask_lo;
    }
    exempt_.push_back(n);
  }

  uint64_t seed = o.seed;
  if (seed == 0) {
    std::random_device rd;
    seed = (uint64_t{rd()} << 32) ^ rd() ^ 0x9E3779B97F4A7C15ull;
  }
  k0_ = Mum(seed ^ 0xA0761D6478BD642Full, 0xE7037ED1A0B428DBull) | 1;
  k1_ = Mum(seed ^ 0x8EBC6AF09C88C6E3ull, 0x589965CC75374CC3ull) | 1;

  sets_count_ = std::max<size_t>(1, (o.table_size + kWays - 1) / kWays);
  sets_ = std::make_unique<Set[]>(sets_count_);
  slots_ = std::make_unique<Slot[]>(o.counter_slots);
}

Rrl::~Rrl() = default;

// A keyed multiply-mix step (the wyhash construction); the keys are secret so
// clients cannot aim many names at one set.
uint64_t Rrl::Mix(uint64_t h, uint64_t w) const noexcept { return Mum(w ^ k1_, h ^ k0_); }

RrlAction Rrl::Check(const uint8_t* resp, size_t len, const sockaddr* peer, unsigned slot,
                     size_t wildcard_skip) noexcept {
  RrlResponse r;
  ClassifyResponse(resp, len, &r.info);
  RrlResponseInfo& info = r.info;
  // A wildcard answer: account it by the wildcard (its parent).
  if (wildcard_skip != 0 && (info.cls == RrlClass::kAnswer || info.cls == RrlClass::kNoData) &&
      info.name == resp + dns::kHeaderSize && wildcard_skip < info.name_len) {
    info.name += wildcard_skip;
    info.name_len -= wildcard_skip;
    r.wildcard = true;
  }
  return Check(r, peer, slot);
}

RrlAction Rrl::Check(const RrlResponse& response, const sockaddr* peer, unsigned slot) noexcept {
  // The client as a 128-bit number; IPv4-mapped IPv6 (a dual-stack socket) is IPv4.
  if (peer == nullptr) return RrlAction::kSend;
  Net client;
  if (peer->sa_family == AF_INET) {
    client.lo = Load32(
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr));
  } else if (peer->sa_family == AF_INET6) {
    const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr.s6_addr;
    client.hi = Load64(a);
    client.lo = Load64(a + 8);
    client.v6 = !(client.hi == 0 && (client.lo >> 32) == 0xFFFF);
    if (!client.v6) client.lo &= 0xFFFFFFFF;
  } else {
    return RrlAction::kSend;
  }
  for (const Net& e : exempt_) {
    if (e.v6 == client.v6 && (client.hi & e.mask_hi) == e.hi && (client.lo & e.mask_lo) == e.lo)
      return RrlAction::kSend;
  }
  const RrlResponseInfo& info = response.info;
  // A wildcard's account is marked in the class byte, so the parent's own
  // answers stay apart.
  const uint8_t wildcard = response.wildcard ? 0x80 : 0;

  // The key: class, family, type and class (answers only), masked address,
  // and the name folded to lower case, hashed without being copied. (The
  // chain starts from k1_: Mix(k0_, w) would be 0 whatever w.)
  const Net& mask = client.v6 ? v6_mask_ : v4_mask_;
  uint64_t h = Mix(k1_, uint64_t{static_cast<uint8_t>(static_cast<uint8_t>(info.cls) | wildcard)} |
                            uint64_t{client.v6} << 8 | uint64_t{info.qtype} << 16 |
                            uint64_t{info.qclass} << 32 | uint64_t{info.name_len} << 48);
  h = Mix(h, client.hi & mask.mask_hi);
  h = Mix(h, client.lo & mask.mask_lo);
  size_t i = 0;
  for (; i + 8 <= info.name_len; i += 8) {
    uint64_t w;
    std::memcpy(&w, info.name + i, 8);
    h = Mix(h, FoldWord(w));
  }
  if (i < info.name_len) {
    uint64_t w = 0;
    std::memcpy(&w, info.name + i, info.name_len - i);
    h = Mix(h, FoldWord(w));
  }
  h = Mum(h, k1_);
  if (h == 0) h = 1;

  const int32_t rate = static_cast<int32_t>(rates_[static_cast<int>(info.cls)]);
  const int32_t window = static_cast<int32_t>(options_.window);
  const uint32_t now = clock_->NowSeconds();
  Slot& counters = slots_[slot % options_.counter_slots];
  Set& set = sets_[static_cast<size_t>((static_cast<unsigned __int128>(h) * sets_count_) >> 64)];

  set.Lock();
  Entry* e = nullptr;
  Entry* victim = &set.entries[0];
  int64_t victim_age = -1;
  for (Entry& c : set.entries) {
    if (c.key == h) {
      e = &c;
      break;
    }
    const int64_t age = c.key == 0 ? INT64_MAX : static_cast<int32_t>(now - c.time);
    if (age > victim_age) {
      victim = &c;
      victim_age = age;
    }
  }
  if (e == nullptr) {
    // A fresh account. Replacing one that is still inside its window forgets
    // its debt: the table is too small for the traffic, so say so.
    if (victim->key != 0 && victim_age <= window) Bump(counters.evicted);
    e = victim;
    e->key = h;
    e->time = now;
    e->balance = rate;
    e->slip = 0;
  } else {
    const int32_t age = static_cast<int32_t>(now - e->time);
    if (age > 0) {
      if (age > window) {
        e->balance = rate;
        e->slip = 0;
      } else {
        int32_t b = e->balance + rate * age;
        if (b >= rate) {
          b = rate;
          e->slip = 0;
        }
        e->balance = b;
      }
      e->time = now;
    }
  }
  const int32_t balance = e->balance - 1;
  if (balance >= 0) {
    e->balance = balance;
    set.Unlock();
    return RrlAction::kSend;
  }
  e->balance = std::max(balance, -window * rate);
  // BIND's slip: the first limited response slips, then every slip-th.
  bool slip = false;
  if (options_.slip != 0) {
    const uint32_t count = e->slip;
    e->slip = count + 1 >= options_.slip ? 0 : count + 1;
    slip = count == 0;
  }
  set.Unlock();

  Bump(slip ? counters.slipped : counters.dropped);
  if (options_.log_only) return RrlAction::kSend;
  return slip ? RrlAction::kSlip : RrlAction::kDrop;
}

namespace {

// What Apply sends: the response, its slip form, or nothing.
size_t Act(RrlAction action, uint8_t* resp, size_t len) noexcept {
  switch (action) {
    case RrlAction::kSend:
      return len;
    case RrlAction::kSlip:
      return MakeSlip(resp, len);
    case RrlAction::kDrop:
      break;
  }
  return 0;
}

}  // namespace

size_t Rrl::Apply(uint8_t* resp, size_t len, const sockaddr* peer, unsigned slot,
                  size_t wildcard_skip) noexcept {
  return Act(Check(resp, len, peer, slot, wildcard_skip), resp, len);
}

size_t Rrl::Apply(uint8_t* resp, size_t len, const RrlResponse& response, const sockaddr* peer,
                  unsigned slot) noexcept {
  return Act(Check(response, peer, slot), resp, len);
}

RrlCounters Rrl::Totals() const noexcept {
  RrlCounters t;
  for (unsigned i = 0; i < options_.counter_slots; ++i) {
    t.dropped += slots_[i].dropped.load(std::memory_order_relaxed);
    t.slipped += slots_[i].slipped.load(std::memory_order_relaxed);
    t.evicted += slots_[i].evicted.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace enumd::query
