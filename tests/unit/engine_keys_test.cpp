// The engine's keys family: exact replies and error texts as redis-server 7.0 gives them (each
// expectation was checked against a real server), expiry on the engine's settable clock, and
// the SCAN cursor's guarantee (every key present throughout is returned, cursor 0 ends) across
// inserts, deletes and rehashes, for the keyspace and for scan_step on any container.
#include "engine/scan.hpp"
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

constexpr std::int64_t t0 = 1'700'000'000'000;  // the frozen clock, ms since the epoch

class EngineKeys : public ::testing::Test {
 protected:
  void SetUp() override { e.set_time_ms(t0); }
  std::string r(std::initializer_list<std::string_view> argv, bool resp3 = true) {
    return show(run(e, argv, resp3));
  }
  std::string r(const std::vector<std::string>& argv) {
    std::vector<std::string_view> v(argv.begin(), argv.end());
    return show(e.execute(v));
  }
  // Values of the other types without depending on their command families.
  template <typename T>
  T& put(std::string_view key) {
    T* out = nullptr;
    e.with_state([&](state& st) { out = &st.keys[to_m(key)].value.emplace<T>(); });
    return *out;
  }
  void put_list(std::string_view key) {
    e.with_state(
        [&](state& st) { st.keys[to_m(key)].value.emplace<list_value>().push_back(to_m("x")); });
  }
  void put_set(std::string_view key) {
    e.with_state(
        [&](state& st) { st.keys[to_m(key)].value.emplace<set_value>().insert(to_m("m")); });
  }
  void put_hash(std::string_view key) {
    e.with_state([&](state& st) {
      st.keys[to_m(key)].value.emplace<hash_value>().emplace(to_m("f"), to_m("v"));
    });
  }
  // All keys one full SCAN iteration returns (with duplicates), checking each reply's shape.
  std::vector<std::string> scan_all(std::vector<std::string> options = {}) {
    std::vector<std::string> out;
    std::string cursor = "0";
    for (int calls = 0;; ++calls) {
      EXPECT_LT(calls, 1000000) << "SCAN does not end";
      if (calls >= 1000000) break;
      std::vector<std::string> argv{"SCAN", cursor};
      argv.insert(argv.end(), options.begin(), options.end());
      std::vector<std::string_view> v(argv.begin(), argv.end());
      const auto reply = e.execute(v);
      if (reply.type != resp::type::array || reply.elements.size() != 2) {
        ADD_FAILURE() << show(reply);
        break;
      }
      cursor = reply.elements[0].string;
      for (const auto& k : reply.elements[1].elements) out.push_back(k.string);
      if (cursor == "0") break;
    }
    return out;
  }
  static std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::vector<std::string> keys_of(const resp::reply& r) {
    std::vector<std::string> out;
    for (const auto& k : r.elements) out.push_back(k.string);
    return sorted(out);
  }
  engine e;
};

const std::string wrong_args = "(error) ERR wrong number of arguments for ";

TEST_F(EngineKeys, DelUnlinkExistsTouch) {
  EXPECT_EQ(r({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(r({"EXISTS", "a", "a", "b", "c"}), "(integer) 3");
  EXPECT_EQ(r({"TOUCH", "a", "a", "b", "c"}), "(integer) 3");
  EXPECT_EQ(r({"DEL", "a", "a", "c"}), "(integer) 1");
  EXPECT_EQ(r({"UNLINK", "b", "b"}), "(integer) 1");
  EXPECT_EQ(r({"EXISTS", "a", "b"}), "(integer) 0");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
  put_list("l");
  put_hash("h");
  EXPECT_EQ(r({"EXISTS", "l", "h"}), "(integer) 2");
  EXPECT_EQ(r({"DEL", "l", "h"}), "(integer) 2");
  EXPECT_EQ(r({"DEL"}), wrong_args + "'del' command");
  EXPECT_EQ(r({"UNLINK"}), wrong_args + "'unlink' command");
  EXPECT_EQ(r({"EXISTS"}), wrong_args + "'exists' command");
  EXPECT_EQ(r({"TOUCH"}), wrong_args + "'touch' command");
  // Expired keys neither exist nor count as deleted.
  EXPECT_EQ(r({"SET", "t", "v", "PX", "10"}), "OK");
  e.advance_ms(10);
  EXPECT_EQ(r({"EXISTS", "t"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "u", "v", "PX", "10"}), "OK");
  e.advance_ms(10);
  EXPECT_EQ(r({"DEL", "u"}), "(integer) 0");
}

TEST_F(EngineKeys, Type) {
  EXPECT_EQ(r({"TYPE", "nokey"}), "none");
  EXPECT_EQ(run(e, {"TYPE", "nokey"}).type, resp::type::simple_string);
  EXPECT_EQ(r({"SET", "s", "v"}), "OK");
  put_list("l");
  put_set("set");
  put_hash("h");
  put<zset>("z");
  EXPECT_EQ(r({"TYPE", "s"}), "string");
  EXPECT_EQ(r({"TYPE", "l"}), "list");
  EXPECT_EQ(r({"TYPE", "set"}), "set");
  EXPECT_EQ(r({"TYPE", "h"}), "hash");
  EXPECT_EQ(r({"TYPE", "z"}), "zset");
  EXPECT_EQ(r({"TYPE", "s", "x"}), wrong_args + "'type' command");
  EXPECT_EQ(r({"PEXPIRE", "s", "5"}), "(integer) 1");
  e.advance_ms(5);
  EXPECT_EQ(r({"TYPE", "s"}), "none");
}

TEST_F(EngineKeys, ExpireOptionErrors) {
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  const std::string nx =
      "(error) ERR NX and XX, GT or LT options at the same time are not compatible";
  EXPECT_EQ(r({"EXPIRE", "a", "100", "nx", "xx"}), nx);
  EXPECT_EQ(r({"EXPIRE", "a", "100", "NX", "GT"}), nx);
  EXPECT_EQ(r({"PEXPIRE", "a", "100", "lt", "nx"}), nx);
  EXPECT_EQ(r({"EXPIRE", "a", "100", "gt", "lt"}),
            "(error) ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "nx", "gt", "lt"}), nx);
  EXPECT_EQ(r({"EXPIRE", "a", "100", "foo"}), "(error) ERR Unsupported option foo");
  // Options are checked before the time, and before the key.
  EXPECT_EQ(r({"EXPIRE", "a", "abc", "Foo"}), "(error) ERR Unsupported option Foo");
  EXPECT_EQ(r({"EXPIRE", "nokey", "10", "foo"}), "(error) ERR Unsupported option foo");
  EXPECT_EQ(r({"EXPIRE", "a", "abc"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"EXPIRE", "nokey", "abc"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"EXPIRE", "a", "9223372036854776"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(r({"EXPIRE", "a", "-9223372036854776"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(r({"EXPIRE", "a", "9223372036854775"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(r({"PEXPIRE", "a", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(r({"EXPIREAT", "a", "9223372036854776"}),
            "(error) ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) -1");
  EXPECT_EQ(r({"EXPIRE", "a"}), wrong_args + "'expire' command");
  EXPECT_EQ(r({"PEXPIREAT", "a"}), wrong_args + "'pexpireat' command");
}

TEST_F(EngineKeys, ExpireNxXxGtLt) {
  EXPECT_EQ(r({"EXPIRE", "nokey", "10"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "xx"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "gt"}), "(integer) 0");  // no TTL = infinite
  EXPECT_EQ(r({"TTL", "a"}), "(integer) -1");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "nx"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "NX"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "50", "gt"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "100", "gt"}), "(integer) 0");  // equal is not greater
  EXPECT_EQ(r({"EXPIRE", "a", "200", "gt"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRE", "a", "300", "lt"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "200", "lt"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "50", "LT"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 50");
  EXPECT_EQ(r({"EXPIRE", "a", "60", "xx", "gt"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 60");
  EXPECT_EQ(r({"PERSIST", "a"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRE", "a", "50", "lt"}), "(integer) 1");  // LT beats no TTL
  EXPECT_EQ(r({"EXPIRE", "a", "70", "xx"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 70");
  // A past time through LT deletes; through GT on a key without TTL does nothing.
  EXPECT_EQ(r({"SET", "b", "1"}), "OK");
  EXPECT_EQ(r({"EXPIRE", "b", "-1", "gt"}), "(integer) 0");
  EXPECT_EQ(r({"EXISTS", "b"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRE", "b", "-1", "lt"}), "(integer) 1");
  EXPECT_EQ(r({"EXISTS", "b"}), "(integer) 0");
}

TEST_F(EngineKeys, ExpireForms) {
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  EXPECT_EQ(r({"EXPIRE", "a", "100"}), "(integer) 1");
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) 100000");
  EXPECT_EQ(r({"PEXPIRE", "a", "1500"}), "(integer) 1");
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) 1500");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 2");
  EXPECT_EQ(r({"PEXPIRE", "a", "1499"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIREAT", "a", std::to_string(t0 / 1000 + 30)}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRETIME", "a"}), "(integer) " + std::to_string(t0 / 1000 + 30));
  EXPECT_EQ(r({"PEXPIRETIME", "a"}), "(integer) " + std::to_string(t0 + 30000));
  EXPECT_EQ(r({"PEXPIREAT", "a", std::to_string(t0 + 1499)}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRETIME", "a"}), "(integer) " + std::to_string((t0 + 1499 + 500) / 1000));
  EXPECT_EQ(r({"PEXPIREAT", "a", "100000000000000"}), "(integer) 1");
  EXPECT_EQ(r({"EXPIRETIME", "a"}), "(integer) 100000000000");
  EXPECT_EQ(r({"PEXPIREAT", "a", "9223372036854775807"}), "(integer) 1");
  EXPECT_EQ(r({"PEXPIRETIME", "a"}), "(integer) 9223372036854775807");
  EXPECT_EQ(r({"EXPIRETIME", "a"}), "(integer) 9223372036854776");
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) " + std::to_string(INT64_MAX - t0));
  // Times in the past delete at once and answer 1.
  const std::string now = std::to_string(t0);
  for (auto args : {std::initializer_list<std::string_view>{"EXPIRE", "a", "0"},
                    {"EXPIRE", "a", "-5"},
                    {"PEXPIRE", "a", "-9223372036854775808"},
                    {"EXPIREAT", "a", "1"},
                    {"PEXPIREAT", "a", now},
                    {"PEXPIREAT", "a", "0"}}) {
    EXPECT_EQ(r({"SET", "a", "1"}), "OK");
    EXPECT_EQ(show(run(e, args)), "(integer) 1") << *(args.begin() + 2);
    EXPECT_EQ(r({"EXISTS", "a"}), "(integer) 0");
    EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
  }
  // Expiry reaches any type.
  put_hash("h");
  EXPECT_EQ(r({"PEXPIRE", "h", "10"}), "(integer) 1");
  e.advance_ms(9);
  EXPECT_EQ(r({"TYPE", "h"}), "hash");
  e.advance_ms(1);
  EXPECT_EQ(r({"TYPE", "h"}), "none");
}

TEST_F(EngineKeys, TtlFamilyAndPersist) {
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(r({cmd, "nokey"}), "(integer) -2") << cmd;
  }
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(r({cmd, "a"}), "(integer) -1") << cmd;
  }
  EXPECT_EQ(r({"TTL"}), wrong_args + "'ttl' command");
  EXPECT_EQ(r({"PERSIST", "a"}), "(integer) 0");
  EXPECT_EQ(r({"PERSIST", "nokey"}), "(integer) 0");
  EXPECT_EQ(r({"PEXPIRE", "a", "2500"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 3");  // 2.5 s rounds up
  e.advance_ms(1);
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 2");
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) 2499");
  EXPECT_EQ(r({"PERSIST", "a"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) -1");
  e.advance_ms(10000);
  EXPECT_EQ(r({"EXISTS", "a"}), "(integer) 1");
  EXPECT_EQ(e.sweep_expired(10), 0U);  // the expiry index forgot it too
  // The last millisecond.
  EXPECT_EQ(r({"PEXPIRE", "a", "2"}), "(integer) 1");
  e.advance_ms(1);
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "a"}), "(integer) 0");
  e.advance_ms(1);
  EXPECT_EQ(r({"PTTL", "a"}), "(integer) -2");
  EXPECT_EQ(r({"PERSIST", "a"}), "(integer) 0");
}

TEST_F(EngineKeys, Keys) {
  EXPECT_EQ(r({"KEYS", "*"}), "(empty array)");
  EXPECT_EQ(r({"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "world", "4"}), "OK");
  EXPECT_EQ(r({"SET", "h\\x", "5"}), "OK");
  EXPECT_EQ(keys_of(run(e, {"KEYS", "*"})),
            (std::vector<std::string>{"h\\x", "hallo", "hello", "hxllo", "world"}));
  EXPECT_EQ(keys_of(run(e, {"KEYS", "h?llo"})),
            (std::vector<std::string>{"hallo", "hello", "hxllo"}));
  EXPECT_EQ(keys_of(run(e, {"KEYS", "h[ae]llo"})), (std::vector<std::string>{"hallo", "hello"}));
  EXPECT_EQ(keys_of(run(e, {"KEYS", "h[^e]llo"})), (std::vector<std::string>{"hallo", "hxllo"}));
  EXPECT_EQ(keys_of(run(e, {"KEYS", "h\\\\x"})), (std::vector<std::string>{"h\\x"}));
  EXPECT_EQ(keys_of(run(e, {"KEYS", "w*"})), (std::vector<std::string>{"world"}));
  EXPECT_EQ(r({"KEYS", "nomatch*"}), "(empty array)");
  EXPECT_EQ(run(e, {"KEYS", "*"}, false).type, resp::type::array);
  EXPECT_EQ(r({"KEYS"}), wrong_args + "'keys' command");
  // Logically expired keys are not listed (and KEYS does not delete them, as on Redis).
  EXPECT_EQ(r({"PEXPIRE", "world", "5"}), "(integer) 1");
  e.advance_ms(5);
  EXPECT_EQ(keys_of(run(e, {"KEYS", "w*"})), std::vector<std::string>{});
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 5");
  EXPECT_EQ(r({"EXISTS", "world"}), "(integer) 0");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 4");
}

TEST_F(EngineKeys, ScanArguments) {
  EXPECT_EQ(r({"MSET", "a", "1", "b", "2"}), "OK");
  put_list("l");
  const std::string syntax = "(error) ERR syntax error";
  EXPECT_EQ(r({"SCAN", "0", "COUNT", "0"}), syntax);
  EXPECT_EQ(r({"SCAN", "0", "COUNT", "-1"}), syntax);
  EXPECT_EQ(r({"SCAN", "0", "COUNT", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SCAN", "0", "COUNT", "9223372036854775808"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"SCAN", "0", "MATCH"}), syntax);
  EXPECT_EQ(r({"SCAN", "0", "foo", "bar"}), syntax);
  EXPECT_EQ(r({"SCAN", "0", "TYPE"}), syntax);
  EXPECT_EQ(r({"SCAN", "abc"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SCAN", " 1"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SCAN", "1 "}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SCAN", "18446744073709551616"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SCAN", "0x10"}), "(error) ERR invalid cursor");
  EXPECT_EQ(r({"SCAN"}), wrong_args + "'scan' command");
  // strtoul's forms that Redis accepts: "", "+0", "-1", 2^64-1.
  for (const char* ok : {"", "+0", "-1", "18446744073709551615"}) {
    const auto reply = e.execute(std::vector<std::string_view>{"SCAN", ok});
    EXPECT_EQ(reply.type, resp::type::array) << ok;
  }
  // A complete iteration from 0, with the options in any case and order, last one winning.
  EXPECT_EQ(sorted(scan_all()), (std::vector<std::string>{"a", "b", "l"}));
  EXPECT_EQ(sorted(scan_all({"match", "a", "COUNT", "5", "MATCH", "b"})),
            std::vector<std::string>{"b"});
  EXPECT_EQ(sorted(scan_all({"MATCH", "*"})), (std::vector<std::string>{"a", "b", "l"}));
  EXPECT_EQ(sorted(scan_all({"TYPE", "string"})), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sorted(scan_all({"type", "LIST"})), std::vector<std::string>{"l"});
  EXPECT_EQ(sorted(scan_all({"TYPE", "string", "TYPE", "list"})), std::vector<std::string>{"l"});
  EXPECT_EQ(sorted(scan_all({"TYPE", "foo"})), std::vector<std::string>{});
  EXPECT_EQ(sorted(scan_all({"COUNT", "9223372036854775807"})),
            (std::vector<std::string>{"a", "b", "l"}));
  // A small keyspace comes back in one call, as on Redis: cursor "0".
  const auto one = run(e, {"SCAN", "0"});
  EXPECT_EQ(one.elements[0], resp::reply::make_bulk("0"));
  EXPECT_EQ(one.elements[1].elements.size(), 3U);
  EXPECT_EQ(run(e, {"SCAN", "0"}, false), one);  // same shape in RESP2
  EXPECT_EQ(r({"FLUSHDB"}), "OK");
  EXPECT_EQ(r({"SCAN", "0"}), "1) \"0\"\n2) (empty array)");
}

TEST_F(EngineKeys, ScanSkipsAndDeletesExpiredKeys) {
  EXPECT_EQ(r({"SET", "live", "1"}), "OK");
  EXPECT_EQ(r({"SET", "gone", "1", "PX", "5"}), "OK");
  EXPECT_EQ(r({"SET", "other", "1", "PX", "5"}), "OK");
  e.advance_ms(5);
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 3");
  EXPECT_EQ(sorted(scan_all({"MATCH", "[gl]*"})), std::vector<std::string>{"live"});
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 2");  // "gone" was met and deleted, "other" not matched
  EXPECT_EQ(sorted(scan_all()), std::vector<std::string>{"live"});
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 1");
}

TEST_F(EngineKeys, ScanReturnsEveryKeyAcrossSmallCounts) {
  std::set<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    all.insert("key:" + std::to_string(i));
    EXPECT_EQ(r({"SET", "key:" + std::to_string(i), "v"}), "OK");
  }
  for (const char* count : {"1", "3", "10", "100", "5000"}) {
    const auto got = scan_all({"COUNT", count});
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), all) << count;
    EXPECT_EQ(got.size(), all.size()) << "no rehash, so no duplicates; COUNT " << count;
  }
  // MATCH filters after the buckets are read, so a sparse match still ends.
  const auto some = scan_all({"MATCH", "key:99*", "COUNT", "2"});
  EXPECT_EQ(sorted(some), (std::vector<std::string>{"key:99", "key:990", "key:991", "key:992",
                                                    "key:993", "key:994", "key:995", "key:996",
                                                    "key:997", "key:998", "key:999"}));
}

// The guarantee under churn: between SCAN calls, keys are added (forcing rehashes) and removed.
// Every key present from the first call to the last is returned at least once.
TEST_F(EngineKeys, ScanGuaranteeUnderInsertsDeletesAndRehash) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(r({"FLUSHALL"}), "OK");  // also shrinks the table, so this round must grow it
    std::set<std::string> stable;
    for (int i = 0; i < 200; ++i) {
      const auto k = "stable:" + std::to_string(round) + ":" + std::to_string(i);
      stable.insert(k);
      r({"SET", k, "v"});
    }
    int transient = 0;
    std::vector<std::string> seen;
    std::string cursor = "0";
    std::size_t buckets_at_start = 0;
    e.with_state([&](state& st) { buckets_at_start = st.keys.bucket_count(); });
    for (int calls = 0; calls < 100000; ++calls) {
      const auto count = std::to_string(1 + rng() % 7);
      const auto reply = e.execute(std::vector<std::string_view>{"SCAN", cursor, "COUNT", count});
      ASSERT_EQ(reply.elements.size(), 2U);
      cursor = reply.elements[0].string;
      for (const auto& k : reply.elements[1].elements) seen.push_back(k.string);
      if (cursor == "0") break;
      // Churn: inserts (growing the table several times over, then stopping: a keyspace that
      // grows faster than it is scanned never ends, on Redis too) and deletes of other keys.
      for (int j = 0; j < 25 && transient < 3000; ++j) {
        r({"SET", "t:" + std::to_string(transient++), "v"});
      }
      if (transient > 10) r({"DEL", "t:" + std::to_string(rng() % transient)});
    }
    ASSERT_EQ(cursor, "0") << "iteration did not end";
    std::size_t buckets_at_end = 0;
    e.with_state([&](state& st) { buckets_at_end = st.keys.bucket_count(); });
    EXPECT_GT(buckets_at_end, buckets_at_start) << "the test must force a rehash";
    const std::set<std::string> got(seen.begin(), seen.end());
    for (const auto& k : stable) EXPECT_TRUE(got.count(k) == 1) << k << " round " << round;
  }
}

// Deleting keys never rehashes, so an iteration with only deletes returns each survivor once.
TEST_F(EngineKeys, ScanWithDeletesReturnsSurvivorsExactlyOnce) {
  for (int i = 0; i < 500; ++i) r({"SET", "k" + std::to_string(i), "v"});
  std::vector<std::string> seen;
  std::string cursor = "0";
  int next_delete = 0;
  do {
    const auto reply = e.execute(std::vector<std::string_view>{"SCAN", cursor, "COUNT", "5"});
    cursor = reply.elements[0].string;
    for (const auto& k : reply.elements[1].elements) seen.push_back(k.string);
    r({"DEL", "k" + std::to_string(next_delete)});  // keys 0..N get deleted as we go
    next_delete += 2;
  } while (cursor != "0");
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  for (int i = 1; i < 500; i += 2) EXPECT_EQ(unique.count("k" + std::to_string(i)), 1U) << i;
}

// scan_step on other containers (what HSCAN/SSCAN/ZSCAN use), with a rehash between steps and
// a made-up cursor.
TEST(ScanStep, AnyContainerAcrossRehash) {
  std::int64_t used = 0;
  memory_scope scope(used);
  string_set set;
  for (int i = 0; i < 300; ++i) set.insert(to_m("m" + std::to_string(i)));
  std::multiset<std::string> seen;
  std::uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor =
        scan_step(set, cursor, 4, [&](const mstring& m) { seen.insert(std::string(view(m))); });
    if (steps++ == 10) {
      const auto before = set.bucket_count();
      for (int i = 0; i < 3000; ++i) set.insert(to_m("new" + std::to_string(i)));
      ASSERT_NE(set.bucket_count(), before);
    }
  } while (cursor != 0 && steps < 100000);
  EXPECT_EQ(cursor, 0U);
  for (int i = 0; i < 300; ++i) EXPECT_GE(seen.count("m" + std::to_string(i)), 1U) << i;

  // A cursor that names no position of this table restarts from the beginning.
  string_map<mstring> map;
  for (int i = 0; i < 50; ++i) map.emplace(to_m("f" + std::to_string(i)), to_m("v"));
  std::set<std::string> fields;
  cursor = 12345;
  int items = 0;
  do {
    cursor = scan_step(
        map, cursor, 10,
        [&](const auto& kv) {
          fields.insert(std::string(view(kv.first)));
          items += 2;
        },
        2);
  } while (cursor != 0);
  EXPECT_EQ(fields.size(), 50U);
  EXPECT_EQ(items, 100);
  // Empty containers end at once.
  string_set empty;
  EXPECT_EQ(scan_step(empty, 0, 10, [](const mstring&) { FAIL(); }), 0U);
}

TEST(ScanStep, WeightAndBucketBudget) {
  std::int64_t used = 0;
  memory_scope scope(used);
  string_map<mstring> map;
  for (int i = 0; i < 1000; ++i) map.emplace(to_m("f" + std::to_string(i)), to_m("v"));
  // COUNT 10 with weight 2 stops after about 5 fields (whole buckets, so maybe a few more).
  std::size_t fields = 0;
  const auto next = scan_step(
      map, 0, 10, [&](const auto&) { ++fields; }, 2);
  EXPECT_NE(next, 0U);
  EXPECT_GE(fields, 5U);
  EXPECT_LT(fields, 15U);
  // Erase almost everything: the buckets stay, and one step visits at most COUNT*10 of them.
  for (int i = 1; i < 1000; ++i) map.erase(to_m("f" + std::to_string(i)));
  ASSERT_GT(map.bucket_count(), 100U);
  std::size_t visits = 0;
  std::uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = scan_step(map, cursor, 1, [&](const auto&) { ++visits; });
    ++steps;
  } while (cursor != 0);
  EXPECT_EQ(visits, 1U);
  EXPECT_GE(static_cast<std::size_t>(steps), map.bucket_count() / 10 - 1);
}

TEST(ScanOptions, ParseAndMatch) {
  state st;
  const std::vector<std::string_view> argv{"HSCAN", "h", "0", "MATCH", "f*", "COUNT", "7"};
  context c(st, argv, true, false);
  scan_options o;
  EXPECT_FALSE(scan_parse_options(c, 3, false, o).has_value());
  EXPECT_EQ(o.count, 7U);
  EXPECT_TRUE(o.matches("foo"));
  EXPECT_FALSE(o.matches("bar"));
  const std::vector<std::string_view> typed{"HSCAN", "h", "0", "TYPE", "string"};
  context c2(st, typed, true, false);
  scan_options o2;
  const auto err = scan_parse_options(c2, 3, false, o2);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->string, "ERR syntax error");
  std::uint64_t cur = 7;
  EXPECT_TRUE(scan_parse_cursor("", cur));
  EXPECT_EQ(cur, 0U);
  EXPECT_TRUE(scan_parse_cursor("-1", cur));
  EXPECT_EQ(cur, UINT64_MAX);
  EXPECT_FALSE(scan_parse_cursor("+", cur));
  EXPECT_FALSE(scan_parse_cursor("\t1", cur));
  EXPECT_EQ(scan_reply(5, {context::bulk("x")}),
            context::array({context::bulk("5"), context::array({context::bulk("x")})}));
}

TEST_F(EngineKeys, RenameAndRenamenx) {
  EXPECT_EQ(r({"RENAME", "nokey", "x"}), "(error) ERR no such key");
  EXPECT_EQ(r({"RENAME", "nokey", "nokey"}), "(error) ERR no such key");
  EXPECT_EQ(r({"RENAMENX", "nokey", "x"}), "(error) ERR no such key");
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  EXPECT_EQ(r({"RENAME", "a", "a"}), "OK");
  EXPECT_EQ(r({"RENAMENX", "a", "a"}), "(integer) 0");
  EXPECT_EQ(r({"EXPIRE", "a", "100"}), "(integer) 1");
  EXPECT_EQ(r({"RENAME", "a", "c"}), "OK");
  EXPECT_EQ(r({"EXISTS", "a"}), "(integer) 0");
  EXPECT_EQ(r({"GET", "c"}), "\"1\"");
  EXPECT_EQ(r({"TTL", "c"}), "(integer) 100");
  EXPECT_EQ(r({"SET", "b", "2"}), "OK");
  EXPECT_EQ(r({"RENAMENX", "c", "b"}), "(integer) 0");
  EXPECT_EQ(r({"RENAMENX", "c", "d"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "d"}), "(integer) 100");
  // RENAME over an existing key with a TTL replaces value and TTL.
  EXPECT_EQ(r({"SET", "e", "3", "EX", "5"}), "OK");
  EXPECT_EQ(r({"RENAME", "b", "e"}), "OK");
  EXPECT_EQ(r({"GET", "e"}), "\"2\"");
  EXPECT_EQ(r({"TTL", "e"}), "(integer) -1");
  // Other types move whole; the moved TTL still fires, and the expiry index followed.
  put_list("l");
  EXPECT_EQ(r({"PEXPIRE", "l", "10"}), "(integer) 1");
  EXPECT_EQ(r({"RENAME", "l", "l2"}), "OK");
  EXPECT_EQ(r({"TYPE", "l2"}), "list");
  e.advance_ms(10);
  EXPECT_EQ(e.sweep_expired(100), 1U);
  EXPECT_EQ(r({"EXISTS", "l2"}), "(integer) 0");
  // An expired source is no key; an expired destination does not block RENAMENX.
  EXPECT_EQ(r({"SET", "x", "1", "PX", "5"}), "OK");
  EXPECT_EQ(r({"SET", "y", "1", "PX", "5"}), "OK");
  e.advance_ms(5);
  EXPECT_EQ(r({"RENAME", "x", "z"}), "(error) ERR no such key");
  EXPECT_EQ(r({"RENAMENX", "d", "y"}), "(integer) 1");
  EXPECT_EQ(r({"TTL", "y"}), "(integer) 100");  // 100 s from the start, minus ~0
  EXPECT_EQ(r({"RENAME", "a"}), wrong_args + "'rename' command");
  EXPECT_EQ(e.sweep_expired(100), 0U);
}

TEST_F(EngineKeys, Copy) {
  EXPECT_EQ(r({"SET", "d", "v", "EX", "100"}), "OK");
  EXPECT_EQ(r({"COPY", "d", "d"}), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(r({"COPY", "nokey", "nokey"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(r({"COPY", "d", "d", "DB", "0"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(r({"COPY", "d", "e"}), "(integer) 1");
  EXPECT_EQ(r({"GET", "e"}), "\"v\"");
  EXPECT_EQ(r({"TTL", "e"}), "(integer) 100");
  EXPECT_EQ(r({"COPY", "d", "e"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "d", "w"}), "OK");
  EXPECT_EQ(r({"COPY", "d", "e", "replace"}), "(integer) 1");
  EXPECT_EQ(r({"GET", "e"}), "\"w\"");
  EXPECT_EQ(r({"TTL", "e"}), "(integer) -1");
  EXPECT_EQ(r({"COPY", "d", "e", "REPLACE", "replace"}), "(integer) 1");
  EXPECT_EQ(r({"COPY", "nokey", "e"}), "(integer) 0");
  EXPECT_EQ(r({"COPY", "d", "e", "db", "0"}), "(integer) 0");
  EXPECT_EQ(r({"COPY", "d", "f", "DB", "0", "REPLACE"}), "(integer) 1");
  // One database only: other indexes are out of range (as SELECT says).
  EXPECT_EQ(r({"COPY", "d", "g", "DB", "1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(r({"COPY", "d", "g", "DB", "-1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(r({"COPY", "d", "g", "DB", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"COPY", "d", "g", "DB", "2147483648"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(r({"COPY", "d", "g", "DB"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"COPY", "d", "g", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"COPY", "d"}), wrong_args + "'copy' command");
  EXPECT_EQ(r({"EXISTS", "g"}), "(integer) 0");
  // A deep copy: changing the copy leaves the source alone.
  put_hash("h");
  EXPECT_EQ(r({"COPY", "h", "h2"}), "(integer) 1");
  e.with_state([](state& st) {
    std::get<hash_value>(st.keys.find(std::string_view("h2"))->second.value)
        .emplace(to_m("g"), to_m("w"));
  });
  std::size_t source_fields = 0;
  e.with_state([&](state& st) {
    source_fields = std::get<hash_value>(st.keys.find(std::string_view("h"))->second.value).size();
  });
  EXPECT_EQ(source_fields, 1U);
  EXPECT_EQ(r({"APPEND", "f", "x"}), "(integer) 2");
  EXPECT_EQ(r({"GET", "d"}), "\"w\"");
}

TEST_F(EngineKeys, DbsizeFlushRandomkey) {
  EXPECT_EQ(r({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "only", "1"}), "OK");
  EXPECT_EQ(r({"RANDOMKEY"}), "\"only\"");
  for (int i = 0; i < 100; ++i) r({"SET", "k" + std::to_string(i), "v"});
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 101");
  std::set<std::string> picked;
  for (int i = 0; i < 200; ++i) picked.insert(run(e, {"RANDOMKEY"}).string);
  EXPECT_GT(picked.size(), 50U);  // random, not stuck
  EXPECT_EQ(r({"FLUSHDB", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"FLUSHALL", "sync", "async"}), "(error) ERR syntax error");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 101");
  EXPECT_EQ(r({"FLUSHDB", "Async"}), "OK");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
  EXPECT_EQ(r({"SET", "a", "1", "EX", "10"}), "OK");
  EXPECT_EQ(r({"FLUSHALL", "SYNC"}), "OK");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
  EXPECT_EQ(e.sweep_expired(10), 0U);
  EXPECT_EQ(r({"SET", "a", "1"}), "OK");
  EXPECT_EQ(r({"FLUSHALL"}), "OK");
  EXPECT_EQ(r({"FLUSHDB"}), "OK");
  // Flushing gives all the memory back, bucket array included.
  const auto empty = e.used_memory();
  for (int i = 0; i < 1000; ++i) r({"SET", "m" + std::to_string(i), "v", "EX", "100"});
  EXPECT_GT(e.used_memory(), empty);
  EXPECT_EQ(r({"FLUSHDB"}), "OK");
  EXPECT_EQ(e.used_memory(), empty);
  EXPECT_EQ(r({"DBSIZE", "x"}), wrong_args + "'dbsize' command");
  EXPECT_EQ(r({"RANDOMKEY", "x"}), wrong_args + "'randomkey' command");
  // Sparse table (most keys deleted; buckets stay): still finds the survivors.
  for (int i = 0; i < 5000; ++i) r({"SET", "s" + std::to_string(i), "v"});
  for (int i = 1; i < 5000; ++i) r({"DEL", "s" + std::to_string(i)});
  EXPECT_EQ(r({"RANDOMKEY"}), "\"s0\"");
  // Expired keys are skipped (and deleted); all expired means nil.
  EXPECT_EQ(r({"PEXPIRE", "s0", "5"}), "(integer) 1");
  EXPECT_EQ(r({"SET", "t", "1", "PX", "5"}), "OK");
  EXPECT_EQ(r({"SET", "live", "1"}), "OK");
  e.advance_ms(5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r({"RANDOMKEY"}), "\"live\"");
  EXPECT_EQ(r({"DEL", "live"}), "(integer) 1");
  EXPECT_EQ(r({"SET", "u", "1", "PX", "5"}), "OK");
  e.advance_ms(5);
  EXPECT_EQ(r({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(r({"DBSIZE"}), "(integer) 0");
}

TEST_F(EngineKeys, ScriptsMayUseKeyCommands) {
  // None of these is flagged noscript on Redis 7.
  for (const char* name : {"keys", "scan", "randomkey", "flushall", "flushdb", "copy", "rename"}) {
    const auto* spec = find_command(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->flags & cmd_noscript, 0U) << name;
  }
  EXPECT_NE(find_command("copy")->flags & cmd_denyoom, 0U);
  EXPECT_NE(find_command("del")->flags & cmd_write, 0U);
  EXPECT_NE(find_command("scan")->flags & cmd_readonly, 0U);
}

}  // namespace
}  // namespace redkit::engine
