#include "store/name_key.h"

#include "dns/name.h"

namespace enumd::store {

size_t NameToKey(const uint8_t* name, int origin_labels, uint8_t* out) noexcept {
  // Collect label offsets (at most 127), then emit them from the last
  // relative label (closest to the origin) to the first.
  const uint8_t* labels[128];
  int n = 0;
  for (const uint8_t* p = name; *p != 0 && n < 128; p += *p + 1) labels[n++] = p;
  size_t len = 0;
  for (int i = n - origin_labels - 1; i >= 0; --i) {
    const uint8_t* l = labels[i];
    for (int j = 1; j <= l[0]; ++j) {
      uint8_t c = dns::LowerAscii(l[j]);
      if (c <= 1) {
        out[len++] = 1;
        out[len++] = c + 1;
      } else {
        out[len++] = c;
      }
    }
    out[len++] = 0;
  }
  return len;
}

int KeyLabelCount(std::string_view key) noexcept {
  int n = 0;
  for (char c : key) n += (c == 0);
  return n;
}

size_t KeyPrefixLength(std::string_view key, int labels) noexcept {
  if (labels <= 0) return 0;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == 0 && --labels == 0) return i + 1;
  }
  return key.size();
}

size_t KeyToName(std::string_view key, const uint8_t* origin, size_t origin_len,
                 uint8_t* out) noexcept {
  // Labels in the key are most-significant first; the wire name wants them
  // least-significant first, so decode into a scratch area and reverse.
  uint8_t tmp[255];
  size_t starts[128];
  int n = 0;
  size_t t = 0;
  size_t i = 0;
  while (i < key.size()) {
    if (n == 128 || t >= sizeof(tmp)) return 0;
    starts[n++] = t;
    size_t len_pos = t++;
    while (i < key.size() && key[i] != 0) {
      uint8_t c = static_cast<uint8_t>(key[i++]);
      if (c == 1) {
        if (i >= key.size()) return 0;
        c = static_cast<uint8_t>(key[i++]) - 1;
        if (c > 1) return 0;
      }
      if (t >= sizeof(tmp)) return 0;
      tmp[t++] = c;
    }
    if (i >= key.size()) return 0;  // missing terminator
    ++i;
    size_t llen = t - len_pos - 1;
    if (llen == 0 || llen > 63) return 0;
    tmp[len_pos] = static_cast<uint8_t>(llen);
  }
  if (t + origin_len > 255) return 0;
  size_t o = 0;
  for (int k = n - 1; k >= 0; --k) {
    size_t s = starts[k];
    size_t l = tmp[s] + 1u;
    for (size_t j = 0; j < l; ++j) out[o++] = tmp[s + j];
  }
  for (size_t j = 0; j < origin_len; ++j) out[o++] = origin[j];
  return o;
}

std::string WildcardKey(std::string_view parent) {
  std::string k(parent);
  k.push_back('*');
  k.push_back('\0');
  return k;
}

bool KeyIsWildcard(std::string_view key) noexcept {
  size_t n = key.size();
  return n >= 2 && key[n - 1] == 0 && key[n - 2] == '*' && (n == 2 || key[n - 3] == 0);
}

}  // namespace enumd::store
