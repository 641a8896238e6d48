#include "common/memory.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace enumd {
namespace {

void WriteFile(const std::filesystem::path& dir, const char* name, const char* value) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << value << "\n";
}

void WriteMax(const std::filesystem::path& dir, const char* value) {
  WriteFile(dir, "memory.max", value);
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

TEST_CASE("usable memory: cgroup v2, v1 and the hybrid layout, found through mountinfo") {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("enumd-mountinfo-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  const std::string v2 = (root / "v2").string(), v1 = (root / "memory").string();
  const uint64_t ram = 24ull << 30;
  const std::string hybrid =  // this build machine's layout: v2 without memory, v1 memory
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /nonexistent/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "35 31 0:32 / " +
      v1 +
      " rw,relatime shared:9 - cgroup cgroup rw,memory\n"
      "41 31 0:38 / " +
      v2 + " rw,relatime - cgroup2 cgroup2 rw\n";
  const std::string self = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";

  SUBCASE("v1 limit of the process's own cgroup") {
    WriteFile(root / "memory" / "process_api" / "abc", "memory.limit_in_bytes", "1073741824");
    const UsableMemory m = UsableMemoryFrom(ram, self, hybrid);
    CHECK(m.bytes == 1073741824u);
    CHECK(m.source == "cgroup v1 memory.limit_in_bytes of /process_api/abc");
  }
  SUBCASE("v1 limit of a parent; v1's 'unlimited' is a huge number, not a limit") {
    WriteFile(root / "memory", "memory.limit_in_bytes", "9223372036854771712");
    WriteFile(root / "memory" / "process_api", "memory.limit_in_bytes", "2147483648");
    WriteFile(root / "memory" / "process_api" / "abc", "memory.limit_in_bytes",
              "9223372036854771712");
    CHECK(UsableMemoryFrom(ram, self, hybrid).bytes == 2147483648u);
    WriteFile(root / "memory" / "process_api", "memory.limit_in_bytes", "9223372036854771712");
    const UsableMemory m = UsableMemoryFrom(ram, self, hybrid);
    CHECK(m.bytes == ram);
    CHECK(m.source == "RAM");
  }
  SUBCASE("v2 only (Debian 12, docker on v2 with a cgroup namespace)") {
    const std::string unified = "29 1 0:26 / " + v2 +
                                " rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                                "rw,nsdelegate,memory_recursiveprot\n";
    WriteFile(root / "v2" / "system.slice" / "enumd.service", "memory.max", "536870912");
    WriteFile(root / "v2" / "system.slice", "memory.max", "max");
    const UsableMemory m = UsableMemoryFrom(ram, "0::/system.slice/enumd.service\n", unified);
    CHECK(m.bytes == 536870912u);
    CHECK(m.source == "cgroup v2 memory.max of /system.slice/enumd.service");
    // The same cgroup seen from inside its namespace: "0::/", the mount's root.
    const std::string ns = "29 1 0:26 / " +
                           (root / "v2" / "system.slice" / "enumd.service").string() +
                           " rw - cgroup2 cgroup2 rw\n";
    CHECK(UsableMemoryFrom(ram, "0::/\n", ns).bytes == 536870912u);
  }
  SUBCASE("v1 inside a container without a cgroup namespace: the mount's root is its cgroup") {
    const std::string mi = "35 31 0:32 /docker/abc " + v1 + " ro - cgroup cgroup rw,memory\n";
    WriteFile(root / "memory", "memory.limit_in_bytes", "805306368");
    CHECK(UsableMemoryFrom(ram, "4:memory:/docker/abc\n", mi).bytes == 805306368u);
    CHECK(UsableMemoryFrom(ram, "4:memory:/docker/abc/sub\n", mi).bytes == 805306368u);
  }
  SUBCASE("nothing to read: RAM; garbled texts are ignored") {
    CHECK(UsableMemoryFrom(ram, self, "").bytes == ram);
    CHECK(UsableMemoryFrom(ram, "", hybrid).bytes == ram);
    CHECK(UsableMemoryFrom(ram, "garbage\n::\n4:memory\n", "- - -\n1 2 3 - cgroup\n").bytes == ram);
    CHECK(UsableMemoryFrom(0, self, "").bytes == 0);
  }
  std::filesystem::remove_all(root);
}

TEST_CASE("usable memory: some, and no more than the machine has") {
  const uint64_t usable = FindUsableMemory().bytes;
  CHECK(usable > 0);
  CHECK(usable <= uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE)));
  CHECK_FALSE(FindUsableMemory().source.empty());
}

}  // namespace
}  // namespace enumd
