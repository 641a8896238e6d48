#include "daemon/primary_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "dns/message_writer.h"
#include "dns/tsig.h"
#include "dns/tsig_stream.h"
#include "net/listen_socket.h"

namespace enumd::daemon {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t Now() { return static_cast<uint64_t>(time(nullptr)); }

const char* TsigText(dns::TsigOutcome o) {
  switch (o) {
    case dns::TsigOutcome::kUnsigned:
      return "unsigned";
    case dns::TsigOutcome::kVerified:
      return "verified";
    case dns::TsigOutcome::kFormErr:
      return "malformed or missing";
    case dns::TsigOutcome::kBadKey:
      return "BADKEY (another key)";
    case dns::TsigOutcome::kBadSig:
      return "BADSIG (the MAC does not verify)";
    case dns::TsigOutcome::kBadTime:
      return "BADTIME (clocks apart)";
    case dns::TsigOutcome::kBadTrunc:
      return "BADTRUNC";
    case dns::TsigOutcome::kPeerError:
      return "refused by the primary";
  }
  return "?";
}

// A request: the question, and for an IXFR our SOA in the authority section
// (RFC 1995 §3), signed when the primary has a key.
struct Request {
  std::string msg;
  std::string mac;  // the request MAC (signed requests)
  uint16_t id = 0;
};

Result<Request> BuildRequest(const PrimaryEndpoint& p, const std::string& origin, uint16_t qtype,
                             const std::optional<std::string>& soa) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  Request r;
  r.id = static_cast<uint16_t>(rng());
  uint8_t buf[dns::kMaxMessage];
  dns::MessageWriter w(buf, sizeof(buf), sizeof(buf));
  const auto o = reinterpret_cast<const uint8_t*>(origin.data());
  if (!w.Start(r.id, 0, o, qtype, dns::rrclass::kIN) ||
      (soa &&
       !w.AddRR(dns::Section::kAuthority, o, dns::type::kSOA, dns::rrclass::kIN, 0,
                reinterpret_cast<const uint8_t*>(soa->data()), static_cast<uint16_t>(soa->size()))))
    return Status::Error("cannot build the request");
  r.msg.assign(reinterpret_cast<const char*>(buf), w.Finish());
  if (p.key && !dns::SignRequest(*p.key, Now(), &r.msg, &r.mac))
    return Status::Error("cannot sign the request");
  return r;
}

// Waits until `fd` is ready for `events`, the deadline passes, or wake_fd
// is readable.
Status Wait(int fd, short events, int wake_fd, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status::Error("timed out");
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) return Status::Error("poll: " + net::ErrnoText(errno));
    if (n <= 0) continue;
    if (wake_fd >= 0 && fds[1].revents) return Status::Error("enumd is stopping");
    if (fds[0].revents) return Status::OK();
  }
}

// Checks one answer message to `req`: its ID, QR, opcode, TSIG (when the
// request was signed: `v`), RCODE. false with *why: not for us (UDP: keep
// waiting) when *foreign is set, else a failure.
bool CheckAnswer(const uint8_t* m, size_t n, const Request& req, dns::TsigResponseVerifier* v,
                 std::string* why, bool* foreign, bool* tsig_failed = nullptr) {
  *foreign = false;
  if (n < dns::kHeaderSize || Load16(m) != req.id || (m[2] & 0x80) == 0) {
    *foreign = true;
    *why = "an answer that is not to our request";
    return false;
  }
  if (((m[2] >> 3) & 0xF) != dns::opcode::kQuery) {
    *why = "an answer with another opcode";
    return false;
  }
  const uint16_t rcode = m[3] & 0xF;
  if (v) {
    const dns::TsigVerification t = v->Verify(m, n, Now());
    if (t.outcome != dns::TsigOutcome::kVerified && t.outcome != dns::TsigOutcome::kUnsigned) {
      *why = std::string("TSIG ") + TsigText(t.outcome);
      if (tsig_failed) *tsig_failed = true;
      if (t.outcome == dns::TsigOutcome::kPeerError || rcode != 0)
        *why += " (rcode " + std::to_string(rcode) + ", TSIG error " +
                std::to_string(t.has_tsig ? t.tsig.error : 0) + ")";
      return false;
    }
  }
  if (rcode != dns::rcode::kNoError) {
    static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                         "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                         "NXRRSET", "NOTAUTH", "NOTZONE"};
    *why = std::string("answered ") + (rcode < 11 ? kNames[rcode] : std::to_string(rcode).c_str());
    return false;
  }
  return true;
}

class Connection {
 public:
  Connection(const PrimaryEndpoint& p, int type, int wake_fd, Clock::time_point deadline)
      : wake_fd_(wake_fd), deadline_(deadline) {
    auto a = net::ParseSocketAddress(p.host, p.port);
    if (!a.ok()) {
      status_ = a.status();
      return;
    }
    fd_ = net::UniqueFd(socket(a->family(), type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd_.valid()) {
      status_ = Status::Error("socket: " + net::ErrnoText(errno));
      return;
    }
    if (connect(fd_.get(), reinterpret_cast<const sockaddr*>(&a->storage), a->length) != 0) {
      if (errno != EINPROGRESS) {
        status_ = Status::Error("connect: " + net::ErrnoText(errno));
        return;
      }
      status_ = Wait(fd_.get(), POLLOUT, wake_fd_, deadline_);
      int err = 0;
      socklen_t len = sizeof(err);
      if (status_.ok() && getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
        status_ = Status::Error("connect: " + net::ErrnoText(err));
    }
  }
  const Status& status() const { return status_; }

  Status Send(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = send(fd_.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return Status::Error("send: " + net::ErrnoText(errno));
      Status st = Wait(fd_.get(), POLLOUT, wake_fd_, deadline_);
      if (!st.ok()) return st;
    }
    return Status::OK();
  }
  // Up to `cap` bytes; 0 = the primary closed the connection. An error
  // from recv(2) itself (a reset) sets *reset; else it is the deadline or
  // enumd stopping.
  Result<size_t> Receive(uint8_t* buf, size_t cap, bool* reset = nullptr) {
    for (;;) {
      const ssize_t n = recv(fd_.get(), buf, cap, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EAGAIN && errno != EINTR) {
        if (reset) *reset = true;
        return Status::Error("recv: " + net::ErrnoText(errno));
      }
      Status st = Wait(fd_.get(), POLLIN, wake_fd_, deadline_);
      if (!st.ok()) return st;
    }
  }

 private:
  net::UniqueFd fd_;
  int wake_fd_;
  Clock::time_point deadline_;
  Status status_;
};

// Sends `req` over TCP and hands each framed answer message to `take`
// (checked by CheckAnswer first) until it returns true (the answer is whole).
// A failure sets *failure (PrimaryClient::Failure).
template <typename Take>
Status TcpExchange(const PrimaryEndpoint& p, const Request& req, int wake_fd,
                   Clock::time_point deadline, uint64_t max_bytes, PrimaryClient::Failure* failure,
                   Take take) {
  using Failure = PrimaryClient::Failure;
  *failure = Failure::kExchange;
  Connection c(p, SOCK_STREAM, wake_fd, deadline);
  if (!c.status().ok()) return c.status();
  std::string framed;
  Append16(&framed, static_cast<uint16_t>(req.msg.size()));
  framed += req.msg;
  Status st = c.Send(framed);
  if (!st.ok()) return st;
  std::optional<dns::TsigResponseVerifier> v;
  if (p.key) v.emplace(*p.key, req.mac);
  std::string buf;
  uint8_t chunk[65536];
  uint64_t total = 0;
  uint64_t messages = 0;
  for (;;) {
    // Whole messages in the buffer first.
    while (buf.size() >= 2 &&
           buf.size() >= 2u + Load16(reinterpret_cast<const uint8_t*>(buf.data()))) {
      const size_t len = Load16(reinterpret_cast<const uint8_t*>(buf.data()));
      const auto m = reinterpret_cast<const uint8_t*>(buf.data()) + 2;
      std::string why;
      bool foreign = false, tsig_failed = false;
      if (!CheckAnswer(m, len, req, v ? &*v : nullptr, &why, &foreign, &tsig_failed)) {
        *failure = tsig_failed ? Failure::kExchange : Failure::kAnswer;
        return Status::Error("message " + std::to_string(messages + 1) + ": " + why);
      }
      ++messages;
      bool whole = false;
      st = take(m, len, &whole);
      if (!st.ok()) {
        *failure = Failure::kAnswer;
        return st;
      }
      if (whole) {
        if (v && !v->complete())
          return Status::Error("the last message is not signed (RFC 8945 §5.3.1)");
        *failure = Failure::kNone;
        return Status::OK();
      }
      buf.erase(0, 2 + len);
    }
    bool reset = false;
    auto n = c.Receive(chunk, sizeof(chunk), &reset);
    if (!n.ok()) {
      if (reset) *failure = Failure::kAnswer;
      return Status::Error(n.status().message() + " after " + std::to_string(messages) +
                           " messages");
    }
    if (*n == 0) {
      *failure = Failure::kAnswer;
      return Status::Error("the primary closed the connection after " + std::to_string(messages) +
                           " messages, before the answer was whole");
    }
    total += *n;
    if (total > max_bytes) {
      *failure = Failure::kAnswer;
      return Status::Error("more than " + std::to_string(max_bytes >> 20) +
                           " MiB (zones[].transfer_in.max_mb)");
    }
    buf.append(reinterpret_cast<const char*>(chunk), *n);
  }
}

}  // namespace

std::string PrimaryEndpoint::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<uint32_t> PrimaryClient::QuerySerial(const PrimaryEndpoint& p, const std::string& origin,
                                            uint32_t timeout_ms) {
  auto fail = [&](const std::string& why) {
    return Status::Error(p.ToString() + ": SOA query: " + why);
  };
  auto req = BuildRequest(p, origin, dns::type::kSOA, std::nullopt);
  if (!req.ok()) return fail(req.status().message());
  // The SOA as an incremental transfer "from 0" reads it: an answer that
  // starts with the zone's SOA.
  zone::IncomingTransfer soa(origin, std::nullopt, "SOA");
  auto take = [&](const uint8_t* m, size_t n, bool* whole) {
    if ((m[2] & 0x04) == 0) return Status::Error("the answer is not authoritative");
    Status st = soa.Add(m, n);
    if (!st.ok() || soa.records() == 0) return Status::Error("the answer holds no SOA of the zone");
    *whole = true;
    return Status::OK();
  };
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  // UDP, twice, then TCP if the answer was truncated.
  bool truncated = false;
  Status last = Status::Error("no answer");
  for (int attempt = 0; attempt < 2 && !truncated; ++attempt) {
    const auto until = std::min(deadline, Clock::now() + std::chrono::milliseconds(timeout_ms / 2));
    Connection c(p, SOCK_DGRAM, wake_fd_, until);
    if (!c.status().ok()) return fail(c.status().message());
    Status st = c.Send(req->msg);
    if (!st.ok()) return fail(st.message());
    std::optional<dns::TsigResponseVerifier> v;
    for (;;) {
      uint8_t buf[65536];
      auto n = c.Receive(buf, sizeof(buf));
      if (!n.ok()) {
        last = n.status();
        break;
      }
      if (p.key) v.emplace(*p.key, req->mac);
      std::string why;
      bool foreign = false;
      if (!CheckAnswer(buf, *n, *req, v ? &*v : nullptr, &why, &foreign)) {
        if (foreign) continue;
        return fail(why);
      }
      if (buf[2] & 0x02) {  // TC
        truncated = true;
        break;
      }
      bool whole = false;
      st = take(buf, *n, &whole);
      if (!st.ok()) return fail(st.message());
      return soa.serial();
    }
    if (last.message() == "enumd is stopping") return fail(last.message());
  }
  if (!truncated) return fail(last.message());
  Failure failure;
  Status st = TcpExchange(p, *req, wake_fd_, deadline, 65536, &failure, take);
  if (!st.ok()) return fail(st.message());
  return soa.serial();
}

Status PrimaryClient::Transfer(const PrimaryEndpoint& p, const std::string& origin,
                               const std::optional<std::string>& ixfr_soa,
                               const TransferLimits& limits, zone::IncomingTransfer* out) {
  failure_ = Failure::kExchange;
  auto req = BuildRequest(p, origin, ixfr_soa ? dns::type::kIXFR : dns::type::kAXFR, ixfr_soa);
  if (!req.ok()) return req.status();
  const auto deadline = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  Status st = TcpExchange(p, *req, wake_fd_, deadline, limits.max_bytes, &failure_,
                          [&](const uint8_t* m, size_t n, bool* whole) {
                            Status s = out->Add(m, n);
                            *whole = out->done();
                            return s;
                          });
  if (!st.ok()) {
    std::string why = st.message();
    if (why.rfind("timed out", 0) == 0)
      why = "not whole after " + std::to_string(limits.timeout_ms / 1000) +
            " s (zones[].transfer_in.timeout), " + std::to_string(out->records()) + " records";
    return Status::Error(why);
  }
  return Status::OK();
}

}  // namespace enumd::daemon
