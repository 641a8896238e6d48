#include "common/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace enumd {

uint64_t CgroupMemoryLimit(const std::string& root, const std::string& cgroup_dir) {
  uint64_t limit = UINT64_MAX;
  std::string dir = cgroup_dir;
  for (;;) {
    std::ifstream in(root + dir + "/memory.max");
    std::string value;
    if (in >> value && value != "max") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
      if (end != value.c_str() && *end == '\0') limit = std::min<uint64_t>(limit, v);
    }
    if (dir.empty() || dir == "/") break;
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos || slash == 0 ? "/" : dir.substr(0, slash);
  }
  return limit;
}

uint64_t UsableMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t ram = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  // cgroup v2: /proc/self/cgroup holds "0::/path" (v1 lines have names).
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    const uint64_t cap = CgroupMemoryLimit("/sys/fs/cgroup", line.substr(3));
    if (cap != UINT64_MAX) ram = ram ? std::min(ram, cap) : cap;
  }
  return ram;
}

}  // namespace enumd
