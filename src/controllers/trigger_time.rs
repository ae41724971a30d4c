//! Last-change trigger time tracker shared by the EndpointSlice and Endpoints controllers (k8s.io/endpointslice util/trigger_time_tracker.go).
