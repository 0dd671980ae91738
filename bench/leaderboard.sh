#!/usr/bin/env bash
# Real-time leaderboards: redkit's leaderboard vs the reference (the reference document's
# Leaderboard, TypeScript on Node with ioredis, bench/reference/), against ONE fresh
# redis-server, in one run.
#
#   bench/leaderboard.sh [--runs R] [--players P] [--ops N] [--reads R] [--concurrency C]
#                        [--redkit PATH] [--skip-redkit]
#
# Each of R interleaved runs (FLUSHALL before each measurement) does the workload defined at the
# top of bench/reference/bench_leaderboard.ts — one board of P players (maxSize P), N score
# updates in a scattered player order, then R getTop(10), R getAroundPlayer(id, 5) and R
# getPage(n, 20), C in flight — with the reference on Redis, then `redkit bench leaderboard` on
# Redis and on the embedded engine (memory://). Prints a Markdown table of medians, the target
# checks (PASS/FAIL: every operation of redkit on Redis >= 3x the reference), the players on the
# board against the exact expected count (min(N, P)), and the bytes per player (MEMORY USAGE,
# SAMPLES 0, summed over every key, over the players on the board) after one update phase (and
# one read of each kind) of the reference and of redkit on Redis. Fails if any run has errors.
# --skip-redkit runs only the reference (to test the script).
#
# Needs redis-server and redis-cli (Debian: redis-server, redis-tools), Node 20 and npm; runs
# `npm ci` in bench/reference when its node_modules is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_options runs=5 players=10000 ops=100000 reads=10000 concurrency=64 -- "$@"
stores=(redis memory)
if ((skip_redkit)); then
  stores=()
else
  bench_check_redkit "$redkit" leaderboard
fi

ref="$root/bench/reference"
bench_build_reference "$ref"

bench_start_redis
rcli() { redis-cli -p "$port" "$@"; }
declare -A store_url=([redis]="redis://127.0.0.1:$port" [memory]="memory://")
# The exact number of players on the board after the update phase: update i sets player
# (i * S) % P with S coprime with P, so the first min(N, P) updates each add a new player, and
# maxSize = P trims none.
expected=$((ops < players ? ops : players))

# check NAME JSON: fails on errors > 0, else prints the JSON's updates/s, update p99, top/s, top
# p99, around/s, around p99, pages/s, page p99, board players and update p50.
check() {
  local errors f out=""
  errors=$(echo "$2" | json_field errors)
  [[ $errors == 0 ]] || { echo "$1: $errors errors: $2" >&2; exit 1; }
  for f in update_ops_per_s update_p99_us top_ops_per_s top_p99_us around_ops_per_s \
    around_p99_us page_ops_per_s page_p99_us board_players update_p50_us; do
    out+=" $(echo "$2" | json_field "$f")"
  done
  echo "${out# }"
}
reference() {
  node "$ref/dist/bench_leaderboard.js" --port "$port" "$@" || { echo "reference failed" >&2; exit 1; }
}
redkit_bench() {
  "$redkit" bench leaderboard --json "$@" ||
    { echo "redkit bench leaderboard $* failed" >&2; exit 1; }
}

results="$bench_dir/results"
: >"$results"
for _ in $(seq "$runs"); do
  rcli flushall >/dev/null
  out=$(reference --players "$players" --ops "$ops" --reads "$reads" --concurrency "$concurrency")
  fields=$(check reference "$out")  # (an assignment, so that check's failure stops the script)
  echo "reference redis $fields" >>"$results"
  for s in "${stores[@]}"; do
    rcli flushall >/dev/null
    out=$(redkit_bench --store "${store_url[$s]}" --players "$players" --ops "$ops" \
      --reads "$reads" --concurrency "$concurrency")
    fields=$(check "redkit on ${store_url[$s]}" "$out")
    echo "redkit $s $fields" >>"$results"
  done
done

# The results' columns: name, store, then check's fields from column 3 on.
operations=(update top around page)
declare -A ops_col=([update]=3 [top]=5 [around]=7 [page]=9)
declare -A ref_rate
for op in "${operations[@]}"; do ref_rate[$op]=$(col reference redis "${ops_col[$op]}"); done
row() {  # row LABEL NAME STORE
  local op rate line="| $1 |" ratios=""
  for op in "${operations[@]}"; do
    rate=$(col "$2" "$3" "${ops_col[$op]}")
    line+=$(printf ' %.0f | %.0f |' "$rate" "$(col "$2" "$3" $((ops_col[$op] + 1)))")
    ratios+=$(printf ' %.2f |' "$(awk "BEGIN{print $rate / ${ref_rate[$op]}}")")
  done
  line+=$(printf ' %g |' "$(col "$2" "$3" 11)")
  echo "$line$ratios"
}
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), node $(node --version)," \
  "$(nproc) cores, $runs interleaved runs, $players players, $ops updates, $reads reads of each" \
  "kind, $concurrency in flight, medians"
echo
echo "| implementation | updates/s | update p99 us | top/s | top p99 us | around/s |" \
  "around p99 us | pages/s | page p99 us | board players | update × reference |" \
  "top × reference | around × reference | page × reference |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
row "reference (Node, ioredis) on Redis" reference redis
((skip_redkit)) || row "redkit on Redis" redkit redis
((skip_redkit)) || row "redkit on the engine" redkit memory
echo

if ((skip_redkit)); then
  echo "targets: skipped (--skip-redkit)"
else
  declare -A op_label=([update]="updates" [top]="top(10) reads" [around]="around-player reads"
    [page]="page reads")
  for op in "${operations[@]}"; do
    target "redkit on Redis ${op_label[$op]} >= 3x reference" "$(col redkit redis "${ops_col[$op]}")" \
      "$(awk "BEGIN{print 3 * ${ref_rate[$op]}}")"
  done
fi
board_line=$(exact_count reference reference redis 11 "$expected")
((skip_redkit)) || board_line+="; $(exact_count "redkit on Redis" redkit redis 11 "$expected")"
((skip_redkit)) || board_line+="; $(exact_count "redkit on the engine" redkit memory 11 "$expected")"
verdict=PASS
awk -v e="$expected" '$11 != e {bad = 1} END {exit bad}' "$results" || verdict=FAIL
printf '%s: board players == %s (min(N, P)) in every run: %s\n' "$verdict" "$expected" "$board_line"
echo

# memory LABEL JSON: a table row of MEMORY USAGE (SAMPLES 0) summed over every key, and per
# player on the board.
memory() {
  local on_board sum
  on_board=$(echo "$2" | json_field board_players)
  sum=$(rcli --scan | sed 's/[\\"]/\\&/g; s/.*/MEMORY USAGE "&" SAMPLES 0/' | rcli |
    awk '/^[0-9]+$/ {++n; s += $1} END {print n + 0, s + 0}')
  ((on_board > 0)) || { echo "$1: no players on the board after the memory run" >&2; exit 1; }
  read -r keys bytes <<<"$sum"
  printf '| %s | %d | %d | %d | %.0f |\n' "$1" "$keys" "$bytes" "$on_board" \
    "$(awk "BEGIN{print $bytes / $on_board}")"
}
echo "MEMORY USAGE (SAMPLES 0) summed over every key, after one update phase of $ops updates of" \
  "$players players"
echo
echo "| implementation | keys | bytes | board players | bytes per player |"
echo "|---|---|---|---|---|"
rcli flushall >/dev/null
out=$(reference --players "$players" --ops "$ops" --reads 1 --concurrency "$concurrency")
check "reference (memory)" "$out" >/dev/null
memory reference "$out"
if ((!skip_redkit)); then
  rcli flushall >/dev/null
  out=$(redkit_bench --store "redis://127.0.0.1:$port" --players "$players" --ops "$ops" \
    --reads 1 --concurrency "$concurrency")
  check "redkit (memory)" "$out" >/dev/null
  memory "redkit on Redis" "$out"
fi
