// `redkit leaderboard`: operators' reads of a leaderboard (top, rank, count), on the blocking
// API. A board's order, tie-break and key prefix are not stored with it: pass the ones its
// writers use.
#include "commands.hpp"
#include "output.hpp"
#include "store_args.hpp"

#include <redkit/error.hpp>
#include <redkit/leaderboard.hpp>
#include <redkit/store.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redkit::cli {
namespace {

namespace lb = leaderboard;

/// What every `leaderboard` subcommand takes.
struct board_args : store_args {
  std::string name;
  std::string period = "all_time";
  std::string day;  // YYYY-MM-DD; empty: today by the store's clock
  std::string order = "descending";
  std::string tie_break = "member";
};

void add_board_options(CLI::App& app, board_args& a) {
  app.add_option("name", a.name, "Board name")->required();
  app.add_option("--period", a.period, "Which board: all_time, daily, weekly or monthly")
      ->check(CLI::IsMember({"all_time", "daily", "weekly", "monthly"}))
      ->capture_default_str();
  app.add_option("--day", a.day,
                 "A day (YYYY-MM-DD, UTC) inside the daily, weekly or monthly period to read "
                 "(default: today by the store's clock)");
  app.add_option("--order", a.order, "Which end is rank 1: descending (highest) or ascending")
      ->check(CLI::IsMember({"descending", "ascending"}))
      ->capture_default_str();
  app.add_option("--tie-break", a.tie_break, "How equal scores rank: member (by id) or earliest")
      ->check(CLI::IsMember({"member", "earliest"}))
      ->capture_default_str();
  add_store_args(app, a);
}

std::chrono::sys_days parse_day(const std::string& s) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (s.size() == 10 && std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) == 3) {
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                          std::chrono::day{d}};
    if (ymd.ok()) return std::chrono::sys_days{ymd};
  }
  throw error(make_error_code(errc::invalid_argument), "--day wants YYYY-MM-DD, not " + s);
}

lb::period parse_period(const std::string& s) {
  if (s == "daily") return lb::period::daily;
  if (s == "weekly") return lb::period::weekly;
  if (s == "monthly") return lb::period::monthly;
  return lb::period::all_time;
}

/// The store and the board `a` names (the store first, so it outlives the board).
struct opened {
  std::shared_ptr<store> s;
  std::unique_ptr<lb::board> board;
  lb::view view;
  std::string period_id;
};

opened open_board(const board_args& a, std::size_t max_per_call = 1000) {
  opened o;
  o.s = open_store(a);
  lb::options opts;
  opts.prefix = a.prefix;
  opts.order = a.order == "ascending" ? lb::order::ascending : lb::order::descending;
  opts.tie_break = a.tie_break == "earliest" ? lb::tie_break::earliest : lb::tie_break::member;
  const auto period = parse_period(a.period);
  opts.periods = {period};
  opts.max_per_call = max_per_call;
  opts.timeout = std::chrono::milliseconds(a.timeout_ms);
  o.board = std::make_unique<lb::board>(o.s, a.name, opts);
  o.view.of = period;
  if (!a.day.empty()) o.view.day = parse_day(a.day);
  return o;
}

/// A score as JSON and for people: shortest round-trip form (integers without a fraction).
std::string score_text(double score) { return fmt::format("{}", score); }

int run_top(const board_args& a, std::size_t n) {
  auto o = open_board(a);
  const auto entries = o.board->top(n, o.view);
  if (a.json) {
    std::string out = "[";
    for (const auto& e : entries) {
      if (out.size() > 1) out += ',';
      out += fmt::format(R"({{"rank":{},"id":{},"name":{},"avatar":{},"score":{}}})", e.rank,
                         json_string(e.player.id), json_string(e.player.name),
                         json_string(e.player.avatar), score_text(e.score));
    }
    fmt::print("{}]\n", out);
    return 0;
  }
  if (entries.empty()) {
    fmt::print("{}: no players\n", a.name);
    return 0;
  }
  std::vector<std::array<std::string, 4>> rows{{"rank", "player", "name", "score"}};
  for (const auto& e : entries) {
    rows.push_back({std::to_string(e.rank), e.player.id, e.player.name, score_text(e.score)});
  }
  print_table(rows, {true, false, false, true});
  return 0;
}

int run_rank(const board_args& a, const std::vector<std::string>& ids) {
  auto o = open_board(a, std::max<std::size_t>(1000, ids.size()));
  const auto ranks = o.board->ranks(ids, o.view);
  bool all_found = true;
  if (a.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ',';
      if (const auto& r = ranks.at(i)) {
        out += fmt::format(R"({{"id":{},"rank":{},"score":{},"total":{},"percentile":{}}})",
                           json_string(ids[i]), r->rank, score_text(r->score), r->total,
                           score_text(r->percentile));
      } else {
        out += fmt::format(R"({{"id":{},"rank":null}})", json_string(ids[i]));
        all_found = false;
      }
    }
    fmt::print("{}]\n", out);
    return all_found ? 0 : 1;
  }
  std::vector<std::array<std::string, 5>> rows{{"player", "rank", "score", "of", "percentile"}};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (const auto& r = ranks.at(i)) {
      rows.push_back({ids[i], std::to_string(r->rank), score_text(r->score),
                      std::to_string(r->total), fmt::format("{:.2f}", r->percentile)});
    } else {
      rows.push_back({ids[i], "-", "-", "-", "-"});
      all_found = false;
    }
  }
  print_table(rows, {false, true, true, true, true});
  return all_found ? 0 : 1;
}

int run_count(const board_args& a) {
  auto o = open_board(a);
  const auto n = o.board->count(o.view);
  if (a.json) {
    fmt::print(R"({{"board":{},"period":"{}","count":{}}})"
               "\n",
               json_string(a.name), a.period, n);
  } else {
    fmt::print("{}\n", n);
  }
  return 0;
}

}  // namespace

runner add_leaderboard(CLI::App& app) {
  app.require_subcommand(1);

  auto top_args = std::make_shared<board_args>();
  auto n = std::make_shared<std::size_t>(10);
  auto* top = app.add_subcommand("top", "Print the first N entries (rank, player, name, score)");
  add_board_options(*top, *top_args);
  top->add_option("--n,-n", *n, "Entries to print (1-1000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
      ->capture_default_str();

  auto rank_args = std::make_shared<board_args>();
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* rank = app.add_subcommand(
      "rank", "Print players' rank, score, board size and percentile (exit 1 if one is absent)");
  add_board_options(*rank, *rank_args);
  rank->add_option("player", *ids, "Player ids")->required();

  auto count_args = std::make_shared<board_args>();
  auto* count = app.add_subcommand("count", "Print how many players the board holds");
  add_board_options(*count, *count_args);

  return [=] {
    if (top->parsed()) return run_top(*top_args, *n);
    if (rank->parsed()) return run_rank(*rank_args, *ids);
    return run_count(*count_args);
  };
}

}  // namespace redkit::cli
