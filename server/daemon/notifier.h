// Notifier: NOTIFY (RFC 1996) to each zone's secondaries whenever its serial
// changes, whatever changed it (an UPDATE, enumctl, an import, a reload),
// and once when enumd starts serving the zone (as BIND and Knot do on load).
//
// One thread. Poke() (the writer thread calls it after each change it
// commits) makes it compare every zone's serial in the store with the last
// one it notified; a check also runs every second in case a change came
// another way. Each (zone, secondary) waits for an answer with the NOTIFY's
// ID from that address (RFC 1996 §4.8: the secondary answers with opcode
// NOTIFY); without one it is sent again every retry_interval_ms, at most
// `retries` more times, then given up with a warning. A newer serial
// replaces a pending NOTIFY of the same zone and secondary, in its place.
// At most `rate` messages leave per second over all zones (BIND's
// notify-rate), the longest waiting first, so a burst of changes to many
// zones does not flood anyone and no secondary waits behind the others.
//
// Messages: opcode NOTIFY, AA, the zone's SOA as the question, sent from an
// ephemeral UDP port. Unsigned by default (secondaries accept NOTIFY from
// the primary's address: BIND's default, Knot's acl action notify, NSD's
// allow-notify ... NOKEY); a target with a key gets it signed with TSIG
// (RFC 8945), and only an answer signed with that key counts as answered.
//
// Thread-safe: Configure, Poke and Stop from any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "dns/tsig_key.h"
#include "store/zone_store.h"

namespace enumd::daemon {

class Notifier {
 public:
  struct Options {
    uint32_t retries = 5;
    uint32_t retry_interval_ms = 15000;
    uint32_t rate = 20;  // messages per second
  };
  struct Target {
    std::string host;  // numeric IPv4 or IPv6 address
    uint16_t port = 53;
    // Sign the NOTIFY with this key and want the answer signed (null: no TSIG).
    std::shared_ptr<const dns::TsigKey> key;
  };
  struct Zone {
    std::string origin;  // wire, as configured (the question spells it so)
    std::vector<Target> targets;
  };
  struct Counters {
    uint64_t sent = 0;      // messages, retries included
    uint64_t answered = 0;  // (zone, secondary) pairs that answered
    uint64_t given_up = 0;  // pairs that never did
  };

  // `store` outlives the notifier.
  explicit Notifier(const store::ZoneStore* store);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts the thread. Fails if no socket can be made.
  Status Start();
  // The zones and their secondaries (replacing the previous set; a zone
  // that stays keeps its last notified serial) and the timing.
  void Configure(std::vector<Zone> zones, Options options);
  // Something may have changed a serial: check now. Cheap when there is
  // nothing to do: no write at all while no zone has a secondary to notify,
  // and one wake-up for any number of pokes before the thread looks.
  void Poke();
  // Stops the thread; pending NOTIFYs are dropped. Idempotent.
  void Stop();
  Counters counters() const;

 private:
  struct Pending {
    std::string origin;  // wire, as configured
    sockaddr_storage to{};
    std::string to_text;
    uint32_t serial = 0;
    uint16_t id = 0;
    uint32_t sends = 0;  // so far
    uint64_t due_ms = 0;
    uint64_t waiting_since_ms = 0;            // queued, or last sent: the longest waiting go first
    std::shared_ptr<const dns::TsigKey> key;  // null: unsigned
    std::string request_mac;                  // of the last signed send
  };

  void Run();
  void Wake();
  void CheckSerials(uint64_t now_ms);
  void SendDue(uint64_t now_ms);
  void Receive(int fd);
  uint64_t NextDue() const;

  const store::ZoneStore* store_;
  int sock4_ = -1, sock6_ = -1;
  int wake_[2] = {-1, -1};  // pipe: Poke and Stop write to [1]
  std::thread thread_;

  mutable std::mutex mu_;
  std::vector<Zone> zones_;                   // under mu_
  Options options_;                           // under mu_
  bool configured_ = false;                   // under mu_: zones changed, recheck
  std::map<std::string, uint32_t> notified_;  // thread only: origin (lower) -> serial
  std::map<std::string, Pending> pending_;    // thread only: by origin (lower) + " " + address
  uint64_t last_send_ms_ = 0;                 // thread only
  std::atomic<bool> stopping_{false};
  std::atomic<bool> any_targets_{false};  // some zone has a secondary (Configure)
  std::atomic<bool> poked_{false};        // a wake-up is on its way
  std::atomic<uint64_t> sent_{0}, answered_{0}, given_up_{0};
};

}  // namespace enumd::daemon
