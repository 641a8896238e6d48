// A DNS response as enumctl's client reads it: header, question and the
// records of the three sections, with the RDATA of the types a lookup uses
// (NAPTR, SRV, A, AAAA, CNAME) decoded and checked. The parser is bounded by
// the message: every length is checked against it, names go through
// dns::ReadName (compression loops and overlong names rejected), nothing is
// allocated in proportion to a count field. It is the first code to see bytes
// from the network and has a fuzz entry point (FuzzParseResponse).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace enumd::enumctl {

// The fields of one NAPTR record (RFC 3403 §4.1), strings as on the wire.
struct Naptr {
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement = ".";  // presentation form with the final dot; "." = none
};

struct Srv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // presentation form with the final dot ("." = no service)
};

// One resource record. `owner` is the uncompressed wire name as sent (case
// kept). Only the field of the record's own type is filled.
struct Record {
  std::string owner;
  uint16_t type = 0;
  uint16_t rrclass = 0;
  uint32_t ttl = 0;
  Naptr naptr;          // NAPTR
  Srv srv;              // SRV
  std::string target;   // CNAME: presentation form with the final dot
  std::string address;  // A, AAAA: presentation form (inet_ntop)
};

struct Response {
  uint16_t id = 0;
  uint16_t flags = 0;  // the header flags word, rcode bits included
  uint16_t rcode = 0;  // 12-bit: header rcode plus the OPT extended bits (RFC 6891 §6.1.3)
  bool has_question = false;
  std::string qname;  // wire, as echoed
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool has_opt = false;
  uint16_t udp_size = 0;  // the server's advertised EDNS payload size
  // True when TC was set and the records could not all be read: a truncated
  // UDP answer may end in the middle of a record (RFC 2181 §9 says to
  // ignore its contents and ask again over TCP, which is what the client does).
  bool cut_short = false;
  std::vector<Record> answer, authority, additional;

  bool truncated() const;
};

// Parses `len` bytes at `msg`. Errors name the section and record: shorter
// than a header, QR clear, QDCOUNT > 1, a name ReadName rejects, a record or
// RDATA running past the end, RDATA of a decoded type whose fields do not fill
// RDLENGTH exactly (A not 4 bytes, NAPTR strings overrunning, ...), more than
// one OPT or an OPT outside the additional section, trailing bytes. With TC set
// the header and question must be sound; records are read as far as they go
// (see Response::cut_short).
Result<Response> ParseResponse(const uint8_t* msg, size_t len);

// The type mnemonic for messages ("NAPTR", "TYPE65").
std::string TypeName(uint16_t type);
// "NOERROR", "SERVFAIL", ... or "RCODE23".
std::string RcodeName(uint16_t rcode);
// A wire name in presentation form without the final dot, for people
// ("3.1.9...e164.arpa"); the root stays ".".
std::string DisplayName(const std::string& wire);

}  // namespace enumd::enumctl

// libFuzzer-ready entry point (tests/fuzz/ links it into a fuzzer binary):
// parses arbitrary bytes and must neither crash nor leak. Always returns 0.
extern "C" int FuzzParseResponse(const uint8_t* data, size_t size);
