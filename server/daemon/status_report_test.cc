#include "daemon/status_report.h"

#include <doctest/doctest.h>

namespace enumd::daemon {

TEST_CASE("status report: text and JSON say the same, JSON strings escaped") {
  StatusReport r;
  r.version = "0.1.0";
  r.pid = 42;
  r.started_unix = 1000;
  r.now_unix = 1000 + 86400 + 3661;
  r.listeners = {"127.0.0.1:53 udp+tcp"};
  r.workers = 2;
  r.store = "/var/lib/enumd";
  r.zones.push_back({"e164.arpa.", "rfc4592", "/etc/enumd/\"odd\".db", 7, 10, 16, 2, 300});
  r.counters = {{"updates", "applied", 3}, {"queries", "udp", 5}, {"updates", "refused", 1}};
  r.not_counted = {{"dnstap", "off"}};
  const std::string text = RenderText(r);
  CHECK(text.find("enumd 0.1.0, pid 42, up 1d 01:01:01\n") == 0);
  CHECK(text.find("e164.arpa.\tserial 7\t10 names\t16 records\tjournal 2 changes (300 bytes)") !=
        std::string::npos);
  CHECK(text.find("updates\tapplied 3\trefused 1\n") != std::string::npos);
  CHECK(text.find("queries\tudp 5\n") != std::string::npos);
  CHECK(text.find("dnstap\t(off)\n") != std::string::npos);
  const std::string json = RenderJson(r);
  CHECK(json.find("\"uptime_seconds\":90061") != std::string::npos);
  CHECK(json.find("\"file\":\"/etc/enumd/\\\"odd\\\".db\"") != std::string::npos);
  CHECK(json.find(
            "\"counters\":{\"updates\":{\"applied\":3,\"refused\":1},\"queries\":{\"udp\":5}}") !=
        std::string::npos);
  CHECK(json.find("\"read_only\":null") != std::string::npos);
  CHECK(JsonString(std::string("a\nb\x01", 4)) == "\"a\\u000ab\\u0001\"");
  CHECK(json.find("\"role\":\"primary\"}") != std::string::npos);
}

TEST_CASE("status report: a secondary zone's refresh state (issue 20)") {
  StatusReport r;
  r.now_unix = 5000;
  StatusReport::Zone z{"e164.arpa.", "rfc4592", "", 7, 10, 16, 2, 300};
  z.secondary = true;
  z.refreshed_unix = 4990;
  z.next_check_unix = 5060;
  r.zones.push_back(z);
  z.origin = "gone.example.";
  z.expired = true;
  z.refreshed_unix = 0;
  z.refresh_error = "192.0.2.1:53: SOA query: timed out";
  r.zones.push_back(z);
  const std::string text = RenderText(r);
  CHECK(text.find("e164.arpa.\tserial 7\t10 names\t16 records\tjournal 2 changes (300 bytes)\t"
                  "rfc4592\tsecondary, refreshed 10 s ago, next check in 60 s\n") !=
        std::string::npos);
  CHECK(text.find("secondary, never refreshed, next check in 60 s, EXPIRED (SERVFAIL), last "
                  "failure: 192.0.2.1:53: SOA query: timed out\n") != std::string::npos);
  const std::string json = RenderJson(r);
  CHECK(json.find("\"role\":\"secondary\",\"refreshed\":4990,\"next_check\":5060,"
                  "\"expired\":false,\"refresh_error\":null}") != std::string::npos);
  CHECK(json.find("\"refreshed\":null,\"next_check\":5060,\"expired\":true,\"refresh_error\":"
                  "\"192.0.2.1:53: SOA query: timed out\"}") != std::string::npos);
}

}  // namespace enumd::daemon
