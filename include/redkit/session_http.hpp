// The HTTP side of session authentication, free of any HTTP framework (plain strings in, plain
// strings out): the session cookie (options, Set-Cookie values, reading it back from a Cookie
// header), bearer tokens from an Authorization header, the token of a request (bearer first,
// then cookie), the device id and request details a login needs, the middleware step that turns
// a request into its session, and the 401 answer (RFC 9457 body and WWW-Authenticate challenge).
// Thread-safety: everything here is a pure function or a value, safe from any number of threads;
// async_load_session() has the thread-safety of the session::store it is given.
#pragma once

#include <redkit/rate_limit_http.hpp>
#include <redkit/session_store.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace redkit::session {

/// The SameSite attribute of the session cookie.
enum class same_site_policy {
  lax,     ///< sent on top-level navigations from other sites, not on their subrequests
  strict,  ///< never sent on requests started by another site
  none,    ///< sent on every request, cross-site included (requires Secure)
};

/// How the session cookie is named and scoped. The defaults suit HTTPS; see development_cookie()
/// for plain-HTTP development.
struct cookie_options {
  /// The cookie's name, an RFC 6265 token. The `__Host-` prefix makes browsers insist on
  /// Secure, Path=/ and no Domain, so no other host or path can plant or shadow the cookie.
  /// Default "__Host-rk_session".
  std::string name = "__Host-rk_session";
  /// The Path attribute: starts with '/'; empty leaves it out (the browser then uses the
  /// request's directory). Default "/".
  std::string path = "/";
  /// The Domain attribute; empty leaves it out, which keeps the cookie to the exact host that
  /// set it. Default "" (none).
  std::string domain;
  /// The Secure attribute: the browser sends the cookie over HTTPS only. Default true.
  bool secure = true;
  /// The HttpOnly attribute: scripts in the page cannot read the cookie. Default true.
  bool http_only = true;
  /// The SameSite attribute. Default lax.
  same_site_policy same_site = same_site_policy::lax;
  /// Whether the cookie carries Max-Age and Expires from the session's expiry (true), or is a
  /// browser-session cookie that the browser drops when it closes (false). Default true.
  bool persistent = true;
};

/// Checks that `options` make a cookie browsers accept and keep as configured. Throws
/// redkit::error(errc::invalid_argument) naming the rule broken: the name is not an RFC 6265
/// token; a `__Host-` name (any case) without Secure, with a Path other than "/" or with a
/// Domain; a `__Secure-` name (any case) without Secure; SameSite=None without Secure; a path
/// not starting with '/' or holding ';', control or non-ASCII bytes; a domain holding ';',
/// blanks, control or non-ASCII bytes.
void validate(const cookie_options& options);

/// Options for plain-HTTP development: the defaults with name "rk_session" and Secure off
/// (a `__Host-` or `__Secure-` name cannot be used without Secure). Never use them in
/// production: the cookie would travel in clear text.
cookie_options development_cookie();

/// The value of the cookie `name` in a Cookie request header ("a=1; b=2"): blanks around
/// pairs, names and values are tolerated, a value in double quotes is unquoted, names compare
/// exactly and the first pair with the name wins. Returns nothing when the cookie is absent,
/// or when the first one found is empty or holds bytes a cookie value may not (RFC 6265
/// cookie-octets). Raises nothing.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

/// The Set-Cookie header value that gives the client `token` (from session::issued):
/// `name=token; Path=/; [Domain=..; ]Max-Age=N; Expires=<IMF-fixdate>; Secure; HttpOnly;
/// SameSite=Lax`, attributes as `options` say. Max-Age and Expires appear only for a persistent
/// cookie: Max-Age is `expires_at - now` rounded up to whole seconds (0 when already past) and
/// Expires is `expires_at` rounded up to the second (the Unix epoch when already past), so the
/// cookie never dies before its session. Throws redkit::error(errc::invalid_argument) for an
/// empty token, one with bytes a cookie value may not hold, or options validate() rejects.
std::string set_cookie(std::string_view token, clock::time_point expires_at, clock::time_point now,
                       const cookie_options& options);

/// The Set-Cookie header value that deletes the session cookie (on logout): the attributes of
/// set_cookie() with an empty value, `Max-Age=0` and `Expires=Thu, 01 Jan 1970 00:00:00 GMT`.
/// Throws redkit::error(errc::invalid_argument) for options validate() rejects.
std::string clear_cookie(const cookie_options& options);

/// The token of an Authorization header "Bearer <token>" (RFC 6750: the scheme in any case,
/// then one or more spaces, then a token68); blanks around the whole value are ignored.
/// Returns nothing for any other scheme, a missing or malformed token, or an empty header. The
/// view points into `authorization_header`. Raises nothing.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

/// The session token a request presents: the bearer token of its Authorization header if it
/// has one (see bearer_token(); a header that is not a valid bearer credential counts as none),
/// else the cookie `options.name` of its Cookie header (see cookie_value()). Returns nothing
/// when neither is there. Raises nothing (`options` are not validated).
std::optional<std::string> request_token(std::string_view authorization_header,
                                         std::string_view cookie_header,
                                         const cookie_options& options);

/// The device id of an X-Device-Id header value, for session::store::login(): the value without
/// surrounding blanks, or "" (login then generates a fresh id) when it is missing, longer than
/// 256 bytes, or holds anything but visible ASCII (0x21-0x7E). Raises nothing.
std::string device_id(std::string_view x_device_id_header);

/// The request_info of a request from its User-Agent and Accept-Language headers and its
/// client's address (e.g. rate_limit::client_address()), each cut to its first 1024 bytes so
/// a huge header cannot bloat the stored session. Raises nothing but std::bad_alloc.
request_info make_request_info(std::string_view user_agent, std::string_view accept_language,
                               std::string_view client_ip);

/// The middleware step: finds the request's token (request_token()) and validates it on
/// `sessions` with `info` (store::async_validate(), which records the access). Returns the
/// live session, or nothing when the request has no token or its token names no live session
/// (answer 401 where a session is required). Store failures propagate as redkit::error: the
/// session can then be neither proven nor refused, and the server should answer 503. The
/// headers, `info` and `options` must stay valid until the awaitable completes.
asio::awaitable<std::optional<session>> async_load_session(store& sessions,
                                                           std::string_view authorization_header,
                                                           std::string_view cookie_header,
                                                           const request_info& info,
                                                           const cookie_options& options);

/// The status of a response to a request that needs a session and has none.
inline constexpr int unauthorized_status = 401;

/// The media type of unauthorized_problem_json()'s text ("application/problem+json").
using rate_limit::problem_content_type;

/// The RFC 9457 problem details of a 401 response:
/// {"type":"about:blank","title":"Unauthorized","status":401,"error":"Unauthorized",
///  "detail":...} where `error` is the reference's body field and `detail` appears only when
/// given (it should be UTF-8; it is escaped as JSON needs). Raises nothing but std::bad_alloc.
std::string unauthorized_problem_json(std::string_view detail = {});

/// The WWW-Authenticate header value a 401 response must carry (RFC 9110 §11.6.1):
/// `Bearer realm="redkit"`.
constexpr std::string_view www_authenticate_challenge() noexcept {
  return R"(Bearer realm="redkit")";
}

}  // namespace redkit::session
