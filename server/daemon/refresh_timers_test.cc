#include "daemon/refresh_timers.h"

#include <doctest/doctest.h>

namespace enumd::daemon {
namespace {

TEST_CASE("refresh timers: the SOA's values, bounded as Knot bounds them") {
  zone::SoaFields soa;
  soa.refresh = 3600;
  soa.retry = 600;
  soa.expire = 86400;
  RefreshTimers t = TimersOf(soa);
  CHECK(t.refresh == 3600);
  CHECK(t.retry == 600);
  CHECK(t.expire == 86400);
  soa.refresh = 0;
  soa.retry = 0;
  soa.expire = 1;
  t = TimersOf(soa);
  CHECK(t.refresh == kMinRefresh);
  CHECK(t.retry == kMinRetry);
  CHECK(t.expire == kMinExpire);
  soa.refresh = soa.retry = soa.expire = 0xFFFFFFFF;  // not negative: RFC 1035 timers are unsigned
  t = TimersOf(soa);
  CHECK(t.refresh == kMaxRefresh);
  CHECK(t.retry == kMaxRetry);
  CHECK(t.expire == kMaxExpire);
}

TEST_CASE("refresh timers: next check after good and failed checks") {
  const RefreshTimers t{300, 60, 3600};
  RefreshState s;
  CHECK(NextCheck(s, t) == 0);  // nothing stored, never tried: now
  s.failed_at = 1000;
  CHECK(NextCheck(s, t) == 1000 + kRetryWithoutZone);
  s = RefreshState{true, 0, 0};  // stored, never checked (a restart of an old store): now
  CHECK(NextCheck(s, t) == 0);
  s.refreshed_at = 5000;
  CHECK(NextCheck(s, t) == 5300);
  s.failed_at = 5400;  // the refresh failed: retry
  CHECK(NextCheck(s, t) == 5460);
  s.failed_at = 5460;  // and again
  CHECK(NextCheck(s, t) == 5520);
  s.refreshed_at = 5520;  // then it worked: refresh again
  CHECK(NextCheck(s, t) == 5820);
}

TEST_CASE("refresh timers: expire counts from the last good check, across restarts") {
  const RefreshTimers t{300, 60, 3600};
  RefreshState s;
  CHECK(Expired(s, t, 0, 100));  // no version: nothing to serve
  s = RefreshState{true, 10000, 0};
  CHECK_FALSE(Expired(s, t, 0, 10000));
  CHECK_FALSE(Expired(s, t, 0, 13599));
  CHECK(Expired(s, t, 0, 13600));
  s.failed_at = 13000;  // failures do not move it
  CHECK(Expired(s, t, 0, 13600));
  s = RefreshState{true, 0, 0};  // never checked: from when it was stored
  CHECK_FALSE(Expired(s, t, 20000, 23599));
  CHECK(Expired(s, t, 20000, 23600));
}

}  // namespace
}  // namespace enumd::daemon
