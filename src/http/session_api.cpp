// /v1/sessions, /v1/users/{id} and /v1/users/{id}/sessions: the session store over HTTP for
// services in any language (see http_auth.hpp).
#include <redkit/error.hpp>
#include <redkit/http_auth.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <fmt/core.h>

#include "http/auth_json.hpp"
#include "http/request_fields.hpp"

namespace redkit::http {
namespace {

namespace json = boost::json;
using detail::bad_request;
using detail::only_fields;
using detail::optional_string;
using detail::required_string;

using store_ptr = std::shared_ptr<session::store>;

constexpr std::size_t max_user_id_bytes = 512;
constexpr std::size_t max_device_bytes = 256;

/// The user details of `o` but its id: email, roles, premium (each optional), fields named
/// after `where`.
void read_details(const json::object& o, std::string_view where, session::user& u) {
  u.email = optional_string(o, "email", where).value_or("");
  if (auto roles = detail::optional_strings(o, "roles", where)) u.roles = std::move(*roles);
  u.premium = detail::optional_bool(o, "premium", where).value_or(u.premium);
}

session::user read_user(const json::object& body) {
  const auto& o = detail::required_object(body, "user");
  only_fields(o, {"id", "email", "roles", "premium"}, "user.");
  session::user u;
  u.id = required_string(o, "id", "user.", 1, max_user_id_bytes);
  read_details(o, "user.", u);
  return u;
}

session::request_info read_info(const json::object& body) {
  const auto ua = optional_string(body, "user_agent").value_or("");
  const auto lang = optional_string(body, "accept_language").value_or("");
  const auto ip = optional_string(body, "ip").value_or("");
  return session::make_request_info(ua, lang, ip);
}

asio::awaitable<response> create(store_ptr sessions, const request& req, request_context&) {
  const auto body = json_object_body(req);
  only_fields(body, {"user", "device", "user_agent", "accept_language", "ip"});
  const auto user = read_user(body);
  const auto device = optional_string(body, "device", {}, 0, max_device_bytes).value_or("");
  const auto info = read_info(body);
  const auto issued = co_await sessions->async_login(user, device, info);
  auto out = detail::issued_json(issued);
  if (issued.replaced.empty()) {
    out["replaced"] = nullptr;
  } else {
    out["replaced"] = issued.replaced;
  }
  json::array evicted;
  for (const auto& id : issued.evicted) evicted.emplace_back(id);
  out["evicted"] = std::move(evicted);
  co_return detail::json_value_response(bhttp::status::created, out, req.version());
}

asio::awaitable<response> validate(store_ptr sessions, const request& req, request_context&) {
  const auto body = json_object_body(req);
  only_fields(body, {"token", "user_agent", "accept_language", "ip"});
  const auto token = required_string(body, "token");
  const auto info = read_info(body);
  const auto s = co_await sessions->async_validate(token, info);
  if (!s) {
    co_return problem(bhttp::status::not_found, "the token names no live session", req.version());
  }
  co_return detail::json_value_response(bhttp::status::ok, detail::session_json(*s, true),
                                        req.version());
}

/// "{id}/sessions" or "{id}/sessions/{session id}", decoded; 404 for anything else.
struct user_path {
  std::string user_id;
  std::optional<std::string> session_id;
};

user_path parse_user_path(std::string_view rest) {
  const auto slash = rest.find('/');
  const auto tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  const bool whole = tail == "sessions";
  const bool one = tail.starts_with("sessions/") && tail.size() > 9 &&
                   tail.find('/', 9) == std::string_view::npos;
  if (slash == 0 || (!whole && !one)) {
    throw problem_error(bhttp::status::not_found,
                        "expected /v1/users/{id}/sessions or /v1/users/{id}/sessions/{session id}");
  }
  user_path p{percent_decode(rest.substr(0, slash)), std::nullopt};
  if (one) p.session_id = percent_decode(tail.substr(9));
  if (p.user_id.empty() || p.user_id.size() > max_user_id_bytes) {
    bad_request(fmt::format("the user id must be 1 to {} bytes", max_user_id_bytes));
  }
  return p;
}

asio::awaitable<response> list(store_ptr sessions, const request& req, request_context& ctx) {
  const auto p = parse_user_path(ctx.path_rest);
  if (p.session_id) {
    auto res = problem(bhttp::status::method_not_allowed,
                       "a single session can only be revoked (DELETE)", req.version());
    res.set(bhttp::field::allow, "DELETE");
    co_return res;
  }
  const auto all = co_await sessions->async_list(p.user_id);
  json::array items;
  for (const auto& s : all) items.push_back(detail::session_json(s, true));
  const json::object out{{"sessions", std::move(items)}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

asio::awaitable<response> remove(store_ptr sessions, const request& req, request_context& ctx) {
  const auto p = parse_user_path(ctx.path_rest);
  if (!p.session_id) {
    const auto n = co_await sessions->async_logout_all(p.user_id);
    const json::object out{{"ended", n}};
    co_return detail::json_value_response(bhttp::status::ok, out, req.version());
  }
  const bool revoked = co_await sessions->async_revoke(p.user_id, *p.session_id);
  if (!revoked) {
    co_return problem(bhttp::status::not_found,
                      "no live session " + *p.session_id + " of this user", req.version());
  }
  const json::object out{{"revoked", true}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

/// PUT /v1/users/{id} {email?, roles?, premium?}: the user details of every live session of
/// the user become these (absent fields: empty, none, false).
asio::awaitable<response> set_user(store_ptr sessions, const request& req, request_context& ctx) {
  if (ctx.path_rest.find('/') != std::string::npos) {
    throw problem_error(bhttp::status::not_found, "expected /v1/users/{id}");
  }
  session::user u;
  u.id = percent_decode(ctx.path_rest);
  if (u.id.size() > max_user_id_bytes) {
    bad_request(fmt::format("the user id must be 1 to {} bytes", max_user_id_bytes));
  }
  const auto body = json_object_body(req);
  only_fields(body, {"email", "roles", "premium"});
  read_details(body, {}, u);
  const auto n = co_await sessions->async_set_user(u);
  const json::object out{{"updated", n}};
  co_return detail::json_value_response(bhttp::status::ok, out, req.version());
}

using handler_fn = asio::awaitable<response> (*)(store_ptr, const request&, request_context&);

handler route_to(const store_ptr& sessions, handler_fn f) {
  return [sessions, f](const request& req, request_context& ctx) { return f(sessions, req, ctx); };
}

}  // namespace

void add_session_api(router& r, std::shared_ptr<session::store> sessions, const api_keys& keys) {
  if (!sessions) {
    throw error(make_error_code(errc::invalid_argument), "the session API needs a session store");
  }
  r.add(bhttp::verb::post, "/v1/sessions", keys.guard(route_to(sessions, create)));
  r.add(bhttp::verb::post, "/v1/sessions/validate", keys.guard(route_to(sessions, validate)));
  r.add_prefix(bhttp::verb::get, "/v1/users/", keys.guard(route_to(sessions, list)));
  r.add_prefix(bhttp::verb::delete_, "/v1/users/", keys.guard(route_to(sessions, remove)));
  r.add_prefix(bhttp::verb::put, "/v1/users/", keys.guard(route_to(sessions, set_user)));
}

}  // namespace redkit::http
