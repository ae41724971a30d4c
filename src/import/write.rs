//! The scenario TOML written from a snapshot: the cluster's shape, with a comment on every
//! section saying where each value came from and what was assumed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::group::{Group, Grouping};
use super::snapshot::{Snapshot, LABEL_MANAGED_BY, LABEL_ZONE};
use crate::controllers::endpointslice::convert::quantity_milli_value;
use crate::k8s;

/// What the writer needs besides the snapshot.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub name: String,
    pub duration: String,
    /// The inputs, as given (for the header comment).
    pub inputs: Vec<String>,
}

/// `"text"` as a TOML basic string.
pub fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise (label keys have `/` and `.`).
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        q(k)
    }
}

fn map(m: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{} = {}", key(k), q(v)))
        .collect();
    if parts.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

fn strs<'a>(v: impl IntoIterator<Item = &'a String>) -> String {
    let parts: Vec<String> = v.into_iter().map(|s| q(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn int_or_pct(v: &k8s::IntOrString) -> String {
    match v {
        k8s::IntOrString::Int(i) => i.to_string(),
        k8s::IntOrString::String(s) => q(s),
    }
}

/// `name = "...", ` for an inline port table (nothing without a name).
fn name_field(name: Option<&str>) -> String {
    name.map(|n| format!("name = {}, ", q(n)))
        .unwrap_or_default()
}

fn family_of(ip: &str) -> &'static str {
    if ip.contains(':') {
        "IPv6"
    } else {
        "IPv4"
    }
}

/// Per zone: node count and allocatable CPU (millicores) of the nodes that report it.
#[derive(Debug, Default, Clone)]
struct ZoneInfo {
    nodes: u64,
    cpu_nodes: u64,
    cpu_milli: i64,
}

/// Render the scenario.
pub fn render(snap: &Snapshot, g: &Grouping, opts: &WriteOptions) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Written by `slicesim import` from:");
    for i in &opts.inputs {
        let _ = writeln!(w, "#   {i}");
    }
    let read: Vec<String> = snap.read.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        w,
        "# Objects read: {}.",
        if read.is_empty() {
            "none".into()
        } else {
            read.join(", ")
        }
    );
    if !snap.skipped.is_empty() {
        let s: Vec<String> = snap
            .skipped
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let _ = writeln!(
            w,
            "# Skipped (kinds the import does not use): {}.",
            s.join(", ")
        );
    }
    if snap.replaced > 0 {
        let _ = writeln!(w, "# {} objects appeared more than once; the newest resourceVersion (or the last watch event) was kept.", snap.replaced);
    }
    let missing: Vec<&str> = super::snapshot::USED_KINDS
        .iter()
        .copied()
        .filter(|k| !snap.read.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            w,
            "# Not in the input: {} (see the comments below for what was inferred instead).",
            missing.join(", ")
        );
    }
    let _ = writeln!(
        w,
        "# The scenario starts from an empty cluster and creates everything at t = 0; the"
    );
    let _ = writeln!(w, "# steady state it reaches has the snapshot's shape. Add [[events]] to ask what-if questions.");
    let _ = writeln!(w, "version = 1");
    let _ = writeln!(w, "name = {}", q(&opts.name));
    let _ = writeln!(
        w,
        "description = {}",
        q(&format!(
            "Imported cluster: {} nodes, {} workloads, {} Services",
            node_count(snap).0,
            g.groups.len(),
            snap.services.len()
        ))
    );
    let _ = writeln!(w, "duration = {}", q(&opts.duration));
    write_kubernetes_version(w, snap);
    let _ = writeln!(w);
    let families = write_cluster(w, snap, g);
    write_workloads(w, snap, g);
    write_services(w, snap, g, &families);
    write_controllers(w, snap);
    out
}

/// The oldest release that models every Service's `trafficDistribution` value, when that is
/// newer than the default release: a 1.34 cluster's `PreferSameNode` would otherwise be
/// validated as unknown and simulated as no preference at all. The release comes from the
/// version profiles (the switch that gates the value), not from a number written here.
fn needed_minor(snap: &Snapshot) -> Option<(u32, String)> {
    use crate::scenario::resolve::{
        DEFAULT_KUBERNETES_MINOR, MAX_KUBERNETES_MINOR, MIN_KUBERNETES_MINOR,
    };
    use crate::scenario::VersionProfile;
    let mut need: Option<(u32, String)> = None;
    for ((ns, name), svc) in &snap.services {
        let Some(t) = svc.spec.traffic_distribution.as_deref() else {
            continue;
        };
        let gate: fn(&VersionProfile) -> bool = match t {
            "PreferSameZone" | "PreferSameNode" => |p| p.prefer_same_traffic_distribution,
            "PreferClose" => |p| p.traffic_distribution,
            _ => continue,
        };
        let Some(minor) = (MIN_KUBERNETES_MINOR..=MAX_KUBERNETES_MINOR)
            .find(|&m| gate(&VersionProfile::for_minor(m)))
        else {
            continue;
        };
        if minor > DEFAULT_KUBERNETES_MINOR && need.as_ref().map_or(0, |(m, _)| *m) < minor {
            need = Some((minor, format!("{ns}/{name} uses trafficDistribution {t}")));
        }
    }
    need
}

fn write_kubernetes_version(w: &mut String, snap: &Snapshot) {
    if let Some((minor, why)) = needed_minor(snap) {
        let _ = writeln!(
            w,
            "# kubernetes_version: 1.{minor}, the first release that models what the snapshot uses ({why})."
        );
        let _ = writeln!(w, "kubernetes_version = {}", q(&format!("1.{minor}")));
    }
}

/// Node count and how it was found.
fn node_count(snap: &Snapshot) -> (u64, String) {
    if !snap.nodes.is_empty() {
        return (
            snap.nodes.len() as u64,
            format!("{} Node objects", snap.nodes.len()),
        );
    }
    let names: BTreeSet<&str> = snap
        .pods
        .values()
        .filter_map(|p| p.node_name.as_deref())
        .collect();
    if names.is_empty() {
        (
            1,
            "no Node objects and no scheduled pods: 1 node assumed".into(),
        )
    } else {
        (
            names.len() as u64,
            format!(
                "no Node objects: {} distinct spec.nodeName values of pods",
                names.len()
            ),
        )
    }
}

/// Writes `[cluster]`; returns the cluster's IP families (primary first).
fn write_cluster(w: &mut String, snap: &Snapshot, g: &Grouping) -> Vec<String> {
    let (nodes, how) = node_count(snap);
    let _ = writeln!(w, "[cluster]");
    let _ = writeln!(w, "# {how}.");
    let _ = writeln!(w, "nodes = {nodes}");
    let mut zones: BTreeMap<String, ZoneInfo> = BTreeMap::new();
    let mut max_pods: Option<u32> = None;
    let mut masks: BTreeSet<u8> = BTreeSet::new();
    for n in snap.nodes.values() {
        let zone = n
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_ZONE))
            .cloned();
        let z = zones.entry(zone.unwrap_or_default()).or_default();
        z.nodes += 1;
        if let Some(cpu) = n.status.allocatable.as_ref().and_then(|a| a.get("cpu")) {
            if let Some(m) = quantity_milli_value(&cpu.0) {
                z.cpu_nodes += 1;
                z.cpu_milli += m;
            }
        }
        if let Some(p) = n
            .status
            .allocatable
            .as_ref()
            .and_then(|a| a.get("pods"))
            .and_then(|p| p.0.parse::<u32>().ok())
        {
            max_pods = Some(max_pods.map_or(p, |m| m.max(p)));
        }
        for c in n.spec.pod_cidrs.iter().flatten() {
            if let Some((a, m)) = c.split_once('/') {
                if !a.contains(':') {
                    if let Ok(m) = m.parse::<u8>() {
                        masks.insert(m);
                    }
                }
            }
        }
    }
    let labelled: Vec<(&String, &ZoneInfo)> = zones.iter().filter(|(z, _)| !z.is_empty()).collect();
    if labelled.is_empty() {
        let _ = writeln!(w, "# No node carries {LABEL_ZONE}: one zone (slicesim's default); topology hints cannot apply.");
        let all = zones.get("");
        if let Some(z) = all.filter(|z| z.cpu_nodes > 0) {
            let _ = writeln!(
                w,
                "# node_cpu: mean status.allocatable.cpu of {} nodes.",
                z.cpu_nodes
            );
            let _ = writeln!(
                w,
                "node_cpu = {}",
                q(&format!("{}m", z.cpu_milli / z.cpu_nodes as i64))
            );
        }
    } else {
        if let Some(z) = zones.get("") {
            let _ = writeln!(
                w,
                "# {} nodes have no {LABEL_ZONE} label: put in zone \"no-zone\".",
                z.nodes
            );
        }
        let _ = writeln!(w, "# zones: {LABEL_ZONE} of the nodes; weight = nodes in the zone; node_cpu = the zone's mean");
        let _ = writeln!(
            w,
            "# status.allocatable.cpu (topology hints weigh zones by their allocatable CPU)."
        );
        let parts: Vec<String> = zones
            .iter()
            .map(|(name, z)| {
                let name = if name.is_empty() { "no-zone" } else { name };
                let cpu = if z.cpu_nodes > 0 {
                    format!(
                        ", node_cpu = {}",
                        q(&format!("{}m", z.cpu_milli / z.cpu_nodes as i64))
                    )
                } else {
                    String::new()
                };
                format!("  {{ name = {}, weight = {}{cpu} }},", q(name), z.nodes)
            })
            .collect();
        let _ = writeln!(w, "zones = [\n{}\n]", parts.join("\n"));
    }
    // Capacity: the validator requires Σ(replicas + surge) ≤ nodes × max_pods_per_node.
    let need: u64 = g
        .groups
        .iter()
        .map(|gr| u64::from(gr.replicas) + u64::from(gr.replicas).div_ceil(4) + 1)
        .sum();
    let mut mpp = max_pods.unwrap_or(110).max(1);
    let mut mpp_note = match max_pods {
        Some(m) => format!("largest status.allocatable.pods of the nodes ({m})"),
        None => "kubelet default (no allocatable pods in the input)".to_string(),
    };
    if nodes * u64::from(mpp) < need {
        mpp = need.div_ceil(nodes).min(10_000) as u32;
        mpp_note = format!("raised so that every workload fits with rolling-update surge ({need} pods on {nodes} nodes)");
    }
    let _ = writeln!(w, "# max_pods_per_node: {mpp_note}.");
    let _ = writeln!(w, "max_pods_per_node = {mpp}");
    // Pod CIDRs: per-node ranges must hold max_pods + 2 addresses and the cluster range all nodes.
    let mut mask: u8 = if masks.len() == 1 {
        *masks.iter().next().unwrap_or(&24)
    } else {
        24
    };
    while mask > 8 && (1u64 << (32 - u32::from(mask))) < u64::from(mpp) + 2 {
        mask -= 1;
    }
    let bits_for_nodes = 64 - (nodes.max(1) - 1).leading_zeros() as u8;
    if mask != 24 || masks.len() == 1 {
        let _ = writeln!(
            w,
            "# node_cidr_mask_size_ipv4: {}.",
            if masks.len() == 1 && Some(&mask) == masks.iter().next() {
                "the nodes' spec.podCIDRs"
            } else {
                "widened to hold max_pods_per_node"
            }
        );
        let _ = writeln!(w, "node_cidr_mask_size_ipv4 = {mask}");
    }
    let cluster_prefix = mask.saturating_sub(bits_for_nodes);
    if cluster_prefix < 16 {
        let p = cluster_prefix.max(9);
        let _ = writeln!(w, "# pod_cidrs: a range that holds {nodes} node ranges of /{mask} (outside the default Service range).");
        let _ = writeln!(w, "pod_cidrs = [\"10.128.0.0/{p}\"]");
    }
    // IP families: pods' IPs (primary = the family of most pods' first IP), plus any family a
    // Service asks for.
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for p in snap.pods.values() {
        let ips = &p.pod_ips;
        if let Some(ip) = ips.first() {
            *first.entry(family_of(ip)).or_default() += 1;
        }
        for ip in ips.iter() {
            seen.insert(family_of(ip));
        }
    }
    for s in snap.services.values() {
        for f in s.spec.ip_families.iter().flatten() {
            seen.insert(if f == "IPv6" { "IPv6" } else { "IPv4" });
        }
    }
    let v6_first =
        first.get("IPv6").copied().unwrap_or(0) > first.get("IPv4").copied().unwrap_or(0);
    let only_v6 = first.is_empty() && seen.len() == 1 && seen.contains("IPv6");
    let primary = if v6_first || only_v6 { "IPv6" } else { "IPv4" };
    let mut families = vec![primary.to_string()];
    for f in ["IPv4", "IPv6"] {
        if f != primary && seen.contains(f) {
            families.push(f.to_string());
        }
    }
    let _ = writeln!(
        w,
        "# ip_families: the pods' IPs and the Services' spec.ipFamilies."
    );
    let _ = writeln!(w, "ip_families = {}", strs(&families));
    let _ = writeln!(w, "# Pod and Service CIDRs otherwise slicesim's defaults: address lengths may differ by a few");
    let _ = writeln!(
        w,
        "# bytes from the cluster's, see the import report for the measured sizes."
    );
    let _ = writeln!(w);
    families
}

fn write_workloads(w: &mut String, snap: &Snapshot, g: &Grouping) {
    if g.finished > 0 {
        let _ = writeln!(
            w,
            "# {} finished pods (phase Succeeded/Failed) left out: they are never endpoints.",
            g.finished
        );
    }
    let zones_total: BTreeSet<String> = snap
        .nodes
        .values()
        .filter_map(|n| n.metadata.labels.as_ref()?.get(LABEL_ZONE).cloned())
        .collect();
    for gr in &g.groups {
        write_workload(w, gr, &zones_total);
    }
}

fn write_workload(w: &mut String, gr: &Group, zones_total: &BTreeSet<String>) {
    let _ = writeln!(w, "[[workloads]]");
    let _ = writeln!(w, "# {}: {}.", gr.kind, gr.source);
    let _ = writeln!(w, "# replicas: {}.", gr.replicas_source);
    let _ = writeln!(
        w,
        "# readiness observed: {} Ready, {} not Ready, {} terminating, {} without an IP yet. slicesim starts every",
        gr.ready, gr.not_ready, gr.terminating, gr.pending
    );
    let _ = writeln!(w, "# pod from scratch and makes it Ready after ready_delay (default 2s..10s): the steady state has all Ready.");
    let _ = writeln!(w, "name = {}", q(&gr.name));
    let _ = writeln!(w, "namespace = {}", q(&gr.namespace));
    if gr.kind == "DaemonSet" {
        let _ = writeln!(w, "# A DaemonSet has no replicas: one pod runs on every node its node_selector (and zones) select,");
        let _ = writeln!(w, "# following node adds and removals.");
    } else {
        let _ = writeln!(w, "replicas = {}", gr.replicas);
    }
    if gr.labels.is_empty() {
        let _ = writeln!(w, "# The pods share no label: slicesim's default labels (app = the name) stand in; no Service selects them.");
    } else {
        let _ = writeln!(w, "# labels: common to every pod, less per-pod and per-revision labels (pod-template-hash, ...).");
        let _ = writeln!(w, "labels = {}", map(&gr.labels));
        if let Some(n) = &gr.selector_note {
            let _ = writeln!(w, "# selector: {n}.");
        }
        let _ = writeln!(w, "selector = {}", map(&gr.selector));
    }
    if !gr.ports.is_empty() {
        let parts: Vec<String> = gr
            .ports
            .iter()
            .map(|p| {
                let name = name_field(p.name.as_deref());
                format!(
                    "{{ {name}container_port = {}, protocol = {} }}",
                    p.container_port,
                    q(p.protocol.as_deref().unwrap_or("TCP"))
                )
            })
            .collect();
        let _ = writeln!(w, "# ports: the containers' ports of the first pod.");
        let _ = writeln!(w, "ports = [{}]", parts.join(", "));
    }
    match gr.kind.as_str() {
        "Deployment" => match &gr.owner {
            Some(o) => {
                let _ = writeln!(w, "# strategy: the Deployment's spec.strategy.");
                if o.strategy.as_deref() == Some("Recreate") {
                    let _ = writeln!(w, "strategy = \"Recreate\"");
                } else {
                    if let Some(s) = &o.max_surge {
                        let _ = writeln!(w, "max_surge = {}", int_or_pct(s));
                    }
                    if let Some(u) = &o.max_unavailable {
                        let _ = writeln!(w, "max_unavailable = {}", int_or_pct(u));
                    }
                }
                if let Some(m) = o.min_ready_seconds.filter(|m| *m > 0) {
                    let _ = writeln!(w, "min_ready_seconds = {m}");
                }
            }
            None => {
                let _ = writeln!(w, "# strategy: no Deployment object in the input: the Deployment defaults (RollingUpdate, 25%/25%) assumed.");
            }
        },
        "StatefulSet" => write_stateful_set(w, gr),
        "DaemonSet" => write_daemon_set(w, gr),
        _ => {
            let _ = writeln!(
                w,
                "# strategy: no rolling-update owner ({}); the Deployment defaults stand in.",
                gr.kind
            );
        }
    }
    if let Some(gs) = gr.grace_seconds {
        let _ = writeln!(w, "termination_grace_period = {}", q(&format!("{gs}s")));
    }
    if let Some(sd) = gr.subdomain.as_ref().filter(|_| gr.kind != "StatefulSet") {
        let _ = writeln!(w, "subdomain = {}", q(sd));
    }
    if gr.hostnames > 1 && gr.kind != "StatefulSet" {
        let _ = writeln!(w, "# The pods have {} distinct spec.hostname values (one per pod); the scenario model has one", gr.hostnames);
        let _ = writeln!(w, "# hostname per workload, so none is set: slices of a headless Service lack the hostnames.");
    }
    if !gr.zones.is_empty() && gr.zones.len() < zones_total.len() {
        let _ = writeln!(w, "# zones: the pods run only in these zones.");
        let _ = writeln!(w, "zones = {}", strs(&gr.zones));
    }
    match gr.cpu_request_milli {
        Some(m) => {
            let _ = writeln!(
                w,
                "# cpu_request: the containers' CPU requests of the first pod (scheduling only)."
            );
            let _ = writeln!(w, "cpu_request = {}", q(&format!("{m}m")));
        }
        None => {
            let _ = writeln!(w, "# No CPU request in the pod spec: 0 (scheduling only).");
            let _ = writeln!(w, "cpu_request = \"0m\"");
        }
    }
    let _ = writeln!(w);
}

/// A StatefulSet: `kind`, its `service_name` (the pods' subdomain) and pod management policy.
/// Its pods' per-pod hostnames follow from the kind (stateful_set_utils.go :: updateIdentity).
fn write_stateful_set(w: &mut String, gr: &Group) {
    let _ = writeln!(w, "# StatefulSet: pods <name>-<ordinal> with spec.hostname = the pod name and spec.subdomain =");
    let _ = writeln!(w, "# service_name (per-pod DNS names under the headless Service of that name); a deleted pod comes back");
    let owner = gr.owner.as_ref();
    let one_at_a_time = owner.map_or(true, |o| {
        o.partition.unwrap_or(0) == 0 && o.max_unavailable.is_none()
    });
    if one_at_a_time {
        let _ = writeln!(w, "# under its name; updates replace one pod at a time, highest ordinal first (RollingUpdate, partition 0).");
    } else {
        let _ = writeln!(w, "# under its name; updates replace pods highest ordinal first, down to the partition (below).");
    }
    let _ = writeln!(w, "kind = \"StatefulSet\"");
    let (service, from) = match owner.and_then(|o| o.service_name.clone()) {
        Some(s) => (Some(s), "the StatefulSet's spec.serviceName"),
        None => (
            gr.subdomain.clone(),
            "the pods' spec.subdomain (no StatefulSet object in the input)",
        ),
    };
    match service.filter(|s| !s.is_empty()) {
        Some(s) if crate::scenario::values::check_dns1123_label(&s).is_ok() => {
            let _ = writeln!(w, "# service_name: {from}.");
            let _ = writeln!(w, "service_name = {}", q(&s));
        }
        Some(s) => {
            let _ = writeln!(
                w,
                "# service_name {s:?} ({from}) is not a DNS label, so no pod subdomain: left out."
            );
        }
        None => {
            let _ = writeln!(w, "# No serviceName: the pods have no subdomain, so no Service publishes their hostnames.");
        }
    }
    if let Some(o) = owner {
        if o.pod_management_policy.as_deref() == Some("Parallel") {
            let _ = writeln!(w, "pod_management_policy = \"Parallel\"");
        }
        if o.strategy.as_deref() == Some("OnDelete") {
            let _ = writeln!(w, "# updateStrategy OnDelete: a rolling_update event replaces the pods as RollingUpdate would.");
        }
        if let Some(p) = o.partition.filter(|&p| p > 0) {
            let _ = writeln!(w, "# partition: the StatefulSet's spec.updateStrategy.rollingUpdate.partition (ordinals below it keep");
            let _ = writeln!(w, "# their revision in a rolling update).");
            let _ = writeln!(w, "partition = {p}");
        }
        if let Some(mu) = o.max_unavailable.as_ref() {
            // The API server drops the field while the gate is off, so a set showing it runs
            // with MaxUnavailableStatefulSet on (stateful_set_control.go ::
            // updateStatefulSetAfterInvariantEstablished).
            if fits_scenario(mu) && !is_zero(mu) {
                let _ = writeln!(w, "# max_unavailable: the StatefulSet's spec.updateStrategy.rollingUpdate.maxUnavailable (shown, so the");
                let _ = writeln!(w, "# cluster runs the MaxUnavailableStatefulSet gate on: alpha 1.24-1.34, beta 1.35).");
                let _ = writeln!(w, "max_unavailable = {}", int_or_pct(mu));
            } else {
                let _ = writeln!(w, "# updateStrategy.rollingUpdate.maxUnavailable = {} is not a count >= 1 or a percentage 1%..=100%: left out (one pod at a time).", int_or_pct(mu));
            }
        }
    }
}

/// A `maxSurge`/`maxUnavailable` as the scenario reads it: a count, or a percentage's number
/// (None: neither, e.g. "25" or "x%").
fn scenario_int_or_pct(v: &k8s::IntOrString) -> Option<u32> {
    match v {
        k8s::IntOrString::Int(i) => u32::try_from(*i).ok(),
        k8s::IntOrString::String(s) => match crate::scenario::values::parse_percent(s) {
            Ok(crate::scenario::IntOrPercent::Percent(p)) => Some(p),
            _ => None,
        },
    }
}

/// Valid as a scenario's `max_surge`/`max_unavailable`: a count, or a percentage up to 100%.
fn fits_scenario(v: &k8s::IntOrString) -> bool {
    match v {
        k8s::IntOrString::Int(_) => scenario_int_or_pct(v).is_some(),
        k8s::IntOrString::String(_) => scenario_int_or_pct(v).is_some_and(|p| p <= 100),
    }
}

/// A DaemonSet: `kind`, its node selector (the labels slicesim's nodes carry) and
/// `max_unavailable`.
fn write_daemon_set(w: &mut String, gr: &Group) {
    let _ = writeln!(w, "kind = \"DaemonSet\"");
    let owner = gr.owner.as_ref();
    let selector = owner
        .and_then(|o| o.node_selector.clone())
        .unwrap_or_default();
    let (kept, dropped): (BTreeMap<String, String>, BTreeMap<String, String>) =
        selector.into_iter().partition(|(k, _)| {
            matches!(
                k.as_str(),
                "kubernetes.io/hostname" | "kubernetes.io/os" | LABEL_ZONE
            )
        });
    if !kept.is_empty() {
        let _ = writeln!(w, "# node_selector: the pod template's spec.nodeSelector.");
        let _ = writeln!(w, "node_selector = {}", map(&kept));
    }
    if !dropped.is_empty() {
        let _ = writeln!(w, "# nodeSelector {} not modelled: slicesim's nodes carry only kubernetes.io/hostname, kubernetes.io/os", map(&dropped));
        let _ = writeln!(w, "# and topology.kubernetes.io/zone; the pods' zones (below, if fewer than all) narrow the nodes instead.");
    }
    match owner {
        Some(o) => {
            // update.go :: rollingUpdate: surge (maxUnavailable 0) or unavailability, not both
            // (validation.go :: ValidateRollingUpdateDaemonSet); apps/v1 defaults 0 and 1.
            let surge = o.max_surge.as_ref().filter(|s| !is_zero(s));
            let unavail = o.max_unavailable.as_ref();
            match (surge, unavail) {
                (Some(s), Some(mu)) if is_zero(mu) && fits_scenario(s) => {
                    let _ = writeln!(w, "# strategy: the DaemonSet's updateStrategy.rollingUpdate (a surge update: the new pod starts");
                    let _ = writeln!(
                        w,
                        "# beside the old one, which goes once the new one is available)."
                    );
                    let _ = writeln!(w, "max_surge = {}", int_or_pct(s));
                    let _ = writeln!(w, "max_unavailable = 0");
                }
                (Some(s), _) => {
                    let _ = writeln!(
                        w,
                        "# updateStrategy.rollingUpdate.maxSurge = {} with maxUnavailable {} is not a valid surge update: no surge.",
                        int_or_pct(s),
                        unavail.map_or("1 (default)".to_string(), int_or_pct)
                    );
                    write_daemon_unavailable(w, unavail);
                }
                (None, _) => write_daemon_unavailable(w, unavail),
            }
        }
        None => {
            let _ = writeln!(w, "# No DaemonSet object in the input: no node selector known; the DaemonSet defaults (maxUnavailable 1).");
        }
    }
}

/// A DaemonSet's `max_unavailable` without surge (the default 1 is not written).
fn write_daemon_unavailable(w: &mut String, mu: Option<&k8s::IntOrString>) {
    match mu {
        Some(mu) if is_zero(mu) || !fits_scenario(mu) => {
            let _ = writeln!(
                w,
                "# maxUnavailable {} without surge is not a valid update: max_unavailable = 1.",
                int_or_pct(mu)
            );
        }
        Some(mu) if *mu != k8s::IntOrString::Int(1) => {
            let _ = writeln!(
                w,
                "# strategy: the DaemonSet's updateStrategy.rollingUpdate.maxUnavailable."
            );
            let _ = writeln!(w, "max_unavailable = {}", int_or_pct(mu));
        }
        _ => {}
    }
}

/// `0` or `"0%"`.
fn is_zero(v: &k8s::IntOrString) -> bool {
    match v {
        k8s::IntOrString::Int(i) => *i == 0,
        k8s::IntOrString::String(s) => s.trim_end_matches('%').trim() == "0",
    }
}

fn write_services(w: &mut String, snap: &Snapshot, g: &Grouping, families: &[String]) {
    // Which workload each pod belongs to, for the comments.
    let mut owner_of: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for gr in &g.groups {
        for (ns, n) in &gr.pods {
            owner_of.insert((ns, n), &gr.name);
        }
    }
    for ((ns, name), svc) in &snap.services {
        let _ = writeln!(w, "[[services]]");
        let sel = svc.spec.selector.as_ref().filter(|s| !s.is_empty());
        let slices: Vec<_> = snap
            .slices
            .values()
            .filter(|s| &s.namespace == ns && s.service.as_deref() == Some(name))
            .collect();
        match sel {
            Some(sel) => {
                let mut wls: BTreeSet<&str> = BTreeSet::new();
                let mut n = 0;
                for ((pns, pn), p) in &snap.pods {
                    if pns == ns && sel.iter().all(|(k, v)| p.label(k) == Some(v.as_str())) {
                        n += 1;
                        if let Some(wl) = owner_of.get(&(pns.as_str(), pn.as_str())) {
                            wls.insert(wl);
                        }
                    }
                }
                let wl: Vec<&str> = wls.into_iter().collect();
                let _ = writeln!(
                    w,
                    "# Service {ns}/{name}: its selector matches {n} pods ({}); {} EndpointSlices in the snapshot.",
                    if wl.is_empty() { "no workload".to_string() } else { format!("workloads {}", wl.join(", ")) },
                    slices.len()
                );
            }
            None => {
                let _ = writeln!(w, "# Service {ns}/{name}: no selector (endpoints managed outside the endpoint controllers).");
            }
        }
        let _ = writeln!(w, "name = {}", q(name));
        let _ = writeln!(w, "namespace = {}", q(ns));
        let ty = svc.spec.type_.as_deref().unwrap_or("ClusterIP");
        if ty != "ClusterIP" {
            let _ = writeln!(w, "type = {}", q(ty));
        }
        if ty == "ExternalName" {
            let _ = writeln!(
                w,
                "external_name = {}",
                q(svc.spec.external_name.as_deref().unwrap_or("example.com"))
            );
        }
        if let Some(sel) = sel {
            let _ = writeln!(w, "selector = {}", map(sel));
        }
        let ports = svc.spec.ports.as_deref().unwrap_or(&[]);
        if !ports.is_empty() {
            let parts: Vec<String> = ports
                .iter()
                .map(|p| {
                    let mut s = String::from("{ ");
                    if let Some(n) = p.name.as_ref().filter(|n| !n.is_empty()) {
                        let _ = write!(s, "name = {}, ", q(n));
                    }
                    let _ = write!(s, "port = {}", p.port);
                    match &p.target_port {
                        k8s::IntOrString::Int(0) => {}
                        k8s::IntOrString::Int(t) => {
                            let _ = write!(s, ", target_port = {t}");
                        }
                        k8s::IntOrString::String(t) => {
                            let _ = write!(s, ", target_port = {}", q(t));
                        }
                    }
                    let _ = write!(
                        s,
                        ", protocol = {}",
                        q(p.protocol.as_deref().unwrap_or("TCP"))
                    );
                    if let Some(a) = &p.app_protocol {
                        let _ = write!(s, ", app_protocol = {}", q(a));
                    }
                    s.push_str(" }");
                    s
                })
                .collect();
            let _ = writeln!(w, "ports = [{}]", parts.join(", "));
        }
        if svc.spec.cluster_ip.as_deref() == Some("None") {
            let _ = writeln!(w, "cluster_ip = \"None\"");
        }
        if svc.spec.publish_not_ready_addresses == Some(true) {
            let _ = writeln!(w, "publish_not_ready_addresses = true");
        }
        if let Some(f) = svc.spec.ip_families.as_ref().filter(|f| !f.is_empty()) {
            let offered: Vec<&String> = f.iter().filter(|x| families.contains(x)).collect();
            if offered.len() == f.len() {
                let _ = writeln!(w, "ip_families = {}", strs(f));
            }
        }
        if let Some(p) = &svc.spec.ip_family_policy {
            let _ = writeln!(w, "ip_family_policy = {}", q(p));
        }
        if let Some(l) = svc.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
            let _ = writeln!(
                w,
                "# labels: copied to the Service's EndpointSlices (they count in their size)."
            );
            let _ = writeln!(w, "labels = {}", map(l));
        }
        if let Some(a) = svc.metadata.annotations.as_ref().filter(|a| !a.is_empty()) {
            let _ = writeln!(
                w,
                "# annotations: only the topology ones the controller reads are kept."
            );
            let _ = writeln!(w, "annotations = {}", map(a));
        }
        if let Some(t) = svc
            .spec
            .traffic_distribution
            .as_ref()
            .filter(|t| !t.is_empty())
        {
            let _ = writeln!(w, "traffic_distribution = {}", q(t));
        }
        if sel.is_none() && ty != "ExternalName" {
            write_selectorless_endpoints(w, snap, ns, name);
        }
        let _ = writeln!(w);
    }
}

fn write_selectorless_endpoints(w: &mut String, snap: &Snapshot, ns: &str, name: &str) {
    let Some(ep) = snap.endpoints.get(&(ns.to_string(), name.to_string())) else {
        let _ = writeln!(
            w,
            "# No Endpoints object for it in the input: it gets no endpoints."
        );
        return;
    };
    let subsets = ep.object.subsets.as_deref().unwrap_or(&[]);
    let mut ready: Vec<String> = Vec::new();
    let mut not_ready: Vec<String> = Vec::new();
    let mut ports: Vec<&k8s::EndpointPort> = Vec::new();
    for s in subsets {
        ready.extend(s.addresses.iter().flatten().map(|a| a.ip.clone()));
        not_ready.extend(s.not_ready_addresses.iter().flatten().map(|a| a.ip.clone()));
        for p in s.ports.iter().flatten() {
            if !ports
                .iter()
                .any(|x| x.name == p.name && x.port == p.port && x.protocol == p.protocol)
            {
                ports.push(p);
            }
        }
    }
    let _ = writeln!(w, "[services.endpoints]");
    let _ = write!(w, "# The snapshot's Endpoints {ns}/{name} (mirrored into EndpointSlices by the mirroring controller)");
    if subsets.len() > 1 {
        let _ = write!(
            w,
            "; its {} subsets flattened into one (the scenario model has one port list)",
            subsets.len()
        );
    }
    let _ = writeln!(w, ".");
    if !ready.is_empty() {
        let _ = writeln!(w, "addresses = {}", strs(&ready));
    }
    if !not_ready.is_empty() {
        let _ = writeln!(w, "not_ready_addresses = {}", strs(&not_ready));
    }
    if !ports.is_empty() {
        let parts: Vec<String> = ports
            .iter()
            .map(|p| {
                let name = name_field(p.name.as_deref());
                let ap = p
                    .app_protocol
                    .as_ref()
                    .map(|a| format!(", app_protocol = {}", q(a)))
                    .unwrap_or_default();
                format!(
                    "{{ {name}port = {}, protocol = {}{ap} }}",
                    p.port,
                    q(p.protocol.as_deref().unwrap_or("TCP"))
                )
            })
            .collect();
        let _ = writeln!(w, "ports = [{}]", parts.join(", "));
    }
    if let Some(l) = ep.object.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
        let _ = writeln!(w, "labels = {}", map(l));
    }
}

fn write_controllers(w: &mut String, snap: &Snapshot) {
    let managed: Vec<_> = snap
        .slices
        .values()
        .filter(|s| s.managed_by.as_deref() == Some("endpointslice-controller.k8s.io"))
        .collect();
    let mirrored = snap
        .slices
        .values()
        .filter(|s| s.managed_by.as_deref() == Some("endpointslicemirroring-controller.k8s.io"))
        .count();
    let largest = managed.iter().map(|s| s.endpoints).max().unwrap_or(0);
    let _ = writeln!(w, "[controllers.endpointslice]");
    if managed.is_empty() {
        let _ = writeln!(w, "# No EndpointSlices managed by the EndpointSlice controller in the input: defaults kept.");
    } else {
        let full = managed.iter().filter(|s| s.endpoints == largest).count();
        let _ = writeln!(
            w,
            "# Observed: {} slices with {LABEL_MANAGED_BY} = endpointslice-controller.k8s.io ({mirrored} mirrored);",
            managed.len()
        );
        let _ = writeln!(
            w,
            "# the largest holds {largest} endpoints ({full} slices that full)."
        );
    }
    if largest > 100 {
        let _ = writeln!(
            w,
            "# --max-endpoints-per-slice is at least the largest observed slice."
        );
        let _ = writeln!(w, "max_endpoints_per_slice = {}", largest.min(1000));
    } else {
        let _ = writeln!(w, "# No slice above 100 endpoints: the default --max-endpoints-per-slice = 100 kept (a smaller");
        let _ = writeln!(
            w,
            "# setting cannot be told from a snapshot unless Services span several full slices)."
        );
        let _ = writeln!(w, "max_endpoints_per_slice = 100");
    }
}
