// Rate-limit policies and tiers: enum names, validation bounds, duration and rate parsing, the
// reference tiers, TOML loading with positioned errors, and --tier overrides.
#include <redkit/error.hpp>
#include <redkit/rate_limiter.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

namespace redkit::rate_limit {
namespace {

using namespace std::chrono_literals;

// The message of the redkit::error `f` throws, after checking its code.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_argument)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

auto fields(const policy& p) {
  return std::tuple(p.name, p.algo, p.limit, p.window, p.burst, p.cost, p.shadow);
}

auto fields(std::string name, algorithm algo, std::uint64_t limit, std::chrono::milliseconds window,
            std::uint64_t burst = 0, std::uint64_t cost = 1, bool shadow = false) {
  return std::tuple(std::move(name), algo, limit, window, burst, cost, shadow);
}

policy make(std::string name, std::uint64_t limit, std::chrono::milliseconds window,
            algorithm algo = algorithm::sliding_log) {
  policy p;
  p.name = std::move(name);
  p.algo = algo;
  p.limit = limit;
  p.window = window;
  return p;
}

constexpr std::uint64_t max_units = 1'000'000'000'000;

// ---------------------------------------------------------------------------------------------
// Enum names.

TEST(RateLimitPolicy, AlgorithmNamesRoundTrip) {
  const std::pair<algorithm, std::string_view> names[] = {
      {algorithm::sliding_log, "sliding_log"},
      {algorithm::sliding_window, "sliding_window"},
      {algorithm::gcra, "gcra"},
      {algorithm::fixed_window, "fixed_window"},
  };
  for (const auto& [a, name] : names) {
    EXPECT_EQ(to_string(a), name);
    EXPECT_EQ(parse_algorithm(name), a) << name;
  }
  for (const char* bad : {"", "GCRA", "sliding-log", "sliding_log ", "token_bucket"}) {
    EXPECT_EQ(parse_algorithm(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(to_string(static_cast<algorithm>(99)), "unknown");
}

TEST(RateLimitPolicy, DecisionSourceNames) {
  EXPECT_EQ(to_string(decision_source::store), "store");
  EXPECT_EQ(to_string(decision_source::shield), "shield");
  EXPECT_EQ(to_string(decision_source::insurance), "insurance");
  EXPECT_EQ(to_string(decision_source::fail_open), "fail_open");
  EXPECT_EQ(to_string(decision_source::fail_closed), "fail_closed");
  EXPECT_EQ(to_string(static_cast<decision_source>(99)), "unknown");
}

TEST(RateLimitPolicy, FailureModeNamesRoundTrip) {
  const std::pair<failure_mode, std::string_view> names[] = {
      {failure_mode::open, "open"},
      {failure_mode::closed, "closed"},
      {failure_mode::insurance, "insurance"},
  };
  for (const auto& [m, name] : names) {
    EXPECT_EQ(to_string(m), name);
    EXPECT_EQ(parse_failure_mode(name), m) << name;
  }
  for (const char* bad : {"", "Open", "fail_open", "closed "}) {
    EXPECT_EQ(parse_failure_mode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(to_string(static_cast<failure_mode>(99)), "unknown");
}

// ---------------------------------------------------------------------------------------------
// Durations and rates.

TEST(RateLimitPolicy, ParseDurationAcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("1ms"), 1ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("1m"), 1min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("366d"), 366 * 24h);
  EXPECT_EQ(parse_duration("007s"), 7s);
  EXPECT_EQ(parse_duration("9223372036854775807ms"), std::chrono::milliseconds::max());
  EXPECT_EQ(parse_duration("106751991167d"), std::chrono::milliseconds{106751991167 * 86400000});
}

TEST(RateLimitPolicy, ParseDurationRejectsMalformedText) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "duration is empty (expected e.g. 250ms, 10s, 1m, 2h, 1d)"},
      {"10", "duration '10': missing unit (ms, s, m, h or d)"},
      {"-1s", "duration '-1s': must be positive"},
      {"0s", "duration '0s': must be positive"},
      {"0ms", "duration '0ms': must be positive"},
      {"1.5s", "duration '1.5s': must be a whole number"},
      {"10x", "duration '10x': unknown unit 'x' (use ms, s, m, h or d)"},
      {"10 s", "duration '10 s': unknown unit ' s' (use ms, s, m, h or d)"},
      {"1S", "duration '1S': unknown unit 'S' (use ms, s, m, h or d)"},
      {"1sec", "duration '1sec': unknown unit 'sec' (use ms, s, m, h or d)"},
      {"s", "duration 's': must be a whole number with a unit (ms, s, m, h or d)"},
      {"+1s", "duration '+1s': must be a whole number with a unit (ms, s, m, h or d)"},
      {" 1s", "duration ' 1s': must be a whole number with a unit (ms, s, m, h or d)"},
      {"9223372036854775808ms", "duration '9223372036854775808ms': too large"},
      {"106751991168d", "duration '106751991168d': too large"},
      {"99999999999999999999999s", "duration '99999999999999999999999s': too large"},
  };
  for (const auto& [text, message] : cases) {
    const std::string_view input = text;
    EXPECT_EQ(error_of([&] { parse_duration(input); }), message) << text;
  }
  EXPECT_EQ(error_of([] { parse_duration(std::string_view("1\ns", 3)); }),
            "duration '1?s': unknown unit '?s' (use ms, s, m, h or d)");
}

TEST(RateLimitPolicy, ParseRateTakesDurationsAndBareUnits) {
  EXPECT_EQ(fields(parse_rate("api", "60/1m")), fields("api", algorithm::sliding_log, 60, 1min));
  EXPECT_EQ(fields(parse_rate("api", "100/s")), fields("api", algorithm::sliding_log, 100, 1s));
  EXPECT_EQ(fields(parse_rate("api", "5/m")), fields("api", algorithm::sliding_log, 5, 1min));
  EXPECT_EQ(fields(parse_rate("api", "1000/h")), fields("api", algorithm::sliding_log, 1000, 1h));
  EXPECT_EQ(fields(parse_rate("api", "10/d")), fields("api", algorithm::sliding_log, 10, 24h));
  EXPECT_EQ(fields(parse_rate("api", "1/ms")), fields("api", algorithm::sliding_log, 1, 1ms));
  EXPECT_EQ(fields(parse_rate("api", "10/500ms")),
            fields("api", algorithm::sliding_log, 10, 500ms));
  EXPECT_EQ(fields(parse_rate("b", "10/1s", algorithm::gcra)),
            fields("b", algorithm::gcra, 10, 1s));
  EXPECT_EQ(fields(parse_rate("w", "7/2h", algorithm::sliding_window)),
            fields("w", algorithm::sliding_window, 7, 2h));
  EXPECT_EQ(fields(parse_rate("f", "1000000000000/366d", algorithm::fixed_window)),
            fields("f", algorithm::fixed_window, max_units, 366 * 24h));
}

TEST(RateLimitPolicy, ParseRateRejectsMalformedRates) {
  const std::pair<const char*, const char*> cases[] = {
      {"60", "rate limit policy 'api': rate '60' must be LIMIT/WINDOW, e.g. 60/1m or 100/s"},
      {"", "rate limit policy 'api': rate '' must be LIMIT/WINDOW, e.g. 60/1m or 100/s"},
      {"/1m", "rate limit policy 'api': rate '/1m': limit must be a whole number"},
      {"abc/1m", "rate limit policy 'api': rate 'abc/1m': limit must be a whole number"},
      {"-1/1m", "rate limit policy 'api': rate '-1/1m': limit must be a whole number"},
      {"1.5/1m", "rate limit policy 'api': rate '1.5/1m': limit must be a whole number"},
      {" 6/1m", "rate limit policy 'api': rate ' 6/1m': limit must be a whole number"},
      {"0/1m", "rate limit policy 'api': limit must be at least 1"},
      {"1000000000001/s", "rate limit policy 'api': limit must be at most 1000000000000"},
      {"99999999999999999999999/s", "rate limit policy 'api': limit must be at most 1000000000000"},
      {"60/",
       "rate limit policy 'api': rate '60/': window is empty (expected e.g. 250ms, 10s, 1m, 2h, "
       "1d)"},
      {"60/0s", "rate limit policy 'api': rate '60/0s': window '0s': must be positive"},
      {"60/1x",
       "rate limit policy 'api': rate '60/1x': window '1x': unknown unit 'x' (use ms, s, m, h or "
       "d)"},
      {"60/1m/2",
       "rate limit policy 'api': rate '60/1m/2': window '1m/2': unknown unit 'm/2' (use ms, s, m, "
       "h or d)"},
      {"60/sec",
       "rate limit policy 'api': rate '60/sec': window 'sec': must be a whole number with a unit "
       "(ms, s, m, h or d)"},
      {"60/367d", "rate limit policy 'api': window must be at most 366 days"},
  };
  for (const auto& [rate, message] : cases) {
    const std::string_view input = rate;
    EXPECT_EQ(error_of([&] { parse_rate("api", input); }), message) << rate;
  }
  EXPECT_EQ(error_of([] { parse_rate("bad name", "1/s"); }),
            "rate limit policy 'bad name': name must be 1-64 characters of [A-Za-z0-9_.-]");
  EXPECT_EQ(error_of([] { parse_rate("", "1/s"); }),
            "rate limit policy '': name must be 1-64 characters of [A-Za-z0-9_.-]");
}

// ---------------------------------------------------------------------------------------------
// validate.

TEST(RateLimitPolicy, ValidateAcceptsBoundaryValues) {
  EXPECT_NO_THROW(validate(make("a", 1, 1ms)));
  EXPECT_NO_THROW(validate(make(std::string(64, 'x'), 1, 1ms)));
  EXPECT_NO_THROW(validate(make("AZaz09_.-", max_units, 366 * 24h)));
  auto p = make("p", 10, 1s);
  p.cost = 10;
  EXPECT_NO_THROW(validate(p));
  p.burst = max_units;  // ignored by sliding_log, but still bounded
  EXPECT_NO_THROW(validate(p));
  p.shadow = true;
  EXPECT_NO_THROW(validate(p));
}

TEST(RateLimitPolicy, ValidateNamesTheFirstBadField) {
  const auto message = [](policy p) { return error_of([&] { validate(p); }); };
  const std::string name_rule = "name must be 1-64 characters of [A-Za-z0-9_.-]";

  EXPECT_EQ(message(make("", 1, 1s)), "rate limit policy '': " + name_rule);
  EXPECT_EQ(message(make(std::string(65, 'x'), 1, 1s)),
            "rate limit policy '" + std::string(64, 'x') + "...': " + name_rule);
  for (const char* bad : {"a b", "a:b", "a/b", "caf\xc3\xa9", "a{b}"}) {
    EXPECT_EQ(message(make(bad, 1, 1s)),
              "rate limit policy '" + std::string(bad) + "': " + name_rule);
  }
  EXPECT_EQ(message(make("a\tb", 1, 1s)), "rate limit policy 'a?b': " + name_rule);

  EXPECT_EQ(message(make("p", 1, 1s, static_cast<algorithm>(7))),
            "rate limit policy 'p': algorithm must be one of sliding_log, sliding_window, gcra, "
            "fixed_window");
  EXPECT_EQ(message(make("p", 0, 1s)), "rate limit policy 'p': limit must be at least 1");
  EXPECT_EQ(message(make("p", max_units + 1, 1s)),
            "rate limit policy 'p': limit must be at most 1000000000000");
  EXPECT_EQ(message(make("p", 1, 0ms)), "rate limit policy 'p': window must be at least 1ms");
  EXPECT_EQ(message(make("p", 1, -5ms)), "rate limit policy 'p': window must be at least 1ms");
  EXPECT_EQ(message(make("p", 1, 366 * 24h + 1ms)),
            "rate limit policy 'p': window must be at most 366 days");

  auto p = make("p", 10, 1s);
  p.burst = max_units + 1;
  EXPECT_EQ(message(p), "rate limit policy 'p': burst must be at most 1000000000000");
  p = make("p", 10, 1s);
  p.cost = 0;
  EXPECT_EQ(message(p), "rate limit policy 'p': cost must be at least 1");
  p.cost = 11;
  EXPECT_EQ(message(p), "rate limit policy 'p': cost must be at most the capacity (limit 10)");
  // The first bad field wins.
  p.limit = 0;
  EXPECT_EQ(message(p), "rate limit policy 'p': limit must be at least 1");
}

TEST(RateLimitPolicy, ValidateCostAgainstEachAlgorithmsCapacity) {
  const auto message = [](policy p) { return error_of([&] { validate(p); }); };
  // gcra: the burst is the capacity, when given; else the limit.
  auto g = make("g", 100, 1s, algorithm::gcra);
  g.burst = 5;
  g.cost = 5;
  EXPECT_NO_THROW(validate(g));
  g.cost = 6;
  EXPECT_EQ(message(g), "rate limit policy 'g': cost must be at most the capacity (burst 5)");
  g.burst = 200;
  g.cost = 150;
  EXPECT_NO_THROW(validate(g));
  g.burst = 0;
  EXPECT_EQ(message(g), "rate limit policy 'g': cost must be at most the capacity (limit 100)");
  g.cost = 100;
  EXPECT_NO_THROW(validate(g));
  // The others ignore the burst.
  for (const auto a :
       {algorithm::sliding_log, algorithm::sliding_window, algorithm::fixed_window}) {
    auto p = make("p", 100, 1s, a);
    p.burst = 5;
    p.cost = 50;
    EXPECT_NO_THROW(validate(p)) << to_string(a);
    p.burst = 500;
    p.cost = 101;
    EXPECT_EQ(message(p), "rate limit policy 'p': cost must be at most the capacity (limit 100)")
        << to_string(a);
  }
}

// ---------------------------------------------------------------------------------------------
// tier_set basics.

TEST(RateLimitPolicyTiers, DefaultsAreTheReferenceTiers) {
  const tier_set tiers;
  ASSERT_EQ(tiers.all().size(), 3u);
  const std::pair<const char*, std::uint64_t> expected[] = {
      {"anonymous", 60}, {"authenticated", 300}, {"premium", 1000}};
  auto it = tiers.all().begin();
  for (const auto& [name, limit] : expected) {
    EXPECT_EQ(it->first, name);
    EXPECT_EQ(it->second.name, name);
    ASSERT_EQ(it->second.policies.size(), 1u) << name;
    EXPECT_EQ(fields(it->second.policies[0]),
              fields(name, algorithm::sliding_log, limit, std::chrono::milliseconds{60000}));
    ++it;
  }
}

TEST(RateLimitPolicyTiers, EmptyHasNoTiers) {
  const auto tiers = tier_set::none();
  EXPECT_TRUE(tiers.all().empty());
  EXPECT_EQ(tiers.find("anonymous"), nullptr);
}

TEST(RateLimitPolicyTiers, FindAndAt) {
  const tier_set tiers;
  ASSERT_NE(tiers.find("premium"), nullptr);
  EXPECT_EQ(tiers.find("premium")->policies[0].limit, 1000u);
  EXPECT_EQ(&tiers.at("premium"), tiers.find("premium"));
  EXPECT_EQ(tiers.find("Premium"), nullptr);
  EXPECT_EQ(tiers.find(""), nullptr);
  EXPECT_EQ(error_of([&] { tiers.at("gold"); }), "rate limit tier 'gold' does not exist");
}

TEST(RateLimitPolicyTiers, SetAddsAndReplaces) {
  tier_set tiers;
  tiers.set({"partner", {make("partner", 5, 1s), make("partner-day", 1000, 24h)}});
  ASSERT_NE(tiers.find("partner"), nullptr);
  EXPECT_EQ(tiers.at("partner").name, "partner");
  ASSERT_EQ(tiers.at("partner").policies.size(), 2u);
  EXPECT_EQ(fields(tiers.at("partner").policies[1]),
            fields("partner-day", algorithm::sliding_log, 1000, 24h));
  EXPECT_EQ(tiers.all().size(), 4u);

  tiers.set({"premium", {make("p", 1, 1s, algorithm::gcra)}});
  ASSERT_EQ(tiers.at("premium").policies.size(), 1u);
  EXPECT_EQ(fields(tiers.at("premium").policies[0]), fields("p", algorithm::gcra, 1, 1s));
  EXPECT_EQ(tiers.all().size(), 4u);
}

TEST(RateLimitPolicyTiers, SetRejectsBadTiersAndKeepsTheOldOne) {
  tier_set tiers;
  EXPECT_EQ(error_of([&] {
              tiers.set({"premium", {}});
            }),
            "rate limit tier 'premium': needs at least one policy");
  EXPECT_EQ(error_of([&] {
              tiers.set({"premium", {make("a", 1, 1s), make("a", 2, 1min)}});
            }),
            "rate limit tier 'premium': policy name 'a' is used twice");
  EXPECT_EQ(error_of([&] {
              tiers.set({"premium", {make("a", 1, 1s), make("b", 0, 1s)}});
            }),
            "rate limit tier 'premium': policy 'b': limit must be at least 1");
  EXPECT_EQ(error_of([&] {
              tiers.set({"", {make("a", 1, 1s)}});
            }),
            "rate limit tier '': name must be 1-64 characters of [A-Za-z0-9_.-]");
  EXPECT_EQ(error_of([&] {
              tiers.set({"gold tier", {make("a", 1, 1s)}});
            }),
            "rate limit tier 'gold tier': name must be 1-64 characters of [A-Za-z0-9_.-]");
  EXPECT_EQ(fields(tiers.at("premium").policies.at(0)),
            fields("premium", algorithm::sliding_log, 1000, 1min));
  EXPECT_EQ(tiers.all().size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// TOML.

TEST(RateLimitPolicyToml, LoadsTheDocumentedExample) {
  tier_set tiers;
  tiers.load_toml(R"(
[tiers.anonymous]
policies = [ { limit = 10, window = "1s", algorithm = "gcra", name = "anon-burst" },
             { limit = 60, window = "1m" } ]
)");
  ASSERT_EQ(tiers.all().size(), 3u);
  const auto& anon = tiers.at("anonymous");
  ASSERT_EQ(anon.policies.size(), 2u);
  EXPECT_EQ(fields(anon.policies[0]), fields("anon-burst", algorithm::gcra, 10, 1s));
  EXPECT_EQ(fields(anon.policies[1]), fields("anonymous", algorithm::sliding_log, 60, 1min));
  // The tiers the text does not name keep their defaults.
  EXPECT_EQ(fields(tiers.at("authenticated").policies.at(0)),
            fields("authenticated", algorithm::sliding_log, 300, 1min));
  EXPECT_EQ(fields(tiers.at("premium").policies.at(0)),
            fields("premium", algorithm::sliding_log, 1000, 1min));
}

TEST(RateLimitPolicyToml, LoadsEveryFieldAndBothArraySyntaxes) {
  auto tiers = tier_set::none();
  tiers.load_toml(R"(
[tiers.premium]
policies = [
  { name = "premium-burst", algorithm = "gcra", limit = 100, window = "10s", burst = 20, cost = 2 },
  { name = "premium-daily", algorithm = "fixed_window", limit = 50000, window = "1d", shadow = true },
  { name = "premium-smooth", algorithm = "sliding_window", limit = 1000, window = "1m", shadow = false },
]

[[tiers.partner.policies]]
limit = 5
window = "250ms"

[[tiers.partner.policies]]
name = "partner-hourly"
limit = 3000
window = "1h"
)");
  ASSERT_EQ(tiers.all().size(), 2u);
  const auto& premium = tiers.at("premium").policies;
  ASSERT_EQ(premium.size(), 3u);
  EXPECT_EQ(fields(premium[0]), fields("premium-burst", algorithm::gcra, 100, 10s, 20, 2));
  EXPECT_EQ(fields(premium[1]),
            fields("premium-daily", algorithm::fixed_window, 50000, 24h, 0, 1, true));
  EXPECT_EQ(fields(premium[2]), fields("premium-smooth", algorithm::sliding_window, 1000, 1min));
  const auto& partner = tiers.at("partner").policies;
  ASSERT_EQ(partner.size(), 2u);
  EXPECT_EQ(fields(partner[0]), fields("partner", algorithm::sliding_log, 5, 250ms));
  EXPECT_EQ(fields(partner[1]), fields("partner-hourly", algorithm::sliding_log, 3000, 1h));
}

TEST(RateLimitPolicyToml, TextWithoutTiersChangesNothing) {
  tier_set tiers;
  tiers.load_toml("");
  tiers.load_toml("[server]\nport = 8080\n");
  tiers.load_toml("[tiers]\n");
  ASSERT_EQ(tiers.all().size(), 3u);
  EXPECT_EQ(tiers.at("anonymous").policies.at(0).limit, 60u);
}

// The message load_toml gives for `text`, which must leave `tiers` unchanged.
std::string toml_error(std::string_view text) {
  tier_set tiers;
  auto message = error_of([&] { tiers.load_toml(text); });
  EXPECT_EQ(tiers.all().size(), 3u);
  EXPECT_EQ(tiers.at("anonymous").policies.size(), 1u);
  EXPECT_EQ(tiers.at("anonymous").policies.at(0).limit, 60u);
  return message;
}

TEST(RateLimitPolicyToml, RejectsBadValuesAtTheirPosition) {
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", algorithm = "leaky" } ])"),
            "rate limit config line 2, column 55: tier 'anonymous', policy 1: unknown algorithm "
            "'leaky' (expected sliding_log, sliding_window, gcra or fixed_window)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1x" } ])"),
            "rate limit config line 2, column 37: tier 'anonymous', policy 1: window '1x': unknown "
            "unit 'x' (use ms, s, m, h or d)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "0s" } ])"),
            "rate limit config line 2, column 37: tier 'anonymous', policy 1: window '0s': must be "
            "positive");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "400d" } ])"),
            "rate limit config line 2, column 37: tier 'anonymous', policy 1: window must be at "
            "most 366 days");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 0, window = "1s" } ])"),
            "rate limit config line 2, column 24: tier 'anonymous', policy 1: limit must be at "
            "least 1");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 1000000000001, window = "1s" } ])"),
            "rate limit config line 2, column 24: tier 'anonymous', policy 1: limit must be at "
            "most 1000000000000");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", burst = -1 } ])"),
            "rate limit config line 2, column 51: tier 'anonymous', policy 1: burst must not be "
            "negative");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", cost = 11 } ])"),
            "rate limit config line 2, column 50: tier 'anonymous', policy 1: cost must be at most "
            "the capacity (limit 10)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", algorithm = "gcra", burst = 3, cost = 4 } ])"),
            "rate limit config line 2, column 81: tier 'anonymous', policy 1: cost must be at most "
            "the capacity (burst 3)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", name = "a b" } ])"),
            "rate limit config line 2, column 50: tier 'anonymous', policy 1: name must be 1-64 "
            "characters of [A-Za-z0-9_.-]");
}

TEST(RateLimitPolicyToml, RejectsMissingAndUnknownKeys) {
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { window = "1s" } ])"),
            "rate limit config line 2, column 14: tier 'anonymous', policy 1: missing 'limit'");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 5 } ])"),
            "rate limit config line 2, column 14: tier 'anonymous', policy 1: missing 'window'");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 5, window = "1s" },
             { limt = 5, window = "1s" } ])"),
            "rate limit config line 3, column 23: tier 'anonymous', policy 2: unknown key 'limt' "
            "(expected name, algorithm, limit, window, burst, cost or shadow)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 5, window = "1s" } ]
polices = 3)"),
            "rate limit config line 3, column 11: tier 'anonymous': unknown key 'polices' "
            "(expected 'policies')");
  EXPECT_EQ(toml_error("[tiers.anonymous]\n"),
            "rate limit config line 1, column 1: tier 'anonymous': missing 'policies'");
  EXPECT_EQ(toml_error("[tiers.anonymous]\npolicies = []\n"),
            "rate limit config line 2, column 12: tier 'anonymous': 'policies' is empty (a tier "
            "needs at least one)");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 5, window = "1s" }, { limit = 6, window = "1m" } ])"),
            "rate limit config line 2, column 44: tier 'anonymous', policy 2: policy name "
            "'anonymous' is used twice");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { name = "x", limit = 5, window = "1s" }, { name = "x", limit = 6, window = "1m" } ])"),
            "rate limit config line 2, column 65: tier 'anonymous', policy 2: policy name 'x' is "
            "used twice");
  EXPECT_EQ(toml_error(R"([tiers."gold tier"]
policies = [ { limit = 5, window = "1s" } ])"),
            "rate limit config line 1, column 8: tier 'gold tier': name must be 1-64 characters of "
            "[A-Za-z0-9_.-]");
}

TEST(RateLimitPolicyToml, RejectsWrongTypes) {
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = "10", window = "1s" } ])"),
            "rate limit config line 2, column 24: tier 'anonymous', policy 1: limit must be an "
            "integer");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 1.5, window = "1s" } ])"),
            "rate limit config line 2, column 24: tier 'anonymous', policy 1: limit must be an "
            "integer");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = 60 } ])"),
            "rate limit config line 2, column 37: tier 'anonymous', policy 1: window must be a "
            "string");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", shadow = "yes" } ])"),
            "rate limit config line 2, column 52: tier 'anonymous', policy 1: shadow must be true "
            "or false");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", name = 5 } ])"),
            "rate limit config line 2, column 50: tier 'anonymous', policy 1: name must be a "
            "string");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", algorithm = 1 } ])"),
            "rate limit config line 2, column 55: tier 'anonymous', policy 1: algorithm must be a "
            "string");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ { limit = 10, window = "1s", cost = true } ])"),
            "rate limit config line 2, column 50: tier 'anonymous', policy 1: cost must be an "
            "integer");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = [ 1 ])"),
            "rate limit config line 2, column 14: tier 'anonymous', policy 1: must be a table");
  EXPECT_EQ(toml_error(R"([tiers.anonymous]
policies = { limit = 10, window = "1s" })"),
            "rate limit config line 2, column 12: tier 'anonymous': 'policies' must be an array of "
            "tables");
  EXPECT_EQ(toml_error("[tiers]\nanonymous = 5\n"),
            "rate limit config line 2, column 13: tier 'anonymous' must be a table");
  EXPECT_EQ(toml_error("tiers = 5\n"),
            "rate limit config line 1, column 9: 'tiers' must be a table");
}

TEST(RateLimitPolicyToml, RejectsSyntaxErrorsWithTheirLine) {
  const auto message = toml_error("[tiers.anonymous]\npolicies = [ { limit = 10, window = } ]\n");
  EXPECT_TRUE(message.starts_with("rate limit config line 2, column 37: ")) << message;
  EXPECT_NE(message.find("expected value"), std::string::npos) << message;
}

TEST(RateLimitPolicyToml, AnErrorInOneTierLoadsNoTier) {
  tier_set tiers;
  EXPECT_EQ(error_of([&] {
              tiers.load_toml(R"(
[tiers.anonymous]
policies = [ { limit = 1, window = "1s" } ]
[tiers.premium]
policies = [ { limit = 0, window = "1s" } ]
)");
            }),
            "rate limit config line 5, column 24: tier 'premium', policy 1: limit must be at least "
            "1");
  EXPECT_EQ(tiers.at("anonymous").policies.at(0).limit, 60u);
  EXPECT_EQ(tiers.at("premium").policies.at(0).limit, 1000u);
}

class RateLimitPolicyTomlFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("redkit-rate-limit-policy-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, std::string_view text) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(RateLimitPolicyTomlFile, LoadsAFile) {
  const auto path = write("tiers.toml", R"([tiers.authenticated]
policies = [ { limit = 500, window = "1m", algorithm = "sliding_window" } ]
)");
  tier_set tiers;
  tiers.load_toml_file(path);
  EXPECT_EQ(fields(tiers.at("authenticated").policies.at(0)),
            fields("authenticated", algorithm::sliding_window, 500, 1min));
  EXPECT_EQ(tiers.at("anonymous").policies.at(0).limit, 60u);
}

TEST_F(RateLimitPolicyTomlFile, ErrorsNameTheFile) {
  const auto path = write("bad.toml", "\n[tiers.premium]\npolicies = [ { limit = 10 } ]\n");
  tier_set tiers;
  EXPECT_EQ(error_of([&] { tiers.load_toml_file(path); }),
            "rate limit config " + path.string() +
                ", line 3, column 14: tier 'premium', policy 1: missing 'window'");
  const auto missing = dir_ / "missing.toml";
  EXPECT_EQ(error_of([&] { tiers.load_toml_file(missing); }),
            "rate limit config " + missing.string() + ": does not exist");
  EXPECT_EQ(error_of([&] { tiers.load_toml_file(dir_); }),
            "rate limit config " + dir_.string() + ": is a directory");
  EXPECT_EQ(tiers.at("premium").policies.at(0).limit, 1000u);
}

// ---------------------------------------------------------------------------------------------
// --tier overrides.

TEST(RateLimitPolicyTiers, OverrideChangesTheFirstPolicyOfAnExistingTier) {
  tier_set tiers;
  tiers.apply_override("premium=5000/1m");
  ASSERT_EQ(tiers.at("premium").policies.size(), 1u);
  EXPECT_EQ(fields(tiers.at("premium").policies[0]),
            fields("premium", algorithm::sliding_log, 5000, 1min));

  tiers.load_toml(R"([tiers.anonymous]
policies = [ { name = "anon-burst", algorithm = "gcra", limit = 10, window = "1s", burst = 4, cost = 2 },
             { limit = 60, window = "1m" } ])");
  tiers.apply_override("anonymous=20/500ms");
  const auto& anon = tiers.at("anonymous").policies;
  ASSERT_EQ(anon.size(), 2u);
  EXPECT_EQ(fields(anon[0]), fields("anon-burst", algorithm::gcra, 20, 500ms, 4, 2));
  EXPECT_EQ(fields(anon[1]), fields("anonymous", algorithm::sliding_log, 60, 1min));
  EXPECT_EQ(tiers.all().size(), 3u);
}

TEST(RateLimitPolicyTiers, OverrideAddsANewTier) {
  tier_set tiers;
  tiers.apply_override("partner=10/s");
  EXPECT_EQ(tiers.all().size(), 4u);
  ASSERT_EQ(tiers.at("partner").policies.size(), 1u);
  EXPECT_EQ(fields(tiers.at("partner").policies[0]),
            fields("partner", algorithm::sliding_log, 10, 1s));
}

TEST(RateLimitPolicyTiers, OverrideRejectsBadSpecs) {
  tier_set tiers;
  const auto usage = [](std::string_view spec) {
    return "rate limit tier override '" + std::string(spec) +
           "' must be NAME=LIMIT/WINDOW, e.g. premium=5000/1m";
  };
  EXPECT_EQ(error_of([&] { tiers.apply_override("premium"); }), usage("premium"));
  EXPECT_EQ(error_of([&] { tiers.apply_override("=1/s"); }), usage("=1/s"));
  EXPECT_EQ(error_of([&] { tiers.apply_override(""); }), usage(""));
  EXPECT_EQ(error_of([&] { tiers.apply_override("premium="); }),
            "rate limit policy 'premium': rate '' must be LIMIT/WINDOW, e.g. 60/1m or 100/s");
  EXPECT_EQ(error_of([&] { tiers.apply_override("premium=abc/1m"); }),
            "rate limit policy 'premium': rate 'abc/1m': limit must be a whole number");
  EXPECT_EQ(error_of([&] { tiers.apply_override("premium=0/1m"); }),
            "rate limit policy 'premium': limit must be at least 1");
  EXPECT_EQ(error_of([&] { tiers.apply_override("gold tier=1/s"); }),
            "rate limit tier 'gold tier': name must be 1-64 characters of [A-Za-z0-9_.-]");
  // The new limit must still hold the first policy's cost.
  tiers.set({"bulk", {[] {
               auto p = make("bulk", 10, 1s);
               p.cost = 5;
               return p;
             }()}});
  EXPECT_EQ(error_of([&] { tiers.apply_override("bulk=4/s"); }),
            "rate limit tier 'bulk': policy 'bulk': cost must be at most the capacity (limit 4)");
  EXPECT_EQ(tiers.at("bulk").policies.at(0).limit, 10u);
  EXPECT_EQ(tiers.at("premium").policies.at(0).limit, 1000u);
  EXPECT_EQ(tiers.all().size(), 4u);
}

}  // namespace
}  // namespace redkit::rate_limit
