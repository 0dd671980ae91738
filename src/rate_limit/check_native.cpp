// check.lua in C++: the script translated line by line over the engine's keyspace. Every
// redis.call of the script becomes the same keyspace operations, in the same order, as that
// command's implementation in src/engine/cmd_*.cpp (lazy expiry, creation, removal of emptied
// keys, TTL bookkeeping), and counts as one processed command; every number is computed in
// double with the script's own operations and order, and crosses to strings as Lua and
// redis.call convert it. So keys, values, TTLs, memory, expiry counts and the reply are the
// Lua's, bit for bit (tests/unit/engine_native_check_test.cpp compares the two).
//
// It runs what the limiter sends in process: a batch of one request. Anything else (several
// requests, whose writes the Lua defers to the batch's end; a key named twice, the Lua's error;
// ARGV that are not plain non-negative integers, a zero limit or window, a sliding_log cost
// above its limit, missing KEYS or ARGV) makes the native decline before any effect, and the
// engine runs the Lua. A redis.call failing in the write phase ends the run with the Lua's
// error reply, its effects so far kept, as on Redis.
//
// Speed: a key is looked up once for its read and its writes (nothing else touches it in
// between, and the clock stands still), and TTL changes move
// the expiry index's entry instead of freeing and allocating one.
#include "rate_limit/check_native.hpp"

#include "engine/engine.hpp"
#include "engine/native_scripts.hpp"

#include <redkit/script.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redkit::rate_limit {
namespace {

namespace lua = engine::lua;
using engine::context;
using engine::entry;
using engine::hash_value;
using engine::mstring;
using engine::zset;

// check.lua's lines whose redis.call may fail, for the error reply: found in the embedded
// source by the call's text, so they follow edits of the script.
int line_of(std::string_view call) {
  const std::string_view src = script::embedded("rate_limit/check").source();
  const auto at = src.find(call);
  if (at == std::string_view::npos) throw std::logic_error("check.lua lacks its call");
  return 1 + static_cast<int>(std::count(src.begin(), src.begin() + at, '\n'));
}
struct call_lines {
  int pexpire_fixed = line_of("redis.call('PEXPIRE', key, window)");
  int zadd_one = line_of("redis.call('ZADD', key, now_text, args)");
  int zadd_many = line_of("redis.call('ZADD', key, unpack(args, from, min(n, from + 1999)))");
  int pexpire_log = line_of("redis.call('PEXPIRE', key, st[j + 3])");
  int hset = line_of("redis.call('HSET', key, 'w'");
  int pexpire_window = line_of("redis.call('PEXPIRE', key, st[j + 8])");
  int set_gcra = line_of("redis.call('SET', key, int_text(st[j + 5]), 'PX', int_text(st[j + 6]))");
  int set_fixed = line_of("redis.call('SET', key, st[j + 5], 'PX', st[j + 3])");
  int incrby = line_of("redis.call('INCRBY', key, st[j + 5] - st[j + 6])");
};
const call_lines& lines() {
  static const call_lines l;
  return l;
}

/// A key and its entry in the keyspace (stable while the key lives, whatever else changes).
using slot = engine::string_map<entry>::value_type;

/// What the run knows of a key's slot: when `known`, `at` is it (nullptr: absent) and no
/// lookup is needed.
struct key_ref {
  bool known = false;
  slot* at = nullptr;
};

struct policy_args {
  double algo, limit, window, burst, cost;
  bool shadow;
  // The commit phase's kind[i], c1[i] .. c4[i].
  int kind;
  double c1, c2, c3, c4;
  key_ref ref;  // the key after the read phase
};

/// One batch's parsed ARGV, reused by the thread's next batch.
struct batch_args {
  std::vector<std::size_t> requests;  // policy count per request
  std::vector<policy_args> policies;  // every request's policies, in order
  std::string member;                 // sliding_log members
};

/// A decimal integer without sign or leading zeros, below 10^15: tonumber gives it exactly.
bool parse_plain(std::string_view s, double& out) noexcept {
  if (s.empty() || s.size() > 15 || (s[0] == '0' && s.size() > 1)) return false;
  std::int64_t v = 0;
  for (const char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  out = static_cast<double>(v);
  return true;
}

/// Parses the whole batch; false where the Lua could fail outside a redis.call (or compute
/// something the native does not reproduce), so that the Lua runs instead.
bool parse(std::span<const std::string_view> keys, std::span<const std::string_view> args,
           batch_args& out) {
  out.requests.clear();
  out.policies.clear();
  std::size_t a = 1;
  std::size_t keys_used = 0;
  while (a < args.size()) {
    double n = 0;
    if (!parse_plain(args[a++], n)) return false;
    const auto count = static_cast<std::size_t>(n);
    if (count > keys.size() - keys_used || count > (args.size() - a) / 6) return false;
    keys_used += count;
    out.requests.push_back(count);
    for (std::size_t i = 0; i < count; ++i, a += 6) {
      policy_args p{};
      if (!parse_plain(args[a], p.algo) || !parse_plain(args[a + 1], p.limit) ||
          !parse_plain(args[a + 2], p.window) || !parse_plain(args[a + 3], p.burst) ||
          !parse_plain(args[a + 4], p.cost)) {
        return false;
      }
      if (p.limit == 0 || p.window == 0) return false;
      // sliding_log denying a cost above the limit reads an entry that does not exist.
      if (p.algo == 1 && p.cost > p.limit) return false;
      p.shadow = args[a + 5] == "1";
      out.policies.push_back(p);
    }
  }
  // One request (all the limiter sends in process), naming each key once: a batch of several
  // defers writes across requests, and a repeated key is the Lua's error.
  if (out.requests.size() > 1) return false;
  for (std::size_t i = 1; i < keys_used; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (keys[i] == keys[j]) return false;
    }
  }
  return true;
}

/// check.lua's fixed_window count of a stored value: the number when tostring gives the value
/// back and it is at least 1 (a plain positive integer of at most 14 digits), else 0.
double plain_positive(std::string_view v) noexcept {
  if (v.empty() || v.size() > 14 || v[0] < '1' || v[0] > '9') return 0;
  double out = 0;
  return parse_plain(v, out) ? out : 0;
}

/// The integer redis.call passes for `d` ("%.17g"), as string2ll reads it; false when it is
/// no integer.
bool integer_arg(double d, std::int64_t& out) {
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0 && !(d == 0 && std::signbit(d))) {
    out = static_cast<std::int64_t>(d);
    return true;
  }
  lua::number_buffer buf;
  return context::parse_int(lua::redis_arg(d, buf), out);
}

std::string invalid_expire(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

// --- The keyspace as context's find, find_or_create, set_string and set_expire keep it (the
// --- same entries, expiry index, lazy expiry and, in the end, allocations).

/// context::find_slot, unless the run already knows the key's slot.
slot* find_live(context& c, std::string_view key, key_ref ref = {}) {
  return ref.known ? ref.at : c.find_slot(key);
}

/// context::find_or_create<T>: the key, created empty when absent; nullptr with `wrong` when it
/// holds another type.
template <typename T>
slot* find_or_create(context& c, std::string_view key, key_ref ref, bool& wrong) {
  slot* s = find_live(c, key, ref);
  wrong = false;
  if (s == nullptr) {
    s = &*c.st.keys.try_emplace(engine::to_m(key)).first;
    s->second.value.template emplace<T>();
  } else if (!std::holds_alternative<T>(s->second.value)) {
    wrong = true;
    s = nullptr;
  }
  return s;
}

/// context::set_expire.
void set_expire(context& c, slot& s, std::int64_t at) {
  engine::move_expiry(c.st, s.first, s.second, at);
}

// --- redis.call, as the commands in src/engine/cmd_*.cpp do it; each returns the command's
// --- error text, or nothing. `ref` is what the run knows of the key.

using call_error = std::optional<std::string>;

// PEXPIRE key ms (expire_generic).
call_error pexpire(context& c, std::string_view key, double ms, key_ref ref) {
  std::int64_t when = 0;
  if (!integer_arg(ms, when)) return std::string(engine::err::not_integer);
  const std::int64_t base = c.now_ms();
  if (when > std::numeric_limits<std::int64_t>::max() - base) return invalid_expire("pexpire");
  when += base;
  slot* s = find_live(c, key, ref);
  if (s == nullptr) return {};
  if (when <= c.now_ms()) {
    c.remove(key);
  } else {
    set_expire(c, *s, when);
  }
  return {};
}

// SET key value PX ms (set: find, set_string dropping the TTL, set_expire). A string of the
// same capacity is overwritten in place: the same bytes as a new one.
call_error set_px(context& c, std::string_view key, double value, double ms, key_ref ref) {
  std::int64_t at = 0;
  if (!integer_arg(ms, at)) return std::string(engine::err::not_integer);
  if (at <= 0 || __builtin_add_overflow(at, c.now_ms(), &at)) return invalid_expire("set");
  lua::number_buffer buf;
  const auto text = lua::redis_arg(value, buf);
  slot* s = find_live(c, key, ref);
  if (s == nullptr) s = &*c.st.keys.try_emplace(engine::to_m(key)).first;
  auto* str = std::get_if<mstring>(&s->second.value);
  if (str != nullptr && str->capacity() == std::max(text.size(), mstring().capacity())) {
    str->assign(text.data(), text.size());
  } else {
    s->second.value.emplace<mstring>(engine::to_m(text));
  }
  set_expire(c, *s, at);
  return {};
}

// INCRBY key n (incr_by).
call_error incrby(context& c, std::string_view key, double n, key_ref ref) {
  std::int64_t incr = 0;
  if (!integer_arg(n, incr)) return std::string(engine::err::not_integer);
  slot* s = find_live(c, key, ref);
  auto* str = s != nullptr ? std::get_if<mstring>(&s->second.value) : nullptr;
  if (s != nullptr && str == nullptr) return std::string(engine::err::wrong_type);
  std::int64_t value = 0;
  if (str != nullptr && !context::parse_int(engine::view(*str), value)) {
    return std::string(engine::err::not_integer);
  }
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  if ((incr < 0 && value < 0 && incr < min - value) ||
      (incr > 0 && value > 0 && incr > max - value)) {
    return std::string(engine::err::overflow);
  }
  value += incr;
  const auto text = std::to_string(value);
  if (str != nullptr) {
    str->assign(text.data(), text.size());
  } else {
    c.set_string(key, text);
  }
  return {};
}

// HSET key w c1 c c2 p c3 (hset_generic with set_field); `ref` becomes the key.
call_error hset_window(context& c, std::string_view key, double w, double cnt, double prev,
                       key_ref& ref) {
  bool wrong = false;
  slot* s = find_or_create<hash_value>(c, key, ref, wrong);
  if (wrong) return std::string(engine::err::wrong_type);
  ref = {true, s};
  auto& h = std::get<hash_value>(s->second.value);
  const std::pair<std::string_view, double> fields[] = {{"w", w}, {"c", cnt}, {"p", prev}};
  for (const auto& [field, number] : fields) {
    lua::number_buffer buf;
    const auto value = lua::redis_arg(number, buf);
    if (auto it = h.find(field); it != h.end()) {
      it->second.assign(value.data(), value.size());
    } else {
      h.emplace(engine::to_m(field), engine::to_m(value));
    }
  }
  return {};
}

// ZADD key score member [score member ...] with one score (zadd_generic); `ref` becomes the key.
template <typename Members>
call_error zadd(context& c, std::string_view key, double score, std::size_t count, Members&& member,
                key_ref& ref) {
  bool wrong = false;
  slot* s = find_or_create<zset>(c, key, ref, wrong);
  if (wrong) return std::string(engine::err::wrong_type);
  ref = {true, s};
  auto& z = std::get<zset>(s->second.value);
  for (std::size_t j = 0; j < count; ++j) {
    const std::string_view m = member(j);
    const std::size_t h = zset::hash(m);
    if (const zset::node* n = z.find(m, h)) {
      if (score != n->score) z.set_score(n, score);
    } else {
      z.insert(m, score, h);
    }
  }
  return {};
}

/// The value of type T of a key just read, or nullptr; a key of another type is deleted as
/// check.lua's read() does (its failed command and the DEL count as commands).
template <typename T>
T* read(context& c, std::string_view key, slot*& s) {
  ++c.st.commands_processed;
  s = find_live(c, key);
  if (s == nullptr) return nullptr;
  if (auto* v = std::get_if<T>(&s->second.value)) return v;
  ++c.st.commands_processed;  // DEL
  c.remove(key);
  s = nullptr;
  return nullptr;
}

/// check.lua's store(j): writes the TTL and counters policy `p` consumed of `key` (nothing for a
/// policy that consumed nothing); `line` is the failing call's.
call_error write_back(context& c, std::string_view key, policy_args& p, int& line) {
  auto& commands = c.st.commands_processed;
  call_error err;
  if (p.kind == 1) {
    ++commands;
    err = pexpire(c, key, p.c1, p.ref);
    line = lines().pexpire_log;
  } else if (p.kind == 2) {
    ++commands;
    err = hset_window(c, key, p.c1, p.c2, p.c3, p.ref);
    line = lines().hset;
    if (!err) {
      ++commands;
      err = pexpire(c, key, p.c4, p.ref);
      line = lines().pexpire_window;
    }
  } else if (p.kind == 3) {
    ++commands;
    err = set_px(c, key, p.c1, p.c2, p.ref);
    line = lines().set_gcra;
  } else if (p.kind == 4) {
    ++commands;
    if (p.c1 == 0) {
      err = set_px(c, key, p.c2, p.c3, p.ref);
      line = lines().set_fixed;
    } else {
      err = incrby(c, key, p.c2, p.ref);
      line = lines().incrby;
    }
  }
  return err;
}

std::optional<resp::reply> check(context& c, std::span<const std::string_view> keys,
                                 std::span<const std::string_view> args) {
  thread_local batch_args batch;
  if (!parse(keys, args, batch)) return std::nullopt;
  auto& commands = c.st.commands_processed;

  // local t = redis.call('TIME') ...
  ++commands;
  const std::int64_t us = c.st.now_us();
  const std::int64_t seconds = us / 1000000;  // TIME's two integers
  const std::int64_t micros = us % 1000000;
  const double now_us = static_cast<double>(seconds) * 1000000 + static_cast<double>(micros);
  const double now = std::floor(now_us / 1000);

  std::vector<resp::reply> reply;
  reply.reserve(batch.requests.size() + 4 * batch.policies.size());
  const auto put = [&reply](double v) {
    auto& r = reply.emplace_back();
    r.type = resp::type::integer;
    r.integer = lua::to_integer(v);
  };

  std::size_t k = 0;  // KEYS consumed, and policies
  for (const std::size_t n : batch.requests) {
    const std::size_t head = reply.size();
    put(1);
    bool allowed = true;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string_view key = keys[k + i];
      policy_args& p = batch.policies[k + i];
      const double limit = p.limit, window = p.window, cost = p.cost;
      bool ok = false;
      double remaining = 0, reset = 0, retry = 0;
      slot* s = nullptr;

      if (p.algo == 1) {
        // sliding_log. read('ZRANGE', key, 0, 0, 'WITHSCORES'): the oldest entry.
        zset* z = read<zset>(c, key, s);
        const double max_score = now - window;
        if (z != nullptr && z->begin()->score <= max_score) {
          ++commands;  // ZREMRANGEBYSCORE key -inf now-window
          z->erase(z->begin(), z->score_upper(max_score, false));
          if (z->empty()) {
            c.remove(key);
            z = nullptr;
            s = nullptr;
          }
          ++commands;  // ZRANGE key 0 0 WITHSCORES
        }
        double count = 0;
        reset = window;
        if (z != nullptr) {
          ++commands;  // ZCARD
          count = static_cast<double>(z->size());
          reset = z->begin()->score + window - now;
        }
        ok = count + cost <= limit;
        if (ok) {
          remaining = limit - count - cost;
          p.kind = 1;
          p.c1 = window;
          p.c2 = cost;
        } else {
          remaining = limit - count;
          const double entry_index = count + cost - limit - 1;
          retry = reset;
          if (entry_index > 0) {
            ++commands;  // ZRANGE key e e WITHSCORES (e < count: cost <= limit)
            retry = z->nth(static_cast<std::size_t>(entry_index))->score + window - now;
          }
        }
      } else if (p.algo == 2) {
        // sliding_window.
        const double start = now - lua::mod(now, window);
        const hash_value* h = read<hash_value>(c, key, s);  // HMGET key w c p
        std::optional<double> w;
        double cnt = 0, prev = 0;
        if (h != nullptr) {
          const auto field = [h](std::string_view name, double& out) {
            auto it = h->find(name);
            return it != h->end() && lua::to_number(engine::view(it->second), out);
          };
          double v = 0;
          if (field("w", v)) w = v;
          if (!field("c", cnt)) cnt = 0;
          if (!field("p", prev)) prev = 0;
        }
        if (!w || *w != start) {
          prev = w && *w == start - window ? cnt : 0;
          cnt = 0;
        }
        const double left = window - (now - start);
        const double estimate = prev * left / window + cnt;
        ok = estimate + cost <= limit;
        reset = left;
        if (prev > 0) reset = lua::min(left, std::ceil(window / prev));
        if (ok) {
          remaining = std::floor(limit - estimate - cost);
          p.kind = 2;
          p.c1 = start;
          p.c2 = cnt + cost;
          p.c3 = prev;
          p.c4 = left + window;
        } else {
          remaining = lua::max(0, std::floor(limit - estimate));
          if (cnt + cost <= limit) {
            retry = left - (limit - cnt - cost) * window / prev;
          } else {
            retry = left + window * (1 - (limit - cost) / cnt);
          }
        }
      } else if (p.algo == 3) {
        // gcra.
        const double burst = p.burst == 0 ? limit : p.burst;
        const double interval = window * 1000 / limit;
        const mstring* str = read<mstring>(c, key, s);  // GET
        double stored = 0;
        const double tat = lua::max(
            str != nullptr && lua::to_number(engine::view(*str), stored) ? stored : now_us, now_us);
        const double new_tat = tat + cost * interval;
        const double allow_at = new_tat - burst * interval;
        ok = now_us >= allow_at;
        double free_from = allow_at;
        if (!ok) free_from = tat - burst * interval;
        remaining = lua::max(0, std::floor((now_us - free_from) / interval + 1e-9));
        reset = (free_from + (remaining + 1) * interval - now_us) / 1000;
        if (ok) {
          p.kind = 3;
          p.c1 = std::ceil(new_tat);
          p.c2 = lua::max(1, std::ceil((new_tat - now_us) / 1000));
        } else {
          retry = (allow_at - now_us) / 1000;
        }
      } else {
        // fixed_window.
        const mstring* str = read<mstring>(c, key, s);  // GET
        const double count = str != nullptr ? plain_positive(engine::view(*str)) : 0;
        reset = window;
        if (count > 0) {
          ++commands;  // PTTL (the key is the live string just read)
          const auto at = s->second.expire_at_ms;
          reset = at == 0 ? -1 : static_cast<double>(std::max<std::int64_t>(0, at - c.now_ms()));
          if (reset < 0) {
            reset = window;
            ++commands;
            if (auto err = pexpire(c, key, window, {true, s})) {
              return engine::native_call_error(check_native_sha, *err, lines().pexpire_fixed);
            }
          }
        }
        ok = count + cost <= limit;
        if (ok) {
          remaining = limit - count - cost;
          p.kind = 4;
          p.c1 = count;
          p.c2 = cost;
          p.c3 = window;
        } else {
          remaining = limit - count;
          retry = reset;
        }
      }
      p.ref = {true, s};  // no other policy of the request names this key

      if (ok) {
        retry = 0;
      } else {
        p.kind = 0;
        retry = lua::max(1, std::ceil(retry));
        if (!p.shadow) allowed = false;
      }
      put(ok ? 1 : 0);
      put(remaining);
      put(lua::max(1, std::ceil(reset)));
      put(retry);
    }

    if (allowed) {
      // The batch's end: per key, in the order first read, a sliding log's new entries, then
      // its TTL and counters.
      for (std::size_t i = 0; i < n; ++i) {
        const std::string_view key = keys[k + i];
        policy_args& p = batch.policies[k + i];
        call_error err;
        int line = 0;
        if (p.kind == 1) {
          const double units = p.c2;
          lua::number_buffer buf;
          // The log's first entry of the batch: named by the batch id alone.
          auto& member = batch.member;
          member.assign(args[0]);
          if (units == 1) {
            ++commands;
            err = zadd(
                c, key, now, 1, [&](std::size_t) { return std::string_view(member); }, p.ref);
            line = lines().zadd_one;
          } else {
            // One ZADD per 1000 units, as the script sends them.
            const std::size_t stem = member.size();
            for (double from = 1; from <= units && !err; from += 1000) {
              const double to = lua::min(units, from + 999);
              ++commands;
              err = zadd(
                  c, key, now, static_cast<std::size_t>(to - from + 1),
                  [&](std::size_t j) {
                    member.resize(stem);
                    member.append(".").append(lua::to_string(from + static_cast<double>(j), buf));
                    return std::string_view(member);
                  },
                  p.ref);
              line = lines().zadd_many;
            }
          }
        }
        if (!err) err = write_back(c, key, p, line);
        if (err) return engine::native_call_error(check_native_sha, *err, line);
      }
    } else {
      reply[head].integer = 0;
    }
    k += n;
  }
  return resp::reply::make_array(std::move(reply));
}

}  // namespace

void register_check_native() {
  static const bool registered = [] {
    lines();  // the script's call lines, found once
    engine::register_native_script(check_native_sha, check);
    return true;
  }();
  (void)registered;
}

}  // namespace redkit::rate_limit
