#include "daemon/dnstap.h"

#include <fstrm.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace enumd::daemon {
namespace {

constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
constexpr int kAuthQuery = 1, kAuthResponse = 2;

// Protocol Buffers wire format: varints, and fields as (number << 3 | wire type).
void Varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void VarintField(std::string* out, int field, uint64_t v) {
  Varint(out, static_cast<uint64_t>(field) << 3);
  Varint(out, v);
}
void BytesField(std::string* out, int field, const void* data, size_t len) {
  Varint(out, static_cast<uint64_t>(field) << 3 | 2);
  Varint(out, len);
  out->append(static_cast<const char*>(data), len);
}
void Fixed32Field(std::string* out, int field, uint32_t v) {
  Varint(out, static_cast<uint64_t>(field) << 3 | 5);
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));  // little-endian
}

}  // namespace

void EncodeDnstap(std::string* out, const std::string& identity, const std::string& version,
                  int type, bool tcp, const sockaddr* peer, const uint8_t* query, size_t qlen,
                  const timespec& received, const uint8_t* answer, size_t alen,
                  const timespec* answered) {
  // dnstap.proto's Message (fields 1-14).
  std::string m;
  VarintField(&m, 1, static_cast<uint64_t>(type));
  if (peer != nullptr && peer->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    VarintField(&m, 2, 1);  // INET
    VarintField(&m, 3, tcp ? 2 : 1);
    BytesField(&m, 4, &in->sin_addr, 4);
    VarintField(&m, 6, ntohs(in->sin_port));
  } else if (peer != nullptr && peer->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer);
    VarintField(&m, 2, 2);  // INET6
    VarintField(&m, 3, tcp ? 2 : 1);
    BytesField(&m, 4, &in6->sin6_addr, 16);
    VarintField(&m, 6, ntohs(in6->sin6_port));
  }
  VarintField(&m, 8, static_cast<uint64_t>(received.tv_sec));
  Fixed32Field(&m, 9, static_cast<uint32_t>(received.tv_nsec));
  if (query != nullptr) BytesField(&m, 10, query, qlen);
  if (answered != nullptr) {
    VarintField(&m, 12, static_cast<uint64_t>(answered->tv_sec));
    Fixed32Field(&m, 13, static_cast<uint32_t>(answered->tv_nsec));
  }
  if (answer != nullptr && alen > 0) BytesField(&m, 14, answer, alen);
  // The Dnstap envelope: identity, version, the message, type MESSAGE.
  if (!identity.empty()) BytesField(out, 1, identity.data(), identity.size());
  if (!version.empty()) BytesField(out, 2, version.data(), version.size());
  BytesField(out, 14, m.data(), m.size());
  VarintField(out, 15, 1);
}

void Dnstap::Tap::Log(const uint8_t* query, size_t qlen, const uint8_t* answer, size_t alen,
                      bool tcp, const sockaddr* peer, const timespec& received) noexcept {
  const config::DnstapConfig& c = owner_->config_;
  if (c.queries) Submit(kAuthQuery, query, qlen, nullptr, 0, tcp, peer, received, nullptr);
  if (c.responses && alen > 0) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Submit(kAuthResponse, query, qlen, answer, alen, tcp, peer, received, &now);
  }
}

void Dnstap::Tap::Submit(int type, const uint8_t* query, size_t qlen, const uint8_t* answer,
                         size_t alen, bool tcp, const sockaddr* peer, const timespec& received,
                         const timespec* answered) noexcept {
  try {
    scratch_.clear();
    EncodeDnstap(&scratch_, owner_->identity_, owner_->version_, type, tcp, peer, query, qlen,
                 received, answer, alen, answered);
  } catch (...) {  // out of memory: the message is lost, the answer is not
    dropped_.Add();
    return;
  }
  void* frame = malloc(scratch_.size());
  if (frame == nullptr) {
    dropped_.Add();
    return;
  }
  memcpy(frame, scratch_.data(), scratch_.size());
  if (fstrm_iothr_submit(owner_->iothr_, queue_, frame, scratch_.size(), fstrm_free_wrapper,
                         nullptr) != fstrm_res_success) {
    free(frame);
    dropped_.Add();
    return;
  }
  sent_.Add();
}

Result<std::unique_ptr<Dnstap>> Dnstap::Open(const config::DnstapConfig& config, int handlers,
                                             const std::string& version) {
  if (!config.file.empty() && !config.socket.empty())
    return Status::Error("dnstap: give file or socket, not both");
  std::unique_ptr<Dnstap> d(new Dnstap());
  d->config_ = config;
  d->version_ = version;
  d->identity_ = config.identity;
  if (d->identity_.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) d->identity_ = host;
  }
  if (!config.file.empty()) {
    // libfstrm opens the file on its own thread and says nothing when it
    // cannot: check here, so a wrong path stops the start with its reason.
    std::ofstream probe(config.file, std::ios::trunc);
    if (!probe)
      return Status::Error("dnstap: cannot write " + config.file + ": " + strerror(errno));
  }

  fstrm_writer_options* wopt = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(wopt, kContentType, sizeof(kContentType) - 1);
  fstrm_writer* writer = nullptr;
  if (!config.file.empty()) {
    fstrm_file_options* fopt = fstrm_file_options_init();
    fstrm_file_options_set_file_path(fopt, config.file.c_str());
    writer = fstrm_file_writer_init(fopt, wopt);
    fstrm_file_options_destroy(&fopt);
  } else {
    fstrm_unix_writer_options* uopt = fstrm_unix_writer_options_init();
    fstrm_unix_writer_options_set_socket_path(uopt, config.socket.c_str());
    writer = fstrm_unix_writer_init(uopt, wopt);
    fstrm_unix_writer_options_destroy(&uopt);
  }
  fstrm_writer_options_destroy(&wopt);
  if (writer == nullptr) return Status::Error("dnstap: cannot set up the writer");

  fstrm_iothr_options* iopt = fstrm_iothr_options_init();
  fstrm_iothr_options_set_num_input_queues(iopt, static_cast<size_t>(handlers));
  fstrm_iothr_options_set_queue_model(iopt, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
  fstrm_iothr_options_set_reopen_interval(iopt, 1);  // seconds: a collector that restarts
  d->iothr_ = fstrm_iothr_init(iopt, &writer);
  fstrm_iothr_options_destroy(&iopt);
  if (d->iothr_ == nullptr) {
    if (writer != nullptr) fstrm_writer_destroy(&writer);
    return Status::Error("dnstap: cannot start the writer thread");
  }
  d->tap_count_ = static_cast<size_t>(handlers);
  d->taps_ = std::make_unique<Tap[]>(d->tap_count_);
  for (size_t i = 0; i < d->tap_count_; ++i) {
    Tap& t = d->taps_[i];
    t.owner_ = d.get();
    t.sample_ = config.sample == 0 ? 1 : config.sample;
    t.queue_ = fstrm_iothr_get_input_queue_idx(d->iothr_, i);
    if (t.queue_ == nullptr) return Status::Error("dnstap: cannot get a writer queue");
    t.scratch_.reserve(1024);
  }
  return d;
}

Dnstap::~Dnstap() {
  if (iothr_ != nullptr) fstrm_iothr_destroy(&iothr_);
}

uint64_t Dnstap::Sum(Counter Tap::*counter) const {
  uint64_t n = 0;
  for (size_t i = 0; i < tap_count_; ++i) n += (taps_[i].*counter).Get();
  return n;
}

uint64_t Dnstap::sent() const { return Sum(&Tap::sent_); }
uint64_t Dnstap::dropped() const { return Sum(&Tap::dropped_); }

}  // namespace enumd::daemon
