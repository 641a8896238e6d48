#include "common/status.h"

#include <doctest/doctest.h>

#include <memory>

namespace enumd {

TEST_CASE("Status: OK by default, errors carry their message") {
  CHECK(Status().ok());
  Status e = Status::Error("bad");
  CHECK_FALSE(e.ok());
  CHECK(e.message() == "bad");
  CHECK(e.Prefixed("file.db:3").message() == "file.db:3: bad");
  CHECK(Status::OK().Prefixed("x").ok());
}

TEST_CASE("Result: holds a value or an error, move-only values work") {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  REQUIRE(r.ok());
  CHECK(**r == 7);
  Result<int> bad(Status::Error("nope"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().message() == "nope");
}

}  // namespace enumd
