#include "zone/e164.h"

#include <doctest/doctest.h>

#include <string>

namespace enumd::zone {
namespace {

struct NumberCase {
  const char* text;
  bool prefix;
  const char* digits;
};

struct BadNumberCase {
  const char* text;
  bool prefix;
  const char* reason;  // must appear in the message
};

struct DomainCase {
  const char* domain;
  const char* suffix;
  const char* digits;
};

struct BadDomainCase {
  const char* domain;
  const char* suffix;
  const char* reason;
};

}  // namespace

TEST_CASE("ParseE164: the ways people write a number give the same digits") {
  const NumberCase cases[] = {
      {"+61 3 5550 0911", false, "61355500911"},
      {"+61-3-5550-0911", false, "61355500911"},
      {"(+61) 355500911", false, "61355500911"},
      {"+61.3.5550.0911", false, "61355500911"},
      {"+61355500911", false, "61355500911"},
      {"+ 61 (3) 5550-0911", false, "61355500911"},
      {" +61355500911 ", false, "61355500911"},
      {"+6835001", false, "6835001"},                  // 7 digits: the shortest complete number
      {"+123456789012345", false, "123456789012345"},  // 15 digits: the longest
      {"+6125550", true, "6125550"},
      {"+6135550", true, "6135550"},
      {"+6", true, "6"},
      {"+ 6 1", true, "61"},
      {"+123456789012345", true, "123456789012345"},
  };
  for (const NumberCase& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    Result<std::string> r = ParseE164(c.text, c.prefix);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(*r == c.digits);
  }
}

TEST_CASE("ParseE164: rejects what is not an E.164 number, quoting the input") {
  const BadNumberCase cases[] = {
      {"", false, "is empty"},
      {"", true, "is empty"},
      {"   ", false, "has no digits"},
      {"-.()", false, "has no digits"},
      {"+", false, "no digits after '+'"},
      {"+ - ", true, "no digits after '+'"},
      {"61355500911", false, "must start with '+'"},
      {"61355500911", true, "must start with '+'"},
      {"0061355500911", false, "must start with '+'"},
      {"+61 3 ABCD 0911", false, "has 'A' at position 7"},
      {"+61 3 5550 0911x", false, "has 'x' at position 16"},
      {"tel:+61355500911", false, "has 't' at position 1"},
      {"+61\t355500911", false, "has byte 0x09 at position 4"},
      {"+61\xe2\x80\x93"
       "355500911",
       false, "has byte 0xE2 at position 4"},  // an en dash
      {"+61+355500911", false, "has '+' at position 4"},
      {"++61355500911", false, "has '+' at position 2"},
      {"+61355500911+", false, "has '+' at position 13"},
      {"+0355500911", false, "starts with 0 after '+'"},
      {"+0", true, "starts with 0 after '+'"},
      {"+(0)61355500911", false, "starts with 0 after '+'"},
      {"+44 (0)20 7946 0000", false, "'(0)' at position 5"},
      {"+1234567890123456", false, "has 16 digits; E.164 allows at most 15"},
      {"+1234567890123456", true, "has 16 digits"},
      {"+6125550299999999999999", false, "has 22 digits"},
      {"+612555", false, "has only 6 digits; a complete E.164 number has at least 7"},
      {"+61", false, "has only 2 digits"},
  };
  for (const BadNumberCase& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    Result<std::string> r = ParseE164(c.text, c.prefix);
    REQUIRE_FALSE(r.ok());
    const std::string& msg = r.status().message();
    CHECK_MESSAGE(msg.find(c.reason) != std::string::npos, msg);
    CHECK_MESSAGE(msg.rfind("E.164 number '" + std::string(c.text) + "': ", 0) == 0, msg);
  }
}

TEST_CASE("DigitsToDomain: one digit per label, reversed, under the suffix") {
  CHECK(DigitsToDomain("61355500911", "e164.arpa.") == "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.");
  CHECK(DigitsToDomain("61355500911", "e164.arpa") == "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.");
  CHECK(DigitsToDomain("6125550", "e164.example.net") == "0.5.5.5.2.1.6.e164.example.net.");
  CHECK(DigitsToDomain("6125550", "E164.Example.NET.") == "0.5.5.5.2.1.6.E164.Example.NET.");
  CHECK(DigitsToDomain("6", "e164.arpa.") == "6.e164.arpa.");
  CHECK(DigitsToDomain("", "e164.arpa") == "e164.arpa.");
  CHECK(DigitsToDomain("12", ".") == "2.1.");
  CHECK(DigitsToDomain("12", "") == "2.1.");
  CHECK(DigitsToDomain("", "") == ".");
}

TEST_CASE("DomainToDigits: inverts DigitsToDomain") {
  const DomainCase cases[] = {
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "e164.arpa.", "61355500911"},
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa", "e164.arpa.", "61355500911"},
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", "e164.arpa", "61355500911"},
      {"1.1.9.0.0.5.5.5.3.1.6.E164.ARPA.", "e164.arpa.", "61355500911"},
      {"0.5.5.5.2.1.6.e164.example.net.", "E164.Example.Net", "6125550"},
      {"6.e164.arpa.", "e164.arpa.", "6"},
      {"2.1.", ".", "12"},
      {"2.1", "", "12"},
  };
  for (const DomainCase& c : cases) {
    const std::string domain = c.domain;
    CAPTURE(domain);
    Result<std::string> r = DomainToDigits(c.domain, c.suffix);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(*r == c.digits);
  }
  for (const char* number : {"+61 3 5550 0911", "+6835001", "+123456789012345"}) {
    const std::string shown = number;
    CAPTURE(shown);
    Result<std::string> digits = ParseE164(number);
    REQUIRE(digits.ok());
    for (const char* suffix : {"e164.arpa.", "e164.example.net", "."}) {
      Result<std::string> back = DomainToDigits(DigitsToDomain(*digits, suffix), suffix);
      REQUIRE(back.ok());
      CHECK(*back == *digits);
    }
  }
}

TEST_CASE("DomainToDigits: rejects names that are not one digit per label under the suffix") {
  const BadDomainCase cases[] = {
      {"", "e164.arpa.", "is empty"},
      {"1.1.9.e164.example.net.", "e164.arpa.", "is not below 'e164.arpa.'"},
      {"1.1.9.xe164.arpa.", "e164.arpa.", "is not below 'e164.arpa.'"},
      {"arpa.", "e164.arpa.", "is not below"},
      {"e164.arpa.", "e164.arpa.", "is the suffix itself"},
      {"E164.ARPA", "e164.arpa.", "is the suffix itself"},
      {".", ".", "holds no digits"},
      {"1.a.9.e164.arpa.", "e164.arpa.", "label 'a' is not a single digit"},
      {"11.9.e164.arpa.", "e164.arpa.", "label '11' is not a single digit"},
      {"*.1.6.e164.arpa.", "e164.arpa.", "label '*' is not a single digit"},
      {"1..9.e164.arpa.", "e164.arpa.", "has an empty label"},
      {".1.9.e164.arpa.", "e164.arpa.", "has an empty label"},
  };
  for (const BadDomainCase& c : cases) {
    const std::string domain = c.domain;
    CAPTURE(domain);
    Result<std::string> r = DomainToDigits(c.domain, c.suffix);
    REQUIRE_FALSE(r.ok());
    const std::string& msg = r.status().message();
    CHECK_MESSAGE(msg.find(c.reason) != std::string::npos, msg);
    CHECK_MESSAGE(msg.rfind("ENUM domain '" + std::string(c.domain) + "': ", 0) == 0, msg);
  }
}

}  // namespace enumd::zone
