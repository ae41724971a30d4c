//! EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring).
