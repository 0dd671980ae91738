// The native check.lua (src/rate_limit/check_native.cpp) against the Lua it replaces: two
// engines on the same frozen clock, one running the native and one the Lua, get the same
// random batches (every algorithm, shadow policies, colliding keys, keys of other types,
// counters that are no integers, clock steps, expiry) and must give the same replies and end
// with the same keyspace (types, values, scores, fields, TTLs) and the same memory, expiry and
// command counts after every step.
#include "engine/engine.hpp"
#include "engine/native_scripts.hpp"
#include "engine_test_util.hpp"
#include "rate_limit/check_native.hpp"

#include <redkit/script.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::show;

const script& check_script() { return script::embedded("rate_limit/check"); }

resp::reply exec(engine& e, const std::vector<std::string>& args, bool resp3) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  return e.execute(argv, resp3);
}

/// Every key with its type, value, expiry (logically expired ones too; checked against the
/// expiry index), then the counters.
std::string dump(engine& e) {
  return e.with_state([](state& st) {
    std::vector<std::string> lines;
    for (const auto& [key, en] : st.keys) {
      std::string line = std::string(view(key)) + " @" + std::to_string(en.expire_at_ms) + " " +
                         std::string(type_name(en.type())) + ":";
      // The index files a key no later than its deadline (a later deadline is re-filed by the
      // sweep), always under its own node.
      if (en.expire_at_ms != 0 &&
          (en.expiry_node->first > en.expire_at_ms || view(en.expiry_node->second) != view(key))) {
        line += "(not in the expiry index)";
      }
      if (const auto* s = std::get_if<mstring>(&en.value)) {
        line += std::string(view(*s));
      } else if (const auto* z = std::get_if<zset>(&en.value)) {
        line += z->listpack() ? "lp" : "sl";
        for (const auto& n : *z) {
          line += " " + std::string(n.name()) + "=" + context::format_double(n.score);
        }
      } else if (const auto* h = std::get_if<hash_value>(&en.value)) {
        std::vector<std::string> fields;
        for (const auto& [f, v] : *h)
          fields.push_back(std::string(view(f)) + "=" + std::string(view(v)));
        std::sort(fields.begin(), fields.end());
        for (const auto& f : fields) line += " " + f;
      } else if (const auto* l = std::get_if<list_value>(&en.value)) {
        for (const auto& v : *l) line += " " + std::string(view(v));
      } else if (const auto* set = std::get_if<set_value>(&en.value)) {
        line += " " + std::to_string(set->size());
      }
      lines.push_back(std::move(line));
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    out += "memory=" + std::to_string(st.used_memory) +
           " expired=" + std::to_string(st.expired_keys) +
           " commands=" + std::to_string(st.commands_processed) +
           " expiries=" + std::to_string(st.expiries.size()) + "\n";
    return out;
  });
}

// Counts the native's runs and declines while a test runs.
native_script real_native = nullptr;
std::uint64_t native_runs = 0;
std::uint64_t native_declines = 0;

std::optional<resp::reply> counting_native(context& c, std::span<const std::string_view> keys,
                                           std::span<const std::string_view> args) {
  ++native_runs;
  auto r = real_native(c, keys, args);
  if (!r) ++native_declines;
  return r;
}

class counting_scope {
 public:
  counting_scope() {
    rate_limit::register_check_native();
    real_native = find_native_script(check_script().sha1());
    if (real_native == nullptr) {
      throw std::logic_error("no native for check.lua: check_native_sha is not its SHA-1");
    }
    native_runs = native_declines = 0;
    register_native_script(check_script().sha1(), counting_native);
  }
  ~counting_scope() { register_native_script(check_script().sha1(), real_native); }
  counting_scope(const counting_scope&) = delete;
  counting_scope& operator=(const counting_scope&) = delete;
};

/// Two engines, one with natives and one without, driven in lockstep.
struct engine_pair {
  engine native;
  engine lua;

  explicit engine_pair(std::size_t max_memory = 0)
      : native(options{.max_memory = max_memory}),
        lua(options{.max_memory = max_memory, .native_scripts = false}) {}

  /// Runs `args` on both; the replies must be equal. Returns the native's.
  resp::reply both(const std::vector<std::string>& args, bool resp3 = true) {
    auto a = exec(native, args, resp3);
    auto b = exec(lua, args, resp3);
    EXPECT_EQ(show(a), show(b)) << args[0];
    EXPECT_TRUE(a == b) << args[0];
    return a;
  }
  template <typename F>
  void state_both(F f) {
    native.with_state(f);
    lua.with_state(f);
  }
};

/// Random batches of check.lua calls over a small key space.
class batch_maker {
 public:
  explicit batch_maker(std::uint64_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return uniform(1, 100) <= percent; }

  /// Mostly the limiter's keys (one algorithm per key), sometimes one another algorithm uses.
  std::string key(int algo) {
    if (chance(8)) algo = uniform(1, 4);
    return "rk:rl:{id" + std::to_string(uniform(0, 3)) + "}:p:" + std::to_string(algo);
  }

  /// EVALSHA (or EVAL) of one batch: mostly one request (what the limiter sends in process),
  /// else 2-5 (which the native declines), of 1-3 policies. `valid`: the native runs it.
  std::vector<std::string> batch(bool& valid) {
    valid = true;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    // A reused batch id makes ZADD meet its own members again.
    args.push_back("b" + std::to_string(chance(5) ? uniform(0, batches_) : ++batches_));
    const int requests = chance(80) ? 1 : uniform(2, 5);
    valid = requests == 1;
    for (int r = 0; r < requests; ++r) {
      const int n = chance(3) ? 0 : uniform(1, 3);
      const auto first = keys.size();
      args.push_back(std::to_string(n));
      for (int i = 0; i < n; ++i) {
        const int algo = uniform(1, 4);
        int limit = uniform(1, 20);
        if (algo == 1 && chance(1)) limit = uniform(1001, 2500);  // several ZADDs per commit
        const int window = chance(10) ? uniform(1, 20) : uniform(1, 5000);
        const int burst = algo == 3 && chance(50) ? uniform(1, 25) : 0;
        const int capacity = algo == 3 && burst != 0 ? burst : limit;
        int cost = chance(10) ? 0 : uniform(1, std::max(1, capacity / (chance(70) ? 4 : 1)));
        if (chance(2)) {  // outside what the limiter sends: the native declines
          cost = limit + uniform(1, 3);
          if (algo == 1) valid = false;
        }
        keys.push_back(key(algo));
        // A key named twice in a request: the Lua's error, so the native declines.
        if (std::find(keys.begin() + static_cast<std::ptrdiff_t>(first), keys.end() - 1,
                      keys.back()) != keys.end() - 1) {
          valid = false;
        }
        args.push_back(std::to_string(algo));
        args.push_back(std::to_string(limit));
        args.push_back(std::to_string(window));
        args.push_back(std::to_string(burst));
        args.push_back(std::to_string(cost));
        args.emplace_back(chance(15) ? "1" : "0");
      }
    }
    std::vector<std::string> out;
    if (chance(10)) {
      out = {"EVAL", check_script().source()};
    } else {
      out = {"EVALSHA", check_script().sha1()};
    }
    out.push_back(std::to_string(keys.size()));
    out.insert(out.end(), keys.begin(), keys.end());
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }

  /// Something else a client may do to the keys between batches.
  std::vector<std::string> interference() {
    static const std::vector<std::string> strings = {"abc",  "2.5", " 7", "-3", "nan", "1e3",
                                                     "0x10", "inf", "7 ", "",   "-0",  "12"};
    const auto k = key(uniform(1, 4));
    switch (uniform(0, 5)) {
      case 0:
        return {"LPUSH", k, "x"};
      case 1:
        return {"SADD", k, "x"};
      case 2:
        return {"SET", k, strings[static_cast<std::size_t>(uniform(0, 11))]};
      case 3:
        return {"HSET", k,
                "w",    strings[static_cast<std::size_t>(uniform(0, 11))],
                "c",    strings[static_cast<std::size_t>(uniform(0, 11))]};
      case 4:
        return {"PEXPIRE", k, std::to_string(uniform(1, 3000))};
      default:
        return {"PERSIST", k};
    }
  }

 private:
  std::mt19937_64 rng_;
  int batches_ = 0;
};

TEST(EngineNativeCheck, NativeIsRegisteredForTheEmbeddedScript) {
  rate_limit::register_check_native();
  // A changed check.lua has a new SHA: update check_native.cpp (and its SHA) with it.
  EXPECT_EQ(check_script().sha1(), rate_limit::check_native_sha);
  EXPECT_NE(find_native_script(check_script().sha1()), nullptr);
}

TEST(EngineNativeCheck, SameRepliesAndKeyspaceAsTheLua) {
  const counting_scope counting;
  std::uint64_t runs = 0, invalid = 0, errors = 0;
  for (const std::uint64_t seed : {20240611U, 7U, 99991U}) {
    engine_pair p;
    batch_maker make(seed);
    const std::int64_t start = 1'700'000'000'000 + static_cast<std::int64_t>(seed);
    p.native.set_time_ms(start);
    p.lua.set_time_ms(start);
    p.both({"SCRIPT", "LOAD", check_script().source()});
    for (int step = 0; step < 2000; ++step) {
      if (make.chance(30)) {
        const auto ms = make.uniform(0, 3000);
        p.native.advance_ms(ms);
        p.lua.advance_ms(ms);
      }
      if (make.chance(20)) {
        const auto us = make.uniform(0, 999);
        p.state_both([us](state& st) { st.manual_now_us_rest = us; });
      }
      if (make.chance(10)) p.both(make.interference());
      if (make.chance(3)) {
        // Everything due: which due keys a budget-limited sweep takes first depends on where
        // each path left a key's index node (a later deadline leaves it filed early).
        EXPECT_EQ(p.native.sweep_expired(1000000), p.lua.sweep_expired(1000000));
      }
      bool valid = true;
      const auto args = make.batch(valid);
      const auto r = p.both(args, make.chance(50));
      ++runs;
      if (!valid) ++invalid;
      if (r.is_error()) ++errors;
      ASSERT_EQ(dump(p.native), dump(p.lua)) << "seed " << seed << ", step " << step;
    }
  }
  // The native ran every batch and declined only those the limiter never sends.
  EXPECT_EQ(native_runs, runs);
  EXPECT_EQ(native_declines, invalid);
  EXPECT_GT(invalid, 0U);
  EXPECT_GT(errors, 0U);  // the Lua's refusal of a key named twice was compared too
}

TEST(EngineNativeCheck, RunsOnTheRealClockToo) {
  const counting_scope counting;
  engine e;
  const auto sha = check_script().sha1();
  exec(e, {"SCRIPT", "LOAD", check_script().source()}, true);
  // gcra, 10 per second: one unit is 100 ms of TTL.
  const auto r =
      exec(e, {"EVALSHA", sha, "1", "g", "b", "1", "3", "10", "1000", "0", "1", "0"}, true);
  EXPECT_EQ(show(r), show(resp::reply::make_array({context::integer(1), context::integer(1),
                                                   context::integer(9), context::integer(100),
                                                   context::integer(0)})));
  EXPECT_EQ(native_runs, 1U);
  EXPECT_EQ(native_declines, 0U);
  const auto ttl = exec(e, {"PTTL", "g"}, true).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 100);
}

TEST(EngineNativeCheck, OverMaxMemoryTheLuaDecides) {
  const counting_scope counting;
  engine_pair p(1);
  p.native.set_time_ms(1'700'000'000'000);
  p.lua.set_time_ms(1'700'000'000'000);
  p.both({"SCRIPT", "LOAD", check_script().source()});
  p.both({"SET", "x", "y"});  // now over the limit
  const auto sha = check_script().sha1();
  p.both({"EVALSHA", sha, "1", "k", "b1", "1", "3", "10", "1000", "0", "1", "0"});
  p.both({"EVALSHA", sha, "1", "k", "b2", "1", "1", "10", "1000", "0", "1", "0"});
  EXPECT_EQ(dump(p.native), dump(p.lua));
  EXPECT_EQ(native_runs, 0U);
}

TEST(EngineNativeCheck, EvalshaBeforeLoadIsNoscript) {
  rate_limit::register_check_native();
  engine e;
  const auto sha = check_script().sha1();
  const std::vector<std::string> call = {"EVALSHA", sha,  "1",    "k", "b", "1",
                                         "3",       "10", "1000", "0", "1", "0"};
  EXPECT_EQ(show(exec(e, call, true)), "(error) NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(show(exec(e, {"SCRIPT", "LOAD", check_script().source()}, true)), "\"" + sha + "\"");
  EXPECT_EQ(exec(e, call, true).type, resp::type::array);
  EXPECT_EQ(show(exec(e, {"SCRIPT", "FLUSH"}, true)), "OK");
  EXPECT_EQ(show(exec(e, call, true)), "(error) NOSCRIPT No matching script. Please use EVAL.");
}

}  // namespace
}  // namespace redkit::engine
