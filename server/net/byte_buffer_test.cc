#include "net/byte_buffer.h"

#include <doctest/doctest.h>

#include <string>

namespace enumd::net {

namespace {
std::string Text(const ByteBuffer& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
const uint8_t* Raw(const char* s) { return reinterpret_cast<const uint8_t*>(s); }
}  // namespace

TEST_CASE("ByteBuffer: append, consume from the front, keep capacity when cleared") {
  ByteBuffer b;
  CHECK(b.empty());
  REQUIRE(b.Append(Raw("hello"), 5));
  REQUIRE(b.Append(Raw(" world"), 6));
  CHECK(Text(b) == "hello world");
  b.Consume(6);
  CHECK(Text(b) == "world");
  size_t capacity = b.capacity();
  b.Clear();
  CHECK(b.empty());
  CHECK(b.capacity() == capacity);
  b.Consume(10);  // more than held: empties
  CHECK(b.empty());
}

TEST_CASE("ByteBuffer: Commit after writing into reserved space; Trim frees big buffers") {
  ByteBuffer b;
  REQUIRE(b.Reserve(3000));
  CHECK(b.capacity() >= 3000);
  std::memcpy(b.data(), "abc", 3);
  b.Commit(3);
  CHECK(Text(b) == "abc");
  b.Trim(1 << 20);  // small enough: kept
  CHECK(b.empty());
  CHECK(b.capacity() >= 3000);
  b.Trim(100);
  CHECK(b.capacity() == 0);
}

TEST_CASE("ByteBuffer: Swap exchanges contents") {
  ByteBuffer a, b;
  REQUIRE(a.Append(Raw("a"), 1));
  REQUIRE(b.Append(Raw("bb"), 2));
  a.Swap(b);
  CHECK(Text(a) == "bb");
  CHECK(Text(b) == "a");
}

}  // namespace enumd::net
