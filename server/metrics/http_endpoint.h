// HttpEndpoint: the HTTP listener that serves /metrics (Prometheus scrapes
// it), on a thread of its own, never on a query worker: a scrape costs the
// query path nothing but the relaxed reads of its counters.
//
// Deliberately small: HTTP/1.1 (and 1.0) GET and HEAD of /metrics, one
// connection at a time, each closed after its response. Bounded: a request
// head of at most 8 KiB that must arrive within 2 s; a client that reads
// the response slower than that is dropped. Other targets get 404, other
// methods 405, anything unparsable 400. Meant for a loopback or management
// address: there is no TLS and no authentication.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace enumd::metrics {

class HttpEndpoint {
 public:
  // Produces the /metrics body, on the endpoint's thread.
  using Render = std::function<std::string()>;

  // Binds `host` (numeric IPv4 or IPv6) and `port` (0: the kernel picks; see
  // port()) and starts serving. Errors name the address.
  static Result<std::unique_ptr<HttpEndpoint>> Start(const std::string& host, uint16_t port,
                                                     Render render);
  ~HttpEndpoint();  // Stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Closes the socket and joins the thread (an exchange in progress is cut
  // off). Idempotent.
  void Stop();
  uint16_t port() const { return port_; }
  // Responses with a 200 status, so far. Any thread.
  uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }

 private:
  HttpEndpoint(int listen_fd, int wake_fd, uint16_t port, Render render);
  void Run();
  void Serve(int fd);

  int listen_fd_;
  int wake_fd_;  // eventfd: Stop() wakes the thread's poll
  uint16_t port_;
  Render render_;
  std::atomic<uint64_t> scrapes_{0};
  std::thread thread_;
};

}  // namespace enumd::metrics
