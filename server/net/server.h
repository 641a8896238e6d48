// The network front end: one libuv loop per worker thread; on every listen
// address each worker has its own UDP socket and its own TCP listening socket
// bound with SO_REUSEPORT, so the kernel spreads traffic across workers.
// TCP follows RFC 7766: 2-byte length framing, many (pipelined) queries per
// connection answered in order, partial reads and writes, idle timeout and a
// connection cap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/query_handler.h"

namespace enumd::net {

struct Endpoint {
  std::string host;   // numeric IPv4/IPv6
  uint16_t port = 0;  // 0 = let the kernel pick (the chosen port is reported by ports())
  bool udp = true;
  bool tcp = true;
};

struct ServerOptions {
  std::vector<Endpoint> endpoints;
  int workers = 1;  // >= 1
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 1024;  // per server, over all workers
};

class Server {
 public:
  // Called once per worker, on the starting thread, before the worker runs.
  using HandlerFactory = std::function<std::unique_ptr<QueryHandler>(int worker)>;

  Server(ServerOptions options, HandlerFactory factory);
  ~Server();  // Stops if running.

  // Binds every socket (errors name the address, e.g. "127.0.0.1:53/udp:
  // address in use") and starts the worker threads. Nothing is left bound on error.
  Status Start();
  // Stops accepting, finishes in-flight TCP answers (bounded by a short grace
  // period), joins the workers. Idempotent; thread-safe against Start's thread.
  // Must not be called from a QueryHandler (a worker would wait for itself).
  void Stop();

  // The bound ports, in the order of options.endpoints (useful with port 0).
  std::vector<uint16_t> ports() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace enumd::net
