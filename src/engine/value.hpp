// What the engine's keyspace holds: one entry per key, a value of one of Redis's types plus
// an optional expiry time.
// Thread-safety: none of its own; the engine lock guards every entry.
#pragma once

#include "engine/memory.hpp"
#include "engine/zset.hpp"

#include <cstdint>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

namespace redkit::engine {

using hash_value = string_map<mstring>;
using set_value = string_set;
using list_value = string_deque;

/// The order matches `entry::value`'s alternatives.
enum class value_type { string, list, set, zset, hash };

/// Redis's name of a type, as TYPE and SCAN TYPE use it.
constexpr std::string_view type_name(value_type t) noexcept {
  switch (t) {
    case value_type::string:
      return "string";
    case value_type::list:
      return "list";
    case value_type::set:
      return "set";
    case value_type::zset:
      return "zset";
    case value_type::hash:
      return "hash";
  }
  return "none";
}

/// An (expiry, key) of the expiry index, to look an entry up without copying the key.
struct expiry_probe {
  std::int64_t at;
  std::string_view key;
};

/// The expiry index's order: std::less of (time, key) (keys as memcmp orders them), with the
/// key comparison inlined (keys often share a time, and a prefix).
struct expiry_order {
  using is_transparent = void;
  using item = std::pair<std::int64_t, mstring>;

  /// view(a) < view(b), as std::string_view compares.
  static bool key_less(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    const char* p = a.data();
    const char* q = b.data();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      std::memcpy(&x, p + i, 8);
      std::memcpy(&y, q + i, 8);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
    }
    for (; i < n; ++i) {
      if (p[i] != q[i]) return static_cast<unsigned char>(p[i]) < static_cast<unsigned char>(q[i]);
    }
    return a.size() < b.size();
  }
  static bool less(std::int64_t a_at, std::string_view a, std::int64_t b_at,
                   std::string_view b) noexcept {
    return a_at < b_at || (a_at == b_at && key_less(a, b));
  }
  bool operator()(const item& a, const item& b) const noexcept {
    return less(a.first, view(a.second), b.first, view(b.second));
  }
  bool operator()(const item& a, const expiry_probe& b) const noexcept {
    return less(a.first, view(a.second), b.at, b.key);
  }
  bool operator()(const expiry_probe& a, const item& b) const noexcept {
    return less(a.at, a.key, b.first, view(b.second));
  }
};

/// (time, key) for every key with a TTL, soonest first: the active sweep pops from it. A key is
/// filed no later than its deadline (`entry::expire_at_ms`): the sweep re-files one whose
/// deadline moved later.
using expiry_index = std::set<std::pair<std::int64_t, mstring>, expiry_order,
                              counting_allocator<std::pair<std::int64_t, mstring>>>;

struct entry {
  std::variant<mstring, list_value, set_value, zset, hash_value> value;
  /// Absolute expiry in ms since the Unix epoch (engine clock); 0 means none.
  std::int64_t expire_at_ms = 0;
  /// This key's node in the expiry index; meaningful only while expire_at_ms != 0.
  expiry_index::iterator expiry_node{};

  value_type type() const noexcept { return static_cast<value_type>(value.index()); }
};

}  // namespace redkit::engine
