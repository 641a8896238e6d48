// dnstap query logging (https://dnstap.info): each logged query and answer
// becomes a Dnstap protobuf message (type MESSAGE, an AUTH_QUERY or
// AUTH_RESPONSE Message with the client's address and port, the transport,
// the times and the DNS messages in wire form) in a Frame Streams (fstrm)
// data frame, written to a file or a collector's Unix socket. What BIND,
// Knot and NSD write; `dnstap-ldns -r FILE` reads it.
//
// libfstrm (Debian's libfstrm) does the framing and the writing: its I/O
// thread owns the file or socket (and reconnects to a socket that went
// away), and each query handler has an input queue of its own (single
// producer, single consumer, lock-free). A handler never waits: when its
// queue is full the message is dropped and counted. The protobuf encoding
// is written here by hand: two fixed messages, about forty lines, where
// protobuf-c would add a generated schema and a second library.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "common/counter.h"
#include "common/status.h"
#include "config/config.h"

struct fstrm_iothr;
struct fstrm_iothr_queue;

namespace enumd::daemon {

class Dnstap {
 public:
  // One handler's side; used only on that handler's thread.
  class Tap {
   public:
    // Whether the next query is one of those logged (1 in `sample`).
    bool Sample() noexcept { return ++seen_ % sample_ == 0; }
    // Logs a query (`query`, `qlen`) received at `received` from `peer`,
    // and its answer (`answer`, `alen`; alen 0: none sent), as the
    // configuration says. Allocates the frames (malloc; libfstrm frees
    // them); nothing throws.
    void Log(const uint8_t* query, size_t qlen, const uint8_t* answer, size_t alen, bool tcp,
             const sockaddr* peer, const timespec& received) noexcept;

   private:
    friend class Dnstap;
    void Submit(int type, const uint8_t* query, size_t qlen, const uint8_t* answer, size_t alen,
                bool tcp, const sockaddr* peer, const timespec& received,
                const timespec* answered) noexcept;
    const Dnstap* owner_ = nullptr;
    fstrm_iothr_queue* queue_ = nullptr;
    uint32_t sample_ = 1;
    uint64_t seen_ = 0;
    Counter sent_, dropped_;  // this thread counts, scrapes read
    std::string scratch_;     // the message being encoded
  };

  // Opens the output (a file is created or truncated at once; a socket is
  // connected by the I/O thread, which retries) with one queue per handler.
  // Errors name the file.
  static Result<std::unique_ptr<Dnstap>> Open(const config::DnstapConfig& config, int handlers,
                                              const std::string& version);
  // Writes what is queued, then closes the output.
  ~Dnstap();
  Dnstap(const Dnstap&) = delete;
  Dnstap& operator=(const Dnstap&) = delete;

  // Handler `slot`'s tap (0 .. handlers-1), from the handler factory.
  Tap* ForHandler(int slot) { return &taps_[static_cast<size_t>(slot)]; }

  // Messages handed to the writer, and dropped because a queue was full.
  uint64_t sent() const;
  uint64_t dropped() const;

 private:
  Dnstap() = default;
  uint64_t Sum(Counter Tap::*counter) const;
  config::DnstapConfig config_;
  std::string identity_, version_;
  fstrm_iothr* iothr_ = nullptr;
  std::unique_ptr<Tap[]> taps_;
  size_t tap_count_ = 0;
};

// The Dnstap protobuf message for one query or answer (type 1 AUTH_QUERY or
// 2 AUTH_RESPONSE), appended to `out`. `answer` may be null for a query.
// Exposed for the unit test.
void EncodeDnstap(std::string* out, const std::string& identity, const std::string& version,
                  int type, bool tcp, const sockaddr* peer, const uint8_t* query, size_t qlen,
                  const timespec& received, const uint8_t* answer, size_t alen,
                  const timespec* answered);

}  // namespace enumd::daemon
