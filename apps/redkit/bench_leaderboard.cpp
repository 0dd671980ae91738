// `redkit bench leaderboard`: leaderboard::board updates, then reads, on the workload of
// bench/reference/bench_leaderboard.ts (the reference's LeaderboardService), so the two compare:
// - board "bench" with max_size P (--players), so every player fits;
// - player p (0..P-1) is {id "player:<p>", name "Player <p>", avatar
//   "https://example.com/avatars/<p>.png"};
// - update phase: N (--ops) updates; update i sets player (i × S) mod P to score
//   (i × 7919) mod 100000, with S the stride coprime with P from coprime_stride();
// - read phases of R (--reads) each: top(10); around("player:<(j × S) mod P>", 5);
//   page(1 + (j × 7) mod pages, 20) with pages = ceil(P / 20);
// - then board_players, the board's count.
// Each phase keeps C (--concurrency) calls in flight. Prints one JSON line (--json) or a summary.
#include "bench.hpp"

#include <redkit/leaderboard.hpp>
#include <redkit/store.hpp>

#include <fmt/core.h>

#include <string>
#include <vector>

namespace redkit::cli {

int run_leaderboard_bench(const bench_options& o) {
  asio::io_context ioc(1);
  auto s = open_bench_store(ioc, o);
  drive(ioc, [&]() -> asio::awaitable<void> { co_await s->async_exec(command{"PING"}); }());
  leaderboard::options opts{.max_size = o.players};
  opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  leaderboard::board board(s, "bench", opts);

  const std::uint64_t players = o.players;
  std::vector<leaderboard::player> roster(players);
  for (std::uint64_t p = 0; p < players; ++p) {
    roster[p] = {.id = fmt::format("player:{}", p),
                 .name = fmt::format("Player {}", p),
                 .avatar = fmt::format("https://example.com/avatars/{}.png", p)};
  }
  const auto stride = coprime_stride(players);
  const auto player_of = [&](std::uint64_t i) { return (i % players) * stride % players; };
  const std::uint64_t pages = (players + 19) / 20;

  auto update =
      closed_loop(ioc, o.concurrency, o.ops, [&](std::uint64_t i) -> asio::awaitable<void> {
        const auto score = static_cast<double>(i * 7919 % 100000);
        co_await board.async_update(roster[player_of(i)], score, leaderboard::update_op::set);
      });
  auto top = closed_loop(ioc, o.concurrency, o.reads, [&](std::uint64_t) -> asio::awaitable<void> {
    co_await board.async_top(10);
  });
  auto around =
      closed_loop(ioc, o.concurrency, o.reads, [&](std::uint64_t j) -> asio::awaitable<void> {
        co_await board.async_around(roster[player_of(j)].id, 5);
      });
  auto page =
      closed_loop(ioc, o.concurrency, o.reads, [&](std::uint64_t j) -> asio::awaitable<void> {
        co_await board.async_page(1 + (j * 7) % pages, 20);
      });

  std::uint64_t board_players = 0;
  std::uint64_t errors = update.errors + top.errors + around.errors + page.errors;
  try {
    drive(ioc, [&]() -> asio::awaitable<void> { board_players = co_await board.async_count(); }());
  } catch (const std::exception&) {
    ++errors;
  }
  s->close();
  ioc.run_for(std::chrono::milliseconds(100));

  const auto store_desc = parse_store_url(o.url).redacted();
  const double update_rate = per_second(o.ops, update), top_rate = per_second(o.reads, top),
               around_rate = per_second(o.reads, around), page_rate = per_second(o.reads, page);
  const auto update_p50 = percentile_us(update.latencies_ns, 0.50),
             update_p99 = percentile_us(update.latencies_ns, 0.99),
             top_p99 = percentile_us(top.latencies_ns, 0.99),
             around_p99 = percentile_us(around.latencies_ns, 0.99),
             page_p99 = percentile_us(page.latencies_ns, 0.99);
  if (o.json) {
    fmt::print(
        "{{\"workload\":\"leaderboard\",\"store\":\"{}\",\"players\":{},\"ops\":{},\"reads\":{},"
        "\"concurrency\":{},\"update_ops_per_s\":{:.1f},\"update_p50_us\":{},"
        "\"update_p99_us\":{},\"top_ops_per_s\":{:.1f},\"top_p99_us\":{},"
        "\"around_ops_per_s\":{:.1f},\"around_p99_us\":{},\"page_ops_per_s\":{:.1f},"
        "\"page_p99_us\":{},\"board_players\":{},\"errors\":{}}}\n",
        store_desc, players, o.ops, o.reads, o.concurrency, update_rate, update_p50, update_p99,
        top_rate, top_p99, around_rate, around_p99, page_rate, page_p99, board_players, errors);
  } else {
    fmt::print(
        "leaderboard on {}: {} updates of {} players at {:.0f}/s (p50 {} us, p99 {} us); {} reads "
        "each: top at {:.0f}/s (p99 {} us), around at {:.0f}/s (p99 {} us), page at {:.0f}/s "
        "(p99 {} us); {} players on the board, {} errors\n",
        store_desc, o.ops, players, update_rate, update_p50, update_p99, o.reads, top_rate, top_p99,
        around_rate, around_p99, page_rate, page_p99, board_players, errors);
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace redkit::cli
