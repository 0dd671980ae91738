// Running commands on an engine in tests: `run(e, {"SET", "k", "v"})`, readable replies, and a
// fixture with the helpers the command-family tests share.
#pragma once

#include "engine/engine.hpp"

#include <redkit/resp.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::engine::testing {

/// Runs one command on `e` (RESP3 shapes unless `resp3` is false).
inline resp::reply run(engine& e, std::initializer_list<std::string_view> argv, bool resp3 = true) {
  std::vector<std::string_view> v(argv);
  return e.execute(v, resp3);
}

/// redis-cli-like rendering, for EXPECT_EQ against readable expectations.
inline std::string show(const resp::reply& r) { return resp::to_display(r); }

/// Redis's WRONGTYPE reply as show() renders it.
inline constexpr std::string_view wrongtype =
    "(error) WRONGTYPE Operation against a key holding the wrong kind of value";

/// One engine per test, with shorthands for running commands and peeking at the keyspace.
class engine_fixture : public ::testing::Test {
 protected:
  engine e;

  /// Runs a command (RESP3) and renders the reply.
  std::string r(std::initializer_list<std::string_view> argv) { return show(run(e, argv)); }
  /// Same in RESP2.
  std::string r2(std::initializer_list<std::string_view> argv) { return show(run(e, argv, false)); }
  resp::reply raw(std::initializer_list<std::string_view> argv, bool resp3 = true) {
    return run(e, argv, resp3);
  }
  /// The strings of an aggregate reply, sorted and space separated.
  static std::string sorted(const resp::reply& rep) {
    std::vector<std::string> v;
    for (const auto& el : rep.elements) v.push_back(el.string);
    std::sort(v.begin(), v.end());
    std::string out;
    for (const auto& s : v) {
      if (!out.empty()) out += ' ';
      out += s;
    }
    return out;
  }
  /// Whether `key` is live (looks it up as a command would, expiring it if due).
  bool exists(std::string_view key) {
    return e.with_state([&](state& st) {
      context c(st, {}, true, false);
      return c.find(key) != nullptr;
    });
  }
  void expire_at(std::string_view key, std::int64_t at_ms) {
    e.with_state([&](state& st) {
      context c(st, {}, true, false);
      c.set_expire(key, at_ms);
    });
  }
  /// The stored expiry of `key` (0: none), or -1 when the key is not in the keyspace.
  std::int64_t expire_of(std::string_view key) {
    return e.with_state([&](state& st) {
      auto it = st.keys.find(key);
      return it == st.keys.end() ? -1 : it->second.expire_at_ms;
    });
  }
  /// Puts a string under `key`, for wrong-type checks.
  void make_string(std::string_view key) {
    e.with_state([&](state& st) {
      context c(st, {}, true, false);
      c.set_string(key, "x");
    });
  }
};

}  // namespace redkit::engine::testing
