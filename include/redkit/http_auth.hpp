// Accounts and sessions over HTTP for `redkit serve`: the end-user endpoints (register, login
// with per-email and per-IP attempt limits, logout, logout-all, the user's sessions, /api/me)
// behind the session and rate-limit middleware, and the /v1 session service API (create,
// validate, list, revoke, logout-all) behind the API keys. Accounts live on the store, one hash
// per normalised email; passwords are argon2id hashes (libsodium) computed on a small bounded
// thread pool, off the server's I/O threads.
// Thread-safety: the handlers these functions register may run on any number of threads.
#pragma once

#include <redkit/http_api.hpp>
#include <redkit/http_middleware.hpp>
#include <redkit/http_server.hpp>
#include <redkit/rate_limiter.hpp>
#include <redkit/session_http.hpp>
#include <redkit/session_store.hpp>
#include <redkit/store.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http {

/// How much work and memory one argon2id password hash takes (libsodium's limits).
enum class password_cost {
  min,          ///< libsodium's minimum (1 pass, 8 KiB): tests and development only
  interactive,  ///< 2 passes, 64 MiB: online logins (the default)
  moderate,     ///< 3 passes, 256 MiB
  sensitive,    ///< 4 passes, 1 GiB
};
/// "min", "interactive", "moderate", "sensitive".
std::string_view to_string(password_cost c) noexcept;
/// Parses the names above; nothing for an unknown name.
std::optional<password_cost> parse_password_cost(std::string_view name) noexcept;

struct auth_options {
  /// First part of the account keys: `<prefix>:user:{<email>}:account`. Default "rk".
  std::string prefix = "rk";
  /// Deadline of each account read or write on the store. Default 1 s.
  std::chrono::milliseconds timeout{1000};
  /// The cost of each password hash (and verification of a new hash). Default interactive.
  password_cost hash_cost = password_cost::interactive;
  /// Threads that hash passwords: at most this many hashes run at once, so memory stays within
  /// threads × the cost's memory. Default 2.
  unsigned hash_threads = 2;
  /// Hashes that may wait for a thread; beyond, register and login answer 503 with
  /// Retry-After. Default 64.
  std::size_t hash_queue = 64;
  /// Login attempts (successful or not) per normalised email, checked before the password.
  /// Default 5 per 15 minutes (sliding log), policy name "login_email".
  rate_limit::policy login_per_email = rate_limit::parse_rate("login_email", "5/15m");
  /// Login attempts per client address (the anonymous tier's identity). Default 50 per 15
  /// minutes (sliding log), policy name "login_ip".
  rate_limit::policy login_per_ip = rate_limit::parse_rate("login_ip", "50/15m");
  /// The session cookie login sets and logout clears: the middleware's cookie options.
  /// Default development_cookie(), as the middleware's.
  session::cookie_options cookie = session::development_cookie();
  /// Roles a new account gets. Default {"user"}.
  std::vector<std::string> default_roles{"user"};
  /// How old the session census in /metrics (redkit_session_users, redkit_session_stored) may
  /// grow: a scrape that finds it older, or none, starts a new one in the background (the
  /// scrape reports the last one, so the first scrape has none). A census is a SCAN of the
  /// store's keys, so none runs before /metrics is read; zero: no census. Default 1 minute.
  std::chrono::milliseconds census_interval{60000};
};

/// The end-user endpoints, each behind `chain` (session, then the tiered rate limit):
/// - `POST /auth/register` {email, password} → 201 {user_id, email}; 409 for a taken email;
/// - `POST /auth/login` {email, password} → 200 {token, session_id, device, expires_at, user}
///   and the session cookie; 401 (one body for an unknown email and a wrong password); 429
///   when the email's or the address's attempts are spent;
/// - `POST /auth/logout`, `POST /auth/logout-all` (→ {ended}), `GET /auth/sessions`,
///   `DELETE /auth/sessions/{id}` (404 when not live) and `GET /api/me`, which need a session
///   (401 without);
/// - behind `keys` (the service API): `PATCH /v1/accounts/{email}` {roles?, premium?} (at least
///   one) → 200 {user, sessions_updated}: the account's new roles and premium flag, which
///   every live session of the account then carries (so the rate limit's tier follows at once);
///   404 when the email has no account.
/// `sessions` should be the middleware's own store, so its counters cover every validation.
/// Throws redkit::error(errc::invalid_argument) for bad options. Returns what /metrics adds:
/// the session store's counters and the accounts' (registrations, logins, failures, limited
/// attempts, password-hash queue), and the session census (options::census_interval), in
/// Prometheus text.
std::function<std::string()> add_auth_api(router& r, std::shared_ptr<store> s,
                                          std::shared_ptr<session::store> sessions,
                                          std::shared_ptr<rate_limit::limiter> limiter,
                                          const middleware& chain, const api_keys& keys,
                                          auth_options options = {});

/// The session service API, behind `keys`:
/// - `POST /v1/sessions` {user:{id, email?, roles?, premium?}, device?, user_agent?,
///   accept_language?, ip?} → 201 {token, session_id, device, expires_at, replaced, evicted};
/// - `POST /v1/sessions/validate` {token, user_agent?, accept_language?, ip?} → 200 the session,
///   or 404 when the token names no live session;
/// - `GET /v1/users/{id}/sessions` → {sessions}; `DELETE /v1/users/{id}/sessions` → {ended};
///   `DELETE /v1/users/{id}/sessions/{session id}` → {revoked: true}, or 404 when not live;
/// - `PUT /v1/users/{id}` {email?, roles?, premium?} → {updated}: every live session of the
///   user carries these details from then on (absent fields: empty, none, false).
/// Path parts are percent-decoded. Bad input answers 400 naming the field.
void add_session_api(router& r, std::shared_ptr<session::store> sessions, const api_keys& keys);

}  // namespace redkit::http
