// Server over UDP, queried from plain POSIX sockets.
#include <doctest/doctest.h>

#include <set>

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
      REQUIRE(server.Start().ok());
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
  REQUIRE(server.Start().ok());
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

TEST_CASE("Server UDP: a burst larger than one recvmmsg batch is answered in full") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
  uint16_t port = server.ports().at(0);
  UdpClient client("127.0.0.1");
  constexpr int kBurst = 150;
  for (int i = 0; i < kBurst; ++i)
    REQUIRE(client.Send("127.0.0.1", port, Query("b" + std::to_string(i))));
  int answered = 0;
  while (client.Receive(1000)) ++answered;
  CHECK(answered == kBurst);
}

TEST_CASE("Server UDP: a handler answer of 0 bytes sends nothing; large answers go out whole") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(server.Start().ok());
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

}  // namespace enumd::net
