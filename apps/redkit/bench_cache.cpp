// `redkit bench cache`: cache::cache get_or_load on a read-mostly workload, then a stampede.
// - cache "bench" (ttl 1 h, no jitter), L1 per --l1 (auto: on for Redis, off for the engine);
// - K (--keys) hot keys "h<k>" are loaded first (not timed; at least 256 in flight), so each
//   is cached;
// - mixed phase: N (--ops) get_or_load calls, C (--concurrency) in flight; call i reads a hot
//   key (scattered order) with probability H (--hit-ratio, drawn from a hash of i), else the
//   new key "m<run>:<i>" (<run>: a number of this run's own), which misses and loads. The loader
//   waits --loader-us and returns
//   --value-size bytes;
// - stampede phase (--stampede S callers, 0 skips it): S concurrent get_or_load of one new
//   key, "s<run>"; reports how many loader calls they made (single flight: 1).
// Prints one JSON line (--json) or a summary.
#include "bench.hpp"

#include <redkit/cache.hpp>
#include <redkit/store.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace redkit::cli {
namespace {

/// Constructs `make()` on another thread while this one drives `ioc`: the cache subscribes to
/// its invalidation channel in its constructor, and that subscription's I/O runs on `ioc`.
template <typename Make>
auto construct_while_driving(asio::io_context& ioc, Make make) {
  std::atomic<bool> done{false};
  decltype(make()) made;
  std::exception_ptr failure;
  std::thread t([&] {
    try {
      made = make();
    } catch (...) {
      failure = std::current_exception();
    }
    done = true;
  });
  while (!done) ioc.run_one_for(std::chrono::milliseconds(1));
  t.join();
  if (failure) std::rethrow_exception(failure);
  return made;
}

}  // namespace

int run_cache_bench(const bench_options& o) {
  asio::io_context ioc(1);
  auto s = open_bench_store(ioc, o);
  drive(ioc, [&]() -> asio::awaitable<void> { co_await s->async_exec(command{"PING"}); }());

  cache::options opts;
  opts.name = "bench";
  opts.ttl = std::chrono::hours(1);
  opts.ttl_jitter = 0;
  opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  opts.max_value_bytes = std::max<std::size_t>(opts.max_value_bytes, o.value_size);
  if (o.l1 != "auto") opts.l1.enabled = o.l1 == "on";
  opts.l1.max_entries = std::max<std::size_t>(opts.l1.max_entries, o.keys + o.ops + 1);
  opts.l1.max_bytes =
      std::max<std::size_t>(opts.l1.max_bytes, (o.keys + o.ops + 1) * (o.value_size + 64));
  opts.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  auto c = construct_while_driving(ioc, [&] { return std::make_unique<cache::cache>(s, opts); });
  const bool l1_on = c->metrics().l1_live;
  if (o.l1 == "on" && !l1_on) {
    fmt::print(stderr, "bench cache: L1 is on but its invalidation channel is not subscribed\n");
    return 1;
  }

  const std::string value(o.value_size, 'v');
  std::atomic<std::uint64_t> loads{0};
  const auto loader_delay = std::chrono::microseconds(o.loader_us);
  auto load = [&]() -> asio::awaitable<std::optional<std::string>> {
    ++loads;
    if (loader_delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, loader_delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    co_return value;
  };

  const auto run = std::chrono::steady_clock::now().time_since_epoch().count();
  std::vector<std::string> hot(o.keys);
  for (std::uint64_t k = 0; k < o.keys; ++k) hot[k] = fmt::format("h{}", k);
  auto warm = closed_loop(ioc, std::max(o.concurrency, 256u), o.keys, [&](std::uint64_t k) {
    return [](cache::cache& cc, const std::string& key, cache::loader l) -> asio::awaitable<void> {
      co_await cc.async_get_or_load(key, std::move(l));
    }(*c, hot[k], load);
  });
  const auto warm_loads = loads.load();

  const auto stride = coprime_stride(o.keys);
  const auto hit_threshold = static_cast<std::uint64_t>(o.hit_ratio * 1'000'000);
  std::vector<bool> is_hit(o.ops);
  for (std::uint64_t i = 0; i < o.ops; ++i) {
    is_hit[i] = ((i * 0x9E3779B97F4A7C15ULL) >> 20) % 1'000'000 < hit_threshold;
  }
  const auto before = c->metrics();
  auto mixed = closed_loop(ioc, o.concurrency, o.ops, [&](std::uint64_t i) {
    return [](cache::cache& cc, std::string key, cache::loader l) -> asio::awaitable<void> {
      co_await cc.async_get_or_load(key, std::move(l));
    }(*c, is_hit[i] ? hot[(i % o.keys) * stride % o.keys] : fmt::format("m{}:{}", run, i), load);
  });
  const auto after = c->metrics();
  std::vector<std::uint32_t> hit_ns, miss_ns;
  for (std::uint64_t i = 0; i < o.ops; ++i) {
    (is_hit[i] ? hit_ns : miss_ns).push_back(mixed.latencies_ns[i]);
  }

  std::uint64_t stampede_loads = 0;
  phase_result stampede;
  if (o.stampede > 0) {
    const auto key = fmt::format("s{}", run);
    const auto loads0 = loads.load();
    stampede = closed_loop(ioc, static_cast<unsigned>(o.stampede), o.stampede, [&](std::uint64_t) {
      return [](cache::cache& cc, const std::string& k, cache::loader l) -> asio::awaitable<void> {
        co_await cc.async_get_or_load(k, std::move(l));
      }(*c, key, load);
    });
    stampede_loads = loads.load() - loads0;
  }

  c.reset();
  s->close();
  ioc.run_for(std::chrono::milliseconds(100));

  const auto errors = warm.errors + mixed.errors + stampede.errors;
  cache::metrics mixed_counts;  // the mixed phase's share of the counters
  mixed_counts.l1_hits = after.l1_hits - before.l1_hits;
  mixed_counts.l2_hits = after.l2_hits - before.l2_hits;
  mixed_counts.misses = after.misses - before.misses;
  const auto mixed_loads = loads.load() - warm_loads - stampede_loads;
  const double hit_ratio = mixed_counts.hit_ratio();
  const auto store_desc = parse_store_url(o.url).redacted();
  const double rate = per_second(o.ops, mixed);
  const auto p50 = percentile_us(mixed.latencies_ns, 0.50),
             p99 = percentile_us(mixed.latencies_ns, 0.99);
  // Hit latencies are sub-microsecond on L1: their median is in ns.
  const auto hit_p50_ns = percentile_ns(hit_ns, 0.50);
  const auto hit_p99 = percentile_us(hit_ns, 0.99), miss_p50 = percentile_us(miss_ns, 0.50);
  if (o.json) {
    fmt::print(
        "{{\"workload\":\"cache\",\"store\":\"{}\",\"l1\":{},\"keys\":{},\"ops\":{},"
        "\"concurrency\":{},\"value_size\":{},\"loader_us\":{},\"target_hit_ratio\":{},"
        "\"ops_per_s\":{:.1f},\"p50_us\":{},\"p99_us\":{},\"hit_p50_ns\":{},\"hit_p99_us\":{},"
        "\"miss_p50_us\":{},\"l1_hits\":{},\"l2_hits\":{},\"misses\":{},\"loads\":{},"
        "\"hit_ratio\":{:.4f},\"stampede_callers\":{},\"stampede_loads\":{},"
        "\"stampede_ms\":{:.3f},\"errors\":{}}}\n",
        store_desc, l1_on ? "true" : "false", o.keys, o.ops, o.concurrency, o.value_size,
        o.loader_us, o.hit_ratio, rate, p50, p99, hit_p50_ns, hit_p99, miss_p50,
        mixed_counts.l1_hits, mixed_counts.l2_hits, mixed_counts.misses, mixed_loads, hit_ratio,
        o.stampede, stampede_loads, stampede.seconds * 1000, errors);
  } else {
    fmt::print(
        "cache on {} (L1 {}): {} get_or_load at {:.0f}/s (p50 {} us, p99 {} us; hits p50 {} ns, "
        "p99 {} us; misses p50 {} us); {} L1 hits, {} L2 hits, {} misses, {} loads, hit ratio "
        "{:.3f}; stampede: {} callers, {} loader calls in {:.1f} ms; {} errors\n",
        store_desc, l1_on ? "on" : "off", o.ops, rate, p50, p99, hit_p50_ns, hit_p99, miss_p50,
        mixed_counts.l1_hits, mixed_counts.l2_hits, mixed_counts.misses, mixed_loads, hit_ratio,
        o.stampede, stampede_loads, stampede.seconds * 1000, errors);
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace redkit::cli
