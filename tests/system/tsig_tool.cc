// enumd_test_tsig: enumd's TSIG and UPDATE wire code (server/dns) driven from
// a test, so that real peers (dnspython, nsupdate, named) can check what it
// writes. Messages go in and out as hex, one per line. Not installed.
//
//   enumd_test_tsig answer KEYFILE NOW
//       Each input line is a request. Prints, per request, the answer as a
//       server would send it (header echoed with QR set, the zone section if
//       the UPDATE parsed, RCODE from the checks, TSIG from SignResponse) and
//       the outcome name: "HEX OUTCOME".
//   enumd_test_tsig sign-request KEYFILE KEYNAME NOW
//       Each input line is a message; prints "SIGNED_HEX MAC_HEX".
//   enumd_test_tsig verify KEYFILE KEYNAME REQUEST_MAC_HEX NOW
//       Input lines are the messages of one answer or stream; prints one
//       outcome name per message, then "complete" or "incomplete".
//   enumd_test_tsig stream KEYFILE NOW PATTERN
//       First input line: the request; then one line per answer message.
//       Verifies the request, then signs message i if PATTERN[i] is 'S',
//       leaves it unsigned (TsigStreamSigner::Skip) if 'U'; prints each.
//   enumd_test_tsig keys KEYFILE
//       Prints every key of KEYFILE as TsigKeyToText writes it.
// NOW is seconds since 1970, or "now". Exit 0 on success, 2 on a usage or
// input error (message on stderr).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "common/byte_order.h"
#include "common/hex.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_key_file.h"
#include "dns/tsig_stream.h"
#include "dns/update_message.h"

namespace {

namespace dns = enumd::dns;

[[noreturn]] void Die(const std::string& why) {
  std::cerr << "enumd_test_tsig: " << why << "\n";
  std::exit(2);
}

std::string FromHex(const std::string& hex) {
  std::string bytes;
  if (!enumd::HexDecode(hex, &bytes)) Die("bad hex");
  return bytes;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

uint64_t Now(const std::string& arg) {
  if (arg == "now") return static_cast<uint64_t>(std::time(nullptr));
  return std::stoull(arg);
}

dns::TsigKeyRing Ring(const std::string& path) {
  auto keys = dns::LoadTsigKeyFile(path);
  if (!keys.ok()) Die(keys.status().message());
  dns::TsigKeyRing ring;
  for (auto& k : keys.value()) {
    const enumd::Status s = ring.Add(std::move(k));
    if (!s.ok()) Die(s.message());
  }
  return ring;
}

const dns::TsigKey& KeyNamed(const dns::TsigKeyRing& ring, const std::string& name) {
  const dns::TsigKey* k = ring.Find(dns::WireName(name));
  if (k == nullptr) Die("no key " + name);
  return *k;
}

const char* Name(dns::TsigOutcome o) {
  switch (o) {
    case dns::TsigOutcome::kUnsigned:
      return "unsigned";
    case dns::TsigOutcome::kVerified:
      return "verified";
    case dns::TsigOutcome::kFormErr:
      return "formerr";
    case dns::TsigOutcome::kBadKey:
      return "badkey";
    case dns::TsigOutcome::kBadSig:
      return "badsig";
    case dns::TsigOutcome::kBadTime:
      return "badtime";
    case dns::TsigOutcome::kBadTrunc:
      return "badtrunc";
    case dns::TsigOutcome::kPeerError:
      return "peer-error";
  }
  return "?";
}

std::vector<std::string> InputMessages() {
  std::vector<std::string> out;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty()) out.push_back(FromHex(line));
  }
  return out;
}

// The answer a server would send before any zone is consulted: the header
// echoed with QR, the zone section when the UPDATE parsed, and the first
// rcode the checks give (as update_message.h orders them).
std::string Answer(const std::string& req, const dns::TsigVerification& v) {
  if (req.size() < 12) Die("request shorter than a header");
  dns::UpdateMessage m;
  const dns::ParseOutcome parsed = dns::ParseUpdate(U8(req), req.size(), &m);
  uint16_t rcode = dns::rcode::kNoError;
  if (parsed == dns::ParseOutcome::kFormErr)
    rcode = dns::rcode::kFormErr;
  else if (v.rcode != dns::rcode::kNoError)
    rcode = v.rcode;
  else if (m.zone_rcode != dns::rcode::kNoError)
    rcode = m.zone_rcode;
  else if (m.prescan_rcode != dns::rcode::kNoError)
    rcode = m.prescan_rcode;
  std::string out = req.substr(0, 12);
  auto* h = reinterpret_cast<uint8_t*>(out.data());
  const uint16_t flags = static_cast<uint16_t>((enumd::Load16(h + 2) & 0x7800) | 0x8000 | rcode);
  enumd::Store16(h + 2, flags);
  const bool with_zone = parsed == dns::ParseOutcome::kOk;
  enumd::Store16(h + 4, with_zone ? 1 : 0);
  for (int i = 6; i < 12; i += 2) enumd::Store16(h + i, 0);
  if (with_zone) {
    out += m.zone;
    enumd::Append16(&out, m.zone_type);
    enumd::Append16(&out, m.zone_class);
  }
  return out;
}

int CmdAnswer(const std::string& keyfile, uint64_t now) {
  const dns::TsigKeyRing ring = Ring(keyfile);
  for (const std::string& req : InputMessages()) {
    const dns::TsigVerification v = dns::VerifyRequest(U8(req), req.size(), ring, now);
    std::string answer = Answer(req, v);
    if (!dns::SignResponse(v, now, &answer)) Die("SignResponse failed");
    std::cout << enumd::HexEncode(answer) << " " << Name(v.outcome) << "\n";
  }
  return 0;
}

int CmdSignRequest(const std::string& keyfile, const std::string& keyname, uint64_t now) {
  const dns::TsigKeyRing ring = Ring(keyfile);
  const dns::TsigKey& key = KeyNamed(ring, keyname);
  for (std::string msg : InputMessages()) {
    std::string mac;
    if (!dns::SignRequest(key, now, &msg, &mac)) Die("SignRequest failed");
    std::cout << enumd::HexEncode(msg) << " " << enumd::HexEncode(mac) << "\n";
  }
  return 0;
}

int CmdVerify(const std::string& keyfile, const std::string& keyname, const std::string& mac,
              uint64_t now) {
  const dns::TsigKeyRing ring = Ring(keyfile);
  dns::TsigResponseVerifier verifier(KeyNamed(ring, keyname), FromHex(mac));
  for (const std::string& msg : InputMessages()) {
    std::cout << Name(verifier.Verify(U8(msg), msg.size(), now).outcome) << "\n";
  }
  std::cout << (verifier.complete() ? "complete" : "incomplete") << "\n";
  return 0;
}

int CmdStream(const std::string& keyfile, uint64_t now, const std::string& pattern) {
  const dns::TsigKeyRing ring = Ring(keyfile);
  const std::vector<std::string> msgs = InputMessages();
  if (msgs.empty()) Die("no request");
  const dns::TsigVerification v = dns::VerifyRequest(U8(msgs[0]), msgs[0].size(), ring, now);
  if (v.outcome != dns::TsigOutcome::kVerified) Die(std::string("request: ") + Name(v.outcome));
  if (pattern.size() != msgs.size() - 1) Die("PATTERN must have one letter per message");
  dns::TsigStreamSigner signer(*v.key, v.tsig.mac);
  for (size_t i = 1; i < msgs.size(); ++i) {
    std::string m = msgs[i];
    const bool ok = pattern[i - 1] == 'S' ? signer.Sign(now, &m) : signer.Skip(U8(m), m.size());
    if (!ok)
      Die("cannot " + std::string(pattern[i - 1] == 'S' ? "sign" : "skip") + " message " +
          std::to_string(i));
    std::cout << enumd::HexEncode(m) << "\n";
  }
  return 0;
}

int CmdKeys(const std::string& keyfile) {
  auto keys = dns::LoadTsigKeyFile(keyfile);
  if (!keys.ok()) Die(keys.status().message());
  for (const auto& k : keys.value()) std::cout << dns::TsigKeyToText(k);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 3 && a[0] == "answer") return CmdAnswer(a[1], Now(a[2]));
    if (a.size() == 4 && a[0] == "sign-request") return CmdSignRequest(a[1], a[2], Now(a[3]));
    if (a.size() == 5 && a[0] == "verify") return CmdVerify(a[1], a[2], a[3], Now(a[4]));
    if (a.size() == 4 && a[0] == "stream") return CmdStream(a[1], Now(a[2]), a[3]);
    if (a.size() == 2 && a[0] == "keys") return CmdKeys(a[1]);
  } catch (const std::exception& e) {
    Die(e.what());
  }
  Die("usage: see the comment at the top of tests/system/tsig_tool.cc");
}
