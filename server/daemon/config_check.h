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

// Checks `config` as above. Writes one line per zone and one for the store to
// `out` ("zone e164.arpa.: serial 3, 19 names, 27 records from FILE: OK"),
// each problem to `err` as "enumd: ..." with what to do, and a closing line
// to `out`. Returns the number of problems; 0 means enumd would start and
// serve every zone from its file.
int CheckConfig(const config::Config& config, FILE* out, FILE* err);

}  // namespace enumd::daemon
