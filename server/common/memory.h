// How much memory this process may use: the machine's RAM, or less where a
// cgroup (v2: systemd's MemoryMax=, docker run --memory) caps it. Sizing
// defaults from it rather than from RAM keeps a capped container from
// choosing what only an uncapped machine could hold.
#pragma once

#include <cstdint>
#include <string>

namespace enumd {

// Physical memory, or the smallest memory.max of this process's cgroup and
// its ancestors when that is lower. 0 if neither can be read.
uint64_t UsableMemoryBytes();

// The smallest "memory.max" over `cgroup_dir` and its parents up to (not
// above) `root`, read from files: "max" means none. UINT64_MAX when no level
// sets one. Split out for tests.
uint64_t CgroupMemoryLimit(const std::string& root, const std::string& cgroup_dir);

}  // namespace enumd
