#include "enumctl/changes.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "dns/name.h"
#include "zone/e164.h"
#include "zone/zone_file_reader.h"

namespace enumd::enumctl {

namespace {

Result<std::string> NameOf(const std::string& token, const std::string& suffix) {
  if (!token.empty() && token[0] == '+') {
    auto digits = zone::ParseE164(token, false);
    if (!digits.ok()) return digits.status();
    return dns::WireName(zone::DigitsToDomain(*digits, suffix));
  }
  if (token.empty() || token.back() != '.')
    return Status::Error("'" + token + "' is not an absolute name (end it with a dot)");
  std::string wire = dns::WireName(token);
  if (wire.empty()) return Status::Error("'" + token + "' is not a domain name");
  return wire;
}

}  // namespace

Result<std::vector<Change>> ReadChanges(const std::string& path, const std::string& suffix) {
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  std::vector<Change> changes;
  // Records whose RDATA the zone-file reader reads: their text, in order,
  // and which change each belongs to.
  std::string zone_text = "$ORIGIN .\n";
  std::vector<size_t> with_rdata;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    std::string code = text.substr(0, text.find('#'));
    std::istringstream words(code);
    std::string verb, name;
    if (!(words >> verb)) continue;
    auto where = [&](const std::string& why) {
      return Status::Error(path + ":" + std::to_string(line) + ": " + why);
    };
    if (!(words >> name)) return where("'" + verb + "' needs a name");
    auto owner = NameOf(name, suffix);
    if (!owner.ok()) return where(owner.status().message());
    std::string rest;
    std::getline(words, rest);
    Change c;
    c.owner = *owner;
    c.line = line;
    const std::string owner_text = dns::NameToText(reinterpret_cast<const uint8_t*>(owner->data()));
    if (verb == "add") {
      c.kind = Change::Kind::kAdd;
      if (rest.find_first_not_of(" \t") == std::string::npos)
        return where("add needs TTL TYPE RDATA");
      zone_text += owner_text + " " + rest + "\n";
      with_rdata.push_back(changes.size());
    } else if (verb == "del") {
      std::istringstream r(rest);
      std::string type;
      if (!(r >> type)) {
        c.kind = Change::Kind::kDeleteName;
      } else {
        c.type = zone::RecordTypeFromText(type);
        if (c.type == 0) return where("unknown type '" + type + "'");
        std::string rdata;
        std::getline(r, rdata);
        if (rdata.find_first_not_of(" \t") == std::string::npos) {
          c.kind = Change::Kind::kDeleteRRset;
        } else {
          c.kind = Change::Kind::kDeleteRecord;
          zone_text += owner_text + " 0 " + type + " " + rdata + "\n";
          with_rdata.push_back(changes.size());
        }
      }
    } else {
      return where("unknown change '" + verb + "' (add or del)");
    }
    changes.push_back(std::move(c));
  }
  if (with_rdata.empty()) return changes;
  // The RDATA through the zone-file reader, via a file of its own.
  char tmpl[] = "/tmp/enumctl-apply-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return Status::Error("cannot make a temporary file");
  close(fd);
  { std::ofstream(tmpl) << zone_text; }
  zone::ZoneFileReader reader;
  Status st = reader.Open(tmpl, ".");
  size_t next = 0;
  zone::ZoneRecord rec;
  while (st.ok()) {
    zone::ZoneFileReader::Next n = reader.Read(&rec);
    if (n == zone::ZoneFileReader::Next::kEnd) break;
    if (n == zone::ZoneFileReader::Next::kError) {
      st = reader.error();
      break;
    }
    Change& c = changes[with_rdata[next++]];
    c.type = rec.type;
    if (c.kind == Change::Kind::kAdd) c.ttl = rec.ttl;
    c.rdata = rec.rdata;
  }
  unlink(tmpl);
  if (!st.ok()) {
    // "TMP:N: reason" -> "PATH:LINE: reason" (line N holds change N-2).
    std::string m = st.message();
    size_t colon = m.find(':', std::string(tmpl).size());
    int tmp_line = colon == std::string::npos ? 0 : atoi(m.c_str() + std::string(tmpl).size() + 1);
    size_t after = m.find(": ", std::string(tmpl).size() + 1);
    int line = tmp_line >= 2 && static_cast<size_t>(tmp_line - 2) < with_rdata.size()
                   ? changes[with_rdata[static_cast<size_t>(tmp_line - 2)]].line
                   : 0;
    return Status::Error(path + ":" + std::to_string(line) + ": " +
                         (after == std::string::npos ? m : m.substr(after + 2)));
  }
  return changes;
}

void AddTo(const std::vector<Change>& changes, UpdateBuilder* b) {
  for (const Change& c : changes) {
    switch (c.kind) {
      case Change::Kind::kAdd:
        b->Add(c.owner, c.type, c.ttl, c.rdata);
        break;
      case Change::Kind::kDeleteName:
        b->DeleteName(c.owner);
        break;
      case Change::Kind::kDeleteRRset:
        b->DeleteRRset(c.owner, c.type);
        break;
      case Change::Kind::kDeleteRecord:
        b->DeleteRecord(c.owner, c.type, c.rdata);
        break;
    }
  }
}

}  // namespace enumd::enumctl
