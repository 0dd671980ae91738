#!/usr/bin/env bash
# Client throughput vs the redis-benchmark ceiling, against ONE fresh redis-server, in one run.
#
#   bench/client_set.sh [--runs R] [--ops N] [--redkit PATH]
#
# For 64, 256 and 1024 requests in flight it runs, interleaved R times (median reported):
#   redis-benchmark -t set -P 64 -c {1,4,16}      (64 x c = requests in flight)
#   redkit bench set --concurrency {64,256,1024} --connections 1
#   redkit bench set --concurrency {64,256,1024} --connections {1,4,16}   (same connections)
# Same value size (16 B) and key space (10,000 keys) for both. Prints a Markdown table with
# ops/s, p99 and the ratio redkit / redis-benchmark. Needs redis-server and redis-benchmark.
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

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 6390)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
  --logfile "$dir/redis.log" --daemonize no &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

results="$dir/results"
: >"$results"
json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }
for run in $(seq "$runs"); do
  for c in 1 4 16; do
    inflight=$((64 * c))
    line=$(redis-benchmark -p "$port" -t set -P 64 -c "$c" -n "$ops" -r 10000 -d 16 --csv | tail -1)
    rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
    p99=$(echo "$line" | cut -d, -f7 | tr -d '"')
    echo "$inflight redis-benchmark $rps $(awk "BEGIN{print $p99*1000}")" >>"$results"
    for conns in 1 "$c"; do
      [[ $conns == 1 && $c == 1 && -n ${seen_1:-} ]] && continue
      out=$("$redkit" bench set --store "redis://127.0.0.1:$port" --ops "$ops" --keys 10000 \
        --value-size 16 --concurrency "$inflight" --connections "$conns" --json)
      echo "$inflight redkit-conns-$conns $(echo "$out" | json_field ops_per_s) $(echo "$out" | json_field p99_us)" >>"$results"
      [[ $c == 1 ]] && seen_1=1
    done
    unset seen_1
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores, $runs runs of $ops SETs each, medians"
echo
echo "| in flight | client | ops/s | p99 (us) | ratio to redis-benchmark |"
echo "|---|---|---|---|---|"
for inflight in 64 256 1024; do
  base=$(awk -v f="$inflight" '$1==f && $2=="redis-benchmark" {print $3}' "$results" | median)
  for who in redis-benchmark redkit-conns-1 redkit-conns-4 redkit-conns-16; do
    vals=$(awk -v f="$inflight" -v w="$who" '$1==f && $2==w {print $3}' "$results")
    [[ -z $vals ]] && continue
    ops_s=$(echo "$vals" | median)
    p99=$(awk -v f="$inflight" -v w="$who" '$1==f && $2==w {print $4}' "$results" | median)
    label=$who
    [[ $who == redis-benchmark ]] && label="redis-benchmark -P 64 -c $((inflight / 64))"
    [[ $who == redkit-conns-* ]] && label="redkit, ${who#redkit-conns-} connection(s)"
    printf '| %s | %s | %.0f | %.0f | %.2f |\n' "$inflight" "$label" "$ops_s" "$p99" \
      "$(awk "BEGIN{print $ops_s/$base}")"
  done
done
