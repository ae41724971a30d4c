//! Replay of a recorded period: explicit pod, Service and Node states at given times (a real
//! cluster's watch streams, turned into steps by `crate::import::replay`), in place of the
//! workload controllers and the kubelet model for the workloads the replay owns.
//!
//! Why a world hook and not scenario events: a recorded period is thousands of per-pod
//! transitions with the cluster's own names, nodes and IPs; the timeline's events are about
//! workloads and draw their victims and timings from seeded streams. The replayed pods are
//! ordinary world pods (the endpoint controllers and the watch model see them through the same
//! change stream as any other), only who decides their states differs.
//!
//! The workloads the replay owns start with no pods (the caller sets their replicas to 0) and
//! their Deployment and ReplicaSet syncs are skipped (their `sync_pending` stays set, so none
//! is queued again): a pod the recording deletes is not replaced unless the recording shows the
//! replacement. Replayed pods bypass the scheduler and the node IPAM (their node and IPs are the
//! recorded ones).
//!
//! Services and Nodes: a step sets a Service to its recorded spec (created if absent, so a
//! Service of the recording starts absent with `present_at_start = false`; deleted) or a Node
//! to its recorded zone, readiness and allocatable CPU (added: a node with `initial = false`;
//! deleted: the Node object goes at once, its pods stay until the recording deletes them or
//! pod GC does, as `remove_nodes` without drain). A Node's Ready condition is replayed as the
//! model's two states: True, or not (Unknown): the endpoint controllers read only whether a
//! node is Ready. Nothing else in the world changes.

use super::*;

/// A recorded pod state (`None` in a [`ReplayStep`] = the pod object is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayPod {
    /// Index of the owning workload in `Scenario::workloads` (must be in [`Replay::workloads`]).
    pub workload: usize,
    pub uid: String,
    /// `spec.nodeName`, as an index into the world's nodes.
    pub node: Option<NodeId>,
    pub phase: PodPhase,
    /// `status.podIPs`.
    pub ips: Vec<IpAddr>,
    /// Ready condition status (None: not reported yet).
    pub ready: Option<bool>,
    pub creation_ns: Nanos,
    pub deletion_timestamp_ns: Option<Nanos>,
    pub deletion_grace_period_s: Option<u64>,
    /// `spec.terminationGracePeriodSeconds` in ns.
    pub termination_grace_ns: Nanos,
}

/// A recorded Node state (what the endpoint controllers read of a Node).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayNode {
    /// Index into the scenario's `cluster.zones`.
    pub zone: usize,
    /// Ready condition True.
    pub ready: bool,
    /// `status.allocatable.cpu` in millicores (topology hints weigh zones by it).
    pub allocatable_cpu_milli: u64,
}

/// What a recorded change sets (`None`: the object is gone).
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayState {
    /// The pod `namespace/name` of the step.
    Pod(Option<ReplayPod>),
    /// `Scenario::services[index]` as recorded.
    Service {
        index: usize,
        spec: Option<Box<scenario::Service>>,
    },
    /// The world's node `index`.
    Node {
        index: NodeId,
        state: Option<ReplayNode>,
    },
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayStep {
    pub at_ns: Nanos,
    pub namespace: String,
    pub name: String,
    pub state: ReplayState,
}

/// A recorded period to replay ([`World::set_replay`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Workloads whose pods only the replay creates, changes and deletes.
    pub workloads: BTreeSet<usize>,
    /// In time order (ties in recording order).
    pub steps: Vec<ReplayStep>,
}

impl World {
    /// Replay `replay` (before [`World::start`]). Its steps must be in time order.
    pub fn set_replay(&mut self, replay: Arc<Replay>) {
        self.replay = Some(replay);
    }

    /// Does the replay own workload `w` (its controllers are off)?
    pub(super) fn replay_owns(&self, w: usize) -> bool {
        self.replay
            .as_ref()
            .is_some_and(|r| r.workloads.contains(&w))
    }

    /// Queue the first step; each step queues the next (the queue holds one at a time).
    pub(super) fn start_replay(&mut self) {
        if let Some(first) = self.replay.as_ref().and_then(|r| r.steps.first()) {
            self.queue.schedule_at(first.at_ns, WorldEvent::Replay(0));
        }
    }

    pub(super) fn describe_replay(&self, i: usize) -> String {
        match self.replay.as_ref().and_then(|r| r.steps.get(i)) {
            Some(s) => {
                let (kind, present) = match &s.state {
                    ReplayState::Pod(p) => ("pod", p.is_some()),
                    ReplayState::Service { spec, .. } => ("service", spec.is_some()),
                    ReplayState::Node { state, .. } => ("node", state.is_some()),
                };
                format!(
                    "{kind} {}/{} {}",
                    s.namespace,
                    s.name,
                    if present { "state" } else { "deleted" }
                )
            }
            None => format!("step {i}"),
        }
    }

    pub(super) fn replay_step(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        let Some(r) = self.replay.clone() else { return };
        let Some(step) = r.steps.get(i) else { return };
        if let Some(next) = r.steps.get(i + 1) {
            let at = next.at_ns.max(self.queue.now());
            self.queue.schedule_at(at, WorldEvent::Replay(i + 1));
        }
        let state = match &step.state {
            ReplayState::Pod(p) => p,
            ReplayState::Service { index, spec } => {
                return self.replay_service(*index, spec.as_deref(), sink);
            }
            ReplayState::Node { index, state } => {
                return self.replay_node(*index, state.as_ref(), sink);
            }
        };
        let key = (step.namespace.clone(), step.name.clone());
        let existing = self
            .replay_pods
            .get(&key)
            .copied()
            .filter(|id| self.pod(*id).is_some());
        match (state, existing) {
            (None, Some(id)) => {
                self.replay_pods.remove(&key);
                self.remove_pod(id, sink);
            }
            (None, None) => {}
            (Some(st), Some(id)) if self.pod(id).is_some_and(|p| p.workload == st.workload) => {
                let node_name = st.node.map(|n| self.nodes[n].name.clone());
                let now = self.queue.now();
                self.write_pod(id, sink, |p| apply(p, st, node_name, now));
            }
            (Some(st), old) => {
                if let Some(id) = old {
                    self.replay_pods.remove(&key);
                    self.remove_pod(id, sink);
                }
                if let Some(id) = self.replay_create(step, st, sink) {
                    self.replay_pods.insert(key, id);
                }
            }
        }
    }

    /// Set Service `i` to its recorded spec: create it if absent, update it if any field
    /// differs (one write, as a `kubectl apply` of the whole object), delete it on `None`.
    fn replay_service(
        &mut self,
        i: usize,
        spec: Option<&scenario::Service>,
        sink: &mut dyn ChangeSink,
    ) {
        if i >= self.services.len() {
            return;
        }
        let Some(spec) = spec else {
            self.delete_service(i, sink);
            return;
        };
        let mut spec = spec.clone();
        spec.present_at_start = self.scenario.services[i].present_at_start;
        if !self.services[i].exists {
            // create_service takes the scenario's definition; a recreated Service may differ
            if self.scenario.services[i] != spec {
                Arc::make_mut(&mut self.scenario).services[i] = spec;
            }
            self.create_service(i, sink);
            return;
        }
        let now = self.queue.now();
        let old = self.services[i].clone();
        self.services[i].spec = spec;
        self.publish_service_update(i, old, now, sink);
    }

    /// Set node `n` to its recorded state: add it if absent, update it, delete its object.
    fn replay_node(&mut self, n: NodeId, st: Option<&ReplayNode>, sink: &mut dyn ChangeSink) {
        if n >= self.nodes.len() {
            return;
        }
        let Some(st) = st else {
            self.delete_node_object(n, sink);
            return;
        };
        let zone = st
            .zone
            .min(self.scenario.cluster.zones.len().saturating_sub(1));
        let zone_name: Arc<str> = self
            .scenario
            .cluster
            .zones
            .get(zone)
            .map_or("", |z| z.name.as_str())
            .into();
        let now = self.queue.now();
        let set = |node: &mut Node| {
            node.zone = zone;
            node.labels
                .insert("topology.kubernetes.io/zone".into(), zone_name.to_string());
            node.zone_name = zone_name.clone();
            node.allocatable_cpu_milli = st.allocatable_cpu_milli;
        };
        if !self.nodes[n].exists {
            set(&mut self.nodes[n]);
            self.add_node(n, sink);
        }
        let ready = if st.ready {
            NodeReady::True
        } else {
            NodeReady::Unknown
        };
        self.write_node(n, sink, |node| {
            set(node);
            if node.ready != ready {
                node.ready = ready;
                node.ready_transition_ns = now;
            }
        });
    }

    fn replay_create(
        &mut self,
        step: &ReplayStep,
        st: &ReplayPod,
        sink: &mut dyn ChangeSink,
    ) -> Option<PodId> {
        let now = self.queue.now();
        let w = st.workload;
        if !self.replay_owns(w) {
            return None;
        }
        let dep = self.deployments.get(w)?;
        let r = dep.new_rs.or_else(|| dep.replica_sets.first().copied())?;
        let ns = dep.namespace.clone();
        let template = self.template_for(r, &step.name);
        let node_name = st.node.map(|n| self.nodes[n].name.clone());
        let rv = write_rv(&mut self.resource_version);
        let id = self.insert_pod(|id| {
            let (uid, name) = (st.uid.clone(), step.name.clone());
            let g = st.termination_grace_ns;
            let mut p =
                super::workloads::new_pod(id, uid, name, ns.clone(), (w, r), template, rv, 0, g);
            p.creation_ns = st.creation_ns;
            apply(&mut p, st, node_name, now);
            p
        });
        self.pod_names.insert(&self.pods, id, &ns, &step.name);
        self.pod_created(id, w, sink);
        Some(id)
    }
}

/// Set a pod to a recorded state. Conditions keep their transition time while their status
/// holds (the kubelet's rule), so an unchanged state makes no write.
fn apply(p: &mut Pod, st: &ReplayPod, node_name: Option<Arc<str>>, now: Nanos) {
    let cond = |old: Option<Condition>, status: Option<bool>| match (old, status) {
        (_, None) => None,
        (Some(c), Some(s)) if c.status == s => Some(c),
        (_, Some(s)) => Some(Condition {
            status: s,
            last_transition_ns: now,
        }),
    };
    p.uid.clone_from(&st.uid);
    p.node = st.node;
    p.node_name = node_name;
    p.scheduled = cond(p.scheduled, st.node.map(|_| true));
    p.phase = st.phase;
    p.ips.clone_from(&st.ips);
    p.ready = cond(p.ready, st.ready);
    p.containers_ready = cond(p.containers_ready, st.ready);
    p.deletion_timestamp_ns = st.deletion_timestamp_ns;
    p.deletion_grace_period_s = st.deletion_grace_period_s;
    p.termination_grace_ns = st.termination_grace_ns;
    p.available = p.is_ready() && p.is_active();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::CountingSink;

    /// A replayed pod goes through exactly the recorded states: created (one Added), changed
    /// (one Updated per visible change, none for a repeat), deleted; the workload's controllers
    /// never add or remove a pod of their own.
    #[test]
    fn replay_sets_exactly_the_recorded_states() {
        let src = r#"
name = "r"
description = "replay"
seed = 1
duration = "1m"
[cluster]
nodes = 2
zones = ["a"]
[[workloads]]
name = "web"
replicas = 3
ports = [{ name = "http", container_port = 8080 }]
"#;
        let mut sc = crate::scenario::parse_str(src, "r.toml", &[]).unwrap();
        sc.workloads[0].replicas = 0;
        let state = |ready: Option<bool>, del: Option<Nanos>| {
            Some(ReplayPod {
                workload: 0,
                uid: "u1".into(),
                node: Some(1),
                phase: PodPhase::Running,
                ips: vec!["10.0.0.7".parse().unwrap()],
                ready,
                creation_ns: 0,
                deletion_timestamp_ns: del,
                deletion_grace_period_s: del.map(|_| 30),
                termination_grace_ns: 30 * NS_PER_SEC,
            })
        };
        let step = |s: u64, state| ReplayStep {
            at_ns: s * NS_PER_SEC,
            namespace: "default".into(),
            name: "web-abc".into(),
            state,
        };
        let replay = Replay {
            workloads: [0].into_iter().collect(),
            steps: vec![
                step(1, ReplayState::Pod(state(Some(false), None))),
                step(2, ReplayState::Pod(state(Some(true), None))),
                step(3, ReplayState::Pod(state(Some(true), None))), // a repeat: no write
                step(
                    4,
                    ReplayState::Pod(state(Some(true), Some(34 * NS_PER_SEC))),
                ),
                step(5, ReplayState::Pod(None)),
            ],
        };
        let mut w = World::new(sc, WorldOptions::default()).unwrap();
        w.set_replay(Arc::new(replay));
        let mut sink = CountingSink::default();
        w.start(&mut sink).unwrap();
        let mut q = crate::sim::EventQueue::new();
        let mut seen = Vec::new();
        loop {
            for (t, e) in w.take_scheduled() {
                q.schedule_at(t, e);
            }
            let Some(e) = q.pop() else { break };
            if e.time_ns > 60 * NS_PER_SEC {
                break;
            }
            w.dispatch(e.time_ns, e.event, &mut sink).unwrap();
            if let Some(p) = w.pods().next() {
                seen.push((e.time_ns / NS_PER_SEC, p.is_ready(), p.is_terminating()));
            }
        }
        // pods: 1 added, 2 updated (ready, terminating), 1 deleted
        assert_eq!(sink.counts[0], [1, 2, 1]);
        assert_eq!(w.pods().count(), 0);
        let p = seen.first().copied().unwrap();
        assert_eq!(p, (1, false, false));
        assert!(seen.contains(&(4, true, true)));
    }

    /// Records (time s, kind, verb) of every change.
    #[derive(Default)]
    struct Log(Vec<(u64, &'static str, &'static str)>);

    impl ChangeSink for Log {
        fn on_change(&mut self, now: Nanos, change: &Change<'_>, _: &World) {
            self.0
                .push((now / NS_PER_SEC, change.kind(), change.verb()));
        }
    }

    /// Service and Node steps change exactly their object at exactly their time: a Service
    /// absent at the start is created at its step (one Added), updated only when its recorded
    /// spec differs (a repeat makes no write), deleted; a Node not in the start state is added,
    /// goes not Ready, is deleted, its pod then removed by pod GC 40 s later.
    #[test]
    fn service_and_node_steps_apply_at_their_time() {
        let src = r#"
name = "r"
description = "replay"
seed = 1
duration = "2m"
[cluster]
nodes = 2
zones = ["a", "b"]
[[workloads]]
name = "web"
replicas = 1
ports = [{ name = "http", container_port = 8080 }]
[[services]]
name = "web"
workload = "web"
ports = [{ port = 80, target_port = "http" }]
"#;
        let mut sc = crate::scenario::parse_str(src, "r.toml", &[]).unwrap();
        sc.workloads[0].replicas = 0;
        sc.services[0].present_at_start = false;
        sc.cluster.nodes[1].initial = false;
        sc.cluster.initial_node_count = 1;
        let base = sc.services[0].clone();
        let mut narrowed = base.clone();
        narrowed
            .selector
            .as_mut()
            .unwrap()
            .insert("tier".into(), "front".into());
        let pod = ReplayPod {
            workload: 0,
            uid: "u1".into(),
            node: Some(1),
            phase: PodPhase::Running,
            ips: vec!["10.0.0.7".parse().unwrap()],
            ready: Some(true),
            creation_ns: 0,
            deletion_timestamp_ns: None,
            deletion_grace_period_s: None,
            termination_grace_ns: 30 * NS_PER_SEC,
        };
        let node = |ready| {
            Some(ReplayNode {
                zone: 1,
                ready,
                allocatable_cpu_milli: 2000,
            })
        };
        let step = |s: u64, name: &str, state| ReplayStep {
            at_ns: s * NS_PER_SEC,
            namespace: "default".into(),
            name: name.into(),
            state,
        };
        let svc = |spec: Option<&crate::scenario::Service>| ReplayState::Service {
            index: 0,
            spec: spec.map(|s| Box::new(s.clone())),
        };
        let replay = Replay {
            workloads: [0].into_iter().collect(),
            steps: vec![
                step(
                    2,
                    "n1",
                    ReplayState::Node {
                        index: 1,
                        state: node(true),
                    },
                ),
                step(3, "web-1", ReplayState::Pod(Some(pod))),
                step(5, "web", svc(Some(&base))),
                step(6, "web", svc(Some(&base))), // a repeat: no write
                step(7, "web", svc(Some(&narrowed))),
                step(
                    8,
                    "n1",
                    ReplayState::Node {
                        index: 1,
                        state: node(false),
                    },
                ),
                step(
                    9,
                    "n1",
                    ReplayState::Node {
                        index: 1,
                        state: None,
                    },
                ),
                step(10, "web", svc(None)),
            ],
        };
        let mut w = World::new(sc, WorldOptions::default()).unwrap();
        w.set_replay(Arc::new(replay));
        let mut log = Log::default();
        w.start(&mut log).unwrap();
        let mut q = crate::sim::EventQueue::new();
        loop {
            for (t, e) in w.take_scheduled() {
                q.schedule_at(t, e);
            }
            let Some(e) = q.pop() else { break };
            if e.time_ns > 100 * NS_PER_SEC {
                break;
            }
            w.dispatch(e.time_ns, e.event, &mut log).unwrap();
        }
        assert_eq!(
            log.0,
            vec![
                (0, "Node", "added"),
                (2, "Node", "added"),
                (3, "Pod", "added"),
                (5, "Service", "added"),
                (7, "Service", "updated"),
                (8, "Node", "updated"),
                (9, "Node", "deleted"),
                (10, "Service", "deleted"),
                (49, "Pod", "deleted"),
            ]
        );
        assert_eq!(w.nodes()[1].zone_name.as_ref(), "b");
        assert_eq!(
            w.services()[0].spec.selector.as_ref().unwrap().get("tier"),
            Some(&"front".to_string())
        );
    }
}
