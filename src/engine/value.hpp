// What the engine's keyspace holds: one entry per key, a value of one of Redis's types plus
// an optional expiry time.
// Thread-safety: none of its own; the engine lock guards every entry.
#pragma once

#include "engine/memory.hpp"
#include "engine/zset.hpp"

#include <cstdint>
#include <string_view>
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

struct entry {
  std::variant<mstring, list_value, set_value, zset, hash_value> value;
  /// Absolute expiry in ms since the Unix epoch (engine clock); 0 means none.
  std::int64_t expire_at_ms = 0;

  value_type type() const noexcept { return static_cast<value_type>(value.index()); }
};

}  // namespace redkit::engine
