// TcpAdmission: the server-wide TCP connection caps, shared by every worker.
//
//  - A total (tcp.max_connections): a lock-free counter of slots.
//  - One per source (tcp.max_connections_per_source), where a source is an
//    IPv4 address or an IPv6 /64: one customer's LAN or one host under SLAAC
//    privacy addresses gets a /64, so counting whole IPv6 addresses would let
//    a single host open a fresh address per connection. IPv4-mapped IPv6
//    addresses count as the IPv4 address.
//
// The per-source counts live in a fixed open-addressing table (linear probing,
// backward-shift deletion, so no tombstones build up) sized at construction
// for every connection the total cap allows, with a seeded hash so a client
// cannot pick addresses that collide. Its mutex is held for a few probes per
// accept and per close, never on the query path.
//
// Thread-safe. Constructed on the start-up path (allocates; may throw).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace enumd::net {

// The key a connection is counted under; low == 0 means "unknown" (the peer
// address could not be read), which no per-source cap applies to.
struct TcpSource {
  uint64_t high = 0;
  uint64_t low = 0;

  static TcpSource From(const sockaddr* peer) noexcept;
  bool known() const { return low != 0; }
  bool operator==(const TcpSource&) const = default;
};

class TcpAdmission {
 public:
  // max_per_source 0: no per-source cap (no table is allocated).
  // `workers` bounds how many connections may be between TakeSource and
  // their first ReturnSource beyond the total cap (one accept per worker).
  TcpAdmission(uint32_t max_connections, uint32_t max_per_source, int workers = 1);
  TcpAdmission(const TcpAdmission&) = delete;
  TcpAdmission& operator=(const TcpAdmission&) = delete;

  // A slot of the total cap; false when all are taken.
  bool TakeSlot() noexcept;
  void ReturnSlot() noexcept;
  uint32_t open() const { return open_.load(std::memory_order_relaxed); }
  uint32_t max_connections() const { return max_connections_; }

  // One of `source`'s connections; false when it already has
  // max_per_source. Always true for an unknown source or without a cap.
  bool TakeSource(const TcpSource& source) noexcept;
  // Precondition: a matching TakeSource returned true.
  void ReturnSource(const TcpSource& source) noexcept;
  // Connections counted for `source` (tests).
  uint32_t SourceCount(const TcpSource& source) const noexcept;
  // Sources with at least one connection (tests).
  size_t sources() const noexcept;

 private:
  struct Entry {
    TcpSource key;
    uint32_t count = 0;  // 0: empty slot
  };

  size_t Home(const TcpSource& source) const noexcept;
  // The index holding `source`, or of the empty slot ending its probe run.
  size_t Find(const TcpSource& source) const noexcept;

  const uint32_t max_connections_;
  const uint32_t max_per_source_;
  std::atomic<uint32_t> open_{0};

  mutable std::mutex mutex_;  // guards the table
  std::unique_ptr<Entry[]> table_;
  size_t mask_ = 0;  // table size - 1 (a power of two)
  size_t used_ = 0;
  uint64_t seed_[2] = {0, 0};
};

}  // namespace enumd::net
