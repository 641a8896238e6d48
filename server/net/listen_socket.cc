// See listen_socket.h.
#include "net/listen_socket.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace enumd::net {

namespace {

constexpr int kUdpReceiveBuffer = 4 << 20;  // bytes asked for; the kernel doubles it

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
  char text[INET6_ADDRSTRLEN + 2] = "?";
  if (family() == AF_INET6) {
    text[0] = '[';
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text + 1,
              INET6_ADDRSTRLEN);
    std::strcat(text, "]");
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text,
              sizeof(text));
  }
  // Appended, not built with operator+: g++ 12 -O3 warns (-Wrestrict) on that.
  std::string out(text);
  out += ':';
  out += std::to_string(port());
  return out;
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
  // A UDP socket blocks: its UdpListener thread waits in recvmmsg. libuv
  // wants its TCP sockets non-blocking.
  const int flags = type == SOCK_STREAM ? SOCK_NONBLOCK | SOCK_CLOEXEC : SOCK_CLOEXEC;
  UniqueFd fd(::socket(address.family(), type | flags, 0));
  if (!fd.valid()) return SocketError(address, type, errno, error_number);
  if (!SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1) ||
      !SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1)) {
    return SocketError(address, type, errno, error_number);
  }
  if (address.family() == AF_INET6 && !SetIntOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
    return SocketError(address, type, errno, error_number);
  }
  if (type == SOCK_DGRAM) {
    // Room for bursts while the worker is busy or descheduled: the default
    // (~208 KiB) holds only some 250 small datagrams from loopback. Beyond
    // net.core.rmem_max only with CAP_NET_ADMIN (FORCE); best effort.
    if (!SetIntOption(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, kUdpReceiveBuffer)) {
      SetIntOption(fd.get(), SOL_SOCKET, SO_RCVBUF, kUdpReceiveBuffer);
    }
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

namespace {

// SteerUdpByName's hash: three 32-bit words of the QNAME, each OR 0x20 (ASCII
// letters lowercased; digits and the usual label lengths 1-31 unchanged in
// effect), combined with multiply-xor steps; the middle bits of the product.
// The program and UdpSocketForDatagram share these.
constexpr uint32_t kFold = 0x20202020u;
constexpr uint32_t kMultipliers[3] = {0x9e3779b1u, 0x85ebca77u, 0xc2b2ae3du};
constexpr uint32_t kFirstWord = 12;  // the QNAME's first byte
constexpr uint32_t kShortest = kFirstWord + 12;

}  // namespace

Status SteerUdpByName(int fd, int sockets) {
  if (sockets < 1) return Status::Error("no sockets to steer to");
  // The kernel runs the program on the datagram's payload (the UDP header
  // pulled off) and takes its result as the socket's index; one out of range
  // (0xffffffff, for short datagrams) makes it fall back to the 4-tuple hash.
  const auto k = [](uint16_t code, uint32_t value) { return sock_filter{code, 0, 0, value}; };
  sock_filter program[] = {
      k(BPF_LD | BPF_W | BPF_LEN, 0),
      {BPF_JMP | BPF_JGE | BPF_K, 1, 0, kShortest},
      k(BPF_RET | BPF_K, 0xffffffffu),
      k(BPF_LD | BPF_W | BPF_ABS, kFirstWord),
      k(BPF_ALU | BPF_OR | BPF_K, kFold),
      k(BPF_ALU | BPF_MUL | BPF_K, kMultipliers[0]),
      k(BPF_MISC | BPF_TAX, 0),
      k(BPF_LD | BPF_W | BPF_ABS, kFirstWord + 4),
      k(BPF_ALU | BPF_OR | BPF_K, kFold),
      k(BPF_ALU | BPF_XOR | BPF_X, 0),
      k(BPF_ALU | BPF_MUL | BPF_K, kMultipliers[1]),
      k(BPF_MISC | BPF_TAX, 0),
      k(BPF_LD | BPF_W | BPF_ABS, kFirstWord + 8),
      k(BPF_ALU | BPF_OR | BPF_K, kFold),
      k(BPF_ALU | BPF_XOR | BPF_X, 0),
      k(BPF_ALU | BPF_MUL | BPF_K, kMultipliers[2]),
      k(BPF_ALU | BPF_RSH | BPF_K, 16),
      k(BPF_ALU | BPF_MOD | BPF_K, static_cast<uint32_t>(sockets)),
      k(BPF_RET | BPF_A, 0),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(program) / sizeof(program[0])), program};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0) {
    return Status::Error(std::string("SO_ATTACH_REUSEPORT_CBPF: ").append(ErrnoText(errno)));
  }
  return Status::OK();
}

int UdpSocketForDatagram(const uint8_t* datagram, size_t len, int sockets) noexcept {
  if (sockets < 1 || len < kShortest) return -1;
  uint32_t x = 0;
  for (int i = 0; i < 3; ++i) {
    // BPF_ABS word loads are big-endian.
    const uint8_t* p = datagram + kFirstWord + 4 * i;
    const uint32_t word =
        (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]}) |
        kFold;
    x = (word ^ x) * kMultipliers[i];
  }
  return static_cast<int>((x >> 16) % static_cast<uint32_t>(sockets));
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
