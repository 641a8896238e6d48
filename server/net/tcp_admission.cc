// See tcp_admission.h.
#include "net/tcp_admission.h"

#include <netinet/in.h>

#include <cstring>
#include <random>

#include "common/byte_order.h"
#include "common/hash.h"

namespace enumd::net {

namespace {

constexpr uint64_t kIpv4Tag = uint64_t{1} << 32;  // low word of an IPv4 key: tag | address
constexpr uint64_t kIpv6Low = 2;                  // low word of an IPv6 /64 key

TcpSource Ipv4Source(const uint8_t* address) { return TcpSource{0, kIpv4Tag | Load32(address)}; }

}  // namespace

TcpSource TcpSource::From(const sockaddr* peer) noexcept {
  if (peer == nullptr) return {};
  if (peer->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, peer, sizeof(in));
    return Ipv4Source(reinterpret_cast<const uint8_t*>(&in.sin_addr));
  }
  if (peer->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, peer, sizeof(in6));
    const uint8_t* bytes = in6.sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return Ipv4Source(bytes + 12);
    return TcpSource{Load64(bytes), kIpv6Low};
  }
  return {};
}

TcpAdmission::TcpAdmission(uint32_t max_connections, uint32_t max_per_source, int workers)
    : max_connections_(max_connections), max_per_source_(max_per_source) {
  if (max_per_source_ == 0) return;
  // Every counted source has a connection, so at most max_connections (plus
  // one accept in progress per worker) entries; load factor <= 1/2.
  size_t entries = size_t{max_connections} + static_cast<size_t>(workers > 0 ? workers : 1);
  size_t size = 16;
  while (size < 2 * entries) size *= 2;
  table_ = std::make_unique<Entry[]>(size);
  mask_ = size - 1;
  std::random_device random;
  for (uint64_t& word : seed_) word = (uint64_t{random()} << 32) ^ random();
}

bool TcpAdmission::TakeSlot() noexcept {
  if (open_.fetch_add(1, std::memory_order_relaxed) < max_connections_) return true;
  open_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void TcpAdmission::ReturnSlot() noexcept { open_.fetch_sub(1, std::memory_order_relaxed); }

size_t TcpAdmission::Home(const TcpSource& source) const noexcept {
  return MixBits(MixBits(source.high ^ seed_[0]) ^ source.low ^ seed_[1]) & mask_;
}

size_t TcpAdmission::Find(const TcpSource& source) const noexcept {
  size_t i = Home(source);
  while (table_[i].count != 0 && !(table_[i].key == source)) i = (i + 1) & mask_;
  return i;
}

bool TcpAdmission::TakeSource(const TcpSource& source) noexcept {
  if (max_per_source_ == 0 || !source.known()) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  size_t i = Find(source);
  Entry& entry = table_[i];
  if (entry.count == 0) {
    // Keep at least one empty slot so every probe run ends (the sizing makes
    // this unreachable; it guards the invariant, not a real case).
    if (used_ + 1 > mask_) return false;
    entry.key = source;
    ++used_;
  } else if (entry.count >= max_per_source_) {
    return false;
  }
  ++entry.count;
  return true;
}

void TcpAdmission::ReturnSource(const TcpSource& source) noexcept {
  if (max_per_source_ == 0 || !source.known()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  size_t hole = Find(source);
  if (table_[hole].count == 0 || --table_[hole].count > 0) return;
  --used_;
  // Backward-shift deletion: move later members of the probe run into the
  // hole when their home position allows, so lookups never need tombstones.
  for (size_t i = (hole + 1) & mask_; table_[i].count != 0; i = (i + 1) & mask_) {
    size_t home = Home(table_[i].key);
    // Movable if `home` is not cyclically within (hole, i].
    bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
    if (movable) {
      table_[hole] = table_[i];
      hole = i;
    }
  }
  table_[hole] = Entry{};
}

uint32_t TcpAdmission::SourceCount(const TcpSource& source) const noexcept {
  if (max_per_source_ == 0 || !source.known()) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  return table_[Find(source)].count;
}

size_t TcpAdmission::sources() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return used_;
}

}  // namespace enumd::net
