#!/usr/bin/env bash
# The cache layer: L2-only against L1+L2, on ONE fresh redis-server and on the embedded engine,
# in one run. There is no reference implementation to compare with (the reference document's
# cache section has no body); PING's round trip is measured alongside as the floor of any
# call that reaches Redis.
#
#   bench/cache.sh [--runs R] [--keys K] [--ops N] [--concurrency C] [--bytes B]
#                  [--loader U] [--stampede S] [--redkit PATH]
#
# Each of R interleaved runs (FLUSHALL before each measurement) does, with `redkit bench cache`
# (see apps/redkit/bench_cache.cpp for the workload):
# - hit latency: N/5 get_or_load of K cached keys of B bytes, one in flight (hit ratio 1), with
#   L1 on and
#   off on Redis and on the engine, and `redkit bench ping` (one in flight) on Redis;
# - throughput: N get_or_load with C in flight at a 90% hit ratio (misses call a loader that
#   takes U us), then a stampede of S concurrent callers of one new key, for the same four
#   configurations.
# Prints Markdown tables of medians and the checks (PASS/FAIL: L1+L2 above L2-only on Redis at
# 90% hits; exactly one loader call per stampede in every run; no errors).
#
# Needs redis-server and redis-cli (Debian: redis-server, redis-tools).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 keys=10000 ops=100000 concurrency=64 bytes=1000 loader=1000 stampede=1000 \
  -- "$@"
bench_check_redkit "$redkit" cache

bench_start_redis
rcli() { redis-cli -p "$port" "$@"; }
declare -A store_url=([redis]="redis://127.0.0.1:$port" [memory]="memory://")
configs=("redis off" "redis on" "memory off" "memory on")

# check NAME JSON: fails on errors > 0, else prints the JSON's ops/s, p50 us, p99 us, hit p50
# ns, hit p99 us, miss p50 us, measured hit ratio, stampede loader calls and stampede ms.
check() {
  local errors f out=""
  errors=$(echo "$2" | json_field errors)
  [[ $errors == 0 ]] || { echo "$1: $errors errors: $2" >&2; exit 1; }
  for f in ops_per_s p50_us p99_us hit_p50_ns hit_p99_us miss_p50_us hit_ratio stampede_loads \
    stampede_ms; do
    out+=" $(echo "$2" | json_field "$f")"
  done
  echo "${out# }"
}
cache_bench() {
  "$redkit" bench cache --json --keys "$keys" --value-size "$bytes" --loader-us "$loader" "$@" ||
    { echo "redkit bench cache $* failed" >&2; exit 1; }
}

results="$bench_dir/results"
: >"$results"
latency_ops=$((ops / 5))
for _ in $(seq "$runs"); do
  out=$("$redkit" bench ping --json --store "${store_url[redis]}" --ops "$latency_ops" -c 1)
  echo "ping redis $(echo "$out" | json_field p50_us) $(echo "$out" | json_field p99_us)" \
    >>"$results"
  for cfg in "${configs[@]}"; do
    read -r s l1 <<<"$cfg"
    rcli flushall >/dev/null
    out=$(cache_bench --store "${store_url[$s]}" --l1 "$l1" --ops "$latency_ops" -c 1 \
      --hit-ratio 1 --stampede 0)
    echo "latency-$l1 $s $(check "latency $cfg" "$out")" >>"$results"
    rcli flushall >/dev/null
    out=$(cache_bench --store "${store_url[$s]}" --l1 "$l1" --ops "$ops" -c "$concurrency" \
      --hit-ratio 0.9 --stampede "$stampede")
    echo "mixed-$l1 $s $(check "mixed $cfg" "$out")" >>"$results"
  done
done

# The results' columns: name, store, then check's fields from column 3 on.
label() {  # label STORE L1
  local where="Redis"
  [[ $1 == memory ]] && where="the engine"
  [[ $2 == on ]] && echo "L1+L2 on $where" || echo "L2 only on $where"
}
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores," \
  "$runs interleaved runs, $keys keys of $bytes bytes, medians"
echo
echo "Hit latency: $latency_ops get_or_load of cached keys, one in flight (an L1 hit with L1 on, an"
echo "L2 hit without)"
echo
echo "| configuration | hit p50 ns | hit p99 us | calls/s |"
echo "|---|---|---|---|"
for cfg in "redis on" "redis off" "memory off" "memory on"; do
  read -r s l1 <<<"$cfg"
  printf '| %s | %.0f | %g | %.0f |\n' "$(label "$s" "$l1")" "$(col "latency-$l1" "$s" 6)" \
    "$(col "latency-$l1" "$s" 7)" "$(col "latency-$l1" "$s" 3)"
done
printf '| PING round trip on Redis (reference) | %.0f | %g | |\n' "$(awk "BEGIN{print $(col ping redis 3) * 1000}")" \
  "$(col ping redis 4)"
echo
echo "Throughput: $ops get_or_load, $concurrency in flight, 90% hits (a miss loads for $loader us" \
  "and writes L2); then $stampede concurrent callers of one new key"
echo
echo "| configuration | calls/s | p50 us | p99 us | hit p50 ns | miss p50 us | hit ratio |" \
  "stampede loader calls (max) | stampede ms | calls/s × L2 only on Redis |"
echo "|---|---|---|---|---|---|---|---|---|---|"
base=$(col mixed-off redis 3)
for cfg in "redis off" "redis on" "memory off" "memory on"; do
  read -r s l1 <<<"$cfg"
  rate=$(col "mixed-$l1" "$s" 3)
  printf '| %s | %.0f | %g | %g | %.0f | %g | %.4f | %d | %.1f | %.2f |\n' "$(label "$s" "$l1")" \
    "$rate" "$(col "mixed-$l1" "$s" 4)" "$(col "mixed-$l1" "$s" 5)" "$(col "mixed-$l1" "$s" 6)" \
    "$(col "mixed-$l1" "$s" 8)" "$(col "mixed-$l1" "$s" 9)" \
    "$(awk -v n="mixed-$l1" -v s="$s" '$1==n && $2==s && $10>m {m=$10} END {print m+0}' "$results")" \
    "$(col "mixed-$l1" "$s" 11)" "$(awk "BEGIN{print $rate / $base}")"
done
echo
target "L1+L2 calls/s on Redis at 90% hits above L2 only" "$(col mixed-on redis 3)" "$base"
verdict=PASS
awk -v s="$stampede" '$1 ~ /^mixed-/ && s > 0 && $10 != 1 {bad = 1} END {exit bad}' "$results" ||
  verdict=FAIL
echo "$verdict: one loader call per $stampede-caller stampede in every run and configuration"
