// JSON shared by the account endpoints and the /v1 session API: strict reading of request
// fields (400 naming the field), and sessions, users and issued tokens as JSON (times in Unix
// milliseconds).
// Thread-safety: pure functions.
#pragma once

#include <redkit/http_server.hpp>
#include <redkit/session_store.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace redkit::http::detail {

/// Throws problem_error 400 naming the first field of `o` not in `allowed` (`where` prefixes
/// the name, e.g. "user.").
void only_fields(const boost::json::object& o, std::initializer_list<std::string_view> allowed,
                 std::string_view where = {});
/// The string field `name`, or nothing when absent. Throws problem_error 400 naming it when it
/// is not a string.
std::optional<std::string> optional_string(const boost::json::object& o, std::string_view name,
                                           std::string_view where = {});
/// The string field `name`. Throws problem_error 400 naming it when it is absent or not a
/// string.
std::string required_string(const boost::json::object& o, std::string_view name,
                            std::string_view where = {});

/// `t` in milliseconds since the Unix epoch.
std::int64_t unix_ms(session::clock::time_point t);
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
