// TSIG keys (RFC 8945 §6): the HMAC algorithms and their names, a key (name,
// algorithm, secret), and the key ring a server looks keys up in. Names are
// kept in uncompressed wire form, lower-cased: that is the canonical form the
// MAC covers (RFC 8945 §4.3.3) and makes lookups case-insensitive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace enumd::dns {

// RFC 8945 §6 (table 3). GSS-TSIG (RFC 3645) is not supported.
enum class TsigAlgorithm {
  kHmacMd5,
  kHmacSha1,
  kHmacSha224,
  kHmacSha256,
  kHmacSha384,
  kHmacSha512
};

// The algorithm's name in presentation form, absolute: "hmac-md5.sig-alg.reg.int.",
// "hmac-sha1.", "hmac-sha224.", "hmac-sha256.", "hmac-sha384.", "hmac-sha512.".
std::string_view TsigAlgorithmText(TsigAlgorithm algorithm) noexcept;

// The same name in uncompressed, lower-case wire form.
std::string TsigAlgorithmWire(TsigAlgorithm algorithm);

// The algorithm a wire name (as in a TSIG RR, any case) identifies; nullopt
// for unknown algorithms. `name` must be a valid wire name.
std::optional<TsigAlgorithm> TsigAlgorithmFromWire(const uint8_t* name) noexcept;

// The algorithm a presentation name identifies, any case, with or without
// the final dot. Also accepts BIND's short form "hmac-md5" for
// hmac-md5.sig-alg.reg.int. (named.conf and tsig-keygen write it so).
std::optional<TsigAlgorithm> TsigAlgorithmFromText(std::string_view text) noexcept;

// Length of the full HMAC output in bytes (16, 20, 28, 32, 48, 64).
size_t TsigDigestSize(TsigAlgorithm algorithm) noexcept;

struct TsigKey {
  std::string name;  // uncompressed wire form, lower-case
  TsigAlgorithm algorithm = TsigAlgorithm::kHmacSha256;
  std::string secret;  // raw bytes (decoded from base64)
};

// A key built from presentation forms, for tests and tools: `name` absolute
// or relative to the root. Returns an error for an invalid name.
Result<TsigKey> MakeTsigKey(std::string_view name, TsigAlgorithm algorithm, std::string secret);

// The keys a server knows, by name (case-insensitive: names are stored and
// looked up lower-cased). Not thread-safe for writing; concurrent Find calls
// on a ring nobody modifies are safe. Pointers from Find stay valid until the
// ring is modified or destroyed.
class TsigKeyRing {
 public:
  // Adds `key` (its name is lower-cased here). Fails, changing nothing, if a
  // key of that name is already present or the name is not a wire name.
  Status Add(TsigKey key);
  // The key named `name` (wire form, any case), or null.
  const TsigKey* Find(const uint8_t* name) const noexcept;
  const TsigKey* Find(std::string_view wire_name) const noexcept;
  size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }

 private:
  std::map<std::string, TsigKey, std::less<>> keys_;  // by lower-cased wire name
};

}  // namespace enumd::dns
