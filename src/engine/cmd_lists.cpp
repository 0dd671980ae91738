// Engine commands: the lists family (LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
// LINDEX, LSET, LREM, LTRIM, LINSERT, LPOS, LMOVE, RPOPLPUSH, LMPOP), with Redis 7.0's replies,
// errors and order of checks (which argument errors win over a missing key or a wrong type).
// The blocking variants (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) are not here: they need a
// waiting mechanism outside the command table.
#include "engine/engine.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace redkit::engine {
namespace {

constexpr std::string_view err_not_positive = "ERR value is out of range, must be positive";
constexpr std::string_view err_rank_zero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
constexpr std::string_view err_count_negative = "ERR COUNT can't be negative";
constexpr std::string_view err_maxlen_negative = "ERR MAXLEN can't be negative";
constexpr std::string_view err_numkeys = "ERR numkeys should be greater than 0";
constexpr std::string_view err_count_positive = "ERR count should be greater than 0";

enum class side { left, right };

/// LEFT / RIGHT (any case), as Redis's getListPositionFromObjectOrReply.
bool parse_side(std::string_view s, side& out) noexcept {
  if (iequals(s, "left")) {
    out = side::left;
    return true;
  }
  if (iequals(s, "right")) {
    out = side::right;
    return true;
  }
  return false;
}

resp::reply bulk_of(const mstring& s) { return context::bulk(view(s)); }

mstring pop(list_value& l, side where) {
  mstring v;
  if (where == side::left) {
    v = std::move(l.front());
    l.pop_front();
  } else {
    v = std::move(l.back());
    l.pop_back();
  }
  return v;
}

void push(list_value& l, side where, std::string_view v) {
  if (where == side::left) {
    l.push_front(to_m(v));
  } else {
    l.push_back(to_m(v));
  }
}

/// Normalizes a Redis index (negative counts from the tail); false when out of range.
bool resolve_index(std::int64_t index, std::size_t size, std::size_t& out) noexcept {
  const auto n = static_cast<std::int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return false;
  out = static_cast<std::size_t>(index);
  return true;
}

/// Redis's range clamping for LRANGE / LTRIM: false when the range is empty.
bool resolve_range(std::int64_t start, std::int64_t end, std::size_t size, std::size_t& first,
                   std::size_t& last) noexcept {
  const auto n = static_cast<std::int64_t>(size);
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) return false;
  if (end >= n) end = n - 1;
  first = static_cast<std::size_t>(start);
  last = static_cast<std::size_t>(end);
  return true;
}

// --- push -------------------------------------------------------------------------------------

resp::reply push_generic(context& c, side where, bool only_existing) {
  bool wrong = false;
  list_value* l = nullptr;
  if (only_existing) {
    l = c.find_as<list_value>(c.arg(1), wrong);
    if (wrong) return context::error(err::wrong_type);
    if (l == nullptr) return context::integer(0);
  } else {
    l = c.find_or_create<list_value>(c.arg(1), wrong);
    if (wrong) return context::error(err::wrong_type);
  }
  for (std::size_t i = 2; i < c.argc(); ++i) push(*l, where, c.arg(i));
  return context::integer(static_cast<std::int64_t>(l->size()));
}

resp::reply lpush(context& c) { return push_generic(c, side::left, false); }
resp::reply rpush(context& c) { return push_generic(c, side::right, false); }
resp::reply lpushx(context& c) { return push_generic(c, side::left, true); }
resp::reply rpushx(context& c) { return push_generic(c, side::right, true); }

// --- pop --------------------------------------------------------------------------------------

/// Pops up to `count` elements from `where` of the list at `key` into an array reply, deleting
/// the key when it empties.
resp::reply pop_range(context& c, std::string_view key, list_value& l, side where,
                      std::int64_t count) {
  const auto n = std::min<std::uint64_t>(static_cast<std::uint64_t>(count), l.size());
  std::vector<resp::reply> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(bulk_of(pop(l, where)));
  c.remove_if_empty(key);
  return context::array(std::move(out));
}

// LPOP / RPOP key [count]
resp::reply pop_generic(context& c, side where) {
  if (c.argc() > 3) return c.arity_error();
  const bool has_count = c.argc() == 3;
  std::int64_t count = 0;
  if (has_count && (!context::parse_int(c.arg(2), count) || count < 0)) {
    return context::error(err_not_positive);
  }
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::nil();  // RESP2: null array with a count, null bulk without
  if (has_count) return pop_range(c, c.arg(1), *l, where, count);
  auto v = pop(*l, where);
  c.remove_if_empty(c.arg(1));
  return bulk_of(v);
}

resp::reply lpop(context& c) { return pop_generic(c, side::left); }
resp::reply rpop(context& c) { return pop_generic(c, side::right); }

// --- read -------------------------------------------------------------------------------------

resp::reply llen(context& c) {
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return context::integer(l == nullptr ? 0 : static_cast<std::int64_t>(l->size()));
}

// LRANGE key start stop: the indexes are parsed before the key is looked up.
resp::reply lrange(context& c) {
  std::int64_t start = 0;
  std::int64_t end = 0;
  if (!context::parse_int(c.arg(2), start) || !context::parse_int(c.arg(3), end)) {
    return context::error(err::not_integer);
  }
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::vector<resp::reply> out;
  std::size_t first = 0;
  std::size_t last = 0;
  if (l != nullptr && resolve_range(start, end, l->size(), first, last)) {
    out.reserve(last - first + 1);
    for (auto it = l->begin() + static_cast<std::ptrdiff_t>(first),
              stop = l->begin() + static_cast<std::ptrdiff_t>(last) + 1;
         it != stop; ++it) {
      out.push_back(bulk_of(*it));
    }
  }
  return context::array(std::move(out));
}

// LINDEX key index: the key (and its type) is checked before the index is parsed.
resp::reply lindex(context& c) {
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::nil();
  std::int64_t index = 0;
  if (!context::parse_int(c.arg(2), index)) return context::error(err::not_integer);
  std::size_t at = 0;
  if (!resolve_index(index, l->size(), at)) return context::nil();
  return bulk_of((*l)[at]);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
resp::reply lpos(context& c) {
  std::int64_t rank = 1;
  std::int64_t count = -1;  // -1: no COUNT option
  std::int64_t maxlen = 0;  // 0: no limit
  for (std::size_t j = 3; j < c.argc(); ++j) {
    const auto opt = c.arg(j);
    const bool more = j + 1 < c.argc();
    if (iequals(opt, "rank") && more) {
      if (!context::parse_int(c.arg(++j), rank)) return context::error(err::not_integer);
      if (rank == 0) return context::error(err_rank_zero);
    } else if (iequals(opt, "count") && more) {
      if (!context::parse_int(c.arg(++j), count) || count < 0) {
        return context::error(err_count_negative);
      }
    } else if (iequals(opt, "maxlen") && more) {
      if (!context::parse_int(c.arg(++j), maxlen) || maxlen < 0) {
        return context::error(err_maxlen_negative);
      }
    } else {
      return context::error(err::syntax);
    }
  }
  const bool with_count = count != -1;
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return with_count ? context::array({}) : context::nil();

  const bool from_tail = rank < 0;
  // Matches to skip before reporting. Redis negates the rank in a long: RANK LONG_MIN stays
  // negative, so every match qualifies and the COUNT limit never triggers (its arithmetic
  // wraps); reproduce that rather than crash or differ.
  const bool min_rank = rank == std::numeric_limits<std::int64_t>::min();
  const std::uint64_t skip =
      min_rank ? 0 : static_cast<std::uint64_t>(from_tail ? -rank : rank) - 1;
  std::uint64_t limit = 1;
  if (with_count) {
    limit = (count == 0 || min_rank) ? std::numeric_limits<std::uint64_t>::max()
                                     : static_cast<std::uint64_t>(count);
  }
  const auto& elem = c.arg(2);
  const std::size_t n = l->size();
  const std::size_t scan =
      maxlen == 0 ? n : std::min<std::size_t>(n, static_cast<std::size_t>(maxlen));
  std::vector<resp::reply> found;
  std::uint64_t matches = 0;
  for (std::size_t i = 0; i < scan && found.size() < limit; ++i) {
    const std::size_t at = from_tail ? n - 1 - i : i;
    if (view((*l)[at]) != elem) continue;
    if (++matches > skip) found.push_back(context::integer(static_cast<std::int64_t>(at)));
  }
  if (with_count) return context::array(std::move(found));
  return found.empty() ? context::nil() : std::move(found.front());
}

// --- modify -----------------------------------------------------------------------------------

// LSET key index element: "no such key" for a missing key, checked before the index is parsed.
resp::reply lset(context& c) {
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::error(err::no_such_key);
  std::int64_t index = 0;
  if (!context::parse_int(c.arg(2), index)) return context::error(err::not_integer);
  std::size_t at = 0;
  if (!resolve_index(index, l->size(), at)) return context::error(err::out_of_range);
  (*l)[at] = to_m(c.arg(3));
  return context::ok();
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
resp::reply lrem(context& c) {
  std::int64_t count = 0;
  if (!context::parse_int(c.arg(2), count)) return context::error(err::not_integer);
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::integer(0);
  const auto elem = c.arg(3);
  // The magnitude as unsigned: Redis's -LONG_MIN wraps and never matches "removed", i.e. all.
  const std::uint64_t limit = count == 0  ? std::numeric_limits<std::uint64_t>::max()
                              : count > 0 ? static_cast<std::uint64_t>(count)
                                          : std::uint64_t{0} - static_cast<std::uint64_t>(count);
  std::uint64_t removed = 0;
  if (count >= 0) {
    // Compact in place from the head, stopping the removals after `limit`.
    auto out = l->begin();
    for (auto it = l->begin(); it != l->end(); ++it) {
      if (removed < limit && view(*it) == elem) {
        ++removed;
        continue;
      }
      if (out != it) *out = std::move(*it);
      ++out;
    }
    l->erase(out, l->end());
  } else {
    auto out = l->rbegin();
    for (auto it = l->rbegin(); it != l->rend(); ++it) {
      if (removed < limit && view(*it) == elem) {
        ++removed;
        continue;
      }
      if (out != it) *out = std::move(*it);
      ++out;
    }
    l->erase(l->begin(), out.base());
  }
  c.remove_if_empty(c.arg(1));
  return context::integer(static_cast<std::int64_t>(removed));
}

// LTRIM key start stop: the indexes are parsed before the key is looked up.
resp::reply ltrim(context& c) {
  std::int64_t start = 0;
  std::int64_t end = 0;
  if (!context::parse_int(c.arg(2), start) || !context::parse_int(c.arg(3), end)) {
    return context::error(err::not_integer);
  }
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::ok();
  std::size_t first = 0;
  std::size_t last = 0;
  if (resolve_range(start, end, l->size(), first, last)) {
    l->erase(l->begin() + static_cast<std::ptrdiff_t>(last) + 1, l->end());
    l->erase(l->begin(), l->begin() + static_cast<std::ptrdiff_t>(first));
  } else {
    l->clear();
  }
  c.remove_if_empty(c.arg(1));
  return context::ok();
}

// LINSERT key BEFORE|AFTER pivot element: the position word is checked first; 0 for a missing
// key, -1 when the pivot is not found, else the new length.
resp::reply linsert(context& c) {
  bool after = false;
  if (iequals(c.arg(2), "after")) {
    after = true;
  } else if (!iequals(c.arg(2), "before")) {
    return context::error(err::syntax);
  }
  bool wrong = false;
  auto* l = c.find_as<list_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (l == nullptr) return context::integer(0);
  const auto pivot = c.arg(3);
  for (auto it = l->begin(); it != l->end(); ++it) {
    if (view(*it) != pivot) continue;
    l->insert(after ? it + 1 : it, to_m(c.arg(4)));
    return context::integer(static_cast<std::int64_t>(l->size()));
  }
  return context::integer(-1);
}

// --- move -------------------------------------------------------------------------------------

resp::reply move_generic(context& c, side from, side to) {
  const auto src_key = c.arg(1);
  const auto dst_key = c.arg(2);
  bool wrong = false;
  auto* src = c.find_as<list_value>(src_key, wrong);
  if (wrong) return context::error(err::wrong_type);
  if (src == nullptr) return context::nil();
  // The destination's type is checked before anything is popped. Pointers into the keyspace
  // stay valid across the insertion of another key (node-based map).
  auto* dst = c.find_or_create<list_value>(dst_key, wrong);
  if (wrong) return context::error(err::wrong_type);
  auto v = pop(*src, from);
  if (to == side::left) {
    dst->push_front(v);
  } else {
    dst->push_back(v);
  }
  c.remove_if_empty(src_key);  // a no-op when source == destination (it got the element back)
  return bulk_of(v);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: both positions are checked first.
resp::reply lmove(context& c) {
  side from = side::left;
  side to = side::left;
  if (!parse_side(c.arg(3), from) || !parse_side(c.arg(4), to)) {
    return context::error(err::syntax);
  }
  return move_generic(c, from, to);
}

resp::reply rpoplpush(context& c) { return move_generic(c, side::right, side::left); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]] from the first
// non-empty list, or null.
resp::reply lmpop(context& c) {
  std::int64_t numkeys = 0;
  if (!context::parse_int(c.arg(1), numkeys) || numkeys < 1) return context::error(err_numkeys);
  const auto argc = static_cast<std::int64_t>(c.argc());
  if (numkeys > argc - 3) return context::error(err::syntax);  // no room for the position
  const auto where_idx = static_cast<std::size_t>(2 + numkeys);
  side where = side::left;
  if (!parse_side(c.arg(where_idx), where)) return context::error(err::syntax);
  std::int64_t count = -1;
  for (std::size_t j = where_idx + 1; j < c.argc(); ++j) {
    if (count == -1 && iequals(c.arg(j), "count") && j + 1 < c.argc()) {
      if (!context::parse_int(c.arg(++j), count) || count < 1) {
        return context::error(err_count_positive);
      }
    } else {
      return context::error(err::syntax);
    }
  }
  if (count == -1) count = 1;
  for (std::size_t k = 2; k < where_idx; ++k) {
    const auto key = c.arg(k);
    bool wrong = false;
    auto* l = c.find_as<list_value>(key, wrong);
    if (wrong) return context::error(err::wrong_type);
    if (l == nullptr || l->empty()) continue;
    auto popped = pop_range(c, key, *l, where, count);
    return context::array({context::bulk(key), std::move(popped)});
  }
  return context::nil();
}

constexpr std::array commands{
    command_spec{"lpush", -3, cmd_write | cmd_denyoom, lpush},
    command_spec{"rpush", -3, cmd_write | cmd_denyoom, rpush},
    command_spec{"lpushx", -3, cmd_write | cmd_denyoom, lpushx},
    command_spec{"rpushx", -3, cmd_write | cmd_denyoom, rpushx},
    command_spec{"lpop", -2, cmd_write, lpop},
    command_spec{"rpop", -2, cmd_write, rpop},
    command_spec{"llen", 2, cmd_readonly, llen},
    command_spec{"lrange", 4, cmd_readonly, lrange},
    command_spec{"lindex", 3, cmd_readonly, lindex},
    command_spec{"lpos", -3, cmd_readonly, lpos},
    command_spec{"lset", 4, cmd_write | cmd_denyoom, lset},
    command_spec{"lrem", 4, cmd_write, lrem},
    command_spec{"ltrim", 4, cmd_write, ltrim},
    command_spec{"linsert", 5, cmd_write | cmd_denyoom, linsert},
    command_spec{"lmove", 5, cmd_write | cmd_denyoom, lmove},
    command_spec{"rpoplpush", 3, cmd_write | cmd_denyoom, rpoplpush},
    command_spec{"lmpop", -4, cmd_write, lmpop},
};

}  // namespace

std::span<const command_spec> list_commands() { return commands; }

}  // namespace redkit::engine
