// Tests for dns/update_message.h: UPDATE messages built byte by byte, one
// rule per case (RFC 2136 §2, §3.1.1, §3.2, §3.4.1.3, and the parse-time
// rules BIND 9.18 applies before the TSIG check).
#include "dns/update_message.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dns/dns_test_support.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

using testing::Bytes;
using testing::Pkt;

constexpr uint16_t kUpd = 5 << 11;  // opcode UPDATE
constexpr uint16_t IN = rrclass::kIN, ANY = rrclass::kANY, NONE = rrclass::kNONE;
const Bytes kA = {192, 0, 2, 7};

struct RR {
  const char* owner;
  uint16_t type;
  uint16_t rrclass;
  uint32_t ttl;
  Bytes rdata;
};

// An UPDATE for zone e164.arpa. (SOA, IN) with these sections.
Pkt Update(const std::vector<RR>& pre, const std::vector<RR>& upd, const std::vector<RR>& add = {},
           uint16_t ztype = type::kSOA, uint16_t zclass = IN) {
  Pkt p;
  p.Header(0x1234, kUpd, 1, static_cast<uint16_t>(pre.size()), static_cast<uint16_t>(upd.size()),
           static_cast<uint16_t>(add.size()));
  p.Name("e164.arpa.").U16(ztype).U16(zclass);
  for (const auto* list : {&pre, &upd, &add}) {
    for (const RR& r : *list) {
      p.Name(r.owner).U16(r.type).U16(r.rrclass).U32(r.ttl);
      p.U16(static_cast<uint16_t>(r.rdata.size())).Raw(r.rdata);
    }
  }
  return p;
}

// One record and the rcode a rule gives it.
struct RcodeCase {
  const char* what;
  RR rr;
  uint16_t rcode;
};

ParseOutcome Parse(const Pkt& p, UpdateMessage* m) {
  return ParseUpdate(p.b.data(), p.b.size(), m);
}

UpdateMessage Ok(const Pkt& p) {
  UpdateMessage m;
  REQUIRE(Parse(p, &m) == ParseOutcome::kOk);
  return m;
}

TEST_CASE("ParseUpdate: a message with every kind of prerequisite and update") {
  const UpdateMessage m = Ok(Update({{"1.e164.arpa.", type::kANY, ANY, 0, {}},
                                     {"2.e164.arpa.", type::kNAPTR, ANY, 0, {}},
                                     {"3.e164.arpa.", type::kANY, NONE, 0, {}},
                                     {"4.e164.arpa.", type::kNAPTR, NONE, 0, {}},
                                     {"5.e164.arpa.", type::kA, IN, 0, kA}},
                                    {{"6.e164.arpa.", type::kA, IN, 300, kA},
                                     {"7.e164.arpa.", type::kNAPTR, ANY, 0, {}},
                                     {"8.e164.arpa.", type::kANY, ANY, 0, {}},
                                     {"9.e164.arpa.", type::kA, NONE, 0, kA}}));
  CHECK(m.id == 0x1234);
  CHECK(m.flags == kUpd);
  CHECK(m.zone == WireName("e164.arpa."));
  CHECK(m.zone_type == type::kSOA);
  CHECK(m.zone_class == IN);
  CHECK(m.zone_rcode == rcode::kNoError);
  CHECK(m.prescan_rcode == rcode::kNoError);
  CHECK_FALSE(m.has_tsig);
  CHECK_FALSE(m.edns.present);
  REQUIRE(m.prerequisites.size() == 5);
  REQUIRE(m.updates.size() == 4);
  const PrerequisiteKind pk[] = {
      PrerequisiteKind::kNameInUse, PrerequisiteKind::kRRsetExists, PrerequisiteKind::kNameNotInUse,
      PrerequisiteKind::kRRsetDoesNotExist, PrerequisiteKind::kRRsetEquals};
  for (size_t i = 0; i < 5; ++i) {
    CHECK(CheckPrerequisite(m, m.prerequisites[i]) == rcode::kNoError);
    CHECK(KindOfPrerequisite(m.prerequisites[i]) == pk[i]);
  }
  const UpdateOp ops[] = {UpdateOp::kAdd, UpdateOp::kDeleteRRset, UpdateOp::kDeleteAllRRsets,
                          UpdateOp::kDeleteRR};
  for (size_t i = 0; i < 4; ++i) CHECK(KindOfUpdate(m.updates[i]) == ops[i]);
  const UpdateRecord& add = m.updates[0];
  CHECK(add.owner == WireName("6.e164.arpa."));
  CHECK(add.type == type::kA);
  CHECK(add.rrclass == IN);
  CHECK(add.ttl == 300);
  CHECK(add.rdata == std::string("\xc0\x00\x02\x07", 4));
}

TEST_CASE("ParseUpdate: owners and RDATA names are decompressed, case kept") {
  Pkt p;
  p.Header(1, kUpd, 1, 0, 2, 0).Name("E164.arpa.").U16(type::kSOA).U16(IN);  // zone at 12
  // 1.E164.arpa. MX 10 mail.E164.arpa., both through pointers to the zone.
  p.Str(
       "\x01"
       "1")
      .U8(0xC0)
      .U8(12)
      .U16(type::kMX)
      .U16(IN)
      .U32(60)
      .U16(9);
  p.U16(10).Str("\x04mail").U8(0xC0).U8(12);
  // Its owner again, as a pointer to the previous owner; a CNAME likewise.
  p.U8(0xC0).U8(27).U16(type::kCNAME).U16(IN).U32(60).U16(2).U8(0xC0).U8(12);
  const UpdateMessage m = Ok(p);
  REQUIRE(m.updates.size() == 2);
  CHECK(m.zone == WireName("E164.arpa."));
  CHECK(m.updates[0].owner == WireName("1.E164.arpa."));
  CHECK(m.updates[0].rdata == std::string("\x00\x0a", 2) + WireName("mail.E164.arpa."));
  CHECK(m.updates[1].owner == WireName("1.E164.arpa."));
  CHECK(m.updates[1].rdata == WireName("E164.arpa."));
}

TEST_CASE("ParseUpdate: drop, not-UPDATE and FORMERR keep the header for the answer") {
  UpdateMessage m;
  CHECK(ParseUpdate(nullptr, 0, &m) == ParseOutcome::kDrop);
  const Pkt good = Update({}, {{"a.e164.arpa.", type::kA, IN, 300, kA}});
  CHECK(ParseUpdate(good.b.data(), 11, &m) == ParseOutcome::kDrop);
  Pkt qr = good;
  qr.b[2] |= 0x80;
  CHECK(Parse(qr, &m) == ParseOutcome::kDrop);
  Pkt query = good;
  query.b[2] = 0;  // opcode QUERY
  CHECK(Parse(query, &m) == ParseOutcome::kNotImp);
  Pkt notify = good;
  notify.b[2] = 4 << 3;
  CHECK(Parse(notify, &m) == ParseOutcome::kNotImp);
  Pkt cut = good;
  cut.Cut(1);
  CHECK(Parse(cut, &m) == ParseOutcome::kFormErr);
  CHECK(m.id == 0x1234);
  CHECK(m.flags == kUpd);
  CHECK(m.updates.empty());  // nothing half-parsed is left
  CHECK(m.zone.empty());
}

struct Case {
  const char* what;
  Pkt pkt;
};

TEST_CASE("ParseUpdate: parse-time FORMERR (BIND answers these unsigned)") {
  const RR add{"a.e164.arpa.", type::kA, IN, 300, kA};
  Pkt two_zones;
  two_zones.Header(1, kUpd, 2, 0, 0, 0)
      .Name("e164.arpa.")
      .U16(6)
      .U16(IN)
      .Name("e164.arpa.")
      .U16(6)
      .U16(IN);
  Pkt zone_cut;
  zone_cut.Header(1, kUpd, 1, 0, 0, 0).Name("e164.arpa.").U16(6);
  Pkt trailing = Update({}, {add});
  trailing.U8(0);
  Pkt bad_owner;
  bad_owner.Header(1, kUpd, 1, 0, 1, 0).Name("e164.arpa.").U16(6).U16(IN).U8(0xC0).U8(0x7F);
  Pkt count_short = Update({}, {add});
  count_short.b[9] = 2;  // UPCOUNT 2, one record
  Pkt two_opts = Update({}, {add});
  two_opts.b[11] = 2;
  two_opts.Opt(1232, 0).Opt(1232, 0);
  Pkt opt_owner = Update({}, {add});
  opt_owner.b[11] = 1;
  opt_owner.Name("a.").U16(type::kOPT).U16(1232).U32(0).U16(0);
  Pkt bad_opt = Update({}, {add});
  bad_opt.b[11] = 1;
  bad_opt.Opt(1232, 0, {0, 1, 0, 9});  // option length past RDATA
  Pkt tsig_garbage = Update({}, {add});
  tsig_garbage.b[11] = 1;
  tsig_garbage.Name("k.").U16(type::kTSIG).U16(ANY).U32(0).U16(1).U8(0);

  const std::vector<Case> cases = {
      {"ZOCOUNT 2", two_zones},
      {"zone section cut short", zone_cut},
      {"trailing byte", trailing},
      {"forward pointer in an owner", bad_owner},
      {"fewer records than counted", count_short},
      {"prerequisite of class ANY with RDATA",
       Update({{"a.e164.arpa.", type::kA, ANY, 0, kA}}, {add})},
      {"prerequisite of class NONE with RDATA",
       Update({{"a.e164.arpa.", type::kA, NONE, 0, kA}}, {add})},
      {"update of class ANY with RDATA", Update({}, {{"a.e164.arpa.", type::kA, ANY, 0, kA}})},
      {"OPT in the update section", Update({}, {{".", type::kOPT, 1232, 0, {}}})},
      {"OPT in the prerequisite section", Update({{".", type::kOPT, 1232, 0, {}}}, {add})},
      {"TSIG in the update section", Update({}, {{"k.", type::kTSIG, ANY, 0, {}}})},
      {"TKEY in the update section", Update({}, {{"k.", type::kTKEY, IN, 0, {}}})},
      {"two OPT records", two_opts},
      {"OPT not owned by the root", opt_owner},
      {"OPT with a malformed option", bad_opt},
      {"TSIG that cannot be read", tsig_garbage},
      {"NS with bytes after its name",
       Update({}, {{"a.e164.arpa.", type::kNS, IN, 300, {1, 'x', 0, 0}}})},
      {"MX with no exchange", Update({}, {{"a.e164.arpa.", type::kMX, IN, 300, {0, 10}}})},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    UpdateMessage m;
    CHECK(Parse(c.pkt, &m) == ParseOutcome::kFormErr);
  }
}

TEST_CASE("ParseUpdate: §3.1.1 zone type must be SOA (answered after the TSIG check)") {
  // No zone at all: parsed (BIND signs this FORMERR), the zone left empty.
  Pkt no_zone = Update({}, {{"a.e164.arpa.", type::kA, IN, 300, kA}});
  no_zone.b[5] = 0;
  no_zone.b.erase(no_zone.b.begin() + 12, no_zone.b.begin() + 12 + 11 + 4);
  const UpdateMessage none = Ok(no_zone);
  CHECK(none.zone.empty());
  CHECK(none.zone_rcode == rcode::kFormErr);
  const UpdateMessage m = Ok(Update({}, {{"a.e164.arpa.", type::kA, IN, 300, kA}}, {}, type::kA));
  CHECK(m.zone_rcode == rcode::kFormErr);
  // The zone class is the caller's to check (NOTAUTH/NOTIMP); it parses.
  const UpdateMessage ch = Ok(Update({}, {}, {}, type::kSOA, rrclass::kCH));
  CHECK(ch.zone_rcode == rcode::kNoError);
  CHECK(ch.zone_class == rrclass::kCH);
}

TEST_CASE("ParseUpdate: §3.4.1.3 prescan, first failing update record") {
  const RcodeCase cases[] = {
      {"add", {"a.e164.arpa.", type::kA, IN, 300, kA}, rcode::kNoError},
      {"add at the apex, any case", {"E164.ARPA.", type::kA, IN, 300, kA}, rcode::kNoError},
      {"owner outside the zone", {"a.example.", type::kA, IN, 300, kA}, rcode::kNotZone},
      {"owner is the zone's parent", {"arpa.", type::kA, IN, 300, kA}, rcode::kNotZone},
      {"owner shares a suffix only", {"xe164.arpa.", type::kA, IN, 300, kA}, rcode::kNotZone},
      {"add of type ANY", {"a.e164.arpa.", type::kANY, IN, 300, {}}, rcode::kFormErr},
      {"add of type AXFR", {"a.e164.arpa.", type::kAXFR, IN, 300, {}}, rcode::kFormErr},
      {"add of type IXFR", {"a.e164.arpa.", type::kIXFR, IN, 300, {}}, rcode::kFormErr},
      {"add of type MAILA", {"a.e164.arpa.", type::kMAILA, IN, 300, {}}, rcode::kFormErr},
      {"add of type MAILB", {"a.e164.arpa.", type::kMAILB, IN, 300, {}}, rcode::kFormErr},
      {"delete RRset", {"a.e164.arpa.", type::kA, ANY, 0, {}}, rcode::kNoError},
      {"delete all RRsets", {"a.e164.arpa.", type::kANY, ANY, 0, {}}, rcode::kNoError},
      {"delete RRset with TTL", {"a.e164.arpa.", type::kA, ANY, 5, {}}, rcode::kFormErr},
      {"delete RRset of type AXFR", {"a.e164.arpa.", type::kAXFR, ANY, 0, {}}, rcode::kFormErr},
      {"delete RRset of type MAILA", {"a.e164.arpa.", type::kMAILA, ANY, 0, {}}, rcode::kFormErr},
      {"delete RR", {"a.e164.arpa.", type::kA, NONE, 0, kA}, rcode::kNoError},
      {"delete RR with TTL", {"a.e164.arpa.", type::kA, NONE, 300, kA}, rcode::kFormErr},
      {"delete RR of type ANY", {"a.e164.arpa.", type::kANY, NONE, 0, {}}, rcode::kFormErr},
      {"delete RR of type IXFR", {"a.e164.arpa.", type::kIXFR, NONE, 0, {}}, rcode::kFormErr},
      {"class CH", {"a.e164.arpa.", type::kA, rrclass::kCH, 300, kA}, rcode::kFormErr},
      {"class 0", {"a.e164.arpa.", type::kA, 0, 300, kA}, rcode::kFormErr},
      {"NOTZONE before the class check",
       {"a.example.", type::kA, rrclass::kCH, 300, kA},
       rcode::kNotZone},
  };
  for (const RcodeCase& c : cases) {
    CAPTURE(c.what);
    const RR good{"b.e164.arpa.", type::kA, IN, 300, kA};
    const UpdateMessage m = Ok(Update({}, {good, c.rr, good}));
    CHECK(m.prescan_rcode == c.rcode);
    if (c.rcode != rcode::kNoError) CHECK(m.prescan_index == 1);
  }
}

TEST_CASE("ParseUpdate: the first failing update record decides, in order") {
  const UpdateMessage m = Ok(Update({}, {{"a.e164.arpa.", type::kA, IN, 300, kA},
                                         {"a.e164.arpa.", type::kA, ANY, 7, {}},
                                         {"a.other.", type::kA, IN, 300, kA}}));
  CHECK(m.prescan_rcode == rcode::kFormErr);
  CHECK(m.prescan_index == 1);
}

TEST_CASE("ParseUpdate: a bad prerequisite does not stop parsing or the prescan") {
  // BIND 9.18 runs the update-section prescan before the prerequisites.
  const UpdateMessage m =
      Ok(Update({{"a.e164.arpa.", type::kA, ANY, 5, {}}}, {{"a.other.", type::kA, IN, 300, kA}}));
  CHECK(m.prescan_rcode == rcode::kNotZone);
  CHECK(CheckPrerequisite(m, m.prerequisites[0]) == rcode::kFormErr);
}

TEST_CASE("CheckPrerequisite: §3.2 rules in the RFC's order") {
  const RcodeCase cases[] = {
      {"name in use", {"a.e164.arpa.", type::kANY, ANY, 0, {}}, rcode::kNoError},
      {"RRset exists", {"a.e164.arpa.", type::kA, ANY, 0, {}}, rcode::kNoError},
      {"name not in use", {"a.e164.arpa.", type::kANY, NONE, 0, {}}, rcode::kNoError},
      {"RRset does not exist", {"a.e164.arpa.", type::kA, NONE, 0, {}}, rcode::kNoError},
      {"RRset equals", {"a.e164.arpa.", type::kA, IN, 0, kA}, rcode::kNoError},
      // No type check (BIND: a meta-type simply never exists: NXRRSET).
      {"RRset AXFR exists", {"a.e164.arpa.", type::kAXFR, ANY, 0, {}}, rcode::kNoError},
      {"TTL not 0", {"a.e164.arpa.", type::kA, ANY, 1, {}}, rcode::kFormErr},
      {"TTL not 0 beats NOTZONE", {"a.other.", type::kA, ANY, 1, {}}, rcode::kFormErr},
      {"outside the zone", {"a.other.", type::kA, ANY, 0, {}}, rcode::kNotZone},
      {"class CH", {"a.e164.arpa.", type::kA, rrclass::kCH, 0, kA}, rcode::kFormErr},
  };
  for (const RcodeCase& c : cases) {
    CAPTURE(c.what);
    const UpdateMessage m = Ok(Update({c.rr}, {}));
    REQUIRE(m.prerequisites.size() == 1);
    CHECK(CheckPrerequisite(m, m.prerequisites[0]) == c.rcode);
  }
}

TEST_CASE("ParseUpdate: the additional section: OPT read, glue ignored, TSIG located") {
  Pkt p = Update({}, {{"a.e164.arpa.", type::kA, IN, 300, kA}},
                 {{"glue.example.", type::kA, IN, 300, kA}});
  p.b[11] = 3;
  p.Opt(4096, 0x8000);
  const size_t tsig_at = p.b.size();
  p.Name("key.").U16(type::kTSIG).U16(ANY).U32(0);
  const Pkt rdata =
      Pkt().Name("hmac-sha256.").U16(0).U32(1765000000).U16(300).U16(0).U16(0x1234).U16(0).U16(0);
  p.U16(static_cast<uint16_t>(rdata.b.size())).Raw(rdata.b);
  const UpdateMessage m = Ok(p);
  CHECK(m.edns.present);
  CHECK(m.edns.udp_size == 4096);
  CHECK(m.edns.do_bit);
  CHECK(m.has_tsig);
  CHECK(m.tsig_offset == tsig_at);
  CHECK(m.updates.size() == 1);

  // The TSIG must be last: glue after it is FORMERR.
  Pkt misplaced = p;
  misplaced.b[11] = 4;
  misplaced.A("late.example.");
  UpdateMessage bad;
  CHECK(Parse(misplaced, &bad) == ParseOutcome::kFormErr);
}

TEST_CASE("ParseUpdate: bounded by the message, whatever the counts say") {
  // Large counts with one record of body: the walk stops at the end.
  for (uint16_t up : {uint16_t{2}, uint16_t{1000}, uint16_t{0xFFFF}}) {
    Pkt p;
    p.Header(1, kUpd, 1, 0, up, 0xFFFF).Name("e164.arpa.").U16(6).U16(IN);
    p.A("a.e164.arpa.");
    UpdateMessage m;
    CHECK(Parse(p, &m) == ParseOutcome::kFormErr);
  }
  UpdateMessage m;
  // A buffer longer than any DNS message is refused.
  std::vector<uint8_t> big(kMaxMessage + 1, 0);
  const Pkt small = Update({}, {});
  std::copy(small.b.begin(), small.b.end(), big.begin());
  CHECK(ParseUpdate(big.data(), big.size(), &m) == ParseOutcome::kFormErr);
}

TEST_CASE("ParseUpdate: the largest message of minimal records parses (about 5,900)") {
  // Root-owned deletions of 11 octets each, as many as fit in 65535 octets.
  const size_t head = kHeaderSize + 1 + 4;
  const size_t n = (kMaxMessage - head) / 11;
  Pkt p;
  p.Header(1, kUpd, 1, 0, static_cast<uint16_t>(n), 0).U8(0).U16(6).U16(IN);  // zone "."
  for (size_t i = 0; i < n; ++i) p.U8(0).U16(type::kA).U16(ANY).U32(0).U16(0);
  REQUIRE(p.b.size() <= kMaxMessage);
  const UpdateMessage m = Ok(p);
  CHECK(m.updates.size() == n);
  CHECK(m.prescan_rcode == rcode::kNoError);
}

TEST_CASE("IsMetaType: BIND's list") {
  for (uint16_t t : {type::kOPT, type::kTKEY, type::kTSIG, type::kIXFR, type::kAXFR, type::kMAILB,
                     type::kMAILA, type::kANY}) {
    CHECK(IsMetaType(t));
  }
  for (uint16_t t :
       {uint16_t{0}, type::kA, type::kNAPTR, type::kSOA, uint16_t{248}, uint16_t{256}}) {
    CHECK_FALSE(IsMetaType(t));
  }
}

}  // namespace
}  // namespace enumd::dns
