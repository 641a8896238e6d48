// BIND key files: one or more
//     key "name" { algorithm hmac-sha256; secret "base64=="; };
// statements, as tsig-keygen (bind9-utils) writes them and nsupdate -k and
// named.conf's include read them. Comments as in named.conf: '#' and '//' to
// the end of the line, '/* ... */'. Names and the algorithm may be quoted or
// bare words; the clauses may come in either order. Start-up and tools only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dns/tsig_key.h"

namespace enumd::dns {

// Key files larger than this are refused (a real one is a few hundred bytes).
inline constexpr size_t kMaxKeyFileSize = 1 << 20;

// Parses the text of a key file named `file_name` (used in messages only).
// Every key needs exactly one `algorithm` (TsigAlgorithmFromText: the six
// HMACs, BIND's "hmac-md5" short form included) and one `secret` (base64,
// whitespace allowed, not empty). Errors are "FILE:LINE: reason", e.g.
//   keys.conf:3: unknown algorithm "hmac-sha999"
//   keys.conf:4: secret of key "k1." is not valid base64
//   keys.conf:1: key "k1." has no secret
//   keys.conf:7: duplicate key "k1." (first at line 1)
// The truncated-MAC forms BIND accepts ("hmac-sha256-128") are refused:
// enumd signs and wants whole MACs. Key names compare case-insensitively.
Result<std::vector<TsigKey>> ParseTsigKeyFile(std::string_view text, std::string_view file_name);

// Reads `path` and parses it as above; "PATH: cannot read: REASON" if it
// cannot be read, or is larger than kMaxKeyFileSize.
Result<std::vector<TsigKey>> LoadTsigKeyFile(const std::string& path);

// `key` as a key statement in the form tsig-keygen writes (name without the
// final dot, tab-indented clauses, trailing newline).
std::string TsigKeyToText(const TsigKey& key);

}  // namespace enumd::dns
