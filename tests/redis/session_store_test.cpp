// The session store on every backend: the token round trip, the per-user cap and the per-device
// rule under concurrency, validation racing logout, idle and absolute timeouts, throttled
// touches, the key's TTL, no usable token in a dump of the store, fingerprint policies,
// rotation, new user details for every session of a user, the census, revocation and input
// checks; on Redis also a killed and a hung server.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/script.hpp>
#include <redkit/session_http.hpp>
#include <redkit/session_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using session::fingerprint_policy;
using session::issued;
using session::options;
using session::request_info;
using sys_clock = std::chrono::system_clock;

std::int64_t ms_of(sys_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.emplace_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool is_base64url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string secret_of(const std::string& token) { return token.substr(token.rfind('.') + 1); }

session::user make_user(const std::string& id, std::vector<std::string> roles = {"reader"},
                        bool premium = false) {
  return session::user{
      .id = id, .email = id + "@example.com", .roles = std::move(roles), .premium = premium};
}

const request_info browser{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
                           "en-GB,en;q=0.8", "203.0.113.7"};

class SessionStore : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (auto* e = store_->engine()) {
      e->set_time(sys_clock::time_point(std::chrono::minutes(29'000'000)));  // frozen
    }
  }

  bool exact_clock() { return store_->engine() != nullptr; }
  sys_clock::time_point now() {
    auto* e = store_->engine();
    return e ? e->now() : sys_clock::now();
  }

  /// Default options, logging into logged_.
  options quiet() {
    options o;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      logged_.emplace_back(line);
    };
    return o;
  }
  /// `n` ms of test time: exact on the engine's frozen clock; on Redis, which really sleeps,
  /// three times longer, so a step that overruns on a busy machine stays inside its margin.
  std::chrono::milliseconds t(int n) {
    return std::chrono::milliseconds(exact_clock() ? n : 3 * n);
  }
  /// Short timeouts for the tests where time passes: idle t(400), absolute t(1200), touch
  /// t(100).
  options quick() {
    auto o = quiet();
    o.idle_timeout = t(400);
    o.absolute_timeout = t(1200);
    o.touch_interval = t(100);
    return o;
  }

  std::int64_t integer(const command& c) {
    const auto r = store_->exec(c);
    EXPECT_EQ(r.type, resp::type::integer) << to_display(r);
    return r.integer;
  }

  /// The key's PTTL ends at `deadline`: exactly on the engine's frozen clock, on Redis within
  /// the time the read took.
  void expect_ttl_until(const std::string& key, sys_clock::time_point deadline) {
    const auto before = ms_of(now());
    const auto pttl = integer(command{"PTTL", key});
    const auto after = ms_of(now());
    if (exact_clock()) {
      EXPECT_EQ(pttl, ms_of(deadline) - before);
    } else {
      EXPECT_GE(pttl, ms_of(deadline) - after - 1);
      EXPECT_LE(pttl, ms_of(deadline) - before + 1);
    }
  }

  std::set<std::string> listed_ids(session::store& s, const std::string& user_id) {
    std::set<std::string> ids;
    for (const auto& x : s.list(user_id)) ids.insert(x.id);
    return ids;
  }

  std::vector<std::string> logs() {
    std::lock_guard lock(mu_);
    return logged_;
  }

  std::mutex mu_;
  std::vector<std::string> logged_;
};

TEST_P(SessionStore, LoginThenValidateRoundTrips) {
  session::store s(store_, quiet());
  const auto u = make_user("user:1", {"admin", "editor"}, true);
  const auto before = now();
  const auto is = s.login(u, "laptop-1", browser);
  const auto after = now();

  const auto parts = split(is.token, '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 22u);
  EXPECT_EQ(parts[1].size(), 22u);
  EXPECT_EQ(parts[2].size(), 43u);
  for (const auto& p : parts) EXPECT_TRUE(is_base64url(p)) << p;
  EXPECT_EQ(parts[1], is.session_id);
  EXPECT_EQ(is.device, "laptop-1");
  EXPECT_EQ(is.replaced, "");
  EXPECT_TRUE(is.evicted.empty());

  // The same user on another device: same tag, another id and secret; another user: another tag.
  const auto same_user = s.login(u, "phone-1", browser);
  const auto other_user = s.login(make_user("user:2"), "laptop-1", browser);
  const auto same_parts = split(same_user.token, '.');
  const auto other_parts = split(other_user.token, '.');
  ASSERT_EQ(same_parts.size(), 3u);
  ASSERT_EQ(other_parts.size(), 3u);
  EXPECT_EQ(same_parts[0], parts[0]);
  EXPECT_NE(same_parts[1], parts[1]);
  EXPECT_NE(same_parts[2], parts[2]);
  EXPECT_NE(other_parts[0], parts[0]);
  EXPECT_EQ(s.key(u.id), "rk:sess:{" + parts[0] + "}:sessions");

  const auto v = s.validate(is.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, is.session_id);
  EXPECT_EQ(v->user, u);
  EXPECT_EQ(v->user.id, "user:1");
  EXPECT_EQ(v->user.email, "user:1@example.com");
  EXPECT_EQ(v->user.roles, (std::vector<std::string>{"admin", "editor"}));
  EXPECT_TRUE(v->user.premium);
  EXPECT_EQ(v->device, "laptop-1");
  EXPECT_EQ(v->user_agent, browser.user_agent);
  EXPECT_EQ(v->ip, browser.ip);
  EXPECT_FALSE(v->fingerprint_mismatch);
  EXPECT_EQ(v->created, v->last_access);
  EXPECT_EQ(v->expires_at, v->created + 24h);  // idle (24 h) < absolute (7 days)
  EXPECT_EQ(is.expires_at, v->expires_at);
  if (exact_clock()) {
    EXPECT_EQ(v->created, before);
  } else {
    EXPECT_GE(ms_of(v->created), ms_of(before));
    EXPECT_LE(ms_of(v->created), ms_of(after));
  }

  // An absolute timeout shorter than the idle one bounds expires_at from the start.
  options short_absolute = quiet();
  short_absolute.idle_timeout = 10min;
  short_absolute.absolute_timeout = 90s;
  session::store s2(store_, short_absolute);
  const auto bounded = s2.login(make_user("user:3"), "tablet", browser);
  const auto bv = s2.validate(bounded.token, browser);
  ASSERT_TRUE(bv);
  EXPECT_EQ(bv->expires_at, bv->created + 90s);
  EXPECT_EQ(bounded.expires_at, bv->expires_at);

  // Anything but the exact token names no session, and a wrong secret destroys nothing.
  const std::string& t = is.token;
  std::vector<std::string> bad{"",
                               "x",
                               "garbage",
                               std::string(t.size(), 'A'),
                               t.substr(0, t.size() - 1),
                               t + "A",
                               t + ".",
                               "." + t.substr(1),
                               parts[0] + "." + parts[1],
                               parts[0] + "." + parts[1] + "." + same_parts[2],   // another secret
                               other_parts[0] + "." + parts[1] + "." + parts[2],  // another user
                               parts[0] + "." + same_parts[1] + "." + parts[2]};  // another id
  for (const std::size_t pos : {std::size_t{0}, std::size_t{21}, std::size_t{23}, std::size_t{44},
                                std::size_t{46}, t.size() - 1}) {
    auto changed = t;
    changed[pos] = changed[pos] == 'A' ? 'B' : 'A';
    bad.push_back(changed);
    auto foreign = t;
    foreign[pos] = '+';  // base64, not base64url
    bad.push_back(foreign);
  }
  auto dot_moved = t;
  std::swap(dot_moved[22], dot_moved[21]);
  bad.push_back(dot_moved);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(s.validate(bad[i], browser)) << "bad token #" << i;
    EXPECT_FALSE(s.logout(bad[i])) << "bad token #" << i;
    EXPECT_FALSE(s.rotate(bad[i])) << "bad token #" << i;
  }
  const auto still = s.validate(is.token, browser);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->id, is.session_id);
  EXPECT_EQ(listed_ids(s, u.id), (std::set<std::string>{is.session_id, same_user.session_id}));
  const auto m = s.metrics();
  EXPECT_EQ(m.logins, 3u);
  EXPECT_EQ(m.validations, bad.size() + 2);
  EXPECT_EQ(m.valid, 2u);
  EXPECT_EQ(m.expired, 0u);
  EXPECT_EQ(m.fingerprint_mismatches, 0u);
  EXPECT_EQ(m.logouts, 0u);
  EXPECT_EQ(m.rotations, 0u);
  EXPECT_EQ(m.store_errors, 0u);
}

TEST_P(SessionStore, ConcurrentLoginsKeepExactlyTheCap) {
  session::store s(store_, quiet());
  auto second = open_store();  // another client (on the engine: the same engine)
  session::store s2(second, quiet());
  const auto u = make_user("user:crowd");
  constexpr int n = 200, on_first = 140, on_second = 40, threads = 4;
  constexpr int per_thread = (n - on_first - on_second) / threads;
  std::vector<issued> out(n);
  std::vector<std::future<void>> done;
  auto spawn = [&](session::store& st, const std::shared_ptr<store>& handle, int i) {
    done.push_back(asio::co_spawn(
        handle->get_executor(),
        [&, p = &st, i]() -> asio::awaitable<void> {
          const auto device = "device-" + std::to_string(i);
          out[i] = co_await p->async_login(u, device, browser);
        },
        asio::use_future));
  };
  for (int i = 0; i < on_first; ++i) spawn(s, store_, i);
  for (int i = on_first; i < on_first + on_second; ++i) spawn(s2, second, i);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int k = 0; k < per_thread; ++k) {
        const int i = on_first + on_second + t * per_thread + k;
        out[i] = s.login(u, "device-" + std::to_string(i), browser);
      }
    });
  }
  for (auto& t : ts) t.join();
  for (auto& f : done) f.get();

  const auto live = s.list(u.id);
  ASSERT_EQ(live.size(), 5u);
  EXPECT_EQ(integer(command{"HLEN", s.key(u.id)}), 5);
  std::set<std::string> listed;
  for (const auto& x : live) listed.insert(x.id);
  EXPECT_EQ(listed.size(), 5u);

  // Exactly the listed sessions' tokens validate.
  std::set<std::string> valid;
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    if (const auto v = s.validate(out[i].token, browser)) {
      ++ok;
      valid.insert(v->id);
      EXPECT_EQ(v->id, out[i].session_id);
      EXPECT_EQ(v->device, "device-" + std::to_string(i));
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(valid, listed);

  // Every other session was evicted exactly once, and no device was replaced.
  std::multiset<std::string> evicted;
  for (const auto& is : out) {
    EXPECT_EQ(is.replaced, "");
    evicted.insert(is.evicted.begin(), is.evicted.end());
  }
  EXPECT_EQ(evicted.size(), static_cast<std::size_t>(n - 5));
  for (const auto& is : out) {
    EXPECT_EQ(evicted.count(is.session_id), listed.count(is.session_id) ? 0u : 1u);
  }
  const auto m1 = s.metrics(), m2 = s2.metrics();
  EXPECT_EQ(m1.logins, static_cast<std::uint64_t>(n - on_second));
  EXPECT_EQ(m2.logins, static_cast<std::uint64_t>(on_second));
  EXPECT_EQ(m1.evicted + m2.evicted, static_cast<std::uint64_t>(n - 5));
  EXPECT_EQ(m1.replaced + m2.replaced, 0u);

  EXPECT_EQ(s.logout_all(u.id), 5u);
  EXPECT_TRUE(s.list(u.id).empty());
  EXPECT_EQ(integer(command{"EXISTS", s.key(u.id)}), 0);
  for (const auto& is : out) EXPECT_FALSE(s.validate(is.token, browser));
  EXPECT_EQ(s.logout_all(u.id), 0u);
  EXPECT_EQ(s.metrics().logouts, 5u);
}

TEST_P(SessionStore, OneSessionPerDevice) {
  session::store s(store_, quiet());
  const auto u = make_user("user:devices");
  const auto first = s.login(u, "phone", browser);
  const auto second = s.login(u, "phone", browser);
  EXPECT_EQ(second.replaced, first.session_id);
  EXPECT_TRUE(second.evicted.empty());
  EXPECT_NE(second.session_id, first.session_id);
  EXPECT_FALSE(s.validate(first.token, browser));
  ASSERT_TRUE(s.validate(second.token, browser));
  auto live = s.list(u.id);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, second.session_id);
  EXPECT_EQ(live[0].device, "phone");
  EXPECT_EQ(s.metrics().replaced, 1u);

  // Another user's "phone" is another device.
  const auto elsewhere = s.login(make_user("user:other"), "phone", browser);
  EXPECT_EQ(elsewhere.replaced, "");
  EXPECT_TRUE(s.validate(second.token, browser));

  // No device id: a fresh one each time, never a shared slot.
  const auto a = s.login(u, "", browser);
  const auto b = s.login(u, "", browser);
  EXPECT_EQ(a.replaced, "");
  EXPECT_EQ(b.replaced, "");
  EXPECT_EQ(a.device.substr(0, 4), "dev-");
  EXPECT_EQ(b.device.substr(0, 4), "dev-");
  EXPECT_EQ(a.device.size(), 4u + 22u);
  EXPECT_TRUE(is_base64url(a.device.substr(4)));
  EXPECT_NE(a.device, b.device);
  EXPECT_TRUE(s.validate(a.token, browser));
  const auto vb = s.validate(b.token, browser);
  ASSERT_TRUE(vb);
  EXPECT_EQ(vb->device, b.device);
  live = s.list(u.id);
  ASSERT_EQ(live.size(), 3u);
  std::set<std::string> devices;
  for (const auto& x : live) devices.insert(x.device);
  EXPECT_EQ(devices, (std::set<std::string>{"phone", a.device, b.device}));
  EXPECT_EQ(s.metrics().replaced, 1u);
}

TEST_P(SessionStore, CapEvictsTheLeastRecentlyAccessed) {
  auto o = quiet();
  o.touch_interval = 0ms;  // every validation records its access
  session::store s(store_, o);
  const auto u = make_user("user:cap");
  std::vector<issued> is;
  for (int i = 0; i < 5; ++i) {
    is.push_back(s.login(u, "d" + std::to_string(i), browser));
    EXPECT_TRUE(is.back().evicted.empty());
    advance(5ms);
  }
  const auto touched = s.validate(is[0].token, browser);
  ASSERT_TRUE(touched);
  EXPECT_GT(touched->last_access, touched->created);
  EXPECT_EQ(s.metrics().touches, 1u);
  advance(5ms);
  const auto sixth = s.login(u, "d5", browser);
  EXPECT_EQ(sixth.evicted, std::vector<std::string>{is[1].session_id});
  EXPECT_EQ(sixth.replaced, "");
  EXPECT_FALSE(s.validate(is[1].token, browser));
  advance(5ms);
  const auto seventh = s.login(u, "d6", browser);
  EXPECT_EQ(seventh.evicted, std::vector<std::string>{is[2].session_id});
  EXPECT_EQ(listed_ids(s, u.id),
            (std::set<std::string>{is[0].session_id, is[3].session_id, is[4].session_id,
                                   sixth.session_id, seventh.session_id}));
  // A login on a device that has a session replaces it: nothing is evicted.
  const auto again = s.login(u, "d3", browser);
  EXPECT_EQ(again.replaced, is[3].session_id);
  EXPECT_TRUE(again.evicted.empty());
  EXPECT_EQ(s.list(u.id).size(), 5u);
  EXPECT_EQ(s.metrics().evicted, 2u);

  // A cap of one: each new device evicts the previous one.
  auto one = quiet();
  one.max_sessions = 1;
  session::store single(store_, one);
  const auto solo = make_user("user:solo");
  const auto x = single.login(solo, "x", browser);
  const auto y = single.login(solo, "y", browser);
  EXPECT_EQ(y.evicted, std::vector<std::string>{x.session_id});
  EXPECT_FALSE(single.validate(x.token, browser));
  EXPECT_TRUE(single.validate(y.token, browser));
}

TEST_P(SessionStore, ValidateRacingLogoutNeverOutlivesIt) {
  auto second = open_store();
  // Even rounds validate on the read path; odd rounds record every access (a script write).
  auto writing = quiet();
  writing.touch_interval = 0ms;
  session::store read1(store_, quiet()), read2(second, quiet());
  session::store write1(store_, writing), write2(second, writing);
  const auto u = make_user("user:race");
  int succeeded_before = 0, started_after = 0;
  constexpr int rounds = 50;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto& s = round % 2 ? write1 : read1;
    auto& s2 = round % 2 ? write2 : read2;
    const auto is = s.login(u, "device-" + std::to_string(round % 3), browser);
    std::atomic<bool> ended{false};
    std::atomic<int> ok_before{0}, after{0}, ok_after{0};
    // Validates until one started after the logout completed (bounded, should it never end).
    auto once = [&](const std::optional<session::session>& v, bool late) {
      if (late) {
        ++after;
        if (v) ++ok_after;
      } else if (v) {
        ++ok_before;
      }
    };
    auto validator = [&](session::store* st) {
      return [&, st]() -> asio::awaitable<void> {
        for (int i = 0; i < 10'000; ++i) {
          const bool late = ended.load();
          once(co_await st->async_validate(is.token, browser), late);
          if (late) break;
        }
      };
    };
    std::vector<std::future<void>> done;
    for (int i = 0; i < 4; ++i) {
      done.push_back(asio::co_spawn(store_->get_executor(), validator(&s), asio::use_future));
    }
    auto logout = asio::co_spawn(
        store_->get_executor(),
        [&]() -> asio::awaitable<bool> {
          // Once the session was seen live, so validations are in flight on both sides of it.
          for (int i = 0; i < 100'000 && ok_before.load() == 0; ++i) {
            co_await asio::post(store_->get_executor(), asio::use_awaitable);
          }
          const bool r = co_await s.async_logout(is.token);
          ended = true;
          co_return r;
        },
        asio::use_future);
    for (int i = 0; i < 4; ++i) {
      done.push_back(asio::co_spawn(second->get_executor(), validator(&s2), asio::use_future));
      done.push_back(asio::co_spawn(store_->get_executor(), validator(&s), asio::use_future));
    }
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < 10'000; ++i) {
          const bool late = ended.load();
          once(s.validate(is.token, browser), late);
          if (late) break;
        }
      });
    }
    for (auto& t : ts) t.join();
    for (auto& f : done) f.get();
    EXPECT_TRUE(logout.get());
    EXPECT_EQ(ok_after.load(), 0);
    EXPECT_EQ(after.load(), 14);  // every validator saw the end once
    EXPECT_FALSE(s.validate(is.token, browser));
    EXPECT_FALSE(s.logout(is.token));
    EXPECT_TRUE(s.list(u.id).empty());
    succeeded_before += ok_before;
    started_after += after;
  }
  EXPECT_GT(succeeded_before, 0);  // the race was real: validations met a live session
  EXPECT_EQ(started_after, rounds * 14);
  EXPECT_EQ(read1.metrics().logouts + write1.metrics().logouts, static_cast<std::uint64_t>(rounds));
  EXPECT_EQ(read1.metrics().touches + read2.metrics().touches, 0u);
  EXPECT_GT(write1.metrics().touches + write2.metrics().touches, 0u);
  EXPECT_EQ(integer(command{"EXISTS", read1.key(u.id)}), 0);
}

TEST_P(SessionStore, IdleTimeoutSlidesWithUseAndEndsWithout) {
  session::store s(store_, quick());  // idle t(400), touch every t(100) at most
  const auto u = make_user("user:idle");
  const auto target = s.login(u, "target", browser);
  if (exact_clock()) EXPECT_EQ(target.expires_at, now() + t(400));
  advance(t(250));
  auto v = s.validate(target.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(s.metrics().touches, 1u);
  EXPECT_EQ(v->expires_at, v->last_access + t(400));
  if (exact_clock()) {
    EXPECT_EQ(v->last_access, v->created + t(250));
  } else {
    EXPECT_GE(v->last_access, v->created + t(250));
  }
  advance(t(250));  // past the end the login set: the access above slid it
  ASSERT_GT(now(), target.expires_at);
  v = s.validate(target.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(s.metrics().touches, 2u);
  const auto target_end = v->expires_at;

  // Another session, used later, keeps the user's hash alive past the target's end.
  const auto keeper = s.login(u, "keeper", browser);
  advance(t(250));
  const auto k = s.validate(keeper.token, browser);
  ASSERT_TRUE(k);
  EXPECT_EQ(s.metrics().touches, 3u);
  EXPECT_GT(k->expires_at, target_end);
  advance(t(200));  // t(450) since the target's last access
  ASSERT_GE(now(), target_end);
  EXPECT_FALSE(s.validate(target.token, browser));
  auto m = s.metrics();
  EXPECT_EQ(m.expired, 1u);
  EXPECT_EQ(m.valid, 3u);
  EXPECT_FALSE(s.logout(target.token));  // it was not live: nothing ended
  EXPECT_FALSE(s.rotate(target.token));
  EXPECT_EQ(s.metrics().logouts, 0u);
  EXPECT_EQ(listed_ids(s, u.id), std::set<std::string>{keeper.session_id});
  EXPECT_EQ(integer(command{"HLEN", s.key(u.id)}), 1);

  // The last session's end takes the key with it (its TTL followed that session).
  advance(t(250));
  ASSERT_GE(now(), k->expires_at);
  EXPECT_EQ(integer(command{"EXISTS", s.key(u.id)}), 0);
  EXPECT_FALSE(s.validate(keeper.token, browser));
  EXPECT_TRUE(s.list(u.id).empty());
}

TEST_P(SessionStore, AbsoluteTimeoutEndsEvenAnActiveSession) {
  auto o = quick();
  o.absolute_timeout = t(800);
  session::store s(store_, o);
  const auto u = make_user("user:absolute");
  const auto a = s.login(u, "a", browser);
  advance(t(300));
  auto v = s.validate(a.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->expires_at, v->last_access + t(400));  // the idle end comes first
  // Another user's session, never used: it dies at t(700).
  const auto u2 = make_user("user:absolute-2");
  const auto idler = s.login(u2, "idler", browser);
  advance(t(300));
  v = s.validate(a.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->expires_at, v->created + t(800));  // now the absolute one does
  // Rotation records an access too, but cannot pass the absolute end either.
  const auto r = s.rotate(a.token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->expires_at, v->created + t(800));
  const auto keeper = s.login(u, "keeper", browser);  // ends t(400) from now
  const auto keeper2 = s.login(u2, "keeper", browser);
  advance(t(250));
  ASSERT_GE(now(), v->created + t(800));
  EXPECT_FALSE(s.validate(r->token, browser));
  EXPECT_EQ(s.metrics().expired, 1u);
  EXPECT_TRUE(s.validate(keeper.token, browser));
  // The dead sessions are neither counted nor listed.
  EXPECT_EQ(s.logout_all(u.id), 1u);
  EXPECT_TRUE(s.list(u.id).empty());
  EXPECT_EQ(listed_ids(s, u2.id), std::set<std::string>{keeper2.session_id});
  EXPECT_FALSE(s.revoke(u2.id, idler.session_id));
  EXPECT_EQ(s.metrics().logouts, 1u);
}

TEST_P(SessionStore, TouchesAreThrottledToTheInterval) {
  session::store s(store_, quick());  // touch every t(100) at most
  const auto u = make_user("user:touch");
  const auto is = s.login(u, "d", browser);
  // The login recorded the access: validations within the interval write nothing.
  for (int i = 0; i < 10; ++i) {
    const auto v = s.validate(is.token, browser);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->last_access, v->created);
    EXPECT_EQ(v->expires_at, v->created + t(400));
  }
  EXPECT_EQ(s.metrics().touches, 0u);
  advance(t(150));
  const auto touched = s.validate(is.token, browser);
  ASSERT_TRUE(touched);
  EXPECT_EQ(s.metrics().touches, 1u);
  if (exact_clock()) {
    EXPECT_EQ(touched->last_access, touched->created + t(150));
  } else {
    EXPECT_GE(touched->last_access, touched->created + t(150));
    EXPECT_LE(ms_of(touched->last_access), ms_of(now()));
  }
  const auto recorded = touched->last_access;
  for (int i = 0; i < 10; ++i) {
    const auto v = s.validate(is.token, browser);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->last_access, recorded);
    EXPECT_EQ(v->expires_at, recorded + t(400));
  }
  EXPECT_EQ(s.metrics().touches, 1u);
  const auto listed = s.list(u.id);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].last_access, recorded);
  expect_ttl_until(s.key(u.id), recorded + t(400));
  // Validations racing past the interval record the access once.
  advance(t(150));
  std::atomic<int> valid{0};
  std::vector<std::future<void>> done;
  for (int i = 0; i < 20; ++i) {
    done.push_back(asio::co_spawn(
        store_->get_executor(),
        [&]() -> asio::awaitable<void> {
          if (co_await s.async_validate(is.token, browser)) ++valid;
        },
        asio::use_future));
  }
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&] {
      if (s.validate(is.token, browser)) ++valid;
    });
  }
  for (auto& t : ts) t.join();
  for (auto& f : done) f.get();
  EXPECT_EQ(valid.load(), 22);
  EXPECT_EQ(s.metrics().touches, 2u);
  EXPECT_EQ(s.metrics().validations, 43u);
}

// The scripts decide on their own; validate()'s read path only spares them work. Given what a
// racing rotate leaves (another token hash), validate.lua refuses and changes nothing.
TEST_P(SessionStore, ValidateScriptRechecksTheToken) {
  session::store s(store_, quiet());
  const auto u = make_user("user:script");
  const auto is = s.login(u, "d", browser);
  const auto& script = script::embedded("session/validate");
  std::vector<std::string> keys{s.key(u.id)};
  // session id, token hash, fingerprint, policy (strict), idle, absolute, touch interval
  std::vector<std::string> args{
      is.session_id, "another-hash", "another-fingerprint", "2", "86400000", "604800000", "0"};
  const auto r = store_->eval(script, keys, args);
  ASSERT_EQ(r.elements.size(), 1u) << to_display(r);
  EXPECT_EQ(r.elements[0].integer, 0);
  const auto v = s.validate(is.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->last_access, v->created);
}

TEST_P(SessionStore, KeyTtlFollowsTheLongestLivedSession) {
  auto o = quiet();
  o.idle_timeout = 10s;
  o.absolute_timeout = 60s;
  o.touch_interval = 50ms;
  session::store s(store_, o);
  const auto u = make_user("user:ttl");
  const auto key = s.key(u.id);
  const auto a = s.login(u, "a", browser);
  expect_ttl_until(key, a.expires_at);
  advance(60ms);
  const auto b = s.login(u, "b", browser);
  expect_ttl_until(key, b.expires_at);
  advance(60ms);
  const auto c = s.login(u, "c", browser);
  expect_ttl_until(key, c.expires_at);
  ASSERT_LT(a.expires_at, b.expires_at);
  ASSERT_LT(b.expires_at, c.expires_at);

  EXPECT_TRUE(s.logout(c.token));  // the longest-lived: the TTL shrinks to the next one
  expect_ttl_until(key, b.expires_at);
  EXPECT_TRUE(s.revoke(u.id, a.session_id));  // a shorter-lived one: no change
  expect_ttl_until(key, b.expires_at);

  advance(60ms);  // a touch of the longest-lived extends the TTL
  const auto vb = s.validate(b.token, browser);
  ASSERT_TRUE(vb);
  ASSERT_GT(vb->expires_at, b.expires_at);
  expect_ttl_until(key, vb->expires_at);

  // A strict fingerprint mismatch that destroys the longest-lived one refits the TTL too.
  advance(60ms);
  const auto d = s.login(u, "d", browser);
  expect_ttl_until(key, d.expires_at);
  auto other = browser;
  other.user_agent = "curl/8.5.0";
  EXPECT_FALSE(s.validate(d.token, other));
  expect_ttl_until(key, vb->expires_at);

  // A login that evicts the longest-lived one refits it as well.
  auto capped = o;
  capped.max_sessions = 1;
  session::store one(store_, capped);
  advance(60ms);
  const auto e = one.login(u, "e", browser);
  EXPECT_EQ(e.evicted, std::vector<std::string>{b.session_id});
  expect_ttl_until(key, e.expires_at);

  EXPECT_TRUE(s.logout(e.token));
  EXPECT_EQ(integer(command{"PTTL", key}), -2);  // the last one ended: no key
}

TEST_P(SessionStore, StoreHoldsNoUsableToken) {
  session::store s(store_, quiet());
  std::vector<std::string> tokens, ids;
  for (int user = 0; user < 3; ++user) {
    const auto u = make_user("user:dump:" + std::to_string(user));
    for (int device = 0; device < 3; ++device) {
      const auto is = s.login(u, "device-" + std::to_string(device), browser);
      tokens.push_back(is.token);
      ids.push_back(is.session_id);
    }
    const auto fresh = s.login(u, "", browser);
    tokens.push_back(fresh.token);
    const auto rotated = s.rotate(fresh.token, make_user(u.id, {"rotated"}));
    ASSERT_TRUE(rotated);
    tokens.push_back(rotated->token);
    ids.push_back(rotated->session_id);
  }

  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    const auto r = store_->exec(command{"SCAN", cursor, "COUNT", 100});
    ASSERT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].string;
    for (const auto& k : r.elements[1].elements) keys.push_back(k.string);
  } while (cursor != "0");
  ASSERT_EQ(keys.size(), 3u);

  std::string dump;
  for (const auto& k : keys) {
    EXPECT_EQ(store_->exec(command{"TYPE", k}).string, "hash");
    dump += k + "\n";
    const auto all = store_->exec(command{"HGETALL", k});
    EXPECT_EQ(all.elements.size(), 8u);  // four sessions: id, record
    for (const auto& e : all.elements) dump += e.string + "\n";
  }
  for (const auto& id : ids) EXPECT_NE(dump.find(id), std::string::npos) << "the dump is partial";
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto secret = secret_of(tokens[i]);
    ASSERT_EQ(secret.size(), 43u);
    EXPECT_EQ(dump.find(tokens[i]), std::string::npos) << "token #" << i;
    // Not the secret, nor any 12 characters of it (2^72: never by chance).
    for (std::size_t at = 0; at + 12 <= secret.size(); ++at) {
      EXPECT_EQ(dump.find(secret.substr(at, 12)), std::string::npos) << "token #" << i;
    }
  }
}

TEST_P(SessionStore, FingerprintPolicies) {
  auto other_ua = browser;
  other_ua.user_agent = "curl/8.5.0";
  auto other_language = browser;
  other_language.accept_language = "fr-FR";
  auto other_ip = browser;
  other_ip.ip = "198.51.100.9";

  {  // strict (the default): the session is destroyed
    session::store s(store_, quiet());
    EXPECT_EQ(s.config().fingerprint, fingerprint_policy::strict);
    const auto u = make_user("user:strict");
    const auto is = s.login(u, "d1", browser);
    const auto moved = s.validate(is.token, other_ip);  // the address is not part of it
    ASSERT_TRUE(moved);
    EXPECT_FALSE(moved->fingerprint_mismatch);
    EXPECT_FALSE(s.validate(is.token, other_ua));
    EXPECT_EQ(s.metrics().fingerprint_mismatches, 1u);
    EXPECT_FALSE(s.validate(is.token, browser));  // gone, even for the original client
    EXPECT_TRUE(s.list(u.id).empty());
    const auto is2 = s.login(u, "d2", browser);
    EXPECT_FALSE(s.validate(is2.token, other_language));
    EXPECT_FALSE(s.validate(is2.token, browser));
    const auto m = s.metrics();
    EXPECT_EQ(m.fingerprint_mismatches, 2u);
    EXPECT_EQ(m.valid, 1u);
    EXPECT_EQ(m.expired, 0u);
    EXPECT_TRUE(logs().empty());
  }
  {  // report: kept, flagged, counted, logged once
    auto o = quiet();
    o.fingerprint = fingerprint_policy::report;
    session::store s(store_, o);
    const auto u = make_user("user:report");
    const auto is = s.login(u, "d1", browser);
    const auto v = s.validate(is.token, other_ua);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->fingerprint_mismatch);
    EXPECT_EQ(v->id, is.session_id);
    EXPECT_EQ(v->user_agent, browser.user_agent);  // the login's
    const auto lines = logs();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(is.session_id), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find(secret_of(is.token)), std::string::npos) << lines[0];
    const auto again = s.validate(is.token, browser);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->fingerprint_mismatch);
    EXPECT_EQ(listed_ids(s, u.id), std::set<std::string>{is.session_id});
    const auto m = s.metrics();
    EXPECT_EQ(m.fingerprint_mismatches, 1u);
    EXPECT_EQ(m.valid, 2u);
    EXPECT_EQ(logs().size(), 1u);
  }
  {  // off: not compared
    std::lock_guard lock(mu_);
    logged_.clear();
  }
  {
    auto o = quiet();
    o.fingerprint = fingerprint_policy::off;
    session::store s(store_, o);
    const auto is = s.login(make_user("user:off"), "d1", browser);
    for (const auto& info : {other_ua, other_language, browser}) {
      const auto v = s.validate(is.token, info);
      ASSERT_TRUE(v);
      EXPECT_FALSE(v->fingerprint_mismatch);
    }
    EXPECT_EQ(s.metrics().fingerprint_mismatches, 0u);
    EXPECT_TRUE(logs().empty());
  }
  for (const auto p :
       {fingerprint_policy::strict, fingerprint_policy::report, fingerprint_policy::off}) {
    EXPECT_EQ(session::parse_fingerprint_policy(session::to_string(p)), p);
  }
  EXPECT_EQ(session::parse_fingerprint_policy("lenient"), std::nullopt);
}

TEST_P(SessionStore, RotationIssuesANewTokenForTheSameSession) {
  session::store s(store_, quiet());
  const auto u = make_user("user:rotate", {"reader"});
  const auto is = s.login(u, "phone", browser);
  advance(20ms);
  const auto r = s.rotate(is.token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session_id, is.session_id);
  EXPECT_EQ(r->device, "phone");
  EXPECT_NE(r->token, is.token);
  const auto old_parts = split(is.token, '.'), new_parts = split(r->token, '.');
  ASSERT_EQ(new_parts.size(), 3u);
  EXPECT_EQ(new_parts[0], old_parts[0]);
  EXPECT_EQ(new_parts[1], old_parts[1]);
  EXPECT_NE(new_parts[2], old_parts[2]);
  EXPECT_EQ(new_parts[2].size(), 43u);
  EXPECT_TRUE(is_base64url(new_parts[2]));
  EXPECT_GE(r->expires_at, is.expires_at + 20ms);  // it records an access
  if (exact_clock()) EXPECT_EQ(r->expires_at, is.expires_at + 20ms);
  EXPECT_EQ(r->replaced, "");
  EXPECT_TRUE(r->evicted.empty());

  EXPECT_FALSE(s.validate(is.token, browser));
  auto v = s.validate(r->token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, is.session_id);
  EXPECT_EQ(v->user, u);
  EXPECT_EQ(v->last_access + 24h, r->expires_at);

  // New user details (same id): validate sees them; the login's details stay.
  auto promoted = u;
  promoted.roles = {"reader", "admin"};
  promoted.email = "new@example.com";
  promoted.premium = true;
  const auto r2 = s.rotate(r->token, promoted);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->session_id, is.session_id);
  EXPECT_FALSE(s.validate(r->token, browser));
  v = s.validate(r2->token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user, promoted);
  EXPECT_EQ(v->device, "phone");
  EXPECT_EQ(v->user_agent, browser.user_agent);
  EXPECT_EQ(v->ip, browser.ip);
  const auto listed = s.list(u.id);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].user, promoted);

  // Another user id is refused, and changes nothing.
  const auto e = error_from([&] { s.rotate(r2->token, make_user("user:intruder")); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument));
  v = s.validate(r2->token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user, promoted);

  EXPECT_FALSE(s.rotate(is.token));             // a superseded token
  EXPECT_FALSE(s.rotate("garbage", promoted));  // no session to give the details to
  EXPECT_TRUE(s.logout(r2->token));
  EXPECT_FALSE(s.rotate(r2->token));  // a logged-out session
  EXPECT_FALSE(s.rotate(r2->token, promoted));
  EXPECT_EQ(s.metrics().rotations, 2u);
}

TEST_P(SessionStore, SetUserChangesEveryLiveSessionOfTheUserAndNothingElse) {
  session::store s(store_, quick());
  const auto u = make_user("user:upgrade");
  const auto phone = s.login(u, "phone", browser);
  const auto laptop = s.login(u, "laptop", browser);
  const auto other = s.login(make_user("user:bystander"), "phone", browser);
  const auto before = s.list(u.id);
  ASSERT_EQ(before.size(), 2u);

  auto premium = u;
  premium.premium = true;
  premium.roles = {"reader", "subscriber"};
  EXPECT_EQ(s.set_user(premium), 2u);
  const auto after = s.list(u.id);
  ASSERT_EQ(after.size(), 2u);
  for (std::size_t i = 0; i < after.size(); ++i) {  // devices and times are kept
    const auto& b = *std::find_if(before.begin(), before.end(),
                                  [&](const auto& x) { return x.id == after[i].id; });
    EXPECT_EQ(after[i].device, b.device);
    EXPECT_EQ(after[i].user_agent, b.user_agent);
    EXPECT_EQ(after[i].created, b.created);
    EXPECT_EQ(after[i].last_access, b.last_access);
    EXPECT_EQ(after[i].expires_at, b.expires_at);
  }
  for (const auto* token : {&phone.token, &laptop.token}) {
    const auto v = s.validate(*token, browser);  // the tokens still work
    ASSERT_TRUE(v);
    EXPECT_EQ(v->user, premium);
  }
  const auto v = s.validate(other.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user, make_user("user:bystander"));  // another user's session is untouched

  // A user with no live session: nothing to change, and no key is made.
  EXPECT_EQ(s.set_user(make_user("user:nobody")), 0u);
  EXPECT_EQ(integer(command{"EXISTS", s.key("user:nobody")}), 0);
  // Dead sessions are not brought back: they are dropped.
  advance(t(500));  // past the t(400) idle timeout
  EXPECT_EQ(s.set_user(u), 0u);
  EXPECT_FALSE(s.validate(phone.token, browser));
  EXPECT_EQ(integer(command{"HLEN", s.key(u.id)}), 0);

  const auto e = error_from([&] { s.set_user(make_user("")); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument));
}

TEST_P(SessionStore, CensusCountsUsersAndStoredSessionsOfItsPrefixOnly) {
  session::store s(store_, quiet());
  auto glob = quiet();
  glob.prefix = "r?";  // a glob character: must match itself only
  session::store other(store_, glob);
  EXPECT_EQ(s.census().users, 0u);
  for (int u = 0; u < 3; ++u) {
    for (int d = 0; d <= u; ++d) {
      s.login(make_user("census:" + std::to_string(u)), "d" + std::to_string(d), browser);
    }
  }
  other.login(make_user("census:other"), "d", browser);
  store_->exec(command{"HSET", "rk:sess:{x}:sessionsX", "f", "v"});  // not a session key
  store_->exec(command{"SET", "rk:sess:{y}:sessions", "v"});         // not a hash
  auto c = s.census();
  EXPECT_EQ(c.users, 3u);
  EXPECT_EQ(c.sessions, 6u);
  EXPECT_EQ(c.most_per_user, 3u);
  c = other.census();
  EXPECT_EQ(c.users, 1u);
  EXPECT_EQ(c.sessions, 1u);
  EXPECT_TRUE(s.logout_all("census:2"));
  c = s.census();
  EXPECT_EQ(c.users, 2u);
  EXPECT_EQ(c.sessions, 3u);
  EXPECT_EQ(c.most_per_user, 2u);
}

TEST_P(SessionStore, RevokeEndsOneSessionAndListShowsMostRecentFirst) {
  auto o = quiet();
  o.touch_interval = 0ms;
  session::store s(store_, o);
  const auto u = make_user("user:revoke");
  const auto a = s.login(u, "a", browser);
  advance(5ms);
  const auto b = s.login(u, "b", browser);
  advance(5ms);
  const auto c = s.login(u, "c", browser);
  advance(5ms);
  ASSERT_TRUE(s.validate(a.token, browser));  // a is now the most recently accessed

  auto live = s.list(u.id);
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].id, a.session_id);
  EXPECT_EQ(live[1].id, c.session_id);
  EXPECT_EQ(live[2].id, b.session_id);
  EXPECT_EQ(live[0].device, "a");
  EXPECT_EQ(live[1].device, "c");
  EXPECT_EQ(live[2].device, "b");
  EXPECT_GT(live[0].last_access, live[1].last_access);
  EXPECT_GT(live[1].last_access, live[2].last_access);
  EXPECT_GT(live[0].last_access, live[0].created);
  for (const auto& x : live) {
    EXPECT_EQ(x.user, u);
    EXPECT_EQ(x.user_agent, browser.user_agent);
    EXPECT_EQ(x.ip, browser.ip);
    EXPECT_EQ(x.expires_at, x.last_access + 24h);
    EXPECT_FALSE(x.fingerprint_mismatch);
  }
  if (exact_clock()) {
    EXPECT_EQ(live[0].last_access, live[0].created + 15ms);
    EXPECT_EQ(live[1].created, live[2].created + 5ms);
  }

  EXPECT_TRUE(s.revoke(u.id, live[2].id));
  EXPECT_FALSE(s.revoke(u.id, live[2].id));
  EXPECT_FALSE(s.validate(b.token, browser));
  EXPECT_FALSE(s.revoke(u.id, "nope"));
  EXPECT_FALSE(s.revoke(u.id, ""));
  EXPECT_FALSE(s.revoke(u.id, c.session_id + "A"));
  EXPECT_FALSE(s.revoke(u.id, c.token));
  EXPECT_FALSE(s.revoke(u.id, std::string(22, 'A')));         // well-formed, unknown
  EXPECT_FALSE(s.revoke(u.id, std::string(22, '.')));         // not base64url
  EXPECT_FALSE(s.revoke("user:someone-else", c.session_id));  // not that user's
  advance(5ms);
  EXPECT_TRUE(s.validate(c.token, browser));

  live = s.list(u.id);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].id, c.session_id);  // just validated
  EXPECT_EQ(live[1].id, a.session_id);
  EXPECT_EQ(s.metrics().logouts, 1u);

  EXPECT_TRUE(s.logout(a.token));
  EXPECT_FALSE(s.logout(a.token));
  EXPECT_EQ(s.logout_all(u.id), 1u);
  EXPECT_EQ(s.logout_all(u.id), 0u);
  EXPECT_TRUE(s.list(u.id).empty());
  EXPECT_EQ(s.metrics().logouts, 3u);
}

TEST_P(SessionStore, BadInputIsRefused) {
  session::store s(store_, quiet());
  const auto u = make_user("user:input");
  const auto is = s.login(u, "d", browser);
  for (auto&& call : std::vector<std::function<void()>>{
           [&] { s.login(make_user(""), "d", browser); },
           [&] { s.login(make_user(std::string(513, 'u')), "d", browser); },
           [&] { s.login(u, std::string(257, 'd'), browser); },
           [&] { s.list(""); },
           [&] { s.list(std::string(513, 'u')); },
           [&] { s.logout_all(""); },
           [&] { s.revoke("", is.session_id); },
           [&] { s.rotate(is.token, make_user("")); },
       }) {
    const auto e = error_from(call);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument)) << e->what();
  }
  // The bounds themselves are fine.
  const auto longest = make_user(std::string(512, 'u'));
  const auto edge = s.login(longest, std::string(256, 'd'), browser);
  const auto v = s.validate(edge.token, browser);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user, longest);
  EXPECT_EQ(v->device, std::string(256, 'd'));
  EXPECT_EQ(s.metrics().logins, 2u);
  EXPECT_EQ(s.metrics().store_errors, 0u);
  EXPECT_TRUE(s.validate(is.token, browser));

  std::vector<std::function<void(options&)>> bad_options{
      [](options& o) { o.max_sessions = 0; },
      [](options& o) { o.touch_interval = o.idle_timeout; },
      [](options& o) { o.touch_interval = o.idle_timeout + 1ms; },
      [](options& o) { o.touch_interval = -1ms; },
      [](options& o) { o.idle_timeout = 0ms; },
      [](options& o) { o.absolute_timeout = 0ms; },
      [](options& o) { o.timeout = 0ms; },
  };
  for (std::size_t i = 0; i < bad_options.size(); ++i) {
    auto o = quiet();
    bad_options[i](o);
    const auto e = error_from([&] { session::store bad(store_, o); });
    ASSERT_TRUE(e) << "options #" << i;
    EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument)) << e->what();
  }
  EXPECT_THROW(session::store(nullptr), error);
}

// The session middleware step: the bearer token first, else the cookie; nothing without a
// (valid) token.
TEST_P(SessionStore, MiddlewareLoadsTheSessionFromBearerOrCookie) {
  session::store sessions(store_, quiet());
  const auto alice = sessions.login(make_user("alice"), "phone", browser);
  const auto bob = sessions.login(make_user("bob"), "laptop", browser);
  const auto cookies = session::cookie_options{};
  const auto load = [&](std::string authorization, std::string cookie) {
    return asio::co_spawn(
               store_->get_executor(),
               session::async_load_session(sessions, authorization, cookie, browser, cookies),
               asio::use_future)
        .get();
  };
  const auto cookie_of = [&](const std::string& token) {
    return "theme=dark; " + cookies.name + "=" + token;
  };

  auto s = load("Bearer " + alice.token, "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user.id, "alice");
  s = load("", cookie_of(bob.token));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user.id, "bob");
  s = load("Bearer " + alice.token, cookie_of(bob.token));  // the header wins
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user.id, "alice");
  EXPECT_FALSE(load("", ""));
  EXPECT_FALSE(load("Bearer not-a-token", ""));
  EXPECT_FALSE(load("", cookie_of(alice.token + "x")));
  ASSERT_TRUE(sessions.logout(bob.token));
  EXPECT_FALSE(load("", cookie_of(bob.token)));
}

REDKIT_ALL_BACKENDS(SessionStore);

// ---------------------------------------------------------------------------------------------
// Redis only: a killed and a hung server.

TEST(SessionStoreOutage, StoreFailuresRaiseWithinTheTimeout) {
  redis_server server;
  auto st = store::open(server.url());
  options o;
  o.timeout = 200ms;
  session::store s(st, o);
  const auto u = make_user("user:outage");
  const auto is = s.login(u, "d", browser);
  ASSERT_TRUE(s.validate(is.token, browser));

  // A hung server: the call waits for its deadline, then raises.
  server.pause();
  auto t0 = std::chrono::steady_clock::now();
  auto e = error_from([&] { s.validate(is.token, browser); });
  auto took = std::chrono::steady_clock::now() - t0;
  server.resume();
  ASSERT_TRUE(e) << "validate answered without its store";
  EXPECT_EQ(e->code(), make_error_code(errc::timeout)) << e->what();
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 700ms);
  EXPECT_EQ(s.metrics().store_errors, 1u);
  ASSERT_TRUE(wait_for_pong(*st));
  EXPECT_TRUE(s.validate(is.token, browser));

  // A killed server: every call raises, within the timeout.
  server.kill();
  t0 = std::chrono::steady_clock::now();
  e = error_from([&] { s.validate(is.token, browser); });
  took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(e) << "validate answered without its store";
  EXPECT_LT(took, 700ms);
  EXPECT_EQ(s.metrics().store_errors, 2u);
  // The other calls too (at once, so the test waits for one timeout, not seven).
  const std::vector<std::function<void()>> calls{[&] { s.validate(is.token, browser); },
                                                 [&] { s.login(u, "d2", browser); },
                                                 [&] { s.logout(is.token); },
                                                 [&] { s.list(u.id); },
                                                 [&] { s.rotate(is.token); },
                                                 [&] { s.revoke(u.id, is.session_id); },
                                                 [&] { s.logout_all(u.id); }};
  std::vector<std::future<std::pair<bool, std::chrono::nanoseconds>>> results;
  for (const auto& call : calls) {
    results.push_back(std::async(std::launch::async, [&call] {
      const auto start = std::chrono::steady_clock::now();
      const bool raised = error_from(call).has_value();
      return std::pair{raised, std::chrono::nanoseconds(std::chrono::steady_clock::now() - start)};
    }));
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto [raised, time] = results[i].get();
    EXPECT_TRUE(raised) << "call #" << i;
    EXPECT_LT(time, 700ms) << "call #" << i;
  }
  EXPECT_EQ(s.metrics().store_errors, 9u);
  EXPECT_FALSE(s.validate("garbage", browser));  // needs no store: no error
  EXPECT_EQ(s.metrics().store_errors, 9u);
}

}  // namespace
}  // namespace redkit::test
