#!/usr/bin/env bash
# The bundled sweep over max-endpoints-per-slice × Service size (scenarios/slice-size-sweep.toml:
# the replicas quickstart's 2-minute scale event sets; 24 points, about 20 s on 2 busy cores) into results/slice-size-sweep/, then its
# charts (metric vs parameter, one line per mode) into results/slice-size-sweep/charts/.
# Rerunning resumes (finished points are skipped).
#
# Usage: scripts/sweep-slice-sizes.sh [-j N]      OUT=results/slice-size-sweep (default)
source "$(dirname "$0")/_common.sh"
OUT=${OUT:-results/slice-size-sweep}
"$SLICESIM" sweep scenarios/slice-size-sweep.toml --out "$OUT" --no-progress "$@"
charts "$OUT"
echo "sweep.csv: $OUT/sweep.csv ($(($(wc -l <"$OUT/sweep.csv") - 1)) points)"
