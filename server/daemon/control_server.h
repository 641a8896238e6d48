// ControlServer: the Unix stream socket through which enumctl changes a
// running enumd (add, del, apply, import), as knotc and rndc talk to theirs.
// Whoever can open the socket may change every zone: it is created with mode
// 0660 (owner and group), in a directory the operator controls (by default
// the store's).
//
// Protocol (common/control_frame.h), one request and one reply per
// exchange, any number of exchanges per connection:
//   request:  u32 length (big-endian, of what follows) | u8 command | payload
//   reply:    u32 length | u8 status (0 ok, 1 error) | payload
// Commands:
//   'U'  payload: an UPDATE message (RFC 2136, wire form, no TSIG). The
//        reply's payload is the DNS response (its rcode says how it went).
//        Local requests are trusted: no TSIG, no update policy.
//   'I'  payload: the zone origin (text), a NUL, the zone file's path.
//        Imports the file into the zone as SIGHUP would; the reply's
//        payload is a line of text.
//   'S'  no payload: the server's status as a line of text per zone.
// Requests are limited to kMaxControlFrame bytes; anything malformed closes
// the connection.
//
// Threads: one of its own, which accepts and serves connections one at a
// time (the writer serialises the work anyway); the handler runs on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "common/control_frame.h"
#include "common/status.h"

namespace enumd::daemon {

class ControlServer {
 public:
  // Runs a request (command, payload) and fills the reply's payload;
  // returns the status byte.
  using Handler =
      std::function<uint8_t(uint8_t command, const std::string& payload, std::string* reply)>;

  ControlServer() = default;
  ~ControlServer();  // Stops.
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds `path` (a stale socket file left by a killed enumd is replaced;
  // one a live process answers on is an error) and starts the thread.
  Status Start(const std::string& path, Handler handler);
  // Stops accepting, closes connections, joins the thread, removes the file.
  void Stop();

 private:
  void Run();
  void Serve(int fd);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: Stop writes, the thread's poll wakes
  std::thread thread_;
};

}  // namespace enumd::daemon
