// See listen_socket.h.
#include "net/listen_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace enumd::net {

namespace {

Status SocketError(const SocketAddress& address, int type, int error, int* error_number) {
  if (error_number != nullptr) *error_number = error;
  return Status::Error(address.ToString() + (type == SOCK_DGRAM ? "/udp: " : "/tcp: ") +
                       ErrnoText(error));
}

bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

void SocketAddress::set_port(uint16_t port) {
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  }
}

std::string SocketAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text,
              sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(port());
}

Result<SocketAddress> ParseSocketAddress(const std::string& host, uint16_t port) {
  SocketAddress address;
  auto* in4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    address.length = sizeof(sockaddr_in);
    return address;
  }
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    address.length = sizeof(sockaddr_in6);
    return address;
  }
  return Status::Error(host + ":" + std::to_string(port) + ": not a numeric IPv4/IPv6 address");
}

Result<UniqueFd> BindReusableSocket(const SocketAddress& address, int type, int* error_number) {
  UniqueFd fd(::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return SocketError(address, type, errno, error_number);
  if (!SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1) ||
      !SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1)) {
    return SocketError(address, type, errno, error_number);
  }
  if (address.family() == AF_INET6 && !SetIntOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
    return SocketError(address, type, errno, error_number);
  }
  if (type == SOCK_DGRAM) {
    // Never fragment on the strength of an ICMP "fragmentation needed": forged
    // ICMP could otherwise make us fragment answers, which helps cache-poisoning
    // attacks on resolvers (what BIND and Knot do too). Best effort.
#if defined(IP_MTU_DISCOVER) && defined(IP_PMTUDISC_OMIT)
    if (address.family() == AF_INET) {
      SetIntOption(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
    }
#endif
#if defined(IPV6_MTU_DISCOVER) && defined(IPV6_PMTUDISC_OMIT)
    if (address.family() == AF_INET6) {
      SetIntOption(fd.get(), IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
    }
#endif
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return SocketError(address, type, errno, error_number);
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return 0;
  SocketAddress address;
  address.storage = local;
  address.length = length;
  return address.port();
}

std::string ErrnoText(int error) {
  char buffer[128];
  // GNU strerror_r returns a pointer that may or may not be `buffer`.
  return std::string(strerror_r(error, buffer, sizeof(buffer)));
}

}  // namespace enumd::net
