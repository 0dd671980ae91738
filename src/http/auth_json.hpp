// JSON output shared by the account endpoints and the /v1 session API: sessions, users and
// issued tokens as JSON (times in Unix milliseconds).
// Thread-safety: pure functions.
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/session_store.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>

namespace redkit::http::detail {

/// {id, email, roles, premium}.
boost::json::object user_json(const session::user& u);
/// {id, device, created, last_access, expires_at, user_agent, ip} and, when `with_user`,
/// user and fingerprint_mismatch.
boost::json::object session_json(const session::session& s, bool with_user);
/// {token, session_id, device, expires_at}.
boost::json::object issued_json(const session::issued& i);
/// An application/json response of `v`.
response json_value_response(bhttp::status status, const boost::json::value& v, unsigned version);

}  // namespace redkit::http::detail
