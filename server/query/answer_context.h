// What the parts of Responder share while one answer is built: the parsed
// query, the message writer and what the answer has come to. Internal to
// server/query.
#pragma once

#include "dns/message_reader.h"
#include "dns/message_writer.h"
#include "query/responder.h"
#include "zone/zone_table.h"

namespace enumd::query {

struct Responder::Context {
  dns::ParsedQuery q;
  dns::MessageWriter* w = nullptr;
  bool truncated = false;
  const zone::Zone* zone = nullptr;  // the zone answering, once known
  // What the answer came to, for RRL (Responder::last_response): the owner
  // of the SOA of a negative answer (the zone origin), and the cut of a
  // referral (copied: the name being answered is a local buffer).
  const uint8_t* soa_owner = nullptr;
  uint8_t cut[dns::kMaxNameWire];
  size_t cut_len = 0;
};

}  // namespace enumd::query
