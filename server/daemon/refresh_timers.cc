#include "daemon/refresh_timers.h"

#include <algorithm>

namespace enumd::daemon {

RefreshTimers TimersOf(const zone::SoaFields& soa) {
  RefreshTimers t;
  t.refresh = std::clamp(soa.refresh, kMinRefresh, kMaxRefresh);
  t.retry = std::clamp(soa.retry, kMinRetry, kMaxRetry);
  t.expire = std::clamp(soa.expire, kMinExpire, kMaxExpire);
  return t;
}

int64_t NextCheck(const RefreshState& s, const RefreshTimers& t) {
  if (!s.have_zone) return s.failed_at == 0 ? 0 : s.failed_at + kRetryWithoutZone;
  if (s.failed_at != 0 && s.failed_at >= s.refreshed_at) return s.failed_at + t.retry;
  if (s.refreshed_at == 0) return 0;
  return s.refreshed_at + t.refresh;
}

bool Expired(const RefreshState& s, const RefreshTimers& t, int64_t stored_at, int64_t now) {
  if (!s.have_zone) return true;
  const int64_t since = s.refreshed_at != 0 ? s.refreshed_at : stored_at;
  return now - since >= static_cast<int64_t>(t.expire);
}

}  // namespace enumd::daemon
