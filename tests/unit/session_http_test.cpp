// The session HTTP helpers: cookie options, Cookie parsing, Set-Cookie values, bearer tokens,
// request tokens, device ids, request details and the 401 problem body.
#include <redkit/error.hpp>
#include <redkit/session_http.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace redkit::session {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Thu, 26 Nov 2026 10:00:00 GMT.
const clock::time_point expiry{std::chrono::seconds(1'795'687'200)};

template <typename F>
std::string invalid_message(F&& f) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_argument));
    return e.what();
  }
  return {};
}

std::string cookie(std::string_view header, std::string_view name = "rk_session") {
  auto v = cookie_value(header, name);
  return v ? *v : "<none>";
}

std::string bearer(std::string_view header) {
  auto v = bearer_token(header);
  return v ? std::string(*v) : "<none>";
}

TEST(SessionHttpCookieValue, FindsTheNamedCookie) {
  EXPECT_EQ(cookie("rk_session=abc"), "abc");
  EXPECT_EQ(cookie("a=1; rk_session=abc; b=2"), "abc");
  EXPECT_EQ(cookie("a=1;rk_session=abc;b=2"), "abc");
  EXPECT_EQ(cookie("  a=1 ;\t rk_session = abc \t;  b=2  "), "abc");
  EXPECT_EQ(cookie("a=1; b=2", "b"), "2");
  EXPECT_EQ(cookie("rk_session=tag.id.secret-_"), "tag.id.secret-_");
  EXPECT_EQ(cookie("rk_session=abc=="), "abc==");
}

TEST(SessionHttpCookieValue, UnquotesQuotedValues) {
  EXPECT_EQ(cookie(R"(rk_session="abc")"), "abc");
  EXPECT_EQ(cookie(R"(a="x y"; rk_session="abc"; b=1)"), "abc");
  EXPECT_EQ(cookie(R"(rk_session="")"), "<none>");
  EXPECT_EQ(cookie(R"(rk_session="abc)"), "<none>");
  EXPECT_EQ(cookie(R"(rk_session="a"b")"), "<none>");
}

TEST(SessionHttpCookieValue, TellsNamesWithACommonPrefixApart) {
  EXPECT_EQ(cookie("rk_session2=x; rk_session=y"), "y");
  EXPECT_EQ(cookie("rk_session2=x"), "<none>");
  EXPECT_EQ(cookie("xrk_session=x; rk_sessio=z"), "<none>");
  EXPECT_EQ(cookie("rk_session=y; rk_session2=x", "rk_session2"), "x");
  EXPECT_EQ(cookie("RK_SESSION=x"), "<none>");
}

TEST(SessionHttpCookieValue, FirstMatchWins) {
  EXPECT_EQ(cookie("rk_session=first; rk_session=second"), "first");
  // An empty first match is no session, whatever follows.
  EXPECT_EQ(cookie("rk_session=; rk_session=second"), "<none>");
}

TEST(SessionHttpCookieValue, NothingWhenAbsentEmptyOrMalformed) {
  EXPECT_EQ(cookie(""), "<none>");
  EXPECT_EQ(cookie("   "), "<none>");
  EXPECT_EQ(cookie(";;;"), "<none>");
  EXPECT_EQ(cookie("a=1; b=2"), "<none>");
  EXPECT_EQ(cookie("rk_session"), "<none>");
  EXPECT_EQ(cookie("rk_session; a=1"), "<none>");
  EXPECT_EQ(cookie("rk_session="), "<none>");
  EXPECT_EQ(cookie("rk_session=   ; a=1"), "<none>");
  EXPECT_EQ(cookie("rk_session=a b"), "<none>");
  EXPECT_EQ(cookie("rk_session=a,b"), "<none>");
  EXPECT_EQ(cookie("rk_session=a\\b"), "<none>");
  EXPECT_EQ(cookie("rk_session=a\x01"), "<none>");
  EXPECT_EQ(cookie("rk_session=caf\xc3\xa9"), "<none>");
  EXPECT_EQ(cookie("=abc"), "<none>");
  EXPECT_EQ(cookie("=abc", ""), "<none>");
}

TEST(SessionHttpSetCookie, ExactDefaultValue) {
  EXPECT_EQ(set_cookie("tok.en_-1", expiry, expiry - 3600s, {}),
            "__Host-rk_session=tok.en_-1; Path=/; Max-Age=3600; "
            "Expires=Thu, 26 Nov 2026 10:00:00 GMT; Secure; HttpOnly; SameSite=Lax");
}

TEST(SessionHttpSetCookie, RoundsTheLifetimeUp) {
  // 3599.75 s left: Max-Age 3600.
  EXPECT_THAT(set_cookie("t", expiry, expiry - 3599750ms, {}),
              HasSubstr("; Max-Age=3600; Expires=Thu, 26 Nov 2026 10:00:00 GMT;"));
  // 1 ms left: Max-Age 1.
  EXPECT_THAT(set_cookie("t", expiry, expiry - 1ms, {}),
              HasSubstr("; Max-Age=1; Expires=Thu, 26 Nov 2026 10:00:00 GMT;"));
  // An expiry inside a second: both round up, so the cookie outlives the session.
  EXPECT_THAT(set_cookie("t", expiry + 500ms, expiry - 3600s, {}),
              HasSubstr("; Max-Age=3601; Expires=Thu, 26 Nov 2026 10:00:01 GMT;"));
  EXPECT_THAT(set_cookie("t", expiry + 1s, expiry + 999ms, {}),
              HasSubstr("; Max-Age=1; Expires=Thu, 26 Nov 2026 10:00:01 GMT;"));
}

TEST(SessionHttpSetCookie, AnExpiredSessionGetsAZeroLifetime) {
  const std::string epoch = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT;";
  EXPECT_THAT(set_cookie("t", expiry, expiry, {}), HasSubstr(epoch));
  EXPECT_THAT(set_cookie("t", expiry, expiry + 1ms, {}), HasSubstr(epoch));
  EXPECT_THAT(set_cookie("t", expiry, expiry + 24h, {}), HasSubstr(epoch));
}

TEST(SessionHttpSetCookie, FormatsImfFixdates) {
  auto at = [](std::chrono::sys_seconds t) {
    return set_cookie("t", t, t - 1s, development_cookie());
  };
  using namespace std::chrono;
  EXPECT_THAT(at(sys_days{2000y / January / 1}),
              HasSubstr("; Expires=Sat, 01 Jan 2000 00:00:00 GMT;"));
  EXPECT_THAT(at(sys_days{2024y / February / 29} + 23h + 59min + 59s),
              HasSubstr("; Expires=Thu, 29 Feb 2024 23:59:59 GMT;"));
  EXPECT_THAT(at(sys_days{2027y / December / 5} + 7h + 8min + 9s),
              HasSubstr("; Expires=Sun, 05 Dec 2027 07:08:09 GMT;"));
  EXPECT_THAT(at(sys_days{2031y / March / 17} + 12h),
              HasSubstr("; Expires=Mon, 17 Mar 2031 12:00:00 GMT;"));
}

TEST(SessionHttpSetCookie, FollowsTheOptions) {
  cookie_options o;
  o.name = "sid";
  o.path = "/app";
  o.domain = "example.com";
  o.same_site = same_site_policy::strict;
  EXPECT_EQ(set_cookie("t", expiry, expiry - 10s, o),
            "sid=t; Path=/app; Domain=example.com; Max-Age=10; "
            "Expires=Thu, 26 Nov 2026 10:00:00 GMT; Secure; HttpOnly; SameSite=Strict");

  o.persistent = false;
  o.http_only = false;
  o.same_site = same_site_policy::none;
  EXPECT_EQ(set_cookie("t", expiry, expiry - 10s, o),
            "sid=t; Path=/app; Domain=example.com; Secure; SameSite=None");

  o.path.clear();
  o.domain.clear();
  o.secure = true;
  o.same_site = same_site_policy::lax;
  EXPECT_EQ(set_cookie("t", expiry, expiry - 10s, o), "sid=t; Secure; SameSite=Lax");
}

TEST(SessionHttpSetCookie, DevelopmentCookie) {
  auto o = development_cookie();
  EXPECT_EQ(o.name, "rk_session");
  EXPECT_FALSE(o.secure);
  EXPECT_EQ(o.path, "/");
  EXPECT_EQ(o.domain, "");
  EXPECT_TRUE(o.http_only);
  EXPECT_EQ(o.same_site, same_site_policy::lax);
  EXPECT_TRUE(o.persistent);
  EXPECT_NO_THROW(validate(o));
  EXPECT_EQ(set_cookie("t", expiry, expiry - 60s, o),
            "rk_session=t; Path=/; Max-Age=60; Expires=Thu, 26 Nov 2026 10:00:00 GMT; "
            "HttpOnly; SameSite=Lax");
}

TEST(SessionHttpSetCookie, RejectsTokensACookieCannotHold) {
  for (std::string_view bad :
       {"", "a b", "a;b", "a,b", "a\"b", "a\\b", "a\tb", "a\x7f", "caf\xc3\xa9", "\"quoted\""}) {
    SCOPED_TRACE(bad);
    auto message = invalid_message([&] { set_cookie(bad, expiry, expiry - 1s, {}); });
    EXPECT_THAT(message, HasSubstr("set_cookie"));
  }
  EXPECT_EQ(
      invalid_message([] { set_cookie(std::string_view("a\0b", 3), expiry, expiry, {}); }).empty(),
      false);
}

TEST(SessionHttpClearCookie, ExactValues) {
  EXPECT_EQ(clear_cookie({}),
            "__Host-rk_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
            "Secure; HttpOnly; SameSite=Lax");
  auto o = development_cookie();
  o.persistent = false;  // cleared all the same
  o.domain = "example.com";
  o.same_site = same_site_policy::strict;
  EXPECT_EQ(clear_cookie(o),
            "rk_session=; Path=/; Domain=example.com; Max-Age=0; "
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict");
}

TEST(SessionHttpCookieOptions, DefaultsAreValid) {
  cookie_options o;
  EXPECT_EQ(o.name, "__Host-rk_session");
  EXPECT_EQ(o.path, "/");
  EXPECT_EQ(o.domain, "");
  EXPECT_TRUE(o.secure);
  EXPECT_TRUE(o.http_only);
  EXPECT_EQ(o.same_site, same_site_policy::lax);
  EXPECT_TRUE(o.persistent);
  EXPECT_NO_THROW(validate(o));

  o.name = "__Secure-sid";
  o.domain = "example.com";
  o.path = "/app";
  o.same_site = same_site_policy::none;
  EXPECT_NO_THROW(validate(o));
  o.name = "a!#$%&'*+-.^_`|~9";
  EXPECT_NO_THROW(validate(o));
}

std::string rejected(const cookie_options& o) {
  auto message = invalid_message([&] { validate(o); });
  // set_cookie() and clear_cookie() check the same rules.
  EXPECT_EQ(invalid_message([&] { set_cookie("t", expiry, expiry - 1s, o); }), message);
  EXPECT_EQ(invalid_message([&] { clear_cookie(o); }), message);
  return message;
}

TEST(SessionHttpCookieOptions, NameMustBeAToken) {
  cookie_options o;
  o.name = "";
  EXPECT_THAT(rejected(o), HasSubstr("empty cookie name"));
  for (std::string_view bad :
       {"a b", "a=b", "a;b", "a,b", "a\"b", "a/b", "a:b", "(a)", "a@b", "a?b", "a{b}", "a[b]",
        "a\\b", "a\tb", "a\x01", "a\x7f", "caf\xc3\xa9"}) {
    SCOPED_TRACE(bad);
    o.name = bad;
    EXPECT_THAT(rejected(o), HasSubstr("RFC 6265 token"));
  }
}

TEST(SessionHttpCookieOptions, HostPrefixRules) {
  cookie_options o;
  o.secure = false;
  EXPECT_THAT(rejected(o), HasSubstr("__Host- cookie requires secure"));
  o = {};
  o.path = "/app";
  EXPECT_THAT(rejected(o), HasSubstr(R"(__Host- cookie requires path "/")"));
  o.path = "";
  EXPECT_THAT(rejected(o), HasSubstr(R"(__Host- cookie requires path "/")"));
  o = {};
  o.domain = "example.com";
  EXPECT_THAT(rejected(o), HasSubstr("__Host- cookie must have no domain"));
  // Browsers match the prefixes in any case.
  o = {};
  o.name = "__host-sid";
  o.secure = false;
  EXPECT_THAT(rejected(o), HasSubstr("__Host- cookie requires secure"));
  // Only a prefix counts.
  o.name = "x__Host-sid";
  EXPECT_NO_THROW(validate(o));
}

TEST(SessionHttpCookieOptions, SecurePrefixRequiresSecure) {
  cookie_options o;
  o.name = "__Secure-sid";
  o.secure = false;
  EXPECT_THAT(rejected(o), HasSubstr("__Secure- cookie requires secure"));
  o.name = "__SECURE-sid";
  EXPECT_THAT(rejected(o), HasSubstr("__Secure- cookie requires secure"));
}

TEST(SessionHttpCookieOptions, SameSiteNoneRequiresSecure) {
  auto o = development_cookie();
  o.same_site = same_site_policy::none;
  EXPECT_THAT(rejected(o), HasSubstr("SameSite=None requires secure"));
  o.same_site = same_site_policy::strict;
  EXPECT_NO_THROW(validate(o));
}

TEST(SessionHttpCookieOptions, PathAndDomainSyntax) {
  auto o = development_cookie();
  o.path = "app";
  EXPECT_THAT(rejected(o), HasSubstr("path must start with '/'"));
  for (std::string_view bad : {"/a;b", "/a\x01", "/a\n", "/a\x7f", "/caf\xc3\xa9"}) {
    SCOPED_TRACE(bad);
    o.path = bad;
    EXPECT_THAT(rejected(o), HasSubstr("path must be ASCII without ';' or control characters"));
  }
  o.path = "/a b";  // allowed by RFC 6265's path-value
  EXPECT_NO_THROW(validate(o));
  o.path = "";
  EXPECT_NO_THROW(validate(o));
  EXPECT_EQ(clear_cookie(o).find("Path"), std::string::npos);

  o.path = "/";
  for (std::string_view bad :
       {"example.com;", "exa mple.com", "example.com\r\n", "\x01", "\xc3\xa9.fr"}) {
    SCOPED_TRACE(bad);
    o.domain = bad;
    EXPECT_THAT(rejected(o), HasSubstr("domain must be visible ASCII without ';'"));
  }
}

TEST(SessionHttpBearer, AcceptsBearerCredentials) {
  EXPECT_EQ(bearer("Bearer abc"), "abc");
  EXPECT_EQ(bearer("bearer abc"), "abc");
  EXPECT_EQ(bearer("BEARER abc"), "abc");
  EXPECT_EQ(bearer("BeArEr abc"), "abc");
  EXPECT_EQ(bearer("Bearer     abc"), "abc");
  EXPECT_EQ(bearer(" \tBearer abc \t"), "abc");
  EXPECT_EQ(bearer("Bearer AZaz09-._~+/"), "AZaz09-._~+/");
  EXPECT_EQ(bearer("Bearer abc=="), "abc==");
  EXPECT_EQ(bearer("Bearer tag.id.secret"), "tag.id.secret");

  std::string_view header = "Bearer xyz";
  auto token = bearer_token(header);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->data(), header.data() + 7);
}

TEST(SessionHttpBearer, RejectsEverythingElse) {
  for (std::string_view bad : {"",
                               "   ",
                               "Bearer",
                               "Bearer ",
                               "Bearer    ",
                               "Bearerabc",
                               "Bearer\tabc",
                               "Bearer a b",
                               "Bearer a=b",
                               "Bearer =abc",
                               "Bearer ===",
                               "Bearer a;b",
                               "Bearer a,b",
                               "Bearer \"abc\"",
                               "Bearer a\x01",
                               "Bearer caf\xc3\xa9",
                               "Basic dXNlcjpwYXNz",
                               "Token abc",
                               "Bear abc",
                               "abc",
                               "Bearer-abc",
                               "Bearer: abc"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(bearer(bad), "<none>");
  }
}

TEST(SessionHttpRequestToken, BearerFirstThenCookie) {
  cookie_options o;
  const std::string cookie_header = "a=1; __Host-rk_session=from-cookie";
  EXPECT_EQ(request_token("Bearer from-header", cookie_header, o), "from-header");
  EXPECT_EQ(request_token("", cookie_header, o), "from-cookie");
  EXPECT_EQ(request_token("Basic dXNlcjpwYXNz", cookie_header, o), "from-cookie");
  EXPECT_EQ(request_token("Bearer bad token", cookie_header, o), "from-cookie");
  EXPECT_EQ(request_token("Bearer from-header", "", o), "from-header");
  EXPECT_EQ(request_token("", "", o), std::nullopt);
  EXPECT_EQ(request_token("Basic x", "rk_session=other", o), std::nullopt);
  // The cookie's name comes from the options.
  EXPECT_EQ(request_token("", "rk_session=dev; __Host-rk_session=prod", development_cookie()),
            "dev");
}

TEST(SessionHttpDeviceId, TrimsAndValidates) {
  EXPECT_EQ(device_id("phone-1"), "phone-1");
  EXPECT_EQ(device_id("  \tphone-1 \t"), "phone-1");
  EXPECT_EQ(device_id("!~{}\"'"), "!~{}\"'");
  EXPECT_EQ(device_id(""), "");
  EXPECT_EQ(device_id("   "), "");
  EXPECT_EQ(device_id("my phone"), "");
  EXPECT_EQ(device_id("phone\x01"), "");
  EXPECT_EQ(device_id("phone\x7f"), "");
  EXPECT_EQ(device_id("t\xc3\xa9l\xc3\xa9phone"), "");
  EXPECT_EQ(device_id(std::string_view("a\0b", 3)), "");

  const std::string max(256, 'd');
  EXPECT_EQ(device_id(max), max);
  EXPECT_EQ(device_id("  " + max + "  "), max);
  EXPECT_EQ(device_id(max + "d"), "");
}

TEST(SessionHttpRequestInfo, CopiesAndCaps) {
  auto info = make_request_info("Mozilla/5.0", "en-GB,en;q=0.9", "203.0.113.7");
  EXPECT_EQ(info.user_agent, "Mozilla/5.0");
  EXPECT_EQ(info.accept_language, "en-GB,en;q=0.9");
  EXPECT_EQ(info.ip, "203.0.113.7");

  const std::string big(5000, 'x');
  info = make_request_info(big, big, big);
  EXPECT_EQ(info.user_agent, std::string(1024, 'x'));
  EXPECT_EQ(info.accept_language, std::string(1024, 'x'));
  EXPECT_EQ(info.ip, std::string(1024, 'x'));
  EXPECT_EQ(make_request_info(std::string(1024, 'y'), "", "").user_agent, std::string(1024, 'y'));

  info = make_request_info("", "", "");
  EXPECT_EQ(info.user_agent, "");
  EXPECT_EQ(info.accept_language, "");
  EXPECT_EQ(info.ip, "");
}

TEST(SessionHttpUnauthorized, ProblemJson) {
  EXPECT_EQ(unauthorized_status, 401);
  EXPECT_EQ(www_authenticate_challenge(), R"(Bearer realm="redkit")");
  EXPECT_EQ(problem_content_type, "application/problem+json");

  EXPECT_EQ(unauthorized_problem_json(),
            R"({"type":"about:blank","title":"Unauthorized","status":401,"error":"Unauthorized"})");
  auto body = boost::json::parse(unauthorized_problem_json()).as_object();
  EXPECT_EQ(body.size(), 4u);
  EXPECT_EQ(body.at("type").as_string(), "about:blank");
  EXPECT_EQ(body.at("title").as_string(), "Unauthorized");
  EXPECT_EQ(body.at("status").as_int64(), 401);
  EXPECT_EQ(body.at("error").as_string(), "Unauthorized");
  EXPECT_FALSE(body.contains("detail"));
}

TEST(SessionHttpUnauthorized, DetailIsEscaped) {
  const std::string detail = "the \"session\" expired\\ended\n\ttab \x01 caf\xc3\xa9 </script>";
  auto text = unauthorized_problem_json(detail);
  EXPECT_THAT(text, HasSubstr(R"(the \"session\" expired\\ended\n\ttab \u0001)"));
  auto body = boost::json::parse(text).as_object();
  EXPECT_EQ(body.size(), 5u);
  EXPECT_EQ(body.at("detail").as_string(), detail);
  EXPECT_EQ(body.at("status").as_int64(), 401);
  EXPECT_EQ(body.at("error").as_string(), "Unauthorized");
}

}  // namespace
}  // namespace redkit::session
