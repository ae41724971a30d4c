//! Byte-exact JSON and protobuf encodings of Kubernetes objects and watch-stream framing.

pub mod json;
