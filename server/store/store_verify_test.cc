#include "store/store_verify.h"

#include <doctest/doctest.h>

#include <string>

#include "store/node.h"

namespace enumd::store {
namespace {

const std::string kOrigin(
    "\x04"
    "e164\x04"
    "arpa\x00",
    11);

std::string Node(uint8_t flags, uint16_t type, const std::string& rdata) {
  NodeWriter w(flags);
  if (type == 6) {
    w.BeginRRset(6, 60);
    w.AddRdata(std::string(22, '\0'));
  } else if (type != 0) {
    w.BeginRRset(type, 60);
    w.AddRdata(rdata);
  }
  return w.Finish();
}

std::unique_ptr<ZoneStore> Store() {
  ZoneStore::Options o;
  o.in_memory = true;
  auto r = ZoneStore::Open("/mem/verify", ZoneStore::Mode::kReadWrite, o);
  REQUIRE(r.ok());
  return std::move(r.value());
}

// apex, "1", "1.2" (an ENT "1" holds the way to it).
void Import(ZoneStore* s, bool with_ent, uint64_t names, uint64_t records) {
  auto imp = s->BeginImport(kOrigin);
  REQUIRE(imp.ok());
  REQUIRE((*imp)->PutNode("", Node(kNodeApex, 6, "")).ok());
  if (with_ent) REQUIRE((*imp)->PutNode(std::string("1\0", 2), Node(0, 0, "")).ok());
  REQUIRE((*imp)
              ->PutNode(std::string("1\0"
                                    "2\0",
                                    4),
                        Node(0, 35, "x"))
              .ok());
  ZoneMeta m;
  m.names = names;
  m.records = records;
  REQUIRE((*imp)->Commit(m).ok());
}

TEST_CASE("VerifyStore: a sound zone passes; its nodes and records are counted") {
  auto s = Store();
  Import(s.get(), true, 2, 2);
  VerifyReport r = VerifyStore(*s);
  CHECK(r.problems.size() == 0);
  for (const auto& p : r.problems) MESSAGE(p);
  CHECK(r.zones == 1);
  CHECK(r.nodes == 3);
  CHECK(r.records == 2);
  CHECK(r.notes.empty());
}

TEST_CASE("VerifyStore: a lost empty non-terminal and wrong counts are found") {
  auto s = Store();
  Import(s.get(), false, 5, 9);
  VerifyReport r = VerifyStore(*s);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0] ==
        "zone e164.arpa.: 2.1.e164.arpa.: its parent name is missing (an empty non-terminal was "
        "lost; wildcard and NXDOMAIN answers below it are wrong)");
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("holds 2 names and 2 records; its record says 5 and 9") !=
        std::string::npos);
}

TEST_CASE("VerifyStore: a node that does not parse and a missing apex are damage") {
  auto s = Store();
  Import(s.get(), true, 2, 2);
  ZoneMeta m = *s->FindZone(kOrigin);
  REQUIRE(s->ApplyChanges(m, {{"", std::nullopt}, {std::string("1\0", 2), "\x09garbage"}}).ok());
  VerifyReport r = VerifyStore(*s);
  CHECK_FALSE(r.ok());
  bool apex = false, garbage = false;
  for (const auto& p : r.problems) {
    apex |= p.find("has no apex node") != std::string::npos;
    garbage |= p == "zone e164.arpa.: 1.e164.arpa.: its node does not parse";
  }
  CHECK(apex);
  CHECK(garbage);
}

}  // namespace
}  // namespace enumd::store
