//! A snapshot pod as a compact record: only the fields the import reads (owner, node,
//! readiness, IPs, ports, labels, timestamps), with the parts pods share interned.
//!
//! Why: a 5,000-node cluster's pods are ~1 GB of JSON; kept as `crate::k8s::Pod` (a struct of
//! every PodSpec/PodStatus field, mostly empty) with their own copies of labels, owner
//! references and containers, 100k pods took ~1 GB of memory. The pods of one ReplicaSet have
//! the same labels, owner reference, containers, node names and timestamps, so each of those is
//! held once ([`PodInterner`]) and a pod is a few pointers and its own name, uid, IPs.
//!
//! [`PodRec::from_pod`] takes the reduced pod that `snapshot::read_pod` builds (so every field
//! is checked and located exactly as before) and [`PodRec::to_pod`] gives it back unchanged:
//! consumers that need a `k8s::Pod` (the report's controllers, the replay) build it on demand.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::k8s;
use crate::k8s::intern::Interner;

/// A container as the import keeps it: name, ports, CPU request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ContainerRec {
    pub name: String,
    /// (name, containerPort, protocol).
    pub ports: Vec<(Option<String>, i32, Option<String>)>,
    /// `resources.requests.cpu` (only when it parses as a quantity).
    pub cpu: Option<String>,
}

/// The pod's `Ready` condition(s) (the only condition kept): (status, lastTransitionTime).
pub type ReadyRec = (Rc<str>, Option<Rc<str>>);

/// One owner reference: (apiVersion, kind, name, uid, controller).
pub type OwnerRefRec = (String, String, String, String, Option<bool>);

/// A pod reduced to what the import reads (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PodRec {
    pub name: Box<str>,
    pub namespace: Rc<str>,
    pub uid: Option<Box<str>>,
    pub resource_version: Option<Box<str>>,
    pub labels: Option<Rc<BTreeMap<String, String>>>,
    pub owner_references: Rc<[OwnerRefRec]>,
    pub creation_timestamp: Option<Rc<str>>,
    pub deletion_timestamp: Option<Rc<str>>,
    pub containers: Rc<[ContainerRec]>,
    pub node_name: Option<Rc<str>>,
    pub hostname: Option<Box<str>>,
    pub subdomain: Option<Rc<str>>,
    pub termination_grace_period_seconds: Option<i64>,
    pub phase: Option<Rc<str>>,
    pub ready: Box<[ReadyRec]>,
    /// `status.podIPs` (else `[status.podIP]`); `status.podIP` is the first.
    pub pod_ips: Box<[Box<str>]>,
}

/// The shared parts of pods: one copy of each distinct value.
#[derive(Debug, Default)]
pub struct PodInterner {
    strs: Interner,
    labels: BTreeSet<Rc<BTreeMap<String, String>>>,
    owners: BTreeSet<Rc<[OwnerRefRec]>>,
    containers: BTreeSet<Rc<[ContainerRec]>>,
}

impl PodInterner {
    fn s(&mut self, s: &str) -> Rc<str> {
        self.strs.intern(s)
    }

    fn labels(&mut self, l: BTreeMap<String, String>) -> Rc<BTreeMap<String, String>> {
        if let Some(r) = self.labels.get(&l) {
            return r.clone();
        }
        let r = Rc::new(l);
        self.labels.insert(r.clone());
        r
    }

    fn owners(&mut self, o: Vec<OwnerRefRec>) -> Rc<[OwnerRefRec]> {
        if let Some(r) = self.owners.get(o.as_slice()) {
            return r.clone();
        }
        let r: Rc<[OwnerRefRec]> = o.into();
        self.owners.insert(r.clone());
        r
    }

    fn containers(&mut self, c: Vec<ContainerRec>) -> Rc<[ContainerRec]> {
        if let Some(r) = self.containers.get(c.as_slice()) {
            return r.clone();
        }
        let r: Rc<[ContainerRec]> = c.into();
        self.containers.insert(r.clone());
        r
    }
}

impl PodRec {
    /// The compact record of a pod reduced by `snapshot::read_pod` (fields it does not set are
    /// not kept).
    pub fn from_pod(p: k8s::Pod, it: &mut PodInterner) -> PodRec {
        let m = p.metadata;
        let owners = m
            .owner_references
            .unwrap_or_default()
            .into_iter()
            .map(|o| (o.api_version, o.kind, o.name, o.uid, o.controller))
            .collect();
        let containers = p
            .spec
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|c| ContainerRec {
                name: c.name,
                ports: c
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.name, p.container_port, p.protocol))
                    .collect(),
                cpu: c
                    .resources
                    .requests
                    .and_then(|mut r| r.remove("cpu"))
                    .map(|q| q.0),
            })
            .collect();
        PodRec {
            name: m.name.unwrap_or_default().into(),
            namespace: it.s(m.namespace.as_deref().unwrap_or_default()),
            uid: m.uid.map(Into::into),
            resource_version: m.resource_version.map(Into::into),
            labels: m.labels.map(|l| it.labels(l)),
            owner_references: it.owners(owners),
            creation_timestamp: m.creation_timestamp.map(|s| it.s(&s)),
            deletion_timestamp: m.deletion_timestamp.map(|s| it.s(&s)),
            containers: it.containers(containers),
            node_name: p.spec.node_name.map(|s| it.s(&s)),
            hostname: p.spec.hostname.map(Into::into),
            subdomain: p.spec.subdomain.map(|s| it.s(&s)),
            termination_grace_period_seconds: p.spec.termination_grace_period_seconds,
            phase: p.status.phase.map(|s| it.s(&s)),
            ready: p
                .status
                .conditions
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.type_ == "Ready")
                .map(|c| (it.s(&c.status), c.last_transition_time.map(|t| it.s(&t))))
                .collect(),
            pod_ips: p
                .status
                .pod_ips
                .unwrap_or_default()
                .into_iter()
                .map(|i| i.ip.into())
                .collect(),
        }
    }

    /// The pod as `snapshot::read_pod` built it.
    pub fn to_pod(&self) -> k8s::Pod {
        let s = |x: &Option<Rc<str>>| x.as_deref().map(str::to_string);
        k8s::Pod {
            kind: Some("Pod".into()),
            api_version: Some("v1".into()),
            metadata: k8s::ObjectMeta {
                name: Some(self.name.to_string()),
                namespace: Some(self.namespace.to_string()),
                uid: self.uid.as_deref().map(str::to_string),
                resource_version: self.resource_version.as_deref().map(str::to_string),
                labels: self.labels.as_deref().cloned(),
                owner_references: Some(
                    self.owner_references
                        .iter()
                        .map(|(a, k, n, u, c)| k8s::OwnerReference {
                            api_version: a.clone(),
                            kind: k.clone(),
                            name: n.clone(),
                            uid: u.clone(),
                            controller: *c,
                            block_owner_deletion: None,
                        })
                        .collect(),
                ),
                creation_timestamp: s(&self.creation_timestamp),
                deletion_timestamp: s(&self.deletion_timestamp),
                ..Default::default()
            },
            spec: k8s::PodSpec {
                containers: Some(
                    self.containers
                        .iter()
                        .map(|c| k8s::Container {
                            name: c.name.clone(),
                            ports: Some(
                                c.ports
                                    .iter()
                                    .map(|(n, p, pr)| k8s::ContainerPort {
                                        name: n.clone(),
                                        container_port: *p,
                                        protocol: pr.clone(),
                                        ..Default::default()
                                    })
                                    .collect(),
                            ),
                            resources: k8s::ResourceRequirements {
                                requests: Some(
                                    c.cpu
                                        .iter()
                                        .map(|q| ("cpu".to_string(), k8s::Quantity(q.clone())))
                                        .collect(),
                                ),
                                ..Default::default()
                            },
                            ..Default::default()
                        })
                        .collect(),
                ),
                node_name: s(&self.node_name),
                hostname: self.hostname.as_deref().map(str::to_string),
                subdomain: s(&self.subdomain),
                termination_grace_period_seconds: self.termination_grace_period_seconds,
                ..Default::default()
            },
            status: k8s::PodStatus {
                phase: s(&self.phase),
                conditions: Some(
                    self.ready
                        .iter()
                        .map(|(st, t)| k8s::PodCondition {
                            type_: "Ready".into(),
                            status: st.to_string(),
                            last_transition_time: t.as_deref().map(str::to_string),
                            ..Default::default()
                        })
                        .collect(),
                ),
                pod_ip: self.pod_ips.first().map(|i| i.to_string()),
                pod_ips: Some(
                    self.pod_ips
                        .iter()
                        .map(|i| k8s::PodIP { ip: i.to_string() })
                        .collect(),
                ),
                ..Default::default()
            },
        }
    }

    /// `labels[key]`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// Ready condition `True`.
    pub fn is_ready(&self) -> bool {
        self.ready.iter().any(|(s, _)| &**s == "True")
    }

    /// The `Ready` condition's status is `True` (Some(true)), another (Some(false)), absent
    /// (None); the first `Ready` condition counts.
    pub fn ready_status(&self) -> Option<bool> {
        self.ready.first().map(|(s, _)| &**s == "True")
    }

    /// The controlling owner reference (`controller: true`), else the first: (kind, name).
    pub fn controller(&self) -> Option<(&str, &str)> {
        self.owner_references
            .iter()
            .find(|r| r.4 == Some(true))
            .or_else(|| self.owner_references.first())
            .map(|r| (r.1.as_str(), r.2.as_str()))
    }
}
