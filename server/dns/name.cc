// Domain names in wire form: reading (with compression), comparison and the
// presentation-form conversions used by admin code and tests.
#include "dns/name.h"

#include <cstring>

namespace enumd::dns {
namespace {

// A legitimate name has at most 127 labels; one pointer per label is already
// generous. Pointers must point strictly backwards, so a chain always ends, but
// without this bound a crafted 64 KiB message could make us hop ~32K times.
constexpr int kMaxPointerHops = 128;

// Characters BIND escapes as "\c" in presentation form (lib/dns/name.c,
// dns_name_totext): they have a meaning in master files (RFC 1035 §5.1).
inline bool IsSpecial(uint8_t c) noexcept {
  switch (c) {
    case '.':
    case '\\':
    case '"':
    case '(':
    case ')':
    case ';':
    case '@':
    case '$':
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ReadName(const uint8_t* msg, size_t msg_len, size_t* offset, uint8_t* out,
              size_t* out_len) noexcept {
  size_t pos = *offset;
  size_t run_start = pos;  // first byte of the labels read since the last jump
  size_t written = 0;
  size_t resume = 0;  // where the caller continues: past the first pointer
  bool jumped = false;
  int hops = 0;
  for (;;) {
    if (pos >= msg_len) return false;
    const uint8_t b = msg[pos];
    switch (b & 0xC0) {
      case 0xC0: {
        if (pos + 1 >= msg_len) return false;
        const size_t target = (static_cast<size_t>(b & 0x3F) << 8) | msg[pos + 1];
        // RFC 1035 §4.1.4: a pointer refers to a "prior occurrence". We demand
        // more than target < pos: the target must precede the run of labels
        // this pointer ends. A target inside that run would read the same
        // labels and reach this pointer again (a loop); with this rule every
        // jump lowers run_start, so no loop can exist.
        if (target >= run_start) return false;
        if (++hops > kMaxPointerHops) return false;
        if (!jumped) {
          resume = pos + 2;
          jumped = true;
        }
        pos = target;
        run_start = target;
        continue;
      }
      case 0x40:  // extended label types (RFC 6891 §5: deprecated, RFC 2673)
      case 0x80:  // reserved
        return false;
      default:
        break;
    }
    // b <= 63 here: the two high bits are zero.
    if (b == 0) {
      if (written + 1 > kMaxNameWire) return false;
      out[written++] = 0;
      *out_len = written;
      *offset = jumped ? resume : pos + 1;
      return true;
    }
    if (pos + 1 + b > msg_len) return false;
    // Leave room for the root byte that must still follow (RFC 1035 §2.3.4).
    if (written + 1 + b + 1 > kMaxNameWire) return false;
    std::memcpy(out + written, msg + pos, 1 + static_cast<size_t>(b));
    written += 1 + b;
    pos += 1 + b;
  }
}

size_t WireNameLength(const uint8_t* p, size_t max) noexcept {
  size_t pos = 0;
  for (;;) {
    if (pos >= max || pos >= kMaxNameWire) return 0;
    const uint8_t b = p[pos];
    if (b > kMaxLabel) return 0;  // also rejects pointers and 01/10 label types
    if (b == 0) return pos + 1;
    pos += 1 + b;
  }
}

int LabelCount(const uint8_t* name) noexcept {
  int n = 0;
  for (size_t pos = 0; name[pos] != 0; pos += 1 + name[pos]) ++n;
  return n;
}

bool NameEqual(const uint8_t* a, const uint8_t* b) noexcept {
  size_t pos = 0;
  for (;;) {
    if (!LabelEqual(a + pos, b + pos)) return false;
    if (a[pos] == 0) return true;
    pos += 1 + a[pos];
  }
}

bool IsSubdomain(const uint8_t* name, const uint8_t* zone) noexcept {
  const int diff = LabelCount(name) - LabelCount(zone);
  if (diff < 0) return false;
  return NameEqual(SkipLabels(name, diff), zone);
}

const uint8_t* SkipLabels(const uint8_t* name, int n) noexcept {
  for (int i = 0; i < n && name[0] != 0; ++i) name += 1 + name[0];
  return name;
}

void LowerName(uint8_t* name) noexcept {
  for (size_t pos = 0; name[pos] != 0; pos += 1 + name[pos]) {
    for (size_t i = 1; i <= name[pos]; ++i) name[pos + i] = LowerAscii(name[pos + i]);
  }
}

std::string NameToText(const uint8_t* name) {
  if (name[0] == 0) return ".";
  std::string text;
  for (size_t pos = 0; name[pos] != 0; pos += 1 + name[pos]) {
    for (size_t i = 1; i <= name[pos]; ++i) {
      const uint8_t c = name[pos + i];
      if (IsSpecial(c)) {
        text += '\\';
        text += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7F) {
        // Space included, as BIND and ldns print it (\032).
        const char digits[5] = {'\\', static_cast<char>('0' + c / 100),
                                static_cast<char>('0' + c / 10 % 10),
                                static_cast<char>('0' + c % 10), 0};
        text += digits;
      } else {
        text += static_cast<char>(c);
      }
    }
    text += '.';
  }
  return text;
}

size_t NameFromText(std::string_view text, const uint8_t* origin, uint8_t* out) {
  if (text.empty()) return 0;
  if (text == ".") {
    out[0] = 0;
    return 1;
  }
  // out[label_start] is the open label's length byte, filled in when it closes.
  size_t label_start = 0;
  size_t label_len = 0;
  size_t written = 1;  // bytes of `out` in use, the open label's length byte included
  bool absolute = false;
  out[0] = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (label_len == 0) return 0;  // "..", ".a" or "a..b": empty label
      out[label_start] = static_cast<uint8_t>(label_len);
      if (i + 1 == text.size()) {
        absolute = true;
        break;
      }
      if (written + 1 > kMaxNameWire) return 0;
      label_start = written;
      out[written++] = 0;
      label_len = 0;
      continue;
    }
    uint8_t byte = static_cast<uint8_t>(c);
    if (c == '\\') {
      if (i + 1 >= text.size()) return 0;  // dangling backslash
      if (IsDigit(text[i + 1])) {
        // \DDD: exactly three decimal digits, value <= 255 (RFC 1035 §5.1).
        if (i + 3 >= text.size()) return 0;
        if (!IsDigit(text[i + 2]) || !IsDigit(text[i + 3])) return 0;
        const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return 0;
        byte = static_cast<uint8_t>(v);
        i += 3;
      } else {
        byte = static_cast<uint8_t>(text[i + 1]);
        i += 1;
      }
    }
    if (label_len == kMaxLabel) return 0;
    // The root byte must still fit after this one.
    if (written + 1 + 1 > kMaxNameWire) return 0;
    out[written++] = byte;
    ++label_len;
  }
  if (absolute) {
    out[written++] = 0;
    return written;
  }
  // Relative: close the last label and append the origin.
  out[label_start] = static_cast<uint8_t>(label_len);
  if (origin == nullptr) {
    out[written++] = 0;
    return written;
  }
  const size_t origin_len = WireNameLength(origin, kMaxNameWire);
  if (origin_len == 0 || written + origin_len > kMaxNameWire) return 0;
  std::memcpy(out + written, origin, origin_len);
  return written + origin_len;
}

std::string WireName(std::string_view text) {
  uint8_t buf[kMaxNameWire];
  const size_t len = NameFromText(text, nullptr, buf);
  return std::string(reinterpret_cast<const char*>(buf), len);
}

}  // namespace enumd::dns
