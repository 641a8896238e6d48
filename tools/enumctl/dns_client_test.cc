// Tests of the DNS client: server addresses, resolv.conf, the query it
// sends, and real exchanges with a scripted server on loopback: TC over UDP
// repeated over TCP, answers that are not ours ignored, timeouts, QueryRRset's
// reading of rcodes and CNAMEs.
#include "enumctl/dns_client.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "dns/constants.h"
#include "dns/message_reader.h"
#include "dns/message_writer.h"
#include "dns/name.h"
#include "enumctl/fake_resolver_test.h"

namespace enumd::enumctl {
namespace {

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string TempFile(const std::string& text) {
  char path[] = "/tmp/enumctl-resolv-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

// A server on 127.0.0.1 (UDP and TCP on one port) that answers per a script:
// `udp(query)` returns the datagrams to send back for a UDP query, `tcp(query)`
// the one message for a TCP query. Runs until destroyed.
class ScriptedServer {
 public:
  using Script = std::function<std::vector<std::vector<uint8_t>>(const dns::ParsedQuery&)>;

  ScriptedServer(Script udp, Script tcp)
      : udp_script_(std::move(udp)), tcp_script_(std::move(tcp)) {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      tcp_fd_ = socket(AF_INET, SOCK_STREAM, 0);
      const int one = 1;
      setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof(a);
      REQUIRE(bind(tcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
      getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&a), &len);
      udp_fd_ = socket(AF_INET, SOCK_DGRAM, 0);
      if (bind(udp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
        port_ = ntohs(a.sin_port);
      } else {
        close(udp_fd_);
        close(tcp_fd_);
      }
    }
    REQUIRE(port_ != 0);
    REQUIRE(listen(tcp_fd_, 4) == 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    close(udp_fd_);
    close(tcp_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::atomic<int> udp_queries{0};  // written by the server thread
  std::atomic<int> tcp_queries{0};

 private:
  void Run() {
    std::vector<uint8_t> buf(65535);
    while (!stop_) {
      pollfd p[2] = {{udp_fd_, POLLIN, 0}, {tcp_fd_, POLLIN, 0}};
      if (poll(p, 2, 20) <= 0) continue;
      if (p[0].revents & POLLIN) {
        sockaddr_storage peer{};
        socklen_t plen = sizeof(peer);
        const ssize_t n =
            recvfrom(udp_fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &plen);
        dns::ParsedQuery q;
        if (n > 0 &&
            dns::ParseQuery(buf.data(), static_cast<size_t>(n), &q) == dns::ParseOutcome::kOk) {
          ++udp_queries;
          for (const auto& reply : udp_script_(q)) {
            sendto(udp_fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                   plen);
          }
        }
      }
      if (p[1].revents & POLLIN) {
        const int c = accept(tcp_fd_, nullptr, nullptr);
        uint8_t len_bytes[2];
        if (c >= 0 && recv(c, len_bytes, 2, MSG_WAITALL) == 2) {
          const size_t len = static_cast<size_t>(len_bytes[0] << 8 | len_bytes[1]);
          dns::ParsedQuery q;
          if (recv(c, buf.data(), len, MSG_WAITALL) == static_cast<ssize_t>(len) &&
              dns::ParseQuery(buf.data(), len, &q) == dns::ParseOutcome::kOk) {
            ++tcp_queries;
            for (const auto& reply : tcp_script_(q)) {
              const uint8_t prefix[2] = {static_cast<uint8_t>(reply.size() >> 8),
                                         static_cast<uint8_t>(reply.size() & 0xFF)};
              send(c, prefix, 2, MSG_NOSIGNAL);
              send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            }
          }
        }
        if (c >= 0) close(c);
      }
    }
  }

  Script udp_script_, tcp_script_;
  int udp_fd_ = -1, tcp_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An answer to `q`: `flags` over QR, `naptrs` NAPTR records "u" "E2U+sip"
// with URIs sip:N@example, the question as asked unless `qname` says otherwise.
std::vector<uint8_t> Answer(const dns::ParsedQuery& q, uint16_t flags, int naptrs,
                            uint16_t id_delta = 0, const std::string& qname = "") {
  std::vector<uint8_t> buf(65535);
  dns::MessageWriter w(buf.data(), buf.size(), buf.size());
  const std::string name = qname.empty()
                               ? std::string(reinterpret_cast<const char*>(q.qname), q.qname_len)
                               : dns::WireName(qname);
  w.Start(static_cast<uint16_t>(q.id + id_delta), dns::flag::kQR | flags, U8(name), q.qtype,
          dns::rrclass::kIN);
  for (int i = 0; i < naptrs; ++i) {
    std::string rd = std::string("\x00\x0a\x00\x64", 4) +
                     "\x01"
                     "u"
                     "\x07"
                     "E2U+sip";
    const std::string re = "!^.*$!sip:" + std::to_string(i) + "@example!";
    rd += static_cast<char>(re.size());
    rd += re;
    rd += '\0';
    w.AddRR(dns::Section::kAnswer, U8(name), dns::type::kNAPTR, dns::rrclass::kIN, 60, U8(rd),
            static_cast<uint16_t>(rd.size()));
  }
  buf.resize(w.Finish());
  return buf;
}

ClientOptions Fast() {
  ClientOptions o;
  o.timeout_ms = 300;
  o.retries = 1;
  return o;
}

}  // namespace

TEST_CASE("ParseServer: host, host:port, [v6]:port, bare v6") {
  CHECK(ParseServer("127.0.0.1")->text == "127.0.0.1:53");
  CHECK(ParseServer("127.0.0.1:5300")->text == "127.0.0.1:5300");
  CHECK(ParseServer("[::1]:5300")->text == "[::1]:5300");
  CHECK(ParseServer("[::1]")->text == "[::1]:53");
  CHECK(ParseServer("::1")->text == "[::1]:53");
  CHECK(ParseServer("2001:db8::53")->text == "[2001:db8::53]:53");
  CHECK(ParseServer("localhost:5300").ok());
  CHECK(ParseServer("127.0.0.1:5300")->addr.ss_family == AF_INET);
  CHECK(ParseServer("[::1]:5300")->addr.ss_family == AF_INET6);
  for (const char* bad : {"", ":53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:5x",
                          "[::1", "[::1]5300", "[]:53", "[::1]:", "no-such-host.invalid"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseServer(bad).ok());
  }
  CHECK(ParseServer("127.0.0.1:0").status().message() ==
        "server '127.0.0.1:0': the port must be a number from 1 to 65535");
}

TEST_CASE("SystemServer reads the first nameserver of resolv.conf") {
  const std::string conf = TempFile(
      "# generated\n; comment\nsearch example.net\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n");
  CHECK(SystemServer(conf)->text == "192.0.2.53:53");
  const std::string v6 = TempFile("options edns0\nnameserver 2001:db8::1\n");
  CHECK(SystemServer(v6)->text == "[2001:db8::1]:53");
  const std::string none = TempFile("search example.net\n");
  CHECK(SystemServer(none)->text == "127.0.0.1:53");  // glibc's default
  CHECK(SystemServer("/nonexistent/resolv.conf")->text == "127.0.0.1:53");
  const std::string bad = TempFile("nameserver 999.1.2.3.4\n");
  CHECK_FALSE(SystemServer(bad).ok());
  for (const auto& p : {conf, v6, none, bad}) unlink(p.c_str());
}

TEST_CASE("BuildQuery: RD, one question, EDNS 1232") {
  const std::string name = dns::WireName("3.1.9.0.0.5.5.5.3.1.6.e164.arpa.");
  const auto q = BuildQuery(0xBEEF, name, dns::type::kNAPTR, 1232);
  dns::ParsedQuery p;
  REQUIRE(dns::ParseQuery(q.data(), q.size(), &p) == dns::ParseOutcome::kOk);
  CHECK(p.id == 0xBEEF);
  CHECK((p.flags & dns::flag::kRD) != 0);
  CHECK(p.qtype == dns::type::kNAPTR);
  CHECK(p.qclass == dns::rrclass::kIN);
  CHECK(p.edns.present);
  CHECK(p.edns.udp_size == 1232);
  CHECK(dns::NameEqual(p.qname, U8(name)));
  const auto plain = BuildQuery(1, name, dns::type::kNAPTR, 0);
  REQUIRE(dns::ParseQuery(plain.data(), plain.size(), &p) == dns::ParseOutcome::kOk);
  CHECK_FALSE(p.edns.present);
}

TEST_CASE("UDP answer with TC: asked again over TCP; strangers ignored") {
  ScriptedServer server(
      [](const dns::ParsedQuery& q) {
        // Another ID, then our ID with another question (both must be
        // ignored, RFC 5452 §9.1), then the truncated answer.
        return std::vector<std::vector<uint8_t>>{
            Answer(q, 0, 1, 1), Answer(q, 0, 1, 0, "other.example."), Answer(q, dns::flag::kTC, 0)};
      },
      [](const dns::ParsedQuery& q) {
        return std::vector<std::vector<uint8_t>>{Answer(q, dns::flag::kAA, 30)};
      });
  DnsClient client(*ParseServer(server.address()), Fast());
  auto ex = client.Query(dns::WireName("big.example."), dns::type::kNAPTR);
  REQUIRE(ex.ok());
  CHECK(ex->transport.truncated_udp);
  CHECK(ex->transport.tcp);
  CHECK(ex->response.answer.size() == 30);
  CHECK(server.udp_queries == 1);
  CHECK(server.tcp_queries == 1);
}

TEST_CASE("--tcp skips UDP; a plain UDP answer stays on UDP") {
  ScriptedServer server(
      [](const dns::ParsedQuery& q) {
        return std::vector<std::vector<uint8_t>>{Answer(q, dns::flag::kAA, 2)};
      },
      [](const dns::ParsedQuery& q) {
        return std::vector<std::vector<uint8_t>>{Answer(q, dns::flag::kAA, 3)};
      });
  DnsClient udp(*ParseServer(server.address()), Fast());
  auto a = udp.Query(dns::WireName("x.example."), dns::type::kNAPTR);
  REQUIRE(a.ok());
  CHECK_FALSE(a->transport.tcp);
  CHECK(a->response.answer.size() == 2);
  ClientOptions tcp_only = Fast();
  tcp_only.tcp_only = true;
  DnsClient tcp(*ParseServer(server.address()), tcp_only);
  auto b = tcp.Query(dns::WireName("x.example."), dns::type::kNAPTR);
  REQUIRE(b.ok());
  CHECK(b->transport.tcp);
  CHECK_FALSE(b->transport.truncated_udp);
  CHECK(b->response.answer.size() == 3);
  CHECK(server.udp_queries == 1);
}

TEST_CASE("a server that never answers: timeout after every try") {
  ScriptedServer server(
      [](const dns::ParsedQuery&) { return std::vector<std::vector<uint8_t>>{}; },
      [](const dns::ParsedQuery&) { return std::vector<std::vector<uint8_t>>{}; });
  DnsClient client(*ParseServer(server.address()), Fast());
  const auto start = std::chrono::steady_clock::now();
  auto r = client.Query(dns::WireName("x.example."), dns::type::kNAPTR);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "no answer from " + server.address() + ": timed out (2 tries of 300 ms)");
  CHECK(ms >= 550);
  CHECK(ms < 3000);
  CHECK(server.udp_queries == 2);
}

TEST_CASE("a malformed answer with our ID is an error") {
  ScriptedServer server(
      [](const dns::ParsedQuery& q) {
        auto a = Answer(q, 0, 1);
        a.push_back(0);  // trailing byte
        return std::vector<std::vector<uint8_t>>{a};
      },
      [](const dns::ParsedQuery&) { return std::vector<std::vector<uint8_t>>{}; });
  DnsClient client(*ParseServer(server.address()), Fast());
  auto r = client.Query(dns::WireName("x.example."), dns::type::kNAPTR);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("bad answer from 127.0.0.1:") == 0);
}

TEST_CASE("QueryRRset: rcodes and CNAME chains") {
  testing::FakeResolver dns;
  std::vector<TransportEvent> transport;
  const auto name = [](const char* text) { return dns::WireName(text); };
  dns.Rcode("refused.example", dns::rcode::kRefused);
  dns.Rcode("notimp.example", dns::rcode::kNotImp);
  dns.Cname("a.example", "b.example");
  dns.Cname("b.example", "c.example");
  dns.Address("c.example", "192.0.2.1");
  dns.Cname("loop1.example", "loop2.example");
  dns.Cname("loop2.example", "loop1.example");
  dns.Truncate("c.example");

  auto refused = QueryRRset(dns, name("refused.example."), dns::type::kNAPTR, &transport);
  CHECK(refused.status().message() ==
        "REFUSED for refused.example NAPTR: the server is not authoritative for it and does "
        "not recurse");
  CHECK(QueryRRset(dns, name("notimp.example."), dns::type::kA, &transport).status().message() ==
        "NOTIMP for notimp.example A");
  auto chain = QueryRRset(dns, name("a.example."), dns::type::kA, &transport);
  REQUIRE(chain.ok());
  CHECK(chain->kind == RRsetAnswer::Kind::kFound);
  CHECK(chain->chain == std::vector<std::string>{"b.example", "c.example"});
  REQUIRE(chain->records.size() == 1);
  CHECK(chain->records[0].address == "192.0.2.1");
  CHECK(transport.empty());  // a.example's answer came over UDP
  auto direct = QueryRRset(dns, name("c.example."), dns::type::kA, &transport);
  REQUIRE(direct.ok());
  REQUIRE(transport.size() == 1);
  CHECK(transport[0].truncated_udp);
  auto nodata = QueryRRset(dns, name("c.example."), dns::type::kAAAA, &transport);
  CHECK(nodata->kind == RRsetAnswer::Kind::kNoData);
  auto nx = QueryRRset(dns, name("zz.example."), dns::type::kA, &transport);
  CHECK(nx->kind == RRsetAnswer::Kind::kNxDomain);
  auto loop = QueryRRset(dns, name("loop1.example."), dns::type::kA, &transport);
  CHECK(loop.status().message().find("CNAME loop") == 0);
}

}  // namespace enumd::enumctl
