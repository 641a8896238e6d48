// HMAC through OpenSSL 3's EVP_MAC interface (the HMAC_CTX functions are
// deprecated in OpenSSL 3.0). The "HMAC" method is fetched once per process;
// a context is allocated per Start, which is cheap next to the digest work.
#include "dns/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace enumd::dns {
namespace {

const char* DigestName(TsigAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case TsigAlgorithm::kHmacMd5:
      return "MD5";
    case TsigAlgorithm::kHmacSha1:
      return "SHA1";
    case TsigAlgorithm::kHmacSha224:
      return "SHA224";
    case TsigAlgorithm::kHmacSha256:
      return "SHA256";
    case TsigAlgorithm::kHmacSha384:
      return "SHA384";
    case TsigAlgorithm::kHmacSha512:
      return "SHA512";
  }
  return "SHA256";
}

// Fetched on first use and kept for the life of the process (thread-safe
// static initialisation; EVP_MAC objects may be shared between threads).
EVP_MAC* HmacMethod() noexcept {
  static EVP_MAC* const method = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return method;
}

}  // namespace

Hmac::~Hmac() { EVP_MAC_CTX_free(ctx_); }

bool Hmac::Start(TsigAlgorithm algorithm, std::string_view secret) noexcept {
  EVP_MAC_CTX_free(ctx_);
  ctx_ = nullptr;
  ok_ = false;
  EVP_MAC* method = HmacMethod();
  if (method == nullptr) return false;
  ctx_ = EVP_MAC_CTX_new(method);
  if (ctx_ == nullptr) return false;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                             OSSL_MAC_PARAM_DIGEST, const_cast<char*>(DigestName(algorithm)), 0),
                         OSSL_PARAM_construct_end()};
  // OpenSSL 3.0 refuses a null key pointer even with length 0: pass a valid
  // pointer for an empty secret (HMAC pads the key with zeros either way).
  static const unsigned char kEmpty[1] = {0};
  const auto* key = secret.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(secret.data());
  ok_ = EVP_MAC_init(ctx_, key, secret.size(), params) == 1;
  return ok_;
}

void Hmac::Update(const void* data, size_t len) noexcept {
  if (!ok_ || len == 0) return;
  ok_ = EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), len) == 1;
}

void Hmac::Update16(uint16_t v) noexcept {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  Update(b, 2);
}

std::string Hmac::Finish() {
  if (!ok_) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  ok_ = false;
  if (EVP_MAC_final(ctx_, out, &len, sizeof(out)) != 1) return "";
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool ConstantTimeEqual(const void* a, const void* b, size_t len) noexcept {
  return CRYPTO_memcmp(a, b, len) == 0;
}

}  // namespace enumd::dns
