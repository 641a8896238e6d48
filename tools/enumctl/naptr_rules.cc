// NAPTR rule application (RFC 3402 §3.2, RFC 3403 §4.1, RFC 6116 §3.4):
// substitution expressions, ENUM services and flags, the non-terminal walk,
// and ranking by ORDER then PREFERENCE.
#include "enumctl/naptr_rules.h"

#include <regex.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "dns/constants.h"
#include "dns/name.h"
#include "enumctl/ascii.h"
#include "enumctl/ere_guard.h"

namespace enumd::enumctl {
namespace {

// RFC 6116 §3.4.3: type and subtype are 1*32(ALPHA / DIGIT / "-").
bool IsServiceToken(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":".
bool LooksLikeUri(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (size_t i = 1; i < colon; ++i) {
    if (!IsAlnum(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.') return false;
  }
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

Status BadRegexp(std::string_view field, const std::string& why) {
  return Status::Error("regexp \"" + Printable(field) + "\": " + why);
}

// Owns a compiled regex_t.
class CompiledRegex {
 public:
  CompiledRegex() = default;
  ~CompiledRegex() {
    if (ok_) regfree(&re_);
  }
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;
  // Returns "" or regcomp's message.
  std::string Compile(const std::string& ere, bool icase) {
    const int rc = regcomp(&re_, ere.c_str(), REG_EXTENDED | (icase ? REG_ICASE : 0));
    if (rc != 0) {
      char msg[256];
      regerror(rc, &re_, msg, sizeof(msg));
      return msg;
    }
    ok_ = true;
    return "";
  }
  regex_t* get() { return &re_; }

 private:
  regex_t re_{};
  bool ok_ = false;
};

// "a", "a and b", "a, b and c"; past four names "a, b, c and 7 more", so a
// note stays one readable line.
std::string JoinNames(const std::vector<std::string>& names) {
  std::vector<std::string> shown = names;
  if (names.size() > 4) {
    shown.resize(3);
    shown.push_back(std::to_string(names.size() - 3) + " more");
  }
  std::string out;
  for (size_t i = 0; i < shown.size(); ++i) {
    if (i > 0) out += i + 1 == shown.size() ? " and " : ", ";
    out += shown[i];
  }
  return out;
}

// The host part of a result: "sip:user@host;transport=udp" -> "host"; a
// bare host name stays as it is.
std::string HostOf(const std::string& result) {
  std::string_view s = result;
  const size_t at = s.rfind('@');
  if (at != std::string_view::npos) {
    s = s.substr(at + 1);
  } else if (LooksLikeUri(s)) {
    s = s.substr(s.find(':') + 1);
    while (!s.empty() && s[0] == '/') s.remove_prefix(1);
  }
  const size_t end = s.find_first_of(";:?>/");
  return std::string(s.substr(0, end));
}

std::vector<std::string> Labels(const std::string& host) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t dot = host.find('.', start);
    out.push_back(host.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

// Short, unambiguous names for the results of `group`: the first label
// position at which every host differs ("server3", "pgw03"), else the hosts,
// else the whole results.
std::vector<std::string> ShortNames(const std::vector<const Entry*>& group) {
  std::vector<std::string> hosts, results;
  for (const Entry* e : group) {
    hosts.push_back(HostOf(e->result));
    results.push_back(e->result);
  }
  auto distinct = [](const std::vector<std::string>& v) {
    return std::set<std::string>(v.begin(), v.end()).size() == v.size();
  };
  if (!distinct(results)) return results;
  if (!distinct(hosts)) return results;
  size_t max_labels = 0;
  std::vector<std::vector<std::string>> labels;
  for (const auto& h : hosts) {
    labels.push_back(Labels(h));
    max_labels = std::max(max_labels, labels.back().size());
  }
  for (size_t i = 0; i < max_labels; ++i) {
    std::vector<std::string> at;
    for (const auto& l : labels) {
      if (i >= l.size() || l[i].empty()) break;
      at.push_back(l[i]);
    }
    if (at.size() == labels.size() && distinct(at)) return at;
  }
  return hosts;
}

}  // namespace

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\%03u", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// --- substitution expressions ------------------------------------------------------

Result<SubstExpr> ParseSubstExpr(std::string_view field) {
  if (field.empty()) return BadRegexp(field, "empty");
  if (field.find('\0') != std::string_view::npos) return BadRegexp(field, "holds a NUL byte");
  SubstExpr out;
  out.delim = field[0];
  const char d = out.delim;
  if (d >= '0' && d <= '9') {
    return BadRegexp(field,
                     "the delimiter is a digit (RFC 3402 §3.2: it would read as a "
                     "back-reference)");
  }
  if (d == '\\') return BadRegexp(field, "the delimiter is a backslash");
  if (d == 'i') return BadRegexp(field, "the delimiter is the flag character 'i'");
  int delims = 1;
  size_t i = 1;
  for (; i < field.size() && delims < 3; ++i) {
    const char c = field[i];
    std::string& part = delims == 1 ? out.ere : out.repl;
    if (c == '\\') {
      if (i + 1 >= field.size()) return BadRegexp(field, "ends with a lone backslash");
      const char next = field[++i];
      if (delims == 1) {
        // RFC 3402 §3.2: an escaped delimiter stands for the character.
        if (next != d) part += c;
        part += next;
      } else {
        if (next == '0') {
          return BadRegexp(field, "\\0 is not a back-reference (RFC 3402 §3.2 allows \\1 to \\9)");
        }
        if (next >= '1' && next <= '9') out.max_backref = std::max(out.max_backref, next - '0');
        part += c;
        part += next;
      }
    } else if (c == d) {
      ++delims;
    } else {
      part += c;
    }
  }
  if (delims < 3) {
    return BadRegexp(field, "has " + std::to_string(delims) + " unescaped delimiter(s) '" +
                                Printable(std::string(1, d)) +
                                "'; RFC 3402 §3.2 needs exactly three (delim ERE delim "
                                "replacement delim [i])");
  }
  for (; i < field.size(); ++i) {
    if (field[i] == 'i') {
      out.icase = true;
    } else if (field[i] == d) {
      return BadRegexp(field, "more than three unescaped delimiters");
    } else {
      return BadRegexp(field, "unknown flag '" + Printable(field.substr(i, 1)) +
                                  "' after the last delimiter (only \"i\" is defined)");
    }
  }
  if (out.ere.empty()) return BadRegexp(field, "the ERE is empty");
  return out;
}

Result<Substitution> ApplySubstExpr(std::string_view field, std::string_view input) {
  auto expr = ParseSubstExpr(field);
  if (!expr.ok()) return expr.status();
  if (input.find('\0') != std::string_view::npos) {
    return Status::Error("the string to match holds a NUL byte");
  }
  // POSIX EREs have no back-references (glibc's "\\1" in an ERE is an
  // extension whose matching can take exponential time).
  for (size_t i = 0; i + 1 < expr->ere.size(); ++i) {
    if (expr->ere[i] != '\\') continue;
    if (IsDigit(expr->ere[i + 1])) {
      return BadRegexp(field, "the ERE \"" + Printable(expr->ere) + "\" has a back-reference \\" +
                                  expr->ere[i + 1] + ", which POSIX EREs do not have");
    }
    ++i;
  }
  const std::string problem = EreProblem(expr->ere);
  if (!problem.empty()) {
    return BadRegexp(field, "the ERE \"" + Printable(expr->ere) + "\" is refused: " + problem);
  }
  CompiledRegex re;
  const std::string compile_error = re.Compile(expr->ere, expr->icase);
  if (!compile_error.empty()) {
    return BadRegexp(field, "the ERE \"" + Printable(expr->ere) +
                                "\" is not a POSIX extended regular expression: " + compile_error);
  }
  const size_t groups = re.get()->re_nsub;
  if (static_cast<size_t>(expr->max_backref) > groups) {
    return BadRegexp(field, "\\" + std::to_string(expr->max_backref) + " but the ERE has " +
                                std::to_string(groups) + " group(s)");
  }
  const std::string subject(input);
  regmatch_t m[10];
  const int rc = regexec(re.get(), subject.c_str(), 10, m, 0);
  Substitution out;
  if (rc == REG_NOMATCH) return out;
  if (rc != 0) {
    char msg[256];
    regerror(rc, re.get(), msg, sizeof(msg));
    return BadRegexp(field, std::string("matching failed: ") + msg);
  }
  out.matched = true;
  const auto so = static_cast<size_t>(m[0].rm_so);
  const auto eo = static_cast<size_t>(m[0].rm_eo);
  out.partial = so > 0 || eo < subject.size();
  std::string repl;
  const std::string& r = expr->repl;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] != '\\') {
      repl += r[i];
      continue;
    }
    const char next = r[++i];  // ParseSubstExpr guarantees a character follows
    if (next >= '1' && next <= '9') {
      const regmatch_t& g = m[next - '0'];
      if (g.rm_so >= 0) repl += subject.substr(g.rm_so, g.rm_eo - g.rm_so);
    } else {
      repl += next;  // "\<delim>", "\\", and "\x" = x
    }
  }
  // sed-style: what the ERE did not match stays (RFC 3402 §3.2).
  out.output = subject.substr(0, so) + repl + subject.substr(eo);
  return out;
}

// --- ENUM services -------------------------------------------------------------------

Result<EnumService> ParseEnumServiceArg(std::string_view arg) {
  std::string_view s = arg;
  if (s.size() >= 4 && IEquals(s.substr(0, 4), "E2U+")) s.remove_prefix(4);
  EnumService out;
  const size_t colon = s.find(':');
  out.type = LowerCopy(s.substr(0, colon));
  if (colon != std::string_view::npos) out.subtype = LowerCopy(s.substr(colon + 1));
  if (!IsServiceToken(out.type) ||
      (colon != std::string_view::npos && !IsServiceToken(out.subtype))) {
    return Status::Error("--service '" + std::string(arg) +
                         "': expected an enumservice such as sip, E2U+sip or E2U+pstn:tel "
                         "(RFC 6116 §3.4.3)");
  }
  return out;
}

std::string EnumServiceText(const EnumService& s) {
  return "E2U+" + s.type + (s.subtype.empty() ? "" : ":" + s.subtype);
}

bool ParseEnumServiceField(std::string_view field, std::vector<EnumService>* out) {
  out->clear();
  if (field.size() < 5 || !IEquals(field.substr(0, 3), "E2U") || field[3] != '+') return false;
  std::string_view rest = field.substr(4);
  for (;;) {
    const size_t plus = rest.find('+');
    std::string_view spec = rest.substr(0, plus);
    // enumservice = type 0*(":" subtype)
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
      const size_t colon = spec.find(':', start);
      parts.push_back(spec.substr(start, colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    for (auto p : parts) {
      if (!IsServiceToken(p)) return false;
    }
    if (parts.size() == 1) out->push_back({LowerCopy(parts[0]), ""});
    for (size_t i = 1; i < parts.size(); ++i) {
      out->push_back({LowerCopy(parts[0]), LowerCopy(parts[i])});
    }
    if (plus == std::string_view::npos) break;
    rest = rest.substr(plus + 1);
  }
  return true;
}

bool EnumServiceMatches(std::string_view field, const std::vector<EnumService>& wanted) {
  std::vector<EnumService> offered;
  if (!ParseEnumServiceField(field, &offered)) return false;
  for (const auto& w : wanted) {
    for (const auto& o : offered) {
      if (w.type == o.type && (w.subtype.empty() || w.subtype == o.subtype)) return true;
    }
  }
  return false;
}

// --- rules ---------------------------------------------------------------------

RuleOutcome EvaluateEnumRule(const Naptr& rec, std::string_view aus,
                             const std::vector<EnumService>& wanted) {
  RuleOutcome o;
  const std::string flags = LowerCopy(rec.flags);
  const bool has_regexp = !rec.regexp.empty();
  const bool has_replacement = rec.replacement != ".";
  auto broken = [&](const std::string& why) {
    o.kind = RuleOutcome::Kind::kBroken;
    o.reason = why;
    return o;
  };
  // Services first: a record for another application is none of our business.
  const bool service_ok = EnumServiceMatches(rec.service, wanted) ||
                          (flags.empty() && (rec.service.empty() || IEquals(rec.service, "E2U")));
  if (!service_ok) {
    o.kind = RuleOutcome::Kind::kOtherService;
    o.reason = "service \"" + Printable(rec.service) + "\"";
    return o;
  }
  if (!std::all_of(flags.begin(), flags.end(), IsAlnum)) {
    return broken("flags \"" + Printable(rec.flags) +
                  "\": each flag is one character from A-Z and 0-9 (RFC 3403 §4.1)");
  }
  if (!flags.empty() && flags != "u") {
    o.kind = RuleOutcome::Kind::kSkipped;
    o.reason = "flags \"" + Printable(rec.flags) +
               "\": ENUM defines only \"u\" (terminal) and \"\" (non-terminal) (RFC 6116 §3.4.1)";
    return o;
  }
  if (has_regexp && has_replacement) {
    return broken(
        "REGEXP and REPLACEMENT are both set; they are mutually exclusive "
        "(RFC 3403 §4.1)");
  }
  const bool terminal = flags == "u";
  if (terminal && !has_regexp) {
    return broken(has_replacement
                      ? "flag \"u\" with a REPLACEMENT and no REGEXP: a \"u\" rule's result is "
                        "the URI its REGEXP builds, not a domain name (RFC 6116 §3.4.1)"
                      : "flag \"u\" without a REGEXP: there is no URI to build");
  }
  if (!terminal && !has_regexp && !has_replacement) {
    return broken(
        "non-terminal rule (empty flags) with neither REGEXP nor REPLACEMENT: "
        "nowhere to go");
  }
  if (!terminal && has_replacement) {
    o.kind = RuleOutcome::Kind::kNonTerminal;
    o.value = rec.replacement;
    return o;
  }
  auto sub = ApplySubstExpr(rec.regexp, aus);
  if (!sub.ok()) return broken("malformed " + sub.status().message());
  if (!sub->matched) {
    o.kind = RuleOutcome::Kind::kSkipped;
    o.reason = "regexp \"" + Printable(rec.regexp) + "\" does not match \"" + Printable(aus) + "\"";
    return o;
  }
  o.partial_match = sub->partial;
  if (terminal) {
    if (!LooksLikeUri(sub->output)) {
      return broken("the regexp yields \"" + Printable(sub->output) +
                    "\", not a URI (scheme \":\" ...)");
    }
    o.kind = RuleOutcome::Kind::kTerminal;
    o.value = sub->output;
    return o;
  }
  // RFC 3402 §3.2: the result of a non-terminal rule must be a valid key (a
  // domain name for the DNS database, RFC 3403 §3.1).
  std::string name = sub->output;
  if (!name.empty() && name.back() != '.') name += '.';
  const std::string wire = dns::WireName(name);
  if (wire.empty()) {
    return broken("the regexp yields \"" + Printable(sub->output) + "\", not a domain name");
  }
  o.kind = RuleOutcome::Kind::kNonTerminal;
  o.value = dns::NameToText(reinterpret_cast<const uint8_t*>(wire.data()));
  return o;
}

// --- walking -----------------------------------------------------------------------

namespace {

class Walker {
 public:
  Walker(Resolver& resolver, const RuleEvaluator& evaluate, const WalkLimits& limits, Lookup* out)
      : resolver_(resolver), evaluate_(evaluate), limits_(limits), out_(out) {}

  // Judges the records of `answer`, reached through `via` (names) with
  // `key` (the rules' ORDER/PREFERENCE) and `path` (wire names, for loops).
  void Visit(const RRsetAnswer& answer, const std::vector<uint32_t>& key,
             const std::vector<std::string>& via, const std::vector<std::string>& path) {
    for (const Record& rec : answer.records) {
      Entry e;
      e.record = rec.naptr;
      e.owner = DisplayName(rec.owner);
      e.via = via;
      e.key = key;
      e.key.push_back(static_cast<uint32_t>(rec.naptr.order) << 16 | rec.naptr.preference);
      e.additional = answer.additional;
      const RuleOutcome o = evaluate_(rec.naptr);
      e.reason = o.reason;
      e.partial_match = o.partial_match;
      switch (o.kind) {
        case RuleOutcome::Kind::kTerminal:
          e.status = Entry::Status::kUsable;
          e.result = o.value;
          break;
        case RuleOutcome::Kind::kOtherService:
          e.status = Entry::Status::kOtherService;
          break;
        case RuleOutcome::Kind::kSkipped:
          e.status = Entry::Status::kSkipped;
          break;
        case RuleOutcome::Kind::kBroken:
          e.status = Entry::Status::kBroken;
          break;
        case RuleOutcome::Kind::kNonTerminal:
          e.status = Entry::Status::kNonTerminal;
          e.result = o.value;
          Follow(&e, path);
          continue;  // Follow stored the entry (before the records it led to)
      }
      out_->entries.push_back(std::move(e));
    }
  }

 private:
  void Follow(Entry* e, const std::vector<std::string>& path) {
    const std::string next = dns::WireName(e->result);
    if (!next.empty()) e->result = DisplayName(next);
    auto broken = [&](const std::string& why) {
      e->status = Entry::Status::kBroken;
      e->reason = why;
      out_->entries.push_back(std::move(*e));
    };
    if (next.empty()) return broken("\"" + Printable(e->result) + "\" is not a domain name");
    std::string chain;
    for (const auto& p : path) chain += DisplayName(p) + " -> ";
    chain += DisplayName(next);
    for (const auto& p : path) {
      if (dns::NameEqual(reinterpret_cast<const uint8_t*>(p.data()),
                         reinterpret_cast<const uint8_t*>(next.data()))) {
        return broken("non-terminal loop: " + chain);
      }
    }
    if (static_cast<int>(path.size()) > limits_.max_depth) {
      return broken("more than " + std::to_string(limits_.max_depth) +
                    " non-terminal rules in a row: " + chain);
    }
    if (out_->queries >= limits_.max_queries) {
      return broken("not followed: the lookup already sent " + std::to_string(out_->queries) +
                    " NAPTR queries (limit)");
    }
    ++out_->queries;
    auto answer = QueryRRset(resolver_, next, dns::type::kNAPTR, &out_->transport);
    if (!answer.ok())
      return broken("non-terminal rule to " + DisplayName(next) + ": " + answer.status().message());
    if (answer->kind != RRsetAnswer::Kind::kFound) {
      return broken("non-terminal rule to " + DisplayName(next) + ", which has no NAPTR records (" +
                    (answer->kind == RRsetAnswer::Kind::kNxDomain ? "NXDOMAIN" : "NODATA") + ")");
    }
    std::vector<std::string> via = e->via;
    via.push_back(DisplayName(next));
    std::vector<std::string> deeper = path;
    deeper.push_back(next);
    const std::vector<uint32_t> key = e->key;
    out_->entries.push_back(std::move(*e));
    Visit(*answer, key, via, deeper);
  }

  Resolver& resolver_;
  const RuleEvaluator& evaluate_;
  const WalkLimits& limits_;
  Lookup* out_;
};

}  // namespace

Status WalkRules(Resolver& resolver, const std::string& start, const RuleEvaluator& evaluate,
                 const WalkLimits& limits, Lookup* out) {
  const std::string wire = dns::WireName(start);
  if (wire.empty()) return Status::Error("'" + start + "' is not a domain name");
  out->name = DisplayName(wire);
  ++out->queries;
  auto first = QueryRRset(resolver, wire, dns::type::kNAPTR, &out->transport);
  if (!first.ok()) return first.status();
  if (!first->chain.empty()) out->cname_target = first->chain.back();
  if (first->kind == RRsetAnswer::Kind::kNxDomain) {
    out->outcome = Lookup::Outcome::kNxDomain;
    return Status::OK();
  }
  if (first->kind == RRsetAnswer::Kind::kNoData) {
    out->outcome = Lookup::Outcome::kNoData;
    return Status::OK();
  }
  out->outcome = Lookup::Outcome::kFound;
  out->record_count = first->records.size();
  Walker walker(resolver, evaluate, limits, out);
  walker.Visit(*first, {}, {}, {first->owner});
  out->matching = static_cast<size_t>(std::count_if(
      out->entries.begin(), out->entries.end(),
      [](const Entry& e) { return e.via.empty() && e.status != Entry::Status::kOtherService; }));
  return Status::OK();
}

// --- ranking ------------------------------------------------------------------------

void RankEntries(std::vector<Entry>* entries) {
  std::stable_sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.result < b.result;
  });
  int rank = 0;
  const std::vector<uint32_t>* last = nullptr;
  size_t first_group = 0;
  for (Entry& e : *entries) {
    e.rank = 0;
    e.share = 0;
    if (e.status != Entry::Status::kUsable) continue;
    if (last == nullptr || *last != e.key) ++rank;
    last = &e.key;
    e.rank = rank;
    if (rank == 1) ++first_group;
  }
  for (Entry& e : *entries) {
    if (e.rank == 1) e.share = 100.0 / static_cast<double>(first_group);
  }
}

std::vector<std::string> PreferenceNotes(const std::vector<Entry>& entries,
                                         const std::string& what) {
  // Group usable entries by the path to them and their ORDER.
  std::map<std::vector<uint32_t>, std::vector<const Entry*>> groups;
  for (const Entry& e : entries) {
    if (e.status != Entry::Status::kUsable) continue;
    std::vector<uint32_t> group_key(e.key.begin(), e.key.end() - 1);
    group_key.push_back(e.key.back() >> 16);  // ORDER only
    groups[group_key].push_back(&e);
  }
  std::vector<std::string> notes;
  for (const auto& [group_key, group] : groups) {
    uint16_t best = 0xFFFF;
    bool differ = false;
    for (const Entry* e : group) {
      if (e != group.front() && e->record.preference != group.front()->record.preference) {
        differ = true;
      }
      best = std::min(best, e->record.preference);
    }
    if (!differ) continue;
    const std::vector<std::string> names = ShortNames(group);
    std::vector<std::string> primary, fallback;
    for (size_t i = 0; i < group.size(); ++i) {
      (group[i]->record.preference == best ? primary : fallback).push_back(names[i]);
    }
    notes.push_back(
        "preference is a processing order (RFC 3403 §4.1), not a weight: " + JoinNames(fallback) +
        (fallback.size() == 1 ? " gets " : " get ") + what + " only when " + JoinNames(primary) +
        (primary.size() == 1 ? " fails" : " fail"));
  }
  return notes;
}

std::string ShareText(double percent) {
  if (percent <= 0) return "fallback";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", percent);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + "%";
}

}  // namespace enumd::enumctl

extern "C" int FuzzApplySubstExpr(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Byte 0 is where the field ends; the subject is capped at 64 bytes, like
  // the longest strings a lookup applies a regexp to (an E.164 number).
  const size_t split = std::min<size_t>(data[0], size - 1);
  std::string_view field(reinterpret_cast<const char*>(data + 1), split);
  std::string_view subject(reinterpret_cast<const char*>(data + 1 + split),
                           std::min<size_t>(size - 1 - split, 64));
  (void)enumd::enumctl::ApplySubstExpr(field, subject);
  return 0;
}
