#include "zone/incoming_transfer.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/byte_order.h"
#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using namespace testing;

struct Rec {
  std::string owner;  // text
  uint16_t type;
  std::string rdata;
  uint32_t ttl = 3600;
};

std::string Soa(uint32_t serial) {
  std::string rd = dns::WireName("ns.e164.arpa.") + dns::WireName("hostmaster.e164.arpa.");
  for (uint32_t v : {serial, 3600u, 600u, 86400u, 60u}) Append32(&rd, v);
  return rd;
}

// One answer message: the question (first messages only), then `answers`.
std::string Message(const std::vector<Rec>& answers, bool question = true) {
  std::string m(12, '\0');
  m[2] = static_cast<char>(0x84);  // QR AA
  m[5] = question ? 1 : 0;
  m[6] = static_cast<char>(answers.size() >> 8);
  m[7] = static_cast<char>(answers.size());
  if (question) {
    m += dns::WireName("e164.arpa.");
    Append16(&m, dns::type::kAXFR);
    Append16(&m, 1);
  }
  for (const Rec& r : answers) {
    m += dns::WireName(r.owner);
    Append16(&m, r.type);
    Append16(&m, 1);
    Append32(&m, r.ttl);
    Append16(&m, static_cast<uint16_t>(r.rdata.size()));
    m += r.rdata;
  }
  return m;
}

Status AddAll(IncomingTransfer* t, const std::vector<std::string>& messages) {
  for (const std::string& m : messages) {
    Status st = t->Add(reinterpret_cast<const uint8_t*>(m.data()), m.size());
    if (!st.ok()) return st;
  }
  return Status::OK();
}

const std::string kNs = dns::WireName("ns.example.net.");
const Rec kApexNs{"e164.arpa.", dns::type::kNS, kNs};

Rec Naptr(const std::string& owner, const std::string& uri) {
  return {owner, dns::type::kNAPTR, NaptrRdata(100, uri)};
}

std::vector<std::string> Zone(uint32_t serial) {
  return {
      Message({{"e164.arpa.", dns::type::kSOA, Soa(serial)},
               kApexNs,
               Naptr("1.e164.arpa.", "sip:one@x")}),
      Message({Naptr("2.e164.arpa.", "sip:two@x"), {"e164.arpa.", dns::type::kSOA, Soa(serial)}},
              false)};
}

IncomingTransfer::ApplyOptions Options() {
  IncomingTransfer::ApplyOptions o;
  o.now = 1700000000;
  return o;
}

TEST_CASE("IncomingTransfer: an AXFR in two messages becomes the zone") {
  auto store = OpenMemoryStore();
  IncomingTransfer t(dns::WireName("E164.arpa."), std::nullopt, "AXFR of e164.arpa.");
  REQUIRE(AddAll(&t, Zone(5)).ok());
  CHECK(t.done());
  CHECK(t.kind() == IncomingTransfer::Kind::kFull);
  CHECK(t.serial() == 5);
  CHECK(t.records() == 5);
  auto r = t.Apply(store.get(), Options());
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->meta.serial == 5);
  CHECK(r->meta.records == 4);
  const auto records = RecordSet(DumpZone(*store, "e164.arpa."));
  CHECK(records.size() == 4);
}

TEST_CASE("IncomingTransfer: a broken answer is refused with the reason") {
  struct Case {
    std::vector<std::string> messages;
    const char* reason;
  };
  const Rec soa5{"e164.arpa.", dns::type::kSOA, Soa(5)};
  const Case cases[] = {
      {{Message({kApexNs, soa5})}, "does not start with the zone's SOA"},
      {{Message({soa5, kApexNs, {"e164.arpa.", dns::type::kSOA, Soa(6)}})},
       "the final SOA has serial 6, the first 5"},
      {{Message({soa5, kApexNs, soa5, kApexNs})}, "a record after the final SOA"},
      {{Message({soa5, kApexNs, soa5}), Message({kApexNs}, false)},
       "a message after the final SOA"},
      {{Message({soa5, {"example.net.", dns::type::kA, ARdata(1)}})}, "outside the zone"},
      {{Message({soa5, {"x.e164.arpa.", dns::type::kSOA, Soa(5)}})}, "not at the zone apex"},
  };
  for (const Case& c : cases) {
    IncomingTransfer t(dns::WireName("e164.arpa."), std::nullopt, "AXFR");
    Status st = AddAll(&t, c.messages);
    CHECK_MESSAGE(st.message().find(c.reason) != std::string::npos, st.message());
    CHECK_FALSE(t.done());
  }
  // Truncated: no final SOA; not applied.
  auto store = OpenMemoryStore();
  IncomingTransfer t(dns::WireName("e164.arpa."), std::nullopt, "AXFR");
  REQUIRE(AddAll(&t, {Zone(5)[0]}).ok());
  CHECK_FALSE(t.done());
  CHECK_FALSE(t.Apply(store.get(), Options()).ok());
  CHECK(store->Zones().empty());
  // A malformed message.
  IncomingTransfer m(dns::WireName("e164.arpa."), std::nullopt, "AXFR");
  std::string cut = Zone(5)[0];
  cut.resize(cut.size() - 3);
  CHECK(m.Add(reinterpret_cast<const uint8_t*>(cut.data()), cut.size())
            .message()
            .find("malformed record") != std::string::npos);
}

TEST_CASE("IncomingTransfer: IXFR up to date, AXFR-style, and incremental (RFC 1995 §4)") {
  auto store = OpenMemoryStore();
  {
    IncomingTransfer t(dns::WireName("e164.arpa."), std::nullopt, "AXFR");
    REQUIRE(AddAll(&t, Zone(5)).ok());
    REQUIRE(t.Apply(store.get(), Options()).ok());
  }
  {  // the primary has serial 5 too (or older): one SOA
    IncomingTransfer t(dns::WireName("e164.arpa."), 5u, "IXFR");
    REQUIRE(AddAll(&t, {Message({{"e164.arpa.", dns::type::kSOA, Soa(5)}})}).ok());
    CHECK(t.done());
    CHECK(t.kind() == IncomingTransfer::Kind::kUpToDate);
    auto r = t.Apply(store.get(), Options());
    REQUIRE(r.ok());
    CHECK(r->meta.serial == 5);
  }
  {  // AXFR-style
    IncomingTransfer t(dns::WireName("e164.arpa."), 5u, "IXFR");
    REQUIRE(AddAll(&t, Zone(6)).ok());
    CHECK(t.kind() == IncomingTransfer::Kind::kFull);
    auto r = t.Apply(store.get(), Options());
    REQUIRE(r.ok());
    CHECK(r->meta.serial == 6);
    CHECK(r->meta.journal_next == r->meta.journal_first);  // a new version, a new journal
  }
  // Two differences: 6 -> 7 changes 1's NAPTR, 7 -> 8 deletes 2 and adds 3.
  const Rec soa6{"e164.arpa.", dns::type::kSOA, Soa(6)},
      soa7{"e164.arpa.", dns::type::kSOA, Soa(7)}, soa8{"e164.arpa.", dns::type::kSOA, Soa(8)};
  const std::vector<std::string> ixfr = {
      Message({soa8, soa6, Naptr("1.e164.arpa.", "sip:one@x"), soa7}),
      Message({Naptr("1.e164.arpa.", "sip:uno@x"), soa7, Naptr("2.e164.arpa.", "sip:two@x"), soa8,
               Naptr("3.4.e164.arpa.", "sip:three@x"), soa8},
              false)};
  {
    IncomingTransfer t(dns::WireName("e164.arpa."), 6u, "IXFR");
    REQUIRE(AddAll(&t, ixfr).ok());
    CHECK(t.kind() == IncomingTransfer::Kind::kIncremental);
    auto r = t.Apply(store.get(), Options());
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->old_serial == 6);
    CHECK(r->new_serial == 8);
    CHECK(r->sequences == 2);
    CHECK(r->meta.journal_next - r->meta.journal_first == 2);  // one entry each: IXFR out
    const ZoneDump dump = DumpZone(*store, "e164.arpa.");
    CHECK(dump.count("2.e164.arpa.") == 0);
    CHECK(dump.count("4.e164.arpa.") == 1);  // the empty non-terminal made for 3.4
    REQUIRE(dump.count("1.e164.arpa.") == 1);
    CHECK(dump.at("1.e164.arpa.").records.at(0).find("sip:uno@x") != std::string::npos);
    CheckEqualsReimport(*store, "e164.arpa.");
  }
  {  // asked from 7, answered from 6: the first difference does not start at ours
    IncomingTransfer t(dns::WireName("e164.arpa."), 7u, "IXFR");
    CHECK(AddAll(&t, ixfr).message().find("starts at serial 6, not at ours (7)") !=
          std::string::npos);
  }
  {  // a deletion the zone does not match: refused, the zone as it was
    const Rec soa9{"e164.arpa.", dns::type::kSOA, Soa(9)};
    IncomingTransfer t(dns::WireName("e164.arpa."), 8u, "IXFR");
    REQUIRE(AddAll(&t, {Message({soa9, soa8, Naptr("1.e164.arpa.", "sip:nobody@x"), soa9,
                                 Naptr("5.e164.arpa.", "sip:five@x"), soa9})})
                .ok());
    auto r = t.Apply(store.get(), Options());
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.status().message().find("which the zone does not have") != std::string::npos,
                  r.status().message());
    CHECK(store->FindZone(OriginWire("e164.arpa."))->serial == 8);
    CHECK(DumpZone(*store, "e164.arpa.").count("5.e164.arpa.") == 0);
  }
  {  // a sequence that does not continue where the last one ended
    IncomingTransfer t(dns::WireName("e164.arpa."), 8u, "IXFR");
    const Rec soa10{"e164.arpa.", dns::type::kSOA, Soa(10)};
    CHECK(AddAll(&t, {Message({soa10, soa8, soa8, soa6, soa10})})
              .message()
              .find("starts at serial 6 where the one before ended at 8") != std::string::npos);
  }
}

TEST_CASE("IncomingTransfer: messages kept in a file once past the memory give the same zone") {
  // 300 numbers over 30 messages; the spool holds 2 KB in memory.
  char dir[] = "/tmp/enumd-transfer-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const Rec soa5{"e164.arpa.", dns::type::kSOA, Soa(5)};
  std::vector<std::string> axfr;
  for (int m = 0; m < 30; ++m) {
    std::vector<Rec> recs;
    if (m == 0) recs = {soa5, kApexNs};
    for (int i = 0; i < 10; ++i)
      recs.push_back(Naptr(std::to_string(i) + "." + std::to_string(m) + ".1.e164.arpa.",
                           "sip:" + std::to_string(m * 10 + i) + "@x"));
    if (m == 29) recs.push_back(soa5);
    axfr.push_back(Message(recs, m == 0));
  }
  auto in_memory = OpenMemoryStore();
  auto spilled = OpenMemoryStore();
  IncomingTransfer a(dns::WireName("e164.arpa."), std::nullopt, "AXFR", dir);
  IncomingTransfer b(dns::WireName("e164.arpa."), std::nullopt, "AXFR", dir, 2048);
  REQUIRE(AddAll(&a, axfr).ok());
  REQUIRE(AddAll(&b, axfr).ok());
  CHECK_FALSE(a.spilled());
  CHECK(b.spilled());
  CHECK(b.messages() == 30);
  REQUIRE(a.Apply(in_memory.get(), Options()).ok());
  auto r = b.Apply(spilled.get(), Options());
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->meta.records == 302);
  CHECK(DumpZone(*spilled, "e164.arpa.") == DumpZone(*in_memory, "e164.arpa."));

  // An incremental one from the file: 5 -> 6 replaces 0.0.1's NAPTR.
  const Rec soa6{"e164.arpa.", dns::type::kSOA, Soa(6)};
  IncomingTransfer i(dns::WireName("e164.arpa."), 5u, "IXFR", dir, 64);
  REQUIRE(AddAll(&i, {Message({soa6, soa5}), Message({Naptr("0.0.1.e164.arpa.", "sip:0@x")}, false),
                      Message({soa6, Naptr("0.0.1.e164.arpa.", "sip:zero@x"), soa6}, false)})
              .ok());
  CHECK(i.spilled());
  auto ri = i.Apply(spilled.get(), Options());
  REQUIRE_MESSAGE(ri.ok(), ri.status().message());
  CHECK(ri->meta.serial == 6);
  CHECK(DumpZone(*spilled, "e164.arpa.").at("0.0.1.e164.arpa.").records.at(0).find("sip:zero@x") !=
        std::string::npos);
  CHECK(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace enumd::zone
