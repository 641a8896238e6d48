// Server start-up and shut-down: ports, bind errors, Stop() behaviour.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "net/net_test_support.h"
#include "net/server.h"

namespace enumd::net {

using namespace testing;

namespace {

// True if a plain socket (no SO_REUSEPORT) can bind host:port, i.e. nothing
// else holds it.
bool PortIsFree(const std::string& host, uint16_t port, int type) {
  SocketAddress address = Address(host, port);
  UniqueFd fd(socket(address.family(), type, 0));
  return bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0;
}

// A socket bound without SO_REUSEPORT (our reusable sockets cannot share its
// port), on a port of `type` whose number is free for the other protocol: the
// server binds both, and a test that expects the error for this one must not
// meet another process's socket on the other (tests run in parallel).
UniqueFd OccupyPort(const std::string& host, int type, uint16_t* port) {
  for (int attempt = 0;; ++attempt) {
    SocketAddress address = Address(host, 0);
    UniqueFd fd(socket(address.family(), type, 0));
    REQUIRE(bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) ==
            0);
    if (type == SOCK_STREAM) REQUIRE(listen(fd.get(), 1) == 0);
    *port = LocalPort(fd.get());
    const int other = type == SOCK_STREAM ? SOCK_DGRAM : SOCK_STREAM;
    if (PortIsFree(host, *port, other) || attempt == 50) return fd;
  }
}

using Clock = std::chrono::steady_clock;

}  // namespace

TEST_CASE("Server: port 0 picks one port for UDP and TCP, shared by all workers") {
  ServerOptions options = Options("127.0.0.1", 3);
  Endpoint second;
  second.host = "127.0.0.1";
  options.endpoints.push_back(second);
  Server server(options, FakeFactory());
  REQUIRE_STARTED(server);
  std::vector<uint16_t> ports = server.ports();
  REQUIRE(ports.size() == 2);
  CHECK(ports[0] != 0);
  CHECK(ports[1] != 0);
  CHECK(ports[0] != ports[1]);
  for (uint16_t port : ports) {
    UdpClient udp("127.0.0.1");
    REQUIRE(udp.Send("127.0.0.1", port, Query("u")));
    CHECK(udp.Receive().has_value());
    TcpClient tcp("127.0.0.1", port);
    REQUIRE(tcp.Write(Framed(Query("t"))));
    CHECK(tcp.ReadMessage().has_value());
  }
}

TEST_CASE("Server: binding an address in use fails and the error names it") {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const char* protocol = type == SOCK_DGRAM ? "udp" : "tcp";
    CAPTURE(protocol);
    uint16_t taken = 0;
    UniqueFd holder = OccupyPort("127.0.0.1", type, &taken);

    // The first endpoint binds fine; the second one fails.
    ServerOptions options = Options("127.0.0.1", 2);
    Endpoint busy;
    busy.host = "127.0.0.1";
    busy.port = taken;
    options.endpoints.push_back(busy);
    Server server(options, FakeFactory());
    Status status = server.Start();
    REQUIRE_FALSE(status.ok());
    CHECK(status.message() ==
          "127.0.0.1:" + std::to_string(taken) + "/" + protocol + ": Address already in use");

    server.Stop();  // harmless after a failed Start
  }
}

TEST_CASE("Server: a failed Start releases every socket it bound") {
  // Bind a known port for endpoint 1, then make endpoint 2 fail.
  uint16_t taken = 0;
  UniqueFd holder = OccupyPort("127.0.0.1", SOCK_DGRAM, &taken);
  uint16_t free_port = 0;
  { UniqueFd probe = OccupyPort("127.0.0.1", SOCK_STREAM, &free_port); }
  ServerOptions options;
  options.workers = 2;
  options.endpoints.push_back(Endpoint{"127.0.0.1", free_port, true, true});
  options.endpoints.push_back(Endpoint{"127.0.0.1", taken, true, true});
  Server server(options, FakeFactory());
  REQUIRE_FALSE(server.Start().ok());
  CHECK(PortIsFree("127.0.0.1", free_port, SOCK_DGRAM));
  CHECK(PortIsFree("127.0.0.1", free_port, SOCK_STREAM));
}

TEST_CASE("Server: bad options are reported by Start") {
  Server bad_host(Options("not-an-address", 1), FakeFactory());
  Status status = bad_host.Start();
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("not-an-address") != std::string::npos);

  Server no_workers(Options("127.0.0.1", 0), FakeFactory());
  CHECK_FALSE(no_workers.Start().ok());

  Server no_handler(Options("127.0.0.1", 1),
                    [](const HandlerRole&) { return std::unique_ptr<QueryHandler>(); });
  Status no_handler_status = no_handler.Start();
  REQUIRE_FALSE(no_handler_status.ok());
  CHECK(no_handler_status.message().find("no query handler") != std::string::npos);

  Server twice(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE(twice.Start().ok());
  CHECK_FALSE(twice.Start().ok());
}

TEST_CASE("Server: Start and Stop repeatedly, on new and on the same objects") {
  for (int i = 0; i < 10; ++i) {
    Server server(Options("127.0.0.1", 2), FakeFactory());
    REQUIRE_STARTED(server);
    if (i % 2 == 0) {
      TcpClient client("127.0.0.1", server.ports().at(0));
      REQUIRE(client.Write(Framed(Query("x"))));
      CHECK(client.ReadMessage().has_value());
    }
    server.Stop();
    server.Stop();  // idempotent
  }
  Server server(Options("127.0.0.1", 2), FakeFactory());
  for (int i = 0; i < 5; ++i) {
    REQUIRE_STARTED(server);
    UdpClient client("127.0.0.1");
    REQUIRE(client.Send("127.0.0.1", server.ports().at(0), Query("y")));
    CHECK(client.Receive().has_value());
    server.Stop();
  }
  // Never started, destroyed: fine too.
  Server idle(Options("127.0.0.1", 1), FakeFactory());
}

TEST_CASE("Server: Stop returns promptly while a TCP client is connected, and closes it") {
  Server server(Options("127.0.0.1", 2), FakeFactory());
  REQUIRE_STARTED(server);
  TcpClient client("127.0.0.1", server.ports().at(0));
  REQUIRE(client.Write(Framed(Query("x"))));
  REQUIRE(client.ReadMessage().has_value());
  Bytes partial = Framed(Query("unfinished"));
  partial.resize(5);
  REQUIRE(client.Write(partial));  // a query in progress does not hold Stop up

  auto start = Clock::now();
  server.Stop();
  CHECK(Clock::now() - start < std::chrono::milliseconds(500));
  CHECK(client.WaitClosed(500));
}

TEST_CASE(
    "Server: Stop from another thread; a client that never reads delays it at most the grace") {
  Server server(Options("127.0.0.1", 1), FakeFactory());
  REQUIRE_STARTED(server);
  TcpClient client("127.0.0.1", server.ports().at(0));
  int small = 4096;
  setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  Bytes all;
  for (int i = 0; i < 100; ++i) {
    Bytes framed = Framed(BigQuery(60000));
    all.insert(all.end(), framed.begin(), framed.end());
  }
  REQUIRE(client.Write(all));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto start = Clock::now();
  std::thread stopper([&server] { server.Stop(); });
  stopper.join();
  auto took = Clock::now() - start;
  CHECK(took < std::chrono::milliseconds(3000));
  CHECK(client.WaitClosed(1000));
}

TEST_CASE("Server: a handler for each worker's TCP loop and each of its UDP sockets") {
  ServerOptions options = Options("127.0.0.1", 2);
  Endpoint tcp_only;
  tcp_only.host = "127.0.0.1";
  tcp_only.udp = false;
  options.endpoints.push_back(tcp_only);
  Endpoint v6 = options.endpoints[0];
  v6.host = "::1";
  options.endpoints.push_back(v6);
  CHECK(Server::UdpHandlers(options) == 4);   // 2 workers x 2 UDP endpoints
  CHECK(Server::HandlerSlots(options) == 6);  // and one TCP loop each

  std::vector<HandlerRole> roles;  // the factory runs on the starting thread
  Server server(options, [&roles](const HandlerRole& role) {
    roles.push_back(role);
    return std::make_unique<FakeHandler>(role.worker, nullptr);
  });
  REQUIRE_STARTED(server);
  REQUIRE(roles.size() == 6);
  std::set<int> slots;
  int udp = 0;
  for (const HandlerRole& role : roles) {
    slots.insert(role.slot);
    CHECK(role.worker >= 0);
    CHECK(role.worker < 2);
    udp += role.transport == Transport::kUdp ? 1 : 0;
  }
  CHECK(udp == 4);
  CHECK(slots == std::set<int>{0, 1, 2, 3, 4, 5});

  // Both families' UDP threads answer, and Stop wakes them from their
  // blocking receive at once.
  for (const char* host : {"127.0.0.1", "::1"}) {
    const uint16_t port = server.ports().at(std::string(host) == "::1" ? 2 : 0);
    UdpClient client(host);
    REQUIRE(client.Send(host, port, Query("hello")));
    std::optional<Bytes> answer = client.Receive();
    REQUIRE(answer.has_value());
    CHECK(answer->at(5) == 'U');
  }
  auto start = Clock::now();
  server.Stop();
  CHECK(Clock::now() - start < std::chrono::milliseconds(500));
}

}  // namespace enumd::net
