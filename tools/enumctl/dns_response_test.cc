// Tests of the response parser: well-formed answers built with the server's
// MessageWriter (compression included), and malformed ones: every length
// field checked, compression loops, misplaced OPT, truncated UDP answers.
#include "enumctl/dns_response.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "dns/constants.h"
#include "dns/message_writer.h"
#include "dns/name.h"

namespace enumd::enumctl {
namespace {

namespace type = dns::type;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string Str(const std::string& s) { return std::string(1, static_cast<char>(s.size())) + s; }

std::string NaptrRdata(uint16_t order, uint16_t pref, const std::string& flags,
                       const std::string& service, const std::string& regexp,
                       const std::string& replacement) {
  std::string rd;
  rd += static_cast<char>(order >> 8);
  rd += static_cast<char>(order & 0xFF);
  rd += static_cast<char>(pref >> 8);
  rd += static_cast<char>(pref & 0xFF);
  return rd + Str(flags) + Str(service) + Str(regexp) + dns::WireName(replacement);
}

struct Built {
  std::vector<uint8_t> bytes;
  Result<Response> Parse() const { return ParseResponse(bytes.data(), bytes.size()); }
};

// A response to `qname` NAPTR with the records given as (section, owner,
// type, rdata).
struct Rr {
  dns::Section section;
  std::string owner;
  uint16_t type;
  std::string rdata;
};

Built Build(const std::string& qname, const std::vector<Rr>& rrs, uint16_t flags = 0x8400,
            bool opt = true, uint8_t ext_rcode = 0) {
  Built b;
  b.bytes.resize(4096);
  dns::MessageWriter w(b.bytes.data(), b.bytes.size(), b.bytes.size());
  const std::string q = dns::WireName(qname);
  REQUIRE(w.Start(0x1234, flags, U8(q), type::kNAPTR, dns::rrclass::kIN));
  for (const Rr& r : rrs) {
    const std::string owner = dns::WireName(r.owner);
    REQUIRE(w.AddRR(r.section, U8(owner), r.type, dns::rrclass::kIN, 300, U8(r.rdata),
                    static_cast<uint16_t>(r.rdata.size())));
  }
  if (opt) REQUIRE(w.AddOpt(1232, ext_rcode, 0, false));
  b.bytes.resize(w.Finish());
  return b;
}

const std::string kName = "3.1.9.0.0.5.5.5.3.1.6.e164.arpa.";

}  // namespace

TEST_CASE("a NAPTR answer with additional records parses, names decompressed") {
  const std::string naptr =
      NaptrRdata(10, 100, "u", "E2U+sip", "!^.*$!sip:61355500912@server1.example!", ".");
  const std::string snaptr =
      NaptrRdata(10, 20, "a", "x-3gpp-pgw:x-s8-gtp", "", "pgw1.epc.example.");
  const std::string srv = std::string("\x00\x0a\x00\x3c\x08\x4b", 6) + dns::WireName("h.example.");
  const std::string cname = dns::WireName("target.e164.arpa.");
  Built b = Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, naptr},
                          {dns::Section::kAnswer, kName, type::kNAPTR, snaptr},
                          {dns::Section::kAnswer, "alias.e164.arpa.", type::kCNAME, cname},
                          {dns::Section::kAdditional, "pgw1.epc.example.", type::kA,
                           std::string("\xc6\x33\x64\x01", 4)},
                          {dns::Section::kAdditional, "pgw1.epc.example.", type::kAAAA,
                           std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01"},
                          {dns::Section::kAdditional, "_x._udp.example.", type::kSRV, srv}});
  auto r = b.Parse();
  REQUIRE(r.ok());
  CHECK(r->id == 0x1234);
  CHECK(r->rcode == 0);
  CHECK_FALSE(r->truncated());
  CHECK(r->has_question);
  CHECK(DisplayName(r->qname) == "3.1.9.0.0.5.5.5.3.1.6.e164.arpa");
  CHECK(r->qtype == type::kNAPTR);
  CHECK(r->has_opt);
  CHECK(r->udp_size == 1232);
  REQUIRE(r->answer.size() == 3);
  const Naptr& n = r->answer[0].naptr;
  CHECK(n.order == 10);
  CHECK(n.preference == 100);
  CHECK(n.flags == "u");
  CHECK(n.service == "E2U+sip");
  CHECK(n.regexp == "!^.*$!sip:61355500912@server1.example!");
  CHECK(n.replacement == ".");
  CHECK(r->answer[1].naptr.replacement == "pgw1.epc.example.");
  CHECK(r->answer[2].target == "target.e164.arpa.");  // the writer compressed it
  CHECK(DisplayName(r->answer[0].owner) == "3.1.9.0.0.5.5.5.3.1.6.e164.arpa");
  REQUIRE(r->additional.size() == 3);
  CHECK(r->additional[0].address == "198.51.100.1");
  CHECK(r->additional[1].address == "2001:db8::1");
  CHECK(r->additional[2].srv.priority == 10);
  CHECK(r->additional[2].srv.weight == 60);
  CHECK(r->additional[2].srv.port == 2123);
  CHECK(r->additional[2].srv.target == "h.example.");
}

TEST_CASE("rcodes, extended rcodes and names") {
  CHECK(Build(kName, {}, 0x8403).Parse()->rcode == dns::rcode::kNXDomain);
  // BADVERS = 16: OPT carries the upper 8 bits (RFC 6891 §6.1.3).
  CHECK(Build(kName, {}, 0x8400, true, 1).Parse()->rcode == 16);
  CHECK(RcodeName(2) == "SERVFAIL");
  CHECK(RcodeName(16) == "BADVERS");
  CHECK(RcodeName(23) == "RCODE23");
  CHECK(TypeName(type::kNAPTR) == "NAPTR");
  CHECK(TypeName(65) == "TYPE65");
  CHECK(DisplayName(std::string(1, '\0')) == ".");
  CHECK(DisplayName(dns::WireName("a\\.b.example.")) == "a\\.b.example");
}

TEST_CASE("malformed answers are errors that say where") {
  auto error = [](const std::vector<uint8_t>& bytes) {
    auto r = ParseResponse(bytes.data(), bytes.size());
    return r.ok() ? std::string("<ok>") : r.status().message();
  };
  const std::string naptr = NaptrRdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", ".");
  Built good = Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, naptr}}, 0x8400, false);
  REQUIRE(good.Parse().ok());

  CHECK(error({0x12, 0x34, 0x84}).find("shorter than a header") != std::string::npos);
  std::vector<uint8_t> query = good.bytes;
  query[2] &= 0x7F;  // QR clear
  CHECK(error(query).find("QR is clear") != std::string::npos);
  std::vector<uint8_t> two_questions = good.bytes;
  two_questions[5] = 2;
  CHECK(error(two_questions).find("QDCOUNT is 2") != std::string::npos);
  // Cut anywhere inside the record: never OK, never a crash.
  for (size_t len = 12; len < good.bytes.size(); ++len) {
    auto r = ParseResponse(good.bytes.data(), len);
    CHECK_FALSE(r.ok());
  }
  std::vector<uint8_t> trailing = good.bytes;
  trailing.push_back(0);
  CHECK(error(trailing) == "1 bytes after the last record");
  // One more ANCOUNT than there are records.
  std::vector<uint8_t> more = good.bytes;
  more[7] = 2;
  CHECK(error(more).find("answer record 2: bad owner name") != std::string::npos);
  // A NAPTR whose regexp length byte runs past RDLENGTH.
  std::string bad_naptr = naptr;
  bad_naptr[4 + 2 + 8] = 120;  // the REGEXP length byte
  CHECK(error(Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, bad_naptr}}).bytes)
            .find("NAPTR strings run past RDLENGTH") != std::string::npos);
  // Bytes left after the NAPTR replacement.
  CHECK(error(Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, naptr + "x"}}).bytes)
            .find("bad NAPTR replacement") != std::string::npos);
  CHECK(error(Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, "\x00\x01"}}).bytes)
            .find("too short") != std::string::npos);
  CHECK(error(Build(kName, {{dns::Section::kAnswer, "h.", type::kA, "12345"}}).bytes)
            .find("RDATA is 5 bytes, not 4") != std::string::npos);
  CHECK(error(Build(kName, {{dns::Section::kAnswer, "h.", type::kAAAA, "1234"}}).bytes)
            .find("not 16") != std::string::npos);
  CHECK(error(Build(kName, {{dns::Section::kAnswer, "h.", type::kSRV, "123"}}).bytes)
            .find("SRV RDATA too short") != std::string::npos);
  // An OPT in the answer section, and a second OPT.
  CHECK(error(Build(kName, {{dns::Section::kAnswer, ".", type::kOPT, ""}}, 0x8400, false).bytes)
            .find("misplaced or duplicate OPT") != std::string::npos);
  CHECK(error(Build(kName, {{dns::Section::kAdditional, ".", type::kOPT, ""}}).bytes)
            .find("misplaced or duplicate OPT") != std::string::npos);
}

TEST_CASE("compression loops and forward pointers are rejected") {
  // Header + question whose name is a pointer to itself.
  std::vector<uint8_t> loop = {0x12, 0x34, 0x84, 0x00, 0,  1, 0,  0, 0,
                               0,    0,    0,    0xC0, 12, 0, 35, 0, 1};
  CHECK_FALSE(ParseResponse(loop.data(), loop.size()).ok());
  // A NAPTR whose replacement points forward (past the record).
  const std::string rd = NaptrRdata(1, 1, "", "", "", ".").substr(0, 7) + "\xC0\xFF";
  auto r = Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, rd}}).Parse();
  CHECK_FALSE(r.ok());
}

TEST_CASE("a truncated UDP answer keeps what could be read") {
  const std::string naptr = NaptrRdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", ".");
  Built b = Build(kName,
                  {{dns::Section::kAnswer, kName, type::kNAPTR, naptr},
                   {dns::Section::kAnswer, kName, type::kNAPTR, naptr}},
                  0x8600, false);  // QR AA TC
  // An old server cut the message in the middle of the second record.
  auto r = ParseResponse(b.bytes.data(), b.bytes.size() - 5);
  REQUIRE(r.ok());
  CHECK(r->truncated());
  CHECK(r->cut_short);
  CHECK(r->answer.size() == 1);
}

TEST_CASE("the fuzz entry point survives random and mutated input") {
  std::mt19937 rng(12345);
  const std::string naptr = NaptrRdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", "x.example.");
  const Built seed = Build(kName, {{dns::Section::kAnswer, kName, type::kNAPTR, naptr},
                                   {dns::Section::kAdditional, "x.example.", type::kA, "abcd"}});
  int nonzero = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes = seed.bytes;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    bytes.resize(rng() % (bytes.size() + 1));
    nonzero += FuzzParseResponse(bytes.data(), bytes.size()) != 0;
  }
  CHECK(nonzero == 0);
}

}  // namespace enumd::enumctl
