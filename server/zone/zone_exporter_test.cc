#include "zone/zone_exporter.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using testing::DumpZone;
using testing::ExportToString;
using testing::ImportText;
using testing::RecordSet;
using testing::TempDir;
using testing::ZoneDump;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const std::string& l : Lines(text))
    if (l == line) return true;
  return false;
}

std::unique_ptr<store::ZoneStore> ImportPlayground() {
  auto s = testing::OpenMemoryStore();
  auto r = ImportZoneFile(s.get(), testing::kPlaygroundZone, ImportOptions());
  REQUIRE(r.ok());
  return s;
}

TEST_CASE("ZoneExporter: the playground exports and re-imports to the same zone") {
  auto s = ImportPlayground();
  std::string text = ExportToString(*s, "e164.arpa.");
  TempDir dir;
  auto again = testing::OpenMemoryStore();
  auto r = ImportText(again.get(), dir, text);
  INFO(text);
  REQUIRE(r.ok());
  ZoneDump a = DumpZone(*s, "e164.arpa.");
  ZoneDump b = DumpZone(*again, "e164.arpa.");
  CHECK(RecordSet(a) == RecordSet(b));
  CHECK(RecordSet(a).size() == 16);
  CHECK(a.size() == b.size());  // the same empty non-terminals
  CHECK(r->meta.serial == 2009010918u);
  // And exporting that gives the same text.
  CHECK(ExportToString(*again, "e164.arpa.") == text);
}

TEST_CASE("ZoneExporter: the SOA comes first, every name is absolute, origin any case") {
  auto s = ImportPlayground();
  std::vector<std::string> lines = Lines(ExportToString(*s, "E164.ARPA"));
  REQUIRE(lines.size() == 2 + 16);
  CHECK(lines[0].rfind("; zone e164.arpa. exported by enumctl", 0) == 0);
  CHECK(lines[1] == "$ORIGIN e164.arpa.");
  CHECK(lines[2].rfind("e164.arpa.\t3600\tIN\tSOA\tns.e164.arpa. root.e164.arpa. 2009010918 ", 0) ==
        0);
  for (size_t i = 2; i < lines.size(); ++i) {
    INFO(lines[i]);
    std::string owner = lines[i].substr(0, lines[i].find('\t'));
    CHECK(owner.size() >= 10);
    CHECK(owner.compare(owner.size() - 10, 10, "e164.arpa.") == 0);
  }
}

TEST_CASE("ZoneExporter: a zone that is not in the store is an error") {
  auto s = testing::OpenMemoryStore();
  FILE* f = fopen("/dev/null", "w");
  REQUIRE(f != nullptr);
  CHECK_FALSE(ExportZone(*s, "e164.arpa.", f).ok());
  CHECK_FALSE(ExportZone(*s, "bad..name", f).ok());
  fclose(f);
}

TEST_CASE("ZoneExporter: every type, escape and TTL survives export and re-import") {
  TempDir dir;
  auto s = testing::OpenMemoryStore();
  auto r = ImportText(
      s.get(), dir,
      "$ORIGIN e164.arpa.\n"
      "$TTL 1h\n"
      "@ IN SOA ns hostmaster ( 2024010101 1h 15m 1w 60 )\n"
      "@ NS ns\n"
      "ns 300 IN A 10.0.0.1\n"
      "ns AAAA 2001:db8::1\n"
      "1.1.9.0.0.5.5.5.3.1.6 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@10.0.1.98!\" .\n"
      " NAPTR 20 100 \"U\" \"E2U+h323\" \"!^(.*)$!h323:\\\\1@gw!i\" .\n"
      "*.1.0.5.5.5.2.1.6 120 NAPTR 100 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\\\1@x!\" .\n"
      "sip NAPTR 10 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.gw\n"
      "_sip._udp.gw SRV 0 5 5060 gw\n"
      "gw A 10.0.0.2\n"
      "t TXT \"a\\\"b\" \"c\\\\d\" \\065BC \"semi;colon\" \"\\255\\000\"\n"
      "x TYPE65280 \\# 2 abcd\n"
      "e TYPE65281 \\# 0\n"
      "m MX 10 gw\n"
      "p PTR gw.example.\n"
      "c CNAME gw\n"
      "sub NS ns.sub\n"
      "ns.sub A 10.0.0.3\n"
      "We\\.ird\\032Name TXT \"x\"\n"
      // A NAPTR replacement holding a quote (ldns leaves it unescaped).
      "q NAPTR 0 0 \"\" \"\" \"\" \\0320\\ \\\\\\\"\\.\\@\\*.tld.\n");
  INFO((r.ok() ? std::string() : r.status().message()));
  REQUIRE(r.ok());
  std::string text = ExportToString(*s, "e164.arpa.");
  INFO(text);
  auto again = testing::OpenMemoryStore();
  auto r2 = ImportText(again.get(), dir, text, "", "exported.db");
  INFO((r2.ok() ? std::string() : r2.status().message()));
  REQUIRE(r2.ok());
  ZoneDump a = DumpZone(*s, "e164.arpa.");
  ZoneDump b = DumpZone(*again, "e164.arpa.");
  CHECK(RecordSet(a) == RecordSet(b));
  CHECK(r2->meta.records == r->meta.records);
  CHECK(a.size() == b.size());
  for (const auto& [name, node] : a) {
    INFO(name);
    REQUIRE(b.count(name));
    CHECK(b[name].flags == node.flags);
  }
}

TEST_CASE("ZoneExporter: the exported playground passes named-checkzone") {
  const char* kNamedCheckzone = "/usr/bin/named-checkzone";
  if (access(kNamedCheckzone, X_OK) != 0) {
    MESSAGE("skipped: ", kNamedCheckzone, " not installed (bind9-utils)");
    return;
  }
  auto s = ImportPlayground();
  TempDir dir;
  std::string file = dir.Write("out.db", ExportToString(*s, "e164.arpa."));
  std::string cmd = std::string(kNamedCheckzone) + " -q -i local e164.arpa. " + file;
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("ZoneExporter: --longest-match copies the wildcard to the names inside its block") {
  auto s = ImportPlayground();
  std::string text = ExportToString(*s, "e164.arpa.", ExportOptions{true});
  INFO(text);
  const std::string kRecord =
      "\t3600\tIN\tNAPTR\t100 100 \"u\" \"E2U+sip\" "
      "\"!^.*$!sip:61255501_numbers@enum.nickvsnetworking.com!\" .";
  for (const char* name :
       {"*.1.0.5.5.5.2.1.6.e164.arpa.", "2.1.0.5.5.5.2.1.6.e164.arpa.",
        "*.2.1.0.5.5.5.2.1.6.e164.arpa.", "3.2.1.0.5.5.5.2.1.6.e164.arpa.",
        "*.3.2.1.0.5.5.5.2.1.6.e164.arpa.", "*.4.3.2.1.0.5.5.5.2.1.6.e164.arpa."}) {
    INFO(name);
    CHECK(HasLine(text, name + kRecord));
  }
  // The exception keeps its own record, not the wildcard's.
  CHECK(HasLine(text,
                "4.3.2.1.0.5.5.5.2.1.6.e164.arpa.\t3600\tIN\tNAPTR\t50 100 \"u\" \"E2U+sip\" "
                "\"!^.*$!sip:staticroute@enum.nickvsnetworking.com!\" ."));
  CHECK_FALSE(HasLine(text, "4.3.2.1.0.5.5.5.2.1.6.e164.arpa." + kRecord));
  // Names outside every wildcard block get no copies.
  CHECK(text.find("*.1.9.0.0.5.5.5.3.1.6") == std::string::npos);
  CHECK(text.find("*.1.1.9.0.0.5.5.5.3.1.6") == std::string::npos);
  // Names below a wildcard node are governed by that wildcard itself.
  CHECK(HasLine(text, std::string("*.*.1.0.5.5.5.2.1.6.e164.arpa.") + kRecord));
  // The result is a valid zone that imports: 16 records + 5 copies in the
  // 501 block + one "*.*" copy under each of the three wildcards.
  TempDir dir;
  auto again = testing::OpenMemoryStore();
  auto r = ImportText(again.get(), dir, text);
  REQUIRE(r.ok());
  CHECK(r->meta.records == 16 + 5 + 3);
}

}  // namespace
}  // namespace enumd::zone
