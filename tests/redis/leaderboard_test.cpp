// The leaderboard on every backend: ranks under concurrent updates from coroutines, threads and a
// second store handle, every update's rank against a model of the board, the maximum size with
// no orphans (each `:players` entry names its member in `:scores`, and the reverse), the four
// update ops, both orders and tie-breaks, info-only updates that keep the place, exact doubles,
// reads (top, page, around, ranks, count, remove, percentiles, binary-safe info), periodic
// boards with their rollovers and retention on the engine's clock, and input checks.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/engine.hpp>
#include <redkit/leaderboard.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <thread>

namespace redkit::leaderboard {
// Readable failures (GoogleTest finds it by ADL).
void PrintTo(const player& p, std::ostream* os) {
  *os << "{id: " << ::testing::PrintToString(p.id) << ", name: " << ::testing::PrintToString(p.name)
      << ", avatar: " << ::testing::PrintToString(p.avatar) << "}";
}
}  // namespace redkit::leaderboard

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using leaderboard::board;
using leaderboard::entry;
using leaderboard::order;
using leaderboard::period;
using leaderboard::player;
using leaderboard::tie_break;
using leaderboard::update_op;
using leaderboard::update_result;
using leaderboard::view;
using std::chrono::sys_days;
using sys_clock = std::chrono::system_clock;

constexpr sys_days date(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

std::int64_t ms_of(sys_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string pad(int i, int width = 3) {
  auto s = std::to_string(i);
  return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))),
                     '0') +
         s;
}

player make_player(const std::string& id) { return player{.id = id, .name = "Name " + id}; }

std::vector<std::string> ids_of(const std::vector<entry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.player.id);
  return out;
}

std::vector<std::uint64_t> ranks_of(const std::vector<entry>& es) {
  std::vector<std::uint64_t> out;
  for (const auto& e : es) out.push_back(e.rank);
  return out;
}

std::vector<std::uint64_t> iota(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto r = from; r <= to; ++r) out.push_back(r);
  return out;
}

/// Board order of players with `scores`: by score per `o`, then per the tie-break (`seq`: the
/// order in which each reached its score, for `earliest`).
std::vector<std::string> expected_order(const std::map<std::string, double>& scores, order o,
                                        tie_break t,
                                        const std::map<std::string, std::uint64_t>& seq = {}) {
  std::vector<std::string> ids;
  for (const auto& [id, s] : scores) ids.push_back(id);
  const bool desc = o == order::descending;
  std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    const double sa = scores.at(a), sb = scores.at(b);
    if (sa != sb) return desc ? sa > sb : sa < sb;
    if (t == tie_break::member) return desc ? a > b : a < b;  // byte order, reversed if desc
    return seq.at(a) < seq.at(b);
  });
  return ids;
}

/// A model of one period's board: what each update must return.
struct model {
  order ord;
  tie_break tie;
  std::uint64_t max_size;
  std::map<std::string, double> scores;
  std::map<std::string, std::uint64_t> seq;
  std::uint64_t next_seq = 0;

  std::vector<std::string> ordered() const { return expected_order(scores, ord, tie, seq); }
  std::optional<std::uint64_t> rank(const std::string& id) const {
    const auto o = ordered();
    const auto it = std::find(o.begin(), o.end(), id);
    if (it == o.end()) return std::nullopt;
    return static_cast<std::uint64_t>(it - o.begin()) + 1;
  }
  update_result apply(const std::string& id, double v, update_op op) {
    const bool desc = ord == order::descending;
    update_result r;
    r.previous_rank = rank(id);
    const auto it = scores.find(id);
    const std::optional<double> old =
        it == scores.end() ? std::nullopt : std::optional<double>(it->second);
    double now = v;
    if (op == update_op::best && old && (desc ? *old > v : *old < v)) now = *old;
    if (op == update_op::incr) now = old.value_or(0) + v;
    if (op == update_op::decr) now = old.value_or(0) - v;
    if (!old || *old != now) {
      scores[id] = now;
      seq[id] = ++next_seq;
    }
    if (max_size > 0) {
      while (scores.size() > max_size) {
        const auto worst = ordered().back();
        scores.erase(worst);
        seq.erase(worst);
      }
    }
    r.score = now;
    r.rank = rank(id);
    return r;
  }
};

class Leaderboard : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    // Frozen at noon on Thursday 2026-11-26 (UTC).
    if (auto* e = store_->engine()) e->set_time(date(2026, 11, 26) + 12h);
  }

  /// The store's clock (the engine's, or the Redis server's TIME).
  sys_clock::time_point now() {
    if (auto* e = store_->engine()) return e->now();
    const auto r = store_->exec(command{"TIME"});
    EXPECT_EQ(r.elements.size(), 2u);
    return sys_clock::time_point(std::chrono::seconds(std::stoll(r.elements.at(0).string)) +
                                 std::chrono::microseconds(std::stoll(r.elements.at(1).string)));
  }
  sys_days today() { return std::chrono::floor<std::chrono::days>(now()); }

  std::int64_t integer(const command& c) {
    const auto r = store_->exec(c);
    EXPECT_EQ(r.type, resp::type::integer) << to_display(r);
    return r.integer;
  }
  std::set<std::string> hash_fields(const std::string& key) {
    const auto r = store_->exec(command{"HKEYS", key});
    std::set<std::string> out;
    for (const auto& e : r.elements) out.insert(e.string);
    return out;
  }
  std::int64_t dbsize() { return integer(command{"DBSIZE"}); }

  /// The all-time board's key prefix of `b`.
  static std::string all_keys(const board& b) { return b.key("all"); }

  /// Each player's score on the board, read with ranks() (all must be present).
  std::map<std::string, double> scores_of(board& b, const std::vector<std::string>& ids,
                                          view v = {}) {
    std::map<std::string, double> out;
    const auto rs = b.ranks(ids, v);
    EXPECT_EQ(rs.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_TRUE(rs[i].has_value()) << ids[i];
      if (rs[i]) out[ids[i]] = rs[i]->score;
    }
    return out;
  }

  /// The `:players` hash at key prefix `k`: player id -> its member in `:scores`.
  std::map<std::string, std::string> players_of(const std::string& k) {
    const auto r = store_->exec(command{"HGETALL", k + ":players"});
    EXPECT_EQ(r.elements.size() % 2, 0u);
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      out[r.elements[i].string] = r.elements[i + 1].string;
    }
    return out;
  }

  /// No orphans on the board at key prefix `k` of `b`: `:players` holds exactly `ids`, one
  /// field per member of `:scores`, and each value is that player's member in `:scores`
  /// ([16 hex digits with earliest] id NUL info).
  void expect_no_orphans(const board& b, const std::string& k, const std::set<std::string>& ids) {
    EXPECT_EQ(integer(command{"HLEN", k + ":players"}), integer(command{"ZCARD", k + ":scores"}));
    EXPECT_EQ(integer(command{"HLEN", k + ":players"}), static_cast<std::int64_t>(ids.size()));
    EXPECT_EQ(hash_fields(k + ":players"), ids);
    const std::size_t skip = b.config().tie_break == tie_break::earliest ? 16 : 0;
    for (const auto& [id, member] : players_of(k)) {
      EXPECT_EQ(member.substr(skip, id.size() + 1), id + std::string(1, '\0')) << id;
      const auto score = store_->exec(command{"ZSCORE", k + ":scores", member});
      EXPECT_NE(score.type, resp::type::null) << id << ": its member is not in :scores";
    }
  }

  /// The earliest tie-break's order: each player's sequence number, from the 16 hex digits
  /// that start its member in the `:players` hash (descending boards store 2^53 - seq).
  std::map<std::string, std::uint64_t> sequence_of(const board& b) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& [id, member] : players_of(all_keys(b))) {
      EXPECT_EQ(member.substr(16, id.size() + 1), id + std::string(1, '\0')) << id;
      const auto h = std::stoull(member.substr(0, 16), nullptr, 16);
      out[id] = b.config().order == order::descending ? (std::uint64_t{1} << 53) - h : h;
    }
    return out;
  }

  /// The board's order holds: rank() of every player and top(n) both match `expected`.
  void expect_board(board& b, const std::vector<std::string>& expected,
                    const std::map<std::string, double>& scores) {
    const auto rs = b.ranks(expected);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_TRUE(rs[i].has_value()) << expected[i];
      EXPECT_EQ(rs[i]->rank, i + 1) << expected[i];
      EXPECT_EQ(rs[i]->score, scores.at(expected[i])) << expected[i];
      EXPECT_EQ(rs[i]->total, expected.size());
    }
    for (std::size_t i = 0; i < expected.size(); i += 17) {  // and a few single rank() calls
      const auto r = b.rank(expected[i]);
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->rank, i + 1);
    }
    const auto top = b.top(expected.size());
    EXPECT_EQ(ids_of(top), expected);
    EXPECT_EQ(ranks_of(top), iota(1, expected.size()));
    for (const auto& e : top) {
      EXPECT_EQ(e.score, scores.at(e.player.id));
      EXPECT_EQ(e.player.name, "Name " + e.player.id);
    }
    EXPECT_EQ(b.count(), expected.size());
  }

  template <typename Call>
  void expect_invalid(Call&& call, std::string_view what) {
    const auto e = error_from(std::forward<Call>(call));
    ASSERT_TRUE(e.has_value()) << what;
    EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument)) << what << ": " << e->what();
  }

  /// 64 coroutines on the store's executor, each running body(k) for the next k below `n`
  /// (`next` is shared, so other workers may take ks too); wait on the futures.
  std::vector<std::future<void>> spawn_64(std::atomic<std::size_t>& next, std::size_t n,
                                          std::function<asio::awaitable<void>(std::size_t)> body) {
    std::vector<std::future<void>> done;
    for (int c = 0; c < 64; ++c) {
      done.push_back(asio::co_spawn(
          store_->get_executor(),
          [&next, n, body]() -> asio::awaitable<void> {
            for (auto k = next++; k < n; k = next++) co_await body(k);
          },
          asio::use_future));
    }
    return done;
  }

  /// 2000 updates over 100 players from 64 coroutines, 4 threads and 4 threads on a second
  /// store handle; then the board's order must be that of its final scores.
  void hammer(const leaderboard::options& o) {
    board b(store_, "hammer", o);
    board b2(open_store(), "hammer", o);
    struct op {
      std::string id;
      update_op what;
      double value;
    };
    std::vector<op> ops;
    std::mt19937 rng(42);
    for (int k = 0; k < 2000; ++k) {
      const int p = k % 100;
      const auto id = "player-" + pad(p);
      switch (p % 3) {
        case 0:  // increments only: ends at exactly 20
          ops.push_back({id, update_op::incr, 1});
          break;
        case 1:  // sets only
          ops.push_back({id, update_op::set, static_cast<double>(rng() % 40)});
          break;
        default: {  // all four ops
          constexpr update_op all[] = {update_op::set, update_op::best, update_op::incr,
                                       update_op::decr};
          ops.push_back({id, all[rng() % 4], static_cast<double>(rng() % 8) * 0.5});
        }
      }
    }
    std::vector<std::vector<update_result>> results(ops.size());
    std::atomic<std::size_t> next{0};
    auto done = spawn_64(next, ops.size(), [&](std::size_t k) -> asio::awaitable<void> {
      results[k] = co_await b.async_update(make_player(ops[k].id), ops[k].value, ops[k].what);
    });
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t) {
      ts.emplace_back([&, t] {
        auto& on = t < 4 ? b : b2;
        for (auto k = next++; k < ops.size(); k = next++) {
          results[k] = on.update(make_player(ops[k].id), ops[k].value, ops[k].what);
        }
      });
    }
    for (auto& t : ts) t.join();
    for (auto& f : done) f.get();

    std::vector<std::string> ids;
    for (int p = 0; p < 100; ++p) ids.push_back("player-" + pad(p));
    std::map<std::string, std::vector<double>> returned;
    std::map<std::string, int> firsts;
    for (std::size_t k = 0; k < ops.size(); ++k) {
      ASSERT_EQ(results[k].size(), 1u) << k;
      const auto& r = results[k][0];
      EXPECT_EQ(r.period, period::all_time);
      ASSERT_TRUE(r.rank.has_value()) << k;
      EXPECT_GE(*r.rank, 1u);
      EXPECT_LE(*r.rank, 100u);
      if (r.previous_rank) {
        EXPECT_GE(*r.previous_rank, 1u);
        EXPECT_LE(*r.previous_rank, 100u);
      } else {
        ++firsts[ops[k].id];
      }
      returned[ops[k].id].push_back(r.score);
    }
    // Each player was new to the board exactly once: its first applied update.
    EXPECT_EQ(firsts.size(), 100u);
    for (const auto& [id, n] : firsts) EXPECT_EQ(n, 1) << id;

    const auto scores = scores_of(b, ids);
    ASSERT_EQ(scores.size(), 100u);
    for (int p = 0; p < 100; ++p) {
      const auto& id = ids[static_cast<std::size_t>(p)];
      auto seen = returned[id];
      ASSERT_EQ(seen.size(), 20u);
      if (p % 3 == 0) {
        // Serialised increments: each saw a distinct count, 1 to 20, and none was lost.
        std::sort(seen.begin(), seen.end());
        for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i + 1) << id;
        EXPECT_EQ(scores.at(id), 20) << id;
      } else {
        // The final score is one some update returned.
        EXPECT_NE(std::find(seen.begin(), seen.end(), scores.at(id)), seen.end()) << id;
      }
    }
    const auto seq = o.tie_break == tie_break::earliest ? sequence_of(b)
                                                        : std::map<std::string, std::uint64_t>{};
    if (o.tie_break == tie_break::earliest) ASSERT_EQ(seq.size(), 100u);
    expect_board(b, expected_order(scores, o.order, o.tie_break, seq), scores);
    expect_board(b2, expected_order(scores, o.order, o.tie_break, seq), scores);
    // No orphans: one :players entry per score, naming its member.
    EXPECT_EQ(integer(command{"ZCARD", all_keys(b) + ":scores"}), 100);
    expect_no_orphans(b, all_keys(b), std::set<std::string>(ids.begin(), ids.end()));
  }
};

// 1. Concurrency -------------------------------------------------------------------------------

TEST_P(Leaderboard, ConcurrentUpdatesLeaveRanksInScoreOrderDescendingByMember) {
  hammer(leaderboard::options{});
}

TEST_P(Leaderboard, ConcurrentUpdatesLeaveRanksInScoreOrderAscendingByEarliest) {
  leaderboard::options o;
  o.order = order::ascending;
  o.tie_break = tie_break::earliest;
  hammer(o);
}

TEST_P(Leaderboard, EverySequentialUpdateReturnsTheModelsRankAndPreviousRank) {
  struct config {
    order o;
    tie_break t;
    std::uint64_t max_size;
  };
  const config configs[] = {{order::descending, tie_break::member, 0},
                            {order::ascending, tie_break::member, 0},
                            {order::descending, tie_break::earliest, 0},
                            {order::ascending, tie_break::earliest, 8}};
  int n = 0;
  for (const auto& c : configs) {
    SCOPED_TRACE(n);
    leaderboard::options o;
    o.order = c.o;
    o.tie_break = c.t;
    o.max_size = c.max_size;
    board b(store_, "model" + std::to_string(n++), o);
    model m{c.o, c.t, c.max_size, {}, {}, 0};
    std::mt19937 rng(7);
    std::string last_id;
    std::optional<std::uint64_t> last_rank;
    for (int k = 0; k < 150; ++k) {
      // Runs of updates to the same player: previous_rank is then the last update's rank.
      const auto id = rng() % 3 == 0 && !last_id.empty() ? last_id : "u" + pad(rng() % 12, 2);
      constexpr update_op all[] = {update_op::set, update_op::best, update_op::incr,
                                   update_op::decr};
      const auto op = all[rng() % 4];
      const double v = static_cast<double>(rng() % 6);
      const auto want = m.apply(id, v, op);
      const auto got = b.update(make_player(id), v, op);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_EQ(got[0].score, want.score) << k;
      EXPECT_EQ(got[0].rank, want.rank) << k << " " << id;
      EXPECT_EQ(got[0].previous_rank, want.previous_rank) << k << " " << id;
      if (id == last_id) EXPECT_EQ(got[0].previous_rank, last_rank) << k;
      last_id = id;
      last_rank = got[0].rank;
    }
    expect_board(b, m.ordered(), m.scores);
    std::set<std::string> on_board;
    for (const auto& [id, score] : m.scores) on_board.insert(id);
    expect_no_orphans(b, all_keys(b), on_board);
  }
}

// 2. Maximum size ------------------------------------------------------------------------------

TEST_P(Leaderboard, MaxSizeKeepsTheBestAndLeavesNoOrphans) {
  for (const auto t : {tie_break::member, tie_break::earliest}) {
    SCOPED_TRACE(static_cast<int>(t));
    leaderboard::options o;
    o.max_size = 10;
    o.tie_break = t;
    board b(store_, t == tie_break::member ? "capped-m" : "capped-e", o);
    const auto k = b.key(b.period_id(period::all_time, today()));
    EXPECT_EQ(k, all_keys(b));
    std::vector<int> order_in(50);
    for (int i = 0; i < 50; ++i) order_in[static_cast<std::size_t>(i)] = i;
    std::shuffle(order_in.begin(), order_in.end(), std::mt19937(3));
    for (const int i : order_in) b.update(make_player("p" + pad(i, 2)), i);
    EXPECT_EQ(b.count(), 10u);
    EXPECT_EQ(integer(command{"ZCARD", k + ":scores"}), 10);
    EXPECT_EQ(integer(command{"HLEN", k + ":players"}), 10);
    std::set<std::string> kept;
    std::vector<std::string> top_ids;
    for (int i = 49; i >= 40; --i) {
      kept.insert("p" + pad(i, 2));
      top_ids.push_back("p" + pad(i, 2));
    }
    expect_no_orphans(b, k, kept);
    EXPECT_EQ(ids_of(b.top(50)), top_ids);
    for (int i = 0; i < 40; ++i) EXPECT_FALSE(b.rank("p" + pad(i, 2)).has_value()) << i;

    // A score that does not make the full board: not ranked, no info written.
    auto r = b.update(make_player("low"), 5);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_FALSE(r[0].rank.has_value());
    EXPECT_FALSE(r[0].previous_rank.has_value());
    EXPECT_EQ(r[0].score, 5);
    EXPECT_EQ(integer(command{"HEXISTS", k + ":players", "low"}), 0);
    EXPECT_EQ(integer(command{"HLEN", k + ":players"}), 10);
    expect_no_orphans(b, k, kept);

    // A newcomer tying the last place: by member on a descending board "p40a" ranks above
    // "p40", which drops; by earliest the newcomer came later and does not make it.
    r = b.update(make_player("p40a"), 40);
    if (t == tie_break::member) {
      EXPECT_EQ(r[0].rank, 10u);
      kept.erase("p40");
      kept.insert("p40a");
      top_ids.back() = "p40a";
    } else {
      EXPECT_FALSE(r[0].rank.has_value());
    }
    EXPECT_EQ(ids_of(b.top(50)), top_ids);
    expect_no_orphans(b, k, kept);

    // A new best pushes the last one out, with its info.
    r = b.update(make_player("star"), 1000);
    EXPECT_EQ(r[0].rank, 1u);
    const auto dropped = top_ids.back();
    kept.erase(dropped);
    kept.insert("star");
    expect_no_orphans(b, k, kept);
    EXPECT_FALSE(b.rank(dropped).has_value());
    EXPECT_EQ(b.count(), 10u);
    EXPECT_EQ(integer(command{"ZCARD", k + ":scores"}), 10);
  }
}

// 3. Update ops --------------------------------------------------------------------------------

TEST_P(Leaderboard, SetBestIncrDecrAndIncrement) {
  board b(store_, "ops");
  auto r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 10);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].score, 10);
  EXPECT_EQ(r[0].rank, 1u);
  EXPECT_FALSE(r[0].previous_rank.has_value());
  r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 3);  // set lowers
  EXPECT_EQ(r[0].score, 3);
  EXPECT_EQ(r[0].previous_rank, 1u);
  EXPECT_EQ(b.rank("a")->score, 3);

  // best on a descending board keeps the higher.
  r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 2, update_op::best);
  EXPECT_EQ(r[0].score, 3);
  r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 8, update_op::best);
  EXPECT_EQ(r[0].score, 8);
  EXPECT_EQ(b.rank("a")->score, 8);
  r = b.update(make_player("new-best"), -4, update_op::best);  // absent: takes the score
  EXPECT_EQ(r[0].score, -4);
  EXPECT_EQ(r[0].rank, 2u);

  r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 2.5, update_op::incr);
  EXPECT_EQ(r[0].score, 10.5);
  r = b.update(player{.id = "a", .name = "Ann", .avatar = "a.png"}, 4, update_op::decr);
  EXPECT_EQ(r[0].score, 6.5);
  EXPECT_EQ(b.rank("a")->score, 6.5);
  r = b.update(make_player("fresh-incr"), 7, update_op::incr);  // absent: from 0
  EXPECT_EQ(r[0].score, 7);
  EXPECT_EQ(r[0].rank, 1u);
  EXPECT_EQ(r[0].previous_rank, std::nullopt);
  r = b.update(make_player("fresh-decr"), 7, update_op::decr);
  EXPECT_EQ(r[0].score, -7);
  EXPECT_EQ(r[0].rank, 4u);

  // increment() keeps the stored info, and names a new player "Player <id>".
  r = b.increment("a", 1);
  EXPECT_EQ(r[0].score, 7.5);
  EXPECT_EQ(r[0].rank, 1u);
  EXPECT_EQ(r[0].previous_rank, 2u);
  r = b.increment("ghost", -1);
  EXPECT_EQ(r[0].score, -1);
  const auto top = b.top(10);
  EXPECT_EQ(ids_of(top),
            (std::vector<std::string>{"a", "fresh-incr", "ghost", "new-best", "fresh-decr"}));
  EXPECT_EQ(top[0].player, (player{.id = "a", .name = "Ann", .avatar = "a.png"}));
  EXPECT_EQ(top[0].score, 7.5);
  EXPECT_EQ(top[2].player, (player{.id = "ghost", .name = "Player ghost", .avatar = ""}));
  // An update replaces the info.
  b.update(player{.id = "ghost", .name = "Casper"}, 0, update_op::incr);
  EXPECT_EQ(b.top(3)[2].player, (player{.id = "ghost", .name = "Casper", .avatar = ""}));

  // best on an ascending board keeps the lower.
  leaderboard::options o;
  o.order = order::ascending;
  board race(store_, "race", o);
  EXPECT_EQ(race.update(make_player("r"), 61.2, update_op::best)[0].score, 61.2);
  EXPECT_EQ(race.update(make_player("r"), 65, update_op::best)[0].score, 61.2);
  EXPECT_EQ(race.update(make_player("r"), 59.9, update_op::best)[0].score, 59.9);
  EXPECT_EQ(race.rank("r")->score, 59.9);
  race.update(make_player("s"), 60);
  EXPECT_EQ(ids_of(race.top(2)), (std::vector<std::string>{"r", "s"}));
}

// 4. Order and tie-breaks ----------------------------------------------------------------------

TEST_P(Leaderboard, EqualScoresByMemberFollowIdBytes) {
  // Byte order: "B" < "a" < "ab" < "b" < "\xc3\xa9" (UTF-8 é, bytes above ASCII).
  const std::vector<std::string> ids{"ab", "\xc3\xa9", "a", "B", "b"};
  const std::vector<std::string> asc{"B", "a", "ab", "b", "\xc3\xa9"};
  for (const auto o : {order::descending, order::ascending}) {
    leaderboard::options opts;
    opts.order = o;
    board b(store_, o == order::descending ? "tie-d" : "tie-a", opts);
    for (const auto& id : ids) b.update(make_player(id), 5);
    b.update(make_player("top"), o == order::descending ? 9 : 1);
    b.update(make_player("bottom"), o == order::descending ? 1 : 9);
    std::vector<std::string> want{"top"};
    if (o == order::descending) {
      want.insert(want.end(), asc.rbegin(), asc.rend());  // like ZREVRANGE
    } else {
      want.insert(want.end(), asc.begin(), asc.end());
    }
    want.push_back("bottom");
    EXPECT_EQ(ids_of(b.top(10)), want);
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(b.rank(want[i])->rank, i + 1);
  }
}

TEST_P(Leaderboard, EqualScoresByEarliestRankWhoeverGotThereFirst) {
  for (const auto o : {order::descending, order::ascending}) {
    SCOPED_TRACE(static_cast<int>(o));
    leaderboard::options opts;
    opts.order = o;
    opts.tie_break = tie_break::earliest;
    board b(store_, o == order::descending ? "early-d" : "early-a", opts);
    const double better = o == order::descending ? 6 : 4;
    const double worse = o == order::descending ? 4 : 6;
    for (const auto* id : {"b", "c", "a"}) b.update(make_player(id), 5);
    b.update(make_player("z"), worse);
    b.update(make_player("y"), better);
    EXPECT_EQ(ids_of(b.top(10)), (std::vector<std::string>{"y", "b", "c", "a", "z"}));

    // Re-setting the same score (set, best, incr 0) keeps the place.
    auto r = b.update(make_player("b"), 5);
    EXPECT_EQ(r[0].rank, 2u);
    EXPECT_EQ(r[0].previous_rank, 2u);
    r = b.update(make_player("b"), worse, update_op::best);
    EXPECT_EQ(r[0].score, 5);
    EXPECT_EQ(r[0].rank, 2u);
    r = b.increment("b", 0);
    EXPECT_EQ(r[0].rank, 2u);
    EXPECT_EQ(ids_of(b.top(10)), (std::vector<std::string>{"y", "b", "c", "a", "z"}));

    // Moving away and back: a new, later place among equals.
    r = b.update(make_player("b"), better);
    EXPECT_EQ(r[0].rank, 2u);  // after y, who got there first
    EXPECT_EQ(r[0].previous_rank, 2u);
    r = b.update(make_player("b"), 5);
    EXPECT_EQ(r[0].rank, 4u);
    EXPECT_EQ(r[0].previous_rank, 2u);
    EXPECT_EQ(ids_of(b.top(10)), (std::vector<std::string>{"y", "c", "a", "b", "z"}));
    // The score itself is untouched by the tie-break.
    const auto top = b.top(10);
    EXPECT_EQ(top[0].score, better);
    EXPECT_EQ(top[3].score, 5);
    EXPECT_EQ(top[4].score, worse);
  }
}

// 5. Exactness ---------------------------------------------------------------------------------

TEST_P(Leaderboard, ScoresRoundTripExactlyUnderBothTieBreaks) {
  const double two53 = 9007199254740992.0;
  const std::vector<double> values{two53,
                                   two53 - 1,
                                   -two53,
                                   0.1,
                                   0.1 + 0.2,
                                   1e-300,
                                   -1e300,
                                   123456.789,
                                   std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::denorm_min(),
                                   -0.5};
  for (const auto t : {tie_break::member, tie_break::earliest}) {
    SCOPED_TRACE(static_cast<int>(t));
    leaderboard::options o;
    o.tie_break = t;
    board b(store_, t == tie_break::member ? "exact-m" : "exact-e", o);
    std::map<std::string, double> scores;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto id = "v" + pad(static_cast<int>(i), 2);
      const auto r = b.update(make_player(id), values[i]);
      EXPECT_EQ(r[0].score, values[i]) << id;
      scores[id] = values[i];
      ids.push_back(id);
    }
    const auto rs = b.ranks(ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(rs[i]);
      EXPECT_EQ(rs[i]->score, values[i]) << ids[i];
    }
    const auto want = expected_order(scores, order::descending, t, {});
    EXPECT_EQ(ids_of(b.top(20)), want);
    for (const auto& e : b.top(20)) EXPECT_EQ(e.score, scores.at(e.player.id)) << e.player.id;
    // 2^53 and 2^53 - 1 are distinct and ordered.
    EXPECT_EQ(b.rank("v01")->rank, b.rank("v00")->rank + 1);

    // Exact arithmetic: 0.1 + 0.2 is the double sum; integer increments stay exact to 2^53.
    EXPECT_EQ(b.update(make_player("sum"), 0.1)[0].score, 0.1);
    EXPECT_EQ(b.update(make_player("sum"), 0.2, update_op::incr)[0].score, 0.1 + 0.2);
    EXPECT_EQ(b.update(make_player("big"), two53 - 2)[0].score, two53 - 2);
    EXPECT_EQ(b.increment("big", 1)[0].score, two53 - 1);
    EXPECT_EQ(b.increment("big", 1)[0].score, two53);
    EXPECT_EQ(b.rank("big")->score, two53);
  }
}

TEST_P(Leaderboard, NonFiniteScoresAreRefusedAndWriteNothing) {
  board b(store_, "finite");
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity()};
  for (const double v : bad) {
    for (const auto op : {update_op::set, update_op::best, update_op::incr, update_op::decr}) {
      expect_invalid([&] { b.update(make_player("p"), v, op); }, "update");
    }
    expect_invalid([&] { b.increment("p", v); }, "increment");
  }
  EXPECT_EQ(b.count(), 0u);
  EXPECT_EQ(dbsize(), 0);

  // An increment that overflows to infinity on one period's board writes no period's board.
  const double big = 1.5e308;
  board all_only(store_, "overflow");
  all_only.update(make_player("p"), big);
  leaderboard::options o;
  o.periods = {period::daily, period::all_time};
  board both(store_, "overflow", o);
  const auto keys_before = dbsize();
  expect_invalid([&] { both.update(make_player("p"), big, update_op::incr); }, "incr");
  expect_invalid([&] { both.increment("p", big); }, "increment");
  expect_invalid([&] { all_only.update(make_player("p"), -big, update_op::decr); }, "decr");
  EXPECT_EQ(dbsize(), keys_before);
  EXPECT_EQ(both.count(view{.of = period::daily}), 0u);
  EXPECT_EQ(both.rank("p", view{.of = period::all_time})->score, big);
  // Within range still works, on both.
  const auto r = both.update(make_player("p"), -big, update_op::incr);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].period, period::daily);
  EXPECT_EQ(r[0].score, -big);
  EXPECT_EQ(r[1].period, period::all_time);
  EXPECT_EQ(r[1].score, 0);
  // And -big - big overflows on the daily board only: still nothing written.
  expect_invalid([&] { both.update(make_player("p"), big, update_op::decr); }, "decr daily");
  EXPECT_EQ(both.rank("p", view{.of = period::daily})->score, -big);
  EXPECT_EQ(both.rank("p", view{.of = period::all_time})->score, 0);
}

// 6. Reads -------------------------------------------------------------------------------------

TEST_P(Leaderboard, TopPageAroundRanksCountRemove) {
  leaderboard::options o;
  o.max_per_call = 50;
  board b(store_, "reads", o);
  // p0 .. p9 with scores 0 .. 90: p9 is rank 1, p0 rank 10.
  for (int i = 0; i < 10; ++i) b.update(make_player("p" + std::to_string(i)), i * 10);
  const auto by_rank = [](std::uint64_t from, std::uint64_t to) {
    std::vector<std::string> out;
    for (auto r = from; r <= to; ++r) out.push_back("p" + std::to_string(10 - r));
    return out;
  };

  expect_invalid([&] { b.top(0); }, "top 0");
  expect_invalid([&] { b.top(51); }, "top > max");
  EXPECT_EQ(ids_of(b.top(50)), by_rank(1, 10));
  auto top = b.top(3);
  EXPECT_EQ(ids_of(top), by_rank(1, 3));
  EXPECT_EQ(ranks_of(top), iota(1, 3));
  EXPECT_EQ(top[0].score, 90);
  EXPECT_EQ(top[2].score, 70);

  expect_invalid([&] { b.page(0, 4); }, "page 0");
  expect_invalid([&] { b.page(1, 0); }, "page size 0");
  expect_invalid([&] { b.page(1, 51); }, "page size > max");
  auto pg = b.page(1, 4);
  EXPECT_EQ(pg.total, 10u);
  EXPECT_EQ(ids_of(pg.entries), by_rank(1, 4));
  EXPECT_EQ(ranks_of(pg.entries), iota(1, 4));
  pg = b.page(2, 4);
  EXPECT_EQ(ids_of(pg.entries), by_rank(5, 8));
  EXPECT_EQ(ranks_of(pg.entries), iota(5, 8));
  pg = b.page(3, 4);  // the last, partial
  EXPECT_EQ(pg.total, 10u);
  EXPECT_EQ(ids_of(pg.entries), by_rank(9, 10));
  EXPECT_EQ(ranks_of(pg.entries), iota(9, 10));
  pg = b.page(4, 4);  // beyond the end
  EXPECT_TRUE(pg.entries.empty());
  EXPECT_EQ(pg.total, 10u);
  pg = b.page(1000, 50);
  EXPECT_TRUE(pg.entries.empty());
  EXPECT_EQ(pg.total, 10u);

  // around
  EXPECT_TRUE(b.around("nobody", 2).empty());
  EXPECT_TRUE(b.around("nobody", 2, true).empty());
  expect_invalid([&] { b.around("p5", 26); }, "range > max/2");
  auto a = b.around("p5", 2);  // p5 is rank 5
  EXPECT_EQ(ids_of(a), by_rank(3, 7));
  EXPECT_EQ(ranks_of(a), iota(3, 7));
  EXPECT_EQ(a[2].score, 50);
  EXPECT_EQ(ids_of(b.around("p5", 0)), by_rank(5, 5));
  a = b.around("p9", 2);  // at the top
  EXPECT_EQ(ranks_of(a), iota(1, 3));
  EXPECT_EQ(ids_of(a), by_rank(1, 3));
  a = b.around("p9", 2, true);
  EXPECT_EQ(ranks_of(a), iota(1, 5));
  EXPECT_EQ(ids_of(a), by_rank(1, 5));
  a = b.around("p8", 2, true);  // rank 2: one short at the top
  EXPECT_EQ(ranks_of(a), iota(1, 5));
  a = b.around("p0", 2);  // at the bottom
  EXPECT_EQ(ranks_of(a), iota(8, 10));
  EXPECT_EQ(ids_of(a), by_rank(8, 10));
  a = b.around("p0", 2, true);
  EXPECT_EQ(ranks_of(a), iota(6, 10));
  EXPECT_EQ(ids_of(a), by_rank(6, 10));
  a = b.around("p1", 3, true);  // rank 9
  EXPECT_EQ(ranks_of(a), iota(4, 10));
  a = b.around("p5", 20, true);  // wider than the board: all of it
  EXPECT_EQ(ranks_of(a), iota(1, 10));
  a = b.around("p5", 20);
  EXPECT_EQ(ranks_of(a), iota(1, 10));

  // ranks() of present and absent players, percentiles.
  const std::vector<std::string> asked{"p9", "nobody", "p0", "p6"};
  const auto rs = b.ranks(asked);
  ASSERT_EQ(rs.size(), 4u);
  ASSERT_TRUE(rs[0]);
  EXPECT_EQ(rs[0]->rank, 1u);
  EXPECT_EQ(rs[0]->score, 90);
  EXPECT_EQ(rs[0]->total, 10u);
  EXPECT_EQ(rs[0]->percentile, 100);
  EXPECT_FALSE(rs[1]);
  ASSERT_TRUE(rs[2]);
  EXPECT_EQ(rs[2]->rank, 10u);
  EXPECT_EQ(rs[2]->percentile, 0);
  ASSERT_TRUE(rs[3]);
  EXPECT_EQ(rs[3]->rank, 4u);
  EXPECT_EQ(rs[3]->percentile, 100.0 * 6.0 / 9.0);
  EXPECT_FALSE(b.rank("nobody").has_value());
  EXPECT_TRUE(b.ranks(std::vector<std::string>{}).empty());
  expect_invalid([&] { b.ranks(std::vector<std::string>(51, "p1")); }, "ranks > max");
  EXPECT_EQ(b.count(), 10u);

  // remove: score and info (its member and :players entry) gone, false the second time.
  const auto players = all_keys(b) + ":players";
  EXPECT_TRUE(b.remove("p5"));
  EXPECT_FALSE(b.rank("p5").has_value());
  EXPECT_EQ(integer(command{"HEXISTS", players, "p5"}), 0);
  EXPECT_EQ(integer(command{"HLEN", players}), 9);
  EXPECT_EQ(integer(command{"ZCARD", all_keys(b) + ":scores"}), 9);
  expect_no_orphans(b, all_keys(b), {"p0", "p1", "p2", "p3", "p4", "p6", "p7", "p8", "p9"});
  EXPECT_EQ(b.count(), 9u);
  EXPECT_FALSE(b.remove("p5"));
  EXPECT_FALSE(b.remove("nobody"));
  EXPECT_EQ(b.rank("p4")->rank, 5u);  // moved up
  EXPECT_EQ(b.rank("p4")->total, 9u);

  // A board of one: percentile 100.
  board solo(store_, "solo");
  EXPECT_EQ(solo.count(), 0u);
  EXPECT_TRUE(solo.top(5).empty());
  EXPECT_EQ(solo.page(1).total, 0u);
  solo.update(make_player("only"), -3);
  const auto r = solo.rank("only");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rank, 1u);
  EXPECT_EQ(r->total, 1u);
  EXPECT_EQ(r->percentile, 100);

  // remove with the earliest tie-break clears the prefixed member too.
  leaderboard::options e;
  e.tie_break = tie_break::earliest;
  board early(store_, "remove-e", e);
  early.update(make_player("x"), 1);
  early.update(make_player("y"), 1);
  EXPECT_TRUE(early.remove("x"));
  expect_no_orphans(early, all_keys(early), {"y"});
  EXPECT_EQ(integer(command{"ZCARD", all_keys(early) + ":scores"}), 1);
  EXPECT_FALSE(early.rank("x"));
  EXPECT_EQ(early.rank("y")->rank, 1u);
  EXPECT_FALSE(early.remove("x"));
}

// Concurrent around() reads go to the store in batches (one script call per board period of a
// batch): each must get what it would get alone, absent players and both ends included.
TEST_P(Leaderboard, ConcurrentAroundReadsMatchOneByOneReads) {
  leaderboard::options o;
  o.periods = {period::all_time, period::daily};
  board b(store_, "batched", o);
  leaderboard::options alone_o = o;
  alone_o.around_batch = 1;  // no batching: the reference
  board alone(store_, "batched", alone_o);
  const auto today = std::chrono::floor<std::chrono::days>(now());
  for (int i = 0; i < 60; ++i) b.update(make_player("p" + pad(i, 2)), (i * 37) % 50);
  struct read {
    std::string id;
    std::size_t range;
    bool fill;
    view v;
  };
  std::vector<read> reads;
  std::mt19937 rng(11);
  for (int k = 0; k < 600; ++k) {
    // Ids p60 .. p69 are on no board; the day's board of an explicit day and the all-time one
    // are read in the same batches.
    reads.push_back({"p" + pad(static_cast<int>(rng() % 70), 2), rng() % 7, rng() % 2 == 0,
                     rng() % 3 == 0 ? view{.of = period::daily, .day = today} : view{}});
  }
  std::vector<std::vector<entry>> got(reads.size());
  std::atomic<std::size_t> next{0};
  auto done = spawn_64(next, reads.size(), [&](std::size_t k) -> asio::awaitable<void> {
    got[k] = co_await b.async_around(reads[k].id, reads[k].range, reads[k].fill, reads[k].v);
  });
  for (auto& f : done) f.get();
  std::size_t empty = 0;
  for (std::size_t k = 0; k < reads.size(); ++k) {
    const auto& r = reads[k];
    const auto want = alone.around(r.id, r.range, r.fill, r.v);
    EXPECT_EQ(ids_of(got[k]), ids_of(want)) << k << " " << r.id;
    EXPECT_EQ(ranks_of(got[k]), ranks_of(want)) << k << " " << r.id;
    for (std::size_t i = 0; i < std::min(got[k].size(), want.size()); ++i) {
      EXPECT_EQ(got[k][i].score, want[i].score) << k;
      EXPECT_EQ(got[k][i].player, want[i].player) << k;
    }
    empty += want.empty();
  }
  EXPECT_GT(empty, 0u);                // absent players were read
  EXPECT_LT(empty, reads.size() / 2);  // and present ones
}

// A failed batch call fails each of its reads with the store's error, and the batcher goes on.
TEST_P(Leaderboard, AFailedAroundBatchFailsItsReadsAndTheNextSucceed) {
  board b(store_, "broken");
  b.update(make_player("a"), 1);
  b.update(make_player("b"), 2);
  const std::string scores = "rk:lb:{broken}:all:scores";
  store_->exec(command{"DEL", scores});
  store_->exec(command{"SET", scores, "not a sorted set"});
  std::vector<std::future<std::vector<entry>>> reads;
  for (int c = 0; c < 16; ++c) {
    reads.push_back(
        asio::co_spawn(store_->get_executor(), b.async_around("a", 1), asio::use_future));
  }
  for (auto& r : reads) EXPECT_THROW(r.get(), redkit::error);
  store_->exec(command{"DEL", scores});
  b.update(make_player("a"), 1);
  b.update(make_player("b"), 2);
  EXPECT_EQ(ids_of(b.around("a", 1)), (std::vector<std::string>{"b", "a"}));
}

TEST_P(Leaderboard, PlayerInfoRoundTrips) {
  const std::vector<player> players{
      {.id = "quotes",
       .name = "Zo\xc3\xab \"Q\" \\ back/slash",
       .avatar = "https://x/a.png?a=1&b=\"2\""},
      {.id = "controls", .name = "tab\there\nnew\rline\x01\x1f", .avatar = ""},
      {.id = "unicode", .name = "\xe7\x8e\xa9\xe5\xae\xb6 \xf0\x9f\x8e\xae", .avatar = "</script>"},
      {.id = "json-ish", .name = "{\"name\":\"x\"}", .avatar = "{}"},
      {.id = "bytes", .name = "not utf-8: \xff\xfe", .avatar = "\xc3"},
      // The info is binary-safe: NUL bytes and what looks like a length prefix, in both parts.
      {.id = "nul-info", .name = std::string("3:\0ab:", 6), .avatar = std::string("\0\0:9", 4)},
      {.id = "long-name", .name = std::string(1000, 'n') + "12:", .avatar = "10:x"},
  };
  for (const auto t : {tie_break::member, tie_break::earliest}) {
    SCOPED_TRACE(static_cast<int>(t));
    leaderboard::options o;
    o.tie_break = t;
    board b(store_, t == tie_break::member ? "info-m" : "info-e", o);
    for (std::size_t i = 0; i < players.size(); ++i) {
      b.update(players[i], static_cast<double>(i));
    }
    auto top = b.top(10);
    ASSERT_EQ(top.size(), players.size());
    for (std::size_t i = 0; i < players.size(); ++i) {
      EXPECT_EQ(top[players.size() - 1 - i].player, players[i]) << players[i].id;
    }
    const auto a = b.around("unicode", 0);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].player, players[2]);
    const auto n = b.around("nul-info", 1);
    ASSERT_EQ(n.size(), 3u);
    EXPECT_EQ(n[0].player, players[6]);
    EXPECT_EQ(n[1].player, players[5]);
    EXPECT_EQ(n[2].player, players[4]);
    EXPECT_EQ(b.page(1, 1).entries.at(0).player, players.back());
    // increment() keeps the binary info as it is.
    EXPECT_EQ(b.increment("nul-info", 0)[0].rank, 2u);
    EXPECT_EQ(b.page(2, 1).entries.at(0).player, players[5]);
    std::set<std::string> ids;
    for (const auto& p : players) ids.insert(p.id);
    expect_no_orphans(b, all_keys(b), ids);
  }
}

TEST_P(Leaderboard, UpdatingOnlyTheInfoKeepsThePlace) {
  for (const auto t : {tie_break::member, tie_break::earliest}) {
    for (const auto o : {order::descending, order::ascending}) {
      SCOPED_TRACE(static_cast<int>(t) * 2 + static_cast<int>(o));
      leaderboard::options opts;
      opts.order = o;
      opts.tie_break = t;
      board b(store_, "reinfo-" + std::to_string(static_cast<int>(t) * 2 + static_cast<int>(o)),
              opts);
      const double better = o == order::descending ? 6 : 4;
      const double worse = o == order::descending ? 4 : 6;
      for (const auto* id : {"b", "c", "a"}) b.update(make_player(id), 5);
      b.update(make_player("z"), worse);
      b.update(make_player("y"), better);
      // Equal scores: by earliest b, c, a; by member ids in order (reversed when descending).
      const std::vector<std::string> want =
          t == tie_break::earliest ? std::vector<std::string>{"y", "b", "c", "a", "z"}
          : o == order::descending ? std::vector<std::string>{"y", "c", "b", "a", "z"}
                                   : std::vector<std::string>{"y", "a", "b", "c", "z"};
      ASSERT_EQ(ids_of(b.top(10)), want);
      const auto at =
          static_cast<std::uint64_t>(std::find(want.begin(), want.end(), "c") - want.begin()) + 1;
      const auto k = all_keys(b);
      const auto before = players_of(k).at("c");
      const auto seq = store_->exec(command{"GET", b.key("seq")});

      // New info, the same score, through set, best (kept) and incr 0.
      const player renamed{.id = "c", .name = "Cee", .avatar = "c.png"};
      const player again{.id = "c", .name = "Cee 2", .avatar = ""};
      const player last{.id = "c", .name = "", .avatar = std::string("\0", 1)};
      const std::pair<player, update_op> updates[] = {
          {renamed, update_op::set}, {again, update_op::best}, {last, update_op::incr}};
      for (const auto& [p, op] : updates) {
        SCOPED_TRACE(p.name);
        const double v = op == update_op::set ? 5 : op == update_op::best ? worse : 0;
        const auto r = b.update(p, v, op);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].score, 5);
        EXPECT_EQ(r[0].rank, at);
        EXPECT_EQ(r[0].previous_rank, at);
        const auto top = b.top(10);
        EXPECT_EQ(ids_of(top), want);
        EXPECT_EQ(top[at - 1].score, 5);
        // An empty name reads back as the default "Player <id>".
        const player stored =
            p.name.empty() ? player{.id = "c", .name = "Player c", .avatar = p.avatar} : p;
        EXPECT_EQ(top[at - 1].player, stored);
        EXPECT_EQ(b.rank("c")->rank, at);
        // One member per player: the old one is gone, the new one is in :players.
        EXPECT_EQ(integer(command{"ZCARD", k + ":scores"}), 5);
        expect_no_orphans(b, k, {"a", "b", "c", "y", "z"});
        const auto member = players_of(k).at("c");
        EXPECT_NE(member, before);
        EXPECT_EQ(store_->exec(command{"ZSCORE", k + ":scores", before}).type, resp::type::null);
        if (t == tie_break::earliest) {
          // The same sequence prefix: the place among equals is kept, no new number drawn.
          EXPECT_EQ(member.substr(0, 16), before.substr(0, 16));
          EXPECT_EQ(store_->exec(command{"GET", b.key("seq")}), seq);
        }
      }
    }
  }
}

// 7. Periodic boards ---------------------------------------------------------------------------

TEST_P(Leaderboard, PeriodIdsOfKnownDates) {
  board mon(store_, "ids");
  leaderboard::options o;
  o.week_start = 0;
  board sun(store_, "ids-sun", o);
  const auto thu = date(2026, 11, 26);
  EXPECT_EQ(mon.period_id(period::all_time, thu), "all");
  EXPECT_EQ(mon.period_id(period::daily, thu), "d2026-11-26");
  EXPECT_EQ(mon.period_id(period::weekly, thu), "w2026-11-23");
  EXPECT_EQ(sun.period_id(period::weekly, thu), "w2026-11-22");
  EXPECT_EQ(mon.period_id(period::monthly, thu), "m2026-11");
  EXPECT_EQ(mon.period_id(period::weekly, date(2026, 11, 23)), "w2026-11-23");  // a Monday
  EXPECT_EQ(mon.period_id(period::weekly, date(2026, 11, 29)), "w2026-11-23");  // a Sunday
  EXPECT_EQ(sun.period_id(period::weekly, date(2026, 11, 29)), "w2026-11-29");
  EXPECT_EQ(mon.period_id(period::weekly, date(2027, 1, 1)), "w2026-12-28");  // across a year
  EXPECT_EQ(mon.period_id(period::daily, date(2024, 2, 29)), "d2024-02-29");
  EXPECT_EQ(mon.period_id(period::monthly, date(2024, 2, 29)), "m2024-02");
  EXPECT_EQ(mon.period_id(period::weekly, date(1970, 1, 1)), "w1969-12-29");
  o.week_start = 4;  // Thursday
  board thursday(store_, "ids-thu", o);
  EXPECT_EQ(thursday.period_id(period::weekly, thu), "w2026-11-26");
  EXPECT_EQ(thursday.period_id(period::weekly, date(2026, 11, 25)), "w2026-11-19");
  EXPECT_EQ(mon.key("all"), "rk:lb:{ids}:all");
  o.prefix = "game";
  board prefixed(store_, "ids", o);
  EXPECT_EQ(prefixed.key("d2026-11-26"), "game:lb:{ids}:d2026-11-26");

  // The scripts use the same ids, for every week start (today: Thursday 2026-11-26 on the
  // engine, the server's day on Redis).
  const auto day = today();
  for (unsigned ws = 0; ws < 7; ++ws) {
    SCOPED_TRACE(ws);
    leaderboard::options w;
    w.periods = {period::daily, period::weekly, period::monthly};
    w.week_start = ws;
    board b(store_, "ws" + std::to_string(ws), w);
    b.update(make_player("p"), 1);
    for (const auto p : w.periods) {
      EXPECT_EQ(integer(command{"EXISTS", b.key(b.period_id(p, day)) + ":scores"}), 1)
          << to_string(p);
    }
    if (store_->engine()) {
      static constexpr const char* firsts[] = {"w2026-11-22", "w2026-11-23", "w2026-11-24",
                                               "w2026-11-25", "w2026-11-26", "w2026-11-20",
                                               "w2026-11-21"};
      EXPECT_EQ(b.period_id(period::weekly, day), firsts[ws]);
      EXPECT_EQ(integer(command{"EXISTS", b.key(firsts[ws]) + ":players"}), 1);
    }
  }
  EXPECT_EQ(dbsize(), 7 * 3 * 2);  // scores and players of 3 periods on 7 boards, nothing else
}

TEST_P(Leaderboard, PeriodicBoardsRollOverAndExpire) {
  leaderboard::options o;
  o.periods = {period::all_time, period::daily, period::weekly, period::monthly};
  o.tie_break = tie_break::earliest;
  o.retention = 1h;
  board b(store_, "periodic", o);
  const auto day = today();
  const auto t0 = ms_of(now());
  auto r = b.update(make_player("alice"), 5);
  ASSERT_EQ(r.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r[i].period, o.periods[i]);
    EXPECT_EQ(r[i].rank, 1u);
    EXPECT_FALSE(r[i].previous_rank.has_value());
    EXPECT_EQ(r[i].score, 5);
  }
  // The keys the script wrote are those period_id() names.
  for (const auto p : o.periods) {
    SCOPED_TRACE(std::string(to_string(p)));
    const auto k = b.key(b.period_id(p, day));
    for (const auto* part : {":scores", ":players"}) {
      EXPECT_EQ(integer(command{"EXISTS", k + part}), 1) << part;
    }
    expect_no_orphans(b, k, {"alice"});
    EXPECT_EQ(b.count(view{.of = p}), 1u);
    EXPECT_EQ(b.rank("alice", view{.of = p})->rank, 1u);
    EXPECT_EQ(b.count(view{.of = p, .day = day}), 1u);
    // Reads of today (range.lua for a period, MULTI/EXEC and around.lua for all-time) and of
    // an explicit day (MULTI/EXEC, around.lua) see the same board.
    for (const auto& v : {view{.of = p}, view{.of = p, .day = day}}) {
      const auto top = b.top(10, v);
      ASSERT_EQ(top.size(), 1u);
      EXPECT_EQ(top[0].player, make_player("alice"));
      EXPECT_EQ(top[0].rank, 1u);
      EXPECT_EQ(top[0].score, 5);
      const auto pg = b.page(1, 5, v);
      EXPECT_EQ(pg.total, 1u);
      EXPECT_EQ(ids_of(pg.entries), (std::vector<std::string>{"alice"}));
      const auto a = b.around("alice", 2, true, v);
      ASSERT_EQ(a.size(), 1u);
      EXPECT_EQ(a[0].player, make_player("alice"));
      EXPECT_EQ(a[0].score, 5);
      EXPECT_TRUE(b.around("nobody", 2, true, v).empty());
    }
  }
  // Scores and players of 4 periods, and the sequence counter: nothing else.
  EXPECT_EQ(dbsize(), 4 * 2 + 1);
  if (store_->engine()) {
    EXPECT_EQ(b.period_id(period::daily, day), "d2026-11-26");
    EXPECT_EQ(b.period_id(period::weekly, day), "w2026-11-23");
    EXPECT_EQ(b.period_id(period::monthly, day), "m2026-11");
  }
  // Each finished period is kept for its retention: the keys expire at its end + 1 h.
  const auto week_first = day - std::chrono::days{(std::chrono::weekday{day}.c_encoding() + 6) % 7};
  const std::chrono::year_month_day ymd{day};
  const auto next_month = sys_days{(ymd.year() / ymd.month() / 1) + std::chrono::months{1}};
  const std::pair<period, sys_days> ends[] = {{period::daily, day + std::chrono::days{1}},
                                              {period::weekly, week_first + std::chrono::days{7}},
                                              {period::monthly, next_month}};
  for (const auto& [p, end] : ends) {
    const auto k = b.key(b.period_id(p, day));
    const auto expires = ms_of(end + 1h);
    for (const auto* part : {":scores", ":players"}) {
      const auto pttl = integer(command{"PTTL", k + part});
      EXPECT_LE(pttl, expires - t0) << k << part;
      EXPECT_GE(pttl, expires - ms_of(now()) - 1) << k << part;
    }
  }
  for (const auto* part : {":scores", ":players"}) {
    EXPECT_EQ(integer(command{"PTTL", b.key("all") + part}), -1) << part;
  }
  EXPECT_EQ(integer(command{"PTTL", b.key("seq")}), -1);
  // Yesterday's daily board is another (empty) board.
  EXPECT_EQ(b.count(view{.of = period::daily, .day = day - std::chrono::days{1}}), 0u);
  EXPECT_TRUE(b.top(10, view{.of = period::daily, .day = day - std::chrono::days{1}}).empty());

  auto* e = store_->engine();
  if (!e) return;
  // (The clock-moving part: the engine only.)
  const auto thu = date(2026, 11, 26);
  const view yesterday{.of = period::daily, .day = thu};

  // Friday 00:59:59.999: a new day; Thursday's daily board is within its retention.
  e->set_time(thu + std::chrono::days{1} + 1h - 1ms);
  EXPECT_EQ(b.count(view{.of = period::daily}), 0u);
  EXPECT_EQ(b.count(view{.of = period::weekly}), 1u);
  EXPECT_EQ(b.count(view{.of = period::monthly}), 1u);
  EXPECT_EQ(b.count(), 1u);  // all-time, the first period
  EXPECT_EQ(b.count(yesterday), 1u);
  EXPECT_EQ(ids_of(b.top(10, yesterday)), (std::vector<std::string>{"alice"}));
  EXPECT_EQ(b.rank("alice", yesterday)->score, 5);
  r = b.update(make_player("bob"), 7);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].rank, 1u);  // all-time
  EXPECT_EQ(r[1].rank, 1u);  // Friday's daily
  EXPECT_EQ(r[2].rank, 1u);  // the week
  EXPECT_EQ(r[3].rank, 1u);  // the month
  EXPECT_EQ(b.count(view{.of = period::daily}), 1u);
  EXPECT_EQ(b.rank("alice", view{.of = period::weekly})->rank, 2u);
  EXPECT_FALSE(b.rank("alice", view{.of = period::daily}).has_value());
  EXPECT_EQ(b.count(yesterday), 1u);  // untouched
  EXPECT_FALSE(b.rank("bob", yesterday).has_value());
  // This week's board, read as today (range.lua) and as a given day (MULTI/EXEC, around.lua).
  for (const auto& v : {view{.of = period::weekly}, view{.of = period::weekly, .day = thu}}) {
    EXPECT_EQ(ids_of(b.top(10, v)), (std::vector<std::string>{"bob", "alice"}));
    EXPECT_EQ(ids_of(b.page(2, 1, v).entries), (std::vector<std::string>{"alice"}));
    EXPECT_EQ(b.page(2, 1, v).entries.at(0).rank, 2u);
    const auto a = b.around("alice", 1, false, v);
    EXPECT_EQ(ids_of(a), (std::vector<std::string>{"bob", "alice"}));
    EXPECT_EQ(ranks_of(a), iota(1, 2));
  }
  EXPECT_EQ(ids_of(b.around("alice", 1, true, yesterday)), (std::vector<std::string>{"alice"}));
  EXPECT_TRUE(b.around("bob", 1, true, yesterday).empty());

  // Friday 01:00:00.001: Thursday's daily board (scores and players) is gone, swept.
  const auto keys_before = e->key_count();
  e->set_time(thu + std::chrono::days{1} + 1h + 1ms);
  e->sweep_expired();
  EXPECT_EQ(e->key_count(), keys_before - 2);
  for (const auto* part : {":scores", ":players"}) {
    EXPECT_EQ(integer(command{"EXISTS", b.key("d2026-11-26") + part}), 0) << part;
  }
  EXPECT_EQ(b.count(yesterday), 0u);
  EXPECT_EQ(b.count(view{.of = period::daily, .day = thu + std::chrono::days{1}}), 1u);

  // Sunday: still the week that started on Monday; a Sunday-start board has a new one.
  const auto sunday = date(2026, 11, 29);
  e->set_time(sunday + 12h);
  EXPECT_EQ(b.count(view{.of = period::weekly}), 2u);
  leaderboard::options wo;
  wo.periods = {period::weekly};
  wo.retention = 1h;
  board by_monday(store_, "wk-mon", wo);
  wo.week_start = 0;
  board by_sunday(store_, "wk-sun", wo);
  EXPECT_EQ(by_monday.update(make_player("carol"), 1)[0].rank, 1u);
  EXPECT_EQ(by_sunday.update(make_player("carol"), 1)[0].rank, 1u);
  EXPECT_EQ(by_monday.period_id(period::weekly, sunday), "w2026-11-23");
  EXPECT_EQ(by_sunday.period_id(period::weekly, sunday), "w2026-11-29");
  EXPECT_EQ(integer(command{"EXISTS", by_monday.key("w2026-11-23") + ":scores"}), 1);
  EXPECT_EQ(integer(command{"EXISTS", by_sunday.key("w2026-11-29") + ":scores"}), 1);
  EXPECT_EQ(integer(command{"EXISTS", by_sunday.key("w2026-11-22") + ":scores"}), 0);
  EXPECT_EQ(integer(command{"EXISTS", by_monday.key("w2026-11-29") + ":scores"}), 0);
  // The Sunday-start week ends Saturday night: its keys expire Sunday 12-06 01:00.
  EXPECT_EQ(integer(command{"PTTL", by_sunday.key("w2026-11-29") + ":scores"}),
            ms_of(date(2026, 12, 6) + 1h) - ms_of(sunday + 12h));
  EXPECT_EQ(integer(command{"PTTL", by_monday.key("w2026-11-23") + ":scores"}),
            ms_of(date(2026, 11, 30) + 1h) - ms_of(sunday + 12h));

  // Monday 00:30: a new week; last week's board is within its retention, then gone.
  const auto monday = date(2026, 11, 30);
  e->set_time(monday + 30min);
  EXPECT_EQ(b.count(view{.of = period::weekly}), 0u);
  EXPECT_EQ(b.count(view{.of = period::weekly, .day = sunday}), 2u);
  EXPECT_EQ(b.count(view{.of = period::monthly}), 2u);  // still November
  EXPECT_EQ(by_sunday.count(view{.of = period::weekly}), 1u);
  e->set_time(monday + 1h + 1ms);
  EXPECT_EQ(b.count(view{.of = period::weekly, .day = sunday}), 0u);  // read lazily
  EXPECT_EQ(integer(command{"EXISTS", b.key("w2026-11-23") + ":scores"}), 0);
  EXPECT_EQ(integer(command{"EXISTS", by_monday.key("w2026-11-23") + ":players"}), 0);

  // Tuesday 12-01 00:30: a new month.
  const auto december = date(2026, 12, 1);
  e->set_time(december + 30min);
  EXPECT_EQ(b.period_id(period::monthly, december), "m2026-12");
  EXPECT_EQ(b.count(view{.of = period::monthly}), 0u);
  EXPECT_EQ(b.count(view{.of = period::monthly, .day = monday}), 2u);
  r = b.update(make_player("dave"), 1);
  EXPECT_EQ(r[0].rank, 3u);  // all-time: bob 7, alice 5, dave 1
  EXPECT_EQ(r[3].rank, 1u);
  EXPECT_EQ(integer(command{"EXISTS", b.key("m2026-12") + ":scores"}), 1);
  e->set_time(december + 1h + 1ms);
  e->sweep_expired();
  EXPECT_EQ(integer(command{"EXISTS", b.key("m2026-11") + ":scores"}), 0);
  EXPECT_EQ(integer(command{"EXISTS", b.key("m2026-11") + ":players"}), 0);
  EXPECT_EQ(b.count(view{.of = period::monthly, .day = monday}), 0u);
  // All-time never expires.
  e->set_time(date(2030, 1, 1));
  e->sweep_expired();
  EXPECT_EQ(b.count(), 3u);
  EXPECT_EQ(ids_of(b.top(10)), (std::vector<std::string>{"bob", "alice", "dave"}));
  EXPECT_EQ(integer(command{"PTTL", b.key("all") + ":scores"}), -1);
  EXPECT_EQ(b.count(view{.of = period::monthly}), 0u);
}

// 8. Validation --------------------------------------------------------------------------------

TEST_P(Leaderboard, BadNamesIdsAndOptionsThrow) {
  expect_invalid([&] { board(store_, ""); }, "empty name");
  expect_invalid([&] { board(store_, "a{b"); }, "name with {");
  expect_invalid([&] { board(store_, "a}b"); }, "name with }");
  expect_invalid([&] { board(store_, std::string(201, 'n')); }, "name of 201 bytes");
  expect_invalid([&] { board(nullptr, "x"); }, "no store");
  board ok(store_, std::string(200, 'n'));
  const auto opts = [](auto change) {
    leaderboard::options o;
    change(o);
    return o;
  };
  expect_invalid(
      [&] {
        board(store_, "x", opts([](auto& o) { o.periods = {period::daily, period::daily}; }));
      },
      "duplicate periods");
  expect_invalid(
      [&] {
        board(store_, "x", opts([](auto& o) {
                o.periods = {period::all_time, period::weekly, period::all_time};
              }));
      },
      "duplicate all_time");
  expect_invalid([&] { board(store_, "x", opts([](auto& o) { o.periods.clear(); })); },
                 "no periods");
  expect_invalid([&] { board(store_, "x", opts([](auto& o) { o.week_start = 7; })); },
                 "week_start 7");
  expect_invalid([&] { board(store_, "x", opts([](auto& o) { o.max_per_call = 0; })); },
                 "max_per_call 0");
  expect_invalid([&] { board(store_, "x", opts([](auto& o) { o.retention = -1ms; })); },
                 "negative retention");
  expect_invalid([&] { board(store_, "x", opts([](auto& o) { o.timeout = 0ms; })); }, "timeout 0");
  board sat(store_, "x", opts([](auto& o) { o.week_start = 6; }));

  board b(store_, "ids");
  const std::string long_id(257, 'i');
  // A NUL byte ends the id inside the member, so ids may not hold one (anywhere).
  const std::string nul_inside("a\0b", 3), nul_first("\0", 1), nul_last("ab\0", 3);
  for (const auto& id : {std::string(), long_id, nul_inside, nul_first, nul_last}) {
    SCOPED_TRACE(id.size());
    expect_invalid([&] { b.update(make_player(id), 1); }, "update");
    expect_invalid([&] { b.increment(id, 1); }, "increment");
    expect_invalid([&] { b.rank(id); }, "rank");
    expect_invalid([&] { b.ranks(std::vector<std::string>{"fine", id}); }, "ranks");
    expect_invalid([&] { b.around(id, 1); }, "around");
    expect_invalid([&] { b.remove(id); }, "remove");
  }
  EXPECT_EQ(dbsize(), 0);  // nothing was written
  // 256 bytes is fine, and any bytes.
  const std::string longest(256, '\xfe');
  EXPECT_EQ(b.update(make_player(longest), 1)[0].rank, 1u);
  EXPECT_EQ(b.rank(longest)->rank, 1u);
  EXPECT_EQ(b.top(1).at(0).player.id, longest);
  // Other odd ids work: braces, colons, control bytes, bytes that look like info.
  const std::string braces("{}"), odd("a:{c}\x01 5:x\xff");
  EXPECT_EQ(b.update(make_player(odd), 2)[0].rank, 1u);
  EXPECT_EQ(b.update(make_player(braces), 3)[0].rank, 1u);
  const auto top = b.top(5);
  EXPECT_EQ(ids_of(top), (std::vector<std::string>{braces, odd, longest}));
  EXPECT_EQ(top[0].player, make_player(braces));
  EXPECT_EQ(top[1].player, make_player(odd));
  EXPECT_EQ(b.rank(odd)->rank, 2u);
  EXPECT_EQ(ids_of(b.around(braces, 1)), (std::vector<std::string>{braces, odd}));
  expect_no_orphans(b, all_keys(b), {braces, odd, longest});
  EXPECT_TRUE(b.remove(odd));
  EXPECT_TRUE(b.remove(braces));
  EXPECT_EQ(ids_of(b.top(5)), (std::vector<std::string>{longest}));
}

REDKIT_ALL_BACKENDS(Leaderboard);

}  // namespace
}  // namespace redkit::test
