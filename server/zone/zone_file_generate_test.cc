#include "zone/zone_file_generate.h"

#include <doctest/doctest.h>

#include <string>

namespace enumd::zone::generate {
namespace {

std::string Ex(const std::string& tmpl, int64_t v) {
  std::string out;
  const char* why = Expand(tmpl, v, &out);
  return why ? std::string("ERROR: ") + why : out;
}

// Expected values are named-compilezone's output (BIND 9.18) for the same lines.
TEST_CASE("$GENERATE templates expand as BIND 9.18 expands them") {
  CHECK(Ex("host$", 7) == "host7");
  CHECK(Ex("${0,3,d}", 7) == "007");
  CHECK(Ex("${0,2,x}", 10) == "0a");
  CHECK(Ex("${100,5,X}", 0) == "00064");
  CHECK(Ex("${-10,4,o}", 20) == "0012");
  CHECK(Ex("x${-1}", 0) == "x-1");
  CHECK(Ex("w${-1,2,d}${+1}", 1) == "w002");
  CHECK(Ex("${16,0,n}", 1) == "1.1");
  CHECK(Ex("${0,3,n}", 2) == "2.0");
  CHECK(Ex("${0,5,N}", 10) == "A.0.0");
  CHECK(Ex("${0,4,n}", 1) == "1.0.");  // an even width ends in a dot, as in BIND
  CHECK(Ex("lit$$x", 1) == "lit$x");
  CHECK(Ex("a\\$b$", 3) == "a\\$b3");  // an escape passes through
}

TEST_CASE("$GENERATE: bad templates and ranges are errors") {
  CHECK(Ex("x${0,3", 1).rfind("ERROR: unterminated", 0) == 0);
  CHECK(Ex("x${}", 1).rfind("ERROR: empty", 0) == 0);
  CHECK(Ex("x${a}", 1).rfind("ERROR: bad $GENERATE offset", 0) == 0);
  CHECK(Ex("x${0,3,q}", 1).rfind("ERROR: bad $GENERATE base", 0) == 0);
  CHECK(Ex("x${0,3,d,q}", 1).rfind("ERROR: bad $GENERATE base", 0) == 0);
  CHECK(Ex("x${0,300,d}", 1).rfind("ERROR: $GENERATE width too large", 0) == 0);
  // BIND (bad-generate-range.db): the value past 2^31-1 is out of range.
  CHECK(Ex("foo${2147483647}", 1).rfind("ERROR: $GENERATE offset out of range", 0) == 0);
  CHECK(Ex("foo${2147483646}", 1) == "foo2147483647");
  Range r;
  CHECK(ParseRange("1-10", &r) == nullptr);
  CHECK(r.count() == 10);
  CHECK(ParseRange("0-255/64", &r) == nullptr);
  CHECK(r.count() == 4);
  CHECK(ParseRange("10", &r) != nullptr);
  CHECK(ParseRange("5-3", &r) != nullptr);
  CHECK(ParseRange("-1-3", &r) != nullptr);
  CHECK(ParseRange("10-10/0", &r) != nullptr);
  CHECK(ParseRange("4294967290-4294967295", &r) != nullptr);
}

}  // namespace
}  // namespace enumd::zone::generate
