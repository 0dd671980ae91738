// The end-user account endpoints of `redkit serve` (/auth/*, /api/me) and their metrics: see
// http_auth.hpp.
#include <redkit/error.hpp>
#include <redkit/http_auth.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <fmt/core.h>

#include "http/accounts.hpp"
#include "http/auth_json.hpp"
#include "http/password_hasher.hpp"
#include "http/request_fields.hpp"
#include "script_reply.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

namespace redkit::http {
namespace {

namespace json = boost::json;
using detail::only_fields;
using detail::required_string;

/// Longest password accepted: argon2 takes any length, but hashing a huge one is wasted work.
constexpr std::size_t max_password_bytes = 1024;
constexpr std::size_t min_password_bytes = 8;

struct auth_counters {
  std::atomic<std::uint64_t> registrations{0}, conflicts{0}, logins{0}, failures{0}, limited{0};
};

/// The last session census for /metrics, refreshed in the background when a scrape finds it
/// older than auth_options::census_interval.
struct census_cache {
  std::mutex mu;
  std::optional<session::session_census> last;
  std::chrono::steady_clock::time_point done{};   // when `last` was taken
  std::chrono::steady_clock::time_point tried{};  // when the latest census ended, or failed
  bool running = false;
  std::uint64_t failures = 0;
};

struct auth_state {
  auth_state(std::shared_ptr<store> s, std::shared_ptr<session::store> ss,
             std::shared_ptr<rate_limit::limiter> l, auth_options opts)
      : o(std::move(opts)),
        executor(s->get_executor()),
        sessions(std::move(ss)),
        limiter(std::move(l)),
        accounts(std::move(s), o.prefix, o.timeout),
        hasher(
            std::make_shared<detail::password_hasher>(o.hash_cost, o.hash_threads, o.hash_queue)),
        ip_policies{o.login_per_ip},
        email_policies{o.login_per_email} {}

  const auth_options o;
  const asio::any_io_executor executor;  // the store's: where the census runs
  const std::shared_ptr<session::store> sessions;
  const std::shared_ptr<rate_limit::limiter> limiter;
  detail::accounts accounts;
  const std::shared_ptr<detail::password_hasher> hasher;
  const std::vector<rate_limit::policy> ip_policies;
  const std::vector<rate_limit::policy> email_policies;
  auth_counters m;
  census_cache census;
};

using state_ptr = std::shared_ptr<auth_state>;

struct credentials {
  std::string email;
  std::string password;
};

/// {email, password} from the body; 400 naming the field for anything else.
credentials read_credentials(const request& req, bool registering) {
  const auto body = json_object_body(req);
  only_fields(body, {"email", "password"});
  const auto email = required_string(body, "email");
  auto password = required_string(body, "password", {}, 0, max_password_bytes);
  auto normal = detail::normalise_email(email);
  if (!normal) {
    detail::bad_request(
        fmt::format("email is not an address (at most {} bytes, one '@', no "
                    "blanks or any of \"(),:;<>[\\]{{}})",
                    detail::max_email_bytes));
  }
  if (registering && password.size() < min_password_bytes) {
    detail::bad_request(fmt::format("password must be at least {} bytes", min_password_bytes));
  }
  return {std::move(*normal), std::move(password)};
}

response unauthorized(const request& req, std::string_view detail) {
  response res{bhttp::status::unauthorized, req.version()};
  res.set(bhttp::field::content_type, session::problem_content_type);
  res.set(bhttp::field::www_authenticate, session::www_authenticate_challenge());
  res.body() = session::unauthorized_problem_json(detail);
  return res;
}

/// 429 for a spent login allowance: the reference's body fields and Retry-After (the
/// middleware then adds its tier's X-RateLimit-* fields, as on any response).
response too_many_attempts(const request& req, const rate_limit::decision& d,
                           std::span<const rate_limit::policy> policies) {
  response res{bhttp::status::too_many_requests, req.version()};
  res.set(bhttp::field::content_type, rate_limit::problem_content_type);
  res.body() = rate_limit::problem_json(
      d, fmt::format("too many login attempts ({}); retry later", d.policy));
  for (const auto& [name, value] :
       rate_limit::rate_limit_headers(d, policies, std::chrono::system_clock::now())) {
    if (name == "Retry-After") res.set(name, value);
  }
  return res;
}

asio::awaitable<response> register_user(state_ptr st, const request& req, request_context&) {
  auto c = read_credentials(req, true);
  detail::account a;
  a.id = redkit::detail::random_base64url(16);
  a.email = c.email;
  a.roles = st->o.default_roles;
  a.password_hash = co_await st->hasher->async_hash(std::move(c.password));
  const auto created = co_await st->accounts.async_create(a);
  if (!created) {
    ++st->m.conflicts;
    co_return problem(bhttp::status::conflict, "an account exists for this email", req.version());
  }
  ++st->m.registrations;
  const json::object out{{"user_id", a.id}, {"email", a.email}};
  co_return detail::json_value_response(bhttp::status::created, out, req.version());
}

/// Gives the live sessions of the account of `email` the details `u`, then reads the account
/// again and repeats with what it holds until the two agree (at most 4 rounds): two changes
/// racing (each an account write, then a sessions write) thus leave the sessions as the
/// account. Returns the sessions changed last and the details they have.
asio::awaitable<std::pair<std::size_t, session::user>> sync_sessions(state_ptr st,
                                                                     std::string email,
                                                                     session::user u) {
  std::size_t n = 0;
  for (int round = 0; round < 4; ++round) {
    n = co_await st->sessions->async_set_user(u);
    const auto now = co_await st->accounts.async_find(email);
    if (!now || now->id != u.id || now->user() == u) break;
    u = now->user();
  }
  co_return std::pair{n, std::move(u)};
}

// g++ 12 takes Asio's aligned frame allocation and its matching release for a mismatch here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<response> login(state_ptr st, const request& req, request_context& ctx) {
  auto c = read_credentials(req, false);
  const std::string ip = ctx.client_ip.empty() ? ctx.peer : ctx.client_ip;
  const auto ip_identity = rate_limit::identity_for_address(ip);
  const auto by_ip = co_await st->limiter->async_check(ip_identity, st->ip_policies);
  if (!by_ip.allowed) {
    ++st->m.limited;
    co_return too_many_attempts(req, by_ip, st->ip_policies);
  }
  const auto email_identity = "email:" + c.email;
  const auto by_email = co_await st->limiter->async_check(email_identity, st->email_policies);
  if (!by_email.allowed) {
    ++st->m.limited;
    co_return too_many_attempts(req, by_email, st->email_policies);
  }
  const auto found = co_await st->accounts.async_find(c.email);
  // An unknown email is checked against a dummy hash: it costs what a wrong password costs.
  std::string hash = found ? found->password_hash : std::string();
  const bool ok = co_await st->hasher->async_verify(std::move(hash), std::move(c.password));
  if (!ok) {
    ++st->m.failures;
    co_return unauthorized(req, "wrong email or password");
  }
  auto user = found->user();
  const auto device = session::device_id(req["X-Device-Id"]);
  const auto info = session::make_request_info(req[bhttp::field::user_agent],
                                               req[bhttp::field::accept_language], ip);
  const auto issued = co_await st->sessions->async_login(user, device, info);
  ++st->m.logins;
  // An account change (PATCH /v1/accounts) between the read above and the login gave the
  // other sessions the new details but not this one: read again, and bring them all level.
  const auto now = co_await st->accounts.async_find(c.email);
  if (now && now->id == user.id && now->user() != user) {
    user = (co_await sync_sessions(st, c.email, now->user())).second;
  }
  auto out = detail::issued_json(issued);
  out["user"] = detail::user_json(user);
  auto res = detail::json_value_response(bhttp::status::ok, out, req.version());
  res.set(bhttp::field::set_cookie, session::set_cookie(issued.token, issued.expires_at,
                                                        session::clock::now(), st->o.cookie));
  res.set(bhttp::field::cache_control, "no-store");
  co_return res;
}
#pragma GCC diagnostic pop

asio::awaitable<response> logout(state_ptr st, const request& req, request_context& ctx) {
  const auto current = *ctx.session;
  const bool ended = co_await st->sessions->async_revoke(current.user.id, current.id);
  const json::object out{{"ended", ended}};
  auto res = detail::json_value_response(bhttp::status::ok, out, req.version());
  res.set(bhttp::field::set_cookie, session::clear_cookie(st->o.cookie));
  co_return res;
}

asio::awaitable<response> logout_all(state_ptr st, const request& req, request_context& ctx) {
  const auto user_id = ctx.session->user.id;
  const auto n = co_await st->sessions->async_logout_all(user_id);
  const json::object out{{"ended", n}};
  auto res = detail::json_value_response(bhttp::status::ok, out, req.version());
  res.set(bhttp::field::set_cookie, session::clear_cookie(st->o.cookie));
  co_return res;
}

asio::awaitable<response> list_sessions(state_ptr st, const request& req, request_context& ctx) {
  const auto current = *ctx.session;
  const auto all = co_await st->sessions->async_list(current.user.id);
  json::array items;
  for (const auto& s : all) {
    auto o = detail::session_json(s, false);
    o["current"] = s.id == current.id;
    items.push_back(std::move(o));
  }
  const json::object out{{"sessions", std::move(items)}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

asio::awaitable<response> revoke_session(state_ptr st, const request& req, request_context& ctx) {
  const auto current = *ctx.session;
  const auto id = percent_decode(ctx.path_rest);
  bool revoked = false;
  if (id.find('/') == std::string::npos) {
    revoked = co_await st->sessions->async_revoke(current.user.id, id);
  }
  if (!revoked) {
    co_return problem(bhttp::status::not_found, "no live session " + id + " of yours",
                      req.version());
  }
  const json::object out{{"revoked", true}};
  auto res = detail::json_value_response(bhttp::status::ok, out, req.version());
  if (id == current.id) res.set(bhttp::field::set_cookie, session::clear_cookie(st->o.cookie));
  co_return res;
}

asio::awaitable<response> me(state_ptr, const request& req, request_context& ctx) {
  const auto& s = *ctx.session;
  const json::object out{{"user", detail::user_json(s.user)},
                         {"session", detail::session_json(s, false)}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

/// Most roles an account may have, and longest role name.
constexpr std::size_t max_roles = 32, max_role_bytes = 64;

/// PATCH /v1/accounts/{email}: sets roles and/or premium, then gives every live session of the
/// account the new details.
asio::awaitable<response> update_account(state_ptr st, const request& req, request_context& ctx) {
  const auto email = detail::normalise_email(percent_decode(ctx.path_rest));
  if (!email) detail::bad_request("the path does not end in an email address");
  const auto body = json_object_body(req);
  only_fields(body, {"roles", "premium"});
  auto roles = detail::optional_strings(body, "roles", {}, 0, max_roles, 1, max_role_bytes);
  const auto premium = detail::optional_bool(body, "premium");
  if (!roles && !premium) detail::bad_request("nothing to change: give roles, premium or both");
  const auto a = co_await st->accounts.async_update(*email, std::move(roles), premium);
  if (!a) co_return problem(bhttp::status::not_found, "no account for this email", req.version());
  const auto [n, user] = co_await sync_sessions(st, *email, a->user());
  const json::object out{{"user", detail::user_json(user)}, {"sessions_updated", n}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

/// Starts a census unless one runs or the last one is younger than the interval (0: never).
void refresh_census(const state_ptr& st) {
  const auto interval = st->o.census_interval;
  if (interval.count() == 0) return;
  {
    std::lock_guard lock(st->census.mu);
    const auto now = std::chrono::steady_clock::now();
    if (st->census.running || (st->census.tried != std::chrono::steady_clock::time_point{} &&
                               now - st->census.tried < interval)) {
      return;
    }
    st->census.running = true;
  }
  asio::co_spawn(
      st->executor,
      [st]() -> asio::awaitable<void> {
        std::optional<session::session_census> c;
        try {
          c = co_await st->sessions->async_census();
        } catch (const std::exception&) {  // counted; the next scrape after the interval retries
        }
        std::lock_guard lock(st->census.mu);
        st->census.running = false;
        st->census.tried = std::chrono::steady_clock::now();
        if (c) {
          st->census.last = c;
          st->census.done = st->census.tried;
        } else {
          ++st->census.failures;
        }
      },
      asio::detached);
}

/// The census gauges (none before the first census has ended) and its failures.
std::string census_prometheus(auth_state& st) {
  std::lock_guard lock(st.census.mu);
  std::string out = fmt::format(
      "# HELP redkit_session_census_failures_total Session censuses that failed on the store.\n"
      "# TYPE redkit_session_census_failures_total counter\n"
      "redkit_session_census_failures_total {}\n",
      st.census.failures);
  if (!st.census.last) return out;
  const auto age =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - st.census.done).count();
  out += fmt::format(
      "# HELP redkit_session_users Users with sessions stored (census).\n"
      "# TYPE redkit_session_users gauge\n"
      "redkit_session_users {}\n"
      "# HELP redkit_session_stored Sessions stored (census): the live ones, and dead ones not "
      "yet pruned.\n"
      "# TYPE redkit_session_stored gauge\n"
      "redkit_session_stored {}\n"
      "# HELP redkit_session_census_age_seconds How old the census above is.\n"
      "# TYPE redkit_session_census_age_seconds gauge\n"
      "redkit_session_census_age_seconds {:.3f}\n",
      st.census.last->users, st.census.last->sessions, age);
  return out;
}

std::string prometheus(const state_ptr& ptr) {
  refresh_census(ptr);
  const auto& st = *ptr;
  const auto sm = st.sessions->metrics();
  std::string out;
  const auto counter = [&](std::string_view name, std::string_view help, std::uint64_t v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v);
  };
  counter("redkit_session_logins_total", "Sessions created.", sm.logins);
  counter("redkit_session_replaced_total", "Sessions replaced by a new login on their device.",
          sm.replaced);
  counter("redkit_session_evicted_total", "Sessions evicted by the per-user cap.", sm.evicted);
  counter("redkit_session_validations_total", "Tokens validated.", sm.validations);
  counter("redkit_session_valid_total", "Validations that found a live session.", sm.valid);
  counter("redkit_session_expired_total", "Validations that found the session timed out.",
          sm.expired);
  counter("redkit_session_fingerprint_mismatches_total",
          "Validations whose request fingerprint differed.", sm.fingerprint_mismatches);
  counter("redkit_session_touches_total", "Last-access writes.", sm.touches);
  counter("redkit_session_logouts_total", "Sessions ended by logout, logout-all or revoke.",
          sm.logouts);
  counter("redkit_session_rotations_total", "Tokens rotated.", sm.rotations);
  counter("redkit_session_store_errors_total", "Session store calls that failed.", sm.store_errors);
  counter("redkit_auth_registrations_total", "Accounts created.", st.m.registrations);
  counter("redkit_auth_registration_conflicts_total",
          "Registrations refused because the email has an account.", st.m.conflicts);
  counter("redkit_auth_logins_total", "Logins with the right password.", st.m.logins);
  counter("redkit_auth_login_failures_total", "Logins refused: unknown email or wrong password.",
          st.m.failures);
  counter("redkit_auth_login_rate_limited_total",
          "Login attempts refused by the per-email or per-address limit.", st.m.limited);
  counter("redkit_auth_password_hash_rejected_total",
          "Registrations and logins refused because the password-hash queue was full.",
          st.hasher->rejected());
  out += fmt::format(
      "# HELP redkit_auth_password_hashes_pending Password hashes running or waiting.\n"
      "# TYPE redkit_auth_password_hashes_pending gauge\n"
      "redkit_auth_password_hashes_pending {}\n",
      st.hasher->pending());
  return out + census_prometheus(*ptr);
}

using handler_fn = asio::awaitable<response> (*)(state_ptr, const request&, request_context&);

handler route_to(const state_ptr& st, handler_fn f) {
  return [st, f](const request& req, request_context& ctx) { return f(st, req, ctx); };
}

}  // namespace

std::function<std::string()> add_auth_api(router& r, std::shared_ptr<store> s,
                                          std::shared_ptr<session::store> sessions,
                                          std::shared_ptr<rate_limit::limiter> limiter,
                                          const middleware& chain, const api_keys& keys,
                                          auth_options options) {
  const auto invalid = [](std::string what) {
    return error(make_error_code(errc::invalid_argument), "auth: " + what);
  };
  if (!s || !sessions || !limiter) throw invalid("needs a store, a session store and a limiter");
  rate_limit::validate(options.login_per_email);
  rate_limit::validate(options.login_per_ip);
  if (options.login_per_email.name == options.login_per_ip.name) {
    throw invalid("the login limits need two policy names");
  }
  session::validate(options.cookie);
  auto st = std::make_shared<auth_state>(std::move(s), std::move(sessions), std::move(limiter),
                                         std::move(options));
  r.add(bhttp::verb::post, "/auth/register", chain.wrap(route_to(st, register_user)));
  r.add(bhttp::verb::post, "/auth/login", chain.wrap(route_to(st, login)));
  r.add(bhttp::verb::post, "/auth/logout", chain.wrap(route_to(st, logout), true));
  r.add(bhttp::verb::post, "/auth/logout-all", chain.wrap(route_to(st, logout_all), true));
  r.add(bhttp::verb::get, "/auth/sessions", chain.wrap(route_to(st, list_sessions), true));
  r.add_prefix(bhttp::verb::delete_, "/auth/sessions/",
               chain.wrap(route_to(st, revoke_session), true));
  r.add(bhttp::verb::get, "/api/me", chain.wrap(route_to(st, me), true));
  r.add_prefix(bhttp::verb::patch, "/v1/accounts/", keys.guard(route_to(st, update_account)));
  // Hashes still running when the server's threads are gone finish now, into stopped contexts.
  r.on_stopped([hasher = st->hasher] { hasher->stop(); });
  return [st] { return prometheus(st); };
}

}  // namespace redkit::http
