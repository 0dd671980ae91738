// Codec micro-benchmarks: replies parsed per second for the shapes the hot path sees, and
// commands encoded per second. Run: build/release/bench/redkit_microbench
#include <redkit/command.hpp>
#include <redkit/resp.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

// Parses a buffer holding `count` copies of `one`, reply by reply, as the client does.
void parse_many(benchmark::State& state, const std::string& one) {
  constexpr int count = 1000;
  std::string buf;
  for (int i = 0; i < count; ++i) buf += one;
  redkit::resp::parser p;
  for (auto _ : state) {
    std::string_view in(buf);
    while (!in.empty()) {
      in.remove_prefix(p.parse(in));
      if (!p.has_reply()) break;
      benchmark::DoNotOptimize(p.take());
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buf.size()));
}

void BM_parse_simple_ok(benchmark::State& s) { parse_many(s, "+OK\r\n"); }
void BM_parse_bulk_16(benchmark::State& s) { parse_many(s, "$16\r\n0123456789abcdef\r\n"); }
void BM_parse_array_3(benchmark::State& s) { parse_many(s, "*3\r\n:1\r\n:57\r\n:60000\r\n"); }
void BM_parse_map_2(benchmark::State& s) {
  parse_many(s, "%2\r\n$4\r\nname\r\n$5\r\nalice\r\n$5\r\nscore\r\n,1234.5\r\n");
}

void BM_encode_set(benchmark::State& state) {
  const std::string key = "rk:lb:{weekly}:scores", value(16, 'x');
  for (auto _ : state) {
    redkit::command c{"SET", key, value, "PX", 60000};
    benchmark::DoNotOptimize(c.wire().data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_parse_simple_ok);
BENCHMARK(BM_parse_bulk_16);
BENCHMARK(BM_parse_array_3);
BENCHMARK(BM_parse_map_2);
BENCHMARK(BM_encode_set);

}  // namespace
