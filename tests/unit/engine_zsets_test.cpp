// The engine's sorted sets: the zset structure against a reference model, and every command
// against replies recorded from redis-server 7.0.15 (RESP2 and RESP3; the same command lines
// were replayed against the real server by a differential checker).
#include "engine_test_util.hpp"

#include "engine/zset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

/// One-line exact rendering: bulk as its text ("" when empty), :integer, ,double (Redis's
/// %.17g, so -0 shows), nil, !error, +simple, [array], ~[set], %[map].
std::string compact(const resp::reply& r) {
  switch (r.type) {
    case resp::type::null:
      return "nil";
    case resp::type::simple_string:
      return "+" + r.string;
    case resp::type::simple_error:
    case resp::type::bulk_error:
      return "!" + r.string;
    case resp::type::integer:
      return ":" + std::to_string(r.integer);
    case resp::type::double_:
      return "," + context::format_double(r.number);
    case resp::type::bulk_string:
    case resp::type::verbatim_string:
      return r.string.empty() ? "\"\"" : r.string;
    case resp::type::boolean:
      return r.integer != 0 ? "#t" : "#f";
    case resp::type::big_number:
      return "(" + r.string;
    case resp::type::array:
    case resp::type::set:
    case resp::type::map:
    case resp::type::push:
      break;
  }
  std::string out = r.type == resp::type::set ? "~[" : r.type == resp::type::map ? "%[" : "[";
  for (std::size_t i = 0; i < r.elements.size(); ++i) {
    if (i != 0) out += ' ';
    out += compact(r.elements[i]);
  }
  return out + "]";
}

class EngineZsets : public testing::engine_fixture {
 protected:
  // r/r2 render compactly here (they hide engine_fixture's redis-cli style).
  /// RESP3 reply, compact.
  std::string r(std::initializer_list<std::string_view> argv) { return compact(run(e, argv)); }
  /// RESP2 reply, compact.
  std::string r2(std::initializer_list<std::string_view> argv) {
    return compact(run(e, argv, false));
  }
  void make_set(std::string_view key, std::initializer_list<std::string_view> members) {
    e.with_state([&](state& st) {
      context c(st, {}, true, false);
      bool wrong = false;
      auto* s = c.find_or_create<set_value>(key, wrong);
      for (auto m : members) s->insert(to_m(m));
    });
  }
  /// Whether the set at `key` is still in Redis's listpack encoding.
  bool listpack(std::string_view key) {
    return e.with_state([&](state& st) {
      auto it = st.keys.find(key);
      return std::get<zset>(it->second.value).listpack();
    });
  }
  /// ZADD key 0 <prefix>0000 ... for n members with scores i % mod.
  void fill(std::string_view key, int n, int mod = 1000000, std::string_view prefix = "m") {
    std::vector<std::string> words{"ZADD", std::string(key)};
    for (int i = 0; i < n; ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.*s%05d", static_cast<int>(prefix.size()), prefix.data(), i);
      words.push_back(std::to_string(i % mod));
      words.emplace_back(buf);
    }
    std::vector<std::string_view> v(words.begin(), words.end());
    e.execute(v);
  }
};

constexpr std::string_view wrongtype =
    "!WRONGTYPE Operation against a key holding the wrong kind of value";

// ---------------------------------------------------------------------------------------------
// The structure

TEST(ZsetStructure, MatchesAReferenceModelUnderRandomOperations) {
  std::int64_t counter = 0;
  memory_scope scope(counter);
  zset z;
  std::map<std::string, double> by_member;
  std::set<std::pair<double, std::string>> ordered;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const std::string m = "k" + std::to_string(rng() % 700);
    const double s = static_cast<double>(rng() % 50) - 25;
    const zset::node* n = z.find(m);
    ASSERT_EQ(n != nullptr, by_member.count(m) == 1);
    switch (rng() % 3) {
      case 0:
      case 1:
        if (n == nullptr) {
          z.insert(m, s);
        } else {
          ordered.erase({by_member[m], m});
          z.set_score(n, s);
        }
        by_member[m] = s;
        ordered.insert({s, m});
        break;
      default:
        ASSERT_EQ(z.erase(m), n != nullptr);
        if (n != nullptr) {
          ordered.erase({by_member[m], m});
          by_member.erase(m);
        }
    }
    ASSERT_EQ(z.size(), ordered.size());
    if (step % 997 == 0) {
      std::size_t rank = 0;
      auto it = z.begin();
      for (const auto& [score, member] : ordered) {
        ASSERT_EQ(it->name(), member);
        ASSERT_EQ(it->score, score);
        ASSERT_EQ(z.rank(it), rank);
        ASSERT_EQ(&*z.nth(rank), &*it);
        ASSERT_EQ(z.find(member), &*it);
        ++it;
        ++rank;
      }
      ASSERT_EQ(it, z.end());
    }
  }
  EXPECT_GT(counter, 0);
}

/// The listpack-mode index (an array searched linearly) and the chained table give the same
/// lookups through every change of mode: a model of up to 120 members (listpack throughout),
/// range erases, growth past 128 and back by convert_to_listpack_if_fits, and copies.
TEST(ZsetStructure, LookupsMatchAReferenceModelInAndAcrossListpackMode) {
  std::int64_t counter = 0;
  memory_scope scope(counter);
  zset z;
  std::map<std::string, double> model;
  std::mt19937 rng(11);
  const auto verify = [&](const zset& set, const char* where) {
    ASSERT_EQ(set.size(), model.size()) << where;
    for (const auto& [m, score] : model) {
      const zset::node* n = set.find(m);
      ASSERT_NE(n, nullptr) << where << " " << m;
      ASSERT_EQ(n->score, score) << where << " " << m;
      ASSERT_EQ(&*set.iterator_to(n), n);
    }
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ(set.find("absent" + std::to_string(i)), nullptr) << where;
    }
  };
  for (int round = 0; round < 6; ++round) {
    for (int step = 0; step < 3000; ++step) {
      const std::string m = "k" + std::to_string(rng() % 120);
      const double score = static_cast<double>(rng() % 40);
      const zset::node* n = z.find(m);
      ASSERT_EQ(n != nullptr, model.count(m) == 1);
      if (rng() % 4 != 0) {
        if (n == nullptr) {
          z.insert(m, score);
        } else {
          z.set_score(n, score);
        }
        model[m] = score;
      } else {
        ASSERT_EQ(z.erase(m), n != nullptr);
        model.erase(m);
      }
      if (step % 500 == 0 && !z.empty()) {  // a range of scores goes at once
        const double lo = static_cast<double>(rng() % 40);
        const auto first = z.score_lower(lo, false);
        const auto last = z.score_upper(lo + 5, false);
        std::size_t expected = 0;
        for (auto it = first; it != last; ++it) {
          model.erase(std::string(it->name()));
          ++expected;
        }
        ASSERT_EQ(z.erase(first, last), expected);
      }
    }
    ASSERT_TRUE(z.listpack());
    verify(z, "listpack");
    const zset copy(z);
    ASSERT_TRUE(copy.listpack());
    verify(copy, "listpack copy");
    // Past 128 members, then back below and into listpack mode again.
    for (int i = 0; i < 200; ++i) {
      const std::string m = "big" + std::to_string(round) + "-" + std::to_string(i);
      z.insert(m, i);
      model[m] = i;
    }
    ASSERT_FALSE(z.listpack());
    verify(z, "table");
    for (int i = 0; i < 200; ++i) {
      const std::string m = "big" + std::to_string(round) + "-" + std::to_string(i);
      ASSERT_TRUE(z.erase(m));
      model.erase(m);
    }
    z.convert_to_listpack_if_fits();
    ASSERT_TRUE(z.listpack());
    verify(z, "back to listpack");
  }
  z.convert_to_skiplist();
  ASSERT_FALSE(z.listpack());
  verify(z, "converted to a table");
  EXPECT_GT(counter, 0);
}

TEST(ZsetStructure, OrdersByScoreThenMemberBytesWithMinusZeroEqualToZero) {
  zset z;
  z.convert_to_skiplist();  // keep -0 as given
  z.insert("b", 0.0);
  z.insert("a", -0.0);
  z.insert("\xff", -1);
  z.insert("", 1);
  z.insert("ab", 1);
  z.insert(std::string_view("a\0", 2), 1);
  std::string joined;
  for (const auto& n : z) joined += std::string(n.name()) + "|";
  EXPECT_EQ(joined, std::string("\xff|a|b||a\0|ab|", 13));
  EXPECT_TRUE(std::signbit(z.find("a")->score));
}

TEST(ZsetStructure, ScoreBoundsAndMemberBounds) {
  zset z;
  for (int i = 0; i < 10; ++i) z.insert("m" + std::to_string(i), i / 2);  // 0 0 1 1 2 2 ...
  EXPECT_EQ(z.rank(z.score_lower(1, false)), 2U);
  EXPECT_EQ(z.rank(z.score_lower(1, true)), 4U);
  EXPECT_EQ(z.rank(z.score_upper(1, false)), 4U);
  EXPECT_EQ(z.rank(z.score_upper(1, true)), 2U);
  EXPECT_EQ(z.score_lower(100, false), z.end());
  EXPECT_EQ(z.score_upper(-100, false), z.begin());
  zset lex;
  for (auto m : {"a", "b", "c", "d"}) lex.insert(m, 0);
  EXPECT_EQ(lex.member_lower("b", false)->name(), "b");
  EXPECT_EQ(lex.member_lower("b", true)->name(), "c");
  EXPECT_EQ(lex.member_lower("bb", false)->name(), "c");
  EXPECT_EQ(lex.member_lower("z", false), lex.end());
}

TEST(ZsetStructure, CopyAndMoveKeepMembersAndLookups) {
  zset a;
  for (int i = 0; i < 300; ++i) a.insert("m" + std::to_string(i), i);
  EXPECT_FALSE(a.listpack());
  zset b(a);
  EXPECT_EQ(b.size(), 300U);
  EXPECT_FALSE(b.listpack());
  ASSERT_NE(b.find("m7"), nullptr);
  EXPECT_NE(b.find("m7"), a.find("m7"));  // its own nodes
  EXPECT_EQ(b.find("m7")->score, 7);
  const zset::node* before = a.find("m42");
  zset c(std::move(a));
  EXPECT_EQ(c.find("m42"), before);  // moved, not copied
  EXPECT_EQ(c.rank(c.iterator_to(c.find("m42"))), 42U);
  zset d;
  d = c;
  EXPECT_TRUE(d.erase("m1"));
  EXPECT_EQ(d.size(), 299U);
  EXPECT_EQ(c.size(), 300U);
  d = std::move(c);
  EXPECT_EQ(d.size(), 300U);
  EXPECT_NE(d.find("m1"), nullptr);
  // The moved-from set is still consistent: every member it holds can be found.
  std::size_t found = 0;
  for (const auto& n : c)
    found += c.find(n.name()) == &n ? 1 : 0;  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(found, c.size());
}

TEST(ZsetStructure, ListpackModeFollowsRedisLimits) {
  zset z;
  for (int i = 0; i < 128; ++i) z.insert("m" + std::to_string(i), i);
  EXPECT_TRUE(z.listpack());
  z.insert("m128", 0);
  EXPECT_FALSE(z.listpack());
  z.erase("m128");
  EXPECT_FALSE(z.listpack());  // never converts back by itself
  z.convert_to_listpack_if_fits();
  EXPECT_TRUE(z.listpack());
  zset l;
  l.insert(std::string(64, 'x'), 1);
  EXPECT_TRUE(l.listpack());
  l.insert(std::string(65, 'x'), 1);
  EXPECT_FALSE(l.listpack());
  l.convert_to_listpack_if_fits();
  EXPECT_FALSE(l.listpack());
}

/// Full SCAN iterations: every member present throughout is returned, even when the table
/// grows or shrinks between calls.
TEST(ZsetStructure, ScanReturnsEveryStableMemberAcrossResizes) {
  for (int variant = 0; variant < 3; ++variant) {
    zset z;
    for (int i = 0; i < 1000; ++i) z.insert("s" + std::to_string(i), i);
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    int calls = 0;
    do {
      cursor = z.scan(cursor, [&](const zset::node& n) { seen.emplace(n.name()); });
      ++calls;
      if (calls == 20 && variant == 1) {  // grow: x4
        for (int i = 0; i < 3000; ++i) z.insert("g" + std::to_string(i), i);
      }
      if (calls == 20 && variant == 2) {  // shrink: delete the unstable half
        for (int i = 500; i < 1000; ++i) z.erase("s" + std::to_string(i));
      }
    } while (cursor != 0);
    for (int i = 0; i < (variant == 2 ? 500 : 1000); ++i) {
      ASSERT_EQ(seen.count("s" + std::to_string(i)), 1U) << "variant " << variant << " i " << i;
    }
  }
}

TEST(ZsetStructure, MemoryIsAccountedAndReleased) {
  std::int64_t counter = 0;
  {
    memory_scope scope(counter);
    zset z;
    for (int i = 0; i < 1000; ++i) z.insert("member-with-a-long-name-" + std::to_string(i), i);
    EXPECT_GT(counter, 1000 * 64);
    for (int i = 0; i < 1000; ++i) z.erase("member-with-a-long-name-" + std::to_string(i));
    EXPECT_TRUE(z.empty());
  }
  EXPECT_EQ(counter, 0);
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY and score formatting

TEST_F(EngineZsets, ScoresAreFormattedAsRedis70Does) {
  EXPECT_EQ(r({"ZADD", "z", "1.5", "a", "0.1", "b", "1e20", "c", "-0", "d", "100", "e", "inf", "f",
               "-inf", "g"}),
            ":7");
  EXPECT_EQ(r2({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "[g -inf d 0 b 0.10000000000000001 a 1.5 e 100 c 1e+20 f inf]");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "[[g ,-inf] [d ,0] [b ,0.10000000000000001] [a ,1.5] [e ,100] [c ,1e+20] [f ,inf]]");
  EXPECT_EQ(r2({"ZSCORE", "z", "b"}), "0.10000000000000001");
  EXPECT_EQ(r({"ZSCORE", "z", "b"}), ",0.10000000000000001");
  EXPECT_EQ(show(run(e, {"ZSCORE", "z", "a"})), "(double) 1.5");
  EXPECT_EQ(show(run(e, {"ZSCORE", "z", "a"}, false)), "\"1.5\"");
  EXPECT_EQ(r2({"ZSCORE", "z", "d"}), "0");  // a listpack stores -0 as 0
}

TEST_F(EngineZsets, ZaddRepliesAndOptions) {
  EXPECT_EQ(r({"ZADD", "z", "1", "a", "2", "b"}), ":2");
  EXPECT_EQ(r({"ZADD", "z", "3", "a"}), ":0");
  EXPECT_EQ(r({"ZADD", "z", "CH", "3", "a", "4", "a2"}), ":1");
  EXPECT_EQ(r({"ZADD", "z", "ch", "5", "a", "4", "a2"}), ":1");
  EXPECT_EQ(r({"ZADD", "z", "NX", "10", "a", "11", "a3"}), ":1");
  EXPECT_EQ(r({"ZSCORE", "z", "a"}), ",5");
  EXPECT_EQ(r({"ZADD", "z", "XX", "10", "a", "11", "a4"}), ":0");
  EXPECT_EQ(r({"ZADD", "z", "XX", "CH", "12", "a", "11", "a4"}), ":1");
  EXPECT_EQ(r({"ZSCORE", "z", "a4"}), "nil");
  EXPECT_EQ(r({"ZADD", "z", "GT", "CH", "5", "a"}), ":0");
  EXPECT_EQ(r({"ZADD", "z", "GT", "CH", "50", "a"}), ":1");
  EXPECT_EQ(r({"ZADD", "z", "LT", "CH", "60", "a"}), ":0");
  EXPECT_EQ(r({"ZADD", "z", "LT", "CH", "6", "a", "1", "new"}), ":2");  // GT/LT still add
  EXPECT_EQ(r({"ZADD", "z", "XX", "GT", "CH", "7", "a", "7", "zz"}), ":1");
  EXPECT_EQ(r({"ZADD", "z", "Nx", "ch", "8", "a"}), ":0");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "[[new ,1] [b ,2] [a2 ,4] [a ,7] [a3 ,11]]");
  // Incompatible options, in Redis's order of checks.
  EXPECT_EQ(r({"ZADD", "z", "XX", "NX", "1", "a"}),
            "!ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(r({"ZADD", "z", "GT", "LT", "1", "a"}),
            "!ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(r({"ZADD", "z", "NX", "GT", "1", "a"}),
            "!ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(r({"ZADD", "z", "LT", "NX", "1", "a"}),
            "!ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
            "!ERR INCR option supports a single increment-element pair");
  EXPECT_EQ(r({"ZADD", "z", "XX", "NX", "1"}), "!ERR syntax error");  // pairs checked first
  EXPECT_EQ(r({"ZADD", "z", "1", "a", "2"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZADD", "z", "NX", "XX"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZADD", "z", "NX"}), "!ERR wrong number of arguments for 'zadd' command");
  EXPECT_EQ(r({"ZADD", "z", "1"}), "!ERR wrong number of arguments for 'zadd' command");
  // Scores: all parsed before anything is added.
  EXPECT_EQ(r({"ZADD", "z", "1", "x1", "nan", "x2"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZSCORE", "z", "x1"}), "nil");
  EXPECT_EQ(r({"ZADD", "z", "1e400", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZADD", "z", " 1", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZADD", "z", "1 ", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZADD", "z", "0x10", "hex", "+5", "plus", "-inf", "low"}), ":3");
  EXPECT_EQ(r({"ZMSCORE", "z", "hex", "plus", "low"}), "[,16 ,5 ,-inf]");
}

TEST_F(EngineZsets, ZaddIncrAndZincrby) {
  EXPECT_EQ(r({"ZINCRBY", "z", "1.5", "a"}), ",1.5");
  EXPECT_EQ(r2({"ZINCRBY", "z", "0.1", "a"}), "1.6000000000000001");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "2", "a"}), ",3.6000000000000001");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "GT", "-2", "a"}), "nil");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "LT", "-2", "a"}), ",1.6000000000000001");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "NX", "1", "a"}), "nil");
  EXPECT_EQ(r({"ZADD", "z", "INCR", "XX", "1", "nobody"}), "nil");
  EXPECT_EQ(r({"ZADD", "missing", "XX", "INCR", "1", "a"}), "nil");
  EXPECT_EQ(r({"ZADD", "missing", "XX", "1", "a"}), ":0");
  EXPECT_FALSE(exists("missing"));
  EXPECT_EQ(r({"ZINCRBY", "z", "nan", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZINCRBY", "z", "abc", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZINCRBY", "z", "1"}), "!ERR wrong number of arguments for 'zincrby' command");
  // inf + -inf is NaN: refused, the score stays.
  EXPECT_EQ(r({"ZADD", "zi", "inf", "a"}), ":1");
  EXPECT_EQ(r({"ZINCRBY", "zi", "-inf", "a"}), "!ERR resulting score is not a number (NaN)");
  EXPECT_EQ(r({"ZADD", "zi", "INCR", "-inf", "a"}), "!ERR resulting score is not a number (NaN)");
  EXPECT_EQ(r({"ZSCORE", "zi", "a"}), ",inf");
  // The reply is the computed score even where the listpack stores -0 as 0.
  EXPECT_EQ(r2({"ZINCRBY", "n", "-0", "m"}), "-0");
  EXPECT_EQ(r2({"ZSCORE", "n", "m"}), "0");
}

TEST_F(EngineZsets, MinusZeroSurvivesOnlyPastTheListpackLimits) {
  fill("big", 128);
  EXPECT_TRUE(listpack("big"));
  EXPECT_EQ(r({"ZADD", "big", "-0", "neg"}), ":1");  // the 129th member converts first
  EXPECT_FALSE(listpack("big"));
  EXPECT_EQ(r2({"ZSCORE", "big", "neg"}), "-0");
  const auto rep = run(e, {"ZSCORE", "big", "neg"});
  EXPECT_TRUE(std::signbit(rep.number));
  EXPECT_EQ(r({"ZADD", "long", "1", std::string(65, 'x')}), ":1");
  EXPECT_EQ(r({"ZADD", "long", "-0", "n"}), ":1");
  EXPECT_EQ(r2({"ZSCORE", "long", "n"}), "-0");
  EXPECT_EQ(r({"ZADD", "short", "1", std::string(64, 'x'), "-0", "n"}), ":2");
  EXPECT_EQ(r2({"ZSCORE", "short", "n"}), "0");
  // Updating 0 to -0 is no change (0 == -0).
  EXPECT_EQ(r({"ZADD", "big", "CH", "0", "neg"}), ":0");
  EXPECT_EQ(r2({"ZSCORE", "big", "neg"}), "-0");
}

TEST_F(EngineZsets, WrongTypeAndMissingKeys) {
  make_string("s");
  for (auto reply : {r({"ZADD", "s", "1", "a"}),
                     r({"ZINCRBY", "s", "1", "a"}),
                     r({"ZSCORE", "s", "a"}),
                     r({"ZMSCORE", "s", "a"}),
                     r({"ZCARD", "s"}),
                     r({"ZRANK", "s", "a"}),
                     r({"ZREVRANK", "s", "a"}),
                     r({"ZREM", "s", "a"}),
                     r({"ZRANGE", "s", "0", "-1"}),
                     r({"ZRANGEBYSCORE", "s", "0", "1"}),
                     r({"ZRANGEBYLEX", "s", "-", "+"}),
                     r({"ZREVRANGE", "s", "0", "1"}),
                     r({"ZCOUNT", "s", "0", "1"}),
                     r({"ZLEXCOUNT", "s", "-", "+"}),
                     r({"ZREMRANGEBYRANK", "s", "0", "1"}),
                     r({"ZREMRANGEBYSCORE", "s", "0", "1"}),
                     r({"ZREMRANGEBYLEX", "s", "-", "+"}),
                     r({"ZPOPMIN", "s"}),
                     r({"ZPOPMAX", "s", "2"}),
                     r({"ZMPOP", "1", "s", "MIN"}),
                     r({"ZRANDMEMBER", "s"}),
                     r({"ZRANDMEMBER", "s", "2"}),
                     r({"ZSCAN", "s", "0"}),
                     r({"ZRANGESTORE", "d", "s", "0", "-1"}),
                     r({"ZUNION", "1", "s"}),
                     r({"ZINTERCARD", "1", "s"})}) {
    EXPECT_EQ(reply, wrongtype);
  }
  // Argument errors win over the type.
  EXPECT_EQ(r({"ZADD", "s", "x", "a"}), "!ERR value is not a valid float");
  EXPECT_EQ(r({"ZRANGE", "s", "a", "b"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZCOUNT", "s", "x", "1"}), "!ERR min or max is not a float");
  EXPECT_EQ(r({"ZLEXCOUNT", "s", "x", "+"}), "!ERR min or max not valid string range item");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "s", "a", "b"}), "!ERR min or max is not a float");
  EXPECT_EQ(r({"ZPOPMIN", "s", "-2"}), "!ERR value is out of range, must be positive");
  EXPECT_EQ(r({"ZSCAN", "s", "x"}), "!ERR invalid cursor");
  // Missing keys.
  EXPECT_EQ(r({"ZSCORE", "none", "a"}), "nil");
  EXPECT_EQ(r({"ZMSCORE", "none", "a", "b"}), "[nil nil]");
  EXPECT_EQ(r({"ZCARD", "none"}), ":0");
  EXPECT_EQ(r({"ZRANK", "none", "a"}), "nil");
  EXPECT_EQ(r({"ZREM", "none", "a"}), ":0");
  EXPECT_EQ(r({"ZRANGE", "none", "0", "-1"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "none", "0", "-1", "BYSCORE"}), "[]");
  EXPECT_EQ(r({"ZCOUNT", "none", "0", "1"}), ":0");
  EXPECT_EQ(r({"ZLEXCOUNT", "none", "-", "+"}), ":0");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "none", "0", "1"}), ":0");
  EXPECT_EQ(r({"ZPOPMIN", "none"}), "[]");
  EXPECT_EQ(r({"ZPOPMAX", "none", "0"}), "[]");
  EXPECT_EQ(r({"ZMPOP", "1", "none", "MAX"}), "nil");
  EXPECT_EQ(r({"ZRANDMEMBER", "none"}), "nil");
  EXPECT_EQ(r({"ZRANDMEMBER", "none", "5"}), "[]");
  EXPECT_EQ(r({"ZSCAN", "none", "0", "COUNT", "0"}), "[0 []]");  // options unchecked
  EXPECT_FALSE(exists("none"));
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK

TEST_F(EngineZsets, RemoveCountAndRanks) {
  EXPECT_EQ(r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "bb"}), ":4");
  EXPECT_EQ(r({"ZCARD", "z"}), ":4");
  EXPECT_EQ(r({"ZRANK", "z", "a"}), ":0");
  EXPECT_EQ(r({"ZRANK", "z", "bb"}), ":2");
  EXPECT_EQ(r({"ZREVRANK", "z", "bb"}), ":1");
  EXPECT_EQ(r({"ZREVRANK", "z", "c"}), ":0");
  EXPECT_EQ(r2({"ZRANK", "z", "nope"}), "nil");
  EXPECT_EQ(r2({"ZMSCORE", "z", "a", "nope", "c"}), "[1 nil 3]");
  EXPECT_EQ(r({"ZMSCORE", "z", "a", "nope", "c"}), "[,1 nil ,3]");
  EXPECT_EQ(r({"ZREM", "z", "a", "nope", "a"}), ":1");
  EXPECT_EQ(r({"ZREM", "z", "b", "c", "bb", "x"}), ":3");
  EXPECT_FALSE(exists("z"));
  EXPECT_EQ(r({"ZREM", "z"}), "!ERR wrong number of arguments for 'zrem' command");
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its older forms

TEST_F(EngineZsets, RangeByRank) {
  r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1"}), "[a b c d e]");
  EXPECT_EQ(r({"ZRANGE", "z", "-3", "-1"}), "[c d e]");
  EXPECT_EQ(r({"ZRANGE", "z", "2", "1"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "3", "100"}), "[d e]");
  EXPECT_EQ(r({"ZRANGE", "z", "100", "200"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "-100", "1"}), "[a b]");
  EXPECT_EQ(r({"ZRANGE", "z", "-100", "-50"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}), "[[e ,5] [d ,4]]");
  EXPECT_EQ(r2({"ZRANGE", "z", "0", "1", "rev", "withscores"}), "[e 5 d 4]");
  EXPECT_EQ(r({"ZREVRANGE", "z", "1", "2", "WITHSCORES"}), "[[d ,4] [c ,3]]");
  EXPECT_EQ(r({"ZREVRANGE", "z", "-2", "-1"}), "[b a]");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"}), "[a b c d e]");  // -1: no limit
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"}),
            "!ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(r({"ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"}),
            "!ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "LIMIT", "0"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"}),
            "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "x"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANGE", "z", "1.5", "3"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "REV", "REV"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZREVRANGE", "z", "0", "-1", "REV"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZREVRANGE", "z", "0", "-1", "BYSCORE"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"}),
            "[[a ,1] [b ,2] [c ,3] [d ,4] [e ,5]]");
  EXPECT_EQ(r({"ZRANGE", "z", "0"}), "!ERR wrong number of arguments for 'zrange' command");
}

TEST_F(EngineZsets, RangeByScore) {
  r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "e2", "5", "e1"});
  EXPECT_EQ(r({"ZRANGE", "z", "2", "4", "BYSCORE"}), "[b c d]");
  EXPECT_EQ(r({"ZRANGE", "z", "(2", "(4", "BYSCORE"}), "[c]");
  EXPECT_EQ(r({"ZRANGE", "z", "4", "2", "BYSCORE", "REV", "WITHSCORES"}), "[[d ,4] [c ,3] [b ,2]]");
  EXPECT_EQ(r({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"}), "[b c]");
  EXPECT_EQ(r({"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"}), "[e1 e]");
  EXPECT_EQ(r({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "4", "-1"}), "[e e1 e2]");
  EXPECT_EQ(r({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "7", "1"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "5", "5", "BYSCORE"}), "[e e1 e2]");
  EXPECT_EQ(r({"ZRANGE", "z", "(5", "5", "BYSCORE"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", "6", "1", "BYSCORE"}), "[]");
  // Bounds parse with strtod as Redis's zslParseRange does.
  EXPECT_EQ(r({"ZRANGE", "z", "(", "2", "BYSCORE"}), "[a b]");  // "(" is exclusive 0
  EXPECT_EQ(r({"ZRANGE", "z", "", "1", "BYSCORE"}), "[a]");
  EXPECT_EQ(r({"ZRANGE", "z", " 2", "2", "BYSCORE"}), "[b]");
  EXPECT_EQ(r({"ZRANGE", "z", "0x2", "2", "BYSCORE"}), "[b]");
  EXPECT_EQ(r({"ZRANGE", "z", "1e400", "3", "BYSCORE"}), "[]");
  EXPECT_EQ(r({"ZRANGE", "z", std::string_view("1\0zz", 4), "1", "BYSCORE"}), "[a]");
  for (auto bad : {"2 ", "nan", "(nan", "((1", "x"}) {
    EXPECT_EQ(r({"ZRANGE", "z", bad, "3", "BYSCORE"}), "!ERR min or max is not a float") << bad;
  }
  EXPECT_EQ(r({"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "2", "3"}),
            "[[c ,3] [d ,4] [e ,5]]");
  EXPECT_EQ(r2({"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "2", "3"}),
            "[c 3 d 4 e 5]");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "1", "LIMIT", "2", "2"}),
            "[c d]");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "z", "0", "1", "REV"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "z", "4", "2", "WITHSCORES"}), "[[d ,4] [c ,3] [b ,2]]");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "z", "2", "4"}), "[]");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "z", "(5", "(1", "LIMIT", "1", "10"}), "[c b]");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "-5"}), "[e2 e1 e d c b a]");
}

TEST_F(EngineZsets, RangeByLex) {
  r({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "aa", "0", "", "0", "\xff"});
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "+"}), "[\"\" a aa b c d \xff]");
  EXPECT_EQ(r({"ZRANGE", "l", "[a", "[c", "BYLEX"}), "[a aa b c]");
  EXPECT_EQ(r({"ZRANGE", "l", "(a", "(c", "BYLEX"}), "[aa b]");
  EXPECT_EQ(r({"ZRANGE", "l", "[c", "[a", "BYLEX", "REV"}), "[c b aa a]");
  EXPECT_EQ(r({"ZREVRANGEBYLEX", "l", "(c", "-", "LIMIT", "1", "2"}), "[aa a]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "[b", "+", "LIMIT", "1", "2"}), "[c d]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "+", "LIMIT", "-1", "2"}), "[]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "+", "LIMIT", "5", "-1"}), "[d \xff]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "+", "-"}), "[]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "-"}), "[]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "[c", "(c"}), "[]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "[c", "[c"}), "[c]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "[", "(a"}), "[\"\"]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "(", "(a"}), "[]");
  for (auto bad : {"a", "+a", "-a", "", "x"}) {
    EXPECT_EQ(r({"ZRANGEBYLEX", "l", bad, "[c"}), "!ERR min or max not valid string range item");
  }
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"}),
            "!ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(r({"ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"}),
            "!ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(r({"ZRANGEBYLEX", "l", "-", "+", "REV"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZLEXCOUNT", "l", "-", "+"}), ":7");
  EXPECT_EQ(r({"ZLEXCOUNT", "l", "[b", "[d"}), ":3");
  EXPECT_EQ(r({"ZLEXCOUNT", "l", "(b", "(d"}), ":1");
  EXPECT_EQ(r({"ZLEXCOUNT", "l", "[d", "[b"}), ":0");
  EXPECT_EQ(r({"ZLEXCOUNT", "l", "x", "y"}), "!ERR min or max not valid string range item");
}

TEST_F(EngineZsets, LexRangesOverMixedScoresFollowTheListpackScan) {
  // Redis only defines lex ranges for equal scores; for a small set it scans the listpack.
  r({"ZADD", "mix", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e"});
  EXPECT_EQ(r({"ZRANGEBYLEX", "mix", "[b", "[d"}), "[d a c b]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "mix", "[a", "[c"}), "[]");
  EXPECT_EQ(r({"ZREVRANGEBYLEX", "mix", "[c", "[a"}), "[]");  // first member > [c
  EXPECT_EQ(r({"ZREVRANGEBYLEX", "mix", "[e", "[b"}), "[e b c]");
  EXPECT_EQ(r({"ZLEXCOUNT", "mix", "[b", "[d"}), ":4");
  EXPECT_EQ(r({"ZLEXCOUNT", "mix", "[a", "[e"}), ":5");
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "mix", "[b", "[c"}), ":0");
}

TEST_F(EngineZsets, RangesOnALargeSet) {
  fill("h", 1000, 50);  // scores 0..49, 20 members each
  EXPECT_FALSE(listpack("h"));
  EXPECT_EQ(r({"ZRANGE", "h", "100", "102", "WITHSCORES"}),
            "[[m00005 ,5] [m00055 ,5] [m00105 ,5]]");
  EXPECT_EQ(r({"ZRANGE", "h", "10", "12", "REV"}), "[m00499 m00449 m00399]");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "h", "10", "(11", "LIMIT", "5", "3"}), "[m00260 m00310 m00360]");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "h", "(11", "10", "LIMIT", "5", "3"}), "[m00710 m00660 m00610]");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "h", "-inf", "+inf", "LIMIT", "998", "100"}), "[m00949 m00999]");
  EXPECT_EQ(r({"ZRANGEBYSCORE", "h", "-inf", "+inf", "LIMIT", "1000", "100"}), "[]");
  EXPECT_EQ(r({"ZREVRANGEBYSCORE", "h", "+inf", "-inf", "LIMIT", "999", "100"}), "[m00000]");
  EXPECT_EQ(r({"ZCOUNT", "h", "10", "20"}), ":220");
  EXPECT_EQ(r({"ZCOUNT", "h", "(10", "(20"}), ":180");
  EXPECT_EQ(r({"ZCOUNT", "h", "-inf", "+inf"}), ":1000");
  EXPECT_EQ(r({"ZCOUNT", "h", "20", "10"}), ":0");
  EXPECT_EQ(r({"ZRANK", "h", "m00500"}), ":10");
  EXPECT_EQ(r({"ZREVRANK", "h", "m00500"}), ":989");
  fill("w", 500, 1, "w");
  EXPECT_EQ(r({"ZRANGEBYLEX", "w", "[w00100", "(w00103"}), "[w00100 w00101 w00102]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "w", "(w00100", "[w00110", "LIMIT", "2", "3"}),
            "[w00103 w00104 w00105]");
  EXPECT_EQ(r({"ZREVRANGEBYLEX", "w", "+", "-", "LIMIT", "10", "2"}), "[w00489 w00488]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "w", "[w00498", "+"}), "[w00498 w00499]");
  EXPECT_EQ(r({"ZRANGEBYLEX", "w", "[x", "+"}), "[]");
  EXPECT_EQ(r({"ZLEXCOUNT", "w", "[w00100", "(w00200"}), ":100");
  EXPECT_EQ(r({"ZLEXCOUNT", "w", "(w00100", "[w00200"}), ":100");
  EXPECT_EQ(r({"ZLEXCOUNT", "w", "[w00200", "[w00100"}), ":0");
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "w", "[w00100", "(w00200"}), ":100");
  EXPECT_EQ(r({"ZLEXCOUNT", "w", "-", "+"}), ":400");
}

TEST_F(EngineZsets, RangeStore) {
  r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "1", "2", "REV"}), ":2");
  EXPECT_EQ(r({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), "[[c ,3] [d ,4]]");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "2", "4", "BYSCORE", "LIMIT", "1", "1"}), ":1");
  EXPECT_EQ(r({"ZRANGE", "d", "0", "-1"}), "[c]");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "-", "+", "BYLEX"}), ":5");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "x", "1"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "5", "10"}), ":0");
  EXPECT_FALSE(exists("d"));
  make_string("d");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "missing", "0", "-1"}), ":0");
  EXPECT_FALSE(exists("d"));
  // The destination replaces any value and its TTL; the source may be the destination.
  make_string("d");
  expire_at("d", e.now_ms() + 100000);
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z", "0", "0"}), ":1");
  EXPECT_EQ(expire_of("d"), 0);
  EXPECT_EQ(r({"ZRANGESTORE", "z", "z", "0", "1"}), ":2");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[[a ,1] [b ,2]]");
  EXPECT_EQ(r({"ZRANGESTORE", "d", "z"}),
            "!ERR wrong number of arguments for 'zrangestore' command");
}

TEST_F(EngineZsets, RangeStoreChoosesTheEncodingAsRedisDoes) {
  // A rank range longer than a listpack is stored as a skiplist from the start (-0 stays);
  // score and lex ranges start as a listpack and convert at the 129th member.
  fill("src", 150, 1000000, "a");
  r({"ZADD", "src", "-0", "zzz"});
  const std::pair<std::vector<std::string_view>, std::string> cases[] = {
      {{"0", "-1"}, "-0"},        {{"-inf", "+inf", "BYSCORE"}, "0"},
      {{"0", "127"}, "0"},        {{"+inf", "-inf", "BYSCORE", "REV"}, "-0"},
      {{"-", "+", "BYLEX"}, "0"},
  };
  for (const auto& [args, score] : cases) {
    std::vector<std::string_view> argv{"ZRANGESTORE", "d", "src"};
    argv.insert(argv.end(), args.begin(), args.end());
    e.execute(argv);
    EXPECT_EQ(r2({"ZSCORE", "d", "zzz"}), score) << args[0] << " " << args[1];
  }
}

// ---------------------------------------------------------------------------------------------
// ZCOUNT, ZREMRANGEBY*

TEST_F(EngineZsets, CountAndRemoveRanges) {
  r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"});
  EXPECT_EQ(r({"ZCOUNT", "z", "(1", "3"}), ":2");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "0", "0"}), ":1");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "-1", "-1"}), ":1");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "10", "20"}), ":0");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "2", "1"}), ":0");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "x", "1"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1"}), "[b c d e]");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "z", "(2", "3"}), ":1");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "z", "5", "+inf"}), ":1");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "z", "4", "3"}), ":0");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1"}), "[b d]");
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "z", "0", "-1"}), ":2");
  EXPECT_FALSE(exists("z"));
  r({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "l", "[b", "(d"}), ":2");
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "l", "[z", "+"}), ":0");
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "l", "x", "+"}), "!ERR min or max not valid string range item");
  EXPECT_EQ(r({"ZRANGE", "l", "0", "-1"}), "[a d]");
  EXPECT_EQ(r({"ZREMRANGEBYLEX", "l", "-", "+"}), ":2");
  EXPECT_FALSE(exists("l"));
  fill("h", 1000, 50);
  EXPECT_EQ(r({"ZREMRANGEBYRANK", "h", "10", "19"}), ":10");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "h", "3", "5"}), ":60");
  EXPECT_EQ(r({"ZCARD", "h"}), ":930");
  EXPECT_EQ(r({"ZREMRANGEBYSCORE", "h", "-inf", "+inf"}), ":930");
  EXPECT_FALSE(exists("h"));
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP

TEST_F(EngineZsets, Pops) {
  r({"ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(r({"ZPOPMIN", "p"}), "[a ,1]");  // flat without COUNT, in RESP3 too
  EXPECT_EQ(r2({"ZPOPMAX", "p"}), "[e 5]");
  EXPECT_EQ(r({"ZPOPMIN", "p", "2"}), "[[b ,2] [c ,3]]");
  EXPECT_EQ(r({"ZPOPMIN", "p", "0"}), "[]");
  EXPECT_EQ(r({"ZPOPMIN", "p", "-1"}), "!ERR value is out of range, must be positive");
  EXPECT_EQ(r({"ZPOPMIN", "p", "x"}), "!ERR value is out of range, must be positive");
  EXPECT_EQ(r({"ZPOPMIN", "p", "1", "2"}), "!ERR syntax error");
  EXPECT_EQ(r2({"ZPOPMAX", "p", "10"}), "[d 4]");
  EXPECT_FALSE(exists("p"));
  EXPECT_EQ(r({"ZPOPMIN", "p"}), "[]");
  r({"ZADD", "p", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(r({"ZMPOP", "1", "p", "MIN"}), "[p [[a ,1]]]");
  EXPECT_EQ(r2({"ZMPOP", "2", "missing", "p", "max", "COUNT", "10"}), "[p [[c 3] [b 2]]]");
  EXPECT_FALSE(exists("p"));
  EXPECT_EQ(r({"ZMPOP", "2", "missing", "p", "MAX"}), "nil");
  r({"ZADD", "p", "1", "a"});
  make_string("s");
  EXPECT_EQ(r({"ZMPOP", "2", "missing", "s", "MIN"}), wrongtype);
  EXPECT_EQ(r({"ZMPOP", "2", "p", "s", "MIN"}), "[p [[a ,1]]]");  // stops at the first set
  EXPECT_EQ(r({"ZMPOP", "0", "p", "MIN"}), "!ERR numkeys should be greater than 0");
  EXPECT_EQ(r({"ZMPOP", "x", "p", "MIN"}), "!ERR numkeys should be greater than 0");
  EXPECT_EQ(r({"ZMPOP", "3", "p", "MIN"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZMPOP", "9223372036854775807", "p", "MIN"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZMPOP", "1", "p", "middle"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZMPOP", "1", "p", "MIN", "COUNT", "0"}), "!ERR count should be greater than 0");
  EXPECT_EQ(r({"ZMPOP", "1", "p", "MIN", "COUNT", "x"}), "!ERR count should be greater than 0");
  EXPECT_EQ(r({"ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZMPOP", "1", "p", "MIN", "COUNT"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZMPOP", "1", "p"}), "!ERR wrong number of arguments for 'zmpop' command");
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

TEST_F(EngineZsets, RandomMembers) {
  r({"ZADD", "r", "1", "a", "2", "b", "3", "c"});
  // count >= size: the whole set from the highest score, as Redis walks it.
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "3"}), "[c b a]");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "9223372036854775807"}), "[c b a]");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "10", "WITHSCORES"}), "[[c ,3] [b ,2] [a ,1]]");
  EXPECT_EQ(r2({"ZRANDMEMBER", "r", "10", "withscores"}), "[c 3 b 2 a 1]");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "0"}), "[]");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "10", "WITHSCORE"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "10", "WITHSCORES", "x"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "x"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "-9223372036854775808"}),
            "!ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "4611686018427387903", "WITHSCORES"}), "[[c ,3] [b ,2] [a ,1]]");
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "4611686018427387904", "WITHSCORES"}),
            "!ERR value is out of range");
  EXPECT_EQ(r({"ZRANDMEMBER", "none", "-4611686018427387904", "WITHSCORES"}),
            "!ERR value is out of range");
  EXPECT_EQ(r({"ZRANDMEMBER", "none", "-4611686018427387904"}), "[]");
  // Deliberately refused (Redis would try to send 2^32 members and run out of memory).
  EXPECT_EQ(r({"ZRANDMEMBER", "r", "-4294967296"}), "!ERR value is out of range");
  const std::set<std::string> members{"a", "b", "c"};
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(members.count(r({"ZRANDMEMBER", "r"})), 1U);
    auto two = run(e, {"ZRANDMEMBER", "r", "2"});
    ASSERT_EQ(two.elements.size(), 2U);
    EXPECT_NE(two.elements[0].string, two.elements[1].string);
    auto many = run(e, {"ZRANDMEMBER", "r", "-7", "WITHSCORES"});
    ASSERT_EQ(many.elements.size(), 7U);
    for (const auto& pair : many.elements) {
      ASSERT_EQ(pair.elements.size(), 2U);
      EXPECT_EQ(members.count(pair.elements[0].string), 1U);
      EXPECT_EQ(pair.elements[1].number, pair.elements[0].string[0] - 'a' + 1);
    }
    EXPECT_EQ(run(e, {"ZRANDMEMBER", "r", "-3", "WITHSCORES"}, false).elements.size(), 6U);
  }
  fill("big", 1000);
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto sample = run(e, {"ZRANDMEMBER", "big", "400"});
    std::set<std::string> distinct;
    for (const auto& m : sample.elements) distinct.insert(m.string);
    EXPECT_EQ(distinct.size(), 400U);
    seen.insert(distinct.begin(), distinct.end());
  }
  EXPECT_GT(seen.size(), 900U);
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

TEST_F(EngineZsets, ScanOfASmallSetIsOneCall) {
  r({"ZADD", "s", "1.5", "a", "0.1", "b", "100", "c", "inf", "d", "-inf", "e", "1e20", "f", "3",
     "x1"});
  const std::string all =
      "[0 [e -inf b 0.10000000000000001 a 1.5 x1 3 c 100 f 1e+20 d inf]]";  // bulk scores
  EXPECT_EQ(r({"ZSCAN", "s", "0"}), all);
  EXPECT_EQ(r2({"ZSCAN", "s", "0"}), all);
  EXPECT_EQ(r({"ZSCAN", "s", "0", "COUNT", "1"}), all);
  EXPECT_EQ(r({"ZSCAN", "s", "0", "MATCH", "*"}), all);
  EXPECT_EQ(r({"ZSCAN", "s", "-1"}), all);
  EXPECT_EQ(r({"ZSCAN", "s", "+0"}), all);
  EXPECT_EQ(r({"ZSCAN", "s", ""}), all);
  EXPECT_EQ(r({"ZSCAN", "s", "0", "MATCH", "x*"}), "[0 [x1 3]]");
  EXPECT_EQ(r({"ZSCAN", "s", "0", "COUNT", "0"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZSCAN", "s", "0", "COUNT", "x"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZSCAN", "s", "0", "MATCH"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZSCAN", "s", "0", "TYPE", "zset"}), "!ERR syntax error");
  for (auto bad : {"x", " 0", "18446744073709551616", "1.0"}) {
    EXPECT_EQ(r({"ZSCAN", "s", bad}), "!ERR invalid cursor") << bad;
  }
  EXPECT_EQ(r({"ZSCAN", "s", "18446744073709551615"}), all);
}

TEST_F(EngineZsets, ScanOfALargeSetVisitsEveryMemberWhileItIsEmptied) {
  fill("big", 3000);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    auto rep = run(e, {"ZSCAN", "big", cursor, "COUNT", "50"});
    ASSERT_EQ(rep.elements.size(), 2U);
    cursor = rep.elements[0].string;
    const auto& items = rep.elements[1].elements;
    ASSERT_EQ(items.size() % 2, 0U);
    for (std::size_t i = 0; i < items.size(); i += 2) {
      seen.insert(items[i].string);
      // The scan-and-delete pattern: removing what was returned must not hide the rest.
      run(e, {"ZREM", "big", items[i].string});
      EXPECT_EQ(std::to_string(std::stoi(items[i].string.substr(1))), items[i + 1].string);
    }
    ++calls;
  } while (cursor != "0" && calls < 100000);
  EXPECT_EQ(seen.size(), 3000U);
  EXPECT_FALSE(exists("big"));
  fill("big", 1000);
  auto filtered = run(e, {"ZSCAN", "big", "0", "MATCH", "m0001*", "COUNT", "100000"});
  EXPECT_EQ(filtered.elements[0].string, "0");
  EXPECT_EQ(filtered.elements[1].elements.size(), 20U);  // m00010..m00019 with scores
}

// ---------------------------------------------------------------------------------------------
// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZUNION, ZINTER, ZDIFF, ZINTERCARD

TEST_F(EngineZsets, UnionInterDiff) {
  r({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  r({"ZADD", "z2", "10", "a", "20", "c", "30", "x"});
  make_set("s", {"a", "x", "y"});
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "2", "z", "z2"}), ":6");
  EXPECT_EQ(r2({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), "[b 2 d 4 e 5 a 11 c 23 x 30]");
  EXPECT_EQ(r({"ZUNION", "3", "z", "z2", "s", "WITHSCORES"}),
            "[[y ,1] [b ,2] [d ,4] [e ,5] [a ,12] [c ,23] [x ,31]]");
  EXPECT_EQ(r({"ZUNION", "2", "z", "s", "WEIGHTS", "2", "3"}), "[x y b a c d e]");
  EXPECT_EQ(r2({"ZUNION", "2", "z", "z2", "AGGREGATE", "MIN", "WITHSCORES"}),
            "[a 1 b 2 c 3 d 4 e 5 x 30]");
  EXPECT_EQ(r2({"ZUNION", "2", "z", "z2", "AGGREGATE", "max", "WEIGHTS", "1", "-1", "WITHSCORES"}),
            "[x -30 a 1 b 2 c 3 d 4 e 5]");
  EXPECT_EQ(r({"ZINTERSTORE", "d", "2", "z", "z2"}), ":2");
  EXPECT_EQ(r({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), "[[a ,11] [c ,23]]");
  EXPECT_EQ(r({"ZINTER", "2", "z", "s", "WITHSCORES"}), "[[a ,2]]");
  EXPECT_EQ(r({"ZINTER", "2", "z", "z2", "WEIGHTS", "2", "3", "AGGREGATE", "MIN", "WITHSCORES"}),
            "[[a ,2] [c ,6]]");
  EXPECT_EQ(r({"ZINTER", "2", "z", "z"}), "[a b c d e]");
  EXPECT_EQ(r({"ZINTERSTORE", "d", "2", "z", "missing"}), ":0");
  EXPECT_FALSE(exists("d"));
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z2"}), ":2");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z", "LIMIT", "3"}), ":3");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z", "LIMIT", "0"}), ":5");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "s"}), ":1");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z", "LIMIT", "-1"}), "!ERR LIMIT can't be negative");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z", "LIMIT", "x"}), "!ERR LIMIT can't be negative");
  EXPECT_EQ(r({"ZINTERCARD", "2", "z", "z", "WEIGHTS", "1", "1"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZDIFFSTORE", "d", "2", "z", "z2"}), ":3");
  EXPECT_EQ(r({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), "[[b ,2] [d ,4] [e ,5]]");
  EXPECT_EQ(r({"ZDIFFSTORE", "d", "2", "z", "z"}), ":0");
  EXPECT_FALSE(exists("d"));
  EXPECT_EQ(r2({"ZDIFF", "3", "z", "z2", "s", "WITHSCORES"}), "[b 2 d 4 e 5]");
  EXPECT_EQ(r({"ZDIFF", "2", "s", "z"}), "[x y]");
  EXPECT_EQ(r({"ZDIFF", "2", "missing", "z"}), "[]");
  EXPECT_EQ(r({"ZDIFF", "2", "z", "z2", "WEIGHTS", "1", "1"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZDIFF", "2", "z", "z2", "AGGREGATE", "SUM"}), "!ERR syntax error");
}

TEST_F(EngineZsets, SetOperationErrorsAndInfinities) {
  r({"ZADD", "z", "1", "a", "2", "b"});
  r({"ZADD", "zi", "inf", "a", "-inf", "b", "0", "c"});
  make_string("str");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "0", "z"}),
            "!ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(r({"ZINTER", "0", "z"}), "!ERR at least 1 input key is needed for 'zinter' command");
  EXPECT_EQ(r({"ZINTERCARD", "-1", "z"}),
            "!ERR at least 1 input key is needed for 'zintercard' command");
  EXPECT_EQ(r({"ZDIFF", "0", "z"}), "!ERR at least 1 input key is needed for 'zdiff' command");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "x", "z"}), "!ERR value is not an integer or out of range");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "3", "z", "zi"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "2", "z", "zi", "WEIGHTS", "1"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "2", "z", "zi", "WEIGHTS", "1", "x"}),
            "!ERR weight value is not a float");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "2", "z", "zi", "WEIGHTS", "1", "nan"}),
            "!ERR weight value is not a float");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "1", "z", "AGGREGATE", "avg"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "1", "z", "AGGREGATE"}), "!ERR syntax error");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "1", "z", "WITHSCORES"}), "!ERR syntax error");
  // The type check comes before the options.
  EXPECT_EQ(r({"ZUNION", "2", "str", "z", "WEIGHTS", "x"}), wrongtype);
  EXPECT_EQ(r({"ZINTERSTORE", "d", "2", "z", "str"}), wrongtype);
  // inf + -inf is 0 for SUM; 0 * inf is 0.
  EXPECT_EQ(r2({"ZUNION", "2", "zi", "zi", "WEIGHTS", "1", "-1", "WITHSCORES"}), "[a 0 b 0 c 0]");
  EXPECT_EQ(r2({"ZUNION", "2", "zi", "zi", "WEIGHTS", "0", "1", "WITHSCORES"}),
            "[b -inf c 0 a inf]");
  EXPECT_EQ(r2({"ZINTER", "2", "zi", "zi", "WEIGHTS", "1", "-1", "AGGREGATE", "MIN", "WITHSCORES"}),
            "[a -inf b -inf c 0]");
  // A result that fits a listpack is stored as one: -0 becomes 0, but not in ZUNION's reply.
  r({"ZADD", "zero", "0", "a"});
  EXPECT_EQ(r2({"ZUNION", "1", "zero", "WEIGHTS", "-1", "WITHSCORES"}), "[a -0]");
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "1", "zero", "WEIGHTS", "-1"}), ":1");
  EXPECT_EQ(r2({"ZSCORE", "d", "a"}), "0");
  EXPECT_TRUE(listpack("d"));
  // The destination replaces another type and drops the TTL.
  expire_at("str", e.now_ms() + 100000);
  EXPECT_EQ(r({"ZUNIONSTORE", "str", "1", "z"}), ":2");
  EXPECT_EQ(expire_of("str"), 0);
  EXPECT_EQ(r({"ZCARD", "str"}), ":2");
  make_set("s", {"a"});
  EXPECT_EQ(r({"ZUNIONSTORE", "s", "1", "s"}), ":1");
  EXPECT_EQ(r({"ZSCORE", "s", "a"}), ",1");
  fill("big", 200);
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "2", "big", "z"}), ":202");
  EXPECT_FALSE(listpack("d"));
}

// ---------------------------------------------------------------------------------------------
// Expiry, memory, arity

TEST_F(EngineZsets, ExpiredSetsAreGone) {
  e.set_time_ms(1000000);
  r({"ZADD", "z", "1", "a", "2", "b"});
  expire_at("z", 1000500);
  EXPECT_EQ(r({"ZADD", "z", "3", "c"}), ":1");
  EXPECT_EQ(expire_of("z"), 1000500);  // ZADD keeps the TTL
  EXPECT_EQ(r({"ZCARD", "z"}), ":3");
  e.advance_ms(500);
  EXPECT_EQ(r({"ZCARD", "z"}), ":0");
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1"}), "[]");
  EXPECT_EQ(r({"ZADD", "z", "1", "x"}), ":1");
  EXPECT_EQ(expire_of("z"), 0);
  EXPECT_EQ(r({"ZRANGE", "z", "0", "-1"}), "[x]");
  r({"ZADD", "src", "1", "a"});
  expire_at("src", 1000600);
  e.advance_ms(100);
  EXPECT_EQ(r({"ZUNIONSTORE", "d", "1", "src"}), ":0");
  EXPECT_EQ(r({"ZPOPMIN", "src"}), "[]");
}

TEST_F(EngineZsets, MemoryIsAccounted) {
  r({"ZADD", "other", "1", "a"});  // the keyspace's own table
  const auto before = e.used_memory();
  fill("big", 5000);
  const auto grown = e.used_memory();
  EXPECT_GT(grown - before, 5000 * 48);
  r({"ZREMRANGEBYRANK", "big", "0", "-1"});
  EXPECT_EQ(e.used_memory(), before);
}

TEST_F(EngineZsets, ArityAndFlags) {
  EXPECT_EQ(r({"ZCARD"}), "!ERR wrong number of arguments for 'zcard' command");
  EXPECT_EQ(r({"ZSCORE", "z"}), "!ERR wrong number of arguments for 'zscore' command");
  EXPECT_EQ(r({"ZCOUNT", "z", "0"}), "!ERR wrong number of arguments for 'zcount' command");
  EXPECT_EQ(r({"ZSCAN", "z"}), "!ERR wrong number of arguments for 'zscan' command");
  EXPECT_EQ(r({"ZUNION", "1"}), "!ERR wrong number of arguments for 'zunion' command");
  const auto* zadd = find_command("ZADD");
  ASSERT_NE(zadd, nullptr);
  EXPECT_EQ(zadd->arity, -4);
  EXPECT_TRUE(zadd->flags & cmd_denyoom);
  EXPECT_TRUE(find_command("zrange")->flags & cmd_readonly);
  EXPECT_TRUE(find_command("zrangestore")->flags & cmd_denyoom);
  EXPECT_EQ(find_command("bzpopmin"), nullptr);
}

}  // namespace
}  // namespace redkit::engine
