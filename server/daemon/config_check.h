// `enumd --check-config FILE`: what enumd would do with a configuration,
// found without serving, binding or writing anything (BIND's
// `named-checkconf -z`). The configuration itself was already validated when
// it was loaded (config::LoadConfigFile: keys, types, ranges, addresses,
// duplicate origins); this checks what it points at:
//   - every zone file is read and validated exactly as an import would
//     (zone::CheckZoneFile with the configured origin), errors "FILE:LINE:
//     reason";
//   - a zone without a file must already be in the store;
//   - an existing store is opened read-only (it may be in use by a running
//     enumd), so a damaged or foreign store is reported; a missing one is
//     only noted (enumd creates it).
// Nothing here runs on the query path; it may allocate and is single-threaded.
#pragma once

#include <cstdio>

#include "config/config.h"

namespace enumd::daemon {

// What enumd would do; the values are `enumd --check-config`'s exit status.
enum class CheckVerdict {
  kOk = 0,             // start, and serve every zone from its file
  kWouldNotStart = 1,  // a zone with neither a valid file nor a stored copy, a bad store
  kServesStored = 2,   // start, but some zone file has errors: its stored version is served
};

// Checks `config` as above. Writes one line per zone and one for the store to
// `out` ("zone e164.arpa.: serial 3, 19 names, 27 records from FILE: OK"),
// each problem to `err` as "enumd: ..." with what enumd would do about it,
// and a closing line to `out`.
CheckVerdict CheckConfig(const config::Config& config, FILE* out, FILE* err);

}  // namespace enumd::daemon
