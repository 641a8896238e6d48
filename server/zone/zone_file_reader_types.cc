// Encoders for the types ldns lacks (contract in zone_file_reader_types.h).
// Each follows its RFC's presentation format and BIND 9.18's reading of it;
// the corpus test (tests/system/zone_corpus.py) compares the wire form with
// what named-compilezone makes of the same text.
#include "zone/zone_file_reader_types.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "zone/zone_file_reader_fields.h"

namespace enumd::zone::types {
namespace {

using fields::EqualsUpper;
using fields::Num;

struct Name {
  std::string_view name;
  uint16_t type;
};
constexpr Name kExtra[] = {
    {"SVCB", 64}, {"HTTPS", 65}, {"NINFO", 56},   {"AVC", 258}, {"DOA", 259}, {"AMTRELAY", 260},
    {"UID", 101}, {"GID", 102},  {"UNSPEC", 103}, {"HHIT", 67}, {"BRID", 68},
};

// Presentation escapes (\DDD, \X) decoded; false when malformed.
bool Unescape(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      out->push_back(s[i++]);
      continue;
    }
    size_t len = fields::EscapeLength(s.data(), i, s.size());
    if (len == 0) return false;
    out->push_back(static_cast<char>(fields::EscapeValue(s.data(), i)));
    i += len;
  }
  return true;
}

// Splits `s` at commas not escaped by a backslash.
std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == ',') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

// RFC 4648 §4 base64, padded to a multiple of 4 characters.
bool Base64(std::string_view s, std::string* out) {
  if (s.empty() || s.size() % 4 != 0) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      ++pad;
      continue;
    } else {
      return false;
    }
    if (pad > 0) return false;  // data after padding
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>(acc >> bits));
    }
  }
  return pad <= 2;
}

bool Address(int family, std::string_view s, std::string* out) {
  char buf[64];
  if (s.size() >= sizeof(buf)) return false;
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  uint8_t a[16];
  if (inet_pton(family, buf, a) != 1) return false;
  out->append(reinterpret_cast<const char*>(a), family == AF_INET ? 4 : 16);
  return true;
}

void Append32(uint64_t v, std::string* out) {
  fields::AppendU16(v >> 16, out);
  fields::AppendU16(v & 0xffff, out);
}

// --- SVCB / HTTPS (RFC 9460 §2.1, §7) --------------------------------------

constexpr const char* kSvcKeys[] = {"mandatory", "alpn", "no-default-alpn", "port",
                                    "ipv4hint",  "ech",  "ipv6hint",        "dohpath"};

// A SvcParamKey name ("alpn", "key65000") -> number; false when unknown.
bool SvcKey(std::string_view name, uint16_t* key) {
  for (uint16_t k = 0; k < sizeof(kSvcKeys) / sizeof(kSvcKeys[0]); ++k) {
    if (name == kSvcKeys[k]) {
      *key = k;
      return true;
    }
  }
  uint64_t v = 0;
  if (name.size() > 3 && name.substr(0, 3) == "key" &&
      fields::ParseDecimal(name.substr(3), 65535, &v) == Num::kOk && v != 65535) {
    *key = static_cast<uint16_t>(v);
    return true;
  }
  return false;
}

// One SvcParam's value (already unescaped where the key wants that).
bool SvcValue(uint16_t key, std::string_view raw, bool has_value, std::string* out,
              std::string* reason) {
  auto bad = [&](const std::string& why) {
    *reason = why;
    return false;
  };
  switch (key) {
    case 0: {  // mandatory: key names, ascending, no duplicates
      std::vector<uint16_t> keys;
      for (std::string_view part : SplitCommas(raw)) {
        uint16_t k;
        if (!SvcKey(part, &k)) return bad("bad SVCB mandatory key '" + std::string(part) + "'");
        if (k == 0) return bad("SVCB mandatory may not list itself (RFC 9460 §8)");
        keys.push_back(k);
      }
      std::sort(keys.begin(), keys.end());
      if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
        return bad("SVCB mandatory lists a key twice");
      for (uint16_t k : keys) fields::AppendU16(k, out);
      return has_value && !keys.empty() ? true : bad("SVCB mandatory needs a value");
    }
    case 1: {  // alpn: one or more length-prefixed ids
      // RFC 9460 Appendix A.1: the value is a char-string (decoded first),
      // then a comma-separated list in which "\," and "\\" are a literal
      // comma and backslash: alpn="f\\\\oo\\,bar,h2" is "f\oo,bar" and "h2".
      std::string text;
      if (!has_value || raw.empty() || !Unescape(raw, &text)) return bad("SVCB alpn needs a value");
      std::string id;
      for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == ',') {
          if (id.empty() || id.size() > 255)
            return bad("bad SVCB alpn id '" + id + "' in '" + std::string(raw) + "'");
          out->push_back(static_cast<char>(id.size()));
          out->append(id);
          id.clear();
          continue;
        }
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        id.push_back(text[i]);
      }
      return true;
    }
    case 2:  // no-default-alpn: no value
      return has_value ? bad("SVCB no-default-alpn takes no value") : true;
    case 3: {
      uint64_t v = 0;
      if (!has_value || fields::ParseDecimal(raw, 65535, &v) != Num::kOk)
        return bad("bad SVCB port '" + std::string(raw) + "'");
      fields::AppendU16(v, out);
      return true;
    }
    case 4:
    case 6: {
      if (!has_value || raw.empty()) return bad("SVCB address hint needs a value");
      for (std::string_view part : SplitCommas(raw)) {
        if (!Address(key == 4 ? AF_INET : AF_INET6, part, out))
          return bad("bad SVCB address hint '" + std::string(part) + "'");
      }
      return true;
    }
    case 5:
      if (!has_value || !Base64(raw, out)) return bad("bad SVCB ech (base64)");
      return true;
    default: {  // dohpath and keyNNNNN: the bytes as written
      std::string v;
      if (!Unescape(raw, &v)) return bad("bad escape in SVCB parameter value");
      if (key == 7 && v.empty()) return bad("SVCB dohpath needs a value");
      out->append(v);
      return true;
    }
  }
}

Encoded Svcb(const std::vector<TextToken>& f, const std::string& origin, std::string* out,
             std::string* reason) {
  uint64_t prio = 0;
  if (f.size() < 2 || f[0].quoted || fields::ParseDecimal(f[0].text, 65535, &prio) != Num::kOk) {
    *reason = "SVCB priority must be a number 0-65535";
    return Encoded::kError;
  }
  fields::AppendU16(prio, out);
  if (f[1].quoted || !fields::AppendName(f[1].text, origin, out)) {
    *reason = "bad SVCB target name '" + std::string(f[1].text) + "'";
    return Encoded::kError;
  }
  std::vector<std::pair<uint16_t, std::string>> params;
  for (size_t i = 2; i < f.size(); ++i) {
    if (f[i].quoted) {
      *reason = "SVCB parameter value without a key";
      return Encoded::kError;
    }
    std::string_view t = f[i].text;
    size_t eq = t.find('=');
    std::string_view key_text = t.substr(0, eq);
    std::string_view value;
    bool has_value = eq != std::string_view::npos;
    if (has_value) {
      value = t.substr(eq + 1);
      // key="quoted value": the tokenizer gives the quoted part separately.
      if (value.empty() && i + 1 < f.size() && f[i + 1].quoted) value = f[++i].text;
    }
    uint16_t key;
    if (!SvcKey(key_text, &key)) {
      *reason = "unknown SVCB parameter '" + std::string(key_text) + "'";
      return Encoded::kError;
    }
    std::string v;
    if (!SvcValue(key, value, has_value, &v, reason)) return Encoded::kError;
    if (v.size() > 65535) {
      *reason = "SVCB parameter value too long";
      return Encoded::kError;
    }
    params.emplace_back(key, std::move(v));
  }
  if (prio == 0 && !params.empty()) {
    *reason = "SVCB in AliasMode (priority 0) takes no parameters (RFC 9460 §2.4.2)";
    return Encoded::kError;
  }
  std::sort(params.begin(), params.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < params.size(); ++i) {
    if (params[i].first == params[i - 1].first) {
      *reason = "SVCB parameter given twice";
      return Encoded::kError;
    }
  }
  // Every key that mandatory lists must be present (RFC 9460 §8).
  if (!params.empty() && params[0].first == 0) {
    const std::string& m = params[0].second;
    for (size_t i = 0; i + 1 < m.size(); i += 2) {
      uint16_t k =
          static_cast<uint16_t>(static_cast<uint8_t>(m[i]) << 8 | static_cast<uint8_t>(m[i + 1]));
      bool found = false;
      for (const auto& p : params) found = found || p.first == k;
      if (!found) {
        *reason = "SVCB mandatory lists a key that is not present";
        return Encoded::kError;
      }
    }
  }
  for (const auto& p : params) {
    fields::AppendU16(p.first, out);
    fields::AppendU16(p.second.size(), out);
    out->append(p.second);
  }
  return Encoded::kOk;
}

// --- APL (RFC 3123 §4) ------------------------------------------------------

Encoded Apl(const std::vector<TextToken>& f, std::string* out, std::string* reason) {
  for (const TextToken& t : f) {
    std::string_view s = t.text;
    bool negate = !s.empty() && s[0] == '!';
    if (negate) s.remove_prefix(1);
    size_t colon = s.find(':'), slash = s.find('/');
    uint64_t afi = 0, prefix = 0;
    if (t.quoted || colon == std::string_view::npos || slash == std::string_view::npos ||
        slash < colon || fields::ParseDecimal(s.substr(0, colon), 65535, &afi) != Num::kOk ||
        (afi != 1 && afi != 2) ||
        fields::ParseDecimal(s.substr(slash + 1), afi == 1 ? 32 : 128, &prefix) != Num::kOk) {
      *reason = "bad APL item '" + std::string(t.text) + "' ([!]afi:address/prefix)";
      return Encoded::kError;
    }
    std::string addr;
    if (!Address(afi == 1 ? AF_INET : AF_INET6, s.substr(colon + 1, slash - colon - 1), &addr)) {
      *reason = "bad APL address in '" + std::string(t.text) + "'";
      return Encoded::kError;
    }
    while (!addr.empty() && addr.back() == '\0') addr.pop_back();  // RFC 3123 §4.1
    fields::AppendU16(afi, out);
    out->push_back(static_cast<char>(prefix));
    out->push_back(static_cast<char>((negate ? 0x80 : 0) | addr.size()));
    out->append(addr);
  }
  return Encoded::kOk;
}

// --- AMTRELAY (RFC 8777 §4.3) ----------------------------------------------

Encoded Amtrelay(const std::vector<TextToken>& f, const std::string& origin, std::string* out,
                 std::string* reason) {
  uint64_t prec = 0, d = 0, type = 0;
  if (f.size() < 3 || fields::ParseDecimal(f[0].text, 255, &prec) != Num::kOk ||
      fields::ParseDecimal(f[1].text, 1, &d) != Num::kOk ||
      fields::ParseDecimal(f[2].text, 127, &type) != Num::kOk) {
    *reason = "AMTRELAY needs precedence (0-255), D (0 or 1) and type";
    return Encoded::kError;
  }
  out->push_back(static_cast<char>(prec));
  out->push_back(static_cast<char>(d << 7 | type));
  bool ok = false;
  switch (type) {
    case 0:  // no relay: "." or nothing
      ok = f.size() == 3 || (f.size() == 4 && f[3].text == ".");
      break;
    case 1:
    case 2:
      ok = f.size() == 4 && Address(type == 1 ? AF_INET : AF_INET6, f[3].text, out);
      break;
    case 3:
      ok = f.size() == 4 && !f[3].quoted && fields::AppendName(f[3].text, origin, out);
      break;
    default:  // unknown relay types cannot be written in text (use \#)
      break;
  }
  if (!ok) *reason = "bad AMTRELAY relay";
  return ok ? Encoded::kOk : Encoded::kError;
}

Encoded CharStrings(const std::vector<TextToken>& f, std::string* out, std::string* reason) {
  if (f.empty()) {
    *reason = "missing RDATA (one or more character strings)";
    return Encoded::kError;
  }
  for (const TextToken& t : f) {
    if (!fields::AppendCharString(t.text, out)) {
      *reason = "character string longer than 255 octets or with a bad escape";
      return Encoded::kError;
    }
  }
  return Encoded::kOk;
}

}  // namespace

uint16_t ExtraTypeByName(std::string_view name) {
  for (const Name& n : kExtra) {
    if (EqualsUpper(name, n.name)) return n.type;
  }
  return 0;
}

const char* ExtraTypeName(uint16_t type) {
  for (const Name& n : kExtra) {
    if (n.type == type) return n.name.data();
  }
  return nullptr;
}

Encoded EncodeExtraType(uint16_t type, const std::vector<TextToken>& f, const std::string& origin,
                        std::string* out, std::string* reason) {
  switch (type) {
    case 64:
    case 65:
      return Svcb(f, origin, out, reason);
    case 42:
      return Apl(f, out, reason);
    case 260:
      return Amtrelay(f, origin, out, reason);
    case 56:   // NINFO
    case 258:  // AVC
      return CharStrings(f, out, reason);
    case 67:    // HHIT (RFC 9886): base64, blanks allowed, as BIND 9.18.49 reads it
    case 68: {  // BRID (RFC 9886): the same
      std::string text;
      for (const TextToken& t : f) {
        if (t.quoted) {
          *reason = "needs base64 data";
          return Encoded::kError;
        }
        text.append(t.text);
      }
      if (text.empty() || !Base64(text, out)) {
        *reason = "needs base64 data";
        return Encoded::kError;
      }
      return Encoded::kOk;
    }
    case 101:    // UID
    case 102: {  // GID
      uint64_t v = 0;
      if (f.size() != 1 || fields::ParseDecimal(f[0].text, fields::kMaxU32, &v) != Num::kOk) {
        *reason = "needs one number 0-4294967295";
        return Encoded::kError;
      }
      Append32(v, out);
      return Encoded::kOk;
    }
    case 259: {  // DOA: enterprise type location "media-type" data|-
      uint64_t ent = 0, typ = 0, loc = 0;
      if (f.size() != 5 || fields::ParseDecimal(f[0].text, fields::kMaxU32, &ent) != Num::kOk ||
          fields::ParseDecimal(f[1].text, fields::kMaxU32, &typ) != Num::kOk ||
          fields::ParseDecimal(f[2].text, 255, &loc) != Num::kOk) {
        *reason = "DOA needs enterprise, type, location, media type and data";
        return Encoded::kError;
      }
      Append32(ent, out);
      Append32(typ, out);
      out->push_back(static_cast<char>(loc));
      if (!fields::AppendCharString(f[3].text, out) ||
          (f[4].text != "-" && (f[4].quoted || !Base64(f[4].text, out)))) {
        *reason = "bad DOA media type or data (base64, or - for none)";
        return Encoded::kError;
      }
      return Encoded::kOk;
    }
    case 23:  // NSAP-PTR (RFC 1706 §6): one domain name (ldns reads it as a string)
      if (f.size() != 1 || f[0].quoted || !fields::AppendName(f[0].text, origin, out)) {
        *reason = "NSAP-PTR needs one domain name";
        return Encoded::kError;
      }
      return Encoded::kOk;
    case 38: {  // A6 (RFC 2874 §3.1.1): prefix length, address suffix, prefix name
      uint64_t plen = 0;
      if (f.empty() || fields::ParseDecimal(f[0].text, 128, &plen) != Num::kOk ||
          f.size() != (plen == 0     ? 2u
                       : plen == 128 ? 2u
                                     : 3u)) {
        *reason = "A6 needs a prefix length (0-128), an address and a prefix name";
        return Encoded::kError;
      }
      out->push_back(static_cast<char>(plen));
      size_t k = 1;
      if (plen < 128) {
        std::string addr;
        if (!Address(AF_INET6, f[k++].text, &addr)) {
          *reason = "bad A6 address";
          return Encoded::kError;
        }
        size_t keep = 16 - plen / 8;
        // The prefix's bits in the first kept octet are zero on the wire.
        addr[16 - keep] =
            static_cast<char>(static_cast<uint8_t>(addr[16 - keep]) & (0xff >> (plen % 8)));
        out->append(addr, 16 - keep, keep);
      }
      if (plen > 0 && (f[k].quoted || !fields::AppendName(f[k].text, origin, out))) {
        *reason = "bad A6 prefix name";
        return Encoded::kError;
      }
      return Encoded::kOk;
    }
    case 34: {  // ATMA: "+" and E.164 digits, or an AESA in hex (dots allowed)
      if (f.size() != 1 || f[0].quoted || f[0].text.empty()) {
        *reason = "ATMA needs one address";
        return Encoded::kError;
      }
      std::string_view t = f[0].text;
      if (t[0] == '+') {
        out->push_back(1);
        for (char c : t.substr(1)) {
          if (c < '0' || c > '9') {
            *reason = "bad ATMA E.164 address";
            return Encoded::kError;
          }
          out->push_back(c);
        }
        return t.size() > 1 ? Encoded::kOk : Encoded::kError;
      }
      out->push_back(0);
      int hi = -1;
      for (char c : t) {
        if (c == '.') continue;
        int v = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (v < 0) {
          *reason = "bad ATMA address";
          return Encoded::kError;
        }
        if (hi < 0) {
          hi = v;
        } else {
          out->push_back(static_cast<char>(hi << 4 | v));
          hi = -1;
        }
      }
      if (hi >= 0) {
        *reason = "ATMA address has an odd number of hex digits";
        return Encoded::kError;
      }
      return Encoded::kOk;
    }
    default:
      return Encoded::kNotMine;
  }
}

bool Base32HexUnpadded(std::string_view text, std::string* out) noexcept {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'A' && c <= 'V') {
      v = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'v') {
      v = c - 'a' + 10;
    } else {
      return false;
    }
    acc = (acc << 5 | static_cast<uint32_t>(v)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (out) out->push_back(static_cast<char>(acc >> bits));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace enumd::zone::types
