// Base64 (RFC 4648 §4, the standard alphabet with '=' padding): how TSIG
// secrets are written in BIND key files and how enumd prints them. Not on the
// query path; both functions allocate their result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace enumd {

// Decodes `text`. Whitespace (space, tab, CR, LF) anywhere is skipped, as
// BIND does for a key's secret. Everything else must be a complete encoding:
// only alphabet characters, a length (whitespace aside) that is a multiple of
// 4, and '=' only as one or two final padding characters. Bits left over in
// the last character before the padding are ignored (RFC 4648 §3.5 lets a
// decoder refuse them; BIND accepts them). Returns nullopt otherwise. The
// empty text decodes to the empty string.
std::optional<std::string> Base64Decode(std::string_view text);

// Encodes `data` with padding and no line breaks.
std::string Base64Encode(std::string_view data);

}  // namespace enumd
