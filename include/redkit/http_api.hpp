// The service API of `redkit serve` under /v1 (JSON), one add_* per pattern, and the JSON
// body helpers its handlers share.
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/store.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace redkit::http {

/// The body of `req` as a JSON object. Throws problem_error: 415 unless the Content-Type is
/// application/json, 400 for malformed JSON or anything but an object.
boost::json::object json_object_body(const request& req);

/// `s` percent-decoded (RFC 3986). Throws problem_error 400 for a malformed escape.
std::string percent_decode(std::string_view s);

/// The cache API, on caches named in the path (at most 64 names, created on first use):
/// - `GET /v1/cache/{name}/keys/{key}` → 200 {"key","value"} or 404;
/// - `PUT /v1/cache/{name}/keys/{key}` with {"value": string, "ttl_ms"?, "tags"?: [string],
///   "stale_while_revalidate_ms"?, "stale_if_error_ms"?} → 204;
/// - `DELETE /v1/cache/{name}/keys/{key}` → 200 {"deleted": bool};
/// - `DELETE /v1/cache/{name}/tags/{tag}` → 200 {"deleted": count}.
/// Keys and tags are percent-decoded. Bad input answers 400 naming the field.
void add_cache_api(router& r, std::shared_ptr<store> s);

}  // namespace redkit::http
