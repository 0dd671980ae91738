// The service API of `redkit serve` under /v1 (JSON), one add_* per pattern, and the JSON
// body helpers its handlers share.
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/store.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http {

/// The API keys of the service API. With none, /v1 is open (bind to loopback, or put it
/// behind a proxy that authenticates); with some, a /v1 request must carry
/// `Authorization: Bearer <one of them>` or gets 401.
class api_keys {
 public:
  api_keys() = default;
  /// Throws redkit::error(errc::invalid_argument) for a key under 16 or over 256 bytes.
  explicit api_keys(const std::vector<std::string>& keys);
  bool empty() const noexcept { return digests_.empty(); }
  /// Whether `key` is one of them (compared in constant time, by digest).
  bool contains(std::string_view key) const noexcept;
  /// `h` behind the check.
  handler guard(handler h) const;

 private:
  std::vector<std::string> digests_;
};

/// The body of `req` as a JSON object. Throws problem_error: 415 unless the Content-Type is
/// application/json, 400 for malformed JSON or anything but an object.
boost::json::object json_object_body(const request& req);

/// `s` percent-decoded (RFC 3986). Throws problem_error 400 for a malformed escape.
std::string percent_decode(std::string_view s);

/// The OpenAPI 3 document of every endpoint of `redkit serve` (docs/openapi.json, embedded at
/// build time).
std::string_view openapi_document() noexcept;

/// The cache API, on caches named in the path (at most 64 names, created on first use):
/// - `GET /v1/cache/{name}/keys/{key}` → 200 {"key","value","encoding"} or 404; encoding is
///   "utf-8" when the value's bytes are UTF-8 text, else "base64" (value is their base64);
/// - `PUT /v1/cache/{name}/keys/{key}` with {"value": string, "encoding"?: "utf-8"|"base64",
///   "ttl_ms"?, "tags"?: [string], "stale_while_revalidate_ms"?, "stale_if_error_ms"?} → 204;
/// - `DELETE /v1/cache/{name}/keys/{key}` → 200 {"deleted": bool};
/// - `DELETE /v1/cache/{name}/tags/{tag}` → 200 {"deleted": count}.
/// Keys and tags are percent-decoded. Bad input answers 400 naming the field.
/// Returns what /metrics adds for these caches (Prometheus text: hits by level, misses, loads,
/// hit ratio, store errors, breaker state, L1 size, per cache name).
std::function<std::string()> add_cache_api(router& r, std::shared_ptr<store> s,
                                           const api_keys& keys);

}  // namespace redkit::http
