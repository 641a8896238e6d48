// Server over TCP (RFC 7766), queried from plain POSIX sockets.
#include <doctest/doctest.h>

#include <thread>

#include "net/net_test_support.h"
#include "net/server.h"

namespace enumd::net {

using namespace testing;

namespace {

// Reads one answer and checks it is FakeHandler's echo of `query`.
void ExpectEcho(TcpClient& client, const Bytes& query) {
  std::optional<Bytes> answer = client.ReadMessage();
  REQUIRE(answer);
  REQUIRE(answer->size() == query.size() + 2);
  answer->pop_back();  // worker index
  CHECK(*answer == Echo(query, 'T'));
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("Server TCP: answers a query, with 1 and 2 workers, on IPv4 and IPv6 loopback") {
  for (const std::string& host : LoopbackHosts()) {
    for (int workers : {1, 2}) {
      CAPTURE(host);
      CAPTURE(workers);
      Server server(Options(host, workers), FakeFactory());
      REQUIRE(server.Start().ok());
      TcpClient client(host, server.ports().at(0));
      REQUIRE(client.connected());
      REQUIRE(client.Write(Framed(Query("single"))));
      ExpectEcho(client, Query("single"));
      // The connection stays open for more queries.
      REQUIRE(client.Write(Framed(Query("again"))));
      ExpectEcho(client, Query("again"));
    }
  }
}

TEST_CASE("Server TCP: pipelined queries sent in one write are answered in order") {
  Server server(Options("127.0.0.1", 2), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes all;
  for (int i = 0; i < 200; ++i) {
    Bytes framed = Framed(Query("pipelined-" + std::to_string(i)));
    all.insert(all.end(), framed.begin(), framed.end());
  }
  REQUIRE(client.Write(all));
  for (int i = 0; i < 200; ++i) ExpectEcho(client, Query("pipelined-" + std::to_string(i)));
}

TEST_CASE("Server TCP: queries split into 1-byte writes, length prefix included, are answered") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes stream = Framed(Query("first"));
  Bytes second = Framed(Query("second"));
  stream.insert(stream.end(), second.begin(), second.end());
  for (uint8_t byte : stream) {
    REQUIRE(client.Write(Bytes{byte}));
    Sleep(1);  // let each byte arrive in a read of its own
  }
  ExpectEcho(client, Query("first"));
  ExpectEcho(client, Query("second"));
}

TEST_CASE("Server TCP: a query whose length prefix ends one write is answered") {
  // The prefix and the body of the next query arrive in different reads.
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes first = Framed(Query("one"));
  Bytes second = Framed(Query("two"));
  Bytes chunk = first;
  chunk.insert(chunk.end(), second.begin(), second.begin() + 2);
  REQUIRE(client.Write(chunk));
  ExpectEcho(client, Query("one"));
  Sleep(20);
  REQUIRE(client.Write(Bytes(second.begin() + 2, second.end())));
  ExpectEcho(client, Query("two"));
}

TEST_CASE("Server TCP: an answer bigger than 16 KiB arrives whole") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  for (uint16_t size : {20000, 65535}) {
    REQUIRE(client.Write(Framed(BigQuery(size))));
    std::optional<Bytes> answer = client.ReadMessage();
    REQUIRE(answer);
    REQUIRE(answer->size() == size);
    CHECK((*answer)[0] == kBig);
    CHECK((*answer)[size - 1] == static_cast<uint8_t>(size - 1));
  }
}

TEST_CASE("Server TCP: a client that reads its answers late still gets all of them, in order") {
  // 200 answers of 60 KB (12 MB) do not fit in socket buffers: the server
  // must stop answering while its output queue is full, and resume.
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  constexpr int kQueries = 200;
  Bytes all;
  for (int i = 0; i < kQueries; ++i) {
    Bytes framed = Framed(BigQuery(static_cast<uint16_t>(60000 + i)));
    all.insert(all.end(), framed.begin(), framed.end());
  }
  REQUIRE(client.Write(all));
  Sleep(100);
  for (int i = 0; i < kQueries; ++i) {
    std::optional<Bytes> answer = client.ReadMessage();
    REQUIRE(answer);
    REQUIRE(answer->size() == static_cast<size_t>(60000 + i));
  }
}

TEST_CASE("Server TCP: no answer is sent when the handler returns 0; later queries still are") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes stream = Framed(Bytes{kNoReply, 0, 0});
  Bytes next = Framed(Query("after"));
  stream.insert(stream.end(), next.begin(), next.end());
  REQUIRE(client.Write(stream));
  ExpectEcho(client, Query("after"));
}

TEST_CASE("Server TCP: a zero-length frame closes the connection after earlier answers") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes stream = Framed(Query("before"));
  stream.push_back(0);
  stream.push_back(0);
  Bytes ignored = Framed(Query("ignored"));
  stream.insert(stream.end(), ignored.begin(), ignored.end());
  REQUIRE(client.Write(stream));
  ExpectEcho(client, Query("before"));
  CHECK(client.WaitClosed());
}

TEST_CASE("Server TCP: queries before a half-close are answered, then the server closes") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  Bytes stream = Framed(Query("a"));
  Bytes big = Framed(BigQuery(50000));
  stream.insert(stream.end(), big.begin(), big.end());
  REQUIRE(client.Write(stream));
  client.ShutdownWrite();
  ExpectEcho(client, Query("a"));
  std::optional<Bytes> answer = client.ReadMessage();
  REQUIRE(answer);
  CHECK(answer->size() == 50000);
  CHECK(client.WaitClosed());
}

TEST_CASE("Server TCP: an idle connection is closed after the idle timeout; activity defers it") {
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_idle_timeout_ms = 200;
  Server server(options, FakeFactory());
  REQUIRE(server.Start().ok());

  TcpClient busy("127.0.0.1", server.ports().at(0));
  TcpClient idle("127.0.0.1", server.ports().at(0));
  REQUIRE(busy.connected());
  REQUIRE(idle.connected());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) {  // 4 x 100 ms: longer than the timeout in total
    Sleep(100);
    REQUIRE(busy.Write(Framed(Query("ping"))));
    ExpectEcho(busy, Query("ping"));
  }
  CHECK(idle.WaitClosed(1000));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(150));
  // The busy connection lives on, and is itself closed once left alone.
  REQUIRE(busy.Write(Framed(Query("still"))));
  ExpectEcho(busy, Query("still"));
  CHECK(busy.WaitClosed(1000));
}

TEST_CASE("Server TCP: over the connection cap a new connection is closed at once") {
  ServerOptions options = Options("127.0.0.1", 2);
  options.tcp_max_connections = 2;
  Server server(options, FakeFactory());
  REQUIRE(server.Start().ok());
  uint16_t port = server.ports().at(0);

  auto first = std::make_unique<TcpClient>("127.0.0.1", port);
  TcpClient second("127.0.0.1", port);
  REQUIRE(first->connected());
  REQUIRE(second.connected());
  // Make sure both are accepted before the third arrives.
  REQUIRE(first->Write(Framed(Query("1"))));
  ExpectEcho(*first, Query("1"));
  REQUIRE(second.Write(Framed(Query("2"))));
  ExpectEcho(second, Query("2"));

  TcpClient third("127.0.0.1", port);
  REQUIRE(third.connected());  // the kernel completes the handshake
  CHECK(third.WaitClosed());

  // Closing one frees its slot (the server notices the close asynchronously).
  first.reset();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    TcpClient again("127.0.0.1", port);
    served = again.Write(Framed(Query("3"))) && again.ReadMessage(200).has_value();
    if (!served) Sleep(10);
  }
  CHECK(served);
}

}  // namespace enumd::net
