// The cache's in-process level: entries by key, least recently used first out, bounded by a
// count and by bytes (key + value + tags). Times are the cache's local clock in ms.
// Thread-safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace redkit::cache::detail {

struct l1_entry {
  std::string value;
  bool negative = false;  ///< a cached absence
  std::string tags;       ///< NUL-separated, as stored in L2
  std::int64_t fresh_until = 0;
  std::int64_t swr_until = 0;  ///< end of the stale-while-revalidate window
  std::int64_t sie_until = 0;  ///< end of the stale-if-error window
  std::int64_t load_ms = 0;    ///< how long the last load took (XFetch's delta)
  /// The invalidation epoch it was stored in: entries of an older epoch (stored before the
  /// broadcast connection was lost) are served only as a fallback.
  std::uint64_t epoch = 0;
};

/// True if NUL-separated `tags` holds `tag`.
bool has_tag(std::string_view tags, std::string_view tag) noexcept;

class l1 {
 public:
  l1(std::size_t max_entries, std::size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  /// A copy of `key`'s entry (and marks it used), or nothing.
  std::optional<l1_entry> find(const std::string& key);
  /// Stores or replaces `key`'s entry, evicting the least recently used beyond the bounds. An
  /// entry larger than max_bytes on its own is not stored.
  void put(const std::string& key, l1_entry e);
  void erase(const std::string& key);
  /// Drops every entry carrying `tag`; returns how many.
  std::size_t erase_tag(std::string_view tag);
  void clear();
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  using node = std::pair<std::string, l1_entry>;
  static std::size_t cost(const node& n) noexcept;
  void erase_locked(std::list<node>::iterator it);

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<node> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<node>::iterator> index_;  // views into lru_
  std::size_t bytes_ = 0;
};

}  // namespace redkit::cache::detail
