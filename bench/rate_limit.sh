#!/usr/bin/env bash
# Rate limiting: redkit's limiter vs the reference (the reference document's Express middleware,
# TypeScript on Node with ioredis, bench/reference/) vs the redis-benchmark ceiling, against ONE
# fresh redis-server, in one run.
#
#   bench/rate_limit.sh [--runs R] [--ops N] [--keys K] [--concurrency C] [--redkit PATH]
#                       [--skip-redkit]
#
# Each of R interleaved runs (FLUSHALL before each measurement) does N checks over K ids with C
# in flight, 60/min: the reference on Redis; `redkit bench ratelimit` with each algorithm on
# Redis and on the embedded engine (memory://); and redis-benchmark running the reference's
# exact script by EVALSHA (with a fixed "now") as the ceiling. Prints a Markdown table of
# medians, the target checks (PASS/FAIL), and MEMORY USAGE (SAMPLES 0, every element) of one
# key after 1000 checks of one id at the premium tier (1000/min). Fails if any run has errors.
# --skip-redkit runs only the reference and the ceiling (to test the script).
#
# Needs redis-server, redis-cli and redis-benchmark (Debian: redis-server, redis-tools), Node 20
# and npm; runs `npm ci` in bench/reference when its node_modules is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 ops=200000 keys=10000 concurrency=64 -- "$@"
algorithms=(sliding_log sliding_window gcra fixed_window)
if ((skip_redkit)); then
  algorithms=()
else
  bench_check_redkit "$redkit" ratelimit
fi

ref="$root/bench/reference"
bench_build_reference "$ref"
# The reference's Lua script, exactly as its template literal holds it.
lua=$'\n'$(sed -n '/^const rateLimitScript = `$/,/^`;$/p' "$ref/rate_limiter.ts" | sed '1d;$d')$'\n'

bench_start_redis
rcli() { redis-cli -p "$port" "$@"; }

# check NAME JSON: fails on errors > 0, else prints the JSON's checks/s and p99.
check() {
  local errors
  errors=$(echo "$2" | json_field errors)
  [[ $errors == 0 ]] || { echo "$1: $errors errors: $2" >&2; exit 1; }
  echo "$(echo "$2" | json_field ops_per_s) $(echo "$2" | json_field p99_us)"
}
reference() { node "$ref/dist/bench_rate_limit.js" --port "$port" "$@"; }
redkit_bench() {
  "$redkit" bench ratelimit --window-ms 60000 --json "$@" ||
    { echo "redkit bench ratelimit $* failed" >&2; exit 1; }
}

results="$bench_dir/results"
: >"$results"
sha=$(rcli script load "$lua")
for _ in $(seq "$runs"); do
  rcli flushall >/dev/null
  out=$(reference --ops "$ops" --keys "$keys" --concurrency "$concurrency") ||
    { echo "reference failed: $out" >&2; exit 1; }
  figures=$(check reference "$out")
  echo "reference redis $figures" >>"$results"
  for a in "${algorithms[@]}"; do
    for store in "redis://127.0.0.1:$port" "memory://"; do
      rcli flushall >/dev/null
      out=$(redkit_bench --store "$store" --algorithm "$a" --keys "$keys" --ops "$ops" \
        --concurrency "$concurrency" --limit 60)
      figures=$(check "$a on $store" "$out")
      echo "$a ${store%%:*} $figures" >>"$results"
    done
  done
  rcli flushall >/dev/null
  rcli config resetstat >/dev/null
  now=$(($(date +%s%N) / 1000000))
  redis-benchmark -p "$port" -c "$concurrency" -n "$ops" -r "$keys" --csv \
    EVALSHA "$sha" 1 'rl:__rand_int__' 60 60000 "$now" |
    tail -1 | tr -d '"' | awk -F, '{print "ceiling redis", $2, $7 * 1000}' >>"$results"
  # redis-benchmark does not count error replies: the server does.
  ! rcli info errorstats | grep errorstat_ >&2 || { echo "ceiling: error replies" >&2; exit 1; }
done

ref_rate=$(col reference redis 3)
ceiling=$(col ceiling redis 3)
row() {  # row LABEL NAME STORE
  local r
  r=$(col "$2" "$3" 3)
  printf '| %s | %.0f | %.0f | %.2f | %.2f |\n' "$1" "$r" "$(col "$2" "$3" 4)" \
    "$(awk "BEGIN{print $r / $ref_rate}")" "$(awk "BEGIN{print $r / $ceiling}")"
}
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), node $(node --version)," \
  "$(nproc) cores, $runs interleaved runs, $ops checks over $keys ids, $concurrency in flight," \
  "60/min, medians"
echo
echo "| limiter | checks/s | p99 us | × reference | × ceiling |"
echo "|---|---|---|---|---|"
row "reference (Node, ioredis, EVAL) on Redis" reference redis
for a in "${algorithms[@]}"; do row "redkit $a on Redis" "$a" redis; done
row "ceiling: redis-benchmark EVALSHA of the reference's script" ceiling redis
for a in "${algorithms[@]}"; do row "redkit $a on the engine" "$a" memory; done
echo

if ((skip_redkit)); then
  echo "targets: skipped (--skip-redkit)"
else
  sl=$(col sliding_log redis 3)
  target "redkit sliding_log on Redis >= 0.9x ceiling" "$sl" "$(awk "BEGIN{print 0.9 * $ceiling}")"
  target "redkit sliding_log on Redis >= reference" "$sl" "$ref_rate"
  target "redkit gcra on Redis >= 4x reference" "$(col gcra redis 3)" \
    "$(awk "BEGIN{print 4 * $ref_rate}")"
  for a in "${algorithms[@]}"; do
    target "engine $a >= 10x $a on Redis" "$(col "$a" memory 3)" \
      "$(awk "BEGIN{print 10 * $(col "$a" redis 3)}")"
  done
fi
echo

# memory KEY: MEMORY USAGE of KEY (every element), failing if there is no such key.
memory() {
  local m
  m=$(rcli memory usage "$1" samples 0)
  [[ $m =~ ^[0-9]+$ ]] || { echo "no key $1 after the memory run" >&2; exit 1; }
  echo "$m"
}
echo "MEMORY USAGE per key at the premium tier (1000/min), after 1000 checks of one id"
echo
echo "| limiter | key | bytes |"
echo "|---|---|---|"
rcli flushall >/dev/null
out=$(reference --tier premium --keys 1 --ops 1000) || { echo "reference failed: $out" >&2; exit 1; }
check "reference (memory)" "$out" >/dev/null
bytes=$(memory ratelimit:premium:0)
echo "| reference | ratelimit:premium:0 | $bytes |"
declare -A suffix=([sliding_log]=log [sliding_window]=sw [gcra]=gcra [fixed_window]=fw)
for a in "${algorithms[@]}"; do
  rcli flushall >/dev/null
  out=$(redkit_bench --store "redis://127.0.0.1:$port" --algorithm "$a" --keys 1 --ops 1000 \
    --limit 1000)
  check "$a (memory)" "$out" >/dev/null
  key="rk:rl:{bench:0}:bench:${suffix[$a]}"
  bytes=$(memory "$key")
  echo "| redkit $a | $key | $bytes |"
done
