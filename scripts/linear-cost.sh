#!/usr/bin/env bash
# Linear-cost check of the scale envelope: the same scenario at 1x, 2x and 4x its churn rate.
# Prints a Markdown table: events processed, CPU seconds (user + sys), peak RSS, and the ratios
# of events and CPU to the 1x run. Cost follows what changed when the CPU ratio stays within
# 15 % of the events ratio.
#
#   scripts/linear-cost.sh [OUTDIR] [--set KEY=VALUE ...]   # SLICESIM=BIN, SCENARIO=FILE (first event must be the churn)
#
# Extra --set arguments apply to all three runs (e.g. `--set duration=8m` for a cut).
# Needs GNU time (/usr/bin/time); wall-clock figures are never printed (CPU is the steadier one).
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
out=${1:-results/linear-cost}
[ $# -gt 0 ] && shift
scenario=${SCENARIO:-scenarios/scalability-envelope.toml}
# The envelope's churn is its first event; its rate is read from the scenario, not assumed.
base_rate=$(awk -F= '/^\[\[events\]\]/ { e++ } e == 1 && $1 ~ /^ *rate *$/ { gsub(/[ "]/, "", $2); print $2; exit }' "$scenario")
num=${base_rate%/*}
unit=${base_rate#*/}
if ! [[ "$num" =~ ^[0-9]+$ ]]; then
  echo "linear-cost: cannot read the churn rate of $scenario (events[0].rate = '$base_rate')" >&2
  exit 2
fi
mkdir -p "$out"
echo "| churn rate | events | CPU s | peak RSS | events ratio | CPU ratio | CPU ratio / events ratio |"
echo "|---|---|---|---|---|---|---|"
ev1=""; cpu1=""
for k in 1 2 4; do
  rate="$((num * k))/$unit"
  dir="$out/x$k"
  rm -rf "$dir"
  /usr/bin/time -f "%U %S %M" -o "$out/x$k.time" "$SLICESIM" run "$scenario" --out "$dir" \
    --no-progress --set "events[0].rate=$rate" "$@" > "$out/x$k.log" 2>&1 || {
    cat "$out/x$k.log" >&2
    exit 1
  }
  read -r usr sys kb < "$out/x$k.time"
  cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  ev=$(awk -F, '$1 == "run" && $2 == "events_processed" { print $3 }' "$dir/summary.csv")
  [ -z "$ev1" ] && { ev1=$ev; cpu1=$cpu; }
  er=$(awk -v a="$ev" -v b="$ev1" 'BEGIN { printf "%.2f", a / b }')
  cr=$(awk -v a="$cpu" -v b="$cpu1" 'BEGIN { printf "%.2f", a / b }')
  rr=$(awk -v a="$cr" -v b="$er" 'BEGIN { printf "%.2f", a / b }')
  echo "| $rate (${k}x) | $ev | $cpu | $(human $((kb * 1024))) | $er | $cr | $rr |"
done
