// The engine's sorted set (see zset.hpp).
#include "engine/zset.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <functional>
#include <utility>

namespace redkit::engine {

namespace {

// Probes for the tree's heterogeneous lookups. Each compares a node with a bound the way a
// strict weak order compatible with (score, member) must: the bound sits between two nodes.
struct score_before {  // nodes with score < s come first
  bool operator()(const zset::node& n, double s) const noexcept { return n.score < s; }
  bool operator()(double s, const zset::node& n) const noexcept { return s < n.score; }
};
struct member_before {
  bool operator()(const zset::node& n, std::string_view m) const noexcept { return n.name() < m; }
  bool operator()(std::string_view m, const zset::node& n) const noexcept { return m < n.name(); }
};

}  // namespace

zset::zset(const zset& other) : tree_(other.tree_), listpack_(other.listpack_) {
  if (listpack_) {
    reindex();
  } else {
    rehash(other.buckets_.size());
  }
}

zset& zset::operator=(const zset& other) {
  if (this != &other) {
    zset copy(other);
    *this = std::move(copy);
  }
  return *this;
}

zset& zset::operator=(zset&& other) noexcept {
  tree_.swap(other.tree_);
  small_.swap(other.small_);
  buckets_.swap(other.buckets_);
  std::swap(listpack_, other.listpack_);
  return *this;
}

std::uint64_t zset::reverse_bits(std::uint64_t v) noexcept {
  // Swap ever larger groups: bits, pairs, nibbles, bytes, then the byte order.
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

std::size_t zset::hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

const zset::node* zset::find(std::string_view member, std::size_t h) const noexcept {
  if (listpack_) {
    for (const auto& e : small_) {
      if (e.hash == h && e.n->name() == member) return e.n;
    }
    return nullptr;
  }
  if (buckets_.empty()) return nullptr;
  for (const node* n = buckets_[bucket_of(h)].head; n != nullptr; n = n->next) {
    if (n->hash == h && n->name() == member) return n;
  }
  return nullptr;
}

void zset::link(const node* n) {
  if (listpack_) {
    if (small_.empty()) small_.reserve(8);  // fewer regrowths for a set that is growing
    small_.push_back({n->hash, n});
    return;
  }
  auto& head = buckets_[bucket_of(n->hash)].head;
  n->next = head;
  head = n;
}

void zset::unlink(const node* n) {
  if (listpack_) {
    auto it = std::find_if(small_.begin(), small_.end(), [n](const auto& e) { return e.n == n; });
    *it = small_.back();  // order does not matter: a swap and pop
    small_.pop_back();
    return;
  }
  const node** p = &buckets_[bucket_of(n->hash)].head;
  while (*p != n) p = &(*p)->next;
  *p = n->next;
  n->next = nullptr;
}

void zset::rehash(std::size_t count) {
  buckets_.assign(count, bucket{});
  if (count == 0) return;
  for (const node& n : tree_) link(&n);
}

void zset::reindex() {
  if (!listpack_) {
    small_ = {};
    rehash(tree_.empty() ? 0 : std::bit_ceil(std::max<std::size_t>(tree_.size(), 4)));
    return;
  }
  buckets_ = {};
  small_.clear();
  small_.reserve(tree_.size());
  for (const node& n : tree_) small_.push_back({n.hash, &n});
}

void zset::resize_if_needed() {
  if (listpack_) return;
  const std::size_t used = tree_.size();
  const std::size_t buckets = buckets_.size();
  if (used > buckets) {
    rehash(std::bit_ceil(std::max<std::size_t>(used, 4)));
  } else if (buckets > 4 && used * 10 < buckets) {
    rehash(used == 0 ? 0 : std::bit_ceil(std::max<std::size_t>(used, 4)));
  }
}

const zset::node* zset::insert(std::string_view member, double score, std::size_t h) {
  if (listpack_ &&
      (tree_.size() + 1 > listpack_max_entries || member.size() > listpack_max_value)) {
    convert_to_skiplist();
  }
  if (listpack_ && score == 0) score = 0.0;  // a listpack stores -0 as "0"
  auto [it, inserted] = tree_.emplace(to_m(member), score, nullptr, h);
  const node* n = &*it;
  if (!inserted) return n;  // (score, member) already there
  if (!listpack_ && buckets_.empty()) buckets_.assign(4, bucket{});
  link(n);
  resize_if_needed();
  return n;
}

void zset::set_score(const node* n, double score) {
  if (listpack_ && score == 0) score = 0.0;
  tree_.modify(tree_.iterator_to(*n), [score](node& x) { x.score = score; });
}

bool zset::erase(std::string_view member) {
  const node* n = find(member);
  if (n == nullptr) return false;
  erase(tree_.iterator_to(*n));
  return true;
}

zset::iterator zset::erase(iterator it) {
  unlink(&*it);
  auto next = tree_.erase(it);
  resize_if_needed();
  return next;
}

std::size_t zset::erase(iterator first, iterator last) {
  if (listpack_) {
    // One pass over the array instead of a search per removed node (at most 128 of them).
    std::array<const node*, listpack_max_entries> gone;
    std::size_t count = 0;
    for (auto it = first; it != last; ++it) gone[count++] = &*it;
    std::sort(gone.begin(), gone.begin() + static_cast<std::ptrdiff_t>(count));
    std::erase_if(small_, [&](const small_entry& e) {
      return std::binary_search(gone.begin(), gone.begin() + static_cast<std::ptrdiff_t>(count),
                                e.n);
    });
    tree_.erase(first, last);
    return count;
  }
  std::size_t removed = 0;
  while (first != last) {
    unlink(&*first);
    first = tree_.erase(first);
    ++removed;
  }
  resize_if_needed();
  return removed;
}

zset::iterator zset::score_lower(double s, bool exclusive) const {
  return exclusive ? tree_.upper_bound(s, score_before{}) : tree_.lower_bound(s, score_before{});
}

zset::iterator zset::score_upper(double s, bool exclusive) const {
  return exclusive ? tree_.lower_bound(s, score_before{}) : tree_.upper_bound(s, score_before{});
}

zset::iterator zset::member_lower(std::string_view m, bool exclusive) const {
  return exclusive ? tree_.upper_bound(m, member_before{}) : tree_.lower_bound(m, member_before{});
}

void zset::convert_to_listpack_if_fits() {
  if (listpack_ || tree_.size() > listpack_max_entries) return;
  for (const node& n : tree_) {
    if (n.member.size() > listpack_max_value) return;
  }
  listpack_ = true;
  reindex();
  for (auto it = tree_.begin(); it != tree_.end(); ++it) {
    // -0 and 0 compare equal, so this keeps the node in place.
    if (it->score == 0 && std::signbit(it->score)) {
      tree_.modify(it, [](node& x) { x.score = 0.0; });
    }
  }
}

void zset::convert_to_skiplist() {
  if (!listpack_) return;
  listpack_ = false;
  reindex();
}

}  // namespace redkit::engine
