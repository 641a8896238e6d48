// Tests for dns/rdata_reader.h: names inside RDATA decompressed for exactly
// the RFC 1035 types, each type's layout enforced, pointers bounded.
#include "dns/rdata_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "dns/constants.h"
#include "dns/dns_test_support.h"
#include "dns/name.h"
#include "dns/rdata_layout.h"

namespace enumd::dns {
namespace {

using testing::Pkt;

// A message whose byte 12 starts "mail.e164.arpa." (so a pointer 0xC00C
// means that name, 0xC011 "e164.arpa."), followed by RDATA `rdata`.
struct Msg {
  std::string wire;
  size_t rdata = 0;
  uint16_t rdlen = 0;
};
Msg WithRdata(const Pkt& rdata) {
  Pkt p;
  p.Header(1, 0, 0, 0, 0, 0).Name("mail.e164.arpa.");
  Msg m;
  m.rdata = p.b.size();
  m.rdlen = static_cast<uint16_t>(rdata.b.size());
  p.Raw(rdata.b);
  m.wire = p.Wire();
  return m;
}

bool Read(uint16_t t, const Msg& m, std::string* out) {
  return ReadRdata(testing::U8(m.wire), m.wire.size(), t, m.rdata, m.rdlen, out);
}

TEST_CASE("CompressibleLayout: the compressible types are exactly RFC 3597 §4's list") {
  RdataLayout l;
  for (uint16_t t : {type::kNS, type::kMD, type::kMF, type::kCNAME, type::kSOA, type::kMB,
                     type::kMG, type::kMR, type::kPTR, type::kMINFO, type::kMX}) {
    CAPTURE(t);
    CHECK(CompressibleLayout(t, &l));
  }
  for (uint16_t t : {type::kA, type::kTXT, type::kAAAA, type::kSRV, type::kNAPTR, type::kDS,
                     type::kRRSIG, type::kNSEC, uint16_t{39} /* DNAME */, uint16_t{65280}}) {
    CAPTURE(t);
    CHECK_FALSE(CompressibleLayout(t, &l));
  }
}

TEST_CASE("ReadRdata: one-name types decompress a pointer") {
  const Msg m = WithRdata(Pkt().Str("\x03www").U8(0xC0).U8(0x11));
  for (uint16_t t : {type::kNS, type::kCNAME, type::kPTR, type::kMD, type::kMF, type::kMB,
                     type::kMG, type::kMR}) {
    std::string out;
    REQUIRE(Read(t, m, &out));
    CHECK(out == WireName("www.e164.arpa."));
  }
}

TEST_CASE("ReadRdata: MX, MINFO and SOA layouts") {
  std::string out;
  REQUIRE(Read(type::kMX, WithRdata(Pkt().U16(10).U8(0xC0).U8(0x0C)), &out));
  CHECK(out == std::string("\x00\x0a", 2) + WireName("mail.e164.arpa."));

  REQUIRE(Read(type::kMINFO, WithRdata(Pkt().U8(0xC0).U8(0x0C).Name("err.example.")), &out));
  CHECK(out == WireName("mail.e164.arpa.") + WireName("err.example."));

  Pkt soa;
  soa.Str("\x02ns").U8(0xC0).U8(0x11).Str("\x0ahostmaster").U8(0xC0).U8(0x11);
  for (uint32_t v : {2026120601u, 3600u, 600u, 86400u, 300u}) soa.U32(v);
  REQUIRE(Read(type::kSOA, WithRdata(soa), &out));
  CHECK(out.substr(0, out.size() - 20) ==
        WireName("ns.e164.arpa.") + WireName("hostmaster.e164.arpa."));
  CHECK(testing::ToHex(out.substr(out.size() - 20)) == "78c4259900000e1000000258000151800000012c");
}

TEST_CASE("ReadRdata: a compressible type must have its layout exactly") {
  std::string out;
  // Bytes after the name.
  CHECK_FALSE(Read(type::kNS, WithRdata(Pkt().Name("a.").U8(0)), &out));
  // MX with no room for the preference, or no name.
  CHECK_FALSE(Read(type::kMX, WithRdata(Pkt().U8(1)), &out));
  CHECK_FALSE(Read(type::kMX, WithRdata(Pkt().U16(10)), &out));
  // SOA one octet short of its 20 fixed ones, and one over.
  Pkt soa;
  soa.Name("a.").Name("b.");
  Pkt short_soa = soa, long_soa = soa;
  short_soa.Raw(testing::Bytes(19, 0));
  long_soa.Raw(testing::Bytes(21, 0));
  CHECK_FALSE(Read(type::kSOA, WithRdata(short_soa), &out));
  CHECK_FALSE(Read(type::kSOA, WithRdata(long_soa), &out));
  // MINFO with one name.
  CHECK_FALSE(Read(type::kMINFO, WithRdata(Pkt().Name("a.")), &out));
  // A name that runs past RDATA (no root label inside it).
  CHECK_FALSE(Read(type::kCNAME, WithRdata(Pkt().Str("\x03www")), &out));
  // A forward pointer, a pointer loop onto itself, a reserved label type.
  CHECK_FALSE(Read(type::kCNAME, WithRdata(Pkt().U8(0xC0).U8(0x40)), &out));
  Msg loop = WithRdata(Pkt().U8(0xC0).U8(0));
  loop.wire[loop.rdata + 1] = static_cast<char>(loop.rdata);
  CHECK_FALSE(Read(type::kCNAME, loop, &out));
  CHECK_FALSE(Read(type::kCNAME, WithRdata(Pkt().U8(0x40).U8(0)), &out));
}

TEST_CASE("ReadRdata: other types and empty RDATA are copied verbatim") {
  std::string out;
  // NAPTR with a compressed REPLACEMENT stays as sent (BIND refuses it; the
  // caller's RDATA validation does too).
  const Pkt naptr =
      Pkt().U16(10).U16(100).CharStr("u").CharStr("E2U+sip").CharStr("").U8(0xC0).U8(0x11);
  REQUIRE(Read(type::kNAPTR, WithRdata(naptr), &out));
  CHECK(out == naptr.Wire());
  REQUIRE(Read(type::kA, WithRdata(Pkt().U32(0x7F000001)), &out));
  CHECK(out == std::string("\x7f\x00\x00\x01", 4));
  REQUIRE(Read(type::kNS, WithRdata(Pkt()), &out));
  CHECK(out.empty());
}

}  // namespace
}  // namespace enumd::dns
