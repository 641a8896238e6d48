// `enumctl lookup`: arguments -> ENUM or S-NAPTR selection -> text or JSON.
#include "enumctl/lookup.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "dns/constants.h"
#include "enumctl/naptr_rules.h"
#include "enumctl/snaptr.h"
#include "zone/e164.h"

namespace enumd::enumctl {

const char* const kLookupUsage =
    R"(usage: enumctl lookup NUMBER [options]
       enumctl lookup --snaptr DOMAIN --service APP-SERVICE[:APP-PROTOCOL...] [options]

Asks a DNS server for NAPTR records and applies them as a conforming client
does: ENUM (RFC 6116: the number's domain, E2U services, regexp -> URI) or
S-NAPTR (RFC 3958 / 3GPP TS 29.303: app-service and protocols, flag "a" ->
A/AAAA, flag "s" -> SRV -> A/AAAA). Records are ranked by ORDER, then
PREFERENCE (lowest first); records tied on both split the traffic, the others
are fallbacks.

  --server HOST[:PORT]   server to ask (IPv6: [addr]:port); default: the
                         first nameserver in /etc/resolv.conf
  --suffix S             ENUM suffix (default e164.arpa.)
  --service S            ENUM: E2U+sip (default), sip, E2U+pstn:tel, ...
                         S-NAPTR: x-3gpp-pgw:x-s8-gtp; repeatable
  --snaptr DOMAIN        S-NAPTR selection for DOMAIN instead of a number
  --json                 the same data as JSON
  --timeout MS           per try (default 2000)
  --retries N            tries after the first (default 2)
  --tcp                  ask over TCP only (default: UDP, TCP when truncated)

Exit status: 0 found, 2 no such number/domain or no record for the service,
1 error (timeout, SERVFAIL, bad answer, a record with an error).
)";

namespace {

// --- arguments ------------------------------------------------------------------

Result<int> IntArg(const std::string& name, const std::string& value, int min, int max) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != 0 || errno != 0 || n < min || n > max) {
    return Status::Error(name + " takes a number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + value + "'");
  }
  return static_cast<int>(n);
}

// --- JSON ---------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u == '"' || u == '\\') {
      out += '\\';
      out += s[i];
    } else if (u >= 0x20 && u < 0x7f) {
      out += s[i];
    } else if (size_t n = u >= 0x80 ? Utf8Length(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);  // a stray byte reads as Latin-1
      out += buf;
    }
  }
  return out + "\"";
}

// A small pretty-printing JSON writer: values are appended in order, the
// writer adds commas, newlines and indentation.
class JsonWriter {
 public:
  JsonWriter& Begin(char bracket) {
    Separate();
    out_ += bracket;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& End(char bracket) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) Newline();
    out_ += bracket;
    return *this;
  }
  JsonWriter& Key(std::string_view k) {
    Separate();
    out_ += JsonString(k) + ": ";
    after_key_ = true;
    return *this;
  }
  JsonWriter& Raw(const std::string& v) {
    Separate();
    out_ += v;
    return *this;
  }
  JsonWriter& Str(std::string_view v) { return Raw(JsonString(v)); }
  JsonWriter& Int(long long v) { return Raw(std::to_string(v)); }
  JsonWriter& Bool(bool v) { return Raw(v ? "true" : "false"); }
  JsonWriter& Num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.4g", v);
    return Raw(buf);
  }
  JsonWriter& StrArray(const std::vector<std::string>& v) {
    Begin('[');
    for (const auto& s : v) Str(s);
    return End(']');
  }
  std::string Take() { return std::move(out_) + "\n"; }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    Newline();
  }
  void Newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

// --- the lookup ---------------------------------------------------------------------

std::string LowerFlags(const Entry& e) {
  std::string f = e.record.flags;
  for (char& c : f) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return f;
}

const char* StatusName(Entry::Status s) {
  switch (s) {
    case Entry::Status::kUsable:
      return "usable";
    case Entry::Status::kNonTerminal:
      return "non-terminal";
    case Entry::Status::kOtherService:
      return "other-service";
    case Entry::Status::kSkipped:
      return "skipped";
    case Entry::Status::kBroken:
      return "error";
  }
  return "?";
}

struct Outcome {
  int exit_code = 0;
  std::string status;   // found, nxdomain, nodata, no-match, error
  std::string message;  // one line for stderr (empty when found)
};

std::string JoinServices(const std::vector<std::string>& services) {
  std::string out;
  for (const auto& s : services) out += (out.empty() ? "" : " or ") + s;
  return out;
}

Outcome Judge(const Lookup& l, bool enum_mode, const std::string& subject) {
  Outcome o;
  const std::string services = JoinServices(l.services);
  if (l.outcome == Lookup::Outcome::kNxDomain) {
    return {2, "nxdomain",
            (enum_mode ? "no such number " + subject + ": " : "") + l.name +
                " does not exist (NXDOMAIN)"};
  }
  if (l.outcome == Lookup::Outcome::kNoData) {
    return {2, "nodata",
            (enum_mode ? "no such number " + subject + ": " : "") + l.name +
                " has no NAPTR records (NODATA)"};
  }
  size_t usable = 0, broken = 0;
  const Entry* first_broken = nullptr;
  const Entry* first_skipped = nullptr;
  for (const Entry& e : l.entries) {
    if (e.status == Entry::Status::kUsable) ++usable;
    if (e.status == Entry::Status::kBroken && broken++ == 0) first_broken = &e;
    if (e.status == Entry::Status::kSkipped && first_skipped == nullptr) first_skipped = &e;
  }
  if (l.matching == 0) {
    return {2, "no-match",
            "no NAPTR record for " + services + " at " + l.name + " (" +
                std::to_string(l.record_count) + " for other services)"};
  }
  if (broken > 0) {
    return {1, "error",
            std::to_string(broken) + " record(s) with errors; first: " + first_broken->reason};
  }
  if (usable == 0) {
    return {2, "no-match",
            "no usable record for " + services + " at " + l.name +
                (first_skipped ? ": " + first_skipped->reason : std::string())};
  }
  o.status = "found";
  return o;
}

std::string EntryPrefix(const Entry& e) {
  std::string rank = e.rank > 0 ? std::to_string(e.rank) : "-";
  return "  " + rank + "  order " + std::to_string(e.record.order) + "  pref " +
         std::to_string(e.record.preference) + "  ";
}

std::string ViaText(const Entry& e) { return e.via.empty() ? "" : "  (via " + e.via.back() + ")"; }

std::string TextReport(const Lookup& l, bool enum_mode, const Outcome& o) {
  std::string out = l.name + "  NAPTR (" + std::to_string(l.record_count) + " record" +
                    (l.record_count == 1 ? "" : "s") + ", ";
  const std::string services = JoinServices(l.services);
  if (l.matching == l.record_count) {
    out += services;
  } else {
    out += std::to_string(l.matching) + " for " + services;
  }
  out += ")\n";
  if (!l.cname_target.empty()) out += "  alias of " + l.cname_target + " (CNAME)\n";
  for (const Entry& e : l.entries) {
    if (e.status == Entry::Status::kOtherService && o.status != "no-match") continue;
    std::string line = EntryPrefix(e);
    switch (e.status) {
      case Entry::Status::kUsable:
        line += ShareText(e.share) + "  ";
        if (!enum_mode) line += Printable(e.record.flags) + "  ";
        line += Printable(e.result) + ViaText(e);
        break;
      case Entry::Status::kNonTerminal:
        line += "non-terminal: continues at " + e.result + ViaText(e);
        break;
      case Entry::Status::kOtherService:
        line += "other " + e.reason + ViaText(e);
        break;
      case Entry::Status::kSkipped:
        line += "skipped: " + e.reason + ViaText(e);
        break;
      case Entry::Status::kBroken:
        line += "error: " + e.reason + ViaText(e);
        break;
    }
    out += line + "\n";
    for (const Target& t : e.targets) {
      // A flag-"a" target without addresses: the error line already says so.
      if (t.addresses.empty() && LowerFlags(e) == "a") continue;
      std::string tl = "       ";
      if (LowerFlags(e) == "s") {
        tl += "SRV " + std::to_string(t.priority) + " " + std::to_string(t.weight) + " " +
              std::to_string(t.port) + " " + t.host + "  " + ShareText(t.weight_share) + ":";
      }
      for (const auto& a : t.addresses) tl += "  " + a;
      if (!t.problem.empty()) tl += "  " + t.problem;
      if (t.from_additional.size() == 2) {
        tl += "  (additional section)";
      } else if (t.from_additional.size() == 1) {
        tl += "  (" + t.from_additional[0] + " from the additional section)";
      }
      out += tl + "\n";
    }
  }
  for (const Entry& e : l.entries) {
    if (e.partial_match && e.status == Entry::Status::kUsable) {
      out += "  note: the regexp of order " + std::to_string(e.record.order) + " pref " +
             std::to_string(e.record.preference) +
             " matches only part of the number; the rest is kept, as sed does (RFC 3402 "
             "§3.2); clients that use the replacement alone (Kamailio) differ\n";
    }
  }
  for (const auto& n : l.notes) out += "  note: " + n + "\n";
  for (const auto& t : l.transport) {
    if (t.truncated_udp) {
      out += "  transport: the UDP answer for " + t.name + " " + TypeName(t.type) +
             " was truncated (TC); asked again over TCP\n";
    }
  }
  return out;
}

void JsonReport(const Lookup& l, bool enum_mode, const Outcome& o, JsonWriter* j) {
  j->Key("status").Str(o.status);
  j->Key("exit_code").Int(o.exit_code);
  if (!o.message.empty()) j->Key("message").Str(o.message);
  j->Key("record_count").Int(static_cast<long long>(l.record_count));
  j->Key("matching_count").Int(static_cast<long long>(l.matching));
  if (!l.cname_target.empty()) j->Key("alias_of").Str(l.cname_target);
  j->Key("records").Begin('[');
  for (const Entry& e : l.entries) {
    j->Begin('{');
    j->Key("rank");
    e.rank > 0 ? j->Int(e.rank) : j->Raw("null");
    j->Key("status").Str(StatusName(e.status));
    j->Key("order").Int(e.record.order);
    j->Key("preference").Int(e.record.preference);
    if (e.status == Entry::Status::kUsable) {
      j->Key("share").Str(ShareText(e.share));
      j->Key("share_percent").Num(e.share);
    }
    j->Key("flags").Str(e.record.flags);
    j->Key("service").Str(e.record.service);
    j->Key("regexp").Str(e.record.regexp);
    j->Key("replacement").Str(e.record.replacement);
    j->Key("owner").Str(e.owner);
    j->Key("via").StrArray(e.via);
    if (e.status == Entry::Status::kUsable) {
      j->Key(enum_mode ? "uri" : "target").Str(e.result);
    } else if (e.status == Entry::Status::kNonTerminal) {
      j->Key("next").Str(e.result);
    }
    if (e.partial_match) j->Key("partial_match").Bool(true);
    if (!e.reason.empty()) j->Key("reason").Str(e.reason);
    if (!enum_mode && !e.targets.empty()) {
      j->Key("targets").Begin('[');
      for (const Target& t : e.targets) {
        j->Begin('{');
        j->Key("host").Str(t.host);
        if (LowerFlags(e) == "s") {
          j->Key("priority").Int(t.priority);
          j->Key("weight").Int(t.weight);
          j->Key("weight_percent").Num(t.weight_share);
          j->Key("port").Int(t.port);
        }
        j->Key("addresses").StrArray(t.addresses);
        j->Key("from_additional").StrArray(t.from_additional);
        if (!t.problem.empty()) j->Key("problem").Str(t.problem);
        j->End('}');
      }
      j->End(']');
    }
    j->End('}');
  }
  j->End(']');
  j->Key("notes").StrArray(l.notes);
  j->Key("transport").Begin('[');
  for (const auto& t : l.transport) {
    j->Begin('{');
    j->Key("name").Str(t.name);
    j->Key("type").Str(TypeName(t.type));
    j->Key("protocol").Str(t.tcp ? "tcp" : "udp");
    j->Key("truncated_udp").Bool(t.truncated_udp);
    j->End('}');
  }
  j->End(']');
  j->Key("queries").Int(l.queries);
}

}  // namespace

Result<LookupOptions> ParseLookupArgs(const std::vector<std::string>& args) {
  LookupOptions o;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_value = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      has_value = true;
    }
    auto take = [&]() -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return Status::Error(arg + " needs a value");
      return args[++i];
    };
    if (arg == "--json" || arg == "--tcp" || arg == "--help" || arg == "-h") {
      if (has_value) return Status::Error(arg + " takes no value");
      (arg == "--json" ? o.json : arg == "--tcp" ? o.tcp : o.help) = true;
      continue;
    }
    if (arg == "--server" || arg == "--suffix" || arg == "--service" || arg == "--snaptr" ||
        arg == "--timeout" || arg == "--retries") {
      auto v = take();
      if (!v.ok()) return v.status();
      if (arg == "--server") o.server = *v;
      if (arg == "--suffix") o.suffix = *v;
      if (arg == "--service") o.services.push_back(*v);
      if (arg == "--snaptr") o.snaptr = *v;
      if (arg == "--timeout") {
        auto n = IntArg(arg, *v, 1, 600000);
        if (!n.ok()) return n.status();
        o.timeout_ms = *n;
      }
      if (arg == "--retries") {
        auto n = IntArg(arg, *v, 0, 10);
        if (!n.ok()) return n.status();
        o.retries = *n;
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && arg[1] == '-') {
      return Status::Error("unknown option " + arg + " (try enumctl lookup --help)");
    }
    positional.push_back(args[i]);
  }
  if (o.help) return o;
  if (!o.snaptr.empty()) {
    if (!positional.empty()) return Status::Error("--snaptr takes a domain, not a number as well");
    if (o.services.empty()) {
      return Status::Error(
          "--snaptr needs --service APP-SERVICE[:APP-PROTOCOL...], e.g. "
          "x-3gpp-pgw:x-s8-gtp");
    }
  } else if (positional.size() != 1) {
    return Status::Error(positional.empty() ? "lookup needs an E.164 number (or --snaptr DOMAIN)"
                                            : "lookup takes one number");
  } else {
    o.number = positional[0];
  }
  if (o.suffix.empty()) o.suffix = ".";
  return o;
}

int RunLookupWith(const LookupOptions& opt, Resolver& resolver, const std::string& server_text,
                  std::string* out, std::string* err) {
  const bool enum_mode = opt.snaptr.empty();
  Lookup l;
  Status st;
  std::string subject = enum_mode ? opt.number : opt.snaptr;
  WalkLimits limits;
  if (enum_mode) {
    std::vector<EnumService> wanted;
    for (const auto& s :
         opt.services.empty() ? std::vector<std::string>{"E2U+sip"} : opt.services) {
      auto svc = ParseEnumServiceArg(s);
      if (!svc.ok()) {
        *err = svc.status().message();
        return 1;
      }
      wanted.push_back(*svc);
      l.services.push_back(EnumServiceText(*svc));
    }
    auto digits = zone::ParseE164(opt.number);
    if (!digits.ok()) {
      *err = digits.status().message();
      return 1;
    }
    // RFC 6116 §2.4: the Application Unique String is the number with its "+".
    const std::string aus = "+" + *digits;
    subject = aus;
    st = WalkRules(
        resolver, zone::DigitsToDomain(*digits, opt.suffix),
        [&](const Naptr& rec) { return EvaluateEnumRule(rec, aus, wanted); }, limits, &l);
    RankEntries(&l.entries);
    l.notes = PreferenceNotes(l.entries, "calls");
  } else {
    std::vector<SnaptrService> wanted;
    for (const auto& s : opt.services) {
      auto svc = ParseSnaptrServiceArg(s);
      if (!svc.ok()) {
        *err = svc.status().message();
        return 1;
      }
      wanted.push_back(*svc);
    }
    st = ResolveSnaptr(resolver, opt.snaptr, wanted, limits, &l);
  }
  Outcome o;
  if (!st.ok()) {
    o = {1, "error", st.message()};
  } else {
    o = Judge(l, enum_mode, subject);
  }
  if (opt.json) {
    JsonWriter j;
    j.Begin('{');
    j.Key("query").Begin('{');
    j.Key("application").Str(enum_mode ? "ENUM" : "S-NAPTR");
    j.Key(enum_mode ? "number" : "domain").Str(subject);
    j.Key("name").Str(l.name);
    j.Key("type").Str("NAPTR");
    j.Key("services").StrArray(l.services);
    j.Key("server").Str(server_text);
    j.End('}');
    JsonReport(l, enum_mode, o, &j);
    j.End('}');
    *out = j.Take();
  } else if (st.ok() && (o.exit_code == 0 || o.status == "no-match" || o.status == "error")) {
    *out = TextReport(l, enum_mode, o);
  }
  *err = o.message;
  return o.exit_code;
}

int RunLookup(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto opt = ParseLookupArgs(args);
  if (!opt.ok()) {
    std::fprintf(stderr, "enumctl lookup: %s\n", opt.status().message().c_str());
    return 1;
  }
  if (opt->help) {
    std::fputs(kLookupUsage, stdout);
    return 0;
  }
  auto server = opt->server.empty() ? SystemServer() : ParseServer(opt->server);
  if (!server.ok()) {
    std::fprintf(stderr, "enumctl lookup: %s\n", server.status().message().c_str());
    return 1;
  }
  ClientOptions co;
  co.timeout_ms = opt->timeout_ms;
  co.retries = opt->retries;
  co.tcp_only = opt->tcp;
  const std::string server_text = server->text;
  DnsClient client(std::move(*server), co);
  std::string out, err;
  const int rc = RunLookupWith(*opt, client, server_text, &out, &err);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  if (!err.empty()) std::fprintf(stderr, "enumctl lookup: %s\n", err.c_str());
  return rc;
}

}  // namespace enumd::enumctl
