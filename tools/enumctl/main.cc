// enumctl: zone and number administration over the enumd store.
//   check FILE | import FILE | export ORIGIN | add NUMBER URI | del NUMBER |
//   list PREFIX | zones | verify
// A thin main: parsing arguments and printing; the work is in server/zone.
#include <rocksdb/slice.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/control_frame.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "enumctl/changes.h"
#include "enumctl/lookup.h"
#include "enumctl/submit.h"
#include "enumctl/update_builder.h"
#include "store/name_key.h"
#include "store/node.h"
#include "store/store_verify.h"
#include "store/zone_store.h"
#include "zone/e164.h"
#include "zone/zone_exporter.h"
#include "zone/zone_file_reader.h"
#include "zone/zone_importer.h"

namespace {

using enumd::Result;
using enumd::Status;
using enumd::store::ZoneStore;

const char* kUsage = R"(usage: enumctl COMMAND [options] ARGS

  check  [--origin O] [--check-names M] FILE
                                          validate a BIND zone file; writes nothing
  import --store DIR [--origin O] [--check-names M] [--whole] FILE
                                          replace the zone in the store (atomic);
                                          through a running enumd only its
                                          difference, unless --whole
  export --store DIR [--longest-match] ORIGIN
                                          print the zone in BIND format; with
                                          --longest-match, as an RFC 4592 zone
                                          that answers like `wildcards: longest-match`
  add    --store DIR [--suffix S] [--order N] [--pref N] [--service S]
         [--flags F] [--ttl N] NUMBER URI add a NAPTR "!^.*$!URI!" for an E.164 number
  del    --store DIR [--suffix S] NUMBER  delete the number's NAPTR records
  apply  --store DIR [--suffix S] FILE    add and delete records as one transaction
                                          (enumctl apply --help)
  status --store DIR [--json]             a running enumd: uptime, listeners, zones,
                                          serials, journals, counters
  list   --store DIR [--suffix S] PREFIX  numbers (E.164) under a prefix, e.g. +6135550
  zones  --store DIR                      the zones in the store
  verify --store DIR                      read every table block and every node;
                                          lists what is damaged, exits 1 if anything
                                          is (safe beside a running enumd)
  lookup NUMBER [--server HOST[:PORT]] [--json] ...
                                          what a caller does with a number's NAPTR
                                          records, asked of any DNS server
                                          (enumctl lookup --help)

The origin of a zone file comes from --origin, else its $ORIGIN, else its SOA owner.
--check-names warn|fail|ignore: BIND's host-name checks (an underscore in the
owner of an A record, in an NS or MX target...): warn (the default, as
named-checkzone), fail (as named loading a primary zone) or ignore.
--suffix is the ENUM suffix (default e164.arpa.).
While enumd serves the store, import, add, del and apply go through it (its
control socket, STORE/enumd.sock or --control PATH): each is one transaction
of its writer, seen by queries as soon as enumctl returns. Otherwise they
write the store directly.
)";

struct Args {
  std::string command;
  std::map<std::string, std::string> opts;
  std::vector<std::string> positional;
};

int Fail(const std::string& message) {
  fprintf(stderr, "enumctl: %s\n", message.c_str());
  return 1;
}

bool ParseArgs(int argc, char** argv, Args* a, std::string* error) {
  static const char* kValued[] = {"--store",       "--origin",  "--suffix", "--order",
                                  "--pref",        "--service", "--flags",  "--ttl",
                                  "--check-names", "--control"};
  static const char* kFlags[] = {"--longest-match", "--help", "--json", "--whole"};
  if (argc < 2) return false;
  a->command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    bool known = false;
    for (const char* v : kValued) {
      if (s == v) {
        if (i + 1 >= argc) {
          *error = s + " needs a value";
          return false;
        }
        a->opts[s] = argv[++i];
        known = true;
      }
    }
    for (const char* f : kFlags) {
      if (s == f) {
        a->opts[s] = "1";
        known = true;
      }
    }
    if (!known) {
      if (s.size() > 1 && s[0] == '-' && s[1] == '-') {
        *error = "unknown option " + s;
        return false;
      }
      a->positional.push_back(s);
    }
  }
  return true;
}

std::string Opt(const Args& a, const std::string& name, const std::string& def = "") {
  auto it = a.opts.find(name);
  return it == a.opts.end() ? def : it->second;
}

Result<unsigned long> Number(const Args& a, const std::string& name, unsigned long def,
                             unsigned long max) {
  std::string v = Opt(a, name);
  if (v.empty()) return def;
  char* end = nullptr;
  unsigned long n = strtoul(v.c_str(), &end, 10);
  if (v[0] == '-' || *end != 0 || n > max)
    return Status::Error(name + " takes a number from 0 to " + std::to_string(max));
  return n;
}

// Opens the store; only `import` may create it (add/del on a mistyped
// directory must not leave an empty store behind).
Result<std::unique_ptr<ZoneStore>> OpenStore(const Args& a, ZoneStore::Mode mode,
                                             bool create = false) {
  std::string dir = Opt(a, "--store");
  if (dir.empty()) return Status::Error("--store DIR is required");
  // RocksDB would leave a directory with a LOCK file behind even when it
  // refuses to create the database.
  std::error_code ec;
  if (!create && !std::filesystem::exists(dir + "/CURRENT", ec))
    return Status::Error("no store at " + dir);
  ZoneStore::Options o;
  o.create_if_missing = create;
  // add/del write into a zone: only a sound store. import replaces a zone
  // whole, which is how a damaged one is repaired; the read-only commands
  // report what they meet rather than refuse the whole store.
  o.validate = mode == ZoneStore::Mode::kReadWrite && !create;
  return ZoneStore::Open(dir, mode, o);
}

std::string Suffix(const Args& a) {
  std::string s = Opt(a, "--suffix", "e164.arpa.");
  if (s.empty() || s.back() != '.') s += '.';
  return s;
}

// The store's zone that holds `name` (deepest origin), or an error.
Result<enumd::store::ZoneMeta> ZoneFor(const ZoneStore& store, const std::string& name_wire) {
  const enumd::store::ZoneMeta* best = nullptr;
  std::vector<enumd::store::ZoneMeta> zones = store.Zones();
  auto n = reinterpret_cast<const uint8_t*>(name_wire.data());
  for (const auto& z : zones) {
    auto o = reinterpret_cast<const uint8_t*>(z.origin.data());
    if (enumd::dns::IsSubdomain(n, o) && (!best || z.origin.size() > best->origin.size()))
      best = &z;
  }
  if (!best)
    return Status::Error("no zone in the store holds " + enumd::dns::NameToText(n) +
                         " (import one first)");
  return *best;
}

// Wire name of an E.164 number under the suffix.
Result<std::string> NumberName(const Args& a, const std::string& number, bool prefix) {
  auto digits = enumd::zone::ParseE164(number, prefix);
  if (!digits.ok()) return digits.status();
  std::string text = enumd::zone::DigitsToDomain(*digits, Suffix(a));
  std::string wire = enumd::dns::WireName(text);
  if (wire.empty()) return Status::Error("bad suffix " + Suffix(a));
  return wire;
}

void PutString(std::string* rd, const std::string& s) {
  rd->push_back(static_cast<char>(s.size()));
  rd->append(s);
}

// Prints an import's warnings (what BIND also reads with a warning) to stderr.
void PrintWarnings(const enumd::zone::ImportResult& r) {
  for (const std::string& w : r.warnings) fprintf(stderr, "warning: %s\n", w.c_str());
  if (r.warning_count > r.warnings.size())
    fprintf(stderr, "warning: %llu more warnings\n",
            static_cast<unsigned long long>(r.warning_count - r.warnings.size()));
  if (r.out_of_zone > 0)
    fprintf(stderr, "warning: %llu out-of-zone records ignored\n",
            static_cast<unsigned long long>(r.out_of_zone));
}

// The zone-file options shared by check and import.
Result<enumd::zone::ImportOptions> ZoneFileOptions(const Args& a) {
  enumd::zone::ImportOptions o;
  o.origin = Opt(a, "--origin");
  const std::string mode = Opt(a, "--check-names", "warn");
  if (mode == "warn") {
    o.check_names = enumd::zone::CheckNamesMode::kWarn;
  } else if (mode == "fail") {
    o.check_names = enumd::zone::CheckNamesMode::kFail;
  } else if (mode == "ignore") {
    o.check_names = enumd::zone::CheckNamesMode::kIgnore;
  } else {
    return Status::Error("--check-names takes warn, fail or ignore, not '" + mode + "'");
  }
  return o;
}

// Sends the builder's UPDATE through a running enumd, or applies it to the
// store; *rcode gets the answer's rcode. Returns a process exit status
// (0: it was applied or answered).
int Submit(const Args& a, const enumd::enumctl::UpdateBuilder& b, int* rcode) {
  auto msg = b.Finish();
  if (!msg.ok()) return Fail(msg.status().message());
  const std::string dir = Opt(a, "--store");
  auto r =
      enumd::enumctl::SubmitUpdate(enumd::enumctl::LiveEnumd(dir, Opt(a, "--control")), dir, *msg);
  if (!r.ok()) return Fail(r.status().message());
  *rcode = *r;
  return 0;
}

int Check(const Args& a) {
  if (a.positional.size() != 1) return Fail("check takes one zone file");
  auto o = ZoneFileOptions(a);
  if (!o.ok()) return Fail(o.status().message());
  auto r = enumd::zone::CheckZoneFile(a.positional[0], *o);
  if (!r.ok()) return Fail(r.status().message());
  PrintWarnings(*r);
  printf("%s: zone %s serial %u: %llu names, %llu records: OK\n", a.positional[0].c_str(),
         r->origin_text.c_str(), r->meta.serial, static_cast<unsigned long long>(r->meta.names),
         static_cast<unsigned long long>(r->meta.records));
  return 0;
}

int Import(const Args& a) {
  if (a.positional.size() != 1) return Fail("import takes one zone file");
  auto o = ZoneFileOptions(a);
  if (!o.ok()) return Fail(o.status().message());
  if (auto live = enumd::enumctl::LiveEnumd(Opt(a, "--store"), Opt(a, "--control"))) {
    // The server imports it (checked here first, so errors read as usual).
    auto checked = enumd::zone::CheckZoneFile(a.positional[0], *o);
    if (!checked.ok()) return Fail(checked.status().message());
    std::error_code ec;
    std::string path = std::filesystem::absolute(a.positional[0], ec).string();
    // "origin \0 path [\0 whole]": whole replaces the zone instead of
    // writing its difference (a file older than the zone served).
    std::string request = checked->origin_text + '\0' + path;
    if (a.opts.count("--whole")) request += std::string(1, '\0') + "whole";
    auto reply = enumd::ControlRequest(*live, 'I', request);
    if (!reply.ok()) return Fail(reply.status().message());
    if (reply->first != 0) return Fail(reply->second);
    printf("imported %s through enumd: %s\n", checked->origin_text.c_str(), reply->second.c_str());
    return 0;
  }
  auto store = OpenStore(a, ZoneStore::Mode::kReadWrite, /*create=*/true);
  if (!store.ok()) return Fail(store.status().message());
  o->temp_dir = Opt(a, "--store");  // the sort's spill files: beside the store
  auto r = enumd::zone::ImportZoneFile(store->get(), a.positional[0], *o);
  if (!r.ok()) return Fail(r.status().message());
  PrintWarnings(*r);
  double rate = r->seconds > 0 ? r->meta.records / r->seconds : 0;
  printf("imported %s serial %u: %llu names, %llu records in %.2f s (%.0f records/s)\n",
         r->origin_text.c_str(), r->meta.serial, static_cast<unsigned long long>(r->meta.names),
         static_cast<unsigned long long>(r->meta.records), r->seconds, rate);
  return 0;
}

int Export(const Args& a) {
  if (a.positional.size() != 1) return Fail("export takes one origin");
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  enumd::zone::ExportOptions o;
  o.longest_match_equivalent = !Opt(a, "--longest-match").empty();
  Status st = enumd::zone::ExportZone(**store, a.positional[0], stdout, o);
  if (!st.ok()) return Fail(st.message());
  return fflush(stdout) == 0 ? 0 : Fail("write error");
}

int Add(const Args& a) {
  if (a.positional.size() != 2) return Fail("add takes a number and a URI");
  auto name = NumberName(a, a.positional[0], false);
  if (!name.ok()) return Fail(name.status().message());
  auto order = Number(a, "--order", 10, 65535);
  auto pref = Number(a, "--pref", 100, 65535);
  auto ttl = Number(a, "--ttl", 3600, 2147483647);
  for (auto* r : {&order, &pref, &ttl})
    if (!r->ok()) return Fail(r->status().message());
  const std::string& uri = a.positional[1];
  std::string service = Opt(a, "--service", "E2U+sip");
  std::string flags = Opt(a, "--flags", "u");
  if (uri.empty() || uri.size() > 240) return Fail("the URI must be 1 to 240 characters");
  if (service.size() > 255 || flags.size() > 255) return Fail("--service/--flags too long");
  // RFC 3402 §3.2: the delimiter must not occur in the replacement.
  char delim = 0;
  for (char c : std::string("!|#%~^")) {
    if (uri.find(c) == std::string::npos) {
      delim = c;
      break;
    }
  }
  if (!delim) return Fail("the URI holds every delimiter enumctl can use");
  std::string regexp = std::string(1, delim) + "^.*$" + delim + uri + delim;
  std::string rd;
  rd.push_back(static_cast<char>(*order >> 8));
  rd.push_back(static_cast<char>(*order));
  rd.push_back(static_cast<char>(*pref >> 8));
  rd.push_back(static_cast<char>(*pref));
  PutString(&rd, flags);
  PutString(&rd, service);
  PutString(&rd, regexp);
  rd.push_back('\0');  // replacement: the root
  // The same rules as a zone file's NAPTR (RFC 3403 flags, RFC 3402 regexp:
  // a backslash in the URI must be a valid escape or back-reference).
  std::string bad = enumd::zone::CheckRecordData(
      enumd::dns::type::kNAPTR, reinterpret_cast<const uint8_t*>(rd.data()), rd.size());
  if (!bad.empty()) return Fail(bad);

  // The zone and the TTL from the store (a read-only open works beside a
  // running enumd); the change itself is an UPDATE.
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  auto zone = ZoneFor(**store, *name);
  if (!zone.ok()) return Fail(zone.status().message());
  if (Opt(a, "--ttl").empty()) {
    // Without --ttl, joining an existing RRset keeps its TTL (adding with a
    // TTL sets the whole RRset's, as an RFC 2136 update does).
    uint8_t key[enumd::store::kMaxNameKey];
    size_t klen = enumd::store::NameToKey(
        reinterpret_cast<const uint8_t*>(name->data()),
        enumd::dns::LabelCount(reinterpret_cast<const uint8_t*>(zone->origin.data())), key);
    rocksdb::PinnableSlice v;
    enumd::store::NodeView node;
    enumd::store::RRsetView rs;
    if ((*store)->GetNode(zone->generation, std::string_view(reinterpret_cast<char*>(key), klen),
                          &v) == enumd::store::ReadStatus::kFound &&
        node.Parse(v.ToStringView()) && node.Find(enumd::dns::type::kNAPTR, &rs))
      ttl = static_cast<unsigned long>(rs.ttl);
  }
  store->reset();
  enumd::enumctl::UpdateBuilder b(zone->origin);
  // A CNAME there: RFC 2136 would ignore the record silently; say so.
  b.RequireNoRRset(*name, enumd::dns::type::kCNAME);
  b.Add(*name, enumd::dns::type::kNAPTR, static_cast<uint32_t>(*ttl), rd);
  int rcode = 0;
  if (int rc = Submit(a, b, &rcode); rc != 0) return rc;
  if (rcode == 7) return Fail("a CNAME cannot stand beside other data (RFC 1034 §3.6.2)");
  if (rcode != 0) return Fail("the change was refused: " + enumd::enumctl::RcodeText(rcode));
  printf("%s\n", enumd::zone::RecordToText(reinterpret_cast<const uint8_t*>(name->data()),
                                           enumd::dns::type::kNAPTR, static_cast<uint32_t>(*ttl),
                                           reinterpret_cast<const uint8_t*>(rd.data()),
                                           static_cast<uint16_t>(rd.size()))
                     .c_str());
  return 0;
}

int Del(const Args& a) {
  if (a.positional.size() != 1) return Fail("del takes a number");
  auto name = NumberName(a, a.positional[0], false);
  if (!name.ok()) return Fail(name.status().message());
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  auto zone = ZoneFor(**store, *name);
  if (!zone.ok()) return Fail(zone.status().message());
  store->reset();
  enumd::enumctl::UpdateBuilder b(zone->origin);
  b.RequireRRset(*name, enumd::dns::type::kNAPTR);  // else: nothing to delete, say so
  b.DeleteRRset(*name, enumd::dns::type::kNAPTR);
  int rcode = 0;
  if (int rc = Submit(a, b, &rcode); rc != 0) return rc;
  if (rcode == 8) return Fail("no NAPTR records for " + a.positional[0]);
  if (rcode != 0) return Fail("the change was refused: " + enumd::enumctl::RcodeText(rcode));
  printf("deleted the NAPTR records of %s\n", a.positional[0].c_str());
  return 0;
}

const char* kApplyUsage = R"(usage: enumctl apply --store DIR [--suffix S] [--control PATH] FILE

Applies every change in FILE as one transaction: all of them or none. One
change per line ('#' starts a comment):

  add NAME TTL TYPE RDATA...     add a record (RDATA as in a zone file)
  del NAME                       delete every RRset of the name
  del NAME TYPE                  delete the RRset
  del NAME TYPE RDATA...         delete one record

NAME is an absolute domain name (ending in a dot) or an E.164 number
(+61355500911) under the ENUM suffix; all names must be in one zone. The
changes must fit one DNS message (64 KiB, some hundreds of changes); for
more, split them or import a zone file. Records are checked as an import
checks them; what RFC 2136 ignores (a CNAME beside data, a lower SOA serial)
is ignored. The zone's SOA serial moves on by one.
)";

int Apply(const Args& a) {
  if (a.opts.count("--help")) {
    fputs(kApplyUsage, stdout);
    return 0;
  }
  if (a.positional.size() != 1) return Fail("apply takes one file of changes (--help)");
  auto changes = enumd::enumctl::ReadChanges(a.positional[0], Suffix(a));
  if (!changes.ok()) return Fail(changes.status().message());
  if (changes->empty()) return Fail(a.positional[0] + ": no changes");
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  auto zone = ZoneFor(**store, changes->front().owner);
  if (!zone.ok()) return Fail(zone.status().message());
  for (const auto& c : *changes) {
    auto other = ZoneFor(**store, c.owner);
    if (!other.ok() || other->origin != zone->origin)
      return Fail(a.positional[0] + ":" + std::to_string(c.line) + ": " +
                  enumd::dns::NameToText(reinterpret_cast<const uint8_t*>(c.owner.data())) +
                  " is not in zone " +
                  enumd::dns::NameToText(reinterpret_cast<const uint8_t*>(zone->origin.data())));
  }
  store->reset();
  enumd::enumctl::UpdateBuilder b(zone->origin);
  enumd::enumctl::AddTo(*changes, &b);
  int rcode = 0;
  if (int rc = Submit(a, b, &rcode); rc != 0) return rc;
  if (rcode != 0) return Fail("the changes were refused: " + enumd::enumctl::RcodeText(rcode));
  printf("applied %zu change(s) to %s\n", changes->size(),
         enumd::dns::NameToText(reinterpret_cast<const uint8_t*>(zone->origin.data())).c_str());
  return 0;
}

int StatusCommand(const Args& a) {
  auto live = enumd::enumctl::LiveEnumd(Opt(a, "--store"), Opt(a, "--control"));
  if (!live) return Fail("no enumd answers for store " + Opt(a, "--store"));
  auto reply = enumd::ControlRequest(*live, 'S', a.opts.count("--json") ? "json" : "");
  if (!reply.ok()) return Fail(reply.status().message());
  fputs(reply->second.c_str(), stdout);
  return reply->first == 0 ? 0 : 1;
}

int List(const Args& a) {
  if (a.positional.size() != 1) return Fail("list takes a number prefix");
  auto name = NumberName(a, a.positional[0], true);
  if (!name.ok()) return Fail(name.status().message());
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  // The prefix may be shorter than the zone's origin (+61 in a 6.1.e164.arpa. zone).
  std::vector<enumd::store::ZoneMeta> zones;
  for (const auto& z : (*store)->Zones()) {
    auto o = reinterpret_cast<const uint8_t*>(z.origin.data());
    auto n = reinterpret_cast<const uint8_t*>(name->data());
    if (enumd::dns::IsSubdomain(n, o) || enumd::dns::IsSubdomain(o, n)) zones.push_back(z);
  }
  if (zones.empty()) return Fail("no zone in the store holds numbers under " + a.positional[0]);
  uint64_t count = 0;
  for (const auto& z : zones) {
    auto o = reinterpret_cast<const uint8_t*>(z.origin.data());
    auto n = reinterpret_cast<const uint8_t*>(name->data());
    std::string prefix;
    if (enumd::dns::IsSubdomain(n, o)) {
      uint8_t key[enumd::store::kMaxNameKey];
      prefix.assign(reinterpret_cast<char*>(key),
                    enumd::store::NameToKey(n, enumd::dns::LabelCount(o), key));
    }
    Status st =
        (*store)->ForEachNode(z.generation, prefix, [&](std::string_view k, std::string_view v) {
          enumd::store::NodeView node;
          enumd::store::RRsetView rs;
          if (!node.Parse(v) || !node.Find(enumd::dns::type::kNAPTR, &rs)) return true;
          bool wildcard = enumd::store::KeyIsWildcard(k);
          std::string_view digits_key =
              wildcard ? k.substr(0, enumd::store::KeyPrefixLength(
                                         k, enumd::store::KeyLabelCount(k) - 1))
                       : k;
          uint8_t wire[enumd::dns::kMaxNameWire];
          if (!enumd::store::KeyToName(digits_key, o, z.origin.size(), wire)) return true;
          auto digits = enumd::zone::DomainToDigits(enumd::dns::NameToText(wire), Suffix(a));
          if (!digits.ok()) return true;  // not a number (e.g. the apex or a host name)
          printf("+%s%s\t%u NAPTR\n", digits->c_str(), wildcard ? "*" : "", rs.count);
          ++count;
          return true;
        });
    if (!st.ok()) return Fail(st.message());
  }
  fprintf(stderr, "%llu number(s)\n", static_cast<unsigned long long>(count));
  return 0;
}

int Zones(const Args& a) {
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  for (const auto& z : (*store)->Zones()) {
    printf("%s\tserial %u\t%llu names\t%llu records\t%s\n",
           enumd::dns::NameToText(reinterpret_cast<const uint8_t*>(z.origin.data())).c_str(),
           z.serial, static_cast<unsigned long long>(z.names),
           static_cast<unsigned long long>(z.records), z.source_file.c_str());
  }
  return 0;
}

int Verify(const Args& a) {
  if (!a.positional.empty()) return Fail("verify takes no arguments");
  auto store = OpenStore(a, ZoneStore::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  enumd::store::VerifyReport r = enumd::store::VerifyStore(**store);
  for (const std::string& p : r.problems) printf("damaged: %s\n", p.c_str());
  for (const std::string& n : r.notes) printf("note: %s\n", n.c_str());
  printf("%s: %llu table files (%llu bytes), %llu zones, %llu nodes, %llu records: %s\n",
         Opt(a, "--store").c_str(), static_cast<unsigned long long>(r.tables),
         static_cast<unsigned long long>(r.table_bytes), static_cast<unsigned long long>(r.zones),
         static_cast<unsigned long long>(r.nodes), static_cast<unsigned long long>(r.records),
         r.ok() ? "OK" : (std::to_string(r.problems.size()) + " problems").c_str());
  return r.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // lookup parses its own options (enumctl/lookup.h).
  if (argc >= 2 && std::strcmp(argv[1], "lookup") == 0) {
    return enumd::enumctl::RunLookup(argc - 2, argv + 2);
  }
  Args a;
  std::string error;
  if (!ParseArgs(argc, argv, &a, &error)) {
    if (!error.empty()) return Fail(error);
    fputs(kUsage, stderr);
    return 1;
  }
  if (a.command == "help" || a.command == "--help" ||
      (a.opts.count("--help") && a.command != "apply")) {
    fputs(kUsage, stdout);
    return 0;
  }
  static const std::map<std::string, int (*)(const Args&)> kCommands = {
      {"check", Check}, {"import", Import},       {"export", Export}, {"add", Add},
      {"del", Del},     {"list", List},           {"zones", Zones},   {"verify", Verify},
      {"apply", Apply}, {"status", StatusCommand}};
  auto it = kCommands.find(a.command);
  if (it == kCommands.end()) return Fail("unknown command '" + a.command + "' (try --help)");
  return it->second(a);
}
