// Test support: a Resolver that answers from a table, like an authoritative
// server for one zone would (NXDOMAIN for names it has nothing at, NODATA for
// missing types, CNAMEs with their target's records when it has them), and
// logs every question. Tests only.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "enumctl/dns_client.h"

namespace enumd::enumctl::testing {

class FakeResolver : public Resolver {
 public:
  // Names are given in presentation form, with or without the final dot.
  void Naptr(const std::string& name, uint16_t order, uint16_t pref, const std::string& flags,
             const std::string& service, const std::string& regexp,
             const std::string& replacement = ".") {
    Record r = Base(name, dns::type::kNAPTR);
    r.naptr.order = order;
    r.naptr.preference = pref;
    r.naptr.flags = flags;
    r.naptr.service = service;
    r.naptr.regexp = regexp;
    r.naptr.replacement = Absolute(replacement);
    Add(r);
  }
  void Address(const std::string& name, const std::string& address) {
    Record r =
        Base(name, address.find(':') == std::string::npos ? dns::type::kA : dns::type::kAAAA);
    r.address = address;
    Add(r);
  }
  void Srv(const std::string& name, uint16_t prio, uint16_t weight, uint16_t port,
           const std::string& target) {
    Record r = Base(name, dns::type::kSRV);
    r.srv = {prio, weight, port, Absolute(target)};
    Add(r);
  }
  void Cname(const std::string& name, const std::string& target) {
    Record r = Base(name, dns::type::kCNAME);
    r.target = Absolute(target);
    Add(r);
  }
  // Answers for `name` carry `rcode` and nothing else.
  void Rcode(const std::string& name, uint16_t rcode) { rcodes_[Key(name)] = rcode; }
  // The additional section of answers about `name` (any type).
  void Additional(const std::string& name, const std::vector<std::string>& from_names) {
    additional_[Key(name)] = from_names;
  }
  // Answers about `name` report that UDP was truncated and TCP used.
  void Truncate(const std::string& name) { truncated_[Key(name)] = true; }
  // Transport failure for `name`.
  void Fail(const std::string& name, const std::string& message) { fail_[Key(name)] = message; }

  Result<Exchange> Query(const std::string& qname, uint16_t qtype) override {
    const std::string key = Key(DisplayName(qname));
    asked.push_back(key + " " + TypeName(qtype));
    if (fail_.count(key)) return Status::Error(fail_[key]);
    Exchange ex;
    ex.transport.name = DisplayName(qname);
    ex.transport.type = qtype;
    if (truncated_.count(key)) ex.transport.tcp = ex.transport.truncated_udp = true;
    Response& r = ex.response;
    r.flags = dns::flag::kQR | dns::flag::kAA;
    r.has_question = true;
    r.qname = qname;
    r.qtype = qtype;
    r.qclass = dns::rrclass::kIN;
    if (rcodes_.count(key)) {
      r.rcode = rcodes_[key];
      return ex;
    }
    std::string cur = key;
    for (int hops = 0; hops < 10; ++hops) {
      auto it = records_.find(cur);
      if (it == records_.end()) {
        if (cur == key) r.rcode = dns::rcode::kNXDomain;
        break;
      }
      bool found = false;
      for (const Record& rec : it->second) {
        if (rec.type == qtype) {
          r.answer.push_back(rec);
          found = true;
        }
      }
      if (found) break;
      const Record* cname = nullptr;
      for (const Record& rec : it->second) {
        if (rec.type == dns::type::kCNAME) cname = &rec;
      }
      if (cname == nullptr) break;
      r.answer.push_back(*cname);
      cur = Key(cname->target);
    }
    for (const std::string& n : additional_[key]) {
      for (const Record& rec : records_[Key(n)]) r.additional.push_back(rec);
    }
    return ex;
  }

  std::vector<std::string> asked;  // "name TYPE", lower case, no final dot

 private:
  static std::string Absolute(const std::string& n) {
    return n.empty() || n.back() == '.' ? n : n + ".";
  }
  static std::string Key(const std::string& name) {
    std::string k = name;
    if (k.size() > 1 && k.back() == '.') k.pop_back();
    for (char& c : k) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return k;
  }
  static Record Base(const std::string& name, uint16_t type) {
    Record r;
    r.owner = dns::WireName(Absolute(name));
    r.type = type;
    r.rrclass = dns::rrclass::kIN;
    r.ttl = 300;
    return r;
  }
  void Add(const Record& r) { records_[Key(DisplayName(r.owner))].push_back(r); }

  std::map<std::string, std::vector<Record>> records_;
  std::map<std::string, uint16_t> rcodes_;
  std::map<std::string, std::vector<std::string>> additional_;
  std::map<std::string, bool> truncated_;
  std::map<std::string, std::string> fail_;
};

}  // namespace enumd::enumctl::testing
