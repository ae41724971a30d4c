#!/usr/bin/env bash
# Run bundled scenarios with a given slicesim binary and record the sha256 of every
# output file (plus the printed summary) so an optimisation can be checked byte-for-byte.
#
#   scripts/perf-outputs.sh BINARY OUTDIR [SCENARIO...]   # writes OUTDIR/<name>/ and OUTDIR/sha256.txt, OUTDIR/times.txt
#   diff BASE/sha256.txt NEW/sha256.txt                   # empty = identical outputs
#
# Wall times go to times.txt only (never compared).
set -euo pipefail
bin=$1; out=$2; shift 2
if [ $# -eq 0 ]; then set -- scenarios/*.toml; fi
mkdir -p "$out"
: > "$out/sha256.txt"; : > "$out/times.txt"
for s in "$@"; do
  name=$(basename "$s" .toml)
  dir="$out/$name"; rm -rf "$dir"; mkdir -p "$dir"
  # wall seconds and CPU (user+sys) seconds: on a shared machine CPU time is the steadier figure
  if ! /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" timeout "${PERF_TIMEOUT:-180}" "$bin" run "$s" --out "$dir/results" --no-progress > "$dir/stdout.txt" 2> "$dir/stderr.txt"; then
    echo "$name FAILED-OR-TIMEOUT" >> "$out/times.txt"; continue
  fi
  read -r wall usr sys < "$dir/time.txt"
  printf '%s %s wall, %.2f cpu\n' "$name" "$wall" "$(echo "$usr + $sys" | bc)" >> "$out/times.txt"
  sed -i "s#$dir/results#OUT#g" "$dir/stdout.txt"
  (cd "$dir" && find stdout.txt results -type f | LC_ALL=C sort | xargs sha256sum) | sed "s#  #  $name/#" >> "$out/sha256.txt"
done
cat "$out/times.txt"
