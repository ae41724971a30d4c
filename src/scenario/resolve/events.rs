//! `[[events]]`: the event types, their keys and their targets.

use super::*;

pub(super) const EVENT_TYPES: &[&str] = &[
    "scale",
    "rolling_update",
    "churn",
    "restart_pods",
    "node_failure",
    "node_recovery",
    "zone_failure",
    "zone_recovery",
    "add_nodes",
    "remove_nodes",
    "pod_ip_change",
    "service_update",
    "service_delete",
    "service_create",
    "watch_restart",
];

/// Every key any event type accepts (to say "not allowed for this type" instead of "unknown").
pub(super) const ALL_EVENT_KEYS: &[&str] = &[
    "at",
    "type",
    "workload",
    "replicas",
    "by",
    "ports",
    "labels",
    "rate",
    "duration",
    "count",
    "nodes",
    "zone",
    "toleration",
    "drain",
    "service",
    "selector",
    "publish_not_ready_addresses",
    "annotations",
    "traffic_distribution",
    "watcher",
    "node_cpu",
];

pub(super) fn node_selection(
    cx: &mut Cx,
    t: &mut Tbl,
    cluster: &Cluster,
    nodes_now: usize,
    allow_zone: bool,
) -> Option<NodeSelection> {
    let nodes = t.array(cx, "nodes");
    let count = t.u32(cx, "count", 1, 1_000_000);
    let zone = if allow_zone {
        t.str(cx, "zone").and_then(|z| zone_index(cx, cluster, &z))
    } else {
        None
    };
    match (nodes, count) {
        (Some(_), Some(c)) => {
            cx.err(
                &c.origin,
                &c.path,
                "give either `nodes` or `count`, not both",
            );
            None
        }
        (Some(items), None) => {
            let listed = items.len();
            let mut out = Vec::new();
            for (p, n) in items {
                let idx = match &n.v {
                    V::Int(_) => int_node(cx, n, &p, 0, nodes_now as i64 - 1).map(|s| s.v as usize),
                    V::Str(s) => {
                        let i = cluster.nodes[..nodes_now.min(cluster.nodes.len())]
                            .iter()
                            .position(|x| &x.name == s);
                        if i.is_none() {
                            let hint = crate::scenario::diag::suggest(
                                s,
                                cluster.nodes.iter().map(|x| x.name.as_str()),
                            )
                            .map(|x| format!(" (did you mean {x:?}?)"))
                            .unwrap_or_default();
                            cx.err(
                                &n.origin,
                                &p,
                                format!(
                                    "unknown node {s:?} (nodes are {:?} … {:?}; a node index 0..={} also works){hint}",
                                    cluster.nodes.first().map_or("", |x| x.name.as_str()),
                                    cluster.nodes.get(nodes_now.saturating_sub(1)).map_or("", |x| x.name.as_str()),
                                    nodes_now.saturating_sub(1)
                                ),
                            );
                        }
                        i
                    }
                    _ => {
                        type_error(cx, n, &p, "a node name or index");
                        None
                    }
                };
                if let Some(i) = idx {
                    if out.contains(&i) {
                        cx.err(&n.origin, &p, "node listed twice");
                    } else {
                        out.push(i);
                    }
                }
            }
            if listed == 0 {
                cx.err(t.origin(), &t.path_of("nodes"), "list at least one node");
            }
            if out.is_empty() {
                return None;
            }
            Some(NodeSelection::Nodes(out))
        }
        (None, Some(c)) => {
            if c.v as usize > nodes_now {
                cx.err(
                    &c.origin,
                    &c.path,
                    format!(
                        "{} is more nodes than exist at this time ({nodes_now})",
                        c.v
                    ),
                );
            }
            Some(NodeSelection::Random { count: c.v, zone })
        }
        (None, None) => {
            if !t.has("nodes") && !t.has("count") {
                t.missing(
                    cx,
                    "count",
                    "how many nodes (or `nodes = [names or indices]`)",
                );
            }
            None
        }
    }
}

pub(super) fn required_workload(cx: &mut Cx, t: &mut Tbl, wnames: &Names) -> Option<usize> {
    match t.str(cx, "workload") {
        Some(w) => wnames.lookup(cx, &w),
        None => {
            if !t.has("workload") {
                t.missing(cx, "workload", "name of a workload");
            }
            None
        }
    }
}

pub(super) fn required_service(
    cx: &mut Cx,
    t: &mut Tbl,
    snames: &Names,
) -> Option<(usize, S<String>)> {
    match t.str(cx, "service") {
        Some(s) => snames.lookup(cx, &s).map(|i| (i, s)),
        None => {
            if !t.has("service") {
                t.missing(cx, "service", "name of a service");
            }
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn resolve_events(
    cx: &mut Cx,
    ts: Vec<Tbl>,
    duration_ns: Nanos,
    cluster: &mut Cluster,
    node_gen: &mut NodeGen,
    workloads: &[Workload],
    wnames: &Names,
    services: &mut [Service],
    snames: &Names,
    watchers: &[Watcher],
) -> Vec<Event> {
    // Decode each event first (`at`, `type`), then process in time order so that stateful
    // checks (which nodes exist, whether a Service exists) follow the timeline.
    let mut pending = Vec::new();
    for (i, mut t) in ts.into_iter().enumerate() {
        let at = t.duration(cx, "at");
        if at.is_none() && !t.has("at") {
            t.missing(cx, "at", "when the event happens, e.g. \"1m\"");
        }
        if let Some(a) = &at {
            if a.v > duration_ns && duration_ns > 0 {
                cx.err(
                    &a.origin,
                    &a.path,
                    format!(
                        "{} is after the end of the scenario (duration = {})",
                        values::format_duration(a.v),
                        values::format_duration(duration_ns)
                    ),
                );
            }
        }
        let ty = t.one_of(cx, "type", EVENT_TYPES);
        if ty.is_none() && !t.has("type") {
            t.missing(cx, "type", &format!("one of {}", EVENT_TYPES.join(", ")));
        }
        match (at, ty) {
            (Some(at), Some(ty)) => pending.push((at.v, i, ty.v, t)),
            (_, _) => {
                // Without a valid type, only report keys no event type accepts.
                t.declare(ALL_EVENT_KEYS);
                t.finish(cx);
            }
        }
    }
    pending.sort_by_key(|(at, i, _, _)| (*at, *i));

    let mut present: Vec<bool> = vec![true; services.len()];
    // First presence-changing event decides whether a Service exists at t = 0.
    let mut first_change: Vec<Option<&'static str>> = vec![None; services.len()];
    let mut versions: Vec<u32> = vec![0; workloads.len()];
    let mut out = Vec::new();
    let mut service_events: Vec<(usize, &'static str, S<String>)> = Vec::new();

    for (at, file_index, ty, mut t) in pending {
        let nodes_now = cluster.nodes.len();
        let ctx = format!("for an event of type {ty:?}");
        let kind = match ty {
            "scale" => {
                let w = required_workload(cx, &mut t, wnames);
                let to = t.u32(cx, "replicas", 0, 1_000_000);
                let by = t.int(cx, "by", -1_000_000, 1_000_000);
                let target = match (to, by) {
                    (Some(_), Some(b)) => {
                        cx.err(
                            &b.origin,
                            &b.path,
                            "give either `replicas` (absolute) or `by` (relative), not both",
                        );
                        None
                    }
                    (Some(r), None) => Some(ScaleTarget::To(r.v)),
                    (None, Some(b)) => Some(ScaleTarget::By(b.v)),
                    (None, None) => {
                        if !t.has("replicas") && !t.has("by") {
                            t.missing(cx, "replicas", "the new replica count (or `by = ±N`)");
                        }
                        None
                    }
                };
                if let Some(wl) = w.and_then(|w| workloads.get(w)) {
                    if matches!(wl.kind, WorkloadKind::DaemonSet { .. }) {
                        let o = t.origin().clone();
                        cx.err(
                            &o,
                            &t.path_of("workload"),
                            format!("workload {:?} is a DaemonSet: its pods follow the nodes (one per selected node) and cannot be scaled; allowed: a Deployment or StatefulSet", wl.name),
                        );
                    }
                }
                match (w, target) {
                    (Some(workload), Some(target)) => Some(EventKind::Scale { workload, target }),
                    _ => None,
                }
            }
            "rolling_update" => {
                let w = required_workload(cx, &mut t, wnames);
                let ports = container_ports(cx, &mut t, "events[].ports[]");
                let labels = t.string_map(cx, "labels", true);
                if let (Some(w), Some(l)) = (w, &labels) {
                    for (k, v) in &workloads[w].selector {
                        if l.v.get(k) != Some(v) {
                            cx.err(
                                &l.origin,
                                &l.path,
                                format!("the new labels must still match the Deployment selector ({k}={v} is missing); the selector is immutable"),
                            );
                        }
                    }
                }
                w.map(|workload| {
                    versions[workload] += 1;
                    EventKind::RollingUpdate {
                        workload,
                        version: versions[workload],
                        ports,
                        labels: labels.map(|l| l.v),
                    }
                })
            }
            "churn" => {
                let w = t
                    .str(cx, "workload")
                    .and_then(|w| wnames.lookup(cx, &w).map(Some));
                let rate = t.str(cx, "rate");
                let rate = match rate {
                    Some(r) => match values::parse_rate(&r.v) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            cx.err(&r.origin, &r.path, e);
                            None
                        }
                    },
                    None => {
                        if !t.has("rate") {
                            t.missing(cx, "rate", "pod deletions per time, e.g. \"10/m\"");
                        }
                        None
                    }
                };
                let dur = t.duration(cx, "duration");
                if dur.is_none() && !t.has("duration") {
                    t.missing(cx, "duration", "how long the churn lasts, e.g. \"5m\"");
                }
                if let Some(d) = &dur {
                    if at.saturating_add(d.v) > duration_ns {
                        cx.err(
                            &d.origin,
                            &d.path,
                            format!(
                                "churn from {} for {} runs past the end of the scenario ({})",
                                values::format_duration(at),
                                values::format_duration(d.v),
                                values::format_duration(duration_ns)
                            ),
                        );
                    }
                }
                let workload = if t.has("workload") {
                    w.flatten().map(Some)
                } else {
                    Some(None)
                };
                match (workload, rate, dur) {
                    (Some(workload), Some(mean_interval_ns), Some(d)) => Some(EventKind::Churn {
                        workload,
                        mean_interval_ns,
                        duration_ns: d.v,
                    }),
                    _ => None,
                }
            }
            "restart_pods" | "pod_ip_change" => {
                let w = required_workload(cx, &mut t, wnames);
                let count = t.u32(cx, "count", 1, 1_000_000).map_or(1, |c| c.v);
                w.map(|workload| {
                    if ty == "restart_pods" {
                        EventKind::RestartPods { workload, count }
                    } else {
                        EventKind::PodIpChange { workload, count }
                    }
                })
            }
            "node_failure" => {
                let sel = node_selection(cx, &mut t, cluster, nodes_now, true);
                let tol = t
                    .duration(cx, "toleration")
                    .map_or(cluster.default_toleration_ns, |d| d.v);
                sel.map(|nodes| EventKind::NodeFailure {
                    nodes,
                    toleration_ns: tol,
                })
            }
            "node_recovery" => node_selection(cx, &mut t, cluster, nodes_now, true)
                .map(|nodes| EventKind::NodeRecovery { nodes }),
            "remove_nodes" => {
                let sel = node_selection(cx, &mut t, cluster, nodes_now, true);
                let drain = t.bool(cx, "drain").map_or(true, |b| b.v);
                sel.map(|nodes| EventKind::RemoveNodes { nodes, drain })
            }
            "zone_failure" | "zone_recovery" => {
                let z = match t.str(cx, "zone") {
                    Some(z) => zone_index(cx, cluster, &z),
                    None => {
                        if !t.has("zone") {
                            t.missing(cx, "zone", "name of a zone");
                        }
                        None
                    }
                };
                if ty == "zone_failure" {
                    let tol = t
                        .duration(cx, "toleration")
                        .map_or(cluster.default_toleration_ns, |d| d.v);
                    z.map(|zone| EventKind::ZoneFailure {
                        zone,
                        toleration_ns: tol,
                    })
                } else {
                    z.map(|zone| EventKind::ZoneRecovery { zone })
                }
            }
            "add_nodes" => {
                let count = t.u32(cx, "count", 1, 50_000);
                if count.is_none() && !t.has("count") {
                    t.missing(cx, "count", "how many nodes join");
                }
                let zone = t.str(cx, "zone").map(|z| zone_index(cx, cluster, &z));
                let cpu = cpu_field(cx, &mut t, "node_cpu");
                match (count, zone, &mut *node_gen) {
                    (Some(c), z, g) if !matches!(z, Some(None)) => {
                        let mut idx = Vec::new();
                        if cluster.nodes.len() + c.v as usize > 50_000 {
                            cx.err(&c.origin, &c.path, "the cluster would exceed 50000 nodes");
                        } else {
                            for _ in 0..c.v {
                                let zi = match z {
                                    Some(Some(zi)) => zi,
                                    _ => g.wrr.next(),
                                };
                                let c = cpu
                                    .or_else(|| g.zone_cpu.get(zi).copied().flatten())
                                    .unwrap_or(g.cpu_milli);
                                idx.push(add_node(cluster, zi, c, false, &mut g.names));
                            }
                        }
                        Some(EventKind::AddNodes { nodes: idx })
                    }
                    _ => None,
                }
            }
            "service_update" => {
                let s = required_service(cx, &mut t, snames);
                let ports = service_ports(cx, &mut t, "events[].ports[]");
                let selector = t.string_map(cx, "selector", true).map(|s| {
                    if s.v.is_empty() {
                        None
                    } else {
                        Some(s.v)
                    }
                });
                let pnra = t.bool(cx, "publish_not_ready_addresses").map(|b| b.v);
                let labels = t.string_map(cx, "labels", true).map(|s| s.v);
                let annotations = t.string_map(cx, "annotations", false).map(|s| s.v);
                let td = t.str(cx, "traffic_distribution").and_then(|s| {
                    if s.v.is_empty() {
                        Some(None)
                    } else if traffic_distribution_ok(cx, &s) {
                        Some(Some(s.v))
                    } else {
                        None
                    }
                });
                s.map(|(service, name)| {
                    service_events.push((service, "service_update", name));
                    EventKind::ServiceUpdate {
                        service,
                        change: ServiceChange {
                            ports,
                            selector,
                            publish_not_ready_addresses: pnra,
                            labels,
                            annotations,
                            traffic_distribution: td,
                        },
                    }
                })
            }
            "service_delete" | "service_create" => {
                required_service(cx, &mut t, snames).map(|(service, name)| {
                    if first_change[service].is_none() {
                        first_change[service] = Some(ty);
                        if ty == "service_create" {
                            present[service] = false;
                        }
                    }
                    service_events.push((service, ty, name));
                    if ty == "service_delete" {
                        EventKind::ServiceDelete { service }
                    } else {
                        EventKind::ServiceCreate { service }
                    }
                })
            }
            "watch_restart" => match t.str(cx, "watcher") {
                None => Some(EventKind::WatchRestart { watcher: None }),
                Some(w) => match watchers.iter().position(|x| x.name == w.v) {
                    Some(i) => Some(EventKind::WatchRestart { watcher: Some(i) }),
                    None => {
                        cx.err(
                            &w.origin,
                            &w.path,
                            format!(
                                "unknown watcher {:?}; watchers: {}",
                                w.v,
                                watchers
                                    .iter()
                                    .map(|x| x.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        None
                    }
                },
            },
            _ => None,
        };
        t.finish_with(cx, &ctx, ALL_EVENT_KEYS);
        if let Some(kind) = kind {
            out.push(Event {
                at_ns: at,
                file_index,
                kind,
            });
        }
    }
    // Service existence along the timeline.
    for (i, s) in services.iter_mut().enumerate() {
        s.present_at_start = present[i];
    }
    let mut exists = present.clone();
    for (svc, ty, name) in service_events {
        let ok = match ty {
            "service_create" => !exists[svc],
            _ => exists[svc],
        };
        if !ok {
            let why = match ty {
                "service_create" => "it already exists at this time",
                "service_delete" => "it does not exist at this time (already deleted)",
                _ => "it does not exist at this time (deleted earlier)",
            };
            cx.err(
                &name.origin,
                &name.path,
                format!(
                    "cannot {} service {:?}: {why}",
                    ty.trim_start_matches("service_"),
                    name.v
                ),
            );
        }
        match ty {
            "service_create" => exists[svc] = true,
            "service_delete" => exists[svc] = false,
            _ => {}
        }
    }
    out
}
