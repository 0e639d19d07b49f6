#!/usr/bin/env bash
# Benchmark only (issue 6, docs/explore-vs-spin.md): `pagestate explore`
# against spin on the S1 and S4 races and on bench-five-actors (no finding).
# Needs spin, gcc, GNU time (/usr/bin/time) and optionally perf (CPU time):
# NOT needed by the project or its CI. From the repository root:
#   Fixtures/promela/bench.sh [RUNS]          (default 5; prints medians)
# PAGESTATE names the binary (default .build/release/pagestate).
set -euo pipefail
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=${PAGESTATE:-$ROOT/.build/release/pagestate}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
HAVE_PERF=0
if command -v perf >/dev/null && perf stat -x, -e task-clock -o /dev/null true 2>/dev/null; then HAVE_PERF=1; fi

now() { date +%s%N; }
median() { sort -g | awk '{a[NR] = $1 + 0} END {print (NR % 2) ? a[(NR + 1) / 2] + 0 : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# measure OUT CMD...: runs CMD twice: under GNU time (wall clock in ns around
# it, max RSS) and under perf stat (CPU time, task-clock). Prints
# "wall-ms rss-KB cpu-ms" and leaves CMD's stdout in OUT.
measure() {
  local out=$1; shift
  local t0 t1 rss cpu=-
  t0=$(now)
  /usr/bin/time -f "%M" -o "$WORK/time.txt" "$@" > "$out" 2>&1 || true  # explore's timing is on stderr
  t1=$(now)
  rss=$(tail -1 "$WORK/time.txt")
  if [ "$HAVE_PERF" = 1 ]; then
    perf stat -x, -e task-clock -o "$WORK/perf.txt" "$@" > /dev/null || true
    cpu=$(awk -F, '/task-clock/ {print $1}' "$WORK/perf.txt")
  fi
  echo "$(( (t1 - t0) / 1000 ))e-3 $rss $cpu"
}

# row NAME FILE: the medians of FILE's columns
# (states transitions wall-ms cpu-ms search-ms max-RSS-KB)
row() {
  local name=$1 f=$2 c out=""
  for c in 1 2 3 4 5 6; do
    if grep -q -- "-" <(cut -d' ' -f$c "$f" | grep -v e-); then out+=" -"; else out+=" $(cut -d' ' -f$c "$f" | median)"; fi
  done
  printf '%-52s%s\n' "$name" "$out"
}

# spin_case MODEL VARIANT GCC-FLAGS PAN-ARGS EXPECT (violation|clean)
spin_case() {
  local model=$1 variant=$2 flags=$3 panargs=$4 expect=$5
  local f="$WORK/$model-$variant.runs" g="$WORK/$model-$variant.build"
  : > "$f"; : > "$g"
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/m" && mkdir "$WORK/m" && cp "$ROOT/Fixtures/promela/$model.pml" "$WORK/m/"
    ( cd "$WORK/m"
      t0=$(now)
      spin -a "$model.pml" > /dev/null
      gcc -O2 $flags -o pan pan.c
      t1=$(now)
      echo "$(( (t1 - t0) / 1000 ))e-3" >> "$g"
      read -r wall rss cpu < <(measure pan.txt ./pan $panargs)
      if [ "$expect" = violation ]; then
        grep -q -E "assertion violated|invalid end state" pan.txt || { echo "spin found no violation in $model" >&2; exit 1; }
      else
        grep -q "errors: 0" pan.txt || { echo "spin found a violation in $model" >&2; exit 1; }
      fi
      st=$(awk '/states, stored/ {print $1}' pan.txt)
      tr=$(awk '/transitions \(= stored\+matched\)/ {print $1}' pan.txt)
      echo "$st $tr $wall $cpu - $rss" >> "$f"
    )
  done
  row "spin $model $variant" "$f"
  printf '%-52s build (spin -a + gcc -O2): %s ms; end to end: %s ms\n' "" "$(median < "$g")" \
    "$(awk -v b="$(median < "$g")" -v p="$(cut -d' ' -f3 "$f" | median)" 'BEGIN {print b + p}')"
}

# explore_case TRACE POLICY [--no-reduction]
explore_case() {
  local trace=$1 policy=$2 extra=${3:-} f="$WORK/explore.runs"
  : > "$f"
  for _ in $(seq "$RUNS"); do
    read -r wall rss cpu < <(measure "$WORK/out.txt" "$PS" explore "$ROOT/$trace" --policy "$policy" $extra)
    local st tr rate search
    st=$(awk '/^  states/ {gsub(",", "", $2); print $2}' "$WORK/out.txt")
    tr=$(awk '/^  states/ {gsub(",", "", $4); print $4}' "$WORK/out.txt")
    # the search's own time, from its states/s figure (its "ms" is rounded down)
    rate=$(awk '/^pagestate explore: / {for (i = 1; i <= NF; i++) if ($i == "states/s") print $(i - 1)}' "$WORK/out.txt")
    search=$(awk -v s="$st" -v r="$rate" 'BEGIN {printf "%.3f", (r > 0) ? s / r * 1000 : 0}')
    echo "$st $tr $wall $cpu $search $rss" >> "$f"
  done
  row "explore $(basename "$trace" .trace) --policy $policy ${extra}" "$f"
  grep -E "^found|^no interleaving" "$WORK/out.txt" | cut -c1-110 | sed 's/^/    /'
}

echo "medians of $RUNS runs on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s%s\n' "" " states transitions wall-ms cpu-ms search-ms max-RSS-KB"
for pair in "S01-touch-before-pin folio S1-touch-before-pin" "S04-wrong-order-race split S4-wrong-order"; do
  set -- $pair
  explore_case "Fixtures/explore/$1.trace" "$2"
  explore_case "Fixtures/explore/$1.trace" "$2" --no-reduction
  spin_case "$3" dfs "-DSAFETY" "" violation
  spin_case "$3" dfs-w16 "-DSAFETY" "-w16" violation
  spin_case "$3" bfs "-DSAFETY -DBFS" "" violation
  spin_case "$3" bfs-w16 "-DSAFETY -DBFS" "-w16" violation
done
explore_case Fixtures/explore/bench-five-actors.trace split
explore_case Fixtures/explore/bench-five-actors.trace split --no-reduction
spin_case bench-five-actors dfs-w16 "-DSAFETY" "-w16" clean
spin_case bench-five-actors dfs-w16-noreduce "-DSAFETY -DNOREDUCE" "-w16" clean
spin_case bench-five-actors bfs-w16 "-DSAFETY -DBFS" "-w16" clean
