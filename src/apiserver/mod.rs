//! API server and etcd model: object store with resourceVersions, generation, generateName, no-op update detection (later: etcd limits, watch fan-out).
