//! Watch clients: kube-proxy, CoreDNS and custom watchers with their caches (kube-proxy EndpointSliceCache merge/dedupe), rate-limited syncs and propagation latency.
