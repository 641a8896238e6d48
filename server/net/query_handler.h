// The one thing the network layer knows about DNS: bytes in, bytes out.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace enumd::net {

enum class Transport { kUdp, kTcp };

// One instance per worker thread, used only from that worker's loop, so an
// implementation may keep per-worker scratch buffers without locking.
class QueryHandler {
 public:
  virtual ~QueryHandler() = default;
  // Answers the query in [query, query+len) into `out` (capacity `out_cap`:
  // 65535 for TCP, 65535 for UDP too — the handler applies the UDP size
  // rules itself). Returns the response length, or 0 to send nothing.
  virtual size_t Handle(const uint8_t* query, size_t len, uint8_t* out, size_t out_cap,
                        Transport transport, const sockaddr* peer) noexcept = 0;
  // Called on the handler's thread about once every kIdleIntervalMs while it
  // has nothing to answer (and at least that often on a TCP loop): a chance
  // to let go of what an idle thread should not hold (old store versions).
  virtual void Idle() noexcept {}

  static constexpr int kIdleIntervalMs = 1000;
};

}  // namespace enumd::net
