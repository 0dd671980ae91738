// Random elements of the engine's hash tables (SPOP, SRANDMEMBER, HRANDFIELD), picked as
// Redis's dictGetRandomKey does: a random non-empty bucket, then a random entry of its chain.
// Thread-safety: none of its own; used under the engine lock.
#pragma once

#include <cstddef>
#include <iterator>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

namespace redkit::engine {

/// One random element of a non-empty unordered container. O(1) expected; a linear walk when the
/// table is sparse (erasing never shrinks a table's buckets).
template <typename Table>
const typename Table::value_type& random_element(const Table& t, std::mt19937_64& rng) {
  const std::size_t n = t.size();
  const std::size_t buckets = t.bucket_count();
  if (buckets > 8 * n + 64) {
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    return *std::next(t.begin(), static_cast<std::ptrdiff_t>(pick(rng)));
  }
  std::uniform_int_distribution<std::size_t> pick_bucket(0, buckets - 1);
  for (;;) {
    const std::size_t b = pick_bucket(rng);
    const std::size_t len = t.bucket_size(b);
    if (len == 0) continue;
    std::uniform_int_distribution<std::size_t> pick(0, len - 1);
    return *std::next(t.begin(b), static_cast<std::ptrdiff_t>(pick(rng)));
  }
}

/// `count` random elements: with repeats (`distinct` false), or `count` < size distinct ones.
template <typename Table>
std::vector<const typename Table::value_type*> random_elements(const Table& t, std::size_t count,
                                                               bool distinct,
                                                               std::mt19937_64& rng) {
  using element = typename Table::value_type;
  std::vector<const element*> out;
  const std::size_t n = t.size();
  const bool sparse = t.bucket_count() > 8 * n + 64;
  if (distinct ? count * 3 > n || sparse : count > n || sparse) {
    // Snapshot every entry once: O(n) and then O(1) per pick.
    std::vector<const element*> all;
    all.reserve(n);
    for (const auto& e : t) all.push_back(&e);
    if (distinct) {
      for (std::size_t i = 0; i < count; ++i) {  // partial Fisher-Yates
        std::uniform_int_distribution<std::size_t> pick(i, n - 1);
        std::swap(all[i], all[pick(rng)]);
      }
      all.resize(count);
      return all;
    }
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    for (std::size_t i = 0; i < count; ++i) out.push_back(all[pick(rng)]);
    return out;
  }
  if (!distinct) {
    for (std::size_t i = 0; i < count; ++i) out.push_back(&random_element(t, rng));
    return out;
  }
  std::unordered_set<const element*> picked;
  while (picked.size() < count) {
    const element* e = &random_element(t, rng);
    if (picked.insert(e).second) out.push_back(e);
  }
  return out;
}

}  // namespace redkit::engine
