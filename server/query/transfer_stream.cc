// See transfer_stream.h.
#include "query/transfer_stream.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/byte_order.h"
#include "dns/message_writer.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "zone/record_ttl.h"

namespace enumd::query {

namespace {

constexpr size_t kOptSize = 11;
// Room a TSIG RR can take: key and algorithm names (255 each at most), the
// fixed fields and a 64-byte MAC.
constexpr int kCompressWindow = 8;
constexpr size_t kTsigRoom = 2 * dns::kMaxNameWire + 10 + 16 + 64 + 6;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

Result<std::unique_ptr<TransferStream>> TransferStream::Open(
    std::unique_ptr<store::ZoneSnapshot> snapshot, const std::string& origin, Options options) {
  std::unique_ptr<TransferStream> s(
      new TransferStream(std::move(snapshot), origin, std::move(options)));
  Status st = s->Init();
  if (!st.ok()) return st;
  return s;
}

TransferStream::TransferStream(std::unique_ptr<store::ZoneSnapshot> snapshot, std::string origin,
                               Options options)
    : snapshot_(std::move(snapshot)), origin_(std::move(origin)), options_(std::move(options)) {}

Status TransferStream::Init() {
  if (options_.key != nullptr)
    signer_ = std::make_unique<dns::TsigStreamSigner>(*options_.key, options_.request_mac);
  std::string_view key, value;
  if (!snapshot_->NextNode(&key, &value)) {
    return snapshot_->status().ok() ? Status::Error("the zone has no apex") : snapshot_->status();
  }
  Item& apex = items_[0];
  apex.value.assign(value);
  store::RRsetView soa;
  const uint8_t* rdata = nullptr;
  uint16_t rdlen = 0;
  size_t pos = 0;
  if (!key.empty() || !apex.node.Parse(apex.value) || !apex.node.Find(dns::type::kSOA, &soa) ||
      !soa.NextRdata(&pos, &rdata, &rdlen) || rdlen < 22)
    return Status::Error("the zone's apex or SOA does not read");
  std::memcpy(apex.owner, origin_.data(), origin_.size());
  soa_.assign(reinterpret_cast<const char*>(rdata), rdlen);
  soa_ttl_ = soa.ttl;
  serial_ = Load32(rdata + rdlen - 20);
  items_used_ = options_.kind == Kind::kAxfr ? 1 : 0;
  if (options_.kind == Kind::kIxfr) snapshot_->SeekJournal(options_.from_seq);
  return Status::OK();
}

void TransferStream::Fail(Status st) {
  if (failed_) return;
  failed_ = true;
  status_ = std::move(st);
}

size_t TransferStream::Next(uint8_t* out, size_t cap) noexcept {
  if (failed_) return kFailed;
  if (state_ == State::kDone) return 0;
  try {
    return Build(out, cap);
  } catch (...) {  // std::bad_alloc from a journal entry or a copy
    Fail(Status::Error("out of memory"));
    return kFailed;
  }
}

size_t TransferStream::Build(uint8_t* out, size_t cap) {
  const size_t limit = std::min<size_t>(cap, dns::kMaxMessage);
  const size_t reserve = (options_.edns ? kOptSize : 0) + (signer_ ? kTsigRoom : 0);
  if (limit < dns::kHeaderSize + reserve + 512) {
    Fail(Status::Error("message buffer too small"));
    return kFailed;
  }
  const size_t body_max = limit - reserve;
  dns::MessageWriter w(out, limit, std::min(body_max, options_.message_size));
  const uint16_t flags = dns::flag::kQR | (options_.aa ? dns::flag::kAA : 0) |
                         (options_.flags & (dns::flag::kRD | dns::flag::kCD));
  if (messages_ == 0) {
    w.Start(options_.id, flags, options_.qname, options_.qtype, dns::rrclass::kIN);
  } else {
    w.StartNoQuestion(options_.id, flags);
  }
  // Records come in canonical order: the last few owners share the most
  // labels with the next (see MessageWriter::set_compress_window).
  w.set_compress_window(kCompressWindow);
  int added = 0;
  Record r;
  while (Current(&r)) {
    const dns::MessageWriter::Mark mark = w.GetMark();
    if (!w.AddRR(dns::Section::kAnswer, r.owner, r.type, dns::rrclass::kIN, r.ttl, r.rdata,
                 r.rdlen)) {
      w.Rewind(mark);
      // A record bigger than message_size goes alone in a message of the
      // largest size; one bigger than that cannot be sent at all.
      if (added > 0) break;
      w.set_limit(body_max);
      if (!w.AddRR(dns::Section::kAnswer, r.owner, r.type, dns::rrclass::kIN, r.ttl, r.rdata,
                   r.rdlen)) {
        Fail(Status::Error("a record of " + dns::NameToText(r.owner) +
                           " does not fit in a DNS message"));
        return kFailed;
      }
    }
    Advance();
    ++added;
    ++records_;
  }
  if (failed_) return kFailed;
  if (added == 0 && messages_ > 0) return 0;
  if (options_.edns) {
    w.set_limit(limit);
    w.AddOpt(options_.udp_payload, 0, 0, false);
  }
  size_t size = w.Finish();
  if (signer_) {
    signed_.assign(reinterpret_cast<const char*>(out), size);
    if (!signer_->Sign(static_cast<uint64_t>(time(nullptr)), &signed_) || signed_.size() > limit) {
      Fail(Status::Error("cannot sign a transfer message"));
      return kFailed;
    }
    std::memcpy(out, signed_.data(), signed_.size());
    size = signed_.size();
  }
  ++messages_;
  return size;
}

bool TransferStream::Current(Record* r) {
  switch (state_) {
    case State::kFirstSoa:
    case State::kLastSoa:
      *r = Record{U8(origin_), dns::type::kSOA, soa_ttl_, U8(soa_),
                  static_cast<uint16_t>(soa_.size())};
      return true;
    case State::kBody: {
      const bool more = options_.kind == Kind::kAxfr ? NodeRecord(r) : JournalRecord(r);
      if (more) return true;
      if (failed_) return false;
      state_ = State::kLastSoa;
      return Current(r);
    }
    case State::kDone:
      return false;
  }
  return false;
}

void TransferStream::Advance() {
  switch (state_) {
    case State::kFirstSoa:
      state_ = options_.kind == Kind::kSoaOnly ? State::kDone : State::kBody;
      break;
    case State::kBody:
      if (options_.kind == Kind::kAxfr)
        pos_ = next_pos_;
      else
        ++diff_index_;
      break;
    case State::kLastSoa:
      state_ = State::kDone;
      break;
    case State::kDone:
      break;
  }
}

bool TransferStream::NodeRecord(Record* r) {
  for (;;) {
    if (item_ < items_used_) {
      Item& it = items_[item_];
      if (rrset_ < it.node.rrset_count()) {
        store::RRsetView rs;
        it.node.At(rrset_, &rs);
        // The apex SOA goes first and last, not in between.
        if (rs.type == dns::type::kSOA && (it.node.flags() & store::kNodeApex)) {
          ++rrset_;
          pos_ = 0;
          continue;
        }
        size_t p = pos_;
        const uint8_t* rdata;
        uint16_t rdlen;
        if (rs.NextRdata(&p, &rdata, &rdlen)) {
          *r = Record{it.owner, rs.type, zone::RecordTtl(it.node, rs, rdata, rdlen), rdata, rdlen};
          next_pos_ = p;
          return true;
        }
        ++rrset_;
        pos_ = 0;
        continue;
      }
      ++item_;
      rrset_ = 0;
      pos_ = 0;
      continue;
    }
    if (nodes_done_) return false;
    if (!Refill()) {
      nodes_done_ = true;
      return false;
    }
  }
}

bool TransferStream::Refill() {
  items_used_ = item_ = rrset_ = 0;
  pos_ = 0;
  auto take = [this](const uint8_t* owner, std::string_view value) {
    if (items_used_ >= 2) return;
    Item& it = items_[items_used_];
    std::memcpy(it.owner, owner, dns::WireNameLength(owner, dns::kMaxNameWire));
    it.value.assign(value);
    if (it.node.Parse(it.value)) ++items_used_;
  };
  while (items_used_ == 0) {
    std::string_view key, value;
    if (!snapshot_->NextNode(&key, &value)) {
      if (!snapshot_->status().ok()) Fail(snapshot_->status());
      return false;
    }
    uint8_t owner[dns::kMaxNameWire];
    if (store::KeyToName(key, U8(origin_), origin_.size(), owner) == 0) {
      Fail(Status::Error("corrupt name key in the store"));
      return false;
    }
    store::NodeView check;
    if (!check.Parse(value)) {
      Fail(Status::Error("corrupt node at " + dns::NameToText(owner)));
      return false;
    }
    if (!options_.longest_match) {
      take(owner, value);
      continue;
    }
    const bool ok = equivalent_.Feed(
        key, value, owner, [this](std::string_view k) { return snapshot_->HasNode(k); }, take);
    if (!ok) {
      Fail(snapshot_->status().ok() ? Status::Error("corrupt node at " + dns::NameToText(owner))
                                    : snapshot_->status());
      return false;
    }
  }
  return true;
}

bool TransferStream::JournalRecord(Record* r) {
  for (;;) {
    if (have_entry_) {
      const size_t removed = diff_.removed.size();
      if (diff_index_ < removed + diff_.added.size()) {
        const zone::JournalRecord& j =
            diff_index_ < removed ? diff_.removed[diff_index_] : diff_.added[diff_index_ - removed];
        *r = Record{U8(j.owner), j.type, j.ttl, U8(j.rdata), static_cast<uint16_t>(j.rdata.size())};
        return true;
      }
      have_entry_ = false;
    }
    if (!NextJournalEntry()) return false;
  }
}

bool TransferStream::NextJournalEntry() {
  uint64_t seq;
  std::string_view value;
  if (!snapshot_->NextJournal(&seq, &value)) {
    if (!snapshot_->status().ok()) Fail(snapshot_->status());
    return false;
  }
  if (!zone::DecodeJournalEntry(value, &diff_)) {
    Fail(Status::Error("corrupt journal entry " + std::to_string(seq)));
    return false;
  }
  // RFC 1995 §4: each difference is the old SOA, what was deleted, the new
  // SOA, what was added. The journal keeps the SOAs among the records.
  auto soa_first = [](std::vector<zone::JournalRecord>* list) {
    std::stable_partition(list->begin(), list->end(),
                          [](const zone::JournalRecord& j) { return j.type == dns::type::kSOA; });
    return !list->empty() && list->front().type == dns::type::kSOA &&
           (list->size() == 1 || (*list)[1].type != dns::type::kSOA);
  };
  if (!soa_first(&diff_.removed) || !soa_first(&diff_.added)) {
    Fail(Status::Error("journal entry " + std::to_string(seq) + " lacks its SOA records"));
    return false;
  }
  have_entry_ = true;
  diff_index_ = 0;
  return true;
}

}  // namespace enumd::query
