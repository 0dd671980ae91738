// The rate-limit part of the /v1 service API of `redkit serve`: checks and resets of any
// identity against policies given in the request or a configured tier, decided by the server's
// own limiter (so its breaker, failure mode, shield and metrics are shared with the middleware).
#pragma once

#include <redkit/http_api.hpp>
#include <redkit/rate_limit_http.hpp>
#include <redkit/rate_limiter.hpp>

#include <memory>

namespace redkit::http {

/// Registers, behind `keys`:
/// - `POST /v1/ratelimit/check` {"identity", "policies": [{"name", "algorithm"?, "limit",
///   "window" ("1m", "250ms"), "burst"?, "cost"?, "shadow"?}] or "tier": NAME, "cost"?} →
///   200 with the decision {"allowed", "limit", "remaining", "reset_after_ms",
///   "retry_after_ms", "policy", "source", "policies": [...]} and the rate-limit header fields
///   (a denial is a value: 200 with "allowed": false);
/// - `POST /v1/ratelimit/reset` {"identity", "policies" or "tier"} → 204.
/// Identities are 1-512 bytes without control characters or braces, and share the limiter's
/// keys with the middleware's (`ip:...`, `user:...`). At most 16 policies per request, and at
/// most 1024 distinct policy names given over the API (each is a metrics series). Bad input
/// answers 400 naming the field. `tiers` are the server's (a copy).
void add_ratelimit_api(router& r, std::shared_ptr<rate_limit::limiter> limiter,
                       rate_limit::tier_set tiers, const api_keys& keys,
                       rate_limit::header_options headers = {});

}  // namespace redkit::http
