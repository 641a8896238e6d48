#include "enumctl/submit.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "common/control_frame.h"
#include "dns/name.h"
#include "dns/update_message.h"
#include "enumctl/update_builder.h"
#include "store/zone_store.h"
#include "zone/update_apply.h"
#include "zone/zone_transaction.h"

namespace enumd::enumctl {

namespace {

bool Answers(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

Result<int> ApplyToStore(const std::string& store_dir, const std::string& message) {
  const auto* msg = reinterpret_cast<const uint8_t*>(message.data());
  dns::UpdateMessage m;
  if (dns::ParseUpdate(msg, message.size(), &m) != dns::ParseOutcome::kOk)
    return Status::Error("internal: a malformed UPDATE");
  if (m.zone_rcode != 0) return static_cast<int>(m.zone_rcode);
  if (m.prescan_rcode != 0) return static_cast<int>(m.prescan_rcode);
  store::ZoneStore::Options o;
  o.create_if_missing = false;
  auto store = store::ZoneStore::Open(store_dir, store::ZoneStore::Mode::kReadWrite, o);
  if (!store.ok()) return store.status();
  std::string origin = m.zone;
  dns::LowerName(reinterpret_cast<uint8_t*>(origin.data()));
  auto txn = zone::ZoneTransaction::Begin(store->get(), origin);
  if (!txn.ok()) return txn.status();
  const zone::UpdatePolicy trusted;  // the operator's own tool: no policy
  zone::UpdateOutcome out = zone::ApplyUpdate(m, "", trusted, txn->get());
  if (out.rcode != 0) {
    if (!out.reason.empty()) fprintf(stderr, "enumctl: %s\n", out.reason.c_str());
    return static_cast<int>(out.rcode);
  }
  // The server's defaults (zones[].serial, zones[].journal): enumctl does
  // not read its configuration.
  store::JournalLimits limits;
  limits.max_entries = 10000;
  limits.max_bytes = uint64_t{64} << 20;
  auto r = (*txn)->Commit(zone::SerialPolicy::kIncrement, time(nullptr), limits);
  if (!r.ok()) return r.status();
  return 0;
}

}  // namespace

std::optional<std::string> LiveEnumd(const std::string& store_dir, const std::string& option) {
  if (!option.empty()) return option;
  const std::string path = store_dir + "/enumd.sock";
  struct stat sb;
  if (lstat(path.c_str(), &sb) != 0 || !S_ISSOCK(sb.st_mode)) return std::nullopt;
  if (!Answers(path)) return std::nullopt;  // left by an enumd that was killed
  return path;
}

Result<int> SubmitUpdate(const std::optional<std::string>& socket, const std::string& store_dir,
                         const std::string& message) {
  if (!socket) return ApplyToStore(store_dir, message);
  auto reply = ControlRequest(*socket, 'U', message);
  if (!reply.ok()) return reply.status();
  if (reply->first != 0) return Status::Error("enumd did not apply the change (see its log)");
  int rcode = AnswerRcode(reply->second);
  if (rcode < 0) return Status::Error("enumd gave a malformed answer");
  return rcode;
}

}  // namespace enumd::enumctl
