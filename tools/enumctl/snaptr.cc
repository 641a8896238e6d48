// S-NAPTR selection (RFC 3958, 3GPP TS 29.303): service matching, flags "a"
// and "s", and resolving the chosen targets to addresses.
#include "enumctl/snaptr.h"

#include <algorithm>

#include "dns/constants.h"
#include "dns/name.h"
#include "enumctl/ascii.h"

namespace enumd::enumctl {
namespace {

// RFC 3958 §6.5: ALPHA *31ALPHANUMSYM, or "x-" 1*30ALPHANUMSYM (which is the
// same shape); ALPHANUMSYM = ALPHA / DIGIT / "+" / "-" / "." / "_".
bool IsParm(std::string_view s) {
  if (s.empty() || s.size() > 32 || !IsAlpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || c == '+' || c == '-' || c == '.' || c == '_';
  });
}

std::vector<std::string> SplitColons(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t colon = s.find(':', start);
    out.push_back(LowerCopy(s.substr(start, colon - start)));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return out;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The `type` records for `host_wire` in `records`, as text.
std::vector<std::string> AddressesIn(const std::vector<Record>& records,
                                     const std::string& host_wire, uint16_t type) {
  std::vector<std::string> out;
  for (const Record& r : records) {
    if (r.type == type && r.rrclass == dns::rrclass::kIN &&
        dns::NameEqual(U8(r.owner), U8(host_wire))) {
      out.push_back(r.address);
    }
  }
  return out;
}

class TargetResolver {
 public:
  TargetResolver(Resolver& resolver, Lookup* out) : resolver_(resolver), out_(out) {}

  // Fills target->addresses: A, then AAAA. A type the additional section
  // holds is taken from it; a missing one is asked for, since a server leaves
  // out whole RRsets that do not fit (enumd, BIND) and its absence says
  // nothing about whether the host has such records.
  void Addresses(const std::string& host_text, const std::vector<Record>& additional,
                 Target* target) {
    const std::string wire = dns::WireName(host_text);
    if (wire.empty()) {
      target->host = host_text;
      target->problem = "not a domain name";
      return;
    }
    target->host = DisplayName(wire);
    std::string problems;
    for (uint16_t t : {dns::type::kA, dns::type::kAAAA}) {
      std::vector<std::string> found = AddressesIn(additional, wire, t);
      if (!found.empty()) {
        target->from_additional.push_back(TypeName(t));
      } else {
        ++out_->queries;
        auto answer = QueryRRset(resolver_, wire, t, &out_->transport);
        if (!answer.ok()) {
          problems += (problems.empty() ? "" : "; ") + answer.status().message();
          continue;
        }
        for (const Record& r : answer->records) found.push_back(r.address);
      }
      target->addresses.insert(target->addresses.end(), found.begin(), found.end());
    }
    if (target->addresses.empty()) {
      target->problem = problems.empty() ? "no A/AAAA records" : problems;
    }
  }

  // Flag "s": the SRV records of `name`, each target with its addresses
  // (RFC 2782: priority ascending; weight is a real weight within a priority).
  std::string Srv(const std::string& name_text, const std::vector<Record>& additional,
                  std::vector<Target>* targets) {
    const std::string wire = dns::WireName(name_text);
    std::vector<Record> srvs;
    std::vector<Record> extra = additional;
    for (const Record& r : additional) {
      if (r.type == dns::type::kSRV && dns::NameEqual(U8(r.owner), U8(wire))) srvs.push_back(r);
    }
    if (srvs.empty()) {
      ++out_->queries;
      auto answer = QueryRRset(resolver_, wire, dns::type::kSRV, &out_->transport);
      if (!answer.ok()) return answer.status().message();
      if (answer->kind != RRsetAnswer::Kind::kFound) {
        return "no SRV records at " + DisplayName(wire) +
               (answer->kind == RRsetAnswer::Kind::kNxDomain ? " (NXDOMAIN)" : " (NODATA)");
      }
      srvs = answer->records;
      extra.insert(extra.end(), answer->additional.begin(), answer->additional.end());
    }
    std::stable_sort(srvs.begin(), srvs.end(), [](const Record& a, const Record& b) {
      if (a.srv.priority != b.srv.priority) return a.srv.priority < b.srv.priority;
      return a.srv.weight > b.srv.weight;
    });
    for (const Record& r : srvs) {
      Target t;
      t.port = r.srv.port;
      t.priority = r.srv.priority;
      t.weight = r.srv.weight;
      if (r.srv.target == ".") {
        // RFC 2782: "." means the service is decidedly not available there.
        t.host = ".";
        t.problem = "SRV target \".\": the service is not offered here (RFC 2782)";
      } else {
        Addresses(r.srv.target, extra, &t);
      }
      targets->push_back(std::move(t));
    }
    for (Target& t : *targets) {
      unsigned total = 0;
      size_t peers = 0;
      for (const Target& o : *targets) {
        if (o.priority == t.priority) {
          total += o.weight;
          ++peers;
        }
      }
      t.weight_share = total > 0 ? 100.0 * t.weight / total : 100.0 / static_cast<double>(peers);
    }
    return "";
  }

 private:
  Resolver& resolver_;
  Lookup* out_;
};

}  // namespace

Result<SnaptrService> ParseSnaptrServiceArg(std::string_view arg) {
  std::vector<std::string> parts = SplitColons(arg);
  for (const auto& p : parts) {
    if (!IsParm(p)) {
      return Status::Error("--service '" + std::string(arg) +
                           "': expected app-service[:app-protocol...], e.g. "
                           "x-3gpp-pgw:x-s8-gtp (RFC 3958 §6.5)");
    }
  }
  SnaptrService out;
  out.app_service = parts[0];
  out.protocols.assign(parts.begin() + 1, parts.end());
  return out;
}

std::string SnaptrServiceText(const SnaptrService& s) {
  std::string out = s.app_service;
  for (const auto& p : s.protocols) out += ":" + p;
  return out;
}

bool SnaptrServiceMatches(std::string_view field, const std::vector<SnaptrService>& wanted) {
  if (field.empty()) return false;
  const std::vector<std::string> parts = SplitColons(field);
  for (const auto& w : wanted) {
    if (parts[0] != w.app_service) continue;
    const bool all = std::all_of(w.protocols.begin(), w.protocols.end(), [&](const std::string& p) {
      return std::find(parts.begin() + 1, parts.end(), p) != parts.end();
    });
    if (all) return true;
  }
  return false;
}

RuleOutcome EvaluateSnaptrRule(const Naptr& rec, const std::vector<SnaptrService>& wanted) {
  RuleOutcome o;
  const std::string flags = LowerCopy(rec.flags);
  auto broken = [&](const std::string& why) {
    o.kind = RuleOutcome::Kind::kBroken;
    o.reason = why;
    return o;
  };
  const bool service_ok =
      SnaptrServiceMatches(rec.service, wanted) || (flags.empty() && rec.service.empty());
  if (!service_ok) {
    o.kind = RuleOutcome::Kind::kOtherService;
    o.reason = "service \"" + Printable(rec.service) + "\"";
    return o;
  }
  if (!std::all_of(flags.begin(), flags.end(), IsAlnum)) {
    return broken("flags \"" + Printable(rec.flags) +
                  "\": each flag is one character from A-Z and 0-9 (RFC 3403 §4.1)");
  }
  if (flags.find('a') != std::string::npos && flags.find('s') != std::string::npos) {
    return broken("flags \"" + Printable(rec.flags) +
                  "\": \"a\" and \"s\" are both terminal and exclude each other");
  }
  if (!flags.empty() && flags != "a" && flags != "s") {
    o.kind = RuleOutcome::Kind::kSkipped;
    o.reason = "flags \"" + Printable(rec.flags) +
               "\": S-NAPTR defines \"a\", \"s\" and \"\" (RFC 3958 §6.4)";
    return o;
  }
  if (!rec.regexp.empty()) {
    return broken("REGEXP \"" + Printable(rec.regexp) +
                  "\" is set: S-NAPTR rules carry no regexp, the REPLACEMENT is the target "
                  "(RFC 3958 §6.6)");
  }
  if (rec.replacement == ".") {
    return broken("no REPLACEMENT: nowhere to go");
  }
  o.kind = flags.empty() ? RuleOutcome::Kind::kNonTerminal : RuleOutcome::Kind::kTerminal;
  o.value = rec.replacement;
  return o;
}

Status ResolveSnaptr(Resolver& resolver, const std::string& domain,
                     const std::vector<SnaptrService>& wanted, const WalkLimits& limits,
                     Lookup* out) {
  for (const auto& w : wanted) out->services.push_back(SnaptrServiceText(w));
  Status st = WalkRules(
      resolver, domain, [&](const Naptr& rec) { return EvaluateSnaptrRule(rec, wanted); }, limits,
      out);
  if (!st.ok()) return st;
  TargetResolver targets(resolver, out);
  for (Entry& e : out->entries) {
    if (e.status != Entry::Status::kUsable) continue;
    std::string problem;
    if (LowerCopy(e.record.flags) == "a") {
      Target t;
      targets.Addresses(e.result, e.additional, &t);
      problem = t.problem;
      e.targets.push_back(std::move(t));
    } else {
      problem = targets.Srv(e.result, e.additional, &e.targets);
      if (problem.empty()) {
        const bool any = std::any_of(e.targets.begin(), e.targets.end(),
                                     [](const Target& t) { return t.problem.empty(); });
        if (!any) problem = "no SRV target with an address";
      }
    }
    if (!problem.empty()) {
      e.status = Entry::Status::kBroken;
      e.reason = DisplayName(dns::WireName(e.result)) + ": " + problem;
    }
    e.result = DisplayName(dns::WireName(e.result));
  }
  RankEntries(&out->entries);
  out->notes = PreferenceNotes(out->entries, "traffic");
  return Status::OK();
}

}  // namespace enumd::enumctl
