// E.164 numbers <-> ENUM domain names (RFC 6116 §2.4): "+61 3 5550 0911" is
// 1.1.9.0.0.5.5.5.3.1.6.e164.arpa. Used by tools and admin paths (may allocate).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace enumd::zone {

// Parses a number as people write it: an optional leading "+" (required unless
// `allow_prefix`... see below), digits, and the separators space, '-', '.',
// '(' and ')' ("(+61) 355500911", "+61-3-5550-0911"). Returns the digits only.
// Errors: empty, letters or other characters, no leading '+' (the country code
// is mandatory in E.164), more than 15 digits, a '+' anywhere but the start.
// With `prefix` true, a shorter digit string is accepted as a number prefix
// (still needs the '+', at least one digit).
Result<std::string> ParseE164(std::string_view text, bool prefix = false);

// "61355500911" + "e164.arpa." -> "1.1.9.0.0.5.5.5.3.1.6.e164.arpa." (text).
// `suffix` must be absolute (ends with '.'); a missing dot is added.
std::string DigitsToDomain(std::string_view digits, std::string_view suffix);

// The inverse: "1.1.9...e164.arpa." with suffix "e164.arpa." -> "61355500911".
// Fails when the name is not under the suffix or a label is not one digit.
Result<std::string> DomainToDigits(std::string_view domain, std::string_view suffix);

}  // namespace enumd::zone
