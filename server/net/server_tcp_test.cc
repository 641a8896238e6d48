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
      REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);
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
  REQUIRE_STARTED(server);

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

TEST_CASE("Server TCP: at the connection cap a new connection replaces the oldest idle one") {
  // Regression (issue 7): the cap used to close the NEW connection, so a
  // flood of idle connections locked real clients out.
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_max_connections = 2;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);

  TcpClient first("127.0.0.1", port);
  REQUIRE(first.connected());
  REQUIRE(first.Write(Framed(Query("1"))));
  ExpectEcho(first, Query("1"));
  TcpClient second("127.0.0.1", port);
  REQUIRE(second.connected());
  REQUIRE(second.Write(Framed(Query("2"))));
  ExpectEcho(second, Query("2"));
  // `first` is now the least recently active idle connection.

  TcpClient third("127.0.0.1", port);
  REQUIRE(third.connected());
  REQUIRE(third.Write(Framed(Query("3"))));
  ExpectEcho(third, Query("3"));
  CHECK(first.WaitClosed());
  REQUIRE(second.Write(Framed(Query("2b"))));
  ExpectEcho(second, Query("2b"));

  // Activity reorders: `third` is now the oldest idle one, not `second`.
  TcpClient fourth("127.0.0.1", port);
  REQUIRE(fourth.connected());
  REQUIRE(fourth.Write(Framed(Query("4"))));
  ExpectEcho(fourth, Query("4"));
  CHECK(third.WaitClosed());
  REQUIRE(second.Write(Framed(Query("2c"))));
  ExpectEcho(second, Query("2c"));
}

TEST_CASE("Server TCP: at the cap with no idle connection the new one is closed") {
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_max_connections = 2;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);

  // Busy: one is receiving a query, the other has answers the client does
  // not read (more than the kernel buffers take).
  TcpClient receiving("127.0.0.1", port);
  REQUIRE(receiving.connected());
  Bytes query = Framed(Query("slow"));
  REQUIRE(receiving.Write(Bytes(query.begin(), query.begin() + 3)));
  TcpClient not_reading("127.0.0.1", port);
  REQUIRE(not_reading.connected());
  Bytes many;
  for (int i = 0; i < 600; ++i) {
    Bytes framed = Framed(BigQuery(60000));
    many.insert(many.end(), framed.begin(), framed.end());
  }
  REQUIRE(not_reading.Write(many));
  Sleep(200);

  TcpClient refused("127.0.0.1", port);
  REQUIRE(refused.connected());  // the kernel completes the handshake
  CHECK(refused.WaitClosed());
  // Neither busy connection was touched.
  REQUIRE(receiving.Write(Bytes(query.begin() + 3, query.end())));
  ExpectEcho(receiving, Query("slow"));
  std::optional<Bytes> answer = not_reading.ReadMessage();
  REQUIRE(answer);
  CHECK(answer->size() == 60000);
}

TEST_CASE("Server TCP: closing a connection frees its slot") {
  ServerOptions options = Options("127.0.0.1", 2);
  options.tcp_max_connections = 1;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);
  for (int round = 0; round < 20; ++round) {
    // The server notices each close asynchronously; with 2 workers a client
    // may land on the worker that holds no idle connection to replace.
    bool served = false;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {
      TcpClient client("127.0.0.1", port);
      served = client.Write(Framed(Query("r"))) && client.ReadMessage(200).has_value();
      if (!served) Sleep(10);
    }
    REQUIRE(served);
  }
}

namespace {

// A TCP client bound to a chosen source address (127.0.0.x).
class SourceClient {
 public:
  SourceClient(const std::string& source, uint16_t port) {
    SocketAddress from = Address(source, 0);
    SocketAddress to = Address("127.0.0.1", port);
    fd_ = UniqueFd(socket(AF_INET, SOCK_STREAM, 0));
    connected_ =
        bind(fd_.get(), reinterpret_cast<const sockaddr*>(&from.storage), from.length) == 0 &&
        connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to.storage), to.length) == 0;
  }
  bool connected() const { return connected_; }

  // Sends a query and waits for its echo.
  bool Served(const std::string& text) {
    Bytes framed = Framed(Query(text));
    if (send(fd_.get(), framed.data(), framed.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(framed.size())) {
      return false;
    }
    Bytes answer(2 + text.size() + 2);
    size_t done = 0;
    while (done < answer.size()) {
      if (!WaitReadable(fd_.get(), 2000)) return false;
      ssize_t n = recv(fd_.get(), answer.data() + done, answer.size() - done, 0);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return std::equal(text.begin(), text.end(), answer.begin() + 2);
  }

  // True if the server closes the connection within the timeout.
  bool Closed(int timeout_ms = 2000) {
    uint8_t sink[256];
    return WaitReadable(fd_.get(), timeout_ms) && recv(fd_.get(), sink, sizeof(sink), 0) <= 0;
  }

 private:
  UniqueFd fd_;
  bool connected_ = false;
};

}  // namespace

TEST_CASE("Server TCP: the per-source cap holds over all workers and spares other sources") {
  ServerOptions options = Options("127.0.0.1", 2);
  options.tcp_max_connections = 100;
  options.tcp_max_connections_per_source = 3;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);

  std::vector<std::unique_ptr<SourceClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<SourceClient>("127.0.0.2", port));
    REQUIRE(held.back()->connected());
    REQUIRE(held.back()->Served("held" + std::to_string(i)));
  }
  // Whichever worker takes them, more from 127.0.0.2 are closed at once.
  for (int i = 0; i < 6; ++i) {
    SourceClient extra("127.0.0.2", port);
    REQUIRE(extra.connected());
    CHECK(extra.Closed());
  }
  SourceClient other("127.0.0.3", port);
  REQUIRE(other.connected());
  CHECK(other.Served("other"));
  // The held ones were not disturbed, and a closed one gives its place back.
  for (auto& client : held) CHECK(client->Served("still"));
  held.pop_back();
  bool again = false;
  for (int attempt = 0; attempt < 50 && !again; ++attempt) {
    SourceClient retry("127.0.0.2", port);
    again = retry.connected() && retry.Served("again");
    if (!again) Sleep(10);
  }
  CHECK(again);
}

TEST_CASE("Server TCP: a query trickling in is cut off at the query timeout") {
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_idle_timeout_ms = 5000;
  options.tcp_query_timeout_ms = 300;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  TcpClient slow("127.0.0.1", server.ports().at(0));
  REQUIRE(slow.connected());
  Bytes query = Framed(Query(std::string(100, 's')));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  // One byte every 20 ms keeps the idle timer from ever firing.
  for (size_t i = 0; i < query.size() && !closed; ++i) {
    if (!slow.Write(Bytes{query[i]})) break;
    closed = WaitReadable(slow.fd(), 20);
  }
  CHECK(slow.WaitClosed(1000));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("Server TCP: the query timeout is per query; slow but complete queries go on") {
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_idle_timeout_ms = 5000;
  options.tcp_query_timeout_ms = 300;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.connected());
  // 6 queries, each sent in 3 pieces over 160 ms: ~1 s in all.
  for (int i = 0; i < 6; ++i) {
    Bytes query = Framed(Query("piece-" + std::to_string(i)));
    REQUIRE(client.Write(Bytes(query.begin(), query.begin() + 1)));
    Sleep(80);
    REQUIRE(client.Write(Bytes(query.begin() + 1, query.begin() + 5)));
    Sleep(80);
    REQUIRE(client.Write(Bytes(query.begin() + 5, query.end())));
    ExpectEcho(client, Query("piece-" + std::to_string(i)));
  }
  // An idle connection (nothing half-sent) is not subject to it.
  Sleep(500);
  REQUIRE(client.Write(Framed(Query("later"))));
  ExpectEcho(client, Query("later"));
}

TEST_CASE(
    "Server TCP: a client that never reads stops the reading, then the idle timeout resets it") {
  std::atomic<int> queries{0};
  ServerOptions options = Options("127.0.0.1", 1);
  options.tcp_idle_timeout_ms = 400;
  options.tcp_max_queued_bytes = 1024;
  Server server(options, FakeFactory(&queries));
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);
  TcpClient hog("127.0.0.1", port);
  REQUIRE(hog.connected());
  constexpr int kQueries = 2000;  // 120 MB of answers asked for
  Bytes all;
  for (int i = 0; i < kQueries; ++i) {
    Bytes framed = Framed(BigQuery(60000));
    all.insert(all.end(), framed.begin(), framed.end());
  }
  REQUIRE(hog.Write(all));
  // Until the server stops (its socket buffers full): however slow the
  // build (sanitizers), the count settles well before the idle timeout.
  int answered = queries.load();
  for (int stable = 0, waited = 0; stable < 3 && waited < 40; ++waited) {
    Sleep(25);
    const int now = queries.load();
    stable = now == answered ? stable + 1 : 0;
    answered = now;
  }
  CHECK(answered < kQueries);  // only what the socket buffers hold, plus one
  Sleep(100);
  CHECK(queries.load() == answered);  // and no more while nobody reads
  // Others are served meanwhile.
  TcpClient other("127.0.0.1", port);
  REQUIRE(other.connected());
  REQUIRE(other.Write(Framed(Query("other"))));
  ExpectEcho(other, Query("other"));
  // Past the idle timeout the hog is reset; what it reads then is a fraction.
  Sleep(700);
  size_t received = 0;
  bool closed = false;
  uint8_t buffer[65536];
  while (!closed && WaitReadable(hog.fd(), 2000)) {
    ssize_t n = recv(hog.fd(), buffer, sizeof(buffer), 0);
    if (n > 0) received += static_cast<size_t>(n);
    closed = n <= 0;
  }
  CHECK(closed);
  CHECK(received < static_cast<size_t>(kQueries) * 60002);
  CHECK(queries.load() < kQueries);
}

}  // namespace enumd::net
