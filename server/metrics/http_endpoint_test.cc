#include "metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

namespace enumd::metrics {
namespace {

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends `request`, returns everything until the server closes.
std::string Exchange(uint16_t port, const std::string& request) {
  int fd = Connect(port);
  if (!request.empty()) REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

const std::string kBody = "# HELP enumd_up Up.\n# TYPE enumd_up gauge\nenumd_up 1\n";

std::unique_ptr<HttpEndpoint> StartEndpoint(std::atomic<int>* renders) {
  auto e = HttpEndpoint::Start("127.0.0.1", 0, [renders] {
    ++*renders;
    return kBody;
  });
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  REQUIRE(e->get()->port() != 0);
  return std::move(e.value());
}

TEST_CASE("HttpEndpoint: GET /metrics gets the text format") {
  std::atomic<int> renders{0};
  auto e = StartEndpoint(&renders);
  std::string r = Exchange(e->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
  CHECK(r.find("Content-Length: " + std::to_string(kBody.size()) + "\r\n") != std::string::npos);
  CHECK(r.substr(r.size() - kBody.size() - 4) == "\r\n\r\n" + kBody);
  // HTTP/1.0 and a query string work too.
  r = Exchange(e->port(), "GET /metrics?x=1 HTTP/1.0\n\n");
  CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(renders == 2);
  CHECK(e->scrapes() == 2);
}

TEST_CASE("HttpEndpoint: HEAD, other targets, other methods, garbage") {
  std::atomic<int> renders{0};
  auto e = StartEndpoint(&renders);
  std::string r = Exchange(e->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");  // headers only
  CHECK(Exchange(e->port(), "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 ", 0) == 0);
  r = Exchange(e->port(), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 405 ", 0) == 0);
  CHECK(r.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(Exchange(e->port(), "hello\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(Exchange(e->port(), std::string(20000, 'a')).rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(renders == 1);
}

TEST_CASE("HttpEndpoint: a client that says nothing holds it up 2 s at most") {
  std::atomic<int> renders{0};
  auto e = StartEndpoint(&renders);
  int silent = Connect(e->port());
  const auto t0 = std::chrono::steady_clock::now();
  std::string r = Exchange(e->port(), "GET /metrics HTTP/1.1\r\n\r\n");
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(waited < 3.0);
  close(silent);
}

TEST_CASE("HttpEndpoint: Stop is prompt and idempotent; the port is then free") {
  std::atomic<int> renders{0};
  auto e = StartEndpoint(&renders);
  const uint16_t port = e->port();
  const auto t0 = std::chrono::steady_clock::now();
  e->Stop();
  e->Stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
  auto again = HttpEndpoint::Start("127.0.0.1", port, [] { return std::string(); });
  CHECK_MESSAGE(again.ok(), again.status().message());
}

TEST_CASE("HttpEndpoint: errors name the address") {
  auto bad = HttpEndpoint::Start("localhost", 0, [] { return std::string(); });
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "metrics: not a numeric IPv4 address: localhost");
  std::atomic<int> renders{0};
  auto e = StartEndpoint(&renders);
  auto taken = HttpEndpoint::Start("127.0.0.1", e->port(), [] { return std::string(); });
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.status().message().find("metrics: 127.0.0.1:" + std::to_string(e->port()) +
                                      "/tcp: ") == 0);
}

}  // namespace
}  // namespace enumd::metrics
