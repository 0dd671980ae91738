// Leaderboards on a store (Redis or the engine): atomic score updates that return the new and
// previous rank, reads that return entries with their players' info in one atomic round trip,
// descending or ascending order, two tie-breaks, a maximum size that never leaves orphans, and
// periodic boards (all-time, daily, weekly, monthly) fed by one update.
//
// Storage: per board and period, `<prefix>:lb:{<board>}:<period id>:scores`, a sorted set whose
// members carry the player's info (player id, a NUL byte, then the info), and `:players`, a hash
// from player id to its member; every key of a board shares the `{<board>}` hash tag. Period
// ids come from the store's clock (UTC): `all`, `d2026-11-26`, `w2026-11-23` (the week's first
// day), `m2026-11`. Keeping the info in the member lets top() and page() read entries with
// their info by two plain commands in a MULTI/EXEC; updates and around() are scripts.
//
// Scores are doubles, stored exactly: integers are exact up to 2^53. NaN and infinities are
// refused. The `earliest` tie-break does not touch the score: it prefixes each member with 16
// hex digits of a per-board sequence number (`<board>:seq`: the order in which players reached
// their score; 2^53 - seq on descending boards), so every double keeps its exact value under
// both tie-breaks. Player ids hold no NUL, so equal scores under `member` order by id bytes.
//
// Thread-safety: a board may be used from any number of threads and coroutines at once. Like
// an Asio I/O object, it must outlive its calls in flight; string_view and reference arguments
// of the async_ calls must stay valid until the call completes (co_await it in the expression
// that makes it).
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::leaderboard {

/// Which end of the board is rank 1.
enum class order {
  descending,  ///< the highest score (the reference's)
  ascending,   ///< the lowest score (e.g. race times)
};

/// How players with equal scores are ranked.
enum class tie_break {
  member,  ///< by player id bytes, as Redis orders them (the reference's): reversed when descending
  earliest,  ///< whoever reached the score first ranks first
};

enum class period {
  all_time,
  daily,
  weekly,
  monthly,
};
std::string_view to_string(period p) noexcept;

/// What update() does with the given score.
enum class update_op {
  set,   ///< replace the score (the reference's)
  best,  ///< keep the better of the old and the new score (per the board's order)
  incr,  ///< add it
  decr,  ///< subtract it
};

struct options {
  /// First part of every key. Default "rk".
  std::string prefix = "rk";
  /// Default descending, as in the reference.
  enum order order = order::descending;
  /// Default member, as in the reference.
  enum tie_break tie_break = tie_break::member;
  /// Most players a board (each period) keeps; an update beyond it drops the worst ranked,
  /// with their info. 0 keeps everyone. Default 1000, as in the reference.
  std::uint64_t max_size = 1000;
  /// The periods one update feeds; reads default to the first. Default {all_time}.
  std::vector<period> periods{period::all_time};
  /// Weekly boards start on this day (0 Sunday ... 6 Saturday). Default 1 (Monday, ISO 8601).
  unsigned week_start = 1;
  /// A finished daily, weekly or monthly board is kept this long after its end, then expires.
  /// Default 7 days.
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  /// Most entries one read returns (top n, around range, page size, ranks() players).
  /// Default 1000.
  std::size_t max_per_call = 1000;
  /// Deadline of each store call. Default 1 s.
  std::chrono::milliseconds timeout{1000};
  /// Batching of around() reads: reads that arrive while `around_batches_in_flight` calls
  /// are out go together in the next call, up to `around_batch` per call. Each read is still
  /// one atomic snapshot; a queued read may wait for the calls ahead of it, so its latency is
  /// at most about around_batches_in_flight × timeout. around_batch = 1 turns batching off.
  /// Defaults 32 and 2.
  std::size_t around_batch = 32;
  unsigned around_batches_in_flight = 2;
};

/// A player's display info (the reference's Player), stored with the score. Name and avatar
/// are bytes (any content).
struct player {
  std::string id;  ///< 1-256 bytes, no NUL
  std::string name;
  std::string avatar;  ///< empty when none

  friend bool operator==(const player&, const player&) = default;
};

struct entry {
  std::uint64_t rank = 0;  ///< 1-based
  struct player player;
  double score = 0;
};

/// update()'s outcome on one period's board.
struct update_result {
  enum period period = period::all_time;
  /// The stored score after the update (for `best`, the better one).
  double score = 0;
  /// 1-based rank after the update; nothing if the board is full and the score did not make
  /// it (the player is then not on that board, and no info was written).
  std::optional<std::uint64_t> rank;
  /// 1-based rank before the update; nothing if the player was not on the board.
  std::optional<std::uint64_t> previous_rank;
};

struct page_result {
  std::vector<entry> entries;
  std::uint64_t total = 0;  ///< players on the board
};

struct rank_result {
  std::uint64_t rank = 0;  ///< 1-based
  double score = 0;
  std::uint64_t total = 0;  ///< players on the board
  /// 100 for rank 1, 0 for the last rank: 100 × (total − rank) / (total − 1); 100 when alone.
  double percentile = 100;
};

/// Which board a read looks at: a period (default: the board's first) and a day inside it
/// (default: today by the store's clock).
struct view {
  std::optional<period> of;
  std::optional<std::chrono::sys_days> day;
};

/// One leaderboard. Store failures raise redkit::error.
class board {
 public:
  /// Throws redkit::error(errc::invalid_argument) for a name that is empty, over 200 bytes or
  /// holds '{' or '}', or for bad options.
  board(std::shared_ptr<store> s, std::string name, options o = {});
  ~board();
  board(const board&) = delete;
  board& operator=(const board&) = delete;

  /// Applies `op` with `score` for `p` on every period's board, writes its info, trims, and
  /// returns one result per period (in options::periods order), atomically. Throws
  /// errc::invalid_argument for a NaN or infinite score (or an incr/decr result that is one),
  /// or a bad player id.
  asio::awaitable<std::vector<update_result>> async_update(const player& p, double score,
                                                           update_op op = update_op::set);
  /// update() with incr, keeping the player's stored info (a new player gets name "Player <id>").
  asio::awaitable<std::vector<update_result>> async_increment(std::string_view player_id,
                                                              double delta);
  /// update() keeping the player's stored info on each board (a player new to a board gets
  /// name "Player <id>" there).
  asio::awaitable<std::vector<update_result>> async_update_score(std::string_view player_id,
                                                                 double score,
                                                                 update_op op = update_op::set);

  /// The first `n` (1 to max_per_call) entries.
  asio::awaitable<std::vector<entry>> async_top(std::size_t n = 10, view v = {});
  /// The entries from `range` ranks above to `range` below the player (nothing if absent).
  /// With `fill`, a window cut by the top or bottom of the board is filled from the other side,
  /// so it holds 2 × range + 1 entries whenever the board has that many.
  asio::awaitable<std::vector<entry>> async_around(std::string_view player_id,
                                                   std::size_t range = 5, bool fill = false,
                                                   view v = {});
  /// Page `page` (≥ 1) of `size` (1 to max_per_call) entries, with the total.
  asio::awaitable<page_result> async_page(std::uint64_t page, std::size_t size = 20, view v = {});
  /// The player's rank, score, the total and its percentile; nothing if absent.
  asio::awaitable<std::optional<rank_result>> async_rank(std::string_view player_id, view v = {});
  /// rank() of each player (at most max_per_call), from one consistent snapshot.
  asio::awaitable<std::vector<std::optional<rank_result>>> async_ranks(
      std::span<const std::string> player_ids, view v = {});
  /// Players on the board.
  asio::awaitable<std::uint64_t> async_count(view v = {});
  /// Removes the player (score and info) from every period's current board; false if it was on
  /// none.
  asio::awaitable<bool> async_remove(std::string_view player_id);

  /// Blocking twins (not from the store's own I/O thread).
  std::vector<update_result> update(const player& p, double score, update_op op = update_op::set);
  std::vector<update_result> increment(std::string_view player_id, double delta);
  std::vector<update_result> update_score(std::string_view player_id, double score,
                                          update_op op = update_op::set);
  std::vector<entry> top(std::size_t n = 10, view v = {});
  std::vector<entry> around(std::string_view player_id, std::size_t range = 5, bool fill = false,
                            view v = {});
  page_result page(std::uint64_t page, std::size_t size = 20, view v = {});
  std::optional<rank_result> rank(std::string_view player_id, view v = {});
  std::vector<std::optional<rank_result>> ranks(std::span<const std::string> player_ids,
                                                view v = {});
  std::uint64_t count(view v = {});
  bool remove(std::string_view player_id);

  /// The id of period `p` on `day` (e.g. "all", "d2026-11-26", "w2026-11-23", "m2026-11").
  std::string period_id(period p, std::chrono::sys_days day) const;
  /// The key prefix of the board's period `id`: `<prefix>:lb:{<name>}:<id>`.
  std::string key(std::string_view id) const;
  const options& config() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::leaderboard

namespace redkit {
using leaderboard_board = leaderboard::board;
}  // namespace redkit
