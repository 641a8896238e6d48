#include "store/node.h"

#include <doctest/doctest.h>

namespace enumd::store {

TEST_CASE("node values: written RRsets read back, empty non-terminals exist") {
  NodeWriter w(kNodeBelowCut, 3);
  w.BeginRRset(1, 3600);
  w.AddRdata(std::string("\x7f\x00\x00\x01", 4));
  w.AddRdata(std::string("\x7f\x00\x00\x02", 4));
  w.BeginRRset(35, 60);
  w.AddRdata("abc");
  std::string v = w.Finish();

  NodeView n;
  REQUIRE(n.Parse(v));
  CHECK(n.flags() == kNodeBelowCut);
  CHECK(n.cut_labels() == 3);
  CHECK(n.rrset_count() == 2);
  RRsetView rs;
  REQUIRE(n.Find(1, &rs));
  CHECK(rs.ttl == 3600);
  CHECK(rs.count == 2);
  size_t pos = 0;
  const uint8_t* rd;
  uint16_t len;
  REQUIRE(rs.NextRdata(&pos, &rd, &len));
  CHECK(len == 4);
  CHECK(rd[3] == 1);
  REQUIRE(rs.NextRdata(&pos, &rd, &len));
  CHECK(rd[3] == 2);
  CHECK_FALSE(rs.NextRdata(&pos, &rd, &len));
  REQUIRE(n.Find(35, &rs));
  CHECK(rs.ttl == 60);
  CHECK_FALSE(n.Find(28, &rs));
  REQUIRE(n.At(1, &rs));
  CHECK(rs.type == 35);

  NodeView ent;
  REQUIRE(ent.Parse(NodeWriter().Finish()));
  CHECK(ent.empty());
}

TEST_CASE("node values: malformed bytes are rejected") {
  NodeWriter w;
  w.BeginRRset(35, 60);
  w.AddRdata("abc");
  std::string v = w.Finish();
  NodeView n;
  CHECK_FALSE(n.Parse(""));
  CHECK_FALSE(n.Parse(v.substr(0, v.size() - 1)));  // truncated rdata
  CHECK_FALSE(n.Parse(v + "x"));                    // trailing bytes
  std::string bad_version = v;
  bad_version[0] = 9;
  CHECK_FALSE(n.Parse(bad_version));
  std::string too_many = v;
  too_many[3] = 2;  // claims two RRsets
  CHECK_FALSE(n.Parse(too_many));
  // Types out of order.
  NodeWriter u;
  u.BeginRRset(35, 1);
  u.AddRdata("a");
  u.BeginRRset(1, 1);
  u.AddRdata("b");
  CHECK_FALSE(n.Parse(u.Finish()));
}

}  // namespace enumd::store
