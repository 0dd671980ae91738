// `redkit serve` end to end: the real binary on a free port, real sockets. The operations
// endpoints on both stores, errors as problem+json, keep-alive, the limits (431, 413, 400,
// slow senders, idle connections), /readyz with Redis killed, and graceful shutdown.
#ifdef REDKIT_TEST_CLI
#include "support/redis_server.hpp"
#include "support/serve_process.hpp"

#include <redkit/session_store.hpp>
#include <redkit/store.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using response = bhttp::response<bhttp::string_body>;

class Serve : public serve_test {};

TEST_P(Serve, OperationsEndpointsAndErrorBodies) {
  serve_process srv(store_args());
  client c(srv.port());
  auto r = c.request("GET", "/healthz");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(body_json(r).at("status"), "ok");
  EXPECT_FALSE(r["X-Request-Id"].empty());
  r = c.request("GET", "/readyz", "X-Request-Id: trace-42\r\n");  // same connection: keep-alive
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r["X-Request-Id"], "trace-42");
  r = c.request("GET", "/api/ping?x=1", "X-Request-Id: bad id with spaces\r\n");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(body_json(r).at("pong"), true);
  EXPECT_NE(r["X-Request-Id"], "bad id with spaces");
  r = c.request("GET", "/no/such/route");
  expect_problem(r, 404);
  r = c.request("DELETE", "/healthz");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "GET");
  EXPECT_TRUE(r.keep_alive());
}

TEST_P(Serve, LimitsAnswerAndCloseAndTheServerStaysUp) {
  auto args = store_args();
  args.insert(args.end(), {"--body-limit", "1000", "--header-limit", "2048", "--request-timeout-ms",
                           "300", "--idle-timeout-ms", "400"});
  serve_process srv(args);
  {
    client c(srv.port());
    expect_problem(c.request("POST", "/api/ping", {}, std::string(1001, 'x')), 413);
    EXPECT_TRUE(c.closed_by_server());
  }
  {
    client c(srv.port());
    expect_problem(c.request("GET", "/api/ping", "X-Big: " + std::string(4000, 'a') + "\r\n"), 431);
    EXPECT_TRUE(c.closed_by_server());
  }
  {
    client c(srv.port());
    c.send("NOT HTTP AT ALL\r\n\r\n");
    expect_problem(c.read(), 400);
  }
  {  // A slow sender: half a request, then nothing; dropped after the request timeout.
    client c(srv.port());
    c.send("GET /api/ping HTTP/1.1\r\nHo");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_server());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  }
  {  // An idle keep-alive connection is closed after the idle timeout.
    client c(srv.port());
    EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_server());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  }
  client c(srv.port());
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);
}

TEST_P(Serve, ResponsesAreWellFormedOnTheWire) {
  serve_process srv(store_args());
  // HTTP/1.0 without keep-alive: the answer, then the server closes.
  client c(srv.port());
  c.send("GET /api/ping HTTP/1.0\r\n\r\n");
  const auto wire = c.read_until_closed();
  const auto end = wire.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << wire;
  EXPECT_EQ(wire.substr(0, 17), "HTTP/1.0 200 OK\r\n") << wire;
  const auto head = wire.substr(0, end + 2);
  const auto body = wire.substr(end + 4);
  EXPECT_NE(head.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << wire;
  EXPECT_NE(head.find("\r\nX-Request-Id: "), std::string::npos) << wire;
  EXPECT_NE(head.find("\r\nX-RateLimit-Limit: "), std::string::npos) << wire;
  EXPECT_EQ(boost::json::parse(body).at("pong").as_bool(), true) << body;
  // Every header line is "Name: value".
  for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
    const auto eol = head.find("\r\n", at);
    const auto line = head.substr(at, eol - at);
    EXPECT_NE(line.find(": "), std::string::npos) << line;
    at = eol + 2;
  }
  // HTTP/1.1 keep-alive: two answers on one connection, the second a 404 with its reason.
  client k(srv.port());
  EXPECT_EQ(k.request("GET", "/healthz").result_int(), 200u);
  k.send("GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const auto second = k.read_until_closed();
  EXPECT_EQ(second.substr(0, 24), "HTTP/1.1 404 Not Found\r\n") << second;
  EXPECT_NE(second.find("\r\nConnection: close\r\n"), std::string::npos) << second;
}

TEST_P(Serve, SigtermLetsTheRequestInFlightFinish) {
  auto args = store_args();
  args.insert(args.end(), {"--grace-ms", "5000"});
  serve_process srv(args);
  client idle(srv.port());
  EXPECT_EQ(idle.request("GET", "/healthz").result_int(), 200u);
  client busy(srv.port());
  // Half a request is in flight when the signal arrives.
  busy.send("GET /api/ping HTTP/1.1\r\nHost: t\r\n");
  std::this_thread::sleep_for(100ms);
  srv.signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(idle.closed_by_server());  // idle connections go at once
  busy.send("\r\n");
  const auto r = busy.read();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_FALSE(r.keep_alive());  // and it is the connection's last
  EXPECT_EQ(srv.wait_exit(3s), 0);
  boost::system::error_code ec;
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.port()), ec);
  EXPECT_TRUE(ec) << "still accepting after SIGTERM";
}

TEST_P(Serve, RateLimitMiddlewareSetsHeadersAndDeniesWith429) {
  auto args = store_args();
  args.insert(args.end(), {"--tier", "anonymous=3/1m", "--trust-proxy", "127.0.0.1"});
  serve_process srv(args);
  client c(srv.port());
  for (int i = 0; i < 3; ++i) {
    const auto r = c.request("GET", "/api/ping");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    EXPECT_EQ(r["X-RateLimit-Limit"], "3");
    EXPECT_EQ(r["X-RateLimit-Remaining"], std::to_string(2 - i));
    EXPECT_FALSE(r["X-RateLimit-Reset"].empty());
    EXPECT_EQ(r["RateLimit-Policy"], "\"anonymous\";q=3;w=60");
  }
  const auto denied = c.request("GET", "/api/ping");
  expect_problem(denied, 429);
  const auto j = body_json(denied);
  EXPECT_EQ(j.at("error"), "Too Many Requests");
  EXPECT_GE(j.at("retryAfter").as_int64(), 1);
  EXPECT_GE(std::stoi(std::string(denied[bhttp::field::retry_after])), 1);
  EXPECT_EQ(denied["X-RateLimit-Remaining"], "0");
  // Behind a trusted proxy the client is the X-Forwarded-For address: another identity.
  const auto other = c.request("GET", "/api/ping", "X-Forwarded-For: 203.0.113.9\r\n");
  EXPECT_EQ(other.result_int(), 200u);
  EXPECT_EQ(other["X-RateLimit-Remaining"], "2");
  // Operations endpoints are not limited.
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);
}

TEST_P(Serve, ConfigFileEnvAndFlagsInThatPrecedence) {
  const auto path = testing::TempDir() + "redkit_serve_" + std::to_string(getpid()) + ".toml";
  {
    std::ofstream f(path);
    f << "[server]\nbody_limit = 100\nheader_limit = 4096\n"
         "[tiers.anonymous]\npolicies = [ { limit = 2, window = \"1m\" } ]\n";
  }
  auto args = store_args();
  args.insert(args.end(), {"--config", path, "--tier", "anonymous=3/1m"});
  serve_process srv(args, {"REDKIT_HEADER_LIMIT=2048"});
  {
    client c(srv.port());  // the file's body limit
    expect_problem(c.request("POST", "/api/ping", {}, std::string(150, 'x')), 413);
  }
  {
    client c(srv.port());  // the environment's header limit over the file's
    expect_problem(c.request("GET", "/api/ping", "X-Big: " + std::string(3000, 'a') + "\r\n"), 431);
  }
  client c(srv.port());  // the flag's tier over the file's
  EXPECT_EQ(c.request("GET", "/api/ping")["X-RateLimit-Limit"], "3");
  std::remove(path.c_str());
}

TEST_P(Serve, AccessLogHasOneJsonLinePerRequestWithItsId) {
  auto args = store_args();
  args.push_back("--log-json");
  serve_process srv(args, {}, true);
  client c(srv.port());
  c.request("GET", "/api/ping?q=\"x", "X-Request-Id: log-test-1\r\n");
  c.request("DELETE", "/healthz");
  const auto first = boost::json::parse(srv.next_line());
  EXPECT_EQ(first.at("id"), "log-test-1");
  EXPECT_EQ(first.at("method"), "GET");
  EXPECT_EQ(first.at("target"), "/api/ping?q=\"x");
  EXPECT_EQ(first.at("status"), 200);
  EXPECT_EQ(first.at("peer"), "127.0.0.1");
  EXPECT_GE(first.at("us").as_int64(), 0);
  EXPECT_FALSE(first.at("time").as_string().empty());
  const auto second = boost::json::parse(srv.next_line());
  EXPECT_EQ(second.at("status"), 405);
  EXPECT_NE(second.at("id"), "log-test-1");
}

TEST_P(Serve, CacheApiSetsGetsAndInvalidates) {
  serve_process srv(store_args());
  client c(srv.port());
  const std::string json = "Content-Type: application/json\r\n";
  auto r = c.request("PUT", "/v1/cache/users/keys/a%2Fb", json,
                     R"({"value":"v1","ttl_ms":60000,"tags":["team:7"]})");
  EXPECT_EQ(r.result_int(), 204u) << r.body();
  r = c.request("GET", "/v1/cache/users/keys/a%2Fb");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("key"), "a/b");
  EXPECT_EQ(body_json(r).at("value"), "v1");
  EXPECT_EQ(c.request("PUT", "/v1/cache/users/keys/c", json, R"({"value":"v2"})").result_int(),
            204u);
  r = c.request("DELETE", "/v1/cache/users/tags/team%3A7");
  EXPECT_EQ(body_json(r).at("deleted"), 1);
  expect_problem(c.request("GET", "/v1/cache/users/keys/a%2Fb"), 404);
  EXPECT_EQ(body_json(c.request("GET", "/v1/cache/users/keys/c")).at("value"), "v2");
  EXPECT_EQ(body_json(c.request("DELETE", "/v1/cache/users/keys/c")).at("deleted"), true);
  EXPECT_EQ(body_json(c.request("DELETE", "/v1/cache/users/keys/c")).at("deleted"), false);
  // Bad input: the media type, the JSON, each field, the path.
  expect_problem(c.request("PUT", "/v1/cache/users/keys/x", {}, R"({"value":"v"})"), 415);
  expect_problem(c.request("PUT", "/v1/cache/users/keys/x", json, R"({"value":)"), 400);
  for (const auto* body : {R"({"value":1})", R"({"value":"v","ttl_ms":0})",
                           R"({"value":"v","tags":"t"})", R"({"value":"v","extra":1})", "[]"}) {
    r = c.request("PUT", "/v1/cache/users/keys/x", json, body);
    expect_problem(r, 400);
  }
  // A TTL past the bound (its deadline would overflow) is bad input, not a failure.
  r = c.request("PUT", "/v1/cache/users/keys/x", json,
                R"({"value":"v","ttl_ms":9223372036854775807})");
  expect_problem(r, 400);
  EXPECT_NE(body_json(r).at("detail").as_string().find("ttl_ms"), std::string::npos);
  EXPECT_NE(
      body_json(c.request("PUT", "/v1/cache/users/keys/x", json, R"({"value":"v","ttl_ms":-5})"))
          .at("detail")
          .as_string()
          .find("ttl_ms"),
      std::string::npos);
  expect_problem(c.request("GET", "/v1/cache/users/keys/%zz"), 400);
  expect_problem(c.request("GET", "/v1/cache/a%7Bb/keys/x"), 400);
  expect_problem(c.request("GET", "/v1/cache/users/other/x"), 404);
  r = c.request("GET", "/v1/cache/users/tags/t");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "DELETE");
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);
}

TEST_P(Serve, CacheApiCarriesBytesThatAreNotTextAsBase64) {
  serve_process srv(store_args());
  client c(srv.port());
  const std::string json = "Content-Type: application/json\r\n";
  // "/wBh" is the base64 of FF 00 61: not UTF-8, so it comes back in base64, byte for byte.
  auto r =
      c.request("PUT", "/v1/cache/bin/keys/k", json, R"({"value":"/wBh","encoding":"base64"})");
  EXPECT_EQ(r.result_int(), 204u) << r.body();
  r = c.request("GET", "/v1/cache/bin/keys/k");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r).at("encoding"), "base64");
  EXPECT_EQ(body_json(r).at("value"), "/wBh");
  // Base64 of text is stored as the text, and read back as text.
  EXPECT_EQ(
      c.request("PUT", "/v1/cache/bin/keys/t", json, R"({"value":"aMOp","encoding":"base64"})")
          .result_int(),
      204u);
  r = c.request("GET", "/v1/cache/bin/keys/t");
  EXPECT_EQ(body_json(r).at("encoding"), "utf-8");
  EXPECT_EQ(body_json(r).at("value"), "h\xC3\xA9");
  expect_problem(
      c.request("PUT", "/v1/cache/bin/keys/k", json, R"({"value":"@@","encoding":"base64"})"), 400);
  r = c.request("PUT", "/v1/cache/bin/keys/k", json, R"({"value":"x","encoding":"hex"})");
  expect_problem(r, 400);
  EXPECT_NE(body_json(r).at("detail").as_string().find("encoding"), std::string::npos);
  // A key that is not UTF-8 (from the path) still gets a JSON answer.
  EXPECT_EQ(c.request("PUT", "/v1/cache/bin/keys/%FF", json, R"({"value":"v"})").result_int(),
            204u);
  r = c.request("GET", "/v1/cache/bin/keys/%FF");
  ASSERT_EQ(r.result_int(), 200u);
  EXPECT_EQ(body_json(r).at("value"), "v");
  expect_problem(c.request("GET", "/v1/cache/bin/keys/%FE"), 404);
  // Unchanged: the first value survived the refused writes.
  EXPECT_EQ(body_json(c.request("GET", "/v1/cache/bin/keys/k")).at("value"), "/wBh");
}

TEST_P(Serve, ApiKeysGuardTheServiceApi) {
  auto args = store_args();
  args.insert(args.end(),
              {"--api-key", "0123456789abcdef-one", "--api-key", "0123456789abcdef-two"});
  serve_process srv(args);
  client c(srv.port());
  const std::string json = "Content-Type: application/json\r\n";
  const std::string body = R"({"value":"v"})";
  auto r = c.request("PUT", "/v1/cache/c/keys/k", json, body);
  expect_problem(r, 401);
  EXPECT_EQ(r[bhttp::field::www_authenticate], "Bearer realm=\"redkit\"");
  expect_problem(c.request("PUT", "/v1/cache/c/keys/k",
                           json + "Authorization: Bearer 0123456789abcdef-six\r\n", body),
                 401);
  EXPECT_EQ(c.request("PUT", "/v1/cache/c/keys/k",
                      json + "Authorization: Bearer 0123456789abcdef-two\r\n", body)
                .result_int(),
            204u);
  EXPECT_EQ(c.request("GET", "/v1/cache/c/keys/k", "Authorization: Bearer 0123456789abcdef-one\r\n")
                .result_int(),
            200u);
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);  // not under /v1
}

TEST_P(Serve, MetricsCountRequestsByRouteAndDecisionsByPolicy) {
  auto args = store_args();
  args.insert(args.end(), {"--tier", "anonymous=2/1m"});
  serve_process srv(args);
  client c(srv.port());
  for (int i = 0; i < 3; ++i) c.request("GET", "/api/ping");
  c.request("GET", "/no/such/%20path");
  c.request("GET", "/v1/cache/m/keys/absent");
  const auto r = c.request("GET", "/metrics");
  ASSERT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r[bhttp::field::content_type], "text/plain; version=0.0.4");
  const auto& text = r.body();
  for (const auto* line :
       {"redkit_http_requests_total{route=\"/api/ping\",method=\"GET\",status=\"200\"} 2\n",
        "redkit_http_requests_total{route=\"/api/ping\",method=\"GET\",status=\"429\"} 1\n",
        "redkit_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
        "redkit_http_requests_total{route=\"/v1/cache/*\",method=\"GET\",status=\"404\"} 1\n",
        "redkit_http_request_duration_seconds_count{route=\"/api/ping\"} 3\n",
        "redkit_http_request_duration_seconds_bucket{route=\"/api/ping\",le=\"+Inf\"} 3\n",
        "redkit_ratelimit_decisions_total{policy=\"anonymous\",decision=\"allowed\"} 2\n",
        "redkit_ratelimit_decisions_total{policy=\"anonymous\",decision=\"denied\"} 1\n",
        "redkit_ratelimit_breaker_open 0\n", "redkit_cache_misses_total{cache=\"m\"} 1\n",
        "redkit_cache_hit_ratio{cache=\"m\"} 0\n", "redkit_cache_breaker_open{cache=\"m\"} 0\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
  }
}

TEST(ServeRedis, AStoreThatIsDownAnswers503NotA500) {
  redis_server redis;
  serve_process srv({"--store", redis.url(), "--store-timeout-ms", "300"});
  client c(srv.port());
  const std::string json = "Content-Type: application/json\r\n";
  EXPECT_EQ(c.request("GET", "/v1/leaderboards/b/top").result_int(), 200u);
  redis.kill();
  for (const auto& [method, target, body] :
       {std::tuple<std::string, std::string, std::string>{"GET", "/v1/leaderboards/b/top", ""},
        {"POST", "/v1/sessions", R"({"user":{"id":"42"}})"},
        {"POST", "/v1/queues/q/jobs", R"({"type":"t"})"}}) {
    const auto r = c.request(method, target, body.empty() ? "" : json, body);
    expect_problem(r, 503);
    EXPECT_NE(body_json(r).at("detail").as_string().find("store"), std::string::npos)
        << target << ": " << r.body();
  }
  // Bad input is still 400, store or no store.
  expect_problem(c.request("GET", "/v1/leaderboards/b/top?n=0"), 400);
}

TEST(ServeRedis, HandlerDeadlineAnswers503) {
  redis_server redis;
  serve_process srv(
      {"--store", redis.url(), "--store-timeout-ms", "20000", "--handler-timeout-ms", "300"});
  client c(srv.port());
  EXPECT_EQ(c.request("GET", "/readyz").result_int(), 200u);
  redis.pause();  // the store stops answering; its own deadline is far away
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = c.request("GET", "/readyz");
  const auto took = std::chrono::steady_clock::now() - t0;
  redis.resume();
  expect_problem(r, 503);
  EXPECT_NE(body_json(r).at("detail").as_string().find("over 300 ms"), std::string::npos)
      << r.body();
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);  // the deadline, not the store's 20 s
  EXPECT_EQ(c.request("GET", "/readyz").result_int(), 200u);
}

/// The lines `redkit serve ARGS` prints (it exits by itself).
std::vector<std::string> cli_lines(const std::string& args) {
  std::vector<std::string> lines;
  FILE* p = popen((std::string(REDKIT_TEST_CLI) + " serve " + args).c_str(), "r");
  if (!p) return lines;
  char line[1024];
  while (fgets(line, sizeof line, p)) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    lines.push_back(l);
  }
  EXPECT_EQ(pclose(p), 0);
  return lines;
}

/// Every "$ref" in `v` that does not resolve in `doc`.
void unresolved_refs(const boost::json::value& v, const boost::json::value& doc,
                     std::vector<std::string>& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& [k, item] : *o) {
      if (k == "$ref" && item.is_string()) {
        std::string ref(item.as_string());
        boost::system::error_code ec;
        if (ref.rfind("#/", 0) != 0 || !doc.find_pointer(ref.substr(1), ec)) out.push_back(ref);
      } else {
        unresolved_refs(item, doc, out);
      }
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& item : *a) unresolved_refs(item, doc, out);
  }
}

TEST(ServeDocs, OpenApiDocumentsEveryRouteAndNothingElse) {
  serve_process srv({"--store", "memory://"});
  client c(srv.port());
  const auto r = c.request("GET", "/openapi.json");
  ASSERT_EQ(r.result_int(), 200u);
  const auto doc = body_json(r);
  EXPECT_EQ(doc.at("openapi").as_string().subview().substr(0, 2), "3.");
  const auto& paths = doc.at("paths").as_object();
  const auto routes = cli_lines("--list-routes");
  ASSERT_FALSE(routes.empty());
  const auto documented = [&](const std::string& method, const std::string& route) {
    const bool prefix = route.back() == '*';
    const auto stem = prefix ? route.substr(0, route.size() - 1) : route;
    for (const auto& [path, item] : paths) {
      const std::string p(path);
      if ((prefix ? p.rfind(stem, 0) == 0 && p.size() > stem.size() : p == route) &&
          item.as_object().contains(method)) {
        return true;
      }
    }
    return false;
  };
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& line : routes) {
    const auto space = line.find(' ');
    std::string method = line.substr(0, space);
    for (auto& ch : method) ch = static_cast<char>(std::tolower(ch));
    listed.emplace_back(method, line.substr(space + 1));
    EXPECT_TRUE(documented(method, listed.back().second)) << "undocumented: " << line;
  }
  for (const auto& [path, item] : paths) {
    const std::string p(path);
    for (const auto& [method, op] : item.as_object()) {
      if (method == "parameters") continue;
      const bool routed = std::any_of(listed.begin(), listed.end(), [&](const auto& l) {
        const auto& route = l.second;
        const bool prefix = route.back() == '*';
        return l.first == method &&
               (prefix ? p.rfind(route.substr(0, route.size() - 1), 0) == 0 : p == route);
      });
      EXPECT_TRUE(routed) << "documented but not served: " << method << " " << p;
      EXPECT_TRUE(op.as_object().contains("responses")) << method << " " << p;
    }
  }
  std::vector<std::string> bad;
  unresolved_refs(doc, doc, bad);
  EXPECT_TRUE(bad.empty()) << bad.front();
}

/// Field names the document's request schemas use (for random bodies that reach the handlers'
/// checks, not only the "unknown field" one).
void schema_fields(const boost::json::value& v, std::vector<std::string>& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& [k, item] : *o) {
      if (k == "properties" && item.is_object()) {
        for (const auto& [name, _] : item.as_object()) out.emplace_back(name);
      }
      schema_fields(item, out);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& item : *a) schema_fields(item, out);
  }
}

// Random requests to every documented path (seeded, so a failure repeats): bodies of random
// shape with the documents' field names, odd path parts and query strings. Nothing may fail with
// a 5xx (503 aside: a store may be slow), every JSON answer must parse, and the server must
// stay up.
TEST_P(Serve, RandomRequestsToEveryRouteNeverFailTheServer) {
  auto args = store_args();
  args.insert(args.end(), {"--password-hash", "min", "--tier", "anonymous=100000000/1s"});
  serve_process srv(args);
  auto c = std::make_unique<client>(srv.port());
  const auto doc = body_json(c->request("GET", "/openapi.json"));
  std::vector<std::string> fields{"extra", std::string(300, 'a')};
  schema_fields(doc, fields);
  const auto atoms =
      boost::json::parse(
          R"([null, true, 0, -1, 7, 9223372036854775807, 18446744073709551615, 1.5, 1e308, "", "x", "1m", "-5s", "gcra", "best",
                             "2026-13-40", "daily", [], ["a"]])")
          .as_array();
  std::mt19937 rng(GetParam() ? 7 : 3);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::function<boost::json::value(int)> value = [&](int depth) -> boost::json::value {
    const auto r = pick(10);
    if (depth < 2 && r < 2) {
      boost::json::object o;
      for (std::size_t i = pick(4); i > 0; --i) o[fields[pick(fields.size())]] = value(depth + 1);
      return o;
    }
    if (depth < 2 && r < 3) return boost::json::array{value(depth + 1), value(depth + 1)};
    return atoms[pick(atoms.size())];
  };
  const std::vector<std::string> parts{"b", "p1", "x%2Fy", "%FF", "%zz", "a%7Bb", "w:1", "1"};
  const std::vector<std::string> query{
      "n=0",       "page=-1",      "size=abc",       "range=9999999999999",
      "fill=true", "period=daily", "day=2026-12-06", "zz=1",
      "offset=",   "count=5"};
  std::map<unsigned, int> seen;
  for (int i = 0; i < 1500; ++i) {
    const auto& paths = doc.at("paths").as_object();
    auto it = paths.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick(paths.size())));
    std::vector<std::string> methods;
    for (const auto& [m, _] : it->value().as_object()) {
      if (m != "parameters") methods.emplace_back(m);
    }
    std::string method = methods[pick(methods.size())];
    for (auto& ch : method) ch = static_cast<char>(std::toupper(ch));
    std::string target;
    const std::string templ(it->key());
    for (std::size_t at = 0; at < templ.size();) {
      if (templ[at] == '{') {
        target += parts[pick(parts.size())];
        at = templ.find('}', at) + 1;
      } else {
        target += templ[at++];
      }
    }
    if (pick(3) == 0) target += "?" + query[pick(query.size())] + "&" + query[pick(query.size())];
    std::string body;
    if (method != "GET") {
      body = pick(10) == 0 ? std::string("{\"a\":") : boost::json::serialize(value(0));
    }
    const auto r = c->request(method, target, "Content-Type: application/json\r\n", body);
    ++seen[r.result_int()];
    const bool server_error = r.result_int() >= 500 && r.result_int() != 503;
    ASSERT_FALSE(server_error) << method << " " << target << " " << body << " -> " << r.body();
    if (!r.body().empty() && r[bhttp::field::content_type].starts_with("application/")) {
      boost::system::error_code ec;
      boost::json::parse(r.body(), ec);
      ASSERT_FALSE(ec) << method << " " << target << " -> invalid JSON: " << r.body();
    }
    if (!r.keep_alive()) c = std::make_unique<client>(srv.port());
  }
  EXPECT_GT(seen[400], 100);  // the bodies reached the handlers' checks
  EXPECT_GT(seen[200] + seen[201] + seen[204], 50);
  EXPECT_EQ(c->request("GET", "/healthz").result_int(), 200u);
}

INSTANTIATE_TEST_SUITE_P(Backends, Serve, ::testing::Values(false, true), store_name);

TEST(ServeRedis, ReadyzSaysWhenTheStoreIsDown) {
  redis_server redis;
  serve_process srv({"--store", redis.url(), "--store-timeout-ms", "200"});
  client c(srv.port());
  EXPECT_EQ(c.request("GET", "/readyz").result_int(), 200u);
  redis.kill();
  const auto t0 = std::chrono::steady_clock::now();
  expect_problem(c.request("GET", "/readyz"), 503);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200u);  // the process is up
}

TEST(ServeRedis, TheSessionPicksTheTierAndTheIdentity) {
  redis_server redis;
  serve_process srv(
      {"--store", redis.url(), "--tier", "authenticated=5/1m", "--tier", "premium=7/1m"});
  session::store sessions(store::open(redis.url()));
  const session::request_info info{};  // what the test client sends: no User-Agent, no language
  const auto plain = sessions.login({.id = "u1", .email = "u1@example.com"}, "d1", info);
  session::user vip{.id = "p1", .email = "p1@example.com"};
  vip.premium = true;
  const auto premium = sessions.login(vip, "d1", info);
  client c(srv.port());
  auto r = c.request("GET", "/api/ping", "Authorization: Bearer " + plain.token + "\r\n");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(r["X-RateLimit-Limit"], "5");
  EXPECT_EQ(r["RateLimit-Policy"], "\"authenticated\";q=5;w=60");
  r = c.request("GET", "/api/ping", "Cookie: rk_session=" + plain.token + "\r\n");
  EXPECT_EQ(r["X-RateLimit-Remaining"], "3");  // the same user, through the cookie
  r = c.request("GET", "/api/ping", "Authorization: Bearer " + premium.token + "\r\n");
  EXPECT_EQ(r["X-RateLimit-Limit"], "7");
  // A token that names no session is anonymous.
  r = c.request("GET", "/api/ping", "Authorization: Bearer not-a-session\r\n");
  EXPECT_EQ(r["X-RateLimit-Limit"], "60");
}

TEST(ServeRedis, TwoServersShareTheCacheAndDropEachOthersL1Copies) {
  redis_server redis;
  serve_process a({"--store", redis.url()});
  serve_process b({"--store", redis.url()});
  client ca(a.port()), cb(b.port());
  const std::string json = "Content-Type: application/json\r\n";
  EXPECT_EQ(ca.request("PUT", "/v1/cache/shared/keys/k", json, R"({"value":"old"})").result_int(),
            204u);
  EXPECT_EQ(body_json(cb.request("GET", "/v1/cache/shared/keys/k")).at("value"),
            "old");  // in b's L1
  EXPECT_EQ(ca.request("PUT", "/v1/cache/shared/keys/k", json, R"({"value":"new"})").result_int(),
            204u);
  std::string seen;
  for (int i = 0; i < 100 && seen != "new"; ++i) {
    seen = std::string(
        body_json(cb.request("GET", "/v1/cache/shared/keys/k")).at("value").as_string());
    if (seen != "new") std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(seen, "new");
}

}  // namespace
}  // namespace redkit::test
#endif
