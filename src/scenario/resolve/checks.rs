//! Cross-cutting checks after everything is read: selection, capacity, event volume.

use super::*;

/// Origin of `coll[i].key`, else of `coll[i]`, else unknown.
pub(super) fn field_origin(root: &Node, coll: &str, i: usize, key: &str) -> Origin {
    match root.get(coll) {
        Some(Node {
            v: V::Array(items), ..
        }) => items
            .get(i)
            .and_then(|it| it.get(key).or(Some(it)))
            .map_or(Origin::Unknown, |n| n.origin.clone()),
        _ => Origin::Unknown,
    }
}

/// (namespace, label key, label value).
pub(super) type LabelKey<'a> = (&'a str, &'a str, &'a str);

/// Above this many expected pod changes from churn or flapping a scenario is legal but will
/// run for a long time: say so at validation, with the count.
pub(super) const MANY_EVENTS: f64 = 10_000_000.0;

/// Warn about absurd-but-valid volumes: churn deleting more pods than [`MANY_EVENTS`]
/// (rate × duration) and readiness flapping with more expected flaps (replicas × duration /
/// period × probability). Each pod change costs several simulated events and controller work.
pub(super) fn warn_event_volume(
    cx: &mut Cx,
    workloads: &[Workload],
    events: &[Event],
    duration_ns: Nanos,
    root: &Node,
) {
    let hint = "expect a long run; `slicesim run` shows progress on stderr (a bar on a \
                terminal, a line every 10 s otherwise; --no-progress hides it)";
    for e in events {
        if let EventKind::Churn {
            mean_interval_ns,
            duration_ns: d,
            ..
        } = &e.kind
        {
            let n = *d as f64 / (*mean_interval_ns).max(1) as f64;
            if n > MANY_EVENTS {
                cx.warn(
                    &field_origin(root, "events", e.file_index, "rate"),
                    &format!("events[{}].rate", e.file_index),
                    format!("this churn deletes about {n:.3e} pods ({n:.0}); {hint}"),
                );
            }
        }
    }
    for (i, w) in workloads.iter().enumerate() {
        if let Some(f) = &w.flapping {
            let flaps = f64::from(w.replicas) * duration_ns as f64 / f.period_ns.max(1) as f64
                * f64::from(f.probability_ppm)
                / 1e6;
            if flaps > MANY_EVENTS {
                cx.warn(
                    &field_origin(root, "workloads", i, "flapping"),
                    &format!("workloads[{i}].flapping"),
                    format!(
                        "workload {:?}: about {flaps:.3e} readiness flaps expected ({} replicas × duration / period × probability); {hint}",
                        w.name, w.replicas
                    ),
                );
            }
        }
    }
}

/// A label a StatefulSet sets on each pod itself (stateful_set_utils.go :: updateIdentity).
fn per_pod_label(k: &str) -> bool {
    k == "statefulset.kubernetes.io/pod-name" || k == "apps.kubernetes.io/pod-index"
}

/// Can a pod of workload `w` carry the per-pod label `k = v` (under release 1.`minor`)? A
/// StatefulSet's pod `<name>-<ordinal>`: its name, and its ordinal with the PodIndexLabel gate.
fn may_carry(w: &Workload, minor: Option<u32>, k: &str, v: &str) -> bool {
    let ordinal = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    if !matches!(w.kind, WorkloadKind::StatefulSet { .. }) {
        return false;
    }
    match k {
        "statefulset.kubernetes.io/pod-name" => v
            .strip_prefix(w.name.as_str())
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(ordinal),
        "apps.kubernetes.io/pod-index" => {
            ordinal(v)
                && minor
                    .map_or(VersionProfile::default(), VersionProfile::for_minor)
                    .pod_index_label
        }
        _ => false,
    }
}

/// Warnings (the scenario still runs): a Service whose selector matches no pod template of
/// any workload version, and a named `target_port` that no selected pod template defines
/// (the EndpointSlice controller then leaves those pods out of that port's slices —
/// kubernetes/endpointslice :: utils.go :: getEndpointPorts / podutil.FindPort).
pub(super) fn check_selection(
    cx: &mut Cx,
    workloads: &[Workload],
    services: &[Service],
    events: &[Event],
    root: &Node,
) {
    // Every (labels, ports) template version of each workload.
    let mut versions: Vec<Vec<(StringMap, Vec<ContainerPort>)>> = workloads
        .iter()
        .map(|w| vec![(w.labels.clone(), w.ports.clone())])
        .collect();
    for e in events {
        if let EventKind::RollingUpdate {
            workload,
            ports,
            labels,
            ..
        } = &e.kind
        {
            if let Some(v) = versions.get_mut(*workload) {
                if let Some((l, p)) = v.last().cloned() {
                    v.push((labels.clone().unwrap_or(l), ports.clone().unwrap_or(p)));
                }
            }
        }
    }
    // Index: (namespace, label key, label value) → template versions carrying that label, so
    // that 10,000 Services × 10,000 workloads stay fast.
    let mut by_label: BTreeMap<LabelKey, Vec<(usize, usize)>> = BTreeMap::new();
    for (wi, w) in workloads.iter().enumerate() {
        for (vi, (labels, _)) in versions[wi].iter().enumerate() {
            for (k, v) in labels {
                by_label
                    .entry((w.namespace.as_str(), k.as_str(), v.as_str()))
                    .or_default()
                    .push((wi, vi));
            }
        }
    }
    let mut updates: BTreeMap<usize, Vec<&StringMap>> = BTreeMap::new();
    for e in events {
        if let EventKind::ServiceUpdate { service, change } = &e.kind {
            if let Some(Some(sel)) = &change.selector {
                updates.entry(*service).or_default().push(sel);
            }
        }
    }
    for (si, svc) in services.iter().enumerate() {
        let mut selectors: Vec<&StringMap> = Vec::new();
        if let Some(sel) = &svc.selector {
            selectors.push(sel);
        }
        if let Some(u) = updates.get(&si) {
            selectors.extend(u.iter().copied());
        }
        if selectors.is_empty() || svc.service_type == ServiceType::ExternalName {
            continue;
        }
        let matches =
            |sel: &StringMap, labels: &StringMap| sel.iter().all(|(k, v)| labels.get(k) == Some(v));
        let mut selected: Vec<&(StringMap, Vec<ContainerPort>)> = Vec::new();
        for sel in &selectors {
            if sel.is_empty() {
                continue; // selectorless
            }
            // A StatefulSet pod's own labels (pod name, pod index) are in no template.
            let (own, shared): (StringMap, StringMap) = sel
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .partition(|(k, _)| per_pod_label(k));
            // Candidates share the selector's first template label, or (a selector on per-pod
            // labels only) are the namespace's StatefulSets.
            let cands: Vec<(usize, usize)> = match shared.iter().next() {
                Some((k, v)) => by_label
                    .get(&(svc.namespace.as_str(), k.as_str(), v.as_str()))
                    .cloned()
                    .unwrap_or_default(),
                None => workloads
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.namespace == svc.namespace)
                    .flat_map(|(wi, _)| (0..versions[wi].len()).map(move |vi| (wi, vi)))
                    .collect(),
            };
            for (wi, vi) in cands {
                let ver = &versions[wi][vi];
                if matches(&shared, &ver.0)
                    && own
                        .iter()
                        .all(|(k, v)| may_carry(&workloads[wi], cx.kubernetes_minor, k, v))
                {
                    selected.push(ver);
                }
            }
        }
        let key = if svc.workload.is_some() && !root_has(root, si, "selector") {
            "workload"
        } else {
            "selector"
        };
        if selected.is_empty() {
            cx.warn(
                &field_origin(root, "services", si, key),
                &format!("services[{si}].{key}"),
                format!(
                    "Service {:?} selects no pods: no workload in namespace {:?} has matching labels in any version",
                    svc.name, svc.namespace
                ),
            );
            continue;
        }
        for (pi, p) in svc.ports.iter().enumerate() {
            if let TargetPort::Name(n) = &p.target_port {
                let found = selected.iter().any(|(_, ports)| {
                    ports.iter().any(|cp| {
                        cp.name.as_deref() == Some(n.as_str()) && cp.protocol == p.protocol
                    })
                });
                if !found {
                    let o = root
                        .get("services")
                        .and_then(|a| match &a.v {
                            V::Array(items) => items.get(si),
                            _ => None,
                        })
                        .and_then(|svc| svc.get("ports"))
                        .and_then(|a| match &a.v {
                            V::Array(items) => items.get(pi),
                            _ => None,
                        })
                        .and_then(|port| port.get("target_port"))
                        .map_or_else(
                            || field_origin(root, "services", si, "ports"),
                            |n| n.origin.clone(),
                        );
                    cx.warn(
                        &o,
                        &format!("services[{si}].ports[{pi}].target_port"),
                        format!(
                            "target_port {n:?} ({}) is not a container port of any selected pod template; those pods get no endpoint for this port",
                            p.protocol.as_str()
                        ),
                    );
                }
            }
        }
    }
}

pub(super) fn root_has(root: &Node, si: usize, key: &str) -> bool {
    match root.get("services") {
        Some(Node {
            v: V::Array(items), ..
        }) => items.get(si).and_then(|it| it.get(key)).is_some(),
        _ => false,
    }
}

/// Pods can never exceed the cluster's pod capacity: Σ over workloads of (replicas + maxSurge)
/// must fit `nodes × max_pods_per_node` at every point of the timeline (surge counted as if
/// every workload rolled at once — a conservative bound).
pub(super) fn check_capacity(
    cx: &mut Cx,
    cluster: &Cluster,
    cluster_origin: Option<&Origin>,
    workloads: &[Workload],
    events: &[Event],
    root: &Node,
) {
    let co = cluster_origin.cloned().unwrap_or(Origin::Unknown);
    // Initial nodes and nodes added by events all need a pod CIDR range.
    check_node_cidr_capacity(cx, cluster, &co, root);
    let peak_nodes = cluster.nodes.len() as u64;
    let capacity = peak_nodes * u64::from(cluster.max_pods_per_node);
    let need = |r: u32, w: &Workload| -> u64 {
        let surge = match w.strategy {
            Strategy::RollingUpdate { max_surge, .. } => max_surge.resolve(r, true),
            Strategy::Recreate => 0,
        };
        u64::from(r) + u64::from(surge)
    };
    let mut cur: Vec<u32> = workloads.iter().map(|w| w.replicas).collect();
    let total = |cur: &[u32]| -> u64 { cur.iter().zip(workloads).map(|(r, w)| need(*r, w)).sum() };
    let item_origin = |coll: &str, i: usize, key: &str| field_origin(root, coll, i, key);
    let t0 = total(&cur);
    if t0 > capacity {
        // Blame the largest workload.
        let (i, w) = workloads
            .iter()
            .enumerate()
            .max_by_key(|(_, w)| w.replicas)
            .map_or((0, 0), |(i, w)| (i, w.replicas));
        cx.err(
            &item_origin("workloads", i, "replicas"),
            &format!("workloads[{i}].replicas"),
            format!(
                "{} replicas do not fit: all workloads need {t0} pods counting rolling-update surge, but the cluster holds {capacity} ({peak_nodes} nodes × {} max_pods_per_node)",
                w, cluster.max_pods_per_node
            ),
        );
        return;
    }
    for e in events {
        if let EventKind::Scale { workload, target } = &e.kind {
            let r = target.apply(cur[*workload]);
            cur[*workload] = r;
            let t = total(&cur);
            if t > capacity {
                let key = match target {
                    ScaleTarget::To(_) => "replicas",
                    ScaleTarget::By(_) => "by",
                };
                cx.err(
                    &item_origin("events", e.file_index, key),
                    &format!("events[{}].{key}", e.file_index),
                    format!(
                        "scaling to {r} replicas does not fit: all workloads then need {t} pods counting rolling-update surge, but the cluster holds {capacity} ({peak_nodes} nodes × {} max_pods_per_node)",
                        cluster.max_pods_per_node
                    ),
                );
                return;
            }
        }
    }
}
