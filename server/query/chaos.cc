#include "query/chaos.h"

#include <cstring>

#include "dns/name.h"

namespace enumd::query {

namespace {

bool IsChaosName(const uint8_t* qname) {
  static const uint8_t* const kNames[] = {
      reinterpret_cast<const uint8_t*>("\x07version\x04"
                                       "bind"),
      reinterpret_cast<const uint8_t*>("\x07version\x06server"),
      reinterpret_cast<const uint8_t*>("\x08hostname\x04"
                                       "bind"),
      reinterpret_cast<const uint8_t*>("\x02id\x06server"),
  };
  for (const uint8_t* n : kNames)
    if (dns::NameEqual(qname, n)) return true;
  return false;
}

}  // namespace

uint16_t AnswerChaos(const dns::ParsedQuery& q, uint16_t flags, const std::string& version,
                     dns::MessageWriter* w) noexcept {
  if (version.empty() || !IsChaosName(q.qname) ||
      (q.qtype != dns::type::kTXT && q.qtype != dns::type::kANY))
    return dns::rcode::kRefused;
  uint8_t txt[256];
  size_t n = version.size() > 255 ? 255 : version.size();
  txt[0] = static_cast<uint8_t>(n);
  std::memcpy(txt + 1, version.data(), n);
  w->SetFlags(flags | dns::flag::kAA);
  w->AddRRPtr(dns::Section::kAnswer, dns::MessageWriter::kQnameOffset, dns::type::kTXT,
              dns::rrclass::kCH, 0, txt, static_cast<uint16_t>(n + 1));
  return dns::rcode::kNoError;
}

}  // namespace enumd::query
