// enumctl's DNS client: one question to one server, the way a stub resolver
// asks it. UDP with EDNS (RFC 6891, payload 1232), the question repeated over
// TCP (RFC 7766) when the UDP answer has TC set, a per-try timeout and a retry
// count. Answers are accepted only from the server asked, with the query's ID
// and question (anything else on the socket is ignored, RFC 5452 §9.1), and
// parsed by ParseResponse. Resolver is the seam the rule logic is tested
// through (a fake resolver answers from a table in the unit tests).
// Tools-only: blocking sockets with poll(), allocates, never throws.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "enumctl/dns_response.h"

namespace enumd::enumctl {

// Where to send queries.
struct ServerAddress {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string text;  // "127.0.0.1:5300", "[::1]:53"
};

// Parses "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6 address
// ("::1", "fe80::1%eth0"); the port defaults to 53. A host that is not an
// address literal is looked up with getaddrinfo (first result). Errors quote
// the text: empty host, bad or zero port, unresolvable name.
Result<ServerAddress> ParseServer(std::string_view spec);

// The first "nameserver" line of a resolv.conf (port 53), as the C library's
// resolver would use it; 127.0.0.1 when there is none (also the C library's
// choice). Errors: the file exists but its first nameserver does not parse.
Result<ServerAddress> SystemServer(const std::string& resolv_conf = "/etc/resolv.conf");

// How one question was carried.
struct TransportEvent {
  std::string name;  // display form
  uint16_t type = 0;
  bool tcp = false;            // the answer came over TCP
  bool truncated_udp = false;  // because the UDP answer had TC set
};

struct Exchange {
  Response response;
  TransportEvent transport;
};

// One question, one answer. Implementations decide transport and retries.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // `qname` is a wire name; class IN. Errors are one line (timeout, connection
  // refused, bad answer); any answer that parses is returned, whatever its rcode.
  virtual Result<Exchange> Query(const std::string& qname, uint16_t qtype) = 0;
};

struct ClientOptions {
  int timeout_ms = 2000;      // per try
  int retries = 2;            // tries after the first, per transport
  bool tcp_only = false;      // --tcp: skip UDP
  uint16_t edns_size = 1232;  // advertised UDP payload (RFC 6891 §6.2.5; DNS flag day 2020)
};

class DnsClient : public Resolver {
 public:
  DnsClient(ServerAddress server, ClientOptions options);
  Result<Exchange> Query(const std::string& qname, uint16_t qtype) override;

 private:
  Result<Response> OverUdp(const std::string& qname, uint16_t qtype);
  Result<Response> OverTcp(const std::string& qname, uint16_t qtype);
  ServerAddress server_;
  ClientOptions options_;
};

// The records of one type at a name, as a stub resolver reports them.
struct RRsetAnswer {
  enum class Kind { kFound, kNxDomain, kNoData };
  Kind kind = Kind::kNoData;
  std::string owner;               // wire name the records are at (after CNAMEs)
  std::vector<std::string> chain;  // CNAME targets followed, display form
  std::vector<Record> records;     // of the type asked, class IN, at `owner`
  std::vector<Record> additional;  // the final answer's additional section
};

// Asks for `qtype` at `qname` (wire) and follows CNAMEs (inside the answer,
// then by asking again; at most 8, loops rejected). Errors (one line, naming
// the question): the resolver's, SERVFAIL, REFUSED ("not authoritative ...")
// and any other rcode but NOERROR/NXDOMAIN, a response whose question is not
// ours. Every exchange that used TCP is appended to `transport`.
Result<RRsetAnswer> QueryRRset(Resolver& resolver, const std::string& qname, uint16_t qtype,
                               std::vector<TransportEvent>* transport);

// Builds the query message: RD set (a recursive server is the default
// --server), one question, an OPT with `edns_size` unless it is 0.
std::vector<uint8_t> BuildQuery(uint16_t id, const std::string& qname, uint16_t qtype,
                                uint16_t edns_size);

}  // namespace enumd::enumctl
