#!/usr/bin/env bash
# The Kubernetes blog "Scaling Kubernetes Networking With EndpointSlices" (2020-09-02) end to
# end: a 5,000-pod Service on 3,000 nodes through a full rolling update
# (scenarios/blog-2020-5000-pods-3000-nodes.toml; only kube-proxy watches, as in the blog's
# arithmetic), with pre-1.22 untruncated Endpoints (max_capacity = 0):
#   protobuf   kube-proxy's real encoding
#   json       kube-proxy watching in JSON, what the blog's ~300 bytes per endpoint assumed
# Writes results/blog-2020/<variant>/ and prints per-update and total bytes next to the blog's
# 1.5 MB object, 4.5 GB per update and >22 TB per rolling update.
#
# Usage: scripts/reproduce-blog-2020.sh [--set PATH=VALUE ...]
#   NODES=20 REPLICAS=300 scripts/reproduce-blog-2020.sh      reduced size (under a minute)
#   OUT=results/blog-2020 (default)   SLICESIM=target/release/slicesim (default)
# Expected runtime: reduced as above about 30 s on 2 cores; at full size (5,000 pods) each
# variant is a long run (time grows about with the square of REPLICAS). See README "Scripts".
source "$(dirname "$0")/_common.sh"
NODES=${NODES:-3000}
REPLICAS=${REPLICAS:-5000}
OUT=${OUT:-results/blog-2020}
SC=scenarios/blog-2020-5000-pods-3000-nodes.toml
mkdir -p "$OUT"
common=(--set "cluster.nodes=$NODES" --set "workloads[0].replicas=$REPLICAS" --set controllers.endpoints.max_capacity=0)
run_one protobuf "$OUT/protobuf" "$SC" "${common[@]}" "$@"
run_one json "$OUT/json" "$SC" "${common[@]}" --set 'watchers[0].encoding="json"' "$@"

echo
echo "Blog 2020: $REPLICAS pods on $NODES nodes, pre-1.22 untruncated Endpoints, full rolling update"
headline_header
headline_row "kube-proxy protobuf" "$OUT/protobuf"
headline_row "kube-proxy json" "$OUT/json"
for v in protobuf json; do
  ep_kp=$(metric "$OUT/$v" endpoints watch_event_bytes_kube_proxy)
  ep_w=$(metric "$OUT/$v" endpoints writes_stored)
  es_kp=$(metric "$OUT/$v" endpointslices watch_event_bytes_kube_proxy)
  es_w=$(metric "$OUT/$v" endpointslices writes_stored)
  echo "$v: one Endpoints update reaches all nodes as $(human "$(awk -v a="$ep_kp" -v b="$ep_w" 'BEGIN { print (b > 0 ? a / b : 0) }')")" \
    "(largest object $(human "$(metric "$OUT/$v" endpoints largest_object_bytes)")), one slice update as" \
    "$(human "$(awk -v a="$es_kp" -v b="$es_w" 'BEGIN { print (b > 0 ? a / b : 0) }')");" \
    "rolling update total $(human "$ep_kp") vs $(human "$es_kp")"
done
echo "Blog: ~1.5 MB Endpoints object, 3,000 x 1.5 MB = 4.5 GB per update, > 22 TB per rolling update"
echo "  (it assumed ~300 bytes per endpoint in JSON; see tests/published_blog2020.rs for why exact encodings give less)"
echo "Results: $OUT/<variant>/ (summary.csv, charts/)"
