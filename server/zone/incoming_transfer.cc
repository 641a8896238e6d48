#include "zone/incoming_transfer.h"

#include <cstring>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "dns/rdata_reader.h"
#include "dns/record_reader.h"
#include "zone/soa_fields.h"
#include "zone/zone_importer.h"

namespace enumd::zone {

namespace {
inline const uint8_t* U8(const char* p) { return reinterpret_cast<const uint8_t*>(p); }
}  // namespace

struct IncomingTransfer::Record {
  uint8_t owner[dns::kMaxNameWire];
  size_t owner_len = 0;
  uint16_t type = 0;
  uint16_t rrclass = 0;
  uint32_t ttl = 0;
  std::string rdata;    // uncompressed
  uint64_t number = 0;  // 1-based over the whole transfer
};

// The answer records of the spool's messages from `first` on, in order; or
// of one message in hand (the one Add is checking).
class IncomingTransfer::Cursor {
 public:
  Cursor(const MessageSpool& spool, size_t first, uint64_t number)
      : spool_(&spool), msg_(first), number_(number) {}
  Cursor(std::string_view message, size_t index, uint64_t number)
      : msg_(index), end_(index + 1), number_(number), m_(message) {}

  // The next record: true; false at the end (status() ok) or on a malformed
  // message or a spool that cannot be read (status() says why).
  bool Next(Record* r) {
    while (left_ == 0) {
      if (started_) ++msg_;
      started_ = true;
      if (msg_ >= (spool_ ? spool_->size() : end_)) return false;
      if (!StartMessage()) return false;
    }
    dns::RRHead rr;
    if (!dns::ReadRR(U8(m_.data()), m_.size(), &pos_, r->owner, &r->owner_len, &rr) ||
        !dns::ReadRdata(U8(m_.data()), m_.size(), rr.type, rr.rdata, rr.rdlen, &r->rdata)) {
      status_ = Status::Error("message " + std::to_string(msg_ + 1) + ": a malformed record");
      return false;
    }
    --left_;
    r->type = rr.type;
    r->rrclass = rr.rrclass;
    r->ttl = rr.ttl;
    r->number = ++number_;
    return true;
  }
  const Status& status() const { return status_; }

 private:
  bool StartMessage() {
    if (spool_) {
      auto m = spool_->Get(msg_, &scratch_);
      if (!m.ok()) {
        status_ = m.status();
        return false;
      }
      m_ = *m;
    }
    if (m_.size() < dns::kHeaderSize) {
      status_ = Status::Error("message " + std::to_string(msg_ + 1) + ": shorter than a header");
      return false;
    }
    const uint16_t qd = Load16(U8(m_.data()) + 4);
    left_ = Load16(U8(m_.data()) + 6);
    pos_ = dns::kHeaderSize;
    uint8_t name[dns::kMaxNameWire];
    size_t name_len = 0;
    for (uint16_t i = 0; i < qd; ++i) {
      if (!dns::ReadName(U8(m_.data()), m_.size(), &pos_, name, &name_len) ||
          pos_ + 4 > m_.size()) {
        status_ = Status::Error("message " + std::to_string(msg_ + 1) + ": a malformed question");
        return false;
      }
      pos_ += 4;
    }
    return true;
  }

  const MessageSpool* spool_ = nullptr;
  size_t msg_;
  size_t end_ = 0;  // without a spool: one past the message in hand
  bool started_ = false;
  size_t pos_ = 0;
  uint32_t left_ = 0;
  uint64_t number_;
  std::string_view m_;   // the current message
  std::string scratch_;  // its bytes, when read from the spool's file
  Status status_;
};

// A full transfer's records for the importer: all but the final SOA.
class IncomingTransfer::Source : public RecordSource {
 public:
  explicit Source(const IncomingTransfer& t)
      : cursor_(t.spool_, 0, 0), left_(t.records_ - 1), what_(t.what_) {}
  ZoneFileReader::Next Read(ZoneRecord* rec) override {
    if (left_ == 0) return ZoneFileReader::Next::kEnd;
    if (!cursor_.Next(&r_)) {
      error_ =
          cursor_.status().ok() ? Status::Error(what_ + ": records missing") : cursor_.status();
      return ZoneFileReader::Next::kError;
    }
    --left_;
    std::memcpy(rec->owner, r_.owner, r_.owner_len);
    rec->owner_len = r_.owner_len;
    rec->type = r_.type;
    rec->rrclass = r_.rrclass;
    rec->ttl = r_.ttl;
    rec->rdata.swap(r_.rdata);
    rec->file = &what_;
    rec->line = r_.number;  // "what:N": the Nth record of the transfer
    rec->generated = false;
    return ZoneFileReader::Next::kRecord;
  }
  Status error() const override { return error_; }

 private:
  Cursor cursor_;
  Record r_;
  uint64_t left_;
  std::string what_;
  Status error_;
};

IncomingTransfer::IncomingTransfer(std::string origin, std::optional<uint32_t> ixfr_from,
                                   std::string what, std::string spool_dir, size_t spool_memory)
    : origin_(std::move(origin)),
      ixfr_from_(ixfr_from),
      what_(std::move(what)),
      spool_(std::move(spool_dir), spool_memory) {
  dns::LowerName(reinterpret_cast<uint8_t*>(origin_.data()));
}

Status IncomingTransfer::Fail(const std::string& why) {
  state_ = State::kFailed;
  failed_ = Status::Error(why);
  return failed_;
}

Status IncomingTransfer::Add(const uint8_t* msg, size_t len) {
  if (state_ == State::kFailed) return failed_;
  if (state_ == State::kDone) return Fail("a message after the final SOA");
  const std::string_view m(reinterpret_cast<const char*>(msg), len);
  bytes_ += len;
  Cursor c(m, spool_.size(), records_);
  Record r;
  while (c.Next(&r)) {
    ++records_;
    Status st = Feed(r);
    if (!st.ok()) return st;
  }
  if (!c.status().ok()) return Fail(c.status().message());
  Status kept = spool_.Append(m);
  if (!kept.ok()) return Fail(kept.message());
  return Status::OK();
}

Status IncomingTransfer::Feed(const Record& r) {
  const auto origin = U8(origin_.data());
  const std::string where = "record " + std::to_string(r.number);
  if (state_ == State::kDone) return Fail(where + ": a record after the final SOA");
  if (r.rrclass != dns::rrclass::kIN)
    return Fail(where + ": class " + std::to_string(r.rrclass) + " is not IN");
  if (!dns::IsSubdomain(r.owner, origin))
    return Fail(where + ": " + dns::NameToText(r.owner) + " is outside the zone");
  SoaFields soa;
  const bool is_soa = r.type == dns::type::kSOA;
  if (is_soa) {
    if (!dns::NameEqual(r.owner, origin))
      return Fail(where + ": an SOA record not at the zone apex");
    if (!ParseSoa(r.rdata, &soa)) return Fail(where + ": a malformed SOA record");
  }
  switch (state_) {
    case State::kFirst:
      if (!is_soa) return Fail("the answer does not start with the zone's SOA");
      serial_ = soa.serial;
      if (ixfr_from_ && !SerialGreater(serial_, *ixfr_from_)) {
        kind_ = Kind::kUpToDate;
        state_ = State::kDone;
      } else {
        state_ = State::kSecond;
      }
      return Status::OK();
    case State::kSecond:
      if (ixfr_from_ && is_soa) {
        // RFC 1995 §4: incremental; the first sequence starts at our serial.
        if (soa.serial != *ixfr_from_)
          return Fail(where + ": the first difference starts at serial " +
                      std::to_string(soa.serial) + ", not at ours (" + std::to_string(*ixfr_from_) +
                      ")");
        kind_ = Kind::kIncremental;
        state_ = State::kDeletes;
        return Status::OK();
      }
      kind_ = Kind::kFull;
      state_ = State::kBody;
      [[fallthrough]];
    case State::kBody:
      if (!is_soa) return Status::OK();
      if (soa.serial != serial_)
        return Fail(where + ": the final SOA has serial " + std::to_string(soa.serial) +
                    ", the first " + std::to_string(serial_));
      state_ = State::kDone;
      return Status::OK();
    case State::kDeletes:
      if (!is_soa) return Status::OK();
      seq_new_ = soa.serial;
      state_ = State::kAdds;
      return Status::OK();
    case State::kAdds:
      if (!is_soa) return Status::OK();
      if (soa.serial == serial_) {
        if (seq_new_ != serial_)
          return Fail(where + ": the final SOA has serial " + std::to_string(serial_) +
                      " but the last difference ends at " + std::to_string(seq_new_));
        state_ = State::kDone;
        return Status::OK();
      }
      if (soa.serial != seq_new_)
        return Fail(where + ": a difference starts at serial " + std::to_string(soa.serial) +
                    " where the one before ended at " + std::to_string(seq_new_));
      state_ = State::kDeletes;
      return Status::OK();
    default:
      return Fail(where + ": unexpected");
  }
}

Result<IncomingTransfer::Applied> IncomingTransfer::Apply(store::ZoneStore* store,
                                                          const ApplyOptions& options,
                                                          uint32_t* previous_generation) const {
  if (!done()) return Status::Error(what_ + ": the transfer is not complete");
  auto current = store->FindZone(origin_);
  Applied out;
  out.old_serial = current ? current->serial : 0;
  out.new_serial = serial_;
  if (kind_ == Kind::kUpToDate) {
    if (!current) return Status::Error(what_ + ": up to date, but the store lacks the zone");
    out.meta = *current;
    return out;
  }
  if (kind_ == Kind::kIncremental) return ApplyIncremental(store, options);
  Source source(*this);
  ImportOptions o;
  o.origin = dns::NameToText(U8(origin_.data()));
  o.keep_previous = true;
  o.temp_dir = options.temp_dir;
  o.cancel = options.cancel;
  o.check_names = CheckNamesMode::kWarn;  // BIND's default for a secondary zone
  auto r = ImportRecords(store, &source, what_, o);
  if (!r.ok()) return r.status();
  if (previous_generation) *previous_generation = r->previous_generation;
  out.meta = r->meta;
  return out;
}

Result<IncomingTransfer::Applied> IncomingTransfer::ApplyIncremental(
    store::ZoneStore* store, const ApplyOptions& options) const {
  Applied out;
  Cursor c(spool_, 0, 0);
  Record r;
  c.Next(&r);  // the first SOA: the primary's serial
  std::unique_ptr<ZoneTransaction> txn;
  bool adding = false;
  SoaFields soa;
  Record new_soa;
  auto name = [](const Record& rec) {
    return dns::NameToText(rec.owner) + " type " + std::to_string(rec.type);
  };
  while (c.Next(&r)) {
    if (r.type == dns::type::kSOA) {
      ParseSoa(r.rdata, &soa);  // Feed checked it
      if (!txn) {               // a sequence starts: SOA old
        auto t = ZoneTransaction::Begin(store, origin_);
        if (!t.ok()) return t.status();
        txn = std::move(t.value());
        if (out.sequences == 0) out.old_serial = txn->meta().serial;
        if (txn->meta().serial != soa.serial)
          return Status::Error(what_ + ": record " + std::to_string(r.number) +
                               ": a difference from serial " + std::to_string(soa.serial) +
                               ", but the zone has serial " + std::to_string(txn->meta().serial));
        adding = false;
        continue;
      }
      if (!adding) {  // SOA new: the additions follow
        new_soa = r;
        adding = true;
        continue;
      }
      // The end of a sequence: the new SOA goes in last, setting the serial.
      auto added = txn->Add(new_soa.owner, dns::type::kSOA, new_soa.ttl, new_soa.rdata);
      if (!added.ok()) return added.status();
      SoaFields target;
      ParseSoa(new_soa.rdata, &target);
      auto committed = txn->Commit(SerialPolicy::kIncrement, options.now, options.journal);
      if (!committed.ok()) return committed.status();
      if (committed->new_serial != target.serial)
        return Status::Error(what_ + ": the difference to serial " + std::to_string(target.serial) +
                             " left the zone at serial " + std::to_string(committed->new_serial));
      out.meta = committed->meta;
      ++out.sequences;
      txn.reset();
      if (soa.serial == serial_) break;  // the final SOA
      auto t = ZoneTransaction::Begin(store, origin_);
      if (!t.ok()) return t.status();
      txn = std::move(t.value());
      adding = false;
      continue;
    }
    if (!adding) {
      // RFC 1995 §4: a deletion names a record the old version has; one the
      // zone lacks means the two sides differ, and only AXFR can mend that.
      auto deleted = txn->DeleteRecord(r.owner, r.type, r.rdata);
      if (!deleted.ok()) return deleted.status();
      if (!*deleted)
        return Status::Error(what_ + ": record " + std::to_string(r.number) + ": deletes " +
                             name(r) + ", which the zone does not have");
    } else {
      auto added = txn->Add(r.owner, r.type, r.ttl, r.rdata);
      if (!added.ok()) return added.status();
    }
  }
  if (!c.status().ok()) return Status::Error(what_ + ": " + c.status().message());
  out.new_serial = out.meta.serial;
  return out;
}

}  // namespace enumd::zone
