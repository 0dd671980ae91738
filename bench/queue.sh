#!/usr/bin/env bash
# Distributed job queue: redkit's queue vs the reference (the reference document's JobQueue,
# TypeScript on Node with ioredis, bench/reference/) and BullMQ (npm, on Node), against ONE fresh
# redis-server, in one run.
#
#   bench/queue.sh [--runs R] [--jobs N] [--concurrency C] [--redkit PATH] [--skip-redkit]
#
# Each of R interleaved runs (FLUSHALL before each measurement) does the workload defined at the
# top of bench/reference/bench_queue.ts — N no-op jobs of type "noop", data { i }, enqueued with 64
# in flight, then drained by C concurrent workers, timed from the start of the workers to the N-th
# completion — with the reference on Redis, then BullMQ on Redis (bench_bullmq.ts:
# removeOnComplete, Queue.add with 64 in flight, a Worker of concurrency C), then
# `redkit bench queue` on Redis and on the embedded engine (memory://). Prints a Markdown table of
# medians, the target checks (PASS/FAIL: redkit on Redis jobs/s >= 5x the reference and >= 5x
# BullMQ) and the completed jobs against N. Fails if any run has errors or completes other than N
# jobs. --skip-redkit runs only the reference and BullMQ (to test the script).
#
# Needs redis-server and redis-cli (Debian: redis-server, redis-tools), Node 20 and npm; runs
# `npm ci` in bench/reference when its node_modules is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 jobs=20000 concurrency=8 -- "$@"
stores=(redis memory)
if ((skip_redkit)); then
  stores=()
else
  bench_check_redkit "$redkit" queue
fi

ref="$root/bench/reference"
bench_build_reference "$ref"

bench_start_redis
rcli() { redis-cli -p "$port" "$@"; }
declare -A store_url=([redis]="redis://127.0.0.1:$port" [memory]="memory://")

# check NAME JSON: fails on errors > 0 or completed != N, else prints the JSON's enqueue/s,
# jobs/s and completed.
check() {
  local errors completed f out=""
  errors=$(echo "$2" | json_field errors)
  [[ $errors == 0 ]] || { echo "$1: $errors errors: $2" >&2; exit 1; }
  completed=$(echo "$2" | json_field completed)
  [[ $completed == "$jobs" ]] || { echo "$1: $completed of $jobs jobs completed: $2" >&2; exit 1; }
  for f in enqueue_per_s jobs_per_s completed; do
    out+=" $(echo "$2" | json_field "$f")"
  done
  echo "${out# }"
}
# node_driver NAME: runs bench/reference/dist/bench_NAME.js on the workload (the drivers exit 1 on
# errors or completed != N, after printing their JSON line).
node_driver() {
  local out
  out=$(node "$ref/dist/bench_$1.js" --port "$port" --jobs "$jobs" --concurrency "$concurrency") ||
    { echo "bench_$1.js failed: $out" >&2; exit 1; }
  echo "$out"
}
redkit_bench() {
  "$redkit" bench queue --json "$@" || { echo "redkit bench queue $* failed" >&2; exit 1; }
}

results="$bench_dir/results"
: >"$results"
# (check's exit, in a command substitution, ends the script only from an assignment: hence
# fields=$(check ...) before each echo.)
for _ in $(seq "$runs"); do
  rcli flushall >/dev/null
  out=$(node_driver queue)
  fields=$(check reference "$out")
  echo "reference redis $fields" >>"$results"
  rcli flushall >/dev/null
  out=$(node_driver bullmq)
  fields=$(check bullmq "$out")
  echo "bullmq redis $fields" >>"$results"
  for s in "${stores[@]}"; do
    rcli flushall >/dev/null
    out=$(redkit_bench --store "${store_url[$s]}" --jobs "$jobs" --concurrency "$concurrency")
    fields=$(check "redkit on ${store_url[$s]}" "$out")
    echo "redkit $s $fields" >>"$results"
  done
done

# The results' columns: name, store, enqueue/s, jobs/s, completed.
ref_enqueue=$(col reference redis 3)
ref_jobs=$(col reference redis 4)
bullmq_enqueue=$(col bullmq redis 3)
bullmq_jobs=$(col bullmq redis 4)
row() {  # row LABEL NAME STORE
  local enqueue drain
  enqueue=$(col "$2" "$3" 3)
  drain=$(col "$2" "$3" 4)
  printf '| %s | %.0f | %.0f | %g | %.2f | %.2f | %.2f | %.2f |\n' "$1" "$enqueue" "$drain" \
    "$(col "$2" "$3" 5)" \
    "$(awk "BEGIN{print $enqueue / $ref_enqueue}")" "$(awk "BEGIN{print $drain / $ref_jobs}")" \
    "$(awk "BEGIN{print $enqueue / $bullmq_enqueue}")" "$(awk "BEGIN{print $drain / $bullmq_jobs}")"
}
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), node $(node --version)," \
  "bullmq $(node -p "require('$ref/node_modules/bullmq/package.json').version"), $(nproc) cores," \
  "$runs interleaved runs, $jobs no-op jobs enqueued 64 in flight then drained by $concurrency" \
  "workers, medians"
echo
echo "| implementation | enqueue/s | jobs/s | completed | enqueue × reference | jobs × reference |" \
  "enqueue × BullMQ | jobs × BullMQ |"
echo "|---|---|---|---|---|---|---|---|"
row "reference (Node, ioredis) on Redis" reference redis
row "BullMQ (Node) on Redis" bullmq redis
((skip_redkit)) || row "redkit on Redis" redkit redis
((skip_redkit)) || row "redkit on the engine" redkit memory
echo

if ((skip_redkit)); then
  echo "targets: skipped (--skip-redkit)"
else
  target "redkit on Redis jobs/s >= 5x reference" "$(col redkit redis 4)" \
    "$(awk "BEGIN{print 5 * $ref_jobs}")"
  target "redkit on Redis jobs/s >= 5x BullMQ" "$(col redkit redis 4)" \
    "$(awk "BEGIN{print 5 * $bullmq_jobs}")"
fi
completed_line="$(exact_count reference reference redis 5 "$jobs"); $(exact_count BullMQ bullmq redis 5 "$jobs")"
((skip_redkit)) || completed_line+="; $(exact_count "redkit on Redis" redkit redis 5 "$jobs")"
((skip_redkit)) || completed_line+="; $(exact_count "redkit on the engine" redkit memory 5 "$jobs")"
verdict=PASS
awk -v e="$jobs" '$5 != e {bad = 1} END {exit bad}' "$results" || verdict=FAIL
printf '%s: completed == %s (N) in every run: %s\n' "$verdict" "$jobs" "$completed_line"
