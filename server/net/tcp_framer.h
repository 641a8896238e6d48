// TcpFramer: the byte-stream half of DNS over TCP, without sockets. It cuts a
// stream that arrives in arbitrary pieces into messages, each preceded by a
// 2-byte length (RFC 1035 §4.2.2); pieces may split a frame anywhere, the
// length prefix included, and one piece may hold many frames (pipelining,
// RFC 7766 §6.2.1.1).
//
// Zero copy where it can be: while nothing is buffered, a read lands in the
// caller's shared (per-loop) buffer and complete frames are delivered straight
// from there; only the rest (an unfinished frame, or frames the sink is not
// ready for) is copied into the framer's own buffer, and the next read goes on
// in place after it.
//
// Invariants:
//  - messages are delivered whole, in stream order, each exactly once, and
//    only while the sink says Ready(); nothing beyond a frame's end is part of
//    its message;
//  - a zero-length frame (not a DNS message) ends the stream: it and every
//    byte after it are dropped and nothing more is delivered (ended());
//  - the buffer never holds more than one shared buffer plus one frame
//    (2 + 65535 bytes), and after Received/Resume with a Ready sink it holds
//    no complete frame.
//
// Not thread-safe; used from one loop thread (or a fuzzer).
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/byte_buffer.h"

namespace enumd::net {

class TcpFramer {
 public:
  static constexpr size_t kMaxFrame = 2 + 65535;

  // Where messages go. Ready() is asked before each message; false holds it
  // (and all after it) in the buffer until Resume.
  class Sink {
   public:
    virtual bool Ready() noexcept = 0;
    virtual void OnMessage(const uint8_t* message, size_t length) noexcept = 0;

   protected:
    ~Sink() = default;
  };

  TcpFramer() = default;
  TcpFramer(const TcpFramer&) = delete;
  TcpFramer& operator=(const TcpFramer&) = delete;

  // Where the next read should land: [shared, shared + shared_size) when
  // nothing is buffered, otherwise free space right after the buffered
  // unfinished frame (grown as the frame needs). Returns false when memory
  // runs out or the buffer holds a complete frame (the caller should not be
  // reading then).
  [[nodiscard]] bool ReadSpace(uint8_t* shared, size_t shared_size, uint8_t** space,
                               size_t* space_size) noexcept;
  // `n` bytes arrived at `data`, the space ReadSpace gave. Delivers the
  // complete frames the sink is ready for and keeps the rest. Returns false
  // when memory runs out (the rest is then dropped).
  [[nodiscard]] bool Received(const uint8_t* data, size_t n, Sink& sink) noexcept;
  // Delivers buffered complete frames the sink is now ready for.
  void Resume(Sink& sink) noexcept;
  // Ends the stream now: drops what is buffered; ended() becomes true.
  void End() noexcept;
  // Back to a new stream; keeps a buffer of up to `keep_capacity` bytes.
  void Reset(size_t keep_capacity) noexcept;

  bool ended() const { return ended_; }
  // Bytes received but not delivered (an unfinished frame, or held frames).
  size_t buffered() const { return input_.size(); }
  bool HasCompleteFrame() const noexcept;
  // Messages delivered since the last Reset.
  uint64_t delivered() const { return delivered_; }

 private:
  // Delivers frames from [data, data+length) while the sink is ready; returns
  // the bytes consumed (all of them once the stream has ended).
  size_t Deliver(const uint8_t* data, size_t length, Sink& sink) noexcept;

  ByteBuffer input_;
  uint64_t delivered_ = 0;
  bool ended_ = false;
};

}  // namespace enumd::net
