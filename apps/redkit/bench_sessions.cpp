// `redkit bench sessions`: session::store logins, then validations, on the workload of
// bench/reference/bench_sessions.ts (the reference's AuthService), so the two compare:
// - user u (0..U-1) has d_u = 1 + (u % 7) devices: {id "user:<u>", email "user<u>@example.com",
//   roles ["user"]};
// - login phase: one login per (user, device k), device-major (device 0 of every user, then
//   device 1 ...), with user agent "bench-agent/<u % 50>", accept language "en-US" and device
//   "device:<k>";
// - live tokens: each user's last min(d_u, 5) logins, ordered by user then device; validation i
//   uses live token i % count with its login's request;
// - then live_sessions (fields of every session hash) and max_sessions_per_user.
// Prints one JSON line (--json) or a summary.
#include "bench.hpp"

#include <redkit/session_store.hpp>
#include <redkit/store.hpp>

#include <fmt/core.h>

#include <optional>

namespace redkit::cli {

namespace {

struct login_op {
  std::uint64_t user;
  std::uint64_t device;
};

std::uint64_t devices_of(std::uint64_t u) { return 1 + u % 7; }

session::request_info request_of(std::uint64_t u) {
  return {.user_agent = fmt::format("bench-agent/{}", u % 50), .accept_language = "en-US"};
}

}  // namespace

int run_sessions_bench(const bench_options& o) {
  asio::io_context ioc(1);
  auto s = open_bench_store(ioc, o);
  drive(ioc, [&]() -> asio::awaitable<void> { co_await s->async_exec(command{"PING"}); }());
  session::options opts;
  opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  session::store sessions(s, opts);

  std::vector<session::user> users(o.users);
  std::vector<session::request_info> requests(o.users);
  for (std::uint64_t u = 0; u < o.users; ++u) {
    users[u] = {.id = fmt::format("user:{}", u),
                .email = fmt::format("user{}@example.com", u),
                .roles = {"user"}};
    requests[u] = request_of(u);
  }
  std::vector<login_op> logins;
  for (std::uint64_t k = 0; k < 7; ++k) {
    for (std::uint64_t u = 0; u < o.users; ++u) {
      if (k < devices_of(u)) logins.push_back({u, k});
    }
  }
  // tokens[u][k]: the token of user u's login on device k.
  std::vector<std::vector<std::string>> tokens(o.users);
  for (std::uint64_t u = 0; u < o.users; ++u) tokens[u].resize(devices_of(u));

  auto login =
      closed_loop(ioc, o.concurrency, logins.size(), [&](std::uint64_t i) -> asio::awaitable<void> {
        const auto [u, k] = logins[i];
        const auto device = fmt::format("device:{}", k);
        auto issued = co_await sessions.async_login(users[u], device, requests[u]);
        tokens[u][k] = std::move(issued.token);
      });

  struct live_token {
    const std::string* token;
    std::uint64_t user;
  };
  std::vector<live_token> live;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto d = devices_of(u);
    for (auto k = d - std::min<std::uint64_t>(d, 5); k < d; ++k) live.push_back({&tokens[u][k], u});
  }
  std::uint64_t invalid = 0;
  auto validate =
      closed_loop(ioc, o.concurrency, o.ops, [&](std::uint64_t i) -> asio::awaitable<void> {
        const auto& t = live[i % live.size()];
        if (!co_await sessions.async_validate(*t.token, requests[t.user])) ++invalid;
      });

  session::session_census census;
  drive(ioc, [&]() -> asio::awaitable<void> { census = co_await sessions.async_census(); }());
  s->close();
  ioc.run_for(std::chrono::milliseconds(100));
  const auto live_sessions = census.sessions, max_per_user = census.most_per_user;
  const auto errors = login.errors + validate.errors;
  const auto store_desc = parse_store_url(o.url).redacted();
  const double login_rate = per_second(logins.size(), login),
               validate_rate = per_second(o.ops, validate);
  const auto login_p50 = percentile_us(login.latencies_ns, 0.50),
             login_p99 = percentile_us(login.latencies_ns, 0.99),
             validate_p50 = percentile_us(validate.latencies_ns, 0.50),
             validate_p99 = percentile_us(validate.latencies_ns, 0.99);
  if (o.json) {
    fmt::print(
        "{{\"workload\":\"sessions\",\"store\":\"{}\",\"users\":{},\"logins\":{},\"ops\":{},"
        "\"concurrency\":{},\"login_seconds\":{:.6f},\"login_ops_per_s\":{:.1f},"
        "\"login_p50_us\":{},\"login_p99_us\":{},\"validate_seconds\":{:.6f},"
        "\"validate_ops_per_s\":{:.1f},\"validate_p50_us\":{},\"validate_p99_us\":{},"
        "\"invalid\":{},\"live_sessions\":{},\"max_sessions_per_user\":{},\"errors\":{}}}\n",
        store_desc, o.users, logins.size(), o.ops, o.concurrency, login.seconds, login_rate,
        login_p50, login_p99, validate.seconds, validate_rate, validate_p50, validate_p99, invalid,
        live_sessions, max_per_user, errors);
  } else {
    fmt::print(
        "sessions on {}: {} logins at {:.0f}/s (p99 {} us), {} validations at {:.0f}/s (p99 {} "
        "us), {} invalid, {} live sessions (at most {} per user), {} errors\n",
        store_desc, logins.size(), login_rate, login_p99, o.ops, validate_rate, validate_p99,
        invalid, live_sessions, max_per_user, errors);
  }
  return errors == 0 && invalid == 0 ? 0 : 1;
}

}  // namespace redkit::cli
