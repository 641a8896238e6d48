// Test support for server/net: a fake QueryHandler whose answers are easy to
// check, plain POSIX clients (blocking sockets with poll timeouts, so a broken
// server fails a test instead of hanging it), and a server fixture.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/byte_order.h"
#include "net/listen_socket.h"
#include "net/server.h"

// Starts `server` (a net::Server); if it cannot, the test stops and says why
// (a bare REQUIRE(...ok()) prints only "false").
#define REQUIRE_STARTED(server)                         \
  do {                                                  \
    const ::enumd::Status started_ = (server).Start();  \
    REQUIRE_MESSAGE(started_.ok(), started_.message()); \
  } while (0)

namespace enumd::net::testing {

using Bytes = std::vector<uint8_t>;

// The fake handler's protocol (the first query byte is a command):
//   kNoReply         -> no answer (Handle returns 0)
//   kBig, hi, lo     -> an answer of (hi << 8 | lo) bytes: the query, then
//                       bytes i & 0xff for every later position i
//   anything else    -> the query, then the transport ('U' or 'T') and the
//                       worker's index
constexpr uint8_t kNoReply = 'N';
constexpr uint8_t kBig = 'B';

class FakeHandler : public QueryHandler {
 public:
  FakeHandler(int worker, std::atomic<int>* queries) : worker_(worker), queries_(queries) {}

  size_t Handle(const uint8_t* query, size_t len, uint8_t* out, size_t out_cap, Transport transport,
                const sockaddr* peer) noexcept override {
    if (queries_ != nullptr) queries_->fetch_add(1);
    if (len == 0 || query[0] == kNoReply || peer == nullptr || out_cap < 65535) return 0;
    if (query[0] == kBig && len >= 3) {
      size_t size = (static_cast<size_t>(query[1]) << 8) | query[2];
      for (size_t i = 0; i < size; ++i) out[i] = i < len ? query[i] : static_cast<uint8_t>(i);
      return size;
    }
    std::memcpy(out, query, len);
    out[len] = transport == Transport::kUdp ? 'U' : 'T';
    out[len + 1] = static_cast<uint8_t>(worker_);
    return len + 2;
  }

 private:
  int worker_;
  std::atomic<int>* queries_;
};

inline Server::HandlerFactory FakeFactory(std::atomic<int>* queries = nullptr) {
  return [queries](const HandlerRole& role) {
    return std::make_unique<FakeHandler>(role.worker, queries);
  };
}

inline Bytes Query(const std::string& text) { return Bytes(text.begin(), text.end()); }

inline Bytes BigQuery(uint16_t answer_size) {
  return Bytes{kBig, static_cast<uint8_t>(answer_size >> 8), static_cast<uint8_t>(answer_size)};
}

// What FakeHandler answers to an ordinary query.
inline Bytes Echo(const Bytes& query, char transport) {
  Bytes answer = query;
  answer.push_back(static_cast<uint8_t>(transport));
  return answer;  // the worker index byte is checked separately
}

inline Bytes Framed(const Bytes& message) {
  Bytes framed(2 + message.size());
  Store16(framed.data(), static_cast<uint16_t>(message.size()));
  std::copy(message.begin(), message.end(), framed.begin() + 2);
  return framed;
}

inline bool Ipv6LoopbackAvailable() {
  Result<SocketAddress> address = ParseSocketAddress("::1", 0);
  return address.ok() && BindReusableSocket(*address, SOCK_DGRAM).ok();
}

inline SocketAddress Address(const std::string& host, uint16_t port) {
  return *ParseSocketAddress(host, port);
}

inline bool WaitReadable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

class UdpClient {
 public:
  explicit UdpClient(const std::string& host)
      : fd_(socket(Address(host, 0).family(), SOCK_DGRAM, 0)) {}

  bool Send(const std::string& host, uint16_t port, const Bytes& message) {
    SocketAddress to = Address(host, port);
    return sendto(fd_.get(), message.data(), message.size(), 0,
                  reinterpret_cast<const sockaddr*>(&to.storage),
                  to.length) == static_cast<ssize_t>(message.size());
  }

  std::optional<Bytes> Receive(int timeout_ms = 2000) {
    if (!WaitReadable(fd_.get(), timeout_ms)) return std::nullopt;
    Bytes buffer(65536);
    ssize_t n = recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    return buffer;
  }

 private:
  UniqueFd fd_;
};

class TcpClient {
 public:
  // Connects (blocking); check connected().
  TcpClient(const std::string& host, uint16_t port) {
    SocketAddress to = Address(host, port);
    fd_ = UniqueFd(socket(to.family(), SOCK_STREAM, 0));
    int one = 1;
    setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connected_ = connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to.storage), to.length) == 0;
  }

  bool connected() const { return connected_; }
  int fd() const { return fd_.get(); }

  bool Write(const Bytes& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void ShutdownWrite() { shutdown(fd_.get(), SHUT_WR); }

  // Reads exactly `n` bytes, or nothing if the connection ends or times out.
  std::optional<Bytes> ReadExact(size_t n, int timeout_ms = 2000) {
    Bytes buffer(n);
    size_t done = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (done < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !WaitReadable(fd_.get(), static_cast<int>(left.count()))) {
        return std::nullopt;
      }
      ssize_t got = recv(fd_.get(), buffer.data() + done, n - done, 0);
      if (got <= 0) return std::nullopt;
      done += static_cast<size_t>(got);
    }
    return buffer;
  }

  // Reads one length-prefixed message.
  std::optional<Bytes> ReadMessage(int timeout_ms = 2000) {
    std::optional<Bytes> prefix = ReadExact(2, timeout_ms);
    if (!prefix) return std::nullopt;
    return ReadExact((static_cast<size_t>((*prefix)[0]) << 8) | (*prefix)[1], timeout_ms);
  }

  // True if the server closes the connection (EOF or reset) within the
  // timeout; data still arriving before the close is skipped.
  bool WaitClosed(int timeout_ms = 2000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    uint8_t sink[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !WaitReadable(fd_.get(), static_cast<int>(left.count()))) {
        return false;
      }
      if (recv(fd_.get(), sink, sizeof(sink), 0) <= 0) return true;
    }
  }

 private:
  UniqueFd fd_;
  bool connected_ = false;
};

inline ServerOptions Options(const std::string& host, int workers, bool udp = true,
                             bool tcp = true) {
  ServerOptions options;
  Endpoint endpoint;
  endpoint.host = host;
  endpoint.port = 0;
  endpoint.udp = udp;
  endpoint.tcp = tcp;
  options.endpoints.push_back(endpoint);
  options.workers = workers;
  return options;
}

// Hosts to test on: IPv4 loopback, and IPv6 loopback where available.
inline std::vector<std::string> LoopbackHosts() {
  std::vector<std::string> hosts{"127.0.0.1"};
  if (Ipv6LoopbackAvailable()) hosts.push_back("::1");
  return hosts;
}

}  // namespace enumd::net::testing
