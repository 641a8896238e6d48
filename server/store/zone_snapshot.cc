// See zone_snapshot.h. ZoneStore::OpenSnapshot and Release are in
// zone_store.cc, beside the store's key helpers.
#include "store/zone_snapshot.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/byte_order.h"

namespace enumd::store {

ZoneSnapshot::~ZoneSnapshot() { Release(); }

bool ZoneSnapshot::NextNode(std::string_view* key, std::string_view* value) {
  if (!status_.ok()) return false;
  if (!nodes_started_) {
    nodes_->Seek(node_prefix_);
    nodes_started_ = true;
  } else if (nodes_->Valid()) {
    nodes_->Next();
  }
  if (!nodes_->Valid()) {
    if (!nodes_->status().ok())
      status_ = Status::Error("cannot read the store: " + nodes_->status().ToString());
    return false;
  }
  std::string_view k = nodes_->key().ToStringView();
  if (!k.starts_with(node_prefix_)) return false;
  k.remove_prefix(node_prefix_.size());
  *key = k;
  *value = nodes_->value().ToStringView();
  return true;
}

ReadStatus ZoneSnapshot::HasNode(std::string_view key) {
  probe_key_ = node_prefix_;
  probe_key_.append(key);
  probe_->Seek(probe_key_);
  if (!probe_->Valid()) {
    if (probe_->status().ok()) return ReadStatus::kAbsent;
    status_ = Status::Error("cannot read the store: " + probe_->status().ToString());
    return ReadStatus::kError;
  }
  return probe_->key().ToStringView() == probe_key_ ? ReadStatus::kFound : ReadStatus::kAbsent;
}

void ZoneSnapshot::SeekJournal(uint64_t from_seq) {
  journal_key_ = journal_prefix_;
  Append64(&journal_key_, from_seq < meta_.journal_first ? meta_.journal_first : from_seq);
  journal_->Seek(journal_key_);
}

bool ZoneSnapshot::NextJournal(uint64_t* seq, std::string_view* value) {
  if (!status_.ok() || !journal_->Valid()) {
    if (status_.ok() && !journal_->status().ok())
      status_ = Status::Error("cannot read the journal: " + journal_->status().ToString());
    return false;
  }
  std::string_view k = journal_->key().ToStringView();
  if (k.size() != journal_prefix_.size() + 8 || !k.starts_with(journal_prefix_)) return false;
  *seq = Load64(reinterpret_cast<const uint8_t*>(k.data()) + journal_prefix_.size());
  if (*seq >= meta_.journal_next) return false;
  *value = journal_->value().ToStringView();
  journal_->Next();
  return true;
}

}  // namespace enumd::store
