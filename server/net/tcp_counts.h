// TcpCounts: what the TCP side of the server has done, summed over its
// workers when asked (Server::TcpTotals, for /metrics). Each worker's pool
// counts into common/counter.h Counters of its own.
#pragma once

#include <cstdint>

namespace enumd::net {

// What the TCP side has done since the server started, over all workers
// (Server::TcpTotals).
struct TcpCounts {
  uint64_t open = 0;       // connections holding a slot now
  uint64_t accepted = 0;   // connections taken on
  uint64_t refused = 0;    // accepted and closed at once: source cap, or no idle one to evict
  uint64_t evicted = 0;    // idle connections closed to make room at the total cap
  uint64_t timed_out = 0;  // closed by tcp.idle_timeout_ms or tcp.query_timeout_ms
};

}  // namespace enumd::net
