// AXFR/IXFR out: who may transfer (ACL, TSIG), what each transport gets,
// and the messages of a stream, decoded with ldns (an independent parser)
// and checked across messages with the client-side TSIG verifier.
#include "query/zone_transfer.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ldns/ldns.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_stream.h"
#include "query/query_test_support.h"
#include "store/zone_snapshot.h"
#include "zone/zone_transaction.h"

namespace enumd::query {
namespace {

const char* kZone = R"ZONE($TTL 1h
@ IN SOA ns.e164.arpa. root.e164.arpa. 7 3600 3600 3600 600
@ IN NS ns.e164.arpa.
ns IN A 127.0.0.2
1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .
*.2.1.6 IN NAPTR 100 100 "u" "E2U+sip" "!^.*$!sip:block@example.com!" .
3.2.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:own@example.com!" .
sub IN NS ns1.sub
ns1.sub IN A 192.0.2.53
)ZONE";

constexpr uint16_t kAxfr = dns::type::kAXFR, kIxfr = dns::type::kIXFR;

sockaddr_in Addr(const char* dotted) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, dotted, &a.sin_addr);
  return a;
}

dns::TsigKey Key(const char* name, const char* secret) {
  auto k = dns::MakeTsigKey(name, dns::TsigAlgorithm::kHmacSha256, secret);
  REQUIRE(k.ok());
  return *k;
}

struct Fixture : ServedZone {
  TransferPolicyHolder holder;
  std::unique_ptr<ZoneTransfers> transfers;

  explicit Fixture(zone::WildcardMode mode = zone::WildcardMode::kRfc4592, bool allow_local = true)
      : ServedZone(kZone, ResponderOptions(), mode) {
    auto p = std::make_shared<TransferPolicy>();
    REQUIRE(p->keys.Add(Key("xfr.", "secret-of-the-transfer-key")).ok());
    REQUIRE(p->keys.Add(Key("other.", "another-secret-altogether")).ok());
    TransferAcl acl;
    acl.keys.push_back(dns::WireName("xfr."));
    if (allow_local) {
      zone::UpdatePrefix local;
      local.addr[0] = 127;
      local.length = 8;
      acl.addresses.push_back(local);
    }
    p->zones[zone::testing::OriginWire("e164.arpa.")] = acl;
    holder.Set(p);
    transfers = std::make_unique<ZoneTransfers>(store.get(), &registry, &holder);
  }
  ~Fixture() { transfers.reset(); }

  // A change committed through the journal: one NAPTR added.
  uint32_t AddNumber(const std::string& digits) {
    auto t = zone::ZoneTransaction::Begin(store.get(), zone::testing::OriginWire("e164.arpa."));
    REQUIRE(t.ok());
    const std::string owner = dns::WireName(digits + ".e164.arpa.");
    REQUIRE((*t)->Add(reinterpret_cast<const uint8_t*>(owner.data()), dns::type::kNAPTR, 3600,
                      zone::testing::NaptrRdata(10, "sip:" + digits + "@example.com"))
                .ok());
    auto c = (*t)->Commit(zone::SerialPolicy::kIncrement, 0, store::JournalLimits());
    REQUIRE(c.ok());
    return c->new_serial;
  }
};

std::vector<uint8_t> MakeRequest(const std::string& name, uint16_t type, int ixfr_serial = -1) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name.c_str(), static_cast<ldns_rr_type>(type),
                                     LDNS_RR_CLASS_IN, 0) == LDNS_STATUS_OK);
  ldns_pkt_set_id(p, 0x4242);
  if (ixfr_serial >= 0) {
    ldns_rr* soa = nullptr;
    const std::string text = name + " 0 IN SOA ns.e164.arpa. root.e164.arpa. " +
                             std::to_string(ixfr_serial) + " 1 1 1 1";
    REQUIRE(ldns_rr_new_frm_str(&soa, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
  }
  uint8_t* wire = nullptr;
  size_t len = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &len) == LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + len);
  free(wire);
  ldns_pkt_free(p);
  return out;
}

struct Message {
  int rcode = -1;
  bool aa = false;
  int questions = 0;
  std::vector<std::string> records;  // "owner TYPE rdata"
};

Message Decode(const uint8_t* m, size_t n) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, m, n) == LDNS_STATUS_OK);
  Message out;
  out.rcode = ldns_pkt_get_rcode(p);
  out.aa = ldns_pkt_aa(p);
  out.questions = ldns_pkt_qdcount(p);
  CHECK(ldns_pkt_id(p) == 0x4242);
  ldns_rr_list* an = ldns_pkt_answer(p);
  for (size_t i = 0; i < ldns_rr_list_rr_count(an); ++i) {
    char* s = ldns_rr2str(ldns_rr_list_rr(an, i));
    std::string text(s);
    free(s);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    out.records.push_back(text);
  }
  ldns_pkt_free(p);
  return out;
}

struct Got {
  size_t single = 0;  // length of a single answer; 0 when a stream started
  Message answer;     // the single answer
  std::vector<Message> stream;
  std::vector<std::string> records;  // of the whole stream
};

Got Run(Fixture& f, const std::vector<uint8_t>& q, bool tcp, const char* from = "127.0.0.1",
        dns::TsigResponseVerifier* verifier = nullptr) {
  std::vector<uint8_t> out(65535);
  sockaddr_in peer = Addr(from);
  std::unique_ptr<TransferStream> stream;
  Got r;
  r.single = f.transfers->Answer(q.data(), q.size(), out.data(), out.size(), tcp,
                                 reinterpret_cast<const sockaddr*>(&peer), time(nullptr), &stream);
  if (r.single != 0) {
    CHECK(stream == nullptr);
    r.answer = Decode(out.data(), r.single);
    if (verifier)
      CHECK(verifier->Verify(out.data(), r.single, time(nullptr)).outcome ==
            dns::TsigOutcome::kVerified);
    return r;
  }
  REQUIRE(stream != nullptr);
  for (int i = 0; i < 100000; ++i) {
    const size_t n = stream->Next(out.data(), out.size());
    REQUIRE(n != TransferStream::kFailed);
    if (n == 0) break;
    CHECK(n <= 65535);
    if (verifier)
      CHECK(verifier->Verify(out.data(), n, time(nullptr)).outcome == dns::TsigOutcome::kVerified);
    r.stream.push_back(Decode(out.data(), n));
    for (const std::string& rec : r.stream.back().records) r.records.push_back(rec);
  }
  CHECK(stream->done());
  return r;
}

bool IsSoa(const std::string& rec, uint32_t serial) {
  return rec.find("\tSOA\t") != std::string::npos &&
         rec.find(" " + std::to_string(serial) + " ") != std::string::npos;
}

size_t Count(const std::vector<std::string>& v, const std::string& needle) {
  size_t n = 0;
  for (const std::string& s : v) n += s.find(needle) != std::string::npos;
  return n;
}

TEST_CASE("transfer: IsTransfer claims AXFR and IXFR queries only") {
  CHECK(ZoneTransfers::IsTransfer(MakeRequest("e164.arpa.", kAxfr).data(),
                                  MakeRequest("e164.arpa.", kAxfr).size()));
  std::vector<uint8_t> ixfr = MakeRequest("e164.arpa.", kIxfr, 3);
  CHECK(ZoneTransfers::IsTransfer(ixfr.data(), ixfr.size()));
  std::vector<uint8_t> soa = MakeRequest("e164.arpa.", dns::type::kSOA);
  CHECK_FALSE(ZoneTransfers::IsTransfer(soa.data(), soa.size()));
  std::vector<uint8_t> axfr = MakeRequest("e164.arpa.", kAxfr);
  CHECK_FALSE(ZoneTransfers::IsTransfer(axfr.data(), 14));  // cut in the question
  axfr[2] |= 0x80;                                          // a response
  CHECK_FALSE(ZoneTransfers::IsTransfer(axfr.data(), axfr.size()));
}

TEST_CASE("transfer: AXFR over TCP is the SOA, every record, the SOA") {
  Fixture f;
  Got r = Run(f, MakeRequest("e164.arpa.", kAxfr), true);
  REQUIRE(r.single == 0);
  REQUIRE(r.records.size() >= 3);
  CHECK(IsSoa(r.records.front(), 7));
  CHECK(IsSoa(r.records.back(), 7));
  CHECK(Count(r.records, "\tSOA\t") == 2);
  // Everything else once: NS, A x2, NAPTR x3, the delegation's NS and glue.
  CHECK(r.records.size() == 2 + 1 + 2 + 3 + 1);
  CHECK(Count(r.records, "*.2.1.6.e164.arpa.") == 1);
  CHECK(Count(r.records, "ns1.sub.e164.arpa.\t") == 1);
  CHECK(r.stream.front().questions == 1);
  CHECK(r.stream.front().aa);
  CHECK(r.stream.front().rcode == 0);
}

TEST_CASE("transfer: refusals, as BIND 9.18 answers them") {
  Fixture f(zone::WildcardMode::kRfc4592, /*allow_local=*/false);
  // Not allowed: no key, wrong address.
  Got r = Run(f, MakeRequest("e164.arpa.", kAxfr), true);
  CHECK(r.answer.rcode == dns::rcode::kRefused);
  CHECK(r.answer.records.empty());
  // Not a zone apex: NOTAUTH, even below a served zone.
  r = Run(f, MakeRequest("6.e164.arpa.", kAxfr), true);
  CHECK(r.answer.rcode == dns::rcode::kNotAuth);
  r = Run(f, MakeRequest("example.com.", kAxfr), true);
  CHECK(r.answer.rcode == dns::rcode::kNotAuth);
}

TEST_CASE("transfer: AXFR over UDP is FORMERR when allowed, REFUSED when not") {
  Fixture f;
  Got r = Run(f, MakeRequest("e164.arpa.", kAxfr), false);
  CHECK(r.answer.rcode == dns::rcode::kFormErr);
  r = Run(f, MakeRequest("e164.arpa.", kAxfr), false, "192.0.2.1");
  CHECK(r.answer.rcode == dns::rcode::kRefused);
}

TEST_CASE("transfer: TSIG signs every message; a wrong key is NOTAUTH") {
  Fixture f(zone::WildcardMode::kRfc4592, /*allow_local=*/false);
  dns::TsigKey key = Key("xfr.", "secret-of-the-transfer-key");
  std::vector<uint8_t> q = MakeRequest("e164.arpa.", kAxfr);
  std::string msg(q.begin(), q.end()), mac;
  REQUIRE(dns::SignRequest(key, time(nullptr), &msg, &mac));
  dns::TsigResponseVerifier verifier(key, mac);
  Got r = Run(f, std::vector<uint8_t>(msg.begin(), msg.end()), true, "192.0.2.1", &verifier);
  REQUIRE(r.single == 0);
  CHECK(verifier.complete());
  CHECK(IsSoa(r.records.back(), 7));

  // A key the server knows but the zone does not list: REFUSED, signed.
  dns::TsigKey other = Key("other.", "another-secret-altogether");
  msg.assign(q.begin(), q.end());
  REQUIRE(dns::SignRequest(other, time(nullptr), &msg, &mac));
  dns::TsigResponseVerifier v2(other, mac);
  r = Run(f, std::vector<uint8_t>(msg.begin(), msg.end()), true, "192.0.2.1", &v2);
  CHECK(r.answer.rcode == dns::rcode::kRefused);

  // The right name with the wrong secret: NOTAUTH (BADSIG), unsigned.
  dns::TsigKey forged = Key("xfr.", "not-the-secret-of-the-key");
  msg.assign(q.begin(), q.end());
  REQUIRE(dns::SignRequest(forged, time(nullptr), &msg, &mac));
  r = Run(f, std::vector<uint8_t>(msg.begin(), msg.end()), true, "192.0.2.1");
  CHECK(r.answer.rcode == dns::rcode::kNotAuth);
  // An unknown key: NOTAUTH (BADKEY).
  dns::TsigKey unknown = Key("nobody.", "secret-of-the-transfer-key");
  msg.assign(q.begin(), q.end());
  REQUIRE(dns::SignRequest(unknown, time(nullptr), &msg, &mac));
  r = Run(f, std::vector<uint8_t>(msg.begin(), msg.end()), true, "192.0.2.1");
  CHECK(r.answer.rcode == dns::rcode::kNotAuth);
}

TEST_CASE("transfer: IXFR from the journal, SOA alone when up to date, AXFR-style otherwise") {
  Fixture f;
  const uint32_t s1 = f.AddNumber("5.5.5");
  const uint32_t s2 = f.AddNumber("6.6.6");
  REQUIRE(s1 == 8);
  REQUIRE(s2 == 9);

  // Up to date (or newer): the SOA alone.
  Got r = Run(f, MakeRequest("e164.arpa.", kIxfr, 9), true);
  REQUIRE(r.single != 0);
  CHECK(r.answer.rcode == 0);
  CHECK(r.answer.aa);
  REQUIRE(r.answer.records.size() == 1);
  CHECK(IsSoa(r.answer.records[0], 9));
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 12), true);
  REQUIRE(r.answer.records.size() == 1);

  // From serial 7: two differences (RFC 1995 §4).
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 7), true);
  REQUIRE(r.single == 0);
  const std::vector<std::string>& x = r.records;
  REQUIRE(x.size() == 1 + 2 * 3 + 1);
  CHECK(IsSoa(x[0], 9));
  CHECK(IsSoa(x[1], 7));  // deleted: the old SOA (and nothing else)
  CHECK(IsSoa(x[2], 8));  // added: the new SOA and the number
  CHECK(x[3].find("5.5.5.e164.arpa.") == 0);
  CHECK(IsSoa(x[4], 8));
  CHECK(IsSoa(x[5], 9));
  CHECK(x[6].find("6.6.6.e164.arpa.") == 0);
  CHECK(IsSoa(x[7], 9));

  // From serial 8: one.
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 8), true);
  CHECK(r.records.size() == 1 + 3 + 1);

  // A serial the journal lacks: the whole zone, AXFR-style.
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 3), true);
  REQUIRE(r.single == 0);
  CHECK(IsSoa(r.records.front(), 9));
  CHECK(IsSoa(r.records.back(), 9));
  CHECK(r.records.size() == 2 + 1 + 2 + 3 + 1 + 2);
  CHECK(Count(r.records, "\tSOA\t") == 2);

  // Over UDP: the SOA alone, without AA (as BIND 9.18).
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 7), false);
  REQUIRE(r.single != 0);
  REQUIRE(r.answer.records.size() == 1);
  CHECK(IsSoa(r.answer.records[0], 9));
  CHECK_FALSE(r.answer.aa);

  // Without the client's SOA: FORMERR.
  r = Run(f, MakeRequest("e164.arpa.", kIxfr), true);
  CHECK(r.answer.rcode == dns::rcode::kFormErr);
}

TEST_CASE("transfer: a longest-match zone goes out as its RFC 4592 equivalent") {
  Fixture f(zone::WildcardMode::kLongestMatch);
  Got r = Run(f, MakeRequest("e164.arpa.", kAxfr), true);
  REQUIRE(r.single == 0);
  // 3.2.1.6 has data of its own; below it the wildcard "*.2.1.6" governs,
  // so a standard server needs "*.3.2.1.6" carrying the block's records.
  CHECK(Count(r.records, "*.3.2.1.6.e164.arpa.") == 1);
  // And so does "*.*.2.1.6" for the names below the wildcard itself.
  CHECK(Count(r.records, "*.*.2.1.6.e164.arpa.") == 1);
  CHECK(Count(r.records, "sip:block@example.com") == 3);
  // An IXFR of such a zone is always the whole equivalent zone.
  f.AddNumber("5.5.5");
  r = Run(f, MakeRequest("e164.arpa.", kIxfr, 7), true);
  REQUIRE(r.single == 0);
  CHECK(Count(r.records, "*.3.2.1.6.e164.arpa.") == 1);
  CHECK(Count(r.records, "\tSOA\t") == 2);
}

TEST_CASE("transfer: messages respect the size asked for, whatever the zone size") {
  std::string text = kZone;
  for (int i = 0; i < 2000; ++i)
    text += std::to_string(i % 10) + "." + std::to_string(i / 10 % 10) + "." +
            std::to_string(i / 100 % 10) + "." + std::to_string(i / 1000) +
            ".8 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:n" + std::to_string(i) +
            "@example.com!\" .\n";
  ServedZone z(text, ResponderOptions());
  auto snap = z.store->OpenSnapshot(zone::testing::OriginWire("e164.arpa."));
  REQUIRE(snap.ok());
  TransferStream::Options o;
  o.id = 0x4242;
  std::string q = dns::WireName("e164.arpa.");
  std::memcpy(o.qname, q.data(), q.size());
  o.message_size = 1024;
  auto s = TransferStream::Open(std::move(*snap), dns::WireName("e164.arpa."), std::move(o));
  REQUIRE(s.ok());
  std::vector<uint8_t> out(65535);
  size_t records = 0, messages = 0;
  for (;;) {
    const size_t n = (*s)->Next(out.data(), out.size());
    REQUIRE(n != TransferStream::kFailed);
    if (n == 0) break;
    CHECK(n <= 1024);
    Message m = Decode(out.data(), n);
    CHECK(m.questions == (messages == 0 ? 1 : 0));
    records += m.records.size();
    ++messages;
  }
  CHECK(records == 2000 + 2 + 1 + 2 + 3 + 1);
  CHECK(messages > 100);
  CHECK((*s)->records() == records);
}

}  // namespace
}  // namespace enumd::query

namespace enumd::query {
namespace {

TEST_CASE("notify: a primary answers NOERROR with AA for its zones, NOTAUTH otherwise") {
  Fixture f;
  auto ask = [&](const std::string& name) {
    std::vector<uint8_t> q = MakeRequest(name, dns::type::kSOA);
    q[2] = static_cast<uint8_t>((q[2] & 0x87) | (dns::opcode::kNotify << 3));
    REQUIRE(ZoneTransfers::IsNotify(q.data(), q.size()));
    std::vector<uint8_t> out(65535);
    sockaddr_in peer = Addr("127.0.0.1");
    const size_t n =
        f.transfers->AnswerNotify(q.data(), q.size(), out.data(), out.size(),
                                  reinterpret_cast<const sockaddr*>(&peer), time(nullptr));
    REQUIRE(n >= dns::kHeaderSize);
    CHECK(((out[2] >> 3) & 0xF) == dns::opcode::kNotify);
    CHECK((out[2] & 0x80) != 0);
    return Decode(out.data(), n);
  };
  Message m = ask("e164.arpa.");
  CHECK(m.rcode == 0);
  CHECK(m.aa);
  CHECK(m.questions == 1);
  m = ask("6.e164.arpa.");
  CHECK(m.rcode == dns::rcode::kNotAuth);
  CHECK_FALSE(m.aa);
  m = ask("example.com.");
  CHECK(m.rcode == dns::rcode::kNotAuth);
  std::vector<uint8_t> q = MakeRequest("e164.arpa.", dns::type::kSOA);
  CHECK_FALSE(ZoneTransfers::IsNotify(q.data(), q.size()));
}

}  // namespace
}  // namespace enumd::query
