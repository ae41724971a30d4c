# Shared helpers of the reproduction scripts (sourced, not run).
# SLICESIM: the binary (default target/release/slicesim, built if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SLICESIM=${SLICESIM:-target/release/slicesim}
if [ ! -x "$SLICESIM" ]; then
  echo "building $SLICESIM (cargo build --release) ..." >&2
  cargo build --release >&2
fi

# metric DIR MODE NAME: one value of a run's summary.csv (mode,metric,value); prints 0 if absent.
metric() {
  local dir=$1 mode=$2 name=$3
  awk -F, -v m="$mode" -v k="$name" '$1 == m && $2 == k { v = $3 } END { print (v == "" ? 0 : v + 0) }' "$dir/summary.csv"
}

# human BYTES: binary units, 3 significant digits.
human() {
  awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB PiB", u, " "); i = 1;
    while (b >= 1024 && i < 6) { b /= 1024; i++ }
    if (i == 1) printf "%d B", b; else if (b >= 100) printf "%.0f %s", b, u[i];
    else if (b >= 10) printf "%.1f %s", b, u[i]; else printf "%.2f %s", b, u[i] }'
}

# ratio A B: A / B with 1 decimal, "-" when B is 0.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f", a / b }'
}

# run_one NAME OUT_DIR SCENARIO ARGS...: slicesim run with timing on stderr.
run_one() {
  local name=$1 out=$2 scenario=$3
  shift 3
  echo "== $name: $SLICESIM run $scenario --out $out $*" >&2
  local t0=$SECONDS
  "$SLICESIM" run "$scenario" --out "$out" --no-progress "$@" >"$out.log" 2>&1 || {
    cat "$out.log" >&2
    return 1
  }
  echo "   done in $((SECONDS - t0)) s (terminal table: $out.log)" >&2
  charts "$out"
}

# charts DIR: render a run's or sweep's charts when this build has `slicesim chart`
# (`slicesim run` may already have rendered them).
charts() {
  if "$SLICESIM" help chart >/dev/null 2>&1; then
    "$SLICESIM" chart "$1" >&2 && echo "   charts: $1/charts/" >&2
  else
    echo "   (this slicesim has no chart subcommand; charts skipped)" >&2
  fi
}

# row LABEL DIR: the headline figures of both modes of one run, one line each.
headline_header() {
  printf '%-34s %-14s %9s %9s %11s %11s %13s %13s\n' run mode writes rejected largest_obj kp_bytes kp_bytes/write bytes_out
}
headline_row() {
  local label=$1 dir=$2 mode
  for mode in endpointslices endpoints; do
    local w rej big kp out
    w=$(metric "$dir" "$mode" writes_stored)
    rej=$(metric "$dir" "$mode" writes_rejected_oversize)
    big=$(metric "$dir" "$mode" largest_object_bytes)
    kp=$(metric "$dir" "$mode" watch_event_bytes_kube_proxy)
    out=$(metric "$dir" "$mode" bytes_out_total)
    printf '%-34s %-14s %9s %9s %11s %11s %13s %13s\n' "$label" "$mode" "$w" "$rej" \
      "$(human "$big")" "$(human "$kp")" "$(human "$(awk -v a="$kp" -v b="$w" 'BEGIN { print (b > 0 ? a / b : 0) }')")" "$(human "$out")"
  done
}
