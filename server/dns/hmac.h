// HMAC (RFC 2104) over the TSIG algorithms, computed by OpenSSL's libcrypto
// (EVP_MAC): the MAC is fed in pieces, as TSIG needs (request MAC, message,
// TSIG variables; several messages of a zone transfer). This is the only file
// that sees OpenSSL. Never throws; allocation happens inside OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/tsig_key.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace enumd::dns {

class Hmac {
 public:
  Hmac() = default;
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  // (Re)starts a MAC with `secret` (any length, empty included). Returns
  // false if OpenSSL fails (out of memory, or the digest is unavailable); the
  // object then stays failed until the next Start.
  bool Start(TsigAlgorithm algorithm, std::string_view secret) noexcept;
  // Adds bytes to the MAC. No-op on a failed or unstarted object.
  void Update(const void* data, size_t len) noexcept;
  void Update(std::string_view data) noexcept { Update(data.data(), data.size()); }
  void Update16(uint16_t v) noexcept;
  // Finishes: the full-length MAC (TsigDigestSize bytes), or "" if the object
  // failed or was not started. Start again before reusing the object.
  std::string Finish();

 private:
  evp_mac_ctx_st* ctx_ = nullptr;
  bool ok_ = false;
};

// Compares `a` and `b`, of equal length `len`, in time that does not depend
// on where they differ (CRYPTO_memcmp).
bool ConstantTimeEqual(const void* a, const void* b, size_t len) noexcept;

}  // namespace enumd::dns
