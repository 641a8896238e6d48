// S-NAPTR selection (RFC 3958) as mobile cores do it for 3GPP TS 29.303:
// keep the NAPTR records whose SERVICES name the wanted application service
// and every wanted application protocol ("x-3gpp-pgw:x-s8-gtp"), rank them by
// ORDER then PREFERENCE, and resolve each terminal rule's REPLACEMENT: flag
// "a" -> its A/AAAA records, flag "s" -> its SRV records, then the A/AAAA of
// each SRV target. Address and SRV records already in the answer's additional
// section are used as they are; only what is missing is asked for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "enumctl/dns_client.h"
#include "enumctl/naptr_rules.h"

namespace enumd::enumctl {

// service-parms = [ [app-service] *(":" app-protocol) ] (RFC 3958 §6.5),
// compared case-insensitively.
struct SnaptrService {
  std::string app_service;             // lower case, e.g. "x-3gpp-pgw"
  std::vector<std::string> protocols;  // lower case, e.g. {"x-s8-gtp"}
};

// A --service argument "app-service[:app-protocol...]". Errors quote it:
// empty, an empty part, a name that is not 1-32 of ALPHA/DIGIT/+-._ starting
// with a letter.
Result<SnaptrService> ParseSnaptrServiceArg(std::string_view arg);
// "x-3gpp-pgw:x-s8-gtp".
std::string SnaptrServiceText(const SnaptrService& s);
// True if `field` names the app-service of one of `wanted` and every one of
// its protocols (the record may offer more).
bool SnaptrServiceMatches(std::string_view field, const std::vector<SnaptrService>& wanted);

// One record as an S-NAPTR client judges it:
//  - flags "a"/"s" terminal (the value is REPLACEMENT), "" non-terminal
//    (REPLACEMENT is the next domain); another letter or digit is skipped;
//  - SERVICES must match (a non-terminal rule with empty SERVICES is followed:
//    it leads to more records, not to a server);
//  - broken: a REGEXP (S-NAPTR rules rewrite with REPLACEMENT only), no
//    REPLACEMENT, flags that are not characters from A-Z/0-9, "a" and "s" together.
RuleOutcome EvaluateSnaptrRule(const Naptr& rec, const std::vector<SnaptrService>& wanted);

// The whole selection for `domain` (presentation form): WalkRules with
// EvaluateSnaptrRule, then the targets of every usable entry (an entry whose
// targets have no address at all becomes kBroken, with the reason), then
// RankEntries and the preference notes. Errors as WalkRules.
Status ResolveSnaptr(Resolver& resolver, const std::string& domain,
                     const std::vector<SnaptrService>& wanted, const WalkLimits& limits,
                     Lookup* out);

}  // namespace enumd::enumctl
