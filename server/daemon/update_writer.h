// UpdateWriter: the queue of zone changes that arrive while enumd serves --
// RFC 2136 UPDATEs from the network (TSIG-signed, RFC 8945, or from allowed
// addresses) and from enumctl over the control socket -- and their
// application on the one writer thread, in batches: each UPDATE is its own
// ZoneTransaction (one atomic store batch), the batch's log is synced once
// (group commit: concurrent updates share a sync), the new data published
// to queries, and only then is every sender answered. Acknowledged means
// durable and visible (read-your-writes).
//
// Answers follow BIND 9.18 (dns/update_message.h has the order): FORMERR
// for what does not parse (unsigned); the TSIG check (NOTAUTH with BADKEY,
// BADSIG, BADTIME); NOTAUTH for a zone enumd does not serve; REFUSED for a
// zone that takes no updates or a sender it does not admit; the prescan;
// the prerequisites; the policy; the updates. Answers to signed requests are
// signed.
//
// Threads: Submit* from any thread (query threads, the control thread);
// Configure, Process and Close on the writer thread only.
#pragma once

#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns/tsig_key.h"
#include "store/zone_store.h"
#include "zone/update_policy.h"
#include "zone/zone_transaction.h"

namespace enumd::daemon {

struct ZoneUpdateSettings {
  zone::UpdatePolicy policy;
  zone::SerialPolicy serial = zone::SerialPolicy::kIncrement;
  store::JournalLimits journal;
  bool secondary = false;  // zones[].primaries: REFUSED for everyone, enumctl too
};

struct UpdateCounters {
  uint64_t received = 0;
  uint64_t applied = 0;  // NOERROR with changes
  uint64_t refused = 0;  // REFUSED, NOTAUTH
  uint64_t failed = 0;   // any other error rcode
};

class UpdateWriter {
 public:
  // Requests beyond this many waiting are answered at once: UDP ones are
  // dropped (the client retries), the others SERVFAIL.
  static constexpr size_t kMaxQueued = 65536;

  // `store` outlives the writer. `wake` is called (from the submitting
  // thread) when a request was queued: the writer thread should call
  // Process.
  UpdateWriter(store::ZoneStore* store, std::function<void()> wake);
  ~UpdateWriter();

  // The keys, and per zone (wire, lower-case origin) how it takes updates.
  // Zones not listed are not served: NOTAUTH. Writer thread.
  void Configure(dns::TsigKeyRing keys, std::map<std::string, ZoneUpdateSettings> zones);

  // An UPDATE over UDP: answered later with sendto() on `fd` (the socket it
  // came in on) to `peer`. Returns at once.
  void SubmitUdp(const uint8_t* msg, size_t len, const sockaddr* peer, int fd);
  // An UPDATE over TCP: waits for the answer, written into `out`; returns
  // its length (0: nothing to send).
  size_t SubmitAndWait(const uint8_t* msg, size_t len, const sockaddr* peer, uint8_t* out,
                       size_t cap);
  // An UPDATE from enumctl (trusted: no TSIG, no policy): waits; returns the
  // DNS answer.
  std::string SubmitLocal(const std::string& msg);

  bool pending() const;
  // Writer thread: applies everything queued, syncs, publishes, answers.
  void Process();
  // Writer thread, at shutdown: answers what is queued with SERVFAIL and
  // makes every later Submit fail at once.
  void Close();

  UpdateCounters counters() const;

 private:
  struct Request;
  void Enqueue(std::shared_ptr<Request> r);
  // Decides one request: its answer, and (NOERROR) its committed change.
  void Apply(Request* r);
  void Answer(Request* r);

  store::ZoneStore* store_;
  std::function<void()> wake_;
  dns::TsigKeyRing keys_;
  std::map<std::string, ZoneUpdateSettings> zones_;

  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Request>> queue_;  // under mu_
  bool closed_ = false;                         // under mu_
  UpdateCounters counters_;                     // under mu_
};

}  // namespace enumd::daemon
