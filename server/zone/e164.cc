// E.164 numbers <-> ENUM domain names (RFC 6116 §2.4). The number side is
// what people type (separators, a '+'); the domain side is one digit per
// label, least significant first, under a suffix such as e164.arpa.
// Admin/tool paths only: allocates, never throws.
#include "zone/e164.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "dns/name.h"

namespace enumd::zone {
namespace {

using dns::IsDigit;

// Visual separators people put in numbers (RFC 6116 §2.4 step 1 removes
// everything but the digits; we remove only these and reject the rest, so a
// typo never turns into a different number).
bool IsSeparator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// "'A'" for printable ASCII, "byte 0xC2" otherwise (UTF-8 dashes, tabs, NUL).
std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "byte 0x%02X", u);
  return buf;
}

Status BadNumber(std::string_view text, const std::string& why) {
  return Status::Error("E.164 number '" + std::string(text) + "': " + why);
}

Status BadDomain(std::string_view domain, const std::string& why) {
  return Status::Error("ENUM domain '" + std::string(domain) + "': " + why);
}

std::string Absolute(std::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

}  // namespace

Result<std::string> ParseE164(std::string_view text, bool prefix) {
  if (text.empty()) return BadNumber(text, "is empty");
  std::string digits;
  digits.reserve(kMaxE164Digits);
  size_t digit_count = 0;  // keeps counting past the cap for the message
  bool plus = false;
  auto at = [](size_t i) { return " at position " + std::to_string(i + 1); };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      if (!plus) {
        return BadNumber(text,
                         "must start with '+' and the country code (E.164 numbers are "
                         "international)");
      }
      if (digit_count == 0 && c == '0') {
        return BadNumber(text,
                         "starts with 0 after '+'; no E.164 country code starts with 0 "
                         "(leave out national or international dialling prefixes)");
      }
      if (++digit_count <= kMaxE164Digits) digits.push_back(c);
    } else if (c == '+') {
      if (plus || digit_count > 0) {
        return BadNumber(text, "has '+'" + at(i) + "; '+' may only come first");
      }
      plus = true;
    } else if (c == '(' && digit_count > 0 && text.substr(i, 3) == "(0)") {
      // "+44 (0)20 ..." marks a national trunk prefix; dropping the brackets
      // would silently dial a different number.
      return BadNumber(text, "has '(0)'" + at(i) +
                                 ", a national trunk prefix that is not part of the E.164 "
                                 "number; leave it out");
    } else if (!IsSeparator(c)) {
      return BadNumber(text, "has " + DescribeChar(c) + at(i) +
                                 "; only digits, a leading '+' and the separators "
                                 "space - . ( ) are allowed");
    }
  }
  if (digit_count == 0) {
    return BadNumber(text, plus ? "has no digits after '+'" : "has no digits");
  }
  if (digit_count > kMaxE164Digits) {
    return BadNumber(text, "has " + std::to_string(digit_count) + " digits; E.164 allows at most " +
                               std::to_string(kMaxE164Digits));
  }
  if (!prefix && digit_count < kMinE164Digits) {
    return BadNumber(text, "has only " + std::to_string(digit_count) +
                               " digits; a complete E.164 number has at least " +
                               std::to_string(kMinE164Digits));
  }
  return digits;
}

std::string DigitsToDomain(std::string_view digits, std::string_view suffix) {
  std::string out;
  out.reserve(digits.size() * 2 + suffix.size() + 1);
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    out += *it;
    out += '.';
  }
  if (suffix.empty() || suffix == ".") return out.empty() ? std::string(".") : out;
  out += suffix;
  if (out.back() != '.') out += '.';
  return out;
}

Result<std::string> DomainToDigits(std::string_view domain, std::string_view suffix) {
  if (domain.empty()) return BadDomain(domain, "is empty");
  const std::string name = Absolute(domain);
  const std::string under = Absolute(suffix);

  // `labels` is the part of the name in front of the suffix, without the dot
  // that separates them.
  std::string_view labels;
  if (under == ".") {
    labels = std::string_view(name).substr(0, name.size() - 1);
  } else {
    const size_t n = name.size() >= under.size() ? name.size() - under.size() : 0;
    const bool below = name.size() > under.size() && name[n - 1] == '.' &&
                       EqualsIgnoreCase(std::string_view(name).substr(n), under);
    if (!below) {
      if (EqualsIgnoreCase(name, under)) {
        return BadDomain(domain, "is the suffix itself and holds no digits");
      }
      return BadDomain(domain, "is not below '" + under + "'");
    }
    labels = std::string_view(name).substr(0, n - 1);
  }
  if (labels.empty()) return BadDomain(domain, "holds no digits");

  std::string digits;
  digits.reserve((labels.size() + 1) / 2);
  size_t start = 0;
  while (true) {
    const size_t dot = labels.find('.', start);
    const std::string_view label =
        labels.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return BadDomain(domain, "has an empty label");
    if (label.size() != 1 || !IsDigit(label[0])) {
      return BadDomain(domain, "label '" + std::string(label) + "' is not a single digit");
    }
    digits += label[0];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace enumd::zone
