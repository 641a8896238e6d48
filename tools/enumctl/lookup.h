// `enumctl lookup`: what a conforming ENUM client (RFC 6116, RFC 3402/3403)
// or an S-NAPTR client (RFC 3958, 3GPP TS 29.303) does with a server's
// answer, shown to an operator: the name asked, the records, each usable
// record's processing rank, traffic share and result (URI, or gateway and
// addresses), notes on zones that look written for weights, and how the
// answer travelled (TCP after TC).
//
//   enumctl lookup NUMBER [--server HOST[:PORT]] [--suffix S] [--service S]...
//                         [--json] [--timeout MS] [--retries N] [--tcp]
//   enumctl lookup --snaptr DOMAIN --service APP-SERVICE[:APP-PROTOCOL...]...
//
// Exit codes: 0 found; 2 no such number or domain (NXDOMAIN, NODATA, no
// record for the service, no usable record); 1 errors (bad arguments,
// timeout, SERVFAIL, REFUSED, bad answer, a record with an error such as a
// malformed regexp), each with a one-line message on stderr.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "enumctl/dns_client.h"

namespace enumd::enumctl {

struct LookupOptions {
  std::string number;                 // ENUM: an E.164 number, "+61 3 5550 0913"
  std::string snaptr;                 // S-NAPTR: the domain (--snaptr)
  std::string server;                 // --server; empty: the system resolver's first
  std::string suffix = "e164.arpa.";  // --suffix
  std::vector<std::string> services;  // --service, repeatable
  bool json = false;
  bool tcp = false;
  int timeout_ms = 2000;
  int retries = 2;
  bool help = false;
};

// Parses the arguments that follow "lookup". Errors are one line.
Result<LookupOptions> ParseLookupArgs(const std::vector<std::string>& args);

// Runs a parsed lookup against `resolver` (which reports itself as
// `server_text`); writes what stdout gets to *out and the one-line message for
// stderr (empty when none) to *err. Returns the exit code.
int RunLookupWith(const LookupOptions& options, Resolver& resolver, const std::string& server_text,
                  std::string* out, std::string* err);

// The command: argv holds the arguments after "lookup" (argc of them). Prints
// to stdout/stderr and returns the exit code.
int RunLookup(int argc, char** argv);

extern const char* const kLookupUsage;

}  // namespace enumd::enumctl
