// Response rate limiting: what is counted together (classification from the
// Responder's real output), BIND's credit and window arithmetic on a manual
// clock, slip, exemptions, log-only, the bounded table, threads sharing one
// table, hostile bytes, and no allocation on the hot path.
#include "query/rrl.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dns/message_writer.h"
#include "dns/name.h"
#include "query/query_test_support.h"
#include "query/responder.h"

// After the C++ headers: ldns's C headers break <optional>'s operator<=> when
// included before it.
#include <ldns/ldns.h>

// Allocation counting: tests/unit/alloc_counter.h.
#include "alloc_counter.h"

namespace enumd::query {
namespace {

struct ManualClock : RrlClock {
  uint32_t now = 1000;
  uint32_t NowSeconds() const noexcept override { return now; }
};

struct Peer {
  sockaddr_storage ss{};
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

Peer Addr(const char* text) {
  Peer p;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&p.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&p.ss);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(5353);
  } else {
    REQUIRE(inet_pton(AF_INET6, text, &v6->sin6_addr) == 1);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(5353);
  }
  return p;
}

RrlPrefix Prefix(const char* addr, uint8_t length) {
  RrlPrefix p;
  p.length = length;
  if (inet_pton(AF_INET, addr, p.addr) != 1) {
    p.v6 = true;
    REQUIRE(inet_pton(AF_INET6, addr, p.addr) == 1);
  }
  return p;
}

// A response as the Responder shapes one: question, `answers` records owned
// by the qname, an optional authority RR (owner, type) and an OPT.
std::vector<uint8_t> Response(const char* qname, uint16_t qtype, uint16_t rcode, int answers,
                              const char* auth_owner = nullptr, uint16_t auth_type = 0,
                              bool aa = true, bool edns = false) {
  std::vector<uint8_t> buf(4096);
  dns::MessageWriter w(buf.data(), buf.size(), buf.size());
  const std::string q = dns::WireName(qname);
  uint16_t flags = dns::flag::kQR | (aa ? dns::flag::kAA : 0);
  REQUIRE(
      w.Start(0x4242, flags, reinterpret_cast<const uint8_t*>(q.data()), qtype, dns::rrclass::kIN));
  const uint8_t rdata[4] = {192, 0, 2, 1};
  for (int i = 0; i < answers; ++i)
    REQUIRE(w.AddRRPtr(dns::Section::kAnswer, dns::MessageWriter::kQnameOffset, dns::type::kA,
                       dns::rrclass::kIN, 60, rdata, 4));
  if (auth_owner != nullptr) {
    const std::string o = dns::WireName(auth_owner);
    const std::string target = dns::WireName("ns.example.");
    std::vector<uint8_t> rd(target.begin(), target.end());
    if (auth_type == dns::type::kSOA) {
      rd.insert(rd.end(), target.begin(), target.end());
      rd.resize(rd.size() + 20, 0);
    }
    REQUIRE(w.AddRR(dns::Section::kAuthority, reinterpret_cast<const uint8_t*>(o.data()), auth_type,
                    dns::rrclass::kIN, 60, rd.data(), static_cast<uint16_t>(rd.size())));
  }
  w.SetRcode(rcode);
  if (edns) REQUIRE(w.AddOpt(1232, 0, 0, false));
  buf.resize(w.Finish());
  return buf;
}

std::vector<uint8_t> Answer(const char* qname = "1.2.3.e164.arpa.",
                            uint16_t qtype = dns::type::kA) {
  return Response(qname, qtype, dns::rcode::kNoError, 1);
}

RrlOptions Opts(uint32_t rate, uint32_t window, uint32_t slip) {
  RrlOptions o;
  o.responses_per_second = rate;
  o.window = window;
  o.slip = slip;
  o.seed = 12345;
  return o;
}

// Sends `n` copies of `resp` from `peer`; counts what happened to them.
struct Tally {
  int sent = 0, slipped = 0, dropped = 0;
};
Tally Flood(Rrl& rrl, const std::vector<uint8_t>& resp, const Peer& peer, int n,
            unsigned slot = 0) {
  Tally t;
  for (int i = 0; i < n; ++i) {
    switch (rrl.Check(resp.data(), resp.size(), peer.sa(), slot)) {
      case RrlAction::kSend:
        ++t.sent;
        break;
      case RrlAction::kSlip:
        ++t.slipped;
        break;
      case RrlAction::kDrop:
        ++t.dropped;
        break;
    }
  }
  return t;
}

// The accounting name in lower case (the key folds case; the name keeps the
// message's).
std::string NameText(const RrlResponseInfo& info) {
  if (info.name == nullptr) return "";
  std::string wire(reinterpret_cast<const char*>(info.name), info.name_len);
  dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
  return dns::NameToText(reinterpret_cast<const uint8_t*>(wire.data()));
}

// The real Responder over a small zone in an in-memory store.
struct ResponderFixture : ServedZone {
  ResponderFixture()
      : ServedZone(R"($TTL 1h
@ IN SOA ns.e164.arpa. root.e164.arpa. 1 3600 3600 3600 600
@ IN NS ns.e164.arpa.
ns IN A 127.0.0.2
1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@example.net!" .
sub IN NS ns1.sub
ns1.sub IN A 192.0.2.53
dangling IN CNAME 9.9.9.9.9
)",
                   ResponderOptions{}) {}

  std::vector<uint8_t> Ask(const char* qname, uint16_t qtype, uint16_t qclass = dns::rrclass::kIN,
                           int edns_version = -1) {
    uint8_t q[512];
    dns::MessageWriter w(q, sizeof(q), sizeof(q));
    const std::string n = dns::WireName(qname);
    REQUIRE(w.Start(7, 0, reinterpret_cast<const uint8_t*>(n.data()), qtype, qclass));
    if (edns_version >= 0) REQUIRE(w.AddOpt(1232, 0, static_cast<uint8_t>(edns_version), false));
    const size_t qlen = w.Finish();
    std::vector<uint8_t> out(65535);
    out.resize(responder->Respond(q, qlen, out.data(), out.size(), false));
    REQUIRE(out.size() >= 12);
    return out;
  }
};

}  // namespace

TEST_CASE("rrl: responses are classified and named as BIND accounts them") {
  ResponderFixture f;
  struct Row {
    const char* qname;
    uint16_t qtype;
    uint16_t qclass;
    int edns_version;
    RrlClass cls;
    const char* name;  // accounting name, "" = none
    uint16_t type;     // accounting qtype (answers only)
  };
  const Row rows[] = {
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kNAPTR, 1, -1, RrlClass::kAnswer,
       "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kNAPTR},
      // qname case folds: one account whatever the case of the flood
      {"1.1.9.0.0.5.5.5.3.1.6.E164.ARPA.", dns::type::kNAPTR, 1, 0, RrlClass::kAnswer,
       "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kNAPTR},
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kA, 1, -1, RrlClass::kNoData,
       "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", 0},
      // NXDOMAIN counts against the zone, whatever the (random) name
      {"4.4.4.4.e164.arpa.", dns::type::kNAPTR, 1, -1, RrlClass::kNxDomain, "e164.arpa.", 0},
      {"x.y.z.e164.arpa.", dns::type::kA, 1, 0, RrlClass::kNxDomain, "e164.arpa.", 0},
      // a CNAME chain ending in NXDOMAIN: the walk skips the answer section
      {"dangling.e164.arpa.", dns::type::kNAPTR, 1, -1, RrlClass::kNxDomain, "e164.arpa.", 0},
      {"a.b.sub.e164.arpa.", dns::type::kNAPTR, 1, -1, RrlClass::kReferral, "sub.e164.arpa.", 0},
      {"www.example.com.", dns::type::kA, 1, -1, RrlClass::kError, "", 0},  // REFUSED
      {"version.bind.", dns::type::kTXT, dns::rrclass::kCH, -1, RrlClass::kError, "", 0},
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kAXFR, 1, -1, RrlClass::kError, "", 0},
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kNAPTR, 1, 1, RrlClass::kError, "",
       0},  // BADVERS: rcode 0 in the header, 16 with the OPT's bits
  };
  for (const Row& r : rows) {
    CAPTURE(r.qname);
    CAPTURE(r.qtype);
    const std::vector<uint8_t> resp = f.Ask(r.qname, r.qtype, r.qclass, r.edns_version);
    RrlResponseInfo info;
    ClassifyResponse(resp.data(), resp.size(), &info);
    CHECK(static_cast<int>(info.cls) == static_cast<int>(r.cls));
    CHECK(NameText(info) == r.name);
    CHECK(info.qtype == r.type);
  }

  // FORMERR for a question we cannot read: an error without a name.
  uint8_t bad[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  std::vector<uint8_t> out(512);
  out.resize(f.responder->Respond(bad, sizeof(bad), out.data(), out.size(), false));
  REQUIRE(out.size() >= 12);
  RrlResponseInfo info;
  ClassifyResponse(out.data(), out.size(), &info);
  CHECK(info.cls == RrlClass::kError);
  CHECK(info.name_len == 0);
}

TEST_CASE("rrl: BIND's credits: rate per second, debt down to -window*rate, fresh after window") {
  ManualClock clock;
  Rrl rrl(Opts(5, 3, 0), &clock);
  const Peer peer = Addr("192.0.2.7");
  const auto resp = Answer();

  // The first second: `rate` answers, the rest limited.
  Tally t = Flood(rrl, resp, peer, 100);
  CHECK(t.sent == 5);
  CHECK(t.dropped == 95);
  // Still flooding: the debt (-15) outweighs each second's credit (+5).
  for (int s = 0; s < 5; ++s) {
    ++clock.now;
    CHECK(Flood(rrl, resp, peer, 20).sent == 0);
  }
  // Quiet for exactly `window` seconds: the balance is back to 0, still not
  // positive, so one more response is limited (and takes a credit).
  clock.now += 3;
  CHECK(Flood(rrl, resp, peer, 1).sent == 0);
  // More than `window` seconds since the account was last touched: fresh.
  clock.now += 4;
  CHECK(Flood(rrl, resp, peer, 10).sent == 5);

  // A client at the rate is never limited.
  Rrl steady(Opts(5, 15, 0), &clock);
  for (int s = 0; s < 30; ++s) {
    ++clock.now;
    CHECK(Flood(steady, resp, peer, 5).sent == 5);
  }
  // One slightly above it builds a debt of one a second: 5, 4, 3, 2, 1, then
  // nothing, as BIND averages over the window.
  Rrl above(Opts(5, 15, 0), &clock);
  for (int s = 0; s < 30; ++s) {
    ++clock.now;
    CAPTURE(s);
    CHECK(Flood(above, resp, peer, 6).sent == (s < 5 ? 5 - s : 0));
  }
  // Credit never exceeds one second's worth, however long the pause.
  clock.now += 2;
  CHECK(Flood(steady, resp, peer, 50).sent == 5);
}

TEST_CASE("rrl: slip N truncates every Nth limited response, the first one included") {
  ManualClock clock;
  const Peer peer = Addr("192.0.2.7");
  const auto resp = Answer();
  struct Row {
    uint32_t slip;
    const char* pattern;  // of the limited responses: s = slip, d = drop
  };
  for (const Row& r : {Row{0, "dddddd"}, Row{1, "ssssss"}, Row{2, "sdsdsd"}, Row{3, "sddsdd"}}) {
    CAPTURE(r.slip);
    Rrl rrl(Opts(2, 15, r.slip), &clock);
    CHECK(Flood(rrl, resp, peer, 2).sent == 2);
    std::string got;
    for (int i = 0; i < 6; ++i) {
      const RrlAction a = rrl.Check(resp.data(), resp.size(), peer.sa(), 0);
      got += a == RrlAction::kSlip ? 's' : a == RrlAction::kDrop ? 'd' : '+';
    }
    CHECK(got == r.pattern);
    const RrlCounters c = rrl.Totals();
    CHECK(c.slipped + c.dropped == 6);
  }
}

TEST_CASE("rrl: accounts are per prefix, class and name") {
  ManualClock clock;
  RrlOptions o = Opts(3, 15, 0);
  o.nxdomains_per_second = 2;
  o.errors_per_second = 1;
  o.ipv4_prefix_length = 24;
  o.ipv6_prefix_length = 56;
  Rrl rrl(o, &clock);
  const auto a = Answer("1.2.3.e164.arpa.", dns::type::kNAPTR);

  // Sources in one /24 share; another /24 has its own account.
  CHECK(Flood(rrl, a, Addr("127.0.0.2"), 2).sent == 2);
  CHECK(Flood(rrl, a, Addr("127.0.0.200"), 5).sent == 1);
  CHECK(Flood(rrl, a, Addr("127.0.1.2"), 5).sent == 3);
  // An IPv4-mapped IPv6 peer is the IPv4 client.
  CHECK(Flood(rrl, a, Addr("::ffff:127.0.1.9"), 1).sent == 0);
  // /56: 2001:db8:0:1:: and 2001:db8:0:ff:: share, 2001:db8:0:100:: does not.
  CHECK(Flood(rrl, a, Addr("2001:db8:0:1::1"), 3).sent == 3);
  CHECK(Flood(rrl, a, Addr("2001:db8:0:ff::2"), 1).sent == 0);
  CHECK(Flood(rrl, a, Addr("2001:db8:0:100::1"), 3).sent == 3);

  // The same prefix: another name, another type, nodata all count apart.
  const Peer p = Addr("127.0.0.9");
  CHECK(Flood(rrl, Answer("1.2.3.e164.arpa.", dns::type::kA), p, 5).sent == 3);
  CHECK(Flood(rrl, Answer("9.9.9.e164.arpa.", dns::type::kNAPTR), p, 5).sent == 3);
  const auto nodata = Response("1.2.3.e164.arpa.", dns::type::kTXT, dns::rcode::kNoError, 0,
                               "e164.arpa.", dns::type::kSOA);
  const auto nodata2 = Response("1.2.3.e164.arpa.", dns::type::kMX, dns::rcode::kNoError, 0,
                                "e164.arpa.", dns::type::kSOA);
  CHECK(Flood(rrl, nodata, p, 2).sent == 2);
  CHECK(Flood(rrl, nodata2, p, 2).sent == 1);  // NODATA: any type, one account

  // NXDOMAIN for random names in one zone: one account at its own rate.
  int sent = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string q = std::to_string(i) + ".7.7.e164.arpa.";
    const auto nx = Response(q.c_str(), dns::type::kNAPTR, dns::rcode::kNXDomain, 0, "e164.arpa.",
                             dns::type::kSOA);
    sent += Flood(rrl, nx, p, 1).sent;
  }
  CHECK(sent == 2);
  const auto nx_other = Response("1.e164.example.", dns::type::kNAPTR, dns::rcode::kNXDomain, 0,
                                 "e164.example.", dns::type::kSOA);
  CHECK(Flood(rrl, nx_other, p, 3).sent == 2);

  // Errors: one account per prefix whatever the name or the rcode.
  const auto refused = Response("www.example.com.", dns::type::kA, dns::rcode::kRefused, 0);
  const auto servfail = Response("loop.e164.arpa.", dns::type::kNAPTR, dns::rcode::kServFail, 0);
  CHECK(Flood(rrl, refused, p, 1).sent == 1);
  CHECK(Flood(rrl, servfail, p, 1).sent == 0);

  // Referrals: by the cut.
  const auto ref1 = Response("1.sub.e164.arpa.", dns::type::kNAPTR, dns::rcode::kNoError, 0,
                             "sub.e164.arpa.", dns::type::kNS, false);
  const auto ref2 = Response("2.sub.e164.arpa.", dns::type::kA, dns::rcode::kNoError, 0,
                             "sub.e164.arpa.", dns::type::kNS, false);
  CHECK(Flood(rrl, ref1, p, 2).sent == 2);
  CHECK(Flood(rrl, ref2, p, 2).sent == 1);

  // Case does not make a new account (RFC 4343), on any byte of the name.
  const Peer c = Addr("127.0.9.1");
  CHECK(Flood(rrl, Answer("AbCdEfGhIjKlM.e164.ARPA."), c, 1).sent == 1);
  CHECK(Flood(rrl, Answer("abcdefghijklm.E164.arpa."), c, 1).sent == 1);
  CHECK(Flood(rrl, Answer("ABCDEFGHIJKLM.E164.ARPA."), c, 2).sent == 1);
  CHECK(Flood(rrl, Answer("abcdefghijklm.e164.arpa.x."), c, 3).sent == 3);
  CHECK(Flood(rrl, Answer("abcdefghijklm.e164.arp."), c, 3).sent == 3);
  // Bytes that are not letters are not folded ('@' + 0x20 = '`', '[' + 0x20 = '{').
  CHECK(Flood(rrl, Answer("@[.e164.arpa."), c, 3).sent == 3);
  CHECK(Flood(rrl, Answer("`{.e164.arpa."), c, 3).sent == 3);

  // Prefix length 32 and 128: every address on its own.
  RrlOptions host = Opts(1, 15, 0);
  host.ipv4_prefix_length = 32;
  host.ipv6_prefix_length = 128;
  Rrl h(host, &clock);
  CHECK(Flood(h, a, Addr("127.0.0.2"), 2).sent == 1);
  CHECK(Flood(h, a, Addr("127.0.0.3"), 2).sent == 1);
  CHECK(Flood(h, a, Addr("2001:db8::1"), 2).sent == 1);
  CHECK(Flood(h, a, Addr("2001:db8::2"), 2).sent == 1);
}

TEST_CASE("rrl: answers from one wildcard share the wildcard's account, as in BIND") {
  ManualClock clock;
  Rrl rrl(Opts(3, 15, 0), &clock);
  const Peer p = Addr("127.0.0.9");
  // Random numbers N.M.7.7 under *.2.0.5.5.5.2.1.6.e164.arpa: skipping the
  // 4 labels (8 bytes) leaves the wildcard's parent.
  auto wild = [&](const std::string& digits) {
    const auto r = Answer((digits + ".2.0.5.5.5.2.1.6.e164.arpa.").c_str(), dns::type::kNAPTR);
    return rrl.Check(r.data(), r.size(), p.sa(), 0, 8);
  };
  int sent = 0;
  for (int i = 0; i < 20; ++i) {
    std::string n = std::to_string(i % 10) + "." + std::to_string(i / 10) + "." + "7.7";
    sent += wild(n) == RrlAction::kSend;
  }
  CHECK(sent == 3);
  // The parent's own answer, and the same numbers answered without a
  // wildcard, keep their own accounts.
  CHECK(Flood(rrl, Answer("2.0.5.5.5.2.1.6.e164.arpa.", dns::type::kNAPTR), p, 3).sent == 3);
  CHECK(Flood(rrl, Answer("0.0.7.7.2.0.5.5.5.2.1.6.e164.arpa.", dns::type::kNAPTR), p, 3).sent ==
        3);
  // A skip that is not inside the name is ignored.
  const auto r = Answer("9.9.e164.arpa.", dns::type::kNAPTR);
  int own = 0;
  for (int i = 0; i < 5; ++i)
    own += rrl.Check(r.data(), r.size(), p.sa(), 0, 500) == RrlAction::kSend;
  CHECK(own == 3);
}

TEST_CASE("rrl: exempt prefixes, log-only, and peers that are not IP") {
  ManualClock clock;
  RrlOptions o = Opts(1, 15, 2);
  o.exempt = {Prefix("127.0.2.0", 24), Prefix("2001:db8:1::", 48), Prefix("192.0.2.77", 32)};
  Rrl rrl(o, &clock);
  const auto a = Answer();
  CHECK(Flood(rrl, a, Addr("127.0.2.1"), 100).sent == 100);
  CHECK(Flood(rrl, a, Addr("127.0.2.254"), 100).sent == 100);
  CHECK(Flood(rrl, a, Addr("2001:db8:1:ffff::1"), 100).sent == 100);
  CHECK(Flood(rrl, a, Addr("::ffff:192.0.2.77"), 100).sent == 100);
  CHECK(Flood(rrl, a, Addr("192.0.2.78"), 100).sent == 1);
  CHECK(Flood(rrl, a, Addr("127.0.3.1"), 100).sent == 1);
  CHECK(Flood(rrl, a, Addr("2001:db8:2::1"), 100).sent == 1);
  CHECK(rrl.Totals().dropped + rrl.Totals().slipped == 3 * 99);

  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  for (int i = 0; i < 10; ++i) {
    CHECK(rrl.Check(a.data(), a.size(), reinterpret_cast<sockaddr*>(&unix_peer), 0) ==
          RrlAction::kSend);
    CHECK(rrl.Check(a.data(), a.size(), nullptr, 0) == RrlAction::kSend);
  }

  RrlOptions lo = Opts(2, 15, 2);
  lo.log_only = true;
  Rrl log_only(lo, &clock);
  CHECK(Flood(log_only, a, Addr("192.0.2.1"), 10).sent == 10);
  CHECK(log_only.Totals().slipped == 4);
  CHECK(log_only.Totals().dropped == 4);
}

TEST_CASE("rrl: Apply sends, slips (TC, question, OPT only) or drops in place") {
  ManualClock clock;
  Rrl rrl(Opts(1, 15, 2), &clock);
  const Peer peer = Addr("198.51.100.1");
  auto fresh = [] {
    return Response("1.2.3.e164.arpa.", dns::type::kNAPTR, dns::rcode::kNoError, 3, "e164.arpa.",
                    dns::type::kNS, true, true);
  };
  std::vector<uint8_t> r = fresh();
  CHECK(rrl.Apply(r.data(), r.size(), peer.sa(), 0) == r.size());
  r = fresh();
  const size_t n = rrl.Apply(r.data(), r.size(), peer.sa(), 0);
  REQUIRE(n > 12);
  REQUIRE(n < r.size());
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, r.data(), n) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_tc(p));
  CHECK(ldns_pkt_qr(p));
  CHECK(ldns_pkt_aa(p));
  CHECK(ldns_pkt_id(p) == 0x4242);
  CHECK(ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_qdcount(p) == 1);
  CHECK(ldns_pkt_ancount(p) == 0);
  CHECK(ldns_pkt_nscount(p) == 0);
  CHECK(ldns_pkt_edns(p));
  CHECK(ldns_pkt_edns_udp_size(p) == 1232);
  char* qname = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
  CHECK(std::string(qname) == "1.2.3.e164.arpa.");
  free(qname);
  ldns_pkt_free(p);
  r = fresh();
  CHECK(rrl.Apply(r.data(), r.size(), peer.sa(), 0) == 0);

  // Without EDNS: header and question only; an NXDOMAIN keeps its rcode.
  auto nx = Response("5.e164.arpa.", dns::type::kNAPTR, dns::rcode::kNXDomain, 0, "e164.arpa.",
                     dns::type::kSOA);
  const size_t m = MakeSlip(nx.data(), nx.size());
  CHECK(m == 12 + dns::WireName("5.e164.arpa.").size() + 4);
  CHECK((nx[2] & 0x02) != 0);  // TC
  CHECK((nx[3] & 0x0F) == dns::rcode::kNXDomain);
  for (int i = 6; i < 12; ++i) CHECK(nx[i] == 0);
  // No readable question: the header alone.
  uint8_t hdr[] = {0, 1, 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(MakeSlip(hdr, sizeof(hdr)) == 12);
  CHECK(MakeSlip(hdr, 5) == 5);
}

TEST_CASE("rrl: hostile and malformed bytes never crash, never grow, and count as errors") {
  RrlResponseInfo info;
  const uint8_t empty[1] = {0};
  ClassifyResponse(empty, 0, &info);
  CHECK(info.cls == RrlClass::kError);
  // Counts that promise records past the end, a compression loop in the
  // question, a label running off the end.
  const std::vector<std::vector<uint8_t>> cases = {
      {0, 1, 0x84, 0, 0, 1, 0, 0, 0, 5, 0, 0, 1, 'a', 0, 0, 1, 0, 1},
      {0, 1, 0x84, 3, 0, 1, 0, 9, 0, 9, 0, 9, 1, 'a', 0, 0, 1, 0, 1},
      {0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1},
      {0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b'},
      {0, 1, 0x84, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 'a', 0, 0, 1, 0, 1, 0xC0, 0x0C, 0, 6},
      // a referral whose NS owner points at itself
      {0, 1, 0x80, 0,    0,    1, 0, 0, 0, 1, 0, 0, 1, 'a', 0, 0,
       1, 0, 1,    0xC0, 0x13, 0, 2, 0, 1, 0, 0, 0, 1, 0,   0},
  };
  for (const auto& c : cases) {
    ClassifyResponse(c.data(), c.size(), &info);
    CHECK(info.cls == RrlClass::kError);
    std::vector<uint8_t> copy = c;
    CHECK(MakeSlip(copy.data(), copy.size()) <= c.size());
  }
  // NXDOMAIN whose SOA owner cannot be read: still NXDOMAIN, in the prefix's
  // one nameless NXDOMAIN account (never one account per random name).
  const std::vector<uint8_t> nx = {0, 1, 0x84, 3,    0,    1, 0, 0, 0, 1, 0, 0, 1, 'a', 0, 0,
                                   1, 0, 1,    0xC0, 0x13, 0, 6, 0, 1, 0, 0, 0, 1, 0,   0};
  ClassifyResponse(nx.data(), nx.size(), &info);
  CHECK(info.cls == RrlClass::kNxDomain);
  CHECK(info.name_len == 0);
  // Random bytes: whatever they say, the walk stays inside them.
  std::mt19937 rng(7);
  ManualClock clock;
  Rrl rrl(Opts(5, 15, 2), &clock);
  const Peer peer = Addr("203.0.113.5");
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng() % 80);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() >= 12 && i % 2 == 0) {
      b[4] = 0;
      b[5] = 1;  // QDCOUNT 1 more often
    }
    // An exact-size heap copy so ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> heap(new uint8_t[b.size()]);
    if (!b.empty()) std::memcpy(heap.get(), b.data(), b.size());
    ClassifyResponse(heap.get(), b.size(), &info);
    CHECK(info.name_len <= dns::kMaxNameWire);
    const size_t n = rrl.Apply(heap.get(), b.size(), peer.sa(), 0);
    CHECK(n <= b.size());
  }
}

TEST_CASE("rrl: the table is bounded; stale accounts are reused, live ones evicted and counted") {
  ManualClock clock;
  RrlOptions o = Opts(1, 5, 0);
  o.table_size = 1;  // one set of kWays entries
  Rrl rrl(o, &clock);
  CHECK(rrl.capacity() == Rrl::kWays);
  const Peer p = Addr("192.0.2.1");
  for (size_t i = 0; i < Rrl::kWays; ++i) {
    const std::string q = std::to_string(i) + ".e164.arpa.";
    CHECK(Flood(rrl, Answer(q.c_str()), p, 2).sent == 1);
  }
  CHECK(rrl.Totals().evicted == 0);
  // One more name: the least recently used account goes, and is counted.
  CHECK(Flood(rrl, Answer("new.e164.arpa."), p, 2).sent == 1);
  CHECK(rrl.Totals().evicted == 1);
  // After the window every account is stale: new names take them silently.
  clock.now += 6;
  for (int i = 0; i < 20; ++i) {
    const std::string q = "later" + std::to_string(i) + ".e164.arpa.";
    Flood(rrl, Answer(q.c_str()), p, 1);
    if (i < static_cast<int>(Rrl::kWays)) CHECK(rrl.Totals().evicted == 1);
  }
  CHECK(rrl.Totals().evicted == 1 + 20 - Rrl::kWays);

  RrlOptions big = Opts(1, 5, 0);
  big.table_size = 65536;
  Rrl sized(big, &clock);
  CHECK(sized.capacity() >= 65536);
  CHECK(sized.capacity() < 65536 + Rrl::kWays);
  // The hash spreads keys over the sets: 8000 accounts (names differing in
  // one byte, prefixes differing in one bit) fill an eighth of the table
  // without one eviction, and each gets its own credit.
  int sent = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string q = "n" + std::to_string(i) + ".e164.arpa.";
    sent += Flood(sized, Answer(q.c_str()), p, 1).sent;
    const std::string a = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
    sent += Flood(sized, Answer(), Addr(a.c_str()), 1).sent;
  }
  CHECK(sent == 8000);
  CHECK(sized.Totals().evicted == 0);
}

TEST_CASE("rrl: worker threads share one table, so the limit holds for the whole server") {
  ManualClock clock;
  RrlOptions o = Opts(50, 15, 2);
  o.counter_slots = 4;
  Rrl rrl(o, &clock);
  const auto resp = Answer();
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Different source addresses in one /24, like clients SO_REUSEPORT
      // spreads over workers; plus a name of each thread's own.
      const std::string a = "10.1.2." + std::to_string(10 + t);
      const Peer peer = Addr(a.c_str());
      const std::string own = "t" + std::to_string(t) + ".e164.arpa.";
      const auto mine = Answer(own.c_str());
      int s = 0;
      for (int i = 0; i < 20000; ++i) {
        s += rrl.Check(resp.data(), resp.size(), peer.sa(), t) == RrlAction::kSend;
        s += rrl.Check(mine.data(), mine.size(), peer.sa(), t) == RrlAction::kSend;
      }
      sent += s;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(sent == 50 + 4 * 50);  // the shared name once, each own name once
  const RrlCounters c = rrl.Totals();
  CHECK(c.dropped + c.slipped == 4 * 2 * 20000 - 250);
  CHECK(c.slipped == c.dropped);  // slip 2, an even number limited in each account
}

TEST_CASE("rrl: Check and Apply do not allocate") {
  ManualClock clock;
  RrlOptions o = Opts(3, 15, 2);
  o.exempt = {Prefix("10.0.0.0", 8)};
  Rrl rrl(o, &clock);
  const Peer v4 = Addr("192.0.2.1");
  const Peer v6 = Addr("2001:db8::1");
  const Peer exempt = Addr("10.1.1.1");
  std::vector<std::vector<uint8_t>> rs;
  for (int i = 0; i < 50; ++i) {
    const std::string q = std::to_string(i) + ".e164.arpa.";
    rs.push_back(Answer(q.c_str()));
    rs.push_back(Response(q.c_str(), 35, dns::rcode::kNXDomain, 0, "e164.arpa.", dns::type::kSOA,
                          true, true));
  }
  std::vector<uint8_t> work(4096);
  testing::AllocationScope scope;
  for (int round = 0; round < 100; ++round) {
    ++clock.now;
    for (const auto& r : rs) {
      for (const Peer* p : {&v4, &v6, &exempt}) {
        std::memcpy(work.data(), r.data(), r.size());
        (void)rrl.Apply(work.data(), r.size(), p->sa(), 0);
      }
    }
  }
  CHECK(scope.count() == 0);
  CHECK(rrl.Totals().slipped > 0);
}

}  // namespace enumd::query
