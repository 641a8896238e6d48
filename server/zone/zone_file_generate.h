// BIND's $GENERATE directive, the usual way to write blocks of numbers:
//
//   $GENERATE start-stop[/step] lhs [ttl] [class] type rhs
//
// makes one record per value from start to stop. In lhs and rhs, "$" is the
// value, "${offset[,width[,base]]}" the value plus offset, zero-padded to
// width, in base d (decimal, the default), o, x, X, n or N (nibbles, lower or
// upper case, least significant first, separated by dots, as reverse-DNS
// names are written); "$$" is a literal "$" and a backslash escapes the next
// character. As in BIND 9, rhs is one token: RDATA with blanks is quoted, and
// inside the quotes \" stands for a quote.
//
// This file holds the text side only (parsing the range, expanding a template
// for one value); ZoneFileReader feeds the results through its record parser.
// No allocation beyond the caller's output string, no exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace enumd::zone::generate {

// The largest start/stop value (BIND reads them as signed 32-bit integers).
inline constexpr int64_t kMaxValue = 2147483647;
// What Expand says when value + offset passes kMaxValue (BIND computes it in
// an int and says "out of range"): the one error that depends on the value.
// One object (zone_file_generate.cc), so callers may compare the pointer.
extern const char kOffsetOverflow[];
// The widest ${...} field accepted (BIND fails wider ones as "ran out of space").
inline constexpr unsigned kMaxWidth = 255;

struct Range {
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  // Number of values in the range.
  uint64_t count() const { return static_cast<uint64_t>((stop - start) / step) + 1; }
};

// Parses "start-stop" or "start-stop/step" (decimal, start <= stop, step >= 1).
// Returns nullptr, or the reason it is invalid.
const char* ParseRange(std::string_view text, Range* out);

// Appends template `tmpl` with the substitutions for `value` to *out.
// Returns nullptr, or the reason the template is invalid (checked whole, so
// the same template fails the same way for every value).
const char* Expand(std::string_view tmpl, int64_t value, std::string* out);

}  // namespace enumd::zone::generate
