// The engine's sorted set: members ordered by (score, member bytes) as in Redis, with O(log n)
// rank, rank-range and score-range operations, and O(1) score lookup by member (a scan of at
// most 128 contiguous entries while the set is small).
//
// Structure: a Boost.MultiIndex ranked index (a red-black tree whose nodes know their subtree
// sizes, so rank and nth are O(log n)) ordered by (score, member), plus an index of the tree's
// nodes by member. While the set is small (in listpack mode, below) the index is one array of
// (hash, node) pairs searched linearly: a lookup reads contiguous memory and touches no other
// node, where a chained table costs two dependent cache misses (bucket, then node). Past that,
// it is a chained hash table with a power-of-two bucket count, so that ZSCAN can use Redis's
// reverse-binary cursor (every member present for a whole scan is returned at least once, even
// when the table grows or shrinks between calls). All memory goes through
// `counting_allocator`, so it is accounted.
//
// Redis 7.0 keeps small sorted sets (at most 128 members of at most 64 bytes) in a "listpack"
// and converts them to a skiplist once they grow past that, never back (except for the sets
// that ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE create). Two visible behaviours depend on it: a
// listpack stores the score -0 as 0, and ZSCAN of a listpack returns everything in one call, in
// order. `listpack()` mirrors that state so the commands can match Redis exactly.
//
// Thread-safety: none of its own; the engine lock guards it.
#pragma once

#include "engine/memory.hpp"

#include <boost/multi_index/identity.hpp>
#include <boost/multi_index/ranked_index.hpp>
#include <boost/multi_index_container.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace redkit::engine {

class zset {
 public:
  /// Redis's defaults for zset-max-listpack-entries / zset-max-listpack-value.
  static constexpr std::size_t listpack_max_entries = 128;
  static constexpr std::size_t listpack_max_value = 64;

  struct node {
    mstring member;
    double score = 0;
    /// Next node in the same hash bucket (the table links the tree's nodes in place).
    mutable const node* next = nullptr;
    /// hash(member): a lookup skips other members without reading their bytes, a rehash
    /// without hashing them again.
    std::size_t hash = 0;

    std::string_view name() const noexcept { return view(member); }
  };

  /// (score, member bytes), -0 equal to 0, members compared as memcmp then length (sdscmp).
  struct order {
    bool operator()(const node& a, const node& b) const noexcept {
      if (a.score != b.score) return a.score < b.score;
      return a.name() < b.name();
    }
  };

  using tree_type =
      boost::multi_index_container<node,
                                   boost::multi_index::indexed_by<boost::multi_index::ranked_unique<
                                       boost::multi_index::identity<node>, order>>,
                                   counting_allocator<node>>;
  using iterator = tree_type::const_iterator;
  using reverse_iterator = tree_type::const_reverse_iterator;

  zset() = default;
  zset(const zset& other);
  zset& operator=(const zset& other);
  zset(zset&&) noexcept = default;
  /// Swaps, so the moved-from set stays consistent (it holds this set's old members).
  zset& operator=(zset&& other) noexcept;
  ~zset() = default;

  std::size_t size() const noexcept { return tree_.size(); }
  bool empty() const noexcept { return tree_.empty(); }
  /// True while Redis would keep this set as a listpack (see the file comment).
  bool listpack() const noexcept { return listpack_; }

  // --- by member (O(1)) ----------------------------------------------------------------------

  const node* find(std::string_view member) const noexcept { return find(member, hash(member)); }
  /// The same with `h` = hash(member), so that a find then an insert hash once.
  const node* find(std::string_view member, std::size_t h) const noexcept;
  /// Adds a member that is not present (precondition). May leave listpack mode; in listpack
  /// mode a score of -0 is stored as 0, as Redis does.
  const node* insert(std::string_view member, double score) {
    return insert(member, score, hash(member));
  }
  /// The same with `h` = hash(member).
  const node* insert(std::string_view member, double score, std::size_t h);
  /// The hash find and insert take.
  static std::size_t hash(std::string_view s) noexcept;
  /// Changes the score of a present member (O(log n)).
  void set_score(const node* n, double score);
  /// Removes `member`; false if it was absent.
  bool erase(std::string_view member);
  /// Removes the node at `it`; returns the iterator after it.
  iterator erase(iterator it);
  /// Removes [first, last) (in order); returns how many.
  std::size_t erase(iterator first, iterator last);

  // --- by position (O(log n)) ----------------------------------------------------------------

  iterator begin() const noexcept { return tree_.begin(); }
  iterator end() const noexcept { return tree_.end(); }
  reverse_iterator rbegin() const noexcept { return tree_.rbegin(); }
  reverse_iterator rend() const noexcept { return tree_.rend(); }
  iterator iterator_to(const node* n) const { return tree_.iterator_to(*n); }
  /// 0-based rank of `it` in ascending order (end() gives size()).
  std::size_t rank(iterator it) const { return tree_.rank(it); }
  /// The node of 0-based rank `r` (end() when r >= size()).
  iterator nth(std::size_t r) const { return tree_.nth(r); }

  // --- by score (O(log n)) -------------------------------------------------------------------

  /// First node whose score is >= `s` (or > `s` when `exclusive`).
  iterator score_lower(double s, bool exclusive) const;
  /// First node whose score is > `s` (or >= `s` when `exclusive`): the end of a range whose
  /// upper bound is `s`.
  iterator score_upper(double s, bool exclusive) const;
  /// First node whose member is >= `m` (or > `m` when `exclusive`), assuming members ascend in
  /// tree order (true when all scores are equal, the case lex ranges are meant for).
  iterator member_lower(std::string_view m, bool exclusive) const;

  // --- conversion and scanning ---------------------------------------------------------------

  /// What ZUNIONSTORE & co. do to the set they build: back to listpack mode (scores -0 become
  /// 0) when it has at most 128 members and the longest member has at most 64 bytes.
  void convert_to_listpack_if_fits();
  /// Leaves listpack mode (Redis builds the results of ZUNIONSTORE & co. as skiplists).
  void convert_to_skiplist();

  /// One step of Redis's dictScan over the member hash table: calls `f(const node&)` for every
  /// node of the bucket at `cursor` and returns the next cursor (0 when done); in listpack mode,
  /// every node in order, and 0. `f` must not change the set.
  template <typename F>
  std::uint64_t scan(std::uint64_t cursor, F&& f) const {
    if (listpack_) {  // Redis's ZSCAN returns a listpack whole, whatever the cursor
      for (const node& n : tree_) f(n);
      return 0;
    }
    if (buckets_.empty()) return 0;
    const std::uint64_t mask = buckets_.size() - 1;
    for (const node* n = buckets_[cursor & mask].head; n != nullptr; n = n->next) f(*n);
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    ++cursor;
    return reverse_bits(cursor);
  }

 private:
  static std::uint64_t reverse_bits(std::uint64_t v) noexcept;
  std::size_t bucket_of(std::size_t h) const noexcept { return h & (buckets_.size() - 1); }
  void link(const node* n);
  void unlink(const node* n);
  /// Rebuilds the chained table with `count` buckets (a power of two, or 0 when empty).
  void rehash(std::size_t count);
  /// Rebuilds the index for the current mode (the array in listpack mode, else the table).
  void reindex();
  /// Grows or shrinks the table as Redis's dict does (load 1 to grow, 10% fill to shrink).
  void resize_if_needed();

  struct bucket {
    const node* head = nullptr;
  };
  /// The listpack-mode index entry.
  struct small_entry {
    std::size_t hash;
    const node* n;
  };

  tree_type tree_;
  std::vector<small_entry, counting_allocator<small_entry>> small_;  // listpack mode
  std::vector<bucket, counting_allocator<bucket>> buckets_;          // otherwise
  bool listpack_ = true;
};

}  // namespace redkit::engine
