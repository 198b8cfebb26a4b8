#!/usr/bin/env bash
# What Prometheus scrapes cost the server (docs/operations.md, "What
# metrics cost"): make metrics-cost, after make build.
#
#  1. Scrape time with IDLE (19,000) connections open: the bots connect
#     and stay in the lobby; /metrics is fetched SCRAPES (20) times, one a
#     second, and the times are printed with their median and maximum.
#  2. CPU per client·tick of the play load (ROOMS×PLAYERS, 20×50) on one
#     server, in WINDOW (10 s) windows without scrapes, with one a second,
#     and with ten a second (which shows what one scrape costs, ten times
#     over), ROUNDS (5) times each in rotating order; the medians and their
#     ratios are printed. The machine is shared and noisy: compare the
#     medians, not single windows.
#
# Only the bots' command line is used, as an operator would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
IDLE=${IDLE:-19000}
SCRAPES=${SCRAPES:-20}
ROUNDS=${ROUNDS:-5}
ROOMS=${ROOMS:-20}
PLAYERS=${PLAYERS:-50}
WINDOW=${WINDOW:-10s}
ONLY=${ONLY:-scrape-time,cpu}

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start_server starts a fresh server; sets server_pid, addr, admin.
start_server() {
  "$BIN/skirmish" -addr 127.0.0.1:0 -admin-addr 127.0.0.1:0 -max-conns-per-ip 0 -max-rooms-per-ip 0 >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    addr=$(sed -n 's|^skirmish: serving http://\(.*\)/$|\1|p' "$work/server.out")
    admin=$(sed -n 's|^skirmish: admin \(.*\)/$|\1|p' "$work/server.out")
    [ -n "$addr" ] && [ -n "$admin" ] && return
    sleep 0.1
  done
  echo "the server did not start" >&2
  cat "$work/server.err" >&2
  exit 1
}

stop_server() {
  kill -INT "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# metric prints the value of one series (name and labels as printed).
metric() {
  curl -sf "$admin/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

if [[ $ONLY == *scrape-time* ]]; then
  start_server
  "$BIN/skirmish-bots" idle -n "$IDLE" -url "ws://$addr/ws" -warmup 0s -window 10m -quiet >"$work/idle.out" 2>&1 &
  bots=$!
  echo "scrape time: waiting for $IDLE idle connections..."
  for _ in $(seq 600); do
    n=$(metric 'skirmish_connections{state="lobby"}' || echo 0)
    [ "${n:-0}" -ge "$IDLE" ] && break
    sleep 1
  done
  echo "connections in the lobby: $n"
  size=$(curl -sf "$admin/metrics" | wc -c)
  times=()
  for _ in $(seq "$SCRAPES"); do
    times+=("$(curl -sf -o /dev/null -w '%{time_total}' "$admin/metrics")")
    sleep 1
  done
  printf '%s\n' "${times[@]}" | awk '{ printf "  %.1f ms\n", $1 * 1000 }'
  med=$(printf '%s\n' "${times[@]}" | median)
  max=$(printf '%s\n' "${times[@]}" | sort -g | tail -1)
  awk -v m="$med" -v x="$max" -v n="$n" -v b="$size" 'BEGIN { printf "scrape time with %d connections: median %.1f ms, max %.1f ms (%d bytes)\n", n, m * 1000, x * 1000, b }'
  kill "$bots" 2>/dev/null || true
  wait "$bots" 2>/dev/null || true
  stop_server
fi

if [[ $ONLY == *cpu* ]]; then
  # One server and one play load for the whole comparison, so that process
  # to process variance (heap layout, thread placement) stays out of it;
  # windows with and without scrapes alternate, and the server's CPU time
  # is read from /proc in each.
  start_server
  total=$(( (3 * ROUNDS + 1) * ${WINDOW%s} + 30 ))
  "$BIN/skirmish-bots" play -rooms "$ROOMS" -players "$PLAYERS" -url "ws://$addr/ws" -warmup 5s -window "${total}s" \
    -quiet -json "$work/play.json" >/dev/null 2>"$work/play.err" &
  bots=$!
  clients=$((ROOMS * PLAYERS))
  for _ in $(seq 600); do
    n=$(metric 'skirmish_connections{state="room"}' || echo 0)
    [ "${n:-0}" -ge "$clients" ] && break
    sleep 1
  done
  sleep 5 # warm up
  hz=$(getconf CLK_TCK)
  cputime() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
  declare -A cpu scrapes
  secs=${WINDOW%s}
  kinds=(none scrape burst)
  for round in $(seq "$ROUNDS"); do
    # The order rotates each round, so that a drift of the load over time
    # favours no kind.
    for i in 0 1 2; do
      kind=${kinds[$(( (i + round) % 3 ))]}
      every=""
      case $kind in
        scrape) every=1 ;;
        burst) every=0.1 ;; # 10 a second: the cost of one scrape, amplified
      esac
      scraper=""
      if [ -n "$every" ]; then
        : >"$work/scrapes"
        (while :; do curl -sf -o /dev/null "$admin/metrics" && echo >>"$work/scrapes"; sleep "$every"; done) &
        scraper=$!
      fi
      t0=$(cputime)
      sleep "$secs"
      t1=$(cputime)
      if [ -n "$scraper" ]; then
        kill "$scraper"
        wait "$scraper" 2>/dev/null || true
        scrapes[$kind]=$(( ${scrapes[$kind]:-0} + $(wc -l <"$work/scrapes") ))
      fi
      us=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v c="$clients" -v s="$secs" 'BEGIN { printf "%.3f", (b - a) / hz * 1e6 / (c * 30 * s) }')
      cpu[$kind]+="$us "
      echo "round $round $kind: server CPU $us µs per client·tick"
    done
  done
  kill "$bots" 2>/dev/null || true
  wait "$bots" 2>/dev/null || true
  stop_server
  none=$(printf '%s\n' ${cpu[none]} | median)
  scrape=$(printf '%s\n' ${cpu[scrape]} | median)
  burst=$(printf '%s\n' ${cpu[burst]} | median)
  awk -v a="$none" -v b="$scrape" -v c="$clients" 'BEGIN { printf "median server CPU per client·tick (%d clients): %.3f µs without scrapes, %.3f µs with one a second: %+.2f %%\n", c, a, b, (b / a - 1) * 100 }'
  # One scrape's CPU, from the amplified windows: the difference in CPU
  # per second over the scrapes per second.
  awk -v a="$none" -v b="$burst" -v c="$clients" -v n="${scrapes[burst]}" -v w="$((ROUNDS * secs))" 'BEGIN {
    per = (b - a) * c * 30 / (n / w) / 1000
    printf "with 10 scrapes a second: %.3f µs per client·tick (%+.2f %%): %.2f ms of CPU per scrape, %.2f %% at one a second\n", b, (b / a - 1) * 100, per, per / (a * c * 30 / 1000) * 100 }'
fi
