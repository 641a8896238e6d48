#include "daemon/dnstap.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <map>
#include <string>
#include <vector>

namespace enumd::daemon {
namespace {

// A minimal protobuf reader: field number -> its values (varints as numbers,
// length-delimited and fixed32 as bytes).
struct Fields {
  std::map<int, std::vector<uint64_t>> numbers;
  std::map<int, std::vector<std::string>> bytes;
};

bool Parse(std::string_view in, Fields* out) {
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty()) return false;
      const uint8_t b = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (!in.empty()) {
    uint64_t key, v;
    if (!varint(&key)) return false;
    const int field = static_cast<int>(key >> 3);
    switch (key & 7) {
      case 0:
        if (!varint(&v)) return false;
        out->numbers[field].push_back(v);
        break;
      case 2:
        if (!varint(&v) || v > in.size()) return false;
        out->bytes[field].emplace_back(in.substr(0, v));
        in.remove_prefix(v);
        break;
      case 5:
        if (in.size() < 4) return false;
        out->bytes[field].emplace_back(in.substr(0, 4));
        in.remove_prefix(4);
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("dnstap: an AUTH_RESPONSE message carries what dnstap.proto says, where it says") {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(40000);
  inet_pton(AF_INET, "192.0.2.7", &peer.sin_addr);
  const std::string query = "QQQQ", answer(300, 'A');  // a length over one varint byte
  timespec received{1700000000, 123456789}, answered{1700000001, 5};
  std::string out;
  EncodeDnstap(&out, "host-a", "enumd 1.0", 2, true, reinterpret_cast<const sockaddr*>(&peer),
               reinterpret_cast<const uint8_t*>(query.data()), query.size(), received,
               reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), &answered);
  Fields d;
  REQUIRE(Parse(out, &d));
  CHECK(d.bytes[1] == std::vector<std::string>{"host-a"});
  CHECK(d.bytes[2] == std::vector<std::string>{"enumd 1.0"});
  CHECK(d.numbers[15] == std::vector<uint64_t>{1});  // MESSAGE
  REQUIRE(d.bytes[14].size() == 1);
  Fields m;
  REQUIRE(Parse(d.bytes[14][0], &m));
  CHECK(m.numbers[1] == std::vector<uint64_t>{2});  // AUTH_RESPONSE
  CHECK(m.numbers[2] == std::vector<uint64_t>{1});  // INET
  CHECK(m.numbers[3] == std::vector<uint64_t>{2});  // TCP
  CHECK(m.bytes[4] == std::vector<std::string>{std::string("\xc0\x00\x02\x07", 4)});
  CHECK(m.numbers[6] == std::vector<uint64_t>{40000});
  CHECK(m.numbers[8] == std::vector<uint64_t>{1700000000});
  CHECK(m.bytes[9] == std::vector<std::string>{std::string("\x15\xcd\x5b\x07", 4)});  // LE
  CHECK(m.bytes[10] == std::vector<std::string>{query});
  CHECK(m.numbers[12] == std::vector<uint64_t>{1700000001});
  CHECK(m.bytes[14] == std::vector<std::string>{answer});
}

TEST_CASE("dnstap: an AUTH_QUERY from IPv6 over UDP has no response fields") {
  sockaddr_in6 peer{};
  peer.sin6_family = AF_INET6;
  peer.sin6_port = htons(53000);
  inet_pton(AF_INET6, "2001:db8::1", &peer.sin6_addr);
  std::string out;
  const uint8_t q[2] = {1, 2};
  EncodeDnstap(&out, "", "", 1, false, reinterpret_cast<const sockaddr*>(&peer), q, 2,
               timespec{1, 2}, nullptr, 0, nullptr);
  Fields d, m;
  REQUIRE(Parse(out, &d));
  CHECK(d.bytes.count(1) == 0);  // no identity given: none written
  REQUIRE(Parse(d.bytes[14][0], &m));
  CHECK(m.numbers[1] == std::vector<uint64_t>{1});
  CHECK(m.numbers[2] == std::vector<uint64_t>{2});  // INET6
  CHECK(m.numbers[3] == std::vector<uint64_t>{1});  // UDP
  CHECK(m.bytes[4][0].size() == 16);
  CHECK(m.numbers.count(12) == 0);
  CHECK(m.bytes.count(14) == 0);
}

TEST_CASE("dnstap: Open refuses file and socket together, and a file it cannot write") {
  config::DnstapConfig c;
  c.file = "/tmp/x.dnstap";
  c.socket = "/tmp/x.sock";
  auto both = Dnstap::Open(c, 1, "v");
  REQUIRE_FALSE(both.ok());
  CHECK(both.status().message().find("not both") != std::string::npos);
  c.socket.clear();
  c.file = "/nonexistent-dir/x.dnstap";
  auto bad = Dnstap::Open(c, 1, "v");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("/nonexistent-dir/x.dnstap") != std::string::npos);
}

}  // namespace enumd::daemon
