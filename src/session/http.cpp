// Framework-free HTTP helpers of session authentication: the session cookie, bearer tokens,
// device ids, the middleware step and the 401 answer.
#include <redkit/error.hpp>
#include <redkit/session_http.hpp>

#include "http_text.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace redkit::session {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw error(make_error_code(errc::invalid_argument), what);
}

using detail::is_blank;
using detail::trim;

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 6265 §4.1.1: token (RFC 2616 §2.2), any CHAR except CTLs and separators.
bool is_token_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) ==
         std::string_view::npos;
}

// RFC 6265 §4.1.1: cookie-octet, US-ASCII except CTLs, whitespace, DQUOTE, comma, semicolon
// and backslash.
bool is_cookie_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

// RFC 6750 §2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_token68(std::string_view s) {
  auto is_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  auto end = s.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  auto body = s.substr(0, end + 1);
  return std::all_of(body.begin(), body.end(), is_char);
}

template <typename Pred>
bool all_bytes(std::string_view s, Pred pred) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return pred(static_cast<unsigned char>(c)); });
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    auto a = static_cast<unsigned char>(s[i]);
    auto b = static_cast<unsigned char>(prefix[i]);
    if (a >= 'A' && a <= 'Z') a = static_cast<unsigned char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<unsigned char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

std::string_view same_site_name(same_site_policy p) {
  switch (p) {
    case same_site_policy::strict:
      return "Strict";
    case same_site_policy::none:
      return "None";
    case same_site_policy::lax:
      break;
  }
  return "Lax";
}

void append_two_digits(std::string& out, unsigned n) {
  out += static_cast<char>('0' + n / 10 % 10);
  out += static_cast<char>('0' + n % 10);
}

// RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", of whole seconds since the
// Unix epoch.
std::string imf_fixdate(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  static constexpr std::array<std::string_view, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = floor<std::chrono::days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  std::string out(days[weekday{day}.c_encoding()]);
  out += ", ";
  append_two_digits(out, static_cast<unsigned>(ymd.day()));
  out += ' ';
  out += months[static_cast<unsigned>(ymd.month()) - 1];
  out += ' ';
  auto year = static_cast<int>(ymd.year());
  auto year_text = std::to_string(year < 0 ? 0 : year);
  if (year_text.size() < 4) out.append(4 - year_text.size(), '0');
  out += year_text;
  out += ' ';
  append_two_digits(out, static_cast<unsigned>(hms.hours().count()));
  out += ':';
  append_two_digits(out, static_cast<unsigned>(hms.minutes().count()));
  out += ':';
  append_two_digits(out, static_cast<unsigned>(hms.seconds().count()));
  out += " GMT";
  return out;
}

// `name=value` then every attribute of `options` but the lifetime ones, which go in between.
std::string build_cookie(const cookie_options& options, std::string_view value,
                         std::optional<std::pair<std::int64_t, std::chrono::sys_seconds>> life) {
  std::string out = options.name;
  out += '=';
  out += value;
  if (!options.path.empty()) {
    out += "; Path=";
    out += options.path;
  }
  if (!options.domain.empty()) {
    out += "; Domain=";
    out += options.domain;
  }
  if (life) {
    out += "; Max-Age=";
    out += std::to_string(life->first);
    out += "; Expires=";
    out += imf_fixdate(life->second);
  }
  if (options.secure) out += "; Secure";
  if (options.http_only) out += "; HttpOnly";
  out += "; SameSite=";
  out += same_site_name(options.same_site);
  return out;
}

}  // namespace

void validate(const cookie_options& options) {
  const auto& name = options.name;
  if (name.empty()) invalid("cookie_options: empty cookie name");
  if (!all_bytes(name, is_token_char))
    invalid(
        "cookie_options: the cookie name must be an RFC 6265 token (visible ASCII without "
        "separators such as ()<>@,;:\\\"/[]?={})");
  if (iequals_prefix(name, "__Host-")) {
    if (!options.secure) invalid("cookie_options: a __Host- cookie requires secure");
    if (options.path != "/") invalid("cookie_options: a __Host- cookie requires path \"/\"");
    if (!options.domain.empty()) invalid("cookie_options: a __Host- cookie must have no domain");
  }
  if (iequals_prefix(name, "__Secure-") && !options.secure)
    invalid("cookie_options: a __Secure- cookie requires secure");
  if (options.same_site == same_site_policy::none && !options.secure)
    invalid("cookie_options: SameSite=None requires secure");
  if (!options.path.empty()) {
    if (options.path.front() != '/') invalid("cookie_options: the path must start with '/'");
    if (!all_bytes(options.path, [](unsigned char c) { return c < 0x7f && !is_control(c); }) ||
        options.path.find(';') != std::string::npos)
      invalid("cookie_options: the path must be ASCII without ';' or control characters");
  }
  if (!all_bytes(options.domain, [](unsigned char c) { return c > 0x20 && c < 0x7f && c != ';'; }))
    invalid("cookie_options: the domain must be visible ASCII without ';'");
}

cookie_options development_cookie() {
  cookie_options o;
  o.name = "rk_session";
  o.secure = false;
  return o;
}

std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto rest = cookie_header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (value.empty() || !all_bytes(value, is_cookie_octet)) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

std::string set_cookie(std::string_view token, clock::time_point expires_at, clock::time_point now,
                       const cookie_options& options) {
  validate(options);
  if (token.empty()) invalid("set_cookie: empty token");
  if (!all_bytes(token, is_cookie_octet))
    invalid("set_cookie: the token holds bytes a cookie value may not");
  if (!options.persistent) return build_cookie(options, token, std::nullopt);
  using namespace std::chrono;
  auto left = ceil<seconds>(expires_at - now);
  if (left.count() <= 0) return build_cookie(options, token, std::pair{0, sys_seconds{}});
  return build_cookie(options, token, std::pair{left.count(), ceil<seconds>(expires_at)});
}

std::string clear_cookie(const cookie_options& options) {
  validate(options);
  return build_cookie(options, {}, std::pair{0, std::chrono::sys_seconds{}});
}

std::optional<std::string_view> bearer_token(std::string_view authorization_header) {
  constexpr std::string_view scheme = "bearer";
  auto s = trim(authorization_header);
  if (s.size() <= scheme.size() || !iequals_prefix(s, scheme) || s[scheme.size()] != ' ')
    return std::nullopt;
  s.remove_prefix(scheme.size());
  s.remove_prefix(std::min(s.find_first_not_of(' '), s.size()));
  if (!is_token68(s)) return std::nullopt;
  return s;
}

std::optional<std::string> request_token(std::string_view authorization_header,
                                         std::string_view cookie_header,
                                         const cookie_options& options) {
  if (auto token = bearer_token(authorization_header)) return std::string(*token);
  return cookie_value(cookie_header, options.name);
}

std::string device_id(std::string_view x_device_id_header) {
  auto s = trim(x_device_id_header);
  if (s.size() > 256 || !all_bytes(s, [](unsigned char c) { return c >= 0x21 && c <= 0x7e; }))
    return {};
  return std::string(s);
}

request_info make_request_info(std::string_view user_agent, std::string_view accept_language,
                               std::string_view client_ip) {
  constexpr std::size_t cap = 1024;
  return {std::string(user_agent.substr(0, cap)), std::string(accept_language.substr(0, cap)),
          std::string(client_ip.substr(0, cap))};
}

asio::awaitable<std::optional<session>> async_load_session(store& sessions,
                                                           std::string_view authorization_header,
                                                           std::string_view cookie_header,
                                                           const request_info& info,
                                                           const cookie_options& options) {
  auto token = request_token(authorization_header, cookie_header, options);
  if (!token) co_return std::nullopt;
  co_return co_await sessions.async_validate(*token, info);
}

std::string unauthorized_problem_json(std::string_view detail) {
  boost::json::object body;
  body["type"] = "about:blank";
  body["title"] = "Unauthorized";
  body["status"] = unauthorized_status;
  body["error"] = "Unauthorized";
  if (!detail.empty()) body["detail"] = detail;
  return boost::json::serialize(body);
}

}  // namespace redkit::session
