// NAPTR rules as a DDDS client applies them (RFC 3402, RFC 3403 §4) for the
// two applications enumctl speaks: ENUM (RFC 6116) and S-NAPTR (RFC 3958,
// 3GPP TS 29.303). This file owns
//   - the substitution expression: delimiter taken from the field, POSIX ERE
//     (regcomp REG_EXTENDED, REG_ICASE for the "i" flag), \1-\9 (RFC 3402 §3.2);
//   - ENUM service matching and the ENUM meaning of the flags (RFC 6116 §3.4);
//   - walking the rules: non-terminal rules followed to the next domain, with
//     a depth bound, loop detection and a query budget;
//   - ranking: ORDER, then PREFERENCE, lowest first (RFC 3403 §4.1), and the
//     traffic share a conforming client gives each record.
// Everything here works on strings and a Resolver; nothing opens a socket.
// Tools-only code: allocates, never throws on bad input (errors are values).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "enumctl/dns_client.h"
#include "enumctl/dns_response.h"

namespace enumd::enumctl {

// --- substitution expressions (RFC 3402 §3.2) ---------------------------------

// subst-expr = delim-char ere delim-char repl delim-char *flags
struct SubstExpr {
  char delim = 0;
  std::string ere;   // as given to regcomp; "\<delim>" already turned into <delim>
  std::string repl;  // as in the field; escapes are read by ApplySubstExpr
  bool icase = false;
  int max_backref = 0;  // highest \N in repl
};

// Splits a REGEXP field. Errors (each quoting the field): empty; a delimiter
// that is a digit, a backslash or "i" (RFC 3402 §3.2: digits would read as
// back-references, "i" as the flag); not exactly three unescaped delimiters;
// flags other than "i"; a NUL byte; a lone trailing backslash; "\0" (0 is not
// a back-reference). Escapes in repl: \1-\9 back-references, "\<delim>" the
// delimiter, "\\" one backslash, "\x" for any other x is x.
Result<SubstExpr> ParseSubstExpr(std::string_view field);

struct Substitution {
  bool matched = false;
  // The ERE matched only part of the input. RFC 3402 §3.2 calls the field a
  // sed-style substitution, and sed keeps the unmatched text: so does
  // `output`. Some clients (Kamailio's enum module) return repl alone; the
  // lookup prints a note when this happens.
  bool partial = false;
  std::string output;
};

// Applies a REGEXP field to `input` (the Application Unique String; RFC 3402
// §3.2: always the original string, never a previous rule's output). Errors:
// those of ParseSubstExpr, regcomp's own (quoted), a back-reference to a group
// the ERE does not have. No match is not an error (matched = false). A group
// that did not take part in the match substitutes as empty.
Result<Substitution> ApplySubstExpr(std::string_view field, std::string_view input);

// --- ENUM services (RFC 6116 §3.4.3) -------------------------------------------

// service-field = "E2U" 1*("+" type *(":" subtype)); compared case-insensitively.
struct EnumService {
  std::string type;     // lower case
  std::string subtype;  // lower case; empty = any subtype when asked for
};

// A --service argument: "sip", "E2U+sip", "voice:tel", "E2U+pstn:tel".
Result<EnumService> ParseEnumServiceArg(std::string_view arg);
// "E2U+sip", "E2U+pstn:tel".
std::string EnumServiceText(const EnumService& s);
// The enumservices of a NAPTR SERVICES field, or false if it is not an ENUM
// service field ("E2U" and at least one well-formed "+type[:subtype]").
bool ParseEnumServiceField(std::string_view field, std::vector<EnumService>* out);
// True if `field` names one of `wanted`: same type, and the same subtype when
// the wanted one has a subtype.
bool EnumServiceMatches(std::string_view field, const std::vector<EnumService>& wanted);

// --- rule outcomes ----------------------------------------------------------

// What a client does with one record.
struct RuleOutcome {
  enum class Kind {
    kTerminal,      // `value` is the result (ENUM: the URI; S-NAPTR: the host or SRV name)
    kNonTerminal,   // `value` is the next domain to ask for NAPTR records
    kOtherService,  // not for the services asked for: ignored
    kSkipped,       // not used, and that is not an error (regexp does not match, unknown flag)
    kBroken,        // an error in the record; `reason` says which
  };
  Kind kind = Kind::kSkipped;
  std::string value;
  std::string reason;
  bool partial_match = false;  // see Substitution::partial
};

// ENUM (RFC 6116 §3.4, RFC 3402 §3.2): `aus` is the number with its "+".
//  - SERVICES must be an ENUM field naming a wanted service (non-terminal
//    rules: an empty field or bare "E2U" is followed too);
//  - flags: "u" terminal (the regexp's output is the URI), empty non-terminal
//    (regexp output or REPLACEMENT is the next domain); another letter or
//    digit is a flag ENUM does not define: the record is skipped; anything
//    else, or "u" twice, is broken;
//  - broken when REGEXP and REPLACEMENT are both set (RFC 3403 §4.1: they are
//    mutually exclusive), "u" without a regexp or with a replacement, a
//    non-terminal rule with neither, a malformed regexp, a "u" result that is
//    not a URI (scheme ":" ...), a non-terminal result that is not a domain name.
RuleOutcome EvaluateEnumRule(const Naptr& rec, std::string_view aus,
                             const std::vector<EnumService>& wanted);

// --- the result of a lookup -------------------------------------------------------

// An address a terminal S-NAPTR rule leads to.
struct Target {
  std::string host;                    // presentation form without the final dot
  uint16_t port = 0;                   // SRV only
  uint16_t priority = 0;               // SRV only
  uint16_t weight = 0;                 // SRV only
  double weight_share = 0;             // SRV: percent of its priority's traffic (RFC 2782)
  std::vector<std::string> addresses;  // A then AAAA, as text
  // Address types ("A", "AAAA") taken from the answer's additional section;
  // the others were asked for.
  std::vector<std::string> from_additional;
  std::string problem;  // e.g. "no A/AAAA records"; empty when fine
};

// One record as the client judged it.
struct Entry {
  enum class Status { kUsable, kNonTerminal, kOtherService, kSkipped, kBroken };
  Naptr record;
  std::string owner;             // display form of the name the record is at
  std::vector<std::string> via;  // non-terminal names followed to get here
  // The (ORDER, PREFERENCE) of each rule on the path, this record's last:
  // records reached through a non-terminal rule take its place in the order.
  std::vector<uint32_t> key;
  Status status = Status::kSkipped;
  std::string result;  // URI (ENUM), host or SRV name (S-NAPTR), next domain (non-terminal)
  std::string reason;  // kSkipped / kBroken / kOtherService: why
  bool partial_match = false;
  std::vector<Target> targets;     // S-NAPTR terminal rules
  std::vector<Record> additional;  // additional section of the answer it came in
  int rank = 0;                    // 1.. among usable entries, equal for equal keys; 0 otherwise
  double share = 0;                // rank 1: percent of the traffic; others 0 ("fallback")
};

// How a name was asked: the transport used and whether TC forced TCP.
struct Lookup {
  std::string name;                   // display form of the first name asked
  std::vector<std::string> services;  // as printed ("E2U+sip", "x-3gpp-pgw:x-s8-gtp")
  enum class Outcome { kFound, kNxDomain, kNoData } outcome = Outcome::kFound;
  std::string cname_target;    // display form, when the first name was an alias
  size_t record_count = 0;     // NAPTR records at the first name
  size_t matching = 0;         // ... of the services asked for
  std::vector<Entry> entries;  // ranked (RankEntries)
  std::vector<std::string> notes;
  std::vector<TransportEvent> transport;  // one per query that needed TCP
  int queries = 0;
};

// --- walking the rules -----------------------------------------------------------

struct WalkLimits {
  int max_depth = 8;     // non-terminal rules followed in a row
  int max_queries = 32;  // NAPTR queries for one lookup
};

using RuleEvaluator = std::function<RuleOutcome(const Naptr&)>;

// Asks `resolver` for the NAPTR records of `start` (presentation form) and
// judges each with `evaluate`; a non-terminal rule's target is asked in turn,
// its records taking the rule's place in the order. A target already on the
// path is a loop; one deeper than max_depth or past max_queries is not
// followed; a target that does not answer with NAPTR records; all of these
// make the non-terminal record kBroken with the reason. Fills `out` (entries
// unranked). Returns an error only when the first query fails (transport,
// SERVFAIL, REFUSED, a bad answer); NXDOMAIN/NODATA there set out->outcome.
Status WalkRules(Resolver& resolver, const std::string& start, const RuleEvaluator& evaluate,
                 const WalkLimits& limits, Lookup* out);

// --- ranking --------------------------------------------------------------------

// Sorts entries by key (ORDER then PREFERENCE along the path; ties by result
// text, so output is stable), and sets rank and share on the usable ones:
// rank 1 entries split the traffic equally, the rest are fallbacks (RFC 3403
// §4.1: PREFERENCE is a processing order, "similar to the preference field
// in an MX record", not a weight).
void RankEntries(std::vector<Entry>* entries);

// One note per group of usable entries that share a path and ORDER but not a
// PREFERENCE: the zone looks written for weights. Names records by the
// shortest unambiguous part of their result ("server3", else the host, else
// the whole result); `what` is what they get ("calls", "traffic").
std::vector<std::string> PreferenceNotes(const std::vector<Entry>& entries,
                                         const std::string& what);

// "50%", "33.3%"; "fallback" for 0.
std::string ShareText(double percent);

// `s` with bytes outside printable ASCII as \DDD, for messages and output
// (strings from the network never reach a terminal raw).
std::string Printable(std::string_view s);

}  // namespace enumd::enumctl

// libFuzzer-ready entry point: the first byte splits the input into a REGEXP
// field and a subject string; ApplySubstExpr must not crash, hang or leak.
extern "C" int FuzzApplySubstExpr(const uint8_t* data, size_t size);
