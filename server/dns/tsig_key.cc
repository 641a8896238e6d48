// TSIG algorithms, keys and the key ring.
#include "dns/tsig_key.h"

#include "dns/name.h"

namespace enumd::dns {
namespace {

struct AlgorithmInfo {
  TsigAlgorithm algorithm;
  std::string_view text;  // absolute presentation name
  size_t digest_size;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {TsigAlgorithm::kHmacMd5, "hmac-md5.sig-alg.reg.int.", 16},
    {TsigAlgorithm::kHmacSha1, "hmac-sha1.", 20},
    {TsigAlgorithm::kHmacSha224, "hmac-sha224.", 28},
    {TsigAlgorithm::kHmacSha256, "hmac-sha256.", 32},
    {TsigAlgorithm::kHmacSha384, "hmac-sha384.", 48},
    {TsigAlgorithm::kHmacSha512, "hmac-sha512.", 64},
};

const AlgorithmInfo& Info(TsigAlgorithm algorithm) noexcept {
  for (const AlgorithmInfo& a : kAlgorithms) {
    if (a.algorithm == algorithm) return a;
  }
  return kAlgorithms[3];  // unreachable: every enumerator has a row
}

// ASCII case-insensitive equality (algorithm names are plain ASCII).
bool EqualFold(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(static_cast<uint8_t>(a[i])) != LowerAscii(static_cast<uint8_t>(b[i])))
      return false;
  }
  return true;
}

std::string Lowered(std::string_view wire) {
  std::string s(wire);
  LowerName(reinterpret_cast<uint8_t*>(s.data()));
  return s;
}

}  // namespace

std::string_view TsigAlgorithmText(TsigAlgorithm algorithm) noexcept {
  return Info(algorithm).text;
}

std::string TsigAlgorithmWire(TsigAlgorithm algorithm) {
  return WireName(TsigAlgorithmText(algorithm));
}

std::optional<TsigAlgorithm> TsigAlgorithmFromWire(const uint8_t* name) noexcept {
  // Compare label by label against each known name's wire form, without
  // allocating: the names are short and fixed.
  for (const AlgorithmInfo& a : kAlgorithms) {
    uint8_t wire[kMaxNameWire];
    if (NameFromText(a.text, nullptr, wire) == 0) continue;
    if (NameEqual(name, wire)) return a.algorithm;
  }
  return std::nullopt;
}

std::optional<TsigAlgorithm> TsigAlgorithmFromText(std::string_view text) noexcept {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (EqualFold(text, "hmac-md5")) return TsigAlgorithm::kHmacMd5;
  for (const AlgorithmInfo& a : kAlgorithms) {
    if (EqualFold(text, a.text.substr(0, a.text.size() - 1))) return a.algorithm;
  }
  return std::nullopt;
}

size_t TsigDigestSize(TsigAlgorithm algorithm) noexcept { return Info(algorithm).digest_size; }

Result<TsigKey> MakeTsigKey(std::string_view name, TsigAlgorithm algorithm, std::string secret) {
  const std::string wire = WireName(name);
  if (wire.empty()) return Status::Error("invalid key name '" + std::string(name) + "'");
  return TsigKey{Lowered(wire), algorithm, std::move(secret)};
}

Status TsigKeyRing::Add(TsigKey key) {
  if (key.name.empty() || WireNameLength(reinterpret_cast<const uint8_t*>(key.name.data()),
                                         key.name.size()) != key.name.size()) {
    return Status::Error("key name is not a wire-form domain name");
  }
  key.name = Lowered(key.name);
  if (keys_.count(key.name) != 0) {
    return Status::Error("duplicate key " +
                         NameToText(reinterpret_cast<const uint8_t*>(key.name.data())));
  }
  std::string name = key.name;
  keys_.emplace(std::move(name), std::move(key));
  return Status::OK();
}

const TsigKey* TsigKeyRing::Find(const uint8_t* name) const noexcept {
  const size_t len = WireNameLength(name, kMaxNameWire);
  if (len == 0) return nullptr;
  return Find(std::string_view(reinterpret_cast<const char*>(name), len));
}

const TsigKey* TsigKeyRing::Find(std::string_view wire_name) const noexcept {
  // Lower-case into a fixed buffer: no allocation for the lookup itself.
  if (wire_name.empty() || wire_name.size() > kMaxNameWire) return nullptr;
  char lower[kMaxNameWire];
  for (size_t i = 0; i < wire_name.size(); ++i) lower[i] = wire_name[i];
  if (WireNameLength(reinterpret_cast<const uint8_t*>(lower), wire_name.size()) != wire_name.size())
    return nullptr;
  LowerName(reinterpret_cast<uint8_t*>(lower));
  const auto it = keys_.find(std::string_view(lower, wire_name.size()));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace enumd::dns
