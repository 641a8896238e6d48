// Server over UDP, queried from plain POSIX sockets.
#include <doctest/doctest.h>

#include <cctype>
#include <map>
#include <set>

#include "net/listen_socket.h"
#include "net/net_test_support.h"
#include "net/server.h"

namespace enumd::net {

using namespace testing;

TEST_CASE("Server UDP: answers a query, with 1 and 2 workers, on IPv4 and IPv6 loopback") {
  if (!Ipv6LoopbackAvailable()) MESSAGE("IPv6 loopback unavailable: testing IPv4 only");
  for (const std::string& host : LoopbackHosts()) {
    for (int workers : {1, 2}) {
      CAPTURE(host);
      CAPTURE(workers);
      Server server(Options(host, workers), FakeFactory());
      REQUIRE_STARTED(server);
      uint16_t port = server.ports().at(0);
      REQUIRE(port != 0);

      UdpClient client(host);
      Bytes query = Query("hello");
      REQUIRE(client.Send(host, port, query));
      std::optional<Bytes> answer = client.Receive();
      REQUIRE(answer);
      REQUIRE(answer->size() == query.size() + 2);
      CHECK(Bytes(answer->begin(), answer->end() - 1) == Echo(query, 'U'));
      CHECK(answer->back() < workers);
      server.Stop();
    }
  }
}

TEST_CASE("Server UDP: many queries from many clients are all answered, by every worker") {
  std::atomic<int> queries{0};
  Server server(Options("127.0.0.1", 2), FakeFactory(&queries));
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);

  constexpr int kClients = 16, kRounds = 10, kPerRound = 20;
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int c = 0; c < kClients; ++c) clients.push_back(std::make_unique<UdpClient>("127.0.0.1"));
  std::set<int> workers_seen;
  int answered = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int c = 0; c < kClients; ++c) {
      for (int i = 0; i < kPerRound; ++i) {
        REQUIRE(clients[c]->Send("127.0.0.1", port,
                                 Query("q" + std::to_string(c * 10000 + round * 100 + i))));
      }
    }
    for (int c = 0; c < kClients; ++c) {
      std::set<Bytes> expected;
      for (int i = 0; i < kPerRound; ++i) {
        expected.insert(Echo(Query("q" + std::to_string(c * 10000 + round * 100 + i)), 'U'));
      }
      for (int i = 0; i < kPerRound; ++i) {
        std::optional<Bytes> answer = clients[c]->Receive();
        REQUIRE(answer);
        workers_seen.insert(answer->back());
        answer->pop_back();
        CHECK(expected.erase(*answer) == 1);
        ++answered;
      }
    }
  }
  CHECK(answered == kClients * kRounds * kPerRound);
  CHECK(queries.load() == answered);
  // The kernel hashes the 16 client addresses over both workers' sockets; all
  // landing on one worker would take odds of 2^-15.
  CHECK(workers_seen.size() == 2);
}

// Checks that every query Handle answers was in the batch Prefetch was
// last given, at the same place, before it.
class PrefetchCheckingHandler : public FakeHandler {
 public:
  PrefetchCheckingHandler(std::atomic<int>* batches, std::atomic<int>* unseen)
      : FakeHandler(0, nullptr), batches_(batches), unseen_(unseen) {}
  void Prefetch(const uint8_t* const* queries, const size_t* lens, size_t n) noexcept override {
    batch_.clear();
    for (size_t i = 0; i < n; ++i) batch_.emplace_back(queries[i], queries[i] + lens[i]);
    next_ = 0;
    batches_->fetch_add(1);
  }
  size_t Handle(const uint8_t* query, size_t len, uint8_t* out, size_t out_cap, Transport t,
                const sockaddr* peer) noexcept override {
    if (next_ >= batch_.size() || batch_[next_++] != Bytes(query, query + len))
      unseen_->fetch_add(1);
    return FakeHandler::Handle(query, len, out, out_cap, t, peer);
  }

 private:
  std::atomic<int>* batches_;
  std::atomic<int>* unseen_;
  std::vector<Bytes> batch_;
  size_t next_ = 0;
};

TEST_CASE("Server UDP: a burst larger than one recvmmsg batch is answered in full, prefetched") {
  std::atomic<int> batches{0}, unseen{0};
  Server server(Options("127.0.0.1", 1), [&](const HandlerRole&) {
    return std::make_unique<PrefetchCheckingHandler>(&batches, &unseen);
  });
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);
  UdpClient client("127.0.0.1");
  constexpr int kBurst = 150;
  for (int i = 0; i < kBurst; ++i)
    REQUIRE(client.Send("127.0.0.1", port, Query("b" + std::to_string(i))));
  int answered = 0;
  while (client.Receive(1000)) ++answered;
  CHECK(answered == kBurst);
  // Each batch went to the handler's Prefetch before its first answer.
  CHECK(batches.load() >= 1);
  CHECK(unseen.load() == 0);
}

TEST_CASE("Server UDP: a handler answer of 0 bytes sends nothing; large answers go out whole") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);
  UdpClient client("127.0.0.1");
  REQUIRE(client.Send("127.0.0.1", port, Bytes{kNoReply, 1, 2}));
  REQUIRE(client.Send("127.0.0.1", port, BigQuery(4000)));
  std::optional<Bytes> answer = client.Receive();
  REQUIRE(answer);
  CHECK(answer->size() == 4000);
  CHECK((*answer)[3999] == static_cast<uint8_t>(3999));
  CHECK_FALSE(client.Receive(200));
}

// A datagram shaped like a DNS query for `name` (a header of 12 bytes, the
// name's labels, type and class), as far as SteerUdpByName looks.
Bytes NameQuery(const std::string& name) {
  Bytes q(12, 'h');
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 35, 0, 1});
  return q;
}

// Which worker answers `query` sent from `client` (the fake handler's last byte).
int AnsweringWorker(UdpClient& client, uint16_t port, const Bytes& query) {
  REQUIRE(client.Send("127.0.0.1", port, query));
  std::optional<Bytes> answer = client.Receive();
  REQUIRE(answer);
  REQUIRE(Bytes(answer->begin(), answer->end() - 1) == Echo(query, 'U'));
  return answer->back();
}

TEST_CASE("Server UDP: spread by name, one client reaches every worker and a name one worker") {
  for (int workers : {2, 3}) {
    CAPTURE(workers);
    Server server(Options("127.0.0.1", workers), FakeFactory());  // kName is the default
    REQUIRE_STARTED(server);
    uint16_t port = server.ports().at(0);
    UdpClient one("127.0.0.1");
    std::map<std::string, int> worker_of;
    std::set<int> seen;
    for (int n = 0; n < 64; ++n) {
      // ENUM names differ in their first digits, the least significant.
      std::string name;
      for (char d : std::to_string(1000000 + n * 7919)) {
        name.insert(0, 1, '.');
        name.insert(0, 1, d);
      }
      name += "e164.arpa";
      const Bytes query = NameQuery(name);
      worker_of[name] = AnsweringWorker(one, port, query);
      seen.insert(worker_of[name]);
      // The user-space twin of the kernel's choice (what fills the workers'
      // node caches) agrees with it.
      CHECK(UdpSocketForDatagram(query.data(), query.size(), workers) == worker_of[name]);
    }
    // 64 names all on one of 2 workers: odds of 2^-63 with a fair hash.
    CHECK(seen.size() == static_cast<size_t>(workers));
    // Other clients (other source ports, which the kernel would hash to other
    // sockets), in either letter case: the same worker for the same name.
    std::vector<std::unique_ptr<UdpClient>> others;
    for (int c = 0; c < 8; ++c) others.push_back(std::make_unique<UdpClient>("127.0.0.1"));
    int n = 0;
    for (const auto& [name, worker] : worker_of) {
      std::string upper = name;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      UdpClient& client = *others[static_cast<size_t>(n++ % 8)];
      CHECK(AnsweringWorker(client, port, NameQuery(name)) == worker);
      CHECK(AnsweringWorker(client, port, NameQuery(upper)) == worker);
    }
    // Too short to carry 12 name bytes: still answered (the 4-tuple decides).
    CHECK(AnsweringWorker(one, port, Query("short")) < workers);
    const Bytes short_query = Query("short");
    CHECK(UdpSocketForDatagram(short_query.data(), short_query.size(), workers) == -1);
    server.Stop();
  }
}

TEST_CASE("Server UDP: spread by flow, one client's queries all reach the same worker") {
  ServerOptions options = Options("127.0.0.1", 2);
  options.udp_spread = UdpSpread::kFlow;
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  uint16_t port = server.ports().at(0);
  UdpClient one("127.0.0.1");
  std::set<int> seen;
  for (int n = 0; n < 64; ++n) {
    std::string name = std::to_string(n);
    name += ".x";
    seen.insert(AnsweringWorker(one, port, NameQuery(name)));
  }
  CHECK(seen.size() == 1);
}

}  // namespace enumd::net
