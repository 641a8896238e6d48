// The TSIG RR on the wire: locating it, reading and writing its fields, and
// the byte sequences a MAC covers.
#include "dns/tsig_wire.h"

#include <cstring>

#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/record_reader.h"

namespace enumd::dns {
namespace {

// Time signed (6) + fudge (2) + MAC size (2), and original ID, error and
// other len (2 each): the fixed parts of TSIG RDATA around the MAC.
constexpr size_t kFixedBeforeMac = 10;
constexpr size_t kFixedAfterMac = 6;

// Reads TSIG RDATA [p, p + len) into *out. The algorithm name must not be
// compressed (RFC 8945 §4.2), so it is read as an uncompressed name.
bool ReadTsigRdata(const uint8_t* p, size_t len, TsigRecord* out) {
  const size_t alg_len = WireNameLength(p, len);
  if (alg_len == 0) return false;
  size_t pos = alg_len;
  if (len - pos < kFixedBeforeMac) return false;
  const uint64_t time_signed = uint64_t{Load16(p + pos)} << 32 | Load32(p + pos + 2);
  const uint16_t fudge = Load16(p + pos + 6);
  const size_t mac_size = Load16(p + pos + 8);
  pos += kFixedBeforeMac;
  if (len - pos < mac_size) return false;
  const size_t mac_at = pos;
  pos += mac_size;
  if (len - pos < kFixedAfterMac) return false;
  const uint16_t original_id = Load16(p + pos);
  const uint16_t error = Load16(p + pos + 2);
  const size_t other_len = Load16(p + pos + 4);
  pos += kFixedAfterMac;
  if (len - pos != other_len) return false;  // Other Data ends RDATA exactly
  out->algorithm.assign(reinterpret_cast<const char*>(p), alg_len);
  out->time_signed = time_signed;
  out->fudge = fudge;
  out->mac.assign(reinterpret_cast<const char*>(p + mac_at), mac_size);
  out->original_id = original_id;
  out->error = error;
  out->other.assign(reinterpret_cast<const char*>(p + pos), other_len);
  return true;
}

void HashLowerName(std::string_view wire, Hmac* h) noexcept {
  uint8_t lower[kMaxNameWire];
  const size_t n = wire.size() < kMaxNameWire ? wire.size() : kMaxNameWire;
  std::memcpy(lower, wire.data(), n);
  if (WireNameLength(lower, n) != n) return;  // not a name: cannot verify, MAC will differ
  LowerName(lower);
  h->Update(lower, n);
}

void Append48(std::string* s, uint64_t v) {
  Append16(s, static_cast<uint16_t>(v >> 32));
  Append32(s, static_cast<uint32_t>(v));
}

}  // namespace

TsigFind FindTsig(const uint8_t* msg, size_t len, TsigRecord* out, size_t* offset) {
  if (len < kHeaderSize) return TsigFind::kMalformed;
  const uint32_t qdcount = Load16(msg + 4);
  const uint32_t records = uint32_t{Load16(msg + 6)} + Load16(msg + 8) + Load16(msg + 10);
  const uint32_t first_additional = records - Load16(msg + 10);
  size_t pos = kHeaderSize;
  uint8_t name[kMaxNameWire];
  size_t name_len = 0;
  for (uint32_t i = 0; i < qdcount; ++i) {
    if (!ReadName(msg, len, &pos, name, &name_len) || len - pos < 4) return TsigFind::kMalformed;
    pos += 4;
  }
  for (uint32_t i = 0; i < records; ++i) {
    const size_t start = pos;
    RRHead rr;
    if (!ReadRR(msg, len, &pos, name, &name_len, &rr)) return TsigFind::kMalformed;
    if (rr.type != type::kTSIG) continue;
    // RFC 8945 §5.2: only as the last record of the additional section; a
    // second TSIG is then necessarily misplaced too.
    if (i + 1 != records || i < first_additional) return TsigFind::kMalformed;
    if (rr.rrclass != rrclass::kANY || rr.ttl != 0) return TsigFind::kMalformed;
    if (pos != len) return TsigFind::kMalformed;
    TsigRecord rec;
    if (!ReadTsigRdata(msg + rr.rdata, rr.rdlen, &rec)) return TsigFind::kMalformed;
    rec.key_name.assign(reinterpret_cast<const char*>(name), name_len);
    *out = std::move(rec);
    *offset = start;
    return TsigFind::kFound;
  }
  if (pos != len) return TsigFind::kMalformed;  // trailing bytes
  *offset = len;
  return TsigFind::kAbsent;
}

bool AppendTsigRecord(const TsigRecord& rec, std::string* msg) {
  if (msg->size() < kHeaderSize) return false;
  auto* header = reinterpret_cast<uint8_t*>(msg->data());
  const uint16_t arcount = Load16(header + 10);
  if (arcount == 0xFFFF) return false;
  const auto* key = reinterpret_cast<const uint8_t*>(rec.key_name.data());
  const auto* alg = reinterpret_cast<const uint8_t*>(rec.algorithm.data());
  if (WireNameLength(key, rec.key_name.size()) != rec.key_name.size() ||
      WireNameLength(alg, rec.algorithm.size()) != rec.algorithm.size())
    return false;
  if (rec.mac.size() > 0xFFFF || rec.other.size() > 0xFFFF) return false;
  const size_t rdlen =
      rec.algorithm.size() + kFixedBeforeMac + rec.mac.size() + kFixedAfterMac + rec.other.size();
  if (rdlen > 0xFFFF) return false;
  if (msg->size() + rec.key_name.size() + kRRFixed + rdlen > kMaxMessage) return false;

  std::string rr = rec.key_name;
  Append16(&rr, type::kTSIG);
  Append16(&rr, rrclass::kANY);
  Append32(&rr, 0);
  Append16(&rr, static_cast<uint16_t>(rdlen));
  rr += rec.algorithm;
  Append48(&rr, rec.time_signed);
  Append16(&rr, rec.fudge);
  Append16(&rr, static_cast<uint16_t>(rec.mac.size()));
  rr += rec.mac;
  Append16(&rr, rec.original_id);
  Append16(&rr, rec.error);
  Append16(&rr, static_cast<uint16_t>(rec.other.size()));
  rr += rec.other;
  *msg += rr;
  Store16(reinterpret_cast<uint8_t*>(msg->data()) + 10, static_cast<uint16_t>(arcount + 1));
  return true;
}

size_t TsigRecordSize(const TsigKey& key, size_t other_len) {
  return key.name.size() + kRRFixed + TsigAlgorithmWire(key.algorithm).size() + kFixedBeforeMac +
         TsigDigestSize(key.algorithm) + kFixedAfterMac + other_len;
}

void HashMac(std::string_view mac, Hmac* h) noexcept {
  h->Update16(static_cast<uint16_t>(mac.size()));
  h->Update(mac);
}

void HashMessage(const uint8_t* msg, size_t length, uint16_t original_id, bool had_tsig,
                 Hmac* h) noexcept {
  uint8_t header[kHeaderSize];
  std::memcpy(header, msg, kHeaderSize);
  Store16(header, original_id);
  if (had_tsig) Store16(header + 10, static_cast<uint16_t>(Load16(header + 10) - 1));
  h->Update(header, kHeaderSize);
  h->Update(msg + kHeaderSize, length - kHeaderSize);
}

void HashTsigVariables(const TsigRecord& rec, bool timers_only, Hmac* h) noexcept {
  uint8_t timers[8];
  Store16(timers, static_cast<uint16_t>(rec.time_signed >> 32));
  Store32(timers + 2, static_cast<uint32_t>(rec.time_signed));
  Store16(timers + 6, rec.fudge);
  if (timers_only) {
    h->Update(timers, sizeof(timers));
    return;
  }
  HashLowerName(rec.key_name, h);
  h->Update16(rrclass::kANY);
  h->Update16(0);  // TTL, 32 bits
  h->Update16(0);
  HashLowerName(rec.algorithm, h);
  h->Update(timers, sizeof(timers));
  h->Update16(rec.error);
  h->Update16(static_cast<uint16_t>(rec.other.size()));
  h->Update(rec.other);
}

std::string ComputeTsigMac(const TsigKey& key, const std::string* prior_mac, const uint8_t* msg,
                           size_t length, bool had_tsig, const TsigRecord& vars, bool timers_only) {
  Hmac h;
  if (!h.Start(key.algorithm, key.secret)) return "";
  if (prior_mac != nullptr) HashMac(*prior_mac, &h);
  HashMessage(msg, length, vars.original_id, had_tsig, &h);
  HashTsigVariables(vars, timers_only, &h);
  return h.Finish();
}

}  // namespace enumd::dns
