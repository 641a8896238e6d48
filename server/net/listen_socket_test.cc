#include "net/listen_socket.h"

#include <doctest/doctest.h>

#include "net/net_test_support.h"

namespace enumd::net {

TEST_CASE("ParseSocketAddress: numeric IPv4 and IPv6 only, printed as HOST:PORT") {
  Result<SocketAddress> v4 = ParseSocketAddress("127.0.0.1", 53);
  REQUIRE(v4.ok());
  CHECK(v4->family() == AF_INET);
  CHECK(v4->port() == 53);
  CHECK(v4->ToString() == "127.0.0.1:53");

  Result<SocketAddress> v6 = ParseSocketAddress("::1", 5353);
  REQUIRE(v6.ok());
  CHECK(v6->family() == AF_INET6);
  CHECK(v6->ToString() == "[::1]:5353");

  Result<SocketAddress> name = ParseSocketAddress("localhost", 53);
  REQUIRE_FALSE(name.ok());
  CHECK(name.status().message().find("localhost:53") != std::string::npos);
}

TEST_CASE("BindReusableSocket: two sockets share a port (SO_REUSEPORT); a plain one does not") {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    Result<UniqueFd> first = BindReusableSocket(*ParseSocketAddress("127.0.0.1", 0), type);
    REQUIRE(first.ok());
    uint16_t port = LocalPort(first->get());
    REQUIRE(port != 0);
    Result<UniqueFd> second = BindReusableSocket(*ParseSocketAddress("127.0.0.1", port), type);
    CHECK(second.ok());

    // A socket without SO_REUSEPORT holding a port keeps us out, and the
    // error names the address and the protocol.
    UniqueFd plain(socket(AF_INET, type, 0));
    SocketAddress any = *ParseSocketAddress("127.0.0.1", 0);
    REQUIRE(bind(plain.get(), reinterpret_cast<const sockaddr*>(&any.storage), any.length) == 0);
    uint16_t taken = LocalPort(plain.get());
    int error_number = 0;
    Result<UniqueFd> refused =
        BindReusableSocket(*ParseSocketAddress("127.0.0.1", taken), type, &error_number);
    REQUIRE_FALSE(refused.ok());
    CHECK(error_number == EADDRINUSE);
    std::string expected = "127.0.0.1:" + std::to_string(taken) +
                           (type == SOCK_DGRAM ? "/udp: " : "/tcp: ") + ErrnoText(EADDRINUSE);
    CHECK(refused.status().message() == expected);
  }
}

}  // namespace enumd::net
