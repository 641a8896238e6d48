#include "zone/message_spool.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace enumd::zone {
namespace {

std::string Message(size_t i) { return std::string(100 + i % 7, static_cast<char>('a' + i % 26)); }

void CheckAll(const MessageSpool& spool, size_t n) {
  std::string scratch;
  REQUIRE(spool.size() == n);
  for (size_t i = 0; i < n; ++i) {
    auto m = spool.Get(i, &scratch);
    REQUIRE(m.ok());
    CHECK(*m == Message(i));
  }
}

TEST_CASE("MessageSpool: small transfers stay in memory, big ones move to a file") {
  char dir[] = "/tmp/enumd-spool-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  {
    MessageSpool small(dir, 1 << 20);
    for (size_t i = 0; i < 50; ++i) REQUIRE(small.Append(Message(i)).ok());
    CHECK_FALSE(small.spilled());
    CheckAll(small, 50);

    MessageSpool big(dir, 1000);  // spills at the tenth message or so
    uint64_t bytes = 0;
    for (size_t i = 0; i < 500; ++i) {
      REQUIRE(big.Append(Message(i)).ok());
      bytes += Message(i).size();
      if (i == 2) CHECK_FALSE(big.spilled());
    }
    CHECK(big.spilled());
    CHECK(big.bytes() == bytes);
    CheckAll(big, 500);  // including those written before the spill
    // The file has no name: nothing is left in the directory.
    CHECK(std::filesystem::is_empty(dir));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("MessageSpool: a directory that cannot take the file is an error that names it") {
  MessageSpool spool("/nonexistent/enumd-spool", 10);
  CHECK(spool.Append("0123456789").ok());  // fits in memory
  Status st = spool.Append("more than the memory allows");
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("/nonexistent/enumd-spool") != std::string::npos);
}

}  // namespace
}  // namespace enumd::zone
