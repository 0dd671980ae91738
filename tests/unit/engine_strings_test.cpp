// The engine's strings family: exact replies and error texts as redis-server 7.0 gives them
// (each expectation was checked against a real server), and expiry interplay on the engine's
// settable clock.
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

constexpr std::int64_t t0 = 1'700'000'000'000;  // the frozen clock, ms since the epoch

class EngineStrings : public ::testing::Test {
 protected:
  void SetUp() override { e.set_time_ms(t0); }
  std::string r(std::initializer_list<std::string_view> argv, bool resp3 = true) {
    return show(run(e, argv, resp3));
  }
  // A list value without depending on the lists family: for WRONGTYPE checks.
  void put_list(std::string_view key) {
    e.with_state(
        [&](state& st) { st.keys[to_m(key)].value.emplace<list_value>().push_back(to_m("x")); });
  }
  engine e;
};

TEST_F(EngineStrings, GetSetBasics) {
  EXPECT_EQ(r({"GET", "k"}), "(nil)");
  EXPECT_EQ(run(e, {"GET", "k"}, false).type, resp::type::null);
  EXPECT_EQ(r({"SET", "k", "v"}), "OK");
  EXPECT_EQ(run(e, {"SET", "k", "v"}).type, resp::type::simple_string);
  EXPECT_EQ(r({"GET", "k"}), "\"v\"");
  EXPECT_EQ(run(e, {"GET", "k"}).type, resp::type::bulk_string);
  EXPECT_EQ(r({"set", "k", std::string_view("a\0b", 3)}), "OK");
  EXPECT_EQ(run(e, {"GET", "k"}).string, std::string("a\0b", 3));
  EXPECT_EQ(r({"SET", "k", ""}), "OK");
  EXPECT_EQ(r({"GET", "k"}), "\"\"");
  put_list("l");
  EXPECT_EQ(r({"GET", "l"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"GET"}), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(r({"GET", "a", "b"}), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(r({"SET", "k"}), "(error) ERR wrong number of arguments for 'set' command");
  // SET overwrites a value of any type.
  EXPECT_EQ(r({"SET", "l", "s"}), "OK");
  EXPECT_EQ(r({"GET", "l"}), "\"s\"");
}

TEST_F(EngineStrings, SetSyntaxErrors) {
  const std::string syntax = "(error) ERR syntax error";
  EXPECT_EQ(r({"SET", "k", "v", "EX", "10", "PX", "100"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "NX", "XX"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "XX", "NX"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "KEEPTTL", "EX", "10"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "EX", "10", "KEEPTTL"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "PXAT", "10", "EXAT", "10"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "EX"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "foo"}), syntax);
  EXPECT_EQ(r({"SET", "k", "v", "PERSIST"}), syntax);  // GETEX only
  EXPECT_EQ(r({"SET", "k", "v", "NXX"}), syntax);
  EXPECT_EQ(r({"GET", "k"}), "(nil)");  // none of those wrote
  // Repeats are accepted; the last EX wins.
  EXPECT_EQ(r({"SET", "k", "v", "ex", "10", "Ex", "20"}), "OK");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) 20");
  EXPECT_EQ(r({"SET", "k", "v", "keepttl", "KEEPTTL", "nx", "NX"}), "(nil)");
  EXPECT_EQ(r({"SET", "k", "v", "GET", "get"}), "\"v\"");
}

TEST_F(EngineStrings, SetExpireArguments) {
  EXPECT_EQ(r({"SET", "k", "v", "EX", "0"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"set", "k", "v", "EX", "-1"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "0"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "EXAT", "0"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "PXAT", "0"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "EX", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SET", "k", "v", "EX", "1.5"}),
            "(error) ERR value is not an integer or out of range");
  // Overflow of the seconds->ms conversion, and of adding the current time.
  EXPECT_EQ(r({"SET", "k", "v", "EX", "9223372036854776"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "EX", "9223372036854775"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'set' command");
  // The expire check comes before GET's type check.
  put_list("l");
  EXPECT_EQ(r({"SET", "l", "v", "GET", "EX", "0"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(r({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "k", "v", "PXAT", "9223372036854775807"}), "OK");
  EXPECT_EQ(r({"PEXPIRETIME", "k"}), "(integer) 9223372036854775807");
}

TEST_F(EngineStrings, SetExpiryForms) {
  EXPECT_EQ(r({"SET", "a", "v", "EX", "10"}), "OK");
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) 10000");
  EXPECT_EQ(r({"SET", "b", "v", "PX", "1500"}), "OK");
  EXPECT_EQ(r({"PTTL", "b"}), "(integer) 1500");
  EXPECT_EQ(r({"TTL", "b"}), "(integer) 2");  // rounded
  EXPECT_EQ(r({"SET", "c", "v", "EXAT", std::to_string(t0 / 1000 + 100)}), "OK");
  EXPECT_EQ(r({"PEXPIRETIME", "c"}), "(integer) " + std::to_string(t0 + 100000));
  EXPECT_EQ(r({"SET", "d", "v", "PXAT", std::to_string(t0 + 5)}), "OK");
  EXPECT_EQ(r({"PTTL", "d"}), "(integer) 5");
  // A PXAT in the past stores a key that is already expired.
  EXPECT_EQ(r({"SET", "p", "v", "PXAT", "1"}), "OK");
  EXPECT_EQ(r({"GET", "p"}), "(nil)");
  EXPECT_EQ(r({"EXISTS", "p"}), "(integer) 0");

  e.advance_ms(1499);
  EXPECT_EQ(r({"GET", "b"}), "\"v\"");
  EXPECT_EQ(r({"PTTL", "b"}), "(integer) 1");
  e.advance_ms(1);
  EXPECT_EQ(r({"GET", "b"}), "(nil)");
  EXPECT_EQ(r({"TTL", "b"}), "(integer) -2");
}

TEST_F(EngineStrings, SetDropsTtlUnlessKeepTtl) {
  EXPECT_EQ(r({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(r({"SET", "k", "w", "KEEPTTL"}), "OK");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) 100");
  EXPECT_EQ(r({"GET", "k"}), "\"w\"");
  EXPECT_EQ(r({"SET", "k", "x"}), "OK");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(r({"SET", "k", "y", "EX", "100"}), "OK");
  EXPECT_EQ(r({"SET", "k", "z", "XX"}), "OK");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(r({"SET", "n", "v", "KEEPTTL"}), "OK");  // no key: no TTL to keep
  EXPECT_EQ(r({"TTL", "n"}), "(integer) -1");
  // The dropped TTL no longer expires the key.
  EXPECT_EQ(r({"SET", "k", "a", "PX", "10"}), "OK");
  EXPECT_EQ(r({"SET", "k", "b"}), "OK");
  e.advance_ms(1000);
  EXPECT_EQ(r({"GET", "k"}), "\"b\"");
  EXPECT_EQ(e.sweep_expired(100), 0U);
  EXPECT_EQ(r({"GET", "k"}), "\"b\"");
}

TEST_F(EngineStrings, SetNxXxGet) {
  EXPECT_EQ(r({"SET", "k", "v", "XX"}), "(nil)");
  EXPECT_EQ(r({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "k", "v", "NX"}), "OK");
  EXPECT_EQ(r({"SET", "k", "w", "NX"}), "(nil)");
  EXPECT_EQ(r({"GET", "k"}), "\"v\"");
  EXPECT_EQ(r({"SET", "k", "w", "XX"}), "OK");
  EXPECT_EQ(r({"GET", "k"}), "\"w\"");
  // GET returns the old value; with NX it is allowed in 7.0 and sets only when absent.
  EXPECT_EQ(r({"SET", "k", "x", "GET"}), "\"w\"");
  EXPECT_EQ(r({"SET", "k", "y", "NX", "GET"}), "\"x\"");
  EXPECT_EQ(r({"GET", "k"}), "\"x\"");
  EXPECT_EQ(r({"SET", "k2", "v", "NX", "GET"}), "(nil)");
  EXPECT_EQ(r({"GET", "k2"}), "\"v\"");
  EXPECT_EQ(r({"SET", "k3", "v", "XX", "GET"}), "(nil)");
  EXPECT_EQ(r({"EXISTS", "k3"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "k3", "v", "GET", "EX", "5"}), "(nil)");
  EXPECT_EQ(r({"TTL", "k3"}), "(integer) 5");
  put_list("l");
  EXPECT_EQ(r({"SET", "l", "v", "GET"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"SET", "l", "v", "NX", "GET"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"SET", "l", "v", "XX", "GET"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"TYPE", "l"}), "list");
}

TEST_F(EngineStrings, SetnxSetexPsetex) {
  EXPECT_EQ(r({"SETNX", "k", "v"}), "(integer) 1");
  EXPECT_EQ(r({"SETNX", "k", "w"}), "(integer) 0");
  EXPECT_EQ(r({"GET", "k"}), "\"v\"");
  EXPECT_EQ(r({"SETNX", "k"}), "(error) ERR wrong number of arguments for 'setnx' command");

  EXPECT_EQ(r({"SETEX", "k", "0", "v"}), "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(r({"SETEX", "k", "-1", "v"}), "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(r({"SETEX", "k", "abc", "v"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SETEX", "k", "9223372036854776", "v"}),
            "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(r({"SETEX", "k", "100", "s"}), "OK");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) 100");
  EXPECT_EQ(r({"GET", "k"}), "\"s\"");
  EXPECT_EQ(r({"PSETEX", "k", "0", "v"}), "(error) ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(r({"PSETEX", "k", "9223372036854775807", "v"}),
            "(error) ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(r({"PSETEX", "k", "1000", "p"}), "OK");
  EXPECT_EQ(r({"PTTL", "k"}), "(integer) 1000");
  EXPECT_EQ(r({"SETEX", "k", "1"}), "(error) ERR wrong number of arguments for 'setex' command");
  // SETEX overwrites any type.
  put_list("l");
  EXPECT_EQ(r({"SETEX", "l", "10", "v"}), "OK");
  EXPECT_EQ(r({"TYPE", "l"}), "string");
  e.advance_ms(1000);
  EXPECT_EQ(r({"GET", "k"}), "(nil)");
}

TEST_F(EngineStrings, Getset) {
  EXPECT_EQ(r({"GETSET", "k", "v"}), "(nil)");
  EXPECT_EQ(r({"GET", "k"}), "\"v\"");
  EXPECT_EQ(r({"EXPIRE", "k", "100"}), "(integer) 1");
  EXPECT_EQ(r({"GETSET", "k", "w"}), "\"v\"");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  put_list("l");
  EXPECT_EQ(r({"GETSET", "l", "v"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"TYPE", "l"}), "list");
}

TEST_F(EngineStrings, MgetMsetMsetnx) {
  EXPECT_EQ(r({"MSET", "a", "1", "b"}), "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(r({"MSET", "a"}), "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(r({"MSETNX", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'msetnx' command");
  EXPECT_EQ(r({"MGET"}), "(error) ERR wrong number of arguments for 'mget' command");
  EXPECT_EQ(r({"SET", "a", "old", "EX", "100"}), "OK");
  EXPECT_EQ(r({"MSET", "a", "1", "b", "2", "a", "3"}), "OK");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) -1");
  put_list("l");
  EXPECT_EQ(r({"MGET", "a", "l", "nokey", "b"}), "1) \"3\"\n2) (nil)\n3) (nil)\n4) \"2\"");
  EXPECT_EQ(r({"MSETNX", "a", "9", "c", "3"}), "(integer) 0");
  EXPECT_EQ(r({"EXISTS", "c"}), "(integer) 0");
  EXPECT_EQ(r({"MSETNX", "l", "1"}), "(integer) 0");
  EXPECT_EQ(r({"MSETNX", "c", "3", "d", "4", "c", "5"}), "(integer) 1");
  EXPECT_EQ(r({"MGET", "c", "d"}), "1) \"5\"\n2) \"4\"");
  // RESP2 shape is the same flat array with null bulks.
  const auto two = run(e, {"MGET", "c", "zz"}, false);
  ASSERT_EQ(two.type, resp::type::array);
  ASSERT_EQ(two.elements.size(), 2U);
  EXPECT_TRUE(two.elements[1].is_null());
}

TEST_F(EngineStrings, IncrDecr) {
  EXPECT_EQ(r({"INCR", "n"}), "(integer) 1");
  EXPECT_EQ(r({"INCRBY", "n", "10"}), "(integer) 11");
  EXPECT_EQ(r({"DECR", "n"}), "(integer) 10");
  EXPECT_EQ(r({"DECRBY", "n", "3"}), "(integer) 7");
  EXPECT_EQ(r({"INCRBY", "n", "-10"}), "(integer) -3");
  EXPECT_EQ(r({"DECRBY", "n", "-3"}), "(integer) 0");
  EXPECT_EQ(r({"GET", "n"}), "\"0\"");
  EXPECT_EQ(r({"DECR", "m"}), "(integer) -1");

  EXPECT_EQ(r({"SET", "a", "9223372036854775807"}), "OK");
  EXPECT_EQ(r({"INCR", "a"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(r({"SET", "a", "-9223372036854775808"}), "OK");
  EXPECT_EQ(r({"DECR", "a"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(r({"DECRBY", "a", "-9223372036854775808"}), "(error) ERR decrement would overflow");
  EXPECT_EQ(r({"DECRBY", "zz", "-9223372036854775808"}), "(error) ERR decrement would overflow");
  EXPECT_EQ(r({"SET", "d", "10"}), "OK");
  EXPECT_EQ(r({"DECRBY", "d", "-9223372036854775807"}),
            "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(r({"INCRBY", "b", "9223372036854775808"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"INCRBY", "b", "abc"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"EXISTS", "b"}), "(integer) 0");

  for (const char* bad : {" 1", "01", "+1", "1.0", "", "-0", "1 ", "abc"}) {
    EXPECT_EQ(r({"SET", "c", bad}), "OK");
    EXPECT_EQ(r({"INCR", "c"}), "(error) ERR value is not an integer or out of range") << bad;
  }
  // The increment is parsed before the type is checked.
  put_list("l");
  EXPECT_EQ(r({"INCRBY", "l", "abc"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"INCRBY", "l", "1"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"INCR", "l"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"DECRBY", "l", "1"}), "(error) " + std::string(err::wrong_type));
  // The TTL stays.
  EXPECT_EQ(r({"SET", "t", "5", "EX", "100"}), "OK");
  EXPECT_EQ(r({"INCR", "t"}), "(integer) 6");
  EXPECT_EQ(r({"TTL", "t"}), "(integer) 100");
}

TEST_F(EngineStrings, IncrByFloatFormatting) {
  EXPECT_EQ(r({"SET", "f", "10.5"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "f", "0.1"}), "\"10.6\"");
  EXPECT_EQ(r({"SET", "f", "3.0e3"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "f", "0"}), "\"3000\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "h", "5.0e3"}), "\"5000\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "h", "-5000"}), "\"0\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "h", "-0.0"}), "\"0\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "1.1"}), "\"1.1\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "j", "1e-20"}), "\"0\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "j", "0.1"}), "\"0.1\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "neg", "-1e-20"}), "\"0\"");  // "-0" is written "0"
  EXPECT_EQ(r({"INCRBYFLOAT", "m", "0.30000000000000004"}), "\"0.30000000000000004\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "n", "-1.5"}), "\"-1.5\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "o", "1e17"}), "\"100000000000000000\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "o", "1"}), "\"100000000000000001\"");
  EXPECT_EQ(r({"INCRBYFLOAT", "p", "123456789.123456789"}), "\"123456789.12345678899873747\"");
  EXPECT_EQ(r({"SET", "x", "0x10"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "x", "1"}), "\"17\"");
  EXPECT_EQ(r({"GET", "x"}), "\"17\"");
  // %.17Lf, not %g: large values are written out in full.
  EXPECT_EQ(r({"INCRBYFLOAT", "g", "1e300"}),
            "\"100000000000000000000899732407955919387052394427329074793826008232126564659618093"
            "575584915208375049719035037250861427483590359255618467298391309626052074864628732713"
            "564184365329408425510760601678972665293237003055138294762099454029477278188962060617"
            "9267611627097410650567187386105690089424915104006144\"");
  EXPECT_EQ(run(e, {"INCRBYFLOAT", "g", "1"}, false).type, resp::type::bulk_string);
  EXPECT_EQ(run(e, {"INCRBYFLOAT", "g", "1"}, true).type, resp::type::bulk_string);
}

TEST_F(EngineStrings, IncrByFloatErrors) {
  const std::string not_float = "(error) ERR value is not a valid float";
  EXPECT_EQ(r({"INCRBYFLOAT", "i", " 1"}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "1 "}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "nan"}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "abc"}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", ""}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "1e5000"}), not_float);
  EXPECT_EQ(r({"INCRBYFLOAT", "i", std::string(5119, '0') + "1"}), not_float);  // 5120 chars
  EXPECT_EQ(r({"INCRBYFLOAT", "one", std::string(5118, '0') + "1"}), "\"1\"");  // 5119 chars
  EXPECT_EQ(r({"INCRBYFLOAT", "i", "inf"}), "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(r({"EXISTS", "i"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "s", "abc"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(r({"SET", "s", " 1"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(r({"SET", "s", "1e5000"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "s", "1"}), not_float);
  // Past double's range but within long double's: still fine, as on Redis (x86-64).
  EXPECT_EQ(r({"INCRBYFLOAT", "k", "1.7976931348623157e308"}).substr(0, 12), "\"17976931348");
  EXPECT_EQ(r({"INCRBYFLOAT", "k", "1.7976931348623157e308"}).substr(0, 12), "\"35953862697");
  EXPECT_EQ(r({"SET", "big", "1e4932"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "big", "1e4932"}),
            "(error) ERR increment would produce NaN or Infinity");
  // Type is checked first, before either number.
  put_list("l");
  EXPECT_EQ(r({"INCRBYFLOAT", "l", "abc"}), "(error) " + std::string(err::wrong_type));
  // The TTL stays.
  EXPECT_EQ(r({"SET", "t", "3", "EX", "100"}), "OK");
  EXPECT_EQ(r({"INCRBYFLOAT", "t", "1.5"}), "\"4.5\"");
  EXPECT_EQ(r({"TTL", "t"}), "(integer) 100");
}

TEST_F(EngineStrings, AppendStrlen) {
  EXPECT_EQ(r({"STRLEN", "k"}), "(integer) 0");
  EXPECT_EQ(r({"APPEND", "k", "abc"}), "(integer) 3");
  EXPECT_EQ(r({"APPEND", "k", "def"}), "(integer) 6");
  EXPECT_EQ(r({"APPEND", "k", ""}), "(integer) 6");
  EXPECT_EQ(r({"GET", "k"}), "\"abcdef\"");
  EXPECT_EQ(r({"STRLEN", "k"}), "(integer) 6");
  EXPECT_EQ(r({"APPEND", "e", ""}), "(integer) 0");
  EXPECT_EQ(r({"EXISTS", "e"}), "(integer) 1");
  EXPECT_EQ(r({"SET", "n", "12345", "EX", "100"}), "OK");
  EXPECT_EQ(r({"APPEND", "n", "6"}), "(integer) 6");
  EXPECT_EQ(r({"TTL", "n"}), "(integer) 100");
  put_list("l");
  EXPECT_EQ(r({"APPEND", "l", "x"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"STRLEN", "l"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"STRLEN", "k", "x"}), "(error) ERR wrong number of arguments for 'strlen' command");
}

TEST_F(EngineStrings, GetdelGetex) {
  EXPECT_EQ(r({"GETDEL", "k"}), "(nil)");
  EXPECT_EQ(r({"SET", "k", "v", "EX", "10"}), "OK");
  EXPECT_EQ(r({"GETDEL", "k"}), "\"v\"");
  EXPECT_EQ(r({"EXISTS", "k"}), "(integer) 0");
  put_list("l");
  EXPECT_EQ(r({"GETDEL", "l"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"EXISTS", "l"}), "(integer) 1");

  // A missing key answers nil before the expire value is looked at; syntax comes first.
  EXPECT_EQ(r({"GETEX", "nokey", "EX", "0"}), "(nil)");
  EXPECT_EQ(r({"GETEX", "nokey", "EX", "abc"}), "(nil)");
  EXPECT_EQ(r({"GETEX", "nokey", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"GETEX", "l"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"GETEX", "l", "EX", "0"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"GETEX", "l", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"SET", "k", "v"}), "OK");
  for (auto bad : {std::initializer_list<std::string_view>{"GETEX", "k", "foo"},
                   {"GETEX", "k", "EX", "10", "PERSIST"},
                   {"GETEX", "k", "PERSIST", "EX", "10"},
                   {"GETEX", "k", "KEEPTTL"},
                   {"GETEX", "k", "NX"},
                   {"GETEX", "k", "GET"},
                   {"GETEX", "k", "EX"},
                   {"GETEX", "k", "EX", "1", "PX", "1"}}) {
    EXPECT_EQ(show(run(e, bad)), "(error) ERR syntax error");
  }
  EXPECT_EQ(r({"GETEX", "k", "EX", "0"}), "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(r({"GETEX", "k", "EX", "abc"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"GETEX", "k", "PX", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(r({"GETEX", "k", "EX", "9223372036854776"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(r({"GETEX", "k", "PERSIST", "PERSIST"}), "\"v\"");
  EXPECT_EQ(r({"GETEX", "k"}), "\"v\"");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(r({"GETEX", "k", "EX", "10", "EX", "20"}), "\"v\"");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) 20");
  EXPECT_EQ(r({"GETEX", "k", "PX", "1500"}), "\"v\"");
  EXPECT_EQ(r({"PTTL", "k"}), "(integer) 1500");
  EXPECT_EQ(r({"GETEX", "k", "EXAT", std::to_string(t0 / 1000 + 50)}), "\"v\"");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) 50");
  EXPECT_EQ(r({"GETEX", "k", "PXAT", std::to_string(t0 + 70)}), "\"v\"");
  EXPECT_EQ(r({"PTTL", "k"}), "(integer) 70");
  EXPECT_EQ(r({"GETEX", "k", "persist"}), "\"v\"");
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  // An absolute time already past deletes the key after answering.
  EXPECT_EQ(r({"GETEX", "k", "PXAT", "1"}), "\"v\"");
  EXPECT_EQ(r({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "k", "v"}), "OK");
  EXPECT_EQ(r({"GETEX", "k", "EXAT", std::to_string(t0 / 1000)}), "\"v\"");
  EXPECT_EQ(r({"EXISTS", "k"}), "(integer) 0");
  EXPECT_EQ(r({"GETEX"}), "(error) ERR wrong number of arguments for 'getex' command");
}

TEST_F(EngineStrings, Getrange) {
  EXPECT_EQ(r({"SET", "s", "Hello World"}), "OK");
  EXPECT_EQ(r({"GETRANGE", "s", "0", "3"}), "\"Hell\"");
  EXPECT_EQ(r({"GETRANGE", "s", "-3", "-1"}), "\"rld\"");
  EXPECT_EQ(r({"GETRANGE", "s", "0", "-1"}), "\"Hello World\"");
  EXPECT_EQ(r({"GETRANGE", "s", "10", "100"}), "\"d\"");
  EXPECT_EQ(r({"GETRANGE", "s", "5", "3"}), "\"\"");
  EXPECT_EQ(r({"GETRANGE", "s", "-1", "-5"}), "\"\"");
  EXPECT_EQ(r({"GETRANGE", "s", "-100", "-50"}), "\"H\"");
  EXPECT_EQ(r({"GETRANGE", "s", "-100", "2"}), "\"Hel\"");
  EXPECT_EQ(r({"GETRANGE", "s", "100", "200"}), "\"\"");
  EXPECT_EQ(r({"GETRANGE", "s", "0", "9223372036854775807"}), "\"Hello World\"");
  EXPECT_EQ(r({"GETRANGE", "s", "-9223372036854775808", "-1"}), "\"Hello World\"");
  EXPECT_EQ(r({"SUBSTR", "s", "0", "3"}), "\"Hell\"");
  EXPECT_EQ(r({"GETRANGE", "nokey", "0", "-1"}), "\"\"");
  EXPECT_EQ(run(e, {"GETRANGE", "nokey", "0", "-1"}).type, resp::type::bulk_string);
  EXPECT_EQ(r({"SET", "e", ""}), "OK");
  EXPECT_EQ(r({"GETRANGE", "e", "0", "-1"}), "\"\"");
  EXPECT_EQ(r({"GETRANGE", "s", "a", "1"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"GETRANGE", "nokey", "a", "1"}),
            "(error) ERR value is not an integer or out of range");
  put_list("l");
  EXPECT_EQ(r({"GETRANGE", "l", "0", "1"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"GETRANGE", "l", "x", "1"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"GETRANGE", "s", "0"}),
            "(error) ERR wrong number of arguments for 'getrange' command");
}

TEST_F(EngineStrings, Setrange) {
  EXPECT_EQ(r({"SET", "s", "Hello World", "EX", "100"}), "OK");
  EXPECT_EQ(r({"SETRANGE", "s", "6", "Redis"}), "(integer) 11");
  EXPECT_EQ(r({"GET", "s"}), "\"Hello Redis\"");
  EXPECT_EQ(r({"TTL", "s"}), "(integer) 100");
  EXPECT_EQ(r({"SETRANGE", "s", "11", "!"}), "(integer) 12");
  EXPECT_EQ(r({"SETRANGE", "s", "14", "?"}), "(integer) 15");
  EXPECT_EQ(run(e, {"GET", "s"}).string, std::string("Hello Redis!\0\0?", 15));
  EXPECT_EQ(r({"SETRANGE", "s", "0", ""}), "(integer) 15");
  EXPECT_EQ(r({"SETRANGE", "s", "-1", "x"}), "(error) ERR offset is out of range");
  EXPECT_EQ(r({"SETRANGE", "s", "abc", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SETRANGE", "nokey", "5", ""}), "(integer) 0");
  EXPECT_EQ(r({"EXISTS", "nokey"}), "(integer) 0");
  EXPECT_EQ(r({"SETRANGE", "nokey", "3", "ab"}), "(integer) 5");
  EXPECT_EQ(run(e, {"GET", "nokey"}).string, std::string("\0\0\0ab", 5));
  EXPECT_EQ(r({"TTL", "nokey"}), "(integer) -1");
  // Redis's 512 MB limit (checked before anything is allocated).
  const std::string too_long =
      "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  EXPECT_EQ(r({"SETRANGE", "big", "536870912", "x"}), too_long);
  EXPECT_EQ(r({"SETRANGE", "big", "536870911", "xy"}), too_long);
  EXPECT_EQ(r({"SETRANGE", "big", "9223372036854775807", "x"}), too_long);
  EXPECT_EQ(r({"SETRANGE", "s", "536870912", "x"}), too_long);
  EXPECT_EQ(r({"SETRANGE", "big", "536870912", ""}), "(integer) 0");
  EXPECT_EQ(r({"SETRANGE", "s", "536870912", ""}), "(integer) 15");
  EXPECT_EQ(r({"EXISTS", "big"}), "(integer) 0");
  put_list("l");
  EXPECT_EQ(r({"SETRANGE", "l", "0", "x"}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"SETRANGE", "l", "0", ""}), "(error) " + std::string(err::wrong_type));
  EXPECT_EQ(r({"SETRANGE", "l", "-1", "x"}), "(error) ERR offset is out of range");
}

TEST_F(EngineStrings, LazyExpiryOnEveryRead) {
  EXPECT_EQ(r({"SET", "k", "10", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"STRLEN", "k"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "k", "10", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"INCR", "k"}), "(integer) 1");  // the expired value is gone, not incremented
  EXPECT_EQ(r({"TTL", "k"}), "(integer) -1");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"SETNX", "k", "w"}), "(integer) 1");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"APPEND", "k", "x"}), "(integer) 1");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"SET", "k", "w", "XX"}), "(nil)");
  EXPECT_EQ(r({"SET", "k", "v", "PX", "100"}), "OK");
  e.advance_ms(100);
  EXPECT_EQ(r({"MSETNX", "k", "1"}), "(integer) 1");
}

TEST_F(EngineStrings, WriteCommandsRefusedPastMaxMemory) {
  engine small(options{.max_memory = 1});
  EXPECT_EQ(show(run(small, {"SET", "k", "v"})), "OK");  // under the limit before it runs
  const std::string oom = "(error) " + std::string(err::oom);
  EXPECT_EQ(show(run(small, {"SET", "k", "v"})), oom);
  EXPECT_EQ(show(run(small, {"APPEND", "k", "v"})), oom);
  EXPECT_EQ(show(run(small, {"INCR", "n"})), oom);
  EXPECT_EQ(show(run(small, {"GET", "k"})), "\"v\"");
  EXPECT_EQ(show(run(small, {"GETDEL", "k"})), "\"v\"");  // not denyoom: frees memory
}

}  // namespace
}  // namespace redkit::engine
