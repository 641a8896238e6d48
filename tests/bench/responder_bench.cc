// responder_bench: what enumd's own code costs per query, without the kernel
// (issue 22). Over loopback, four fifths of a query's CPU is the kernel's UDP
// path, and its share moves by 10-20% between runs on a virtual machine, so
// a change of a few percent in the lookup cannot be seen in queries/s; here
// it can.
//
//   responder_bench --store DIR [--zone e164.arpa.] [--batch 20] [--rounds 1]
//                   FILE...
//
// Opens the store read-only, serves the zone as enumd does (one worker), lets
// daemon::CacheWarmer load every name into the worker's node cache (as
// cache.names_mb: auto does) and waits for it, then answers each FILE of
// queries (gen_traffic.py's "NAME TYPE" lines, EDNS 1232, no network) in
// batches of --batch as the UDP listener hands them over: copied into the
// batch's datagram buffers, Prefetch for the batch, then Respond for each. Per file (and round) it
// prints the thread CPU per query, the queries, and how the answers' rcodes fell (a check that the
// file asked what it should: floods are all NXDOMAIN).
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/byte_order.h"
#include "daemon/cache_warmer.h"
#include "daemon/log.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "query/responder.h"
#include "store/node_cache.h"
#include "store/zone_store.h"
#include "zone/zone_table.h"

namespace {

using namespace enumd;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "responder_bench: %s\n", what.c_str());
  std::exit(2);
}

double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

uint16_t TypeCode(const std::string& t) {
  if (t == "NAPTR") return dns::type::kNAPTR;
  if (t == "A") return dns::type::kA;
  if (t == "AAAA") return dns::type::kAAAA;
  if (t == "NS") return dns::type::kNS;
  if (t == "SOA") return dns::type::kSOA;
  if (t == "TXT") return dns::type::kTXT;
  Die("unknown query type " + t);
}

// One query datagram per line: ID, RD, the question, an OPT of 1232 bytes.
std::vector<std::string> ReadQueries(const std::string& path) {
  std::ifstream in(path);
  if (!in) Die("cannot read " + path);
  std::vector<std::string> out;
  std::string line;
  uint16_t id = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, type = "NAPTR";
    if (!(fields >> name)) continue;
    fields >> type;
    const std::string wire = dns::WireName(name);
    if (wire.empty()) Die("bad name in " + path + ": " + name);
    std::string q(dns::kHeaderSize, '\0');
    auto* h = reinterpret_cast<uint8_t*>(q.data());
    Store16(h, ++id);
    Store16(h + 2, 0x0100);  // RD
    Store16(h + 4, 1);
    Store16(h + 10, 1);
    q += wire;
    uint8_t tail[4 + 11] = {0};
    Store16(tail, TypeCode(type));
    Store16(tail + 2, dns::rrclass::kIN);
    tail[4] = 0;  // OPT: root owner, type 41, class = payload size
    Store16(tail + 5, dns::type::kOPT);
    Store16(tail + 7, 1232);
    q.append(reinterpret_cast<const char*>(tail), sizeof tail);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_path, origin = "e164.arpa.";
  size_t batch = 20;
  int rounds = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--store")
      store_path = value();
    else if (a == "--zone")
      origin = value();
    else if (a == "--batch")
      batch = std::strtoul(value().c_str(), nullptr, 10);
    else if (a == "--rounds")
      rounds = std::atoi(value().c_str());
    else if (a.rfind("--", 0) == 0)
      Die("unknown option " + a);
    else
      files.push_back(a);
  }
  if (store_path.empty() || files.empty() || batch == 0 || batch > 64 || rounds < 1)
    Die("usage: responder_bench --store DIR [--zone ORIGIN] [--batch 1-64] [--rounds N] FILE...");

  daemon::SetLogLevel(daemon::LogLevel::kWarning);  // stdout is the figures'
  zone::ZoneRegistry registry;
  store::ZoneStore::Options so;
  so.readers = registry.epochs();
  auto opened = store::ZoneStore::Open(store_path, store::ZoneStore::Mode::kReadOnly, so);
  if (!opened.ok()) Die("store: " + opened.status().message());
  std::unique_ptr<store::ZoneStore> store = std::move(opened.value());
  std::string origin_wire = dns::WireName(origin);
  for (char& c : origin_wire) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto meta = store->FindZone(origin_wire);
  if (!meta) Die("the store has no zone " + origin);
  auto table = std::make_unique<zone::ZoneTable>();
  zone::Zone z;
  z.meta = *meta;
  z.origin = origin_wire;
  table->Add(z);
  registry.Publish(std::move(table));

  query::ResponderOptions ro;
  ro.node_cache_bytes = size_t{64} << 20;  // until the loaded cache replaces it
  query::Responder responder(store.get(), &registry, ro);
  store::CacheHandoff handoff;
  responder.set_cache_handoff(&handoff);
  daemon::CacheWarmer::Options wo;
  daemon::CacheWarmer warmer(store.get(), &registry, wo, {{&handoff, 0}});
  const double load_start = ThreadCpuNs();
  warmer.Start();
  while (warmer.loaded().loads == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::fprintf(stderr, "loaded %llu names (%.1f s of this thread's CPU meanwhile)\n",
               static_cast<unsigned long long>(warmer.loaded().names),
               (ThreadCpuNs() - load_start) / 1e9);

  std::vector<uint8_t> out(65536);
  constexpr size_t kDatagram = 512;
  std::vector<uint8_t> datagrams(64 * kDatagram);
  for (int round = 1; round <= rounds; ++round) {
    for (const std::string& file : files) {
      const std::vector<std::string> queries = ReadQueries(file);
      uint64_t rcodes[16] = {0};
      const double t0 = ThreadCpuNs();
      for (size_t first = 0; first < queries.size(); first += batch) {
        const size_t n = std::min(batch, queries.size() - first);
        const uint8_t* ptrs[64];
        size_t lens[64];
        // Into the batch's buffers first, as recvmmsg writes them: the
        // server reads each query from lines the kernel has just written,
        // not from a string in a file's worth of them.
        for (size_t i = 0; i < n; ++i) {
          lens[i] = std::min(queries[first + i].size(), kDatagram);
          std::memcpy(&datagrams[i * kDatagram], queries[first + i].data(), lens[i]);
          ptrs[i] = &datagrams[i * kDatagram];
        }
        responder.Prefetch(ptrs, lens, n);
        for (size_t i = 0; i < n; ++i) {
          const size_t len = responder.Respond(ptrs[i], lens[i], out.data(), out.size(), false);
          if (len >= dns::kHeaderSize) ++rcodes[out[3] & 0x0F];
        }
      }
      const double ns = ThreadCpuNs() - t0;
      std::printf(
          "%-24s round %d  %7.1f ns/query  %zu queries  NOERROR %llu NXDOMAIN %llu other %llu\n",
          file.substr(file.rfind('/') + 1).c_str(), round, ns / static_cast<double>(queries.size()),
          queries.size(), static_cast<unsigned long long>(rcodes[0]),
          static_cast<unsigned long long>(rcodes[3]),
          static_cast<unsigned long long>(queries.size() - rcodes[0] - rcodes[3]));
      std::fflush(stdout);
    }
  }
  warmer.Stop();
  return 0;
}
