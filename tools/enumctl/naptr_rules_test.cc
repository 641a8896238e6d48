// Tests of RFC 3402 rule application: substitution expressions on the RFC
// examples and on every record of the ENUM playground zone
// (zones/playground/e164.arpa.db), ENUM services and flags, the walk through
// non-terminal rules, and ranking. Each expected URI is derived from the RFC
// algorithm, and the comment says how.
#include "enumctl/naptr_rules.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "enumctl/fake_resolver_test.h"

namespace enumd::enumctl {
namespace {

using testing::FakeResolver;

// The URI (or "<no match>" / "<error: ...>") a REGEXP field yields for `aus`.
std::string Apply(const std::string& field, const std::string& aus) {
  auto r = ApplySubstExpr(field, aus);
  if (!r.ok()) return "<error: " + r.status().message() + ">";
  if (!r->matched) return "<no match>";
  return r->output;
}

bool IsError(const std::string& field, const std::string& aus = "+61355500911") {
  return !ApplySubstExpr(field, aus).ok();
}

std::string ErrorOf(const std::string& field, const std::string& aus = "+61355500911") {
  auto r = ApplySubstExpr(field, aus);
  return r.ok() ? "" : r.status().message();
}

std::vector<EnumService> Sip() { return {*ParseEnumServiceArg("E2U+sip")}; }

Naptr Rec(uint16_t order, uint16_t pref, const std::string& flags, const std::string& service,
          const std::string& regexp, const std::string& replacement = ".") {
  Naptr n;
  n.order = order;
  n.preference = pref;
  n.flags = flags;
  n.service = service;
  n.regexp = regexp;
  n.replacement = replacement;
  return n;
}

}  // namespace

TEST_CASE("ParseSubstExpr splits at the delimiter the field starts with") {
  auto e = ParseSubstExpr("!^.*$!sip:61355500912@10.0.1.98!");
  REQUIRE(e.ok());
  CHECK(e->delim == '!');
  CHECK(e->ere == "^.*$");
  CHECK(e->repl == "sip:61355500912@10.0.1.98");
  CHECK_FALSE(e->icase);
  // Any octet but a digit, a backslash or the flag may delimit (RFC 3402 §3.2).
  auto slash = ParseSubstExpr("/^(.*)$/sip:\\1@example.com/i");
  REQUIRE(slash.ok());
  CHECK(slash->delim == '/');
  CHECK(slash->ere == "^(.*)$");
  CHECK(slash->icase);
  CHECK(slash->max_backref == 1);
  // An escaped delimiter is the character itself inside the ERE.
  auto esc = ParseSubstExpr("#^a\\#b$#x#");
  REQUIRE(esc.ok());
  CHECK(esc->ere == "^a#b$");
  // Other escapes reach regcomp untouched: "\." is a literal dot.
  CHECK(ParseSubstExpr("!^a\\.b$!x!")->ere == "^a\\.b$");
}

TEST_CASE("malformed substitution expressions are errors that say why") {
  CHECK(ErrorOf("").find("empty") != std::string::npos);
  CHECK(ErrorOf("!^.*$!sip:x@y").find("2 unescaped delimiter") != std::string::npos);
  CHECK(ErrorOf("!^.*$").find("1 unescaped delimiter") != std::string::npos);
  CHECK(ErrorOf("!^.*$!x!!").find("more than three") != std::string::npos);
  CHECK(ErrorOf("1^.*$1x1").find("digit") != std::string::npos);
  CHECK(ErrorOf("\\^.*$\\x\\").find("backslash") != std::string::npos);
  CHECK(ErrorOf("i^.*$ixi").find("flag character") != std::string::npos);
  CHECK(ErrorOf("!^.*$!x!g").find("unknown flag 'g'") != std::string::npos);
  CHECK(ErrorOf("!!x!").find("ERE is empty") != std::string::npos);
  CHECK(ErrorOf("!^.*$!x\\").find("lone backslash") != std::string::npos);
  CHECK(ErrorOf(std::string("!^.*$!a\0b!", 10)).find("NUL") != std::string::npos);
  // \0 is not a back-reference (RFC 3402 §3.2: POS-DIGIT = %x31-39).
  CHECK(ErrorOf("!^(.*)$!sip:\\0@x!").find("\\0 is not a back-reference") != std::string::npos);
  // A back-reference to a group the ERE does not have.
  CHECK(ErrorOf("!^.*$!sip:\\1@x!").find("\\1 but the ERE has 0 group(s)") != std::string::npos);
  CHECK(ErrorOf("!^(a)(b)$!\\3!").find("\\3 but the ERE has 2 group(s)") != std::string::npos);
  // Not a POSIX ERE: regcomp's own message is quoted.
  const std::string unbalanced = ErrorOf("!(^.*$!sip:x@y!");
  CHECK(unbalanced.find("not a POSIX extended regular expression") != std::string::npos);
  CHECK(IsError("!^[a-!x!"));
  CHECK(IsError("!a{2,1}!x!"));
  // Non-printable bytes are quoted as \DDD, never raw.
  CHECK(ErrorOf("!^.*$!x!\x07").find("\\007") != std::string::npos);
}

TEST_CASE("EREs that would make regcomp build huge trees are refused before it runs") {
  auto refused = [](const std::string& field, const std::string& why) {
    const std::string e = ErrorOf(field);
    return e.find("is refused: ") != std::string::npos && e.find(why) != std::string::npos;
  };
  // Fuzz findings: 2 GB for stacked '+', each of which doubles the tree...
  const std::string stacked = "!(^.)" + std::string(56, '+') + "*!x!";
  CHECK(refused(stacked, "a repetition follows a repetition"));
  CHECK(refused("!a*{2}!x!", "a repetition follows a repetition"));
  CHECK(refused("!a?+!x!", "a repetition follows a repetition"));
  // ...and seconds to minutes for loops around what matches the empty string.
  CHECK(refused("!()+~!x!", "can match the empty string"));
  CHECK(refused("!(()*)?{12}!x!", "can match the empty string"));
  CHECK(refused("!((a*)*){100}!x!", "can match the empty string"));
  CHECK(refused("!(x|)+!x!", "can match the empty string"));
  CHECK(refused("!(|x)*!x!", "can match the empty string"));
  CHECK(refused("!(a?b*){2,}!x!", "can match the empty string"));
  CHECK(refused("!(^)*!x!", "can match the empty string"));
  CHECK(refused("!(^$)+!x!", "can match the empty string"));
  // Nested intervals multiply: 100 * 100 * 100 copies.
  CHECK(refused("!((a{100}){100}){100}!x!", "repeats too much"));
  CHECK(refused("!(a{1,2000})!x!", "repeats too much"));
  CHECK(refused("!a{99999999999999999999}!x!", "repeats too much"));
  // Alternatives add up: 20 branches of 60 copies each.
  std::string wide = "!(";
  for (int i = 0; i < 20; ++i) wide += (i ? "|" : "") + std::string("b{60}");
  CHECK(refused(wide + ")!x!", "repeats too much"));
  // What ENUM and S-NAPTR zones really hold stays well inside the bounds.
  // (Leftmost-longest: the first group takes three digits.)
  CHECK(Apply("!^\\+?([0-9]{1,3})([0-9]{4,14})$!sip:\\2@cc\\1.example!", "+61355500911") ==
        "sip:55500911@cc613.example");
  CHECK(Apply("!^(\\+44)?(20[0-9]{8}|7[0-9]{9})$!sip:\\2@gw!", "+442079460123") ==
        "sip:2079460123@gw");
  CHECK(Apply("!^[]a[:digit:]+]{2,15}$!ok!", "+6135") == "ok");
  CHECK(Apply("!^.{1,15}$!ok!", "+61355500911") == "ok");
  CHECK(Apply("!^(.*)?$!<\\1>!", "+61") == "<+61>");  // '?' over "" does not loop
  CHECK(Apply("!^(\\+|00)?(61)*(.+)$!\\3!", "0061355") == "355");
  // An escaped '{' is a literal, not an interval.
  CHECK(Apply("!^x\\{1$!ok!", "x{1") == "ok");
  // POSIX EREs have no back-references; glibc's extension can match in
  // exponential time, so it is refused.
  CHECK(ErrorOf("!^(a*)\\1$!x!").find("back-reference \\1") != std::string::npos);
  CHECK(Apply("!^\\\\1$!ok!", "\\1") == "ok");  // an escaped backslash, then '1'
}

TEST_CASE("RFC 3402 §3.2: back-references count opening parentheses") {
  // "(A(B(C)DE)(F)G)": \1 = ABCDEFG, \2 = BCDE, \3 = C, \4 = F.
  CHECK(Apply("!(A(B(C)DE)(F)G)!\\4\\3\\2\\1!", "ABCDEFG") == "FCBCDEABCDEFG");
  // A group that took no part in the match substitutes as empty.
  CHECK(Apply("!^(x)?(\\+.*)$!<\\1|\\2>!", "+61") == "<|+61>");
}

TEST_CASE("RFC 3403 §6.1 CID example and the i flag") {
  // "!^urn:cid:.+@([^\.]+\.)(.*)$!\2!i" on the CID URN: .+@ takes
  // "199606121851.1@", group 1 "bar.", group 2 "example.com"; \2 is the result.
  const std::string field = "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i";
  CHECK(Apply(field, "urn:cid:199606121851.1@bar.example.com") == "example.com");
  // "i" makes the match case-insensitive (REG_ICASE)...
  CHECK(Apply(field, "URN:CID:199606121851.1@bar.example.com") == "example.com");
  // ...without it an upper-case string does not match.
  CHECK(Apply("!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!", "URN:CID:1@bar.example.com") == "<no match>");
  // The flag does not change the replacement's case.
  CHECK(Apply("!^SIP$!Sip:X!i", "sip") == "Sip:X");
}

TEST_CASE("RFC 6116 §3.4.1 example: the AUS includes the leading +") {
  // $ORIGIN 3.8.0.0.6.9.2.3.6.1.4.4.e164.arpa.: the AUS is "+441632960083".
  CHECK(Apply("!^.*$!sip:info@example.com!", "+441632960083") == "sip:info@example.com");
  // An ERE written for the "+": \+ is a literal plus in an ERE.
  CHECK(Apply("!^\\+44(.*)$!sip:0\\1@example.co.uk!", "+441632960083") ==
        "sip:01632960083@example.co.uk");
  // RFC 2916's example "!^+46(.*)$!" leaves the '+' unescaped after '^'.
  // POSIX leaves a '+' there undefined; glibc's regcomp rejects it, so the
  // record is reported as malformed (some other clients match it literally).
  CHECK(ErrorOf("!^+46(.*)$!ldap://ldap.se/cn=\\1!", "+46123")
            .find("Invalid preceding regular expression") != std::string::npos);
}

TEST_CASE("every record of the playground zone, applied as RFC 3402 says") {
  // ^.*$ matches the whole AUS, so the result is the replacement as written
  // (nothing of the number is kept). One case per record of e164.arpa.db.
  const std::string literal = "!^.*$!sip:61355500912@";
  CHECK(Apply(literal + "10.0.1.98!", "+61355500911") == "sip:61355500912@10.0.1.98");
  CHECK(Apply(literal + "server1.enum.nickvsnetworking.com!", "+61355500912") ==
        "sip:61355500912@server1.enum.nickvsnetworking.com");
  CHECK(Apply(literal + "server2.enum.nickvsnetworking.com!", "+61355500912") ==
        "sip:61355500912@server2.enum.nickvsnetworking.com");
  for (const char* host : {"server1", "server2", "server3"}) {
    CHECK(Apply(literal + host + ".enum.nickvsnetworking.com!", "+61355500913") ==
          std::string("sip:61355500912@") + host + ".enum.nickvsnetworking.com");
  }
  CHECK(Apply(literal + "firstchoice.enum.nickvsnetworking.com!", "+61355500914") ==
        "sip:61355500912@firstchoice.enum.nickvsnetworking.com");
  CHECK(Apply(literal + "secondchoice.enum.nickvsnetworking.com!", "+61355500914") ==
        "sip:61355500912@secondchoice.enum.nickvsnetworking.com");

  // +61355500915: "!(^.*$)!sip:+1\1@enum.nickvsnetworking.com!" (the zone
  // file's "\\1" is one backslash on the wire). Group 1 is the whole AUS,
  // "+61355500915" with its "+" (RFC 6116 §2.4), so the URI is "sip:+1" +
  // "+61355500915" + "@...": a "+1+61..." user part, not the
  // "sip:+161355500915@..." a reader of the seed's comment expects.
  const std::string backref = "!(^.*$)!sip:+1\\1@enum.nickvsnetworking.com!";
  CHECK(Apply(backref, "+61355500915") == "sip:+1+61355500915@enum.nickvsnetworking.com");
  // *.2.0.5.5.5.2.1.6 carries the same regexp; the seed says +61255502000
  // "will return sip:+161255502000@..."; RFC 3402 gives "+1" + the AUS.
  CHECK(Apply(backref, "+61255502000") == "sip:+1+61255502000@enum.nickvsnetworking.com");
  CHECK(Apply(backref, "+61255502999") == "sip:+1+61255502999@enum.nickvsnetworking.com");

  // *.1.0.5.5.5.2.1.6: one fixed URI for the whole +61255501xxx block.
  CHECK(Apply("!^.*$!sip:61255501_numbers@enum.nickvsnetworking.com!", "+61255501000") ==
        "sip:61255501_numbers@enum.nickvsnetworking.com");
  // 4.3.2.1.0.5.5.5.2.1.6: the exception (order 50).
  CHECK(Apply("!^.*$!sip:staticroute@enum.nickvsnetworking.com!", "+61255501234") ==
        "sip:staticroute@enum.nickvsnetworking.com");
  // *.1.1.0.0 (international access 0011): its names reverse to "+0011...",
  // which is no E.164 number (no country code starts with 0), so `enumctl
  // lookup` cannot be asked for them by number; the regexp itself works the
  // same way on whatever AUS a client would use.
  CHECK(Apply("!(^.*$)!sip:+1\\1@international_gw.nickvsnetworking.com!", "+0011999") ==
        "sip:+1+0011999@international_gw.nickvsnetworking.com");
}

TEST_CASE("a partial match keeps the rest of the string, as sed does") {
  // RFC 3402 §3.2 calls the field a sed-style substitution: s/5$/X/ on
  // "+61355500915" replaces the final 5 only.
  auto r = ApplySubstExpr("!5$!X!", "+61355500915");
  REQUIRE(r.ok());
  CHECK(r->matched);
  CHECK(r->partial);
  CHECK(r->output == "+6135550091X");
  CHECK_FALSE(ApplySubstExpr("!^.*$!X!", "+61355500915")->partial);
}

TEST_CASE("replacement escapes: delimiter, backslash, anything else") {
  CHECK(Apply("!^.*$!sip:a\\!b@x!", "+1") == "sip:a!b@x");    // "\!" is the delimiter
  CHECK(Apply("!^.*$!sip:a\\\\b@x!", "+1") == "sip:a\\b@x");  // "\\" is one backslash
  CHECK(Apply("!^.*$!sip:a\\.b@x!", "+1") == "sip:a.b@x");    // "\." is "."
}

TEST_CASE("ENUM service arguments and fields (RFC 6116 §3.4.3)") {
  CHECK(EnumServiceText(*ParseEnumServiceArg("sip")) == "E2U+sip");
  CHECK(EnumServiceText(*ParseEnumServiceArg("E2U+SIP")) == "E2U+sip");
  CHECK(EnumServiceText(*ParseEnumServiceArg("e2u+pstn:tel")) == "E2U+pstn:tel");
  CHECK(EnumServiceText(*ParseEnumServiceArg("voice:tel")) == "E2U+voice:tel");
  for (const char* bad : {"", "E2U+", "sip+voice", "si p", "sip:", ":tel"}) {
    CHECK_FALSE(ParseEnumServiceArg(bad).ok());
  }
  const std::vector<EnumService> sip = Sip();
  CHECK(EnumServiceMatches("E2U+sip", sip));
  CHECK(EnumServiceMatches("e2u+SIP", sip));
  CHECK(EnumServiceMatches("E2U+sip:x-foo", sip));  // no subtype asked: any
  CHECK(EnumServiceMatches("E2U+h323+sip", sip));   // one of several enumservices
  CHECK_FALSE(EnumServiceMatches("E2U+sips", sip));
  CHECK_FALSE(EnumServiceMatches("sip+E2U", sip));  // RFC 2916's order is gone
  CHECK_FALSE(EnumServiceMatches("E2U", sip));
  CHECK_FALSE(EnumServiceMatches("E2U+", sip));
  CHECK_FALSE(EnumServiceMatches("SIP+D2U", sip));  // RFC 3263, not ENUM
  const std::vector<EnumService> tel = {*ParseEnumServiceArg("pstn:tel")};
  CHECK(EnumServiceMatches("E2U+pstn:tel", tel));
  CHECK(EnumServiceMatches("E2U+pstn:sip:tel", tel));  // type with two subtypes
  CHECK_FALSE(EnumServiceMatches("E2U+pstn:sip", tel));
  CHECK_FALSE(EnumServiceMatches("E2U+pstn", tel));
  CHECK(EnumServiceMatches("E2U+pstn:tel", {*ParseEnumServiceArg("pstn")}));
}

TEST_CASE("ENUM flags and fields: terminal, non-terminal, contradictions") {
  using K = RuleOutcome::Kind;
  const std::string aus = "+61355500911";
  auto eval = [&](const Naptr& n) { return EvaluateEnumRule(n, aus, Sip()); };

  auto ok = eval(Rec(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!"));
  CHECK(ok.kind == K::kTerminal);
  CHECK(ok.value == "sip:a@b");
  CHECK(eval(Rec(10, 100, "U", "E2U+sip", "!^.*$!sip:a@b!")).kind == K::kTerminal);

  // RFC 3403 §4.1: REGEXP and REPLACEMENT are mutually exclusive.
  auto both = eval(Rec(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", "pbx.example."));
  CHECK(both.kind == K::kBroken);
  CHECK(both.reason.find("mutually exclusive") != std::string::npos);
  // "u" means the regexp builds a URI: a REPLACEMENT instead is a contradiction.
  auto u_repl = eval(Rec(10, 100, "u", "E2U+sip", "", "pbx.example."));
  CHECK(u_repl.kind == K::kBroken);
  CHECK(u_repl.reason.find("REPLACEMENT and no REGEXP") != std::string::npos);
  CHECK(eval(Rec(10, 100, "u", "E2U+sip", "")).kind == K::kBroken);
  // A non-terminal rule needs somewhere to go.
  CHECK(eval(Rec(10, 100, "", "E2U+sip", "")).kind == K::kBroken);
  // Flags are single characters from A-Z and 0-9.
  CHECK(eval(Rec(10, 100, "u!", "E2U+sip", "!^.*$!sip:a@b!")).kind == K::kBroken);
  // Flags ENUM does not define: skipped, not an error.
  auto s_flag = eval(Rec(10, 100, "s", "E2U+sip", "", "_sip._udp.example."));
  CHECK(s_flag.kind == K::kSkipped);
  CHECK(s_flag.reason.find("ENUM defines only") != std::string::npos);
  // Another service: ignored.
  CHECK(eval(Rec(10, 100, "u", "E2U+email:mailto", "!^.*$!mailto:a@b!")).kind == K::kOtherService);
  // A malformed regexp in a record for our service is an error.
  auto bad = eval(Rec(10, 100, "u", "E2U+sip", "!^.*$!sip:a@b"));
  CHECK(bad.kind == K::kBroken);
  CHECK(bad.reason.find("malformed regexp") != std::string::npos);
  // A regexp that does not match this number: the rule does not apply.
  auto nomatch = eval(Rec(10, 100, "u", "E2U+sip", "!^\\+44.*$!sip:uk@b!"));
  CHECK(nomatch.kind == K::kSkipped);
  CHECK(nomatch.reason.find("does not match \"+61355500911\"") != std::string::npos);
  // A "u" result must be a URI (RFC 3402 §3.2: check the result before use).
  CHECK(eval(Rec(10, 100, "u", "E2U+sip", "!^.*$!no-scheme-here!")).kind == K::kBroken);
  CHECK(eval(Rec(10, 100, "u", "E2U+sip", "!^.*$!sip:a b@c!")).kind == K::kBroken);

  // Non-terminal: REPLACEMENT, or a regexp whose result is a domain name.
  auto nt = eval(Rec(10, 100, "", "E2U+sip", "", "next.example."));
  CHECK(nt.kind == K::kNonTerminal);
  CHECK(nt.value == "next.example.");
  auto nt_re = eval(Rec(10, 100, "", "", "!^\\+61(.*)$!\\1.au.example!"));
  CHECK(nt_re.kind == K::kNonTerminal);  // an empty service is followed
  CHECK(nt_re.value == "355500911.au.example.");
  CHECK(eval(Rec(10, 100, "", "E2U", "", "next.example.")).kind == K::kNonTerminal);
  CHECK(eval(Rec(10, 100, "", "", "!^.*$!a..b!")).kind == K::kBroken);  // not a domain
}

TEST_CASE("ranking: order, then preference; ties split, the rest are fallbacks") {
  // The playground's +61355500913.
  std::vector<Entry> entries(3);
  const char* hosts[] = {"server3", "server1", "server2"};
  const uint16_t prefs[] = {200, 100, 100};
  for (int i = 0; i < 3; ++i) {
    entries[i].record = Rec(10, prefs[i], "u", "E2U+sip", "");
    entries[i].key = {static_cast<uint32_t>(10 << 16 | prefs[i])};
    entries[i].status = Entry::Status::kUsable;
    entries[i].result = std::string("sip:61355500912@") + hosts[i] + ".enum.nickvsnetworking.com";
  }
  RankEntries(&entries);
  CHECK(entries[0].result.find("server1") != std::string::npos);
  CHECK(entries[1].result.find("server2") != std::string::npos);
  CHECK(entries[2].result.find("server3") != std::string::npos);
  CHECK(entries[0].rank == 1);
  CHECK(entries[1].rank == 1);
  CHECK(entries[2].rank == 2);
  CHECK(ShareText(entries[0].share) == "50%");
  CHECK(ShareText(entries[1].share) == "50%");
  CHECK(ShareText(entries[2].share) == "fallback");
  const auto notes = PreferenceNotes(entries, "calls");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] ==
        "preference is a processing order (RFC 3403 §4.1), not a weight: server3 gets calls "
        "only when server1 and server2 fail");

  // Many fallbacks: the note names three and counts the rest.
  std::vector<Entry> many(7);
  for (int i = 0; i < 7; ++i) {
    many[i].status = Entry::Status::kUsable;
    many[i].record.order = 20;
    many[i].record.preference = static_cast<uint16_t>(i + 1);
    many[i].key = {static_cast<uint32_t>(20 << 16 | (i + 1))};
    many[i].result = "sip:x@gw" + std::to_string(i + 1) + ".example";
  }
  RankEntries(&many);
  CHECK(PreferenceNotes(many, "calls")[0].find(": gw2, gw3, gw4 and 3 more get calls only when "
                                               "gw1 fails") != std::string::npos);

  CHECK(ShareText(100.0 / 3) == "33.3%");
  CHECK(ShareText(100) == "100%");
  CHECK(ShareText(12.5) == "12.5%");
}

TEST_CASE("ranking ignores records that are not usable; notes name hosts well") {
  std::vector<Entry> e(4);
  e[0].status = Entry::Status::kBroken;
  e[0].key = {10 << 16 | 5};
  e[1].status = Entry::Status::kUsable;
  e[1].key = {20 << 16 | 10};
  e[1].record.order = 20;
  e[1].record.preference = 10;
  e[1].result = "sip:a@pbx.one.example.net";
  e[2].status = Entry::Status::kUsable;
  e[2].key = {20 << 16 | 20};
  e[2].record.order = 20;
  e[2].record.preference = 20;
  e[2].result = "sip:a@pbx.two.example.net";
  e[3].status = Entry::Status::kUsable;
  e[3].key = {30 << 16 | 10};
  e[3].record.order = 30;
  e[3].record.preference = 10;
  e[3].result = "sip:a@pbx.three.example.net";
  RankEntries(&e);
  CHECK(e[0].rank == 0);
  CHECK(e[1].rank == 1);
  CHECK(ShareText(e[1].share) == "100%");
  CHECK(e[2].rank == 2);
  CHECK(e[3].rank == 3);
  // First labels are all "pbx": the second label tells them apart. Order 30
  // has one record: no note for it.
  const auto notes = PreferenceNotes(e, "calls");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find(": two gets calls only when one fails") != std::string::npos);
}

TEST_CASE("walking non-terminal rules: followed in place, loops and bounds") {
  FakeResolver dns;
  const std::string aus = "+61355500911";
  RuleEvaluator eval = [&](const Naptr& n) { return EvaluateEnumRule(n, aus, Sip()); };

  SUBCASE("a non-terminal rule's records take its place in the order") {
    dns.Naptr("start.example", 10, 100, "", "E2U+sip", "", "next.example.");
    dns.Naptr("start.example", 20, 100, "u", "E2U+sip", "!^.*$!sip:late@x!");
    dns.Naptr("next.example", 1, 1, "u", "E2U+sip", "!^.*$!sip:early@x!");
    Lookup l;
    REQUIRE(WalkRules(dns, "start.example.", eval, WalkLimits{}, &l).ok());
    RankEntries(&l.entries);
    REQUIRE(l.entries.size() == 3);
    CHECK(l.entries[0].status == Entry::Status::kNonTerminal);
    CHECK(l.entries[0].result == "next.example");
    CHECK(l.entries[1].result == "sip:early@x");
    CHECK(l.entries[1].rank == 1);
    CHECK(l.entries[1].via == std::vector<std::string>{"next.example"});
    CHECK(l.entries[2].result == "sip:late@x");
    CHECK(l.entries[2].rank == 2);
    CHECK(l.queries == 2);
    CHECK(l.record_count == 2);
  }
  SUBCASE("a loop is reported, not followed for ever") {
    dns.Naptr("a.example", 10, 100, "", "E2U+sip", "", "b.example.");
    dns.Naptr("b.example", 10, 100, "", "E2U+sip", "", "A.example.");
    Lookup l;
    REQUIRE(WalkRules(dns, "a.example", eval, WalkLimits{}, &l).ok());
    REQUIRE(l.entries.size() == 2);
    CHECK(l.entries[1].status == Entry::Status::kBroken);
    CHECK(l.entries[1].reason == "non-terminal loop: a.example -> b.example -> A.example");
    CHECK(dns.asked.size() == 2);
  }
  SUBCASE("a rule pointing at its own name") {
    dns.Naptr("self.example", 10, 100, "", "", "", "self.example.");
    Lookup l;
    REQUIRE(WalkRules(dns, "self.example", eval, WalkLimits{}, &l).ok());
    REQUIRE(l.entries.size() == 1);
    CHECK(l.entries[0].reason.find("non-terminal loop") == 0);
  }
  SUBCASE("a long chain stops at the depth bound") {
    for (int i = 0; i < 20; ++i) {
      dns.Naptr("n" + std::to_string(i) + ".example", 10, 100, "", "", "",
                "n" + std::to_string(i + 1) + ".example.");
    }
    Lookup l;
    WalkLimits limits;
    limits.max_depth = 5;
    REQUIRE(WalkRules(dns, "n0.example", eval, limits, &l).ok());
    CHECK(l.queries == 6);
    CHECK(l.entries.back().reason.find("more than 5 non-terminal rules in a row") == 0);
  }
  SUBCASE("the query budget bounds a wide fan-out") {
    for (int i = 0; i < 40; ++i) {
      dns.Naptr("wide.example", 10, 100, "", "", "", "t" + std::to_string(i) + ".example.");
      dns.Naptr("t" + std::to_string(i) + ".example", 10, 100, "u", "E2U+sip",
                "!^.*$!sip:" + std::to_string(i) + "@x!");
    }
    Lookup l;
    WalkLimits limits;
    limits.max_queries = 10;
    REQUIRE(WalkRules(dns, "wide.example", eval, limits, &l).ok());
    CHECK(l.queries == 10);
    CHECK(dns.asked.size() == 10);
    const auto broken = std::count_if(l.entries.begin(), l.entries.end(), [](const Entry& e) {
      return e.status == Entry::Status::kBroken;
    });
    CHECK(broken == 31);
  }
  SUBCASE("a non-terminal rule to a name without NAPTR records is broken") {
    dns.Naptr("start.example", 10, 100, "", "", "", "gone.example.");
    Lookup l;
    REQUIRE(WalkRules(dns, "start.example", eval, WalkLimits{}, &l).ok());
    REQUIRE(l.entries.size() == 1);
    CHECK(l.entries[0].status == Entry::Status::kBroken);
    CHECK(l.entries[0].reason.find("no NAPTR records (NXDOMAIN)") != std::string::npos);
  }
  SUBCASE("the first name's NXDOMAIN and NODATA are outcomes, SERVFAIL an error") {
    dns.Address("host.example", "192.0.2.1");
    dns.Rcode("broken.example", dns::rcode::kServFail);
    Lookup nx, nodata, servfail;
    REQUIRE(WalkRules(dns, "missing.example", eval, WalkLimits{}, &nx).ok());
    CHECK(nx.outcome == Lookup::Outcome::kNxDomain);
    REQUIRE(WalkRules(dns, "host.example", eval, WalkLimits{}, &nodata).ok());
    CHECK(nodata.outcome == Lookup::Outcome::kNoData);
    const Status st = WalkRules(dns, "broken.example", eval, WalkLimits{}, &servfail);
    CHECK(st.message() == "SERVFAIL for broken.example NAPTR: the server could not answer");
  }
  SUBCASE("CNAMEs are followed, and reported") {
    dns.Cname("alias.example", "real.example");
    dns.Naptr("real.example", 10, 100, "u", "E2U+sip", "!^.*$!sip:real@x!");
    Lookup l;
    REQUIRE(WalkRules(dns, "alias.example", eval, WalkLimits{}, &l).ok());
    CHECK(l.cname_target == "real.example");
    REQUIRE(l.entries.size() == 1);
    CHECK(l.entries[0].result == "sip:real@x");
  }
}

TEST_CASE("fuzz entry point for the regexp engine survives odd input") {
  const std::string inputs[] = {std::string("\x05!a!b!+61", 9), std::string("\xff", 1),
                                std::string("\x00", 1), std::string("\x03(((", 4),
                                std::string("\x10!((a*)*)*\\1$!\\1!aaaaaaaaaaaaaaaaaaaaaaaa", 42)};
  for (const auto& in : inputs) {
    CHECK(FuzzApplySubstExpr(reinterpret_cast<const uint8_t*>(in.data()), in.size()) == 0);
  }
}

}  // namespace enumd::enumctl
