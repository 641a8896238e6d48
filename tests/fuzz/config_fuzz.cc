// Fuzz target: the YAML configuration loader. Any input gives a config or an
// error; no exception may escape.
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  auto r = enumd::config::LoadConfigString(yaml, "fuzz.yaml");
  (void)r;
  return 0;
}
