// A secondary zone's timers (RFC 1034 §4.3.5, RFC 1035 §3.3.13, RFC 1996
// §4.7): when to ask the primary for its SOA next, and when the zone has gone
// too long without an answer to be served (expire). Pure arithmetic on Unix
// seconds, so it is tested alone and survives a restart (the last good check
// is kept in the store: ZoneMeta::refreshed_at).
//
// The SOA's values are bounded as Knot DNS bounds them by default (its
// refresh-min-interval 2 s, retry-min-interval 1 s, expire-min-interval 3
// times refresh-min; each max one day, expire four weeks... less than BIND's
// min-refresh-time of 300 s, so a test zone with small timers is followed
// as written).
#pragma once

#include <cstdint>

#include "zone/soa_fields.h"

namespace enumd::daemon {

struct RefreshTimers {
  uint32_t refresh = 0, retry = 0, expire = 0;  // seconds, bounded
};

inline constexpr uint32_t kMinRefresh = 2, kMaxRefresh = 86400;
inline constexpr uint32_t kMinRetry = 1, kMaxRetry = 86400;
inline constexpr uint32_t kMinExpire = 3 * kMinRefresh, kMaxExpire = 28 * 86400;
// Before the zone has an SOA (nothing transferred yet): retry this often.
inline constexpr uint32_t kRetryWithoutZone = 10;

// The SOA's timers, each within its bounds.
RefreshTimers TimersOf(const zone::SoaFields& soa);

struct RefreshState {
  bool have_zone = false;    // the store holds a version
  int64_t refreshed_at = 0;  // the last check the primary answered (0: none known)
  int64_t failed_at = 0;     // the last check that failed since then (0: none)
};

// When the next SOA check is due (Unix seconds): refresh after a good check,
// retry after a failed one; at once for a zone never checked.
int64_t NextCheck(const RefreshState& s, const RefreshTimers& t);

// Whether the zone has expired at `now`: a version whose last good check is
// `expire` seconds or more ago (a zone never checked counts from when it was
// stored, `stored_at`), or no version at all.
bool Expired(const RefreshState& s, const RefreshTimers& t, int64_t stored_at, int64_t now);

}  // namespace enumd::daemon
