// `redkit serve`: the HTTP service on a store (the embedded engine by default): its flags (with
// REDKIT_* env) and the TOML config file, the routes (the /auth/* endpoints, /api/me and /api/ping
// behind the session and rate-limit middleware; the /v1 API for rate limits, sessions,
// leaderboards, queues and the cache behind the API keys; /healthz, /readyz, /metrics,
// /openapi.json), --list-routes, and graceful shutdown on SIGTERM/SIGINT.
#include "commands.hpp"

#include <redkit/http_api.hpp>
#include <redkit/http_auth.hpp>
#include <redkit/http_leaderboard_api.hpp>
#include <redkit/http_middleware.hpp>
#include <redkit/http_queue.hpp>
#include <redkit/http_ratelimit_api.hpp>
#include <redkit/http_server.hpp>
#include <redkit/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/toml_config.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace redkit::cli {
namespace {

namespace asio = boost::asio;
namespace http = redkit::http;
namespace bhttp = boost::beast::http;

struct serve_options {
  std::string url = "memory://";
  http::server_options server;
  std::uint64_t request_timeout_ms = 10000;
  std::uint64_t idle_timeout_ms = 60000;
  std::uint64_t grace_ms = 10000;
  std::uint64_t handler_timeout_ms = 30000;
  std::uint64_t store_timeout_ms = 1000;
  bool no_access_log = false;
  bool list_routes = false;
  std::vector<std::string> tiers;    // NAME=LIMIT/WINDOW overrides
  std::vector<std::string> proxies;  // trusted proxy networks
  std::string config;                // TOML file
  std::vector<std::string> api_keys;
  // Accounts and sessions.
  std::string password_hash = "interactive";
  unsigned password_hash_threads = 2;
  std::string login_limit_email = "5/15m";
  std::string login_limit_ip = "50/15m";
  std::string session_idle_timeout = "24h";
  std::string session_absolute_timeout = "7d";
  std::size_t session_max_per_user = 5;
  std::string session_fingerprint = "strict";
  std::string session_census_interval = "1m";
  std::uint64_t queue_lease_ms = 30000;
};

/// The text CLI11 would have read for a TOML value (scalars only).
std::optional<std::string> scalar_text(const toml::node& n) {
  if (const auto* v = n.as_string()) return v->get();
  if (const auto* v = n.as_boolean()) return v->get() ? "true" : "false";
  if (const auto* v = n.as_integer()) return std::to_string(v->get());
  return std::nullopt;
}

/// The TOML config file, read once at start-up so that every part configured from it sees the
/// same text.
struct config_file {
  std::string path;  ///< empty: none
  std::string text;
};

config_file read_config(const std::string& path) {
  if (path.empty()) return {};
  return {path, config::read_file(path, "config")};
}

/// Applies the `[server]` table of the TOML file to the options of `app` that neither a
/// flag nor the environment set (flags, then env, then the file, then the defaults). Keys are
/// the flags' names with '_' for '-'. Throws redkit::error(errc::invalid_argument) naming the
/// key for an unknown key or a value of the wrong kind.
void apply_config_file(CLI::App& app, const config_file& file) {
  const auto& path = file.path;
  const auto bad = [&](const std::string& what) {
    return error(make_error_code(errc::invalid_argument), "config " + path + ": " + what);
  };
  toml::table root;
  try {
    root = toml::parse(file.text, path);
  } catch (const toml::parse_error& e) {
    throw bad(fmt::format("line {}: {}", e.source().begin.line, e.description()));
  }
  // [server] is read here; the others by the parts they configure.
  static constexpr std::array<std::string_view, 4> tables{"server", "tiers", "routes",
                                                          "leaderboards"};
  for (const auto& [key, value] : root) {
    if (std::find(tables.begin(), tables.end(), key.str()) == tables.end()) {
      throw bad("unknown table or key '" + std::string(key.str()) + "' (expected one of [" +
                fmt::format("{}", fmt::join(tables, "], [")) + "])");
    }
  }
  const auto* server = root["server"].as_table();
  if (!server) return;
  for (const auto& [key, value] : *server) {
    std::string flag = "--" + std::string(key.str());
    std::replace(flag.begin(), flag.end(), '_', '-');
    CLI::Option* opt = nullptr;
    try {
      opt = app.get_option(flag);
    } catch (const CLI::OptionNotFound&) {
    }
    if (!opt || flag == "--config") throw bad("unknown key server." + std::string(key.str()));
    if (opt->count() > 0) continue;  // a flag or the environment set it
    std::vector<std::string> texts;
    if (const auto* arr = value.as_array()) {
      for (const auto& item : *arr) {
        auto t = scalar_text(item);
        if (!t)
          throw bad("server." + std::string(key.str()) + ": items must be strings or numbers");
        texts.push_back(*t);
      }
    } else if (auto t = scalar_text(value)) {
      texts.push_back(*t);
    } else {
      throw bad("server." + std::string(key.str()) +
                ": must be a string, number, boolean or array");
    }
    try {
      for (const auto& t : texts) opt->add_result(t);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw bad("server." + std::string(key.str()) + ": " + e.what());
    }
  }
}

/// The limiter's counters in Prometheus text format.
std::string limiter_prometheus(const rate_limit::limiter_metrics& m) {
  std::string out =
      "# HELP redkit_ratelimit_decisions_total Rate-limit decisions by policy.\n"
      "# TYPE redkit_ratelimit_decisions_total counter\n";
  for (const auto& [name, p] : m.policies) {
    for (const auto& [what, n] :
         {std::pair{"allowed", p.allowed}, std::pair{"denied", p.denied},
          std::pair{"shadow_denied", p.shadow_denied}, std::pair{"error", p.errors}}) {
      out += fmt::format("redkit_ratelimit_decisions_total{{policy=\"{}\",decision=\"{}\"}} {}\n",
                         name, what, n);
    }
  }
  out += fmt::format(
      "# TYPE redkit_ratelimit_store_errors_total counter\n"
      "redkit_ratelimit_store_errors_total {}\n"
      "# TYPE redkit_ratelimit_breaker_open gauge\n"
      "redkit_ratelimit_breaker_open {}\n",
      m.store_errors, m.breaker_open ? 1 : 0);
  return out;
}

http::router make_routes(std::shared_ptr<store> s, std::chrono::milliseconds store_timeout,
                         const http::middleware& chain, const http::api_keys& keys,
                         std::shared_ptr<http::request_metrics> metrics,
                         std::shared_ptr<rate_limit::limiter> limiter,
                         std::shared_ptr<session::store> sessions, http::auth_options auth,
                         const config_file& config, const http::queue_api_options& queue_opts) {
  http::router r;
  auto cache_metrics = http::add_cache_api(r, s, keys);
  auto auth_metrics = http::add_auth_api(r, s, sessions, limiter, chain, keys, std::move(auth));
  http::add_session_api(r, sessions, keys);
  http::add_ratelimit_api(r, limiter, chain.tiers(), keys);
  auto leaderboard_metrics = http::add_leaderboard_api(
      r, s, keys,
      config.path.empty() ? http::leaderboard_configs{}
                          : http::load_leaderboards_toml(config.text, config.path),
      store_timeout);
  auto queue_metrics = http::add_queue_api(r, s, keys, queue_opts);
  r.add(bhttp::verb::get, "/metrics",
        [metrics, limiter, cache_metrics, auth_metrics, leaderboard_metrics, queue_metrics](
            const http::request& req, http::request_context&) -> asio::awaitable<http::response> {
          http::response res{bhttp::status::ok, req.version()};
          res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
          res.body() = metrics->prometheus() + limiter_prometheus(limiter->metrics()) +
                       cache_metrics() + auth_metrics() + leaderboard_metrics();
          auto queue_text = co_await queue_metrics();
          res.body() += queue_text;
          co_return res;
        });
  r.add(bhttp::verb::get, "/openapi.json",
        [](const http::request& req, http::request_context&) -> asio::awaitable<http::response> {
          co_return http::json_response(bhttp::status::ok, std::string(http::openapi_document()),
                                        req.version());
        });
  r.add(bhttp::verb::get, "/healthz",
        [](const http::request& req, http::request_context&) -> asio::awaitable<http::response> {
          co_return http::json_response(bhttp::status::ok, R"({"status":"ok"})", req.version());
        });
  r.add(bhttp::verb::get, "/readyz",
        [s, store_timeout](const http::request& req,
                           http::request_context&) -> asio::awaitable<http::response> {
          request_options ro;
          ro.timeout = store_timeout;
          std::string failure;
          try {
            co_await s->async_exec(command{"PING"}, ro);
          } catch (const std::exception& e) {
            failure = e.what();
          }
          if (!failure.empty()) {
            co_return http::problem(bhttp::status::service_unavailable,
                                    "the store does not answer: " + failure, req.version());
          }
          co_return http::json_response(bhttp::status::ok, R"({"status":"ready"})", req.version());
        });
  r.add(bhttp::verb::get, "/api/ping",
        chain.wrap([](const http::request& req,
                      http::request_context&) -> asio::awaitable<http::response> {
          co_return http::json_response(bhttp::status::ok, R"({"pong":true})", req.version());
        }));
  return r;
}

}  // namespace

runner add_serve(CLI::App& app) {
  auto o = std::make_shared<serve_options>();
  auto& so = o->server;
  app.add_option("--store", o->url, "Store URL (memory:// is the embedded engine)")
      ->envname("REDKIT_STORE")
      ->capture_default_str();
  app.add_option("--host", so.host, "Address to listen on")
      ->envname("REDKIT_HOST")
      ->capture_default_str();
  app.add_option("--port", so.port, "Port to listen on (0: any free port)")
      ->envname("REDKIT_PORT")
      ->capture_default_str();
  app.add_option("--threads", so.threads, "I/O threads")
      ->envname("REDKIT_THREADS")
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  app.add_option("--header-limit", so.header_limit, "Largest request header in bytes (431 above)")
      ->envname("REDKIT_HEADER_LIMIT")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--body-limit", so.body_limit, "Largest request body in bytes (413 above)")
      ->envname("REDKIT_BODY_LIMIT")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o->request_timeout_ms,
                 "Longest a request may take to arrive once begun (slow senders are dropped)")
      ->envname("REDKIT_REQUEST_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", o->idle_timeout_ms,
                 "Longest a keep-alive connection may wait for its next request")
      ->envname("REDKIT_IDLE_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--handler-timeout-ms", o->handler_timeout_ms,
                 "Longest a request may take to be answered once read (503 past it)")
      ->envname("REDKIT_HANDLER_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--grace-ms", o->grace_ms,
                 "On SIGTERM/SIGINT: how long requests in flight may take to finish (waiting queue "
                 "reserves answer at once)")
      ->envname("REDKIT_GRACE_MS")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--store-timeout-ms", o->store_timeout_ms, "Deadline of each store call")
      ->envname("REDKIT_STORE_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{600'000}))
      ->capture_default_str();
  app.add_option("--tier", o->tiers,
                 "Override a rate-limit tier, NAME=LIMIT/WINDOW (e.g. anonymous=1000000/1m); "
                 "repeatable. Tiers: anonymous (60/1m), authenticated (300/1m), premium (1000/1m)")
      ->envname("REDKIT_TIER");
  app.add_option("--trust-proxy", o->proxies,
                 "A reverse proxy's network (CIDR or address) whose X-Forwarded-For is believed; "
                 "repeatable")
      ->envname("REDKIT_TRUST_PROXY");
  app.add_option("--api-key", o->api_keys,
                 "A key of the /v1 service API (16-256 bytes; repeatable). With any, /v1 needs "
                 "Authorization: Bearer <key>")
      ->envname("REDKIT_API_KEY");
  app.add_option("--password-hash", o->password_hash,
                 "Cost of each argon2id password hash: interactive (64 MiB, the default), "
                 "moderate (256 MiB), sensitive (1 GiB), or min (libsodium's minimum: tests and "
                 "development only)")
      ->envname("REDKIT_PASSWORD_HASH")
      ->check(CLI::IsMember({"min", "interactive", "moderate", "sensitive"}))
      ->capture_default_str();
  app.add_option("--password-hash-threads", o->password_hash_threads,
                 "Threads that hash passwords, off the I/O threads: the most hashes at once "
                 "(memory is this times the cost's), 64 more may wait, then 503")
      ->envname("REDKIT_PASSWORD_HASH_THREADS")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();
  app.add_option("--login-limit-email", o->login_limit_email,
                 "Login attempts (successful or not) per email, LIMIT/WINDOW, before the "
                 "password is checked; 429 beyond")
      ->envname("REDKIT_LOGIN_LIMIT_EMAIL")
      ->capture_default_str();
  app.add_option("--login-limit-ip", o->login_limit_ip,
                 "Login attempts per client address, LIMIT/WINDOW; 429 beyond")
      ->envname("REDKIT_LOGIN_LIMIT_IP")
      ->capture_default_str();
  app.add_option("--session-idle-timeout", o->session_idle_timeout,
                 "A session ends this long after its last use (a duration: 30m, 24h, 7d)")
      ->envname("REDKIT_SESSION_IDLE_TIMEOUT")
      ->capture_default_str();
  app.add_option("--session-absolute-timeout", o->session_absolute_timeout,
                 "... and this long after login, however active")
      ->envname("REDKIT_SESSION_ABSOLUTE_TIMEOUT")
      ->capture_default_str();
  app.add_option("--session-max-per-user", o->session_max_per_user,
                 "Live sessions per user; a login beyond evicts the least recently used")
      ->envname("REDKIT_SESSION_MAX_PER_USER")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
      ->capture_default_str();
  app.add_option("--session-census-interval", o->session_census_interval,
                 "How old the session census in /metrics (users and sessions stored, by a "
                 "SCAN of the store's keys) may grow before a scrape starts a new one in the "
                 "background; 0: no census")
      ->envname("REDKIT_SESSION_CENSUS_INTERVAL")
      ->capture_default_str();
  app.add_option("--session-fingerprint", o->session_fingerprint,
                 "A session presented with another User-Agent/Accept-Language: strict (ended), "
                 "report (kept, counted and logged) or off")
      ->envname("REDKIT_SESSION_FINGERPRINT")
      ->check(CLI::IsMember({"strict", "report", "off"}))
      ->capture_default_str();
  app.add_option("--queue-lease-ms", o->queue_lease_ms,
                 "Lease of an HTTP worker's reserve or heartbeat that names no lease_ms")
      ->envname("REDKIT_QUEUE_LEASE_MS")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{86'400'000}))
      ->capture_default_str();
  app.add_option("--config", o->config,
                 "TOML file: a [server] table with these options (keys use '_' for '-'; flags and "
                 "env win over it), [tiers.NAME] rate-limit tiers, [[routes]] extra rate-limit "
                 "policies per path prefix (prefix = \"/api/search/\", policies = [ { limit = 10, "
                 "window = \"1m\" } ], optional tiers.NAME = [...] instead for one tier; checked "
                 "with the tier's in one atomic check, the longest prefix wins), and "
                 "[leaderboards.NAME] board options (order, tie_break, max_size, periods, "
                 "week_start, retention, max_per_call)")
      ->envname("REDKIT_CONFIG")
      ->check(CLI::ExistingFile);
  app.add_flag("--log-json", so.log_json, "Access log as JSON lines")->envname("REDKIT_LOG_JSON");
  app.add_flag("--no-access-log", o->no_access_log, "No access log")
      ->envname("REDKIT_NO_ACCESS_LOG");
  app.add_flag("--list-routes", o->list_routes,
               "Print every route (METHOD PATH; a prefix route ends in *) and exit");
  return [o, &app] {
    const auto config = read_config(o->config);
    if (!config.path.empty()) apply_config_file(app, config);
    o->server.request_timeout = std::chrono::milliseconds(o->request_timeout_ms);
    o->server.idle_timeout = std::chrono::milliseconds(o->idle_timeout_ms);
    o->server.handler_timeout = std::chrono::milliseconds(o->handler_timeout_ms);
    o->server.access_log = !o->no_access_log;
    o->server.metrics = std::make_shared<http::request_metrics>();
    store_options sto;
    sto.connect_timeout = std::chrono::milliseconds(o->store_timeout_ms);
    sto.request_timeout = std::chrono::milliseconds(o->store_timeout_ms);
    auto s = store::open(o->url, sto);
    http::middleware_options mo;
    if (!config.path.empty()) {
      mo.tiers.load_toml(config.text, config.path);
      mo.routes = http::load_routes_toml(config.text, config.path);
    }
    for (const auto& t : o->tiers) mo.tiers.apply_override(t);
    mo.trusted_proxies = rate_limit::proxy_trust(std::span<const std::string>(o->proxies));
    rate_limit::limiter_options lo;
    lo.timeout = std::chrono::milliseconds(o->store_timeout_ms);
    auto limiter = std::make_shared<rate_limit::limiter>(s, lo);
    session::options session_opts;
    session_opts.idle_timeout = rate_limit::parse_duration(o->session_idle_timeout);
    session_opts.absolute_timeout = rate_limit::parse_duration(o->session_absolute_timeout);
    session_opts.touch_interval =
        std::min(session_opts.touch_interval, session_opts.idle_timeout / 2);
    session_opts.max_sessions = o->session_max_per_user;
    session_opts.fingerprint = *session::parse_fingerprint_policy(o->session_fingerprint);
    session_opts.timeout = std::chrono::milliseconds(o->store_timeout_ms);
    auto sessions = std::make_shared<session::store>(s, std::move(session_opts));
    http::auth_options auth;
    auth.timeout = std::chrono::milliseconds(o->store_timeout_ms);
    auth.hash_cost = *http::parse_password_cost(o->password_hash);
    auth.hash_threads = o->password_hash_threads;
    auth.login_per_email = rate_limit::parse_rate("login_email", o->login_limit_email);
    auth.login_per_ip = rate_limit::parse_rate("login_ip", o->login_limit_ip);
    auth.cookie = mo.cookie;
    auth.census_interval = o->session_census_interval == "0"
                               ? std::chrono::milliseconds(0)
                               : rate_limit::parse_duration(o->session_census_interval);
    const http::middleware chain(sessions, limiter, std::move(mo));

    // Signals are taken on this thread, so stop() (which joins the server's threads) never
    // runs on one of them.
    asio::io_context signals_ioc(1);
    asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    int received = 0;
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (!ec) received = sig;
    });
    http::queue_api_options qo;
    qo.default_lease = std::chrono::milliseconds(o->queue_lease_ms);
    qo.store_timeout = std::chrono::milliseconds(o->store_timeout_ms);
    auto routes = make_routes(s, std::chrono::milliseconds(o->store_timeout_ms), chain,
                              http::api_keys(o->api_keys), o->server.metrics, limiter, sessions,
                              std::move(auth), config, qo);
    if (o->list_routes) {
      for (const auto& [method, path] : routes.list()) {
        fmt::print("{} {}\n", std::string_view(bhttp::to_string(method)), path);
      }
      s->close();
      return 0;
    }
    http::server srv(o->server, std::move(routes));
    fmt::print("redkit serve: listening on http://{}:{} (store {})\n", o->server.host, srv.port(),
               s->describe());
    std::fflush(stdout);
    signals_ioc.run();
    fmt::print("redkit serve: signal {}, stopping (grace {} ms)\n", received, o->grace_ms);
    std::fflush(stdout);
    srv.stop(std::chrono::milliseconds(o->grace_ms));
    s->close();
    return 0;
  };
}

}  // namespace redkit::cli
