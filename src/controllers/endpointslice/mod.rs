//! EndpointSlice controller (k8s.io/endpointslice reconciler + pkg/controller/endpointslice).
