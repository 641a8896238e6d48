// enumd_test_store_edit: raw key/value access to a store's RocksDB database,
// for system tests that need a store enumd itself would never write (another
// format tag, a zone version with its apex node gone). Not installed; no
// enumd code is used, so what it writes is exactly what the test says.
//
//   enumd_test_store_edit DIR get KEYHEX          prints the value as hex
//   enumd_test_store_edit DIR put KEYHEX VALHEX    (VALHEX "-": read it from stdin)
//   enumd_test_store_edit DIR del KEYHEX
// Exit 0 on success, 1 when the key is missing (get), 2 on any other error.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace {

std::optional<std::string> FromHex(const std::string& hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v;
    if (sscanf(hex.c_str() + i, "%2x", &v) != 1) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

int Usage() {
  fputs("usage: enumd_test_store_edit DIR get|put|del KEYHEX [VALHEX]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Usage();
  std::string dir = argv[1], op = argv[2];
  auto key = FromHex(argv[3]);
  std::optional<std::string> value;
  if (argc == 5 && std::string(argv[4]) == "-") {
    std::string hex;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) hex.append(buf, n);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    value = FromHex(hex);
  } else if (argc == 5) {
    value = FromHex(argv[4]);
  }
  if (!key || (op == "put") != (argc == 5) || (argc == 5 && !value)) return Usage();

  rocksdb::Options options;  // opens without creating
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    fprintf(stderr, "enumd_test_store_edit: %s\n", s.ToString().c_str());
    return 2;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (op == "get") {
    std::string v;
    s = db->Get(rocksdb::ReadOptions(), *key, &v);
    if (s.IsNotFound()) return 1;
    for (unsigned char c : v) printf("%02x", c);
    printf("\n");
  } else if (op == "put") {
    s = db->Put(wo, *key, *value);
  } else if (op == "del") {
    s = db->Delete(wo, *key);
  } else {
    return Usage();
  }
  if (s.ok()) s = db->Close();
  if (!s.ok()) {
    fprintf(stderr, "enumd_test_store_edit: %s\n", s.ToString().c_str());
    return 2;
  }
  return 0;
}
