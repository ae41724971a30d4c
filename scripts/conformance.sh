#!/usr/bin/env bash
# Replay every visible conformance trace through the release binary and show,
# per trace, whether slicesim's output equals upstream's run-0 output exactly.
# (The test suite is stricter about what counts: it also accepts values listed
# in the nondeterminism sidecars. This script is for eyeballing diffs.)
#
# usage: scripts/conformance.sh [DATA_DIR]   (default: tests/data, the copy in the repository; ../shared works too)
#        SLICESIM=/path/to/slicesim scripts/conformance.sh   (that binary as it is: no build)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-tests/data}
if [ -n "${SLICESIM:-}" ]; then
  bin=$SLICESIM
  [ -x "$bin" ] || { echo "SLICESIM=$bin: not an executable" >&2; exit 2; }
else
  cargo build --release --quiet
  bin=target/release/slicesim
fi
python3 - "$shared" "$bin" <<'PY'
import json, subprocess, sys, os
shared, binary = sys.argv[1], sys.argv[2]
def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
tdir = os.path.join(shared, "conformance/traces")
m = json.load(open(os.path.join(tdir, "manifest.json")))
for t in m["traces"]:
    cmd = [binary, "reconcile", os.path.join(tdir, t["input"]),
           "--max-endpoints-per-slice", str(t.get("maxEndpointsPerSlice", m["defaultMaxEndpointsPerSlice"]))]
    got = run(cmd)
    exp = open(os.path.join(tdir, t["expected"])).read().splitlines()
    same = sum(1 for a, b in zip(got, exp) if json.loads(a) == json.loads(b))
    print(f'{t["name"]:32} {same}/{len(exp)} lines identical to run 0')
mdir = os.path.join(shared, "conformance/mirroring")
m = json.load(open(os.path.join(mdir, "manifest.json")))
for t in m["traces"]:
    cmd = [binary, "mirror", os.path.join(mdir, t["input"]),
           "--max-endpoints-per-subset", str(t.get("maxEndpointsPerSubset", m["defaultMaxEndpointsPerSubset"]))]
    got = run(cmd)
    exp = open(os.path.join(mdir, t["expected"])).read().splitlines()
    same = sum(1 for a, b in zip(got, exp) if json.loads(a) == json.loads(b))
    print(f'{t["name"]:32} {same}/{len(exp)} lines identical to run 0')
PY
