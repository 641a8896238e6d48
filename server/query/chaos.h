// CHAOS-class queries (version.bind, id.server and friends): the one answer
// an operator may choose to give about the server itself.
#pragma once

#include <cstdint>
#include <string>

#include "dns/message_reader.h"
#include "dns/message_writer.h"

namespace enumd::query {

// Answers the CH query `q` into `w` (started, flags `flags`): the TXT
// `version` for the names BIND and Knot answer, with AA; REFUSED for
// anything else or when `version` is empty. Returns the rcode.
uint16_t AnswerChaos(const dns::ParsedQuery& q, uint16_t flags, const std::string& version,
                     dns::MessageWriter* w) noexcept;

}  // namespace enumd::query
