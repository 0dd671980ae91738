// `redkit serve` end to end, rate limits: /v1/ratelimit/check and /reset with policies and with
// tiers (exactness, all-or-nothing, shared state with the middleware, bad input), and the
// per-route policies of the config file (the longest prefix, per-tier lists, a denied route
// leaving the tier's budget and the other routes alone), on both stores.
#ifdef REDKIT_TEST_CLI
#include "support/redis_server.hpp"
#include "support/serve_process.hpp"

#include <redkit/error.hpp>
#include <redkit/http_middleware.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;
using response = bhttp::response<bhttp::string_body>;

/// The decision of a check, asserting it is a 200 JSON answer.
boost::json::object check(client& c, std::string_view body) {
  const auto r = post(c, "/v1/ratelimit/check", body);
  EXPECT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  return body_json(r).as_object();
}

std::string temp_file(std::string_view name, std::string_view text) {
  const auto path =
      testing::TempDir() + "redkit_" + std::string(name) + "_" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << text;
  return path;
}

class ServeRateLimit : public serve_test {};

TEST_P(ServeRateLimit, CheckWithPoliciesAndWithATier) {
  serve_process srv(store_args({"--tier", "anonymous=2/1m"}));
  client c(srv.port());
  const std::string one =
      R"({"identity":"api:a","policies":[{"name":"t1","limit":3,"window":"1m"}]})";
  auto r = post(c, "/v1/ratelimit/check", one);
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  auto d = body_json(r).as_object();
  EXPECT_EQ(d.at("allowed"), true);
  EXPECT_EQ(d.at("limit"), 3);
  EXPECT_EQ(d.at("remaining"), 2);
  EXPECT_EQ(d.at("retry_after_ms"), 0);
  EXPECT_GT(d.at("reset_after_ms").as_int64(), 0);
  EXPECT_LE(d.at("reset_after_ms").as_int64(), 60000);
  EXPECT_EQ(d.at("policy"), "t1");
  EXPECT_EQ(d.at("source"), "store");
  ASSERT_EQ(d.at("policies").as_array().size(), 1u);
  EXPECT_EQ(d.at("policies").as_array()[0].at("policy"), "t1");
  EXPECT_EQ(d.at("policies").as_array()[0].at("remaining"), 2);
  EXPECT_EQ(r["X-RateLimit-Limit"], "3");
  EXPECT_EQ(r["X-RateLimit-Remaining"], "2");
  EXPECT_EQ(r["RateLimit-Policy"], "\"t1\";q=3;w=60");
  // A cost takes that many units; a denial is a value (200, allowed false) with Retry-After.
  d = check(c,
            R"({"identity":"api:a","policies":[{"name":"t1","limit":3,"window":"1m"}],"cost":2})");
  EXPECT_EQ(d.at("allowed"), true);
  EXPECT_EQ(d.at("remaining"), 0);
  r = post(c, "/v1/ratelimit/check", one);
  ASSERT_EQ(r.result_int(), 200u);
  d = body_json(r).as_object();
  EXPECT_EQ(d.at("allowed"), false);
  EXPECT_GE(d.at("retry_after_ms").as_int64(), 1);
  EXPECT_GE(std::stoi(std::string(r[bhttp::field::retry_after])), 1);
  EXPECT_EQ(r["X-RateLimit-Remaining"], "0");
  // Another identity has its own counts.
  EXPECT_EQ(check(c, one.substr(0, 17) + "b" + one.substr(18)).at("remaining"), 2);

  // A tier is the server's, and its counts are the middleware's: /api/ping from 127.0.0.1 and a
  // check of "ip:127.0.0.1" in tier anonymous spend the same budget of 2.
  EXPECT_EQ(c.request("GET", "/api/ping").result_int(), 200u);
  d = check(c, R"({"identity":"ip:127.0.0.1","tier":"anonymous"})");
  EXPECT_EQ(d.at("allowed"), true);
  EXPECT_EQ(d.at("remaining"), 0);
  EXPECT_EQ(d.at("policy"), "anonymous");
  expect_problem(c.request("GET", "/api/ping"), 429);
  EXPECT_EQ(check(c, R"({"identity":"ip:127.0.0.1","tier":"anonymous"})").at("allowed"), false);
  EXPECT_EQ(check(c, R"({"identity":"ip:10.1.1.1","tier":"anonymous"})").at("remaining"), 1);
}

TEST_P(ServeRateLimit, SlidingLogAllowsExactlyTheLimitUnderConcurrency) {
  serve_process srv(store_args());
  const std::string body =
      R"({"identity":"api:exact","policies":[{"name":"exact","limit":17,"window":"1m"}]})";
  std::atomic<int> allowed{0}, denied{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      client c(srv.port());
      for (int i = 0; i < 10; ++i) {
        const auto r = post(c, "/v1/ratelimit/check", body);
        if (r.result_int() != 200) {
          ++failed;
          continue;
        }
        (body_json(r).at("allowed").as_bool() ? allowed : denied)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(allowed.load(), 17);
  EXPECT_EQ(denied.load(), 23);
}

TEST_P(ServeRateLimit, PoliciesAreAllOrNothingAndShadowNeverDenies) {
  serve_process srv(store_args());
  client c(srv.port());
  const std::string both =
      R"({"identity":"api:m","policies":[{"name":"wide","limit":5,"window":"1m"},)"
      R"({"name":"narrow","algorithm":"gcra","limit":2,"window":"1m"},)"
      R"({"name":"watch","algorithm":"fixed_window","limit":1,"window":"1m","shadow":true}]})";
  EXPECT_EQ(check(c, both).at("allowed"), true);
  auto d = check(c, both);
  EXPECT_EQ(d.at("allowed"), true);  // "watch" would deny, but it is in shadow mode
  const auto& second = d.at("policies").as_array();
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[2].at("policy"), "watch");
  EXPECT_EQ(second[2].at("allowed"), false);
  EXPECT_EQ(second[2].at("shadow"), true);
  d = check(c, both);
  EXPECT_EQ(d.at("allowed"), false);
  EXPECT_EQ(d.at("policy"), "narrow");
  const auto& third = d.at("policies").as_array();
  EXPECT_EQ(third[0].at("allowed"), true);
  EXPECT_EQ(third[0].at("remaining"), 2);  // what it would leave: 5 - 2 - 1
  EXPECT_EQ(third[1].at("allowed"), false);
  // The denied check consumed nothing from "wide": 5 - 2 taken, this one leaves 2.
  d = check(c, R"({"identity":"api:m","policies":[{"name":"wide","limit":5,"window":"1m"}]})");
  EXPECT_EQ(d.at("remaining"), 2);
}

TEST_P(ServeRateLimit, ResetForgetsAnIdentityByPoliciesOrTier) {
  serve_process srv(store_args({"--tier", "premium=1/1m"}));
  client c(srv.port());
  const std::string policies = R"("policies":[{"name":"r","limit":1,"window":"1h"}])";
  const std::string body = R"({"identity":"api:r",)" + policies + "}";
  EXPECT_EQ(check(c, body).at("allowed"), true);
  EXPECT_EQ(check(c, body).at("allowed"), false);
  auto r = post(c, "/v1/ratelimit/reset", body);
  EXPECT_EQ(r.result_int(), 204u) << r.body();
  EXPECT_TRUE(r.body().empty());
  EXPECT_EQ(check(c, body).at("allowed"), true);
  const std::string tier = R"({"identity":"user:9","tier":"premium"})";
  EXPECT_EQ(check(c, tier).at("allowed"), true);
  EXPECT_EQ(check(c, tier).at("allowed"), false);
  EXPECT_EQ(post(c, "/v1/ratelimit/reset", tier).result_int(), 204u);
  EXPECT_EQ(check(c, tier).at("allowed"), true);
}

TEST_P(ServeRateLimit, BadInputAnswers400NamingTheField) {
  serve_process srv(store_args());
  client c(srv.port());
  const auto expect_bad = [&](std::string_view path, std::string_view body,
                              std::string_view field) {
    const auto r = post(c, path, body);
    expect_problem(r, 400);
    const auto detail = std::string(body_json(r).at("detail").as_string());
    EXPECT_NE(detail.find(field), std::string::npos) << body << " -> " << detail;
  };
  const std::string check_path = "/v1/ratelimit/check";
  const auto with = [](std::string_view policy) {
    return R"({"identity":"api:x","policies":[)" + std::string(policy) + "]}";
  };
  expect_bad(check_path, with(R"({"name":"p","algorithm":"leaky","limit":1,"window":"1m"})"),
             "policies[0].algorithm");
  expect_bad(check_path, with(R"({"name":"p","limit":0,"window":"1m"})"), "policies[0].limit");
  expect_bad(check_path, with(R"({"name":"p","limit":-1,"window":"1m"})"), "policies[0].limit");
  expect_bad(check_path, with(R"({"name":"p","limit":"5","window":"1m"})"), "policies[0].limit");
  expect_bad(check_path, with(R"({"name":"p","limit":1,"window":"1x"})"), "policies[0].window");
  expect_bad(check_path, with(R"({"name":"p","limit":1,"window":60000})"), "policies[0].window");
  expect_bad(check_path, with(R"({"name":"p","limit":1})"), "policies[0].window");
  expect_bad(check_path, with(R"({"name":"a b","limit":1,"window":"1m"})"), "name");
  expect_bad(check_path, with(R"({"limit":1,"window":"1m"})"), "policies[0].name");
  expect_bad(check_path, with(R"({"name":"p","limit":1,"window":"1m","colour":1})"),
             "policies[0].colour");
  expect_bad(check_path, with(R"({"name":"p","limit":1,"window":"1m","shadow":1})"),
             "policies[0].shadow");
  expect_bad(check_path, with(R"({"name":"p","limit":2,"window":"1m","cost":3})"), "cost");
  expect_bad(check_path,
             with(R"({"name":"p","limit":1,"window":"1m"},{"name":"p","limit":2,"window":"1m"})"),
             "policies[1].name");
  expect_bad(check_path, with(""), "policies");
  expect_bad(check_path,
             R"({"identity":"api:x","policies":[{"name":"p","limit":2,"window":"1m"}],"cost":3})",
             "cost");
  expect_bad(check_path, R"({"identity":"api:x","tier":"anonymous","cost":0})", "cost");
  expect_bad(check_path, R"({"identity":"api:x","tier":"anonymous","extra":true})", "extra");
  expect_bad(check_path, R"({"identity":"api:x","tier":"gold"})", "tier");
  expect_bad(check_path, R"({"identity":"api:x"})", "policies or tier");
  expect_bad(
      check_path,
      R"({"identity":"api:x","tier":"anonymous","policies":[{"name":"p","limit":1,"window":"1m"}]})",
      "tier");
  expect_bad(check_path, R"({"tier":"anonymous"})", "identity");
  expect_bad(check_path, R"({"identity":"","tier":"anonymous"})", "identity");
  expect_bad(check_path, R"({"identity":7,"tier":"anonymous"})", "identity");
  expect_bad(check_path, R"({"identity":"a{b}","tier":"anonymous"})", "identity");
  expect_bad(check_path, R"({"identity":"a\nb","tier":"anonymous"})", "identity");
  expect_bad(check_path, R"({"identity":")" + std::string(513, 'x') + R"(","tier":"anonymous"})",
             "identity");
  expect_bad("/v1/ratelimit/reset", R"({"tier":"anonymous"})", "identity");
  expect_bad("/v1/ratelimit/reset", R"({"identity":"api:x","tier":"anonymous","cost":1})", "cost");
  expect_problem(post(c, check_path, R"({"identity":)"), 400);
  expect_problem(post(c, check_path, "[1]"), 400);
  expect_problem(c.request("POST", check_path, {}, R"({"identity":"a","tier":"anonymous"})"), 415);
  auto r = c.request("GET", check_path);
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "POST");
  // Nothing was consumed by any of it, and the server is up.
  EXPECT_EQ(check(c, with(R"({"name":"p","limit":1,"window":"1m"})")).at("allowed"), true);
}

TEST_P(ServeRateLimit, ApiKeysGuardTheRateLimitApi) {
  serve_process srv(store_args({"--api-key", "0123456789abcdef-key"}));
  client c(srv.port());
  const std::string body = R"({"identity":"api:k","tier":"anonymous"})";
  expect_problem(post(c, "/v1/ratelimit/check", body), 401);
  expect_problem(post(c, "/v1/ratelimit/reset", body), 401);
  const auto r = c.request("POST", "/v1/ratelimit/check",
                           json_type + "Authorization: Bearer 0123456789abcdef-key\r\n", body);
  EXPECT_EQ(r.result_int(), 200u) << r.body();
}

TEST_P(ServeRateLimit, RoutePoliciesFromTheConfigFile) {
  const auto path = temp_file("routes", R"(
[[routes]]
prefix = "/api/"
policies = [ { limit = 1, window = "1m" } ]

[[routes]]
prefix = "/api/ping"
policies = [ { limit = 2, window = "1m" } ]

[[routes]]
prefix = "/api/pong"
policies = [ { limit = 1, window = "1m", name = "pong" } ]
)");
  serve_process srv(store_args({"--config", path}));
  client c(srv.port());
  // The longest prefix wins: /api/ping gets its limit of 2, not /api/'s 1.
  for (int i = 0; i < 2; ++i) {
    const auto r = c.request("GET", "/api/ping?x=1");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Limit"], "2");
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(1 - i));
    EXPECT_EQ(r["RateLimit-Policy"], "\"anonymous\";q=60;w=60, \"route.api.ping\";q=2;w=60");
  }
  const auto denied = c.request("GET", "/api/ping");
  expect_problem(denied, 429);
  EXPECT_EQ(body_json(denied).at("policy"), "route.api.ping");
  // The denial took nothing from the tier's budget: 60 - 2, and this check takes one more.
  auto d = check(c, R"({"identity":"ip:127.0.0.1","tier":"anonymous"})");
  EXPECT_EQ(d.at("remaining"), 57);
  const auto metrics = c.request("GET", "/metrics").body();
  for (const auto* line :
       {"redkit_ratelimit_decisions_total{policy=\"route.api.ping\",decision=\"allowed\"} 2\n",
        "redkit_ratelimit_decisions_total{policy=\"route.api.ping\",decision=\"denied\"} 1\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << " missing from\n" << metrics;
  }
  EXPECT_EQ(metrics.find("policy=\"route.api\""), std::string::npos);
  EXPECT_EQ(metrics.find("policy=\"pong\""), std::string::npos);
  std::remove(path.c_str());
}

TEST_P(ServeRateLimit, ABadRouteConfigStopsTheServerAtStart) {
  const auto path = temp_file("bad_routes", R"(
[[routes]]
prefix = "/api/"
policies = [ { limit = 1, window = "1m", colour = "red" } ]
)");
  EXPECT_THROW(serve_process srv(store_args({"--config", path})), std::runtime_error);
  std::remove(path.c_str());
}

TEST_P(ServeRateLimit, ARouteWithAnExtraPolicyIsDeniedAtItsLimitAndAnotherIsNot) {
  const auto path = temp_file("auth_routes", R"(
[[routes]]
prefix = "/auth/"
policies = [ { limit = 2, window = "1m" } ]
tiers.premium = [ { limit = 4, window = "1m", name = "auth-premium" } ]
tiers.authenticated = []
)");
  serve_process srv(store_args({"--config", path, "--password-hash", "min"}));
  client c(srv.port());
  const auto account = [](int i) {
    return R"({"email":"u)" + std::to_string(i) + R"(@example.com","password":"correct horse"})";
  };
  for (int i = 0; i < 2; ++i) {
    const auto r = post(c, "/auth/register", account(i));
    ASSERT_EQ(r.result_int(), 201u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Limit"], "2");
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(1 - i));
    EXPECT_EQ(r["RateLimit-Policy"], "\"anonymous\";q=60;w=60, \"route.auth\";q=2;w=60");
  }
  auto denied = post(c, "/auth/register", account(2));
  expect_problem(denied, 429);
  EXPECT_EQ(body_json(denied).at("policy"), "route.auth");
  EXPECT_GE(std::stoi(std::string(denied[bhttp::field::retry_after])), 1);
  // The prefix covers every /auth/ route: a login is refused before its own limits and password.
  denied = post(c, "/auth/login", account(0));
  expect_problem(denied, 429);
  EXPECT_EQ(body_json(denied).at("policy"), "route.auth");
  // /api/ping has no route policy, and the two denials took nothing from the tier's 60: two
  // registrations, then each ping takes one.
  for (int i = 0; i < 3; ++i) {
    const auto r = c.request("GET", "/api/ping");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Limit"], "60");
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(57 - i));
    EXPECT_EQ(r["RateLimit-Policy"], "\"anonymous\";q=60;w=60");
  }
  // The denied requests never reached their handlers.
  auto metrics = c.request("GET", "/metrics").body();
  for (const auto* line :
       {"redkit_auth_registrations_total 2\n", "redkit_auth_logins_total 0\n",
        "redkit_auth_login_failures_total 0\n", "redkit_auth_login_rate_limited_total 0\n",
        "redkit_ratelimit_decisions_total{policy=\"route.auth\",decision=\"allowed\"} 2\n",
        "redkit_ratelimit_decisions_total{policy=\"route.auth\",decision=\"denied\"} 2\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << " missing from\n" << metrics;
  }

  // Per tier: a premium user gets the route's premium list, an authenticated one none.
  const auto token_for = [&](std::string_view user) {
    const auto r = post(c, "/v1/sessions", user);
    EXPECT_EQ(r.result_int(), 201u) << r.body();
    return "Authorization: Bearer " + std::string(body_json(r).at("token").as_string()) + "\r\n";
  };
  const auto premium = token_for(R"({"user":{"id":"vip","premium":true}})");
  const auto plain = token_for(R"({"user":{"id":"u1"}})");
  for (int i = 0; i < 4; ++i) {
    const auto r = c.request("GET", "/auth/sessions", premium);
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Limit"], "4");
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(3 - i));
    EXPECT_EQ(r["RateLimit-Policy"], "\"premium\";q=1000;w=60, \"auth-premium\";q=4;w=60");
  }
  denied = c.request("GET", "/auth/sessions", premium);
  expect_problem(denied, 429);
  EXPECT_EQ(body_json(denied).at("policy"), "auth-premium");
  for (int i = 0; i < 5; ++i) {
    const auto r = c.request("GET", "/auth/sessions", plain);
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(299 - i));
    EXPECT_EQ(r["RateLimit-Policy"], "\"authenticated\";q=300;w=60");
  }
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeRateLimit, ::testing::Values(false, true), store_name);

/// The message of the redkit::error that load_routes_toml(text) throws ("" if none).
std::string routes_error(std::string_view text) {
  try {
    http::load_routes_toml(text, "f.toml");
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    return e.what();
  }
  return {};
}

TEST(ServeRouteConfig, ReadsRoutesAndNamesTheirPolicies) {
  const auto routes = http::load_routes_toml(R"(
[tiers.anonymous]
policies = [ { limit = 5, window = "1s" } ]

[[routes]]
prefix = "/api/search/"
policies = [ { limit = 10, window = "1m" }, { limit = 100, window = "1h", algorithm = "gcra" } ]
[routes.tiers]
premium = [ { limit = 50, window = "1m", shadow = true } ]

[[routes]]
prefix = "/auth/login"
tiers = { anonymous = [ { name = "login", limit = 5, window = "15m", algorithm = "fixed_window" } ] }
)");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].prefix, "/api/search/");
  ASSERT_EQ(routes[0].policies.size(), 2u);
  EXPECT_EQ(routes[0].policies[0].name, "route.api.search");
  EXPECT_EQ(routes[0].policies[0].limit, 10u);
  EXPECT_EQ(routes[0].policies[0].window, 60s);
  EXPECT_EQ(routes[0].policies[1].name, "route.api.search-2");
  EXPECT_EQ(routes[0].policies[1].algo, rate_limit::algorithm::gcra);
  ASSERT_EQ(routes[0].tiers.size(), 1u);
  const auto& premium = routes[0].tiers.at("premium");
  ASSERT_EQ(premium.size(), 1u);
  EXPECT_EQ(premium[0].name, "route.api.search.premium");
  EXPECT_TRUE(premium[0].shadow);
  EXPECT_TRUE(routes[1].policies.empty());
  EXPECT_EQ(routes[1].tiers.at("anonymous").at(0).name, "login");
  EXPECT_EQ(routes[1].tiers.at("anonymous").at(0).window, 15min);
  EXPECT_TRUE(http::load_routes_toml("[server]\nport = 1\n").empty());
}

TEST(ServeRouteConfig, ErrorsNameTheKeyAndTheLine) {
  const auto has = [](const std::string& message, std::string_view part) {
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  has(routes_error(
          "[[routes]]\nprefix = \"/a\"\npolicies = [ { limit = 1, window = \"1m\", x = 1 } ]\n"),
      "line 3");
  has(routes_error(
          "[[routes]]\nprefix = \"/a\"\npolicies = [ { limit = 1, window = \"1m\", x = 1 } ]\n"),
      "unknown key 'x'");
  has(routes_error("[[routes]]\nprefix = \"/a\"\npolicies = [ { limit = 0, window = \"1m\" } ]\n"),
      "policies[0]: limit must be at least 1");
  has(routes_error("[[routes]]\nprefix = \"/a\"\npolicies = [ { limit = 1, window = \"1y\" } ]\n"),
      "policies[0]: window '1y'");
  has(routes_error("[[routes]]\nprefix = \"/a\"\npolicies = [ { limit = 1, window = \"1m\", "
                   "algorithm = \"leaky\" } ]\n"),
      "policies[0]: unknown algorithm 'leaky'");
  has(routes_error("[[routes]]\nprefix = \"a\"\npolicies = []\n"), "prefix");
  has(routes_error("[[routes]]\npolicies = []\n"), "missing 'prefix'");
  has(routes_error("[[routes]]\nprefix = \"/a\"\n"), "needs policies or tiers");
  has(routes_error("[[routes]]\nprefix = \"/a\"\nlimit = 3\n"), "unknown key 'limit'");
  has(routes_error("[[routes]]\nprefix = \"/a\"\ntiers.gold = []\n"), "unknown tier 'gold'");
  has(routes_error("[[routes]]\nprefix = \"/a\"\npolicies = []\n[[routes]]\nprefix = \"/a\"\n"
                   "policies = []\n"),
      "given twice");
  has(routes_error("[[routes]]\nprefix = \"/a\"\npolicies = [ { name = \"n\", limit = 1, window = "
                   "\"1m\" }, { name = \"n\", limit = 2, window = \"1m\" } ]\n"),
      "used twice");
  has(routes_error("[routes]\nprefix = \"/a\"\n"), "array of tables");
  has(routes_error("[[routes]]\nprefix = \"/" + std::string(80, 'a') +
                   "\"\npolicies = [ { limit = 1, window = \"1m\" } ]\n"),
      "give it a name");
  has(routes_error("[[routes]\n"), "f.toml, line 1");
  // A route policy named as the tier's would be checked twice: the middleware refuses it.
  http::middleware_options mo;
  mo.routes = http::load_routes_toml(
      "[[routes]]\nprefix = \"/a\"\npolicies = [ { name = \"premium\", limit = 1, window = \"1m\" "
      "} ]\n");
  try {
    const http::middleware m(nullptr, nullptr, std::move(mo));
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    has(e.what(), "'premium' is used twice");
  }
}

}  // namespace
}  // namespace redkit::test
#endif
