// `redkit serve`'s accounts and sessions end to end, on both stores: register, login (cookie
// and Bearer), /api/me, the user's sessions, revoke, logout and logout-all; tiers from the
// account, and an account made premium (its sessions follow); duplicate and concurrent
// registrations; one 401 for an unknown email and a wrong password; bad input; the login
// limits per email and per address; the /v1 session API (new user details for every session
// of a user included) with and without API keys; the session and account counters and the
// session census in /metrics; on Redis, racing account changes.
#ifdef REDKIT_TEST_CLI
#include "support/redis_server.hpp"
#include "support/serve_process.hpp"

#include <redkit/store.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace redkit::test {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using response = bhttp::response<bhttp::string_body>;

std::string bearer(std::string_view token) {
  return "Authorization: Bearer " + std::string(token) + "\r\n";
}

std::string credentials(std::string_view email, std::string_view password) {
  return json::serialize(json::object{{"email", email}, {"password", password}});
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Whether the Prometheus text has the line `metric value`.
bool has_line(const std::string& metrics, const std::string& line) {
  return metrics.find(line + "\n") != std::string::npos;
}

class ServeAuth : public serve_test {
 protected:
  /// `redkit serve` on this test's store with cheap password hashes and `extra` flags.
  std::unique_ptr<serve_process> start(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--password-hash", "min"});
    return std::make_unique<serve_process>(store_args(std::move(extra)));
  }

  static response register_user(client& c, std::string_view email,
                                std::string_view password = "correct horse") {
    return c.request("POST", "/auth/register", json_type, credentials(email, password));
  }
  static response login(client& c, std::string_view email,
                        std::string_view password = "correct horse",
                        const std::string& headers = {}) {
    return c.request("POST", "/auth/login", json_type + headers, credentials(email, password));
  }
  /// Logs in and returns the token.
  static std::string token_of(client& c, std::string_view email, std::string_view device) {
    const auto r = login(c, email, "correct horse", "X-Device-Id: " + std::string(device) + "\r\n");
    EXPECT_EQ(r.result_int(), 200u) << r.body();
    return text(body_json(r).at("token"));
  }
};

TEST_P(ServeAuth, RegisterLoginSessionsRevokeAndLogout) {
  auto srv = start();
  client c(srv->port());
  auto r = register_user(c, "  Alice@Example.COM ");
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  const auto user_id = text(body_json(r).at("user_id"));
  EXPECT_FALSE(user_id.empty());
  EXPECT_EQ(body_json(r).at("email"), "alice@example.com");

  // Login on the laptop: the cookie carries the token.
  const auto t0 = now_ms();
  r = login(c, "alice@example.com", "correct horse", "X-Device-Id: laptop\r\n");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  auto j = body_json(r);
  const auto laptop = text(j.at("token"));
  const auto laptop_id = text(j.at("session_id"));
  EXPECT_EQ(j.at("device"), "laptop");
  EXPECT_GT(j.at("expires_at").as_int64(), t0);
  EXPECT_EQ(text(j.at("user").at("id")), user_id);
  EXPECT_EQ(j.at("user").at("email"), "alice@example.com");
  EXPECT_EQ(j.at("user").at("roles"), json::array{"user"});
  EXPECT_EQ(j.at("user").at("premium"), false);
  const std::string cookie(r[bhttp::field::set_cookie]);
  EXPECT_EQ(cookie.rfind("rk_session=" + laptop + "; Path=/; Max-Age=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  r = c.request("GET", "/api/me", "Cookie: rk_session=" + laptop + "\r\n");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(text(body_json(r).at("user").at("id")), user_id);
  EXPECT_EQ(text(body_json(r).at("session").at("id")), laptop_id);
  EXPECT_EQ(body_json(r).at("session").at("device"), "laptop");

  // Login on the phone: Bearer from here on.
  const auto phone = token_of(c, "ALICE@example.com", "phone");
  r = c.request("GET", "/auth/sessions", bearer(phone));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  const auto sessions = body_json(r).at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 2u);
  std::string phone_id;
  for (const auto& s : sessions) {
    if (s.at("device") == "phone") {
      EXPECT_EQ(s.at("current"), true);
      phone_id = text(s.at("id"));
    } else {
      EXPECT_EQ(s.at("device"), "laptop");
      EXPECT_EQ(s.at("current"), false);
      EXPECT_EQ(text(s.at("id")), laptop_id);
    }
    EXPECT_EQ(s.at("ip"), "127.0.0.1");
    EXPECT_GE(s.at("last_access").as_int64(), s.at("created").as_int64());
    EXPECT_GT(s.at("expires_at").as_int64(), s.at("last_access").as_int64());
    EXPECT_TRUE(s.as_object().contains("user_agent"));
  }
  EXPECT_FALSE(phone_id.empty());

  // The phone revokes the laptop.
  r = c.request("DELETE", "/auth/sessions/" + laptop_id, bearer(phone));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("revoked"), true);
  EXPECT_TRUE(r[bhttp::field::set_cookie].empty());  // not the caller's own session
  r = c.request("GET", "/api/me", "Cookie: rk_session=" + laptop + "\r\n");
  expect_problem(r, 401);
  EXPECT_EQ(r[bhttp::field::www_authenticate], "Bearer realm=\"redkit\"");
  expect_problem(c.request("DELETE", "/auth/sessions/" + laptop_id, bearer(phone)), 404);
  expect_problem(c.request("DELETE", "/auth/sessions/not-a-session", bearer(phone)), 404);

  // The phone logs out: the cookie is cleared and the token is dead.
  r = c.request("POST", "/auth/logout", bearer(phone));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("ended"), true);
  const std::string cleared(r[bhttp::field::set_cookie]);
  EXPECT_EQ(cleared.rfind("rk_session=; Path=/; Max-Age=0; ", 0), 0u) << cleared;
  expect_problem(c.request("GET", "/api/me", bearer(phone)), 401);
  expect_problem(c.request("GET", "/auth/sessions", bearer(phone)), 401);
  expect_problem(c.request("POST", "/auth/logout"), 401);
  expect_problem(c.request("POST", "/auth/logout-all"), 401);
  expect_problem(c.request("DELETE", "/auth/sessions/" + phone_id), 401);

  // The counters saw it all: 1 account, 2 logins, 2 sessions ended.
  const auto metrics = c.request("GET", "/metrics").body();
  for (const auto* line :
       {"redkit_auth_registrations_total 1", "redkit_auth_logins_total 2",
        "redkit_auth_login_failures_total 0", "redkit_auth_login_rate_limited_total 0",
        "redkit_session_logins_total 2", "redkit_session_logouts_total 2",
        "redkit_session_store_errors_total 0", "redkit_session_fingerprint_mismatches_total 0",
        "redkit_auth_password_hashes_pending 0"}) {
    EXPECT_TRUE(has_line(metrics, line)) << line << " missing from\n" << metrics;
  }
  // Every request that presented a live token was validated by the middleware's store.
  EXPECT_FALSE(has_line(metrics, "redkit_session_valid_total 0")) << metrics;
}

TEST_P(ServeAuth, LogoutAllEndsEverySessionOfTheUser) {
  auto srv = start();
  client c(srv->port());
  ASSERT_EQ(register_user(c, "bob@example.com").result_int(), 201u);
  ASSERT_EQ(register_user(c, "carol@example.com").result_int(), 201u);
  std::vector<std::string> tokens;
  for (const auto* device : {"d1", "d2", "d3"}) {
    tokens.push_back(token_of(c, "bob@example.com", device));
  }
  const auto carol = token_of(c, "carol@example.com", "d1");
  auto r = c.request("POST", "/auth/logout-all", bearer(tokens[1]));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("ended"), 3);
  EXPECT_NE(r[bhttp::field::set_cookie].find("Max-Age=0"), std::string::npos);
  for (const auto& t : tokens) expect_problem(c.request("GET", "/api/me", bearer(t)), 401);
  EXPECT_EQ(c.request("GET", "/api/me", bearer(carol)).result_int(), 200u);  // another user
}

TEST_P(ServeAuth, TheAccountPicksTheRateLimitTier) {
  auto srv = start();
  client c(srv->port());
  ASSERT_EQ(register_user(c, "dave@example.com").result_int(), 201u);
  const auto dave = token_of(c, "dave@example.com", "d1");
  auto r = c.request("GET", "/api/ping", bearer(dave));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(r["X-RateLimit-Limit"], "300");
  EXPECT_EQ(r["RateLimit-Policy"], "\"authenticated\";q=300;w=60");
  // A premium user's session, made by the service API.
  r = c.request("POST", "/v1/sessions", json_type,
                R"({"user":{"id":"vip-1","email":"vip@example.com","premium":true}})");
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  const auto vip = text(body_json(r).at("token"));
  r = c.request("GET", "/api/ping", bearer(vip));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(r["X-RateLimit-Limit"], "1000");
  EXPECT_EQ(r["X-RateLimit-Remaining"], "999");
  EXPECT_EQ(body_json(c.request("GET", "/api/me", bearer(vip))).at("user").at("premium"), true);
  EXPECT_EQ(c.request("GET", "/api/ping")["X-RateLimit-Limit"], "60");  // anonymous
}

TEST_P(ServeAuth, AnAccountMadePremiumMovesItsSessionsToThePremiumTierAtOnce) {
  auto srv = start();
  client c(srv->port());
  ASSERT_EQ(register_user(c, "erin@example.com").result_int(), 201u);
  const auto phone = token_of(c, "erin@example.com", "e1");
  const auto laptop = token_of(c, "erin@example.com", "e2");
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(phone))["X-RateLimit-Limit"], "300");

  auto r = c.request("PATCH", "/v1/accounts/Erin%40Example.com", json_type, R"({"premium":true})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  auto j = body_json(r);
  EXPECT_EQ(j.at("sessions_updated"), 2);
  EXPECT_EQ(j.at("user").at("email"), "erin@example.com");
  EXPECT_EQ(j.at("user").at("premium"), true);
  EXPECT_EQ(j.at("user").at("roles"), json::parse(R"(["user"])"));
  r = c.request("GET", "/api/ping", bearer(phone));
  EXPECT_EQ(r["X-RateLimit-Limit"], "1000");
  EXPECT_EQ(r["RateLimit-Policy"], "\"premium\";q=1000;w=60");
  EXPECT_EQ(body_json(c.request("GET", "/api/me", bearer(laptop))).at("user").at("premium"), true);
  r = login(c, "erin@example.com");  // a new login reads the account
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("user").at("premium"), true);

  // Roles alone: premium stays.
  r = c.request("PATCH", "/v1/accounts/erin@example.com", json_type,
                R"({"roles":["user","admin"]})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("sessions_updated"), 3);
  const auto me = body_json(c.request("GET", "/api/me", bearer(phone))).at("user");
  EXPECT_EQ(me.at("roles"), json::parse(R"(["user","admin"])"));
  EXPECT_EQ(me.at("premium"), true);
  // And back.
  r = c.request("PATCH", "/v1/accounts/erin@example.com", json_type, R"({"premium":false})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(laptop))["X-RateLimit-Limit"], "300");

  expect_problem(
      c.request("PATCH", "/v1/accounts/nobody@example.com", json_type, R"({"premium":true})"), 404);
  const auto bad = [&](std::string path, std::string body, std::string_view names) {
    const auto res = c.request("PATCH", path, json_type, body);
    expect_problem(res, 400);
    EXPECT_NE(text(body_json(res).at("detail")).find(names), std::string::npos)
        << body << " -> " << res.body();
  };
  bad("/v1/accounts/erin@example.com", "{}", "nothing to change");
  bad("/v1/accounts/erin@example.com", R"({"premium":"yes"})", "premium");
  bad("/v1/accounts/erin@example.com", R"({"roles":[""]})", "roles");
  bad("/v1/accounts/erin@example.com", R"({"premium":true,"email":"x@y.z"})", "email");
  bad("/v1/accounts/not-an-address", R"({"premium":true})", "email address");
  expect_problem(c.request("PATCH", "/v1/accounts/erin@example.com", "", R"({"premium":true})"),
                 415);
  EXPECT_EQ(body_json(c.request("GET", "/api/me", bearer(phone))).at("user").at("roles"),
            json::parse(R"(["user","admin"])"));  // no bad request changed anything
}

TEST_P(ServeAuth, ALoginRacingAnAccountChangeEndsWithTheNewDetails) {
  // A costly hash holds the login between its account read and its session's creation.
  serve_process srv(store_args({"--password-hash", "moderate"}));
  client c(srv.port());
  ASSERT_EQ(register_user(c, "fay@example.com").result_int(), 201u);
  auto racing = std::async(std::launch::async, [port = srv.port()] {
    client w(port);
    return login(w, "fay@example.com");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_EQ(racing.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the login was done before the change: make the hash costlier";
  const auto r =
      c.request("PATCH", "/v1/accounts/fay@example.com", json_type, R"({"premium":true})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  const auto in = racing.get();
  ASSERT_EQ(in.result_int(), 200u) << in.body();
  EXPECT_EQ(body_json(in).at("user").at("premium"), true);
  const auto token = text(body_json(in).at("token"));
  EXPECT_EQ(body_json(c.request("GET", "/api/me", bearer(token))).at("user").at("premium"), true);
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(token))["X-RateLimit-Limit"], "1000");
}

TEST_P(ServeAuth, SigtermWhilePasswordsAreHashingExitsCleanly) {
  // One costly hashing thread, three registrations queued on it, no grace: the server's threads
  // end while hashes run and wait, and the pool must stop before what it completes into goes.
  serve_process srv(store_args(
      {"--password-hash", "moderate", "--password-hash-threads", "1", "--grace-ms", "0"}));
  std::vector<std::future<void>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::async(std::launch::async, [port = srv.port(), i] {
      try {
        client c(port);
        register_user(c, "g" + std::to_string(i) + "@example.com");
      } catch (const std::exception&) {  // the connection may close unanswered
      }
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  srv.signal(SIGTERM);
  EXPECT_EQ(srv.wait_exit(std::chrono::seconds(10)), 0);
  for (auto& f : clients) f.get();
}

TEST_P(ServeAuth, AnEmailGetsOneAccountEvenUnderConcurrentRegistrations) {
  auto srv = start();
  client c(srv->port());
  ASSERT_EQ(register_user(c, "erin@example.com").result_int(), 201u);
  auto r = register_user(c, "ERIN@example.com ", "another password");
  expect_problem(r, 409);
  EXPECT_NE(text(body_json(r).at("detail")).find("exists"), std::string::npos);
  // The first password still holds.
  EXPECT_EQ(login(c, "erin@example.com").result_int(), 200u);
  expect_problem(login(c, "erin@example.com", "another password"), 401);

  constexpr int racers = 6;
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < racers; ++i) clients.push_back(std::make_unique<client>(srv->port()));
  const auto body = credentials("frank@example.com", "password " + std::string("x"));
  const std::string req = "POST /auth/register HTTP/1.1\r\nHost: t\r\n" + json_type +
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (auto& cl : clients) cl->send(req);
  int created = 0, conflicts = 0;
  for (auto& cl : clients) {
    const auto res = cl->read();
    if (res.result_int() == 201) ++created;
    if (res.result_int() == 409) ++conflicts;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, racers - 1);
  const auto metrics = c.request("GET", "/metrics").body();
  EXPECT_TRUE(has_line(metrics, "redkit_auth_registrations_total 2")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_auth_registration_conflicts_total 6")) << metrics;
}

TEST_P(ServeAuth, UnknownEmailAndWrongPasswordGetTheSame401) {
  auto srv = start();
  client c(srv->port());
  ASSERT_EQ(register_user(c, "gina@example.com").result_int(), 201u);
  const auto wrong = login(c, "gina@example.com", "wrong password");
  const auto unknown = login(c, "nobody@example.com", "wrong password");
  expect_problem(wrong, 401);
  expect_problem(unknown, 401);
  EXPECT_EQ(wrong.body(), unknown.body());
  EXPECT_EQ(body_json(wrong).at("error"), "Unauthorized");
  EXPECT_EQ(wrong[bhttp::field::www_authenticate], unknown[bhttp::field::www_authenticate]);
  EXPECT_TRUE(wrong[bhttp::field::set_cookie].empty());
  const auto metrics = c.request("GET", "/metrics").body();
  EXPECT_TRUE(has_line(metrics, "redkit_auth_login_failures_total 2")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_session_logins_total 0")) << metrics;
}

TEST_P(ServeAuth, BadInputAnswers400NamingTheFieldAnd415) {
  auto srv = start();
  client c(srv->port());
  const auto expect_400 = [&](std::string_view target, const std::string& body,
                              std::string_view field) {
    const auto r = c.request("POST", target, json_type, body);
    expect_problem(r, 400);
    EXPECT_NE(text(body_json(r).at("detail")).find(field), std::string::npos)
        << target << " " << body << " → " << r.body();
  };
  const std::string long_password(1025, 'p');
  for (const auto* target : {"/auth/register", "/auth/login"}) {
    expect_400(target, R"({"password":"correct horse"})", "email");
    expect_400(target, R"({"email":7,"password":"correct horse"})", "email");
    expect_400(target, R"({"email":"no-at-sign","password":"correct horse"})", "email");
    expect_400(target, R"({"email":"a@b@example.com","password":"correct horse"})", "email");
    expect_400(target, R"({"email":"a b@example.com","password":"correct horse"})", "email");
    expect_400(target, R"({"email":"a@example..com","password":"correct horse"})", "email");
    expect_400(target, R"({"email":"a@example.com"})", "password");
    expect_400(target, R"({"email":"a@example.com","password":["x"]})", "password");
    expect_400(target, credentials("a@example.com", long_password), "password");
    expect_400(target, R"({"email":"a@example.com","password":"correct horse","admin":true})",
               "admin");
    expect_400(target, "[]", "object");
    expect_400(target, R"({"email":)", "JSON");
    expect_problem(c.request("POST", target, {}, credentials("a@example.com", "correct horse")),
                   415);
  }
  expect_400("/auth/register", credentials("a@example.com", "short"), "password");
  // The service API's fields.
  expect_400("/v1/sessions", "{}", "user");
  expect_400("/v1/sessions", R"({"user":"u1"})", "user");
  expect_400("/v1/sessions", R"({"user":{"id":1}})", "user.id");
  expect_400("/v1/sessions", R"({"user":{"id":""}})", "user.id");
  expect_400("/v1/sessions", R"({"user":{"id":"u1","roles":"admin"}})", "user.roles");
  expect_400("/v1/sessions", R"({"user":{"id":"u1","premium":"yes"}})", "user.premium");
  expect_400("/v1/sessions", R"({"user":{"id":"u1","name":"x"}})", "user.name");
  expect_400("/v1/sessions", R"({"user":{"id":"u1"},"device":5})", "device");
  expect_400("/v1/sessions", R"({"user":{"id":"u1"},"ttl":5})", "ttl");
  expect_400("/v1/sessions/validate", "{}", "token");
  expect_400("/v1/sessions/validate", R"({"token":"t","user_agent":1})", "user_agent");
  expect_problem(c.request("POST", "/v1/sessions/validate", {}, R"({"token":"t"})"), 415);
  expect_problem(c.request("GET", "/v1/users/u1/other"), 404);
  expect_problem(c.request("GET", "/v1/users/%zz/sessions"), 400);
  auto r = c.request("GET", "/auth/login");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "POST");
  // Nothing of it created an account.
  expect_problem(login(c, "a@example.com"), 401);
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);
}

TEST_P(ServeAuth, LoginAttemptsAreLimitedPerEmailAndPerAddress) {
  auto srv = start(
      {"--login-limit-email", "3/1m", "--login-limit-ip", "5/1m", "--trust-proxy", "127.0.0.1"});
  client c(srv->port());
  ASSERT_EQ(register_user(c, "hana@example.com").result_int(), 201u);
  const auto from = [](int n) {
    return "X-Forwarded-For: 198.51.100." + std::to_string(n) + "\r\n";
  };
  // Per email: three attempts from three addresses, then the right password from a fourth is
  // refused before it is checked.
  for (int i = 1; i <= 3; ++i) {
    expect_problem(login(c, "hana@example.com", "wrong password", from(i)), 401);
  }
  auto r = login(c, "Hana@example.com", "correct horse", from(4));
  expect_problem(r, 429);
  auto j = body_json(r);
  EXPECT_EQ(j.at("policy"), "login_email");
  EXPECT_EQ(j.at("error"), "Too Many Requests");
  EXPECT_GE(j.at("retryAfter").as_int64(), 1);
  EXPECT_LE(j.at("retryAfter").as_int64(), 60);
  EXPECT_EQ(std::string(r[bhttp::field::retry_after]),
            std::to_string(j.at("retryAfter").as_int64()));
  EXPECT_TRUE(r[bhttp::field::set_cookie].empty());
  // Per address: five attempts on five emails, then a sixth email is refused; another
  // address may still try.
  for (int i = 0; i < 5; ++i) {
    expect_problem(login(c, "user" + std::to_string(i) + "@example.com", "wrong password", from(9)),
                   401);
  }
  r = login(c, "user5@example.com", "wrong password", from(9));
  expect_problem(r, 429);
  EXPECT_EQ(body_json(r).at("policy"), "login_ip");
  EXPECT_GE(std::stoi(std::string(r[bhttp::field::retry_after])), 1);
  expect_problem(login(c, "user5@example.com", "wrong password", from(10)), 401);
  const auto metrics = c.request("GET", "/metrics").body();
  EXPECT_TRUE(has_line(metrics, "redkit_auth_login_rate_limited_total 2")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_auth_login_failures_total 9")) << metrics;
  EXPECT_TRUE(has_line(
      metrics, "redkit_ratelimit_decisions_total{policy=\"login_email\",decision=\"denied\"} 1"))
      << metrics;
}

TEST_P(ServeAuth, ServiceApiCreatesValidatesListsAndRevokesSessions) {
  auto srv = start();
  client c(srv->port());
  const auto create = [&](std::string_view device) {
    const auto body =
        json::serialize(json::object{{"user", json::object{{"id", "team/7"},
                                                           {"email", "t7@example.com"},
                                                           {"roles", json::array{"ops"}}}},
                                     {"device", device},
                                     {"user_agent", "UA/1"},
                                     {"ip", "203.0.113.5"}});
    return c.request("POST", "/v1/sessions", json_type, body);
  };
  auto r = create("d1");
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  auto j = body_json(r);
  const auto t1 = text(j.at("token"));
  const auto s1 = text(j.at("session_id"));
  EXPECT_EQ(j.at("device"), "d1");
  EXPECT_TRUE(j.at("replaced").is_null());
  EXPECT_EQ(j.at("evicted"), json::array{});
  EXPECT_GT(j.at("expires_at").as_int64(), now_ms());
  r = create("d2");
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  const auto t2 = text(body_json(r).at("token"));

  r = c.request("POST", "/v1/sessions/validate", json_type,
                json::serialize(json::object{{"token", t1}, {"user_agent", "UA/1"}}));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  j = body_json(r);
  EXPECT_EQ(text(j.at("id")), s1);
  EXPECT_EQ(j.at("device"), "d1");
  EXPECT_EQ(j.at("ip"), "203.0.113.5");
  EXPECT_EQ(j.at("user_agent"), "UA/1");
  EXPECT_EQ(j.at("user").at("id"), "team/7");
  EXPECT_EQ(j.at("user").at("roles"), json::array{"ops"});
  EXPECT_EQ(j.at("fingerprint_mismatch"), false);
  expect_problem(c.request("POST", "/v1/sessions/validate", json_type, R"({"token":"nope"})"), 404);

  r = c.request("GET", "/v1/users/team%2F7/sessions");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("sessions").as_array().size(), 2u);
  EXPECT_EQ(body_json(c.request("GET", "/v1/users/nobody/sessions")).at("sessions"), json::array{});
  r = c.request("DELETE", "/v1/users/team%2F7/sessions/" + s1);
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("revoked"), true);
  expect_problem(c.request("DELETE", "/v1/users/team%2F7/sessions/" + s1), 404);
  expect_problem(c.request("POST", "/v1/sessions/validate", json_type,
                           json::serialize(json::object{{"token", t1}, {"user_agent", "UA/1"}})),
                 404);
  r = c.request("GET", "/v1/users/team%2F7/sessions/" + s1);
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "DELETE");

  // Another user agent ends the session (the strict fingerprint policy).
  expect_problem(c.request("POST", "/v1/sessions/validate", json_type,
                           json::serialize(json::object{{"token", t2}, {"user_agent", "UA/2"}})),
                 404);
  EXPECT_EQ(body_json(c.request("GET", "/v1/users/team%2F7/sessions")).at("sessions"),
            json::array{});

  // Logout-all over the API.
  create("d3");
  create("d4");
  r = c.request("DELETE", "/v1/users/team%2F7/sessions");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("ended"), 2);
  const auto metrics = c.request("GET", "/metrics").body();
  EXPECT_TRUE(has_line(metrics, "redkit_session_logins_total 4")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_session_fingerprint_mismatches_total 1")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_session_logouts_total 3")) << metrics;
}

TEST_P(ServeAuth, ServiceApiGivesEveryLiveSessionOfAUserNewDetails) {
  auto srv = start();
  client c(srv->port());
  std::vector<std::string> tokens;
  for (const auto* device : {"a", "b"}) {
    const auto r = c.request("POST", "/v1/sessions", json_type,
                             R"({"user":{"id":"plan/7","email":"p@example.com"},"device":")" +
                                 std::string(device) + "\"}");
    ASSERT_EQ(r.result_int(), 201u) << r.body();
    tokens.push_back(text(body_json(r).at("token")));
  }
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(tokens[0]))["X-RateLimit-Limit"], "300");
  auto r = c.request("PUT", "/v1/users/plan%2F7", json_type,
                     R"({"email":"p@example.com","roles":["pro"],"premium":true})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"updated":2})"));
  for (const auto& t : tokens) {
    r = c.request("POST", "/v1/sessions/validate", json_type,
                  json::serialize(json::object{{"token", t}}));
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(body_json(r).at("user"),
              json::parse(R"({"id":"plan/7","email":"p@example.com","roles":["pro"],)"
                          R"("premium":true})"));
  }
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(tokens[1]))["X-RateLimit-Limit"], "1000");
  // A user with no session: nothing to change.
  r = c.request("PUT", "/v1/users/nobody", json_type, R"({"premium":true})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"updated":0})"));
  expect_problem(c.request("PUT", "/v1/users/plan%2F7", json_type, R"({"premium":1})"), 400);
  expect_problem(c.request("PUT", "/v1/users/plan%2F7", json_type, R"({"id":"x"})"), 400);
  expect_problem(c.request("PUT", "/v1/users/plan%2F7/sessions", json_type, "{}"), 404);
  EXPECT_EQ(c.request("GET", "/api/ping", bearer(tokens[1]))["X-RateLimit-Limit"], "1000");
}

TEST_P(ServeAuth, MetricsCarryASessionCensusNoOlderThanItsInterval) {
  auto srv = start({"--session-census-interval", "200ms"});
  client c(srv->port());
  for (const auto* user : {"c1", "c1", "c2"}) {
    const auto r = c.request("POST", "/v1/sessions", json_type,
                             R"({"user":{"id":")" + std::string(user) + "\"}}");
    ASSERT_EQ(r.result_int(), 201u) << r.body();
  }
  // A scrape reports the last census and, once it is older than 200 ms, starts the next.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string metrics;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = c.request("GET", "/metrics").body();
    if (has_line(metrics, "redkit_session_users 2")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(has_line(metrics, "redkit_session_users 2")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_session_stored 3")) << metrics;
  EXPECT_TRUE(has_line(metrics, "redkit_session_census_failures_total 0")) << metrics;
  EXPECT_NE(metrics.find("# TYPE redkit_session_census_age_seconds gauge\n"), std::string::npos);
  // Off: no census at all.
  auto off = start({"--session-census-interval", "0"});
  client o(off->port());
  const auto none = o.request("GET", "/metrics").body();
  EXPECT_EQ(none.find("redkit_session_users"), std::string::npos) << none;
}

TEST_P(ServeAuth, ServiceApiNeedsAnApiKeyWhenKeysAreSet) {
  auto srv = start({"--api-key", "0123456789abcdef-auth"});
  client c(srv->port());
  const std::string body = R"({"user":{"id":"u1"}})";
  auto r = c.request("POST", "/v1/sessions", json_type, body);
  expect_problem(r, 401);
  EXPECT_EQ(r[bhttp::field::www_authenticate], "Bearer realm=\"redkit\"");
  expect_problem(
      c.request("POST", "/v1/sessions", json_type + bearer("0123456789abcdef-bad!"), body), 401);
  expect_problem(c.request("GET", "/v1/users/u1/sessions"), 401);
  expect_problem(c.request("DELETE", "/v1/users/u1/sessions"), 401);
  expect_problem(
      c.request("PATCH", "/v1/accounts/ivan@example.com", json_type, R"({"premium":true})"), 401);
  expect_problem(c.request("PUT", "/v1/users/u1", json_type, R"({"premium":true})"), 401);
  r = c.request("POST", "/v1/sessions", json_type + bearer("0123456789abcdef-auth"), body);
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  const auto token = text(body_json(r).at("token"));
  r = c.request("POST", "/v1/sessions/validate", json_type + bearer("0123456789abcdef-auth"),
                json::serialize(json::object{{"token", token}}));
  EXPECT_EQ(r.result_int(), 200u) << r.body();
  // The end-user endpoints are not behind the API keys.
  EXPECT_EQ(register_user(c, "ivan@example.com").result_int(), 201u);
  EXPECT_EQ(c.request("GET", "/api/me", bearer(token)).result_int(), 200u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeAuth, ::testing::Values(false, true), store_name);

// Each change writes the account, then the sessions: racing changes must still leave the
// sessions as the account (read here straight from Redis).
TEST(ServeAuthRedis, RacingAccountChangesLeaveTheSessionsAsTheAccount) {
  redis_server redis;
  serve_process srv({"--store", redis.url(), "--password-hash", "min"});
  client c(srv.port());
  ASSERT_EQ(c.request("POST", "/auth/register", json_type,
                      credentials("hal@example.com", "correct horse"))
                .result_int(),
            201u);
  const auto r =
      c.request("POST", "/auth/login", json_type, credentials("hal@example.com", "correct horse"));
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  const auto token = text(body_json(r).at("token"));
  auto s = store::open(redis.url());
  for (int round = 0; round < 5; ++round) {
    std::vector<std::future<unsigned>> changes;
    for (int i = 0; i < 16; ++i) {
      changes.push_back(std::async(std::launch::async, [port = srv.port(), i] {
        client w(port);
        const std::string body = i % 2 ? R"({"premium":true})" : R"({"premium":false})";
        return w.request("PATCH", "/v1/accounts/hal@example.com", json_type, body).result_int();
      }));
    }
    for (auto& f : changes) EXPECT_EQ(f.get(), 200u);
    const auto stored = s->exec(command{"HGET", "rk:user:{hal@example.com}:account", "premium"});
    const auto me = body_json(c.request("GET", "/api/me", bearer(token)));
    EXPECT_EQ(me.at("user").at("premium").as_bool(), stored.string == "1") << "round " << round;
  }
  s->close();
}

}  // namespace
}  // namespace redkit::test
#endif
