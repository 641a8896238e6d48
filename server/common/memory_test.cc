#include "common/memory.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace enumd {
namespace {

void WriteMax(const std::filesystem::path& dir, const char* value) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "memory.max") << value << "\n";
}

TEST_CASE("cgroup memory limit: the smallest over the cgroup and its parents") {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("enumd-memory-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  WriteMax(root / "system.slice", "8589934592");
  WriteMax(root / "system.slice" / "enumd.service", "max");
  std::filesystem::create_directories(root / "system.slice" / "enumd.service" / "sub");
  // A parent's cap holds for its children ("max" below it lifts nothing).
  CHECK(CgroupMemoryLimit(root.string(), "/system.slice/enumd.service/sub") == 8589934592u);
  WriteMax(root / "system.slice" / "enumd.service", "1073741824");
  CHECK(CgroupMemoryLimit(root.string(), "/system.slice/enumd.service") == 1073741824u);
  // No level sets one, or the files are missing or garbled: no cap.
  WriteMax(root / "user.slice", "max");
  CHECK(CgroupMemoryLimit(root.string(), "/user.slice") == UINT64_MAX);
  CHECK(CgroupMemoryLimit(root.string(), "/nowhere/at/all") == UINT64_MAX);
  WriteMax(root / "odd", "12k");
  CHECK(CgroupMemoryLimit(root.string(), "/odd") == UINT64_MAX);
  CHECK(CgroupMemoryLimit(root.string(), "/") == UINT64_MAX);
  std::filesystem::remove_all(root);
}

TEST_CASE("usable memory: some, and no more than the machine has") {
  const uint64_t usable = UsableMemoryBytes();
  CHECK(usable > 0);
  CHECK(usable <= uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE)));
}

}  // namespace
}  // namespace enumd
