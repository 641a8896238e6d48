// Listening sockets before libuv sees them: parsing a numeric listen address,
// and creating a socket bound with SO_REUSEPORT so that every worker can bind
// the same address and the kernel spreads datagrams and connections across
// them (libuv 1.44 cannot set SO_REUSEPORT itself, so we bind here and hand
// the descriptor over with uv_udp_open / uv_tcp_open).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace enumd::net {

// Owns a file descriptor; closes it on destruction unless released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

// A numeric IPv4 or IPv6 address with a port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  uint16_t port() const;
  void set_port(uint16_t port);
  // "192.0.2.1:53" or "[2001:db8::1]:53".
  std::string ToString() const;
};

// Parses a numeric host ("127.0.0.1", "::1", "::"); no name resolution.
Result<SocketAddress> ParseSocketAddress(const std::string& host, uint16_t port);

// Creates a close-on-exec socket of `type` (SOCK_DGRAM, blocking, or
// SOCK_STREAM, non-blocking) with SO_REUSEADDR and SO_REUSEPORT (and IPV6_V6ONLY for IPv6,
// so "[::]" and "0.0.0.0" can be listed side by side) and binds it to
// `address`. Does not listen. Errors read "HOST:PORT/udp: <reason>"; the
// errno value is also stored in `*error_number` if given.
Result<UniqueFd> BindReusableSocket(const SocketAddress& address, int type,
                                    int* error_number = nullptr);

// Makes the kernel pick the socket of a UDP SO_REUSEPORT group by the query
// name instead of by the 4-tuple: a classic BPF program on the group hashes
// the first 12 bytes of the QNAME (bytes 12-23 of the datagram, case folded)
// to an index in [0, sockets). `fd` is any socket of the group, which must
// hold exactly `sockets` sockets, bound in the order of their indexes.
// Datagrams shorter than 24 bytes get the kernel's own 4-tuple choice.
Status SteerUdpByName(int fd, int sockets);
// The index SteerUdpByName's program gives `datagram` (from the DNS header
// on) in a group of `sockets`; -1 where the kernel decides by the 4-tuple.
// So a worker's node cache can be filled with the names it will be asked.
int UdpSocketForDatagram(const uint8_t* datagram, size_t len, int sockets) noexcept;

// The port a bound socket ended up on (for port 0), or 0 on error.
uint16_t LocalPort(int fd);

// strerror as a std::string, thread-safe.
std::string ErrnoText(int error);

}  // namespace enumd::net
