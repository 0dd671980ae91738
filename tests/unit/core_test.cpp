// Sans-io parts of the core: store URLs, the error table, command encoding, script registry.
#include <redkit/command.hpp>
#include <redkit/error.hpp>
#include <redkit/script.hpp>
#include <redkit/store.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace redkit {
namespace {

TEST(StoreUrl, ParsesEveryForm) {
  auto u = parse_store_url("redis://127.0.0.1:7000/2");
  EXPECT_EQ(u.scheme, "redis");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.db, 2);
  EXPECT_FALSE(u.tls);

  u = parse_store_url("rediss://alice:p%40ss@cache.internal");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.port, 6379);

  u = parse_store_url("redis://:only-pass@[::1]:6380");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "only-pass");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 6380);

  u = parse_store_url("redis://secret@host");
  EXPECT_EQ(u.password, "secret");

  u = parse_store_url("unix:///run/redis.sock?db=4");
  EXPECT_EQ(u.path, "/run/redis.sock");
  EXPECT_EQ(u.db, 4);

  EXPECT_EQ(parse_store_url("memory://").scheme, "memory");
}

TEST(StoreUrl, RejectsMalformedUrlsWithoutEchoingPasswords) {
  for (const char* bad :
       {"localhost:6379", "http://x", "redis://", "redis://h:0", "redis://h:70000", "redis://h:abc",
        "redis://h/x", "redis://h/-1", "unix://relative", "redis://[::1", "redis://h?timeout=1",
        "memory://x", "redis://u:%zz@h"}) {
    try {
      parse_store_url(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::invalid_url) << bad;
    }
  }
  try {
    parse_store_url("redis://u:hunter2@h:99999");
  } catch (const error& e) {
    EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("hunter2")));
  }
}

TEST(StoreUrl, RedactsThePassword) {
  EXPECT_EQ(parse_store_url("redis://u:hunter2@h:1/3").redacted(), "redis://u:***@h:1/3");
  EXPECT_EQ(parse_store_url("rediss://[::1]").redacted(), "rediss://[::1]:6379");
}

TEST(Errors, RedisPrefixesMapToCodes) {
  EXPECT_EQ(classify_server_error("WRONGTYPE Operation against a key"), errc::wrong_type);
  EXPECT_EQ(classify_server_error("NOSCRIPT No matching script"), errc::no_script);
  EXPECT_EQ(classify_server_error("MOVED 3999 127.0.0.1:6381"), errc::moved);
  EXPECT_EQ(classify_server_error("ASK 3999 127.0.0.1:6381"), errc::ask);
  EXPECT_EQ(classify_server_error("BUSY Redis is busy running a script"), errc::busy);
  EXPECT_EQ(classify_server_error("LOADING Redis is loading"), errc::loading);
  EXPECT_EQ(classify_server_error("READONLY You can't write"), errc::read_only);
  EXPECT_EQ(classify_server_error("OOM command not allowed"), errc::out_of_memory);
  EXPECT_EQ(classify_server_error("WRONGPASS invalid username-password pair"), errc::wrong_pass);
  EXPECT_EQ(classify_server_error("NOPERM this user has no permissions"), errc::no_perm);
  EXPECT_EQ(classify_server_error("ERR unknown command 'FOO'"), errc::unknown_command);
  EXPECT_EQ(classify_server_error("ERR user_script:1: Script attempted to access"),
            errc::script_error);
  EXPECT_EQ(classify_server_error("ERR syntax error"), errc::server_error);
  EXPECT_EQ(classify_server_error("WEIRD thing"), errc::server_error);
  EXPECT_EQ(classify_server_error(""), errc::server_error);
}

TEST(Errors, CategoryAndMessages) {
  const boost::system::error_code ec = errc::timeout;
  EXPECT_STREQ(ec.category().name(), "redkit");
  EXPECT_EQ(ec.message(), "request timed out");
  for (int v = 1; v <= static_cast<int>(errc::script_error); ++v) {
    EXPECT_NE(category().message(v), "unknown redkit error") << v;
  }
  const auto e = server_error("WRONGTYPE Operation", "GET");
  EXPECT_EQ(e.code(), errc::wrong_type);
  EXPECT_THAT(e.what(), ::testing::HasSubstr("WRONGTYPE Operation [in GET]"));
}

TEST(Command, EncodesNameAndArgumentsAsBulkStrings) {
  command c{"SET", "key", std::string("a\0b", 3), 42, -7LL};
  static constexpr char expected[] =
      "*5\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\na\0b\r\n$2\r\n42\r\n$2\r\n-7\r\n";
  EXPECT_EQ(c.wire(), std::string(expected, sizeof expected - 1));
  EXPECT_EQ(c.name(), "SET");
  auto d = command::from("HSET", std::vector<std::string>{"h", "", "v"});
  EXPECT_EQ(d.wire(), "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$0\r\n\r\n$1\r\nv\r\n");
  EXPECT_EQ(d.name(), "HSET");
  EXPECT_EQ(command{"PING"}.wire(), "*1\r\n$4\r\nPING\r\n");
}

TEST(Scripts, Sha1MatchesKnownVectorsAndEmbeddedTable) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  const auto s = script::make("x", "return 1");
  EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");  // redis-cli SCRIPT LOAD
  for (const auto& e : script::all_embedded()) {
    EXPECT_EQ(e.sha1(), sha1_hex(e.source())) << e.name();  // CMake's SHA equals OpenSSL's
    EXPECT_FALSE(e.source().empty());
  }
  EXPECT_EQ(&script::embedded("bench/sliding_log"), &script::embedded("bench/sliding_log"));
}

}  // namespace
}  // namespace redkit
