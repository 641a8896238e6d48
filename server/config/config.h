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

// An address prefix ("192.0.2.0/24", "2001:db8::/32"; a bare address is a
// /32 or /128). addr in network byte order, IPv4 in addr[0..3].
struct Cidr {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint8_t length = 0;
  std::string text;  // canonical form, for logs
};

enum class SerialPolicy { kIncrement, kUnixTime, kDateSerial };

// Who may UPDATE a zone (RFC 2136): see zone/update_policy.h.
struct UpdateConfig {
  std::vector<std::string> keys;  // TSIG key names (absolute), from Config::key_files
  std::vector<Cidr> allow;        // prefixes allowed to send unsigned updates
  // BIND update-policy rules, one per string:
  //   "grant|deny KEY zonesub TYPE..."   or   "grant|deny KEY subdomain|name|wildcard NAME TYPE..."
  // checked for form here; types are resolved by the daemon.
  std::vector<std::string> policy;
};

// Who may transfer a zone (AXFR/IXFR out): requests signed by one of `keys`
// or from an address in `allow`; nobody when both are empty.
struct TransferConfig {
  std::vector<std::string> keys;  // TSIG key names (absolute), from Config::key_files
  std::vector<Cidr> allow;
};

// A secondary sent NOTIFY, signed with TSIG key `key` (absolute name) when
// not empty ("192.0.2.53:5300 key xfr-key" in the file).
struct NotifyTarget : ListenAddress {
  std::string key;
};

// A primary a secondary zone is transferred from (zones[].primaries).
struct PrimaryConfig {
  std::string host;  // numeric IPv4 or IPv6 address
  uint16_t port = 53;
  std::string key;  // TSIG key name (absolute) from Config::key_files; "" = unsigned
};

struct ZoneConfig {
  std::string origin;  // absolute, with trailing dot
  std::string file;    // optional zone file; imported when missing/newer
  WildcardMode wildcards = WildcardMode::kRfc4592;
  SerialPolicy serial = SerialPolicy::kIncrement;  // how changes move the SOA serial
  uint64_t journal_max_entries = 10000;            // 0: no bound
  uint64_t journal_max_bytes = uint64_t{64} << 20;
  // A changed file: only its difference written (journaled, ixfr-from-
  // differences), or the zone replaced whole.
  bool reload_difference = true;
  UpdateConfig update;
  TransferConfig transfer;
  std::vector<NotifyTarget> notify;  // secondaries told of each new serial (RFC 1996)
  // A catalog zone (RFC 9432) that enumd writes itself, listing every other
  // configured zone; it has no file and takes no updates.
  bool catalog_generate = false;
  // Non-empty: a secondary zone, transferred from these (tried in order);
  // it then has no file and takes no updates.
  std::vector<PrimaryConfig> primaries;
  uint32_t transfer_in_timeout_s = 300;                // one transfer in, start to end
  uint64_t transfer_in_max_bytes = uint64_t{1} << 30;  // one transfer in, in wire bytes
  bool secondary() const { return !primaries.empty(); }
};

// dnstap query logging (daemon/dnstap.h): off unless `file` or `socket`.
struct DnstapConfig {
  std::string file;       // a file it writes (replaced at start)
  std::string socket;     // a Unix socket a collector listens on (fstrm_capture, ...)
  uint32_t sample = 1;    // one query in `sample` is logged
  bool queries = true;    // AUTH_QUERY messages
  bool responses = true;  // AUTH_RESPONSE messages
  std::string identity;   // "" = the host name
  bool enabled() const { return !file.empty() || !socket.empty(); }
};

// Response rate limiting (UDP only), BIND's rate-limit semantics; see
// query/rrl.h and the schema docs in config.cc.
struct RateLimitConfig {
  bool enabled = false;
  uint32_t responses_per_second = 10;
  uint32_t nxdomains_per_second = 0;  // 0 ("auto") = responses_per_second
  uint32_t errors_per_second = 0;     // 0 ("auto") = responses_per_second
  uint32_t window = 15;               // seconds
  uint32_t slip = 2;
  uint32_t ipv4_prefix_length = 24;
  uint32_t ipv6_prefix_length = 56;
  std::vector<Cidr> exempt;
  uint32_t table_size = 65536;  // entries
  bool log_only = false;
};

struct Config {
  std::vector<ListenAddress> listen;  // default: 127.0.0.1:53 and [::1]:53
  int workers = 0;                    // 0 = one per core ("auto")
  std::string store = "/var/lib/enumd";
  uint32_t cache_names_mb = 256;  // store::NodeCache, split between workers; 0 = none
  // cache.names_mb: auto (cache_names_mb 256 until the zones are loaded, if they fit).
  bool cache_names_auto = true;
  uint32_t cache_blocks_mb = 64;  // RocksDB block cache, shared
  // store_reads: auto (mmap while the tables fit in a quarter of the memory
  // enumd may use, see daemon.cc), mmap, pread.
  enum class StoreReads { kAuto, kMmap, kPread };
  StoreReads store_reads = StoreReads::kAuto;
  uint16_t udp_max_payload = 1232;  // cap for EDNS answers, 512..65535
  bool udp_spread_by_name = true;   // udp.spread: name (true) | flow
  uint32_t notify_retries = 5;      // NOTIFY out (RFC 1996), see zones[].notify
  uint32_t notify_retry_interval_ms = 15000;
  uint32_t notify_rate = 20;    // per second
  uint32_t transfers_out = 10;  // zone transfers streamed at once (BIND's transfers-out)
  int writer_nice = -10;        // the writer thread's nice value while its load is light
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_query_timeout_ms = 2000;
  uint32_t tcp_max_connections = 1024;
  // Per IPv4 address or IPv6 /64; 0 = no cap.
  uint32_t tcp_max_connections_per_source = 0;
  // Unsent answer bytes before a connection stops reading.
  uint32_t tcp_max_queued_bytes = 65536;
  std::string log_level = "info";  // error | warning | info | debug
  std::string version_string;      // CH TXT version.bind / id.server; empty = REFUSED
  std::vector<ZoneConfig> zones;
  RateLimitConfig rate_limit;
  // BIND key files (tsig-keygen) whose keys zones[].update.keys name.
  std::vector<std::string> key_files;
  // control.socket: the Unix socket enumctl reaches a running enumd through;
  // "" = <store>/enumd.sock.
  std::string control_socket;
  // metrics.listen: the HTTP address of /metrics (Prometheus); absent: none.
  bool metrics_enabled = false;
  ListenAddress metrics_listen;
  DnstapConfig dnstap;
};

// Loads a YAML file. Errors read "FILE:LINE: key 'x': reason".
Result<Config> LoadConfigFile(const std::string& path);
// Same from a string (tests, fuzzing); `name` stands in for the file name.
Result<Config> LoadConfigString(const std::string& yaml, const std::string& name = "<config>");

// Parses "127.0.0.1:5300", "[::1]:5300", "0.0.0.0" (port 53), "::1" (bare
// IPv6 without port). Errors name the text.
Result<ListenAddress> ParseListenAddress(const std::string& text);
// A zones[].notify entry: a listen address, then optionally "key NAME".
Result<NotifyTarget> ParseNotifyTarget(const std::string& text);

// Checks one update-policy rule string (see UpdateConfig::policy); returns
// its words (grant|deny, key, match, [name], types...) or the reason.
Result<std::vector<std::string>> ParseUpdateRule(const std::string& text);

// Parses "ADDRESS/LENGTH" or a bare address (numeric IPv4 or IPv6). Errors
// name the text: not an address, a length out of range, or bits set past the
// length ("10.1.2.3/8": BIND's "address/prefix length mismatch").
Result<Cidr> ParseCidr(const std::string& text);

// The keys whose values differ between `running` and `wanted` among those a
// running server cannot change (listen, workers, store, caches, udp.*, tcp.*,
// rate_limit, version, metrics): a reload applies zones and log_level, and names
// these as taking effect at the next restart.
std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& wanted);

// Every key in schema order with its type, range, default and meaning
// ("udp.max_payload: an integer 512..65535, default 1232" and a doc line);
// for `enumd --help-config` and the docs.
std::string SchemaReference();

}  // namespace enumd::config
