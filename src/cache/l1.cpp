// The cache's in-process level (see l1.hpp).
#include "cache/l1.hpp"

namespace redkit::cache::detail {

bool has_tag(std::string_view tags, std::string_view tag) noexcept {
  while (!tags.empty()) {
    const auto stop = tags.find('\0');
    if (tags.substr(0, stop) == tag) return true;
    if (stop == std::string_view::npos) break;
    tags.remove_prefix(stop + 1);
  }
  return false;
}

std::size_t l1::cost(const node& n) noexcept {
  // The strings' bytes plus a fixed estimate of the list node, map slot and entry fields.
  return n.first.size() + n.second.value.size() + n.second.tags.size() + 128;
}

std::optional<l1_entry> l1::find(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void l1::put(const std::string& key, l1_entry e) {
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) erase_locked(it->second);
  lru_.emplace_front(key, std::move(e));
  const auto c = cost(lru_.front());
  if (c > max_bytes_ || max_entries_ == 0) {
    lru_.pop_front();
    return;
  }
  index_.emplace(lru_.front().first, lru_.begin());
  bytes_ += c;
  while (index_.size() > max_entries_ || bytes_ > max_bytes_) erase_locked(std::prev(lru_.end()));
}

void l1::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) erase_locked(it->second);
}

std::size_t l1::erase_tag(std::string_view tag) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    const auto next = std::next(it);
    if (has_tag(it->second.tags, tag)) {
      erase_locked(it);
      ++n;
    }
    it = next;
  }
  return n;
}

void l1::clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

std::size_t l1::size() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

std::size_t l1::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void l1::erase_locked(std::list<node>::iterator it) {
  bytes_ -= cost(*it);
  index_.erase(it->first);
  lru_.erase(it);
}

}  // namespace redkit::cache::detail
