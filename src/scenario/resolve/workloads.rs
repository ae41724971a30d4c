//! `[[workloads]]`: Deployments, their pod template, readiness and termination.

use super::*;

pub(super) fn container_ports(cx: &mut Cx, t: &mut Tbl, gpath: &str) -> Option<Vec<ContainerPort>> {
    let items = t.array(cx, "ports")?;
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (p, n) in items {
        let Some(mut pt) = Tbl::new(cx, n, &p, gpath) else {
            continue;
        };
        let name = pt.str(cx, "name");
        if let Some(nm) = &name {
            if let Err(e) = values::check_port_name(&nm.v) {
                cx.err(&nm.origin, &nm.path, e);
            } else if !names.insert(nm.v.clone()) {
                cx.err(
                    &nm.origin,
                    &nm.path,
                    format!("duplicate port name {:?}", nm.v),
                );
            }
        }
        let port = pt.u32(cx, "container_port", 1, 65535);
        if port.is_none() && !pt.has("container_port") {
            pt.missing(cx, "container_port", "port number 1..=65535");
        }
        let protocol = protocol_field(cx, &mut pt);
        pt.finish(cx);
        if let Some(port) = port {
            out.push(ContainerPort {
                name: name.map(|n| n.v),
                container_port: port.v as u16,
                protocol,
            });
        }
    }
    Some(out)
}

pub(super) fn protocol_field(cx: &mut Cx, t: &mut Tbl) -> Protocol {
    match t
        .one_of(cx, "protocol", &["TCP", "UDP", "SCTP"])
        .map(|s| s.v)
    {
        Some("UDP") => Protocol::UDP,
        Some("SCTP") => Protocol::SCTP,
        _ => Protocol::TCP,
    }
}

pub(super) fn resolve_workload(cx: &mut Cx, mut t: Tbl, cluster: &Cluster) -> Workload {
    let name = name_field(
        cx,
        &mut t,
        "Deployment name",
        values::check_dns1123_subdomain,
    );
    let namespace = namespace_field(cx, &mut t);
    let labels = t.string_map(cx, "labels", true).map(|s| s.v);
    let labels = labels.unwrap_or_else(|| {
        let mut m = StringMap::new();
        if !name.is_empty() {
            m.insert("app".to_string(), name.clone());
        }
        m
    });
    let selector = match t.string_map(cx, "selector", true) {
        Some(sel) => {
            if sel.v.is_empty() {
                cx.err(
                    &sel.origin,
                    &sel.path,
                    "a Deployment selector must not be empty",
                );
            }
            for (k, v) in &sel.v {
                if labels.get(k) != Some(v) {
                    cx.err(
                        &sel.origin,
                        &sel.path,
                        format!("selector {k}={v} does not match the pod labels; the Deployment selector must match its template labels"),
                    );
                }
            }
            sel.v
        }
        None => labels.clone(),
    };
    let kind_s = t.one_of(cx, "kind", &["Deployment", "StatefulSet", "DaemonSet"]);
    let kind_v = kind_s.as_ref().map_or("Deployment", |k| k.v);
    // A field of one kind only: located error naming the kind it needs.
    let only = |cx: &mut Cx, f: &dyn Located, want: &str| {
        if kind_v != want {
            cx.err(
                f.origin(),
                f.path(),
                format!("only allowed with kind = \"{want}\" (this workload is a {kind_v})"),
            );
        }
    };
    // apps/v1 Deployment and StatefulSet default replicas = 1; a DaemonSet has none.
    let replicas_s = t.u32(cx, "replicas", 0, 1_000_000);
    if let (Some(r), "DaemonSet") = (&replicas_s, kind_v) {
        cx.err(
            &r.origin,
            &r.path,
            format!(
                "{} is not allowed with kind = \"DaemonSet\": it runs one pod on each node its node_selector (and zones) select; leave replicas out",
                r.v
            ),
        );
    }
    let replicas = replicas_s.map_or(1, |s| s.v);
    let service_name = t.str(cx, "service_name").map(|s| {
        only(cx, &s, "StatefulSet");
        if let Err(e) = values::check_dns1123_label(&s.v) {
            cx.err(&s.origin, &s.path, e);
        }
        s.v
    });
    let parallel = t
        .one_of(cx, "pod_management_policy", &["OrderedReady", "Parallel"])
        .map(|s| {
            only(cx, &s, "StatefulSet");
            s.v == "Parallel"
        })
        .unwrap_or(false);
    let node_selector = t.string_map(cx, "node_selector", true).map(|s| {
        only(cx, &s, "DaemonSet");
        s.v
    });
    let ports = container_ports(cx, &mut t, "workloads[].ports[]").unwrap_or_default();
    let readiness = Readiness {
        schedule_delay: t
            .dist(cx, "schedule_delay")
            .map_or(DurationDist::uniform(5 * NS_PER_MS, 50 * NS_PER_MS), |d| {
                d.v
            }),
        ip_delay: t
            .dist(cx, "ip_delay")
            .map_or(DurationDist::uniform(NS_PER_SEC, 3 * NS_PER_SEC), |d| d.v),
        ready_delay: t.dist(cx, "ready_delay").map_or(
            DurationDist::uniform(2 * NS_PER_SEC, 10 * NS_PER_SEC),
            |d| d.v,
        ),
    };
    let flapping = t.table(cx, "flapping").and_then(|mut ft| {
        let prob = match ft.get(cx, "probability") {
            None => {
                ft.missing(cx, "probability", "a number in 0..=1");
                None
            }
            Some(n) => {
                let p = ft.path_of("probability");
                let v = match n.v {
                    V::Float(f) => Some(f),
                    V::Int(i) => Some(i as f64),
                    _ => None,
                };
                match v {
                    Some(f) if (0.0..=1.0).contains(&f) => Some((f * 1e6).round() as u32),
                    Some(f) => {
                        cx.err(
                            &n.origin,
                            &p,
                            format!("{f} is out of range (allowed: 0.0..=1.0)"),
                        );
                        None
                    }
                    None => {
                        type_error(cx, n, &p, "a probability between 0.0 and 1.0");
                        None
                    }
                }
            }
        };
        let period = ft.duration(cx, "period");
        if period.is_none() && !ft.has("period") {
            ft.missing(cx, "period", "how often each pod may flap, e.g. \"1m\"");
        }
        if let Some(p) = &period {
            if p.v == 0 {
                cx.err(&p.origin, &p.path, "the period must be greater than 0");
            }
        }
        let down = ft
            .dist(cx, "down")
            .map_or(DurationDist::fixed(10 * NS_PER_SEC), |d| d.v);
        ft.finish(cx);
        Some(Flapping {
            probability_ppm: prob?,
            period_ns: period?.v,
            down,
        })
    });
    let grace = t
        .duration(cx, "termination_grace_period")
        .map_or(DEFAULT_GRACE_NS, |d| d.v);
    let termination = Termination {
        grace_period_ns: grace,
        // Default: Ready stays True until the containers exit (the kubelet reports
        // Ready=False when containers stop; a failing readiness probe would need
        // failureThreshold 3 × periodSeconds 10 = 30 s to notice first). A value at or past
        // `exit_after` means no separate not-serving status update.
        not_serving_after: t
            .dist(cx, "not_serving_after")
            .map_or(DurationDist::fixed(grace), |d| d.v),
        exit_after: t
            .dist(cx, "exit_after")
            .map_or(DurationDist::uniform(NS_PER_SEC, 3 * NS_PER_SEC), |d| d.v),
    };
    let strategy_s = t.one_of(cx, "strategy", &["RollingUpdate", "Recreate"]);
    let surge = t.int_or_percent(cx, "max_surge");
    let unavail = t.int_or_percent(cx, "max_unavailable");
    let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    let over_100 = |cx: &mut Cx, x: &S<IntOrPercent>| {
        if let IntOrPercent::Percent(p) = x.v {
            if p > 100 {
                cx.err(
                    &x.origin,
                    &x.path,
                    format!("{p}% is out of range (allowed: 0%..=100%)"),
                );
            }
        }
    };
    // StatefulSet: `partition` (apps validation.go :: validateRollingUpdateStatefulSet: a
    // non-negative integer) and `max_unavailable` (positive count or percentage, not 0, at
    // most 100%; honoured as with the MaxUnavailableStatefulSet gate on, see the kind).
    let partition = t.u32(cx, "partition", 0, i32::MAX as u32).map(|s| {
        only(cx, &s, "StatefulSet");
        s.v
    });
    let mut sts_max_unavailable = None;
    if kind_v != "Deployment" {
        if let Some(s) = strategy_s.as_ref().filter(|s| s.v == "Recreate") {
            cx.err(
                &s.origin,
                &s.path,
                format!("\"Recreate\" is a Deployment strategy; a {kind_v} updates with RollingUpdate (allowed: \"RollingUpdate\")"),
            );
        }
        if let Some(x) = surge.as_ref().filter(|_| kind_v == "StatefulSet") {
            cx.err(
                &x.origin,
                &x.path,
                "a StatefulSet replaces pods without surge (its pods' names are their identity); leave it out",
            );
        }
        if let Some(x) = unavail.as_ref().filter(|_| kind_v == "StatefulSet") {
            if zero(x.v) {
                cx.err(
                    &x.origin,
                    &x.path,
                    "cannot be 0 (allowed: a count of at least 1 or a percentage 1%..=100%; leave it out for one pod at a time)",
                );
            }
            over_100(cx, x);
            sts_max_unavailable = Some(x.v);
        }
        if kind_v == "DaemonSet" {
            for x in [&surge, &unavail].into_iter().flatten() {
                over_100(cx, x);
            }
            // apps validation.go :: ValidateRollingUpdateDaemonSet: exactly one of
            // maxSurge and maxUnavailable is non-zero.
            let has_surge = surge.as_ref().is_some_and(|x| !zero(x.v));
            // (apps/v1 defaults: maxUnavailable 1, maxSurge 0; so a surge needs max_unavailable = 0)
            let has_unavail = unavail.as_ref().map_or(true, |x| !zero(x.v));
            match (has_surge, has_unavail) {
                (true, true) => {
                    if let Some(x) = &surge {
                        cx.err(
                            &x.origin,
                            &x.path,
                            "may not be set when max_unavailable is non-zero (a DaemonSet surges or leaves nodes unavailable, not both): add max_unavailable = 0",
                        );
                    }
                }
                (false, false) => {
                    let o = unavail
                        .as_ref()
                        .or(surge.as_ref())
                        .map_or(t.origin().clone(), |x| x.origin.clone());
                    cx.err(
                        &o,
                        &t.path_of("max_unavailable"),
                        "cannot be 0 when max_surge is 0 (allowed: max_unavailable at least 1 or 1%, or max_surge at least 1 or 1% with max_unavailable = 0)",
                    );
                }
                _ => {}
            }
        }
    }
    let strategy = if kind_v != "Deployment" {
        let d = |x: &Option<S<IntOrPercent>>, default: IntOrPercent| {
            x.as_ref().map_or(default, |x| x.v)
        };
        let (s, u) = match kind_v {
            "DaemonSet" => (
                d(&surge, IntOrPercent::Int(0)),
                d(&unavail, IntOrPercent::Int(1)),
            ),
            _ => (IntOrPercent::Int(0), IntOrPercent::Int(1)),
        };
        Strategy::RollingUpdate {
            max_surge: s,
            max_unavailable: u,
        }
    } else if strategy_s.as_ref().map(|s| s.v) == Some("Recreate") {
        for f in [&surge, &unavail].into_iter().flatten() {
            cx.err(
                &f.origin,
                &f.path,
                "only allowed with strategy = \"RollingUpdate\"",
            );
        }
        Strategy::Recreate
    } else {
        let s = surge.as_ref().map_or(DEFAULT_MAX_SURGE, |s| s.v);
        let u = unavail.as_ref().map_or(DEFAULT_MAX_UNAVAILABLE, |s| s.v);
        // apps validation: both may not be zero; percentages at most 100% for maxUnavailable.
        // kubernetes/kubernetes :: pkg/apis/apps/validation/validation.go :: ValidateRollingUpdateDeployment.
        let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
        if zero(s) && zero(u) {
            let o = unavail
                .as_ref()
                .or(surge.as_ref())
                .map_or(t.origin().clone(), |x| x.origin.clone());
            cx.err(
                &o,
                &t.path_of("max_unavailable"),
                "max_surge and max_unavailable may not both be 0",
            );
        }
        if let (IntOrPercent::Percent(p), Some(x)) = (u, &unavail) {
            if p > 100 {
                cx.err(
                    &x.origin,
                    &x.path,
                    format!("{p}% is out of range (allowed: 0%..=100%)"),
                );
            }
        }
        Strategy::RollingUpdate {
            max_surge: s,
            max_unavailable: u,
        }
    };
    let min_ready = t
        .u32(cx, "min_ready_seconds", 0, i32::MAX as u32)
        .map_or(0, |s| u64::from(s.v) * NS_PER_SEC);
    let identity_set_by_controller = |cx: &mut Cx, s: &S<String>| {
        if kind_v == "StatefulSet" {
            cx.err(
                &s.origin,
                &s.path,
                "set by the StatefulSet controller (hostname = the pod name, subdomain = service_name); leave it out",
            );
        }
    };
    let hostname = t.str(cx, "hostname").map(|s| {
        identity_set_by_controller(cx, &s);
        if let Err(e) = values::check_dns1123_label(&s.v) {
            cx.err(&s.origin, &s.path, e);
        }
        s.v
    });
    let subdomain = t.str(cx, "subdomain").map(|s| {
        identity_set_by_controller(cx, &s);
        if let Err(e) = values::check_dns1123_label(&s.v) {
            cx.err(&s.origin, &s.path, e);
        }
        s.v
    });
    let zones = t
        .str_list(cx, "zones")
        .map(|list| {
            list.iter()
                .filter_map(|z| zone_index(cx, cluster, z))
                .collect()
        })
        .unwrap_or_default();
    let cpu = match t.str(cx, "cpu_request") {
        Some(s) => match values::parse_cpu(&s.v) {
            Ok(v) => v,
            Err(e) => {
                cx.err(&s.origin, &s.path, e);
                100
            }
        },
        None => 100,
    };
    t.finish(cx);
    let mut wl = Workload {
        name,
        namespace,
        selector,
        labels,
        replicas,
        ports,
        readiness,
        flapping,
        termination,
        strategy,
        min_ready_ns: min_ready,
        hostname,
        subdomain,
        zones,
        cpu_request_milli: cpu,
        kind: match kind_v {
            "StatefulSet" => WorkloadKind::StatefulSet {
                service_name,
                parallel,
                partition: partition.unwrap_or(0),
                max_unavailable: sts_max_unavailable,
            },
            "DaemonSet" => WorkloadKind::DaemonSet {
                node_selector: node_selector.unwrap_or_default(),
            },
            _ => WorkloadKind::Deployment,
        },
    };
    if matches!(wl.kind, WorkloadKind::DaemonSet { .. }) {
        // replicas of a DaemonSet: the initial nodes it selects (the world follows the nodes)
        wl.replicas = cluster.nodes[..cluster.initial_node_count.min(cluster.nodes.len())]
            .iter()
            .filter(|n| {
                let zone = cluster.zones.get(n.zone).map_or("", |z| z.name.as_str());
                wl.daemon_runs_on(&node_labels(&n.name, zone), n.zone)
            })
            .count() as u32;
    }
    wl
}

/// A value read with its location (for errors about fields of the wrong kind).
trait Located {
    fn origin(&self) -> &Origin;
    fn path(&self) -> &str;
}

impl<T> Located for S<T> {
    fn origin(&self) -> &Origin {
        &self.origin
    }
    fn path(&self) -> &str {
        &self.path
    }
}

pub(super) fn zone_index(cx: &mut Cx, cluster: &Cluster, z: &S<String>) -> Option<usize> {
    let i = cluster.zones.iter().position(|x| x.name == z.v);
    if i.is_none() {
        let names: Vec<&str> = cluster.zones.iter().map(|z| z.name.as_str()).collect();
        let hint = crate::scenario::diag::suggest(&z.v, names.iter().copied())
            .map(|s| format!(" (did you mean {s:?}?)"))
            .unwrap_or_default();
        cx.err(
            &z.origin,
            &z.path,
            format!(
                "unknown zone {:?}; the cluster's zones are: {}{hint}",
                z.v,
                names.join(", ")
            ),
        );
    }
    i
}
