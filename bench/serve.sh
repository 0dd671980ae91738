#!/usr/bin/env bash
# HTTP: `redkit serve` vs the reference Express app (bench/reference/express_app.ts: the
# reference's cookie-parser, session middleware and rate-limit middleware on Node with ioredis),
# both answering GET /api/ping through their session and rate-limit middleware, against ONE
# fresh redis-server, in one run; plus `redkit serve` on the embedded engine.
#
#   bench/serve.sh [--runs R] [--seconds S] [--connections C] [--threads T] [--redkit PATH]
#
# Each of R interleaved runs (FLUSHALL before each measurement) drives each server with
# `wrk -tT -cC -dSs --latency` (defaults: 5 runs, 10 s, 64 connections, 2 threads). Every
# request is anonymous and from 127.0.0.1, so all share one rate-limit key; the anonymous
# tier is raised to 100,000,000 per second on both sides (same algorithm, the reference's
# sliding log) so that nothing is denied. Prints a Markdown table of medians (requests/s and
# p99) and the target check (redkit on Redis >= 10x the reference's requests/s, with a lower
# p99). A last row is the HTTP ceiling of the machine as measured: redkit's GET /healthz, which
# passes through no middleware and no store, so no /api/ping server can beat it here; and the
# machine's HTTP floor: bench/http_floor.c, a C epoll loop (2 threads) that answers every request
# head it reads with a fixed 200 and does nothing else, the most requests/s any server can get
# from this wrk on this machine. Fails if any run had a non-2xx answer or a socket error.
#
# Needs wrk (Debian: wrk), redis-server and redis-cli (redis-server, redis-tools), Node 20 and
# npm; runs `npm ci` in bench/reference when its node_modules is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 seconds=10 connections=64 threads=2 -- "$@"
[[ -x $redkit ]] || { echo "build first: scripts/run --help (or pass --redkit PATH)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
ref="$root/bench/reference"
bench_build_reference "$ref"
bench_start_redis
limit=100000000
floor="$bench_dir/http_floor"
cc -O2 -pthread -o "$floor" "$root/bench/http_floor.c"

# measure NAME STORE PATH CMD...: starts the server CMD (it must print "listening on
# http://H:P"), measures PATH with wrk and appends "NAME STORE requests/s p99_ms" to $results.
results="$bench_dir/results"
: >"$results"
measure() {
  local name=$1 store=$2 path=$3
  shift 3
  local log="$bench_dir/$name-$store.log"
  "$@" >"$log" 2>&1 &
  local pid=$! url=""
  for _ in $(seq 100); do
    url=$(sed -nE 's|.*listening on (http://[0-9.]+:[0-9]+).*|\1|p' "$log" | head -1)
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { echo "$name did not start: $(cat "$log")" >&2; kill $pid; exit 1; }
  curl -sf "$url$path" >/dev/null ||
    { echo "$name: $path failed: $(curl -si "$url$path"; cat "$log")" >&2; kill $pid; exit 1; }
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$url$path")
  kill $pid
  wait $pid 2>/dev/null || true
  if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
    echo "$name on $store: errors: $out" >&2
    exit 1
  fi
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  # wrk prints the p99 as e.g. 812.00us, 13.59ms or 1.20s: in ms.
  p99=$(awk '$1 == "99%" { v = $2; f = 1
          if (v ~ /us$/) f = 0.001; else if (v ~ /ms$/) f = 1; else if (v ~ /s$/) f = 1000
          sub(/[a-z]+$/, "", v); print v * f }' <<<"$out")
  echo "$name $store $rps $p99" >>"$results"
}

# Both servers take any free port (0) and print it. `exec`: measure's `kill $!` must reach the
# server itself, not a subshell that would leave it running.
redkit_serve() {
  exec "$redkit" serve --store "$1" --port 0 --no-access-log --tier "anonymous=$limit/1s"
}
floor_serve() { exec "$floor" 2; }
reference_serve() {
  REDIS_PORT=$port PORT=0 ANONYMOUS_LIMIT=$limit ANONYMOUS_WINDOW_MS=1000 \
    exec node "$ref/dist/express_app.js"
}

for _ in $(seq "$runs"); do
  redis-cli -p "$port" flushall >/dev/null
  measure reference redis /api/ping reference_serve
  redis-cli -p "$port" flushall >/dev/null
  measure redkit redis /api/ping redkit_serve "redis://127.0.0.1:$port"
  measure redkit engine /api/ping redkit_serve memory://
  measure ceiling engine /healthz redkit_serve memory://
  measure floor none /healthz floor_serve
done

echo "GET /api/ping through the session and rate-limit middleware, wrk -t$threads" \
  "-c$connections -d${seconds}s, medians of $runs runs"
echo
echo "| server | store | requests/s | p99 (ms) | × reference |"
echo "|---|---|---|---|---|"
ref_rps=$(col reference redis 3)
for row in "reference redis Express" "redkit redis redkit" "redkit engine redkit" \
  "ceiling engine redkit_GET_/healthz_(no_middleware)" \
  "floor none HTTP_floor:_a_fixed_200,_nothing_else"; do
  read -r name store label <<<"$row"
  label=${label//_/ }
  rps=$(col "$name" "$store" 3)
  printf '| %s | %s | %.0f | %.2f | %.2f |\n' "$label" "$store" "$rps" "$(col "$name" "$store" 4)" \
    "$(awk "BEGIN{print $rps / $ref_rps}")"
done
echo
target "redkit on Redis requests/s >= 10x the reference" "$(col redkit redis 3)" \
  "$(awk "BEGIN{print 10 * $ref_rps}")"
ref_p99=$(col reference redis 4)
rk_p99=$(col redkit redis 4)
verdict=FAIL
awk "BEGIN{exit !($rk_p99 < $ref_p99)}" && verdict=PASS
printf '%s: redkit on Redis p99 below the reference'"'"'s (%.2f ms vs %.2f ms)\n' "$verdict" "$rk_p99" \
  "$ref_p99"
