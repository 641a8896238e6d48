// Guards glibc's regcomp/regexec (used by naptr_rules.cc for NAPTR REGEXP
// fields) against EREs that would take them seconds or gigabytes. A field
// comes from any DNS server a lookup asks, so its ERE is untrusted input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace enumd::enumctl {

// Why glibc's regcomp/regexec could take seconds or gigabytes on `ere`, or ""
// (fuzz findings: "(^.)++...+" of 60 bytes took 2 GB, "()++++++++++~" one
// second, "(()*)?{120}" minutes). regcomp expands repetition by copying the
// repeated tree ("x+" is "xx*", "x{n,m}" m copies), so stacked and nested
// repetitions grow exponentially, and a loop around something that matches
// the empty string multiplies the epsilon closures it computes. Refused:
//  - a repetition right after another ("a++", "a*{2}"): POSIX leaves it
//    undefined (XBD 9.4.6);
//  - "*", "+" or an interval over a part that can match the empty string
//    ("(a*)*", "()+", "(x|)*"); "?" is fine, it does not loop;
//  - more than kMaxEreStates once expanded: one per atom, group and
//    operator, "*"/"?" add one, "+" doubles, "{n,m}" multiplies by
//    max(n,m)+1, "|" adds.
// Real ENUM and S-NAPTR EREs ("^\+?([0-9]{1,3})(.*)$") need a few dozen.
// Bracket expressions are one atom; a '{' that starts no interval counts as
// a literal (regcomp then rejects it).
inline constexpr size_t kMaxEreStates = 1024;

std::string EreProblem(std::string_view ere);

}  // namespace enumd::enumctl
