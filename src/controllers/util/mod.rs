//! Helpers shared by the EndpointSlice-producing controllers (k8s.io/endpointslice/util): endpoint identity, port-map keys, equality beyond hash, EndpointSlice tracker.
