// Fuzz target: BIND's $GENERATE (zone/zone_file_generate.h and the reader's
// use of it). The input's first line is a range, its second a template; both
// go through ParseRange/Expand directly, with the invariant that a template
// fails the same way for every value (but for an offset that overflows). The whole input also
// follows a zone header as the arguments of a $GENERATE line, read by ZoneFileReader (at most 10000
// records, so a huge range costs bounded time).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "zone/zone_file_generate.h"
#include "zone/zone_file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view range_text = in.substr(0, nl);
  std::string_view tmpl = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  tmpl = tmpl.substr(0, tmpl.find('\n'));

  namespace gen = enumd::zone::generate;
  gen::Range range;
  if (gen::ParseRange(range_text, &range) == nullptr) {
    if (range.start > range.stop || range.step < 1 || range.count() == 0) abort();
  }
  std::string out;
  const char* first = gen::Expand(tmpl, 0, &out);
  for (int64_t v : {int64_t{1}, int64_t{-5}, int64_t{255}, gen::kMaxValue, -gen::kMaxValue}) {
    out.clear();
    const char* why = gen::Expand(tmpl, v, &out);
    // The contract: value-independent, but for a value the offset takes
    // past kMaxValue (BIND's "out of range").
    if (why == gen::kOffsetOverflow) continue;
    if ((why == nullptr) != (first == nullptr)) abort();
  }

  static std::string path = [] {
    char name[] = "/tmp/enumd-generate-fuzz-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    return std::string(name);
  }();
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return 0;
  fputs("$ORIGIN e164.arpa.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n$GENERATE ", f);
  // "RANGE\nTEMPLATE..." becomes "$GENERATE RANGE TEMPLATE...".
  fwrite(range_text.data(), 1, range_text.size(), f);
  if (nl != std::string_view::npos) {
    fputc(' ', f);
    fwrite(data + nl + 1, 1, size - nl - 1, f);
  }
  fclose(f);
  enumd::zone::ZoneFileReader reader;
  if (!reader.Open(path, "e164.arpa.").ok()) return 0;
  enumd::zone::ZoneRecord rec;
  for (int i = 0; i < 10000; ++i) {
    if (reader.Read(&rec) != enumd::zone::ZoneFileReader::Next::kRecord) break;
  }
  return 0;
}
