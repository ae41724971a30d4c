//! Pods grouped by the workload that owns them: a Deployment through its ReplicaSet, a
//! StatefulSet, a DaemonSet, a Job, or none (bare pods, static pods), each becoming one
//! scenario workload.

use std::collections::{BTreeMap, BTreeSet};

use super::podrec::PodRec;
use super::snapshot::{OwnerRec, Snapshot};
use crate::k8s;

/// Pod labels that differ per pod or per template revision; the scenario's template labels
/// leave them out (slicesim's Deployment model adds its own `pod-template-hash`).
pub const PER_POD_LABELS: [&str; 8] = [
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
    "batch.kubernetes.io/job-completion-index",
];

/// One workload as the snapshot shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub namespace: String,
    /// Scenario workload name (unique in its namespace).
    pub name: String,
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `ReplicaSet`, `bare` or an owner kind.
    pub kind: String,
    /// How the owner was found (for the TOML comment).
    pub source: String,
    /// The pods (namespace, name), in name order.
    pub pods: Vec<(String, String)>,
    pub replicas: u32,
    pub replicas_source: String,
    /// Labels every pod of the group carries, less [`PER_POD_LABELS`].
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub selector_note: Option<String>,
    pub ports: Vec<k8s::ContainerPort>,
    pub ready: usize,
    pub not_ready: usize,
    /// Pods with a deletionTimestamp (terminating).
    pub terminating: usize,
    /// Pods without an IP yet (pending).
    pub pending: usize,
    /// The zones the pods run in (node zone labels), when nodes are known.
    pub zones: BTreeSet<String>,
    pub owner: Option<OwnerRec>,
    pub subdomain: Option<String>,
    /// Distinct `spec.hostname` values (StatefulSet pods: one per pod).
    pub hostnames: usize,
    pub grace_seconds: Option<i64>,
    pub cpu_request_milli: Option<i64>,
}

/// Pods left out of every workload, with why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grouping {
    pub groups: Vec<Group>,
    /// Finished pods (Succeeded/Failed): never endpoints.
    pub finished: usize,
}

/// Strip a trailing `-<suffix>` (a ReplicaSet's hash) if it is there.
fn strip_suffix<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.strip_suffix(suffix)?
        .strip_suffix('-')
        .filter(|s| !s.is_empty())
}

/// Group the snapshot's pods.
pub fn group(snap: &Snapshot) -> Grouping {
    // (namespace, kind, name) → (source note, pods)
    let mut by_owner: BTreeMap<(String, String, String), (String, Vec<&PodRec>)> = BTreeMap::new();
    let mut finished = 0;
    for ((ns, _), pod) in &snap.pods {
        if matches!(pod.phase.as_deref(), Some("Succeeded") | Some("Failed")) {
            finished += 1;
            continue;
        }
        let empty = BTreeMap::new();
        let labels = pod.labels.as_deref().unwrap_or(&empty);
        let (kind, name, source) = match pod.controller() {
            Some(("ReplicaSet", rname)) => {
                let rs = snap
                    .owners
                    .get(&("ReplicaSet".into(), ns.clone(), rname.to_string()));
                match rs {
                    Some(rs) => match &rs.owner {
                        Some((k, n)) if k == "Deployment" => (
                            "Deployment".to_string(),
                            n.clone(),
                            format!("Deployment {n} (through its ReplicaSets)"),
                        ),
                        _ => (
                            "ReplicaSet".to_string(),
                            rname.to_string(),
                            format!("ReplicaSet {rname} (no owning Deployment)"),
                        ),
                    },
                    None => match labels
                        .get("pod-template-hash")
                        .and_then(|h| strip_suffix(rname, h))
                    {
                        Some(d) => (
                            "Deployment".to_string(),
                            d.to_string(),
                            format!(
                                "Deployment {d}, inferred from ReplicaSet {} and pod-template-hash (no ReplicaSet object in the input)",
                                rname
                            ),
                        ),
                        None => (
                            "ReplicaSet".to_string(),
                            rname.to_string(),
                            format!("ReplicaSet {rname}"),
                        ),
                    },
                }
            }
            Some(("Node", _)) => {
                // Static (mirror) pods: one per node, grouped by their labels.
                let app = label_name(labels).unwrap_or_else(|| "static".to_string());
                (
                    "static".to_string(),
                    app,
                    "static pods (owned by their Node), grouped by labels".to_string(),
                )
            }
            Some((rkind, rname)) => (
                rkind.to_string(),
                rname.to_string(),
                format!("{rkind} {rname}"),
            ),
            None => {
                let app = label_name(labels).unwrap_or_else(|| pod.name.to_string());
                (
                    "bare".to_string(),
                    app,
                    "bare pods (no owner), grouped by labels".to_string(),
                )
            }
        };
        by_owner
            .entry((ns.clone(), kind, name))
            .or_insert_with(|| (source, Vec::new()))
            .1
            .push(pod);
    }
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut groups = Vec::new();
    for ((ns, kind, name), (source, pods)) in by_owner {
        let mut wname = sanitize(&name);
        if !used.insert((ns.clone(), wname.clone())) {
            let base = format!("{wname}-{}", kind.to_ascii_lowercase());
            let mut i = 1;
            wname = base.clone();
            while !used.insert((ns.clone(), wname.clone())) {
                i += 1;
                wname = format!("{base}-{i}");
            }
        }
        groups.push(build_group(snap, ns, kind, name, wname, source, &pods));
    }
    Grouping { groups, finished }
}

/// A readable workload name from well-known labels.
fn label_name(labels: &BTreeMap<String, String>) -> Option<String> {
    [
        "app.kubernetes.io/name",
        "app",
        "k8s-app",
        "component",
        "name",
    ]
    .iter()
    .find_map(|k| labels.get(*k).cloned())
}

/// A DNS-subdomain-safe name (lowercase, `[a-z0-9.-]`, ≤ 253, alphanumeric ends).
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(253)
        .collect();
    while out.ends_with(['-', '.']) {
        out.pop();
    }
    while out.starts_with(['-', '.']) {
        out.remove(0);
    }
    if out.is_empty() {
        out = "workload".into();
    }
    out
}

fn build_group(
    snap: &Snapshot,
    ns: String,
    kind: String,
    owner_name: String,
    name: String,
    source: String,
    pods: &[&PodRec],
) -> Group {
    let owner = snap
        .owners
        .get(&(kind.clone(), ns.clone(), owner_name.clone()))
        .cloned();
    // Labels common to every pod.
    let mut labels: BTreeMap<String, String> =
        pods[0].labels.as_deref().cloned().unwrap_or_default();
    for p in &pods[1..] {
        labels.retain(|k, v| p.label(k) == Some(v.as_str()));
    }
    for k in PER_POD_LABELS {
        labels.remove(k);
    }
    let mut selector_note = None;
    let selector = match owner.as_ref().and_then(|o| o.match_labels.clone()) {
        Some(sel) if sel.iter().all(|(k, v)| labels.get(k) == Some(v)) => {
            if owner.as_ref().is_some_and(|o| o.has_match_expressions) {
                selector_note =
                    Some("the owner's matchExpressions are not modelled; matchLabels kept".into());
            }
            sel
        }
        Some(_) => {
            selector_note = Some(
                "the owner's matchLabels use per-pod labels; selector = the common pod labels"
                    .into(),
            );
            labels.clone()
        }
        None => labels.clone(),
    };
    // Ports: every container's, first occurrence of each (port, protocol) and name.
    let mut ports: Vec<k8s::ContainerPort> = Vec::new();
    for c in pods[0].containers.iter() {
        for (pname, port, protocol) in &c.ports {
            let proto = protocol.clone().unwrap_or_else(|| "TCP".into());
            let dup = ports.iter().any(|q| {
                (q.container_port == *port && q.protocol.as_deref() == Some(&proto))
                    || (pname.is_some() && q.name == *pname)
            });
            if !dup {
                ports.push(k8s::ContainerPort {
                    name: pname.clone().filter(|n| !n.is_empty()),
                    container_port: *port,
                    protocol: Some(proto),
                    ..Default::default()
                });
            }
        }
    }
    let mut ready = 0;
    let mut not_ready = 0;
    let mut terminating = 0;
    let mut pending = 0;
    let mut zones = BTreeSet::new();
    let mut hostnames = BTreeSet::new();
    for p in pods {
        if p.deletion_timestamp.is_some() {
            terminating += 1;
        } else if p.pod_ips.is_empty() {
            pending += 1;
        } else if p.is_ready() {
            ready += 1;
        } else {
            not_ready += 1;
        }
        if let Some(z) = p
            .node_name
            .as_deref()
            .and_then(|n| snap.nodes.get(n))
            .and_then(|n| n.metadata.labels.as_ref())
            .and_then(|l| l.get(super::snapshot::LABEL_ZONE))
        {
            zones.insert(z.clone());
        }
        if let Some(h) = &p.hostname {
            hostnames.insert(h.clone());
        }
    }
    let live = (pods.len() - terminating) as u32;
    let (replicas, replicas_source) = match &owner {
        Some(o) if matches!(o.kind.as_str(), "Deployment" | "StatefulSet" | "ReplicaSet") => {
            let r = o.replicas.unwrap_or(1).clamp(0, 1_000_000) as u32;
            (
                r,
                format!("{}.spec.replicas = {r}; {live} live pods observed", o.kind),
            )
        }
        Some(o) if o.kind == "DaemonSet" => match o.desired_scheduled {
            Some(d) => (
                d as u32,
                format!("DaemonSet status.desiredNumberScheduled = {d}; {live} live pods observed"),
            ),
            None => (
                live,
                format!("{live} live pods observed (one per selected node)"),
            ),
        },
        _ => (
            live,
            format!("{live} live pods observed (no {kind} object in the input)"),
        ),
    };
    let grace_seconds = pods[0].termination_grace_period_seconds;
    let cpu: Option<i64> = {
        let v: Vec<i64> = pods[0]
            .containers
            .iter()
            .filter_map(|c| c.cpu.as_deref())
            .filter_map(crate::controllers::endpointslice::convert::quantity_milli_value)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let subdomain = pods[0]
        .subdomain
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Group {
        namespace: ns.clone(),
        name,
        kind,
        source,
        pods: pods
            .iter()
            .map(|p| (ns.clone(), p.name.to_string()))
            .collect(),
        replicas,
        replicas_source,
        labels,
        selector,
        selector_note,
        ports,
        ready,
        not_ready,
        terminating,
        pending,
        zones,
        owner,
        subdomain,
        hostnames: hostnames.len(),
        grace_seconds,
        cpu_request_milli: cpu,
    }
}
