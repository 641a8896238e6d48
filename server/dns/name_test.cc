// Tests for dns/name.h: ReadName against malformed and compressed input, the
// comparison helpers, and the presentation-form conversions, cross-checked
// with ldns as a reference implementation.
#include "dns/name.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include <cstring>
#include <string>
#include <vector>

namespace enumd::dns {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string S(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// A wire name of labels made of `fill`, with the given label lengths.
std::string MakeName(const std::vector<int>& lens, char fill = 'a') {
  std::string w;
  for (int l : lens) {
    w += static_cast<char>(l);
    w.append(static_cast<size_t>(l), fill);
  }
  w += '\0';
  return w;
}

// Wire name from text via ldns, the reference parser ("" if ldns rejects it).
std::string LdnsWire(const std::string& text) {
  ldns_rdf* rdf = ldns_dname_new_frm_str(text.c_str());
  if (rdf == nullptr) return "";
  std::string w(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
  ldns_rdf_deep_free(rdf);
  return w;
}

std::string LdnsText(const std::string& wire) {
  ldns_rdf* rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data());
  REQUIRE(rdf != nullptr);
  char* s = ldns_rdf2str(rdf);
  std::string text(s);
  free(s);
  ldns_rdf_deep_free(rdf);
  return text;
}

// ---------------------------------------------------------------------------
// NameFromText / WireName

struct FromTextCase {
  const char* text;
  const char* origin;  // text form, nullptr = root
  std::string wire;    // "" = invalid
};

TEST_CASE("NameFromText: table") {
  const std::string n255 = MakeName({63, 63, 63, 61});
  const std::string t255 = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                           std::string(63, 'a') + "." + std::string(61, 'a') + ".";
  const std::string t256 = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                           std::string(63, 'a') + "." + std::string(62, 'a') + ".";
  const std::string t63 = std::string(63, 'x') + ".";
  const std::string t64 = std::string(64, 'x') + ".";
  const std::string rel_long = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                               std::string(63, 'a') + "." + std::string(55, 'a');
  const std::vector<FromTextCase> cases = {
      {".", nullptr, std::string("\0", 1)},
      {".", "example.", std::string("\0", 1)},
      {"a.b.", nullptr, std::string("\1a\1b\0", 5)},
      {"a.b.", "ignored.", std::string("\1a\1b\0", 5)},
      {"a.b", nullptr, std::string("\1a\1b\0", 5)},
      {"a.b", "example.", std::string("\1a\1b\7example\0", 13)},
      {"a", "e164.arpa.", std::string("\1a\4e164\4arpa\0", 13)},
      {"Mixed.Case.", nullptr, std::string("\5Mixed\4Case\0", 12)},
      {"*.e164.arpa.", nullptr, std::string("\1*\4e164\4arpa\0", 13)},
      {"a\\.b.c.", nullptr, std::string("\3a.b\1c\0", 7)},
      {"a\\\\b.", nullptr, std::string("\3a\\b\0", 5)},
      {"\\065bc.", nullptr, std::string("\3Abc\0", 5)},
      {"\\000.", nullptr, std::string("\1\0\0", 3)},
      {"\\255.", nullptr, std::string("\1\xff\0", 3)},
      {"\\032x.", nullptr, std::string("\2 x\0", 4)},
      {"\\ x.", nullptr, std::string("\2 x\0", 4)},
      {"\\@\\$\\(\\)\\;\\\".", nullptr, std::string("\6@$();\"\0", 8)},
      {"@", nullptr, std::string("\1@\0", 3)},  // "@" is the caller's business
      {"_sip._udp.", nullptr, std::string("\4_sip\4_udp\0", 11)},
      {t63.c_str(), nullptr, MakeName({63}, 'x')},
      {t255.c_str(), nullptr, n255},
      // Invalid.
      {"", nullptr, ""},
      {"..", nullptr, ""},
      {".a.", nullptr, ""},
      {".a", nullptr, ""},
      {"a..b.", nullptr, ""},
      {"a..", nullptr, ""},
      {"a\\", nullptr, ""},
      {"\\256.", nullptr, ""},
      {"\\999.", nullptr, ""},
      {"\\06.", nullptr, ""},
      {"\\6", nullptr, ""},
      {"\\06", nullptr, ""},
      {"\\0a1.", nullptr, ""},
      {t64.c_str(), nullptr, ""},
      {t256.c_str(), nullptr, ""},
      {rel_long.c_str(), "example.", ""},  // fits alone, not with the origin
      {"a", "\\999.", ""},                 // invalid origin text -> see below
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    uint8_t origin[kMaxNameWire];
    const uint8_t* origin_ptr = nullptr;
    if (c.origin != nullptr) {
      const size_t n = NameFromText(c.origin, nullptr, origin);
      if (n == 0) {
        // An origin that is not a name: pass garbage (a label > 63).
        origin[0] = 0x50;
      }
      origin_ptr = origin;
    }
    uint8_t out[kMaxNameWire];
    const size_t n = NameFromText(c.text, origin_ptr, out);
    CHECK(S(out, n) == c.wire);
    if (n != 0) CHECK(WireNameLength(out, n) == n);
  }
}

TEST_CASE("NameFromText: relative name at the 255-byte edge with an origin") {
  // "a" + 61-byte labels ... + "example." : build exactly 255 and 256.
  uint8_t origin[kMaxNameWire];
  REQUIRE(NameFromText("example.", nullptr, origin) == 9);
  // relative part: labels 63, 63, 63 (192 bytes) + label of k; total = 192 + 1 + k + 9.
  for (int k : {53, 54}) {
    const std::string text = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                             std::string(63, 'a') + "." + std::string(static_cast<size_t>(k), 'b');
    uint8_t out[kMaxNameWire];
    const size_t n = NameFromText(text, origin, out);
    CAPTURE(k);
    CHECK(n == (k == 53 ? 255u : 0u));
  }
}

TEST_CASE("WireName") {
  CHECK(WireName("a.b.") == std::string("\1a\1b\0", 5));
  CHECK(WireName(".") == std::string("\0", 1));
  CHECK(WireName("a..b") == "");
}

// ---------------------------------------------------------------------------
// NameToText

TEST_CASE("NameToText: table") {
  struct Case {
    std::string wire;
    const char* text;
  };
  const std::vector<Case> cases = {
      {std::string("\0", 1), "."},
      {std::string("\1a\1b\0", 5), "a.b."},
      {std::string("\5Mixed\4CASE\0", 12), "Mixed.CASE."},
      {std::string("\1*\4e164\4arpa\0", 13), "*.e164.arpa."},
      {std::string("\3a.b\1c\0", 7), "a\\.b.c."},
      {std::string("\3a\\b\0", 5), "a\\\\b."},
      {std::string("\2\"@\0", 4), "\\\"\\@."},
      {std::string("\5();$x\0", 7), "\\(\\)\\;\\$x."},
      {std::string("\3a b\0", 5), "a\\032b."},
      {std::string("\4\0\x1f\x7f\xff\0", 6), "\\000\\031\\127\\255."},
      {std::string("\3-_~\0", 5), "-_~."},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(NameToText(U(c.wire)) == c.text);
  }
}

TEST_CASE("NameToText/NameFromText: every byte value round-trips and agrees with ldns") {
  for (int c = 0; c < 256; ++c) {
    CAPTURE(c);
    std::string wire = "\3x";
    wire += static_cast<char>(c);
    wire += "y";
    wire += std::string("\7example\0", 9);
    const std::string text = NameToText(U(wire));
    uint8_t back[kMaxNameWire];
    const size_t n = NameFromText(text, nullptr, back);
    CHECK(S(back, n) == wire);
    // ldns reads our presentation form to the same bytes ...
    CHECK(LdnsWire(text) == wire);
    // ... and we read ldns's presentation form to the same bytes.
    const std::string ldns_text = LdnsText(wire);
    CAPTURE(ldns_text);
    CHECK(S(back, NameFromText(ldns_text, nullptr, back)) == wire);
  }
}

// ---------------------------------------------------------------------------
// ReadName

struct ReadCase {
  const char* what;
  Bytes msg;
  size_t start;
  bool ok;
  std::string name;  // expected uncompressed wire when ok
  size_t next;       // expected offset after the name when ok
};

// 12 bytes of header padding so offsets look like a real message.
Bytes Hdr() { return Bytes(12, 0xEE); }

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_CASE("ReadName: table") {
  const Bytes example = B(std::string("\7example\3com\0", 13));  // at offset 12
  const std::string www_example = std::string("\3www\7example\3com\0", 17);
  // A name of exactly 255 bytes and one of 256, laid out with a pointer.
  const std::string part1 = MakeName({63, 63}).substr(0, 128);  // two labels, no root
  const std::string n255 = MakeName({63, 63, 63, 61});
  const std::string n256 = MakeName({63, 63, 63, 62});
  // 200 chained pointers, each to the one before; the first points at a root.
  Bytes chain = Hdr();
  chain.push_back(0);  // root at 12
  for (int i = 0; i < 200; ++i) {
    const size_t prev = chain.size() == 13 ? 12 : chain.size() - 2;
    chain.push_back(static_cast<uint8_t>(0xC0 | (prev >> 8)));
    chain.push_back(static_cast<uint8_t>(prev));
  }
  const size_t hop128 = 13 + 2 * 127;  // reading here takes 128 hops
  const size_t hop129 = 13 + 2 * 128;

  const std::vector<ReadCase> cases = {
      {"plain", Cat({Hdr(), example}), 12, true, std::string("\7example\3com\0", 13), 25},
      {"root", Cat({Hdr(), {0}}), 12, true, std::string("\0", 1), 13},
      {"pointer to earlier name", Cat({Hdr(), example, B("\3www"), {0xC0, 12}}), 25, true,
       www_example, 31},
      {"pointer to a suffix", Cat({Hdr(), example, {0xC0, 20}}), 25, true,
       std::string("\3com\0", 5), 27},
      {"pointer only name, offset past the pointer", Cat({Hdr(), example, {0xC0, 12, 0xAA}}), 25,
       true, std::string("\7example\3com\0", 13), 27},
      {"upper-case kept", Cat({Hdr(), B(std::string("\3WwW\0", 5))}), 12, true,
       std::string("\3WwW\0", 5), 17},
      {"63-byte label", Cat({Hdr(), B(MakeName({63}))}), 12, true, MakeName({63}), 12 + 65},
      {"255-byte name", Cat({Hdr(), B(n255)}), 12, true, n255, 12 + 255},
      {"255-byte name via pointer", Cat({Hdr(), B(MakeName({63, 61})), B(part1), {0xC0, 12}}),
       12 + 127, true, n255, 12 + 127 + 130},
      {"128 pointer hops", chain, hop128, true, std::string("\0", 1), hop128 + 2},
      // Malformed.
      {"empty", Hdr(), 12, false, "", 0},
      {"start past end", Cat({Hdr(), {0}}), 14, false, "", 0},
      {"no root label", Cat({Hdr(), B("\3www")}), 12, false, "", 0},
      {"label past end", Cat({Hdr(), B("\5ab")}), 12, false, "", 0},
      {"label of 64 (type bits 01)", Cat({Hdr(), {64}, Bytes(64, 'a'), {0}}), 12, false, "", 0},
      {"type bits 01", Cat({Hdr(), {0x41, 'a', 0}}), 12, false, "", 0},
      {"type bits 10", Cat({Hdr(), {0x80, 0}}), 12, false, "", 0},
      {"type bits 10, max", Cat({Hdr(), {0xBF, 0}}), 12, false, "", 0},
      {"name of 256", Cat({Hdr(), B(n256)}), 12, false, "", 0},
      {"name of 256 via pointer", Cat({Hdr(), B(MakeName({63, 62})), B(part1), {0xC0, 12}}),
       12 + 128, false, "", 0},
      {"pointer to itself", Cat({Hdr(), {0xC0, 12}}), 12, false, "", 0},
      {"pointer forward", Cat({Hdr(), {0xC0, 14, 0}}), 12, false, "", 0},
      {"pointer forward after a label", Cat({Hdr(), {1, 'a', 0xC0, 16, 0, 0}}), 12, false, "", 0},
      {"two pointers at each other (first)", Cat({Hdr(), {0xC0, 14, 0xC0, 12}}), 12, false, "", 0},
      {"two pointers at each other (second)", Cat({Hdr(), {0xC0, 14, 0xC0, 12}}), 14, false, "", 0},
      {"loop through a label", Cat({Hdr(), {1, 'a', 0xC0, 12}}), 12, false, "", 0},
      {"pointer into its own run (would read a root mid-label)",
       Cat({Hdr(), {3, 0, 'x', 'y', 0xC0, 13}}), 12, false, "", 0},
      {"truncated pointer", Cat({Hdr(), {1, 'a', 0xC0}}), 12, false, "", 0},
      {"pointer past the message", Cat({Hdr(), {0xFF, 0xFF}}), 12, false, "", 0},
      {"129 pointer hops", chain, hop129, false, "", 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    uint8_t out[kMaxNameWire];
    size_t out_len = 999;
    size_t off = c.start;
    const bool ok = ReadName(c.msg.data(), c.msg.size(), &off, out, &out_len);
    REQUIRE(ok == c.ok);
    if (ok) {
      CHECK(S(out, out_len) == c.name);
      CHECK(off == c.next);
    }
  }
}

TEST_CASE("ReadName: never reads past msg_len") {
  // Every prefix of a valid compressed message is either read fully or refused.
  const Bytes msg = Cat({Hdr(), B(std::string("\7example\3com\0", 13)), B("\3www"), {0xC0, 12}});
  for (size_t len = 0; len <= msg.size(); ++len) {
    Bytes copy(msg.begin(), msg.begin() + static_cast<long>(len));  // ASan sees overreads
    uint8_t out[kMaxNameWire];
    size_t out_len = 0;
    size_t off = 25;
    CHECK(ReadName(copy.data(), copy.size(), &off, out, &out_len) == (len == msg.size()));
  }
}

// ---------------------------------------------------------------------------
// Helpers over valid wire names

TEST_CASE("WireNameLength") {
  const std::string ex = std::string("\7example\0", 9);
  CHECK(WireNameLength(U(ex), 9) == 9);
  CHECK(WireNameLength(U(ex), 100) == 9);
  CHECK(WireNameLength(U(ex), 8) == 0);
  CHECK(WireNameLength(U(ex), 0) == 0);
  const std::string root("\0", 1);
  CHECK(WireNameLength(U(root), 1) == 1);
  const std::string n255 = MakeName({63, 63, 63, 61});
  const std::string n256 = MakeName({63, 63, 63, 62});
  CHECK(WireNameLength(U(n255), n255.size()) == 255);
  CHECK(WireNameLength(U(n256), n256.size()) == 0);
  const std::string l64 = MakeName({64});
  CHECK(WireNameLength(U(l64), l64.size()) == 0);
  const std::string ptr("\3www\xC0\x0C", 6);
  CHECK(WireNameLength(U(ptr), ptr.size()) == 0);
}

TEST_CASE("LabelCount, SkipLabels") {
  const std::string n = WireName("a.bb.ccc.");
  CHECK(LabelCount(U(n)) == 3);
  CHECK(LabelCount(U(WireName("."))) == 0);
  CHECK(S(SkipLabels(U(n), 0), 10) == n);
  CHECK(S(SkipLabels(U(n), 1), 8) == WireName("bb.ccc."));
  CHECK(S(SkipLabels(U(n), 2), 5) == WireName("ccc."));
  CHECK(SkipLabels(U(n), 3)[0] == 0);
}

TEST_CASE("NameEqual and IsSubdomain: table") {
  struct Case {
    const char* a;
    const char* b;
    bool equal;
    bool a_under_b;
  };
  const std::vector<Case> cases = {
      {"example.com.", "example.com.", true, true},
      {"EXAMPLE.com.", "example.COM.", true, true},
      {"www.example.com.", "example.com.", false, true},
      {"www.Example.com.", "EXAMPLE.com.", false, true},
      {"example.com.", "www.example.com.", false, false},
      {"wwwexample.com.", "example.com.", false, false},
      {"example.com.", ".", false, true},
      {".", ".", true, true},
      {".", "com.", false, false},
      {"a.b.", "a.c.", false, false},
      {"1.2.3.e164.arpa.", "e164.arpa.", false, true},
      {"ab.", "a.", false, false},
      {"a.", "ab.", false, false},
      {"a\\[.", "a\\{.", false, false},  // '[' and '{' differ by 0x20 but are not letters
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    const std::string a = WireName(c.a), b = WireName(c.b);
    REQUIRE(!a.empty());
    REQUIRE(!b.empty());
    CHECK(NameEqual(U(a), U(b)) == c.equal);
    CHECK(NameEqual(U(b), U(a)) == c.equal);
    CHECK(IsSubdomain(U(a), U(b)) == c.a_under_b);
  }
}

TEST_CASE("LowerName lowers ASCII letters only") {
  std::string n = WireName("MiXeD.\\200\\193Z.@[`{.");
  REQUIRE(!n.empty());
  LowerName(reinterpret_cast<uint8_t*>(n.data()));
  CHECK(n == WireName("mixed.\\200\\193z.@[`{."));
}

}  // namespace
}  // namespace enumd::dns
