#include "config/config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace enumd::config {
namespace {

Config Load(const std::string& yaml, const std::string& name = "t.yaml") {
  Result<Config> r = LoadConfigString(yaml, name);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

struct GoodCase {
  const char* yaml;
  void (*check)(const Config&);
};

struct BadCase {
  std::string yaml;
  int line;            // 1-based
  const char* key;     // "" when the error is not about one key
  const char* reason;  // must appear after the "FILE:LINE: key 'K': " prefix
};

void CheckBad(const BadCase& c) {
  const std::string yaml = c.yaml;
  CAPTURE(yaml);
  Result<Config> r = LoadConfigString(c.yaml, "t.yaml");
  REQUIRE_FALSE(r.ok());
  const std::string& msg = r.status().message();
  std::string prefix = "t.yaml:" + std::to_string(c.line) + ": ";
  if (*c.key != '\0') prefix += "key '" + std::string(c.key) + "': ";
  CHECK_MESSAGE(msg.rfind(prefix, 0) == 0, msg);
  CHECK_MESSAGE(msg.find(c.reason, prefix.size()) != std::string::npos, msg);
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("enumd_config_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path p = path / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE(
    "config: an empty file gives the defaults, and the schema's defaults match the struct's") {
  for (const char* yaml : {"", "# nothing but a comment\n", "~\n", "---\n"}) {
    const std::string shown = yaml;
    CAPTURE(shown);
    const Config c = Load(yaml);
    const Config plain;
    REQUIRE(c.listen.size() == 2);
    CHECK(c.listen[0].host == "127.0.0.1");
    CHECK(c.listen[0].port == 53);
    CHECK(c.listen[1].host == "::1");
    CHECK(c.listen[1].port == 53);
    for (const ListenAddress& a : c.listen) {
      CHECK(a.udp);
      CHECK(a.tcp);
    }
    CHECK(c.workers == plain.workers);
    CHECK(c.store == plain.store);
    CHECK(c.udp_max_payload == plain.udp_max_payload);
    CHECK(c.udp_spread_by_name);
    CHECK(c.tcp_idle_timeout_ms == plain.tcp_idle_timeout_ms);
    CHECK(c.tcp_max_connections == plain.tcp_max_connections);
    CHECK(c.tcp_query_timeout_ms == plain.tcp_query_timeout_ms);
    CHECK(c.tcp_query_timeout_ms == 2000);
    CHECK(c.tcp_max_connections_per_source == plain.tcp_max_connections_per_source);
    CHECK(c.tcp_max_connections_per_source == 0);
    CHECK(c.tcp_max_queued_bytes == plain.tcp_max_queued_bytes);
    CHECK(c.tcp_max_queued_bytes == 65536);
    CHECK(c.log_level == plain.log_level);
    CHECK(c.version_string.empty());
    CHECK(c.zones.empty());
  }
}

TEST_CASE("config: the documented example loads") {
  const Config c = Load(R"(
listen: ["127.0.0.1:5300", "[::1]:5300", {address: "0.0.0.0:5301", udp: false}]
workers: 4
store: /srv/enumd/store
udp:
  max_payload: 1400
tcp:
  idle_timeout_ms: 5000
  max_connections: 64
log_level: debug
version: "enumd 0.1"
zones:
  - origin: e164.arpa.
    file: zones/playground/e164.arpa.db
    wildcards: rfc4592
  - origin: e164.example.net
    wildcards: longest-match
)",
                        "/etc/enumd/enumd.yaml");
  REQUIRE(c.listen.size() == 3);
  CHECK(c.listen[0].host == "127.0.0.1");
  CHECK(c.listen[0].port == 5300);
  CHECK(c.listen[1].host == "::1");
  CHECK(c.listen[1].port == 5300);
  CHECK(c.listen[2].host == "0.0.0.0");
  CHECK(c.listen[2].port == 5301);
  CHECK_FALSE(c.listen[2].udp);
  CHECK(c.listen[2].tcp);
  CHECK(c.workers == 4);
  CHECK(c.store == "/srv/enumd/store");
  CHECK(c.udp_max_payload == 1400);
  CHECK(c.tcp_idle_timeout_ms == 5000);
  CHECK(c.tcp_max_connections == 64);
  CHECK(c.log_level == "debug");
  CHECK(c.version_string == "enumd 0.1");
  REQUIRE(c.zones.size() == 2);
  CHECK(c.zones[0].origin == "e164.arpa.");
  CHECK(c.zones[0].file == "/etc/enumd/zones/playground/e164.arpa.db");
  CHECK(c.zones[0].wildcards == WildcardMode::kRfc4592);
  CHECK(c.zones[1].origin == "e164.example.net.");
  CHECK(c.zones[1].file.empty());
  CHECK(c.zones[1].wildcards == WildcardMode::kLongestMatch);
}

TEST_CASE("config: every key's accepted values") {
  const GoodCase cases[] = {
      // listen
      {"listen: ['0.0.0.0']",
       [](const Config& c) {
         REQUIRE(c.listen.size() == 1);
         CHECK(c.listen[0].host == "0.0.0.0");
         CHECK(c.listen[0].port == 53);
       }},
      {"listen: ['127.0.0.1:0', '127.0.0.1:0']",  // port 0: the kernel picks, never a duplicate
       [](const Config& c) { CHECK(c.listen.size() == 2); }},
      {"listen:\n  - '[::]:53'\n  - 0.0.0.0:53\n",
       [](const Config& c) {
         REQUIRE(c.listen.size() == 2);
         CHECK(c.listen[0].host == "::");
         CHECK(c.listen[1].host == "0.0.0.0");
       }},
      {"listen:\n", [](const Config& c) { CHECK(c.listen.size() == 2); }},  // empty = default
      {"writer_nice: 0", [](const Config& c) { CHECK(c.writer_nice == 0); }},
      {"writer_nice: -20", [](const Config& c) { CHECK(c.writer_nice == -20); }},
      {"store: /tmp", [](const Config& c) { CHECK(c.writer_nice == -10); }},  // the default
      {"listen:\n  - address: '[2001:db8::1]:5353'\n    tcp: false\n",
       [](const Config& c) {
         REQUIRE(c.listen.size() == 1);
         CHECK(c.listen[0].host == "2001:db8::1");
         CHECK(c.listen[0].port == 5353);
         CHECK(c.listen[0].udp);
         CHECK_FALSE(c.listen[0].tcp);
       }},
      {"listen:\n  - {udp: no, address: '127.0.0.1:53'}\n",
       [](const Config& c) {
         REQUIRE(c.listen.size() == 1);
         CHECK_FALSE(c.listen[0].udp);
         CHECK(c.listen[0].tcp);
         CHECK(c.listen[0].port == 53);
       }},
      // Same socket, disjoint protocols: not a duplicate.
      {"listen:\n  - {address: '127.0.0.1:53', tcp: false}\n"
       "  - {address: '127.0.0.1:53', udp: false}\n",
       [](const Config& c) { CHECK(c.listen.size() == 2); }},
      // workers
      {"workers: auto", [](const Config& c) { CHECK(c.workers == 0); }},
      {"workers: 1", [](const Config& c) { CHECK(c.workers == 1); }},
      {"workers: 256", [](const Config& c) { CHECK(c.workers == 256); }},
      {"workers: '8'", [](const Config& c) { CHECK(c.workers == 8); }},  // quoted is fine
      // store
      {"store: /data/enumd", [](const Config& c) { CHECK(c.store == "/data/enumd"); }},
      // metrics
      {"metrics: {}", [](const Config& c) { CHECK_FALSE(c.metrics_enabled); }},
      {"metrics:\n  listen: 127.0.0.1:9253",
       [](const Config& c) {
         CHECK(c.metrics_enabled);
         CHECK(c.metrics_listen.host == "127.0.0.1");
         CHECK(c.metrics_listen.port == 9253);
       }},
      {"metrics: {listen: '[::1]:9253'}",
       [](const Config& c) {
         CHECK(c.metrics_enabled);
         CHECK(c.metrics_listen.host == "::1");
       }},
      // cache
      {"cache: {}",
       [](const Config& c) {
         CHECK(c.cache_names_auto);
         CHECK(c.cache_names_mb == 256);
         CHECK(c.cache_blocks_mb == 64);
       }},
      {"cache:\n  names_mb: auto",
       [](const Config& c) {
         CHECK(c.cache_names_auto);
         CHECK(c.cache_names_mb == 256);
       }},
      {"cache:\n  names_mb: 0\n  blocks_mb: 1",
       [](const Config& c) {
         CHECK_FALSE(c.cache_names_auto);
         CHECK(c.cache_names_mb == 0);
         CHECK(c.cache_blocks_mb == 1);
       }},
      {"cache:\n  names_mb: 4096\n  blocks_mb: 2048",
       [](const Config& c) {
         CHECK_FALSE(c.cache_names_auto);
         CHECK(c.cache_names_mb == 4096);
         CHECK(c.cache_blocks_mb == 2048);
       }},
      // udp
      {"udp:\n  max_payload: 512", [](const Config& c) { CHECK(c.udp_max_payload == 512); }},
      {"udp:\n  max_payload: 65535", [](const Config& c) { CHECK(c.udp_max_payload == 65535); }},
      {"udp:\n", [](const Config& c) { CHECK(c.udp_max_payload == 1232); }},
      {"udp: {}", [](const Config& c) { CHECK(c.udp_max_payload == 1232); }},
      {"udp:\n  spread: name", [](const Config& c) { CHECK(c.udp_spread_by_name); }},
      {"udp:\n  spread: flow", [](const Config& c) { CHECK_FALSE(c.udp_spread_by_name); }},
      // tcp
      {"tcp:\n  idle_timeout_ms: 100",
       [](const Config& c) { CHECK(c.tcp_idle_timeout_ms == 100); }},
      {"tcp:\n  idle_timeout_ms: 3600000",
       [](const Config& c) { CHECK(c.tcp_idle_timeout_ms == 3600000); }},
      {"tcp:\n  max_connections: 1",
       [](const Config& c) {
         CHECK(c.tcp_max_connections == 1);
         CHECK(c.tcp_idle_timeout_ms == 10000);  // the sibling keeps its default
       }},
      {"tcp:\n  max_connections: 1000000",
       [](const Config& c) { CHECK(c.tcp_max_connections == 1000000); }},
      {"tcp:\n  query_timeout_ms: 100",
       [](const Config& c) { CHECK(c.tcp_query_timeout_ms == 100); }},
      {"tcp:\n  query_timeout_ms: 3600000",
       [](const Config& c) { CHECK(c.tcp_query_timeout_ms == 3600000); }},
      {"tcp:\n  max_connections_per_source: 0",
       [](const Config& c) { CHECK(c.tcp_max_connections_per_source == 0); }},
      {"tcp:\n  max_connections_per_source: 1000000",
       [](const Config& c) { CHECK(c.tcp_max_connections_per_source == 1000000); }},
      {"tcp:\n  max_connections_per_source: 8\n  max_queued_bytes: 1024",
       [](const Config& c) {
         CHECK(c.tcp_max_connections_per_source == 8);
         CHECK(c.tcp_max_queued_bytes == 1024);
         CHECK(c.tcp_query_timeout_ms == 2000);  // the sibling keeps its default
       }},
      {"tcp:\n  max_queued_bytes: 16777216",
       [](const Config& c) { CHECK(c.tcp_max_queued_bytes == 16777216); }},
      // log_level
      {"log_level: error", [](const Config& c) { CHECK(c.log_level == "error"); }},
      {"log_level: warning", [](const Config& c) { CHECK(c.log_level == "warning"); }},
      {"log_level: info", [](const Config& c) { CHECK(c.log_level == "info"); }},
      {"log_level: debug", [](const Config& c) { CHECK(c.log_level == "debug"); }},
      // version
      {"version: enumd", [](const Config& c) { CHECK(c.version_string == "enumd"); }},
      {"version: 1.0", [](const Config& c) { CHECK(c.version_string == "1.0"); }},
      {"version: ''", [](const Config& c) { CHECK(c.version_string.empty()); }},
      // zones
      {"zones:\n", [](const Config& c) { CHECK(c.zones.empty()); }},
      {"zones: []", [](const Config& c) { CHECK(c.zones.empty()); }},
      {"zones:\n  - origin: e164.arpa\n",
       [](const Config& c) {
         REQUIRE(c.zones.size() == 1);
         CHECK(c.zones[0].origin == "e164.arpa.");
         CHECK(c.zones[0].file.empty());
         CHECK(c.zones[0].wildcards == WildcardMode::kRfc4592);
       }},
      {"zones:\n  - origin: _nAPTr.E164.example-1.NET.\n",
       [](const Config& c) { CHECK(c.zones[0].origin == "_nAPTr.E164.example-1.NET."); }},
      {"zones:\n  - origin: .\n", [](const Config& c) { CHECK(c.zones[0].origin == "."); }},
      {"zones:\n  - origin: e164.arpa.\n    file: /abs/e164.db\n",
       [](const Config& c) { CHECK(c.zones[0].file == "/abs/e164.db"); }},
      // No directory in the name: a relative file stays relative (to the cwd).
      {"zones:\n  - origin: e164.arpa.\n    file: zones/e164.db\n",
       [](const Config& c) { CHECK(c.zones[0].file == "zones/e164.db"); }},
      {"zones:\n  - origin: e164.arpa.\n    wildcards: longest-match\n",
       [](const Config& c) { CHECK(c.zones[0].wildcards == WildcardMode::kLongestMatch); }},
      {"zones:\n  - origin: e164.arpa.\n  - origin: 4.4.e164.arpa.\n",
       [](const Config& c) { CHECK(c.zones.size() == 2); }},
  };
  for (const GoodCase& c : cases) {
    const std::string yaml = c.yaml;
    CAPTURE(yaml);
    c.check(Load(c.yaml));
  }
}

TEST_CASE("config: a relative zone file is taken from the config file's directory") {
  const char* yaml = "zones:\n  - origin: e164.arpa.\n    file: ../zones/./e164.db\n";
  CHECK(Load(yaml, "/etc/enumd/enumd.yaml").zones[0].file == "/etc/zones/e164.db");
  CHECK(Load(yaml, "conf/enumd.yaml").zones[0].file == "zones/e164.db");
}

TEST_CASE("config: wrong types and out-of-range values name the key and the line") {
  const std::string long_label(64, 'a');
  const std::string label63(63, 'a');
  const BadCase cases[] = {
      {"udp:\n  max_payload: 100\n", 2, "udp.max_payload",
       "must be between 512 and 65535, got 100"},
      {"metrics:\n  listen: localhost:9253\n", 2, "metrics.listen", "localhost"},
      {"metrics:\n  listen: [127.0.0.1]\n", 2, "metrics.listen", "got a list"},
      {"metrics:\n  port: 9253\n", 2, "metrics.port", "unknown key"},
      {"udp:\n  max_payload: 65536\n", 2, "udp.max_payload", "must be between 512 and 65535"},
      {"udp:\n  max_payload: 99999999999999999999999\n", 2, "udp.max_payload",
       "must be between 512 and 65535, got 99999999999999999999999"},
      {"udp:\n  max_payload: big\n", 2, "udp.max_payload",
       "expected an integer 512..65535, got 'big'"},
      {"udp:\n  max_payload: 1232.5\n", 2, "udp.max_payload", "expected an integer"},
      {"udp:\n  max_payload: 0x4d0\n", 2, "udp.max_payload", "expected an integer"},
      {"udp:\n  max_payload: +1232\n", 2, "udp.max_payload", "expected an integer"},
      {"udp:\n  max_payload: [1232]\n", 2, "udp.max_payload", "got a list"},
      {"udp:\n  max_payload:\n", 2, "udp.max_payload", "needs a value"},
      {"udp:\n  spread: source\n", 2, "udp.spread", "got 'source'"},
      {"udp:\n  spread: [name]\n", 2, "udp.spread", "got a list"},
      {"udp: 5\n", 1, "udp", "expected a map of max_payload, spread, got '5'"},
      {"\nudp: [1]\n", 2, "udp", "expected a map"},
      {"tcp:\n  idle_timeout_ms: 99\n", 2, "tcp.idle_timeout_ms", "between 100 and 3600000"},
      {"tcp:\n  idle_timeout_ms: 3600001\n", 2, "tcp.idle_timeout_ms", "got 3600001"},
      {"tcp:\n  max_connections: 0\n", 2, "tcp.max_connections", "between 1 and 1000000"},
      {"tcp:\n  max_connections: 1000001\n", 2, "tcp.max_connections", "got 1000001"},
      {"tcp:\n  max_connections: -1\n", 2, "tcp.max_connections", "got -1"},
      {"tcp:\n  max_connections: {a: 1}\n", 2, "tcp.max_connections", "got a map"},
      {"tcp:\n  query_timeout_ms: 0\n", 2, "tcp.query_timeout_ms", "between 100 and 3600000"},
      {"tcp:\n  query_timeout_ms: 3600001\n", 2, "tcp.query_timeout_ms", "got 3600001"},
      {"tcp:\n  query_timeout_ms: 2s\n", 2, "tcp.query_timeout_ms", "expected an integer"},
      {"tcp:\n  max_connections_per_source: -1\n", 2, "tcp.max_connections_per_source",
       "between 0 and 1000000, got -1"},
      {"tcp:\n  max_connections_per_source: 1000001\n", 2, "tcp.max_connections_per_source",
       "got 1000001"},
      {"tcp:\n  max_connections_per_source: [1]\n", 2, "tcp.max_connections_per_source",
       "got a list"},
      {"tcp:\n  max_queued_bytes: 1023\n", 2, "tcp.max_queued_bytes", "between 1024 and 16777216"},
      {"tcp:\n  max_queued_bytes: 16777217\n", 2, "tcp.max_queued_bytes", "got 16777217"},
      {"tcp:\n  max_queued_bytes: 64k\n", 2, "tcp.max_queued_bytes", "expected an integer"},
      {"workers: 0\n", 1, "workers", "must be between 1 and 256, got 0"},
      {"workers: 257\n", 1, "workers", "got 257"},
      {"writer_nice: 1\n", 1, "writer_nice", "must be between -20 and 0, got 1"},
      {"writer_nice: -21\n", 1, "writer_nice", "got -21"},
      {"workers: many\n", 1, "workers", "expected 'auto' or an integer 1..256, got 'many'"},
      {"workers: Auto\n", 1, "workers", "expected 'auto'"},
      {"log_level: verbose\n", 1, "log_level",
       "expected one of error, warning, info, debug, got 'verbose'"},
      {"log_level: INFO\n", 1, "log_level", "got 'INFO'"},
      {"store: ''\n", 1, "store", "must not be empty"},
      {"store: [a, b]\n", 1, "store", "expected a string, got a list"},
      {"cache:\n  names_mb: -1\n", 2, "cache.names_mb", "got -1"},
      {"cache:\n  blocks_mb: 0\n", 2, "cache.blocks_mb", "must be between 1 and 1048576, got 0"},
      {"cache:\n  names_mb: lots\n", 2, "cache.names_mb", "got 'lots'"},
      {"cache: 64\n", 1, "cache", "expected a map"},
      {"store:\nworkers: 1\n", 1, "store", "needs a value"},  // not line 2, where yaml-cpp marks it
      {"version: {a: 1}\n", 1, "version", "expected a string, got a map"},
      {"version: " + std::string(256, 'v') + "\n", 1, "version", "longer than 255 bytes"},
      // zones
      {"zones:\n  - file: a.db\n", 2, "zones[0].origin", "missing; it is required"},
      {"zones:\n  - origin: e164.arpa.\n  - wildcards: rfc4592\n", 3, "zones[1].origin", "missing"},
      {"zones:\n  - origin: e164.arpa.\n  - origin: E164.ARPA\n", 3, "zones[1].origin",
       "duplicate zone origin 'E164.ARPA.' (also zones[0])"},
      {"zones:\n  - origin: e164..arpa\n", 2, "zones[0].origin", "'e164..arpa' has an empty label"},
      {"zones:\n  - origin: .e164.arpa\n", 2, "zones[0].origin", "has an empty label"},
      {"zones:\n  - origin: 'e164 arpa'\n", 2, "zones[0].origin", "has the character ' '"},
      {"zones:\n  - origin: 'e164\\.arpa'\n", 2, "zones[0].origin", "has the character '\\'"},
      {"zones:\n  - origin: " + long_label + ".arpa.\n", 2, "zones[0].origin",
       "longer than 63 characters"},
      {"zones:\n  - origin: " + label63 + "." + label63 + "." + label63 + "." + label63 + ".\n", 2,
       "zones[0].origin", "longer than 255 octets"},
      {"zones:\n  - origin: ''\n", 2, "zones[0].origin", "is empty"},
      {"zones:\n  - origin:\n", 2, "zones[0].origin", "needs a value"},
      {"zones:\n  - origin: e164.arpa.\n    wildcards: bind\n", 3, "zones[0].wildcards",
       "expected one of rfc4592, longest-match, got 'bind'"},
      {"zones:\n  - origin: e164.arpa.\n    file: ''\n", 3, "zones[0].file", "must not be empty"},
      {"zones:\n  - e164.arpa.\n", 2, "zones[0]",
       "expected a map of origin, file, wildcards, reload, serial, journal, update, transfer, "
       "notify, catalog, primaries, transfer_in, got 'e164.arpa.'"},
      {"zones:\n  - ~\n", 2, "zones[0]", "got nothing"},
      {"zones: e164.arpa.\n", 1, "zones", "expected a list of zones, got 'e164.arpa.'"},
      {"zones: {origin: e164.arpa.}\n", 1, "zones", "got a map"},
      // listen
      {"listen: []\n", 1, "listen", "needs at least one address"},
      {"listen: 127.0.0.1:53\n", 1, "listen", "expected a list of addresses, got '127.0.0.1:53'"},
      {"listen:\n  - 127.0.0.1:53\n  - localhost:53\n", 3, "listen[1]",
       "listen address 'localhost:53': 'localhost' is not a numeric IPv4 or IPv6 address"},
      {"listen: ['127.0.0.1:65536']\n", 1, "listen[0]", "port '65536' is not a number 0..65535"},
      {"listen:\n  - 127.0.0.1:5300\n  - 127.0.0.1:5300\n", 3, "listen[1]",
       "duplicate address 127.0.0.1:5300 (also listen[0])"},
      {"listen:\n  - '[::1]:53'\n  - '[0:0::1]:53'\n", 3, "listen[1]",
       "duplicate address [::1]:53 (also listen[0])"},
      {"listen:\n  - ::1\n  - address: '[::1]:53'\n    udp: false\n", 3, "listen[1]",
       "duplicate address [::1]:53"},
      {"listen:\n  - address: 127.0.0.1:53\n    udp: false\n    tcp: false\n", 2, "listen[0]",
       "serves neither udp nor tcp"},
      {"listen:\n  - udp: true\n", 2, "listen[0].address", "missing; it is required"},
      {"listen:\n  - address: 127.0.0.1:53\n    udp: maybe\n", 3, "listen[0].udp",
       "expected true or false, got 'maybe'"},
      {"listen:\n  - address: nope\n", 2, "listen[0].address", "'nope' is not a numeric"},
      {"listen:\n  - [1, 2]\n", 2, "listen[0]",
       "expected an address or a map of address, udp, tcp, got a list"},
  };
  for (const BadCase& c : cases) CheckBad(c);
}

TEST_CASE("config: unknown and repeated keys are errors at every level") {
  const BadCase cases[] = {
      {"listne: []\n", 1, "listne",
       "unknown key (expected one of: listen, workers, store, cache, udp, notify, tcp, log_level, "
       "version, store_reads, transfers_out, writer_nice, zones, keys, control, rate_limit, "
       "dnstap, "
       "metrics)"},
      {"workers: 2\nWorkers: 3\n", 2, "Workers", "unknown key"},
      {"udp:\n  max_paylod: 1232\n", 2, "udp.max_paylod",
       "unknown key (expected one of: max_payload, spread)"},
      {"tcp:\n  max_connections: 5\n  idle_timeout: 5\n", 3, "tcp.idle_timeout", "unknown key"},
      {"zones:\n  - origin: e164.arpa.\n    fiel: x.db\n", 3, "zones[0].fiel",
       "unknown key (expected one of: origin, file, wildcards, reload, serial, journal, update, "
       "transfer, notify, catalog, primaries, transfer_in)"},
      {"listen:\n  - address: 127.0.0.1:53\n    proto: udp\n", 3, "listen[0].proto",
       "unknown key (expected one of: address, udp, tcp)"},
      {"udp.max_payload: 1232\n", 1, "udp.max_payload", "unknown key"},  // no dotted shortcuts
      {"listen[].address: 127.0.0.1\n", 1, "listen[].address", "unknown key"},
      {"workers: 1\nworkers: 2\n", 2, "workers", "given twice"},
      {"udp:\n  max_payload: 1232\n  max_payload: 1400\n", 3, "udp.max_payload", "given twice"},
      {"zones:\n  - origin: a.\n    origin: b.\n", 3, "zones[0].origin", "given twice"},
      {"? [a, b]\n: 1\n", 1, "", "keys must be plain words"},
  };
  for (const BadCase& c : cases) CheckBad(c);
}

TEST_CASE("config: malformed YAML and a wrong top level are errors with a line") {
  const BadCase cases[] = {
      {"listen: [\"127.0.0.1:53\"\nworkers: 2\n", 2, "", "invalid YAML: "},
      {"udp:\n\tmax_payload: 1232\n", 2, "", "invalid YAML: "},
      {"workers: 1\n  store: x\n", 2, "", "invalid YAML: illegal map value"},
      {"workers: 1\nstore: *nowhere\n", 2, "", "invalid YAML: "},
      {"zones:\n  - origin: e164.arpa.\n - origin: x\n", 3, "", "invalid YAML: "},
      {"- listen\n- workers\n", 1, "", "the top level must be a map of keys"},
      {"just some text\n", 1, "", "the top level must be a map of keys"},
      {"workers: 1\n---\nworkers: 2\n", 3, "", "more than one YAML document"},
      {"workers: 1\n...\nworkers: 2\n", 3, "", "more than one YAML document"},
      {"workers: 1\n---\n,\n", 3, "", "more than one YAML document"},
  };
  for (const BadCase& c : cases) CheckBad(c);
}

// yaml-cpp's LoadAll() never returns on these (jbeder/yaml-cpp#1040): the
// stray ',' becomes an endless run of empty documents. The second is the
// input on which config_fuzz ran out of memory; the first is it minimized
// (tests/fuzz/corpus/config/stray-comma.yaml).
TEST_CASE("config: a stray ',' outside [] or {} is an error, not a hang") {
  const BadCase cases[] = {
      {",", 1, "", "invalid YAML: unexpected token at column 1"},
      {",isten: [{address: \"[::1]:253\", udp: false}]\nzones:\n  - origin: ae\n", 1, "",
       "invalid YAML: unexpected token at column 1"},
      {"\xEF\xBB\xBF,\n", 1, "", "invalid YAML: unexpected token"},
      {"# comment\n\n  ,\n", 3, "", "invalid YAML: unexpected token at column 3"},
      {"{workers: 2},\n", 1, "", "invalid YAML: unexpected token at column 13"},
      {"{workers: 2}\n,\n", 2, "", "invalid YAML: unexpected token at column 1"},
      {"--- ,\n", 1, "", "invalid YAML: unexpected token at column 5"},
      {"&a ,\n", 1, "", "invalid YAML: unexpected token"},
  };
  for (const BadCase& c : cases) CheckBad(c);
  // Document markers around a single document still load.
  CHECK(Load("---\nworkers: 2\n...\n").workers == 2);
  CHECK(Load("workers: 3\n...\n").workers == 3);
  CHECK(Load("---\n").zones.empty());
  CHECK(Load("").zones.empty());
}

TEST_CASE("LoadConfigFile: reads a file, resolves zone files next to it, reports its name") {
  TempDir dir;
  const std::string path = dir.Write("enumd.yaml",
                                     "listen: ['127.0.0.1:5300']\nzones:\n  - origin: e164.arpa.\n"
                                     "    file: zones/e164.arpa.db\n");
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->listen[0].port == 5300);
  CHECK(r->zones[0].file == (dir.path / "zones/e164.arpa.db").string());

  const std::string bad = dir.Write("bad.yaml", "workers: 1\nudp:\n  max_payload: 10\n");
  Result<Config> e = LoadConfigFile(bad);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().message() ==
        bad + ":3: key 'udp.max_payload': must be between 512 and 65535, got 10");

  Result<Config> missing = LoadConfigFile((dir.path / "absent.yaml").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("absent.yaml: cannot open: ") != std::string::npos);

  Result<Config> directory = LoadConfigFile(dir.path.string());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().message().rfind(dir.path.string() + ": cannot ", 0) == 0);
}

TEST_CASE("ParseListenAddress: numeric addresses with or without a port") {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  const Case cases[] = {
      {"127.0.0.1:5300", "127.0.0.1", 5300},
      {"[::1]:5300", "::1", 5300},
      {"0.0.0.0", "0.0.0.0", 53},
      {"::1", "::1", 53},
      {"[::]:53", "::", 53},
      {"[::1]", "::1", 53},
      {"::", "::", 53},
      {"2001:db8::53", "2001:db8::53", 53},
      {"[2001:DB8:0:0::53]:853", "2001:db8::53", 853},  // canonical form
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1", 53},
      {"192.0.2.1:0", "192.0.2.1", 0},
      {"192.0.2.1:65535", "192.0.2.1", 65535},
  };
  for (const Case& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    Result<ListenAddress> r = ParseListenAddress(c.text);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->host == c.host);
    CHECK(r->port == c.port);
    CHECK(r->udp);
    CHECK(r->tcp);
  }
}

TEST_CASE("ParseListenAddress: rejects host names, bad ports and garbage, naming the text") {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"", "is empty"},
      {"localhost:53", "'localhost' is not a numeric IPv4 or IPv6 address (host names are not"},
      {"localhost", "'localhost' is not a numeric"},
      {"ns1.example.net:53", "is not a numeric"},
      {"127.0.0.1:65536", "port '65536' is not a number 0..65535"},
      {"127.0.0.1:99999999999999999999", "is not a number 0..65535"},
      {"127.0.0.1:abc", "port 'abc'"},
      {"127.0.0.1:-1", "port '-1'"},
      {"127.0.0.1:+53", "port '+53'"},
      {"127.0.0.1: 53", "port ' 53'"},
      {"127.0.0.1:53 ", "port '53 '"},
      {"127.0.0.1:", "the port is empty"},
      {"[::1]:", "the port is empty"},
      {":53", "has no address"},
      {"[]:53", "has no address"},
      {"[::1", "has '[' without ']'"},
      {"[::1]53", "expected ':port' after ']'"},
      {"[::1]]:53", "expected ':port' after ']'"},
      {"[127.0.0.1]:53", "'127.0.0.1' in brackets is not an IPv6 address"},
      {"256.0.0.1:53", "'256.0.0.1' is not a numeric"},
      {"1.2.3:53", "'1.2.3' is not a numeric"},
      {"1.2.3.4.5", "is not a numeric"},
      {" 127.0.0.1", "is not a numeric"},
      {"::1:53:x", "is not a numeric"},
      {"fe80::1%eth0", "scoped addresses (%...) are not supported"},
      {"garbage", "is not a numeric"},
  };
  for (const Case& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    Result<ListenAddress> r = ParseListenAddress(c.text);
    REQUIRE_FALSE(r.ok());
    const std::string& msg = r.status().message();
    CHECK_MESSAGE(msg.rfind("listen address '" + text + "': ", 0) == 0, msg);
    CHECK_MESSAGE(msg.find(c.reason) != std::string::npos, msg);
  }
}

TEST_CASE("SchemaReference: documents every key with its default") {
  const std::string ref = SchemaReference();
  for (const char* key : {"listen:", "listen[].address:", "listen[].udp:", "listen[].tcp:",
                          "workers:", "store:", "udp:", "udp.max_payload:", "tcp:",
                          "tcp.idle_timeout_ms:", "tcp.max_connections:", "log_level:", "version:",
                          "zones:", "zones[].origin:", "zones[].file:", "zones[].wildcards:"}) {
    CAPTURE(key);
    const bool listed =
        ref.rfind(key, 0) == 0 || ref.find(std::string("\n") + key) != std::string::npos;
    CHECK(listed);
  }
  CHECK(ref.find("udp.max_payload: an integer 512..65535, default 1232\n") != std::string::npos);
  CHECK(ref.find("zones[].origin: a domain name, required\n") != std::string::npos);
  CHECK(ref.find("\ntcp.query_timeout_ms: an integer 100..3600000, default 2000\n") !=
        std::string::npos);
  CHECK(ref.find("\ntcp.max_connections_per_source: an integer 0..1000000, default 0\n") !=
        std::string::npos);
  CHECK(ref.find("\ntcp.max_queued_bytes: an integer 1024..16777216, default 65536\n") !=
        std::string::npos);
}

TEST_CASE("config: rate_limit is off by default; the schema's defaults match the struct's") {
  const RateLimitConfig plain;
  for (const char* yaml : {"", "rate_limit:\n", "rate_limit: {}\n"}) {
    const std::string shown = yaml;
    CAPTURE(shown);
    const RateLimitConfig r = Load(yaml).rate_limit;
    CHECK_FALSE(r.enabled);
    CHECK(r.enabled == plain.enabled);
    CHECK(r.responses_per_second == plain.responses_per_second);
    CHECK(r.nxdomains_per_second == plain.nxdomains_per_second);
    CHECK(r.errors_per_second == plain.errors_per_second);
    CHECK(r.window == plain.window);
    CHECK(r.slip == plain.slip);
    CHECK(r.ipv4_prefix_length == plain.ipv4_prefix_length);
    CHECK(r.ipv6_prefix_length == plain.ipv6_prefix_length);
    CHECK(r.exempt.empty());
    CHECK(r.table_size == plain.table_size);
    CHECK(r.log_only == plain.log_only);
  }
  const std::string ref = SchemaReference();
  for (const char* key :
       {"rate_limit:", "rate_limit.enabled:", "rate_limit.responses_per_second:",
        "rate_limit.nxdomains_per_second:", "rate_limit.errors_per_second:", "rate_limit.window:",
        "rate_limit.slip:", "rate_limit.ipv4_prefix_length:", "rate_limit.ipv6_prefix_length:",
        "rate_limit.exempt:", "rate_limit.table_size:", "rate_limit.log_only:"}) {
    CAPTURE(key);
    CHECK(ref.find(std::string("\n") + key) != std::string::npos);
  }
  CHECK(ref.find("rate_limit.enabled: true or false, default false\n") != std::string::npos);
}

TEST_CASE("config: rate_limit keys load") {
  const Config c = Load(R"(
rate_limit:
  enabled: true
  responses_per_second: 5
  nxdomains_per_second: 3
  errors_per_second: 1000
  window: 3600
  slip: 0
  ipv4_prefix_length: 32
  ipv6_prefix_length: 0
  exempt: ["192.0.2.0/24", "2001:DB8::/32", 198.51.100.7, "::1", "0.0.0.0/0", "10.0.0.0/8"]
  table_size: 1024
  log_only: yes
)");
  const RateLimitConfig& r = c.rate_limit;
  CHECK(r.enabled);
  CHECK(r.responses_per_second == 5);
  CHECK(r.nxdomains_per_second == 3);
  CHECK(r.errors_per_second == 1000);
  CHECK(r.window == 3600);
  CHECK(r.slip == 0);
  CHECK(r.ipv4_prefix_length == 32);
  CHECK(r.ipv6_prefix_length == 0);
  CHECK(r.table_size == 1024);
  CHECK(r.log_only);
  REQUIRE(r.exempt.size() == 6);
  CHECK(r.exempt[0].text == "192.0.2.0/24");
  CHECK_FALSE(r.exempt[0].v6);
  CHECK(r.exempt[0].length == 24);
  CHECK(r.exempt[0].addr[0] == 192);
  CHECK(r.exempt[0].addr[2] == 2);
  CHECK(r.exempt[1].text == "2001:db8::/32");
  CHECK(r.exempt[1].v6);
  CHECK(r.exempt[1].addr[1] == 0x01);
  CHECK(r.exempt[2].text == "198.51.100.7/32");
  CHECK(r.exempt[3].text == "::1/128");
  CHECK(r.exempt[4].text == "0.0.0.0/0");
  CHECK(r.exempt[5].length == 8);
  CHECK(Load("rate_limit:\n  nxdomains_per_second: auto\n").rate_limit.nxdomains_per_second == 0);
  CHECK(Load("rate_limit:\n  exempt:\n").rate_limit.exempt.empty());
  CHECK(Load("rate_limit:\n  slip: 10\n").rate_limit.slip == 10);
}

TEST_CASE("config: bad rate_limit values and prefixes name the key and the line") {
  const BadCase cases[] = {
      {"rate_limit:\n  enabled: maybe\n", 2, "rate_limit.enabled", "expected true or false"},
      {"rate_limit:\n  responses_per_second: 0\n", 2, "rate_limit.responses_per_second",
       "must be between 1 and 1000, got 0"},
      {"rate_limit:\n  responses_per_second: 1001\n", 2, "rate_limit.responses_per_second",
       "got 1001"},
      {"rate_limit:\n  responses_per_second: 5.5\n", 2, "rate_limit.responses_per_second",
       "expected an integer"},
      {"rate_limit:\n  nxdomains_per_second: 0\n", 2, "rate_limit.nxdomains_per_second",
       "between 1 and 1000"},
      {"rate_limit:\n  errors_per_second: lots\n", 2, "rate_limit.errors_per_second",
       "expected 'auto' or an integer 1..1000, got 'lots'"},
      {"rate_limit:\n  window: 0\n", 2, "rate_limit.window", "between 1 and 3600"},
      {"rate_limit:\n  window: 3601\n", 2, "rate_limit.window", "got 3601"},
      {"rate_limit:\n  slip: 11\n", 2, "rate_limit.slip", "between 0 and 10, got 11"},
      {"rate_limit:\n  slip: -1\n", 2, "rate_limit.slip", "got -1"},
      {"rate_limit:\n  ipv4_prefix_length: 33\n", 2, "rate_limit.ipv4_prefix_length",
       "between 0 and 32"},
      {"rate_limit:\n  ipv6_prefix_length: 129\n", 2, "rate_limit.ipv6_prefix_length",
       "between 0 and 128"},
      {"rate_limit:\n  table_size: 1023\n", 2, "rate_limit.table_size",
       "between 1024 and 16777216"},
      {"rate_limit:\n  table_size: 99999999999999999999\n", 2, "rate_limit.table_size",
       "between 1024 and 16777216"},
      {"rate_limit:\n  log_only: [true]\n", 2, "rate_limit.log_only", "got a list"},
      {"rate_limit:\n  rate: 5\n", 2, "rate_limit.rate", "unknown key (expected one of: enabled,"},
      {"rate_limit: true\n", 1, "rate_limit", "expected a map of enabled, responses_per_second"},
      // exempt: a list of prefixes, each checked, the element named
      {"rate_limit:\n  exempt: 192.0.2.0/24\n", 2, "rate_limit.exempt",
       "expected a list of address prefixes, got '192.0.2.0/24'"},
      {"rate_limit:\n  exempt: {a: 1}\n", 2, "rate_limit.exempt", "got a map"},
      {"rate_limit:\n  exempt:\n    - 192.0.2.0/24\n    - 10.1.2.3/8\n", 4, "rate_limit.exempt[1]",
       "prefix '10.1.2.3/8': has bits set past /8"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/33\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number 0..32"},
      {"rate_limit:\n  exempt: [\"2001:db8::/129\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number 0..128"},
      {"rate_limit:\n  exempt: [\"2001:db8::1/64\"]\n", 2, "rate_limit.exempt[0]",
       "has bits set past /64"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/-1\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/24/8\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/ 24\"]\n", 2, "rate_limit.exempt[0]",
       "the length must be a number"},
      {"rate_limit:\n  exempt: [\"192.0.2.0/99999999999999999999999\"]\n", 2,
       "rate_limit.exempt[0]", "the length must be a number"},
      {"rate_limit:\n  exempt: [example.com/24]\n", 2, "rate_limit.exempt[0]",
       "'example.com' is not a numeric IPv4 or IPv6 address"},
      {"rate_limit:\n  exempt: [\"192.0.2/24\"]\n", 2, "rate_limit.exempt[0]", "is not a numeric"},
      {"rate_limit:\n  exempt: [\"[::1]/128\"]\n", 2, "rate_limit.exempt[0]", "is not a numeric"},
      {"rate_limit:\n  exempt: [\"fe80::1%eth0/128\"]\n", 2, "rate_limit.exempt[0]",
       "is not a numeric"},
      {"rate_limit:\n  exempt: [\"\"]\n", 2, "rate_limit.exempt[0]", "is not a numeric"},
      {"rate_limit:\n  exempt: [[192.0.2.0/24]]\n", 2, "rate_limit.exempt[0]",
       "expected an address prefix, got a list"},
      {"rate_limit:\n  exempt: [~]\n", 2, "rate_limit.exempt[0]", "got nothing"},
  };
  for (const BadCase& c : cases) CheckBad(c);
  CHECK(ParseCidr("10.0.0.0/8").ok());
  CHECK_FALSE(ParseCidr("10.0.0.0\n/8").ok());
  CHECK_FALSE(ParseCidr(std::string("10.0.0.0\0/8", 11)).ok());
}

}  // namespace enumd::config

namespace enumd::config {
namespace {

TEST_CASE("config: updates, journal, serial policy, keys and the control socket (issue 19)") {
  Config c = Load(
      "keys: [update.key, /etc/enumd/other.key]\n"
      "control: {socket: /run/enumd/ctl.sock}\n"
      "zones:\n"
      "  - origin: e164.arpa\n"
      "    serial: dateserial\n"
      "    journal: {max_entries: 50, max_mb: 2}\n"
      "    update:\n"
      "      keys: [k1, k2.]\n"
      "      allow: [192.0.2.0/24]\n"
      "      policy:\n"
      "        - grant k1 subdomain 1.6.e164.arpa NAPTR TXT\n"
      "        - deny k2 name 9.9.e164.arpa. ANY\n"
      "        - grant k2 zonesub NAPTR\n"
      "  - origin: example.net.\n",
      "/etc/enumd/enumd.yaml");
  REQUIRE(c.key_files.size() == 2);
  CHECK(c.key_files[0] == "/etc/enumd/update.key");
  CHECK(c.control_socket == "/run/enumd/ctl.sock");
  const ZoneConfig& z = c.zones[0];
  CHECK(z.serial == SerialPolicy::kDateSerial);
  CHECK(z.journal_max_entries == 50);
  CHECK(z.journal_max_bytes == 2u << 20);
  CHECK(z.update.keys == std::vector<std::string>{"k1.", "k2."});
  REQUIRE(z.update.allow.size() == 1);
  CHECK(z.update.policy.size() == 3);
  const ZoneConfig& d = c.zones[1];
  CHECK(d.serial == SerialPolicy::kIncrement);
  CHECK(d.journal_max_entries == 10000);
  CHECK(d.update.keys.empty());
  CHECK(d.update.policy.empty());

  auto rule = ParseUpdateRule("grant k1 subdomain 1.6.e164.arpa NAPTR TXT");
  REQUIRE(rule.ok());
  CHECK(*rule ==
        std::vector<std::string>{"grant", "k1.", "subdomain", "1.6.e164.arpa.", "NAPTR", "TXT"});
  // No types: BIND's default (every type but SOA, NS, RRSIG, NSEC, NSEC3).
  CHECK(ParseUpdateRule("grant k1 zonesub").ok());
  CHECK(ParseUpdateRule("grant k1 name x.example.").ok());
  for (const char* bad : {"allow k1 zonesub ANY", "grant k1 everywhere ANY", "grant k1 name",
                          "grant k1 wildcard x.example. A", "grant k1 zonesub A/B"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseUpdateRule(bad).ok());
  }
  CheckBad({"zones:\n  - origin: x.\n    update:\n      policy: [\"grant k1 somewhere ANY\"]\n", 4,
            "zones[0].update.policy[0]", "unknown match"});
  CheckBad(
      {"zones:\n  - origin: x.\n    serial: weekly\n", 3, "zones[0].serial", "expected one of"});
}

TEST_CASE("config: zone transfers out and NOTIFY targets (issue 20)") {
  Config c = Load(
      "zones:\n"
      "  - origin: e164.arpa\n"
      "    transfer:\n"
      "      keys: [xfr]\n"
      "      allow: [192.0.2.0/24, \"2001:db8::/32\"]\n"
      "    notify: [192.0.2.1, \"192.0.2.2:5300\", \"[2001:db8::1]:53 key xfr\"]\n"
      "  - origin: example.net.\n",
      "/etc/enumd/enumd.yaml");
  const ZoneConfig& z = c.zones[0];
  CHECK(z.transfer.keys == std::vector<std::string>{"xfr."});
  REQUIRE(z.transfer.allow.size() == 2);
  CHECK(z.transfer.allow[1].v6);
  REQUIRE(z.notify.size() == 3);
  CHECK(z.notify[0].host == "192.0.2.1");
  CHECK(z.notify[0].port == 53);
  CHECK(z.notify[1].port == 5300);
  CHECK(z.notify[2].host == "2001:db8::1");
  CHECK(z.notify[0].key.empty());
  CHECK(z.notify[2].key == "xfr.");
  // Nobody by default.
  CHECK(c.zones[1].transfer.keys.empty());
  CHECK(c.zones[1].transfer.allow.empty());
  CHECK(c.zones[1].notify.empty());
  CheckBad({"zones:\n  - origin: x.\n    notify: [\"secondary.example\"]\n", 3,
            "zones[0].notify[0]", "secondary.example"});
  CheckBad({"zones:\n  - origin: x.\n    notify: [\"192.0.2.1 xfr\"]\n", 3, "zones[0].notify[0]",
            "expected ADDRESS[:PORT] [key NAME]"});
  CheckBad({"zones:\n  - origin: x.\n    notify: [\"192.0.2.1 key\"]\n", 3, "zones[0].notify[0]",
            "expected ADDRESS[:PORT] [key NAME]"});
  CheckBad({"zones:\n  - origin: x.\n    transfer:\n      allow: [10.0.0.0/33]\n", 4,
            "zones[0].transfer.allow[0]", "0..32"});
}

TEST_CASE("config: a generated catalog zone (RFC 9432) has no file and takes no updates") {
  Config c = Load(
      "zones:\n"
      "  - origin: e164.arpa.\n"
      "  - origin: catalog.enumd.\n"
      "    catalog: generate\n"
      "    transfer: {allow: [192.0.2.0/24]}\n",
      "/etc/enumd/enumd.yaml");
  CHECK_FALSE(c.zones[0].catalog_generate);
  CHECK(c.zones[1].catalog_generate);
  CheckBad({"zones:\n  - origin: c.\n    catalog: generate\n    file: c.db\n", 4, "zones[0].file",
            "no file"});
  CheckBad({"zones:\n  - origin: c.\n    catalog: generate\n    update: {allow: [10.0.0.1]}\n", 4,
            "zones[0].update", "no updates"});
  CheckBad({"zones:\n  - origin: c.\n    catalog: consume\n", 3, "zones[0].catalog",
            "expected one of none, generate"});
}

TEST_CASE("config: a secondary zone's primaries and transfer bounds (issue 20)") {
  Config c = Load(
      "zones:\n"
      "  - origin: e164.arpa\n"
      "    primaries:\n"
      "      - {address: 127.0.0.1, port: 5300, key: xfr}\n"
      "      - {address: \"[2001:db8::1]:5301\"}\n"
      "      - address: 192.0.2.1\n"
      "    transfer_in: {timeout: 5, max_mb: 2}\n"
      "    notify: [192.0.2.9]\n"
      "  - origin: example.net.\n",
      "/etc/enumd/enumd.yaml");
  const ZoneConfig& z = c.zones[0];
  CHECK(z.secondary());
  REQUIRE(z.primaries.size() == 3);
  CHECK(z.primaries[0].host == "127.0.0.1");
  CHECK(z.primaries[0].port == 5300);
  CHECK(z.primaries[0].key == "xfr.");
  CHECK(z.primaries[1].host == "2001:db8::1");
  CHECK(z.primaries[1].port == 5301);
  CHECK(z.primaries[1].key.empty());
  CHECK(z.primaries[2].port == 53);
  CHECK(z.transfer_in_timeout_s == 5);
  CHECK(z.transfer_in_max_bytes == 2u << 20);
  CHECK_FALSE(c.zones[1].secondary());
  CHECK(c.zones[1].transfer_in_timeout_s == ZoneConfig().transfer_in_timeout_s);
  CHECK(c.zones[1].transfer_in_max_bytes == ZoneConfig().transfer_in_max_bytes);
  // An explicit port wins over the one in the address, whatever the order.
  Config d = Load("zones:\n  - origin: x.\n    primaries: [{port: 1, address: \"10.0.0.1:2\"}]\n",
                  "/etc/enumd/enumd.yaml");
  CHECK(d.zones[0].primaries[0].port == 1);

  const BadCase cases[] = {
      {"zones:\n  - origin: x.\n    file: x.db\n    primaries: [{address: 10.0.0.1}]\n", 3,
       "zones[0].file", "a zone with primaries takes no file"},
      {"zones:\n  - origin: x.\n    primaries: [{address: 10.0.0.1}]\n    update:\n"
       "      keys: [k]\n",
       5, "zones[0].update", "takes no updates"},
      {"zones:\n  - origin: x.\n    primaries: [{port: 53}]\n", 3, "zones[0].primaries[0].address",
       "missing; it is required"},
      {"zones:\n  - origin: x.\n    primaries: [{address: primary.example}]\n", 3,
       "zones[0].primaries[0].address", "not a numeric IPv4 or IPv6 address"},
      {"zones:\n  - origin: x.\n    primaries: [{address: 10.0.0.1, port: 0}]\n", 3,
       "zones[0].primaries[0].port", "between 1 and 65535"},
      {"zones:\n  - origin: x.\n    primaries: [{address: 10.0.0.1, kye: k}]\n", 3,
       "zones[0].primaries[0].kye", "unknown key (expected one of: address, port, key)"},
      {"zones:\n  - origin: x.\n    primaries: [10.0.0.1]\n", 3, "zones[0].primaries[0]",
       "expected a map of address, port, key"},
      {"zones:\n  - origin: x.\n    primaries:\n      - {address: 10.0.0.1}\n"
       "      - {address: \"10.0.0.1:53\"}\n",
       5, "zones[0].primaries[1]", "duplicate primary 10.0.0.1 port 53"},
      {"zones:\n  - origin: x.\n    transfer_in: {timeout: 0}\n", 3, "zones[0].transfer_in.timeout",
       "between 1 and 86400"},
  };
  for (const BadCase& bad : cases) CheckBad(bad);
  CheckBad({"zones:\n  - origin: c.\n    catalog: generate\n    primaries: [{address: 10.0.0.1}]\n",
            4, "zones[0].primaries",
            "a generated catalog zone (catalog: generate) has no primaries"});
}

}  // namespace
}  // namespace enumd::config
