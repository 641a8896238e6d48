// The network front end: per worker, one libuv loop thread for TCP and one
// thread per UDP socket; on every listen address each worker has its own UDP
// socket and its own TCP listening socket bound with SO_REUSEPORT, so the
// kernel spreads traffic across workers (UDP by query name unless told
// otherwise, TCP by connection).
// TCP follows RFC 7766: 2-byte length framing, many (pipelined) queries per
// connection answered in order, partial reads and writes. Every TCP resource
// is bounded: connections in total and per source (over the total cap the
// oldest idle connection is closed to make room), the idle time, the time to
// receive one query, and the answers queued for a client that does not read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/query_handler.h"
#include "net/tcp_counts.h"

namespace enumd::net {

struct Endpoint {
  std::string host;   // numeric IPv4/IPv6
  uint16_t port = 0;  // 0 = let the kernel pick (the chosen port is reported by ports())
  bool udp = true;
  bool tcp = true;
};

// How the kernel spreads UDP datagrams over the workers' sockets.
enum class UdpSpread {
  kFlow,  // its hash of addresses and ports: one client port, one worker
  kName,  // a hash of the query name (SteerUdpByName): one name, one worker
};

struct ServerOptions {
  std::vector<Endpoint> endpoints;
  int workers = 1;                          // >= 1
  UdpSpread udp_spread = UdpSpread::kName;  // with more than one worker
  // No read or write progress for this long closes a connection (RFC 7766
  // §6.2.3); 0: never.
  uint32_t tcp_idle_timeout_ms = 10000;
  // From the first byte of a query's frame to its last, at most this long
  // (slowloris); 0: no limit. The clock runs while the server reads.
  uint32_t tcp_query_timeout_ms = 2000;
  // Per server, over all workers. Over it a new connection takes the slot of
  // the accepting worker's oldest idle connection (nothing being received, no
  // answers pending), which is closed; with none idle, the new one is closed.
  uint32_t tcp_max_connections = 1024;
  // Per source (an IPv4 address or an IPv6 /64), over all workers; over it
  // the new connection is closed. 0: no per-source cap.
  uint32_t tcp_max_connections_per_source = 0;
  // A connection stops reading queries while more answer bytes than this wait
  // for the client to read them (one answer may overshoot by up to 64 KiB).
  uint32_t tcp_max_queued_bytes = 64 * 1024;
  // A UDP socket whose send buffer is full stops reading and waits for room
  // for its queued replies, at most this long; then it drops them and reads
  // on. Short: a reply held longer is one the client has stopped waiting
  // for, and the wait holds up every client of the socket. >= 1.
  uint32_t udp_send_wait_ms = 100;
};

// Which thread a QueryHandler will serve: a worker's loop (all its TCP
// connections) or one of its UDP sockets.
struct HandlerRole {
  int worker = 0;  // 0 .. workers-1
  Transport transport = Transport::kTcp;
  int slot = 0;  // distinct for every handler of the server: 0 .. HandlerSlots()-1
  // UDP: the socket the handler's queries come in on, for answers sent later
  // from another thread (sendto is safe there; the socket lives until the
  // server stops). -1 for TCP.
  int udp_fd = -1;
};

class Server {
 public:
  // Called once per handler (see HandlerRole), on the starting thread, before
  // the workers run.
  using HandlerFactory = std::function<std::unique_ptr<QueryHandler>(const HandlerRole&)>;

  // How many handlers Start asks for: per worker one for TCP and one per
  // endpoint that serves UDP.
  static int HandlerSlots(const ServerOptions& options);
  static int UdpHandlers(const ServerOptions& options);

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
  // UDP replies not sent since construction, over every run: the kernel
  // refused them, or the socket's send buffer stayed full for longer than
  // udp_send_wait_ms. Thread-safe.
  uint64_t UdpRepliesDropped() const;
  // The TCP counts of the running server (zeros when it is not). Thread-safe.
  TcpCounts TcpTotals() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace enumd::net
