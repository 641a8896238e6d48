#include "common/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace enumd {
namespace {

std::string ReadAll(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// One cgroup file system from /proc/self/mountinfo: where it is mounted and
// which cgroup its root is (not "/" in a container that sees only its own
// subtree without a cgroup namespace).
struct CgroupMount {
  std::string root, point;
};

// The cgroup v2 mount (`v1` false) or the v1 mount holding the memory
// controller (`v1` true); empty point if there is none. Mountinfo lines:
// "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER".
CgroupMount FindMount(std::string_view mountinfo, bool v1) {
  for (std::string_view line : Split(mountinfo, '\n')) {
    std::vector<std::string_view> f = Split(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    const std::string_view type = dash[1];
    bool memory = false;
    for (std::string_view opt : Split(dash[3], ',')) memory |= opt == "memory";
    if (v1 ? type == "cgroup" && memory : type == "cgroup2")
      return {std::string(f[3]), std::string(f[4])};
  }
  return {};
}

// `path` (from /proc/self/cgroup) as seen below a mount whose root is `root`.
std::string BelowMountRoot(const std::string& root, std::string_view path) {
  if (root == "/" || root.empty()) return std::string(path);
  if (path.substr(0, root.size()) == root &&
      (path.size() == root.size() || path[root.size()] == '/'))
    return path.size() == root.size() ? "/" : std::string(path.substr(root.size()));
  return "/";  // outside the visible subtree: the mount's own root is ours
}

}  // namespace

uint64_t CgroupMemoryLimit(const std::string& root, const std::string& cgroup_dir, const char* file,
                           std::string* at) {
  uint64_t limit = UINT64_MAX;
  std::string dir = cgroup_dir;
  for (;;) {
    std::ifstream in(root + (dir == "/" ? "" : dir) + "/" + file);
    std::string value;
    if (in >> value && value != "max") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
      if (end != value.c_str() && *end == '\0' && v < limit) {
        limit = v;
        if (at) *at = dir.empty() ? "/" : dir;
      }
    }
    if (dir.empty() || dir == "/") break;
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos || slash == 0 ? "/" : dir.substr(0, slash);
  }
  return limit;
}

UsableMemory UsableMemoryFrom(uint64_t ram, std::string_view self_cgroup,
                              std::string_view mountinfo) {
  UsableMemory usable{ram, "RAM"};
  // /proc/self/cgroup: "0::/path" for v2, "N:controller,...:/path" for v1.
  for (std::string_view line : Split(self_cgroup, '\n')) {
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() < 3) continue;
    const std::string_view path = line.substr(f[0].size() + f[1].size() + 2);
    bool v1 = false;
    for (std::string_view c : Split(f[1], ',')) v1 |= c == "memory";
    if (!v1 && !(f[0] == "0" && f[1].empty())) continue;
    const CgroupMount mount = FindMount(mountinfo, v1);
    if (mount.point.empty()) continue;
    const char* file = v1 ? "memory.limit_in_bytes" : "memory.max";
    std::string at;
    // v1 writes "no limit" as a huge number (2^63 rounded down to a page):
    // min() with RAM puts it aside like v2's "max".
    const uint64_t cap =
        CgroupMemoryLimit(mount.point, BelowMountRoot(mount.root, path), file, &at);
    if (cap != UINT64_MAX && (usable.bytes == 0 || cap < usable.bytes))
      usable = {cap, std::string("cgroup ") + (v1 ? "v1 " : "v2 ") + file + " of " + at};
  }
  return usable;
}

UsableMemory FindUsableMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const uint64_t ram = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  return UsableMemoryFrom(ram, ReadAll("/proc/self/cgroup"), ReadAll("/proc/self/mountinfo"));
}

}  // namespace enumd
