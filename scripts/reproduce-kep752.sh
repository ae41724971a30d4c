#!/usr/bin/env bash
# KEP-752 (EndpointSlice API) case 1 end to end: one Service with 20,000 endpoints on 5,000
# nodes through a full rolling update (scenarios/kep752-20k-endpoints.toml), in the KEP's modes:
#   v1.22+      EndpointSlices at 100 per slice vs Endpoints truncated to 1,000 addresses (defaults)
#   pre-1.22    Endpoints never truncated (max_capacity = 0): 20,000 addresses exceed etcd's
#               1.5 MiB request limit, so the writes are rejected (counted as writes_rejected)
#   pre-1.22-half   the same with half the endpoints (10,000): the object fits, and the
#               per-write byte ratio Endpoints / slices shows the KEP's ~100x
# Writes results/kep752/<mode>/ (normal `slicesim run` directories, charts in charts/) and
# prints the headline comparison next to the KEP's estimate.
#
# Usage: scripts/reproduce-kep752.sh [--set PATH=VALUE ...]    (extra --set go to every run)
#   NODES=20 REPLICAS=400 scripts/reproduce-kep752.sh       reduced size (about a minute)
#   OUT=results/kep752 (default)   SLICESIM=target/release/slicesim (default)
# Expected runtime: reduced as above about 1 minute on 2 cores; the full size is the most
# expensive bundled scenario (time grows about with the square of REPLICAS at batch period 0;
# before the engine speed-up work one full run took more than 20 minutes). See README "Scripts".
source "$(dirname "$0")/_common.sh"
NODES=${NODES:-5000}
REPLICAS=${REPLICAS:-20000}
OUT=${OUT:-results/kep752}
SC=scenarios/kep752-20k-endpoints.toml
mkdir -p "$OUT"
size=(--set "cluster.nodes=$NODES" --set "workloads[0].replicas=$REPLICAS")
run_one v1.22+ "$OUT/v1.22+" "$SC" "${size[@]}" "$@"
run_one pre-1.22 "$OUT/pre-1.22" "$SC" "${size[@]}" --set controllers.endpoints.max_capacity=0 "$@"
run_one pre-1.22-half "$OUT/pre-1.22-half" "$SC" --set "cluster.nodes=$NODES" \
  --set "workloads[0].replicas=$((REPLICAS / 2))" --set controllers.endpoints.max_capacity=0 "$@"

echo
echo "KEP-752 case 1: $REPLICAS endpoints on $NODES nodes, full rolling update (kube-proxy = one watcher per node)"
headline_header
headline_row "v1.22+ (truncated at 1000)" "$OUT/v1.22+"
headline_row "pre-1.22 (untruncated)" "$OUT/pre-1.22"
headline_row "pre-1.22, $((REPLICAS / 2)) endpoints" "$OUT/pre-1.22-half"
es_kp=$(metric "$OUT/pre-1.22-half" endpointslices watch_event_bytes_kube_proxy)
ep_kp=$(metric "$OUT/pre-1.22-half" endpoints watch_event_bytes_kube_proxy)
es_w=$(metric "$OUT/pre-1.22-half" endpointslices writes_stored)
ep_w=$(metric "$OUT/pre-1.22-half" endpoints writes_stored)
echo
echo "Per write, Endpoints / EndpointSlices kube-proxy bytes ($((REPLICAS / 2)) endpoints, untruncated):" \
  "$(ratio "$(ratio "$ep_kp" "$ep_w")" "$(ratio "$es_kp" "$es_w")")x (KEP: ~100x at 100 endpoints per slice)"
echo "Rolling update total, kube-proxy bytes: EndpointSlices $(human "$(metric "$OUT/v1.22+" endpointslices watch_event_bytes_kube_proxy)")," \
  "Endpoints untruncated $(human "$(metric "$OUT/pre-1.22" endpoints watch_event_bytes_kube_proxy)")" \
  "($(metric "$OUT/pre-1.22" endpoints writes_rejected_oversize) writes rejected by the etcd limit)"
echo "KEP-752 estimate (100 bytes/endpoint, 20,000 endpoints, 5,000 nodes, one update per pod):"
echo "  Endpoints 20,000 x 2 MB x 5,000 = 200 TB; EndpointSlices 20,000 x 10 KB x 5,000 = 1 TB"
echo "Results: $OUT/<mode>/ (summary.csv, charts/)"
