// The reference's middleware chain for `redkit serve`: the session middleware (Bearer token or
// session cookie), then the tiered rate-limit middleware (anonymous → client IP, authenticated →
// user id, premium → the premium tier, plus the policies of the longest matching route prefix)
// with its headers on every response and 429 problem+json when denied, and require_auth (401).
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/rate_limit_http.hpp>
#include <redkit/rate_limiter.hpp>
#include <redkit/session_http.hpp>
#include <redkit/session_store.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http {

/// Extra rate-limit policies for the paths that start with one prefix. They are checked in the
/// same atomic check as the tier's: a request is denied when any policy denies it, and then
/// nothing is consumed.
struct route_policies {
  /// Compared with the start of the request's path (no query): "/api/search/" covers the paths
  /// under it, "/api/ping" that path (and any longer one that starts with it). When several
  /// routes match, the longest prefix wins. Must start with '/'.
  std::string prefix;
  /// For every tier, unless `tiers` names the request's tier.
  std::vector<rate_limit::policy> policies;
  /// By tier name (anonymous, authenticated, premium): these instead of `policies` (an empty
  /// list: no extra policy for that tier on this route).
  std::map<std::string, std::vector<rate_limit::policy>, std::less<>> tiers;
};

/// Reads the `[[routes]]` array of TOML text (other tables are ignored):
///
///     [[routes]]
///     prefix = "/api/search/"
///     policies = [ { limit = 10, window = "1m" } ]
///     tiers.premium = [ { limit = 100, window = "1m" } ]   # optional, per tier
///
/// Policies have the keys of a tier's (name, algorithm, limit, window, burst, cost, shadow); an
/// unnamed one is named after its route: "route" and the prefix with each run of characters
/// outside [A-Za-z0-9_-] as one '.' (no trailing '.'), then ".<tier>" for a tier's list, then
/// "-<n>" from its second policy on ("/api/search/" → "route.api.search"). Policies of the same
/// name and algorithm share their counts, across routes too. `source` names the text in
/// messages. Throws redkit::error(errc::invalid_argument) naming the position of what is wrong
/// (unknown key, bad value, repeated prefix, missing policies).
std::vector<route_policies> load_routes_toml(std::string_view text, const std::string& source = {});
/// Same, from a file (errc::invalid_argument also when it cannot be read).
std::vector<route_policies> load_routes_toml_file(const std::filesystem::path& file);

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
  /// Policies per route prefix, on top of the tier's. Default: none.
  std::vector<route_policies> routes;
};

class middleware {
 public:
  /// Throws redkit::error(errc::invalid_argument) when a tier the middleware uses is missing,
  /// the cookie options are invalid, or a route is (a prefix not starting with '/' or given
  /// twice, a tier other than the three, a bad policy, or a policy name that one check would
  /// hold twice with the tier's).
  middleware(std::shared_ptr<session::store> sessions, std::shared_ptr<rate_limit::limiter> limiter,
             middleware_options options = {});

  /// `h` behind the chain. Sessions that cannot be checked (store down) answer 503; without a
  /// session a `require_auth` route answers 401 with WWW-Authenticate; a denied request
  /// answers 429 (Retry-After, the reference's body fields) and never reaches `h`.
  handler wrap(handler h, bool require_auth = false) const;

  /// The tiers it limits by.
  const rate_limit::tier_set& tiers() const noexcept;

  struct state;  ///< (the implementation's)

 private:
  std::shared_ptr<const state> state_;
};

}  // namespace redkit::http
