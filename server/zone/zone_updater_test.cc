#include "zone/zone_updater.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dns/constants.h"
#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using testing::DumpZone;
using testing::ImportText;
using testing::OriginWire;
using testing::RecordSet;
using testing::TempDir;
using testing::ZoneDump;

std::string Naptr(uint16_t order, const std::string& uri) {
  return testing::NaptrRdata(order, uri);
}

std::string A(uint8_t last) { return testing::ARdata(last); }

// An in-memory store holding a small e164.arpa. zone; helpers for updates by
// name text.
struct Fixture {
  TempDir dir;
  std::unique_ptr<store::ZoneStore> store = testing::OpenMemoryStore();
  std::string origin = OriginWire("e164.arpa.");

  explicit Fixture(const std::string& body = "") {
    auto r = ImportText(store.get(), dir, std::string(testing::kHead) + body);
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());
  }
  Status Add(const std::string& name, uint16_t type, const std::string& rdata,
             uint32_t ttl = 3600) {
    std::string w = dns::WireName(name);
    REQUIRE(!w.empty());
    return AddRecord(store.get(), origin, reinterpret_cast<const uint8_t*>(w.data()), type, ttl,
                     rdata);
  }
  Result<uint64_t> Del(const std::string& name, uint16_t type = dns::type::kNAPTR) {
    std::string w = dns::WireName(name);
    REQUIRE(!w.empty());
    return DeleteRecords(store.get(), origin, reinterpret_cast<const uint8_t*>(w.data()), type);
  }
  store::ZoneMeta Meta() const { return *store->FindZone(origin); }
  ZoneDump Dump() const { return DumpZone(*store, "e164.arpa."); }

  void CheckEqualsReimport() const { testing::CheckEqualsReimport(*store, "e164.arpa."); }
};

constexpr const char* kNumber = "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.";

TEST_CASE("ZoneUpdater: add creates the name and its empty ancestors") {
  Fixture f;
  CHECK(f.Meta().names == 1);
  CHECK(f.Meta().records == 2);
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  ZoneDump z = f.Dump();
  for (const char* ent : {"6.e164.arpa.", "1.6.e164.arpa.", "3.1.6.e164.arpa.",
                          "5.5.5.3.1.6.e164.arpa.", "9.0.0.5.5.5.3.1.6.e164.arpa."}) {
    INFO(ent);
    REQUIRE(z.count(ent));
    CHECK(z[ent].records.empty());
    CHECK(z[ent].flags == 0);
  }
  CHECK(z.size() == 12);  // apex, 10 ancestors, the number
  REQUIRE(z[kNumber].records.size() == 1);
  CHECK(z[kNumber].records[0] == std::string(kNumber) +
                                     "\t3600\tIN\tNAPTR\t10 100 \"u\" \"E2U+sip\" "
                                     "\"!^.*$!sip:a@b!\" .");
  CHECK(f.Meta().names == 2);
  CHECK(f.Meta().records == 3);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: add to an existing name joins its RRset") {
  Fixture f;
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(20, "sip:c@d")).ok());
  CHECK(f.Dump()[kNumber].records.size() == 2);
  CHECK(f.Meta().names == 2);
  CHECK(f.Meta().records == 4);
  // Another type at the same name: a second RRset, still one name.
  REQUIRE(f.Add(kNumber, dns::type::kA, A(1)).ok());
  CHECK(f.Dump()[kNumber].records.size() == 3);
  CHECK(f.Meta().names == 2);
  CHECK(f.Meta().records == 5);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: an RRset that no DNS message could carry is refused (issue 18)") {
  Fixture f;
  const std::string uri = "sip:" + std::string(200, 'x') + "@example.net";
  int added = 0;
  Status st;
  for (uint16_t order = 0; order < 400; ++order) {
    st = f.Add(kNumber, dns::type::kNAPTR, Naptr(order, uri));
    if (!st.ok()) break;
    ++added;
  }
  // Each record takes 12 + 239 bytes in a message, after a header (12) and
  // the question (33 + 4): 260 fit 65535 bytes, the 261st does not.
  CHECK(Naptr(0, uri).size() == 239);
  CHECK(added == 260);
  CHECK(st.message().find("over the 65535 any message can hold") != std::string::npos);
  CHECK(f.Dump()[kNumber].records.size() == 260);
  CHECK(f.Meta().records == 2 + 260);
}

TEST_CASE("ZoneUpdater: adding a record that exists changes nothing") {
  Fixture f;
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  ZoneDump before = f.Dump();
  auto meta = f.Meta();
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  CHECK(f.Dump().size() == before.size());
  CHECK(RecordSet(f.Dump()) == RecordSet(before));
  CHECK(f.Meta().records == meta.records);
  CHECK(f.Meta().names == meta.names);
}

TEST_CASE("ZoneUpdater: adding to an empty non-terminal gives it data") {
  Fixture f;
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  REQUIRE(f.Add("0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kNAPTR, Naptr(10, "sip:x@y")).ok());
  CHECK(f.Meta().names == 3);
  CHECK(f.Meta().records == 4);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: CNAME conflicts are refused and change nothing") {
  Fixture f("alias IN CNAME target.example.\n");
  REQUIRE(f.Add(kNumber, dns::type::kNAPTR, Naptr(10, "sip:a@b")).ok());
  auto meta = f.Meta();
  std::string target =
      "\x06target\x07"
      "example";
  target.push_back('\0');
  std::string other =
      "\x05other\x07"
      "example";
  other.push_back('\0');
  Status st = f.Add(kNumber, dns::type::kCNAME, target);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("CNAME") != std::string::npos);
  st = f.Add("alias.e164.arpa.", dns::type::kNAPTR, Naptr(10, "sip:a@b"));
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("CNAME") != std::string::npos);
  st = f.Add("alias.e164.arpa.", dns::type::kCNAME, other);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("already has a CNAME") != std::string::npos);
  // The same CNAME again is a duplicate, not a conflict.
  CHECK(f.Add("alias.e164.arpa.", dns::type::kCNAME, target).ok());
  CHECK(f.Meta().records == meta.records);
  CHECK(f.Meta().names == meta.names);
  // A CNAME at a new name is fine.
  CHECK(f.Add("alias2.e164.arpa.", dns::type::kCNAME, target).ok());
  CHECK(f.Meta().names == meta.names + 1);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: SOA and NS changes are refused") {
  Fixture f;
  std::string ns =
      "\x02ns\x07"
      "example";
  ns.push_back('\0');
  CHECK_FALSE(f.Add("sub.e164.arpa.", dns::type::kNS, ns).ok());
  CHECK_FALSE(f.Add("e164.arpa.", dns::type::kNS, ns).ok());
  CHECK_FALSE(f.Add("e164.arpa.", dns::type::kSOA, std::string(22, '\0')).ok());
  CHECK_FALSE(f.Del("e164.arpa.", dns::type::kNS).ok());
  CHECK_FALSE(f.Del("e164.arpa.", dns::type::kSOA).ok());
  CHECK(f.Meta().records == 2);
  CHECK(f.Dump().size() == 1);
}

TEST_CASE("ZoneUpdater: names outside the zone, and zones not in the store, are refused") {
  Fixture f;
  CHECK_FALSE(f.Add("www.example.org.", dns::type::kA, A(1)).ok());
  CHECK_FALSE(f.Add("arpa.", dns::type::kA, A(1)).ok());
  std::string other = OriginWire("example.org.");
  std::string w = dns::WireName("www.example.org.");
  CHECK_FALSE(AddRecord(f.store.get(), other, reinterpret_cast<const uint8_t*>(w.data()),
                        dns::type::kA, 60, A(1))
                  .ok());
  CHECK_FALSE(
      DeleteRecords(f.store.get(), other, reinterpret_cast<const uint8_t*>(w.data()), 0).ok());
}

TEST_CASE("ZoneUpdater: del removes a name and prunes the ancestors no other name needs") {
  Fixture f(
      "1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:1@b!\" .\n"
      "2.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:2@b!\" .\n"
      "2.1.9.0.0.5.5.5.3.1.6 IN NAPTR 20 100 \"u\" \"E2U+sip\" \"!^.*$!sip:3@b!\" .\n"
      "4.3.2.1.0.5.5.5.2.1.6 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:4@b!\" .\n");
  CHECK(f.Meta().names == 4);
  CHECK(f.Meta().records == 6);

  // A sibling still needs 9.0.0.5.5.5.3.1.6 and everything above it.
  auto n = f.Del(kNumber);
  REQUIRE(n.ok());
  CHECK(*n == 1);
  ZoneDump z = f.Dump();
  CHECK(z.count(kNumber) == 0);
  CHECK(z.count("9.0.0.5.5.5.3.1.6.e164.arpa."));
  CHECK(f.Meta().names == 3);
  CHECK(f.Meta().records == 5);
  f.CheckEqualsReimport();

  // The last name under 3.1.6: its whole branch goes, 1.6 stays for 2.1.6.
  n = f.Del("2.1.9.0.0.5.5.5.3.1.6.e164.arpa.");
  REQUIRE(n.ok());
  CHECK(*n == 2);
  z = f.Dump();
  CHECK(z.count("2.1.9.0.0.5.5.5.3.1.6.e164.arpa.") == 0);
  CHECK(z.count("9.0.0.5.5.5.3.1.6.e164.arpa.") == 0);
  CHECK(z.count("3.1.6.e164.arpa.") == 0);
  CHECK(z.count("1.6.e164.arpa."));
  CHECK(z.count("6.e164.arpa."));
  CHECK(f.Meta().names == 2);
  CHECK(f.Meta().records == 3);
  f.CheckEqualsReimport();

  // Deleting what is not there removes nothing.
  n = f.Del(kNumber);
  REQUIRE(n.ok());
  CHECK(*n == 0);
  n = f.Del("3.2.1.0.5.5.5.2.1.6.e164.arpa.");  // an empty non-terminal
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(f.Dump().count("3.2.1.0.5.5.5.2.1.6.e164.arpa."));
  CHECK(f.Meta().names == 2);

  // The last number: only the apex is left.
  n = f.Del("4.3.2.1.0.5.5.5.2.1.6.e164.arpa.");
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(f.Dump().size() == 1);
  CHECK(f.Meta().names == 1);
  CHECK(f.Meta().records == 2);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: del of a name with names below it leaves an empty non-terminal") {
  Fixture f(
      "3.2.1 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n"
      "4.3.2.1 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:c@b!\" .\n");
  auto n = f.Del("3.2.1.e164.arpa.");
  REQUIRE(n.ok());
  CHECK(*n == 1);
  ZoneDump z = f.Dump();
  REQUIRE(z.count("3.2.1.e164.arpa."));
  CHECK(z["3.2.1.e164.arpa."].records.empty());
  CHECK(f.Meta().names == 2);
  f.CheckEqualsReimport();
  // Then the one below: both go, and so do 2.1 and 1.
  n = f.Del("4.3.2.1.e164.arpa.");
  REQUIRE(n.ok());
  CHECK(f.Dump().size() == 1);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: del of one type keeps the others; type 0 keeps SOA and NS") {
  Fixture f("x IN A 10.0.0.1\nx IN TXT \"t\"\n@ IN A 10.0.0.2\n");
  auto n = f.Del("x.e164.arpa.", dns::type::kA);
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(f.Dump()["x.e164.arpa."].records.size() == 1);
  CHECK(f.Meta().names == 2);
  n = f.Del("e164.arpa.", 0);
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(f.Dump()["e164.arpa."].records.size() == 2);  // SOA and NS
  CHECK(f.Meta().names == 2);
  CHECK(f.Meta().records == 3);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: a name added below a zone cut is flagged like imported glue") {
  Fixture f("sub IN NS ns.sub\nns.sub IN A 10.0.0.1\n");
  REQUIRE(f.Add("a.b.sub.e164.arpa.", dns::type::kA, A(2)).ok());
  REQUIRE(f.Add("c.ns.sub.e164.arpa.", dns::type::kA, A(3)).ok());
  ZoneDump z = f.Dump();
  CHECK(z["b.sub.e164.arpa."].flags == store::kNodeBelowCut);
  CHECK(z["a.b.sub.e164.arpa."].flags == store::kNodeBelowCut);
  CHECK(z["a.b.sub.e164.arpa."].cut_labels == 1);
  CHECK(z["c.ns.sub.e164.arpa."].cut_labels == 1);
  f.CheckEqualsReimport();
  REQUIRE(f.Del("a.b.sub.e164.arpa.", 0).ok());
  CHECK(f.Dump().count("b.sub.e164.arpa.") == 0);
  f.CheckEqualsReimport();
}

TEST_CASE("ZoneUpdater: a sequence of adds and dels keeps the counters right") {
  Fixture f;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    std::string digits = std::to_string(61355500000 + i * 13);
    std::string name;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) name += std::string(1, *it) + ".";
    names.push_back(name + "e164.arpa.");
    REQUIRE(f.Add(names.back(), dns::type::kNAPTR, Naptr(10, "sip:" + digits + "@x")).ok());
  }
  CHECK(f.Meta().names == 41);
  CHECK(f.Meta().records == 42);
  f.CheckEqualsReimport();
  for (size_t i = 0; i < names.size(); i += 3) REQUIRE(f.Del(names[i]).ok());
  CHECK(f.Meta().names == 41 - 14);
  CHECK(f.Meta().records == 42 - 14);
  f.CheckEqualsReimport();
}

}  // namespace
}  // namespace enumd::zone
