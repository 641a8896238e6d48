// Unnamed temporary files, for data that is too big to hold in memory and
// must not outlive the process: an import's sorted runs, a zone transfer's
// messages until the transfer is whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace enumd {

// A file with no name in `dir` ("" = $TMPDIR, else /tmp), open for reading
// and writing, gone when closed or when the process dies (kill -9
// included): O_TMPFILE, else a named file unlinked at once. *name describes
// it for messages ("a temporary file in /var/lib/enumd").
Result<int> OpenTempFile(const std::string& dir, std::string* name);

// Writes all `len` bytes at the file's position (EINTR retried); the error
// names the file and the reason ("cannot write NAME: No space left on device").
Status WriteAll(int fd, const char* data, size_t len, const std::string& name);

// Reads exactly `len` bytes at `offset`; a short file is an error.
Status ReadAllAt(int fd, char* data, size_t len, uint64_t offset, const std::string& name);

}  // namespace enumd
