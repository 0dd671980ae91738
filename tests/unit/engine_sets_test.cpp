// The engine's set commands, against replies recorded from redis-server 7.0.15 (raw RESP2 and
// RESP3). Member orders are undefined in Redis, so multi-member replies are compared sorted.
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

using testing::wrongtype;

class EngineSets : public testing::engine_fixture {
 protected:
  /// The members of `key`, sorted and space separated (empty when missing).
  std::string members(std::string_view key) { return sorted(run(e, {"SMEMBERS", key})); }
  bool is_string(std::string_view key) {
    return e.with_state([&](state& st) {
      auto it = st.keys.find(key);
      return it != st.keys.end() && it->second.type() == value_type::string;
    });
  }
};

TEST_F(EngineSets, TableHasRedisAritiesAndFlags) {
  struct want {
    const char* name;
    int arity;
    unsigned flags;
  };
  for (const auto& w : {
           want{"sadd", -3, cmd_write | cmd_denyoom},
           want{"srem", -3, cmd_write},
           want{"smembers", 2, cmd_readonly},
           want{"sismember", 3, cmd_readonly},
           want{"smismember", -3, cmd_readonly},
           want{"scard", 2, cmd_readonly},
           want{"spop", -2, cmd_write},
           want{"srandmember", -2, cmd_readonly},
           want{"smove", 4, cmd_write},
           want{"sinter", -2, cmd_readonly},
           want{"sunion", -2, cmd_readonly},
           want{"sdiff", -2, cmd_readonly},
           want{"sinterstore", -3, cmd_write | cmd_denyoom},
           want{"sunionstore", -3, cmd_write | cmd_denyoom},
           want{"sdiffstore", -3, cmd_write | cmd_denyoom},
           want{"sintercard", -3, cmd_readonly},
           want{"sscan", -3, cmd_readonly},
       }) {
    const auto* spec = find_command(w.name);
    ASSERT_NE(spec, nullptr) << w.name;
    EXPECT_EQ(spec->arity, w.arity) << w.name;
    EXPECT_EQ(spec->flags, w.flags) << w.name;
  }
  EXPECT_EQ(r({"SADD", "s"}), "(error) ERR wrong number of arguments for 'sadd' command");
  EXPECT_EQ(r({"sinter"}), "(error) ERR wrong number of arguments for 'sinter' command");
  EXPECT_EQ(r({"SINTERCARD", "1"}),
            "(error) ERR wrong number of arguments for 'sintercard' command");
}

TEST_F(EngineSets, SaddSremScard) {
  EXPECT_EQ(r({"SADD", "s", "a", "b", "c", "a"}), "(integer) 3");
  EXPECT_EQ(r({"SADD", "s", "c", "d", ""}), "(integer) 2");
  EXPECT_EQ(r({"SCARD", "s"}), "(integer) 5");
  EXPECT_EQ(r({"SCARD", "nx"}), "(integer) 0");
  EXPECT_EQ(members("s"), "a b c d");  // and ""
  EXPECT_EQ(r({"SISMEMBER", "s", ""}), "(integer) 1");
  EXPECT_EQ(r({"SREM", "s", "a", "a", "z"}), "(integer) 1");
  EXPECT_EQ(r({"SREM", "nx", "a"}), "(integer) 0");
  expire_at("s", e.now_ms() + 100000);
  EXPECT_EQ(r({"SREM", "s", "b", "c", "d", ""}), "(integer) 4");
  EXPECT_FALSE(exists("s"));
  EXPECT_EQ(e.key_count(), 0U);
  EXPECT_TRUE(e.with_state([](state& st) { return st.expiries.empty(); }));
}

TEST_F(EngineSets, SmembersIsASetInResp3) {
  r({"SADD", "s", "a"});
  EXPECT_EQ(r({"SMEMBERS", "s"}), "1~ \"a\"");
  EXPECT_EQ(r2({"SMEMBERS", "s"}), "1) \"a\"");
  EXPECT_EQ(raw({"SMEMBERS", "s"}, false).type, resp::type::array);
  EXPECT_EQ(r({"SMEMBERS", "nx"}), "(empty set)");
  EXPECT_EQ(r2({"SMEMBERS", "nx"}), "(empty array)");
}

TEST_F(EngineSets, SismemberAndSmismember) {
  r({"SADD", "s", "a", "b"});
  EXPECT_EQ(r({"SISMEMBER", "s", "a"}), "(integer) 1");
  EXPECT_EQ(r({"SISMEMBER", "s", "z"}), "(integer) 0");
  EXPECT_EQ(r({"SISMEMBER", "nx", "a"}), "(integer) 0");
  EXPECT_EQ(r({"SMISMEMBER", "s", "a", "z", "b"}),
            "1) (integer) 1\n2) (integer) 0\n3) (integer) 1");
  EXPECT_EQ(r2({"SMISMEMBER", "nx", "a"}), "1) (integer) 0");
  EXPECT_EQ(r({"SMISMEMBER", "s"}),
            "(error) ERR wrong number of arguments for 'smismember' command");
}

TEST_F(EngineSets, SpopWithoutCount) {
  EXPECT_EQ(r({"SPOP", "nx"}), "(nil)");
  EXPECT_TRUE(raw({"SPOP", "nx"}, false).is_null());
  r({"SADD", "s", "a", "b", "c"});
  std::set<std::string> popped;
  for (int i = 0; i < 3; ++i) {
    auto rep = raw({"SPOP", "s"});
    ASSERT_EQ(rep.type, resp::type::bulk_string);
    popped.insert(rep.string);
  }
  EXPECT_EQ(popped, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(exists("s"));
  EXPECT_EQ(r({"SPOP", "s"}), "(nil)");
}

TEST_F(EngineSets, SpopWithCountIsASet) {
  EXPECT_EQ(r({"SPOP", "nx", "2"}), "(empty set)");
  EXPECT_EQ(r2({"SPOP", "nx", "2"}), "(empty array)");
  r({"SADD", "s", "a", "b", "c", "d"});
  EXPECT_EQ(r({"SPOP", "s", "0"}), "(empty set)");
  auto two = raw({"SPOP", "s", "2"});
  EXPECT_EQ(two.type, resp::type::set);
  ASSERT_EQ(two.elements.size(), 2U);
  EXPECT_NE(two.elements[0].string, two.elements[1].string);
  EXPECT_EQ(r({"SCARD", "s"}), "(integer) 2");
  for (const auto& m : two.elements) EXPECT_EQ(r({"SISMEMBER", "s", m.string}), "(integer) 0");
  auto rest = raw({"SPOP", "s", "10"});
  EXPECT_EQ(rest.type, resp::type::set);
  EXPECT_EQ(rest.elements.size(), 2U);
  std::set<std::string> all;
  for (const auto& m : two.elements) all.insert(m.string);
  for (const auto& m : rest.elements) all.insert(m.string);
  EXPECT_EQ(all, (std::set<std::string>{"a", "b", "c", "d"}));
  EXPECT_FALSE(exists("s"));
}

TEST_F(EngineSets, SpopErrors) {
  r({"SADD", "s", "a"});
  EXPECT_EQ(r({"SPOP", "s", "-1"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(r({"SPOP", "s", "x"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(r({"SPOP", "s", "1", "2"}), "(error) ERR syntax error");
  make_string("str");
  EXPECT_EQ(r({"SPOP", "str"}), wrongtype);
  EXPECT_EQ(r({"SPOP", "str", "0"}), wrongtype);
  EXPECT_EQ(r({"SPOP", "str", "x"}), "(error) ERR value is out of range, must be positive");
}

TEST_F(EngineSets, Srandmember) {
  EXPECT_EQ(r({"SRANDMEMBER", "nx"}), "(nil)");
  EXPECT_EQ(r({"SRANDMEMBER", "nx", "3"}), "(empty array)");
  r({"SADD", "s", "a", "b", "c"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(raw({"SRANDMEMBER", "s"}).string);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r({"SRANDMEMBER", "s", "0"}), "(empty array)");
  // Whole set: an array (not a set) even in RESP3.
  auto all = raw({"SRANDMEMBER", "s", "5"});
  EXPECT_EQ(all.type, resp::type::array);
  EXPECT_EQ(sorted(all), "a b c");
  auto two = raw({"SRANDMEMBER", "s", "2"});
  ASSERT_EQ(two.elements.size(), 2U);
  EXPECT_NE(two.elements[0].string, two.elements[1].string);
  r({"SADD", "one", "x"});
  EXPECT_EQ(r({"SRANDMEMBER", "one", "-3"}), "1) \"x\"\n2) \"x\"\n3) \"x\"");
  EXPECT_EQ(raw({"SRANDMEMBER", "s", "-7"}).elements.size(), 7U);
  EXPECT_EQ(r({"SCARD", "s"}), "(integer) 3");  // nothing removed
}

TEST_F(EngineSets, SrandmemberErrors) {
  r({"SADD", "s", "a"});
  EXPECT_EQ(r({"SRANDMEMBER", "s", "1", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SRANDMEMBER", "s", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  make_string("str");
  EXPECT_EQ(r({"SRANDMEMBER", "str"}), wrongtype);
  EXPECT_EQ(r({"SRANDMEMBER", "str", "0"}), wrongtype);
  EXPECT_EQ(r({"SRANDMEMBER", "str", "x"}), "(error) ERR value is not an integer or out of range");
}

TEST_F(EngineSets, RandomSamplingOnLargeAndSparseSets) {
  for (int i = 0; i < 1000; ++i) run(e, {"SADD", "s", std::to_string(i)});
  for (int n : {10, 500, 999}) {
    auto rep = run(e, {"SRANDMEMBER", "s", std::to_string(n)});
    ASSERT_EQ(rep.elements.size(), static_cast<std::size_t>(n));
    std::set<std::string> distinct;
    for (const auto& m : rep.elements) distinct.insert(m.string);
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(n));
  }
  for (int n : {10, 5000}) {
    EXPECT_EQ(run(e, {"SRANDMEMBER", "s", std::to_string(-n)}).elements.size(),
              static_cast<std::size_t>(n));
  }
  auto popped = raw({"SPOP", "s", "400"});
  ASSERT_EQ(popped.elements.size(), 400U);
  EXPECT_EQ(r({"SCARD", "s"}), "(integer) 600");
  auto popped2 = raw({"SPOP", "s", "7"});
  ASSERT_EQ(popped2.elements.size(), 7U);
  std::set<std::string> gone;
  for (const auto& m : popped.elements) gone.insert(m.string);
  for (const auto& m : popped2.elements) gone.insert(m.string);
  EXPECT_EQ(gone.size(), 407U);
  for (const auto& m : gone) EXPECT_EQ(r({"SISMEMBER", "s", m}), "(integer) 0");
  // Shrunk far below its table: every member still reachable.
  auto rest = raw({"SMEMBERS", "s"});
  for (std::size_t i = 2; i < rest.elements.size(); ++i) {
    run(e, {"SREM", "s", rest.elements[i].string});
  }
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(raw({"SRANDMEMBER", "s"}).string);
  EXPECT_EQ(seen, (std::set<std::string>{rest.elements[0].string, rest.elements[1].string}));
}

TEST_F(EngineSets, Smove) {
  r({"SADD", "a", "1", "2"});
  EXPECT_EQ(r({"SMOVE", "a", "a", "1"}), "(integer) 1");
  EXPECT_EQ(r({"SMOVE", "a", "a", "9"}), "(integer) 0");
  EXPECT_EQ(r({"SMOVE", "a", "b", "1"}), "(integer) 1");
  EXPECT_EQ(r({"SMOVE", "a", "b", "1"}), "(integer) 0");
  EXPECT_EQ(members("a"), "2");
  EXPECT_EQ(members("b"), "1");
  EXPECT_EQ(r({"SMOVE", "a", "b", "2"}), "(integer) 1");
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(members("b"), "1 2");
  EXPECT_EQ(r({"SMOVE", "nx", "b", "1"}), "(integer) 0");
  make_string("str");
  // A missing source answers 0 before the destination's type is checked.
  EXPECT_EQ(r({"SMOVE", "nx", "str", "1"}), "(integer) 0");
  EXPECT_EQ(r({"SMOVE", "b", "str", "1"}), wrongtype);
  EXPECT_EQ(r({"SMOVE", "str", "b", "1"}), wrongtype);
  EXPECT_EQ(members("b"), "1 2");
}

TEST_F(EngineSets, SinterSunionSdiff) {
  r({"SADD", "a", "1", "2", "3"});
  r({"SADD", "b", "2", "3", "4"});
  r({"SADD", "c", "3", "5"});
  EXPECT_EQ(sorted(raw({"SINTER", "a", "b"})), "2 3");
  EXPECT_EQ(sorted(raw({"SINTER", "a", "b", "c"})), "3");
  EXPECT_EQ(sorted(raw({"SINTER", "a", "a"})), "1 2 3");
  EXPECT_EQ(sorted(raw({"SUNION", "a", "b", "c"})), "1 2 3 4 5");
  EXPECT_EQ(sorted(raw({"SUNION", "a", "nx"})), "1 2 3");
  EXPECT_EQ(sorted(raw({"SDIFF", "a", "b"})), "1");
  EXPECT_EQ(sorted(raw({"SDIFF", "b", "a", "c"})), "4");
  EXPECT_EQ(sorted(raw({"SDIFF", "a", "nx"})), "1 2 3");
  EXPECT_EQ(r({"SDIFF", "a", "a"}), "(empty set)");
  EXPECT_EQ(r({"SINTER", "a", "nx"}), "(empty set)");
  EXPECT_EQ(r({"SDIFF", "nx", "a"}), "(empty set)");
  EXPECT_EQ(r({"SUNION", "nx"}), "(empty set)");
  EXPECT_EQ(raw({"SINTER", "a", "b"}).type, resp::type::set);
  EXPECT_EQ(raw({"SUNION", "a", "b"}).type, resp::type::set);
  EXPECT_EQ(raw({"SDIFF", "a", "b"}).type, resp::type::set);
  EXPECT_EQ(r2({"SDIFF", "a", "b"}), "1) \"1\"");
  EXPECT_EQ(r2({"SINTER", "a", "nx"}), "(empty array)");
  // Every key is type-checked, even after a missing one.
  make_string("str");
  EXPECT_EQ(r({"SINTER", "nx", "str"}), wrongtype);
  EXPECT_EQ(r({"SUNION", "nx", "str"}), wrongtype);
  EXPECT_EQ(r({"SDIFF", "nx", "str"}), wrongtype);
  EXPECT_EQ(r({"SINTER", "str"}), wrongtype);
}

TEST_F(EngineSets, StoreVariants) {
  r({"SADD", "a", "1", "2", "3"});
  r({"SADD", "b", "2", "3", "4"});
  make_string("d");
  expire_at("d", e.now_ms() + 100000);
  // The destination is replaced whatever it held, and loses its TTL.
  EXPECT_EQ(r({"SINTERSTORE", "d", "a", "b"}), "(integer) 2");
  EXPECT_EQ(members("d"), "2 3");
  EXPECT_EQ(expire_of("d"), 0);
  EXPECT_EQ(r({"SUNIONSTORE", "d", "a", "b"}), "(integer) 4");
  EXPECT_EQ(members("d"), "1 2 3 4");
  EXPECT_EQ(r({"SDIFFSTORE", "d", "a", "b"}), "(integer) 1");
  EXPECT_EQ(members("d"), "1");
  // An empty result deletes the destination.
  make_string("d");
  EXPECT_EQ(r({"SINTERSTORE", "d", "a", "nx"}), "(integer) 0");
  EXPECT_FALSE(exists("d"));
  make_string("d");
  EXPECT_EQ(r({"SDIFFSTORE", "d", "nx", "a"}), "(integer) 0");
  EXPECT_FALSE(exists("d"));
  EXPECT_EQ(r({"SUNIONSTORE", "d", "nx"}), "(integer) 0");
  // The destination may be a source.
  EXPECT_EQ(r({"SUNIONSTORE", "a", "a", "b"}), "(integer) 4");
  EXPECT_EQ(members("a"), "1 2 3 4");
  EXPECT_EQ(r({"SDIFFSTORE", "a", "a", "b"}), "(integer) 1");
  EXPECT_EQ(members("a"), "1");
  EXPECT_EQ(r({"SINTERSTORE", "b", "b", "b"}), "(integer) 3");
  EXPECT_EQ(members("b"), "2 3 4");
  // A source of the wrong type leaves the destination alone.
  make_string("str");
  r({"SADD", "d", "keep"});
  EXPECT_EQ(r({"SINTERSTORE", "d", "nx", "str"}), wrongtype);
  EXPECT_EQ(r({"SUNIONSTORE", "d", "str"}), wrongtype);
  EXPECT_EQ(r({"SDIFFSTORE", "d", "b", "str"}), wrongtype);
  EXPECT_EQ(members("d"), "keep");
  EXPECT_TRUE(is_string("str"));
  EXPECT_EQ(r({"SDIFFSTORE", "d"}),
            "(error) ERR wrong number of arguments for 'sdiffstore' command");
}

TEST_F(EngineSets, Sintercard) {
  r({"SADD", "a", "1", "2", "3", "4"});
  r({"SADD", "b", "2", "3", "4", "5"});
  EXPECT_EQ(r({"SINTERCARD", "2", "a", "b"}), "(integer) 3");
  EXPECT_EQ(r({"SINTERCARD", "1", "a"}), "(integer) 4");
  EXPECT_EQ(r({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), "(integer) 2");
  EXPECT_EQ(r({"SINTERCARD", "2", "a", "b", "limit", "0"}), "(integer) 3");
  EXPECT_EQ(r({"SINTERCARD", "2", "a", "b", "LIMIT", "10"}), "(integer) 3");
  EXPECT_EQ(r({"SINTERCARD", "1", "a", "LIMIT", "0", "LIMIT", "1"}), "(integer) 1");
  EXPECT_EQ(r({"SINTERCARD", "2", "a", "nx"}), "(integer) 0");
  EXPECT_EQ(r({"SINTERCARD", "1", "nx"}), "(integer) 0");
  for (auto bad : {"0", "-1", "x"}) {
    EXPECT_EQ(r({"SINTERCARD", bad, "a"}), "(error) ERR numkeys should be greater than 0") << bad;
  }
  EXPECT_EQ(r({"SINTERCARD", "3", "a"}),
            "(error) ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(r({"SINTERCARD", "1", "a", "LIMIT"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SINTERCARD", "1", "a", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SINTERCARD", "1", "a", "LIMIT", "-1"}), "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(r({"SINTERCARD", "1", "a", "LIMIT", "x"}), "(error) ERR LIMIT can't be negative");
  make_string("str");
  EXPECT_EQ(r({"SINTERCARD", "2", "nx", "str"}), wrongtype);
}

TEST_F(EngineSets, Sscan) {
  r({"SADD", "s", "a", "b", "ab"});
  auto rep = raw({"SSCAN", "s", "0"});
  ASSERT_EQ(rep.elements.size(), 2U);
  EXPECT_EQ(rep.elements[0].string, "0");
  EXPECT_EQ(sorted(rep.elements[1]), "a ab b");
  EXPECT_EQ(raw({"SSCAN", "s", "0"}, false).type, resp::type::array);
  EXPECT_EQ(sorted(raw({"SSCAN", "s", "0", "MATCH", "a*", "COUNT", "5"}).elements[1]), "a ab");
  EXPECT_EQ(r({"SSCAN", "s", "0", "COUNT", "5", "MATCH", "b"}), "1) \"0\"\n2) 1) \"b\"");
  EXPECT_EQ(r({"SSCAN", "nx", "0"}), "1) \"0\"\n2) (empty array)");
  EXPECT_EQ(r({"SSCAN", "nx", "0", "COUNT", "0"}), "1) \"0\"\n2) (empty array)");
  for (auto cursor : {"", "00", "+0", "-0"}) {
    EXPECT_EQ(sorted(raw({"SSCAN", "s", cursor}).elements[1]), "a ab b") << cursor;
  }
  for (auto cursor : {"x", " 0", "0 ", "18446744073709551616"}) {
    EXPECT_EQ(r({"SSCAN", "s", cursor}), "(error) ERR invalid cursor") << cursor;
  }
  EXPECT_EQ(r({"SSCAN", "s", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SSCAN", "s", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SSCAN", "s", "0", "MATCH"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SSCAN", "s", "0", "TYPE", "string"}), "(error) ERR syntax error");
  make_string("str");
  EXPECT_EQ(r({"SSCAN", "str", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SSCAN", "str", "0"}), wrongtype);
}

TEST_F(EngineSets, SscanIteratesALargeSetThroughRehashes) {
  for (int i = 0; i < 1000; ++i) run(e, {"SADD", "s", "m" + std::to_string(i)});
  EXPECT_NE(raw({"SSCAN", "s", "0", "COUNT", "5"}).elements[0].string, "0");
  std::set<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    auto rep = run(e, {"SSCAN", "s", cursor});
    cursor = rep.elements[0].string;
    for (const auto& m : rep.elements[1].elements) seen.insert(m.string);
    if (step < 500) run(e, {"SREM", "s", "m" + std::to_string(500 + step)});
    if (step < 200) {
      for (int j = 0; j < 10; ++j) run(e, {"SADD", "s", "n" + std::to_string(step * 10 + j)});
    }
    ASSERT_LT(++step, 100000);
  } while (cursor != "0");
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.count("m" + std::to_string(i))) << i;
}

TEST_F(EngineSets, WrongTypeEverywhere) {
  make_string("str");
  for (const auto& argv : std::vector<std::vector<std::string_view>>{
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SMEMBERS", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SCARD", "str"},
           {"SINTERSTORE", "d", "str"},
       }) {
    EXPECT_EQ(show(e.execute(argv)), wrongtype) << argv[0];
  }
  EXPECT_TRUE(is_string("str"));
  EXPECT_FALSE(exists("d"));
}

TEST_F(EngineSets, ExpiryInterplay) {
  e.set_time_ms(1'000'000);
  r({"SADD", "s", "a"});
  expire_at("s", 1'005'000);
  EXPECT_EQ(r({"SADD", "s", "b"}), "(integer) 1");
  EXPECT_EQ(expire_of("s"), 1'005'000);  // writes keep the TTL
  r({"SADD", "t", "b", "c"});
  e.advance_ms(5'000);
  EXPECT_EQ(r({"SCARD", "s"}), "(integer) 0");
  EXPECT_EQ(r({"SISMEMBER", "s", "a"}), "(integer) 0");
  EXPECT_EQ(sorted(raw({"SUNION", "s", "t"})), "b c");
  EXPECT_EQ(r({"SINTERCARD", "2", "s", "t"}), "(integer) 0");
  EXPECT_FALSE(exists("s"));
  // SMOVE into an expired destination starts a new set without a TTL.
  r({"SADD", "d", "old"});
  expire_at("d", 1'006'000);
  e.advance_ms(1'000);
  EXPECT_EQ(r({"SMOVE", "t", "d", "b"}), "(integer) 1");
  EXPECT_EQ(members("d"), "b");
  EXPECT_EQ(expire_of("d"), 0);
  // SMOVE into a live destination keeps its TTL.
  expire_at("d", 1'010'000);
  EXPECT_EQ(r({"SMOVE", "t", "d", "c"}), "(integer) 1");
  EXPECT_EQ(expire_of("d"), 1'010'000);
  EXPECT_FALSE(exists("t"));
}

TEST_F(EngineSets, MemoryIsAccountedAndReturned) {
  r({"SADD", "other", "x"});  // the keyspace table's own buckets
  const auto before = e.used_memory();
  r({"SADD", "s", "member-with-a-long-text-000000000000000"});
  EXPECT_GT(e.used_memory(), before);
  r({"SREM", "s", "member-with-a-long-text-000000000000000"});
  EXPECT_EQ(e.used_memory(), before);
  r({"SADD", "a", "member-with-a-long-text-000000000000000", "y"});
  const auto with_a = e.used_memory();
  r({"SUNIONSTORE", "d", "a"});
  EXPECT_GT(e.used_memory(), with_a);
  r({"SREM", "d", "member-with-a-long-text-000000000000000", "y"});
  EXPECT_EQ(e.used_memory(), with_a);
}

}  // namespace
}  // namespace redkit::engine
