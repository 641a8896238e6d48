// The YAML configuration. kSchema below is the one place that lists every key
// with its type, default, range and meaning; a small walker checks a yaml-cpp
// document against it and fills Config.
// Invariants:
//  - a key is accepted only if it has a row, at every level (list elements too);
//  - defaults are YAML text applied through the same checks as user input, so
//    the table, not the struct initializers, decides them (a test keeps the two
//    in step);
//  - an empty section ("udp:" with nothing under it) means the same as an
//    absent one;
//  - YAML::Exception never leaves this file; every error reads
//    "FILE:LINE: key 'udp.max_payload': reason" with a 1-based line;
//  - YAML::LoadAll() is not used: see ScanDocuments().
#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace enumd::config {
namespace {

enum class Kind {
  kMap,         // a section: its keys are the rows whose path continues "<path>."
  kListenList,  // list of address strings or "listen[]." maps; min = fewest entries
  kZoneList,    // list of "zones[]." maps
  kPrimaries,   // list of "zones[].primaries[]." maps
  kString,      // any scalar; min..max bound its length
  kPath,        // kString; a relative path is taken from the config file's directory
  kInt,         // decimal integer in min..max
  kIntOrAuto,   // "auto" (stored as 0) or a kInt
  kBool,        // true/false (yaml-cpp also reads yes/no and on/off)
  kChoice,      // one of the '|'-separated words in `choices`
  kDomain,      // domain name in presentation form; a trailing dot is added
  kAddress,     // as ParseListenAddress()
  kCidrList,    // list of prefixes, each as ParseCidr()
  kStringList,  // list of scalars (kPath rules when `min` is 1: relative to the config file)
};

// A checked leaf value on its way into the structs.
struct Value {
  int64_t number = 0;
  bool flag = false;
  std::string text;
  ListenAddress address;
  std::vector<Cidr> cidrs;
  std::vector<std::string> texts;
};

// Where values land: `config` always; `zone` or `listen` while inside a list element.
struct Target {
  Config* config = nullptr;
  ZoneConfig* zone = nullptr;
  ListenAddress* listen = nullptr;
  PrimaryConfig* primary = nullptr;
  bool primary_port_given = false;  // inside a primaries[] element: `port` was set
};

struct Key {
  std::string_view path;  // dotted from the root; "[]" stands for each list element
  Kind kind;
  std::string_view default_yaml;  // applied when the key is absent; empty = left as is
  int64_t min;
  int64_t max;
  std::string_view choices;  // kChoice only
  bool required;
  std::string_view doc;
  void (*set)(Target&, const Value&);  // leaves only; sections and lists fill in place
};

// clang-format off
constexpr Key kSchema[] = {
  // path, kind, default, min, max, choices, required, doc, setter
  {"listen", Kind::kListenList, R"(["127.0.0.1:53", "[::1]:53"])", 1, 0, {}, false,
   "Where to serve: \"IPv4:port\", \"[IPv6]:port\", or a bare address (port 53); or a map "
   "{address, udp, tcp}. Numeric addresses only. Port 0 lets the kernel pick (tests).",
   nullptr},
  {"listen[].address", Kind::kAddress, {}, 0, 0, {}, true,
   "The address, written as in the string form.",
   [](Target& t, const Value& v) {
     t.listen->host = v.address.host;
     t.listen->port = v.address.port;
   }},
  {"listen[].udp", Kind::kBool, "true", 0, 0, {}, false,
   "Serve DNS over UDP on this address.",
   [](Target& t, const Value& v) { t.listen->udp = v.flag; }},
  {"listen[].tcp", Kind::kBool, "true", 0, 0, {}, false,
   "Serve DNS over TCP on this address (RFC 7766).",
   [](Target& t, const Value& v) { t.listen->tcp = v.flag; }},
  {"workers", Kind::kIntOrAuto, "auto", 1, 256, {}, false,
   "Workers, each a thread per UDP listen address and a libuv loop thread for TCP; "
   "\"auto\" = one per CPU core.",
   [](Target& t, const Value& v) { t.config->workers = static_cast<int>(v.number); }},
  {"store", Kind::kString, "/var/lib/enumd", 1, 4096, {}, false,
   "RocksDB directory holding every zone.",
   [](Target& t, const Value& v) { t.config->store = v.text; }},
  {"cache", Kind::kMap, "{}", 0, 0, {}, false, "Memory for answering from the store.", nullptr},
  {"cache.names_mb", Kind::kIntOrAuto, "auto", 0, 1048576, {}, false,
   "Memory for the names workers have answered (their records, and names that do not "
   "exist), so a repeated name costs a hash probe instead of a RocksDB read; 7/8 of it is "
   "split evenly between the UDP threads, 1/8 between the TCP loops (all of it if no "
   "address serves UDP), each caching the names it answers. A changed name is dropped "
   "from it, a replaced zone version all of its names. About 170 bytes a name with its "
   "index: 256 holds some 1.5 million names over all workers. 0: none. auto: when the "
   "zones (their tables, times the UDP addresses, and times the workers with "
   "udp.spread: flow) fit in a quarter of the memory enumd may use, every name of every "
   "zone is loaded into the UDP threads' caches in the background after start and after "
   "each new zone version (answers come from the store meanwhile), each thread holding "
   "the names the kernel sends it, and store_reads auto reads the tables with pread; "
   "else 256. Decided at start; the log says which.",
   [](Target& t, const Value& v) {
     t.config->cache_names_auto = v.text == "auto";
     t.config->cache_names_mb = t.config->cache_names_auto ? 256 : static_cast<uint32_t>(v.number);
   }},
  {"cache.blocks_mb", Kind::kInt, "64", 1, 1048576, {}, false,
   "RocksDB's block cache, shared by all workers: decompressed blocks of the store.",
   [](Target& t, const Value& v) {
     t.config->cache_blocks_mb = static_cast<uint32_t>(v.number);
   }},
  {"udp", Kind::kMap, "{}", 0, 0, {}, false, "UDP settings.", nullptr},
  {"udp.max_payload", Kind::kInt, "1232", 512, 65535, {}, false,
   "Largest UDP answer in bytes; caps the client's EDNS buffer size (RFC 6891 §6.2.5). "
   "1232 avoids IP fragmentation (DNS Flag Day 2020).",
   [](Target& t, const Value& v) { t.config->udp_max_payload = static_cast<uint16_t>(v.number); }},
  {"udp.spread", Kind::kChoice, "name", 0, 0, "name|flow", false,
   "How the kernel hands UDP queries to the workers (with more than one). name: by a hash "
   "of the first bytes of the query name (a BPF program on the sockets), so every worker "
   "gets an even share even from a few clients with fixed ports (SIP proxies), and each "
   "name is always answered by the same worker, whose cache then holds only its share of "
   "the names. flow: by the kernel's hash of the client's address and port, as Knot DNS "
   "and NSD do; pick it if one name takes more queries than one worker can answer.",
   [](Target& t, const Value& v) { t.config->udp_spread_by_name = v.text == "name"; }},
  {"notify", Kind::kMap, "{}", 0, 0, {}, false,
   "How NOTIFY messages (RFC 1996) go to the secondaries listed in zones[].notify.", nullptr},
  {"notify.retries", Kind::kInt, "5", 0, 100, {}, false,
   "Times a NOTIFY is sent again when a secondary does not answer (BIND: 5).",
   [](Target& t, const Value& v) { t.config->notify_retries = static_cast<uint32_t>(v.number); }},
  {"notify.retry_interval_ms", Kind::kInt, "15000", 10, 3600000, {}, false,
   "Wait for an answer this long before sending a NOTIFY again (BIND: 15 s).",
   [](Target& t, const Value& v) {
     t.config->notify_retry_interval_ms = static_cast<uint32_t>(v.number);
   }},
  {"notify.rate", Kind::kInt, "20", 1, 100000, {}, false,
   "Most NOTIFY messages sent per second, over all zones (BIND's notify-rate: 20).",
   [](Target& t, const Value& v) { t.config->notify_rate = static_cast<uint32_t>(v.number); }},
  {"tcp", Kind::kMap, "{}", 0, 0, {}, false, "TCP settings.", nullptr},
  {"tcp.idle_timeout_ms", Kind::kInt, "10000", 100, 3600000, {}, false,
   "Close a TCP connection after this long without reading or writing a byte (RFC 7766 "
   "§6.2.3); a client that stops reading its answers is reset then.",
   [](Target& t, const Value& v) {
     t.config->tcp_idle_timeout_ms = static_cast<uint32_t>(v.number);
   }},
  {"tcp.query_timeout_ms", Kind::kInt, "2000", 100, 3600000, {}, false,
   "Close a TCP connection whose query is not complete this long after its first byte, "
   "however slowly it keeps arriving (slowloris).",
   [](Target& t, const Value& v) {
     t.config->tcp_query_timeout_ms = static_cast<uint32_t>(v.number);
   }},
  {"tcp.max_connections", Kind::kInt, "1024", 1, 1000000, {}, false,
   "Most TCP connections served at once, over all workers. At the cap a new connection "
   "takes the place of the oldest idle one (no query arriving, no answer pending), which "
   "is closed; with none idle on its worker, the new one is closed.",
   [](Target& t, const Value& v) {
     t.config->tcp_max_connections = static_cast<uint32_t>(v.number);
   }},
  {"tcp.max_connections_per_source", Kind::kInt, "0", 0, 1000000, {}, false,
   "Most TCP connections from one source at once, over all workers: an IPv4 address, or "
   "an IPv6 /64 (one site or one host's privacy addresses). Over it new connections from "
   "that source are closed. 0: no per-source cap.",
   [](Target& t, const Value& v) {
     t.config->tcp_max_connections_per_source = static_cast<uint32_t>(v.number);
   }},
  {"tcp.max_queued_bytes", Kind::kInt, "65536", 1024, 16777216, {}, false,
   "Answer bytes a TCP connection may have waiting for the client to read before the "
   "server stops reading its queries (one answer may go up to 64 KiB over).",
   [](Target& t, const Value& v) {
     t.config->tcp_max_queued_bytes = static_cast<uint32_t>(v.number);
   }},
  {"log_level", Kind::kChoice, "info", 0, 0, "error|warning|info|debug", false,
   "Least severe message written to the log.",
   [](Target& t, const Value& v) { t.config->log_level = v.text; }},
  {"version", Kind::kString, {}, 0, 255, {}, false,
   "Text answered for CH TXT version.bind and id.server (one TXT string, so at most 255 "
   "bytes); absent: those queries get REFUSED.",
   [](Target& t, const Value& v) { t.config->version_string = v.text; }},
  {"store_reads", Kind::kChoice, "auto", 0, 0, "auto|mmap|pread", false,
   "How the store's table files are read. mmap: a query that misses the caches parses the "
   "block where the kernel's page cache holds it (fastest on traffic spread over many "
   "numbers), but every table page it touched counts in enumd's RSS, and so in the OOM "
   "killer's choice. pread: blocks are copied into the block cache (cache.blocks_mb); the "
   "page cache still holds the tables, outside enumd's RSS (about 3 us more CPU per query "
   "that misses the caches). auto: pread while the node caches hold every name "
   "(cache.names_mb auto); else mmap while the tables fit in a quarter of the memory "
   "enumd may use (RAM, or a lower cgroup limit: v2 memory.max, v1 memory.limit_in_bytes), "
   "pread above; the tables are those on "
   "disk at start, or the zone files to import when they are bigger. With mmap, a disk that "
   "fails under a mapped table stops enumd (SIGBUS) where pread gives a read error answered "
   "SERVFAIL. Taken at start; the log says which was chosen.",
   [](Target& t, const Value& v) {
     t.config->store_reads = v.text == "mmap"    ? Config::StoreReads::kMmap
                             : v.text == "pread" ? Config::StoreReads::kPread
                                                 : Config::StoreReads::kAuto;
   }},
  {"transfers_out", Kind::kInt, "10", 1, 100000, {}, false,
   "Most zone transfers (AXFR, IXFR with differences or the whole zone) sent at once, over "
   "all zones and secondaries (BIND's transfers-out). Over it a request is answered SERVFAIL "
   "and logged; the secondary retries later. Taken at a reload.",
   [](Target& t, const Value& v) { t.config->transfers_out = static_cast<uint32_t>(v.number); }},
  {"writer_nice", Kind::kInt, "-10", -20, 0, {}, false,
   "Nice value asked for by the thread that applies updates (and reloads and transfers in) "
   "while it uses under a quarter of a CPU: an update then runs as soon as it arrives instead "
   "of waiting up to a scheduler tick (4-10 ms) behind a busy query thread on its core. Above "
   "that quarter, and during reloads and transfers, the thread runs at the process's own "
   "priority, so a flood of updates shares the core with queries as an equal. Lowering a nice "
   "value needs CAP_SYS_NICE or RLIMIT_NICE (root, systemd LimitNICE=); without, the log says "
   "so once. 0: never. Taken at start.",
   [](Target& t, const Value& v) { t.config->writer_nice = static_cast<int>(v.number); }},
  {"zones", Kind::kZoneList, "[]", 0, 0, {}, false,
   "Zones served; names outside every zone get REFUSED.",
   nullptr},
  {"zones[].origin", Kind::kDomain, {}, 0, 0, {}, true,
   "Zone apex, e.g. e164.arpa. (a missing trailing dot is added). Unique, ignoring case.",
   [](Target& t, const Value& v) { t.zone->origin = v.text; }},
  {"zones[].file", Kind::kPath, {}, 1, 4096, {}, false,
   "BIND zone file imported when the store lacks the zone or the file is newer; a relative "
   "path is taken from the config file's directory. Not with primaries (a secondary zone is "
   "what its primary sends).",
   [](Target& t, const Value& v) { t.zone->file = v.text; }},
  {"zones[].wildcards", Kind::kChoice, "rfc4592", 0, 0, "rfc4592|longest-match", false,
   "rfc4592: a wildcard answers only from the closest encloser (RFC 4592 §3.3.1). "
   "longest-match: the deepest wildcard above the name answers, as number-prefix routing "
   "expects.",
   [](Target& t, const Value& v) {
     t.zone->wildcards = v.text == "rfc4592" ? WildcardMode::kRfc4592 : WildcardMode::kLongestMatch;
   }},
  {"zones[].reload", Kind::kChoice, "difference", 0, 0, "difference|whole", false,
   "How a changed zone file is taken (at start, SIGHUP, enumctl import): difference writes "
   "only the names that changed, in place, as one journaled change (BIND's and Knot's "
   "ixfr-from-differences; caches keep the other names); whole replaces the zone with a new "
   "version and journal. A difference of over 100000 names is taken whole; a changed zone "
   "whose serial did not increase is refused (the served version stays), as BIND and Knot do.",
   [](Target& t, const Value& v) { t.zone->reload_difference = v.text == "difference"; }},
  {"zones[].serial", Kind::kChoice, "increment", 0, 0, "increment|unixtime|dateserial", false,
   "How an update moves the SOA serial when it does not set it (BIND's serial-update-method; "
   "RFC 1982 arithmetic): +1, the current Unix time, or YYYYMMDDnn; never backwards.",
   [](Target& t, const Value& v) {
     t.zone->serial = v.text == "unixtime"     ? SerialPolicy::kUnixTime
                      : v.text == "dateserial" ? SerialPolicy::kDateSerial
                                               : SerialPolicy::kIncrement;
   }},
  {"zones[].journal", Kind::kMap, "{}", 0, 0, {}, false,
   "The zone's change journal (IXFR's source): each update's removed and added records. A "
   "zone replaced whole (see reload) starts a new one.",
   nullptr},
  {"zones[].journal.max_entries", Kind::kInt, "10000", 0, 100000000, {}, false,
   "Changes kept; the oldest go first. 0: no bound.",
   [](Target& t, const Value& v) { t.zone->journal_max_entries = static_cast<uint64_t>(v.number); }},
  {"zones[].journal.max_mb", Kind::kInt, "64", 0, 1048576, {}, false,
   "MiB of journal kept; the oldest changes go first. 0: no bound.",
   [](Target& t, const Value& v) { t.zone->journal_max_bytes = static_cast<uint64_t>(v.number) << 20; }},
  {"zones[].update", Kind::kMap, "{}", 0, 0, {}, false,
   "Dynamic updates (RFC 2136, nsupdate) of this zone; none unless keys, allow or policy "
   "say who may.",
   nullptr},
  {"zones[].update.keys", Kind::kStringList, "[]", 0, 0, {}, false,
   "Names of TSIG keys (from the files under keys) that may change anything in the zone "
   "(BIND allow-update { key K; }).",
   [](Target& t, const Value& v) {
     t.zone->update.keys.clear();
     for (const std::string& k : v.texts) t.zone->update.keys.push_back(k);
   }},
  {"zones[].update.allow", Kind::kCidrList, "[]", 0, 0, {}, false,
   "Address prefixes that may send unsigned updates (BIND allow-update with addresses). "
   "Anyone who can forge such an address can change the zone: prefer keys.",
   [](Target& t, const Value& v) { t.zone->update.allow = v.cidrs; }},
  {"zones[].update.policy", Kind::kStringList, "[]", 0, 0, {}, false,
   "BIND update-policy rules, first match wins, no match refuses: \"grant KEY zonesub "
   "TYPE...\", \"grant KEY subdomain NAME TYPE...\", \"deny KEY name NAME ANY\", "
   "\"grant KEY wildcard *.NAME NAPTR\". As in BIND, ANY covers every type (SOA and NS "
   "too) and no types every type but SOA, NS, RRSIG, NSEC and NSEC3.",
   [](Target& t, const Value& v) { t.zone->update.policy = v.texts; }},
  {"zones[].transfer", Kind::kMap, "{}", 0, 0, {}, false,
   "Zone transfers out (AXFR, IXFR) to secondaries; nobody may transfer the zone unless keys "
   "or allow say who (BIND allow-transfer). A longest-match zone is sent as its RFC 4592 "
   "equivalent (enumctl export --longest-match).",
   nullptr},
  {"zones[].transfer.keys", Kind::kStringList, "[]", 0, 0, {}, false,
   "Names of TSIG keys (from the files under keys) whose signed requests may transfer the "
   "zone; every message of the answer is signed.",
   [](Target& t, const Value& v) { t.zone->transfer.keys = v.texts; }},
  {"zones[].transfer.allow", Kind::kCidrList, "[]", 0, 0, {}, false,
   "Address prefixes that may transfer the zone, signed or not (either a key or an address "
   "admits a request, as in a BIND ACL).",
   [](Target& t, const Value& v) { t.zone->transfer.allow = v.cidrs; }},
  {"zones[].notify", Kind::kStringList, "[]", 0, 0, {}, false,
   "Secondaries sent a NOTIFY (RFC 1996) whenever the zone's serial changes: \"192.0.2.1\", "
   "\"192.0.2.1:5300\", \"[2001:db8::1]:53\" (port 53 if none); \"192.0.2.1 key xfr-key\" "
   "signs it with that TSIG key (from the files under keys) and wants the answer signed, for "
   "secondaries that take NOTIFY only with a key (BIND's also-notify ... key, Knot's acl with "
   "a key).",
   [](Target& t, const Value& v) {
     t.zone->notify.clear();
     for (const std::string& a : v.texts) t.zone->notify.push_back(*ParseNotifyTarget(a));
   }},
  {"zones[].catalog", Kind::kChoice, "none", 0, 0, "none|generate", false,
   "generate: the zone is a catalog zone (RFC 9432, version 2) that enumd writes itself: its "
   "SOA and NS, version \"2\", and one PTR per other configured zone, rewritten (serial + 1, "
   "journaled, NOTIFY sent) whenever the zones served change. BIND's catalog-zones and Knot's "
   "catalog-role: interpret secondaries then add and drop those zones themselves (each "
   "member's own transfer settings still say who may transfer it). No file, no update.",
   [](Target& t, const Value& v) { t.zone->catalog_generate = v.text == "generate"; }},
  {"zones[].primaries", Kind::kPrimaries, "[]", 0, 0, {}, false,
   "Makes the zone a secondary (RFC 1034 §4.3.5): enumd transfers it from these primaries "
   "(IXFR, RFC 1995, from the serial it holds; AXFR, RFC 5936, when it holds none or the "
   "primary answers with the whole zone), tried in order, follows the SOA's refresh, retry "
   "and expire, and checks at once on a NOTIFY from one of them. Each: {address, port, key}. "
   "A secondary zone keeps what it transferred in the store (across restarts, without a new "
   "transfer), has no file, and answers UPDATEs REFUSED (as BIND without update forwarding).",
   nullptr},
  {"zones[].primaries[].address", Kind::kAddress, {}, 0, 0, {}, true,
   "The primary's numeric address: \"192.0.2.1\", \"192.0.2.1:5300\", \"[2001:db8::1]:53\".",
   [](Target& t, const Value& v) {
     t.primary->host = v.address.host;
     if (!t.primary_port_given) t.primary->port = v.address.port;
   }},
  {"zones[].primaries[].port", Kind::kInt, {}, 1, 65535, {}, false,
   "The primary's port (default 53, or the one in address).",
   [](Target& t, const Value& v) { t.primary->port = static_cast<uint16_t>(v.number); }},
  {"zones[].primaries[].key", Kind::kString, {}, 1, 255, {}, false,
   "Name of a TSIG key (from the files under keys) that signs the SOA queries, transfers "
   "and NOTIFYs between enumd and this primary; every message the primary sends must verify "
   "with it (RFC 8945 §5.3.1). Absent: unsigned.",
   [](Target& t, const Value& v) {
     t.primary->key = v.text.back() == '.' ? v.text : v.text + ".";
   }},
  {"zones[].transfer_in", Kind::kMap, "{}", 0, 0, {}, false,
   "Bounds on one transfer into a secondary zone. A transfer is held (in wire form) until it "
   "is whole and checked; the served version stays until then.",
   nullptr},
  {"zones[].transfer_in.timeout", Kind::kInt, "300", 1, 86400, {}, false,
   "Seconds one transfer may take from connect to its last message (BIND's "
   "max-transfer-time-in is 120 minutes); past it the transfer is abandoned and retried.",
   [](Target& t, const Value& v) {
     t.zone->transfer_in_timeout_s = static_cast<uint32_t>(v.number);
   }},
  {"zones[].transfer_in.max_mb", Kind::kInt, "1024", 1, 1048576, {}, false,
   "MiB of messages one transfer may bring; a larger one is abandoned (logged) and retried.",
   [](Target& t, const Value& v) {
     t.zone->transfer_in_max_bytes = static_cast<uint64_t>(v.number) << 20;
   }},
  {"keys", Kind::kStringList, "[]", 1, 0, {}, false,
   "BIND key files (as tsig-keygen writes them) holding the TSIG keys that zones[].update, "
   "zones[].transfer and zones[].primaries name; a relative path is taken from the config "
   "file's directory.",
   [](Target& t, const Value& v) { t.config->key_files = v.texts; }},
  {"control", Kind::kMap, "{}", 0, 0, {}, false,
   "How enumctl reaches a running enumd (add, del, apply, import while it serves).",
   nullptr},
  {"control.socket", Kind::kPath, {}, 1, 4096, {}, false,
   "The Unix socket; absent: enumd.sock in the store's directory. Whoever may open it may "
   "change every zone: it is made mode 0660.",
   [](Target& t, const Value& v) { t.config->control_socket = v.text; }},
  {"rate_limit", Kind::kMap, "{}", 0, 0, {}, false,
   "Response rate limiting of UDP answers, as BIND's rate-limit and Knot's mod-rrl: per "
   "client prefix, per kind of answer and per name, a credit of N responses a second; over "
   "it answers are dropped, or slipped (sent truncated so real clients retry over TCP). "
   "TCP answers are never limited. Off by default; see README \"Response rate limiting\".",
   nullptr},
  {"rate_limit.enabled", Kind::kBool, "false", 0, 0, {}, false,
   "Limit UDP responses (the other rate_limit keys are checked either way).",
   [](Target& t, const Value& v) { t.config->rate_limit.enabled = v.flag; }},
  {"rate_limit.responses_per_second", Kind::kInt, "10", 1, 1000, {}, false,
   "Identical answers (same qname, type and class), empty answers (same qname) and "
   "referrals (same cut) a client prefix gets a second (BIND responses-per-second).",
   [](Target& t, const Value& v) {
     t.config->rate_limit.responses_per_second = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.nxdomains_per_second", Kind::kIntOrAuto, "auto", 1, 1000, {}, false,
   "NXDOMAIN answers a client prefix gets a second for any names in one zone (BIND "
   "nxdomains-per-second); auto = responses_per_second.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.nxdomains_per_second = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.errors_per_second", Kind::kIntOrAuto, "auto", 1, 1000, {}, false,
   "REFUSED, FORMERR, SERVFAIL and other error answers a client prefix gets a second, "
   "all names together (BIND errors-per-second); auto = responses_per_second.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.errors_per_second = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.window", Kind::kInt, "15", 1, 3600, {}, false,
   "Seconds over which rates are averaged (BIND window): a prefix's debt can grow to "
   "window x rate, so a client that flooded is answered again only about this long after "
   "it stops.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.window = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.slip", Kind::kInt, "2", 0, 10, {}, false,
   "Every slip-th limited answer, the first included, is sent truncated (TC=1, question "
   "only) instead of dropped; 0 drops all, 1 truncates all.",
   [](Target& t, const Value& v) { t.config->rate_limit.slip = static_cast<uint32_t>(v.number); }},
  {"rate_limit.ipv4_prefix_length", Kind::kInt, "24", 0, 32, {}, false,
   "IPv4 clients are counted together per prefix of this length.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.ipv4_prefix_length = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.ipv6_prefix_length", Kind::kInt, "56", 0, 128, {}, false,
   "IPv6 clients are counted together per prefix of this length.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.ipv6_prefix_length = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.exempt", Kind::kCidrList, "[]", 0, 0, {}, false,
   "Client prefixes never limited, e.g. [\"192.0.2.0/24\", \"2001:db8::/32\"] (BIND "
   "exempt-clients, Knot whitelist). A bare address is one host; bits past the length "
   "are an error.",
   [](Target& t, const Value& v) { t.config->rate_limit.exempt = v.cidrs; }},
  {"rate_limit.table_size", Kind::kInt, "65536", 1024, 16777216, {}, false,
   "Accounts kept, in a table allocated at start (about 18 bytes each) and shared by all "
   "workers; when it is full the least recently used account of a slot is replaced. Size "
   "it above the answers a second the server sends to distinct (prefix, name) pairs.",
   [](Target& t, const Value& v) {
     t.config->rate_limit.table_size = static_cast<uint32_t>(v.number);
   }},
  {"rate_limit.log_only", Kind::kBool, "false", 0, 0, {}, false,
   "Count and log what would be dropped or slipped, but send every answer (a dry run).",
   [](Target& t, const Value& v) { t.config->rate_limit.log_only = v.flag; }},
  {"dnstap", Kind::kMap, "{}", 0, 0, {}, false,
   "Query logging in dnstap (fstrm frames of protobuf messages, as BIND, Knot and NSD "
   "write; read with `dnstap-ldns -r FILE`): to a file or a collector's Unix socket. Off "
   "unless file or socket is set. The query threads hand messages to a writer thread "
   "without waiting; what does not fit its queues is dropped and counted.",
   nullptr},
  {"dnstap.file", Kind::kPath, {}, 1, 4096, {}, false,
   "The file written (replaced at each start); not with socket.",
   [](Target& t, const Value& v) { t.config->dnstap.file = v.text; }},
  {"dnstap.socket", Kind::kPath, {}, 1, 4096, {}, false,
   "The Unix socket of a collector (fstrm_capture -u PATH); enumd reconnects when it goes "
   "away. Not with file.",
   [](Target& t, const Value& v) { t.config->dnstap.socket = v.text; }},
  {"dnstap.sample", Kind::kInt, "1", 1, 1000000, {}, false,
   "Log one query in this many (each handler thread counts its own).",
   [](Target& t, const Value& v) { t.config->dnstap.sample = static_cast<uint32_t>(v.number); }},
  {"dnstap.queries", Kind::kBool, "true", 0, 0, {}, false, "Log the queries (AUTH_QUERY).",
   [](Target& t, const Value& v) { t.config->dnstap.queries = v.flag; }},
  {"dnstap.responses", Kind::kBool, "true", 0, 0, {}, false,
   "Log the responses (AUTH_RESPONSE, with the query).",
   [](Target& t, const Value& v) { t.config->dnstap.responses = v.flag; }},
  {"dnstap.identity", Kind::kString, {}, 0, 255, {}, false,
   "The identity field of every message; absent: the host name.",
   [](Target& t, const Value& v) { t.config->dnstap.identity = v.text; }},
  {"metrics", Kind::kMap, "{}", 0, 0, {}, false,
   "Prometheus metrics over HTTP (README \"Operating enumd\"). Off by default.",
   nullptr},
  {"metrics.listen", Kind::kAddress, {}, 0, 0, {}, false,
   "Address of the HTTP endpoint serving GET /metrics in the Prometheus text format, e.g. "
   "\"127.0.0.1:9253\" or \"[::1]:9253\"; absent: no endpoint. It has no TLS and no "
   "authentication: use a loopback or management address.",
   [](Target& t, const Value& v) {
     t.config->metrics_enabled = true;
     t.config->metrics_listen = v.address;
   }},
};
// clang-format on

std::string_view Parent(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view LastPart(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// The row for key `name` directly inside the section at `section` ("" = top).
const Key* FindChild(std::string_view section, std::string_view name) {
  for (const Key& key : kSchema) {
    if (Parent(key.path) == section && LastPart(key.path) == name) return &key;
  }
  return nullptr;
}

std::string ChildNames(std::string_view section) {
  std::string names;
  for (const Key& key : kSchema) {
    if (Parent(key.path) != section) continue;
    if (!names.empty()) names += ", ";
    names += LastPart(key.path);
  }
  return names;
}

std::string ChoiceList(std::string_view choices) {
  std::string out(choices);
  for (size_t i = out.find('|'); i != std::string::npos; i = out.find('|', i))
    out.replace(i, 1, ", ");
  return out;
}

bool IsChoice(std::string_view choices, std::string_view word) {
  while (!choices.empty()) {
    const size_t bar = choices.find('|');
    if (choices.substr(0, bar) == word) return true;
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return false;
}

// What a row takes, for messages and SchemaReference().
std::string Expected(const Key& key) {
  const std::string range = std::to_string(key.min) + ".." + std::to_string(key.max);
  switch (key.kind) {
    case Kind::kMap:
      return "a map of " + ChildNames(key.path);
    case Kind::kListenList:
      return "a list of addresses";
    case Kind::kZoneList:
      return "a list of zones";
    case Kind::kPrimaries:
      return "a list of primaries";
    case Kind::kString:
      return "a string";
    case Kind::kPath:
      return "a path";
    case Kind::kInt:
      return "an integer " + range;
    case Kind::kIntOrAuto:
      return "'auto' or an integer " + range;
    case Kind::kBool:
      return "true or false";
    case Kind::kChoice:
      return "one of " + ChoiceList(key.choices);
    case Kind::kDomain:
      return "a domain name";
    case Kind::kAddress:
      return "an address";
    case Kind::kCidrList:
      return "a list of address prefixes";
    case Kind::kStringList:
      return key.min == 1 ? "a list of paths" : "a list of strings";
  }
  return "?";
}

std::string Describe(const YAML::Node& node) {
  if (node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

bool ParseInt(std::string_view text, int64_t* out, bool* overflow) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  *overflow = ec == std::errc::result_out_of_range;
  return !text.empty() && ec == std::errc() && ptr == end;
}

// Presentation-form domain name without escapes: labels of letters, digits,
// '-' and '_' (RFC 1035 §2.3.1, plus the underscore of service labels), each
// 1..63 characters, at most 255 octets in wire form (RFC 1035 §2.3.4).
// "." is the root. On success *absolute is the name with a trailing dot.
Status CheckDomain(const std::string& text, std::string* absolute) {
  auto bad = [&](const std::string& why) { return Status::Error("'" + text + "' " + why); };
  if (text.empty()) return bad("is empty");
  if (text == ".") {
    *absolute = text;
    return Status::OK();
  }
  const std::string_view body =
      text.back() == '.' ? std::string_view(text).substr(0, text.size() - 1) : text;
  size_t wire = 1;  // the root label
  size_t start = 0;
  while (true) {
    const size_t dot = body.find('.', start);
    const std::string_view label =
        body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return bad("has an empty label");
    if (label.size() > 63) return bad("has a label longer than 63 characters");
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) {
        return bad("has the character '" + std::string(1, c) +
                   "'; labels hold letters, digits, '-' and '_'");
      }
    }
    wire += label.size() + 1;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (wire > 255) return bad("is longer than 255 octets in wire form");
  *absolute = std::string(body) + ".";
  return Status::OK();
}

bool SameSocket(const ListenAddress& a, const ListenAddress& b) {
  // Port 0 asks the kernel for a fresh port each time, so it never collides.
  return a.host == b.host && a.port == b.port && a.port != 0 &&
         ((a.udp && b.udp) || (a.tcp && b.tcp));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + 32) : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string ShowAddress(const ListenAddress& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

// Where the documents of a YAML stream start, from parser events alone (no
// nodes are built).
struct DocumentStart {
  YAML::Mark start;  // the document's first token
  YAML::Mark root;   // its root node, as YAML::Node::Mark() would give it
};
class DocumentScan : public YAML::EventHandler {
 public:
  std::vector<DocumentStart> docs;

  void OnDocumentStart(const YAML::Mark& mark) override {
    docs.push_back({mark, mark});
    root_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (root_seen_ || docs.empty()) return;
    docs.back().root = mark;
    root_seen_ = true;
  }
  bool root_seen_ = false;
};

// The first `limit` documents of `yaml` (fewer if it has fewer). Throws
// YAML::Exception on malformed YAML.
//
// This replaces YAML::LoadAll(), which never returns on a stray ',' outside
// [] or {} (",", "[a],", "[a]\n,", "--- ,"): yaml-cpp 0.7 and 0.8 turn a token
// that no rule consumes into a null document and leave the token in place,
// so Parser::HandleNextDocument() reports a new empty document forever and
// LoadAll() grows its vector until memory runs out (jbeder/yaml-cpp#1040,
// fixed upstream after 0.8.0 by #1319). Here a stuck parser shows as two
// documents starting at the same token, and the loop is bounded anyway.
std::vector<DocumentStart> ScanDocuments(const std::string& yaml, size_t limit) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentScan scan;
  while (scan.docs.size() < limit && parser.HandleNextDocument(scan)) {
  }
  return std::move(scan.docs);
}

// Walks one document against kSchema. `shown` strings are key paths as the
// user sees them ("zones[1].origin"); `path` strings are table paths ("zones[].origin").
class Loader {
 public:
  Loader(std::string name, std::filesystem::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  Status Run(const std::string& yaml, Config* out) {
    try {
      // Three documents tell a stray token in the first or the second one
      // (a document that consumed nothing: the next starts at the same token)
      // from a genuine second document.
      const std::vector<DocumentStart> docs = ScanDocuments(yaml, 3);
      for (size_t i = 0; i + 1 < docs.size(); ++i) {
        if (docs[i + 1].start.pos == docs[i].start.pos) {
          return Fail(docs[i].start, "",
                      "invalid YAML: unexpected token at column " +
                          std::to_string(docs[i].start.column + 1) + " (a ',' outside [] or {}?)");
        }
      }
      if (docs.size() > 1) {
        return Fail(docs[1].root, "", "more than one YAML document; use a single one");
      }
      // The scan proved there is at most one document and that it parses.
      const YAML::Node root = docs.empty() ? YAML::Node() : YAML::Load(yaml);
      if (!root.IsNull() && !root.IsMap()) {
        return Fail(
            root.Mark(), "",
            "the top level must be a map of keys (" + ChildNames("") + "), got " + Describe(root));
      }
      Config config;
      Target target;
      target.config = &config;
      Status s = Section(root, root.Mark(), "", "", target);
      if (!s.ok()) return s;
      *out = std::move(config);
      return Status::OK();
    } catch (const YAML::Exception& e) {
      return Fail(e.mark, "", "invalid YAML: " + e.msg);
    }
  }

 private:
  Status Fail(const YAML::Mark& mark, const std::string& shown, const std::string& reason) const {
    std::string msg = name_;
    if (!mark.is_null()) msg += ":" + std::to_string(mark.line + 1);
    msg += ": ";
    if (!shown.empty()) msg += "key '" + shown + "': ";
    return Status::Error(msg + reason);
  }

  static std::string Join(const std::string& shown, std::string_view name) {
    return shown.empty() ? std::string(name) : shown + "." + std::string(name);
  }

  // A map whose keys are the rows under table path `path`; `where` locates it
  // for "missing key" errors. A null node is an empty section.
  Status Section(const YAML::Node& node, const YAML::Mark& where, std::string_view path,
                 const std::string& shown, Target t) {
    if (!node.IsNull() && !node.IsMap()) {
      return Fail(where, shown,
                  "expected a map of " + ChildNames(path) + ", got " + Describe(node));
    }
    std::vector<std::string> seen;
    if (node.IsMap()) {
      // Range-for keeps each key/value pair alive; `it->first` would refer into
      // a temporary proxy that dies at the end of the statement.
      for (const auto& pair : node) {
        const YAML::Node& k = pair.first;
        if (!k.IsScalar()) return Fail(k.Mark(), shown, "keys must be plain words");
        const std::string& name = k.Scalar();
        const std::string child = Join(shown, name);
        const Key* key = FindChild(path, name);
        if (key == nullptr) {
          return Fail(k.Mark(), child, "unknown key (expected one of: " + ChildNames(path) + ")");
        }
        for (const std::string& s : seen) {
          if (s == name) return Fail(k.Mark(), child, "given twice");
        }
        seen.push_back(name);
        Status s = Apply(*key, pair.second, k.Mark(), child, t);
        if (!s.ok()) return s;
      }
    }
    for (const Key& key : kSchema) {
      if (Parent(key.path) != path) continue;
      const std::string_view name = LastPart(key.path);
      bool given = false;
      for (const std::string& s : seen) given = given || s == name;
      if (given) continue;
      if (key.required) return Fail(where, Join(shown, name), "missing; it is required");
      if (key.default_yaml.empty()) continue;
      Status s = Apply(key, YAML::Load(std::string(key.default_yaml)), where, Join(shown, name), t);
      if (!s.ok()) return s;  // a bug in kSchema: a test loads every default
    }
    return Status::OK();
  }

  Status Apply(const Key& key, const YAML::Node& value, const YAML::Mark& key_mark,
               const std::string& shown, Target t) {
    // yaml-cpp marks an empty value at the next token, often the next line.
    const YAML::Mark where = value.IsNull() ? key_mark : value.Mark();
    switch (key.kind) {
      case Kind::kMap:
        return Section(value, where, key.path, shown, t);
      case Kind::kListenList:
        return ListenList(key, value.IsNull() ? YAML::Load(std::string(key.default_yaml)) : value,
                          where, shown, t);
      case Kind::kZoneList:
        return ZoneList(key, value.IsNull() ? YAML::Load(std::string(key.default_yaml)) : value,
                        where, shown, t);
      case Kind::kPrimaries:
        return PrimaryList(key, value.IsNull() ? YAML::Load(std::string(key.default_yaml)) : value,
                           where, shown, t);
      case Kind::kCidrList:
        return CidrList(key, value.IsNull() ? YAML::Load(std::string(key.default_yaml)) : value,
                        where, shown, t);
      case Kind::kStringList:
        return StringList(key, value.IsNull() ? YAML::Load(std::string(key.default_yaml)) : value,
                          where, shown, t);
      default:
        break;
    }
    Value v;
    Status s = Leaf(key, value, where, shown, &v);
    if (!s.ok()) return s;
    key.set(t, v);
    return Status::OK();
  }

  Status Leaf(const Key& key, const YAML::Node& node, const YAML::Mark& where,
              const std::string& shown, Value* v) const {
    if (node.IsNull()) return Fail(where, shown, "needs a value (" + Expected(key) + ")");
    if (!node.IsScalar()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(node));
    }
    const std::string& text = node.Scalar();
    const auto length = static_cast<int64_t>(text.size());
    switch (key.kind) {
      case Kind::kString:
      case Kind::kPath:
        if (length < key.min) return Fail(where, shown, "must not be empty");
        if (length > key.max) {
          return Fail(where, shown, "is longer than " + std::to_string(key.max) + " bytes");
        }
        v->text = text;
        if (key.kind == Kind::kPath && !base_dir_.empty()) {
          const std::filesystem::path p(text);
          if (p.is_relative()) v->text = (base_dir_ / p).lexically_normal().string();
        }
        return Status::OK();
      case Kind::kIntOrAuto:
        if (text == "auto") {
          v->number = 0;
          v->text = text;
          return Status::OK();
        }
        [[fallthrough]];
      case Kind::kInt: {
        bool overflow = false;
        if (!ParseInt(text, &v->number, &overflow) && !overflow) {
          return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(node));
        }
        if (overflow || v->number < key.min || v->number > key.max) {
          return Fail(where, shown,
                      "must be between " + std::to_string(key.min) + " and " +
                          std::to_string(key.max) + ", got " + text);
        }
        return Status::OK();
      }
      case Kind::kBool:
        if (!YAML::convert<bool>::decode(node, v->flag)) {
          return Fail(where, shown, "expected true or false, got " + Describe(node));
        }
        return Status::OK();
      case Kind::kChoice:
        if (!IsChoice(key.choices, text)) {
          return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(node));
        }
        v->text = text;
        return Status::OK();
      case Kind::kDomain: {
        Status s = CheckDomain(text, &v->text);
        return s.ok() ? s : Fail(where, shown, s.message());
      }
      case Kind::kAddress: {
        Result<ListenAddress> a = ParseListenAddress(text);
        if (!a.ok()) return Fail(where, shown, a.status().message());
        v->address = std::move(*a);
        return Status::OK();
      }
      default:
        return Fail(where, shown, "internal: not a leaf");
    }
  }

  Status ListenList(const Key& key, const YAML::Node& list, const YAML::Mark& where,
                    const std::string& shown, Target t) {
    if (!list.IsSequence()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(list));
    }
    if (static_cast<int64_t>(list.size()) < key.min) {
      return Fail(where, shown, "needs at least one address");
    }
    std::vector<ListenAddress> out;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string at = shown + "[" + std::to_string(i) + "]";
      ListenAddress a;
      if (e.IsScalar()) {
        Result<ListenAddress> r = ParseListenAddress(e.Scalar());
        if (!r.ok()) return Fail(e.Mark(), at, r.status().message());
        a = std::move(*r);
      } else if (e.IsMap()) {
        Target et = t;
        et.listen = &a;
        Status s = Section(e, e.Mark(), std::string(key.path) + "[]", at, et);
        if (!s.ok()) return s;
        if (!a.udp && !a.tcp) return Fail(e.Mark(), at, "serves neither udp nor tcp");
      } else {
        return Fail(
            e.Mark(), at,
            "expected an address or a map of " + ChildNames("listen[]") + ", got " + Describe(e));
      }
      for (size_t j = 0; j < out.size(); ++j) {
        if (SameSocket(out[j], a)) {
          return Fail(e.Mark(), at,
                      "duplicate address " + ShowAddress(a) + " (also " + shown + "[" +
                          std::to_string(j) + "])");
        }
      }
      out.push_back(std::move(a));
    }
    t.config->listen = std::move(out);
    return Status::OK();
  }

  Status ZoneList(const Key& key, const YAML::Node& list, const YAML::Mark& where,
                  const std::string& shown, Target t) {
    if (!list.IsSequence()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(list));
    }
    std::vector<ZoneConfig> out;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string at = shown + "[" + std::to_string(i) + "]";
      if (!e.IsMap()) {
        return Fail(e.Mark(), at,
                    "expected a map of " + ChildNames("zones[]") + ", got " + Describe(e));
      }
      ZoneConfig z;
      Target et = t;
      et.zone = &z;
      Status s = Section(e, e.Mark(), std::string(key.path) + "[]", at, et);
      if (!s.ok()) return s;
      if (z.catalog_generate) {
        const char* clash =
            !z.file.empty() ? "file"
            : !z.update.keys.empty() || !z.update.allow.empty() || !z.update.policy.empty()
                ? "update"
                : nullptr;
        if (clash)
          return Fail(e[clash].Mark(), at + "." + clash,
                      "a generated catalog zone (catalog: generate) has no " +
                          std::string(clash == std::string("file") ? "file" : "updates") +
                          ": enumd writes its records");
      }
      if (z.secondary()) {
        // A secondary's data is what its primary sends; a file or updates
        // would be a second source that the next transfer silently undoes.
        if (z.catalog_generate)
          return Fail(e["primaries"].Mark(), at + ".primaries",
                      "a generated catalog zone (catalog: generate) has no primaries: enumd "
                      "writes its records");
        if (!z.file.empty())
          return Fail(e["file"].Mark(), at + ".file",
                      "a zone with primaries takes no file: enumd keeps what it transfers in "
                      "the store (remove file, or primaries)");
        if (!z.update.keys.empty() || !z.update.allow.empty() || !z.update.policy.empty())
          return Fail(e["update"].Mark(), at + ".update",
                      "a zone with primaries takes no updates (send them to the primary)");
      }
      for (size_t j = 0; j < out.size(); ++j) {
        if (EqualsIgnoreCase(out[j].origin, z.origin)) {
          return Fail(e["origin"].Mark(), at + ".origin",
                      "duplicate zone origin '" + z.origin + "' (also " + shown + "[" +
                          std::to_string(j) + "])");
        }
      }
      out.push_back(std::move(z));
    }
    t.config->zones = std::move(out);
    return Status::OK();
  }

  Status PrimaryList(const Key& key, const YAML::Node& list, const YAML::Mark& where,
                     const std::string& shown, Target t) {
    if (!list.IsSequence()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(list));
    }
    std::vector<PrimaryConfig> out;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string at = shown + "[" + std::to_string(i) + "]";
      if (!e.IsMap()) {
        return Fail(
            e.Mark(), at,
            "expected a map of " + ChildNames("zones[].primaries[]") + ", got " + Describe(e));
      }
      PrimaryConfig p;
      Target et = t;
      et.primary = &p;
      et.primary_port_given = e["port"].IsDefined();
      Status s = Section(e, e.Mark(), std::string(key.path) + "[]", at, et);
      if (!s.ok()) return s;
      for (size_t j = 0; j < out.size(); ++j) {
        if (out[j].host == p.host && out[j].port == p.port) {
          return Fail(e.Mark(), at,
                      "duplicate primary " + p.host + " port " + std::to_string(p.port) +
                          " (also " + shown + "[" + std::to_string(j) + "])");
        }
      }
      out.push_back(std::move(p));
    }
    t.zone->primaries = std::move(out);
    return Status::OK();
  }

  Status CidrList(const Key& key, const YAML::Node& list, const YAML::Mark& where,
                  const std::string& shown, Target t) {
    if (!list.IsSequence()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(list));
    }
    Value v;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string at = shown + "[" + std::to_string(i) + "]";
      if (!e.IsScalar()) {
        return Fail(e.Mark(), at, "expected an address prefix, got " + Describe(e));
      }
      Result<Cidr> c = ParseCidr(e.Scalar());
      if (!c.ok()) return Fail(e.Mark(), at, c.status().message());
      v.cidrs.push_back(std::move(*c));
    }
    key.set(t, v);
    return Status::OK();
  }

  Status StringList(const Key& key, const YAML::Node& list, const YAML::Mark& where,
                    const std::string& shown, Target t) {
    if (!list.IsSequence()) {
      return Fail(where, shown, "expected " + Expected(key) + ", got " + Describe(list));
    }
    Value v;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string at = shown + "[" + std::to_string(i) + "]";
      if (!e.IsScalar() || e.Scalar().empty())
        return Fail(e.Mark(), at, "expected a non-empty string, got " + Describe(e));
      std::string text = e.Scalar();
      if (key.min == 1 && !base_dir_.empty()) {  // a list of paths
        const std::filesystem::path p(text);
        if (p.is_relative()) text = (base_dir_ / p).lexically_normal().string();
      }
      if (key.path == "zones[].update.policy") {
        auto rule = ParseUpdateRule(text);
        if (!rule.ok()) return Fail(e.Mark(), at, rule.status().message());
      }
      if ((key.path == "zones[].update.keys" || key.path == "zones[].transfer.keys") &&
          text.back() != '.')
        text += '.';
      if (key.path == "zones[].notify") {
        auto a = ParseNotifyTarget(text);
        if (!a.ok()) return Fail(e.Mark(), at, a.status().message());
      }
      v.texts.push_back(std::move(text));
    }
    key.set(t, v);
    return Status::OK();
  }

  std::string name_;
  std::filesystem::path base_dir_;  // for relative kPath values; empty = leave them relative
};

Result<uint16_t> ParsePort(std::string_view text) {
  if (text.empty()) return Status::Error("the port is empty");
  int64_t port = 0;
  bool overflow = false;
  const bool digits = text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits || !ParseInt(text, &port, &overflow) || port > 65535) {
    return Status::Error("port '" + std::string(text) + "' is not a number 0..65535");
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

Result<NotifyTarget> ParseNotifyTarget(const std::string& text) {
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    const size_t start = text.find_first_not_of(" \t", i);
    if (start == std::string::npos) break;
    const size_t end = std::min(text.find_first_of(" \t", start), text.size());
    words.push_back(text.substr(start, end - start));
    i = end;
  }
  if (words.size() != 1 && (words.size() != 3 || words[1] != "key"))
    return Status::Error("NOTIFY target '" + text + "': expected ADDRESS[:PORT] [key NAME]");
  auto address = ParseListenAddress(words[0]);
  if (!address.ok()) return address.status();
  NotifyTarget out;
  static_cast<ListenAddress&>(out) = *address;
  if (words.size() == 3) {
    out.key = words[2];
    if (out.key.back() != '.') out.key += '.';
  }
  return out;
}

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  auto fail = [&](const std::string& why) {
    return Status::Error("listen address '" + text + "': " + why);
  };
  if (text.empty()) return fail("is empty");
  std::string host;
  std::string_view port;
  bool has_port = false;
  bool bracketed = false;
  if (text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return fail("has '[' without ']'");
    host = text.substr(1, close - 1);
    bracketed = true;
    const std::string_view rest = std::string_view(text).substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return fail("expected ':port' after ']'");
      port = rest.substr(1);
      has_port = true;
    }
  } else if (const size_t colon = text.find(':');
             colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
    // One colon: IPv4 with a port. Two or more: a bare IPv6 address, which
    // takes no port (write "[addr]:port" for one).
    host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    has_port = true;
  } else {
    host = text;
  }
  if (host.empty()) return fail("has no address before the port");

  ListenAddress out;
  char canonical[INET6_ADDRSTRLEN];
  in_addr v4;
  in6_addr v6;
  if (!bracketed && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, canonical, sizeof(canonical));
  } else if (host.find(':') != std::string::npos && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    inet_ntop(AF_INET6, &v6, canonical, sizeof(canonical));
  } else if (host.find('%') != std::string::npos) {
    return fail("'" + host + "' has a scope id; scoped addresses (%...) are not supported");
  } else if (bracketed) {
    return fail("'" + host + "' in brackets is not an IPv6 address");
  } else {
    return fail("'" + host +
                "' is not a numeric IPv4 or IPv6 address (host names are not resolved)");
  }
  out.host = canonical;
  if (has_port) {
    Result<uint16_t> p = ParsePort(port);
    if (!p.ok()) return fail(p.status().message());
    out.port = *p;
  }
  return out;
}

Result<Cidr> ParseCidr(const std::string& text) {
  auto fail = [&](const std::string& why) {
    return Status::Error("prefix '" + text + "': " + why);
  };
  const size_t slash = text.find('/');
  const std::string host = text.substr(0, slash);
  Cidr out;
  if (host.find('\0') != std::string::npos) {
    return fail("contains a NUL byte");
  } else if (inet_pton(AF_INET, host.c_str(), out.addr) == 1) {
    out.v6 = false;
  } else if (inet_pton(AF_INET6, host.c_str(), out.addr) == 1) {
    out.v6 = true;
  } else {
    return fail("'" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  const int max = out.v6 ? 128 : 32;
  int64_t length = max;
  if (slash != std::string::npos) {
    const std::string_view digits = std::string_view(text).substr(slash + 1);
    bool overflow = false;
    if (digits.find_first_not_of("0123456789") != std::string_view::npos ||
        !ParseInt(digits, &length, &overflow) || length > max) {
      return fail("the length must be a number 0.." + std::to_string(max));
    }
  }
  out.length = static_cast<uint8_t>(length);
  for (int bit = out.length; bit < max; ++bit) {
    if (out.addr[bit / 8] & (0x80 >> (bit % 8))) {
      return fail("has bits set past /" + std::to_string(length) +
                  " (address/prefix length mismatch)");
    }
  }
  char canonical[INET6_ADDRSTRLEN];
  inet_ntop(out.v6 ? AF_INET6 : AF_INET, out.addr, canonical, sizeof(canonical));
  out.text = std::string(canonical) + "/" + std::to_string(length);
  return out;
}

Result<Config> LoadConfigString(const std::string& yaml, const std::string& name) {
  Config config;
  Status s = Loader(name, std::filesystem::path(name).parent_path()).Run(yaml, &config);
  if (!s.ok()) return s;
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Error(path + ": cannot open: " + std::strerror(errno));
  std::string yaml;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) yaml.append(buf, n);
  const int read_error = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_error != 0) return Status::Error(path + ": cannot read: " + std::strerror(read_error));

  // Relative zone files follow the config file, wherever the daemon's cwd is.
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  if (ec) base = std::filesystem::path(path).parent_path();
  Config config;
  Status s = Loader(path, base).Run(yaml, &config);
  if (!s.ok()) return s;
  return config;
}

namespace {

bool SameListen(const std::vector<ListenAddress>& a, const std::vector<ListenAddress>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].host != b[i].host || a[i].port != b[i].port || a[i].udp != b[i].udp ||
        a[i].tcp != b[i].tcp)
      return false;
  }
  return true;
}

bool SameRateLimit(const RateLimitConfig& a, const RateLimitConfig& b) {
  if (a.exempt.size() != b.exempt.size()) return false;
  for (size_t i = 0; i < a.exempt.size(); ++i) {
    if (a.exempt[i].text != b.exempt[i].text) return false;
  }
  return a.enabled == b.enabled && a.responses_per_second == b.responses_per_second &&
         a.nxdomains_per_second == b.nxdomains_per_second &&
         a.errors_per_second == b.errors_per_second && a.window == b.window && a.slip == b.slip &&
         a.ipv4_prefix_length == b.ipv4_prefix_length &&
         a.ipv6_prefix_length == b.ipv6_prefix_length && a.table_size == b.table_size &&
         a.log_only == b.log_only;
}

}  // namespace

Result<std::vector<std::string>> ParseUpdateRule(const std::string& text) {
  std::vector<std::string> w;
  std::istringstream in(text);
  for (std::string word; in >> word;) w.push_back(word);
  if (w.size() < 3 || (w[0] != "grant" && w[0] != "deny"))
    return Status::Error("expected \"grant|deny KEY MATCH [NAME] [TYPE...]\", got \"" + text +
                         "\"");
  const std::string& match = w[2];
  const bool named = match == "subdomain" || match == "name" || match == "wildcard";
  if (!named && match != "zonesub")
    return Status::Error("unknown match \"" + match +
                         "\" (expected zonesub, subdomain, name or wildcard)");
  if (named && w.size() < 4) return Status::Error("\"" + match + "\" needs a name");
  if (match == "wildcard" && w[3].rfind("*.", 0) != 0)
    return Status::Error("a wildcard rule's name starts with \"*.\", got \"" + w[3] + "\"");
  for (size_t i = named ? 4 : 3; i < w.size(); ++i) {
    for (char c : w[i])
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return Status::Error("\"" + w[i] + "\" is not a record type");
  }
  if (w[1].back() != '.') w[1] += '.';
  if (named && w[3].back() != '.') w[3] += '.';
  return w;
}

std::vector<std::string> RestartOnlyChanges(const Config& a, const Config& b) {
  std::vector<std::string> keys;
  auto check = [&](bool same, const char* key) {
    if (!same) keys.emplace_back(key);
  };
  check(SameListen(a.listen, b.listen), "listen");
  check(a.workers == b.workers, "workers");
  check(a.store == b.store, "store");
  check(a.cache_names_mb == b.cache_names_mb && a.cache_names_auto == b.cache_names_auto,
        "cache.names_mb");
  check(a.cache_blocks_mb == b.cache_blocks_mb, "cache.blocks_mb");
  check(a.store_reads == b.store_reads, "store_reads");
  check(a.udp_max_payload == b.udp_max_payload, "udp.max_payload");
  check(a.udp_spread_by_name == b.udp_spread_by_name, "udp.spread");
  check(a.tcp_idle_timeout_ms == b.tcp_idle_timeout_ms, "tcp.idle_timeout_ms");
  check(a.tcp_query_timeout_ms == b.tcp_query_timeout_ms, "tcp.query_timeout_ms");
  check(a.tcp_max_connections == b.tcp_max_connections, "tcp.max_connections");
  check(a.tcp_max_connections_per_source == b.tcp_max_connections_per_source,
        "tcp.max_connections_per_source");
  check(a.tcp_max_queued_bytes == b.tcp_max_queued_bytes, "tcp.max_queued_bytes");
  check(a.version_string == b.version_string, "version");
  check(SameRateLimit(a.rate_limit, b.rate_limit), "rate_limit");
  check(a.control_socket == b.control_socket, "control.socket");
  check(a.metrics_enabled == b.metrics_enabled &&
            (!a.metrics_enabled || SameListen({a.metrics_listen}, {b.metrics_listen})),
        "metrics.listen");
  check(a.dnstap.file == b.dnstap.file && a.dnstap.socket == b.dnstap.socket &&
            a.dnstap.sample == b.dnstap.sample && a.dnstap.queries == b.dnstap.queries &&
            a.dnstap.responses == b.dnstap.responses && a.dnstap.identity == b.dnstap.identity,
        "dnstap");
  return keys;
}

std::string SchemaReference() {
  std::string out;
  for (const Key& key : kSchema) {
    out += std::string(key.path) + ": " + Expected(key);
    if (key.required) out += ", required";
    if (!key.default_yaml.empty()) out += ", default " + std::string(key.default_yaml);
    out += "\n    " + std::string(key.doc) + "\n";
  }
  return out;
}

}  // namespace enumd::config
