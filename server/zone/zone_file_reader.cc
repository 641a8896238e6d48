// Streaming BIND master-file reader (contract in zone_file_reader.h).
//
// Field-level syntax (numbers, TTLs, escapes, names) is in
// zone_file_reader_fields.*, with CheckRecordData().
//
// Pipeline per record: getline() into one reused line buffer -> tokens of one
// logical record (parentheses, quotes, comments, escape checks) in one reused
// text buffer -> directives handled here, or owner/TTL/class/type resolved here
// -> RDATA text to wire, either by the hand-written encoders below for the
// types that fill ENUM zones (NAPTR, A, AAAA, NS, CNAME, PTR, MX, SRV, TXT) or
// by ldns_rr_new_frm_str for everything else (and for any token the encoders
// decline) -> CheckRecordData.
//
// Invariants: nothing grows with the number of records (buffers are reused,
// the include stack is at most kMaxIncludeDepth deep, file names are kept once
// each); ldns only ever sees RDATA text that passed the checks it lacks
// (ldns 1.8.3 wraps out-of-range integers silently, accepts any bytes as hex
// in RFC 3597 data, and parses "TYPE70000" as TYPE4464).
#include "zone/zone_file_reader.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

#include "zone/zone_file_generate.h"
#include "zone/zone_file_reader_fields.h"
#include "zone/zone_file_reader_types.h"

namespace enumd::zone {
namespace {

using fields::EqualsUpper;
using fields::EscapeLength;
using fields::IsAbsoluteText;
using fields::IsDigit;
using fields::kMaxTtl;
using fields::kMaxU16;
using fields::kMaxU32;
using fields::kNoOrigin;
using fields::Num;
using fields::ParseDecimal;
using fields::ParseName;
using fields::ParseTtlText;

constexpr size_t kMaxIncludeDepth = 16;
constexpr size_t kMaxWarnings = 100;
constexpr size_t kMaxRdata = 65535;
// The longest physical line, and the most token text one record may have.
constexpr size_t kMaxLine = size_t{1} << 20;
constexpr size_t kReadBuffer = size_t{1} << 16;

// Type mnemonics for the types ENUM zones are made of; others go to ldns.
struct TypeName {
  std::string_view name;
  uint16_t type;
};
constexpr TypeName kTypeNames[] = {
    {"NAPTR", dns::type::kNAPTR}, {"A", dns::type::kA},       {"NS", dns::type::kNS},
    {"SOA", dns::type::kSOA},     {"AAAA", dns::type::kAAAA}, {"CNAME", dns::type::kCNAME},
    {"PTR", dns::type::kPTR},     {"MX", dns::type::kMX},     {"TXT", dns::type::kTXT},
    {"SRV", dns::type::kSRV},
};

std::string TypeToText(uint16_t type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return std::string(t.name);
  }
  if (const char* name = types::ExtraTypeName(type)) return name;
  const ldns_rr_descriptor* desc = ldns_rr_descript(type);
  if (desc != nullptr && desc->_type == type && desc->_name != nullptr) return desc->_name;
  return "TYPE" + std::to_string(type);
}

// Types whose RDATA the encoders below handle and CheckRecordData() checks.
bool IsCoreType(uint16_t t) {
  using namespace dns::type;
  return t == kA || t == kAAAA || t == kNS || t == kCNAME || t == kPTR || t == kMX || t == kTXT ||
         t == kSRV || t == kNAPTR || t == kSOA;
}

// Whether ldns knows the field layout of `type` (so it can check \# data).
bool LdnsKnowsType(uint16_t type) {
  const ldns_rr_descriptor* desc = ldns_rr_descript(type);
  return desc != nullptr && desc->_type == type && desc->_name != nullptr &&
         strncmp(desc->_name, "TYPE", 4) != 0 && type != LDNS_RR_TYPE_NULL;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct ZoneFileReader::Impl {
  struct Frame {
    int fd = -1;
    std::unique_ptr<char[]> buf;  // read buffer (kReadBuffer bytes)
    size_t pos = 0, end = 0;      // unread bytes are buf[pos, end)
    bool eof = false;
    const std::string* path = nullptr;
    size_t line = 0;                   // lines read so far
    std::string origin;                // current origin, wire; empty until known
    uint8_t owner[dns::kMaxNameWire];  // previous owner, for records starting with a blank
    size_t owner_len = 0;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  struct Token {
    uint32_t off;
    uint32_t len;
    bool quoted;  // text excludes the quotes
  };
  enum class Logical { kRecord, kEof, kError };

  ~Impl() {
    for (Frame& f : stack) close(f.fd);
    if (ldns_origin != nullptr) ldns_rdf_deep_free(ldns_origin);
  }

  // --- state
  std::vector<Frame> stack;
  std::set<std::string> paths;  // every file name a record may point at
  std::string zone_origin;      // wire; empty until known
  bool have_default_ttl = false, have_last_ttl = false;
  uint32_t default_ttl = 0, last_ttl = 0;
  enum class State { kReading, kEnd, kError } state = State::kReading;
  Status error;
  bool has_pending = false;
  ZoneRecord pending;
  uint64_t warning_count = 0;
  std::vector<std::string> warnings;  // the first kMaxWarnings
  // A $GENERATE being expanded: one record per Read() until `next` > `stop`.
  struct Generate {
    bool active = false;
    int64_t next = 0, stop = 0, step = 1;
    std::string lhs, rhs;
    std::vector<std::string> middle;  // [ttl] [class] type, as written
    size_t line = 0;
  } gen;
  std::string gen_text;                        // the expanded rhs
  std::vector<types::TextToken> rdata_tokens;  // reused for EncodeExtraType

  // --- reused buffers
  std::string line;  // the current physical line (at most kMaxLine bytes)
  std::string text;  // token bytes of the current logical record
  std::vector<Token> tokens;
  bool owner_blank = false;  // the record's first line starts with a blank
  size_t rec_line = 0;
  size_t end_line = 0;  // lines in the top file, once it is read to the end
  std::string ldns_text;
  ldns_rdf* ldns_origin = nullptr;
  std::string ldns_origin_wire;

  std::string_view Tok(size_t k) const { return {text.data() + tokens[k].off, tokens[k].len}; }

  Next Fail(const std::string& file, size_t line_no, std::string_view reason) {
    std::string msg;
    msg.reserve(file.size() + reason.size() + 16);
    msg.append(file).append(":").append(std::to_string(line_no)).append(": ").append(reason);
    error = Status::Error(std::move(msg));
    state = State::kError;
    return Next::kError;
  }
  Next FailHere(std::string_view reason) { return Fail(*stack.back().path, rec_line, reason); }
  void WarnHere(std::string_view reason) {
    if (warnings.size() < kMaxWarnings) {
      warnings.push_back(*stack.back().path + ":" + std::to_string(rec_line) + ": " +
                         std::string(reason));
    }
    ++warning_count;
  }
  // A TTL field (BIND: values over 2^31-1 are read as 0, with a warning).
  bool TtlField(std::string_view t, uint32_t* ttl, const char* what);
  // The escape at s[i] is malformed (EscapeLength() == 0).
  Logical FailEscape(const char* s, size_t i, size_t n) {
    size_t end = i + 1;
    while (end < n && end < i + 4 && s[end] != '\n' && s[end] != '\r') ++end;
    FailHere("malformed escape '" + std::string(s + i, end - i) +
             "' (a backslash before a digit must be \\DDD, three digits <= 255; "
             "write \\\\ for a backslash)");
    return Logical::kError;
  }

  // Reads the next physical line of f into `line` (with its '\n', if any).
  // Returns 1 on a line, 0 at the end of the file, -1 on error (reported).
  int ReadLine(Frame& f);
  Status PushFile(const std::string& path, std::string origin, const Frame* parent);
  Logical ReadLogical();
  Next ReadRecord(ZoneRecord* rec);
  bool Directive();  // false on error
  bool StartGenerate();
  Next NextGenerated(ZoneRecord* rec);
  // Tokenizes one physical line (or an expanded $GENERATE rhs) into
  // text/tokens; `depth` is the open-parenthesis count, carried across lines.
  Logical Tokenize(const char* s, size_t n, int* depth);
  Next ParseRecord(ZoneRecord* rec);
  void LearnZoneOrigin(const std::string& origin);
  bool CheckRanges(uint16_t type, size_t first, std::string* reason);
  bool FastRdata(uint16_t type, size_t first, std::string* out);
  Next GenericRdata(uint16_t type, size_t first, std::string* out);
  Next LdnsRdata(uint16_t type, size_t first, std::string* out);
};

Status ZoneFileReader::Impl::PushFile(const std::string& path, std::string origin,
                                      const Frame* parent) {
  const std::string* stored = &*paths.insert(path).first;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error(std::string("cannot open '") + path + "': " + strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    close(fd);
    return Status::Error(std::string("cannot read '") + path + "': not a regular file");
  }
  for (const Frame& f : stack) {
    if (f.dev == st.st_dev && f.ino == st.st_ino) {
      close(fd);
      return Status::Error("$INCLUDE loop: '" + path + "' is already being read");
    }
  }
  Frame f;
  f.fd = fd;
  f.buf = std::make_unique<char[]>(kReadBuffer);
  f.path = stored;
  f.origin = std::move(origin);
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  if (parent != nullptr) {  // BIND: an included file starts with the includer's owner
    memcpy(f.owner, parent->owner, parent->owner_len);
    f.owner_len = parent->owner_len;
  }
  stack.push_back(std::move(f));
  return Status::OK();
}

int ZoneFileReader::Impl::ReadLine(Frame& f) {
  line.clear();
  for (;;) {
    if (f.pos == f.end) {
      if (f.eof) return line.empty() ? 0 : 1;
      ssize_t got = read(f.fd, f.buf.get(), kReadBuffer);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        Fail(*f.path, f.line + 1, std::string("read error: ") + strerror(errno));
        return -1;
      }
      if (got == 0) {
        f.eof = true;
        continue;
      }
      f.pos = 0;
      f.end = static_cast<size_t>(got);
    }
    const char* p = f.buf.get() + f.pos;
    const void* nl = memchr(p, '\n', f.end - f.pos);
    size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : f.end - f.pos;
    // Bounded whatever the input: a record's data is at most 65535 octets,
    // which no sane line needs more than kMaxLine bytes to write.
    if (line.size() + take > kMaxLine) {
      Fail(*f.path, f.line + 1,
           "line longer than " + std::to_string(kMaxLine) +
               " bytes (no record's data exceeds 65535 octets)");
      return -1;
    }
    line.append(p, take);
    f.pos += take;
    if (nl) return 1;
  }
}

// Reads physical lines until one logical record (or directive) is complete.
ZoneFileReader::Impl::Logical ZoneFileReader::Impl::ReadLogical() {
  Frame& f = stack.back();
  text.clear();
  tokens.clear();
  int depth = 0;
  for (;;) {
    int got = ReadLine(f);
    if (got < 0) return Logical::kError;
    if (got == 0) {
      if (depth > 0) {
        FailHere("unbalanced parentheses: '(' not closed before the end of the file");
        return Logical::kError;
      }
      return Logical::kEof;
    }
    ++f.line;
    const char* s = line.data();
    const size_t n = line.size();
    if (depth == 0 && tokens.empty()) {  // a record may start on this line
      owner_blank = n > 0 && (s[0] == ' ' || s[0] == '\t');
      rec_line = f.line;
    }
    if (Tokenize(s, n, &depth) == Logical::kError) return Logical::kError;
    if (depth == 0 && !tokens.empty()) return Logical::kRecord;
  }
}

ZoneFileReader::Impl::Logical ZoneFileReader::Impl::Tokenize(const char* s, size_t n,
                                                             int* depth_io) {
  int& depth = *depth_io;
  auto add_token = [this](const char* p, size_t len, bool quoted) {
    if (text.size() + len > kMaxLine) return false;
    tokens.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(len), quoted});
    text.append(p, len);
    return true;
  };
  auto too_long = [this]() {
    FailHere("record longer than " + std::to_string(kMaxLine) +
             " bytes of text (no record's data exceeds 65535 octets)");
    return Logical::kError;
  };
  size_t i = 0;
  while (i < n) {
    char c = s[i];
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        ++i;
        continue;
      case ';':
        i = n;
        continue;
      case '(':
        ++depth;
        ++i;
        continue;
      case ')':
        if (depth == 0) {
          FailHere("unbalanced parentheses: ')' without '('");
          return Logical::kError;
        }
        --depth;
        ++i;
        continue;
      case '\0':
        FailHere("NUL byte in the file");
        return Logical::kError;
      case '"': {
        size_t start = ++i;
        while (i < n && s[i] != '"') {
          if (s[i] == '\\') {
            size_t len = EscapeLength(s, i, n);
            if (len == 0) return FailEscape(s, i, n);
            i += len;
          } else if (s[i] == '\0') {
            FailHere("NUL byte in the file");
            return Logical::kError;
          } else if (s[i] == '\n') {
            break;
          } else {
            ++i;
          }
        }
        if (i >= n || s[i] != '"') {
          FailHere("unterminated quoted string");
          return Logical::kError;
        }
        if (!add_token(s + start, i - start, true)) return too_long();
        ++i;
        continue;
      }
      default: {
        size_t start = i;
        while (i < n) {
          c = s[i];
          if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
              c == '"') {
            break;
          }
          if (c == '\0') {
            FailHere("NUL byte in the file");
            return Logical::kError;
          }
          if (c == '\\') {
            size_t len = EscapeLength(s, i, n);
            if (len == 0) return FailEscape(s, i, n);
            i += len;
          } else {
            ++i;
          }
        }
        if (!add_token(s + start, i - start, false)) return too_long();
      }
    }
  }
  return Logical::kRecord;
}

void ZoneFileReader::Impl::LearnZoneOrigin(const std::string& origin) {
  zone_origin = origin;
  for (Frame& f : stack) {
    if (f.origin.empty()) f.origin = origin;
  }
}

bool ZoneFileReader::Impl::Directive() {
  auto bad = [this](std::string_view reason) {
    FailHere(reason);
    return false;
  };
  Frame& f = stack.back();
  std::string_view name = Tok(0);
  const size_t args = tokens.size() - 1;
  if (EqualsUpper(name, "$ORIGIN")) {
    if (args != 1) return bad("$ORIGIN takes one domain name");
    uint8_t wire[dns::kMaxNameWire];
    size_t len = 0;
    // RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin.
    if (const char* why = ParseName(Tok(1), f.origin, wire, &len)) {
      return bad(std::string("bad $ORIGIN: ") + why);
    }
    f.origin.assign(reinterpret_cast<const char*>(wire), len);
    if (zone_origin.empty()) LearnZoneOrigin(f.origin);
    return true;
  }
  if (EqualsUpper(name, "$TTL")) {
    if (args != 1) return bad("$TTL takes one TTL");
    if (!TtlField(Tok(1), &default_ttl, "$TTL")) return false;
    have_default_ttl = true;
    return true;
  }
  if (EqualsUpper(name, "$INCLUDE")) {
    if (args < 1 || args > 2) return bad("$INCLUDE takes a file name and an optional origin");
    if (stack.size() >= kMaxIncludeDepth) {
      return bad("$INCLUDE nested more than " + std::to_string(kMaxIncludeDepth) +
                 " deep (an include loop?)");
    }
    std::string origin = f.origin;
    if (args == 2) {
      uint8_t wire[dns::kMaxNameWire];
      size_t len = 0;
      if (const char* why = ParseName(Tok(2), f.origin, wire, &len)) {
        return bad(std::string("bad $INCLUDE origin: ") + why);
      }
      origin.assign(reinterpret_cast<const char*>(wire), len);
    }
    // A relative path is relative to the directory of the including file.
    std::string path(Tok(1));
    if (path.empty() || path[0] != '/') {
      size_t slash = f.path->rfind('/');
      if (slash != std::string::npos) path.insert(0, *f.path, 0, slash + 1);
    }
    Status st = PushFile(path, std::move(origin), &f);
    if (!st.ok()) return bad("$INCLUDE: " + st.message());
    if (args == 2 && zone_origin.empty()) LearnZoneOrigin(stack.back().origin);
    return true;
  }
  if (EqualsUpper(name, "$GENERATE")) return StartGenerate();
  if (EqualsUpper(name, "$DATE")) {
    // BIND's cache dumps carry the time they were written, which BIND reads
    // for a cache's TTLs and ignores in a zone: so do we, once checked.
    std::string_view t = args == 1 ? Tok(1) : std::string_view();
    if (t.size() != 14 ||
        !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("$DATE takes one time, YYYYMMDDHHMMSS");
    return true;
  }
  return bad("unknown directive '" + std::string(name) + "'");
}

bool ZoneFileReader::Impl::TtlField(std::string_view t, uint32_t* ttl, const char* what) {
  uint64_t v = 0;
  Num r = ParseTtlText(t, kMaxU32, &v);
  if (r == Num::kSyntax) {
    FailHere(std::string("bad ") + what + " '" + std::string(t) + "'");
    return false;
  }
  if (r == Num::kRange) {
    FailHere(std::string(what) + " " + std::string(t) + " out of range (max 4294967295)");
    return false;
  }
  if (v > kMaxTtl) {
    // RFC 2181 §8 says to read such a TTL as 0; BIND does so with a warning.
    WarnHere(std::string(what) + " " + std::string(t) +
             " is over 2147483647 (RFC 2181 §8): read as 0, as BIND does");
    v = 0;
  }
  *ttl = static_cast<uint32_t>(v);
  return true;
}

// $GENERATE range lhs [ttl] [class] type rhs (zone_file_generate.h).
bool ZoneFileReader::Impl::StartGenerate() {
  const size_t args = tokens.size() - 1;
  if (args < 4) {
    FailHere("$GENERATE needs a range, an owner, a type and RDATA");
    return false;
  }
  if (args > 6) {
    FailHere("$GENERATE: extra text after the RDATA (quote RDATA that has blanks)");
    return false;
  }
  generate::Range range;
  if (tokens[1].quoted) {
    FailHere("bad $GENERATE range (start-stop[/step])");
    return false;
  }
  if (const char* why = generate::ParseRange(Tok(1), &range)) {
    FailHere(why);
    return false;
  }
  gen.lhs.assign(Tok(2));
  gen.middle.clear();
  for (size_t k = 3; k < tokens.size() - 1; ++k) gen.middle.emplace_back(Tok(k));
  // The rhs is one token; inside quotes \" stands for a quote (as in BIND).
  gen.rhs.clear();
  std::string_view rhs = Tok(tokens.size() - 1);
  for (size_t i = 0; i < rhs.size(); ++i) {
    if (tokens.back().quoted && rhs[i] == '\\' && i + 1 < rhs.size() && rhs[i + 1] == '"') ++i;
    gen.rhs.push_back(rhs[i]);
  }
  // A bad template fails the same way for every value, and a value out of
  // range first at the last one: report either here.
  const int64_t last = range.start + (range.stop - range.start) / range.step * range.step;
  const char* why = nullptr;
  for (int64_t v : {range.start, last}) {
    gen_text.clear();
    if (why == nullptr) why = generate::Expand(gen.lhs, v, &gen_text);
    if (why == nullptr) why = generate::Expand(gen.rhs, v, &gen_text);
  }
  if (why != nullptr) {
    FailHere(why);
    return false;
  }
  gen.active = true;
  gen.next = range.start;
  gen.stop = range.stop;
  gen.step = range.step;
  gen.line = rec_line;
  return true;
}

ZoneFileReader::Next ZoneFileReader::Impl::NextGenerated(ZoneRecord* rec) {
  const int64_t value = gen.next;
  if (gen.stop - gen.next < gen.step) {
    gen.active = false;
  } else {
    gen.next += gen.step;
  }
  text.clear();
  tokens.clear();
  owner_blank = false;
  rec_line = gen.line;
  gen_text.clear();
  generate::Expand(gen.lhs, value, &gen_text);  // checked by StartGenerate()
  tokens.push_back({0, static_cast<uint32_t>(gen_text.size()), false});
  text.append(gen_text);
  for (const std::string& m : gen.middle) {
    tokens.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(m.size()), false});
    text.append(m);
  }
  gen_text.clear();
  generate::Expand(gen.rhs, value, &gen_text);
  int depth = 0;
  if (Tokenize(gen_text.data(), gen_text.size(), &depth) == Logical::kError) return Next::kError;
  if (depth != 0) return FailHere("$GENERATE: unbalanced parentheses in the RDATA");
  // A generated record does not become the owner of the lines that follow.
  Frame& f = stack.back();
  uint8_t owner[dns::kMaxNameWire];
  const size_t owner_len = f.owner_len;
  memcpy(owner, f.owner, owner_len);
  Next r = ParseRecord(rec);
  memcpy(f.owner, owner, owner_len);
  f.owner_len = owner_len;
  rec->generated = true;
  return r;
}

ZoneFileReader::Next ZoneFileReader::Impl::ReadRecord(ZoneRecord* rec) {
  for (;;) {
    if (gen.active) return NextGenerated(rec);
    Logical r = ReadLogical();
    if (r == Logical::kError) return Next::kError;
    if (r == Logical::kEof) {
      close(stack.back().fd);
      end_line = stack.back().line;
      stack.pop_back();
      if (stack.empty()) {
        state = State::kEnd;
        return Next::kEnd;
      }
      continue;
    }
    if (!owner_blank && !tokens[0].quoted && tokens[0].len > 0 && text[tokens[0].off] == '$') {
      if (!Directive()) return Next::kError;
      continue;
    }
    return ParseRecord(rec);
  }
}

ZoneFileReader::Next ZoneFileReader::Impl::ParseRecord(ZoneRecord* rec) {
  Frame& f = stack.back();
  const size_t n = tokens.size();
  size_t k = owner_blank ? 0 : 1;
  // TTL and class, in either order (RFC 1035 §5.1).
  bool have_ttl = false, have_class = false, ttl_from_soa = false;
  uint32_t ttl = 0;
  for (int slot = 0; slot < 2 && k < n && !tokens[k].quoted; ++slot) {
    std::string_view t = Tok(k);
    if (!have_ttl && IsDigit(t[0])) {
      if (!TtlField(t, &ttl, "TTL")) return Next::kError;
      have_ttl = true;
    } else if (!have_class && (EqualsUpper(t, "IN") || EqualsUpper(t, "CLASS1"))) {
      have_class = true;
    } else if (!have_class &&
               (EqualsUpper(t, "CH") || EqualsUpper(t, "HS") || EqualsUpper(t, "CS") ||
                EqualsUpper(t, "NONE") || EqualsUpper(t, "ANY") ||
                (t.size() > 5 && EqualsUpper(t.substr(0, 5), "CLASS")))) {
      return FailHere("class " + std::string(t) + " is not supported (only IN)");
    } else {
      break;
    }
    ++k;
  }
  if (k >= n) return FailHere("missing type");
  // Type.
  uint16_t type = 0;
  {
    std::string_view t = Tok(k);
    if (tokens[k].quoted) return FailHere("bad type '\"" + std::string(t) + "\"'");
    type = RecordTypeFromText(t);
    if (type == 0) return FailHere("unknown type '" + std::string(t) + "'");
    // RFC 6895 §3.1: OPT and the meta/query range 128-255 never appear in zone data.
    if (type == dns::type::kOPT || (type >= 128 && type <= 255)) {
      return FailHere("type " + std::string(t) + " cannot appear in zone data");
    }
  }
  ++k;
  // Owner (after the type: with no origin yet, an absolute SOA owner defines it).
  if (owner_blank) {
    if (f.owner_len == 0) return FailHere("no owner name (the first record starts with a blank)");
  } else {
    if (tokens[0].quoted) return FailHere("bad owner name (quoted)");
    std::string_view t = Tok(0);
    if (zone_origin.empty() && !(type == dns::type::kSOA && IsAbsoluteText(t))) {
      return FailHere(kNoOrigin);
    }
    size_t len = 0;
    if (const char* why = ParseName(t, f.origin, f.owner, &len)) {
      f.owner_len = 0;
      return FailHere(std::string("bad owner name '") + std::string(t) + "': " + why);
    }
    f.owner_len = len;
    if (zone_origin.empty()) {
      LearnZoneOrigin(std::string(reinterpret_cast<const char*>(f.owner), len));
    }
  }
  // TTL defaults (BIND): $TTL if set, else the last explicit TTL.
  if (have_ttl) {
    last_ttl = ttl;
    have_last_ttl = true;
  } else if (have_default_ttl) {
    ttl = default_ttl;
  } else if (have_last_ttl) {
    ttl = last_ttl;
  } else if (type == dns::type::kSOA) {
    ttl_from_soa = true;  // RFC 1035 §3.3.13: the SOA's minimum (set below)
  } else {
    return FailHere("no TTL (no $TTL, and no earlier record with a TTL or SOA without one)");
  }
  // APL is the one type whose RDATA may be empty (RFC 3123 §4).
  if (k >= n && type != 42) return FailHere("missing RDATA for " + TypeToText(type));

  rec->rdata.clear();
  rdata_tokens.clear();
  if (k >= n || tokens[k].quoted || Tok(k) != "\\#") {
    for (size_t j = k; j < n; ++j) rdata_tokens.push_back({Tok(j), tokens[j].quoted});
  }
  std::string extra_reason;
  types::Encoded extra =
      rdata_tokens.empty() && k < n
          ? types::Encoded::kNotMine
          : types::EncodeExtraType(type, rdata_tokens, f.origin, &rec->rdata, &extra_reason);
  if (extra == types::Encoded::kError) {
    return FailHere("bad " + TypeToText(type) + " rdata: " + extra_reason);
  } else if (extra == types::Encoded::kOk) {
    // done
  } else if (!tokens[k].quoted && Tok(k) == "\\#") {
    if (GenericRdata(type, k, &rec->rdata) == Next::kError) return Next::kError;
  } else {
    std::string reason;
    if (!CheckRanges(type, k, &reason)) return FailHere(reason);
    if (!FastRdata(type, k, &rec->rdata)) {
      rec->rdata.clear();
      if (LdnsRdata(type, k, &rec->rdata) == Next::kError) return Next::kError;
    }
  }
  if (rec->rdata.size() > kMaxRdata) return FailHere("RDATA longer than 65535 octets");
  if (ttl_from_soa) {
    if (rec->rdata.size() < 20) return FailHere("malformed SOA rdata");
    const uint8_t* m = reinterpret_cast<const uint8_t*>(rec->rdata.data()) + rec->rdata.size() - 4;
    uint32_t minimum = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
    ttl = minimum > kMaxTtl ? 0 : minimum;
    // BIND then uses it as the default TTL, as if $TTL had said so.
    default_ttl = ttl;
    have_default_ttl = true;
    WarnHere("no TTL: using the SOA's minimum, " + std::to_string(ttl) +
             " (RFC 1035 §3.3.13), as BIND does");
  }
  std::string why =
      CheckRecordData(type, reinterpret_cast<const uint8_t*>(rec->rdata.data()), rec->rdata.size());
  if (!why.empty()) return FailHere(why);

  memcpy(rec->owner, f.owner, f.owner_len);
  rec->owner_len = f.owner_len;
  rec->type = type;
  rec->rrclass = dns::rrclass::kIN;
  rec->ttl = ttl;
  rec->file = f.path;
  rec->line = rec_line;
  rec->generated = false;
  return Next::kRecord;
}

// Field counts and integer ranges ldns does not check (it wraps 70000 to 4464
// and 4294967296 to 0). Only for the core types; \# data is checked elsewhere.
bool ZoneFileReader::Impl::CheckRanges(uint16_t type, size_t first, std::string* reason) {
  struct Field {
    uint8_t index;
    bool ttl_syntax;
    uint64_t max;
    const char* what;
  };
  static constexpr Field kMx[] = {{0, false, kMaxU16, "preference"}};
  static constexpr Field kSrv[] = {
      {0, false, kMaxU16, "priority"}, {1, false, kMaxU16, "weight"}, {2, false, kMaxU16, "port"}};
  static constexpr Field kNaptr[] = {{0, false, kMaxU16, "order"},
                                     {1, false, kMaxU16, "preference"}};
  static constexpr Field kSoa[] = {{2, false, kMaxU32, "serial"},
                                   {3, true, kMaxU32, "refresh"},
                                   {4, true, kMaxU32, "retry"},
                                   {5, true, kMaxU32, "expire"},
                                   {6, true, kMaxU32, "minimum"}};
  const Field* fields = nullptr;
  size_t nfields = 0, want = 0;
  using namespace dns::type;
  switch (type) {
    case kA:
    case kAAAA:
    case kNS:
    case kCNAME:
    case kPTR:
      want = 1;
      break;
    case kMX:
      fields = kMx;
      nfields = 1;
      want = 2;
      break;
    case kSRV:
      fields = kSrv;
      nfields = 3;
      want = 4;
      break;
    case kNAPTR:
      fields = kNaptr;
      nfields = 2;
      want = 6;
      break;
    case kSOA:
      fields = kSoa;
      nfields = 5;
      want = 7;
      break;
    case 22: {  // NSAP: "0x" and whole octets; ldns pads an odd last nibble, BIND refuses it
      std::string_view t = tokens.size() > first ? Tok(first) : std::string_view();
      size_t digits = 0;
      for (size_t i = 2; i < t.size(); ++i) digits += t[i] != '.';
      if (digits % 2 != 0) {
        *reason = "NSAP address has an odd number of hex digits";
        return false;
      }
      if (digits == 0) {
        *reason = "NSAP address is empty";
        return false;
      }
      return true;
    }
    case 50:  // NSEC3: the next hashed owner is unpadded base32hex (RFC 5155 §3.3)
      if (tokens.size() > first + 4 && Tok(first + 4).find('=') != std::string_view::npos) {
        *reason = "NSEC3 next hashed owner name is padded (RFC 5155 §3.3: no padding)";
        return false;
      }
      return true;
    default:
      return true;
  }
  const size_t have = tokens.size() - first;
  if (have != want) {
    *reason = TypeToText(type) + " needs " + std::to_string(want) + " RDATA field" +
              (want == 1 ? "" : "s") + ", found " + std::to_string(have);
    return false;
  }
  for (size_t i = 0; i < nfields; ++i) {
    const Field& fd = fields[i];
    size_t k = first + fd.index;
    std::string_view t = Tok(k);
    uint64_t v = 0;
    Num r = tokens[k].quoted ? Num::kSyntax
            : fd.ttl_syntax  ? ParseTtlText(t, fd.max, &v)
                             : ParseDecimal(t, fd.max, &v);
    if (r == Num::kOk) continue;
    *reason = TypeToText(type) + " " + fd.what + " '" + std::string(t) + "' " +
              (r == Num::kRange ? "out of range (max " + std::to_string(fd.max) + ")"
                                : "is not a number");
    return false;
  }
  return true;
}

// Hand-written encoders for the types ENUM zones are made of. They return
// false on anything they do not handle (the caller then asks ldns, which also
// produces the error message); tests check them byte for byte against ldns.
bool ZoneFileReader::Impl::FastRdata(uint16_t type, size_t first, std::string* out) {
  const std::string& origin = stack.back().origin;
  const size_t n = tokens.size();
  auto plain = [&](size_t k) { return !tokens[k].quoted; };
  auto u16 = [&](size_t k) {  // ranges were checked by CheckRanges()
    uint64_t v = 0;
    ParseDecimal(Tok(k), kMaxU16, &v);
    fields::AppendU16(v, out);
  };
  using namespace dns::type;
  switch (type) {
    case kNAPTR:  // order preference flags services regexp replacement (RFC 3403 §4.1)
      if (!plain(first + 5)) return false;
      u16(first);
      u16(first + 1);
      return fields::AppendCharString(Tok(first + 2), out) &&
             fields::AppendCharString(Tok(first + 3), out) &&
             fields::AppendCharString(Tok(first + 4), out) &&
             fields::AppendName(Tok(first + 5), origin, out);
    case kA:
    case kAAAA: {
      std::string_view t = Tok(first);
      char buf[64];
      if (!plain(first) || t.size() >= sizeof(buf)) return false;
      memcpy(buf, t.data(), t.size());
      buf[t.size()] = '\0';
      uint8_t addr[16];
      if (inet_pton(type == kA ? AF_INET : AF_INET6, buf, addr) != 1) return false;
      out->append(reinterpret_cast<const char*>(addr), type == kA ? 4 : 16);
      return true;
    }
    case kNS:
    case kCNAME:
    case kPTR:
      return plain(first) && fields::AppendName(Tok(first), origin, out);
    case kMX:
      if (!plain(first + 1)) return false;
      u16(first);
      return fields::AppendName(Tok(first + 1), origin, out);
    case kSRV:
      if (!plain(first + 3)) return false;
      u16(first);
      u16(first + 1);
      u16(first + 2);
      return fields::AppendName(Tok(first + 3), origin, out);
    case kTXT:
      for (size_t k = first; k < n; ++k) {
        if (!fields::AppendCharString(Tok(k), out)) return false;
      }
      return true;
    default:
      return false;
  }
}

// RFC 3597 §5: \# <length> <hex>... ; the hex may be split over tokens.
ZoneFileReader::Next ZoneFileReader::Impl::GenericRdata(uint16_t type, size_t first,
                                                        std::string* out) {
  const size_t n = tokens.size();
  uint64_t len = 0;
  if (first + 1 >= n || tokens[first + 1].quoted ||
      ParseDecimal(Tok(first + 1), kMaxRdata, &len) != Num::kOk) {
    return FailHere("bad RFC 3597 rdata: '\\#' must be followed by a length 0-65535");
  }
  for (size_t k = first + 2; k < n; ++k) {
    std::string_view t = Tok(k);
    if (tokens[k].quoted) return FailHere("bad RFC 3597 rdata: quoted hex");
    for (size_t i = 0; i < t.size(); ++i) {
      if (HexValue(t[i]) < 0) {
        return FailHere("bad RFC 3597 rdata: not hex '" + std::string(t) + "'");
      }
    }
  }
  out->clear();
  int hi = -1;
  for (size_t k = first + 2; k < n; ++k) {
    for (char c : Tok(k)) {
      if (hi < 0) {
        hi = HexValue(c);
      } else {
        out->push_back(static_cast<char>(hi * 16 + HexValue(c)));
        hi = -1;
      }
    }
  }
  if (hi >= 0 || out->size() != len) {
    return FailHere("bad RFC 3597 rdata: length " + std::to_string(len) + " but " +
                    std::to_string(out->size()) + (hi >= 0 ? ".5" : "") + " octets of hex");
  }
  // ldns knows the layout of more types than CheckRecordData(); let it check them.
  if (!IsCoreType(type) && LdnsKnowsType(type)) {
    out->clear();
    return LdnsRdata(type, first, out);
  }
  return Next::kRecord;
}

ZoneFileReader::Next ZoneFileReader::Impl::LdnsRdata(uint16_t type, size_t first,
                                                     std::string* out) {
  const std::string& origin = stack.back().origin;
  if (ldns_origin == nullptr || ldns_origin_wire != origin) {
    if (ldns_origin != nullptr) ldns_rdf_deep_free(ldns_origin);
    ldns_origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, origin.size(), origin.data());
    ldns_origin_wire = origin;
    if (ldns_origin == nullptr) return FailHere("out of memory");
  }
  // Owner, TTL and class are resolved already; ldns gets the type as TYPEnnn
  // (its mnemonic lookup is a linear scan and accepts "TYPE35x").
  ldns_text.assign(". 0 IN TYPE");
  ldns_text.append(std::to_string(type));
  for (size_t k = first; k < tokens.size(); ++k) {
    ldns_text.push_back(' ');
    if (tokens[k].quoted) ldns_text.push_back('"');
    ldns_text.append(Tok(k));
    if (tokens[k].quoted) ldns_text.push_back('"');
  }
  // NSEC3's next hashed owner is unpadded base32hex (RFC 5155 §3.3), of any
  // length; ldns decodes only whole 8-character groups (and a padded group
  // wrongly), so it is decoded here and put in place of what ldns made of
  // a stand-in of the same form.
  std::string hash;
  if (type == 50 && tokens.size() > first + 4) {
    if (!types::Base32HexUnpadded(Tok(first + 4), &hash) || hash.empty() || hash.size() > 255)
      return FailHere("bad NSEC3 rdata: the next hashed owner name is not base32hex");
    ldns_text.assign(". 0 IN TYPE50");
    for (size_t k = first; k < tokens.size(); ++k) {
      ldns_text.push_back(' ');
      ldns_text.append(k == first + 4 ? std::string_view("00000000") : Tok(k));
    }
  }
  ldns_rr* rr = nullptr;
  ldns_status st = ldns_rr_new_frm_str(&rr, ldns_text.c_str(), 0, ldns_origin, nullptr);
  if (st != LDNS_STATUS_OK) {
    if (rr != nullptr) ldns_rr_free(rr);
    return FailHere("bad " + TypeToText(type) + " rdata: " + ldns_get_errorstr_by_id(st));
  }
  if (ldns_rr_get_type(rr) != type) {
    ldns_rr_free(rr);
    return FailHere("bad " + TypeToText(type) + " rdata");
  }
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
    if (type == 50 && i == 4 && !hash.empty()) {  // the stand-in: length 5 and 5 zeros
      out->push_back(static_cast<char>(hash.size()));
      out->append(hash);
      continue;
    }
    out->append(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
  }
  ldns_rr_free(rr);
  return Next::kRecord;
}

ZoneFileReader::ZoneFileReader() : impl_(std::make_unique<Impl>()) {}
ZoneFileReader::~ZoneFileReader() = default;

uint16_t RecordTypeFromText(std::string_view t) {
  for (const TypeName& tn : kTypeNames) {
    if (EqualsUpper(t, tn.name)) return tn.type;
  }
  if (uint16_t type = types::ExtraTypeByName(t); type != 0) return type;
  uint64_t v = 0;
  if (t.size() > 4 && EqualsUpper(t.substr(0, 4), "TYPE")) {
    if (ParseDecimal(t.substr(4), kMaxU16, &v) == Num::kOk) return static_cast<uint16_t>(v);
    return 0;
  }
  if (t.empty() || t.size() >= 32) return 0;
  char buf[32];
  memcpy(buf, t.data(), t.size());
  buf[t.size()] = '\0';
  return ldns_get_rr_type_by_name(buf);
}

Status ZoneFileReader::Open(const std::string& path, const std::string& origin_text) {
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  if (origin_text == "@") {
    m.state = Impl::State::kError;
    m.error = Status::Error("invalid origin '@': not a domain name");
    return m.error;
  }
  if (!origin_text.empty()) {
    std::string text = origin_text;
    if (!IsAbsoluteText(text)) text.push_back('.');
    uint8_t wire[dns::kMaxNameWire];
    size_t len = 0;
    const char* why = ParseName(text, {}, wire, &len);
    if (why != nullptr) {
      m.state = Impl::State::kError;
      m.error = Status::Error("invalid origin '" + origin_text + "': " + why);
      return m.error;
    }
    m.zone_origin.assign(reinterpret_cast<const char*>(wire), len);
  }
  Status st = m.PushFile(path, m.zone_origin, nullptr);
  if (!st.ok()) {
    m.state = Impl::State::kError;
    m.error = st;
    return st;
  }
  if (!m.zone_origin.empty()) return Status::OK();
  // Find the origin: read up to the first record (kept for the first Read()).
  const std::string top = *m.stack.front().path;
  Next r = m.ReadRecord(&m.pending);
  if (r == Next::kError) return m.error;
  if (m.zone_origin.empty()) {  // the file has no record at all
    m.Fail(top, m.end_line == 0 ? 1 : m.end_line, kNoOrigin);
    return m.error;
  }
  m.has_pending = r == Next::kRecord;
  return Status::OK();
}

ZoneFileReader::Next ZoneFileReader::Read(ZoneRecord* rec) {
  Impl& m = *impl_;
  if (m.has_pending) {
    m.has_pending = false;
    memcpy(rec->owner, m.pending.owner, m.pending.owner_len);
    rec->owner_len = m.pending.owner_len;
    rec->type = m.pending.type;
    rec->rrclass = m.pending.rrclass;
    rec->ttl = m.pending.ttl;
    rec->rdata.swap(m.pending.rdata);
    rec->file = m.pending.file;
    rec->line = m.pending.line;
    return Next::kRecord;
  }
  switch (m.state) {
    case Impl::State::kError:
      return Next::kError;
    case Impl::State::kEnd:
      return Next::kEnd;
    case Impl::State::kReading:
      break;
  }
  if (m.stack.empty()) {  // Open() was not called or failed
    m.state = Impl::State::kError;
    if (m.error.ok()) m.error = Status::Error("ZoneFileReader: Read() before a successful Open()");
    return Next::kError;
  }
  return m.ReadRecord(rec);
}

const Status& ZoneFileReader::error() const { return impl_->error; }

const std::string& ZoneFileReader::origin_wire() const { return impl_->zone_origin; }

uint64_t ZoneFileReader::warning_count() const { return impl_->warning_count; }

const std::vector<std::string>& ZoneFileReader::warnings() const { return impl_->warnings; }

}  // namespace enumd::zone
