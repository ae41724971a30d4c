//! Kubernetes object model (Service, Pod, Node, EndpointSlice, Endpoints, metav1) in the exact JSON shape of the Go types.
