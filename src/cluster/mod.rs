//! The world: nodes, pods, ReplicaSets/Deployments, scheduler, failures; emits object changes.

pub mod deployment;
pub mod ranking;
