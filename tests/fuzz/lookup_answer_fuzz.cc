// Fuzz target: enumctl lookup's DNS response parser (tools/enumctl/
// dns_response.h) on arbitrary bytes, as they could come from any server.
#include <cstddef>
#include <cstdint>

#include "enumctl/dns_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return FuzzParseResponse(data, size);
}
