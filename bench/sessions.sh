#!/usr/bin/env bash
# Session authentication: redkit's sessions vs the reference (the reference document's AuthService,
# TypeScript on Node with ioredis, bench/reference/), against ONE fresh redis-server, in one run.
#
#   bench/sessions.sh [--runs R] [--users U] [--ops N] [--concurrency C] [--redkit PATH]
#                     [--skip-redkit]
#
# Each of R interleaved runs (FLUSHALL before each measurement) does the workload defined at the
# top of bench/reference/bench_sessions.ts — U users with 1 + (u % 7) devices each, one login per
# (user, device), then N validations of the live tokens, C in flight — with the reference on
# Redis, then `redkit bench sessions` on Redis and on the embedded engine (memory://). Prints a
# Markdown table of medians, the target checks (PASS/FAIL), live sessions against the exact
# expected count (sum over users of min(d_u, 5)), and the bytes per session (MEMORY USAGE,
# SAMPLES 0, summed over every key, over live sessions) after one login phase (and one
# validation) of the reference and of redkit on Redis. Fails if any run has errors.
# --skip-redkit runs only the reference (to test the script).
#
# Needs redis-server and redis-cli (Debian: redis-server, redis-tools), Node 20 and npm; runs
# `npm ci` in bench/reference when its node_modules is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 users=1250 ops=50000 concurrency=64 -- "$@"
stores=(redis memory)
if ((skip_redkit)); then
  stores=()
else
  bench_check_redkit "$redkit" sessions
fi

ref="$root/bench/reference"
bench_build_reference "$ref"

bench_start_redis
rcli() { redis-cli -p "$port" "$@"; }
declare -A store_url=([redis]="redis://127.0.0.1:$port" [memory]="memory://")
# The exact number of sessions left after the login phase: sum over users of min(d_u, 5).
expected=$(awk -v u="$users" 'BEGIN{for (i = 0; i < u; ++i) {d = 1 + i % 7; s += d < 5 ? d : 5}; print s}')

# check NAME JSON: fails on errors > 0, else prints the JSON's login/s, login p99, validations/s,
# validate p99, live sessions, max sessions per user and invalid validations.
check() {
  local errors f out=""
  errors=$(echo "$2" | json_field errors)
  [[ $errors == 0 ]] || { echo "$1: $errors errors: $2" >&2; exit 1; }
  for f in login_ops_per_s login_p99_us validate_ops_per_s validate_p99_us live_sessions \
    max_sessions_per_user invalid; do
    out+=" $(echo "$2" | json_field "$f")"
  done
  echo "${out# }"
}
reference() {
  node "$ref/dist/bench_sessions.js" --port "$port" "$@" || { echo "reference failed" >&2; exit 1; }
}
redkit_bench() {
  "$redkit" bench sessions --json "$@" || { echo "redkit bench sessions $* failed" >&2; exit 1; }
}

results="$bench_dir/results"
: >"$results"
for _ in $(seq "$runs"); do
  rcli flushall >/dev/null
  out=$(reference --users "$users" --ops "$ops" --concurrency "$concurrency")
  fields=$(check reference "$out")  # (an assignment, so that check's failure stops the script)
  echo "reference redis $fields" >>"$results"
  for s in "${stores[@]}"; do
    rcli flushall >/dev/null
    out=$(redkit_bench --store "${store_url[$s]}" --users "$users" --ops "$ops" \
      --concurrency "$concurrency")
    fields=$(check "redkit on ${store_url[$s]}" "$out")
    echo "redkit $s $fields" >>"$results"
  done
done

ref_login=$(col reference redis 3)
ref_validate=$(col reference redis 5)
row() {  # row LABEL NAME STORE
  local login validate
  login=$(col "$2" "$3" 3)
  validate=$(col "$2" "$3" 5)
  printf '| %s | %.0f | %.0f | %.0f | %.0f | %g | %g | %g | %.2f | %.2f |\n' "$1" \
    "$login" "$(col "$2" "$3" 4)" "$validate" "$(col "$2" "$3" 6)" "$(col "$2" "$3" 9)" \
    "$(col "$2" "$3" 7)" "$(col "$2" "$3" 8)" \
    "$(awk "BEGIN{print $login / $ref_login}")" "$(awk "BEGIN{print $validate / $ref_validate}")"
}
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), node $(node --version)," \
  "$(nproc) cores, $runs interleaved runs, $users users with 1 + (u % 7) devices," \
  "$(awk -v u="$users" 'BEGIN{for (i = 0; i < u; ++i) s += 1 + i % 7; print s}') logins," \
  "$ops validations, $concurrency in flight, medians"
echo
echo "| implementation | logins/s | login p99 us | validations/s | validate p99 us | invalid |" \
  "live sessions | max sessions per user | login × reference | validate × reference |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row "reference (Node, ioredis) on Redis" reference redis
((skip_redkit)) || row "redkit on Redis" redkit redis
((skip_redkit)) || row "redkit on the engine" redkit memory
echo

if ((skip_redkit)); then
  echo "targets: skipped (--skip-redkit)"
else
  target "redkit on Redis logins >= 4x reference" "$(col redkit redis 3)" \
    "$(awk "BEGIN{print 4 * $ref_login}")"
  target "redkit on Redis validations >= 3x reference" "$(col redkit redis 5)" \
    "$(awk "BEGIN{print 3 * $ref_validate}")"
fi
printf 'live sessions vs the expected %s (sum over users of min(d_u, 5)): %s' "$expected" \
  "$(exact_count reference reference redis 7 "$expected")"
((skip_redkit)) || printf '; %s; %s' "$(exact_count "redkit on Redis" redkit redis 7 "$expected")" \
  "$(exact_count "redkit on the engine" redkit memory 7 "$expected")"
echo
echo

# memory LABEL JSON: a table row of MEMORY USAGE (SAMPLES 0) summed over every key, and per
# live session.
memory() {
  local live sum
  live=$(echo "$2" | json_field live_sessions)
  sum=$(rcli --scan | sed 's/[\\"]/\\&/g; s/.*/MEMORY USAGE "&" SAMPLES 0/' | rcli |
    awk '/^[0-9]+$/ {++n; s += $1} END {print n + 0, s + 0}')
  ((live > 0)) || { echo "$1: no live sessions after the memory run" >&2; exit 1; }
  read -r keys bytes <<<"$sum"
  printf '| %s | %d | %d | %d | %.0f |\n' "$1" "$keys" "$bytes" "$live" \
    "$(awk "BEGIN{print $bytes / $live}")"
}
echo "MEMORY USAGE (SAMPLES 0) summed over every key, after one login phase of $users users"
echo
echo "| implementation | keys | bytes | live sessions | bytes per session |"
echo "|---|---|---|---|---|"
rcli flushall >/dev/null
out=$(reference --users "$users" --ops 1 --concurrency "$concurrency")
check "reference (memory)" "$out" >/dev/null
memory reference "$out"
if ((!skip_redkit)); then
  rcli flushall >/dev/null
  out=$(redkit_bench --store "redis://127.0.0.1:$port" --users "$users" --ops 1 \
    --concurrency "$concurrency")
  check "redkit (memory)" "$out" >/dev/null
  memory "redkit on Redis" "$out"
fi
