// check.lua's batches (scripts/rate_limit/check.lua) against the same requests sent one by one:
// two engines running the Lua (no native) on one frozen clock, one given random batches and
// the other each batch's requests one call at a time, must give the same replies and end with
// the same keys, TTLs and values (sliding_log entries compared by score: their names carry the
// batch id). Covers what the batch's deferred writes must get right: requests naming the keys
// of the one before (whose state goes on without a read), runs of identical requests sent once
// ("N*R"), a key used again later or with another algorithm or window (written back, read
// afresh), denials inside a batch, shadow policies, keys of other types and expiry between
// batches.
#include "engine/engine.hpp"
#include "engine_test_util.hpp"

#include <redkit/script.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::show;

const script& check_script() { return script::embedded("rate_limit/check"); }

resp::reply exec(engine& e, const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  return e.execute(argv, true);
}

struct policy_args {
  std::string key;
  int algo, limit, window, burst, cost;
  bool shadow;
  bool operator==(const policy_args&) const = default;
};
using request = std::vector<policy_args>;

/// EVALSHA of check.lua over `requests` with batch id `id`; a run of identical requests is
/// sent once, as "N*R" (what the limiter's batcher sends).
std::vector<std::string> call(const std::string& id, const std::vector<request>& requests) {
  std::vector<std::string> keys, args{id};
  for (std::size_t i = 0; i < requests.size();) {
    const auto& r = requests[i];
    std::size_t repeats = 1;
    while (i + repeats < requests.size() && requests[i + repeats] == r) ++repeats;
    i += repeats;
    args.push_back(std::to_string(r.size()) +
                   (repeats > 1 ? "*" + std::to_string(repeats) : std::string()));
    for (const auto& p : r) {
      keys.push_back(p.key);
      for (const int v : {p.algo, p.limit, p.window, p.burst, p.cost}) {
        args.push_back(std::to_string(v));
      }
      args.emplace_back(p.shadow ? "1" : "0");
    }
  }
  std::vector<std::string> out{"EVALSHA", check_script().sha1(), std::to_string(keys.size())};
  out.insert(out.end(), keys.begin(), keys.end());
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

const std::vector<std::string>& key_pool() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (int id = 0; id < 2; ++id) {
      for (int p = 0; p < 4; ++p)
        out.push_back("rk:rl:{id" + std::to_string(id) + "}:p" + std::to_string(p));
    }
    return out;
  }();
  return keys;
}

/// Every pool key's type, TTL and value; a zset as its scores.
std::string keyspace(engine& e) {
  std::string out;
  for (const auto& k : key_pool()) {
    out += k + " " + show(exec(e, {"TYPE", k})) + " ttl " + show(exec(e, {"PTTL", k})) + ": ";
    const auto type = exec(e, {"TYPE", k}).string;
    if (type == "string") {
      out += show(exec(e, {"GET", k}));
    } else if (type == "hash") {
      out += show(exec(e, {"HMGET", k, "w", "c", "p"}));
    } else if (type == "zset") {
      const auto z = exec(e, {"ZRANGE", k, "0", "-1", "WITHSCORES"});
      for (const auto& pair : z.elements) out += show(pair.elements.at(1)) + " ";
    }
    out += "\n";
  }
  return out;
}

TEST(RateLimitBatch, DecidesAsTheSameRequestsOneByOne) {
  engine batched(options{.native_scripts = false});
  engine single(options{.native_scripts = false});
  std::mt19937_64 rng(20261206);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const auto chance = [&](int percent) { return uniform(1, 100) <= percent; };
  const std::int64_t start = 1'700'000'000'000;
  batched.set_time_ms(start);
  single.set_time_ms(start);
  exec(batched, {"SCRIPT", "LOAD", check_script().source()});
  exec(single, {"SCRIPT", "LOAD", check_script().source()});

  int batches = 0, shared_keys = 0, denials = 0, reloads = 0, repeats = 0, identical = 0;
  for (int step = 0; step < 1500; ++step) {
    if (chance(30)) {
      const int ms = uniform(0, 400);
      batched.advance_ms(ms);
      single.advance_ms(ms);
    }
    if (chance(5)) {  // a key of another type, or a value INCRBY could not add to
      const auto& k = key_pool()[static_cast<std::size_t>(uniform(0, 7))];
      const std::vector<std::string> cmd =
          chance(50) ? std::vector<std::string>{"SET", k, chance(50) ? "2.5" : "x"}
                     : std::vector<std::string>{"LPUSH", k, "x"};
      exec(batched, cmd);
      exec(single, cmd);
    }
    // Each pool key has an algorithm and window, which a request sometimes changes.
    std::vector<request> requests(static_cast<std::size_t>(uniform(1, 8)));
    std::vector<std::string> seen;
    for (std::size_t ri = 0; ri < requests.size(); ++ri) {
      auto& r = requests[ri];
      if (ri > 0 && chance(25)) {  // the request before again: sent once, "N*R"
        r = requests[ri - 1];
        ++identical;
        continue;
      }
      if (ri > 0 && chance(60)) {
        // The keys, algorithms and windows of the request before (a busy identity's next),
        // with other limits, costs and shadow flags.
        for (auto p : requests[ri - 1]) {
          p.limit = uniform(1, 12);
          p.burst = p.algo == 3 && chance(50) ? uniform(1, 12) : 0;
          p.cost = std::min(uniform(1, 3), p.algo == 3 && p.burst != 0 ? p.burst : p.limit);
          p.shadow = chance(10);
          r.push_back(p);
          ++repeats;
        }
        continue;
      }
      std::vector<int> slots{0, 1, 2, 3};
      std::shuffle(slots.begin(), slots.end(), rng);
      const int id = uniform(0, 1);
      const int n = uniform(1, 3);
      for (int i = 0; i < n; ++i) {
        const int slot = slots[static_cast<std::size_t>(i)];
        policy_args p{key_pool()[static_cast<std::size_t>(id * 4 + slot)],
                      slot + 1,
                      uniform(1, 12),
                      1000,
                      0,
                      uniform(1, 3),
                      chance(10)};
        if (chance(10)) {
          p.algo = uniform(1, 4);
          ++reloads;
        }
        if (chance(10)) {
          p.window = 500;
          ++reloads;
        }
        if (p.algo == 3 && chance(50)) p.burst = uniform(1, 12);
        p.cost = std::min(p.cost, p.algo == 3 && p.burst != 0 ? p.burst : p.limit);
        if (std::find(seen.begin(), seen.end(), p.key) != seen.end()) ++shared_keys;
        seen.push_back(p.key);
        r.push_back(p);
      }
    }
    const auto whole = exec(batched, call("b" + std::to_string(++batches), requests));
    ASSERT_EQ(whole.type, resp::type::array) << show(whole);
    std::size_t at = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto one = exec(
          single, call("s" + std::to_string(batches) + "." + std::to_string(i), {requests[i]}));
      ASSERT_EQ(one.type, resp::type::array) << show(one);
      for (const auto& v : one.elements) {
        ASSERT_LT(at, whole.elements.size());
        EXPECT_EQ(show(v), show(whole.elements[at])) << "step " << step << ", request " << i;
        if (v.integer == 0 && &v == &one.elements.front()) ++denials;
        ++at;
      }
    }
    EXPECT_EQ(at, whole.elements.size());
    ASSERT_EQ(keyspace(batched), keyspace(single)) << "step " << step;
  }
  // The cases that matter came up.
  EXPECT_GT(shared_keys, 1000);
  EXPECT_GT(repeats, 2000);
  EXPECT_GT(denials, 1000);
  EXPECT_GT(reloads, 500);
  EXPECT_GT(identical, 1000);
}

TEST(RateLimitBatch, AKeyNamedTwiceInARequestIsRefusedAndTheRequestsBeforeStayWhole) {
  engine e(options{.native_scripts = false});
  e.set_time_ms(1'700'000'000'000);
  exec(e, {"SCRIPT", "LOAD", check_script().source()});
  const policy_args p{"rk:rl:{a}:p", 3, 10, 1000, 0, 1, false};
  const policy_args log{"rk:rl:{a}:q", 1, 10, 1000, 0, 1, false};
  const auto r = exec(e, call("b1", {{log}, {log}, {p, p}}));
  ASSERT_TRUE(r.is_error());
  EXPECT_NE(r.string.find("request 3 names key rk:rl:{a}:p twice"), std::string::npos) << r.string;
  // The two requests before are applied, with their TTL; the refused one read nothing.
  EXPECT_EQ(show(exec(e, {"ZCARD", "rk:rl:{a}:q"})), "(integer) 2");
  EXPECT_EQ(show(exec(e, {"PTTL", "rk:rl:{a}:q"})), "(integer) 1000");
  EXPECT_EQ(show(exec(e, {"EXISTS", "rk:rl:{a}:p"})), "(integer) 0");
}

}  // namespace
}  // namespace redkit::engine
