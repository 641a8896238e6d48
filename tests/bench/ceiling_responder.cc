// ceiling_responder: the loopback ceiling of the serving benchmark. It answers
// every DNS query datagram with one fixed answer, doing no lookup at all, so
// the rate loadgen reaches against it (pinned to the same CPUs as a server) is
// what the kernel's UDP path and loadgen allow; a server's rate divided by it
// is its "percent of the ceiling".
//
//   ceiling_responder --port P [--listen ADDR] [--threads N] [--spread name|flow]
//
// N threads (default 1), each with its own SO_REUSEPORT socket bound to
// ADDR:P (default 127.0.0.1; --port 0 picks a free port), as a server's
// workers would, the kernel handing datagrams to them by the query name as
// enumd's udp.spread: name does (enumd's own SteerUdpByName) or, with
// --spread flow, by its 4-tuple hash as Knot DNS and NSD have it; each looping recvmmsg (up to 64
// datagrams) -> build replies -> sendmmsg. The reply is the query's header and question with QR and
// AA set, QDCOUNT 1, and one fixed NAPTR answer record (the size of a typical ENUM answer, its
// owner a pointer to the question), so loadgen matches it by socket, ID and question like a real
// answer. Datagrams shorter than a header or with QR set are dropped; any other datagram whose
// question does not parse (QDCOUNT != 1, bad labels, truncated) gets a header-only FORMERR.
//
// Once every socket is bound it prints "listening ADDR PORT" on stdout and
// flushes. It runs until killed (SIGTERM's default action; it holds no state).
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "net/listen_socket.h"

namespace {

constexpr int kBatch = 64;
constexpr size_t kMaxQuery = 512;  // longer datagrams are cut to this: only the question matters
constexpr size_t kMaxReply = 12 + 255 + 4 + 256;

// The fixed answer: owner = pointer to the question name, NAPTR IN, TTL 3600,
// 10 100 "u" "E2U+sip" "!^.*$!sip:+61255501234@gw17.example.net!" .
const uint8_t kRdata[] =
    "\x00\x0a\x00\x64\x01u\x07"
    "E2U+sip"
    "\x28!^.*$!sip:+61255501234@gw17.example.net!\x00";
constexpr size_t kRdataLen = sizeof kRdata - 1;  // not the string literal's own NUL

[[noreturn]] void Fail(const char* why) {
  fprintf(stderr,
          "ceiling_responder: %s\n"
          "usage: ceiling_responder --port P [--listen ADDR] [--threads N] [--spread name|flow]\n",
          why);
  exit(2);
}

// Builds the reply to the query q[0..n) into r; returns its length, or 0 to drop.
size_t Answer(const uint8_t* q, size_t n, uint8_t* r) {
  if (n < 12 || (q[2] & 0x80)) return 0;  // not a query: never answer a response
  r[0] = q[0];
  r[1] = q[1];
  r[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x79) | 0x04);  // QR, opcode and RD kept, AA
  r[3] = 0;
  memset(r + 4, 0, 8);
  // The question: QDCOUNT 1, labels of 1..63 bytes, name <= 255 bytes, type and class.
  size_t pos = 12;
  bool ok = q[4] == 0 && q[5] == 1;
  while (ok) {
    if (pos >= n) {
      ok = false;
    } else if (q[pos] == 0) {
      ++pos;
      break;
    } else if (q[pos] > 63 || pos + 1 + q[pos] - 12 > 254) {
      ok = false;  // also rejects compression pointers: no question uses one
    } else {
      pos += 1 + q[pos];
    }
  }
  if (!ok || pos + 4 > n) {
    r[3] = 1;  // FORMERR, header only
    return 12;
  }
  pos += 4;
  r[5] = 1;  // QDCOUNT
  r[7] = 1;  // ANCOUNT
  memcpy(r + 12, q + 12, pos - 12);
  uint8_t* a = r + pos;
  const uint8_t rr[] = {0xc0, 0x0c, 0, 35, 0, 1, 0, 0, 0x0e, 0x10, 0, kRdataLen};
  memcpy(a, rr, sizeof rr);
  memcpy(a + sizeof rr, kRdata, kRdataLen);
  return pos + sizeof rr + kRdataLen;
}

void Serve(int fd) {
  static thread_local uint8_t in[kBatch][kMaxQuery], out[kBatch][kMaxReply];
  sockaddr_storage peers[kBatch];
  iovec in_iov[kBatch], out_iov[kBatch];
  mmsghdr in_msg[kBatch], out_msg[kBatch];
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      in_iov[i] = {in[i], sizeof in[i]};
      in_msg[i] = {};
      in_msg[i].msg_hdr.msg_name = &peers[i];
      in_msg[i].msg_hdr.msg_namelen = sizeof peers[i];
      in_msg[i].msg_hdr.msg_iov = &in_iov[i];
      in_msg[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(fd, in_msg, kBatch, MSG_WAITFORONE, nullptr);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOMEM) continue;
      perror("ceiling_responder: recvmmsg");
      exit(1);
    }
    int n = 0;
    for (int i = 0; i < got; ++i) {
      // A datagram longer than kMaxQuery arrives cut (MSG_TRUNC): its
      // question may be cut too, so Answer() sees only what is there.
      size_t len = Answer(in[i], in_msg[i].msg_len, out[n]);
      if (!len) continue;
      out_iov[n] = {out[n], len};
      out_msg[n] = {};
      out_msg[n].msg_hdr.msg_name = &peers[i];
      out_msg[n].msg_hdr.msg_namelen = in_msg[i].msg_hdr.msg_namelen;
      out_msg[n].msg_hdr.msg_iov = &out_iov[n];
      out_msg[n].msg_hdr.msg_iovlen = 1;
      ++n;
    }
    for (int done = 0; done < n;) {
      int sent = sendmmsg(fd, out_msg + done, n - done, 0);
      if (sent < 0 && errno == EINTR) continue;
      // Any other error is about the first datagram (e.g. a peer gone): skip it.
      done += sent > 0 ? sent : 1;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1";
  long port = -1, threads = 1;
  bool by_name = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") Fail("a trivial UDP DNS responder (the loopback ceiling)");
    if (i + 1 >= argc) Fail(("missing value for " + a).c_str());
    const char* v = argv[++i];
    char* end = nullptr;
    long n = strtol(v, &end, 10);
    bool number = end != v && *end == 0;
    if (a == "--listen") {
      listen = v;
    } else if (a == "--port") {
      if (!number || n < 0 || n > 65535) Fail("--port takes 0..65535");
      port = n;
    } else if (a == "--threads") {
      if (!number || n < 1 || n > 64) Fail("--threads takes 1..64");
      threads = n;
    } else if (a == "--spread") {
      if (std::string(v) != "name" && std::string(v) != "flow") Fail("--spread takes name or flow");
      by_name = std::string(v) == "name";
    } else {
      Fail(("unknown option " + a).c_str());
    }
  }
  if (port < 0) Fail("--port is required");

  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (getaddrinfo(listen.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    Fail("--listen takes a numeric IPv4 or IPv6 address");
  }
  sockaddr_storage addr{};
  socklen_t addr_len = res->ai_addrlen;
  memcpy(&addr, res->ai_addr, addr_len);
  freeaddrinfo(res);

  std::vector<int> fds;
  for (long t = 0; t < threads; ++t) {
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1, size = 4 << 20;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      perror("ceiling_responder: socket");
      return 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);  // best effort
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
      perror("ceiling_responder: bind");
      return 1;
    }
    // With --port 0 the first bind picks the port; the others share it.
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
      perror("ceiling_responder: getsockname");
      return 1;
    }
    fds.push_back(fd);
  }
  if (by_name && fds.size() > 1) {
    enumd::Status s = enumd::net::SteerUdpByName(fds[0], static_cast<int>(fds.size()));
    if (!s.ok()) {
      fprintf(stderr, "ceiling_responder: %s\n", s.message().c_str());
      return 1;
    }
  }
  char host[INET6_ADDRSTRLEN], serv[8];
  getnameinfo(reinterpret_cast<sockaddr*>(&addr), addr_len, host, sizeof host, serv, sizeof serv,
              NI_NUMERICHOST | NI_NUMERICSERV);
  printf("listening %s %s\n", host, serv);
  fflush(stdout);

  std::vector<std::thread> workers;
  for (size_t t = 1; t < fds.size(); ++t) workers.emplace_back(Serve, fds[t]);
  Serve(fds[0]);  // never returns
}
