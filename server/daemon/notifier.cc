// See notifier.h.
#include "daemon/notifier.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "common/byte_order.h"
#include "common/thread_name.h"
#include "daemon/log.h"
#include "dns/constants.h"
#include "dns/message_writer.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_stream.h"

namespace enumd::daemon {

namespace {

constexpr uint64_t kCheckIntervalMs = 1000;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string Lower(std::string wire) {
  dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
  return wire;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

int UdpSocket(int family) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd;
}

bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    auto x = reinterpret_cast<const sockaddr_in*>(&a), y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  auto x = reinterpret_cast<const sockaddr_in6*>(&a), y = reinterpret_cast<const sockaddr_in6*>(&b);
  return x->sin6_port == y->sin6_port &&
         std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
}

}  // namespace

Notifier::Notifier(const store::ZoneStore* store) : store_(store) {}

Notifier::~Notifier() {
  Stop();
  for (int fd : {sock4_, sock6_, wake_[0], wake_[1]})
    if (fd >= 0) close(fd);
}

Status Notifier::Start() {
  sock4_ = UdpSocket(AF_INET);
  sock6_ = UdpSocket(AF_INET6);  // may fail on a host without IPv6: then no v6 targets
  if (sock4_ < 0 && sock6_ < 0) return Status::Error("notify: cannot make a UDP socket");
  if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) return Status::Error("notify: cannot make a pipe");
  thread_ = std::thread([this] {
    NameThisThread("enumd-notify");
    Run();
  });
  return Status::OK();
}

void Notifier::Configure(std::vector<Zone> zones, Options options) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool any = false;
    for (const Zone& z : zones) any = any || !z.targets.empty();
    any_targets_ = any;
    zones_ = std::move(zones);
    options_ = options;
    if (options_.rate == 0) options_.rate = 1;
    configured_ = true;
  }
  Wake();
}

// The writer calls this after every batch of updates it commits: at
// thousands a second, a pipe write and a thread wake-up each (with a check of
// every zone's serial) were CPU taken from the core the queries share.
void Notifier::Poke() {
  if (!any_targets_.load(std::memory_order_relaxed)) return;  // the 1 s check still runs
  if (poked_.exchange(true)) return;                          // Run clears it before its next check
  Wake();
}

void Notifier::Wake() {
  if (wake_[1] < 0) return;
  const char c = 1;
  ssize_t n = write(wake_[1], &c, 1);  // a full pipe already means "wake up"
  (void)n;
}

void Notifier::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  Wake();
  thread_.join();
}

Notifier::Counters Notifier::counters() const {
  return Counters{sent_.load(), answered_.load(), given_up_.load()};
}

void Notifier::Run() {
  uint64_t next_check = 0;
  while (!stopping_) {
    const uint64_t now = NowMs();
    if (now >= next_check) {
      CheckSerials(now);
      next_check = now + kCheckIntervalMs;
    }
    SendDue(now);
    uint64_t due = std::min(next_check, NextDue());
    const uint64_t after = NowMs();
    const int timeout = due > after ? static_cast<int>(std::min<uint64_t>(due - after, 1000)) : 0;
    pollfd fds[3] = {{wake_[0], POLLIN, 0}, {sock4_, POLLIN, 0}, {sock6_, POLLIN, 0}};
    if (poll(fds, 3, timeout) < 0) continue;  // EINTR
    if (fds[0].revents & POLLIN) {
      char buf[64];
      while (read(wake_[0], buf, sizeof(buf)) > 0) {
      }
      // Cleared before the check below: a change committed after this point
      // pokes again; one committed before it is seen by that check.
      poked_.store(false);
      next_check = 0;  // poked: check the serials now
    }
    if (sock4_ >= 0 && (fds[1].revents & POLLIN)) Receive(sock4_);
    if (sock6_ >= 0 && (fds[2].revents & POLLIN)) Receive(sock6_);
  }
}

void Notifier::CheckSerials(uint64_t now_ms) {
  std::vector<Zone> zones;
  {
    std::lock_guard<std::mutex> lock(mu_);
    zones = zones_;
    configured_ = false;
  }
  static thread_local std::mt19937 random_ids{std::random_device{}()};
  for (const Zone& z : zones) {
    if (z.targets.empty()) continue;
    const std::string lower = Lower(z.origin);
    auto meta = store_->FindZone(lower);
    if (!meta) continue;
    auto seen = notified_.find(lower);
    if (seen != notified_.end() && seen->second == meta->serial) continue;
    notified_[lower] = meta->serial;
    for (const Target& t : z.targets) {
      Pending p;
      p.origin = z.origin;
      p.serial = meta->serial;
      p.id = static_cast<uint16_t>(random_ids());
      p.due_ms = now_ms;
      p.key = t.key;
      const bool v6 = t.host.find(':') != std::string::npos;
      if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&p.to);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(t.port);
        if (inet_pton(AF_INET6, t.host.c_str(), &a->sin6_addr) != 1) continue;
        p.to_text = "[" + t.host + "]:" + std::to_string(t.port);
      } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&p.to);
        a->sin_family = AF_INET;
        a->sin_port = htons(t.port);
        if (inet_pton(AF_INET, t.host.c_str(), &a->sin_addr) != 1) continue;
        p.to_text = t.host + ":" + std::to_string(t.port);
      }
      // A newer serial replaces an older one, in its place in the queue.
      Pending& slot = pending_[lower + " " + p.to_text];
      p.waiting_since_ms = slot.origin.empty() ? now_ms : slot.waiting_since_ms;
      slot = std::move(p);
    }
  }
}

uint64_t Notifier::NextDue() const {
  uint64_t due = UINT64_MAX;
  for (const auto& [key, p] : pending_) due = std::min(due, p.due_ms);
  if (due != UINT64_MAX) {
    uint32_t rate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rate = options_.rate;
    }
    due = std::max(due, last_send_ms_ + 1000 / rate);
  }
  return due;
}

void Notifier::SendDue(uint64_t now_ms) {
  Options o;
  {
    std::lock_guard<std::mutex> lock(mu_);
    o = options_;
  }
  const uint64_t gap = 1000 / o.rate;
  // The NOTIFYs due, the longest waiting first: under the rate limit every
  // secondary gets its turn, however fast new serials replace the pending
  // NOTIFYs (a replacement keeps the place of the one it replaces).
  std::vector<std::map<std::string, Pending>::iterator> due;
  for (auto it = pending_.begin(); it != pending_.end(); ++it)
    if (it->second.due_ms <= now_ms) due.push_back(it);
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a->second.waiting_since_ms < b->second.waiting_since_ms;
  });
  for (auto it : due) {
    Pending& p = it->second;
    if (p.sends > o.retries) {
      Log(LogLevel::kWarning, "notify: %s serial %u to %s: no answer after %u tries, giving up",
          dns::NameToText(U8(p.origin)).c_str(), p.serial, p.to_text.c_str(), p.sends);
      ++given_up_;
      pending_.erase(it);
      continue;
    }
    if (last_send_ms_ != 0 && now_ms < last_send_ms_ + gap) return;  // the rate limit
    uint8_t msg[dns::kHeaderSize + dns::kMaxNameWire + 4];
    dns::MessageWriter w(msg, sizeof(msg), sizeof(msg));
    w.Start(p.id, static_cast<uint16_t>(dns::opcode::kNotify << 11) | dns::flag::kAA, U8(p.origin),
            dns::type::kSOA, dns::rrclass::kIN);
    std::string wire(reinterpret_cast<const char*>(msg), w.Finish());
    if (p.key &&
        !dns::SignRequest(*p.key, static_cast<uint64_t>(time(nullptr)), &wire, &p.request_mac)) {
      Log(LogLevel::kError, "notify: %s serial %u to %s: cannot sign with key %s",
          dns::NameToText(U8(p.origin)).c_str(), p.serial, p.to_text.c_str(),
          dns::NameToText(U8(p.key->name)).c_str());
      pending_.erase(it);
      continue;
    }
    const int fd = p.to.ss_family == AF_INET6 ? sock6_ : sock4_;
    const socklen_t len = p.to.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (fd < 0 || sendto(fd, wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&p.to),
                         len) < 0) {
      Log(LogLevel::kWarning, "notify: %s serial %u to %s: cannot send: %s",
          dns::NameToText(U8(p.origin)).c_str(), p.serial, p.to_text.c_str(), strerror(errno));
    } else {
      Log(LogLevel::kDebug, "notify: %s serial %u to %s%s", dns::NameToText(U8(p.origin)).c_str(),
          p.serial, p.to_text.c_str(), p.sends > 0 ? " (again)" : "");
    }
    ++sent_;
    ++p.sends;
    p.due_ms = now_ms + o.retry_interval_ms;
    p.waiting_since_ms = now_ms;  // it had its turn
    last_send_ms_ = now_ms;
  }
}

void Notifier::Receive(int fd) {
  for (;;) {
    uint8_t buf[1232];
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    if (n < static_cast<ssize_t>(dns::kHeaderSize) || !(buf[2] & 0x80) ||
        ((buf[2] >> 3) & 0xF) != dns::opcode::kNotify)
      continue;
    const uint16_t id = Load16(buf);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      Pending& p = it->second;
      if (p.id != id || !SameAddress(p.to, from)) continue;
      if (p.key) {
        // Only an answer signed with the key counts (RFC 8945 §5.3); any
        // other is logged and the NOTIFY sent again in due course.
        dns::TsigResponseVerifier verifier(*p.key, p.request_mac);
        const dns::TsigVerification v =
            verifier.Verify(buf, static_cast<size_t>(n), static_cast<uint64_t>(time(nullptr)));
        if (v.outcome != dns::TsigOutcome::kVerified) {
          Log(LogLevel::kWarning,
              "notify: %s serial %u to %s: the answer is not signed with key %s (TSIG %s); "
              "ignored",
              dns::NameToText(U8(p.origin)).c_str(), p.serial, p.to_text.c_str(),
              dns::NameToText(U8(p.key->name)).c_str(),
              v.outcome == dns::TsigOutcome::kUnsigned ? "missing"
              : v.outcome == dns::TsigOutcome::kPeerError
                  ? ("error " + std::to_string(v.tsig.error)).c_str()
                  : "does not verify");
          break;
        }
      }
      const int rcode = buf[3] & 0xF;
      Log(rcode == 0 ? LogLevel::kInfo : LogLevel::kWarning,
          "notify: %s serial %u to %s: answered rcode %d", dns::NameToText(U8(p.origin)).c_str(),
          p.serial, p.to_text.c_str(), rcode);
      ++answered_;
      pending_.erase(it);
      break;
    }
  }
}

}  // namespace enumd::daemon
