# Shared by the bench/ scripts (sourced): a fresh redis-server on a free loopback port, and
# medians. Needs redis-server and redis-cli (Debian: redis-server, redis-tools).

# bench_start_redis: starts redis-server on 127.0.0.1, sets $port and $bench_dir, and stops it
# (and removes the directory) when the calling script exits.
bench_start_redis() {
  port=$((20000 + RANDOM % 20000))
  while redis-cli -p "$port" ping >/dev/null 2>&1; do port=$((port + 1)); done
  bench_dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$bench_dir" \
    --logfile "$bench_dir/redis.log" --daemonize no &
  bench_server=$!
  trap 'kill $bench_server 2>/dev/null; wait $bench_server 2>/dev/null; rm -rf "$bench_dir"' EXIT
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2
  return 1
}

# median: the median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# json_field NAME: a numeric field of the JSON line on stdin.
json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }

# bench_check_redkit PATH WORKLOAD: fails unless PATH is a redkit binary with `bench WORKLOAD`.
bench_check_redkit() {
  [[ -x $1 ]] || { echo "build first: scripts/run --help (or pass --redkit PATH)" >&2; exit 1; }
  "$1" bench --help | grep -q "$2" ||
    { echo "$1 has no 'bench $2' workload (rebuild, or pass --skip-redkit)" >&2; exit 1; }
}

# bench_build_reference DIR: installs the reference's packages when missing (npm ci) and
# compiles its TypeScript.
bench_build_reference() {
  [[ -d $1/node_modules ]] || (cd "$1" && npm ci --no-audit --no-fund >&2)
  "$1/node_modules/.bin/tsc" -p "$1"
}

# bench_options NAME=DEFAULT... -- ARGS...: sets each NAME to its default, then reads the
# command line: `--NAME VALUE` for those names, `--redkit PATH` (default: the Release build)
# and `--skip-redkit` (sets skip_redkit=1). Anything else stops the script (exit 2).
bench_options() {
  local names=" " kv
  while [[ $1 != -- ]]; do
    kv=$1
    names+="${kv%%=*} "
    printf -v "${kv%%=*}" '%s' "${kv#*=}"
    shift
  done
  shift
  redkit="$root/build/release/apps/redkit/redkit"
  skip_redkit=0
  while (($#)); do
    case $1 in
      --redkit) redkit=$2; shift 2 ;;
      --skip-redkit) skip_redkit=1; shift ;;
      --*)
        [[ $names == *" ${1#--} "* && $# -ge 2 ]] || { echo "unknown option $1" >&2; exit 2; }
        printf -v "${1#--}" '%s' "$2"
        shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
}

# The scripts' results file holds one line per measurement: NAME STORE then figures.
# col NAME STORE COLUMN: the median of COLUMN over the lines of NAME on STORE in $results.
col() { awk -v n="$1" -v s="$2" -v c="$3" '$1==n && $2==s {print $c}' "$results" | median; }

# target LABEL VALUE MIN: one PASS/FAIL line for VALUE >= MIN.
target() {
  local verdict=FAIL
  awk "BEGIN{exit !($2 >= $3)}" && verdict=PASS
  printf '%s: %s (%.0f vs %.0f)\n' "$verdict" "$1" "$2" "$3"
}

# exact_count LABEL NAME STORE COLUMN EXPECTED: "LABEL exact in all R runs", or the range and
# how many runs were off, for COLUMN of NAME on STORE in $results.
exact_count() {
  awk -v n="$2" -v s="$3" -v c="$4" -v e="$5" -v l="$1" '$1==n && $2==s {
      ++runs; if ($c != e) ++off; if (min == "" || $c < min) min = $c; if ($c > max) max = $c }
    END { printf "%s %s", l, off ? sprintf("%d..%d (%d of %d runs off)", min, max, off, runs) \
                                 : sprintf("exact in all %d runs", runs) }' "$results"
}
