// Tests of `enumctl lookup` as a command: arguments, the text and JSON
// reports, and exit codes, against a fake resolver holding the playground's
// records (zones/playground/e164.arpa.db) and a few broken ones.
#include "enumctl/lookup.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "enumctl/fake_resolver_test.h"

namespace enumd::enumctl {
namespace {

using testing::FakeResolver;

const std::string kN = "0.0.5.5.5.3.1.6.e164.arpa";

void Playground(FakeResolver* dns) {
  const std::string lit = "!^.*$!sip:61355500912@";
  const std::string nick = ".enum.nickvsnetworking.com!";
  dns->Naptr("1.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "10.0.1.98!");
  dns->Naptr("2.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "server1" + nick);
  dns->Naptr("2.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "server2" + nick);
  dns->Naptr("3.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "server1" + nick);
  dns->Naptr("3.1.9." + kN, 10, 200, "u", "E2U+sip", lit + "server3" + nick);
  dns->Naptr("3.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "server2" + nick);
  dns->Naptr("4.1.9." + kN, 10, 100, "u", "E2U+sip", lit + "firstchoice" + nick);
  dns->Naptr("4.1.9." + kN, 20, 100, "u", "E2U+sip", lit + "secondchoice" + nick);
  dns->Naptr("5.1.9." + kN, 10, 100, "u", "E2U+sip",
             "!(^.*$)!sip:+1\\1@enum.nickvsnetworking.com!");
  dns->Address("1.9." + kN + ".host", "192.0.2.1");  // something that is not NAPTR
}

struct Run {
  int code;
  std::string out, err;
};

Run Lookup(FakeResolver& dns, const std::vector<std::string>& args) {
  Run r;
  auto opt = ParseLookupArgs(args);
  REQUIRE(opt.ok());
  r.code = RunLookupWith(*opt, dns, "192.0.2.53:53", &r.out, &r.err);
  return r;
}

}  // namespace

TEST_CASE("lookup arguments") {
  auto o = ParseLookupArgs({"+61355500913", "--server", "127.0.0.1:5300", "--json", "--service=sip",
                            "--service", "E2U+pstn:tel", "--timeout", "500", "--retries=0", "--tcp",
                            "--suffix", "e164.example.net"});
  REQUIRE(o.ok());
  CHECK(o->number == "+61355500913");
  CHECK(o->server == "127.0.0.1:5300");
  CHECK(o->json);
  CHECK(o->tcp);
  CHECK(o->services == std::vector<std::string>{"sip", "E2U+pstn:tel"});
  CHECK(o->timeout_ms == 500);
  CHECK(o->retries == 0);
  CHECK(o->suffix == "e164.example.net");
  auto s = ParseLookupArgs({"--snaptr", "ims.apn.example", "--service", "x-3gpp-pgw:x-s8-gtp"});
  REQUIRE(s.ok());
  CHECK(s->snaptr == "ims.apn.example");
  CHECK(ParseLookupArgs({"--help"})->help);

  auto error = [](const std::vector<std::string>& args) {
    auto r = ParseLookupArgs(args);
    return r.ok() ? std::string("<ok>") : r.status().message();
  };
  CHECK(error({}) == "lookup needs an E.164 number (or --snaptr DOMAIN)");
  CHECK(error({"+1", "+2"}) == "lookup takes one number");
  CHECK(error({"+1", "--server"}) == "--server needs a value");
  CHECK(error({"+1", "--bogus"}) == "unknown option --bogus (try enumctl lookup --help)");
  CHECK(error({"+1", "--timeout", "0"}) == "--timeout takes a number from 1 to 600000, not '0'");
  CHECK(error({"+1", "--retries", "x"}).find("--retries takes a number") == 0);
  CHECK(error({"+1", "--json=yes"}) == "--json takes no value");
  CHECK(error({"--snaptr", "a.example"}).find("--snaptr needs --service") == 0);
  CHECK(error({"+1", "--snaptr", "a.example", "--service", "x"}) ==
        "--snaptr takes a domain, not a number as well");
}

TEST_CASE("the issue's example: +61355500913, text") {
  FakeResolver dns;
  Playground(&dns);
  const Run r = Lookup(dns, {"+61355500913"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out ==
        "3.1.9.0.0.5.5.5.3.1.6.e164.arpa  NAPTR (3 records, E2U+sip)\n"
        "  1  order 10  pref 100  50%  sip:61355500912@server1.enum.nickvsnetworking.com\n"
        "  1  order 10  pref 100  50%  sip:61355500912@server2.enum.nickvsnetworking.com\n"
        "  2  order 10  pref 200  fallback  sip:61355500912@server3.enum.nickvsnetworking.com\n"
        "  note: preference is a processing order (RFC 3403 §4.1), not a weight: server3 gets "
        "calls only when server1 and server2 fail\n");
  CHECK(dns.asked == std::vector<std::string>{"3.1.9." + kN + " NAPTR"});
}

TEST_CASE("the other playground numbers") {
  FakeResolver dns;
  Playground(&dns);
  const Run one = Lookup(dns, {"+61 3 5550 0911"});
  CHECK(one.code == 0);
  CHECK(one.out.find("  1  order 10  pref 100  100%  sip:61355500912@10.0.1.98\n") !=
        std::string::npos);
  const Run two = Lookup(dns, {"+61355500912"});
  CHECK(two.out.find("50%  sip:61355500912@server1") != std::string::npos);
  CHECK(two.out.find("50%  sip:61355500912@server2") != std::string::npos);
  CHECK(two.out.find("note:") == std::string::npos);  // equal preferences: nothing to say
  const Run four = Lookup(dns, {"+61355500914"});
  CHECK(four.out.find("  1  order 10  pref 100  100%  sip:61355500912@firstchoice") !=
        std::string::npos);
  CHECK(four.out.find("  2  order 20  pref 100  fallback  sip:61355500912@secondchoice") !=
        std::string::npos);
  // RFC 3402: \1 is the whole AUS, "+61355500915" with its "+".
  const Run five = Lookup(dns, {"+61355500915"});
  CHECK(five.out.find("100%  sip:+1+61355500915@enum.nickvsnetworking.com\n") != std::string::npos);
}

TEST_CASE("exit codes: 2 for no such number, no record for the service") {
  FakeResolver dns;
  Playground(&dns);
  const Run nx = Lookup(dns, {"+61355500916"});
  CHECK(nx.code == 2);
  CHECK(nx.out.empty());
  CHECK(nx.err ==
        "no such number +61355500916: 6.1.9.0.0.5.5.5.3.1.6.e164.arpa does not exist (NXDOMAIN)");
  dns.Address("7.1.9." + kN, "192.0.2.7");
  const Run nodata = Lookup(dns, {"+61355500917"});
  CHECK(nodata.code == 2);
  CHECK(nodata.err.find("has no NAPTR records (NODATA)") != std::string::npos);
  const Run email = Lookup(dns, {"+61355500913", "--service", "email:mailto"});
  CHECK(email.code == 2);
  CHECK(email.err ==
        "no NAPTR record for E2U+email:mailto at 3.1.9.0.0.5.5.5.3.1.6.e164.arpa "
        "(3 for other services)");
  dns.Naptr("8.1.9." + kN, 10, 100, "u", "E2U+sip", "!^\\+44.*$!sip:uk@example!");
  const Run nomatch = Lookup(dns, {"+61355500918"});
  CHECK(nomatch.code == 2);
  CHECK(nomatch.err.find("no usable record for E2U+sip") == 0);
  CHECK(nomatch.out.find("skipped: regexp") != std::string::npos);
}

TEST_CASE("exit codes: 1 for errors, with one line") {
  FakeResolver dns;
  Playground(&dns);
  dns.Rcode("9.1.9." + kN, dns::rcode::kServFail);
  const Run servfail = Lookup(dns, {"+61355500919"});
  CHECK(servfail.code == 1);
  CHECK(servfail.err ==
        "SERVFAIL for 9.1.9.0.0.5.5.5.3.1.6.e164.arpa NAPTR: the server could not answer");
  dns.Fail("0.2.9." + kN, "no answer from 192.0.2.53:53: timed out (3 tries of 2000 ms)");
  const Run timeout = Lookup(dns, {"+61355500920"});
  CHECK(timeout.code == 1);
  CHECK(timeout.err.find("timed out") != std::string::npos);
  // A malformed regexp next to a good record: the good one is shown, exit 1.
  dns.Naptr("1.2.9." + kN, 10, 100, "u", "E2U+sip", "!^.*$!sip:good@example!");
  dns.Naptr("1.2.9." + kN, 10, 100, "u", "E2U+sip", "!^.*$!sip:bad@example");
  const Run bad = Lookup(dns, {"+61355500921"});
  CHECK(bad.code == 1);
  CHECK(bad.out.find("  1  order 10  pref 100  100%  sip:good@example\n") != std::string::npos);
  CHECK(bad.out.find("  -  order 10  pref 100  error: malformed regexp") != std::string::npos);
  CHECK(bad.err.find("1 record(s) with errors; first: malformed regexp") == 0);
  // Not a number at all.
  const Run nan = Lookup(dns, {"+61 3 5550 O911"});
  CHECK(nan.code == 1);
  CHECK(nan.err.find("E.164 number") == 0);
  CHECK(dns.asked.size() == 3);  // nothing was asked for the bad number
}

TEST_CASE("--json carries the same data") {
  FakeResolver dns;
  Playground(&dns);
  dns.Truncate("3.1.9." + kN);
  const Run r = Lookup(dns, {"+61355500913", "--json"});
  CHECK(r.code == 0);
  const std::string& j = r.out;
  CHECK(j.front() == '{');
  CHECK(j.find("\"number\": \"+61355500913\"") != std::string::npos);
  CHECK(j.find("\"name\": \"3.1.9.0.0.5.5.5.3.1.6.e164.arpa\"") != std::string::npos);
  CHECK(j.find("\"server\": \"192.0.2.53:53\"") != std::string::npos);
  CHECK(j.find("\"status\": \"found\"") != std::string::npos);
  CHECK(j.find("\"share\": \"50%\"") != std::string::npos);
  CHECK(j.find("\"share\": \"fallback\"") != std::string::npos);
  CHECK(j.find("\"uri\": \"sip:61355500912@server3.enum.nickvsnetworking.com\"") !=
        std::string::npos);
  CHECK(j.find("\"regexp\": \"!^.*$!sip:61355500912@server1.enum.nickvsnetworking.com!\"") !=
        std::string::npos);
  CHECK(j.find("not a weight: server3 gets calls") != std::string::npos);
  CHECK(j.find("\"truncated_udp\": true") != std::string::npos);
  const Run nx = Lookup(dns, {"+61355500916", "--json"});
  CHECK(nx.code == 2);
  CHECK(nx.out.find("\"status\": \"nxdomain\"") != std::string::npos);
  CHECK(nx.out.find("\"exit_code\": 2") != std::string::npos);
}

TEST_CASE("JSON strings are escaped; the text report escapes raw bytes") {
  FakeResolver dns;
  dns.Naptr("1.3.9." + kN, 10, 100, "u", "E2U+sip", "!^.*$!sip:\"q\"\\\\x@a\x01!");
  const Run j = Lookup(dns, {"+61355500931", "--json"});
  CHECK(j.out.find(R"("regexp": "!^.*$!sip:\"q\"\\\\x@a\u0001!")") != std::string::npos);
  const Run t = Lookup(dns, {"+61355500931"});
  // The URI has a control character: not a URI, reported with \001.
  CHECK(t.code == 1);
  CHECK(t.out.find("\\001") != std::string::npos);
  CHECK(t.out.find('\x01') == std::string::npos);
}

TEST_CASE("the transport line says when TC forced TCP") {
  FakeResolver dns;
  Playground(&dns);
  dns.Truncate("1.1.9." + kN);
  const Run r = Lookup(dns, {"+61355500911"});
  CHECK(r.out.find("  transport: the UDP answer for 1.1.9.0.0.5.5.5.3.1.6.e164.arpa NAPTR was "
                   "truncated (TC); asked again over TCP\n") != std::string::npos);
}

TEST_CASE("a private suffix and a non-terminal rule, in the text report") {
  FakeResolver dns;
  dns.Naptr("3.2.1.0.0.9.0.0.7.7.4.4.e164.example.net", 10, 10, "", "E2U+sip", "",
            "pbx.example.net.");
  dns.Naptr("pbx.example.net", 10, 10, "u", "E2U+sip", "!^\\+(.*)$!sip:\\1@pbx.example.net!");
  const Run r = Lookup(dns, {"+447700900123", "--suffix", "e164.example.net"});
  CHECK(r.code == 0);
  CHECK(r.out.find("  -  order 10  pref 10  non-terminal: continues at pbx.example.net\n") !=
        std::string::npos);
  CHECK(r.out.find("  1  order 10  pref 10  100%  sip:447700900123@pbx.example.net  "
                   "(via pbx.example.net)\n") != std::string::npos);
}

TEST_CASE("S-NAPTR in the text report") {
  FakeResolver dns;
  const std::string apn = "ims.apn.epc.mnc001.mcc001.3gppnetwork.org";
  dns.Naptr(apn, 10, 10, "a", "x-3gpp-pgw:x-s5-gtp:x-s8-gtp", "", "pgw1.example.");
  dns.Naptr(apn, 10, 10, "a", "x-3gpp-pgw:x-s5-gtp", "", "pgw2.example.");
  dns.Address("pgw1.example", "198.51.100.1");
  dns.Address("pgw1.example", "2001:db8::1");
  dns.Additional(apn, {"pgw1.example"});
  const Run r = Lookup(dns, {"--snaptr", apn, "--service", "x-3gpp-pgw:x-s8-gtp"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "ims.apn.epc.mnc001.mcc001.3gppnetwork.org  NAPTR (2 records, 1 for "
        "x-3gpp-pgw:x-s8-gtp)\n"
        "  1  order 10  pref 10  100%  a  pgw1.example\n"
        "         198.51.100.1  2001:db8::1  (additional section)\n");
  const Run none = Lookup(dns, {"--snaptr", apn, "--service", "x-3gpp-sgw"});
  CHECK(none.code == 2);
  const Run nx = Lookup(dns, {"--snaptr", "nope.example", "--service", "x-3gpp-pgw"});
  CHECK(nx.code == 2);
  CHECK(nx.err == "nope.example does not exist (NXDOMAIN)");
}

}  // namespace enumd::enumctl
