// The one thing the network layer knows about DNS: bytes in, bytes out.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace enumd::net {

enum class Transport { kUdp, kTcp };

// An answer of many messages to one TCP query (a zone transfer), which the
// connection pulls one message at a time as its output drains: what waits
// to be sent stays under the connection's output cap however long the
// stream, and a client that stops reading stops the stream (TCP
// backpressure). Used only from the connection's loop thread.
class ResponseStream {
 public:
  static constexpr size_t kFailed = SIZE_MAX;
  virtual ~ResponseStream() = default;
  // Writes the next message into `out` (capacity `cap`, 65535) and returns
  // its length; 0 when the stream has ended; kFailed when it cannot go on:
  // the connection is then reset (the client must not take what it got as
  // complete).
  virtual size_t Next(uint8_t* out, size_t cap) noexcept = 0;
};

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
  // A batch of `n` queries that Handle will be called for next, in turn:
  // the handler may ask the memory for what they will read, so that their
  // cache misses overlap instead of coming one after another.
  virtual void Prefetch(const uint8_t* const* /*queries*/, const size_t* /*lens*/,
                        size_t /*n*/) noexcept {}
  // Over TCP, right after Handle returned 0: the stream that answers the
  // query instead, if it started one (null: nothing to send).
  virtual std::unique_ptr<ResponseStream> TakeStream() noexcept { return nullptr; }
};

}  // namespace enumd::net
