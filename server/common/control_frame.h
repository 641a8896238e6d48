// The framing of enumd's control socket (daemon/control_server.h): each
// message is a u32 big-endian length, then that many bytes, the first of
// which is a command (requests) or a status (replies). Both ends use these;
// enumctl's side is ControlRequest.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "common/status.h"

namespace enumd {

inline constexpr uint32_t kMaxControlFrame = 64u << 20;

// Writes one frame (`tag`, `payload`) to `fd`; waits while the socket is full.
Status WriteControlFrame(int fd, uint8_t tag, const std::string& payload);
// Reads one frame; Error on a short read, a frame over kMaxControlFrame or
// an empty one. `timeout_ms` bounds each wait for bytes (-1: none). A clean
// end of stream before the first byte is Error "closed".
Result<std::pair<uint8_t, std::string>> ReadControlFrame(int fd, int timeout_ms);

// enumctl's side: connects to the socket at `path`, sends one request and
// returns the reply (status, payload). `timeout_ms` bounds each wait.
// Errors name the socket.
Result<std::pair<uint8_t, std::string>> ControlRequest(const std::string& path, uint8_t command,
                                                       const std::string& payload,
                                                       int timeout_ms = 600000);

}  // namespace enumd
