// The reference's middleware chain for `redkit serve`: the session middleware (Bearer token or
// session cookie), then the tiered rate-limit middleware (anonymous → client IP, authenticated →
// user id, premium → the premium tier) with its headers on every response and 429
// problem+json when denied, and require_auth (401).
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/rate_limit_http.hpp>
#include <redkit/rate_limiter.hpp>
#include <redkit/session_http.hpp>
#include <redkit/session_store.hpp>

#include <memory>

namespace redkit::http {

struct middleware_options {
  /// Tiers by name; the middleware uses `anonymous`, `authenticated` and `premium` (the
  /// reference's by default).
  rate_limit::tier_set tiers;
  /// Proxies whose X-Forwarded-For is believed. Default: none.
  rate_limit::proxy_trust trusted_proxies;
  rate_limit::identity_options identity;
  rate_limit::header_options headers;
  /// The session cookie. Default development_cookie() (plain HTTP: no Secure, no __Host-).
  session::cookie_options cookie = session::development_cookie();
};

class middleware {
 public:
  /// Throws redkit::error(errc::invalid_argument) when a tier the middleware uses is missing
  /// or the cookie options are invalid.
  middleware(std::shared_ptr<session::store> sessions, std::shared_ptr<rate_limit::limiter> limiter,
             middleware_options options = {});

  /// `h` behind the chain. Sessions that cannot be checked (store down) answer 503; without a
  /// session a `require_auth` route answers 401 with WWW-Authenticate; a denied request
  /// answers 429 (Retry-After, the reference's body fields) and never reaches `h`.
  handler wrap(handler h, bool require_auth = false) const;

  struct state;  ///< (the implementation's)

 private:
  std::shared_ptr<const state> state_;
};

}  // namespace redkit::http
