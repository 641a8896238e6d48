// See update_writer.h.
#include "daemon/update_writer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstring>
#include <ctime>

#include "common/byte_order.h"
#include "daemon/log.h"
#include "dns/constants.h"
#include "dns/message_writer.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/update_message.h"
#include "zone/update_apply.h"

namespace enumd::daemon {

namespace {

constexpr uint16_t kOpcodeUpdate = 5;
constexpr uint16_t kNotAuth = 9;

std::string PeerText(const sockaddr_storage& peer) {
  char buf[INET6_ADDRSTRLEN] = "local";
  if (peer.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, buf, sizeof(buf));
  else if (peer.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, buf, sizeof(buf));
  return buf;
}

socklen_t PeerLength(const sockaddr* peer) {
  return peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace

struct UpdateWriter::Request {
  std::string message;
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  enum class Via { kUdp, kTcp, kLocal } via = Via::kUdp;
  int udp_fd = -1;
  // The answer, and for waiting senders its arrival.
  std::string answer;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  // Filled while applying.
  dns::TsigVerification tsig;
  bool committed = false;
};

UpdateWriter::UpdateWriter(store::ZoneStore* store, std::function<void()> wake)
    : store_(store), wake_(std::move(wake)) {}

UpdateWriter::~UpdateWriter() { Close(); }

void UpdateWriter::Configure(dns::TsigKeyRing keys,
                             std::map<std::string, ZoneUpdateSettings> zones) {
  keys_ = std::move(keys);
  zones_ = std::move(zones);
}

bool UpdateWriter::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !queue_.empty();
}

UpdateCounters UpdateWriter::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void UpdateWriter::Enqueue(std::shared_ptr<Request> r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.received;
    if (!closed_ && queue_.size() < kMaxQueued) {
      queue_.push_back(std::move(r));
      r = nullptr;
    }
  }
  if (!r) {
    wake_();
    return;
  }
  // Closed or full: SERVFAIL now for those who wait; UDP is dropped.
  if (r->via == Request::Via::kUdp) return;
  std::lock_guard<std::mutex> lock(r->mu);
  r->done = true;
  r->cv.notify_all();
}

void UpdateWriter::SubmitUdp(const uint8_t* msg, size_t len, const sockaddr* peer, int fd) {
  auto r = std::make_shared<Request>();
  r->message.assign(reinterpret_cast<const char*>(msg), len);
  r->peer_len = PeerLength(peer);
  std::memcpy(&r->peer, peer, r->peer_len);
  r->udp_fd = fd;
  r->via = Request::Via::kUdp;
  Enqueue(std::move(r));
}

size_t UpdateWriter::SubmitAndWait(const uint8_t* msg, size_t len, const sockaddr* peer,
                                   uint8_t* out, size_t cap) {
  auto r = std::make_shared<Request>();
  r->message.assign(reinterpret_cast<const char*>(msg), len);
  if (peer) {
    r->peer_len = PeerLength(peer);
    std::memcpy(&r->peer, peer, r->peer_len);
  }
  r->via = Request::Via::kTcp;
  Enqueue(r);
  std::unique_lock<std::mutex> lock(r->mu);
  r->cv.wait(lock, [&] { return r->done; });
  if (r->answer.size() > cap) return 0;
  std::memcpy(out, r->answer.data(), r->answer.size());
  return r->answer.size();
}

std::string UpdateWriter::SubmitLocal(const std::string& msg) {
  auto r = std::make_shared<Request>();
  r->message = msg;
  r->via = Request::Via::kLocal;
  Enqueue(r);
  std::unique_lock<std::mutex> lock(r->mu);
  r->cv.wait(lock, [&] { return r->done; });
  return r->answer;
}

void UpdateWriter::Close() {
  std::deque<std::shared_ptr<Request>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    left.swap(queue_);
  }
  for (auto& r : left) Answer(r.get());  // empty answers: the waiters return
}

void UpdateWriter::Process() {
  std::deque<std::shared_ptr<Request>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return;
  bool wrote = false;
  for (auto& r : batch) {
    Apply(r.get());
    wrote = wrote || r->committed;
  }
  if (wrote) {
    // One sync for the batch, then the new data goes live: only now may the
    // senders be told (acknowledged = durable and visible).
    Status st = store_->SyncWal();
    if (st.ok()) st = store_->Publish();
    if (!st.ok()) {
      Log(LogLevel::kError, "update: %s; %zu answers say SERVFAIL", st.message().c_str(),
          batch.size());
      for (auto& r : batch) {
        if (!r->committed || r->message.size() < dns::kHeaderSize) continue;
        // The change is in the log but not known to be durable: say so.
        std::string a = r->message.substr(0, dns::kHeaderSize);
        Store16(
            reinterpret_cast<uint8_t*>(a.data()) + 2,
            static_cast<uint16_t>(dns::flag::kQR | kOpcodeUpdate << 11 | dns::rcode::kServFail));
        std::memset(a.data() + 4, 0, 8);
        r->answer = a;
      }
    }
  }
  for (auto& r : batch) Answer(r.get());
}

void UpdateWriter::Answer(Request* r) {
  if (r->via == Request::Via::kUdp) {
    if (!r->answer.empty())
      (void)sendto(r->udp_fd, r->answer.data(), r->answer.size(), MSG_DONTWAIT,
                   reinterpret_cast<const sockaddr*>(&r->peer), r->peer_len);
    return;
  }
  std::lock_guard<std::mutex> lock(r->mu);
  r->done = true;
  r->cv.notify_all();
}

void UpdateWriter::Apply(Request* r) {
  const auto* msg = reinterpret_cast<const uint8_t*>(r->message.data());
  const size_t len = r->message.size();
  const uint64_t now = static_cast<uint64_t>(time(nullptr));
  const bool local = r->via == Request::Via::kLocal;
  const std::string from = local ? "enumctl" : PeerText(r->peer);

  dns::UpdateMessage m;
  const dns::ParseOutcome parsed = dns::ParseUpdate(msg, len, &m);
  if (parsed == dns::ParseOutcome::kDrop) return;  // never answer a response

  // The answer: the request's ID, QR, opcode UPDATE, the zone section echoed
  // when it was read (BIND does), then signed if the request was.
  uint16_t rcode = dns::rcode::kNoError;
  std::string why;
  auto finish = [&]() {
    uint8_t buf[dns::kHeaderSize + dns::kMaxNameWire + 4];
    dns::MessageWriter w(buf, sizeof(buf), sizeof(buf));
    const uint16_t flags = static_cast<uint16_t>(dns::flag::kQR | kOpcodeUpdate << 11);
    if (!m.zone.empty() && parsed == dns::ParseOutcome::kOk)
      w.Start(m.id, flags, reinterpret_cast<const uint8_t*>(m.zone.data()), m.zone_type,
              m.zone_class);
    else
      w.StartNoQuestion(m.id, flags);
    w.SetRcode(rcode);
    std::string answer(reinterpret_cast<char*>(buf), w.Finish());
    if (r->tsig.outcome != dns::TsigOutcome::kUnsigned &&
        !dns::SignResponse(r->tsig, now, &answer)) {
      Store16(reinterpret_cast<uint8_t*>(answer.data()) + 2,
              static_cast<uint16_t>(flags | dns::rcode::kServFail));
    }
    r->answer = std::move(answer);
    std::lock_guard<std::mutex> lock(mu_);
    if (rcode == dns::rcode::kRefused || rcode == kNotAuth)
      ++counters_.refused;
    else if (rcode != dns::rcode::kNoError)
      ++counters_.failed;
  };

  if (parsed != dns::ParseOutcome::kOk) {
    rcode = parsed == dns::ParseOutcome::kNotImp ? dns::rcode::kNotImp : dns::rcode::kFormErr;
    Log(LogLevel::kInfo, "update from %s: malformed (FORMERR)", from.c_str());
    return finish();
  }
  std::string key;  // the signer, lower-case wire; "" unsigned
  if (!local) {
    r->tsig = dns::VerifyRequest(msg, len, keys_, now);
    if (r->tsig.outcome != dns::TsigOutcome::kUnsigned &&
        r->tsig.outcome != dns::TsigOutcome::kVerified) {
      rcode = r->tsig.rcode;
      Log(LogLevel::kInfo, "update from %s: TSIG check failed (rcode %u, TSIG error %u)",
          from.c_str(), rcode, r->tsig.error);
      return finish();
    }
    if (r->tsig.key) key = r->tsig.key->name;
  }
  const std::string zone_text = dns::NameToText(reinterpret_cast<const uint8_t*>(m.zone.data()));
  if (m.zone_rcode != dns::rcode::kNoError) {
    rcode = m.zone_rcode;
    return finish();
  }
  std::string origin = m.zone;
  dns::LowerName(reinterpret_cast<uint8_t*>(origin.data()));
  auto zone = zones_.find(origin);
  if (zone == zones_.end() || m.zone_class != dns::rrclass::kIN) {
    rcode = kNotAuth;  // RFC 2136 §3.1.2: not a zone of ours
    Log(LogLevel::kInfo, "update from %s for %s: not a zone served here (NOTAUTH)", from.c_str(),
        zone_text.c_str());
    return finish();
  }
  const ZoneUpdateSettings& settings = zone->second;
  if (settings.secondary) {
    // Its data is its primary's: BIND 9.18 without allow-update-forwarding
    // answers REFUSED ("update forwarding denied"); enumctl is refused too.
    rcode = dns::rcode::kRefused;
    Log(LogLevel::kInfo,
        "update from %s for %s: a secondary zone, send updates to its primary (REFUSED)",
        local ? "enumctl" : from.c_str(), zone_text.c_str());
    return finish();
  }
  if (!local) {
    uint8_t addr[16];
    const bool v6 = zone::PeerAddress(reinterpret_cast<const sockaddr*>(&r->peer), addr);
    if (!settings.policy.AcceptsUpdates() || !settings.policy.Admits(key, v6, addr)) {
      rcode = dns::rcode::kRefused;
      Log(LogLevel::kInfo, "update from %s for %s%s%s: not allowed (REFUSED)", from.c_str(),
          zone_text.c_str(), key.empty() ? "" : " key ",
          key.empty() ? "" : dns::NameToText(reinterpret_cast<const uint8_t*>(key.data())).c_str());
      return finish();
    }
  }
  if (m.prescan_rcode != dns::rcode::kNoError) {
    rcode = m.prescan_rcode;
    return finish();
  }
  auto txn = zone::ZoneTransaction::Begin(store_, origin);
  if (!txn.ok()) {
    rcode = dns::rcode::kServFail;
    Log(LogLevel::kError, "update for %s: %s", zone_text.c_str(), txn.status().message().c_str());
    return finish();
  }
  // Local requests are trusted: an empty policy admits them whole.
  const zone::UpdatePolicy open_policy;
  zone::UpdateOutcome outcome =
      zone::ApplyUpdate(m, key, local ? open_policy : settings.policy, txn->get());
  rcode = outcome.rcode;
  if (rcode != dns::rcode::kNoError) {
    Log(LogLevel::kInfo, "update from %s for %s: %s (rcode %u)", from.c_str(), zone_text.c_str(),
        outcome.reason.c_str(), rcode);
    return finish();
  }
  auto committed = (*txn)->Commit(settings.serial, static_cast<int64_t>(now), settings.journal,
                                  /*sync=*/false);
  if (!committed.ok()) {
    rcode = dns::rcode::kServFail;
    Log(LogLevel::kError, "update from %s for %s: %s", from.c_str(), zone_text.c_str(),
        committed.status().message().c_str());
    return finish();
  }
  if (committed->changed) {
    r->committed = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.applied;
    }
    Log(LogLevel::kInfo, "update from %s for %s: %zu changes, serial %u -> %u", from.c_str(),
        zone_text.c_str(), outcome.changes, committed->old_serial, committed->new_serial);
  }
  finish();
}

}  // namespace enumd::daemon
