#!/usr/bin/env bash
# The embedded engine vs the Redis path from the same process, against ONE fresh redis-server,
# in one run.
#
#   bench/engine_vs_redis.sh [--runs R] [--ops N] [--keys K] [--concurrency C] [--redkit PATH]
#
# Workloads (redkit bench): set, get, zadd (ZADD + ZREVRANK in one pipeline), script (the
# reference's sliding-window-log limiter by EVALSHA over K keys, 60/min). Each runs on
# memory:// and on redis://, interleaved R times; medians and the engine/Redis ratio are printed
# as a Markdown table. Needs redis-server and redis-cli (Debian: redis-server, redis-tools).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=5
ops=300000
keys=10000
concurrency=64
redkit="$root/build/release/apps/redkit/redkit"
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --redkit) redkit=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x $redkit ]] || { echo "build first: scripts/run --help (or pass --redkit PATH)" >&2; exit 1; }

source "$root/bench/lib.sh"
bench_start_redis

results="$bench_dir/results"
: >"$results"
workloads=(set get zadd script)
for _ in $(seq "$runs"); do
  for w in "${workloads[@]}"; do
    for store in "memory://" "redis://127.0.0.1:$port"; do
      redis-cli -p "$port" flushall >/dev/null
      out=$("$redkit" bench "$w" --store "$store" --ops "$ops" --keys "$keys" \
        --concurrency "$concurrency" --json)
      errors=$(echo "$out" | json_field errors)
      [[ $errors == 0 ]] || { echo "$w on $store: $errors errors" >&2; exit 1; }
      echo "$w ${store%%:*} $(echo "$out" | json_field ops_per_s) $(echo "$out" | json_field p99_us)" >>"$results"
    done
  done
done

echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores," \
  "$runs interleaved runs, $ops ops, $keys keys, $concurrency in flight, medians"
echo
echo "| workload | engine ops/s | p99 us | Redis ops/s | p99 us | engine / Redis |"
echo "|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  e=$(col "$w" memory 3)
  r=$(col "$w" redis 3)
  printf '| %s | %.0f | %.0f | %.0f | %.0f | %.1f |\n' "$w" "$e" "$(col "$w" memory 4)" \
    "$r" "$(col "$w" redis 4)" "$(awk "BEGIN{print $e / $r}")"
done
