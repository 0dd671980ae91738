#!/usr/bin/env bash
# Client throughput vs the redis-benchmark ceiling, against ONE fresh redis-server, in one run.
#
#   bench/client_set.sh [--runs R] [--ops N] [--redkit PATH]
#
# For 64, 256 and 1024 requests in flight it runs, interleaved R times (medians reported):
#   redis-benchmark -t set -P 64 -c {1,4,16}         (64 x c requests in flight)
#   redkit bench set --concurrency {64,256,1024}     (one pipelined connection)
# Same value size (16 B) and key space (10,000 keys) for both. Prints a Markdown table with
# ops/s, p99 and the ratio redkit / redis-benchmark. Needs redis-server, redis-cli and
# redis-benchmark (Debian: redis-server, redis-tools) and a built redkit (scripts/run builds it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=5
ops=1000000
redkit="$root/build/release/apps/redkit/redkit"
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --redkit) redkit=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x $redkit ]] || { echo "build first: scripts/run --help (or pass --redkit PATH)" >&2; exit 1; }

# A free loopback port: ask the kernel for one through redis-server itself is not possible,
# so probe upwards from a random start until nothing answers there.
source "$root/bench/lib.sh"
bench_start_redis

results="$bench_dir/results"
: >"$results"
for _ in $(seq "$runs"); do
  for c in 1 4 16; do
    inflight=$((64 * c))
    line=$(redis-benchmark -p "$port" -t set -P 64 -c "$c" -n "$ops" -r 10000 -d 16 --csv | tail -1)
    rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
    p99_ms=$(echo "$line" | cut -d, -f7 | tr -d '"')
    echo "$inflight redis-benchmark $rps $(awk "BEGIN{print $p99_ms * 1000}")" >>"$results"
    out=$("$redkit" bench set --store "redis://127.0.0.1:$port" --ops "$ops" --keys 10000 \
      --value-size 16 --concurrency "$inflight" --json)
    echo "$inflight redkit $(echo "$out" | json_field ops_per_s) $(echo "$out" | json_field p99_us)" >>"$results"
  done
done

echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores," \
  "$runs interleaved runs of $ops SETs each, medians"
echo
echo "| in flight | redis-benchmark ops/s | p99 us | redkit ops/s | p99 us | redkit / redis-benchmark |"
echo "|---|---|---|---|---|---|"
for inflight in 64 256 1024; do
  b=$(col "$inflight" redis-benchmark 3)
  r=$(col "$inflight" redkit 3)
  printf '| %s (-P 64 -c %s) | %.0f | %.0f | %.0f | %.0f | %.2f |\n' "$inflight" $((inflight / 64)) \
    "$b" "$(col "$inflight" redis-benchmark 4)" "$r" "$(col "$inflight" redkit 4)" \
    "$(awk "BEGIN{print $r / $b}")"
done
