// The engine's hash commands, against replies recorded from redis-server 7.0.15 (raw RESP2 and
// RESP3). Field orders are undefined in Redis, so multi-field replies are compared sorted.
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

using testing::wrongtype;

class EngineHashes : public testing::engine_fixture {
 protected:
  /// HGETALL as field=value pairs, sorted, space separated.
  std::string all(std::string_view key) {
    auto rep = run(e, {"HGETALL", key});
    std::vector<std::string> v;
    for (std::size_t i = 0; i + 1 < rep.elements.size(); i += 2) {
      v.push_back(rep.elements[i].string + "=" + rep.elements[i + 1].string);
    }
    std::sort(v.begin(), v.end());
    std::string out;
    for (const auto& s : v) {
      if (!out.empty()) out += ' ';
      out += s;
    }
    return out;
  }
};

TEST_F(EngineHashes, TableHasRedisAritiesAndFlags) {
  struct want {
    const char* name;
    int arity;
    unsigned flags;
  };
  for (const auto& w : {
           want{"hset", -4, cmd_write | cmd_denyoom},
           want{"hmset", -4, cmd_write | cmd_denyoom},
           want{"hsetnx", 4, cmd_write | cmd_denyoom},
           want{"hget", 3, cmd_readonly},
           want{"hmget", -3, cmd_readonly},
           want{"hgetall", 2, cmd_readonly},
           want{"hdel", -3, cmd_write},
           want{"hlen", 2, cmd_readonly},
           want{"hexists", 3, cmd_readonly},
           want{"hincrby", 4, cmd_write | cmd_denyoom},
           want{"hincrbyfloat", 4, cmd_write | cmd_denyoom},
           want{"hkeys", 2, cmd_readonly},
           want{"hvals", 2, cmd_readonly},
           want{"hstrlen", 3, cmd_readonly},
           want{"hrandfield", -2, cmd_readonly},
           want{"hscan", -3, cmd_readonly},
       }) {
    const auto* spec = find_command(w.name);
    ASSERT_NE(spec, nullptr) << w.name;
    EXPECT_EQ(spec->arity, w.arity) << w.name;
    EXPECT_EQ(spec->flags, w.flags) << w.name;
  }
  EXPECT_EQ(r({"HGET", "h"}), "(error) ERR wrong number of arguments for 'hget' command");
  EXPECT_EQ(r({"hrandfield"}), "(error) ERR wrong number of arguments for 'hrandfield' command");
}

TEST_F(EngineHashes, HsetCountsNewFieldsAndOverwrites) {
  EXPECT_EQ(r({"HSET", "h", "a", "1", "b", "2"}), "(integer) 2");
  EXPECT_EQ(r({"HSET", "h", "a", "9", "c", "3", "c", "4"}), "(integer) 1");
  EXPECT_EQ(all("h"), "a=9 b=2 c=4");
  EXPECT_EQ(r({"HSET", "h", "", ""}), "(integer) 1");
  EXPECT_EQ(r({"HGET", "h", ""}), "\"\"");
  EXPECT_EQ(r({"HLEN", "h"}), "(integer) 4");
}

TEST_F(EngineHashes, HsetAndHmsetRejectUnpairedArguments) {
  EXPECT_EQ(r({"HSET", "h", "a"}), "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(r({"HSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(r({"hmset", "h", "a"}), "(error) ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(r({"HMSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hmset' command");
  EXPECT_FALSE(exists("h"));
  EXPECT_EQ(r({"HMSET", "h", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(r({"HMSET", "h", "a", "3"}), "OK");
  EXPECT_EQ(all("h"), "a=3 b=2");
}

TEST_F(EngineHashes, Hsetnx) {
  EXPECT_EQ(r({"HSETNX", "h", "a", "1"}), "(integer) 1");
  EXPECT_EQ(r({"HSETNX", "h", "a", "2"}), "(integer) 0");
  EXPECT_EQ(r({"HGET", "h", "a"}), "\"1\"");
}

TEST_F(EngineHashes, HgetAndHmgetReturnNilsForMissing) {
  r({"HSET", "h", "a", "1"});
  EXPECT_EQ(r({"HGET", "h", "a"}), "\"1\"");
  EXPECT_EQ(r({"HGET", "h", "b"}), "(nil)");
  EXPECT_EQ(r({"HGET", "nx", "b"}), "(nil)");
  EXPECT_EQ(r({"HMGET", "h", "a", "z"}), "1) \"1\"\n2) (nil)");
  EXPECT_EQ(r2({"HMGET", "h", "z", "a"}), "1) (nil)\n2) \"1\"");
  EXPECT_EQ(r({"HMGET", "nx", "a"}), "1) (nil)");
  EXPECT_TRUE(raw({"HGET", "h", "b"}, false).is_null());
}

TEST_F(EngineHashes, HgetallIsAMapInResp3AndFlatInResp2) {
  r({"HSET", "h", "a", "1"});
  EXPECT_EQ(r({"HGETALL", "h"}), "1# \"a\" => \"1\"");
  EXPECT_EQ(raw({"HGETALL", "h"}).type, resp::type::map);
  EXPECT_EQ(r2({"HGETALL", "h"}), "1) \"a\"\n2) \"1\"");
  EXPECT_EQ(raw({"HGETALL", "h"}, false).type, resp::type::array);
  EXPECT_EQ(r({"HGETALL", "nx"}), "(empty hash)");
  EXPECT_EQ(raw({"HGETALL", "nx"}).type, resp::type::map);
  EXPECT_EQ(r2({"HGETALL", "nx"}), "(empty array)");
  r({"HSET", "h", "b", "2", "c", "3"});
  EXPECT_EQ(all("h"), "a=1 b=2 c=3");
  // Each value follows its own field.
  auto rep = raw({"HGETALL", "h"}, false);
  ASSERT_EQ(rep.elements.size(), 6U);
  for (std::size_t i = 0; i < 6; i += 2) {
    EXPECT_EQ(rep.elements[i + 1].string,
              std::string(1, static_cast<char>('1' + (rep.elements[i].string[0] - 'a'))));
  }
}

TEST_F(EngineHashes, HkeysAndHvalsAreArrays) {
  r({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(sorted(raw({"HKEYS", "h"})), "a b");
  EXPECT_EQ(sorted(raw({"HVALS", "h"})), "1 2");
  EXPECT_EQ(raw({"HKEYS", "h"}).type, resp::type::array);
  EXPECT_EQ(raw({"HVALS", "h"}).type, resp::type::array);
  EXPECT_EQ(r({"HKEYS", "nx"}), "(empty array)");
  EXPECT_EQ(raw({"HVALS", "nx"}).type, resp::type::array);
}

TEST_F(EngineHashes, HdelRemovesFieldsAndTheEmptyKey) {
  r({"HSET", "h", "a", "1", "b", "2", "ab", "3"});
  EXPECT_EQ(r({"HDEL", "h", "a", "a", "z"}), "(integer) 1");
  EXPECT_EQ(r({"HDEL", "nx", "a"}), "(integer) 0");
  EXPECT_TRUE(exists("h"));
  expire_at("h", e.now_ms() + 100000);
  EXPECT_EQ(r({"HDEL", "h", "b", "ab", "z"}), "(integer) 2");
  EXPECT_FALSE(exists("h"));
  EXPECT_EQ(e.key_count(), 0U);
  EXPECT_TRUE(e.with_state([](state& st) { return st.expiries.empty(); }));
}

TEST_F(EngineHashes, HlenHexistsHstrlen) {
  r({"HSET", "h", "a", "hello", "b", ""});
  EXPECT_EQ(r({"HLEN", "h"}), "(integer) 2");
  EXPECT_EQ(r({"HLEN", "nx"}), "(integer) 0");
  EXPECT_EQ(r({"HEXISTS", "h", "a"}), "(integer) 1");
  EXPECT_EQ(r({"HEXISTS", "h", "z"}), "(integer) 0");
  EXPECT_EQ(r({"HEXISTS", "nx", "a"}), "(integer) 0");
  EXPECT_EQ(r({"HSTRLEN", "h", "a"}), "(integer) 5");
  EXPECT_EQ(r({"HSTRLEN", "h", "b"}), "(integer) 0");
  EXPECT_EQ(r({"HSTRLEN", "h", "z"}), "(integer) 0");
  EXPECT_EQ(r({"HSTRLEN", "nx", "z"}), "(integer) 0");
}

TEST_F(EngineHashes, Hincrby) {
  EXPECT_EQ(r({"HINCRBY", "h", "c", "1"}), "(integer) 1");
  EXPECT_EQ(r({"HINCRBY", "h", "c", "-11"}), "(integer) -10");
  EXPECT_EQ(r({"HGET", "h", "c"}), "\"-10\"");
  EXPECT_EQ(r({"HINCRBY", "h", "c", "9223372036854775807"}), "(integer) 9223372036854775797");
  EXPECT_EQ(r({"HINCRBY", "h", "c", "11"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(r({"HINCRBY", "h", "d", "-9223372036854775808"}), "(integer) -9223372036854775808");
  EXPECT_EQ(r({"HINCRBY", "h", "d", "-1"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(r({"HGET", "h", "d"}), "\"-9223372036854775808\"");
  for (auto bad : {"x", "01", "+1", "99999999999999999999", " 1", "1.0", ""}) {
    EXPECT_EQ(r({"HINCRBY", "h", "e", bad}), "(error) ERR value is not an integer or out of range")
        << bad;
  }
  r({"HSET", "h", "s", "1.5", "t", "007", "u", "-0", "v", " 3"});
  for (auto field : {"s", "t", "u", "v"}) {
    EXPECT_EQ(r({"HINCRBY", "h", field, "1"}), "(error) ERR hash value is not an integer") << field;
  }
  // A bad increment never creates the key.
  EXPECT_EQ(r({"HINCRBY", "new", "f", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_FALSE(exists("new"));
}

TEST_F(EngineHashes, HincrbyfloatFormatsLikeRedis) {
  // Redis's ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros (not %g: no exponent).
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "f", "1e20"}), "\"100000000000000000000\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "g", "0.1"}), "\"0.1\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "g", "0.2"}), "\"0.3\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "g", "-0.3"}), "\"0\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "z", "1.5e-10"}), "\"0.00000000015\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "neg", "-0.0"}), "\"0\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "e", "-1.5e-5"}), "\"-0.000015\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "p", "5.0000000000000001"}), "\"5.0000000000000001\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "tiny", "1e-20"}), "\"0\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "t17", "1e-17"}), "\"0.00000000000000001\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "hex", "0x10"}), "\"16\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "e3", "12345678901234567890"}), "\"12345678901234567890\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "e", "3.0"}), "\"2.999985\"");
  r({"HSET", "h", "big", "9223372036854775807", "int", "007", "hx", "0x1p3"});
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "big", "1"}), "\"9223372036854775808\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "int", "1"}), "\"8\"");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "hx", "1"}), "\"9\"");
  EXPECT_EQ(r({"HGET", "h", "hx"}), "\"9\"");
  // Past double range, in long double range: printed in full, as Redis does.
  const auto huge = raw({"HINCRBYFLOAT", "h", "x", "1e400"});
  ASSERT_EQ(huge.type, resp::type::bulk_string);
  EXPECT_EQ(huge.string.size(), 401U);
  EXPECT_EQ(huge.string.substr(0, 30), "100000000000000000002818806839");
  EXPECT_EQ(r({"HSTRLEN", "h", "x"}), "(integer) 401");
}

TEST_F(EngineHashes, HincrbyfloatErrors) {
  for (auto bad : {"nan", "abc", " 1", "1 ", "", "1e5000"}) {
    EXPECT_EQ(r({"HINCRBYFLOAT", "h", "y", bad}), "(error) ERR value is not a valid float") << bad;
  }
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "y", "inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "y", "-inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_FALSE(exists("h"));
  r({"HSET", "h", "s", "abc", "sp", " 1", "i", "inf"});
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "s", "1"}), "(error) ERR hash value is not a float");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "sp", "1"}), "(error) ERR hash value is not a float");
  EXPECT_EQ(r({"HINCRBYFLOAT", "h", "i", "1"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(r({"HGET", "h", "i"}), "\"inf\"");
  // Argument errors come before the type check.
  make_string("str");
  EXPECT_EQ(r({"HINCRBYFLOAT", "str", "a", "x"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(r({"HINCRBYFLOAT", "str", "a", "inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(r({"HINCRBYFLOAT", "str", "a", "1"}), wrongtype);
  EXPECT_EQ(r({"HINCRBY", "str", "a", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"HINCRBY", "str", "a", "1"}), wrongtype);
}

TEST_F(EngineHashes, HrandfieldWithoutCount) {
  EXPECT_EQ(r({"HRANDFIELD", "nx"}), "(nil)");
  EXPECT_TRUE(raw({"HRANDFIELD", "nx"}, false).is_null());
  r({"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto rep = raw({"HRANDFIELD", "h"});
    ASSERT_EQ(rep.type, resp::type::bulk_string);
    seen.insert(rep.string);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c", "d"}));
}

TEST_F(EngineHashes, HrandfieldWithCount) {
  r({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(r({"HRANDFIELD", "h", "0"}), "(empty array)");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "3"}), "(empty array)");
  EXPECT_EQ(raw({"HRANDFIELD", "nx", "3"}).type, resp::type::array);
  EXPECT_EQ(sorted(raw({"HRANDFIELD", "h", "3"})), "a b c");
  EXPECT_EQ(sorted(raw({"HRANDFIELD", "h", "100"})), "a b c");
  auto two = raw({"HRANDFIELD", "h", "2"});
  ASSERT_EQ(two.elements.size(), 2U);
  EXPECT_NE(two.elements[0].string, two.elements[1].string);
  // Negative: exactly |count| fields, repeats allowed.
  r({"HSET", "one", "f", "v"});
  EXPECT_EQ(r({"HRANDFIELD", "one", "-3"}), "1) \"f\"\n2) \"f\"\n3) \"f\"");
  EXPECT_EQ(raw({"HRANDFIELD", "h", "-7"}).elements.size(), 7U);
}

TEST_F(EngineHashes, HrandfieldWithvaluesShapes) {
  r({"HSET", "one", "f", "v"});
  EXPECT_EQ(r({"HRANDFIELD", "one", "1", "WITHVALUES"}), "1) 1) \"f\"\n   2) \"v\"");
  EXPECT_EQ(r({"HRANDFIELD", "one", "-2", "withvalues"}),
            "1) 1) \"f\"\n   2) \"v\"\n2) 1) \"f\"\n   2) \"v\"");
  EXPECT_EQ(r2({"HRANDFIELD", "one", "5", "WithValues"}), "1) \"f\"\n2) \"v\"");
  EXPECT_EQ(r2({"HRANDFIELD", "one", "-2", "withvalues"}),
            "1) \"f\"\n2) \"v\"\n3) \"f\"\n4) \"v\"");
  r({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  auto rep = raw({"HRANDFIELD", "h", "-20", "WITHVALUES"});
  ASSERT_EQ(rep.elements.size(), 20U);
  for (const auto& pair : rep.elements) {
    ASSERT_EQ(pair.elements.size(), 2U);
    EXPECT_EQ(pair.elements[1].string[0] - '1', pair.elements[0].string[0] - 'a');
  }
}

TEST_F(EngineHashes, HrandfieldErrors) {
  r({"HSET", "h", "a", "1"});
  EXPECT_EQ(r({"HRANDFIELD", "h", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"HRANDFIELD", "h", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(r({"HRANDFIELD", "h", "1", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HRANDFIELD", "h", "1", "withvalues", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "1", "blah"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "-4611686018427387904", "withvalues"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "4611686018427387904", "withvalues"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "-4611686018427387903", "withvalues"}), "(empty array)");
  EXPECT_EQ(r({"HRANDFIELD", "nx", "4611686018427387903", "withvalues"}), "(empty array)");
  make_string("s");
  EXPECT_EQ(r({"HRANDFIELD", "s", "0"}), wrongtype);
  EXPECT_EQ(r({"HRANDFIELD", "s"}), wrongtype);
  EXPECT_EQ(r({"HRANDFIELD", "s", "x"}), "(error) ERR value is not an integer or out of range");
}

TEST_F(EngineHashes, HrandfieldSamplingOnLargeAndSparseHashes) {
  for (int i = 0; i < 1000; ++i) {
    const auto f = std::to_string(i);
    run(e, {"HSET", "h", f, "v" + f});
  }
  for (auto count : {"10", "500", "999"}) {
    auto rep = raw({"HRANDFIELD", "h", count, "WITHVALUES"}, false);
    const auto n = static_cast<std::size_t>(std::stoi(count));
    ASSERT_EQ(rep.elements.size(), 2 * n);
    std::set<std::string> fields;
    for (std::size_t i = 0; i < rep.elements.size(); i += 2) {
      fields.insert(rep.elements[i].string);
      EXPECT_EQ(rep.elements[i + 1].string, "v" + rep.elements[i].string);
    }
    EXPECT_EQ(fields.size(), n) << "distinct fields for count " << count;
  }
  for (auto count : {"-10", "-5000"}) {
    auto rep = raw({"HRANDFIELD", "h", count});
    ASSERT_EQ(rep.elements.size(), static_cast<std::size_t>(-std::stoi(count)));
    for (const auto& f : rep.elements) EXPECT_LT(std::stoi(f.string), 1000);
  }
  // Shrunk far below its table: still every field reachable.
  for (int i = 3; i < 1000; ++i) run(e, {"HDEL", "h", std::to_string(i)});
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(raw({"HRANDFIELD", "h"}).string);
  EXPECT_EQ(seen, (std::set<std::string>{"0", "1", "2"}));
  auto two = raw({"HRANDFIELD", "h", "2"});
  ASSERT_EQ(two.elements.size(), 2U);
  EXPECT_NE(two.elements[0].string, two.elements[1].string);
}

TEST_F(EngineHashes, HscanReturnsEveryPair) {
  r({"HSET", "h", "a", "1", "b", "2", "ab", "3"});
  auto rep = raw({"HSCAN", "h", "0"});
  ASSERT_EQ(rep.elements.size(), 2U);
  EXPECT_EQ(rep.elements[0].string, "0");
  ASSERT_EQ(rep.elements[1].elements.size(), 6U);
  std::map<std::string, std::string> pairs;
  for (std::size_t i = 0; i < 6; i += 2) {
    pairs[rep.elements[1].elements[i].string] = rep.elements[1].elements[i + 1].string;
  }
  EXPECT_EQ(pairs, (std::map<std::string, std::string>{{"a", "1"}, {"ab", "3"}, {"b", "2"}}));
  EXPECT_EQ(raw({"HSCAN", "h", "0"}, false).type, resp::type::array);
  EXPECT_EQ(sorted(raw({"HSCAN", "h", "0", "MATCH", "a*", "COUNT", "100"}).elements[1]),
            "1 3 a ab");
  EXPECT_EQ(r({"HSCAN", "h", "0", "match", "a*", "match", "b*"}),
            "1) \"0\"\n2) 1) \"b\"\n   2) \"2\"");
  EXPECT_EQ(r({"HSCAN", "h", "0", "MATCH", "zz"}), "1) \"0\"\n2) (empty array)");
  EXPECT_EQ(r({"HSCAN", "nx", "0"}), "1) \"0\"\n2) (empty array)");
  // Cursors are parsed like strtoul; small hashes come back whole whatever the cursor (Redis).
  for (auto cursor : {"", "00", "+0", "-0", "5", "18446744073709551615"}) {
    EXPECT_EQ(raw({"HSCAN", "h", cursor}).elements[1].elements.size(), 6U) << cursor;
  }
}

TEST_F(EngineHashes, HscanIteratesALargeHashThroughRehashes) {
  for (int i = 0; i < 1000; ++i) run(e, {"HSET", "h", "f" + std::to_string(i), std::to_string(i)});
  auto first = raw({"HSCAN", "h", "0", "COUNT", "5"});
  EXPECT_NE(first.elements[0].string, "0");
  EXPECT_LT(first.elements[1].elements.size(), 2000U);
  // Fields f0..f499 stay for the whole iteration; f500..f999 are deleted and g* added (forcing
  // rehashes) meanwhile. Every field that stays must come back, with its own value.
  std::set<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    auto rep = run(e, {"HSCAN", "h", cursor, "COUNT", "20"});
    ASSERT_EQ(rep.elements.size(), 2U);
    cursor = rep.elements[0].string;
    const auto& items = rep.elements[1].elements;
    ASSERT_EQ(items.size() % 2, 0U);
    for (std::size_t i = 0; i < items.size(); i += 2) {
      if (items[i].string[0] == 'f') {
        EXPECT_EQ("f" + items[i + 1].string, items[i].string);
      }
      seen.insert(items[i].string);
    }
    if (step < 500) run(e, {"HDEL", "h", "f" + std::to_string(500 + step)});
    if (step < 200) {
      for (int j = 0; j < 10; ++j) run(e, {"HSET", "h", "g" + std::to_string(step * 10 + j), "x"});
    }
    ASSERT_LT(++step, 100000);
  } while (cursor != "0");
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.count("f" + std::to_string(i))) << i;
}

TEST_F(EngineHashes, HscanErrors) {
  r({"HSET", "h", "a", "1"});
  for (auto cursor : {"x", " 0", "0 ", "18446744073709551616", "1.5"}) {
    EXPECT_EQ(r({"HSCAN", "h", cursor}), "(error) ERR invalid cursor") << cursor;
  }
  EXPECT_EQ(r({"HSCAN", "h", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HSCAN", "h", "0", "COUNT", "-1"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HSCAN", "h", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"HSCAN", "h", "0", "MATCH"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HSCAN", "h", "0", "TYPE", "string"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"HSCAN", "h", "0", "NOVALUES"}), "(error) ERR syntax error");
  // A missing key answers before the options are read.
  EXPECT_EQ(r({"HSCAN", "nx", "0", "COUNT", "0"}), "1) \"0\"\n2) (empty array)");
  EXPECT_EQ(r({"HSCAN", "nx", "x"}), "(error) ERR invalid cursor");
  make_string("s");
  EXPECT_EQ(r({"HSCAN", "s", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"HSCAN", "s", "0"}), wrongtype);
}

TEST_F(EngineHashes, WrongTypeEverywhere) {
  make_string("s");
  for (const auto& argv : std::vector<std::vector<std::string_view>>{
           {"HSET", "s", "a", "1"},
           {"HMSET", "s", "a", "1"},
           {"HSETNX", "s", "a", "1"},
           {"HGET", "s", "a"},
           {"HMGET", "s", "a"},
           {"HGETALL", "s"},
           {"HDEL", "s", "a"},
           {"HLEN", "s"},
           {"HEXISTS", "s", "a"},
           {"HKEYS", "s"},
           {"HVALS", "s"},
           {"HSTRLEN", "s", "a"},
           {"HRANDFIELD", "s", "1"},
       }) {
    EXPECT_EQ(show(e.execute(argv)), wrongtype) << argv[0];
  }
  EXPECT_TRUE(e.with_state([](state& st) {
    auto it = st.keys.find(std::string_view("s"));
    return it != st.keys.end() && it->second.type() == value_type::string;
  }));
}

TEST_F(EngineHashes, ExpiryInterplay) {
  e.set_time_ms(1'000'000);
  r({"HSET", "h", "a", "1"});
  expire_at("h", 1'005'000);
  // Writes keep the TTL.
  EXPECT_EQ(r({"HSET", "h", "b", "2"}), "(integer) 1");
  EXPECT_EQ(r({"HINCRBY", "h", "n", "5"}), "(integer) 5");
  EXPECT_EQ(expire_of("h"), 1'005'000);
  e.advance_ms(5'000);
  EXPECT_EQ(r({"HGET", "h", "a"}), "(nil)");
  EXPECT_EQ(r({"HLEN", "h"}), "(integer) 0");
  EXPECT_FALSE(exists("h"));
  // A write after expiry starts a new hash with no TTL.
  r({"HSET", "h2", "a", "1"});
  expire_at("h2", 1'006'000);
  e.advance_ms(1'000);
  EXPECT_EQ(r({"HINCRBYFLOAT", "h2", "a", "1.5"}), "\"1.5\"");
  EXPECT_EQ(expire_of("h2"), 0);
  EXPECT_EQ(all("h2"), "a=1.5");
}

TEST_F(EngineHashes, MemoryIsAccountedAndReturned) {
  r({"HSET", "other", "f", "v"});  // the keyspace table's own buckets
  const auto before = e.used_memory();
  r({"HSET", "h", "field-with-a-long-name-000000000000", "value-with-a-long-text-0000000000"});
  EXPECT_GT(e.used_memory(), before);
  r({"HDEL", "h", "field-with-a-long-name-000000000000"});
  EXPECT_EQ(e.used_memory(), before);
}

}  // namespace
}  // namespace redkit::engine
