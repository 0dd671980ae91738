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
