// See auth_json.hpp.
#include "http/auth_json.hpp"

#include "script_reply.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>

namespace redkit::http::detail {

namespace json = boost::json;
using redkit::detail::unix_ms;

json::object user_json(const session::user& u) {
  json::array roles;
  for (const auto& r : u.roles) roles.emplace_back(r);
  return json::object{
      {"id", u.id}, {"email", u.email}, {"roles", std::move(roles)}, {"premium", u.premium}};
}

json::object session_json(const session::session& s, bool with_user) {
  json::object o{{"id", s.id},
                 {"device", s.device},
                 {"created", unix_ms(s.created)},
                 {"last_access", unix_ms(s.last_access)},
                 {"expires_at", unix_ms(s.expires_at)},
                 {"user_agent", s.user_agent},
                 {"ip", s.ip}};
  if (with_user) {
    o["user"] = user_json(s.user);
    o["fingerprint_mismatch"] = s.fingerprint_mismatch;
  }
  return o;
}

json::object issued_json(const session::issued& i) {
  return json::object{{"token", i.token},
                      {"session_id", i.session_id},
                      {"device", i.device},
                      {"expires_at", unix_ms(i.expires_at)}};
}

response json_value_response(bhttp::status status, const json::value& v, unsigned version) {
  return json_response(status, json::serialize(v), version);
}

}  // namespace redkit::http::detail
