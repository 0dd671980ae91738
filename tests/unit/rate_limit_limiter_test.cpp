// The limiter's sans-io parts (src/rate_limit/limiter_parts.hpp): check.lua's reply as
// integers, the decision built from it, the circuit breaker and the shield of recent denials.
// Every time is an explicit time point: nothing sleeps.
#include "rate_limit/limiter_parts.hpp"

#include <redkit/error.hpp>
#include <redkit/rate_limiter.hpp>
#include <redkit/resp.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace redkit::rate_limit {
namespace {

using namespace std::chrono_literals;
using resp::reply;
using ints = std::vector<std::int64_t>;

// Runs `f` and checks it throws redkit::error with errc::unexpected_reply.
template <class F>
void expect_unexpected_reply(F&& f) {
  try {
    f();
  } catch (const error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::unexpected_reply)) << e.what();
    return;
  }
  ADD_FAILURE() << "no redkit::error thrown";
}

policy make_policy(std::string name, std::uint64_t limit, bool shadow = false,
                   algorithm algo = algorithm::sliding_log, std::uint64_t burst = 0) {
  policy p;
  p.name = std::move(name);
  p.algo = algo;
  p.limit = limit;
  p.window = 1000ms;
  p.burst = burst;
  p.shadow = shadow;
  return p;
}

// ---------------------------------------------------------------------------------------------
// reply_integers

TEST(RateLimitLimiterReply, ArrayOfIntegersGivesTheirValues) {
  const auto r =
      reply::make_array({reply::make_integer(1), reply::make_integer(0), reply::make_integer(-3),
                         reply::make_integer(std::numeric_limits<std::int64_t>::max()),
                         reply::make_integer(std::numeric_limits<std::int64_t>::min())});
  EXPECT_EQ(reply_integers(r), (ints{1, 0, -3, std::numeric_limits<std::int64_t>::max(),
                                     std::numeric_limits<std::int64_t>::min()}));
}

TEST(RateLimitLimiterReply, EmptyArrayGivesNoValues) {
  EXPECT_EQ(reply_integers(reply::make_array({})), ints{});
}

TEST(RateLimitLimiterReply, FieldsSetDirectlyAreRead) {
  reply r;
  r.type = resp::type::array;
  reply e;
  e.type = resp::type::integer;
  e.integer = 42;
  r.elements.push_back(e);
  EXPECT_EQ(reply_integers(r), ints{42});
}

TEST(RateLimitLimiterReply, NonArrayThrowsUnexpectedReply) {
  expect_unexpected_reply([] { reply_integers(reply::make_integer(1)); });
  expect_unexpected_reply([] { reply_integers(reply::make_null()); });
  expect_unexpected_reply([] { reply_integers(reply::make_bulk("1")); });
  expect_unexpected_reply([] { reply_integers(reply::make_simple("OK")); });
  expect_unexpected_reply([] { reply_integers(reply::make_error("ERR script failed")); });
  reply set;  // a set of integers is not an array
  set.type = resp::type::set;
  set.elements.push_back(reply::make_integer(1));
  expect_unexpected_reply([&] { reply_integers(set); });
}

TEST(RateLimitLimiterReply, ArrayWithNonIntegerThrowsUnexpectedReply) {
  expect_unexpected_reply([] {
    reply_integers(reply::make_array({reply::make_integer(1), reply::make_bulk("2")}));
  });
  expect_unexpected_reply([] {
    reply_integers(reply::make_array({reply::make_integer(1), reply::make_null()}));
  });
  expect_unexpected_reply([] {
    reply_integers(reply::make_array({reply::make_null(), reply::make_integer(1)}));
  });
  expect_unexpected_reply(
      [] { reply_integers(reply::make_array({reply::make_array({reply::make_integer(1)})})); });
  expect_unexpected_reply([] { reply_integers(reply::make_array({reply::make_double(1.0)})); });
  expect_unexpected_reply([] { reply_integers(reply::make_array({reply::make_boolean(true)})); });
}

// ---------------------------------------------------------------------------------------------
// decide

TEST(RateLimitLimiterDecide, WrongSizeThrowsUnexpectedReply) {
  const std::vector<policy> two{make_policy("a", 10), make_policy("b", 10)};
  for (std::size_t n : {0, 1, 5, 8, 10, 13}) {
    const ints r(n, 1);
    expect_unexpected_reply([&] { decide(two, r); });
  }
  const std::vector<policy> one{make_policy("a", 10)};
  expect_unexpected_reply([&] { decide(one, ints{1, 1, 9, 1000}); });
  expect_unexpected_reply([&] { decide(one, ints{1, 1, 9, 1000, 0, 0}); });
  EXPECT_NO_THROW(decide(one, ints{1, 1, 9, 1000, 0}));
}

TEST(RateLimitLimiterDecide, AllowedIsDecidedByFewestRemaining) {
  const std::vector<policy> ps{make_policy("a", 10), make_policy("b", 20), make_policy("c", 30)};
  // all_allowed, then per policy: allowed, remaining, reset_after ms, retry_after ms.
  const auto d = decide(ps, ints{1, 1, 5, 100, 0, 1, 2, 200, 0, 1, 7, 300, 0});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.policy, "b");
  EXPECT_EQ(d.limit, 20u);
  EXPECT_EQ(d.remaining, 2u);
  EXPECT_EQ(d.reset_after, 200ms);
  EXPECT_EQ(d.retry_after, 0ms);
  EXPECT_EQ(d.source, decision_source::store);
}

TEST(RateLimitLimiterDecide, AllowedTieGoesToTheFirst) {
  const std::vector<policy> ps{make_policy("a", 10), make_policy("b", 20), make_policy("c", 30)};
  const auto d = decide(ps, ints{1, 1, 4, 100, 0, 1, 3, 200, 0, 1, 3, 300, 0});
  EXPECT_EQ(d.policy, "b");
  EXPECT_EQ(d.remaining, 3u);
  EXPECT_EQ(d.reset_after, 200ms);
}

TEST(RateLimitLimiterDecide, DeniedIsDecidedByLongestRetry) {
  const std::vector<policy> ps{make_policy("a", 10), make_policy("b", 20), make_policy("c", 30)};
  // a denies (retry 100), b allows with fewer remaining, c denies (retry 500).
  const auto d = decide(ps, ints{0, 0, 1, 150, 100, 1, 0, 250, 0, 0, 4, 600, 500});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "c");
  EXPECT_EQ(d.limit, 30u);
  EXPECT_EQ(d.remaining, 4u);
  EXPECT_EQ(d.reset_after, 600ms);
  EXPECT_EQ(d.retry_after, 500ms);
}

TEST(RateLimitLimiterDecide, DeniedTieGoesToTheFirst) {
  const std::vector<policy> ps{make_policy("a", 10), make_policy("b", 20), make_policy("c", 30)};
  const auto d = decide(ps, ints{0, 1, 9, 50, 0, 0, 1, 150, 400, 0, 2, 250, 400});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "b");
  EXPECT_EQ(d.remaining, 1u);
  EXPECT_EQ(d.reset_after, 150ms);
  EXPECT_EQ(d.retry_after, 400ms);
}

TEST(RateLimitLimiterDecide, ShadowNeverDecidesADenial) {
  const std::vector<policy> ps{make_policy("shadow", 5, true), make_policy("enforced", 10)};
  // The shadow policy denies with a longer retry; the enforced one denies too.
  const auto d = decide(ps, ints{0, 0, 0, 9000, 9000, 0, 0, 200, 200});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "enforced");
  EXPECT_EQ(d.limit, 10u);
  EXPECT_EQ(d.retry_after, 200ms);
}

TEST(RateLimitLimiterDecide, ShadowNeverDecidesAnAllowance) {
  const std::vector<policy> ps{make_policy("enforced", 10), make_policy("shadow", 5, true)};
  // The shadow policy would deny (0 left): the request passes, decided by the enforced one.
  auto d = decide(ps, ints{1, 1, 8, 100, 0, 0, 0, 700, 700});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.policy, "enforced");
  EXPECT_EQ(d.remaining, 8u);
  EXPECT_EQ(d.reset_after, 100ms);
  EXPECT_EQ(d.retry_after, 0ms);
  // Nor when it allows with fewer remaining.
  d = decide(ps, ints{1, 1, 8, 100, 0, 1, 1, 700, 0});
  EXPECT_EQ(d.policy, "enforced");
  EXPECT_EQ(d.remaining, 8u);
}

TEST(RateLimitLimiterDecide, AllShadowIsDecidedByTheFirst) {
  const std::vector<policy> ps{make_policy("s1", 10, true), make_policy("s2", 20, true)};
  // s2 has fewer remaining, and s1 would deny: neither matters.
  auto d = decide(ps, ints{1, 0, 0, 300, 300, 1, 1, 400, 0});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.policy, "s1");
  EXPECT_EQ(d.limit, 10u);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.reset_after, 300ms);
  EXPECT_EQ(d.retry_after, 0ms);  // allowed: no retry, whatever the policy said
  d = decide(ps, ints{1, 1, 9, 300, 0, 0, 0, 400, 400});
  EXPECT_EQ(d.policy, "s1");
  EXPECT_EQ(d.remaining, 9u);
  EXPECT_EQ(d.retry_after, 0ms);
}

TEST(RateLimitLimiterDecide, LimitIsTheCapacity) {
  const std::vector<policy> ps{
      make_policy("gcra-burst", 10, false, algorithm::gcra, 25),
      make_policy("gcra-noburst", 10, false, algorithm::gcra, 0),
      make_policy("window", 30, false, algorithm::sliding_window, 99),  // burst ignored
      make_policy("fixed", 40, false, algorithm::fixed_window),
  };
  const auto d = decide(ps, ints{1, 1, 4, 1, 0, 1, 5, 1, 0, 1, 6, 1, 0, 1, 7, 1, 0});
  ASSERT_EQ(d.policies.size(), 4u);
  EXPECT_EQ(d.policies[0].limit, 25u);
  EXPECT_EQ(d.policies[1].limit, 10u);
  EXPECT_EQ(d.policies[2].limit, 30u);
  EXPECT_EQ(d.policies[3].limit, 40u);
  EXPECT_EQ(d.policy, "gcra-burst");
  EXPECT_EQ(d.limit, 25u);
  // Deciding by a gcra policy with no burst gives its limit.
  const std::vector<policy> one{make_policy("g", 12, false, algorithm::gcra, 0)};
  EXPECT_EQ(decide(one, ints{0, 0, 0, 50, 50}).limit, 12u);
}

TEST(RateLimitLimiterDecide, PerPolicyResultsInOrder) {
  const std::vector<policy> ps{make_policy("first", 10), make_policy("second", 20, true),
                               make_policy("third", 30, false, algorithm::gcra, 60)};
  const auto d = decide(ps, ints{0, 1, 3, 1500, 0, 0, -2, 250, 125, 0, 0, 40, 7});
  ASSERT_EQ(d.policies.size(), 3u);

  EXPECT_EQ(d.policies[0].policy, "first");
  EXPECT_FALSE(d.policies[0].shadow);
  EXPECT_TRUE(d.policies[0].allowed);
  EXPECT_EQ(d.policies[0].limit, 10u);
  EXPECT_EQ(d.policies[0].remaining, 3u);
  EXPECT_EQ(d.policies[0].reset_after, 1500ms);
  EXPECT_EQ(d.policies[0].retry_after, 0ms);

  EXPECT_EQ(d.policies[1].policy, "second");
  EXPECT_TRUE(d.policies[1].shadow);
  EXPECT_FALSE(d.policies[1].allowed);
  EXPECT_EQ(d.policies[1].limit, 20u);
  EXPECT_EQ(d.policies[1].remaining, 0u);  // -2 clamped
  EXPECT_EQ(d.policies[1].reset_after, 250ms);
  EXPECT_EQ(d.policies[1].retry_after, 125ms);

  EXPECT_EQ(d.policies[2].policy, "third");
  EXPECT_FALSE(d.policies[2].shadow);
  EXPECT_FALSE(d.policies[2].allowed);
  EXPECT_EQ(d.policies[2].limit, 60u);
  EXPECT_EQ(d.policies[2].remaining, 0u);
  EXPECT_EQ(d.policies[2].reset_after, 40ms);
  EXPECT_EQ(d.policies[2].retry_after, 7ms);

  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "third");
  EXPECT_EQ(d.retry_after, 7ms);
}

TEST(RateLimitLimiterDecide, NegativeRemainingIsClampedInTheDecision) {
  const std::vector<policy> ps{make_policy("a", 10)};
  const auto d = decide(ps, ints{0, 0, -5, 80, 80});
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.policies[0].remaining, 0u);
  // And a clamped remaining competes as 0 when allowed.
  const std::vector<policy> two{make_policy("a", 10), make_policy("b", 10)};
  const auto d2 = decide(two, ints{1, 1, 1, 10, 0, 1, -1, 20, 0});
  EXPECT_EQ(d2.policy, "b");
  EXPECT_EQ(d2.remaining, 0u);
}

TEST(RateLimitLimiterDecide, SinglePolicy) {
  const std::vector<policy> ps{make_policy("only", 60)};
  auto d = decide(ps, ints{1, 1, 59, 60000, 0});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.policy, "only");
  EXPECT_EQ(d.limit, 60u);
  EXPECT_EQ(d.remaining, 59u);
  EXPECT_EQ(d.reset_after, 60000ms);
  EXPECT_EQ(d.retry_after, 0ms);
  d = decide(ps, ints{0, 0, 0, 1234, 1234});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after, 1234ms);
}

// ---------------------------------------------------------------------------------------------
// breaker

using steady = std::chrono::steady_clock;
const steady::time_point t0 = steady::time_point{} + 1h;

TEST(RateLimitLimiterBreaker, PassesWhileClosed) {
  breaker b(3, 1000ms);
  EXPECT_FALSE(b.is_open());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.admit(t0 + i * 1ms), breaker::gate::pass);
  b.success();
  EXPECT_EQ(b.admit(t0), breaker::gate::pass);
  EXPECT_FALSE(b.is_open());
}

TEST(RateLimitLimiterBreaker, OpensExactlyAtTheThreshold) {
  breaker b(3, 1000ms);
  EXPECT_FALSE(b.failure(t0));
  EXPECT_EQ(b.admit(t0), breaker::gate::pass);
  EXPECT_FALSE(b.failure(t0 + 1ms));
  EXPECT_FALSE(b.is_open());
  EXPECT_EQ(b.admit(t0 + 1ms), breaker::gate::pass);
  EXPECT_TRUE(b.failure(t0 + 2ms));
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.admit(t0 + 2ms), breaker::gate::skip);
  // Later failures do not open it again.
  EXPECT_FALSE(b.failure(t0 + 3ms));
  EXPECT_TRUE(b.is_open());
}

TEST(RateLimitLimiterBreaker, ThresholdOfOneOpensOnTheFirstFailure) {
  breaker b(1, 1000ms);
  EXPECT_TRUE(b.failure(t0));
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.admit(t0), breaker::gate::skip);
}

TEST(RateLimitLimiterBreaker, SuccessResetsTheCount) {
  breaker b(3, 1000ms);
  EXPECT_FALSE(b.failure(t0));
  EXPECT_FALSE(b.failure(t0));
  b.success();
  EXPECT_FALSE(b.failure(t0));
  EXPECT_FALSE(b.failure(t0));
  EXPECT_FALSE(b.is_open());
  EXPECT_EQ(b.admit(t0), breaker::gate::pass);
  EXPECT_TRUE(b.failure(t0));  // the third consecutive one
  EXPECT_TRUE(b.is_open());
}

TEST(RateLimitLimiterBreaker, SkipsUntilOpenForThenOneProbe) {
  breaker b(2, 1000ms);
  EXPECT_FALSE(b.failure(t0));
  EXPECT_TRUE(b.failure(t0 + 500ms));  // open_for counts from the opening failure
  EXPECT_EQ(b.admit(t0 + 500ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 1000ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 1499ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 1500ms), breaker::gate::probe);
  // While the probe is out, everyone else skips for open_for...
  EXPECT_EQ(b.admit(t0 + 1500ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 2499ms), breaker::gate::skip);
  EXPECT_TRUE(b.is_open());
  // ... then a probe that never reported (its check was abandoned) is replaced by another.
  EXPECT_EQ(b.admit(t0 + 2500ms), breaker::gate::probe);
  EXPECT_EQ(b.admit(t0 + 2500ms), breaker::gate::skip);
}

TEST(RateLimitLimiterBreaker, ProbeAfterOpenForHasLongPassed) {
  breaker b(1, 1000ms);
  EXPECT_TRUE(b.failure(t0));
  EXPECT_EQ(b.admit(t0 + 1h), breaker::gate::probe);
  EXPECT_EQ(b.admit(t0 + 1h), breaker::gate::skip);
}

TEST(RateLimitLimiterBreaker, FailedProbeRearms) {
  breaker b(1, 1000ms);
  EXPECT_TRUE(b.failure(t0));
  EXPECT_EQ(b.admit(t0 + 1000ms), breaker::gate::probe);
  EXPECT_FALSE(b.failure(t0 + 1200ms));  // the probe failed: not a new opening
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.admit(t0 + 1200ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 2199ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 2200ms), breaker::gate::probe);
  EXPECT_EQ(b.admit(t0 + 2200ms), breaker::gate::skip);
  // And again.
  EXPECT_FALSE(b.failure(t0 + 2300ms));
  EXPECT_EQ(b.admit(t0 + 3299ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 3300ms), breaker::gate::probe);
}

TEST(RateLimitLimiterBreaker, SuccessfulProbeCloses) {
  breaker b(2, 1000ms);
  EXPECT_FALSE(b.failure(t0));
  EXPECT_TRUE(b.failure(t0));
  EXPECT_EQ(b.admit(t0 + 1000ms), breaker::gate::probe);
  b.success();
  EXPECT_FALSE(b.is_open());
  EXPECT_EQ(b.admit(t0 + 1000ms), breaker::gate::pass);
  EXPECT_EQ(b.admit(t0 + 1001ms), breaker::gate::pass);
  // Closed afresh: the count starts over, and it opens again at the threshold.
  EXPECT_FALSE(b.failure(t0 + 2s));
  EXPECT_FALSE(b.is_open());
  EXPECT_TRUE(b.failure(t0 + 2s));
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.admit(t0 + 2999ms), breaker::gate::skip);
  EXPECT_EQ(b.admit(t0 + 3000ms), breaker::gate::probe);
}

// ---------------------------------------------------------------------------------------------
// shield

shield::hit make_hit(steady::time_point until, std::string policy = "p", std::uint64_t limit = 10) {
  return {until, std::move(policy), limit};
}

TEST(RateLimitLimiterShield, FindOnEmptyGivesNothing) {
  shield s(10);
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.find("k", t0).has_value());
  EXPECT_FALSE(s.find("", t0).has_value());
}

TEST(RateLimitLimiterShield, EmptyUntilADenialIsRememberedAndAfterItExpires) {
  shield s(10);
  s.remember("k", make_hit(t0 + 100ms), t0);
  EXPECT_FALSE(s.empty());
  EXPECT_FALSE(s.find("k", t0 + 100ms).has_value());  // expired: erased
  EXPECT_TRUE(s.empty());
}

TEST(RateLimitLimiterShield, RememberThenFindBeforeUntil) {
  shield s(10);
  s.remember("k", make_hit(t0 + 100ms, "per-minute", 60), t0);
  for (auto at : {t0, t0 + 50ms, t0 + 99ms}) {
    const auto h = s.find("k", at);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->policy, "per-minute");
    EXPECT_EQ(h->limit, 60u);
    EXPECT_EQ(h->until, t0 + 100ms);
  }
  EXPECT_FALSE(s.find("other", t0).has_value());
  EXPECT_FALSE(s.find("K", t0).has_value());
}

TEST(RateLimitLimiterShield, AtUntilGivesNothingAndDropsTheEntry) {
  shield s(10);
  s.remember("k", make_hit(t0 + 100ms), t0);
  EXPECT_FALSE(s.find("k", t0 + 100ms).has_value());
  // Dropped: even an earlier time no longer finds it.
  EXPECT_FALSE(s.find("k", t0).has_value());
}

TEST(RateLimitLimiterShield, AfterUntilGivesNothingAndDropsTheEntry) {
  shield s(10);
  s.remember("k", make_hit(t0 + 100ms), t0);
  s.remember("j", make_hit(t0 + 100ms), t0);
  EXPECT_FALSE(s.find("k", t0 + 5s).has_value());
  EXPECT_FALSE(s.find("k", t0).has_value());
  EXPECT_TRUE(s.find("j", t0).has_value());  // only the looked-up entry is dropped
}

TEST(RateLimitLimiterShield, RememberAgainReplaces) {
  shield s(10);
  s.remember("k", make_hit(t0 + 100ms, "a", 1), t0);
  s.remember("k", make_hit(t0 + 300ms, "b", 2), t0);
  const auto h = s.find("k", t0 + 200ms);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->policy, "b");
  EXPECT_EQ(h->limit, 2u);
  EXPECT_EQ(h->until, t0 + 300ms);
}

TEST(RateLimitLimiterShield, FullOfLiveEntriesDoesNotRememberANewOne) {
  shield s(2);
  s.remember("a", make_hit(t0 + 1s, "pa"), t0);
  s.remember("b", make_hit(t0 + 1s, "pb"), t0);
  s.remember("c", make_hit(t0 + 1s, "pc"), t0 + 10ms);
  EXPECT_FALSE(s.find("c", t0 + 10ms).has_value());
  // The older ones stay.
  ASSERT_TRUE(s.find("a", t0 + 10ms).has_value());
  EXPECT_EQ(s.find("a", t0 + 10ms)->policy, "pa");
  ASSERT_TRUE(s.find("b", t0 + 10ms).has_value());
  EXPECT_EQ(s.find("b", t0 + 10ms)->policy, "pb");
}

TEST(RateLimitLimiterShield, ExpiredEntriesArePurgedToMakeRoom) {
  shield s(2);
  s.remember("a", make_hit(t0 + 10ms), t0);
  s.remember("b", make_hit(t0 + 1s), t0);
  // At t0 + 10ms, a has expired (until <= now): it makes room for c.
  s.remember("c", make_hit(t0 + 2s, "pc", 7), t0 + 10ms);
  const auto c = s.find("c", t0 + 10ms);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->policy, "pc");
  EXPECT_EQ(c->limit, 7u);
  EXPECT_TRUE(s.find("b", t0 + 10ms).has_value());
  EXPECT_FALSE(s.find("a", t0).has_value());  // purged, not just expired
  // Full again of live entries (b, c): d is not remembered.
  s.remember("d", make_hit(t0 + 2s), t0 + 20ms);
  EXPECT_FALSE(s.find("d", t0 + 20ms).has_value());
}

TEST(RateLimitLimiterShield, ZeroMaxEntriesRemembersNothing) {
  shield s(0);
  s.remember("a", make_hit(t0 + 1s), t0);
  EXPECT_FALSE(s.find("a", t0).has_value());
}

TEST(RateLimitLimiterShield, ForgetPrefixRemovesOnlyMatchingKeys) {
  shield s(10);
  const std::string u1a =
      "user:1\x1f"
      "a";
  const std::string u1b =
      "user:1\x1f"
      "b";
  const std::string u10 =
      "user:10\x1f"
      "a";
  const std::string u2 =
      "user:2\x1f"
      "a";
  const std::string other =
      "xuser:1\x1f"
      "a";
  for (const auto& k : {u1a, u1b, u10, u2, other}) s.remember(k, make_hit(t0 + 1s), t0);
  s.forget_prefix("user:1\x1f");
  EXPECT_FALSE(s.find(u1a, t0).has_value());
  EXPECT_FALSE(s.find(u1b, t0).has_value());
  EXPECT_TRUE(s.find(u10, t0).has_value());
  EXPECT_TRUE(s.find(u2, t0).has_value());
  EXPECT_TRUE(s.find(other, t0).has_value());
  s.forget_prefix("nothing matches");
  EXPECT_TRUE(s.find(u10, t0).has_value());
  s.forget_prefix("");  // every key starts with ""
  EXPECT_FALSE(s.find(u10, t0).has_value());
  EXPECT_FALSE(s.find(u2, t0).has_value());
  EXPECT_FALSE(s.find(other, t0).has_value());
}

TEST(RateLimitLimiterShield, ForgettingMakesRoom) {
  shield s(1);
  s.remember("id1\x1f", make_hit(t0 + 1s), t0);
  s.remember("id2\x1f", make_hit(t0 + 1s), t0);
  EXPECT_FALSE(s.find("id2\x1f", t0).has_value());
  s.forget_prefix("id1\x1f");
  s.remember("id2\x1f", make_hit(t0 + 1s), t0);
  EXPECT_TRUE(s.find("id2\x1f", t0).has_value());
}

}  // namespace
}  // namespace redkit::rate_limit
