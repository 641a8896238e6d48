// Server over TCP: answers of many messages (ResponseStream, as a zone
// transfer uses), pulled as the client reads: order, backpressure, a stream
// that fails, a client that leaves mid-stream.
#include <doctest/doctest.h>

#include <thread>

#include "net/net_test_support.h"
#include "net/server.h"

namespace enumd::net {

using namespace testing;

namespace {

// 'S' count(u16) size(u16) fail_after(u16): a stream of `count` messages of
// `size` bytes, message i starting with i (u16); with fail_after != 0 it
// fails after that many. Other queries are echoed as FakeHandler does.
struct StreamCounters {
  std::atomic<int> pulled{0};
  std::atomic<int> destroyed{0};
};

class CountingStream : public ResponseStream {
 public:
  CountingStream(int count, size_t size, int fail_after, StreamCounters* c)
      : count_(count), size_(size), fail_after_(fail_after), c_(c) {}
  ~CountingStream() override { c_->destroyed.fetch_add(1); }
  size_t Next(uint8_t* out, size_t cap) noexcept override {
    if (fail_after_ != 0 && next_ == fail_after_) return kFailed;
    if (next_ == count_ || size_ > cap) return 0;
    std::memset(out, 'x', size_);
    Store16(out, static_cast<uint16_t>(next_));
    ++next_;
    c_->pulled.fetch_add(1);
    return size_;
  }

 private:
  int count_;
  size_t size_;
  int fail_after_;
  int next_ = 0;
  StreamCounters* c_;
};

class StreamHandler : public FakeHandler {
 public:
  StreamHandler(int worker, StreamCounters* c) : FakeHandler(worker, nullptr), c_(c) {}
  size_t Handle(const uint8_t* query, size_t len, uint8_t* out, size_t out_cap, Transport transport,
                const sockaddr* peer) noexcept override {
    if (len == 7 && query[0] == 'S' && transport == Transport::kTcp) {
      pending_ = std::make_unique<CountingStream>(Load16(query + 1), Load16(query + 3),
                                                  Load16(query + 5), c_);
      return 0;
    }
    return FakeHandler::Handle(query, len, out, out_cap, transport, peer);
  }
  std::unique_ptr<ResponseStream> TakeStream() noexcept override { return std::move(pending_); }

 private:
  StreamCounters* c_;
  std::unique_ptr<ResponseStream> pending_;
};

Server::HandlerFactory StreamFactory(StreamCounters* c) {
  return [c](const HandlerRole& role) { return std::make_unique<StreamHandler>(role.worker, c); };
}

// The query, framed (length prefix included).
Bytes FramedStreamQuery(uint16_t count, uint16_t size, uint16_t fail_after = 0) {
  Bytes q(9);
  Store16(q.data(), 7);
  q[2] = 'S';
  Store16(q.data() + 3, count);
  Store16(q.data() + 5, size);
  Store16(q.data() + 7, fail_after);
  return q;
}

bool WaitFor(const std::function<bool()>& done, int timeout_ms = 3000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace

TEST_CASE("Server TCP stream: every message in order, then the queries sent behind it") {
  StreamCounters c;
  Server server(Options("127.0.0.1", 1), StreamFactory(&c));
  REQUIRE_STARTED(server);
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes both = FramedStreamQuery(3000, 1000);
  Bytes after = Framed(Query("behind-the-stream"));
  both.insert(both.end(), after.begin(), after.end());
  REQUIRE(client.Write(both));
  for (int i = 0; i < 3000; ++i) {
    std::optional<Bytes> m = client.ReadMessage();
    REQUIRE(m);
    REQUIRE(m->size() == 1000);
    REQUIRE(Load16(m->data()) == i);
  }
  std::optional<Bytes> echo = client.ReadMessage();
  REQUIRE(echo);
  REQUIRE(echo->size() == Query("behind-the-stream").size() + 2);
  CHECK(Bytes(echo->begin(), echo->end() - 1) == Echo(Query("behind-the-stream"), 'T'));
  CHECK(WaitFor([&] { return c.destroyed.load() == 1; }));
}

TEST_CASE("Server TCP stream: a client that does not read stops it; others are served") {
  StreamCounters c;
  ServerOptions o = Options("127.0.0.1", 1);
  o.tcp_idle_timeout_ms = 1000;
  Server server(o, StreamFactory(&c));
  REQUIRE_STARTED(server);
  TcpClient stalled("127.0.0.1", server.ports().at(0));
  REQUIRE(stalled.connected());
  int small = 4096;
  setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  // 60,000 messages of 16,000 bytes: 960 MB if it were all pulled.
  REQUIRE(stalled.Write(FramedStreamQuery(60000, 16000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int pulled = c.pulled.load();
  INFO("pulled ", pulled);
  // What the kernel's buffers hold (about 4 MB here: 245 messages), plus the
  // connection's output cap.
  CHECK(pulled < 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(c.pulled.load() - pulled < 50);
  // The same worker answers another client meanwhile.
  TcpClient other("127.0.0.1", server.ports().at(0));
  REQUIRE(other.Write(Framed(Query("meanwhile"))));
  std::optional<Bytes> echo = other.ReadMessage(1000);
  REQUIRE(echo);
  // No progress for the idle timeout: reset, and the stream goes.
  CHECK(WaitFor([&] { return c.destroyed.load() == 1; }, 3000));
}

TEST_CASE("Server TCP stream: a failing stream resets the connection") {
  StreamCounters c;
  Server server(Options("127.0.0.1", 1), StreamFactory(&c));
  REQUIRE_STARTED(server);
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.Write(FramedStreamQuery(100, 500, 10)));
  int got = 0;
  while (client.ReadMessage(1000)) ++got;
  CHECK(got <= 10);
  CHECK(c.destroyed.load() == 1);
}

TEST_CASE("Server TCP stream: a client that leaves mid-stream ends it") {
  StreamCounters c;
  Server server(Options("127.0.0.1", 1), StreamFactory(&c));
  REQUIRE_STARTED(server);
  {
    TcpClient client("127.0.0.1", server.ports().at(0));
    REQUIRE(client.Write(FramedStreamQuery(60000, 16000)));
    REQUIRE(client.ReadMessage());
  }  // closed
  CHECK(WaitFor([&] { return c.destroyed.load() == 1; }));
  CHECK(c.pulled.load() < 60000);
}

}  // namespace enumd::net
