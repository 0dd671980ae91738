// Engine commands: the sets family (SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
// SRANDMEMBER, SMOVE, SINTER, SUNION, SDIFF, SINTERSTORE, SUNIONSTORE, SDIFFSTORE, SINTERCARD,
// SSCAN), with Redis 7.0's replies, reply shapes and error texts.
// Thread-safety: the commands run under the engine lock (see engine.hpp).
#include "engine/engine.hpp"
#include "engine/sampling.hpp"
#include "engine/scan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace redkit::engine {
namespace {

constexpr std::string_view err_count_range =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr std::string_view err_must_be_positive = "ERR value is out of range, must be positive";
constexpr std::string_view err_numkeys = "ERR numkeys should be greater than 0";
constexpr std::string_view err_too_many_keys =
    "ERR Number of keys can't be greater than number of args";
constexpr std::string_view err_negative_limit = "ERR LIMIT can't be negative";

// --- random members (SPOP, SRANDMEMBER) -------------------------------------------------------

const mstring& random_member(const set_value& s, std::mt19937_64& rng) {
  return random_element(s, rng);
}

std::vector<const mstring*> random_members(const set_value& s, std::size_t count, bool distinct,
                                           std::mt19937_64& rng) {
  return random_elements(s, count, distinct, rng);
}

// --- single-set commands ----------------------------------------------------------------------

resp::reply sadd(context& c) {
  bool wrong = false;
  auto* s = c.find_or_create<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::int64_t added = 0;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    if (s->find(c.arg(i)) == s->end()) {
      s->insert(to_m(c.arg(i)));
      ++added;
    }
  }
  return context::integer(added);
}

resp::reply srem(context& c) {
  bool wrong = false;
  auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (s == nullptr) return context::integer(0);
  std::int64_t removed = 0;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    if (auto it = s->find(c.arg(i)); it != s->end()) {
      s->erase(it);
      ++removed;
    }
  }
  c.remove_if_empty(c.arg(1));
  return context::integer(removed);
}

/// The members as bulk strings.
std::vector<resp::reply> all_members(const set_value* s) {
  std::vector<resp::reply> out;
  if (s == nullptr) return out;
  out.reserve(s->size());
  for (const auto& m : *s) out.push_back(context::bulk(view(m)));
  return out;
}

resp::reply smembers(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return c.set(all_members(s));
}

resp::reply sismember(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return context::integer(s != nullptr && s->find(c.arg(2)) != s->end() ? 1 : 0);
}

resp::reply smismember(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::vector<resp::reply> out;
  out.reserve(c.argc() - 2);
  for (std::size_t i = 2; i < c.argc(); ++i) {
    out.push_back(context::integer(s != nullptr && s->find(c.arg(i)) != s->end() ? 1 : 0));
  }
  return context::array(std::move(out));
}

resp::reply scard(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return context::integer(s == nullptr ? 0 : static_cast<std::int64_t>(s->size()));
}

/// SPOP key count: a set (RESP3) of up to `count` distinct members, removed from the key.
resp::reply spop_count(context& c) {
  std::int64_t l = 0;
  if (!context::parse_int(c.arg(2), l) || l < 0) return context::error(err_must_be_positive);
  bool wrong = false;
  auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (s == nullptr || l == 0) return c.set({});
  const auto count = static_cast<std::size_t>(l);
  if (count >= s->size()) {
    auto out = all_members(s);
    c.remove(c.arg(1));
    return c.set(std::move(out));
  }
  std::vector<resp::reply> out;
  out.reserve(count);
  for (const mstring* m : random_members(*s, count, true, c.rng())) {
    out.push_back(context::bulk(view(*m)));
  }
  for (const auto& r : out) s->erase(s->find(std::string_view(r.string)));
  return c.set(std::move(out));
}

/// SPOP key [count]: one random member, removed (or nil).
resp::reply spop(context& c) {
  if (c.argc() == 3) return spop_count(c);
  if (c.argc() > 3) return context::error(err::syntax);
  bool wrong = false;
  auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (s == nullptr) return context::nil();
  auto it = s->find(view(random_member(*s, c.rng())));
  auto out = context::bulk(view(*it));
  s->erase(it);
  c.remove_if_empty(c.arg(1));
  return out;
}

/// SRANDMEMBER key [count]: one random member (or nil), or an array of `count` distinct
/// members (count >= 0) or of |count| members with repeats (count < 0).
resp::reply srandmember(context& c) {
  if (c.argc() > 3) return context::error(err::syntax);
  if (c.argc() == 2) {
    bool wrong = false;
    const auto* s = c.find_as<set_value>(c.arg(1), wrong);
    if (wrong) return context::error(err::wrong_type);
    if (s == nullptr) return context::nil();
    return context::bulk(view(random_member(*s, c.rng())));
  }
  std::int64_t l = 0;
  if (!context::parse_int(c.arg(2), l)) return context::error(err::not_integer);
  if (l == std::numeric_limits<std::int64_t>::min()) return context::error(err_count_range);
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (s == nullptr || l == 0) return context::array({});
  const bool distinct = l > 0;
  const auto count = static_cast<std::size_t>(distinct ? l : -l);
  if (distinct && count >= s->size()) return context::array(all_members(s));
  std::vector<resp::reply> out;
  out.reserve(std::min<std::size_t>(count, 1U << 20));
  for (const mstring* m : random_members(*s, count, distinct, c.rng())) {
    out.push_back(context::bulk(view(*m)));
  }
  return context::array(std::move(out));
}

/// SMOVE source destination member: 1 if moved, 0 if `member` is not in `source`.
resp::reply smove(context& c) {
  bool src_wrong = false;
  bool dst_wrong = false;
  auto* src = c.find_as<set_value>(c.arg(1), src_wrong);
  auto* dst = c.find_as<set_value>(c.arg(2), dst_wrong);
  // A missing source wins over a destination of the wrong type, as in Redis.
  if (src == nullptr && !src_wrong) return context::integer(0);
  if (src_wrong || dst_wrong) return context::error(err::wrong_type);
  if (src == dst) return context::integer(src->find(c.arg(3)) != src->end() ? 1 : 0);
  auto it = src->find(c.arg(3));
  if (it == src->end()) return context::integer(0);
  src->erase(it);
  c.remove_if_empty(c.arg(1));
  if (dst == nullptr) dst = c.find_or_create<set_value>(c.arg(2), dst_wrong);
  dst->insert(to_m(c.arg(3)));
  return context::integer(1);
}

// --- multi-set commands -----------------------------------------------------------------------

/// Looks up every key as a set (nullptr when missing); false when one holds another type.
bool lookup_sets(context& c, std::size_t first, std::size_t count,
                 std::vector<const set_value*>& sets) {
  sets.reserve(count);
  for (std::size_t i = first; i < first + count; ++i) {
    bool wrong = false;
    sets.push_back(c.find_as<set_value>(c.arg(i), wrong));
    if (wrong) return false;
  }
  return true;
}

bool contains(const set_value* s, std::string_view m) { return s->find(m) != s->end(); }

/// Members in every set (views into the keyspace), stopping at `limit` members (0: no limit).
std::vector<std::string_view> inter(std::vector<const set_value*> sets, std::size_t limit) {
  std::vector<std::string_view> out;
  if (std::any_of(sets.begin(), sets.end(), [](const set_value* s) { return s == nullptr; })) {
    return out;
  }
  std::sort(sets.begin(), sets.end(),
            [](const set_value* a, const set_value* b) { return a->size() < b->size(); });
  for (const auto& m : *sets.front()) {
    const auto mv = view(m);
    const bool everywhere = std::all_of(sets.begin() + 1, sets.end(), [&](const set_value* s) {
      return s == sets.front() || contains(s, mv);
    });
    if (!everywhere) continue;
    out.push_back(mv);
    if (limit != 0 && out.size() >= limit) break;
  }
  return out;
}

/// Members in any set (views into the keyspace).
std::vector<std::string_view> sunion_of(const std::vector<const set_value*>& sets) {
  std::vector<std::string_view> out;
  std::unordered_set<std::string_view> seen;
  for (const auto* s : sets) {
    if (s == nullptr) continue;
    for (const auto& m : *s) {
      if (seen.insert(view(m)).second) out.push_back(view(m));
    }
  }
  return out;
}

/// Members of the first set in none of the others (views into the keyspace).
std::vector<std::string_view> sdiff_of(const std::vector<const set_value*>& sets) {
  std::vector<std::string_view> out;
  const set_value* first = sets.front();
  if (first == nullptr) return out;
  for (const auto& m : *first) {
    const auto mv = view(m);
    const bool elsewhere = std::any_of(sets.begin() + 1, sets.end(), [&](const set_value* s) {
      return s != nullptr && contains(s, mv);
    });
    if (!elsewhere) out.push_back(mv);
  }
  return out;
}

enum class set_op { inter, sunion, diff };

std::vector<std::string_view> compute(set_op op, const std::vector<const set_value*>& sets) {
  switch (op) {
    case set_op::inter:
      return inter(sets, 0);
    case set_op::sunion:
      return sunion_of(sets);
    case set_op::diff:
      return sdiff_of(sets);
  }
  return {};
}

/// SINTER / SUNION / SDIFF key [key ...]: a set (RESP3) of the result.
resp::reply set_op_reply(context& c, set_op op) {
  std::vector<const set_value*> sets;
  if (!lookup_sets(c, 1, c.argc() - 1, sets)) return context::error(err::wrong_type);
  const auto members = compute(op, sets);
  std::vector<resp::reply> out;
  out.reserve(members.size());
  for (auto m : members) out.push_back(context::bulk(m));
  return c.set(std::move(out));
}

/// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: stores the result in
/// `destination` (replacing any value and TTL; deleting it when the result is empty) and
/// returns its size.
resp::reply set_op_store(context& c, set_op op) {
  std::vector<const set_value*> sets;
  if (!lookup_sets(c, 2, c.argc() - 2, sets)) return context::error(err::wrong_type);
  const auto members = compute(op, sets);
  if (members.empty()) {
    c.remove(c.arg(1));
    return context::integer(0);
  }
  // Copy before touching the destination: it may be one of the sources.
  entry e;
  auto& result = e.value.emplace<set_value>();
  result.reserve(members.size());
  for (auto m : members) result.insert(to_m(m));
  const auto size = static_cast<std::int64_t>(result.size());
  c.put(c.arg(1), std::move(e));
  return context::integer(size);
}

resp::reply sinter(context& c) { return set_op_reply(c, set_op::inter); }
resp::reply sunion(context& c) { return set_op_reply(c, set_op::sunion); }
resp::reply sdiff(context& c) { return set_op_reply(c, set_op::diff); }
resp::reply sinterstore(context& c) { return set_op_store(c, set_op::inter); }
resp::reply sunionstore(context& c) { return set_op_store(c, set_op::sunion); }
resp::reply sdiffstore(context& c) { return set_op_store(c, set_op::diff); }

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, counting at
/// most `limit` members (0: no limit).
resp::reply sintercard(context& c) {
  std::int64_t numkeys = 0;
  if (!context::parse_int(c.arg(1), numkeys) || numkeys < 1) return context::error(err_numkeys);
  if (numkeys > static_cast<std::int64_t>(c.argc()) - 2) return context::error(err_too_many_keys);
  const auto nkeys = static_cast<std::size_t>(numkeys);
  std::int64_t limit = 0;
  for (std::size_t i = 2 + nkeys; i < c.argc(); ++i) {
    if (iequals(c.arg(i), "limit") && i + 1 < c.argc()) {
      ++i;
      if (!context::parse_int(c.arg(i), limit) || limit < 0) {
        return context::error(err_negative_limit);
      }
    } else {
      return context::error(err::syntax);
    }
  }
  std::vector<const set_value*> sets;
  if (!lookup_sets(c, 2, nkeys, sets)) return context::error(err::wrong_type);
  return context::integer(
      static_cast<std::int64_t>(inter(std::move(sets), static_cast<std::size_t>(limit)).size()));
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, [member, ...]] (see scan.hpp
/// for the cursor).
resp::reply sscan(context& c) {
  std::uint64_t cursor = 0;
  if (!scan_parse_cursor(c.arg(2), cursor)) return context::error(err_invalid_cursor);
  bool wrong = false;
  const auto* s = c.find_as<set_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (s == nullptr) return scan_reply(0, {});  // Redis answers before reading the options
  scan_options opts;
  if (auto e = scan_parse_options(c, 3, false, opts)) return *e;
  std::vector<resp::reply> out;
  const auto next = scan_step(*s, cursor, opts.count, [&](const mstring& m) {
    if (opts.matches(view(m))) out.push_back(context::bulk(view(m)));
  });
  return scan_reply(next, std::move(out));
}

constexpr std::array commands{
    command_spec{"sadd", -3, cmd_write | cmd_denyoom, sadd},
    command_spec{"srem", -3, cmd_write, srem},
    command_spec{"smembers", 2, cmd_readonly, smembers},
    command_spec{"sismember", 3, cmd_readonly, sismember},
    command_spec{"smismember", -3, cmd_readonly, smismember},
    command_spec{"scard", 2, cmd_readonly, scard},
    command_spec{"spop", -2, cmd_write, spop},
    command_spec{"srandmember", -2, cmd_readonly, srandmember},
    command_spec{"smove", 4, cmd_write, smove},
    command_spec{"sinter", -2, cmd_readonly, sinter},
    command_spec{"sunion", -2, cmd_readonly, sunion},
    command_spec{"sdiff", -2, cmd_readonly, sdiff},
    command_spec{"sinterstore", -3, cmd_write | cmd_denyoom, sinterstore},
    command_spec{"sunionstore", -3, cmd_write | cmd_denyoom, sunionstore},
    command_spec{"sdiffstore", -3, cmd_write | cmd_denyoom, sdiffstore},
    command_spec{"sintercard", -3, cmd_readonly, sintercard},
    command_spec{"sscan", -3, cmd_readonly, sscan},
};

}  // namespace

std::span<const command_spec> set_commands() { return commands; }

}  // namespace redkit::engine
