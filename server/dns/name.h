// Domain names in uncompressed wire form (RFC 1035 §3.1): a sequence of
// length-prefixed labels ending with the root label 0. Functions here never
// allocate and never throw; buffers are caller-owned, at most kMaxNameWire bytes.
// Comparisons are ASCII case-insensitive (RFC 4343).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/constants.h"

namespace enumd::dns {

// Reads a possibly compressed name from `msg` (length `msg_len`) starting at
// *offset, writes the uncompressed wire form to `out` (>= kMaxNameWire bytes)
// and its length to *out_len, and advances *offset past the name as it sits in
// the message (past the first pointer if any). Rejects: running off the end,
// label type bits 01/10, labels > 63, total > 255, pointers that do not point
// strictly backwards (this also excludes loops). Returns false on any of these.
// "Strictly backwards" means: before the first byte of the run of labels the
// pointer ends (the name's start, or the previous pointer's target). That is
// stricter than "before the pointer itself" and is what makes loops impossible
// (a target inside the run would come back to the same pointer); no correct
// encoder produces such a pointer. Chains are also capped at 128 pointers.
// *offset and *out_len are only written on success.
bool ReadName(const uint8_t* msg, size_t msg_len, size_t* offset, uint8_t* out,
              size_t* out_len) noexcept;

// Length of a valid uncompressed wire name (including the root byte), or 0 if
// the bytes in [p, p+max) are not one.
size_t WireNameLength(const uint8_t* p, size_t max) noexcept;

// Number of labels, not counting the root ("a.b." -> 2, "." -> 0).
int LabelCount(const uint8_t* name) noexcept;

// Case-insensitive equality of two wire names.
bool NameEqual(const uint8_t* a, const uint8_t* b) noexcept;

// True if `name` equals `zone` or lies below it (case-insensitive).
bool IsSubdomain(const uint8_t* name, const uint8_t* zone) noexcept;

// Pointer to the suffix of `name` that drops the first `n` labels
// (n <= LabelCount(name)).
const uint8_t* SkipLabels(const uint8_t* name, int n) noexcept;

// ASCII lower-case of one byte (RFC 4343: only A-Z fold).
inline uint8_t LowerAscii(uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

// An ASCII decimal digit (the locale plays no part, unlike isdigit()).
inline bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// Case-insensitive comparison of two labels, length byte included (RFC 4343).
inline bool LabelEqual(const uint8_t* a, const uint8_t* b) noexcept {
  if (a[0] != b[0]) return false;
  for (size_t i = 1; i <= a[0]; ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// Lower-cases ASCII letters of a wire name in place.
void LowerName(uint8_t* name) noexcept;

// Presentation form with a trailing dot; special characters escaped as
// RFC 1035 §5.1 (\. \\ \" and \DDD for non-printables). Admin/test use only.
// Case is kept. As BIND's dns_name_totext: . \ " ( ) ; @ $ become "\c"; bytes
// <= 0x20 (space included) and >= 0x7F become \DDD. The root is ".".
std::string NameToText(const uint8_t* name);

// Parses an absolute or relative presentation name ("a.b.", "a.b", "@" is not
// handled here). A relative name is completed with `origin` (wire form, may be
// null meaning the root). Handles \X and \DDD escapes. Returns the wire length
// written to `out` (>= kMaxNameWire bytes), or 0 if the text is not a valid name.
// Details: "." alone is the root; an empty text, an empty label (".." or a
// leading dot), a label > 63 or a name > 255 bytes (origin included) is
// invalid; \DDD needs exactly three digits and DDD <= 255; \X is X for any
// other X; every other byte ('*', '@', '_', non-ASCII) is a label byte as is.
// `origin` is ignored for absolute names and must be a valid wire name.
// Does not allocate.
size_t NameFromText(std::string_view text, const uint8_t* origin, uint8_t* out);

// Convenience for tests and start-up: wire name as std::string (empty if invalid).
std::string WireName(std::string_view text);

}  // namespace enumd::dns
