// E.164 numbers <-> ENUM domain names (RFC 6116 §2.4): "+61 3 5550 0911" is
// 1.1.9.0.0.5.5.5.3.1.6.e164.arpa. Used by tools and admin paths (may allocate).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace enumd::zone {

// Digits in a complete E.164 number, country code included. ITU-T E.164 caps
// it at 15; it sets no minimum, but no number in service is shorter than 7
// (a 3-digit country code and a 4-digit subscriber number, e.g. Niue +683).
inline constexpr size_t kMaxE164Digits = 15;
inline constexpr size_t kMinE164Digits = 7;

// Parses a number as people write it: a leading "+", digits, and the
// separators space, '-', '.', '(' and ')' ("(+61) 355500911",
// "+61-3-5550-0911"). Separators may come before the '+'. Returns the digits
// only. Errors (each quoting the input): empty, no digits, letters or other
// characters, no leading '+' (the country code is mandatory in E.164), a '+'
// anywhere but first, a leading 0 (no country code starts with 0), "(0)" (a
// national trunk prefix, which would silently change the number), more than
// kMaxE164Digits digits, fewer than kMinE164Digits unless `prefix`.
// With `prefix` true, a shorter digit string is accepted as a number prefix
// ("+6135550" for listing); it still needs the '+' and at least one digit.
Result<std::string> ParseE164(std::string_view text, bool prefix = false);

// "61355500911" + "e164.arpa." -> "1.1.9.0.0.5.5.5.3.1.6.e164.arpa." (text).
// `suffix` must be absolute (ends with '.'); a missing dot is added, and an
// empty suffix means the root. Precondition: `digits` holds only '0'..'9'
// (e.g. the output of ParseE164); it is not checked.
std::string DigitsToDomain(std::string_view digits, std::string_view suffix);

// The inverse: "1.1.9...e164.arpa." with suffix "e164.arpa." -> "61355500911".
// Both may omit the trailing dot; the suffix matches case-insensitively and
// only at a label boundary. Fails (quoting the name) when the name is not
// strictly below the suffix or a label is not exactly one digit ('*', "12",
// empty). Numbering rules (length, leading 0) are not checked here.
Result<std::string> DomainToDigits(std::string_view domain, std::string_view suffix);

}  // namespace enumd::zone
