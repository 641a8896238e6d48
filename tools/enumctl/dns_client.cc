// enumctl's DNS client: UDP with EDNS, TCP on TC, timeouts and retries, and
// the stub-resolver view of an answer (QueryRRset: rcodes, CNAME chains).
#include "enumctl/dns_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "dns/constants.h"
#include "dns/message_writer.h"
#include "dns/name.h"

namespace enumd::enumctl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxCnames = 8;

// Owns a socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(int err) { return std::strerror(err); }

uint16_t RandomId() {
  static std::mt19937 rng{std::random_device{}()};
  return static_cast<uint16_t>(rng());
}

// Milliseconds left until `deadline` (0 when past it).
int Remaining(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// True if the answer's question is ours (RFC 5452 §9.1); a FORMERR/NOTIMP
// may come without one, and is then matched on the ID alone.
bool QuestionMatches(const Response& r, const std::string& qname, uint16_t qtype) {
  if (!r.has_question) return r.rcode != dns::rcode::kNoError;
  return r.qtype == qtype && r.qclass == dns::rrclass::kIN &&
         dns::NameEqual(U8(r.qname), U8(qname));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, Remaining(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Reads exactly `len` bytes from a non-blocking TCP socket before the
// deadline. Returns "" or what went wrong.
std::string ReadExact(int fd, uint8_t* out, size_t len, Clock::time_point deadline) {
  size_t got = 0;
  while (got < len) {
    const ssize_t n = recv(fd, out + got, len - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return "the server closed the TCP connection";
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!WaitFor(fd, POLLIN, deadline)) return "timed out";
    } else {
      return Errno(errno);
    }
  }
  return "";
}

std::string WriteAll(int fd, const uint8_t* data, size_t len, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < len) {
    const ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!WaitFor(fd, POLLOUT, deadline)) return "timed out";
    } else {
      return n < 0 ? Errno(errno) : "send failed";
    }
  }
  return "";
}

Result<ServerAddress> Resolve(const std::string& host, const std::string& port,
                              std::string_view spec) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc == EAI_NONAME) {
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  }
  if (rc != 0 || res == nullptr) {
    return Status::Error("server '" + std::string(spec) + "': " + gai_strerror(rc));
  }
  ServerAddress out;
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.addr_len = res->ai_addrlen;
  freeaddrinfo(res);
  char text[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&out.addr), out.addr_len, text, sizeof(text), nullptr,
                  0, NI_NUMERICHOST) != 0) {
    return Status::Error("server '" + std::string(spec) + "': address not printable");
  }
  out.text = out.addr.ss_family == AF_INET6 ? "[" + std::string(text) + "]:" + port
                                            : std::string(text) + ":" + port;
  return out;
}

}  // namespace

Result<ServerAddress> ParseServer(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return Status::Error("server '" + std::string(spec) + "': " + why);
  };
  std::string host;
  std::string port = "53";
  if (!spec.empty() && spec[0] == '[') {
    const size_t close = spec.find(']');
    if (close == std::string_view::npos) return bad("no ']' after an IPv6 address");
    host = std::string(spec.substr(1, close - 1));
    std::string_view rest = spec.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("expected ':port' after ']'");
      port = std::string(rest.substr(1));
    }
  } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
    const size_t colon = spec.find(':');
    host = std::string(spec.substr(0, colon));
    port = std::string(spec.substr(colon + 1));
  } else {
    host = std::string(spec);  // a name, an IPv4 address or a bare IPv6 address
  }
  if (host.empty()) return bad("no host");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return bad("the port must be a number from 1 to 65535");
  }
  return Resolve(host, std::to_string(std::stoi(port)), spec);
}

Result<ServerAddress> SystemServer(const std::string& resolv_conf) {
  std::ifstream in(resolv_conf);
  std::string line;
  while (in && std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key) || key != "nameserver" || !(words >> value)) continue;
    auto server = ParseServer(value);
    if (!server.ok()) return server.status().Prefixed(resolv_conf);
    return server;
  }
  return ParseServer("127.0.0.1");  // glibc's resolver: no nameserver line -> local host
}

std::vector<uint8_t> BuildQuery(uint16_t id, const std::string& qname, uint16_t qtype,
                                uint16_t edns_size) {
  std::vector<uint8_t> buf(dns::kMaxUdpNoEdns);
  dns::MessageWriter w(buf.data(), buf.size(), buf.size());
  w.Start(id, dns::flag::kRD, U8(qname), qtype, dns::rrclass::kIN);
  if (edns_size != 0) w.AddOpt(edns_size, 0, 0, false);
  buf.resize(w.Finish());
  return buf;
}

DnsClient::DnsClient(ServerAddress server, ClientOptions options)
    : server_(std::move(server)), options_(options) {}

Result<Exchange> DnsClient::Query(const std::string& qname, uint16_t qtype) {
  Exchange ex;
  ex.transport.name = DisplayName(qname);
  ex.transport.type = qtype;
  if (!options_.tcp_only) {
    auto udp = OverUdp(qname, qtype);
    if (!udp.ok()) return udp.status();
    if (!udp->truncated()) {
      ex.response = std::move(*udp);
      return ex;
    }
    ex.transport.truncated_udp = true;  // RFC 1035 §4.2.1, RFC 7766 §5: ask again over TCP
  }
  auto tcp = OverTcp(qname, qtype);
  if (!tcp.ok()) {
    return ex.transport.truncated_udp
               ? tcp.status().Prefixed("the UDP answer was truncated (TC) and TCP failed")
               : tcp.status();
  }
  ex.transport.tcp = true;
  ex.response = std::move(*tcp);
  return ex;
}

Result<Response> DnsClient::OverUdp(const std::string& qname, uint16_t qtype) {
  const int tries = options_.retries + 1;
  bool refused = false;
  std::string last = "timed out";
  std::vector<uint8_t> buf(dns::kMaxMessage);
  for (int attempt = 0; attempt < tries; ++attempt) {
    const uint16_t id = RandomId();
    const std::vector<uint8_t> query = BuildQuery(id, qname, qtype, options_.edns_size);
    Fd fd(socket(server_.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return Status::Error("UDP socket: " + Errno(errno));
    // A connected socket takes datagrams from the server's address only and
    // reports ICMP port unreachable as ECONNREFUSED.
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&server_.addr), server_.addr_len) < 0) {
      return Status::Error(server_.text + ": " + Errno(errno));
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    if (send(fd.get(), query.data(), query.size(), 0) < 0) {
      refused = errno == ECONNREFUSED;
      last = Errno(errno);
      continue;
    }
    for (;;) {
      if (!WaitFor(fd.get(), POLLIN, deadline)) {
        last = "timed out";
        break;
      }
      const ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        refused = errno == ECONNREFUSED;
        last = Errno(errno);
        break;
      }
      const size_t len = static_cast<size_t>(n);
      // Not ours (another ID, or not a response): keep waiting.
      if (len < 2 || buf[0] != (id >> 8) || buf[1] != (id & 0xFF)) continue;
      auto resp = ParseResponse(buf.data(), len);
      if (!resp.ok()) return resp.status().Prefixed("bad answer from " + server_.text);
      if (!QuestionMatches(*resp, qname, qtype)) continue;
      return resp;
    }
  }
  if (refused) {
    return Status::Error(server_.text +
                         ": connection refused (nothing listening on UDP port?) after " +
                         std::to_string(tries) + " tries");
  }
  return Status::Error("no answer from " + server_.text + ": " + last + " (" +
                       std::to_string(tries) + " tries of " + std::to_string(options_.timeout_ms) +
                       " ms)");
}

Result<Response> DnsClient::OverTcp(const std::string& qname, uint16_t qtype) {
  const int tries = options_.retries + 1;
  std::string last;
  for (int attempt = 0; attempt < tries; ++attempt) {
    const uint16_t id = RandomId();
    const std::vector<uint8_t> query = BuildQuery(id, qname, qtype, options_.edns_size);
    std::vector<uint8_t> framed{static_cast<uint8_t>(query.size() >> 8),
                                static_cast<uint8_t>(query.size() & 0xFF)};
    framed.insert(framed.end(), query.begin(), query.end());
    Fd fd(socket(server_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return Status::Error("TCP socket: " + Errno(errno));
    const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&server_.addr), server_.addr_len) < 0) {
      if (errno != EINPROGRESS) {
        last = Errno(errno);
        continue;
      }
      int err = 0;
      socklen_t err_len = sizeof(err);
      if (!WaitFor(fd.get(), POLLOUT, deadline)) {
        last = "connect timed out";
        continue;
      }
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
      if (err != 0) {
        last = Errno(err);
        continue;
      }
    }
    std::string problem = WriteAll(fd.get(), framed.data(), framed.size(), deadline);
    uint8_t len_bytes[2];
    if (problem.empty()) problem = ReadExact(fd.get(), len_bytes, 2, deadline);
    std::vector<uint8_t> msg;
    if (problem.empty()) {
      msg.resize(static_cast<size_t>(len_bytes[0] << 8 | len_bytes[1]));
      problem = ReadExact(fd.get(), msg.data(), msg.size(), deadline);
    }
    if (!problem.empty()) {
      last = problem;
      continue;
    }
    auto resp = ParseResponse(msg.data(), msg.size());
    if (!resp.ok()) return resp.status().Prefixed("bad TCP answer from " + server_.text);
    if (resp->id != id || !QuestionMatches(*resp, qname, qtype)) {
      return Status::Error("bad TCP answer from " + server_.text +
                           ": not an answer to the question asked");
    }
    return resp;
  }
  return Status::Error("TCP to " + server_.text + ": " + last + " (" + std::to_string(tries) +
                       " tries of " + std::to_string(options_.timeout_ms) + " ms)");
}

Result<RRsetAnswer> QueryRRset(Resolver& resolver, const std::string& qname, uint16_t qtype,
                               std::vector<TransportEvent>* transport) {
  RRsetAnswer out;
  std::string name = qname;
  std::vector<std::string> seen{qname};
  for (;;) {
    auto ex = resolver.Query(name, qtype);
    if (!ex.ok()) return ex.status();
    if (ex->transport.tcp) transport->push_back(ex->transport);
    const Response& r = ex->response;
    const std::string question = DisplayName(name) + " " + TypeName(qtype);
    if (r.rcode == dns::rcode::kServFail) {
      return Status::Error("SERVFAIL for " + question + ": the server could not answer");
    }
    if (r.rcode == dns::rcode::kRefused) {
      return Status::Error("REFUSED for " + question +
                           ": the server is not authoritative for it and does not recurse");
    }
    if (r.rcode != dns::rcode::kNoError && r.rcode != dns::rcode::kNXDomain) {
      return Status::Error(RcodeName(r.rcode) + " for " + question);
    }
    // Follow the CNAME chain inside the answer (RFC 1034 §3.6.2).
    std::string cur = name;
    for (;;) {
      bool found = false;
      for (const Record& rec : r.answer) {
        if (rec.type == qtype && rec.rrclass == dns::rrclass::kIN &&
            dns::NameEqual(U8(rec.owner), U8(cur))) {
          out.records.push_back(rec);
          found = true;
        }
      }
      if (found) {
        out.kind = RRsetAnswer::Kind::kFound;
        out.owner = cur;
        out.additional = r.additional;
        return out;
      }
      const Record* cname = nullptr;
      for (const Record& rec : r.answer) {
        if (rec.type == dns::type::kCNAME && dns::NameEqual(U8(rec.owner), U8(cur))) cname = &rec;
      }
      if (cname == nullptr) break;
      std::string next = dns::WireName(cname->target);
      for (const std::string& s : seen) {
        if (dns::NameEqual(U8(s), U8(next))) {
          return Status::Error("CNAME loop at " + DisplayName(next) + " for " + question);
        }
      }
      if (static_cast<int>(out.chain.size()) >= kMaxCnames) {
        return Status::Error("more than " + std::to_string(kMaxCnames) + " CNAMEs for " +
                             DisplayName(qname));
      }
      seen.push_back(next);
      out.chain.push_back(DisplayName(next));
      cur = next;
    }
    if (r.rcode == dns::rcode::kNXDomain) {
      out.kind = RRsetAnswer::Kind::kNxDomain;
      out.owner = cur;
      return out;
    }
    if (cur != name) {
      // The chain left the data this server sent (an authoritative server
      // stops at its zone's edge): ask for the last target.
      name = cur;
      continue;
    }
    out.kind = RRsetAnswer::Kind::kNoData;
    out.owner = cur;
    return out;
  }
}

}  // namespace enumd::enumctl
