// TcpFramer: length-prefixed frames out of a byte stream cut anywhere.
#include "net/tcp_framer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace enumd::net {

namespace {

using Bytes = std::vector<uint8_t>;

class RecordingSink : public TcpFramer::Sink {
 public:
  bool Ready() noexcept override { return ready_budget != 0; }
  void OnMessage(const uint8_t* message, size_t length) noexcept override {
    messages.emplace_back(message, message + length);
    if (ready_budget > 0) --ready_budget;
  }

  std::vector<Bytes> messages;
  long ready_budget = -1;  // messages still taken; -1: any number
};

Bytes Frame(const std::string& text) {
  Bytes out(2 + text.size());
  out[0] = static_cast<uint8_t>(text.size() >> 8);
  out[1] = static_cast<uint8_t>(text.size());
  std::copy(text.begin(), text.end(), out.begin() + 2);
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    size_t at = out.size();
    out.resize(at + p.size());
    std::copy(p.begin(), p.end(), out.begin() + static_cast<ptrdiff_t>(at));
  }
  return out;
}

Bytes Msg(const std::string& text) { return Bytes(text.begin(), text.end()); }

// Feeds `stream` as libuv would: ask for read space, fill at most `chunk`
// bytes of it, report them. Returns false if the framer refused space or
// memory. `largest_buffer` records the most the framer ever buffered.
bool Feed(TcpFramer& framer, RecordingSink& sink, const Bytes& stream, size_t chunk, Bytes& shared,
          size_t* largest_buffer = nullptr) {
  size_t at = 0;
  while (at < stream.size()) {
    uint8_t* space = nullptr;
    size_t size = 0;
    if (!framer.ReadSpace(shared.data(), shared.size(), &space, &size)) return false;
    REQUIRE(size > 0);
    size_t n = std::min({chunk, size, stream.size() - at});
    std::memcpy(space, stream.data() + at, n);
    at += n;
    if (!framer.Received(space, n, sink)) return false;
    if (largest_buffer != nullptr) *largest_buffer = std::max(*largest_buffer, framer.buffered());
  }
  return true;
}

}  // namespace

TEST_CASE("TcpFramer: every split of a pipelined stream gives the same messages, in order") {
  Bytes stream = Cat({Frame("a"), Frame("query-two"), Frame(std::string(300, 'x')), Frame("z")});
  std::vector<Bytes> expected{Msg("a"), Msg("query-two"), Msg(std::string(300, 'x')), Msg("z")};
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, stream.size()}) {
    for (size_t shared_size : {size_t{1}, size_t{5}, size_t{512}, size_t{65536}}) {
      CAPTURE(chunk);
      CAPTURE(shared_size);
      TcpFramer framer;
      RecordingSink sink;
      Bytes shared(shared_size);
      REQUIRE(Feed(framer, sink, stream, chunk, shared));
      CHECK(sink.messages == expected);
      CHECK(framer.buffered() == 0);
      CHECK(framer.delivered() == 4);
      CHECK_FALSE(framer.ended());
    }
  }
}

TEST_CASE("TcpFramer: a message is delivered only when its last byte has arrived") {
  Bytes stream = Frame("complete-me");
  TcpFramer framer;
  RecordingSink sink;
  Bytes shared(64);
  REQUIRE(Feed(framer, sink, Bytes(stream.begin(), stream.end() - 1), 1, shared));
  CHECK(sink.messages.empty());
  CHECK(framer.buffered() == stream.size() - 1);
  REQUIRE(Feed(framer, sink, Bytes{stream.back()}, 1, shared));
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0] == Msg("complete-me"));
  CHECK(framer.buffered() == 0);
}

TEST_CASE("TcpFramer: the largest frame, 65535 bytes, split into odd pieces") {
  std::string big(65535, 'b');
  big[0] = 'B';
  big.back() = 'E';
  Bytes stream = Cat({Frame(big), Frame("after")});
  for (size_t chunk : {size_t{1000}, size_t{4093}, size_t{65536}}) {
    CAPTURE(chunk);
    TcpFramer framer;
    RecordingSink sink;
    Bytes shared(65536);
    size_t largest = 0;
    REQUIRE(Feed(framer, sink, stream, chunk, shared, &largest));
    REQUIRE(sink.messages.size() == 2);
    CHECK(sink.messages[0] == Msg(big));
    CHECK(sink.messages[1] == Msg("after"));
    CHECK(largest <= TcpFramer::kMaxFrame);
  }
}

TEST_CASE("TcpFramer: a zero-length frame ends the stream; nothing after it is delivered") {
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{100}}) {
    CAPTURE(chunk);
    Bytes stream = Cat({Frame("before"), Bytes{0, 0}, Frame("ignored"), Bytes{0xff}});
    TcpFramer framer;
    RecordingSink sink;
    Bytes shared(16);
    REQUIRE(Feed(framer, sink, stream, chunk, shared));
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0] == Msg("before"));
    CHECK(framer.ended());
    CHECK(framer.buffered() == 0);
    // More input after the end is ignored too.
    REQUIRE(Feed(framer, sink, Frame("later"), 100, shared));
    CHECK(sink.messages.size() == 1);
  }
}

TEST_CASE("TcpFramer: frames the sink is not ready for are held and delivered by Resume") {
  Bytes stream = Cat({Frame("one"), Frame("two"), Frame("three"), Bytes{0, 4, 'f'}});
  TcpFramer framer;
  RecordingSink sink;
  sink.ready_budget = 1;
  Bytes shared(1024);
  REQUIRE(Feed(framer, sink, stream, stream.size(), shared));
  REQUIRE(sink.messages.size() == 1);
  CHECK(framer.HasCompleteFrame());
  // Holding a complete frame, the framer wants no more input.
  uint8_t* space = nullptr;
  size_t size = 0;
  CHECK_FALSE(framer.ReadSpace(shared.data(), shared.size(), &space, &size));

  sink.ready_budget = 1;
  framer.Resume(sink);
  REQUIRE(sink.messages.size() == 2);
  CHECK(sink.messages[1] == Msg("two"));
  sink.ready_budget = -1;
  framer.Resume(sink);
  REQUIRE(sink.messages.size() == 3);
  CHECK(sink.messages[2] == Msg("three"));
  // The unfinished "four" continues in place after the held bytes.
  CHECK_FALSE(framer.HasCompleteFrame());
  CHECK(framer.buffered() == 3);
  REQUIRE(Feed(framer, sink, Msg("our"), 1, shared));
  REQUIRE(sink.messages.size() == 4);
  CHECK(sink.messages[3] == Msg("four"));
}

TEST_CASE("TcpFramer: End drops buffered input; Reset starts a new stream") {
  TcpFramer framer;
  RecordingSink sink;
  Bytes shared(64);
  REQUIRE(Feed(framer, sink, Bytes{0, 10, 'p', 'a', 'r'}, 64, shared));
  CHECK(framer.buffered() == 5);
  framer.End();
  CHECK(framer.ended());
  CHECK(framer.buffered() == 0);
  framer.Resume(sink);
  CHECK(sink.messages.empty());

  framer.Reset(0);
  CHECK_FALSE(framer.ended());
  CHECK(framer.delivered() == 0);
  REQUIRE(Feed(framer, sink, Frame("fresh"), 2, shared));
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0] == Msg("fresh"));
}

TEST_CASE("TcpFramer: held input never exceeds one shared buffer plus one frame") {
  // A not-ready sink with a full shared buffer of pipelined frames and an
  // unfinished 64 KiB one behind it.
  Bytes stream;
  for (int i = 0; i < 2000; ++i) stream = Cat({stream, Frame("q" + std::to_string(i))});
  stream = Cat({stream, Bytes{0xff, 0xff}, Bytes(1000, 'x')});
  TcpFramer framer;
  RecordingSink sink;
  sink.ready_budget = 0;
  Bytes shared(4096);
  uint8_t* space = nullptr;
  size_t size = 0;
  REQUIRE(framer.ReadSpace(shared.data(), shared.size(), &space, &size));
  size_t n = std::min(size, stream.size());
  std::memcpy(space, stream.data(), n);
  REQUIRE(framer.Received(space, n, sink));
  CHECK(framer.buffered() == n);
  CHECK(framer.buffered() <= shared.size() + TcpFramer::kMaxFrame);
  CHECK(sink.messages.empty());
}

}  // namespace enumd::net
