// Engine commands: the keys family (DEL, UNLINK, EXISTS, TOUCH, TYPE, the EXPIRE family with
// NX/XX/GT/LT, TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST, KEYS, SCAN, RENAME, RENAMENX, DBSIZE,
// FLUSHDB, FLUSHALL, RANDOMKEY, COPY), with Redis 7.0's replies and error texts. The engine has
// one database, so options naming another one fail as SELECT does. Runs under the engine lock.
#include "engine/engine.hpp"
#include "engine/glob.hpp"
#include "engine/scan.hpp"

#include <array>
#include <cctype>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

constexpr std::string_view err_nx_conflict =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
constexpr std::string_view err_gt_lt_conflict =
    "ERR GT and LT options at the same time are not compatible";
constexpr std::string_view err_same_object = "ERR source and destination objects are the same";
constexpr std::string_view err_db_range = "ERR DB index is out of range";

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

// DEL and UNLINK: how many of the keys existed (a repeated key counts once).
resp::reply del(context& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.argc(); ++i) n += c.remove(c.arg(i)) ? 1 : 0;
  return context::integer(n);
}

// EXISTS and TOUCH: how many of the keys exist (a repeated key counts each time).
resp::reply exists(context& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.argc(); ++i) n += c.find(c.arg(i)) != nullptr ? 1 : 0;
  return context::integer(n);
}

resp::reply type(context& c) {
  const entry* e = c.find(c.arg(1));
  return context::simple(e != nullptr ? type_name(e->type()) : "none");
}

// --- expiry ----------------------------------------------------------------------------------

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT]: Redis 7's expireGenericCommand.
// `basetime` is added to relative times (0 for the *AT forms). A time already past deletes
// the key (reply 1).
resp::reply expire_generic(context& c, std::int64_t basetime, bool seconds) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    const auto opt = c.arg(j);
    if (iequals(opt, "nx")) {
      nx = true;
    } else if (iequals(opt, "xx")) {
      xx = true;
    } else if (iequals(opt, "gt")) {
      gt = true;
    } else if (iequals(opt, "lt")) {
      lt = true;
    } else {
      return context::error("ERR Unsupported option " + std::string(opt));
    }
  }
  if (nx && (xx || gt || lt)) return context::error(err_nx_conflict);
  if (gt && lt) return context::error(err_gt_lt_conflict);

  std::int64_t when = 0;
  if (!context::parse_int(c.arg(2), when)) return context::error(err::not_integer);
  if (seconds) {
    if (when > int64_max / 1000 || when < int64_min / 1000) return c.invalid_expire();
    when *= 1000;
  }
  if (when > int64_max - basetime) return c.invalid_expire();
  when += basetime;

  const auto key = c.arg(1);
  const entry* e = c.find(key);
  if (e == nullptr) return context::integer(0);
  const std::int64_t current = e->expire_at_ms != 0 ? e->expire_at_ms : -1;
  if (nx && current != -1) return context::integer(0);
  if (xx && current == -1) return context::integer(0);
  // No TTL counts as an infinite one: GT never beats it, LT always does.
  if (gt && (current == -1 || when <= current)) return context::integer(0);
  if (lt && current != -1 && when >= current) return context::integer(0);

  if (when <= c.now_ms()) {
    c.remove(key);
  } else {
    c.set_expire(key, when);
  }
  return context::integer(1);
}

resp::reply expire(context& c) { return expire_generic(c, c.now_ms(), true); }
resp::reply pexpire(context& c) { return expire_generic(c, c.now_ms(), false); }
resp::reply expireat(context& c) { return expire_generic(c, 0, true); }
resp::reply pexpireat(context& c) { return expire_generic(c, 0, false); }

// TTL/PTTL/EXPIRETIME/PEXPIRETIME: -2 without the key, -1 without a TTL; seconds are rounded
// to the nearest, as Redis does.
resp::reply ttl_generic(context& c, bool in_ms, bool absolute) {
  const entry* e = c.find(c.arg(1));
  if (e == nullptr) return context::integer(-2);
  if (e->expire_at_ms == 0) return context::integer(-1);
  std::int64_t t = absolute ? e->expire_at_ms : e->expire_at_ms - c.now_ms();
  if (t < 0) t = 0;
  if (in_ms) return context::integer(t);
  // Unsigned, so the rounding of the largest times cannot overflow (Redis's compiled result).
  return context::integer(static_cast<std::int64_t>((static_cast<std::uint64_t>(t) + 500) / 1000));
}

resp::reply ttl(context& c) { return ttl_generic(c, false, false); }
resp::reply pttl(context& c) { return ttl_generic(c, true, false); }
resp::reply expiretime(context& c) { return ttl_generic(c, false, true); }
resp::reply pexpiretime(context& c) { return ttl_generic(c, true, true); }

resp::reply persist(context& c) {
  const entry* e = c.find(c.arg(1));
  if (e == nullptr || e->expire_at_ms == 0) return context::integer(0);
  c.set_expire(c.arg(1), 0);
  return context::integer(1);
}

// --- iteration -------------------------------------------------------------------------------

// KEYS pattern: logically expired keys are skipped (and, as on Redis, not deleted).
resp::reply keys(context& c) {
  const auto pattern = c.arg(1);
  const bool all = pattern == "*";
  const auto now = c.now_ms();
  std::vector<resp::reply> out;
  for (const auto& [key, e] : c.st.keys) {
    if (e.expire_at_ms != 0 && e.expire_at_ms <= now) continue;
    if (all || glob_match(pattern, view(key))) out.push_back(context::bulk(view(key)));
  }
  return context::array(std::move(out));
}

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: see scan.hpp for the cursor. Expired keys
// met on the way are deleted, as Redis does.
resp::reply scan(context& c) {
  std::uint64_t cursor = 0;
  if (!scan_parse_cursor(c.arg(1), cursor)) return context::error(err_invalid_cursor);
  scan_options opts;
  if (auto e = scan_parse_options(c, 2, true, opts)) return *e;
  std::vector<std::string> seen;
  const auto next = scan_step(c.st.keys, cursor, opts.count,
                              [&](const auto& kv) { seen.emplace_back(view(kv.first)); });
  std::vector<resp::reply> out;
  for (const auto& key : seen) {
    if (!opts.matches(key)) continue;
    const entry* e = c.find(key);
    if (e == nullptr) continue;
    if (opts.type && !iequals(type_name(e->type()), *opts.type)) continue;
    out.push_back(context::bulk(key));
  }
  return scan_reply(next, std::move(out));
}

// RANDOMKEY: a random live key (expired ones picked on the way are deleted), or nil.
resp::reply randomkey(context& c) {
  auto& keys = c.st.keys;
  auto& rng = c.rng();
  while (!keys.empty()) {
    std::string key;
    // Probe random buckets (a chained table at load factor <= 1 has many non-empty ones);
    // a table left sparse by deletions falls back to picking the i-th key.
    const auto buckets = keys.bucket_count();
    std::uniform_int_distribution<std::size_t> pick_bucket(0, buckets - 1);
    for (int probe = 0; probe < 32 && key.empty(); ++probe) {
      const auto b = pick_bucket(rng);
      const auto n = keys.bucket_size(b);
      if (n == 0) continue;
      auto it = keys.begin(b);
      std::advance(it, std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
      key.assign(view((*it).first));  // not it->: Boost 1.81 local iterators get it wrong
    }
    if (key.empty()) {
      auto it = keys.begin();
      std::advance(it, std::uniform_int_distribution<std::size_t>(0, keys.size() - 1)(rng));
      key.assign(view(it->first));
    }
    if (c.find(key) != nullptr) return context::bulk(key);
  }
  return context::nil();
}

resp::reply dbsize(context& c) {
  return context::integer(static_cast<std::int64_t>(c.st.keys.size()));
}

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: both are synchronous here. Like Redis, which frees its
// hash tables, the keyspace also gives back its bucket array (clear() keeps it), so memory
// returns to where an empty engine starts.
resp::reply flush(context& c) {
  if (c.argc() > 2 ||
      (c.argc() == 2 && !iequals(c.arg(1), "sync") && !iequals(c.arg(1), "async"))) {
    return context::error(err::syntax);
  }
  c.flush();
  return context::ok();
}

// --- moving and copying ------------------------------------------------------------------------

// RENAME / RENAMENX src dst: the value moves with its TTL; a missing source is an error even
// when src == dst.
resp::reply rename_generic(context& c, bool nx) {
  const auto from = c.arg(1);
  const auto to = c.arg(2);
  entry* src = c.find(from);
  if (src == nullptr) return context::error(err::no_such_key);
  if (from == to) return nx ? context::integer(0) : context::ok();
  if (nx && c.find(to) != nullptr) return context::integer(0);
  entry moved = std::move(*src);  // keeps expire_at_ms, so remove() below unindexes it
  c.remove(from);
  c.put(to, std::move(moved));
  return nx ? context::integer(1) : context::ok();
}

resp::reply rename(context& c) { return rename_generic(c, false); }
resp::reply renamenx(context& c) { return rename_generic(c, true); }

// COPY src dst [DB index] [REPLACE]: a deep copy with the TTL. Only DB 0 exists.
resp::reply copy(context& c) {
  bool replace = false;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    if (iequals(c.arg(j), "replace")) {
      replace = true;
    } else if (iequals(c.arg(j), "db") && j + 1 < c.argc()) {
      std::int64_t db = 0;
      if (!context::parse_int(c.arg(j + 1), db) || db < std::numeric_limits<int>::min() ||
          db > std::numeric_limits<int>::max()) {
        return context::error(err::not_integer);
      }
      if (db != 0) return context::error(err_db_range);
      ++j;
    } else {
      return context::error(err::syntax);
    }
  }
  const auto from = c.arg(1);
  const auto to = c.arg(2);
  if (from == to) return context::error(err_same_object);
  const entry* src = c.find(from);
  if (src == nullptr) return context::integer(0);
  if (c.find(to) != nullptr && !replace) return context::integer(0);
  entry duplicate = *src;  // every value type (including zset) must be copyable
  c.put(to, std::move(duplicate));
  return context::integer(1);
}

constexpr std::array commands{
    command_spec{"del", -2, cmd_write, del},
    command_spec{"unlink", -2, cmd_write, del},
    command_spec{"exists", -2, cmd_readonly, exists},
    command_spec{"touch", -2, cmd_readonly, exists},
    command_spec{"type", 2, cmd_readonly, type},
    command_spec{"expire", -3, cmd_write, expire},
    command_spec{"pexpire", -3, cmd_write, pexpire},
    command_spec{"expireat", -3, cmd_write, expireat},
    command_spec{"pexpireat", -3, cmd_write, pexpireat},
    command_spec{"ttl", 2, cmd_readonly, ttl},
    command_spec{"pttl", 2, cmd_readonly, pttl},
    command_spec{"expiretime", 2, cmd_readonly, expiretime},
    command_spec{"pexpiretime", 2, cmd_readonly, pexpiretime},
    command_spec{"persist", 2, cmd_write, persist},
    command_spec{"keys", 2, cmd_readonly, keys},
    command_spec{"scan", -2, cmd_readonly, scan},
    command_spec{"randomkey", 1, cmd_readonly, randomkey},
    command_spec{"dbsize", 1, cmd_readonly, dbsize},
    command_spec{"flushdb", -1, cmd_write, flush},
    command_spec{"flushall", -1, cmd_write, flush},
    command_spec{"rename", 3, cmd_write, rename},
    command_spec{"renamenx", 3, cmd_write, renamenx},
    command_spec{"copy", -3, cmd_write | cmd_denyoom, copy},
};

}  // namespace

std::span<const command_spec> key_commands() { return commands; }

}  // namespace redkit::engine
