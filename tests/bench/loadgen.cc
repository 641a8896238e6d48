// loadgen: a small batching UDP load generator for the serving benchmark.
//
//   loadgen --port P --queries FILE (--rate QPS | --outstanding N)
//           [--server ADDR] [--sockets K] [--duration S] [--timeout-ms T]
//           [--edns SIZE] [--batch B] [--count N]
//
// It reads a dnsperf query file ("NAME TYPE" per line; blank lines and lines
// starting with ';' are skipped), encodes every query once, then replays the
// file in order (wrapping) for --duration seconds, or until --count queries
// have been sent if that comes first, over K connected UDP sockets
// (K distinct source ports, so the kernel's SO_REUSEPORT hash spreads them over
// a server's workers), sending with sendmmsg and receiving with recvmmsg:
//
//   --rate QPS       open loop: query i leaves at start + i/QPS, whatever the
//                    server does (a fixed offered load);
//   --outstanding N  closed loop: each socket keeps up to N/K queries in flight
//                    and sends the next as soon as one is answered or lost
//                    (the server's maximum rate).
//
// A reply counts when it comes back on the socket its query left from, with the
// query's ID, QR set, and either the query's question or no question at all
// (QDCOUNT 0, as in some FORMERR replies). A query unanswered after
// --timeout-ms is lost; a reply that comes later, or with an unknown ID, is
// counted as "unexpected"; one shorter than a header or without QR as
// "malformed"; one with another question as "mismatched" (its query stays in
// flight). After the sending period it waits up to --timeout-ms for the queries
// still in flight.
//
// Output (stdout): one "key value" line per figure: sent, answered, lost, qps
// (answered / sending period), rcode counts, TC count, latency percentiles
// (microseconds, of answered queries, from the sendmmsg call to the recvmmsg
// call, so they include this process's own delays). Exit 0 after a run, 2 on
// bad arguments or a bad query file (with file:line: reason on stderr).
//
// Plain C++20 and POSIX/Linux socket calls; one thread.
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int kMaxBatch = 64;
constexpr uint32_t kIds = 65536;
constexpr size_t kReplyBuffer = 65536;  // a whole UDP datagram: never truncated

[[noreturn]] void Usage(const char* why) {
  fprintf(stderr,
          "loadgen: %s\n"
          "usage: loadgen --port P --queries FILE (--rate QPS | --outstanding N)\n"
          "               [--server ADDR] [--sockets K] [--duration S] [--timeout-ms T]\n"
          "               [--edns SIZE] [--batch B] [--count N]\n",
          why);
  exit(2);
}

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// ---------------------------------------------------------------------------
// The query file.

// Every query, encoded back to back in `wire` (ID bytes left 0).
struct QuerySet {
  struct Query {
    size_t offset;
    uint16_t length;        // whole message
    uint16_t question_end;  // header + question, i.e. where a reply's question must end
  };
  std::vector<uint8_t> wire;
  std::vector<Query> queries;
};

struct TypeName {
  const char* name;
  uint16_t code;
};
constexpr TypeName kTypes[] = {{"A", 1},       {"NS", 2},     {"CNAME", 5}, {"SOA", 6},
                               {"PTR", 12},    {"MX", 15},    {"TXT", 16},  {"AAAA", 28},
                               {"SRV", 33},    {"NAPTR", 35}, {"DS", 43},   {"RRSIG", 46},
                               {"DNSKEY", 48}, {"ANY", 255},  {"CAA", 257}};

bool ParseType(const std::string& s, uint16_t* out) {
  for (const TypeName& t : kTypes) {
    if (strcasecmp(s.c_str(), t.name) == 0) {
      *out = t.code;
      return true;
    }
  }
  // RFC 3597 generic form.
  if (s.size() > 4 && s.size() <= 9 && strncasecmp(s.c_str(), "TYPE", 4) == 0 &&
      s.find_first_not_of("0123456789", 4) == std::string::npos) {
    unsigned long v = strtoul(s.c_str() + 4, nullptr, 10);
    if (v <= 65535) {
      *out = static_cast<uint16_t>(v);
      return true;
    }
  }
  return false;
}

// Appends NAME in wire form (master-file escapes \c and \DDD allowed; a final
// dot optional; "." is the root). Returns an error or nullptr.
const char* EncodeName(const std::string& name, std::vector<uint8_t>* out) {
  if (name == ".") {
    out->push_back(0);
    return nullptr;
  }
  size_t start = out->size();
  size_t label_at = out->size();
  out->push_back(0);
  for (size_t i = 0; i < name.size(); ++i) {
    int c = static_cast<unsigned char>(name[i]);
    if (c == '.') {
      if (out->size() == label_at + 1) return "empty label";
      if (i + 1 == name.size()) break;  // the final dot
      label_at = out->size();
      out->push_back(0);
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= name.size()) return "'\\' at the end of the name";
      if (isdigit(static_cast<unsigned char>(name[i + 1]))) {
        if (i + 3 >= name.size() || !isdigit(static_cast<unsigned char>(name[i + 2])) ||
            !isdigit(static_cast<unsigned char>(name[i + 3]))) {
          return "bad \\DDD escape";
        }
        c = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
        if (c > 255) return "\\DDD escape above 255";
        i += 3;
      } else {
        c = static_cast<unsigned char>(name[++i]);
      }
    }
    if (out->size() - label_at > 63) return "label longer than 63 bytes";
    out->push_back(static_cast<uint8_t>(c));
    (*out)[label_at] = static_cast<uint8_t>(out->size() - label_at - 1);
  }
  if (out->size() == label_at + 1) return "empty label";
  out->push_back(0);
  if (out->size() - start > 255) return "name longer than 255 bytes";
  return nullptr;
}

void Put16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

// Reads FILE; exits 2 with "FILE:LINE: reason" on the first bad line.
QuerySet LoadQueries(const char* path, int edns_size) {
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "loadgen: cannot open %s: %s\n", path, strerror(errno));
    exit(2);
  }
  QuerySet set;
  std::string line;
  size_t line_no = 0;
  auto fail = [&](const char* why) {
    fprintf(stderr, "loadgen: %s:%zu: %s\n", path, line_no, why);
    exit(2);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > 1024) fail("line longer than 1024 bytes");
    size_t a = line.find_first_not_of(" \t");
    if (a == std::string::npos || line[a] == ';') continue;
    size_t a_end = line.find_first_of(" \t", a);
    if (a_end == std::string::npos) fail("expected \"NAME TYPE\"");
    size_t b = line.find_first_not_of(" \t", a_end);
    if (b == std::string::npos) fail("expected \"NAME TYPE\"");
    size_t b_end = line.find_first_of(" \t", b);
    if (b_end != std::string::npos && line.find_first_not_of(" \t", b_end) != std::string::npos) {
      fail("extra text after \"NAME TYPE\"");
    }
    uint16_t type;
    if (!ParseType(line.substr(b, b_end == std::string::npos ? std::string::npos : b_end - b),
                   &type)) {
      fail("unknown query type");
    }
    size_t offset = set.wire.size();
    const uint8_t header[12] = {0, 0, 0, 0, 0, 1,
                                0, 0, 0, 0, 0, static_cast<uint8_t>(edns_size ? 1 : 0)};
    set.wire.insert(set.wire.end(), header, header + 12);
    if (const char* why = EncodeName(line.substr(a, a_end - a), &set.wire)) fail(why);
    Put16(&set.wire, type);
    Put16(&set.wire, 1);  // class IN
    size_t question_end = set.wire.size() - offset;
    if (edns_size) {  // RFC 6891 §6.1.2: root owner, OPT, size, rcode/version/flags 0, no options
      set.wire.push_back(0);
      Put16(&set.wire, 41);
      Put16(&set.wire, static_cast<uint16_t>(edns_size));
      for (int i = 0; i < 6; ++i) set.wire.push_back(0);
    }
    set.queries.push_back({offset, static_cast<uint16_t>(set.wire.size() - offset),
                           static_cast<uint16_t>(question_end)});
  }
  if (in.bad()) fail("read error");
  if (set.queries.empty()) {
    fprintf(stderr, "loadgen: %s: no queries\n", path);
    exit(2);
  }
  return set;
}

// ---------------------------------------------------------------------------
// Latency histogram: log-linear buckets, 64 per power of two (< 1.6% error),
// exact below 128 ns; fixed size, so recording never allocates.
class Histogram {
 public:
  void Add(uint64_t ns) {
    ++buckets_[Bucket(ns)];
    ++count_;
    sum_ns_ += ns;
    max_ns_ = std::max(max_ns_, ns);
  }
  uint64_t count() const { return count_; }
  double MeanNs() const { return count_ ? static_cast<double>(sum_ns_) / count_ : 0; }
  uint64_t MaxNs() const { return max_ns_; }
  // The smallest bucket value v with at least q of the samples <= v (bucket midpoint).
  double QuantileNs(double q) const {
    if (!count_) return 0;
    uint64_t need = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    need = std::max<uint64_t>(need, 1);
    uint64_t seen = 0;
    for (size_t b = 0; b < buckets_.size(); ++b) {
      seen += buckets_[b];
      if (seen >= need) return std::min(Mid(b), static_cast<double>(max_ns_));
    }
    return static_cast<double>(max_ns_);
  }

 private:
  static constexpr int kSubBits = 6;
  static size_t Bucket(uint64_t v) {
    if (v < (2u << kSubBits)) return v;
    int e = 63 - __builtin_clzll(v) - kSubBits;  // v >> e is in [64, 128)
    return ((e + 1) << kSubBits) + ((v >> e) - (1u << kSubBits));
  }
  static double Mid(size_t b) {
    if (b < (2u << kSubBits)) return static_cast<double>(b);
    int e = static_cast<int>(b >> kSubBits) - 1;
    double low =
        std::ldexp(static_cast<double>((b & ((1u << kSubBits) - 1)) + (1u << kSubBits)), e);
    return low + std::ldexp(1.0, e) / 2;
  }
  std::array<uint64_t, (64 - kSubBits + 1) << kSubBits> buckets_{};
  uint64_t count_ = 0, sum_ns_ = 0, max_ns_ = 0;
};

// ---------------------------------------------------------------------------
// Sockets and queries in flight.

struct Options {
  std::string server = "127.0.0.1";
  int port = 0;
  const char* queries = nullptr;
  double rate = 0;       // open loop if > 0
  long outstanding = 0;  // closed loop if > 0
  int sockets = 8;
  double duration = 10;
  long timeout_ms = 2000;
  int edns = 0;
  int batch = 32;
  uint64_t count = 0;  // stop sending after this many queries; 0 = no limit
};

// One connected socket and its ID space. IDs are handed out in sequence, so
// the queries in flight are the IDs [oldest, next) (mod 65536); `oldest`
// advances past answered ones and past ones whose timeout has passed.
struct Flow {
  struct Slot {
    uint64_t sent_ns;
    uint32_t query;
    bool busy;
  };
  int fd = -1;
  std::vector<Slot> slots = std::vector<Slot>(kIds);
  uint32_t next = 0, oldest = 0;
  uint32_t in_flight = 0;
  bool blocked = false;  // last send hit EAGAIN/ENOBUFS: wait for POLLOUT
};

struct Counters {
  uint64_t sent = 0, answered = 0, lost = 0, unexpected = 0, malformed = 0, mismatched = 0;
  uint64_t send_errors = 0, recv_errors = 0, tc = 0, aa = 0;
  std::array<uint64_t, 16> rcode{};
};

class LoadGen {
 public:
  LoadGen(const Options& o, const QuerySet& qs) : o_(o), qs_(qs), flows_(o.sockets) {}

  void Open() {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    std::string port = std::to_string(o_.port);
    if (getaddrinfo(o_.server.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
      Usage("--server takes a numeric IPv4 or IPv6 address");
    }
    for (Flow& f : flows_) {
      f.fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (f.fd < 0) Die("socket");
      int size = 4 << 20;  // best effort: capped by net.core.[rw]mem_max
      setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      setsockopt(f.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      // connect() picks a distinct ephemeral source port and makes the kernel
      // drop datagrams from anyone but the server.
      if (connect(f.fd, res->ai_addr, res->ai_addrlen) != 0) Die("connect");
    }
    freeaddrinfo(res);
  }

  void Run() {
    const uint64_t timeout_ns = static_cast<uint64_t>(o_.timeout_ms) * 1000000u;
    const uint32_t per_flow_limit =
        o_.outstanding ? static_cast<uint32_t>((o_.outstanding + o_.sockets - 1) / o_.sockets)
                       : kIds;
    start_ns_ = NowNs();
    send_end_ns_ = start_ns_ + static_cast<uint64_t>(o_.duration * 1e9);
    size_t turn = 0;  // open loop: the flow that sends next
    for (;;) {
      uint64_t now = NowNs();
      bool sending = now < send_end_ns_;
      if (sending && o_.count && c_.sent >= o_.count) {
        send_end_ns_ = now;  // qps is over the time it took to send them
        sending = false;
      }
      const uint64_t left = o_.count ? o_.count - c_.sent : UINT64_MAX;
      if (!sending && (in_flight_ == 0 || now >= send_end_ns_ + timeout_ns)) break;
      uint64_t got = 0, sent = 0;
      for (Flow& f : flows_) got += Receive(f);
      now = NowNs();
      for (Flow& f : flows_) Expire(f, now, timeout_ns);
      if (sending) {
        if (o_.rate > 0) {
          // Query i is due at start + i / rate (i from 0), and only if that
          // is before the end (`now` was read again after `sending` was).
          const uint64_t at = std::min(now, send_end_ns_ - 1);
          uint64_t due =
              static_cast<uint64_t>(o_.rate * static_cast<double>(at - start_ns_) / 1e9) + 1;
          due = due > c_.sent ? due - c_.sent : 0;
          // At most one batch per socket before reading replies again, so a
          // generator that fell behind catches up without starving its
          // receive side (and without one huge burst).
          for (size_t i = 0; due > 0 && i < flows_.size(); ++i) {
            Flow& f = flows_[turn];
            turn = (turn + 1) % flows_.size();
            uint64_t n = Send(f, std::min<uint64_t>({due, left - sent, uint64_t(o_.batch)}), now);
            due -= n;
            sent += n;
          }
        } else {
          for (Flow& f : flows_) {
            if (f.in_flight < per_flow_limit) {
              sent += Send(f,
                           std::min<uint64_t>(
                               {per_flow_limit - f.in_flight, left - sent, uint64_t(o_.batch)}),
                           now);
            }
          }
        }
      }
      if (got == 0 && sent == 0) Wait(sending, now);
    }
    for (Flow& f : flows_) Expire(f, UINT64_MAX, 0);  // whatever is left is lost
  }

  void Report() const {
    double secs = static_cast<double>(send_end_ns_ - start_ns_) / 1e9;
    printf("mode %s\n", o_.rate > 0 ? "open-loop" : "closed-loop");
    if (o_.rate > 0) printf("target_qps %.0f\n", o_.rate);
    if (o_.outstanding) printf("outstanding %ld\n", o_.outstanding);
    printf("sockets %d\nqueries_in_file %zu\nduration_s %.3f\n", o_.sockets, qs_.queries.size(),
           secs);
    printf("sent %llu\nanswered %llu\nlost %llu\n", U(c_.sent), U(c_.answered), U(c_.lost));
    printf("loss_pct %.4f\n", c_.sent ? 100.0 * c_.lost / c_.sent : 0.0);
    printf("sent_qps %.0f\nqps %.0f\n", c_.sent / secs, c_.answered / secs);
    static const char* kRcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
    for (size_t i = 0; i < c_.rcode.size(); ++i) {
      if (!c_.rcode[i] && i != 0 && i != 3) continue;
      if (i < std::size(kRcodes)) {
        printf("rcode_%s %llu\n", kRcodes[i], U(c_.rcode[i]));
      } else {
        printf("rcode_%zu %llu\n", i, U(c_.rcode[i]));
      }
    }
    printf("tc %llu\naa %llu\n", U(c_.tc), U(c_.aa));
    printf("unexpected %llu\nmalformed %llu\nmismatched %llu\n", U(c_.unexpected), U(c_.malformed),
           U(c_.mismatched));
    printf("send_errors %llu\nrecv_errors %llu\n", U(c_.send_errors), U(c_.recv_errors));
    printf("lat_avg_us %.1f\n", lat_.MeanNs() / 1e3);
    const std::pair<const char*, double> qs[] = {
        {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}};
    for (const auto& [name, q] : qs) printf("lat_%s_us %.1f\n", name, lat_.QuantileNs(q) / 1e3);
    printf("lat_max_us %.1f\n", static_cast<double>(lat_.MaxNs()) / 1e3);
    if (o_.rate > 0 && c_.sent < 0.98 * o_.rate * secs) {
      fprintf(stderr, "loadgen: warning: sent %.0f qps of the %.0f asked (loadgen too slow)\n",
              c_.sent / secs, o_.rate);
    }
  }

 private:
  static unsigned long long U(uint64_t v) { return v; }
  [[noreturn]] static void Die(const char* what) {
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
  }

  // Sends up to `want` queries on f in one sendmmsg; returns how many left.
  uint64_t Send(Flow& f, uint64_t want, uint64_t now) {
    if (f.blocked) return 0;
    int n = 0;
    for (; n < static_cast<int>(want); ++n) {
      if (f.next - f.oldest >= kIds) break;  // all 65536 IDs in flight
      const QuerySet::Query& q = qs_.queries[(next_query_ + n) % qs_.queries.size()];
      uint16_t id = static_cast<uint16_t>(f.next + n);
      ids_[n][0] = static_cast<uint8_t>(id >> 8);
      ids_[n][1] = static_cast<uint8_t>(id);
      // The ID comes from ids_, the rest straight from the encoded file.
      iov_[n][0] = {ids_[n], 2};
      iov_[n][1] = {const_cast<uint8_t*>(&qs_.wire[q.offset + 2]), q.length - 2u};
      out_[n] = {};
      out_[n].msg_hdr.msg_iov = iov_[n];
      out_[n].msg_hdr.msg_iovlen = 2;
    }
    if (n == 0) return 0;
    int r = sendmmsg(f.fd, out_, n, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == ENOBUFS) {
        f.blocked = true;
      } else if (errno != EINTR) {
        ++c_.send_errors;  // e.g. ECONNREFUSED from an earlier ICMP port unreachable
      }
      return 0;
    }
    for (int i = 0; i < r; ++i) {
      Flow::Slot& s = f.slots[(f.next + i) % kIds];
      s = {now, static_cast<uint32_t>((next_query_ + i) % qs_.queries.size()), true};
    }
    f.next += r;
    f.in_flight += r;
    in_flight_ += r;
    next_query_ = (next_query_ + r) % qs_.queries.size();
    c_.sent += r;
    return r;
  }

  // Reads what has arrived on f (a few batches at most, to keep sending on time).
  uint64_t Receive(Flow& f) {
    uint64_t total = 0;
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < o_.batch; ++i) {
        in_iov_[i] = {replies_[i].data(), replies_[i].size()};
        in_[i] = {};
        in_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_[i].msg_hdr.msg_iovlen = 1;
      }
      int r = recvmmsg(f.fd, in_, o_.batch, MSG_DONTWAIT, nullptr);
      if (r <= 0) {
        if (r < 0 && errno != EAGAIN && errno != EINTR) ++c_.recv_errors;
        break;
      }
      uint64_t now = NowNs();
      for (int i = 0; i < r; ++i) Match(f, replies_[i].data(), in_[i].msg_len, now);
      total += r;
      if (r < o_.batch) break;
    }
    return total;
  }

  void Match(Flow& f, const uint8_t* p, size_t len, uint64_t now) {
    if (len < 12 || !(p[2] & 0x80)) {
      ++c_.malformed;
      return;
    }
    Flow::Slot& s = f.slots[(p[0] << 8) | p[1]];
    if (!s.busy) {
      ++c_.unexpected;
      return;
    }
    const QuerySet::Query& q = qs_.queries[s.query];
    unsigned qdcount = (p[4] << 8) | p[5];
    unsigned rcode = p[3] & 0x0f;
    bool same_question = qdcount == 1 && len >= q.question_end &&
                         memcmp(p + 12, &qs_.wire[q.offset + 12], q.question_end - 12) == 0;
    if (!same_question && !(qdcount == 0 && rcode != 0)) {
      ++c_.mismatched;
      return;
    }
    s.busy = false;
    --f.in_flight;
    --in_flight_;
    ++c_.answered;
    ++c_.rcode[rcode];
    if (p[2] & 0x02) ++c_.tc;
    if (p[2] & 0x04) ++c_.aa;
    lat_.Add(now - s.sent_ns);
  }

  // Moves f.oldest past answered queries and counts those older than the timeout as lost.
  void Expire(Flow& f, uint64_t now, uint64_t timeout_ns) {
    while (f.oldest != f.next) {
      Flow::Slot& s = f.slots[f.oldest % kIds];
      if (s.busy) {
        if (now - s.sent_ns < timeout_ns) break;
        s.busy = false;
        --f.in_flight;
        --in_flight_;
        ++c_.lost;
      }
      ++f.oldest;
    }
  }

  // Nothing to do now: sleep until a reply, a writable socket, the next
  // open-loop send time, or at most 1 ms (timeouts, the end of the run).
  void Wait(bool sending, uint64_t now) {
    uint64_t wait_ns = 1000000;
    if (sending && o_.rate > 0) {
      uint64_t next_at = start_ns_ + static_cast<uint64_t>(c_.sent * 1e9 / o_.rate);
      wait_ns = next_at > now ? std::min(wait_ns, next_at - now) : 0;
    }
    if (polls_.size() != flows_.size()) polls_.resize(flows_.size());
    for (size_t i = 0; i < flows_.size(); ++i) {
      polls_[i] = {flows_[i].fd, static_cast<short>(POLLIN | (flows_[i].blocked ? POLLOUT : 0)), 0};
    }
    timespec ts{0, static_cast<long>(wait_ns)};
    ppoll(polls_.data(), polls_.size(), &ts, nullptr);
    // Writable again, or retried after at most 1 ms (a send that fails again
    // just sets `blocked` again).
    for (Flow& f : flows_) f.blocked = false;
  }

  const Options& o_;
  const QuerySet& qs_;
  std::vector<Flow> flows_;
  std::vector<pollfd> polls_;
  Counters c_;
  Histogram lat_;
  uint64_t start_ns_ = 0, send_end_ns_ = 0;
  uint64_t in_flight_ = 0;
  size_t next_query_ = 0;
  // Batch buffers, reused for every call.
  mmsghdr out_[kMaxBatch];
  iovec iov_[kMaxBatch][2];
  uint8_t ids_[kMaxBatch][2];
  mmsghdr in_[kMaxBatch];
  iovec in_iov_[kMaxBatch];
  std::vector<std::vector<uint8_t>> replies_ =
      std::vector<std::vector<uint8_t>>(kMaxBatch, std::vector<uint8_t>(kReplyBuffer));
};

double ParseNumber(const char* flag, const char* s, double min, double max) {
  char* end = nullptr;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= min && v <= max)) {
    static char why[160];
    snprintf(why, sizeof why, "%s takes a number in [%g, %g], not '%s'", flag, min, max, s);
    Usage(why);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") Usage("a batching UDP DNS load generator");
    if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
    const char* v = argv[++i];
    if (a == "--server") {
      o.server = v;
    } else if (a == "--port") {
      o.port = static_cast<int>(ParseNumber("--port", v, 1, 65535));
    } else if (a == "--queries") {
      o.queries = v;
    } else if (a == "--rate") {
      o.rate = ParseNumber("--rate", v, 1, 1e8);
    } else if (a == "--outstanding") {
      o.outstanding = static_cast<long>(ParseNumber("--outstanding", v, 1, 1 << 20));
    } else if (a == "--sockets") {
      o.sockets = static_cast<int>(ParseNumber("--sockets", v, 1, 1024));
    } else if (a == "--duration") {
      o.duration = ParseNumber("--duration", v, 0.001, 86400);
    } else if (a == "--timeout-ms") {
      o.timeout_ms = static_cast<long>(ParseNumber("--timeout-ms", v, 1, 600000));
    } else if (a == "--edns") {
      o.edns = static_cast<int>(ParseNumber("--edns", v, 0, 65535));
      if (o.edns != 0 && o.edns < 512) Usage("--edns takes 0 (none) or 512..65535");
    } else if (a == "--count") {
      o.count = static_cast<uint64_t>(ParseNumber("--count", v, 1, 1e12));
    } else if (a == "--batch") {
      o.batch = static_cast<int>(ParseNumber("--batch", v, 1, kMaxBatch));
    } else {
      Usage(("unknown option " + a).c_str());
    }
  }
  if (!o.port) Usage("--port is required");
  if (!o.queries) Usage("--queries is required");
  if ((o.rate > 0) == (o.outstanding > 0)) Usage("give exactly one of --rate and --outstanding");
  if (o.outstanding && o.outstanding < o.sockets) Usage("--outstanding must be >= --sockets");
  if (o.outstanding && (o.outstanding + o.sockets - 1) / o.sockets > kIds) {
    Usage("--outstanding / --sockets must be <= 65536");
  }
  QuerySet qs = LoadQueries(o.queries, o.edns);
  LoadGen gen(o, qs);
  gen.Open();
  gen.Run();
  gen.Report();
  return 0;
}
