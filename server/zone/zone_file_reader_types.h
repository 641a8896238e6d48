// RDATA text -> wire for the record types that BIND 9.18 reads and ldns 1.8.3
// does not (or reads wrongly): SVCB and HTTPS (RFC 9460), APL with no items
// (RFC 3123), AMTRELAY (RFC 8777), DOA, NINFO, AVC, UID, GID, HHIT and BRID
// (RFC 9886: base64, as BIND 9.18.49 reads them). Private to
// zone_file_reader*.cc; appends to a caller-owned string, no exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace enumd::zone::types {

struct TextToken {
  std::string_view text;  // quotes removed, escapes as written
  bool quoted = false;
};

// Mnemonics the reader knows beyond ldns's table; 0 when `name` is none.
uint16_t ExtraTypeByName(std::string_view name);
// The mnemonic of an extra type, or nullptr.
const char* ExtraTypeName(uint16_t type);

enum class Encoded { kNotMine, kOk, kError };

// Encodes the RDATA `fields` of a record of `type` (origin: wire, for
// relative names). kNotMine: the type is not one of this file's; kError:
// *reason says why the text is invalid.
Encoded EncodeExtraType(uint16_t type, const std::vector<TextToken>& fields,
                        const std::string& origin, std::string* out, std::string* reason);

// RFC 4648 §7 base32hex without padding, either case (RFC 5155 §3.3: an
// NSEC3 hash, in its next-owner field and its owner's first label), as BIND
// reads it: bits left over in the last character must be zero. Appends the
// octets to `out` unless it is null; no allocation then.
bool Base32HexUnpadded(std::string_view text, std::string* out) noexcept;

}  // namespace enumd::zone::types
