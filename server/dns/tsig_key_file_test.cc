// Tests for dns/tsig_key_file.h: the files tsig-keygen writes (checked in by
// testdata/make_tsig_vectors.py), the named.conf syntax around them, and one
// error per way a file can be wrong, each with FILE:LINE.
#include "dns/tsig_key_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "common/base64.h"
#include "dns/dns_test_support.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

#include "dns/testdata/tsig_keygen_files.inc"

std::vector<TsigKey> Parse(std::string_view text) {
  auto r = ParseTsigKeyFile(text, "keys.conf");
  if (!r.ok()) FAIL(r.status().message());
  return std::move(r.value());
}

std::string Error(std::string_view text) {
  auto r = ParseTsigKeyFile(text, "keys.conf");
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

TEST_CASE("Key files: what tsig-keygen writes, for every algorithm") {
  for (const auto& [alg, text] : kKeygenFiles) {
    CAPTURE(alg);
    const auto keys = Parse(text);
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].name == WireName(std::string("k-") + alg + "."));
    CHECK(keys[0].algorithm == TsigAlgorithmFromText(alg));
    const std::string secret = std::string(text).substr(std::string(text).find("secret \"") + 8);
    CHECK(Base64Encode(keys[0].secret) == secret.substr(0, secret.find('"')));
    // And back: the text we write parses to the same key.
    const auto again = Parse(TsigKeyToText(keys[0]));
    REQUIRE(again.size() == 1);
    CHECK(again[0].name == keys[0].name);
    CHECK(again[0].algorithm == keys[0].algorithm);
    CHECK(again[0].secret == keys[0].secret);
  }
}

TEST_CASE("Key files: TsigKeyToText writes tsig-keygen's layout") {
  const TsigKey k{WireName("upd.key."), TsigAlgorithm::kHmacSha256, "0123456789abcdef"};
  CHECK(TsigKeyToText(k) ==
        "key \"upd.key\" {\n\talgorithm hmac-sha256;\n\tsecret "
        "\"MDEyMzQ1Njc4OWFiY2RlZg==\";\n};\n");
  const TsigKey md5{WireName("m."), TsigAlgorithm::kHmacMd5, "x"};
  CHECK(TsigKeyToText(md5).find("algorithm hmac-md5;") != std::string::npos);
}

TEST_CASE("Key files: several keys, comments, quoting and clause order as named.conf allows") {
  const auto keys = Parse(R"(# a shell-style comment
// a C++-style comment
/* a C-style
   comment over lines */
key "one.example" {
    algorithm "HMAC-SHA512";  # quoted, any case
    secret "c2VjcmV0MQ==";
};
key two.example. { secret "c2Vj cmV0
  Mg=="; algorithm hmac-md5.sig-alg.reg.int; };key/*x*/"THREE"{algorithm hmac-sha1;secret "YQ==";};
)");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].name == WireName("one.example."));
  CHECK(keys[0].algorithm == TsigAlgorithm::kHmacSha512);
  CHECK(keys[0].secret == "secret1");
  CHECK(keys[1].name == WireName("two.example."));
  CHECK(keys[1].algorithm == TsigAlgorithm::kHmacMd5);
  CHECK(keys[1].secret == "secret2");
  CHECK(keys[2].name == WireName("three."));  // lower-cased
  CHECK(keys[2].secret == "a");
}

TEST_CASE("Key files: an empty file (or only comments) holds no keys") {
  CHECK(Parse("").empty());
  CHECK(Parse("  # nothing\n/* */ //\n").empty());
}

TEST_CASE("Key files: every error names the file, the line and the reason") {
  const std::pair<const char*, const char*> cases[] = {
      {"key \"k\" {\n algorithm hmac-sha999;\n secret \"YQ==\";\n};\n",
       "keys.conf:2: unknown algorithm \"hmac-sha999\" (expected hmac-md5, hmac-sha1, "
       "hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)"},
      {"key \"k\" {\n algorithm hmac-sha256-128;\n secret \"YQ==\";\n};\n",
       "keys.conf:2: truncated MACs (\"hmac-sha256-128\") are not supported; use "
       "\"hmac-sha256\""},
      {"key \"k\" {\n algorithm hmac-sha256;\n secret \"YQ=\";\n};\n",
       "keys.conf:3: secret of key \"k.\" is not valid base64"},
      {"key \"k\" {\n algorithm hmac-sha256;\n secret \"Y*==\";\n};\n",
       "keys.conf:3: secret of key \"k.\" is not valid base64"},
      {"key \"k\" {\n algorithm hmac-sha256;\n secret \"\";\n};\n",
       "keys.conf:3: key \"k.\" has an empty secret"},
      {"\nkey \"k\" {\n algorithm hmac-sha256;\n};\n", "keys.conf:2: key \"k.\" has no secret"},
      {"key \"k\" {\n secret \"YQ==\";\n};\n", "keys.conf:1: key \"k.\" has no algorithm"},
      {"key \"k\" { algorithm hmac-sha1; secret \"YQ==\"; };\n\nkey \"K.\" { algorithm "
       "hmac-sha1; secret \"YQ==\"; };\n",
       "keys.conf:3: duplicate key \"k.\" (first at line 1)"},
      {"key \"k\" { algorithm hmac-sha1; algorithm hmac-sha1; secret \"YQ==\"; };",
       "keys.conf:1: second algorithm in key \"k.\""},
      {"key \"k\" { algorithm hmac-sha1; secret \"YQ==\"; secret \"YQ==\"; };",
       "keys.conf:1: second secret in key \"k.\""},
      {"key \"k\" {\n algorithm hmac-sha1;\n secret \"YQ==\";\n keyid 5;\n};",
       "keys.conf:4: unknown clause 'keyid' in key \"k.\" (expected 'algorithm' or 'secret')"},
      {"options { };", "keys.conf:1: expected 'key', got 'options'"},
      {"\"key\" \"k\" {};", "keys.conf:1: expected 'key', got string \"key\""},
      {"key \"a..b\" { };", "keys.conf:1: invalid key name \"a..b\""},
      {"key \"k\" algorithm", "keys.conf:1: expected '{' after the key name, got 'algorithm'"},
      {"key \"k\" { algorithm hmac-sha1 secret \"YQ==\"; };",
       "keys.conf:1: expected ';' after the algorithm value, got 'secret'"},
      {"key \"k\" { algorithm hmac-sha1; secret \"YQ==\"; }",
       "keys.conf:1: expected ';' after "
       "'}', got end of file"},
      {"key \"k\" { algorithm hmac-sha1; secret \"YQ==\";\n",
       "keys.conf:2: expected "
       "'algorithm', 'secret' or '}', "
       "got end of file"},
      {"key \"k\" { algorithm ; };", "keys.conf:1: expected an algorithm name, got ';'"},
      {"key { };", "keys.conf:1: expected a key name, got '{'"},
      {"key \"k\" {\n secret \"YQ==; };\n", "keys.conf:2: unterminated string"},
      {"\n\nkey \"k\" /* never closed\n\n", "keys.conf:3: unterminated /* comment"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    CHECK(Error(text) == want);
  }
}

TEST_CASE("Key files: LoadTsigKeyFile reads a file, and says why it cannot") {
  char path[] = "/tmp/enumd-keyfile-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  { std::ofstream(path) << kKeygenFiles[3].second; }
  auto keys = LoadTsigKeyFile(path);
  REQUIRE(keys.ok());
  CHECK(keys->size() == 1);
  { std::ofstream(path) << "key \"k\" {\n algorithm md4;\n};\n"; }
  auto bad = LoadTsigKeyFile(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().rfind(std::string(path) + ":2: unknown algorithm", 0) == 0);
  {
    std::ofstream big(path);
    big << std::string(kMaxKeyFileSize + 1, '#');
  }
  auto huge = LoadTsigKeyFile(path);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().message() == std::string(path) + ": cannot read: larger than 1048576 bytes");
  std::remove(path);
  auto missing = LoadTsigKeyFile(path);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        std::string(path) + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace enumd::dns
