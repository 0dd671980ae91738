// Shared by the `redkit bench` workloads: their options, and the closed-loop driver that keeps
// C operations in flight and times each one.
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace redkit::cli {

namespace asio = boost::asio;
using bench_clock = std::chrono::steady_clock;

struct bench_options {
  std::string workload;
  std::string url = "redis://127.0.0.1:6379";
  std::uint64_t ops = 100000;
  std::uint64_t keys = 10000;
  unsigned concurrency = 64;
  std::size_t value_size = 16;
  int timeout_ms = 5000;
  bool json = false;
  // ratelimit
  std::string algorithm = "sliding_log";
  std::uint64_t limit = 60;
  std::uint64_t window_ms = 60000;
  // sessions
  std::uint64_t users = 1250;
  // queue
  std::uint64_t jobs = 20000;
  // leaderboard
  std::uint64_t players = 10000;
  std::uint64_t reads = 10000;
  // cache
  double hit_ratio = 0.9;
  std::string l1 = "auto";
  std::uint64_t loader_us = 1000;
  std::uint64_t stampede = 1000;
};

/// A stride near keys × 0.618 that is coprime with `keys`, so i × stride mod keys visits
/// every id once per `keys` operations.
inline std::uint64_t coprime_stride(std::uint64_t keys) {
  auto stride = std::max<std::uint64_t>(1, keys * 618 / 1000);
  while (std::gcd(stride, keys) != 1) ++stride;
  return stride;
}

/// One closed-loop run: its wall time, failed operations, and each operation's latency.
struct phase_result {
  double seconds = 0;
  std::uint64_t errors = 0;
  std::vector<std::uint32_t> latencies_ns;
};

/// The `p` quantile (0-1) of `v` (latencies in ns), in ns (reorders `v`).
inline std::uint64_t percentile_ns(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

/// The same in whole µs.
inline std::uint64_t percentile_us(std::vector<std::uint32_t>& v, double p) {
  return percentile_ns(v, p) / 1000;
}

/// Runs `op(0)` .. `op(n - 1)` (each returning an awaitable) with `concurrency` in flight on
/// `ioc`, which this drives until they are done; an operation that throws counts as an error.
template <typename Op>
phase_result closed_loop(asio::io_context& ioc, unsigned concurrency, std::uint64_t n, Op op) {
  phase_result res;
  res.latencies_ns.resize(n);
  std::uint64_t next = 0;
  unsigned running = concurrency;
  auto worker = [&]() -> asio::awaitable<void> {
    // One clock read per operation: a worker starts its next operation as soon as one ends,
    // so the end of one is the start of the next (a read costs as much as an engine GET).
    auto t0 = bench_clock::now();
    for (;;) {
      const auto i = next++;
      if (i >= n) break;
      try {
        co_await op(i);
      } catch (const std::exception&) {
        ++res.errors;
      }
      const auto t1 = bench_clock::now();
      res.latencies_ns[i] = static_cast<std::uint32_t>(std::min<std::int64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count(), UINT32_MAX));
      t0 = t1;
    }
    --running;
  };
  const auto start = bench_clock::now();
  for (unsigned c = 0; c < concurrency; ++c) asio::co_spawn(ioc, worker(), asio::detached);
  // The store's own work on `ioc` is only its connection: stop when the workers are done.
  while (running > 0) ioc.run_one();
  res.seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
  return res;
}

/// `n` operations over `r`'s wall time, per second.
inline double per_second(std::uint64_t n, const phase_result& r) {
  return r.seconds > 0 ? static_cast<double>(n) / r.seconds : 0;
}

/// The store `o.url` names, with its I/O on `ioc` and `o.timeout_ms` as its deadlines.
std::shared_ptr<store> open_bench_store(asio::io_context& ioc, const bench_options& o);

/// Runs `task` on `ioc` (driving it) until it finishes; rethrows what it throws.
inline void drive(asio::io_context& ioc, asio::awaitable<void> task) {
  bool done = false;
  std::exception_ptr failure;
  asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  while (!done) ioc.run_one();
  if (failure) std::rethrow_exception(failure);
}

/// `redkit bench queue`: enqueue, then drain with one worker (bench_queue.cpp).
int run_queue_bench(const bench_options& o);

/// `redkit bench sessions`: the login phase, then the validate phase (bench_sessions.cpp).
int run_sessions_bench(const bench_options& o);
/// `redkit bench leaderboard`: the update phase, then the top, around and page read phases
/// (bench_leaderboard.cpp).
int run_leaderboard_bench(const bench_options& o);
/// `redkit bench cache`: get_or_load at a hit ratio, then a stampede (bench_cache.cpp).
int run_cache_bench(const bench_options& o);

}  // namespace redkit::cli
