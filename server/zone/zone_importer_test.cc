#include "zone/zone_importer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "zone/zone_test_support.h"
#include "zone/zone_transaction.h"

namespace enumd::zone {
namespace {

using testing::DumpZone;
using testing::ImportText;
using testing::kHead;
using testing::OriginWire;
using testing::RecordSet;
using testing::TempDir;
using testing::ZoneDump;

std::string Head(const std::string& body) { return std::string(kHead) + body; }

// Imports `text`; expects an error "FILE:LINE: ..." naming zone.db (or `file`)
// and `line`, with `reason_part` in the reason.
void ExpectImportError(const std::string& text, size_t line, const std::string& reason_part,
                       const std::string& origin = "") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir, text, origin);
  REQUIRE_FALSE(r.ok());
  std::string msg = r.status().message();
  INFO("error: ", msg);
  std::string prefix = dir.path() + "/zone.db:" + std::to_string(line) + ": ";
  CHECK(msg.rfind(prefix, 0) == 0);
  CHECK(msg.find(reason_part, prefix.size()) != std::string::npos);
  CHECK(s->Zones().empty());  // nothing was written
}

// The playground zone, imported into a fresh in-memory store.
struct Playground {
  std::unique_ptr<store::ZoneStore> store = testing::OpenMemoryStore();
  ImportResult result;
  Playground() {
    auto r = ImportZoneFile(store.get(), testing::kPlaygroundZone, ImportOptions());
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());
    result = *r;
  }
};

// --- what an import stores ---------------------------------------------------

TEST_CASE("ZoneImporter: the playground imports with the counts and names it holds") {
  Playground p;
  CHECK(p.result.origin_text == "e164.arpa.");
  CHECK(p.result.meta.serial == 2009010918u);
  CHECK(p.result.meta.names == 10);
  CHECK(p.result.meta.records == 16);
  ZoneDump z = DumpZone(*p.store, "e164.arpa.");
  REQUIRE(z.count("e164.arpa."));
  CHECK(z["e164.arpa."].flags == store::kNodeApex);
  CHECK(z["e164.arpa."].records.size() == 3);  // SOA, NS, A
  CHECK(z["2.1.9.0.0.5.5.5.3.1.6.e164.arpa."].records.size() == 2);
  CHECK(z["3.1.9.0.0.5.5.5.3.1.6.e164.arpa."].records.size() == 3);
  // "\\1" in the file is one backslash in the stored regexp.
  REQUIRE(z["5.1.9.0.0.5.5.5.3.1.6.e164.arpa."].records.size() == 1);
  CHECK(z["5.1.9.0.0.5.5.5.3.1.6.e164.arpa."].records[0].find(
            "\"!(^.*$)!sip:+1\\\\1@enum.nickvsnetworking.com!\"") != std::string::npos);
}

TEST_CASE("ZoneImporter: empty non-terminals exist, with no data (RFC 4592 §2.2.2)") {
  Playground p;
  ZoneDump z = DumpZone(*p.store, "e164.arpa.");
  for (const char* ent : {"2.1.0.5.5.5.2.1.6.e164.arpa.", "3.2.1.0.5.5.5.2.1.6.e164.arpa.",
                          "1.0.5.5.5.2.1.6.e164.arpa.", "6.e164.arpa.", "1.6.e164.arpa.",
                          "0.0.5.5.5.3.1.6.e164.arpa.", "1.1.0.0.e164.arpa.", "0.e164.arpa."}) {
    INFO(ent);
    REQUIRE(z.count(ent) == 1);
    CHECK(z[ent].records.empty());
    CHECK(z[ent].flags == 0);
  }
  // Exactly the names with data plus their ancestors: 10 with data, and 23
  // empty: 6, 1.6, 2.1.6, 5.2.1.6, 5.5.2.1.6, 5.5.5.2.1.6, 0.5.5.5.2.1.6,
  // 1.0.5.5.5.2.1.6, 2.1.0.5.5.5.2.1.6, 3.2.1.0.5.5.5.2.1.6, 2.0.5.5.5.2.1.6,
  // 3.1.6, 5.3.1.6, 5.5.3.1.6, 5.5.5.3.1.6, 0.5.5.5.3.1.6, 0.0.5.5.5.3.1.6,
  // 9.0.0.5.5.5.3.1.6, 1.9.0.0.5.5.5.3.1.6, 0, 0.0, 1.0.0, 1.1.0.0.
  CHECK(z.size() == 10 + 23);
  CHECK(p.result.empty_non_terminals == 23);
}

TEST_CASE("ZoneImporter: identical records are merged, also when written differently") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("x IN A 10.0.0.1\n"
                           "X.e164.arpa. 60 IN A 10.0.0.1\n"  // same record: other case and TTL
                           "x IN A 10.0.0.2\n"
                           "x IN TXT \"a\"\n"
                           "x IN TXT \"a\"\n"
                           "x IN TXT \"A\"\n"));  // strings keep their case
  REQUIRE(r.ok());
  CHECK(r->meta.records == 2 + 4);
  CHECK(r->meta.names == 2);
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z["x.e164.arpa."].records ==
        std::vector<std::string>{
            "x.e164.arpa.\t3600\tIN\tA\t10.0.0.1", "x.e164.arpa.\t3600\tIN\tA\t10.0.0.2",
            "x.e164.arpa.\t3600\tIN\tTXT\t\"a\"", "x.e164.arpa.\t3600\tIN\tTXT\t\"A\""});
}

TEST_CASE("ZoneImporter: an RRset takes the TTL of its first record in the file") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("y 300 IN A 10.0.0.1\n"
                           "x 100 IN A 10.0.0.1\n"
                           "y 50 IN AAAA ::1\n"
                           "x 200 IN A 10.0.0.2\n"
                           "y 600 IN A 10.0.0.2\n"));
  REQUIRE(r.ok());
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z["x.e164.arpa."].records ==
        std::vector<std::string>{"x.e164.arpa.\t100\tIN\tA\t10.0.0.1",
                                 "x.e164.arpa.\t100\tIN\tA\t10.0.0.2"});
  CHECK(z["y.e164.arpa."].records == std::vector<std::string>{"y.e164.arpa.\t300\tIN\tA\t10.0.0.1",
                                                              "y.e164.arpa.\t300\tIN\tA\t10.0.0.2",
                                                              "y.e164.arpa.\t50\tIN\tAAAA\t::1"});
}

TEST_CASE("ZoneImporter: a zone cut flags the names below it, and only those") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("sub IN NS ns.sub\n"
                           "ns.sub IN A 10.0.0.1\n"     // glue
                           "a.b.sub IN A 10.0.0.2\n"    // occluded, below an ENT b.sub
                           "deeper.x.sub IN NS ns.x\n"  // NS below a cut: not a new cut
                           "sub2 IN A 10.0.0.3\n"
                           "a.sua IN A 10.0.0.4\n"
                           "a.suc IN A 10.0.0.5\n"));
  REQUIRE(r.ok());
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z["e164.arpa."].flags == store::kNodeApex);
  CHECK(z["sub.e164.arpa."].flags == store::kNodeDelegation);
  CHECK(z["sub.e164.arpa."].cut_labels == 0);
  for (const char* below : {"ns.sub.e164.arpa.", "b.sub.e164.arpa.", "a.b.sub.e164.arpa.",
                            "x.sub.e164.arpa.", "deeper.x.sub.e164.arpa."}) {
    INFO(below);
    REQUIRE(z.count(below));
    CHECK(z[below].flags == store::kNodeBelowCut);
    CHECK(z[below].cut_labels == 1);
  }
  for (const char* free : {"sub2.e164.arpa.", "sua.e164.arpa.", "a.sua.e164.arpa.",
                           "suc.e164.arpa.", "a.suc.e164.arpa."}) {
    INFO(free);
    REQUIRE(z.count(free));
    CHECK(z[free].flags == 0);
  }
}

TEST_CASE("ZoneImporter: nested cut labels count from the origin") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("c.b IN NS ns.example.\n"
                           "x.y.c.b IN A 10.0.0.1\n"
                           "b IN A 10.0.0.9\n"));
  REQUIRE(r.ok());
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z["b.e164.arpa."].flags == 0);
  CHECK(z["c.b.e164.arpa."].flags == store::kNodeDelegation);
  CHECK(z["y.c.b.e164.arpa."].flags == store::kNodeBelowCut);
  CHECK(z["y.c.b.e164.arpa."].cut_labels == 2);
  CHECK(z["x.y.c.b.e164.arpa."].cut_labels == 2);
}

// --- where the origin comes from ---------------------------------------------

TEST_CASE("ZoneImporter: the origin comes from $ORIGIN") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      "$ORIGIN 6.1.e164.arpa.\n"
                      "$TTL 60\n"
                      "@ SOA ns hostmaster 1 2 3 4 5\n"
                      "@ NS ns\n"
                      "ns A 192.0.2.1\n"
                      "1.1 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n");
  REQUIRE(r.ok());
  CHECK(r->origin_text == "6.1.e164.arpa.");
  ZoneDump z = DumpZone(*s, "6.1.e164.arpa.");
  CHECK(z.count("1.1.6.1.e164.arpa."));
  CHECK(z.count("ns.6.1.e164.arpa.") == 1);
}

TEST_CASE("ZoneImporter: the origin comes from the SOA owner") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      "$TTL 60\n"
                      "example.org. SOA ns.example.org. h.example.org. 1 2 3 4 5\n"
                      "example.org. NS ns.example.org.\n"
                      "ns A 10.0.0.53\n"
                      "www A 10.0.0.1\n");
  REQUIRE(r.ok());
  CHECK(r->origin_text == "example.org.");
  CHECK(DumpZone(*s, "example.org.").count("www.example.org."));
}

TEST_CASE("ZoneImporter: the origin comes from the options (enumctl --origin)") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      "$TTL 60\n"
                      "@ SOA ns hostmaster 1 2 3 4 5\n"
                      "@ NS ns\n"
                      "ns A 192.0.2.1\n"
                      "4.3 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n",
                      "1.6.E164.ARPA");
  REQUIRE(r.ok());
  CHECK(r->origin_text == "1.6.e164.arpa.");
  CHECK(s->FindZone(OriginWire("1.6.e164.arpa.")).has_value());
  CHECK(DumpZone(*s, "1.6.e164.arpa.").count("4.3.1.6.e164.arpa."));
}

TEST_CASE("ZoneImporter: with no origin anywhere, the import fails at line 1") {
  ExpectImportError("x 60 IN A 10.0.0.1\n", 1, "no origin");
}

// --- rejection rules: one each, with the exact FILE:LINE ----------------------

TEST_CASE("ZoneImporter rejects: no SOA (reported at the first record)") {
  ExpectImportError(
      "$ORIGIN e164.arpa.\n"
      "$TTL 60\n"
      "\n"
      "@ IN NS ns.example.\n"
      "x IN A 10.0.0.1\n",
      4, "no SOA");
}

TEST_CASE("ZoneImporter rejects: a second SOA (at its line, naming the first)") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("x IN A 10.0.0.1\n"
                           "@ IN SOA ns.e164.arpa. h.e164.arpa. 8 1 1 1 1\n"));
  REQUIRE_FALSE(r.ok());
  std::string f = dir.path() + "/zone.db";
  CHECK(r.status().message() ==
        f + ":6: a second, different SOA record (the first is at " + f + ":3)");
}

TEST_CASE("ZoneImporter: an identical SOA again (dig AXFR output) is one record, as in BIND") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(
      s.get(), dir,
      Head("x IN A 10.0.0.1\n@ IN SOA ns.e164.arpa. hostmaster.e164.arpa. 7 3600 600 86400 60\n"));
  REQUIRE(r.ok());
  CHECK(r->meta.serial == 7);
  CHECK(DumpZone(*s, "e164.arpa.")["e164.arpa."].records.size() == 2);  // one SOA, one NS
}

TEST_CASE("ZoneImporter rejects: an SOA below the apex") {
  ExpectImportError(
      "$ORIGIN e164.arpa.\n"
      "$TTL 60\n"
      "1.6 IN SOA ns.e164.arpa. h.e164.arpa. 1 1 1 1 1\n",
      3, "SOA record is not at the zone apex", "e164.arpa.");
}

TEST_CASE("ZoneImporter rejects: a DS at the apex (it belongs to the parent, as BIND says)") {
  ExpectImportError(
      "$ORIGIN e164.arpa.\n"
      "$TTL 60\n"
      "@ IN SOA ns.e164.arpa. h.e164.arpa. 1 1 1 1 1\n"
      "@ IN NS ns.example.\n"
      "@ IN DS 40920 13 2 70959CF5D6A0A3F53BD0AE42DF4DA6ADE84DA066AE1F95F6B6B610DA53F6E86A\n",
      5, "DS record at the zone apex", "e164.arpa.");
}

TEST_CASE("ZoneImporter rejects: no NS at the apex (reported at the SOA)") {
  ExpectImportError(
      "$ORIGIN e164.arpa.\n"
      "$TTL 60\n"
      "x IN A 10.0.0.1\n"
      "@ IN SOA ns.e164.arpa. h.e164.arpa. 1 1 1 1 1\n"
      "sub IN NS ns.example.\n",  // a delegation is not the apex
      4, "no NS records at the zone apex");
}

TEST_CASE("ZoneImporter: a name outside the origin is skipped with a warning, as in BIND") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir,
                      Head("x IN A 10.0.0.1\n"
                           "www.example.org. IN A 10.0.0.2\n"
                           "arpa. IN A 10.0.0.2\n"  // the parent
                           "xe164.arpa. IN A 10.0.0.2\n"));
  REQUIRE(r.ok());
  CHECK(r->out_of_zone == 3);
  REQUIRE(r->warnings.size() == 3);
  CHECK(r->warnings[0] ==
        dir.path() + "/zone.db:6: ignoring www.example.org.: outside the origin e164.arpa.");
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z.count("x.e164.arpa."));
  CHECK(r->meta.records == 3);  // SOA, NS, x
}

TEST_CASE("ZoneImporter: check-names warns by default, fails or keeps quiet on request") {
  TempDir dir;
  const std::string text = Head(
      "host_1 IN A 10.0.0.1\n"              // line 5: owner
      "_sip._udp IN SRV 0 0 5060 pbx_1\n"   // line 6: target
      "_sip._tcp IN SRV 0 0 5060 pbx\n"     // fine: SRV owners are free
      "$GENERATE 1-2 gen_$ A 10.0.1.$\n");  // BIND does not check these
  const std::string file = dir.Write("zone.db", text);
  auto s = testing::OpenMemoryStore();
  ImportOptions o;
  auto r = ImportZoneFile(s.get(), file, o);
  REQUIRE(r.ok());
  REQUIRE(r->warnings.size() == 2);
  CHECK(r->warnings[0] == file + ":5: host_1.e164.arpa.: bad owner name (check-names)");
  CHECK(r->warnings[1] == file + ":6: _sip._udp.e164.arpa.: bad name in RDATA (check-names)");
  o.check_names = CheckNamesMode::kIgnore;
  r = ImportZoneFile(s.get(), file, o);
  REQUIRE(r.ok());
  CHECK(r->warnings.empty());
  o.check_names = CheckNamesMode::kFail;
  auto fail = testing::OpenMemoryStore();
  r = ImportZoneFile(fail.get(), file, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == file + ":5: host_1.e164.arpa.: bad owner name (check-names)");
  CHECK(fail->Zones().empty());
}

TEST_CASE("ZoneImporter rejects: CNAME beside other data, CNAME first") {
  ExpectImportError(Head("x IN CNAME y\n"
                         "z IN A 10.0.0.9\n"
                         "x IN A 10.0.0.1\n"),
                    7, "CNAME beside other data at x.e164.arpa.");
}

TEST_CASE("ZoneImporter rejects: CNAME beside other data, other data first") {
  ExpectImportError(Head("x IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n"
                         "x IN CNAME y\n"),
                    6, "CNAME beside other data at x.e164.arpa.");
}

TEST_CASE("ZoneImporter rejects: a CNAME at the apex (beside SOA and NS)") {
  ExpectImportError(Head("@ IN CNAME elsewhere.example.\n"), 5, "CNAME beside other data");
}

TEST_CASE("ZoneImporter rejects: two CNAMEs at one name (at the second)") {
  ExpectImportError(Head("x IN CNAME y\n"
                         "w IN A 10.0.0.1\n"
                         "X IN CNAME z\n"),
                    7, "more than one CNAME at x.e164.arpa.");
}

TEST_CASE("ZoneImporter accepts: a CNAME written twice identically is one record") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir, Head("x IN CNAME y\nx IN CNAME y\n"));
  REQUIRE(r.ok());
  CHECK(r->meta.records == 3);
}

TEST_CASE("ZoneImporter accepts: KEY, SIG and NXT beside a CNAME (RFC 2535 §2.3.5), as BIND") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(
      s.get(), dir,
      Head("x IN CNAME y\n"
           "x IN KEY 256 3 8 AwEAAcvK8Vm8Ewl6zhNEtfbeQJuUrx7JLlKrqvTsw1rIL2Zsb0ZAXfZs\n"));
  INFO((r.ok() ? std::string() : r.status().message()));
  REQUIRE(r.ok());
  CHECK(r->meta.records == 4);
}

TEST_CASE("ZoneImporter accepts: an NS target with an address through a wildcard, as BIND") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  // ns.example.net.e164.arpa. does not exist; *.e164.arpa. answers for it.
  std::string text =
      "$ORIGIN e164.arpa.\n$TTL 300\n"
      "@ SOA ns.example.net hostmaster.example.net 1 0 0 0 0\n"
      "@ NS ns.example.net\n"
      "* A 192.0.2.1\n";
  auto r = ImportText(s.get(), dir, text);
  INFO((r.ok() ? std::string() : r.status().message()));
  CHECK(r.ok());
  // A wildcard that holds no address does not help, nor one above the
  // closest encloser (example.net.e164.arpa. exists: *.e164.arpa. does not
  // answer below it).
  const std::string head =
      "$ORIGIN e164.arpa.\n$TTL 300\n"
      "@ SOA ns.example.net hostmaster.example.net 1 0 0 0 0\n"
      "@ NS ns.example.net\n";
  ExpectImportError(head + "* TXT \"no address\"\n", 4, "has no A or AAAA record");
  ExpectImportError(head + "* A 192.0.2.1\nexample.net TXT \"x\"\n", 4, "has no A or AAAA record");
}

TEST_CASE("ZoneImporter rejects: a class CH record") {
  ExpectImportError(Head("x IN A 10.0.0.1\n"
                         "version CH TXT \"1\"\n"),
                    6, "class CH");
}

TEST_CASE("ZoneImporter rejects: a malformed NAPTR regexp (RFC 3402 §3.2)") {
  ExpectImportError(Head("x IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b\" .\n"), 5,
                    "malformed NAPTR regexp");
}

TEST_CASE("ZoneImporter rejects: a NAPTR with both a regexp and a replacement") {
  ExpectImportError(Head("x IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" sip.example.\n"),
                    5, "both regexp and replacement");
}

TEST_CASE("ZoneImporter: a TTL over 2^31-1 is read as 0 with a warning (RFC 2181 §8, BIND)") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(s.get(), dir, Head("x 2147483648 IN A 10.0.0.1\n"));
  REQUIRE(r.ok());
  REQUIRE(r->warning_count == 1);
  CHECK(r->warnings[0].find("zone.db:5: TTL 2147483648 is over 2147483647") != std::string::npos);
  CHECK(DumpZone(*s, "e164.arpa.")["x.e164.arpa."].records ==
        std::vector<std::string>{"x.e164.arpa.\t0\tIN\tA\t10.0.0.1"});
}

TEST_CASE("ZoneImporter rejects: a TTL over 2^32-1") {
  ExpectImportError(Head("x 4294967296 IN A 10.0.0.1\n"), 5, "TTL 4294967296 out of range");
  ExpectImportError(Head("$TTL 4294967296\nx IN A 10.0.0.1\n"), 5, "out of range");
}

TEST_CASE("ZoneImporter rejects: a number out of range") {
  ExpectImportError(Head("x IN NAPTR 65536 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n"), 5,
                    "out of range");
  ExpectImportError(Head("x IN MX 70000 mail.example.\n"), 5, "out of range");
}

TEST_CASE("ZoneImporter rejects: a lone \\1 in a NAPTR regexp (it must be written \\\\1)") {
  ExpectImportError(Head("x IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\1@b!\" .\n"), 5,
                    "malformed escape");
}

TEST_CASE("ZoneImporter rejects: an error in an $INCLUDE file names that file and its line") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  dir.Write("part.db", "a IN A 10.0.0.1\n\nb IN CNAME a\nb IN TXT \"x\"\n");
  auto r = ImportText(s.get(), dir, Head("$INCLUDE part.db\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().rfind(dir.path() + "/part.db:4: CNAME beside other data", 0) == 0);
}

// --- atomicity -----------------------------------------------------------------

TEST_CASE(
    "ZoneImporter: a failed import leaves the previous version and other zones as they were") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  REQUIRE(ImportText(s.get(), dir, Head("old IN A 10.0.0.1\n"), "", "v1.db").ok());
  REQUIRE(ImportText(s.get(), dir,
                     "$ORIGIN example.org.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A "
                     "10.1.1.53\nw A 10.1.1.1\n",
                     "", "other.db")
              .ok());
  auto meta_before = s->FindZone(OriginWire("e164.arpa."));
  auto other_before = s->FindZone(OriginWire("example.org."));
  ZoneDump before = DumpZone(*s, "e164.arpa.");
  ZoneDump other = DumpZone(*s, "example.org.");

  // Thousands of good records first, so the failure comes after real writes.
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "n" + std::to_string(i) + " IN A 10.0.0.2\n";
  body += "x IN CNAME y\nx IN A 10.0.0.3\n";
  auto r = ImportText(s.get(), dir, Head(body), "", "v2.db");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("v2.db:5006: CNAME beside other data") != std::string::npos);

  auto meta_after = s->FindZone(OriginWire("e164.arpa."));
  REQUIRE(meta_after.has_value());
  CHECK(meta_after->generation == meta_before->generation);
  CHECK(meta_after->records == meta_before->records);
  CHECK(DumpZone(*s, "e164.arpa.").size() == before.size());
  CHECK(RecordSet(DumpZone(*s, "e164.arpa.")) == RecordSet(before));
  CHECK(s->FindZone(OriginWire("example.org."))->generation == other_before->generation);
  CHECK(RecordSet(DumpZone(*s, "example.org.")) == RecordSet(other));
  CHECK(s->Zones().size() == 2);

  // Nothing of the failed version is left behind, and the next import works.
  auto r3 = ImportText(s.get(), dir, Head("new IN A 10.0.0.4\n"), "", "v3.db");
  REQUIRE(r3.ok());
  uint32_t current = r3->meta.generation;
  for (uint32_t g = 1; g < current; ++g) {
    if (g == other_before->generation) continue;
    size_t n = 0;
    REQUIRE(s->ForEachNode(g, "", [&](std::string_view, std::string_view) {
               ++n;
               return true;
             }).ok());
    INFO("generation ", g);
    CHECK(n == 0);
  }
  ZoneDump z = DumpZone(*s, "e164.arpa.");
  CHECK(z.count("new.e164.arpa."));
  CHECK(z.count("old.e164.arpa.") == 0);
}

TEST_CASE("ZoneImporter: a store holds many zones, each replaced on its own") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  REQUIRE(ImportText(s.get(), dir, Head("a IN A 10.0.0.1\n"), "", "a.db").ok());
  REQUIRE(
      ImportText(
          s.get(), dir,
          "$ORIGIN 6.1.e164.arpa.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.example.\nb A 10.1.1.1\n",
          "", "b.db")
          .ok());
  REQUIRE(ImportText(s.get(), dir, Head("c IN A 10.0.0.3\n"), "", "c.db").ok());
  CHECK(s->Zones().size() == 2);
  CHECK(DumpZone(*s, "e164.arpa.").count("c.e164.arpa."));
  CHECK(DumpZone(*s, "e164.arpa.").count("a.e164.arpa.") == 0);
  CHECK(DumpZone(*s, "6.1.e164.arpa.").count("b.6.1.e164.arpa."));
}

// --- order of the input ----------------------------------------------------------

// A zone of `n` numbers (some with two records, some wildcards, a delegation),
// in a shuffled order when `seed` != 0.
std::string GeneratedZone(int n, unsigned seed) {
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string digits = std::to_string(1000000 + i * 37);
    std::string owner;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      owner += *it;
      owner += '.';
    }
    owner += "6.1";
    if (i % 97 == 0) owner = "*." + owner;
    lines.push_back(owner + " IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:" + digits +
                    "@pbx!\" .");
    if (i % 5 == 0)
      lines.push_back(owner + " IN NAPTR 20 100 \"u\" \"E2U+sip\" \"!^.*$!sip:" + digits +
                      "@backup!\" .");
  }
  lines.push_back("cut.6.1 IN NS ns.example.");
  lines.push_back("x.y.cut.6.1 IN A 10.0.0.1");
  if (seed != 0) {
    std::mt19937 rng(seed);
    std::shuffle(lines.begin(), lines.end(), rng);
  }
  std::string text = kHead;
  for (const std::string& l : lines) text += l + "\n";
  return text;
}

TEST_CASE("ZoneImporter: the input order does not change what is stored") {
  TempDir dir;
  auto sorted = testing::OpenMemoryStore();
  auto shuffled = testing::OpenMemoryStore();
  auto r1 = ImportText(sorted.get(), dir, GeneratedZone(3000, 0), "", "sorted.db");
  auto r2 = ImportText(shuffled.get(), dir, GeneratedZone(3000, 42), "", "shuffled.db");
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  CHECK(r1->meta.records == r2->meta.records);
  CHECK(r1->meta.names == r2->meta.names);
  CHECK(r1->empty_non_terminals == r2->empty_non_terminals);
  ZoneDump a = DumpZone(*sorted, "e164.arpa.");
  ZoneDump b = DumpZone(*shuffled, "e164.arpa.");
  REQUIRE(a.size() == b.size());
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    INFO(ia->first);
    CHECK(ia->first == ib->first);
    CHECK(ia->second.flags == ib->second.flags);
    CHECK(ia->second.cut_labels == ib->second.cut_labels);
    std::vector<std::string> ra = ia->second.records, rb = ib->second.records;
    std::sort(ra.begin(), ra.end());
    std::sort(rb.begin(), rb.end());
    CHECK(ra == rb);
  }
}

TEST_CASE("ZoneImporter: a zone larger than the sort memory is merged from temporary runs") {
  TempDir dir;
  std::string text = GeneratedZone(3000, 7);
  auto in_memory = testing::OpenMemoryStore();
  auto spilled = testing::OpenMemoryStore();
  auto r1 = ImportText(in_memory.get(), dir, text, "", "zone.db");
  REQUIRE(r1.ok());
  CHECK(r1->sort_runs == 0);
  ImportOptions o;
  o.sort_memory = 8192;  // ~80 records a run
  o.temp_dir = dir.path();
  auto r2 = ImportZoneFile(spilled.get(), dir.path() + "/zone.db", o);
  REQUIRE(r2.ok());
  CHECK(r2->sort_runs > 20);
  CHECK(r2->meta.records == r1->meta.records);
  CHECK(r2->meta.names == r1->meta.names);
  ZoneDump a = DumpZone(*in_memory, "e164.arpa.");
  ZoneDump b = DumpZone(*spilled, "e164.arpa.");
  REQUIRE(a.size() == b.size());
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    INFO(ia->first);
    CHECK(ia->first == ib->first);
    CHECK(ia->second.flags == ib->second.flags);
    CHECK(ia->second.records == ib->second.records);  // file order kept across runs
  }
  // The run files are gone, and only the zone file is left in the directory.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);

  // Rules that look at a whole name still see all its records, in file order.
  std::string bad = text + "x.y IN CNAME z\n";
  for (int i = 0; i < 500; ++i) bad += "n" + std::to_string(i) + " IN A 10.0.0.1\n";
  bad += "x.y IN A 10.0.0.1\n";
  size_t line = static_cast<size_t>(std::count(bad.begin(), bad.end(), '\n'));
  auto r3 = ImportZoneFile(spilled.get(), dir.Write("bad.db", bad), o);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.status().message().rfind(dir.path() + "/bad.db:" + std::to_string(line) +
                                        ": CNAME beside other data at x.y.e164.arpa.",
                                    0) == 0);
  CHECK(spilled->FindZone(OriginWire("e164.arpa."))->generation == r2->meta.generation);
}

// --- check -----------------------------------------------------------------------

// --- diff imports (ixfr-from-differences) ----------------------------------

// The zone text with serial `serial` and `body` after the apex.
std::string Serial(uint32_t serial, const std::string& body) {
  std::string head = kHead;
  head.replace(head.find(" 7 "), 3, " " + std::to_string(serial) + " ");
  return head + body;
}

Result<ImportResult> ImportDiff(store::ZoneStore* s, const TempDir& dir, const std::string& text,
                                uint64_t max_names = 100000) {
  ImportOptions o;
  o.diff = true;
  o.diff_max_names = max_names;
  o.journal.max_entries = 100;
  return ImportZoneFile(s, dir.Write("zone.db", text), o);
}

std::vector<JournalDiff> Journal(const store::ZoneStore& s) {
  auto meta = s.FindZone(OriginWire("e164.arpa."));
  REQUIRE(meta.has_value());
  std::vector<JournalDiff> out;
  Status st = s.ForEachJournalEntry(*meta, 0, [&](uint64_t, std::string_view v) {
    JournalDiff d;
    REQUIRE(DecodeJournalEntry(v, &d));
    out.push_back(d);
    return true;
  });
  REQUIRE(st.ok());
  return out;
}

TEST_CASE("ZoneImporter diff: only the changed names are written, with one journal entry") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  const std::string keep = "1.1 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n";
  const std::string before = keep +
                             "2.2 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:old@b!\" .\n" +
                             "3.3.3 IN TXT \"gone\"\n";
  const std::string after = keep +
                            "2.2 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:new@b!\" .\n" +
                            "4.4.4 IN TXT \"new\"\n";
  auto first = ImportDiff(s.get(), dir, Serial(7, before));  // not in the store: whole
  REQUIRE(first.ok());
  CHECK_FALSE(first->diffed);
  const uint32_t generation = first->meta.generation;

  auto second = ImportDiff(s.get(), dir, Serial(8, after));
  INFO((second.ok() ? std::string() : second.status().message()));
  REQUIRE(second.ok());
  CHECK(second->diffed);
  CHECK(second->full_reason.empty());
  CHECK(second->meta.generation == generation);  // the same version, changed in place
  CHECK(second->meta.serial == 8u);
  // The apex (SOA) and 2.2 changed; 3.3.3 and its empty non-terminals 3.3
  // and 3 are gone; 4.4.4, 4.4 and 4 are new. 1.1 and 1 are not touched.
  CHECK(second->names_changed == 8);
  // The store holds exactly what a fresh import of the new file holds.
  testing::CheckEqualsReimport(*s, "e164.arpa.");
  TempDir d2;
  auto fresh = testing::OpenMemoryStore();
  REQUIRE(testing::ImportText(fresh.get(), d2, Serial(8, after)).ok());
  CHECK(RecordSet(DumpZone(*s, "e164.arpa.")) == RecordSet(DumpZone(*fresh, "e164.arpa.")));

  auto journal = Journal(*s);
  REQUIRE(journal.size() == 1);
  CHECK(journal[0].old_serial == 7u);
  CHECK(journal[0].new_serial == 8u);
  auto types = [](const std::vector<JournalRecord>& list) {
    std::vector<uint16_t> out;
    for (const auto& r : list) out.push_back(r.type);
    std::sort(out.begin(), out.end());
    return out;
  };
  // SOA 7, the old NAPTR, the TXT gone; SOA 8, the new NAPTR, the new TXT.
  CHECK(types(journal[0].removed) == std::vector<uint16_t>{6, 16, 35});
  CHECK(types(journal[0].added) == std::vector<uint16_t>{6, 16, 35});

  // The same file again (touched): nothing changes, no journal entry.
  auto third = ImportDiff(s.get(), dir, Serial(8, after));
  REQUIRE(third.ok());
  CHECK(third->diffed);
  CHECK(third->names_changed == 0);
  CHECK(Journal(*s).size() == 1);

  // And a second change adds a second entry, 8 -> 9.
  auto fourth = ImportDiff(s.get(), dir, Serial(9, after + "5 IN TXT \"five\"\n"));
  REQUIRE(fourth.ok());
  CHECK(fourth->diffed);
  journal = Journal(*s);
  REQUIRE(journal.size() == 2);
  CHECK(journal[1].old_serial == 8u);
  CHECK(journal[1].new_serial == 9u);
  CHECK(journal[1].added.size() == 2);  // SOA and the TXT (5 is its own name: no ENT)
}

TEST_CASE("ZoneImporter diff: too large a difference is imported whole; no new serial, refused") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  const std::string a = "1 IN TXT \"a\"\n2 IN TXT \"b\"\n";
  const std::string b = "1 IN TXT \"x\"\n2 IN TXT \"y\"\n";
  REQUIRE(ImportDiff(s.get(), dir, Serial(7, a)).ok());
  const uint32_t generation = s->FindZone(OriginWire("e164.arpa."))->generation;

  auto big = ImportDiff(s.get(), dir, Serial(8, b), /*max_names=*/2);  // apex + 2 names
  REQUIRE(big.ok());
  CHECK_FALSE(big->diffed);
  CHECK(big->full_reason.find("more than 2 names") != std::string::npos);
  CHECK(big->meta.generation != generation);  // a new version, a new journal
  CHECK(Journal(*s).empty());
  CHECK(big->meta.serial == 8u);

  // Changed without a new serial: refused at the SOA's line, the zone kept
  // (BIND: "ixfr-from-differences: new serial out of range").
  auto same_serial = ImportDiff(s.get(), dir, Serial(8, a));
  REQUIRE_FALSE(same_serial.ok());
  CHECK(same_serial.status().message().find("zone.db:3: the zone changed but its serial did "
                                            "not increase (8 to 8)") != std::string::npos);
  CHECK(RecordSet(DumpZone(*s, "e164.arpa.")).size() == 4);  // SOA, NS, 2 TXT
  const std::vector<std::string> kept = RecordSet(DumpZone(*s, "e164.arpa."));
  CHECK(std::count_if(kept.begin(), kept.end(), [](const std::string& r) {
          return r.find("\"x\"") != std::string::npos;  // the version served, not the file's "a"
        }) == 1);
  testing::CheckEqualsReimport(*s, "e164.arpa.");

  // A bad file changes nothing, diff or not.
  auto bad = ImportDiff(s.get(), dir, Serial(9, a + "3 IN TXT\n"));
  CHECK_FALSE(bad.ok());
  CHECK(s->FindZone(OriginWire("e164.arpa."))->serial == 8u);
}

TEST_CASE("CheckZoneFile: validates like an import and touches no store") {
  TempDir dir;
  auto r = CheckZoneFile(testing::kPlaygroundZone, "");
  REQUIRE(r.ok());
  CHECK(r->meta.names == 10);
  CHECK(r->meta.records == 16);
  CHECK(r->meta.serial == 2009010918u);
  auto bad = CheckZoneFile(dir.Write("bad.db", Head("x IN CNAME y\nx IN A 10.0.0.1\n")), "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().rfind(dir.path() + "/bad.db:6: ", 0) == 0);
}

}  // namespace
}  // namespace enumd::zone
