// Server: binds every listen socket for every worker, then runs the workers.
// See server.h for the contract and worker.h for what a worker does.
//
// Binding happens entirely in Start, on the calling thread, before any worker
// runs, so errors are reported synchronously and, on error, destroying the
// not-yet-started workers closes everything bound so far.
#include "net/server.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "net/listen_socket.h"
#include "net/tcp_admission.h"
#include "net/worker.h"

namespace enumd::net {

namespace {

// With port 0 the first socket picks a free port and the rest bind the same
// one; if another program holds that port for the other protocol, try again.
// TCP picks first: on a busy host most of the ephemeral range may be held by
// TCP connections in TIME_WAIT (a client's, without SO_REUSEADDR, blocks a
// listener's bind), so a port chosen free for UDP was often taken for TCP,
// where one chosen for TCP is rarely taken for UDP.
constexpr int kEphemeralPortAttempts = 16;

// One endpoint's sockets for every worker.
struct BoundEndpoint {
  uint16_t port = 0;
  std::vector<UniqueFd> udp;  // one per worker, or empty
  std::vector<UniqueFd> tcp;
};

Result<BoundEndpoint> BindOnce(SocketAddress address, const Endpoint& endpoint, int workers,
                               UdpSpread spread, bool* address_in_use) {
  BoundEndpoint bound;
  for (int w = 0; w < workers; ++w) {
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      if ((type == SOCK_DGRAM && !endpoint.udp) || (type == SOCK_STREAM && !endpoint.tcp)) continue;
      int error_number = 0;
      Result<UniqueFd> fd = BindReusableSocket(address, type, &error_number);
      if (!fd.ok()) {
        *address_in_use = error_number == EADDRINUSE;
        return fd.status();
      }
      if (address.port() == 0) address.set_port(LocalPort(fd->get()));
      (type == SOCK_DGRAM ? bound.udp : bound.tcp).push_back(std::move(*fd));
    }
  }
  if (spread == UdpSpread::kName && bound.udp.size() > 1) {
    Status s = SteerUdpByName(bound.udp[0].get(), static_cast<int>(bound.udp.size()));
    if (!s.ok()) return Status::Error(address.ToString().append("/udp: ").append(s.message()));
  }
  bound.port = address.port();
  return bound;
}

Result<BoundEndpoint> BindEndpoint(const Endpoint& endpoint, int workers, UdpSpread spread) {
  Result<SocketAddress> address = ParseSocketAddress(endpoint.host, endpoint.port);
  if (!address.ok()) return address.status();
  for (int attempt = 1;; ++attempt) {
    bool address_in_use = false;
    Result<BoundEndpoint> bound = BindOnce(*address, endpoint, workers, spread, &address_in_use);
    if (bound.ok() || endpoint.port != 0 || !address_in_use || attempt == kEphemeralPortAttempts) {
      return bound;
    }
  }
}

// Signals the worker threads must not take: the daemon handles SIGTERM & co.
// on its own thread, and SIGPIPE must become EPIPE on a write to a vanished
// client. Synchronous fault signals stay deliverable.
sigset_t WorkerSignalMask() {
  sigset_t mask;
  sigfillset(&mask);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) sigdelset(&mask, fault);
  return mask;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  HandlerFactory factory;

  std::mutex mutex;                             // guards everything below
  std::unique_ptr<TcpAdmission> tcp_admission;  // outlives the workers; new on every start
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<uint16_t> ports;
  uint64_t udp_dropped_before = 0;  // by the workers of earlier runs
  bool running = false;

  Status StartLocked();
  void StopLocked();
};

Status Server::Impl::StartLocked() {
  if (running) return Status::Error("server already running");
  if (options.workers < 1) return Status::Error("workers must be at least 1");

  std::vector<std::unique_ptr<Worker>> starting;
  std::vector<uint16_t> bound_ports;
  try {
    // No worker of a previous run is left to use the old one.
    tcp_admission = std::make_unique<TcpAdmission>(
        options.tcp_max_connections, options.tcp_max_connections_per_source, options.workers);
    int next_slot = 0;
    auto make_handler = [&](int worker, Transport transport, int udp_fd = -1) {
      std::unique_ptr<QueryHandler> handler =
          factory(HandlerRole{worker, transport, next_slot++, udp_fd});
      if (!handler)
        throw std::runtime_error("no query handler for worker " + std::to_string(worker));
      return handler;
    };
    for (int i = 0; i < options.workers; ++i) {
      std::unique_ptr<QueryHandler> handler = make_handler(i, Transport::kTcp);
      starting.push_back(
          std::make_unique<Worker>(std::move(handler), options, tcp_admission.get()));
      if (Status s = starting.back()->Init(); !s.ok()) return s;
    }
    for (const Endpoint& endpoint : options.endpoints) {
      Result<BoundEndpoint> bound = BindEndpoint(endpoint, options.workers, options.udp_spread);
      if (!bound.ok()) return bound.status();
      SocketAddress address = *ParseSocketAddress(endpoint.host, bound->port);
      for (size_t w = 0; w < bound->udp.size(); ++w) {
        const int fd = bound->udp[w].get();
        starting[w]->AddUdp(std::move(bound->udp[w]),
                            make_handler(static_cast<int>(w), Transport::kUdp, fd));
      }
      for (size_t w = 0; w < bound->tcp.size(); ++w) {
        Status s = starting[w]->AddTcp(std::move(bound->tcp[w]), address.ToString() + "/tcp");
        if (!s.ok()) return s;
      }
      bound_ports.push_back(bound->port);
    }

    // Threads inherit the creating thread's signal mask.
    sigset_t worker_mask = WorkerSignalMask();
    sigset_t saved_mask;
    pthread_sigmask(SIG_BLOCK, &worker_mask, &saved_mask);
    try {
      for (auto& worker : starting) worker->Start();
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  } catch (const std::exception& e) {
    // `starting` stops and closes whatever exists so far.
    return Status::Error(std::string("starting the network server: ") + e.what());
  }

  workers = std::move(starting);
  ports = std::move(bound_ports);
  running = true;
  return Status::OK();
}

void Server::Impl::StopLocked() {
  if (!running) return;
  for (auto& worker : workers) worker->RequestStop();
  for (auto& worker : workers) worker->Join();
  for (auto& worker : workers) udp_dropped_before += worker->UdpRepliesDropped();
  workers.clear();
  running = false;
}

int Server::UdpHandlers(const ServerOptions& options) {
  int udp_endpoints = 0;
  for (const Endpoint& endpoint : options.endpoints) udp_endpoints += endpoint.udp ? 1 : 0;
  return options.workers * udp_endpoints;
}

int Server::HandlerSlots(const ServerOptions& options) {
  return options.workers + UdpHandlers(options);
}

Server::Server(ServerOptions options, HandlerFactory factory) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->factory = std::move(factory);
  for (const Endpoint& endpoint : impl_->options.endpoints) impl_->ports.push_back(endpoint.port);
}

Server::~Server() { Stop(); }

Status Server::Start() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->StartLocked();
}

void Server::Stop() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->StopLocked();
}

std::vector<uint16_t> Server::ports() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->ports;
}

TcpCounts Server::TcpTotals() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  TcpCounts t;
  for (const auto& worker : impl_->workers) worker->AddTcpCounts(&t);
  if (impl_->tcp_admission) t.open = impl_->tcp_admission->open();
  return t;
}

uint64_t Server::UdpRepliesDropped() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  uint64_t dropped = impl_->udp_dropped_before;
  for (const auto& worker : impl_->workers) dropped += worker->UdpRepliesDropped();
  return dropped;
}

}  // namespace enumd::net
