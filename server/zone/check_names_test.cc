// BIND 9.18's check-names table, case by case (each row was checked with
// `named-checkzone -k fail`; tests/system/test_zone_corpus.py compares whole
// files with it).
#include "zone/check_names.h"

#include <doctest/doctest.h>

#include <string>

#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::zone {
namespace {

std::string W(const char* text) { return dns::WireName(text); }

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The check of a record whose RDATA is `prefix` followed by the name `target`.
const char* Check(const char* owner, uint16_t type, const std::string& prefix = "",
                  const char* target = nullptr) {
  std::string o = W(owner);
  std::string rdata = prefix + (target ? W(target) : std::string());
  return CheckNames(U(o), type, U(rdata), rdata.size());
}

const std::string kMxPref("\x00\x0a", 2);
const std::string kSrvFields("\x00\x01\x00\x01\x13\xc4", 6);
const std::string kAddr("\xc0\x00\x02\x01", 4);

}  // namespace

TEST_CASE("CheckNames: owner names of address and MX records must be host names") {
  CHECK(Check("host-1.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(Check("1abc.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(Check("a--b.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(Check("*.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(Check("*.x.example.", dns::type::kMX, kMxPref, "mail.example.") == nullptr);
  CHECK(Check("xn--bcher-kva.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(std::string(Check("host_1.example.", dns::type::kA, kAddr)) ==
        "bad owner name (check-names)");
  CHECK(Check("_x.example.", dns::type::kAAAA, std::string(16, '\0')) != nullptr);
  CHECK(Check("-lead.example.", dns::type::kA, kAddr) != nullptr);
  CHECK(Check("trail-.example.", dns::type::kA, kAddr) != nullptr);
  CHECK(Check("a.*.example.", dns::type::kA, kAddr) != nullptr);
  CHECK(Check("_m.example.", dns::type::kMX, kMxPref, ".") != nullptr);
  CHECK(Check("_w.example.", 11, kAddr + "\x06") != nullptr);  // WKS
  // Active Directory's gc._msdcs, for A and AAAA only, and only first.
  CHECK(Check("gc._msdcs.example.", dns::type::kA, kAddr) == nullptr);
  CHECK(Check("GC._MSDCS.example.", dns::type::kAAAA, std::string(16, '\0')) == nullptr);
  CHECK(Check("a.gc._msdcs.example.", dns::type::kA, kAddr) != nullptr);
  CHECK(Check("gc._msdcs.example.", 38, std::string(1, '\0') + std::string(16, '\0')) !=
        nullptr);  // A6
  // Other types' owners are free: service labels, ENUM digits.
  CHECK(Check("_sip._udp.example.", dns::type::kSRV, kSrvFields, "pbx.example.") == nullptr);
  CHECK(Check("_dmarc.example.", dns::type::kTXT, "\x01x") == nullptr);
  CHECK(Check("_a.example.", dns::type::kNS, "", "ns.example.") == nullptr);
}

TEST_CASE("CheckNames: an NSEC3 owner's first label is an unpadded base32hex hash") {
  CHECK(Check("cpnmuog0.example.", 50) == nullptr);
  CHECK(Check("CPNMU.example.", 50) == nullptr);            // any length, either case
  CHECK(Check("CPNMU===.example.", 50) == kBadNsec3Owner);  // padded (BIND refuses)
  CHECK(Check("www.example.", 50) == kBadNsec3Owner);       // 'w' is not base32hex
  CHECK(Check("CPNMV.example.", 50) == kBadNsec3Owner);     // bits left over
  CHECK(std::string(kBadNsec3Owner) != std::string(Check("host_1.example.", dns::type::kA, kAddr)));
}

TEST_CASE("CheckNames: targets of NS, MX, SRV, AFSDB, RT and the SOA's names") {
  CHECK(Check("x.example.", dns::type::kNS, "", "ns_1.example.net.") != nullptr);
  CHECK(Check("x.example.", dns::type::kNS, "", "*.example.net.") != nullptr);
  CHECK(Check("x.example.", dns::type::kNS, "", "-bad.example.net.") != nullptr);
  CHECK(Check("x.example.", dns::type::kNS, "", ".") == nullptr);
  CHECK(std::string(Check("x.example.", dns::type::kMX, kMxPref, "bad_host.example.")) ==
        "bad name in RDATA (check-names)");
  CHECK(Check("x.example.", dns::type::kMX, kMxPref, ".") == nullptr);  // null MX
  CHECK(Check("x.example.", dns::type::kSRV, kSrvFields, "_underscore.example.") != nullptr);
  CHECK(Check("x.example.", 18, kMxPref, "bad_t.example.") != nullptr);  // AFSDB
  CHECK(Check("x.example.", 21, kMxPref, "bad_t.example.") != nullptr);  // RT
  // Not checked by BIND: CNAME, DNAME, NAPTR, KX, PX, RP, MINFO targets.
  CHECK(Check("x.example.", dns::type::kCNAME, "", "bad_t.example.") == nullptr);
  CHECK(Check("x.example.", 36, kMxPref, "bad_t.example.") == nullptr);  // KX
  CHECK(Check("x.example.", 17, "", "bad_t.example.") == nullptr);       // RP (first name)
  // SOA: MNAME a host name, RNAME a mailbox.
  const std::string timers(20, '\0');
  auto soa = [&](const char* mname, const char* rname) {
    std::string o = W("example.");
    std::string rdata = W(mname) + W(rname) + timers;
    return CheckNames(U(o), dns::type::kSOA, U(rdata), rdata.size());
  };
  CHECK(soa("ns.example.net.", "host.example.net.") == nullptr);
  CHECK(soa(".", ".") == nullptr);
  CHECK(soa("ns.example.net.", "first\\.last+tag.example.net.") == nullptr);
  CHECK(soa("ns.example.net.", "a_b.example.") == nullptr);
  CHECK(soa("ns.example.net.", "a\\\"b.example.") == nullptr);
  CHECK(soa("ns_1.example.net.", "host.example.net.") != nullptr);
  CHECK(soa("ns.example.net.", "host.mail_x.example.") != nullptr);
  CHECK(soa("ns.example.net.", "a\\032b.example.") != nullptr);
}

TEST_CASE("CheckNames: PTR targets in the reverse trees, DNS-SD browse names excepted") {
  CHECK(Check("10.2.0.192.in-addr.arpa.", dns::type::kPTR, "", "host_10.example.") != nullptr);
  CHECK(Check("1.0.ip6.arpa.", dns::type::kPTR, "", "host_10.example.") != nullptr);
  CHECK(Check("1.0.ip6.int.", dns::type::kPTR, "", "host_10.example.") != nullptr);
  CHECK(Check("10.2.0.192.in-addr.arpa.", dns::type::kPTR, "", "host.example.") == nullptr);
  CHECK(Check("_ptr.example.", dns::type::kPTR, "", "bad_target.example.") == nullptr);
  for (const char* browse : {"b", "db", "r", "dr", "lb"}) {
    CAPTURE(browse);
    std::string owner = std::string(browse) + "._dns-sd._udp.2.0.192.in-addr.arpa.";
    CHECK(Check(owner.c_str(), dns::type::kPTR, "", "!@#3.") == nullptr);
  }
  CHECK(Check("b._fail._udp.2.0.192.in-addr.arpa.", dns::type::kPTR, "", "!@#3.") != nullptr);
  CHECK(Check("lb._dns-sd._tcp.2.0.192.in-addr.arpa.", dns::type::kPTR, "", "!@#3.") != nullptr);
}

}  // namespace enumd::zone
