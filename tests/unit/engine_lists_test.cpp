// The engine's list commands, against replies recorded from redis-server 7.0.15 (redis-cli -2
// and -3 and raw RESP for the null shapes).
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

class EngineLists : public testing::engine_fixture {
 protected:
  /// The whole list at `key`, space separated (empty when missing).
  std::string all(std::string_view key) {
    auto rep = run(e, {"LRANGE", key, "0", "-1"});
    std::string out;
    for (const auto& el : rep.elements) {
      if (!out.empty()) out += ' ';
      out += el.string;
    }
    return out;
  }
};

constexpr const char* wrongtype =
    "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* not_integer = "(error) ERR value is not an integer or out of range";

// --- push ---------------------------------------------------------------------------------------

TEST_F(EngineLists, PushOrderAndLength) {
  EXPECT_EQ(r({"LPUSH", "l", "a", "b", "c"}), "(integer) 3");
  EXPECT_EQ(all("l"), "c b a");
  EXPECT_EQ(r({"RPUSH", "l", "d", "e"}), "(integer) 5");
  EXPECT_EQ(all("l"), "c b a d e");
  EXPECT_EQ(r({"lpush", "l", "z"}), "(integer) 6");
  EXPECT_EQ(all("l"), "z c b a d e");
  EXPECT_EQ(r({"LLEN", "l"}), "(integer) 6");
}

TEST_F(EngineLists, PushArityAndWrongType) {
  EXPECT_EQ(r({"RPUSH", "nk"}), "(error) ERR wrong number of arguments for 'rpush' command");
  EXPECT_EQ(r({"LPUSH", "nk"}), "(error) ERR wrong number of arguments for 'lpush' command");
  EXPECT_EQ(r({"LPUSHX", "nk"}), "(error) ERR wrong number of arguments for 'lpushx' command");
  make_string("s");
  EXPECT_EQ(r({"LPUSH", "s", "a"}), wrongtype);
  EXPECT_EQ(r({"RPUSH", "s", "a"}), wrongtype);
  EXPECT_EQ(r({"LPUSHX", "s", "a"}), wrongtype);
  EXPECT_EQ(r({"RPUSHX", "s", "a"}), wrongtype);
}

TEST_F(EngineLists, PushxOnlyOnExistingLists) {
  EXPECT_EQ(r({"LPUSHX", "nokey", "a"}), "(integer) 0");
  EXPECT_EQ(r({"RPUSHX", "nokey", "a", "b"}), "(integer) 0");
  EXPECT_FALSE(exists("nokey"));
  r({"RPUSH", "l", "m"});
  EXPECT_EQ(r({"LPUSHX", "l", "a", "b"}), "(integer) 3");
  EXPECT_EQ(r({"RPUSHX", "l", "y", "z"}), "(integer) 5");
  EXPECT_EQ(all("l"), "b a m y z");
}

TEST_F(EngineLists, BinarySafeElements) {
  const std::string bin("a\0b\r\n", 5);
  auto rep = run(e, {"RPUSH", "l", bin, ""});
  EXPECT_EQ(show(rep), "(integer) 2");
  auto got = raw({"LINDEX", "l", "0"});
  EXPECT_EQ(got.string, bin);
  EXPECT_EQ(show(raw({"LINDEX", "l", "1"})), "\"\"");
  EXPECT_EQ(show(run(e, {"LPOS", "l", bin})), "(integer) 0");
}

// --- pop ----------------------------------------------------------------------------------------

TEST_F(EngineLists, PopWithoutCount) {
  r({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(r({"LPOP", "l"}), "\"a\"");
  EXPECT_EQ(r({"RPOP", "l"}), "\"c\"");
  EXPECT_EQ(r({"RPOP", "l"}), "\"b\"");
  EXPECT_FALSE(exists("l"));  // emptied lists are deleted
  EXPECT_EQ(r({"LPOP", "l"}), "(nil)");
  EXPECT_EQ(r2({"RPOP", "l"}), "(nil)");
}

TEST_F(EngineLists, PopWithCount) {
  r({"RPUSH", "l", "a", "b", "c", "d"});
  EXPECT_EQ(r({"LPOP", "l", "2"}), "1) \"a\"\n2) \"b\"");
  EXPECT_EQ(r({"RPOP", "l", "1"}), "1) \"d\"");
  EXPECT_EQ(r({"LPOP", "l", "0"}), "(empty array)");
  EXPECT_EQ(r({"RPOP", "l", "10"}), "1) \"c\"");
  EXPECT_FALSE(exists("l"));
  r({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(r({"RPOP", "l", "9223372036854775807"}), "1) \"c\"\n2) \"b\"\n3) \"a\"");
  EXPECT_FALSE(exists("l"));
}

TEST_F(EngineLists, PopCountErrorsAndNullShapes) {
  r({"RPUSH", "l", "a"});
  make_string("s");
  constexpr const char* positive = "(error) ERR value is out of range, must be positive";
  EXPECT_EQ(r({"LPOP", "l", "-1"}), positive);
  EXPECT_EQ(r({"RPOP", "l", "abc"}), positive);
  EXPECT_EQ(r({"LPOP", "nokey", "-1"}), positive);  // the count is checked first
  EXPECT_EQ(r({"LPOP", "s", "-1"}), positive);
  EXPECT_EQ(r({"LPOP", "s", "0"}), wrongtype);
  EXPECT_EQ(r({"LPOP", "s"}), wrongtype);
  EXPECT_EQ(r({"LPOP", "l", "1", "2"}), "(error) ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(r({"RPOP"}), "(error) ERR wrong number of arguments for 'rpop' command");
  // Missing key: null (RESP2 *-1 with a count, $-1 without; RESP3 _), even with count 0.
  EXPECT_TRUE(raw({"LPOP", "nokey", "1"}).is_null());
  EXPECT_TRUE(raw({"LPOP", "nokey", "1"}, false).is_null());
  EXPECT_TRUE(raw({"LPOP", "nokey", "0"}, false).is_null());
  EXPECT_TRUE(raw({"RPOP", "nokey"}, false).is_null());
  EXPECT_EQ(all("l"), "a");
}

// --- read ---------------------------------------------------------------------------------------

TEST_F(EngineLists, Llen) {
  EXPECT_EQ(r({"LLEN", "nokey"}), "(integer) 0");
  make_string("s");
  EXPECT_EQ(r({"LLEN", "s"}), wrongtype);
  EXPECT_EQ(r({"LLEN"}), "(error) ERR wrong number of arguments for 'llen' command");
}

TEST_F(EngineLists, LrangeClamping) {
  r({"RPUSH", "x", "3", "new", "2", "new2", "1"});
  EXPECT_EQ(all("x"), "3 new 2 new2 1");
  EXPECT_EQ(r({"LRANGE", "x", "-100", "100"}),
            "1) \"3\"\n2) \"new\"\n3) \"2\"\n4) \"new2\"\n5) \"1\"");
  EXPECT_EQ(r({"LRANGE", "x", "3", "1"}), "(empty array)");
  EXPECT_EQ(r({"LRANGE", "x", "5", "10"}), "(empty array)");
  EXPECT_EQ(r({"LRANGE", "x", "-2", "-1"}), "1) \"new2\"\n2) \"1\"");
  EXPECT_EQ(r({"LRANGE", "x", "1", "-100"}), "(empty array)");
  EXPECT_EQ(r({"LRANGE", "x", "1", "1"}), "1) \"new\"");
  EXPECT_EQ(r({"LRANGE", "x", "-9223372036854775808", "9223372036854775807"}),
            "1) \"3\"\n2) \"new\"\n3) \"2\"\n4) \"new2\"\n5) \"1\"");
  EXPECT_EQ(r({"LRANGE", "nokey", "0", "-1"}), "(empty array)");
}

TEST_F(EngineLists, LrangeErrors) {
  make_string("s");
  EXPECT_EQ(r({"LRANGE", "nokey", "a", "b"}), not_integer);  // parsed before the lookup
  EXPECT_EQ(r({"LRANGE", "s", "0", "x"}), not_integer);
  EXPECT_EQ(r({"LRANGE", "s", "0", "1"}), wrongtype);
  EXPECT_EQ(r({"LRANGE", "s", "01", "1"}), not_integer);
  EXPECT_EQ(r({"LRANGE", "l", "0", "-1", "extra"}),
            "(error) ERR wrong number of arguments for 'lrange' command");
}

TEST_F(EngineLists, Lindex) {
  r({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(r({"LINDEX", "l", "0"}), "\"a\"");
  EXPECT_EQ(r({"LINDEX", "l", "2"}), "\"c\"");
  EXPECT_EQ(r({"LINDEX", "l", "-1"}), "\"c\"");
  EXPECT_EQ(r({"LINDEX", "l", "-3"}), "\"a\"");
  EXPECT_EQ(r({"LINDEX", "l", "3"}), "(nil)");
  EXPECT_EQ(r({"LINDEX", "l", "-4"}), "(nil)");
  EXPECT_EQ(r({"LINDEX", "l", "abc"}), not_integer);
  // The key is checked before the index.
  EXPECT_EQ(r({"LINDEX", "nokey", "abc"}), "(nil)");
  make_string("s");
  EXPECT_EQ(r({"LINDEX", "s", "abc"}), wrongtype);
}

TEST_F(EngineLists, LposBasics) {
  r({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(r({"LPOS", "l", "a"}), "(integer) 0");
  EXPECT_EQ(r({"LPOS", "l", "c"}), "(integer) 3");
  EXPECT_EQ(r({"LPOS", "l", "zz"}), "(nil)");
  EXPECT_EQ(r({"LPOS", "l", "zz", "COUNT", "1"}), "(empty array)");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "2"}), "(integer) 2");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "-1"}), "(integer) 4");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "-2", "COUNT", "0"}), "1) (integer) 2\n2) (integer) 0");
  EXPECT_EQ(r({"LPOS", "l", "a", "COUNT", "0"}), "1) (integer) 0\n2) (integer) 2\n3) (integer) 4");
  EXPECT_EQ(r({"LPOS", "l", "a", "COUNT", "2"}), "1) (integer) 0\n2) (integer) 2");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "2", "COUNT", "0", "MAXLEN", "3"}), "1) (integer) 2");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "1"}), "(integer) 4");
  EXPECT_EQ(r({"LPOS", "l", "b", "RANK", "-1", "MAXLEN", "2"}), "(nil)");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "9223372036854775807", "COUNT", "1"}), "(empty array)");
  EXPECT_EQ(r({"LPOS", "l", "a", "rank", "1", "rank", "2"}), "(integer) 2");  // last one wins
  EXPECT_EQ(r({"LPOS", "l", "a", "count", "1", "count", "0"}),
            "1) (integer) 0\n2) (integer) 2\n3) (integer) 4");
  EXPECT_EQ(r({"LPOS", "l", "a", "maxlen", "0"}), "(integer) 0");
}

TEST_F(EngineLists, LposRankLongMinMatchesRedis) {
  // Redis negates RANK in a long: LONG_MIN behaves as "from the tail, no COUNT limit".
  r({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "-9223372036854775808"}), "(integer) 4");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1"}),
            "1) (integer) 4\n2) (integer) 2\n3) (integer) 0");
}

TEST_F(EngineLists, LposErrorsAndMissingKey) {
  r({"RPUSH", "l", "a"});
  make_string("s");
  constexpr const char* rank_zero =
      "(error) ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
      "... or use negative to start from the end of the list";
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "0"}), rank_zero);
  EXPECT_EQ(r({"LPOS", "nokey", "a", "RANK", "0"}), rank_zero);
  EXPECT_EQ(r({"LPOS", "s", "a", "RANK", "0"}), rank_zero);  // options before the type
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK", "abc"}), not_integer);
  EXPECT_EQ(r({"LPOS", "l", "a", "COUNT", "-1"}), "(error) ERR COUNT can't be negative");
  EXPECT_EQ(r({"LPOS", "l", "a", "COUNT", "abc"}), "(error) ERR COUNT can't be negative");
  EXPECT_EQ(r({"LPOS", "l", "a", "MAXLEN", "-1"}), "(error) ERR MAXLEN can't be negative");
  EXPECT_EQ(r({"LPOS", "l", "a", "MAXLEN", "abc"}), "(error) ERR MAXLEN can't be negative");
  EXPECT_EQ(r({"LPOS", "l", "a", "RANK"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"LPOS", "l", "a", "FOO", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"LPOS", "s", "a"}), wrongtype);
  EXPECT_EQ(r({"LPOS", "nokey", "a"}), "(nil)");
  EXPECT_EQ(r({"LPOS", "nokey", "a", "COUNT", "0"}), "(empty array)");
  EXPECT_EQ(r({"LPOS", "l"}), "(error) ERR wrong number of arguments for 'lpos' command");
}

// --- modify -------------------------------------------------------------------------------------

TEST_F(EngineLists, Lset) {
  r({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(r({"LSET", "l", "1", "B"}), "OK");
  EXPECT_EQ(r({"LSET", "l", "-1", "C"}), "OK");
  EXPECT_EQ(all("l"), "a B C");
  EXPECT_EQ(r({"LSET", "l", "3", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(r({"LSET", "l", "-4", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(r({"LSET", "l", "abc", "x"}), not_integer);
  EXPECT_EQ(r({"LSET", "nokey", "abc", "x"}), "(error) ERR no such key");
  make_string("s");
  EXPECT_EQ(r({"LSET", "s", "abc", "x"}), wrongtype);
}

TEST_F(EngineLists, Lrem) {
  r({"RPUSH", "l", "a", "b", "a", "c", "a", "b"});
  EXPECT_EQ(r({"LREM", "l", "1", "a"}), "(integer) 1");
  EXPECT_EQ(all("l"), "b a c a b");
  EXPECT_EQ(r({"LREM", "l", "-1", "b"}), "(integer) 1");
  EXPECT_EQ(all("l"), "b a c a");
  EXPECT_EQ(r({"LREM", "l", "-1", "a"}), "(integer) 1");
  EXPECT_EQ(all("l"), "b a c");
  EXPECT_EQ(r({"LREM", "l", "0", "zz"}), "(integer) 0");
  r({"RPUSH", "l", "a", "a"});
  EXPECT_EQ(r({"LREM", "l", "0", "a"}), "(integer) 3");
  EXPECT_EQ(all("l"), "b c");
  r({"RPUSH", "m", "x", "y", "x", "x"});
  EXPECT_EQ(r({"LREM", "m", "-2", "x"}), "(integer) 2");
  EXPECT_EQ(all("m"), "x y");
  r({"RPUSH", "m", "x", "x"});
  EXPECT_EQ(r({"LREM", "m", "-9223372036854775808", "x"}), "(integer) 3");
  EXPECT_EQ(all("m"), "y");
  EXPECT_EQ(r({"LREM", "m", "5", "y"}), "(integer) 1");
  EXPECT_FALSE(exists("m"));
}

TEST_F(EngineLists, LremErrors) {
  make_string("s");
  EXPECT_EQ(r({"LREM", "nokey", "a", "x"}), not_integer);
  EXPECT_EQ(r({"LREM", "s", "a", "x"}), not_integer);
  EXPECT_EQ(r({"LREM", "s", "0", "x"}), wrongtype);
  EXPECT_EQ(r({"LREM", "nokey", "0", "x"}), "(integer) 0");
}

TEST_F(EngineLists, Ltrim) {
  r({"RPUSH", "x", "3", "new", "2", "new2", "1"});
  EXPECT_EQ(r({"LTRIM", "x", "1", "-2"}), "OK");
  EXPECT_EQ(all("x"), "new 2 new2");
  EXPECT_EQ(r({"LTRIM", "x", "-100", "100"}), "OK");
  EXPECT_EQ(all("x"), "new 2 new2");
  EXPECT_EQ(r({"LTRIM", "x", "1", "1"}), "OK");
  EXPECT_EQ(all("x"), "2");
  EXPECT_EQ(r({"LTRIM", "x", "5", "1"}), "OK");
  EXPECT_FALSE(exists("x"));
  EXPECT_EQ(r({"LTRIM", "nokey", "0", "1"}), "OK");
  EXPECT_FALSE(exists("nokey"));
  make_string("s");
  EXPECT_EQ(r({"LTRIM", "nokey", "a", "1"}), not_integer);
  EXPECT_EQ(r({"LTRIM", "s", "0", "1"}), wrongtype);
}

TEST_F(EngineLists, Linsert) {
  r({"LPUSH", "x", "1", "2", "3"});
  EXPECT_EQ(r({"LINSERT", "x", "BEFORE", "2", "new"}), "(integer) 4");
  EXPECT_EQ(r({"LINSERT", "x", "after", "2", "new2"}), "(integer) 5");
  EXPECT_EQ(all("x"), "3 new 2 new2 1");
  EXPECT_EQ(r({"LINSERT", "x", "AFTER", "missing", "v"}), "(integer) -1");
  EXPECT_EQ(r({"LINSERT", "x", "AFTER", "1", "end"}), "(integer) 6");
  EXPECT_EQ(r({"LINSERT", "x", "Before", "3", "start"}), "(integer) 7");
  EXPECT_EQ(all("x"), "start 3 new 2 new2 1 end");
  EXPECT_EQ(r({"LINSERT", "nokey", "before", "a", "b"}), "(integer) 0");
  EXPECT_FALSE(exists("nokey"));
  EXPECT_EQ(r({"LINSERT", "nokey", "middle", "a", "b"}), "(error) ERR syntax error");
  make_string("s");
  EXPECT_EQ(r({"LINSERT", "s", "middle", "a", "b"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"LINSERT", "s", "before", "a", "b"}), wrongtype);
}

// --- move ---------------------------------------------------------------------------------------

TEST_F(EngineLists, LmoveSameKeyRotation) {
  r({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(r({"LMOVE", "l", "l", "LEFT", "RIGHT"}), "\"a\"");
  EXPECT_EQ(all("l"), "b c a");
  EXPECT_EQ(r({"LMOVE", "l", "l", "right", "left"}), "\"a\"");
  EXPECT_EQ(all("l"), "a b c");
  EXPECT_EQ(r({"LMOVE", "l", "l", "left", "left"}), "\"a\"");
  EXPECT_EQ(all("l"), "a b c");
  EXPECT_EQ(r({"RPOPLPUSH", "l", "l"}), "\"c\"");
  EXPECT_EQ(all("l"), "c a b");
  r({"RPUSH", "one", "z"});
  EXPECT_EQ(r({"LMOVE", "one", "one", "LEFT", "RIGHT"}), "\"z\"");
  EXPECT_EQ(all("one"), "z");
}

TEST_F(EngineLists, LmoveBetweenKeys) {
  r({"RPUSH", "src", "a", "b"});
  EXPECT_EQ(r({"LMOVE", "src", "dst", "RIGHT", "LEFT"}), "\"b\"");
  EXPECT_EQ(r({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), "\"a\"");
  EXPECT_FALSE(exists("src"));
  EXPECT_EQ(all("dst"), "b a");
  EXPECT_EQ(r({"RPOPLPUSH", "dst", "other"}), "\"a\"");
  EXPECT_EQ(all("other"), "a");
  EXPECT_EQ(r({"LMOVE", "nokey", "dst", "LEFT", "LEFT"}), "(nil)");
  EXPECT_EQ(r({"RPOPLPUSH", "nokey", "dst"}), "(nil)");
  EXPECT_FALSE(exists("nokey"));
}

TEST_F(EngineLists, LmoveErrors) {
  r({"RPUSH", "l", "a", "b"});
  make_string("s");
  EXPECT_EQ(r({"LMOVE", "l", "s", "left", "left"}), wrongtype);
  EXPECT_EQ(all("l"), "a b");  // nothing popped
  EXPECT_EQ(r({"LMOVE", "s", "l", "left", "left"}), wrongtype);
  EXPECT_EQ(r({"LMOVE", "nokey", "s", "left", "left"}), "(nil)");
  EXPECT_EQ(r({"LMOVE", "l", "x", "up", "left"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"LMOVE", "s", "x", "up", "left"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"LMOVE", "nokey", "x", "left", "down"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"RPOPLPUSH", "s", "l"}), wrongtype);
  EXPECT_EQ(r({"RPOPLPUSH", "l", "s"}), wrongtype);
  EXPECT_EQ(r({"RPOPLPUSH", "nokey", "s"}), "(nil)");
  EXPECT_EQ(all("l"), "a b");
  EXPECT_EQ(r({"LMOVE", "l", "x", "left"}),
            "(error) ERR wrong number of arguments for 'lmove' command");
}

TEST_F(EngineLists, Lmpop) {
  r({"RPUSH", "l", "a", "b", "c", "d"});
  EXPECT_EQ(r({"LMPOP", "2", "nokey", "l", "LEFT"}), "1) \"l\"\n2) 1) \"a\"");
  EXPECT_EQ(r({"LMPOP", "2", "nokey", "l", "right", "COUNT", "2"}),
            "1) \"l\"\n2) 1) \"d\"\n   2) \"c\"");
  EXPECT_EQ(r2({"LMPOP", "1", "l", "left", "count", "10"}), "1) \"l\"\n2) 1) \"b\"");
  EXPECT_FALSE(exists("l"));
  EXPECT_EQ(r({"LMPOP", "1", "nokey", "left"}), "(nil)");
  EXPECT_TRUE(raw({"LMPOP", "2", "nokey", "l", "left"}, false).is_null());
  r({"RPUSH", "a", "1"});
  r({"RPUSH", "b", "2"});
  EXPECT_EQ(r({"LMPOP", "2", "b", "a", "left"}), "1) \"b\"\n2) 1) \"2\"");
  EXPECT_EQ(all("a"), "1");
}

TEST_F(EngineLists, LmpopErrors) {
  r({"RPUSH", "l", "a"});
  make_string("s");
  constexpr const char* numkeys = "(error) ERR numkeys should be greater than 0";
  constexpr const char* count = "(error) ERR count should be greater than 0";
  constexpr const char* syntax = "(error) ERR syntax error";
  EXPECT_EQ(r({"LMPOP", "0", "l", "left"}), numkeys);
  EXPECT_EQ(r({"LMPOP", "abc", "l", "left"}), numkeys);
  EXPECT_EQ(r({"LMPOP", "-1", "l", "left"}), numkeys);
  EXPECT_EQ(r({"LMPOP", "2", "l", "left"}), syntax);
  EXPECT_EQ(r({"LMPOP", "9223372036854775807", "l", "left"}), syntax);
  EXPECT_EQ(r({"LMPOP", "1", "l", "middle"}), syntax);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "count", "0"}), count);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "count", "abc"}), count);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "count", "-1"}), count);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "count", "1", "count", "1"}), syntax);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "foo"}), syntax);
  EXPECT_EQ(r({"LMPOP", "1", "l", "left", "count"}), syntax);
  EXPECT_EQ(r({"LMPOP", "2", "nokey", "s", "left"}), wrongtype);
  EXPECT_EQ(r({"LMPOP", "2", "s", "l", "left"}), wrongtype);  // stops at the first wrong type
  EXPECT_EQ(r({"LMPOP", "1", "l"}), "(error) ERR wrong number of arguments for 'lmpop' command");
  EXPECT_EQ(all("l"), "a");
}

// --- RESP2 / RESP3, expiry, memory --------------------------------------------------------------

TEST_F(EngineLists, SameShapesInResp2AndResp3) {
  r({"RPUSH", "l", "a", "b", "a"});
  for (bool resp3 : {true, false}) {
    EXPECT_EQ(raw({"LRANGE", "l", "0", "-1"}, resp3).type, resp::type::array);
    EXPECT_EQ(raw({"LPOS", "l", "a", "COUNT", "0"}, resp3).type, resp::type::array);
    EXPECT_EQ(raw({"LINDEX", "l", "0"}, resp3).type, resp::type::bulk_string);
    EXPECT_TRUE(raw({"LINDEX", "l", "9"}, resp3).is_null());
    EXPECT_TRUE(raw({"LPOS", "nokey", "a"}, resp3).is_null());
    EXPECT_TRUE(raw({"LMOVE", "nokey", "x", "left", "left"}, resp3).is_null());
  }
  auto m = raw({"LMPOP", "1", "l", "left"}, true);
  ASSERT_EQ(m.type, resp::type::array);  // not a map, in RESP3 too
  ASSERT_EQ(m.elements.size(), 2U);
  EXPECT_EQ(m.elements[1].type, resp::type::array);
}

TEST_F(EngineLists, ExpiryInterplay) {
  e.set_time_ms(1'000'000);
  r({"RPUSH", "l", "a", "b"});
  expire_at("l", 1'000'500);
  EXPECT_EQ(r({"RPUSH", "l", "c"}), "(integer) 3");
  EXPECT_EQ(expire_of("l"), 1'000'500);  // pushing keeps the TTL
  EXPECT_EQ(r({"LPOP", "l"}), "\"a\"");
  EXPECT_EQ(expire_of("l"), 1'000'500);
  e.advance_ms(500);
  EXPECT_EQ(r({"LLEN", "l"}), "(integer) 0");
  EXPECT_EQ(r({"LPUSHX", "l", "x"}), "(integer) 0");
  EXPECT_EQ(r({"LSET", "l", "0", "x"}), "(error) ERR no such key");
  EXPECT_EQ(r({"LPUSH", "l", "new"}), "(integer) 1");
  EXPECT_EQ(expire_of("l"), 0);  // a fresh list has no TTL

  // LMOVE into an expired destination creates a fresh list; the source keeps its TTL.
  r({"RPUSH", "dst", "old"});
  expire_at("dst", 1'000'600);
  expire_at("l", 1'000'900);
  r({"RPUSH", "l", "more"});
  e.advance_ms(100);
  EXPECT_EQ(r({"LMOVE", "l", "dst", "LEFT", "LEFT"}), "\"new\"");
  EXPECT_EQ(all("dst"), "new");
  EXPECT_EQ(expire_of("dst"), 0);
  EXPECT_EQ(expire_of("l"), 1'000'900);
  e.advance_ms(300);
  EXPECT_EQ(r({"RPOPLPUSH", "l", "dst"}), "(nil)");
  EXPECT_EQ(r({"LMPOP", "2", "l", "dst", "left"}), "1) \"dst\"\n2) 1) \"new\"");
}

TEST_F(EngineLists, PoppedListsFreeTheirMemory) {
  r({"RPUSH", "warm", "x"});  // the keyspace's bucket array stays allocated
  r({"LPOP", "warm"});
  const auto before = e.used_memory();
  for (int i = 0; i < 100; ++i) {
    r({"RPUSH", "l", "a fairly long element that does not fit in the small string buffer"});
  }
  EXPECT_GT(e.used_memory(), before + 100 * 60);
  r({"LTRIM", "l", "1", "0"});
  EXPECT_EQ(e.used_memory(), before);
}

TEST_F(EngineLists, DenyOomOnGrowingCommandsOnly) {
  engine small(options{.max_memory = 1});
  EXPECT_EQ(show(run(small, {"RPUSH", "l", "a"})), "(integer) 1");  // under the limit at start
  constexpr const char* oom = "(error) OOM command not allowed when used memory > 'maxmemory'.";
  EXPECT_EQ(show(run(small, {"RPUSH", "l", "b"})), oom);
  EXPECT_EQ(show(run(small, {"LINSERT", "l", "before", "a", "b"})), oom);
  EXPECT_EQ(show(run(small, {"LMOVE", "l", "l", "left", "left"})), oom);
  EXPECT_EQ(show(run(small, {"LRANGE", "l", "0", "-1"})), "1) \"a\"");
  EXPECT_EQ(show(run(small, {"LPOP", "l"})), "\"a\"");
}

}  // namespace
}  // namespace redkit::engine
