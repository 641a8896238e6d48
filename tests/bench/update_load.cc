// update_load: TSIG-signed RFC 2136 UPDATEs for the update benchmark
// (update_bench.sh), against enumd, BIND or Knot alike.
//
//   update_load --port P --key KEYFILE [--server ADDR] [--zone ORIGIN]
//               [--prefix DIGITS] [--timeout-ms T]
//               (--clients C --duration S [--rate R] | --visibility N)
//
// KEYFILE is a BIND key file (tsig-keygen); its first key signs every
// request (enumd's own TSIG code, enumd_dns). Every UPDATE replaces the
// NAPTR RRset of one number (delete the RRset, add one record whose regexp
// carries a unique tag): number PREFIX + client (2 digits) + sequence mod
// 1000 (3 digits), so the zone does not grow with the run. The tag holds a
// run id, so that no update rewrites what is there already: each one is a
// real change (a server answers a no-op without writing anything).
//
//   --clients C --duration S   throughput: C clients, each a connected UDP
//       socket with one UPDATE in flight (closed loop: the next leaves when
//       the answer comes, or after --timeout-ms, when it counts as lost).
//       Prints sent, answered, lost, noerror, other (answers with another
//       rcode), ups (NOERROR answers / S), and latency p50/p99/max in
//       microseconds (send to answer). srv_p50_us and srv_p99_us: from the
//       send call to the answer's arrival in the client's socket (the
//       kernel's receive timestamp), the same round trip without the time
//       the client itself waited for a CPU before sending or reading (on a
//       machine where the load generators share CPUs, that wait is theirs).
//   --rate R   with --clients: R updates per second in all, on a fixed
//       schedule (an open loop as far as C clients allow); each latency
//       counts from when its update was due, not when a client was free to
//       send it, so a server that falls behind shows it (no coordinated
//       omission).
//   --visibility N   one client, N updates in turn: after each NOERROR, a
//       query on another socket for the number's NAPTR, repeated until the
//       answer holds the new tag (up to 5 s). Prints the update round trip
//       p50/p99, visibility p50/p99/max (microseconds from the NOERROR to
//       the first answer that shows the change) and first_query_pct, the
//       share of updates that the very first query already saw.
//
// Output is one "key value" line per figure (as loadgen). Exit 0 after a
// run, 2 on bad arguments or an unreadable key file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_key_file.h"

namespace {

using enumd::dns::TsigKey;

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr, "update_load: %s (see the comment at the top of update_load.cc)\n", why);
  std::exit(2);
}

uint64_t Ns(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t NowNs(clockid_t clock = CLOCK_MONOTONIC) {
  timespec ts;
  clock_gettime(clock, &ts);
  return Ns(ts);
}

// recv, and the time the datagram reached the socket (SO_TIMESTAMPNS, the
// real-time clock) in *arrived, or 0 when the kernel gave none.
ssize_t RecvStamped(int fd, char* buf, size_t size, uint64_t* arrived) {
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(fd, &m, 0);
  *arrived = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); n >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      *arrived = Ns(ts);
    }
  }
  return n;
}

void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}

void PutString(std::string* out, const std::string& s) {
  out->push_back(static_cast<char>(s.size()));
  *out += s;
}

// The ENUM name (wire) of a digit string under `origin` (wire).
std::string NumberName(const std::string& digits, const std::string& origin) {
  std::string out;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    out.push_back(1);
    out.push_back(*it);
  }
  return out + origin;
}

struct Options {
  std::string server = "127.0.0.1";
  int port = 0;
  std::string key_file;
  std::string zone = "e164.arpa.";
  std::string prefix = "999";
  int clients = 1;
  double duration = 5;
  int visibility = 0;
  int timeout_ms = 2000;
  double rate = 0;  // updates/s in all; 0: closed loop
};

class UpdateMaker {
 public:
  UpdateMaker(const Options& o, TsigKey key)
      : key_(std::move(key)),
        origin_(enumd::dns::WireName(o.zone)),
        prefix_(o.prefix),
        run_(static_cast<unsigned>(time(nullptr)) ^ (static_cast<unsigned>(getpid()) << 16)) {}

  // The signed UPDATE `seq` of client `client`; *tag is what its record's
  // regexp carries, *owner the number's name (wire).
  std::string Make(uint16_t id, int client, uint64_t seq, std::string* tag, std::string* owner) {
    char digits[32];
    std::snprintf(digits, sizeof(digits), "%02d%03d", client % 100, static_cast<int>(seq % 1000));
    *owner = NumberName(prefix_ + digits, origin_);
    char t[64];
    std::snprintf(t, sizeof(t), "r%uc%ds%llu@", run_, client, static_cast<unsigned long long>(seq));
    *tag = t;
    std::string m;
    Put16(&m, id);
    Put16(&m, 5 << 11);  // opcode UPDATE
    Put16(&m, 1);        // zone
    Put16(&m, 0);        // prerequisites
    Put16(&m, 2);        // updates
    Put16(&m, 0);
    m += origin_;
    Put16(&m, 6);  // SOA
    Put16(&m, 1);  // IN
    // Delete the NAPTR RRset (class ANY, RFC 2136 §2.5.2).
    m += *owner;
    Put16(&m, 35);
    Put16(&m, 255);
    Put32(&m, 0);
    Put16(&m, 0);
    // Add one NAPTR.
    std::string rdata;
    Put16(&rdata, 10);
    Put16(&rdata, 100);
    PutString(&rdata, "u");
    PutString(&rdata, "E2U+sip");
    PutString(&rdata, "!^.*$!sip:" + *tag + "bench.example!");
    rdata.push_back(0);
    m += *owner;
    Put16(&m, 35);
    Put16(&m, 1);
    Put32(&m, 300);
    Put16(&m, static_cast<uint16_t>(rdata.size()));
    m += rdata;
    std::string mac;
    if (!enumd::dns::SignRequest(key_, static_cast<uint64_t>(time(nullptr)), &m, &mac))
      Usage("cannot sign");
    return m;
  }

  // A NAPTR query for `owner` (wire).
  static std::string Query(uint16_t id, const std::string& owner) {
    std::string m;
    Put16(&m, id);
    Put16(&m, 0);
    Put16(&m, 1);
    Put16(&m, 0);
    Put16(&m, 0);
    Put16(&m, 0);
    m += owner;
    Put16(&m, 35);
    Put16(&m, 1);
    return m;
  }

 private:
  TsigKey key_;
  std::string origin_;
  std::string prefix_;
  // In every tag: a run never writes what an earlier run left (that update
  // would change nothing, and servers skip the write).
  unsigned run_;
};

int Connect(const Options& o) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  if (fd < 0 || inet_pton(AF_INET, o.server.c_str(), &a.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
    Usage("cannot open a UDP socket to the server");
  const int on = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  return fd;
}

double Percentile(std::vector<uint64_t>* v, double p) {
  if (v->empty()) return 0;
  std::sort(v->begin(), v->end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v->size() - 1) + 0.5);
  return static_cast<double>((*v)[i]) / 1000.0;
}

// One reply for `id` on `fd` within `timeout_ms`; its rcode, or -1.
int Exchange(int fd, const std::string& msg, uint16_t id, int timeout_ms, std::string* reply) {
  if (send(fd, msg.data(), msg.size(), 0) < 0) return -1;
  const uint64_t deadline = NowNs() + static_cast<uint64_t>(timeout_ms) * 1000000u;
  char buf[65536];
  for (;;) {
    const uint64_t now = NowNs();
    if (now >= deadline) return -1;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>((deadline - now) / 1000000u) + 1) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 12) continue;
    const uint16_t got =
        static_cast<uint16_t>((static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]));
    if (got != id || !(buf[2] & 0x80)) continue;
    if (reply) reply->assign(buf, static_cast<size_t>(n));
    return buf[3] & 0x0f;
  }
}

int Throughput(const Options& o, UpdateMaker* maker) {
  struct Client {
    int fd = -1;
    uint16_t id = 0;
    uint64_t sent_at = 0;
    uint64_t sent_real = 0;  // the send call, real-time clock (receive stamps use it)
    uint64_t seq = 0;
  };
  std::vector<Client> clients(static_cast<size_t>(o.clients));
  std::vector<pollfd> polls(clients.size());
  uint64_t sent = 0, answered = 0, lost = 0, noerror = 0, other = 0;
  std::vector<uint64_t> lat, srv;
  std::string tag, owner;
  // With --rate: the time the next update is due (ns); each send takes one slot.
  uint64_t next_due = 0;
  const uint64_t gap = o.rate > 0 ? static_cast<uint64_t>(1e9 / o.rate) : 0;
  auto send_next = [&](size_t i) {
    Client& c = clients[i];
    c.id = static_cast<uint16_t>(c.id + 1);
    std::string m = maker->Make(c.id, static_cast<int>(i), c.seq++, &tag, &owner);
    if (gap) {
      c.sent_at = next_due;  // latency from when it was due
      next_due += gap;
    } else {
      c.sent_at = NowNs();
    }
    c.sent_real = NowNs(CLOCK_REALTIME);
    if (send(c.fd, m.data(), m.size(), 0) >= 0) ++sent;
  };
  for (size_t i = 0; i < clients.size(); ++i) {
    clients[i].fd = Connect(o);
    clients[i].id = static_cast<uint16_t>(i * 1000);
    polls[i] = {clients[i].fd, POLLIN, 0};
  }
  const uint64_t start = NowNs();
  const uint64_t end = start + static_cast<uint64_t>(o.duration * 1e9);
  const uint64_t timeout = static_cast<uint64_t>(o.timeout_ms) * 1000000u;
  next_due = start;
  if (!gap)
    for (size_t i = 0; i < clients.size(); ++i) send_next(i);
  char buf[65536];
  for (;;) {
    const uint64_t now = NowNs();
    if (now >= end) break;
    // Until the next update is due (ppoll: a precise timer; poll's 1 ms
    // would send paced updates up to ~2 ms late), at most 5 ms.
    uint64_t wait_ns = 5000000;
    if (gap) wait_ns = next_due > now ? std::min<uint64_t>(wait_ns, next_due - now) : 0;
    const timespec ts{static_cast<time_t>(wait_ns / 1000000000u),
                      static_cast<long>(wait_ns % 1000000000u)};
    ppoll(polls.data(), polls.size(), &ts, nullptr);
    const uint64_t t = NowNs();
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = clients[i];
      if (polls[i].revents & POLLIN) {
        ssize_t n;
        uint64_t arrived;
        while ((n = RecvStamped(c.fd, buf, sizeof(buf), &arrived)) >= 12) {
          const uint16_t got = static_cast<uint16_t>((static_cast<uint8_t>(buf[0]) << 8) |
                                                     static_cast<uint8_t>(buf[1]));
          if (got != c.id || !(buf[2] & 0x80) || c.sent_at == 0) continue;
          ++answered;
          if ((buf[3] & 0x0f) == 0)
            ++noerror;
          else
            ++other;
          lat.push_back(t - c.sent_at);
          if (arrived > c.sent_real) srv.push_back(arrived - c.sent_real);
          c.sent_at = 0;
        }
      } else if (c.sent_at != 0 && t - c.sent_at > timeout) {
        ++lost;
        c.sent_at = 0;
      }
      if (c.sent_at == 0 && t < end && (!gap || NowNs() >= next_due)) send_next(i);
    }
  }
  const double secs = static_cast<double>(NowNs() - start) / 1e9;
  std::printf(
      "clients %d\nseconds %.2f\nsent %llu\nanswered %llu\nlost %llu\nnoerror %llu\n"
      "other %llu\nups %.0f\nlat_p50_us %.0f\nlat_p99_us %.0f\nlat_max_us %.0f\n"
      "srv_p50_us %.0f\nsrv_p99_us %.0f\n",
      o.clients, secs, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(answered), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(noerror), static_cast<unsigned long long>(other),
      static_cast<double>(noerror) / secs, Percentile(&lat, 50), Percentile(&lat, 99),
      Percentile(&lat, 100), Percentile(&srv, 50), Percentile(&srv, 99));
  return 0;
}

int Visibility(const Options& o, UpdateMaker* maker) {
  const int ufd = Connect(o), qfd = Connect(o);
  std::vector<uint64_t> rtt, vis;
  int first = 0, failed = 0;
  std::string tag, owner, reply;
  for (int i = 0; i < o.visibility; ++i) {
    const uint16_t id = static_cast<uint16_t>(i);
    std::string m = maker->Make(id, 99, static_cast<uint64_t>(i), &tag, &owner);
    const uint64_t t0 = NowNs();
    if (Exchange(ufd, m, id, o.timeout_ms, nullptr) != 0) {
      ++failed;
      continue;
    }
    const uint64_t acked = NowNs();
    rtt.push_back(acked - t0);
    for (int q = 0;; ++q) {
      const uint16_t qid = static_cast<uint16_t>(0x8000 + (i + q) % 0x8000);
      if (Exchange(qfd, UpdateMaker::Query(qid, owner), qid, o.timeout_ms, &reply) >= 0 &&
          reply.find(tag) != std::string::npos) {
        vis.push_back(NowNs() - acked);
        if (q == 0) ++first;
        break;
      }
      if (NowNs() - acked > 5000000000u) {
        ++failed;
        break;
      }
    }
  }
  std::printf(
      "updates %d\nfailed %d\nrtt_p50_us %.0f\nrtt_p99_us %.0f\nvis_p50_us %.0f\n"
      "vis_p99_us %.0f\nvis_max_us %.0f\nfirst_query_pct %.1f\n",
      o.visibility, failed, Percentile(&rtt, 50), Percentile(&rtt, 99), Percentile(&vis, 50),
      Percentile(&vis, 99), Percentile(&vis, 100),
      o.visibility ? 100.0 * first / o.visibility : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
    const char* v = argv[++i];
    if (a == "--server") {
      o.server = v;
    } else if (a == "--port") {
      o.port = std::atoi(v);
    } else if (a == "--key") {
      o.key_file = v;
    } else if (a == "--zone") {
      o.zone = v;
    } else if (a == "--prefix") {
      o.prefix = v;
    } else if (a == "--clients") {
      o.clients = std::atoi(v);
    } else if (a == "--duration") {
      o.duration = std::atof(v);
    } else if (a == "--visibility") {
      o.visibility = std::atoi(v);
    } else if (a == "--rate") {
      o.rate = std::atof(v);
    } else if (a == "--timeout-ms") {
      o.timeout_ms = std::atoi(v);
    } else {
      Usage(("unknown option " + a).c_str());
    }
  }
  if (o.port <= 0 || o.port > 65535) Usage("--port is needed");
  if (o.clients < 1 || o.clients > 100) Usage("--clients must be 1..100");
  if (o.key_file.empty()) Usage("--key is needed");
  if (o.rate < 0 || (o.rate > 0 && o.visibility > 0)) Usage("--rate is > 0, with --clients");
  auto keys = enumd::dns::LoadTsigKeyFile(o.key_file);
  if (!keys.ok() || keys->empty())
    Usage(keys.ok() ? "no key in the key file" : keys.status().message().c_str());
  UpdateMaker maker(o, (*keys)[0]);
  return o.visibility > 0 ? Visibility(o, &maker) : Throughput(o, &maker);
}
