// A small lexer and parser for the subset of named.conf that key files use.
#include "dns/tsig_key_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "common/base64.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

struct Token {
  enum Kind { kWord, kString, kPunct, kEnd } kind = kEnd;
  std::string text;
  int line = 0;
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::kEnd:
      return "end of file";
    case Token::kString:
      return "string " + Quote(t.text);
    default:
      return "'" + t.text + "'";
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool IsPunct(char c) { return c == '{' || c == '}' || c == ';'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token, or an error message (without the FILE:LINE prefix) and
  // the line it is on.
  bool Next(Token* t, std::string* error) {
    if (!SkipSpaceAndComments(error)) return false;
    t->line = line_;
    t->text.clear();
    if (pos_ >= text_.size()) {
      t->kind = Token::kEnd;
      return true;
    }
    const char c = text_[pos_];
    if (IsPunct(c)) {
      t->kind = Token::kPunct;
      t->text = c;
      ++pos_;
      return true;
    }
    if (c == '"') {
      // As named.conf: a quoted string may span lines; a backslash takes the
      // next character literally.
      t->kind = Token::kString;
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        if (text_[pos_] == '\n') ++line_;
        t->text += text_[pos_++];
      }
      if (pos_ >= text_.size()) {
        line_ = t->line;  // report where the string starts
        *error = "unterminated string";
        return false;
      }
      ++pos_;
      return true;
    }
    t->kind = Token::kWord;
    while (pos_ < text_.size() && !IsSpace(text_[pos_]) && !IsPunct(text_[pos_]) &&
           text_[pos_] != '"' && !AtComment()) {
      t->text += text_[pos_++];
    }
    return true;
  }

  int line() const { return line_; }

 private:
  bool AtComment() const {
    if (text_[pos_] == '#') return true;
    return text_[pos_] == '/' && pos_ + 1 < text_.size() &&
           (text_[pos_ + 1] == '/' || text_[pos_ + 1] == '*');
  }

  bool SkipSpaceAndComments(std::string* error) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (IsSpace(c)) {
        if (c == '\n') ++line_;
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) {
          *error = "unterminated /* comment";
          return false;
        }
        for (size_t i = pos_; i < end; ++i) line_ += text_[i] == '\n';
        pos_ = end + 2;
      } else {
        return true;
      }
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : lex_(text), file_(file) {}

  Result<std::vector<TsigKey>> Run() {
    std::vector<TsigKey> keys;
    std::map<std::string, int> first_line;  // lower-cased wire name -> line of its statement
    for (;;) {
      Token t;
      if (!Next(&t)) return error_;
      if (t.kind == Token::kEnd) return keys;
      if (t.kind != Token::kWord || !EqualsWord(t.text, "key")) {
        Fail(t.line, "expected 'key', got " + Describe(t));
        return error_;
      }
      const int line = t.line;
      TsigKey key;
      std::string shown;  // the name as in messages: absolute presentation form
      if (!Key(&key, &shown)) return error_;
      const auto [it, inserted] = first_line.emplace(key.name, line);
      if (!inserted) {
        Fail(line, "duplicate key " + Quote(shown) + " (first at line " +
                       std::to_string(it->second) + ")");
        return error_;
      }
      keys.push_back(std::move(key));
    }
  }

 private:
  static bool EqualsWord(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (LowerAscii(static_cast<uint8_t>(a[i])) != static_cast<uint8_t>(b[i])) return false;
    }
    return true;
  }

  // Records the error (the first one wins) and returns false.
  bool Fail(int line, const std::string& reason) {
    if (error_.ok())
      error_ = Status::Error(std::string(file_) + ":" + std::to_string(line) + ": " + reason);
    return false;
  }

  bool Next(Token* t) {
    std::string reason;
    if (lex_.Next(t, &reason)) return true;
    return Fail(lex_.line(), reason);
  }

  bool Expect(const char* punct, const std::string& after) {
    Token t;
    if (!Next(&t)) return false;
    if (t.kind == Token::kPunct && t.text == punct) return true;
    return Fail(t.line, std::string("expected '") + punct + "' " + after + ", got " + Describe(t));
  }

  // A string or word value.
  bool Value(const std::string& what, Token* t) {
    if (!Next(t)) return false;
    if (t->kind == Token::kWord || t->kind == Token::kString) return true;
    return Fail(t->line, "expected " + what + ", got " + Describe(*t));
  }

  // After "key": NAME { clauses } ;
  bool Key(TsigKey* key, std::string* shown) {
    Token name;
    if (!Value("a key name", &name)) return false;
    uint8_t wire[kMaxNameWire];
    const size_t n = NameFromText(name.text, nullptr, wire);
    if (n == 0) {
      return Fail(name.line, "invalid key name " + Quote(name.text));
    }
    LowerName(wire);
    key->name.assign(reinterpret_cast<const char*>(wire), n);
    *shown = NameToText(wire);
    if (!Expect("{", "after the key name")) return false;
    std::optional<TsigAlgorithm> algorithm;
    std::optional<std::string> secret;
    for (;;) {
      Token t;
      if (!Next(&t)) return false;
      if (t.kind == Token::kPunct && t.text == "}") {
        if (!algorithm) return Fail(name.line, "key " + Quote(*shown) + " has no algorithm");
        if (!secret) return Fail(name.line, "key " + Quote(*shown) + " has no secret");
        key->algorithm = *algorithm;
        key->secret = std::move(*secret);
        return Expect(";", "after '}'");
      }
      if (t.kind != Token::kWord) {
        return Fail(t.line, "expected 'algorithm', 'secret' or '}', got " + Describe(t));
      }
      if (EqualsWord(t.text, "algorithm")) {
        if (algorithm) return Fail(t.line, "second algorithm in key " + Quote(*shown));
        Token v;
        if (!Value("an algorithm name", &v)) return false;
        algorithm = TsigAlgorithmFromText(v.text);
        if (!algorithm) return Fail(v.line, UnknownAlgorithm(v.text));
      } else if (EqualsWord(t.text, "secret")) {
        if (secret) return Fail(t.line, "second secret in key " + Quote(*shown));
        Token v;
        if (!Value("a base64 secret", &v)) return false;
        secret = Base64Decode(v.text);
        if (!secret) return Fail(v.line, "secret of key " + Quote(*shown) + " is not valid base64");
        if (secret->empty()) return Fail(v.line, "key " + Quote(*shown) + " has an empty secret");
      } else {
        return Fail(t.line, "unknown clause '" + t.text + "' in key " + Quote(*shown) +
                                " (expected 'algorithm' or 'secret')");
      }
      if (!Expect(";", "after the " + std::string(t.text) + " value")) return false;
    }
  }

  // "hmac-sha256-128" is BIND's syntax for a truncated MAC: say so.
  static std::string UnknownAlgorithm(const std::string& text) {
    const size_t dash = text.rfind('-');
    if (dash != std::string::npos && dash + 1 < text.size() &&
        text.find_first_not_of("0123456789", dash + 1) == std::string::npos &&
        TsigAlgorithmFromText(text.substr(0, dash))) {
      return "truncated MACs (" + Quote(text) + ") are not supported; use " +
             Quote(text.substr(0, dash));
    }
    return "unknown algorithm " + Quote(text) +
           " (expected hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or "
           "hmac-sha512)";
  }

  Lexer lex_;
  std::string_view file_;
  Status error_;
};

}  // namespace

Result<std::vector<TsigKey>> ParseTsigKeyFile(std::string_view text, std::string_view file_name) {
  return Parser(text, file_name).Run();
}

Result<std::vector<TsigKey>> LoadTsigKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxKeyFileSize) {
      return Status::Error(path + ": cannot read: larger than " + std::to_string(kMaxKeyFileSize) +
                           " bytes");
    }
  }
  if (in.bad()) return Status::Error(path + ": cannot read: I/O error");
  return ParseTsigKeyFile(text, path);
}

std::string TsigKeyToText(const TsigKey& key) {
  std::string name = NameToText(reinterpret_cast<const uint8_t*>(key.name.data()));
  if (name.size() > 1) name.pop_back();  // tsig-keygen writes "name", not "name."
  std::string alg(TsigAlgorithmText(key.algorithm));
  alg.pop_back();
  if (key.algorithm == TsigAlgorithm::kHmacMd5) alg = "hmac-md5";
  return "key \"" + name + "\" {\n\talgorithm " + alg + ";\n\tsecret \"" +
         Base64Encode(key.secret) + "\";\n};\n";
}

}  // namespace enumd::dns
