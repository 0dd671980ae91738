// `redkit bench`: closed-loop load generators. C coroutines each issue one request, wait for
// its reply, and issue the next, so exactly C requests are in flight; the store pipelines them.
// Prints one JSON line per run (--json) or a readable summary.
#include "bench.hpp"
#include "commands.hpp"

#include <redkit/rate_limiter.hpp>
#include <redkit/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <variant>
#include <vector>

namespace redkit::cli {
namespace {

/// One EVALSHA of an embedded script.
struct eval_call {
  const script* code;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};
/// One rate-limit check of identity number `id` (through rate_limit::limiter).
struct rate_check {
  std::uint64_t id;
};
/// What one operation sends: a command, a pipeline, a script call or a rate-limit check.
using bench_op = std::variant<command, std::vector<command>, eval_call, rate_check>;
/// Builds operation number `i`.
using command_maker = std::function<bench_op(std::uint64_t i)>;

struct workload {
  const char* help;
  std::function<command_maker(const bench_options&)> make;
  /// Commands run once before timing starts (e.g. to fill the keys a GET reads).
  std::function<std::vector<command>(const bench_options&)> prepare;
  /// A workload with phases of its own, run instead of `make`'s closed loop.
  int (*run)(const bench_options&) = nullptr;
};

/// The bench's key names, made once so that formatting is not what gets measured.
/// Each workload has its own prefix, so one workload never finds another's keys (of another type).
std::shared_ptr<const std::vector<std::string>> key_names(std::string_view workload,
                                                          std::uint64_t keys) {
  auto v = std::make_shared<std::vector<std::string>>();
  v->reserve(keys);
  for (std::uint64_t i = 0; i < keys; ++i) {
    v->push_back(fmt::format("rk:bench:{{{}}}:{}", workload, i));
  }
  return v;
}

const std::map<std::string, workload>& workloads() {
  static const std::map<std::string, workload> all{
      {"ping",
       {"PING",
        [](const bench_options&) {
          return [](std::uint64_t) { return bench_op{command{"PING"}}; };
        },
        nullptr}},
      {"set",
       {"SET of --value-size bytes over --keys keys",
        [](const bench_options& o) {
          auto value = std::make_shared<std::string>(o.value_size, 'x');
          return [value, keys = key_names("kv", o.keys)](std::uint64_t i) {
            return bench_op{command{"SET", (*keys)[i % keys->size()], *value}};
          };
        },
        nullptr}},
      {"script",
       {"the reference's sliding-window-log limiter (60/min) by EVALSHA on --keys keys",
        [](const bench_options& o) {
          const auto* code = &script::embedded("bench/sliding_log");
          return [code, keys = key_names("rl", o.keys)](std::uint64_t i) {
            // Spread over the keys with a multiplicative hash, so hot keys are not sequential.
            const auto& key = (*keys)[(i * 0x9E3779B97F4A7C15ULL >> 20) % keys->size()];
            return bench_op{eval_call{code, {key}, {"60", "60000", std::to_string(i)}}};
          };
        },
        nullptr}},
      {"ratelimit",
       {"rate_limit::limiter checks (--algorithm, --limit per --window-ms) over --keys ids",
        [](const bench_options& o) {
          // A stride coprime with --keys: every id gets the same share, in a scattered order.
          const auto stride = coprime_stride(o.keys);
          return [keys = o.keys, stride](std::uint64_t i) {
            return bench_op{rate_check{(i % keys) * stride % keys}};
          };
        },
        nullptr}},
      {"queue",
       {"queue::queue/worker: --jobs no-op jobs enqueued, then drained by --concurrency", nullptr,
        nullptr, run_queue_bench}},
      {"sessions",
       {"session::store: --users users log in on 1-7 devices each, then --ops validations", nullptr,
        nullptr, run_sessions_bench}},
      {"leaderboard",
       {"leaderboard::board: --ops updates of --players players, then --reads top, around, page",
        nullptr, nullptr, run_leaderboard_bench}},
      {"cache",
       {"cache::cache: --ops get_or_load over --keys cached keys at --hit-ratio, then a "
        "--stampede",
        nullptr, nullptr, run_cache_bench}},
      {"zadd",
       {"ZADD then ZREVRANK (one pipeline) of a player among --keys on one board",
        [](const bench_options& o) {
          return [keys = key_names("lb", o.keys)](std::uint64_t i) {
            const auto& player = (*keys)[(i * 0x9E3779B97F4A7C15ULL >> 20) % keys->size()];
            std::vector<command> cmds;
            cmds.emplace_back("ZADD", "rk:bench:{lb}:scores", static_cast<std::int64_t>(i % 100000),
                              player);
            cmds.emplace_back("ZREVRANK", "rk:bench:{lb}:scores", player);
            return bench_op{std::move(cmds)};
          };
        },
        nullptr}},
      {"get",
       {"GET over --keys keys (filled first)",
        [](const bench_options& o) {
          return [keys = key_names("kv", o.keys)](std::uint64_t i) {
            return bench_op{command{"GET", (*keys)[i % keys->size()]}};
          };
        },
        [](const bench_options& o) {
          std::vector<command> fill;
          const std::string value(o.value_size, 'x');
          const auto keys = key_names("kv", o.keys);  // alive for the loop (C++20 range-for)
          for (const auto& k : *keys) fill.emplace_back("SET", k, value);
          return fill;
        }}},
  };
  return all;
}

struct result : phase_result {
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
};

result run_closed_loop(const bench_options& o, const command_maker& make) {
  asio::io_context ioc(1);
  auto s = open_bench_store(ioc, o);
  // ratelimit: the limiter (store failures count as errors, not as decisions) and its inputs.
  std::unique_ptr<rate_limit::limiter> limiter;
  std::vector<rate_limit::policy> policies;
  std::vector<std::string> identities;
  if (o.workload == "ratelimit") {
    rate_limit::limiter_options lo;
    lo.timeout = std::chrono::milliseconds(o.timeout_ms);
    lo.shield = false;  // every check reaches the store
    lo.log = [](std::string_view) {};
    limiter = std::make_unique<rate_limit::limiter>(s, lo);
    auto algo = rate_limit::parse_algorithm(o.algorithm);
    if (!algo)
      throw error(make_error_code(errc::invalid_argument), "unknown algorithm " + o.algorithm);
    policies.push_back({.name = "bench",
                        .algo = *algo,
                        .limit = o.limit,
                        .window = std::chrono::milliseconds(o.window_ms)});
    rate_limit::validate(policies.back());
    identities.reserve(o.keys);
    for (std::uint64_t i = 0; i < o.keys; ++i) identities.push_back(fmt::format("bench:{}", i));
  }

  drive(ioc, [&]() -> asio::awaitable<void> {
    co_await s->async_exec(command{"PING"});  // connected before the clock starts
    if (auto it = workloads().find(o.workload); it->second.prepare) {
      auto fill = it->second.prepare(o);
      for (std::size_t i = 0; i < fill.size(); i += 1000) {
        std::vector<command> chunk(
            fill.begin() + static_cast<std::ptrdiff_t>(i),
            fill.begin() + static_cast<std::ptrdiff_t>(std::min(fill.size(), i + 1000)));
        co_await s->async_pipeline(std::move(chunk));
      }
    }
  }());

  result res;
  static_cast<phase_result&>(res) =
      closed_loop(ioc, o.concurrency, o.ops, [&](std::uint64_t i) -> asio::awaitable<void> {
        auto op = make(i);
        if (auto* cmd = std::get_if<command>(&op)) {
          co_await s->async_exec(std::move(*cmd));
        } else if (auto* cmds = std::get_if<std::vector<command>>(&op)) {
          for (const auto& r : co_await s->async_pipeline(std::move(*cmds))) {
            if (r.is_error()) throw error(make_error_code(errc::server_error), r.string);
          }
        } else if (auto* call = std::get_if<eval_call>(&op)) {
          co_await s->async_eval(*call->code, std::move(call->keys), std::move(call->args));
        } else {
          const auto d =
              co_await limiter->async_check(identities[std::get<rate_check>(op).id], policies);
          if (d.source != rate_limit::decision_source::store) {
            throw error(make_error_code(errc::timeout), "decided without the store");
          }
          ++(d.allowed ? res.allowed : res.denied);
        }
      });
  s->close();
  ioc.run_for(std::chrono::milliseconds(100));
  return res;
}

}  // namespace

std::shared_ptr<store> open_bench_store(asio::io_context& ioc, const bench_options& o) {
  store_options so;
  so.request_timeout = std::chrono::milliseconds(o.timeout_ms);
  so.connect_timeout = std::chrono::milliseconds(o.timeout_ms);
  return store::open(ioc.get_executor(), o.url, so);
}

runner add_bench(CLI::App& app) {
  auto o = std::make_shared<bench_options>();
  std::string names;
  for (const auto& [name, w] : workloads()) names += fmt::format("\n  {:<12} {}", name, w.help);
  app.add_option("workload", o->workload, "Workload to run:" + names)
      ->required()
      ->check(CLI::IsMember([] {
        std::vector<std::string> v;
        for (const auto& [name, w] : workloads()) v.push_back(name);
        return v;
      }()));
  app.add_option("--store", o->url, "Store URL")->envname("REDKIT_STORE")->capture_default_str();
  app.add_option("--ops", o->ops, "Operations to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--keys", o->keys, "Distinct keys")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--concurrency,-c", o->concurrency, "Requests in flight")
      ->check(CLI::Range(1U, 100000U))
      ->capture_default_str();
  app.add_option("--value-size", o->value_size, "Value size in bytes for set/get")
      ->check(CLI::Range(std::size_t{0}, std::size_t{512} * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--timeout-ms", o->timeout_ms, "Per-request deadline in ms")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--algorithm", o->algorithm,
                 "ratelimit: sliding_log, sliding_window, gcra or fixed_window")
      ->check(CLI::IsMember({"sliding_log", "sliding_window", "gcra", "fixed_window"}))
      ->capture_default_str();
  app.add_option("--limit", o->limit, "ratelimit: units per window")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--window-ms", o->window_ms, "ratelimit: window in ms")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--jobs", o->jobs, "queue: jobs to enqueue and drain")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--users", o->users, "sessions: users (1-7 devices each)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--players", o->players, "leaderboard: players on the board")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--reads", o->reads, "leaderboard: reads in each read phase")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hit-ratio", o->hit_ratio, "cache: share of calls that read a cached key")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--l1", o->l1,
                 "cache: the in-process level (auto: on for Redis, off for the engine)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  app.add_option("--loader-us", o->loader_us, "cache: how long the loader takes, in us")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--stampede", o->stampede,
                 "cache: concurrent callers of one uncached key after the timed phase (0: none)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100'000}))
      ->capture_default_str();
  app.add_flag("--json", o->json, "Print one JSON line");
  return [o] {
    const auto& w = workloads().at(o->workload);
    if (w.run) return w.run(*o);
    auto r = run_closed_loop(*o, w.make(*o));
    const double ops_per_s = r.seconds > 0 ? static_cast<double>(o->ops) / r.seconds : 0;
    const auto p50 = percentile_us(r.latencies_ns, 0.50);
    const auto p99 = percentile_us(r.latencies_ns, 0.99);
    const auto store_desc = parse_store_url(o->url).redacted();
    const bool ratelimit = o->workload == "ratelimit";
    if (o->json) {
      const auto extra = ratelimit
                             ? fmt::format(",\"algorithm\":\"{}\",\"allowed\":{},\"denied\":{}",
                                           o->algorithm, r.allowed, r.denied)
                             : std::string();
      fmt::print(
          "{{\"workload\":\"{}\",\"store\":\"{}\",\"ops\":{},\"concurrency\":{},"
          "\"seconds\":{:.6f},"
          "\"ops_per_s\":{:.1f},\"p50_us\":{},\"p99_us\":{},\"errors\":{}{}}}\n",
          o->workload, store_desc, o->ops, o->concurrency, r.seconds, ops_per_s, p50, p99, r.errors,
          extra);
    } else {
      if (ratelimit) {
        fmt::print("{}: {} allowed, {} denied\n", o->algorithm, r.allowed, r.denied);
      }
      fmt::print(
          "{} on {}: {} ops, {} in flight, {:.3f} s, {:.0f} ops/s, p50 {} us, "
          "p99 {} us, {} "
          "errors\n",
          o->workload, store_desc, o->ops, o->concurrency, r.seconds, ops_per_s, p50, p99,
          r.errors);
    }
    return r.errors == 0 ? 0 : 1;
  };
}

}  // namespace redkit::cli
