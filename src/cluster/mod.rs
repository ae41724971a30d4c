//! The world: nodes, pods, ReplicaSets/Deployments, scheduler, failures; emits object changes.
//!
//! * [`world`]: [`World`], the event loop over the cluster (start state, lifecycle, timeline).
//! * [`change`]: the change stream ([`Change`], [`ChangeSink`]).
//! * [`model`]: the compact object representations ([`Pod`], [`Node`], [`ServiceObj`]).
//! * [`deployment`], [`ranking`]: the deployment / ReplicaSet controllers' decisions.
//! * [`ipam`], [`ids`]: pod IP allocation, UIDs and generated names.
//! * [`hash`]: the hasher of the lookup-only name-keyed maps.
//! * [`k8s_view`]: the objects as `crate::k8s` API objects (for controllers and wire sizes).

pub mod change;
pub mod deployment;
pub mod ids;
pub mod ipam;
pub mod k8s_view;
pub mod model;
pub mod ranking;
pub mod small_map;
pub mod world;

pub use change::{Change, ChangeSink, CountingSink, NullSink, ObjChange, Tee};
pub use model::{Node, NodeId, NodeReady, Pod, PodId, PodPhase, PodTemplate, ServiceObj};
pub use world::{
    Deployment, PlacementView, ReplicaSet, SchedulerPolicy, Spread, WorkloadStats, WorkloadTotals,
    World, WorldEvent, WorldOptions,
};
