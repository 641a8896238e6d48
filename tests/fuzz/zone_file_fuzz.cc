// Fuzz target: the zone-file reader (and its record checks) on arbitrary
// text. The input is written to a file because the reader streams from one;
// $INCLUDE of other paths is allowed to fail.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "zone/zone_file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string path = [] {
    char tmpl[] = "/tmp/enumd-zone-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    return std::string(tmpl);
  }();
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  enumd::zone::ZoneFileReader reader;
  if (!reader.Open(path, size % 2 ? "e164.arpa." : "").ok()) return 0;
  enumd::zone::ZoneRecord rec;
  for (int i = 0; i < 100000; ++i) {
    if (reader.Read(&rec) != enumd::zone::ZoneFileReader::Next::kRecord) break;
  }
  return 0;
}
