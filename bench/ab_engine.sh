#!/usr/bin/env bash
# A/B of two redkit binaries on the engine's rate-limit workload (the issue-4 bench's engine
# rows: 200,000 checks over 10,000 ids, 64 in flight, 60/min), for judging a change to the
# engine or the limiter on a noisy machine. Each round runs both binaries, alternating which
# goes first (a fixed order biases the ratio by a few percent). Prints per algorithm the
# medians of A and B in checks/s and the median of the per-round ratios B/A.
#
#   bench/ab_engine.sh A B [--rounds R] [--algorithms "sliding_log gcra ..."] [--ops N]
#                          [--keys K]
#
# An engine row is 0.1-0.2 s of work, so a single round moves ±5%: use 8 rounds or more,
# and count instructions with valgrind --tool=callgrind when the ratio is near 1.
set -euo pipefail
(($# >= 2)) || { sed -n '8,9p' "$0" >&2; exit 2; }
a=$1 b=$2
shift 2
rounds=8 algorithms="sliding_log sliding_window gcra fixed_window" ops=200000 keys=10000
while (($#)); do
  (($# >= 2)) || { echo "$1 needs a value" >&2; exit 2; }
  case $1 in
    --rounds) rounds=$2 ;;
    --algorithms) algorithms=$2 ;;
    --ops) ops=$2 ;;
    --keys) keys=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
for bin in "$a" "$b"; do [[ -x $bin ]] || { echo "not an executable: $bin" >&2; exit 2; }; done

# run BIN ALGORITHM: checks/s of one engine run.
run() {
  "$1" bench ratelimit --store memory:// --algorithm "$2" --keys "$keys" --ops "$ops" \
    --concurrency 64 --limit 60 --window-ms 60000 --json |
    sed -E 's/.*"ops_per_s":([0-9.]+).*/\1/'
}

for algorithm in $algorithms; do
  for ((i = 0; i < rounds; ++i)); do
    if ((i % 2 == 0)); then
      x=$(run "$a" "$algorithm")
      y=$(run "$b" "$algorithm")
    else
      y=$(run "$b" "$algorithm")
      x=$(run "$a" "$algorithm")
    fi
    echo "$algorithm $x $y"
  done
done | awk '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { n[$1]++; A[$1, n[$1]] = $2; B[$1, n[$1]] = $3; if (!($1 in seen)) { seen[$1]; order[++k] = $1 } }
  END {
    printf "%-15s %12s %12s %8s\n", "algorithm", "A checks/s", "B checks/s", "B/A"
    for (o = 1; o <= k; ++o) {
      al = order[o]; m = n[al]
      for (i = 1; i <= m; ++i) { x[i] = A[al, i]; y[i] = B[al, i]; r[i] = B[al, i] / A[al, i] }
      printf "%-15s %12.0f %12.0f %8.3f\n", al, median(x, m), median(y, m), median(r, m)
    }
  }'
