#include "zone/zone_transaction.h"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "zone/zone_exporter.h"
#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using dns::type::kA;
using dns::type::kANY;
using dns::type::kCNAME;
using dns::type::kNAPTR;
using dns::type::kNS;
using dns::type::kSOA;
using testing::DumpZone;
using testing::ImportText;
using testing::OriginWire;
using testing::RecordSet;
using testing::TempDir;

std::string Naptr(uint16_t order, const std::string& uri) {
  return testing::NaptrRdata(order, uri);
}
std::string A(uint8_t last) { return testing::ARdata(last); }
std::string Name(const std::string& text) { return dns::WireName(text); }
const uint8_t* W(const std::string& wire) { return reinterpret_cast<const uint8_t*>(wire.data()); }

// SOA rdata with `serial` (MNAME ns.e164.arpa., RNAME hostmaster.e164.arpa.).
std::string Soa(uint32_t serial) {
  std::string rd = Name("ns.e164.arpa.") + Name("hostmaster.e164.arpa.");
  for (uint32_t v : {serial, 3600u, 600u, 86400u, 60u}) Append32(&rd, v);
  return rd;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<store::ZoneStore> store = testing::OpenMemoryStore();
  std::string origin = OriginWire("e164.arpa.");

  explicit Fixture(const std::string& body = "") {
    auto r = ImportText(store.get(), dir, std::string(testing::kHead) + body);
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());
  }
  std::unique_ptr<ZoneTransaction> Begin() {
    auto t = ZoneTransaction::Begin(store.get(), origin);
    REQUIRE(t.ok());
    return std::move(t.value());
  }
  CommitResult Commit(ZoneTransaction* t, store::JournalLimits limits = {},
                      SerialPolicy policy = SerialPolicy::kIncrement, int64_t now = 0) {
    auto r = t->Commit(policy, now, limits);
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());
    return *r;
  }
  store::ZoneMeta Meta() const { return *store->FindZone(origin); }
  std::vector<std::string> Records() const { return RecordSet(DumpZone(*store, "e164.arpa.")); }
  void CheckSound() const { testing::CheckEqualsReimport(*store, "e164.arpa."); }
};

TEST_CASE("ZoneTransaction: reads see the transaction's own changes; a commit bumps the serial") {
  Fixture f;
  auto t = f.Begin();
  const std::string n = Name("4.3.2.1.e164.arpa.");
  CHECK_FALSE(*t->NameInUse(W(n)));
  CHECK(*t->Add(W(n), kNAPTR, 300, Naptr(10, "sip:a@b")));
  CHECK(*t->NameInUse(W(n)));
  REQUIRE(t->Get(W(n), kNAPTR)->has_value());
  CHECK((*t->Get(W(n), kNAPTR))->rdatas.size() == 1);
  CHECK_FALSE(*t->Add(W(n), kNAPTR, 300, Naptr(10, "sip:a@b")));  // already there
  CommitResult r = f.Commit(t.get());
  CHECK(r.changed);
  CHECK(r.old_serial == 7);
  CHECK(r.new_serial == 8);
  CHECK(f.Meta().serial == 8);
  CHECK(f.Meta().names == 2);
  // Created: the name and its three empty ancestors.
  CHECK(r.changed_keys.size() == 5);  // + the apex (its SOA)
  f.CheckSound();
}

TEST_CASE("ZoneTransaction: a transaction that changes nothing writes nothing") {
  Fixture f("1 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n");
  auto t = f.Begin();
  const std::string n = Name("1.e164.arpa.");
  CHECK(*t->Add(W(n), kNAPTR, 3600, Naptr(20, "sip:x@y")));
  CHECK(*t->DeleteRecord(W(n), kNAPTR, Naptr(20, "sip:x@y")));
  CHECK_FALSE(t->changed());
  CommitResult r = f.Commit(t.get());
  CHECK_FALSE(r.changed);
  CHECK(f.Meta().serial == 7);
  CHECK(f.Meta().journal_next == f.Meta().journal_first);
}

TEST_CASE("ZoneTransaction: what RFC 2136 §3.4.2 ignores is ignored") {
  Fixture f(
      "alias CNAME target.example.\n"
      "data A 10.0.0.1\n");
  const std::string apex = Name("e164.arpa."), alias = Name("alias.e164.arpa.");
  const std::string data = Name("data.e164.arpa.");
  auto t = f.Begin();
  CHECK_FALSE(*t->Add(W(apex), kSOA, 3600, Soa(7)));  // not newer
  CHECK_FALSE(*t->Add(W(apex), kSOA, 3600, Soa(6)));
  CHECK_FALSE(*t->Add(W(data), kSOA, 3600, Soa(99)));  // not at the apex
  CHECK_FALSE(*t->DeleteRRset(W(apex), kSOA));
  CHECK_FALSE(*t->DeleteRRset(W(apex), kNS));
  CHECK_FALSE(*t->DeleteRecord(W(apex), kNS, Name("ns.example.net.")));  // the last one
  CHECK_FALSE(*t->DeleteRecord(W(apex), kSOA, Soa(7)));
  CHECK_FALSE(*t->Add(W(alias), kA, 60, A(1)));                   // beside a CNAME
  CHECK_FALSE(*t->Add(W(data), kCNAME, 60, Name("x.example.")));  // beside data
  CHECK(*t->Add(W(alias), kCNAME, 60, Name("other.example.")));   // replaces it
  CHECK(*t->DeleteRRset(W(apex), kANY) == false);  // keeps SOA and NS: nothing else there
  CommitResult r = f.Commit(t.get());
  CHECK(r.new_serial == 8);
  auto records = f.Records();
  CHECK(std::count(records.begin(), records.end(),
                   "alias.e164.arpa.\t60\tIN\tCNAME\tother.example.") == 1);
  CHECK(records.size() == 4);
  f.CheckSound();
}

TEST_CASE("ZoneTransaction: an update's own newer SOA sets the serial") {
  Fixture f;
  auto t = f.Begin();
  CHECK(*t->Add(W(Name("e164.arpa.")), kSOA, 3600, Soa(2026120600)));
  CHECK(*t->Add(W(Name("1.e164.arpa.")), kA, 60, A(1)));
  CommitResult r = f.Commit(t.get());
  CHECK(r.new_serial == 2026120600);
  CHECK(f.Meta().serial == 2026120600);
}

TEST_CASE("ZoneTransaction: serial policies, RFC 1982 wrap") {
  SUBCASE("unixtime, and +1 when the clock is not ahead") {
    Fixture f;
    auto t = f.Begin();
    CHECK(*t->Add(W(Name("1.e164.arpa.")), kA, 60, A(1)));
    CHECK(f.Commit(t.get(), {}, SerialPolicy::kUnixTime, 1765000000).new_serial == 1765000000);
    t = f.Begin();
    CHECK(*t->Add(W(Name("2.e164.arpa.")), kA, 60, A(1)));
    CHECK(f.Commit(t.get(), {}, SerialPolicy::kUnixTime, 1765000000).new_serial == 1765000001);
  }
  SUBCASE("dateserial") {
    Fixture f;
    auto t = f.Begin();
    CHECK(*t->Add(W(Name("1.e164.arpa.")), kA, 60, A(1)));
    // 2026-12-06T12:00:00Z
    CHECK(f.Commit(t.get(), {}, SerialPolicy::kDateSerial, 1796558400).new_serial == 2026120600);
  }
  SUBCASE("increment skips 0") {
    Fixture f;
    // 7 -> 0x7fffffff -> 0xfffffffe are each "greater" (RFC 1982 §3.2);
    // 7 -> 0xffffffff is not.
    auto t = f.Begin();
    CHECK_FALSE(*t->Add(W(Name("e164.arpa.")), kSOA, 3600, Soa(0xffffffffu)));
    CHECK(*t->Add(W(Name("e164.arpa.")), kSOA, 3600, Soa(0x7fffffffu)));
    f.Commit(t.get());
    t = f.Begin();
    CHECK(*t->Add(W(Name("e164.arpa.")), kSOA, 3600, Soa(0xfffffffeu)));
    f.Commit(t.get());
    for (uint32_t want : {0xffffffffu, 1u}) {
      t = f.Begin();
      CHECK(*t->Add(W(Name(std::to_string(want) + ".e164.arpa.")), kA, 60, A(1)));
      CHECK(f.Commit(t.get()).new_serial == want);
    }
  }
}

TEST_CASE("ZoneTransaction: an NS below the apex makes a cut; removing it undoes the flags") {
  Fixture f(
      "5.5 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n"
      "1.2.5.5 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:c@d!\" .\n"
      "x.1.2.5.5 A 10.0.0.1\n");
  const std::string cut = Name("2.5.5.e164.arpa.");
  auto t = f.Begin();
  CHECK(*t->Add(W(cut), kNS, 3600, Name("ns.child.example.")));
  f.Commit(t.get());
  auto dump = DumpZone(*f.store, "e164.arpa.");
  CHECK(dump.at("2.5.5.e164.arpa.").flags == store::kNodeDelegation);
  CHECK(dump.at("1.2.5.5.e164.arpa.").flags == store::kNodeBelowCut);
  CHECK(dump.at("x.1.2.5.5.e164.arpa.").cut_labels == 3);
  f.CheckSound();
  t = f.Begin();
  CHECK(*t->DeleteRRset(W(cut), kNS));
  f.Commit(t.get());
  dump = DumpZone(*f.store, "e164.arpa.");
  CHECK(dump.at("1.2.5.5.e164.arpa.").flags == 0);
  CHECK(dump.count("2.5.5.e164.arpa.") == 1);  // an empty non-terminal again
  f.CheckSound();
}

TEST_CASE("ZoneTransaction: the journal holds each change, within its limits") {
  Fixture f;
  store::JournalLimits limits;
  limits.max_entries = 3;
  for (int i = 1; i <= 5; ++i) {
    auto t = f.Begin();
    CHECK(*t->Add(W(Name(std::to_string(i) + ".e164.arpa.")), kA, 60, A(static_cast<uint8_t>(i))));
    if (i == 5) CHECK(*t->DeleteRRset(W(Name("4.e164.arpa.")), kA));
    f.Commit(t.get(), limits);
  }
  store::ZoneMeta m = f.Meta();
  CHECK(m.journal_next - m.journal_first == 3);
  std::vector<JournalDiff> diffs;
  REQUIRE(f.store
              ->ForEachJournalEntry(m, 0,
                                    [&](uint64_t, std::string_view v) {
                                      JournalDiff d;
                                      REQUIRE(DecodeJournalEntry(v, &d));
                                      diffs.push_back(d);
                                      return true;
                                    })
              .ok());
  REQUIRE(diffs.size() == 3);
  CHECK(diffs[0].old_serial == 9);
  CHECK(diffs[2].new_serial == 12);
  // The last one: the SOA out and in, 4 removed, 5 added.
  CHECK(diffs[2].removed.size() == 2);
  CHECK(diffs[2].added.size() == 2);
  CHECK(diffs[2].removed[0].type == kSOA);
  CHECK(diffs[2].removed[1].owner == Name("4.e164.arpa."));
  // A new import starts a new, empty journal.
  auto r = ImportText(f.store.get(), f.dir, std::string(testing::kHead));
  REQUIRE(r.ok());
  m = f.Meta();
  CHECK(m.journal_next == m.journal_first);
  int left = 0;
  REQUIRE(
      f.store->ForEachJournalEntry(m, 0, [&](uint64_t, std::string_view) { return ++left; }).ok());
  CHECK(left == 0);
}

// Random transactions over a pool of names (deep numbers, a wildcard block,
// names that become and stop being cuts, CNAMEs): after every commit the
// store must equal a fresh import of its own export, and the journal entry
// must turn the previous record set into the new one.
TEST_CASE("ZoneTransaction: random changes keep the zone equal to its own re-import") {
  Fixture f("*.9 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:w@b!\" .\n");
  std::mt19937 rng(18);
  std::vector<std::string> names;
  for (const char* n : {"1", "2.1", "3.2.1", "4.3.2.1", "5.3.2.1", "7.2.1", "6.9", "*.6.9", "1.6.9",
                        "8", "2.8", "3.2.8", "x.3.2.8"})
    names.push_back(Name(std::string(n) + ".e164.arpa."));
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> records = f.Records();
  for (int round = 0; round < 150; ++round) {
    auto t = f.Begin();
    const int ops = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < ops; ++i) {
      const std::string& n = names[pick(names.size())];
      const bool wildcard = n[0] == 1 && n[1] == '*';
      switch (pick(7)) {
        case 0:
        case 1:
          REQUIRE(t->Add(W(n), kNAPTR, 300 + 60 * static_cast<uint32_t>(pick(2)),
                         Naptr(static_cast<uint16_t>(pick(3)), "sip:n@b"))
                      .ok());
          break;
        case 2:
          REQUIRE(t->Add(W(n), kA, 60, A(static_cast<uint8_t>(pick(3)))).ok());
          break;
        case 3:
          if (!wildcard) REQUIRE(t->Add(W(n), kNS, 3600, Name("ns.other.example.")).ok());
          break;
        case 4:
          REQUIRE(t->Add(W(n), kCNAME, 300, Name("elsewhere.example.")).ok());
          break;
        case 5:
          REQUIRE(t->DeleteRRset(W(n), pick(2) ? kANY : kNAPTR).ok());
          break;
        case 6:
          REQUIRE(t->DeleteRRset(W(n), kNS).ok());
          break;
      }
    }
    const uint32_t serial = f.Meta().serial;
    CommitResult r = f.Commit(t.get());
    if (!r.changed) continue;
    CHECK(r.old_serial == serial);
    CHECK(r.new_serial == serial + 1);
    f.CheckSound();
    // Replay the journal entry on the previous record set.
    store::ZoneMeta m = f.Meta();
    JournalDiff diff;
    REQUIRE(f.store
                ->ForEachJournalEntry(m, m.journal_next - 1,
                                      [&](uint64_t, std::string_view v) {
                                        REQUIRE(DecodeJournalEntry(v, &diff));
                                        return false;
                                      })
                .ok());
    std::multiset<std::string> replay(records.begin(), records.end());
    for (const JournalRecord& rec : diff.removed) {
      auto it = replay.find(RecordToText(W(rec.owner), rec.type, rec.ttl, W(rec.rdata),
                                         static_cast<uint16_t>(rec.rdata.size())));
      REQUIRE(it != replay.end());
      replay.erase(it);
    }
    for (const JournalRecord& rec : diff.added)
      replay.insert(RecordToText(W(rec.owner), rec.type, rec.ttl, W(rec.rdata),
                                 static_cast<uint16_t>(rec.rdata.size())));
    records = f.Records();
    CHECK(std::vector<std::string>(replay.begin(), replay.end()) == records);
  }
}

}  // namespace
}  // namespace enumd::zone
