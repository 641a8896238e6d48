// $GENERATE text handling (contract in zone_file_generate.h).
#include "zone/zone_file_generate.h"

namespace enumd::zone::generate {

const char kOffsetOverflow[] = "$GENERATE offset out of range for this range";
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal digits only, value <= kMaxValue; false otherwise.
bool ParseNumber(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxValue) return false;
  *out = v;
  return true;
}

// Writes `v` in `base` (d o x X), at least `width` digits, zero-padded.
void AppendNumber(int64_t v, char base, unsigned width, std::string* out) {
  char digits[32];
  size_t n = 0;
  bool negative = false;
  uint64_t u;
  if (base == 'd') {
    negative = v < 0;
    u = negative ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
  } else {
    u = static_cast<uint32_t>(v);  // as C's %o/%x print a negative int
  }
  const unsigned radix = base == 'o' ? 8 : base == 'd' ? 10 : 16;
  const char* set = base == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = set[u % radix];
    u /= radix;
  } while (u != 0);
  if (negative) out->push_back('-');
  for (size_t i = n + (negative ? 1 : 0); i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(digits[--n]);
}

// Nibble form (BIND's n/N): the least significant hex digit first, digits
// separated by dots. `width` counts output characters, dots included: digits
// (and dots) continue while the value has digits left or width remains, so
// an even width ends in a dot, as BIND writes it.
void AppendNibbles(int64_t v, bool upper, unsigned width, std::string* out) {
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  uint32_t u = static_cast<uint32_t>(v);
  for (;;) {
    out->push_back(set[u & 0xf]);
    u >>= 4;
    if (width > 0) --width;
    if (width == 0 && u == 0) break;
    out->push_back('.');
    if (width > 0) --width;
    if (width == 0 && u == 0) break;
  }
}

// Parses the body of "${...}" (text between the braces).
const char* ParseModifier(std::string_view body, int64_t* offset, unsigned* width, char* base) {
  *offset = 0;
  *width = 0;
  *base = 'd';
  if (body.empty()) return "empty ${} in $GENERATE";
  size_t i = 0;
  bool negative = false;
  if (body[i] == '+' || body[i] == '-') negative = body[i++] == '-';
  size_t start = i;
  int64_t v = 0;
  while (i < body.size() && IsDigit(body[i])) {
    v = v * 10 + (body[i] - '0');
    if (v > kMaxValue) return "$GENERATE offset out of range";
    ++i;
  }
  if (i == start) return "bad $GENERATE offset (${offset,width,base})";
  *offset = negative ? -v : v;
  if (i == body.size()) return nullptr;
  if (body[i++] != ',') return "bad $GENERATE modifier (${offset,width,base})";
  start = i;
  uint64_t w = 0;
  while (i < body.size() && IsDigit(body[i])) {
    w = w * 10 + static_cast<uint64_t>(body[i] - '0');
    if (w > kMaxWidth) return "$GENERATE width too large (max 255)";
    ++i;
  }
  if (i == start) return "bad $GENERATE width (${offset,width,base})";
  *width = static_cast<unsigned>(w);
  if (i == body.size()) return nullptr;
  if (body[i++] != ',') return "bad $GENERATE modifier (${offset,width,base})";
  if (i + 1 != body.size()) return "bad $GENERATE base (one of d o x X n N)";
  char b = body[i];
  if (b != 'd' && b != 'o' && b != 'x' && b != 'X' && b != 'n' && b != 'N') {
    return "bad $GENERATE base (one of d o x X n N)";
  }
  *base = b;
  return nullptr;
}

}  // namespace

const char* ParseRange(std::string_view text, Range* out) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return "bad $GENERATE range (start-stop[/step])";
  std::string_view start = text.substr(0, dash);
  std::string_view rest = text.substr(dash + 1);
  std::string_view stop = rest, step;
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    stop = rest.substr(0, slash);
    step = rest.substr(slash + 1);
  }
  Range r;
  if (!ParseNumber(start, &r.start) || !ParseNumber(stop, &r.stop) ||
      (slash != std::string_view::npos && !ParseNumber(step, &r.step))) {
    return "bad $GENERATE range (start-stop[/step], numbers 0-2147483647)";
  }
  if (r.start > r.stop) return "bad $GENERATE range: start after stop";
  if (r.step < 1) return "bad $GENERATE range: step must be at least 1";
  *out = r;
  return nullptr;
}

const char* Expand(std::string_view tmpl, int64_t value, std::string* out) {
  size_t i = 0;
  const size_t n = tmpl.size();
  while (i < n) {
    char c = tmpl[i];
    if (c == '\\') {  // an escape passes through, so "\$" stays a literal '$'
      out->push_back(c);
      if (i + 1 < n) out->push_back(tmpl[i + 1]);
      i += 2;
      continue;
    }
    if (c != '$') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < n && tmpl[i + 1] == '$') {
      out->push_back('$');
      i += 2;
      continue;
    }
    if (i + 1 < n && tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) return "unterminated ${ in $GENERATE";
      int64_t offset;
      unsigned width;
      char base;
      if (const char* why =
              ParseModifier(tmpl.substr(i + 2, close - i - 2), &offset, &width, &base))
        return why;
      // BIND computes the value in an int and refuses an overflow.
      if (value + offset > kMaxValue) return kOffsetOverflow;
      if (base == 'n' || base == 'N') {
        AppendNibbles(value + offset, base == 'N', width, out);
      } else {
        AppendNumber(value + offset, base, width, out);
      }
      i = close + 1;
      continue;
    }
    AppendNumber(value, 'd', 0, out);
    ++i;
  }
  return nullptr;
}

}  // namespace enumd::zone::generate
