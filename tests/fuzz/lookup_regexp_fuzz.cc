// Fuzz target: the NAPTR substitution-expression engine (RFC 3402 §3.2,
// tools/enumctl/naptr_rules.h). Byte 0 is the REGEXP field's length, the
// field follows, the rest (64 bytes at most) is the string it is applied to.
#include <cstddef>
#include <cstdint>

#include "enumctl/naptr_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return FuzzApplySubstExpr(data, size);
}
