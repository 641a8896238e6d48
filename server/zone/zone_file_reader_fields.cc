// Field-level master-file syntax (see zone_file_reader_fields.h) and the
// record-level RDATA checks of CheckRecordData() (zone_file_reader.h).
#include "zone/zone_file_reader_fields.h"

#include <cstring>

#include "zone/zone_file_reader.h"

namespace enumd::zone {
namespace fields {

Num ParseDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty()) return Num::kSyntax;
  uint64_t v = 0;
  bool range = false;
  for (char c : s) {
    if (!IsDigit(c)) return Num::kSyntax;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) {
      range = true;
      v = max + 1;  // saturate; keep scanning for syntax errors
    }
  }
  if (range) return Num::kRange;
  *out = v;
  return Num::kOk;
}

Num ParseTtlText(std::string_view s, uint64_t max, uint64_t* out) {
  bool all_digits = !s.empty();
  for (char c : s) all_digits = all_digits && IsDigit(c);
  if (all_digits) return ParseDecimal(s, max, out);
  uint64_t total = 0;
  size_t i = 0;
  if (s.empty()) return Num::kSyntax;
  while (i < s.size()) {
    size_t start = i;
    uint64_t n = 0;
    while (i < s.size() && IsDigit(s[i])) {
      n = n * 10 + static_cast<uint64_t>(s[i] - '0');
      if (n > kMaxU32) n = kMaxU32 + 1;  // saturate
      ++i;
    }
    if (i == start || i == s.size()) return Num::kSyntax;
    uint64_t mult;
    switch (Upper(s[i])) {
      case 'W':
        mult = 7 * 86400;
        break;
      case 'D':
        mult = 86400;
        break;
      case 'H':
        mult = 3600;
        break;
      case 'M':
        mult = 60;
        break;
      case 'S':
        mult = 1;
        break;
      default:
        return Num::kSyntax;
    }
    ++i;
    total += n * mult;  // n <= 2^32, mult < 2^20: no overflow; saturate below
    if (total > kMaxU32 + 1) total = kMaxU32 + 1;
  }
  if (total > max) return Num::kRange;
  *out = total;
  return Num::kOk;
}

bool IsAbsoluteText(std::string_view s) {
  if (s.empty() || s.back() != '.') return false;
  size_t backslashes = 0;
  for (size_t i = s.size() - 1; i > 0 && s[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 0;
}

const char* ParseName(std::string_view text, std::string_view origin, uint8_t* out,
                      size_t* out_len) {
  if (text.empty()) return "empty name";
  if (text.size() == 1 && text[0] == '@') {
    if (origin.empty()) return kNoOrigin;
    memcpy(out, origin.data(), origin.size());
    *out_len = origin.size();
    return nullptr;
  }
  if (text.size() == 1 && text[0] == '.') {
    out[0] = 0;
    *out_len = 1;
    return nullptr;
  }
  const char* s = text.data();
  const size_t n = text.size();
  size_t pos = 0;  // length byte of the current label
  size_t w = 1;    // next byte to write
  size_t label = 0;
  bool absolute = false;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return "empty label in name";
      out[pos] = static_cast<uint8_t>(label);
      pos = w++;
      label = 0;
      ++i;
      if (i == n) absolute = true;
      continue;
    }
    uint8_t b;
    if (c == '\\') {
      size_t len = EscapeLength(s, i, n);
      if (len == 0) return "malformed escape in name";
      b = EscapeValue(s, i);
      i += len;
    } else {
      b = static_cast<uint8_t>(c);
      ++i;
    }
    if (label == dns::kMaxLabel) return "label longer than 63 octets";
    if (w >= dns::kMaxNameWire) return "name longer than 255 octets";
    out[w++] = b;
    ++label;
  }
  if (absolute) {
    out[pos] = 0;
    *out_len = pos + 1;
    return nullptr;
  }
  if (origin.empty()) return kNoOrigin;
  out[pos] = static_cast<uint8_t>(label);
  if (w + origin.size() > dns::kMaxNameWire) return "name longer than 255 octets";
  memcpy(out + w, origin.data(), origin.size());
  *out_len = w + origin.size();
  return nullptr;
}

bool AppendCharString(std::string_view raw, std::string* out) {
  size_t len_at = out->size();
  out->push_back('\0');
  const char* s = raw.data();
  const size_t n = raw.size();
  size_t i = 0, run = 0;
  while (i < n) {
    const void* bs = memchr(s + i, '\\', n - i);
    size_t end = bs == nullptr ? n : static_cast<size_t>(static_cast<const char*>(bs) - s);
    out->append(s + i, end - i);
    run += end - i;
    i = end;
    if (i < n) {
      size_t len = EscapeLength(s, i, n);
      if (len == 0) return false;
      out->push_back(static_cast<char>(EscapeValue(s, i)));
      ++run;
      i += len;
    }
  }
  if (run > 255) return false;
  (*out)[len_at] = static_cast<char>(run);
  return true;
}

bool AppendName(std::string_view text, const std::string& origin, std::string* out) {
  uint8_t wire[dns::kMaxNameWire];
  size_t len = 0;
  if (ParseName(text, origin, wire, &len) != nullptr) return false;
  out->append(reinterpret_cast<const char*>(wire), len);
  return true;
}

size_t WireNameLength(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t len = p[i];
    if (len == 0) return i + 1 <= dns::kMaxNameWire ? i + 1 : 0;
    if (len > dns::kMaxLabel) return 0;  // also rejects compression pointers
    i += 1 + len;
    if (i >= dns::kMaxNameWire) return 0;
  }
  return 0;
}

}  // namespace fields

namespace {

using fields::IsDigit;
using fields::WireNameLength;

bool IsAlnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Checks the structure of a NAPTR regexp field (RFC 3402 §3.2):
//   delim-char ere delim-char repl delim-char *flags
// where delim-char is neither a digit, the flag "i", a backslash nor NUL; a
// backslash escapes the next character; in repl a backslash may only precede a
// digit 1-9 (back-reference), the delimiter or a backslash; flags is "i". The
// ERE is checked only for balanced parentheses and brackets, and each
// back-reference must name one of its groups (as BIND does).
std::string CheckNaptrRegexp(const uint8_t* p, size_t n) {
  uint8_t delim = p[0];
  if (IsDigit(static_cast<char>(delim)) || delim == '\\' || delim == 'i' || delim == 0) {
    return "malformed NAPTR regexp: the delimiter may not be a digit, 'i', a backslash or NUL "
           "(RFC 3402 §3.2)";
  }
  // The ERE.
  size_t i = 1;
  int groups = 0, open = 0;
  for (;; ++i) {
    if (i >= n) return "malformed NAPTR regexp: needs three delimiters (RFC 3402 §3.2)";
    uint8_t c = p[i];
    if (c == delim) break;
    if (c == 0) return "malformed NAPTR regexp: contains a NUL octet";
    if (c == '\\') {
      if (++i >= n) return "malformed NAPTR regexp: ends in a backslash";
      continue;
    }
    if (c == '(') {
      ++open;
      ++groups;
    } else if (c == ')') {
      if (open == 0) return "malformed NAPTR regexp: unbalanced ')' in the ERE";
      --open;
    } else if (c == '[') {  // bracket expression: ']' first is literal; [:class:] etc.
      size_t j = i + 1;
      if (j < n && p[j] == '^') ++j;
      if (j < n && p[j] == ']') ++j;
      for (; j < n && p[j] != ']'; ++j) {
        if (p[j] == '[' && j + 1 < n && (p[j + 1] == ':' || p[j + 1] == '.' || p[j + 1] == '=')) {
          uint8_t kind = p[j + 1];
          size_t k = j + 2;
          while (k + 1 < n && !(p[k] == kind && p[k + 1] == ']')) ++k;
          if (k + 1 >= n) return "malformed NAPTR regexp: unterminated bracket expression";
          j = k + 1;
        }
      }
      if (j >= n) return "malformed NAPTR regexp: unterminated bracket expression";
      i = j;
    }
  }
  if (i == 1) return "malformed NAPTR regexp: empty ERE";
  if (open != 0) return "malformed NAPTR regexp: unbalanced '(' in the ERE";
  // The replacement.
  int max_backref = 0;
  for (++i;; ++i) {
    if (i >= n) return "malformed NAPTR regexp: needs three delimiters (RFC 3402 §3.2)";
    uint8_t c = p[i];
    if (c == delim) break;
    if (c == 0) return "malformed NAPTR regexp: contains a NUL octet";
    if (c != '\\') continue;
    if (++i >= n) return "malformed NAPTR regexp: ends in a backslash";
    c = p[i];
    if (c >= '1' && c <= '9') {
      if (c - '0' > max_backref) max_backref = c - '0';
    } else if (c != delim && c != '\\') {
      return "malformed NAPTR regexp: in the replacement a backslash must precede a digit 1-9, "
             "the delimiter or a backslash (RFC 3402 §3.2)";
    }
  }
  // The flags.
  if (memchr(p + i + 1, delim, n - i - 1) != nullptr) {
    return "malformed NAPTR regexp: more than three delimiters";
  }
  for (++i; i < n; ++i) {
    if (p[i] != 'i') return "malformed NAPTR regexp: the only flag is 'i' (RFC 3402 §3.2)";
  }
  if (max_backref > groups) {
    return "malformed NAPTR regexp: back-reference \\" + std::to_string(max_backref) +
           " but the ERE has " + std::to_string(groups) + " group(s)";
  }
  return {};
}

std::string CheckNaptr(const uint8_t* p, size_t n) {
  constexpr const char* kMalformed = "malformed NAPTR rdata";
  if (n < 4) return kMalformed;
  size_t i = 4;
  size_t str_at[3], str_len[3];
  for (int k = 0; k < 3; ++k) {
    if (i >= n) return kMalformed;
    str_len[k] = p[i];
    str_at[k] = i + 1;
    i += 1 + str_len[k];
    if (i > n) return kMalformed;
  }
  size_t repl_len = WireNameLength(p + i, n - i);
  if (repl_len == 0 || i + repl_len != n) return kMalformed;
  for (size_t k = 0; k < str_len[0]; ++k) {
    if (!IsAlnum(p[str_at[0] + k])) {
      return "NAPTR flags must be letters and digits only (RFC 3403 §4.1)";
    }
  }
  if (str_len[2] == 0) return {};
  if (repl_len != 1) return "NAPTR has both regexp and replacement (RFC 3403 §4.1)";
  return CheckNaptrRegexp(p + str_at[2], str_len[2]);
}

}  // namespace

std::string CheckRecordData(uint16_t type, const uint8_t* rdata, size_t rdlen) {
  using namespace dns::type;
  switch (type) {
    case kA:
      return rdlen == 4 ? std::string() : "A rdata must be 4 octets";
    case kAAAA:
      return rdlen == 16 ? std::string() : "AAAA rdata must be 16 octets";
    case kNS:
    case kCNAME:
    case kPTR:
      return rdlen > 0 && WireNameLength(rdata, rdlen) == rdlen ? std::string()
                                                                : "malformed domain name in rdata";
    case kMX:
      return rdlen > 2 && WireNameLength(rdata + 2, rdlen - 2) == rdlen - 2 ? std::string()
                                                                            : "malformed MX rdata";
    case kSRV:
      return rdlen > 6 && WireNameLength(rdata + 6, rdlen - 6) == rdlen - 6 ? std::string()
                                                                            : "malformed SRV rdata";
    case kSOA: {
      size_t a = WireNameLength(rdata, rdlen);
      size_t b = a == 0 ? 0 : WireNameLength(rdata + a, rdlen - a);
      return b != 0 && a + b + 20 == rdlen ? std::string() : "malformed SOA rdata";
    }
    case kTXT: {
      if (rdlen == 0) return "malformed TXT rdata";
      size_t i = 0;
      while (i < rdlen) i += 1 + rdata[i];
      return i == rdlen ? std::string() : "malformed TXT rdata";
    }
    case kNAPTR:
      return CheckNaptr(rdata, rdlen);
    default:
      return {};
  }
}

}  // namespace enumd::zone
