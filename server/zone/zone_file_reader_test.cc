#include "zone/zone_file_reader.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using testing::TempDir;
// The repository's copy of the playground zone (comments differ from the
// user's original; the records are the same).
const std::string& kPlayground = testing::kPlaygroundZone;

// Wire name -> lower-case-preserving text ("a.b."), bytes outside [!-~] as \DDD.
std::string NameText(const uint8_t* w, size_t len) {
  std::string out;
  size_t i = 0;
  while (i < len && w[i] != 0) {
    for (size_t k = 1; k <= w[i]; ++k) {
      uint8_t c = w[i + k];
      if (c == '.' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c > ' ' && c < 127) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      }
    }
    out += '.';
    i += 1 + w[i];
  }
  return out.empty() ? "." : out;
}

std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

struct Rec {
  std::string owner;  // text
  std::string owner_wire;
  uint16_t type;
  uint16_t rrclass;
  uint32_t ttl;
  std::string rdata;
  std::string file;
  size_t line;
};

struct ReadResult {
  std::vector<Rec> records;
  std::string error;  // "" when the whole file was read
  std::string origin;
};

ReadResult ReadAll(const std::string& path, const std::string& origin) {
  ReadResult r;
  ZoneFileReader reader;
  Status st = reader.Open(path, origin);
  if (!st.ok()) {
    r.error = st.message();
    return r;
  }
  r.origin = NameText(reinterpret_cast<const uint8_t*>(reader.origin_wire().data()),
                      reader.origin_wire().size());
  ZoneRecord rec;
  for (;;) {
    ZoneFileReader::Next n = reader.Read(&rec);
    if (n == ZoneFileReader::Next::kEnd) break;
    if (n == ZoneFileReader::Next::kError) {
      r.error = reader.error().message();
      CHECK(reader.Read(&rec) == ZoneFileReader::Next::kError);  // sticky
      break;
    }
    r.records.push_back({NameText(rec.owner, rec.owner_len),
                         std::string(reinterpret_cast<const char*>(rec.owner), rec.owner_len),
                         rec.type, rec.rrclass, rec.ttl, rec.rdata,
                         rec.file != nullptr ? *rec.file : "", rec.line});
  }
  return r;
}

// Reads a zone written to a temp file (origin e164.arpa. unless given).
ReadResult ReadText(const TempDir& dir, const std::string& text,
                    const std::string& origin = "e164.arpa.") {
  return ReadAll(dir.Write("zone.db", text), origin);
}

// Asserts "FILE:LINE: ..." with `reason_part` somewhere in the reason.
void CheckError(const ReadResult& r, const std::string& file, size_t line,
                const std::string& reason_part) {
  INFO("error: ", r.error);
  std::string prefix = file + ":" + std::to_string(line) + ": ";
  CHECK(r.error.rfind(prefix, 0) == 0);
  CHECK(r.error.find(reason_part, prefix.size()) != std::string::npos);
}

constexpr const char* kHead =
    "$ORIGIN e164.arpa.\n"
    "$TTL 1h\n"
    "@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
    "@ IN NS ns\n";  // 4 lines: records in tests start on line 5

std::string WithHead(const std::string& body) { return std::string(kHead) + body; }

// Reads one record line after kHead; expects success and returns the record.
Rec ReadOne(const std::string& line) {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead(line + "\n"));
  INFO("line: ", line, " error: ", r.error);
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 3);
  return r.records[2];
}

// Reads one record line after kHead; expects an error on line 5 mentioning `part`.
void ExpectLineError(const std::string& line, const std::string& part) {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead(line + "\n"));
  INFO("line: ", line);
  CheckError(r, dir.path() + "/zone.db", 5, part);
}

}  // namespace

TEST_CASE("ZoneFileReader: the playground zone reads completely") {
  ReadResult r = ReadAll(kPlayground, "e164.arpa.");
  REQUIRE(r.error.empty());
  CHECK(r.origin == "e164.arpa.");
  REQUIRE(r.records.size() == 16);
  CHECK(r.records[0].type == dns::type::kSOA);
  CHECK(r.records[0].owner == "e164.arpa.");
  CHECK(r.records[0].ttl == 3600);
  CHECK(r.records[0].line == 11);
  CHECK(r.records[1].type == dns::type::kNS);
  CHECK(r.records[2].type == dns::type::kA);
  CHECK(Hex(r.records[2].rdata) == "7f000001");
  size_t naptr = 0, wildcards = 0;
  for (const Rec& rec : r.records) {
    CHECK(rec.rrclass == dns::rrclass::kIN);
    CHECK(rec.file == kPlayground);
    if (rec.type == dns::type::kNAPTR) ++naptr;
    if (rec.owner.rfind("*.", 0) == 0) {
      ++wildcards;
      CHECK(rec.owner.size() > 11);
      CHECK(rec.owner.compare(rec.owner.size() - 11, 11, ".e164.arpa.") == 0);
    }
    if (rec.owner == "5.1.9.0.0.5.5.5.3.1.6.e164.arpa.") {
      // order 10, pref 100, "u", "E2U+sip", regexp, root replacement.
      const std::string re = "!(^.*$)!sip:+1\\1@enum.nickvsnetworking.com!";
      std::string want = std::string(
          "\x00\x0a\x00\x64\x01u\x07"
          "E2U+sip",
          14);
      want += static_cast<char>(re.size());
      want += re;
      want += '\0';
      CHECK(Hex(rec.rdata) == Hex(want));
      CHECK(rec.line == 42);
    }
  }
  CHECK(naptr == 13);
  CHECK(wildcards == 3);
  CHECK(r.records.back().owner == "*.1.1.0.0.e164.arpa.");
}

TEST_CASE("ZoneFileReader: the playground zone matches ldns's own zone parser") {
  // ldns_zone_new_frm_fp is fine for this file (no $INCLUDE, one SOA); it is
  // the reference for owner, TTL, class and RDATA of every record.
  FILE* fp = fopen(kPlayground.c_str(), "r");
  REQUIRE(fp != nullptr);
  ldns_rdf* origin = ldns_dname_new_frm_str("e164.arpa.");
  ldns_zone* zone = nullptr;
  int line = 0;
  REQUIRE(ldns_zone_new_frm_fp_l(&zone, fp, origin, 3600, LDNS_RR_CLASS_IN, &line) ==
          LDNS_STATUS_OK);
  fclose(fp);
  std::vector<ldns_rr*> want;
  want.push_back(ldns_zone_soa(zone));
  for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(zone)); ++i) {
    want.push_back(ldns_rr_list_rr(ldns_zone_rrs(zone), i));
  }
  ReadResult r = ReadAll(kPlayground, "e164.arpa.");
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const Rec& got = r.records[i];
    ldns_rr* rr = want[i];
    INFO("record ", i, " ", got.owner);
    const ldns_rdf* owner = ldns_rr_owner(rr);
    CHECK(got.owner_wire ==
          std::string(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
    CHECK(got.type == ldns_rr_get_type(rr));
    CHECK(got.ttl == ldns_rr_ttl(rr));
    std::string rdata;
    for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      const ldns_rdf* f = ldns_rr_rdf(rr, k);
      rdata.append(reinterpret_cast<const char*>(ldns_rdf_data(f)), ldns_rdf_size(f));
    }
    CHECK(Hex(got.rdata) == Hex(rdata));
  }
  ldns_zone_deep_free(zone);
  ldns_rdf_deep_free(origin);
}

TEST_CASE("ZoneFileReader: the hand-written encoders match ldns byte for byte") {
  // Each line goes through the reader (fast path where it applies) and,
  // independently, through ldns_rr_new_frm_str; owner and RDATA must agree.
  const char* lines[] = {
      "n0 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:61355500912@10.0.1.98!\" .",
      "n1 NAPTR 10 100 \"U\" \"E2U+sip:voice\" \"!^(.*)$!sip:\\\\1@x.example!\" .",
      "n2 NAPTR 0 65535 \"\" \"\" \"\" replacement.host.",
      "n3 NAPTR 1 2 \"s\" \"SIP+D2U\" \"\" _sip._udp",
      "n4 NAPTR 1 2 \"s\" \"SIP+D2U\" \"\" @",
      "n5 NAPTR 1 2 u E2U+sip !^.*$!sip:x@y! .",
      "n6 NAPTR 1 2 \"u\" \"E2U+sip\" \"!^.*$!sip:\\065\\066@y!\" .",
      "n7 NAPTR 1 2 \"u\" \"E2U+sip\" \"!^.*$!sip:a\\\"b@y!\" .",
      "n8 NAPTR 1 2 \"u\" \"E2U+sip\" \"!^.*$!sip:a b@y!\" .",
      "n9 NAPTR 1 2 \"u\" \"E2U+sip\" \"!^.*$!sip:a;b@y!\" .",
      "n10 NAPTR 1 2 \"u\" \"E2U+sip\" \"!^.*$!sip:(x)@y!\" .",
      "n11 NAPTR 1 2 \"s\" \"SIP+D2T\" \"\" Mixed.Case.Name.",
      "n12 NAPTR 1 2 \"s\" \"SIP+D2T\" \"\" a\\.b.example.",
      "n13 NAPTR 1 2 \"s\" \"SIP+D2T\" \"\" \\097bc",
      "n14 NAPTR 00010 0100 \"u\" \"E2U+sip\" \"!^.*$!sip:x\\\\\\\\y@z!\" .",
      "n15 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:61355500912@10.0.1.98!\" .",
      "Upper.Case A 10.0.1.98",
      "a1 A 0.0.0.0",
      "a2 A 255.255.255.255",
      "q1 AAAA 2001:db8::1",
      "q2 AAAA ::",
      "q3 AAAA ::ffff:1.2.3.4",
      "s1 NS ns1",
      "s2 NS ns.example.",
      "s3 NS @",
      "c1 CNAME target",
      "p1 PTR host.example.",
      "m1 MX 10 mail",
      "m2 MX 0 .",
      "v1 SRV 0 5 5060 sip.example.",
      "t1 TXT \"hello world\"",
      "t2 TXT a b c",
      "t3 TXT \"\" \"x\"",
      "t4 TXT \"\\\"quoted\\\"\"",
      "t5 TXT \"semi;colon\" \"(paren)\"",
      "t6 TXT \"\\255\\000\\\\\"",
      "w1 HINFO \"pc\" \"linux\"",
      "*.w2 NAPTR 100 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\\\1@gw.example!\" .",
  };
  std::string body;
  for (const char* l : lines) body += std::string(l) + "\n";
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead(body));
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 2 + std::size(lines));
  ldns_rdf* origin = ldns_dname_new_frm_str("e164.arpa.");
  for (size_t i = 0; i < std::size(lines); ++i) {
    const Rec& got = r.records[2 + i];
    std::string text = lines[i];
    text.insert(text.find(' '), " 3600 IN");
    INFO("line: ", text);
    ldns_rr* rr = nullptr;
    REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 3600, origin, nullptr) == LDNS_STATUS_OK);
    std::string rdata;
    for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      const ldns_rdf* f = ldns_rr_rdf(rr, k);
      rdata.append(reinterpret_cast<const char*>(ldns_rdf_data(f)), ldns_rdf_size(f));
    }
    const ldns_rdf* owner = ldns_rr_owner(rr);
    CHECK(got.owner_wire ==
          std::string(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
    CHECK(got.type == ldns_rr_get_type(rr));
    CHECK(Hex(got.rdata) == Hex(rdata));
    ldns_rr_free(rr);
  }
  ldns_rdf_deep_free(origin);
}

TEST_CASE("ZoneFileReader: a zone with every feature reads as BIND reads it") {
  // named-checkzone -D prints the zone fully qualified, one record a line;
  // ldns parses those lines, and the two record sets must be equal.
  const char* kNamedCheckzone = "/usr/bin/named-checkzone";
  if (access(kNamedCheckzone, X_OK) != 0) {
    MESSAGE("skipped: ", kNamedCheckzone, " not installed (bind9-utils)");
    return;
  }
  TempDir dir;
  dir.Write("sub/part.db",
            "5 A 10.9.9.5\n"
            "$ORIGIN inner\n"
            "6 A 10.9.9.6\n"
            " TXT \"inherits 6\"\n");
  std::string zone = dir.Write(
      "zone.db",
      "$TTL 1h\n"
      "@ IN SOA ns hostmaster ( 2024010101 ; serial\n"
      "        1h 15m 1w 60 )\n"
      "@ NS ns\n"
      "ns 300 IN A 10.0.0.1\n"
      "$ORIGIN 6.1\n"
      "1.1.9.0.0.5.5.5.3 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:61355500911@10.0.1.98!\" .\n"
      " NAPTR 20 100 \"U\" \"E2U+h323\" \"!^(.*)$!h323:\\\\1@gw!i\" .\n"
      "$ORIGIN 2\n"
      "*.1.0.5.5.5 IN 120 NAPTR 100 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\\\1@enum.example!\" .\n"
      "$INCLUDE sub/part.db 9.9\n"
      "sip NAPTR 10 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.gw\n"
      "_sip._udp.gw SRV 0 5 5060 gw\n"
      "gw A 10.0.0.2\n"
      "gw AAAA 2001:db8::2\n"
      "t TXT \"a\\\"b\" \"c\\\\d\" \\065BC \"semi;colon\"\n"
      "x TYPE65280 \\# 2 abcd\n"
      "$TTL 1d\n"
      "m MX 10 gw\n"
      "c CNAME gw\n");
  auto key = [](const std::string& owner_wire, uint16_t type, uint32_t ttl,
                const std::string& rdata) {
    std::string owner = owner_wire;
    for (char& c : owner) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return Hex(owner) + " " + std::to_string(type) + " " + std::to_string(ttl) + " " + Hex(rdata);
  };
  ReadResult mine = ReadAll(zone, "e164.arpa.");
  REQUIRE(mine.error.empty());
  std::vector<std::string> got;
  for (const Rec& r : mine.records) got.push_back(key(r.owner_wire, r.type, r.ttl, r.rdata));

  std::string out = dir.path() + "/bind.txt";
  // BIND resolves a relative $INCLUDE against its working directory, we against
  // the including file's directory (issue #2): run BIND from the zone's directory.
  std::string cmd =
      "cd '" + dir.path() + "' && " + kNamedCheckzone + " -q -D -o " + out + " e164.arpa. zone.db";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::vector<std::string> want;
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) {
    ldns_rr* rr = nullptr;
    INFO("BIND printed: ", line);
    REQUIRE(ldns_rr_new_frm_str(&rr, line.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
    std::string rdata;
    for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      const ldns_rdf* f = ldns_rr_rdf(rr, k);
      rdata.append(reinterpret_cast<const char*>(ldns_rdf_data(f)), ldns_rdf_size(f));
    }
    const ldns_rdf* owner = ldns_rr_owner(rr);
    want.push_back(
        key(std::string(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)),
            ldns_rr_get_type(rr), ldns_rr_ttl(rr), rdata));
    ldns_rr_free(rr);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got.size() == 17);
  CHECK(got == want);
}

TEST_CASE("ZoneFileReader: $INCLUDE is relative to the including file, with an optional origin") {
  TempDir dir;
  dir.Write("sub/numbers.db",
            "; included\n"
            "1.1 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b!\" .\n"
            "$INCLUDE deeper/more.db\n"
            "2.1 A 10.0.0.2\n");
  dir.Write("sub/deeper/more.db", "3.1 A 10.0.0.3\n");
  dir.Write("sub/gw.db", "gw A 10.0.0.9\n  AAAA ::9\n");
  std::string top = dir.Write("zone.db", WithHead("a A 10.0.0.1\n"
                                                  "$INCLUDE sub/numbers.db\n"
                                                  "  A 10.0.0.4\n"  // owner 'a' again
                                                  "$INCLUDE \"sub/gw.db\" sip ; comment\n"
                                                  "b A 10.0.0.5\n"));
  ReadResult r = ReadAll(top, "e164.arpa.");
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 10);
  CHECK(r.records[2].owner == "a.e164.arpa.");
  CHECK(r.records[3].owner == "1.1.e164.arpa.");
  CHECK(r.records[3].file == dir.path() + "/sub/numbers.db");
  CHECK(r.records[3].line == 2);
  CHECK(r.records[4].owner == "3.1.e164.arpa.");
  CHECK(r.records[4].file == dir.path() + "/sub/deeper/more.db");
  CHECK(r.records[5].owner == "2.1.e164.arpa.");
  CHECK(r.records[5].line == 4);
  // After the include the including file's origin and previous owner are back
  // (RFC 1035 §5.1; BIND keeps the owner too).
  CHECK(r.records[6].owner == "a.e164.arpa.");
  CHECK(Hex(r.records[6].rdata) == "0a000004");
  CHECK(r.records[6].file == top);
  CHECK(r.records[6].line == 7);
  // The origin argument is relative to the current origin.
  CHECK(r.records[7].owner == "gw.sip.e164.arpa.");
  CHECK(r.records[8].owner == "gw.sip.e164.arpa.");
  CHECK(r.records[8].type == dns::type::kAAAA);
  CHECK(r.records[9].owner == "b.e164.arpa.");
}

TEST_CASE("ZoneFileReader: an included file starts with the includer's previous owner") {
  TempDir dir;
  dir.Write("inc.db", "  A 10.0.0.2\n");
  ReadResult r = ReadText(dir, WithHead("a A 10.0.0.1\n$INCLUDE inc.db\n"));
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[3].owner == "a.e164.arpa.");
}

TEST_CASE("ZoneFileReader: a relative $ORIGIN is relative to the current origin") {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead("$ORIGIN 6.1\n"
                                        "3 A 10.0.0.1\n"
                                        "$ORIGIN 5.5\n"  // now 5.5.6.1.e164.arpa.
                                        "1 A 10.0.0.2\n"
                                        "  A 10.0.0.3\n"
                                        "@ A 10.0.0.4\n"
                                        "$ORIGIN example.net.\n"
                                        "x CNAME y\n"));
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 7);
  CHECK(r.records[2].owner == "3.6.1.e164.arpa.");
  CHECK(r.records[3].owner == "1.5.5.6.1.e164.arpa.");
  CHECK(r.records[4].owner == "1.5.5.6.1.e164.arpa.");
  CHECK(r.records[5].owner == "5.5.6.1.e164.arpa.");
  CHECK(r.records[6].owner == "x.example.net.");
  CHECK(r.records[6].rdata == std::string("\x01y\x07"
                                          "example\x03net\x00",
                                          15));
  CHECK(r.origin == "e164.arpa.");  // the zone origin does not follow $ORIGIN
}

TEST_CASE("ZoneFileReader: TTLs: $TTL, units, explicit, and the last explicit TTL") {
  TempDir dir;
  ReadResult r = ReadText(dir,
                          "$ORIGIN e164.arpa.\n"
                          "@ 1d IN SOA ns hm 1 1h 10M 1W 60\n"  // no $TTL yet
                          "a A 10.0.0.1\n"                      // last explicit: 86400
                          "b 1w2d3h4m5s A 10.0.0.2\n"
                          "c A 10.0.0.3\n"  // last explicit again
                          "$TTL 300\n"
                          "d A 10.0.0.4\n"
                          "e 0 A 10.0.0.5\n"
                          "f A 10.0.0.6\n"  // $TTL wins over the last explicit
                          "$ttl 2147483647\n"
                          "g A 10.0.0.7\n");
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 8);
  CHECK(r.records[0].ttl == 86400);
  CHECK(Hex(r.records[0].rdata).substr(Hex(r.records[0].rdata).size() - 40) ==
        "00000001"
        "00000e10"
        "00000258"
        "00093a80"
        "0000003c");
  CHECK(r.records[1].ttl == 86400);
  CHECK(r.records[2].ttl == 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  CHECK(r.records[3].ttl == r.records[2].ttl);
  CHECK(r.records[4].ttl == 300);
  CHECK(r.records[5].ttl == 0);
  CHECK(r.records[6].ttl == 300);
  CHECK(r.records[7].ttl == 2147483647);
}

TEST_CASE("ZoneFileReader: omitted owner, TTL and class; TTL and class in either order") {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead("a 60 IN A 10.0.0.1\n"
                                        "\tIN 70 A 10.0.0.2\n"
                                        " 80 A 10.0.0.3\n"
                                        " IN A 10.0.0.4\n"
                                        " A 10.0.0.5\n"
                                        "b in a 10.0.0.6\n"
                                        "c CLASS1 TYPE1 10.0.0.7\n"));
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 9);
  const uint32_t ttls[] = {60, 70, 80, 3600, 3600, 3600, 3600};
  for (size_t i = 0; i < 7; ++i) {
    INFO(i);
    CHECK(r.records[2 + i].ttl == ttls[i]);
    CHECK(r.records[2 + i].type == dns::type::kA);
    CHECK(r.records[2 + i].owner == (i < 5    ? "a.e164.arpa."
                                     : i == 5 ? "b.e164.arpa."
                                              : "c.e164.arpa."));
  }
}

TEST_CASE("ZoneFileReader: parentheses span lines, comments inside, line numbers at the start") {
  TempDir dir;
  ReadResult r = ReadText(dir,
                          "$TTL 1h\n"
                          "@ IN SOA ns.e164.arpa. root.e164.arpa. ( ; the SOA\n"
                          "   2009010918 ; serial\n"
                          "\n"
                          "   3600 ; refresh ) not closed by this\n"
                          "   3600 3600 ; retry, expire\n"
                          "   3600 )     ; minimum\n"
                          "@ NS ns\n"
                          "1.1 NAPTR ( 10 100 \"u\" ; a ( in a comment\n"
                          "            \"E2U+sip\" \"!^.*$!sip:x@y!\"\n"
                          "            . )\n"
                          "2.1 TXT \"(not a paren)\" \";not a comment\"\n");
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[0].line == 2);
  CHECK(Hex(r.records[0].rdata).substr(Hex(r.records[0].rdata).size() - 40) ==
        "77bf12e6"
        "00000e10"
        "00000e10"
        "00000e10"
        "00000e10");
  CHECK(r.records[1].line == 8);
  CHECK(r.records[2].line == 9);
  CHECK(r.records[2].type == dns::type::kNAPTR);
  CHECK(r.records[3].line == 12);
  CHECK(r.records[3].rdata == "\x0d(not a paren)\x0e;not a comment");
}

TEST_CASE("ZoneFileReader: unknown types in RFC 3597 form") {
  CHECK(Hex(ReadOne("x TYPE65280 \\# 2 abcd").rdata) == "abcd");
  CHECK(ReadOne("x TYPE65280 \\# 2 abcd").type == 65280);
  CHECK(ReadOne("x TYPE65280 \\# 0").rdata.empty());
  CHECK(Hex(ReadOne("x TYPE65280 \\# 4 ab cd ( EF\n 01 )").rdata) == "abcdef01");
  CHECK(Hex(ReadOne("x A \\# 4 0a000001").rdata) == "0a000001");
  CHECK(Hex(ReadOne("x TYPE1 \\# 4 0a000001").rdata) == "0a000001");
  // A type ldns knows (CAA, 257): ldns checks the layout.
  CHECK(Hex(ReadOne("x CAA \\# 8 0005 697373756572").rdata) == "0005697373756572");
  ExpectLineError("x TYPE65280 \\# 2 zzzz", "bad RFC 3597 rdata");
  ExpectLineError("x TYPE65280 \\# 3 abcd", "bad RFC 3597 rdata");
  ExpectLineError("x TYPE65280 \\# 2 abc", "bad RFC 3597 rdata");
  ExpectLineError("x TYPE65280 \\#", "bad RFC 3597 rdata");
  ExpectLineError("x TYPE65280 abcd", "bad TYPE65280 rdata");
  ExpectLineError("x A \\# 3 0a0000", "A rdata must be 4 octets");
  ExpectLineError("x A \\# 0", "A rdata must be 4 octets");
  ExpectLineError("x NAPTR \\# 4 000a0064", "malformed NAPTR rdata");
}

TEST_CASE("ZoneFileReader: escapes") {
  // \\ is one backslash, \DDD one octet, \X is X.
  CHECK(ReadOne("x TXT \"a\\\\b\\065\\\"c\"").rdata == std::string("\x06"
                                                                   "a\\bA\"c"));
  CHECK(ReadOne("x TXT \\065\\ b").rdata == std::string("\x03"
                                                        "A b"));
  Rec owner = ReadOne("a\\.b\\032c A 10.0.0.1");
  CHECK(owner.owner == "a\\.b\\032c.e164.arpa.");
  CHECK(owner.owner_wire.substr(0, 6) == std::string("\x05"
                                                     "a.b c"));
  Rec naptr = ReadOne("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\\\1@x!\" .");
  CHECK(naptr.rdata.find("!(^.*$)!sip:+1\\1@x!") != std::string::npos);
}

TEST_CASE("ZoneFileReader: origin from Open, from $ORIGIN, or from an absolute SOA owner") {
  TempDir dir;
  std::string plain = dir.Write("plain.db", "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n");
  ReadResult given = ReadAll(plain, "Example.NET");  // the dot is added
  REQUIRE(given.error.empty());
  CHECK(given.origin == "Example.NET.");
  CHECK(given.records[0].owner == "Example.NET.");

  std::string with_origin =
      dir.Write("o.db", "; c\n$TTL 60\n$ORIGIN e164.arpa.\n@ SOA ns hm 1 2 3 4 5\n");
  ReadResult from_directive = ReadAll(with_origin, "");
  REQUIRE(from_directive.error.empty());
  CHECK(from_directive.origin == "e164.arpa.");
  REQUIRE(from_directive.records.size() == 1);
  CHECK(from_directive.records[0].line == 4);

  std::string soa = dir.Write("s.db", "$TTL 60\ne164.arpa. SOA ns hm 1 2 3 4 5\n@ NS ns\n");
  ReadResult from_soa = ReadAll(soa, "");
  REQUIRE(from_soa.error.empty());
  CHECK(from_soa.origin == "e164.arpa.");
  REQUIRE(from_soa.records.size() == 2);
  CHECK(from_soa.records[0].rdata.substr(0, 14) == std::string("\x02ns\x04"
                                                               "e164\x04"
                                                               "arpa\x00",
                                                               14));
  CHECK(from_soa.records[1].owner == "e164.arpa.");

  std::string only_origin = dir.Write("e.db", "$ORIGIN e164.arpa.\n");
  ReadResult empty = ReadAll(only_origin, "");
  CHECK(empty.error.empty());
  CHECK(empty.records.empty());
}

TEST_CASE("ZoneFileReader: CRLF line endings") {
  TempDir dir;
  ReadResult r = ReadText(dir, "$TTL 60\r\n@ SOA ns hm 1 2 3 4 5\r\n@ TXT \"a\"\r\n");
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[1].rdata ==
        "\x01"
        "a");
}

// --- errors: one per rule, each with its FILE:LINE

TEST_CASE("ZoneFileReader error: a lone \\1 in a quoted string is a malformed escape") {
  TempDir dir;
  ReadResult r = ReadText(
      dir,
      WithHead("1 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:x@y!\" .\n"
               "\n"
               "5.1.9 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!(^.*$)!sip:+1\\1@enum.example!\" .\n"));
  CheckError(r, dir.path() + "/zone.db", 7, "malformed escape");
  CHECK(r.error == dir.path() +
                       "/zone.db:7: malformed escape '\\1@e' (a backslash before a digit must be "
                       "\\DDD, three digits <= 255; write \\\\ for a backslash)");
  CHECK(r.records.size() == 3);  // the records before it were returned
  ExpectLineError("x TXT \"\\25\"", "malformed escape");
  ExpectLineError("x TXT \"\\256\"", "malformed escape");
  ExpectLineError("x TXT abc\\", "malformed escape");
  ExpectLineError("x\\1 A 10.0.0.1", "malformed escape");
}

TEST_CASE("ZoneFileReader error: unterminated quoted string") {
  ExpectLineError("x TXT \"abc", "unterminated quoted string");
  // A quoted string does not continue on the next line (BIND: unbalanced quotes).
  ExpectLineError("x TXT ( \"abc\ndef\" )", "unterminated quoted string");
}

TEST_CASE("ZoneFileReader error: unbalanced parentheses") {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead("a A 10.0.0.1\nx NAPTR ( 10 100 \"u\" \"E2U+sip\"\n"
                                        "  \"!^.*$!sip:x@y!\" .\n; never closed\n"));
  CheckError(r, dir.path() + "/zone.db", 6, "'(' not closed before the end of the file");
  ExpectLineError("x A 10.0.0.1 )", "')' without '('");
}

TEST_CASE("ZoneFileReader error: unknown and forbidden types") {
  ExpectLineError("x FOO 10.0.0.1", "unknown type 'FOO'");
  ExpectLineError("x TYPE70000 \\# 0", "unknown type 'TYPE70000'");
  ExpectLineError("x TYPE35x \\# 0", "unknown type 'TYPE35x'");
  ExpectLineError("x TYPE0 \\# 0", "unknown type 'TYPE0'");
  ExpectLineError("x IXFR \\# 0", "cannot appear in zone data");
  ExpectLineError("x TYPE255 \\# 0", "cannot appear in zone data");
  ExpectLineError("x OPT \\# 0", "cannot appear in zone data");
  ExpectLineError("x 60 IN", "missing type");
  ExpectLineError("x CH A 10.0.0.1", "class CH is not supported");
}

TEST_CASE("ZoneFileReader error: garbage RDATA and wrong field counts") {
  ExpectLineError("x A 1.2.3", "bad A rdata");
  ExpectLineError("x A 1.2.3.4 5.6.7.8", "A needs 1 RDATA field, found 2");
  ExpectLineError("x AAAA 1.2.3.4", "bad AAAA rdata");
  ExpectLineError("x A", "missing RDATA for A");
  ExpectLineError("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!x!\"",
                  "NAPTR needs 6 RDATA fields, found 5");
  ExpectLineError("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!x!\" . extra", "found 7");
  ExpectLineError("x NAPTR ten 100 \"u\" \"E2U+sip\" \"!^.*$!x!\" .",
                  "NAPTR order 'ten' is not a number");
  ExpectLineError("x NAPTR -1 100 \"u\" \"E2U+sip\" \"!^.*$!x!\" .", "is not a number");
  ExpectLineError("x NS a..b", "bad NS rdata");
  ExpectLineError(std::string("x TXT \"") + std::string(256, 'a') + "\"", "bad TXT rdata");
  ExpectLineError("x HINFO \"pc\"", "bad HINFO rdata");
}

TEST_CASE("ZoneFileReader error: what BIND refuses in NSAP and NSEC3 text (issue 23)") {
  // ldns pads an odd last nibble with 0; BIND refuses the record.
  ExpectLineError("x NSAP 0x47.0005.80.005a00.0000.0001.e133.ffffff000162.0",
                  "NSAP address has an odd number of hex digits");
  CHECK(ReadOne("x NSAP 0x47.0005.80.005a00.0000....0001.e133.ffffff000162.00").rdata.size() == 20);
  // RFC 5155 §3.3: the next hashed owner name has no base32 padding.
  ExpectLineError("x NSEC3 1 1 12 aabbccdd CPNMU=== MX", "next hashed owner name is padded");
  CHECK(ReadOne("x NSEC3 1 1 12 aabbccdd cpnmuog0 MX").rdata.size() > 0);
  // Unpadded and not a whole 8-character group (BIND's good-nsec3-nopadhash):
  // 5 characters, 3 octets of hash.
  Rec nopad = ReadOne("x NSEC3 2 1 12 aabbccdd CPNMU MX DNSKEY NS");
  REQUIRE(nopad.rdata.size() > 10);
  CHECK(nopad.rdata[9] == 3);  // after alg, flags, iterations, salt length+4: the hash length
  // "0x" and nothing: BIND says unexpected end of input.
  ExpectLineError("x NSAP 0x", "NSAP address is empty");
}

TEST_CASE("ZoneFileReader: HHIT and BRID (RFC 9886) are base64, split or not, as in BIND") {
  CHECK(ReadOne("h HHIT AAEC Aw==").rdata == std::string("\x00\x01\x02\x03", 4));
  CHECK(ReadOne("b BRID AAECAw==").rdata == std::string("\x00\x01\x02\x03", 4));
  CHECK(ReadOne("b BRID \\# 2 0000").rdata == std::string("\x00\x00", 2));
  ExpectLineError("b BRID", "missing RDATA for BRID");
  ExpectLineError("b BRID \"AAEC\"", "needs base64 data");
  ExpectLineError("b BRID AA!C", "needs base64 data");
}

TEST_CASE("ZoneFileReader: SVCB alpn is a char-string, then a list with \\, escapes") {
  // RFC 9460 Appendix A.1 and its test vector: alpn="f\\\\oo\\,bar,h2"
  // holds the ids `f\oo,bar` and `h2` (BIND reads it so).
  Rec r = ReadOne("s SVCB 16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"");
  const std::string want(
      "\x00\x10"  // priority
      "\x03"
      "foo"
      "\x07"
      "example"
      "\x03"
      "org"
      "\x00"  // target
      "\x00\x01"
      "\x00\x0c"  // alpn, 12 octets
      "\x08"
      "f\\oo,bar"
      "\x02"
      "h2",
      2 + 17 + 4 + 9 + 3);
  CHECK(Hex(r.rdata) == Hex(want));
  // The same list written with decimal escapes.
  CHECK(ReadOne("s SVCB 16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2").rdata == want);
  ExpectLineError("s SVCB 1 . alpn=h2,,h3", "bad SVCB alpn id");
}

TEST_CASE("ZoneFileReader error: NAPTR with both regexp and replacement") {
  ExpectLineError("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:x@y!\" foo",
                  "NAPTR has both regexp and replacement");
}

TEST_CASE("ZoneFileReader error: NAPTR regexp and flags syntax (RFC 3402 §3.2, RFC 3403 §4.1)") {
  struct {
    const char* regexp;  // as written in the zone file
    const char* reason;
  } cases[] = {
      {"!^.*$!sip:x@y", "needs three delimiters"},
      {"!^.*$", "needs three delimiters"},
      {"!^.*$!sip:x!y!", "more than three delimiters"},
      {"1^.*$1sip:x1", "the delimiter may not be"},
      {"i^.*$isip:xi", "the delimiter may not be"},
      {"\\\\^.*$\\\\sip:x\\\\", "the delimiter may not be"},
      {"!^.*$!sip:x!g", "the only flag is 'i'"},
      {"!^.*$!sip:x!I", "the only flag is 'i'"},
      {"!^.*$!sip:\\\\1@y!", "back-reference \\1 but the ERE has 0 group(s)"},
      {"!^(.*)$!sip:\\\\2@y!", "back-reference \\2 but the ERE has 1 group(s)"},
      {"!^(.*)$!sip:\\\\0@y!", "a backslash must precede a digit 1-9"},
      {"!^.*$!sip:\\\\x@y!", "a backslash must precede a digit 1-9"},
      {"!^(.*$!sip:x!", "unbalanced '('"},
      {"!^.*)$!sip:x!", "unbalanced ')'"},
      {"!^[a-z$!sip:x!", "unterminated bracket"},
      {"!!sip:x!", "empty ERE"},
  };
  for (const auto& c : cases) {
    ExpectLineError(std::string("x NAPTR 10 100 \"u\" \"E2U+sip\" \"") + c.regexp + "\" .",
                    c.reason);
  }
  // Valid: other delimiters, escaped delimiters, the 'i' flag, bracket expressions.
  ReadOne("x NAPTR 10 100 \"u\" \"E2U+sip\" \"^.*$^sip:x^\" .");
  ReadOne("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*\\\\!$!sip:\\\\!x\\\\\\\\!i\" .");
  ReadOne("x NAPTR 10 100 \"u\" \"E2U+sip\" \"!^[]!(]([[:digit:]]*)$!sip:\\\\1@y!\" .");
  ExpectLineError("x NAPTR 10 100 \"u-\" \"E2U+sip\" \"!^.*$!x!\" .",
                  "NAPTR flags must be letters");
}

TEST_CASE("ZoneFileReader error: numbers out of range") {
  ExpectLineError("x 4294967296 A 10.0.0.1", "TTL 4294967296 out of range");
  ExpectLineError("x 1h30 A 10.0.0.1", "bad TTL '1h30'");
  ExpectLineError("$TTL 4294967296", "$TTL 4294967296 out of range");
  ExpectLineError("$TTL 3w4", "bad $TTL");
  ExpectLineError("x NAPTR 70000 100 \"u\" \"E2U+sip\" \"!^.*$!x!\" .",
                  "NAPTR order '70000' out of range (max 65535)");
  ExpectLineError("x NAPTR 10 65536 \"u\" \"E2U+sip\" \"!^.*$!x!\" .",
                  "NAPTR preference '65536' out of range");
  ExpectLineError("x MX 70000 mail", "MX preference '70000' out of range");
  ExpectLineError("x SRV 0 0 65536 sip", "SRV port '65536' out of range");
  ExpectLineError("x SRV 65536 0 1 sip", "SRV priority '65536' out of range");
  ExpectLineError("x SOA ns hm 4294967296 1 2 3 4", "SOA serial '4294967296' out of range");
  ExpectLineError("x SOA ns hm 1 4294967296 2 3 4", "SOA refresh '4294967296' out of range");
  ExpectLineError("x SOA ns hm 1 2 3 50000d 4", "SOA expire '50000d' out of range");
  ReadOne("x SOA ns hm 4294967295 1 2 3 4294967295");
}

TEST_CASE("ZoneFileReader error: $INCLUDE file missing") {
  TempDir dir;
  ReadResult r = ReadText(dir, WithHead("a A 10.0.0.1\n$INCLUDE nothere.db\n"));
  CheckError(r, dir.path() + "/zone.db", 6, "cannot open '" + dir.path() + "/nothere.db'");
}

TEST_CASE("ZoneFileReader error: errors inside an included file name that file and line") {
  TempDir dir;
  dir.Write("inc/bad.db", "ok A 10.0.0.1\n\nbad A 10.0.0.256\n");
  ReadResult r = ReadText(dir, WithHead("$INCLUDE inc/bad.db\n"));
  CheckError(r, dir.path() + "/inc/bad.db", 3, "bad A rdata");
}

TEST_CASE("ZoneFileReader error: $INCLUDE loops and depth") {
  TempDir dir;
  dir.Write("a.db", "x A 10.0.0.1\n$INCLUDE b.db\n");
  dir.Write("b.db", "\n\n$INCLUDE a.db\n");
  ReadResult loop = ReadText(dir, WithHead("$INCLUDE a.db\n"));
  CheckError(loop, dir.path() + "/b.db", 3, "$INCLUDE loop");

  ReadResult self = ReadAll(dir.Write("self.db", WithHead("$INCLUDE self.db\n")), "e164.arpa.");
  CheckError(self, dir.path() + "/self.db", 5, "$INCLUDE loop");

  // A chain of distinct files deeper than the limit.
  for (int i = 0; i < 20; ++i) {
    dir.Write("d" + std::to_string(i) + ".db", "$INCLUDE d" + std::to_string(i + 1) + ".db\n");
  }
  ReadResult deep = ReadText(dir, WithHead("$INCLUDE d0.db\n"));
  CheckError(deep, dir.path() + "/d14.db", 1, "nested more than 16 deep");
}

TEST_CASE("ZoneFileReader error: no origin") {
  TempDir dir;
  // A zone like the user's playground original (no $ORIGIN, SOA owner '@')
  // needs an origin from outside.
  CheckError(ReadText(dir, "$TTL 3600\n@ IN SOA ns root 1 3600 3600 3600 3600\n", ""),
             dir.path() + "/zone.db", 2, "no origin");
  CheckError(ReadText(dir, "$TTL 60\nfoo A 10.0.0.1\n", ""), dir.path() + "/zone.db", 2,
             "no origin");
  CheckError(ReadText(dir, "$TTL 60\ne164.arpa. NS ns\n", ""), dir.path() + "/zone.db", 2,
             "no origin");
  CheckError(ReadText(dir, "; nothing\n\n", ""), dir.path() + "/zone.db", 2, "no origin");
  CheckError(ReadText(dir, "$ORIGIN relative\n", ""), dir.path() + "/zone.db", 1, "no origin");
}

TEST_CASE("ZoneFileReader error: bad names") {
  std::string label63(63, 'a');
  ReadOne(label63 + " A 10.0.0.1");
  ExpectLineError(label63 + "a A 10.0.0.1", "label longer than 63 octets");
  // 4 labels of 63 = 256 octets of wire with the root: too long.
  std::string long_name = label63 + "." + label63 + "." + label63 + "." + label63 + ".";
  ExpectLineError(long_name + " A 10.0.0.1", "name longer than 255 octets");
  // Fits alone (254 + root) but not with the origin appended.
  std::string near = label63 + "." + label63 + "." + label63 + "." + std::string(59, 'b');
  ExpectLineError(near + " A 10.0.0.1", "name longer than 255 octets");
  ReadOne(label63 + "." + label63 + "." + label63 + "." + std::string(50, 'b') + ". A 10.0.0.1");
  ExpectLineError("a..b A 10.0.0.1", "empty label");
  ExpectLineError("x NAPTR 10 100 \"s\" \"SIP+D2U\" \"\" " + long_name, "bad NAPTR rdata");
}

TEST_CASE("ZoneFileReader error: no TTL, no owner, bad directives, bad origin") {
  TempDir dir;
  CheckError(ReadText(dir, "$ORIGIN e164.arpa.\nx A 10.0.0.1\n@ SOA ns hm 1 2 3 4 5\n"),
             dir.path() + "/zone.db", 2, "no TTL");
  CheckError(ReadText(dir, "$ORIGIN e164.arpa.\n$TTL 1\n  A 10.0.0.1\n"), dir.path() + "/zone.db",
             3, "no owner name");
  ExpectLineError("$GENERATE 10-1 $ A 10.0.0.$", "bad $GENERATE range: start after stop");
  ExpectLineError("$FOO bar", "unknown directive '$FOO'");
  // BIND's $DATE (a cache dump's time) is read and ignored, as BIND does in a zone.
  CHECK(ReadOne("$DATE 20210101000000\nx A 10.0.0.1").rdata.size() == 4);
  ExpectLineError("$DATE yesterday", "$DATE takes one time, YYYYMMDDHHMMSS");
  ExpectLineError("$ORIGIN", "$ORIGIN takes one domain name");
  ReadResult bad_origin = ReadAll(dir.Write("z.db", "\n"), "a..b");
  CHECK(bad_origin.error == "invalid origin 'a..b': empty label in name");
  CHECK(ReadAll(dir.Write("z.db", "\n"), "@").error == "invalid origin '@': not a domain name");
  ReadResult missing = ReadAll(dir.path() + "/missing.db", "e164.arpa.");
  CHECK(missing.error == "cannot open '" + dir.path() + "/missing.db': No such file or directory");
}

TEST_CASE("ZoneFileReader: Read() without a successful Open() is an error, not a crash") {
  ZoneFileReader reader;
  ZoneRecord rec;
  CHECK(reader.Read(&rec) == ZoneFileReader::Next::kError);
  CHECK_FALSE(reader.error().ok());
  ZoneFileReader failed;
  CHECK_FALSE(failed.Open("/nonexistent/zone.db", "e164.arpa.").ok());
  CHECK(failed.Read(&rec) == ZoneFileReader::Next::kError);
  CHECK(failed.error().message().rfind("cannot open '/nonexistent/zone.db'", 0) == 0);
}

TEST_CASE("CheckRecordData: NAPTR wire checks") {
  auto naptr = [](const std::string& flags, const std::string& regexp, const std::string& repl) {
    std::string w("\x00\x0a\x00\x64", 4);
    w += static_cast<char>(flags.size()) + flags;
    w += std::string(
        "\x07"
        "E2U+sip");
    w += static_cast<char>(regexp.size()) + regexp;
    w += repl;
    return w;
  };
  auto check = [](const std::string& w) {
    return CheckRecordData(dns::type::kNAPTR, reinterpret_cast<const uint8_t*>(w.data()), w.size());
  };
  const std::string root(1, '\0');
  CHECK(check(naptr("u", "!^.*$!sip:x@y!", root)).empty());
  CHECK(check(naptr("u", "!(^.*$)!sip:+1\\1@y!", root)).empty());
  CHECK(check(naptr("S", "", std::string("\x04_sip\x04_udp\x00", 11))).empty());
  CHECK(check(naptr("u", "!^.*$!x!", std::string("\x01x\x00", 3))) ==
        "NAPTR has both regexp and replacement (RFC 3403 §4.1)");
  CHECK(check(naptr("u", "!(^.*$)!sip:+1\\1@y", root)).find("three delimiters") !=
        std::string::npos);
  CHECK(check(naptr("u", "!^.*$!x!", std::string("\x01x", 2))) == "malformed NAPTR rdata");
  CHECK(check(naptr("u", "!^.*$!x!", root + "x")) == "malformed NAPTR rdata");
  CHECK(check(naptr("u", "!^.*$!x!", std::string("\xc0\x0c", 2))) == "malformed NAPTR rdata");
  CHECK(check(std::string("\x00\x0a\x00", 3)) == "malformed NAPTR rdata");
  CHECK(check(std::string("\x00\x0a\x00\x64\x05u", 6)) == "malformed NAPTR rdata");
  CHECK(check(naptr("u", std::string("!^.*$!x\0!", 9), root)).find("NUL") != std::string::npos);
  CHECK(check(naptr("u+", "!^.*$!x!", root)).find("flags") != std::string::npos);
}

TEST_CASE("CheckRecordData: other core types") {
  auto check = [](uint16_t type, const std::string& w) {
    return CheckRecordData(type, reinterpret_cast<const uint8_t*>(w.data()), w.size());
  };
  CHECK(check(dns::type::kA, std::string(4, '\1')).empty());
  CHECK_FALSE(check(dns::type::kA, std::string(5, '\1')).empty());
  CHECK(check(dns::type::kAAAA, std::string(16, '\1')).empty());
  CHECK_FALSE(check(dns::type::kAAAA, std::string(4, '\1')).empty());
  CHECK(check(dns::type::kNS, std::string("\x02ns\x00", 4)).empty());
  CHECK_FALSE(check(dns::type::kNS, std::string("\x02ns", 3)).empty());
  CHECK_FALSE(check(dns::type::kCNAME, std::string("\x02ns\x00\x00", 5)).empty());
  CHECK(check(dns::type::kMX, std::string("\x00\x0a\x00", 3)).empty());
  CHECK_FALSE(check(dns::type::kMX, std::string("\x00\x0a", 2)).empty());
  CHECK(check(dns::type::kSRV, std::string("\x00\x00\x00\x00\x13\xc4\x00", 7)).empty());
  CHECK(check(dns::type::kTXT, std::string("\x01"
                                           "a\x00",
                                           3))
            .empty());
  CHECK_FALSE(check(dns::type::kTXT, std::string("\x02"
                                                 "a",
                                                 2))
                  .empty());
  CHECK_FALSE(check(dns::type::kTXT, std::string()).empty());
  CHECK(check(dns::type::kSOA, std::string(2, '\0') + std::string(20, '\1')).empty());
  CHECK_FALSE(check(dns::type::kSOA, std::string(2, '\0') + std::string(19, '\1')).empty());
  CHECK(check(65280, "anything").empty());
}

}  // namespace enumd::zone
