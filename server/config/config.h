// enumd's settings: the YAML file (yaml-cpp) and command-line flags turned into
// one plain, validated struct. Every key has one row in the schema table in
// config.cc (key, type, default, range, doc); unknown keys, bad addresses and
// impossible values are errors naming the key and the line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace enumd::config {

enum class WildcardMode { kRfc4592, kLongestMatch };

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 address, no brackets
  uint16_t port = 53;
  bool udp = true;
  bool tcp = true;
};

struct ZoneConfig {
  std::string origin;  // absolute, with trailing dot
  std::string file;    // optional zone file; imported when missing/newer
  WildcardMode wildcards = WildcardMode::kRfc4592;
};

struct Config {
  std::vector<ListenAddress> listen;  // default: 127.0.0.1:53 and [::1]:53
  int workers = 0;                    // 0 = one per core ("auto")
  std::string store = "/var/lib/enumd";
  uint16_t udp_max_payload = 1232;  // cap for EDNS answers, 512..65535
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 1024;
  std::string log_level = "info";  // error | warning | info | debug
  std::string version_string;      // CH TXT version.bind / id.server; empty = REFUSED
  std::vector<ZoneConfig> zones;
};

// Loads a YAML file. Errors read "FILE:LINE: key 'x': reason".
Result<Config> LoadConfigFile(const std::string& path);
// Same from a string (tests, fuzzing); `name` stands in for the file name.
Result<Config> LoadConfigString(const std::string& yaml, const std::string& name = "<config>");

// Parses "127.0.0.1:5300", "[::1]:5300", "0.0.0.0" (port 53), "::1" (bare
// IPv6 without port). Errors name the text.
Result<ListenAddress> ParseListenAddress(const std::string& text);

// Every key in schema order with its type, range, default and meaning
// ("udp.max_payload: an integer 512..65535, default 1232" and a doc line);
// for `enumd --help-config` and the docs.
std::string SchemaReference();

}  // namespace enumd::config
