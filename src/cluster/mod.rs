//! The world: nodes, pods, ReplicaSets/Deployments, scheduler, failures; emits object changes.
