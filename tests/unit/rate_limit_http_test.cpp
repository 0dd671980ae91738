// The rate limiter's HTTP helpers: client address behind proxies, identities, header fields and
// the 429 problem body.
#include <redkit/error.hpp>
#include <redkit/rate_limit_http.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace redkit::rate_limit {
namespace {

using namespace std::chrono_literals;
using fields = header_fields;

template <typename F>
void expect_invalid(F&& f) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_argument));
  }
}

std::string parsed(std::string_view text) {
  auto a = parse_address(text);
  return a ? a->to_string() : "<none>";
}

TEST(RateLimitHttpAddress, ParsesEveryForm) {
  EXPECT_EQ(parsed("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(parsed(" 203.0.113.7\t"), "203.0.113.7");
  EXPECT_EQ(parsed("203.0.113.7:5678"), "203.0.113.7");
  EXPECT_EQ(parsed("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(parsed("2001:DB8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(parsed("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(parsed("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(parsed("fe80::1%eth0"), "fe80::1");
  EXPECT_EQ(parsed("[fe80::1%25eth0]:80"), "fe80::1");
  EXPECT_EQ(parsed("::1"), "::1");
}

TEST(RateLimitHttpAddress, UnmapsIpv4MappedIpv6) {
  auto a = parse_address("::ffff:1.2.3.4");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->to_string(), "1.2.3.4");
  EXPECT_EQ(parsed("[::ffff:1.2.3.4]:8080"), "1.2.3.4");
  EXPECT_EQ(parsed("::ffff:c000:0280"), "192.0.2.128");
}

TEST(RateLimitHttpAddress, RejectsWhatIsNotAnAddress) {
  for (auto bad : {"", "  ", "unknown", "example.com", "example.com:80", "1.2.3.4:", "1.2.3.4:x",
                   "1.2.3.4:65536", "1.2.3.256", "1.2.3", "[1.2.3.4]", "[::1", "[::1]x",
                   "[::1]:", "fe80::1%", "1.2.3.4%eth0", "_hidden", "2001:db8::1::2"}) {
    EXPECT_FALSE(parse_address(bad)) << bad;
  }
}

TEST(RateLimitHttpTrust, MatchesNetworksAndSingleAddresses) {
  proxy_trust t{"10.0.0.0/8", "127.0.0.1", "::1/128", "2001:db8::/32", "172.16.9.9/12"};
  auto trusts = [&](std::string_view a) { return t.trusts(*parse_address(a)); };
  EXPECT_TRUE(trusts("10.0.0.1"));
  EXPECT_TRUE(trusts("10.255.255.255"));
  EXPECT_FALSE(trusts("11.0.0.0"));
  EXPECT_FALSE(trusts("9.255.255.255"));
  EXPECT_TRUE(trusts("127.0.0.1"));
  EXPECT_FALSE(trusts("127.0.0.2"));
  EXPECT_TRUE(trusts("::1"));
  EXPECT_FALSE(trusts("::2"));
  EXPECT_TRUE(trusts("2001:db8:ffff::1"));
  EXPECT_FALSE(trusts("2001:db9::1"));
  // Host bits below the prefix are ignored: 172.16.0.0/12.
  EXPECT_TRUE(trusts("172.31.255.255"));
  EXPECT_FALSE(trusts("172.32.0.0"));
  // A mapped address compares as IPv4, even when the caller did not unmap it.
  EXPECT_TRUE(t.trusts(asio::ip::make_address("::ffff:10.1.2.3")));
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(proxy_trust{}.empty());
}

TEST(RateLimitHttpTrust, MappedNetworksBecomeIpv4) {
  proxy_trust t{"::ffff:192.168.0.0/112"};
  EXPECT_TRUE(t.trusts(*parse_address("192.168.44.1")));
  EXPECT_FALSE(t.trusts(*parse_address("192.169.0.1")));
  proxy_trust all_v4{"0.0.0.0/0"};
  EXPECT_TRUE(all_v4.trusts(*parse_address("203.0.113.7")));
  EXPECT_FALSE(all_v4.trusts(*parse_address("2001:db8::1")));
}

TEST(RateLimitHttpTrust, FromConfigurationList) {
  std::vector<std::string> list{"10.0.0.0/8", "fd00::/8"};
  proxy_trust t{std::span<const std::string>(list)};
  EXPECT_TRUE(t.trusts(*parse_address("fd12::1")));
  EXPECT_TRUE(t.trusts(*parse_address("10.9.9.9")));
}

TEST(RateLimitHttpTrust, RejectsBadNetworks) {
  for (auto bad :
       {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "10.0.0.0/8/8",
        "10.0.0.0 /8", "10.0.0.0/ 8", "::/129", "::1/0128", "fe80::1%eth0", "[::1]", "[::1]/128",
        "10.0.0.1:80", "localhost", "10.0.0.0/8, 11.0.0.0/8", "1.2.3"}) {
    proxy_trust t;
    expect_invalid([&] { t.add(bad); });
    EXPECT_TRUE(t.empty()) << bad;
  }
  expect_invalid([] { proxy_trust{"10.0.0.0/8", "bogus"}; });
}

class RateLimitHttpClient : public ::testing::Test {
 protected:
  proxy_trust trust{"10.0.0.0/8", "127.0.0.1", "::1/128"};
};

TEST_F(RateLimitHttpClient, UntrustedPeerIgnoresForwardedFor) {
  EXPECT_EQ(client_address("203.0.113.9:5555", "1.1.1.1", trust), "203.0.113.9");
  EXPECT_EQ(client_address("203.0.113.9", "10.0.0.1, 127.0.0.1", trust), "203.0.113.9");
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7", proxy_trust{}), "10.0.0.2");
}

TEST_F(RateLimitHttpClient, TrustedPeerWithoutHeaderIsTheClient) {
  EXPECT_EQ(client_address("10.0.0.2:443", "", trust), "10.0.0.2");
  EXPECT_EQ(client_address("10.0.0.2", " , ", trust), "10.0.0.2");
}

TEST_F(RateLimitHttpClient, WalksFromTheRightSkippingTrustedHops) {
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7", trust), "198.51.100.7");
  // The client forged the leftmost entry; our proxies appended the rest.
  EXPECT_EQ(client_address("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.5", trust), "198.51.100.7");
  // Several headers joined with ", ", odd spacing, empty entries.
  EXPECT_EQ(client_address("127.0.0.1", "6.6.6.6,198.51.100.7 ,, 10.0.0.5 ,\t10.0.0.9,", trust),
            "198.51.100.7");
  // A forged trusted address left of the real client does not matter.
  EXPECT_EQ(client_address("10.0.0.2", "10.0.0.66, 198.51.100.7", trust), "198.51.100.7");
}

TEST_F(RateLimitHttpClient, AllTrustedGivesTheLeftmost) {
  EXPECT_EQ(client_address("10.0.0.2", "10.0.0.7, 127.0.0.1, 10.0.0.5", trust), "10.0.0.7");
}

TEST_F(RateLimitHttpClient, UnparsableEntryStopsAtTheNearestParsedHop) {
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7, unknown, 10.0.0.5", trust), "10.0.0.5");
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7, 10.0.0.5, bogus", trust), "10.0.0.2");
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7, _obfuscated", trust), "10.0.0.2");
}

TEST_F(RateLimitHttpClient, HandlesPortsBracketsMappedAndZones) {
  EXPECT_EQ(client_address("[::1]:40000", "[2001:db8::7]:1234", trust), "2001:db8::7");
  EXPECT_EQ(client_address("::1", "2001:db8::7, ::ffff:10.0.0.5", trust), "2001:db8::7");
  EXPECT_EQ(client_address("::ffff:10.0.0.2", "::ffff:198.51.100.7", trust), "198.51.100.7");
  EXPECT_EQ(client_address("127.0.0.1:9000", "198.51.100.7:61000", trust), "198.51.100.7");
  EXPECT_EQ(client_address("fe80::1%eth0", "", trust), "fe80::1");
}

TEST_F(RateLimitHttpClient, RejectsAPeerThatIsNotAnAddress) {
  expect_invalid([&] { client_address("", "", trust); });
  expect_invalid([&] { client_address("/run/app.sock", "198.51.100.7", trust); });
}

TEST(RateLimitHttpIdentity, User) {
  EXPECT_EQ(identity_for_user("42"), "user:42");
  EXPECT_EQ(identity_for_user(std::string(507, 'u')).size(), 512u);
  expect_invalid([] { identity_for_user(""); });
  expect_invalid([] { identity_for_user(std::string(508, 'u')); });
}

TEST(RateLimitHttpIdentity, Ipv4IsTheAddress) {
  EXPECT_EQ(identity_for_address("203.0.113.7"), "ip:203.0.113.7");
  EXPECT_EQ(identity_for_address("203.0.113.7:8080"), "ip:203.0.113.7");
  EXPECT_EQ(identity_for_address("::ffff:203.0.113.7"), "ip:203.0.113.7");
  EXPECT_EQ(identity_for_address("[::ffff:203.0.113.7]:1"), "ip:203.0.113.7");
}

TEST(RateLimitHttpIdentity, Ipv6GroupsByPrefix) {
  EXPECT_EQ(identity_for_address("2001:db8:1:2:aaaa::1"), "ip:2001:db8:1:2::/64");
  EXPECT_EQ(identity_for_address("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "ip:2001:db8:1:2::/64");
  EXPECT_EQ(identity_for_address("[2001:db8:1:2::99]:443"), "ip:2001:db8:1:2::/64");
  EXPECT_EQ(identity_for_address("2001:db8:1:3::1"), "ip:2001:db8:1:3::/64");
  EXPECT_NE(identity_for_address("2001:db8:1:3::1"), identity_for_address("2001:db8:1:2::1"));
  EXPECT_EQ(identity_for_address("fe80::1%eth0"), "ip:fe80::/64");

  identity_options o48{.ipv6_prefix = 48};
  EXPECT_EQ(identity_for_address("2001:db8:1:2::1", o48), "ip:2001:db8:1::/48");
  EXPECT_EQ(identity_for_address("2001:db8:1:ffff::1", o48), "ip:2001:db8:1::/48");
  EXPECT_EQ(identity_for_address("2001:db8:2::1", o48), "ip:2001:db8:2::/48");

  identity_options o128{.ipv6_prefix = 128};
  EXPECT_EQ(identity_for_address("2001:db8::1", o128), "ip:2001:db8::1/128");
  EXPECT_EQ(identity_for_address("2001:db8::2", o128), "ip:2001:db8::2/128");

  EXPECT_EQ(identity_for_address("2001:db8::1", {.ipv6_prefix = 1}), "ip:::/1");
  EXPECT_EQ(identity_for_address("ffff::1", {.ipv6_prefix = 3}), "ip:e000::/3");
  EXPECT_EQ(identity_for_address("2001:db8:abcd::1", {.ipv6_prefix = 36}), "ip:2001:db8:a000::/36");
  EXPECT_EQ(identity_for_address("2001:db8:abcd::1", {.ipv6_prefix = 37}), "ip:2001:db8:a800::/37");
}

TEST(RateLimitHttpIdentity, RejectsBadInput) {
  expect_invalid([] { identity_for_address("nobody"); });
  expect_invalid([] { identity_for_address(""); });
  expect_invalid([] { identity_for_address("2001:db8::1", {.ipv6_prefix = 0}); });
  expect_invalid([] { identity_for_address("2001:db8::1", {.ipv6_prefix = 129}); });
  expect_invalid([] { identity_for_address("203.0.113.7", {.ipv6_prefix = 0}); });
}

class RateLimitHttpHeaders : public ::testing::Test {
 protected:
  // 1,700,000,000.2 s after the epoch.
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(1'700'000'000s) + 200ms;
  std::vector<policy> policies{
      {.name = "anonymous", .limit = 60, .window = 1min},
      {.name = "burst", .algo = algorithm::gcra, .limit = 10, .window = 1500ms, .burst = 5},
  };

  static decision allowed() {
    decision d;
    d.allowed = true;
    d.limit = 60;
    d.remaining = 42;
    d.reset_after = 30'500ms;
    d.policy = "anonymous";
    d.policies = {
        {.policy = "anonymous", .limit = 60, .remaining = 42, .reset_after = 30'500ms},
        {.policy = "burst", .limit = 5, .remaining = 4, .reset_after = 150ms},
    };
    return d;
  }

  static decision denied() {
    decision d;
    d.allowed = false;
    d.limit = 5;
    d.remaining = 0;
    d.reset_after = 1ms;
    d.retry_after = 1ms;
    d.policy = "burst";
    d.policies = {
        {.policy = "anonymous", .limit = 60, .remaining = 41, .reset_after = 30'000ms},
        {.policy = "burst",
         .allowed = false,
         .limit = 5,
         .remaining = 0,
         .reset_after = 1ms,
         .retry_after = 1ms},
    };
    return d;
  }
};

TEST_F(RateLimitHttpHeaders, Allowed) {
  EXPECT_EQ(rate_limit_headers(allowed(), policies, now),
            (fields{{"X-RateLimit-Limit", "60"},
                    {"X-RateLimit-Remaining", "42"},
                    {"X-RateLimit-Reset", "1700000031"},
                    {"RateLimit-Policy", R"("anonymous";q=60;w=60, "burst";q=5;w=2)"},
                    {"RateLimit", R"("anonymous";r=42;t=31)"}}));
}

TEST_F(RateLimitHttpHeaders, DeniedRoundsUpAndAddsRetryAfter) {
  EXPECT_EQ(rate_limit_headers(denied(), policies, now),
            (fields{{"X-RateLimit-Limit", "5"},
                    {"X-RateLimit-Remaining", "0"},
                    {"X-RateLimit-Reset", "1700000001"},
                    {"RateLimit-Policy", R"("anonymous";q=60;w=60, "burst";q=5;w=2)"},
                    {"RateLimit", R"("burst";r=0;t=1)"},
                    {"Retry-After", "1"}}));

  auto d = denied();
  d.retry_after = 2001ms;
  d.reset_after = 2000ms;
  auto h = rate_limit_headers(d, policies, now);
  EXPECT_EQ(h.back(), (std::pair<std::string, std::string>{"Retry-After", "3"}));
  EXPECT_EQ(h[2].second, "1700000003");  // 1,700,000,002.2 rounds up
  EXPECT_EQ(h[4].second, R"("burst";r=0;t=2)");
}

TEST_F(RateLimitHttpHeaders, RetryAfterIsAtLeastOneSecond) {
  auto d = denied();
  d.retry_after = 0ms;  // not what the limiter produces, but never "Retry-After: 0"
  EXPECT_EQ(rate_limit_headers(d, policies, now).back().second, "1");
}

TEST_F(RateLimitHttpHeaders, WholeSecondsDoNotRoundUp) {
  auto d = allowed();
  d.reset_after = 30s;
  auto h = rate_limit_headers(d, policies, std::chrono::system_clock::time_point(1'700'000'000s));
  EXPECT_EQ(h[2].second, "1700000030");
  EXPECT_EQ(h[4].second, R"("anonymous";r=42;t=30)");
}

TEST_F(RateLimitHttpHeaders, ShadowPoliciesAreNotAdvertised) {
  auto d = allowed();
  d.policies.push_back({.policy = "trial", .allowed = false, .shadow = true, .limit = 1});
  EXPECT_EQ(rate_limit_headers(d, policies, now)[3].second,
            R"("anonymous";q=60;w=60, "burst";q=5;w=2)");
}

TEST_F(RateLimitHttpHeaders, WithoutResultsListsTheDecidingPolicy) {
  auto d = denied();
  d.source = decision_source::shield;
  d.policies.clear();
  d.retry_after = 9'999ms;
  EXPECT_EQ(rate_limit_headers(d, policies, now),
            (fields{{"X-RateLimit-Limit", "5"},
                    {"X-RateLimit-Remaining", "0"},
                    {"X-RateLimit-Reset", "1700000001"},
                    {"RateLimit-Policy", R"("burst";q=5;w=2)"},
                    {"RateLimit", R"("burst";r=0;t=1)"},
                    {"Retry-After", "10"}}));
}

TEST_F(RateLimitHttpHeaders, UnknownPolicyHasNoWindow) {
  EXPECT_EQ(rate_limit_headers(allowed(), {}, now)[3].second, R"("anonymous";q=60, "burst";q=5)");
}

TEST_F(RateLimitHttpHeaders, OptionsTurnFieldSetsOff) {
  EXPECT_EQ(rate_limit_headers(denied(), policies, now, {.legacy = false}),
            (fields{{"RateLimit-Policy", R"("anonymous";q=60;w=60, "burst";q=5;w=2)"},
                    {"RateLimit", R"("burst";r=0;t=1)"},
                    {"Retry-After", "1"}}));
  EXPECT_EQ(rate_limit_headers(allowed(), policies, now, {.draft = false}),
            (fields{{"X-RateLimit-Limit", "60"},
                    {"X-RateLimit-Remaining", "42"},
                    {"X-RateLimit-Reset", "1700000031"}}));
  EXPECT_EQ(rate_limit_headers(denied(), policies, now, {.legacy = false, .draft = false}),
            (fields{{"Retry-After", "1"}}));
  EXPECT_TRUE(
      rate_limit_headers(allowed(), policies, now, {.legacy = false, .draft = false}).empty());
}

TEST_F(RateLimitHttpHeaders, NoDecidingPolicyGivesOnlyRetryAfter) {
  decision closed;
  closed.allowed = false;
  closed.retry_after = 1000ms;
  closed.source = decision_source::fail_closed;
  EXPECT_EQ(rate_limit_headers(closed, policies, now), (fields{{"Retry-After", "1"}}));
  decision open;
  open.source = decision_source::fail_open;
  EXPECT_TRUE(rate_limit_headers(open, policies, now).empty());
}

TEST_F(RateLimitHttpHeaders, IntegersAreClampedToStructuredFieldRange) {
  auto d = allowed();
  d.limit = d.remaining = UINT64_MAX;
  d.policies.clear();
  auto h = rate_limit_headers(d, policies, now);
  EXPECT_EQ(h[0].second, "18446744073709551615");
  EXPECT_EQ(h[3].second, R"("anonymous";q=999999999999999;w=60)");
  EXPECT_EQ(h[4].second, R"("anonymous";r=999999999999999;t=31)");
}

TEST(RateLimitHttpSfString, QuotesAndEscapes) {
  EXPECT_EQ(sf_string("anonymous"), R"("anonymous")");
  EXPECT_EQ(sf_string(""), R"("")");
  EXPECT_EQ(sf_string(R"(a"b\c)"), R"("a\"b\\c")");
  EXPECT_EQ(sf_string("x\r\ny\x7f\xc3\xa9 z~"), R"("x??y??? z~")");

  decision d;
  d.policy = R"(we"ird\)";
  d.limit = 1;
  auto h = rate_limit_headers(d, {}, std::chrono::system_clock::time_point{});
  EXPECT_EQ(h[3].second, R"("we\"ird\\";q=1)");
  EXPECT_EQ(h[4].second, R"("we\"ird\\";r=0;t=0)");
}

// Enough of JSON to read a flat object of strings and integers back.
using json_value = std::variant<std::string, std::int64_t>;
std::optional<std::map<std::string, json_value>> parse_flat_object(std::string_view s) {
  std::size_t i = 0;
  auto read_string = [&]() -> std::optional<std::string> {
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    std::string out;
    for (++i; i < s.size(); ++i) {
      char c = s[i];
      if (c == '"') {
        ++i;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i >= s.size()) return std::nullopt;
      switch (s[i]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (i + 4 >= s.size()) return std::nullopt;
          auto code = std::stoi(std::string(s.substr(i + 1, 4)), nullptr, 16);
          if (code > 0x7f) return std::nullopt;  // not needed here
          out += static_cast<char>(code);
          i += 4;
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  };
  std::map<std::string, json_value> out;
  if (s.empty() || s[i++] != '{') return std::nullopt;
  while (true) {
    auto key = read_string();
    if (!key || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (i < s.size() && s[i] == '"') {
      auto v = read_string();
      if (!v) return std::nullopt;
      out[*key] = *v;
    } else {
      std::size_t end = i;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
      if (end == i) return std::nullopt;
      out[*key] = std::stoll(std::string(s.substr(i, end - i)));
      i = end;
    }
    if (i >= s.size()) return std::nullopt;
    char c = s[i++];
    if (c == '}') return i == s.size() ? std::optional(out) : std::nullopt;
    if (c != ',') return std::nullopt;
  }
}

TEST(RateLimitHttpProblem, DeniedBody) {
  decision d;
  d.allowed = false;
  d.retry_after = 1ms;
  d.policy = "burst";
  EXPECT_EQ(problem_json(d),
            R"({"type":"about:blank","title":"Too Many Requests","status":429,)"
            R"("detail":"Too many requests for policy burst; retry after 1 second.",)"
            R"("error":"Too Many Requests","retryAfter":1,"policy":"burst"})");
  EXPECT_EQ(problem_content_type, "application/problem+json");

  d.retry_after = 12'500ms;
  auto body = parse_flat_object(problem_json(d));
  ASSERT_TRUE(body);
  EXPECT_EQ(body->size(), 7u);
  EXPECT_EQ(body->at("type"), json_value("about:blank"));
  EXPECT_EQ(body->at("title"), json_value("Too Many Requests"));
  EXPECT_EQ(body->at("status"), json_value(std::int64_t{429}));
  EXPECT_EQ(body->at("detail"),
            json_value("Too many requests for policy burst; retry after 13 seconds."));
  EXPECT_EQ(body->at("error"), json_value("Too Many Requests"));
  EXPECT_EQ(body->at("retryAfter"), json_value(std::int64_t{13}));
  EXPECT_EQ(body->at("policy"), json_value("burst"));
}

TEST(RateLimitHttpProblem, NoPolicyAndZeroRetry) {
  decision d;
  d.allowed = false;
  d.source = decision_source::fail_closed;
  EXPECT_EQ(problem_json(d), R"({"type":"about:blank","title":"Too Many Requests","status":429,)"
                             R"("detail":"Too many requests; retry after 1 second.",)"
                             R"("error":"Too Many Requests","retryAfter":1,"policy":""})");
}

TEST(RateLimitHttpProblem, EscapesStrings) {
  decision d;
  d.allowed = false;
  d.retry_after = 3s;
  d.policy = "p\"q\\r";
  std::string detail = "line\none \"quoted\" \\ tab\t bell\x07 del\x7f caf\xc3\xa9";
  auto text = problem_json(d, detail);
  EXPECT_THAT(text, ::testing::HasSubstr(
                        R"("detail":"line\none \"quoted\" \\ tab\t bell\u0007 del\u007f caf)"));
  EXPECT_THAT(text, ::testing::HasSubstr(R"("policy":"p\"q\\r"})"));
  auto body = parse_flat_object(text);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("detail"), json_value(detail));
  EXPECT_EQ(body->at("policy"), json_value(d.policy));
  EXPECT_EQ(body->at("retryAfter"), json_value(std::int64_t{3}));
}

}  // namespace
}  // namespace redkit::rate_limit
