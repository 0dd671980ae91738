// Leaderboards on a store (see leaderboard.hpp): arguments for the scripts under
// scripts/leaderboard/, and their replies turned into entries.
#include <redkit/leaderboard.hpp>

#include <fmt/core.h>

#include "blocking.hpp"
#include "leaderboard/around_batcher.hpp"
#include "script_reply.hpp"

#include <charconv>
#include <cmath>
#include <span>

namespace redkit::leaderboard {

namespace {

error invalid(std::string_view what) {
  return detail::pattern_error(errc::invalid_argument, "leaderboard", what);
}

error unexpected(std::string_view what) {
  return detail::pattern_error(errc::unexpected_reply, "leaderboard", what);
}

std::string_view code_of(period p) {
  switch (p) {
    case period::daily:
      return "d";
    case period::weekly:
      return "w";
    case period::monthly:
      return "m";
    case period::all_time:
      break;
  }
  return "all";
}

/// Shortest text that reads back as exactly `d`.
std::string exact(double d) {
  char buf[32];
  return {buf, std::to_chars(buf, buf + sizeof buf, d).ptr};
}

void check_player_id(std::string_view id) {
  if (id.empty() || id.size() > 256 || id.find('\0') != std::string_view::npos) {
    throw invalid("player id must be 1 to 256 bytes, without NUL");
  }
}

void check_finite(double d) {
  if (!std::isfinite(d)) throw invalid("score must be a finite number (not NaN or infinite)");
}

/// A player's stored info: the name's length in decimal, ':', the name, then the avatar (bytes,
/// parsed with no escaping; the scripts never look inside).
std::string info_text(const player& p) {
  std::string out = std::to_string(p.name.size());
  out += ':';
  out += p.name;
  out += p.avatar;
  return out;
}

/// The player `id` from its stored info (see info_text; the reference's default name when
/// the name is empty).
player player_of(std::string id, std::string_view info) {
  player p;
  p.id = std::move(id);
  std::size_t len = 0;
  const auto colon = info.find(':');
  const auto [end, ec] =
      std::from_chars(info.data(), info.data() + std::min(colon, info.size()), len);
  if (colon == std::string_view::npos || ec != std::errc() || end != info.data() + colon ||
      len > info.size() - colon - 1) {
    throw unexpected("malformed player info");
  }
  p.name = info.substr(colon + 1, len);
  p.avatar = info.substr(colon + 1 + len);
  if (p.name.empty()) p.name = "Player " + p.id;
  return p;
}

const std::vector<resp::reply>& array_of(const resp::reply& r) {
  return detail::reply_array(r, "leaderboard");
}
std::int64_t integer_of(const resp::reply& r) { return detail::reply_integer(r, "leaderboard"); }
const std::string& string_of(const resp::reply& r) {
  return detail::reply_string(r, "leaderboard");
}

double double_of(const resp::reply& r) {
  const auto& s = string_of(r);
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) throw unexpected("malformed score");
  return d;
}

/// Entries from members and scores as Z[REV]RANGE ... WITHSCORES gives them: flat (RESP2, and
/// in scripts) or as [member, score] pairs (RESP3). Members are [prefix] id NUL info.
std::vector<entry> entries_of(std::span<const resp::reply> rows, std::uint64_t first,
                              tie_break tie) {
  const std::size_t skip = tie == tie_break::earliest ? 16 : 0;  // the sequence prefix
  const bool pairs = !rows.empty() && rows.front().is_aggregate();
  const std::size_t n = pairs ? rows.size() : rows.size() / 2;
  if (!pairs && rows.size() % 2 != 0) throw unexpected("malformed range reply");
  std::vector<entry> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& m = pairs ? array_of(rows[i]).at(0) : rows[2 * i];
    const auto& sc = pairs ? array_of(rows[i]).at(1) : rows[2 * i + 1];
    const std::string_view member = string_of(m);
    const auto nul = member.find('\0', skip);
    if (member.size() < skip || nul == std::string_view::npos) {
      throw unexpected("malformed member");
    }
    out.push_back(entry{
        .rank = first + i + 1,
        .player = player_of(std::string(member.substr(skip, nul - skip)), member.substr(nul + 1)),
        .score = sc.type == resp::type::double_ ? sc.number : double_of(sc)});
  }
  return out;
}

/// The id of period `p` on `day` (as lib/board.lua names it).
std::string period_id_of(period p, std::chrono::sys_days day, unsigned week_start) {
  using namespace std::chrono;
  switch (p) {
    case period::all_time:
      return "all";
    case period::daily: {
      const year_month_day d{day};
      return fmt::format("d{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                         static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    }
    case period::weekly: {
      const auto wd = weekday{day}.c_encoding();
      const year_month_day d{day - days{(wd + 7 - week_start) % 7}};
      return fmt::format("w{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                         static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    }
    case period::monthly: {
      const year_month_day d{day};
      return fmt::format("m{:04}-{:02}", static_cast<int>(d.year()),
                         static_cast<unsigned>(d.month()));
    }
  }
  return "all";
}

}  // namespace

std::string_view to_string(period p) noexcept {
  switch (p) {
    case period::daily:
      return "daily";
    case period::weekly:
      return "weekly";
    case period::monthly:
      return "monthly";
    case period::all_time:
      break;
  }
  return "all_time";
}

// -----------------------------------------------------------------------------------------------

struct board::impl {
  impl(std::shared_ptr<store> s, std::string name, options o)
      : store_(std::move(s)),
        name_(std::move(name)),
        opts_(std::move(o)),
        base_(fmt::format("{}:lb:{{{}}}", opts_.prefix, name_)),
        update_(script::embedded("leaderboard/update")),
        range_(script::embedded("leaderboard/range")),
        around_(script::embedded("leaderboard/around")),
        rank_(script::embedded("leaderboard/rank")),
        remove_(script::embedded("leaderboard/remove")) {
    if (!store_) throw invalid("no store");
    if (name_.empty() || name_.size() > 200 || name_.find_first_of("{}") != std::string::npos) {
      throw invalid("board name must be 1 to 200 bytes without '{' or '}'");
    }
    if (opts_.periods.empty()) throw invalid("at least one period");
    for (std::size_t i = 0; i < opts_.periods.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (opts_.periods[i] == opts_.periods[j]) throw invalid("a period is listed twice");
      }
    }
    if (opts_.week_start > 6) throw invalid("week_start must be 0 (Sunday) to 6 (Saturday)");
    if (opts_.retention.count() < 0) throw invalid("retention must not be negative");
    if (opts_.max_per_call == 0) throw invalid("max_per_call must be at least 1");
    if (opts_.timeout.count() <= 0) throw invalid("timeout must be positive");
    if (opts_.around_batch == 0) throw invalid("around_batch must be at least 1");
    if (opts_.around_batches_in_flight == 0) {
      throw invalid("around_batches_in_flight must be at least 1");
    }
    if (opts_.around_batch > 1) {
      around_batcher_ = std::make_shared<detail::around_batcher>(
          store_, around_, std::string(order_code()), opts_.timeout, opts_.around_batch,
          opts_.around_batches_in_flight);
    }
  }

  std::string_view order_code() const { return opts_.order == order::descending ? "d" : "a"; }
  std::string_view tie_code() const { return opts_.tie_break == tie_break::member ? "m" : "e"; }

  /// The arguments that name one period's board: code, day, week start, order, tie-break.
  void append_view(std::vector<std::string>& args, const view& v) const {
    args.emplace_back(code_of(v.of.value_or(opts_.periods.front())));
    args.push_back(v.day ? detail::decimal(v.day->time_since_epoch().count()) : "");  // "": today
    args.push_back(detail::decimal(opts_.week_start));
    args.emplace_back(order_code());
    args.emplace_back(tie_code());
  }

  void check_count(std::size_t n, std::string_view what) const {
    if (n == 0 || n > opts_.max_per_call) {
      throw invalid(fmt::format("{} must be 1 to {}", what, opts_.max_per_call));
    }
  }

  asio::awaitable<resp::reply> eval(const script& s, std::vector<std::string> args) {
    std::vector<std::string> keys;  // (not a braced list: g++ 12 miscompiles it in co_await)
    keys.push_back(base_);
    co_return co_await store_->async_eval(s, std::move(keys), std::move(args),
                                          request_options{opts_.timeout});
  }

  asio::awaitable<std::vector<update_result>> update(std::string_view id, double value,
                                                     update_op op, std::string info,
                                                     std::string new_info) {
    check_player_id(id);
    check_finite(value);
    static constexpr std::string_view ops[] = {"set", "best", "incr", "decr"};
    std::vector<std::string> args{std::string(id),
                                  std::string(ops[static_cast<int>(op)]),
                                  exact(value),
                                  std::move(info),
                                  std::move(new_info),
                                  std::string(order_code()),
                                  std::string(tie_code()),
                                  detail::decimal(static_cast<std::int64_t>(opts_.max_size)),
                                  detail::decimal(opts_.week_start),
                                  detail::decimal(opts_.retention.count())};
    for (const auto p : opts_.periods) args.emplace_back(code_of(p));
    resp::reply r;
    try {
      r = co_await eval(update_, std::move(args));
    } catch (const error& e) {
      // The script refuses a non-finite result before writing anything.
      if (std::string_view(e.what()).find("not a finite number") != std::string_view::npos) {
        throw invalid("the new score would not be a finite number");
      }
      throw;
    }
    const auto& e = array_of(r);
    if (e.size() != 3 * opts_.periods.size()) {
      throw unexpected("unexpected reply from leaderboard/update");
    }
    std::vector<update_result> out;
    for (std::size_t i = 0; i < opts_.periods.size(); ++i) {
      update_result u;
      u.period = opts_.periods[i];
      u.score = double_of(e[3 * i + 2]);
      if (const auto rank = integer_of(e[3 * i]); rank > 0) u.rank = rank;
      if (const auto prev = integer_of(e[3 * i + 1]); prev > 0) u.previous_rank = prev;
      out.push_back(u);
    }
    co_return out;
  }

  asio::awaitable<std::vector<entry>> top(std::size_t n, view v) {
    check_count(n, "n");
    co_return (co_await by_rank(0, n, v)).entries;
  }

  asio::awaitable<page_result> page(std::uint64_t page, std::size_t size, view v) {
    if (page == 0) throw invalid("page must be at least 1");
    check_count(size, "page size");
    if (page > (std::uint64_t{1} << 40) / size) throw invalid("page is too large");
    co_return co_await by_rank((page - 1) * size, size, v);
  }

  /// Entries [first, first + n) with the total: on the all-time board or a given day, a
  /// transaction of two plain commands; for "today" of a period, range.lua (the store's clock
  /// names the period).
  asio::awaitable<page_result> by_rank(std::uint64_t first, std::size_t n, view v) {
    if (const auto k = fixed_keys(v)) {
      const auto& scores = k->first;
      std::vector<command> cmds;
      cmds.emplace_back("MULTI");
      cmds.emplace_back("ZCARD", scores);
      cmds.emplace_back(opts_.order == order::descending ? "ZREVRANGE" : "ZRANGE", scores,
                        static_cast<std::int64_t>(first), static_cast<std::int64_t>(first + n - 1),
                        "WITHSCORES");
      cmds.emplace_back("EXEC");
      const auto replies =
          co_await store_->async_pipeline(std::move(cmds), request_options{opts_.timeout});
      if (replies.size() != 4) throw unexpected("unexpected reply to MULTI/EXEC");
      for (const auto& r : replies) {
        if (r.is_error()) throw server_error(r.string, "EXEC");
      }
      const auto& e = array_of(replies[3]);
      if (e.size() != 2) throw unexpected("unexpected reply to MULTI/EXEC");
      co_return page_result{.entries = entries_of(array_of(e[1]), first, opts_.tie_break),
                            .total = static_cast<std::uint64_t>(integer_of(e[0]))};
    }
    std::vector<std::string> args{"r"};
    append_view(args, v);
    args.push_back(detail::decimal(static_cast<std::int64_t>(first)));
    args.push_back(detail::decimal(static_cast<std::int64_t>(n)));
    const auto r = co_await eval(range_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 3) throw unexpected("unexpected reply from leaderboard/range");
    co_return page_result{
        .entries = entries_of(array_of(e[2]), static_cast<std::uint64_t>(integer_of(e[1])),
                              opts_.tie_break),
        .total = static_cast<std::uint64_t>(integer_of(e[0]))};
  }

#if defined(__GNUC__) && !defined(__clang__)
// Inlined into async_around, GCC 12 sees Asio's frame allocation (aligned_alloc) and its
// operator delete (free) in one function and warns, wrongly (as in limiter.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
  asio::awaitable<std::vector<entry>> around(std::string_view id, std::size_t range, bool fill,
                                             view v) {
    check_player_id(id);
    if (range > opts_.max_per_call / 2) {
      throw invalid(fmt::format("range must be at most {}", opts_.max_per_call / 2));
    }
    std::string span = detail::decimal(static_cast<std::int64_t>(range));
    std::vector<resp::reply> part;  // n, the n values, the first rank
    if (const auto k = fixed_keys(v); k && around_batcher_) {
      // The period is known here: around.lua on the board's declared keys, batched.
      part = co_await around_batcher_->async_read(k->first, k->second, std::string(id),
                                                  std::move(span), fill);
    } else {
      resp::reply r;
      if (k) {
        std::vector<std::string> keys{k->first, k->second};
        std::vector<std::string> args{std::string(order_code()), std::string(id), std::move(span),
                                      fill ? "1" : "0"};
        r = co_await store_->async_eval(around_, std::move(keys), std::move(args),
                                        request_options{opts_.timeout});
      } else {
        std::vector<std::string> args{"a"};
        append_view(args, v);
        args.emplace_back(id);
        args.push_back(std::move(span));
        args.emplace_back(fill ? "1" : "0");
        r = co_await eval(range_, std::move(args));
      }
      array_of(r);  // an array, or it throws
      part = std::move(r.elements);
    }
    co_return around_entries(part);
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  /// Entries of an around reply (a player's part of around.lua's): n, the n values {member,
  /// score, ...}, the first rank (-1: an absent player).
  std::vector<entry> around_entries(std::span<const resp::reply> part) const {
    if (part.size() < 2) throw unexpected("unexpected reply from leaderboard/around");
    const auto first = integer_of(part.back());
    if (first < 0) return {};
    if (integer_of(part.front()) != static_cast<std::int64_t>(part.size() - 2)) {
      throw unexpected("unexpected reply from leaderboard/around");
    }
    return entries_of(part.subspan(1, part.size() - 2), static_cast<std::uint64_t>(first),
                      opts_.tie_break);
  }

  /// The scores and players keys `v` reads when the period is known without the store's
  /// clock (the all-time board, or a given day); nothing for "today" of a period.
  std::optional<std::pair<std::string, std::string>> fixed_keys(const view& v) const {
    const auto p = v.of.value_or(opts_.periods.front());
    if (p != period::all_time && !v.day) return std::nullopt;
    const auto k = fmt::format(
        "{}:{}", base_, period_id_of(p, v.day.value_or(std::chrono::sys_days{}), opts_.week_start));
    return std::pair{k + ":scores", k + ":players"};
  }

  asio::awaitable<std::vector<std::optional<rank_result>>> ranks(std::span<const std::string> ids,
                                                                 view v) {
    if (ids.size() > opts_.max_per_call) {
      throw invalid(fmt::format("at most {} players per call", opts_.max_per_call));
    }
    for (const auto& id : ids) check_player_id(id);
    std::vector<std::string> args;
    append_view(args, v);
    args.insert(args.end(), ids.begin(), ids.end());
    const auto r = co_await eval(rank_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 1 + 2 * ids.size()) throw unexpected("unexpected reply from leaderboard/rank");
    const auto total = static_cast<std::uint64_t>(integer_of(e[0]));
    std::vector<std::optional<rank_result>> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto rank = integer_of(e[1 + 2 * i]);
      if (rank <= 0) {
        out.emplace_back();
        continue;
      }
      rank_result rr{.rank = static_cast<std::uint64_t>(rank),
                     .score = double_of(e[2 + 2 * i]),
                     .total = total};
      if (total > 1) {
        rr.percentile =
            100.0 * static_cast<double>(total - rr.rank) / static_cast<double>(total - 1);
      }
      out.push_back(rr);
    }
    co_return out;
  }

  asio::awaitable<std::uint64_t> count(view v) {
    std::vector<std::string> args;
    append_view(args, v);
    const auto r = co_await eval(rank_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 1) throw unexpected("unexpected reply from leaderboard/rank");
    co_return static_cast<std::uint64_t>(integer_of(e[0]));
  }

  asio::awaitable<bool> remove(std::string_view id) {
    check_player_id(id);
    std::vector<std::string> args{std::string(id), std::string(tie_code()),
                                  detail::decimal(opts_.week_start)};
    for (const auto p : opts_.periods) args.emplace_back(code_of(p));
    co_return integer_of(co_await eval(remove_, std::move(args))) > 0;
  }

  const std::shared_ptr<store> store_;
  const std::string name_;
  const options opts_;
  const std::string base_;
  const script& update_;
  const script& range_;
  const script& around_;
  const script& rank_;
  const script& remove_;
  std::shared_ptr<detail::around_batcher> around_batcher_;  // null: around_batch 1
};

// -----------------------------------------------------------------------------------------------

board::board(std::shared_ptr<store> s, std::string name, options o)
    : impl_(std::make_shared<impl>(std::move(s), std::move(name), std::move(o))) {}

board::~board() = default;

asio::awaitable<std::vector<update_result>> board::async_update(const player& p, double score,
                                                                update_op op) {
  return impl_->update(p.id, score, op, info_text(p), {});
}

asio::awaitable<std::vector<update_result>> board::async_increment(std::string_view player_id,
                                                                   double delta) {
  return impl_->update(
      player_id, delta, update_op::incr, {},
      info_text(player{.id = {}, .name = "Player " + std::string(player_id), .avatar = {}}));
}

asio::awaitable<std::vector<update_result>> board::async_update_score(std::string_view player_id,
                                                                      double score, update_op op) {
  return impl_->update(
      player_id, score, op, {},
      info_text(player{.id = {}, .name = "Player " + std::string(player_id), .avatar = {}}));
}

asio::awaitable<std::vector<entry>> board::async_top(std::size_t n, view v) {
  return impl_->top(n, v);
}

asio::awaitable<std::vector<entry>> board::async_around(std::string_view player_id,
                                                        std::size_t range, bool fill, view v) {
  return impl_->around(player_id, range, fill, v);
}

asio::awaitable<page_result> board::async_page(std::uint64_t page, std::size_t size, view v) {
  return impl_->page(page, size, v);
}

asio::awaitable<std::optional<rank_result>> board::async_rank(std::string_view player_id, view v) {
  const std::string ids[] = {std::string(player_id)};
  co_return (co_await impl_->ranks(ids, v)).front();
}

asio::awaitable<std::vector<std::optional<rank_result>>> board::async_ranks(
    std::span<const std::string> player_ids, view v) {
  return impl_->ranks(player_ids, v);
}

asio::awaitable<std::uint64_t> board::async_count(view v) { return impl_->count(v); }

asio::awaitable<bool> board::async_remove(std::string_view player_id) {
  return impl_->remove(player_id);
}

namespace {
template <typename T, typename Make>
T blocking(store& s, std::string_view call, Make make) {
  return detail::run_blocking<T>(s, "leaderboard", call, make);
}
}  // namespace

std::vector<update_result> board::update(const player& p, double score, update_op op) {
  return blocking<std::vector<update_result>>(*impl_->store_, "update",
                                              [&] { return async_update(p, score, op); });
}

std::vector<update_result> board::increment(std::string_view player_id, double delta) {
  return blocking<std::vector<update_result>>(*impl_->store_, "increment",
                                              [&] { return async_increment(player_id, delta); });
}

std::vector<update_result> board::update_score(std::string_view player_id, double score,
                                               update_op op) {
  return blocking<std::vector<update_result>>(
      *impl_->store_, "update_score", [&] { return async_update_score(player_id, score, op); });
}

std::vector<entry> board::top(std::size_t n, view v) {
  return blocking<std::vector<entry>>(*impl_->store_, "top", [&] { return async_top(n, v); });
}

std::vector<entry> board::around(std::string_view player_id, std::size_t range, bool fill, view v) {
  return blocking<std::vector<entry>>(*impl_->store_, "around",
                                      [&] { return async_around(player_id, range, fill, v); });
}

page_result board::page(std::uint64_t page, std::size_t size, view v) {
  return blocking<page_result>(*impl_->store_, "page", [&] { return async_page(page, size, v); });
}

std::optional<rank_result> board::rank(std::string_view player_id, view v) {
  return blocking<std::optional<rank_result>>(*impl_->store_, "rank",
                                              [&] { return async_rank(player_id, v); });
}

std::vector<std::optional<rank_result>> board::ranks(std::span<const std::string> player_ids,
                                                     view v) {
  return blocking<std::vector<std::optional<rank_result>>>(
      *impl_->store_, "ranks", [&] { return async_ranks(player_ids, v); });
}

std::uint64_t board::count(view v) {
  return blocking<std::uint64_t>(*impl_->store_, "count", [&] { return async_count(v); });
}

bool board::remove(std::string_view player_id) {
  return blocking<bool>(*impl_->store_, "remove", [&] { return async_remove(player_id); });
}

std::string board::period_id(period p, std::chrono::sys_days day) const {
  return period_id_of(p, day, impl_->opts_.week_start);
}

std::string board::key(std::string_view id) const { return fmt::format("{}:{}", impl_->base_, id); }

const options& board::config() const noexcept { return impl_->opts_; }

}  // namespace redkit::leaderboard
