// How much memory this process may use: the machine's RAM, or less where a
// cgroup caps it -- v2 `memory.max` (systemd's MemoryMax=, docker run --memory
// on a v2 host) or v1 `memory.limit_in_bytes` (the same on a host with the
// legacy or hybrid layout). Sizing defaults from it rather than from RAM keeps
// a capped container from choosing what only an uncapped machine could hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace enumd {

struct UsableMemory {
  uint64_t bytes = 0;  // 0: unknown
  // Where the figure comes from, for the log: "RAM", or the limit's file and
  // cgroup, e.g. "cgroup v1 memory.limit_in_bytes of /system.slice/enumd.service".
  std::string source;
};

// Physical memory, or the smallest memory limit of this process's cgroups
// (v2 and v1 memory controller) and their ancestors when that is lower.
UsableMemory FindUsableMemory();

// The same from given texts: `ram` bytes of RAM (0: unknown), the contents of
// /proc/self/cgroup and of /proc/self/mountinfo (whose mount points are where
// the limit files are read). Split out for tests.
UsableMemory UsableMemoryFrom(uint64_t ram, std::string_view self_cgroup,
                              std::string_view mountinfo);

// The smallest `file` ("memory.max" of v2, "memory.limit_in_bytes" of v1)
// over `cgroup_dir` and its parents up to (not above) `root`, read from files:
// "max" means none. UINT64_MAX when no level sets one. *at, if given, is set to
// the directory (below root) whose file set the limit.
uint64_t CgroupMemoryLimit(const std::string& root, const std::string& cgroup_dir,
                           const char* file = "memory.max", std::string* at = nullptr);

}  // namespace enumd
