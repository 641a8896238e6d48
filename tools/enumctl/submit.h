// Where enumctl's changes go: through a running enumd (its control socket,
// so that the change is one transaction of the server's one writer, seen at
// once by queries) or, when none runs, straight into the store. Both take
// the same RFC 2136 UPDATE message and apply it the same way
// (zone::ApplyUpdate in one ZoneTransaction).
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace enumd::enumctl {

// The control socket of an enumd serving the store in `store_dir`: `option`
// (--control) if given, else STORE/enumd.sock when a process answers on it.
std::optional<std::string> LiveEnumd(const std::string& store_dir, const std::string& option);

// Sends `message` (an UPDATE) to the enumd at `socket`, or applies it to the
// store at `store_dir` when `socket` is empty. Returns the rcode.
Result<int> SubmitUpdate(const std::optional<std::string>& socket, const std::string& store_dir,
                         const std::string& message);

}  // namespace enumd::enumctl
