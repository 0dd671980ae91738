// `redkit queue`: operators' commands for a job queue (stats, dead, retry, delete), on the
// blocking API. A queue's key prefix is not stored with it: pass the one its producers use.
#include "commands.hpp"
#include "output.hpp"
#include "store_args.hpp"

#include <redkit/error.hpp>
#include <redkit/job_queue.hpp>
#include <redkit/store.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace redkit::cli {
namespace {

namespace q = redkit::queue;

/// What every `queue` subcommand takes.
struct queue_args : store_args {
  std::string name;
};

void add_queue_options(CLI::App& app, queue_args& a) {
  app.add_option("name", a.name, "Queue name")->required();
  add_store_args(app, a);
}

/// The store and the queue `a` names (the store first, so it outlives the queue).
struct opened {
  std::shared_ptr<store> s;
  std::unique_ptr<q::queue> queue;
};

opened open_queue(const queue_args& a) {
  opened o;
  o.s = open_store(a);
  q::queue_options opts;
  opts.prefix = a.prefix;
  opts.timeout = std::chrono::milliseconds(a.timeout_ms);
  o.queue = std::make_unique<q::queue>(o.s, a.name, opts);
  return o;
}

/// `tp` as UTC ISO 8601 with milliseconds, e.g. 2024-05-01T12:00:00.250Z.
std::string iso_utc(q::clock::time_point tp) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(tp);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> t{ms - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     t.hours().count(), t.minutes().count(), t.seconds().count(),
                     t.subseconds().count());
}

/// `s` on one line for a table: control characters become spaces.
std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  return s;
}

int run_stats(const queue_args& a) {
  auto o = open_queue(a);
  const auto st = o.queue->stats();
  if (a.json) {
    fmt::print(
        R"({{"queue":{},"pending":{},"delayed":{},"active":{},"dead":{},"completed":{},"failed":{},"paused":{}}})"
        "\n",
        json_string(a.name), st.pending, st.delayed, st.active, st.dead, st.completed, st.failed,
        st.paused);
    return 0;
  }
  print_table<2>({{"pending", std::to_string(st.pending)},
                  {"delayed", std::to_string(st.delayed)},
                  {"active", std::to_string(st.active)},
                  {"dead", std::to_string(st.dead)},
                  {"completed", std::to_string(st.completed)},
                  {"failed", std::to_string(st.failed)},
                  {"paused", st.paused ? "yes" : "no"}},
                 {false, true});
  return 0;
}

int run_dead(const queue_args& a, std::size_t offset, std::size_t count) {
  auto o = open_queue(a);
  const auto jobs = o.queue->dead(offset, count);
  if (a.json) {
    std::string out = "[";
    for (const auto& j : jobs) {
      if (out.size() > 1) out += ',';
      out += fmt::format(
          R"({{"id":{},"type":{},"attempts":{},"max_attempts":{},"last_error":{},"created":"{}","died":"{}","payload":{}}})",
          json_string(j.id), json_string(j.type), j.attempts, j.max_attempts,
          json_string(j.last_error), iso_utc(j.created), iso_utc(j.died), json_string(j.payload));
    }
    fmt::print("{}]\n", out);
    return 0;
  }
  if (jobs.empty()) {
    if (offset == 0) {
      fmt::print("{}: no dead jobs\n", a.name);
    } else {
      fmt::print("{}: no dead jobs from offset {}\n", a.name, offset);
    }
    return 0;
  }
  std::vector<std::array<std::string, 5>> rows{{"id", "type", "attempts", "died", "last error"}};
  for (const auto& j : jobs) {
    rows.push_back({j.id, j.type, fmt::format("{}/{}", j.attempts, j.max_attempts), iso_utc(j.died),
                    one_line(j.last_error)});
  }
  print_table(rows, {false, false, true, false, false});
  return 0;
}

/// `retry` and `delete`: act on `ids`, or on every dead job with `all`.
int run_act(const queue_args& a, bool retry, const std::vector<std::string>& ids, bool all) {
  const char* verb = retry ? "retry" : "delete";
  if (ids.empty() && !all) {
    fmt::print(stderr,
               "redkit queue {0}: name the dead jobs to {0}, or pass --all to {0} every dead "
               "job of {1}\n",
               verb, a.name);
    return 2;
  }
  if (!ids.empty() && all) {
    fmt::print(stderr, "redkit queue {}: pass either job ids or --all, not both\n", verb);
    return 2;
  }
  auto o = open_queue(a);
  // The queue reads an empty id list as every dead job (reached only with --all).
  const auto n = retry ? o.queue->retry_dead(ids) : o.queue->delete_dead(ids);
  const char* done = retry ? "retried" : "deleted";
  if (a.json) {
    fmt::print(R"({{"queue":{},"{}":{}}})"
               "\n",
               json_string(a.name), done, n);
  } else if (all) {
    fmt::print("{}: {} {} dead job{}{}\n", a.name, done, n, n == 1 ? "" : "s",
               retry ? " (pending again)" : "");
  } else {
    fmt::print("{}: {} {} of {} dead job{}{}\n", a.name, done, n, ids.size(),
               ids.size() == 1 ? "" : "s", retry ? " (pending again)" : "");
  }
  return 0;
}

}  // namespace

runner add_queue(CLI::App& app) {
  app.require_subcommand(1);

  auto stats_args = std::make_shared<queue_args>();
  auto* stats = app.add_subcommand(
      "stats", "Print the counts: pending, delayed, active, dead, completed, failed, paused");
  add_queue_options(*stats, *stats_args);

  auto dead_args = std::make_shared<queue_args>();
  auto offset = std::make_shared<std::size_t>(0);
  auto count = std::make_shared<std::size_t>(20);
  auto* dead = app.add_subcommand(
      "dead", "List dead jobs, oldest first (the payload is printed with --json only)");
  add_queue_options(*dead, *dead_args);
  dead->add_option("--offset", *offset, "Dead jobs to skip")->capture_default_str();
  dead->add_option("--count", *count, "Dead jobs to print (1-1000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
      ->capture_default_str();

  auto retry_args = std::make_shared<queue_args>();
  auto retry_ids = std::make_shared<std::vector<std::string>>();
  auto retry_all = std::make_shared<bool>(false);
  auto* retry = app.add_subcommand(
      "retry", "Make dead jobs pending again, attempts reset (job ids, or --all)");
  add_queue_options(*retry, *retry_args);
  retry->add_option("id", *retry_ids, "Dead job ids");
  retry->add_flag("--all", *retry_all, "Retry every dead job");

  auto delete_args = std::make_shared<queue_args>();
  auto delete_ids = std::make_shared<std::vector<std::string>>();
  auto delete_all = std::make_shared<bool>(false);
  auto* del = app.add_subcommand("delete", "Delete dead jobs and their data (job ids, or --all)");
  add_queue_options(*del, *delete_args);
  del->add_option("id", *delete_ids, "Dead job ids");
  del->add_flag("--all", *delete_all, "Delete every dead job");

  return [=] {
    if (stats->parsed()) return run_stats(*stats_args);
    if (dead->parsed()) return run_dead(*dead_args, *offset, *count);
    if (retry->parsed()) return run_act(*retry_args, true, *retry_ids, *retry_all);
    return run_act(*delete_args, false, *delete_ids, *delete_all);
  };
}

}  // namespace redkit::cli
