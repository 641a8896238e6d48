// Fuzz target: DNS-over-TCP framing (net::TcpFramer, what TcpConnection reads
// with), fed arbitrary bytes in arbitrary pieces the way libuv delivers them.
//
// Input: [shared-buffer size] [readiness bits] [n] [n chunk sizes] [stream...]
//   - shared-buffer size: 0x80 set -> 64 KiB, else 1..128 bytes;
//   - readiness bits: whether the sink takes the next message (cycled; a
//     held frame is then resumed as a drained output queue would);
//   - chunk sizes cycle (0 stands for 4096) and cut the stream into reads.
// Invariants checked against a straight parse of the whole stream: messages
// only for complete frames, whole, in order, none after a zero-length frame,
// all of them once the stream is in; the held input stays bounded; what is
// left buffered is exactly the unfinished tail.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "net/tcp_framer.h"

namespace {

using enumd::net::TcpFramer;

#define FUZZ_CHECK(condition)       \
  do {                              \
    if (!(condition)) std::abort(); \
  } while (0)

struct Frame {
  size_t offset;
  size_t length;
};

class CheckingSink : public TcpFramer::Sink {
 public:
  CheckingSink(const uint8_t* stream, const std::vector<Frame>* expected, uint8_t ready_bits)
      : stream_(stream), expected_(expected), ready_bits_(ready_bits) {}

  bool Ready() noexcept override {
    if (force_ready) return true;
    return (ready_bits_ >> (asked_++ % 8)) & 1;
  }

  void OnMessage(const uint8_t* message, size_t length) noexcept override {
    FUZZ_CHECK(delivered < expected_->size());
    const Frame& frame = (*expected_)[delivered];
    FUZZ_CHECK(length == frame.length);
    FUZZ_CHECK(length > 0);
    FUZZ_CHECK(std::memcmp(message, stream_ + frame.offset, length) == 0);
    ++delivered;
  }

  size_t delivered = 0;
  bool force_ready = false;

 private:
  const uint8_t* stream_;
  const std::vector<Frame>* expected_;
  uint8_t ready_bits_;
  unsigned asked_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t shared_size = (data[0] & 0x80) ? 65536 : (data[0] & 0x7f) + 1;
  uint8_t ready_bits = data[1];
  size_t chunk_count = (data[2] % 16) + 1;
  if (size < 3 + chunk_count) return 0;
  const uint8_t* chunks = data + 3;
  const uint8_t* stream = data + 3 + chunk_count;
  size_t stream_size = size - 3 - chunk_count;

  // The reference: every complete frame up to a zero-length one.
  std::vector<Frame> expected;
  bool ends = false;
  size_t tail = 0;  // start of the unfinished rest
  for (size_t at = 0;;) {
    if (stream_size - at < 2) {
      tail = at;
      break;
    }
    size_t length = (static_cast<size_t>(stream[at]) << 8) | stream[at + 1];
    if (length == 0) {
      ends = true;
      break;
    }
    if (stream_size - at - 2 < length) {
      tail = at;
      break;
    }
    expected.push_back({at + 2, length});
    at += 2 + length;
  }

  // Exactly sized, so ASan catches a write past the shared buffer.
  std::unique_ptr<uint8_t[]> shared(new uint8_t[shared_size]);
  TcpFramer framer;
  CheckingSink sink(stream, &expected, ready_bits);
  size_t at = 0;
  for (size_t read = 0; at < stream_size; ++read) {
    // A connection reads only while no complete frame is held: resume the
    // way a drained output queue does, until the framer holds none.
    for (int attempt = 0; framer.HasCompleteFrame(); ++attempt) {
      sink.force_ready = attempt >= 2;
      framer.Resume(sink);
      sink.force_ready = false;
    }
    uint8_t* space = nullptr;
    size_t space_size = 0;
    if (!framer.ReadSpace(shared.get(), shared_size, &space, &space_size)) std::abort();
    FUZZ_CHECK(space != nullptr && space_size > 0);
    size_t chunk = chunks[read % chunk_count] == 0 ? 4096 : chunks[read % chunk_count];
    size_t n = chunk < space_size ? chunk : space_size;
    if (n > stream_size - at) n = stream_size - at;
    std::memcpy(space, stream + at, n);
    at += n;
    if (!framer.Received(space, n, sink)) std::abort();  // only on out-of-memory
    FUZZ_CHECK(framer.buffered() <= shared_size + TcpFramer::kMaxFrame);
    if (framer.ended()) FUZZ_CHECK(framer.buffered() == 0);
    FUZZ_CHECK(framer.delivered() == sink.delivered);
  }
  sink.force_ready = true;
  framer.Resume(sink);

  FUZZ_CHECK(sink.delivered == expected.size());
  FUZZ_CHECK(framer.delivered() == expected.size());
  FUZZ_CHECK(framer.ended() == ends);
  FUZZ_CHECK(framer.buffered() == (ends ? 0 : stream_size - tail));
  FUZZ_CHECK(!framer.HasCompleteFrame());
  return 0;
}
