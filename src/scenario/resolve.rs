//! Stage 1 → 2: the spanned tree → the resolved [`Scenario`] model.
//!
//! Every field is read through [`Tbl`] getters (type checks, ranges, unknown keys), defaults
//! are filled in from Kubernetes where Kubernetes has one (each cited at its constant), then
//! cross-references are resolved to indices and checked (unknown names, duplicates, events
//! after `duration`, capacity, CIDR overlaps, IP families). All problems are collected.

use super::decode::{duration_node, int_node, type_error, Cx, Tbl, S};
use super::model::*;
use super::tree::{Node, Origin, V};
use super::values;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

// ----- Kubernetes defaults (v1.32–v1.34) ---------------------------------------------------

/// kubelet `maxPods` default. kubernetes/kubernetes :: pkg/kubelet/apis/config/v1beta1/defaults.go :: SetDefaults_KubeletConfiguration (MaxPods 110).
pub const DEFAULT_MAX_PODS: u32 = 110;
/// KCM node IPAM `--node-cidr-mask-size-ipv4` / `-ipv6` defaults when unset.
/// kubernetes/kubernetes :: cmd/kube-controller-manager/app/core.go :: defaultNodeMaskCIDRIPv4 = 24, defaultNodeMaskCIDRIPv6 = 64 (also kubeadm getClusterNodeMask).
pub const DEFAULT_NODE_MASK_V4: u8 = 24;
pub const DEFAULT_NODE_MASK_V6: u8 = 64;
/// Pod CIDR defaults used by kind / flannel-style setups (`--cluster-cidr`).
pub const DEFAULT_POD_CIDR_V4: &str = "10.244.0.0/16";
pub const DEFAULT_POD_CIDR_V6: &str = "fd00:10:244::/56";
/// kube-apiserver `--service-cluster-ip-range` as used by kind.
pub const DEFAULT_SERVICE_CIDR_V4: &str = "10.96.0.0/16";
pub const DEFAULT_SERVICE_CIDR_V6: &str = "fd00:10:96::/112";
/// Address range for generated addresses of manually managed Endpoints.
pub const DEFAULT_MANUAL_ENDPOINTS_CIDR_V4: &str = "192.168.0.0/16";
pub const DEFAULT_MANUAL_ENDPOINTS_CIDR_V6: &str = "fd00:192:168::/64";
/// GKE-like node names (name length matters for wire bytes: every endpoint carries nodeName).
pub const DEFAULT_NODE_NAME_PATTERN: &str = "gke-slicesim-default-pool-{hex8}-{rand4}";
/// node-monitor-grace-period: 50 s since v1.32 (kubernetes/kubernetes PR #126287).
pub const DEFAULT_NODE_MONITOR_GRACE_NS: Nanos = 50 * NS_PER_SEC;
/// DefaultTolerationSeconds admission plugin: 300 s for not-ready / unreachable.
pub const DEFAULT_TOLERATION_NS: Nanos = 300 * NS_PER_SEC;
/// core/v1 PodSpec terminationGracePeriodSeconds default 30.
/// kubernetes/kubernetes :: pkg/apis/core/v1/defaults.go :: SetDefaults_PodSpec.
pub const DEFAULT_GRACE_NS: Nanos = 30 * NS_PER_SEC;
/// apps/v1 Deployment defaults: RollingUpdate 25% / 25%, replicas 1, minReadySeconds 0.
/// kubernetes/kubernetes :: pkg/apis/apps/v1/defaults.go :: SetDefaults_Deployment.
pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
/// ESC: `--max-endpoints-per-slice` default 100 (1..=1000), `--concurrent-service-endpoint-syncs` 5 (1..=50),
/// retry 1 s·2^n capped at 1000 s, 15 retries.
/// kubernetes/kubernetes :: pkg/controller/endpointslice/config/v1alpha1/defaults.go; pkg/controller/endpointslice/endpointslice_controller.go :: NewController, handleErr.
pub const DEFAULT_MAX_ENDPOINTS_PER_SLICE: u32 = 100;
/// EPC `maxCapacity` = 1000 addresses (truncation since v1.22). pkg/controller/endpoint/endpoints_controller.go.
pub const DEFAULT_ENDPOINTS_MAX_CAPACITY: u32 = 1000;
/// ESMC `--mirroring-max-endpoints-per-subset` default 1000 (1..=1000).
pub const DEFAULT_MIRRORING_MAX_PER_SUBSET: u32 = 1000;
pub const DEFAULT_WORKERS: u32 = 5;
/// etcd `--max-request-bytes` default 1.5 MiB.
pub const DEFAULT_ETCD_MAX_REQUEST_BYTES: u64 = 1_572_864;
/// kube-proxy's informer selector: slices of headless Services and of Services handled by
/// another proxy are never sent to it. kubernetes/kubernetes :: cmd/kube-proxy/app/server.go :: ProxyServer.Run.
pub const KUBE_PROXY_SELECTOR: &str =
    "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless";

const EVENT_TYPES: &[&str] = &[
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
const ALL_EVENT_KEYS: &[&str] = &[
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

/// Most entries one `copies` expansion (or all of them together) may produce per array.
pub const MAX_COPIES: i64 = 100_000;

/// Expand `copies = N` in `[[workloads]]` and `[[services]]`: the entry is replaced by N
/// copies in which every `{i}` inside a string value becomes the copy number (0-based).
/// Lets one entry describe e.g. 10,000 Services of the scalability envelope. Locations of
/// the copies still point at the template, so errors stay located.
pub fn expand_copies(root: &mut Node, cx: &mut Cx) {
    for key in ["workloads", "services"] {
        cx.schema.insert(format!("{key}[].copies"));
        let V::Table(entries) = &mut root.v else {
            return;
        };
        let Some((_, _, arr)) = entries.iter_mut().find(|(k, _, _)| k == key) else {
            continue;
        };
        let V::Array(items) = &mut arr.v else {
            continue;
        };
        if !items.iter().any(|it| it.get("copies").is_some()) {
            continue;
        }
        let mut out = Vec::new();
        for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
            let copies = match &mut item.v {
                V::Table(fields) => match fields.iter().position(|(k, _, _)| k == "copies") {
                    Some(pos) => {
                        let (_, _, n) = fields.remove(pos);
                        let path = format!("{key}[{i}].copies");
                        int_node(cx, &n, &path, 1, MAX_COPIES).map(|c| (c.v, n.origin))
                    }
                    None => None,
                },
                _ => None,
            };
            match copies {
                None => out.push(item),
                Some((n, origin)) => {
                    if out.len() as i64 + n > MAX_COPIES {
                        cx.err(
                            &origin,
                            &format!("{key}[{i}].copies"),
                            format!("{key} would have more than {MAX_COPIES} entries"),
                        );
                        out.push(item);
                        continue;
                    }
                    for c in 0..n {
                        let mut copy = item.clone();
                        substitute_index(&mut copy, &c.to_string());
                        out.push(copy);
                    }
                }
            }
        }
        *items = out;
    }
}

fn substitute_index(n: &mut Node, i: &str) {
    match &mut n.v {
        V::Str(s) if s.contains("{i}") => *s = s.replace("{i}", i),
        V::Array(items) => items.iter_mut().for_each(|c| substitute_index(c, i)),
        V::Table(entries) => entries
            .iter_mut()
            .for_each(|(_, _, c)| substitute_index(c, i)),
        _ => {}
    }
}

/// Result of resolution: the model (if there were no errors) plus the schema paths seen.
pub fn resolve(root: &Node, cx: &mut Cx, source: Source) -> Option<Scenario> {
    let mut top = Tbl::new(cx, root, "", "")?;
    let name = top.str(cx, "name");
    if name.is_none() && !top.has("name") {
        top.missing(cx, "name", "a short scenario name");
    }
    if let Some(n) = &name {
        // The name becomes a directory name (results/<name>): keep it a plain file name.
        let ok = !n.v.is_empty()
            && n.v.len() <= 100
            && !n.v.starts_with('.')
            && n.v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            cx.err(
                &n.origin,
                &n.path,
                format!(
                    "{:?} is not a valid scenario name (1 to 100 of [A-Za-z0-9._-], not starting with '.'; it names the output directory)",
                    n.v
                ),
            );
        }
    }
    let description = top.str(cx, "description");
    if let Some(d) = &description {
        if d.v.contains('\n') {
            cx.err(
                &d.origin,
                &d.path,
                "the description must be one line (it is shown by `slicesim scenarios`); put details in a comment",
            );
        }
    }
    let seed = top.seed(cx, "seed").map_or(1, |s| s.v);
    let duration = top.duration(cx, "duration");
    if duration.is_none() && !top.has("duration") {
        top.missing(cx, "duration", "simulated time, e.g. \"10m\"");
    }
    if let Some(d) = &duration {
        if d.v == 0 {
            cx.err(&d.origin, &d.path, "the duration must be greater than 0");
        }
    }
    let duration_ns = duration.as_ref().map_or(0, |d| d.v);

    let cluster_t = top.table(cx, "cluster");
    let cluster_o = cluster_t.as_ref().map(|t| t.origin().clone());
    let (mut cluster, mut node_gen) = resolve_cluster(cx, cluster_t);

    let workload_ts = top.tables(cx, "workloads");
    let workloads: Vec<Workload> = workload_ts
        .into_iter()
        .map(|t| resolve_workload(cx, t, &cluster))
        .collect();
    check_duplicates(
        cx,
        root.get("workloads"),
        workloads
            .iter()
            .map(|w| format!("{}/{}", w.namespace, w.name)),
        "workload",
    );

    let wnames = Names::new(
        "workload",
        workloads
            .iter()
            .map(|w| (w.namespace.as_str(), w.name.as_str())),
    );
    let service_ts = top.tables(cx, "services");
    let services: Vec<Service> = service_ts
        .into_iter()
        .map(|t| resolve_service(cx, t, &cluster, &workloads, &wnames))
        .collect();
    let snames = Names::new(
        "service",
        services
            .iter()
            .map(|s| (s.namespace.as_str(), s.name.as_str())),
    );
    check_duplicates(
        cx,
        root.get("services"),
        services
            .iter()
            .map(|s| format!("{}/{}", s.namespace, s.name)),
        "service",
    );

    let controllers = {
        let t = top.table(cx, "controllers");
        resolve_controllers(cx, t)
    };
    let apiserver = {
        let t = top.table(cx, "apiserver");
        resolve_apiserver(cx, t)
    };
    let watchers = resolve_watchers(cx, &mut top);
    let plan = {
        let t = top.table(cx, "plan");
        resolve_plan(cx, t, &wnames)
    };

    let mut services = services;
    let event_ts = top.tables(cx, "events");
    let events = resolve_events(
        cx,
        event_ts,
        duration_ns,
        &mut cluster,
        &mut node_gen,
        &workloads,
        &wnames,
        &mut services,
        &snames,
        &watchers,
    );
    check_capacity(cx, &cluster, cluster_o.as_ref(), &workloads, &events, root);
    if cx.diags.is_empty() {
        check_selection(cx, &workloads, &services, &events, root);
        warn_event_volume(cx, &workloads, &events, duration_ns, root);
    }
    top.finish(cx);

    if !cx.diags.is_empty() {
        return None;
    }
    Some(Scenario {
        name: name.map(|n| n.v).unwrap_or_default(),
        description: description.map(|d| d.v).unwrap_or_default(),
        seed,
        duration_ns,
        source,
        cluster,
        services,
        workloads,
        events,
        controllers,
        apiserver,
        watchers,
        plan,
    })
}

/// Report duplicated names in an array of tables, at the later occurrence.
fn check_duplicates(
    cx: &mut Cx,
    arr: Option<&Node>,
    names: impl Iterator<Item = String>,
    what: &str,
) {
    let Some(Node {
        v: V::Array(items), ..
    }) = arr
    else {
        return;
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, n) in names.enumerate() {
        if n.ends_with('/') {
            continue; // name missing: already reported
        }
        if let Some(first) = seen.get(&n) {
            let o = items
                .get(i)
                .and_then(|it| it.get("name"))
                .map_or(Origin::Unknown, |x| x.origin.clone());
            let coll = if what == "service" {
                "services"
            } else {
                "workloads"
            };
            cx.err(
                &o,
                &format!("{coll}[{i}].name"),
                format!("duplicate {what} {n:?} (already defined by {coll}[{first}]); names must be unique per namespace"),
            );
        } else {
            seen.insert(n, i);
        }
    }
}

fn name_field(
    cx: &mut Cx,
    t: &mut Tbl,
    what: &str,
    check: fn(&str) -> Result<(), String>,
) -> String {
    match t.str(cx, "name") {
        Some(s) => {
            if let Err(e) = check(&s.v) {
                cx.err(&s.origin, &s.path, e);
            }
            s.v
        }
        None => {
            if !t.has("name") {
                t.missing(cx, "name", what);
            }
            String::new()
        }
    }
}

fn namespace_field(cx: &mut Cx, t: &mut Tbl) -> String {
    match t.str(cx, "namespace") {
        Some(s) => {
            if let Err(e) = values::check_dns1123_label(&s.v) {
                cx.err(&s.origin, &s.path, e);
            }
            s.v
        }
        None => "default".to_string(),
    }
}

// ----- cluster ---------------------------------------------------------------------------------

fn family_of(s: &S<String>, cx: &mut Cx) -> Option<IpFamily> {
    match s.v.as_str() {
        "IPv4" => Some(IpFamily::IPv4),
        "IPv6" => Some(IpFamily::IPv6),
        other => {
            cx.err(
                &s.origin,
                &s.path,
                format!("{other:?} is not an IP family; allowed: \"IPv4\", \"IPv6\""),
            );
            None
        }
    }
}

fn cidr_list(cx: &mut Cx, t: &mut Tbl, key: &'static str) -> Option<Vec<S<Cidr>>> {
    let list = t.str_list(cx, key)?;
    let mut out = Vec::new();
    for s in list {
        match values::parse_cidr(&s.v) {
            Ok(c) => out.push(S {
                v: c,
                origin: s.origin,
                path: s.path,
            }),
            Err(e) => cx.err(&s.origin, &s.path, e),
        }
    }
    Some(out)
}

/// Order per-family CIDRs like `families`; report missing or extra families.
fn cidrs_for_families(
    cx: &mut Cx,
    given: Option<Vec<S<Cidr>>>,
    families: &[IpFamily],
    defaults: (&str, &str),
    path: &str,
    origin: &Origin,
) -> Vec<Cidr> {
    let mut out = Vec::new();
    for fam in families {
        let found = given
            .as_ref()
            .and_then(|g| g.iter().find(|c| c.v.family() == *fam));
        match (found, &given) {
            (Some(c), _) => out.push(c.v),
            (None, Some(_)) => {
                cx.err(
                    origin,
                    path,
                    format!(
                        "no {} CIDR given, but the cluster's ip_families include {}",
                        fam.as_str(),
                        fam.as_str()
                    ),
                );
            }
            (None, None) => {
                let d = if *fam == IpFamily::IPv4 {
                    defaults.0
                } else {
                    defaults.1
                };
                if let Ok(c) = values::parse_cidr(d) {
                    out.push(c);
                }
            }
        }
    }
    if let Some(g) = &given {
        let mut seen = BTreeSet::new();
        for c in g {
            if !families.contains(&c.v.family()) {
                cx.err(
                    &c.origin,
                    &c.path,
                    format!(
                        "{} is {}, which is not one of the cluster's ip_families",
                        c.v,
                        c.v.family().as_str()
                    ),
                );
            } else if !seen.insert(c.v.family()) {
                cx.err(
                    &c.origin,
                    &c.path,
                    format!(
                        "a second {} CIDR; give one per family",
                        c.v.family().as_str()
                    ),
                );
            }
        }
    }
    out
}

fn resolve_cluster(cx: &mut Cx, t: Option<Tbl>) -> (Cluster, NodeGen) {
    let empty = Node {
        v: V::Table(Vec::new()),
        origin: Origin::Unknown,
    };
    let mut t = match t {
        Some(t) => t,
        None => Tbl::empty(&empty, "cluster"),
    };
    let origin = t.origin().clone();
    let node_count = t.u32(cx, "nodes", 1, 50_000).map_or(3, |s| s.v);

    // Zones: names, or tables { name, weight }.
    let mut zones = Vec::new();
    if let Some(items) = t.array(cx, "zones") {
        for (p, n) in items {
            match &n.v {
                V::Str(s) => zones.push((s.clone(), 1, None, n.origin.clone(), p)),
                V::Table(_) => {
                    if let Some(mut zt) = Tbl::new(cx, n, &p, "cluster.zones[]") {
                        let name = zt.str(cx, "name");
                        if name.is_none() && !zt.has("name") {
                            zt.missing(cx, "name", "zone name");
                        }
                        let weight = zt.u32(cx, "weight", 1, 1_000_000).map_or(1, |w| w.v);
                        let cpu = cpu_field(cx, &mut zt, "node_cpu");
                        zt.finish(cx);
                        if let Some(name) = name {
                            zones.push((name.v, weight, cpu, name.origin, name.path));
                        }
                    }
                }
                _ => type_error(
                    cx,
                    n,
                    &p,
                    "a zone name or a table { name, weight, node_cpu }",
                ),
            }
        }
        if zones.is_empty() {
            cx.err(&origin, "cluster.zones", "at least one zone is needed");
        }
    }
    if zones.is_empty() {
        zones.push((
            "zone-a".to_string(),
            1,
            None,
            Origin::Unknown,
            String::new(),
        ));
    }
    let mut seen = BTreeSet::new();
    for (name, _, _, o, p) in &zones {
        if let Err(e) = values::check_label_value(name) {
            cx.err(o, p, e);
        } else if name.is_empty() {
            cx.err(o, p, "zone names must not be empty");
        }
        if !seen.insert(name.clone()) {
            cx.err(o, p, format!("duplicate zone {name:?}"));
        }
    }
    let zone_cpu: Vec<Option<u64>> = zones.iter().map(|z| z.2).collect();
    let zones: Vec<Zone> = zones
        .into_iter()
        .map(|(name, weight, _, _, _)| Zone { name, weight })
        .collect();

    let max_pods = t
        .u32(cx, "max_pods_per_node", 1, 10_000)
        .map_or(DEFAULT_MAX_PODS, |s| s.v);
    let cpu_milli = cpu_field(cx, &mut t, "node_cpu").unwrap_or(4000);

    let families = match t.str_list(cx, "ip_families") {
        None => vec![IpFamily::IPv4],
        Some(list) => {
            let mut fams = Vec::new();
            for s in &list {
                if let Some(f) = family_of(s, cx) {
                    if fams.contains(&f) {
                        cx.err(
                            &s.origin,
                            &s.path,
                            format!("{} is listed twice", f.as_str()),
                        );
                    } else {
                        fams.push(f);
                    }
                }
            }
            if list.is_empty() || list.len() > 2 {
                cx.err(
                    &origin,
                    "cluster.ip_families",
                    "give one or two families: [\"IPv4\"], [\"IPv6\"], [\"IPv4\", \"IPv6\"] or [\"IPv6\", \"IPv4\"]",
                );
            }
            if fams.is_empty() {
                vec![IpFamily::IPv4]
            } else {
                fams
            }
        }
    };
    let pod_given = cidr_list(cx, &mut t, "pod_cidrs");
    let pod_origins: Vec<(Cidr, Origin, String)> = pod_given
        .iter()
        .flatten()
        .map(|c| (c.v, c.origin.clone(), c.path.clone()))
        .collect();
    let pod_cidrs = cidrs_for_families(
        cx,
        pod_given,
        &families,
        (DEFAULT_POD_CIDR_V4, DEFAULT_POD_CIDR_V6),
        "cluster.pod_cidrs",
        &origin,
    );
    let svc_given = cidr_list(cx, &mut t, "service_cidrs");
    let svc_origins: Vec<(Cidr, Origin, String)> = svc_given
        .iter()
        .flatten()
        .map(|c| (c.v, c.origin.clone(), c.path.clone()))
        .collect();
    let service_cidrs = cidrs_for_families(
        cx,
        svc_given,
        &families,
        (DEFAULT_SERVICE_CIDR_V4, DEFAULT_SERVICE_CIDR_V6),
        "cluster.service_cidrs",
        &origin,
    );
    let mask_v4 = t.u32(cx, "node_cidr_mask_size_ipv4", 1, 32);
    let mask_v6 = t.u32(cx, "node_cidr_mask_size_ipv6", 1, 128);
    let mut masks = Vec::new();
    for (i, fam) in families.iter().enumerate() {
        let (m, key) = match fam {
            IpFamily::IPv4 => (
                mask_v4.as_ref().map_or(DEFAULT_NODE_MASK_V4, |m| m.v as u8),
                "node_cidr_mask_size_ipv4",
            ),
            IpFamily::IPv6 => (
                mask_v6.as_ref().map_or(DEFAULT_NODE_MASK_V6, |m| m.v as u8),
                "node_cidr_mask_size_ipv6",
            ),
        };
        masks.push(m);
        let mo = match fam {
            IpFamily::IPv4 => mask_v4.as_ref().map(|m| m.origin.clone()),
            IpFamily::IPv6 => mask_v6.as_ref().map(|m| m.origin.clone()),
        }
        .unwrap_or_else(|| origin.clone());
        if let Some(c) = pod_cidrs.get(i) {
            if m < c.prefix_len {
                cx.err(
                    &mo,
                    &format!("cluster.{key}"),
                    format!(
                        "/{m} is larger than the pod CIDR {c}; the node mask must be at least /{}",
                        c.prefix_len
                    ),
                );
            } else if let Some(node_net) = c.subnet(m, 0) {
                // Pod IPs exclude the network, gateway and broadcast addresses.
                if node_net.size() < u128::from(max_pods) + 3 {
                    cx.err(
                        &mo,
                        &format!("cluster.{key}"),
                        format!(
                            "a /{m} per node holds {} pod IPs, fewer than max_pods_per_node = {max_pods}",
                            node_net.size().saturating_sub(3)
                        ),
                    );
                }
            }
        }
    }
    // Overlaps between pod and service ranges.
    for p in &pod_cidrs {
        for s in &service_cidrs {
            if p.overlaps(s) {
                // Blame what the user wrote: the service CIDR if given, else the pod CIDR.
                let find = |list: &[(Cidr, Origin, String)], c: &Cidr| {
                    list.iter()
                        .find(|(x, _, _)| x == c)
                        .map(|(_, o, p)| (o.clone(), p.clone()))
                };
                let (o, path) = find(&svc_origins, s)
                    .or_else(|| find(&pod_origins, p))
                    .unwrap_or_else(|| (origin.clone(), "cluster.service_cidrs".to_string()));
                cx.err(
                    &o,
                    &path,
                    format!("service CIDR {s} overlaps pod CIDR {p}; they must be disjoint"),
                );
            }
        }
    }
    let pattern = match t.str(cx, "node_name_pattern") {
        Some(s) => {
            let probe = expand_pattern(&s.v, 0, "zone-a", 0);
            match probe {
                Err(e) => cx.err(&s.origin, &s.path, e),
                Ok(name) => {
                    if let Err(e) = values::check_dns1123_subdomain(&name) {
                        cx.err(
                            &s.origin,
                            &s.path,
                            format!("pattern gives node name {name:?}: {e}"),
                        );
                    }
                    if !s.v.contains("{index}") && !s.v.contains("{rand4}") {
                        cx.err(
                            &s.origin,
                            &s.path,
                            "the pattern must contain {index} or {rand4} so node names are unique",
                        );
                    }
                }
            }
            s.v
        }
        None => DEFAULT_NODE_NAME_PATTERN.to_string(),
    };
    let grace = t
        .duration(cx, "node_monitor_grace_period")
        .map_or(DEFAULT_NODE_MONITOR_GRACE_NS, |d| d.v);
    let toleration = t
        .duration(cx, "default_toleration")
        .map_or(DEFAULT_TOLERATION_NS, |d| d.v);
    t.finish(cx);

    let mut cluster = Cluster {
        zones,
        nodes: Vec::new(),
        initial_node_count: node_count as usize,
        max_pods_per_node: max_pods,
        ip_families: families,
        pod_cidrs,
        node_cidr_mask_sizes: masks,
        service_cidrs,
        node_name_pattern: pattern,
        node_monitor_grace_period_ns: grace,
        default_toleration_ns: toleration,
    };
    let mut wrr = Wrr::new(&cluster.zones);
    let mut names = BTreeSet::new();
    for _ in 0..node_count {
        let z = wrr.next();
        let cpu = zone_cpu.get(z).copied().flatten().unwrap_or(cpu_milli);
        add_node(&mut cluster, z, cpu, true, &mut names);
    }
    (
        cluster,
        NodeGen {
            wrr,
            names,
            cpu_milli,
            zone_cpu,
        },
    )
}

/// Allocatable CPU: an integer number of cores, or a quantity string ("3.5", "3500m").
fn cpu_field(cx: &mut Cx, t: &mut Tbl, key: &'static str) -> Option<u64> {
    let n = t.get(cx, key)?;
    let p = t.path_of(key);
    match &n.v {
        V::Int(i) if *i > 0 && *i <= 100_000 => Some((*i as u64) * 1000),
        V::Str(s) => match values::parse_cpu(s) {
            Ok(v) if v > 0 && v <= 100_000_000 => Some(v),
            Ok(_) => {
                cx.err(
                    &n.origin,
                    &p,
                    format!("{s:?} is out of range (allowed: 1m..=100000 cores)"),
                );
                None
            }
            Err(e) => {
                cx.err(&n.origin, &p, e);
                None
            }
        },
        _ => {
            type_error(
                cx,
                n,
                &p,
                "a CPU quantity like 4, \"3.5\" or \"3500m\" (greater than 0)",
            );
            None
        }
    }
}

/// Node-creation state carried from the cluster section to `add_nodes` events.
struct NodeGen {
    wrr: Wrr,
    names: BTreeSet<String>,
    /// `cluster.node_cpu`.
    cpu_milli: u64,
    /// `cluster.zones[].node_cpu` per zone (overrides `cpu_milli`).
    zone_cpu: Vec<Option<u64>>,
}

/// Every node ever present (initial and added) needs its own pod CIDR range. Blamed on the
/// pod CIDR the user wrote, else on `cluster.nodes`.
fn check_node_cidr_capacity(cx: &mut Cx, cluster: &Cluster, cluster_origin: &Origin, root: &Node) {
    let total = cluster.nodes.len() as u128;
    let cl = root.get("cluster");
    let (origin, path) = match (
        cl.and_then(|c| c.get("pod_cidrs")),
        cl.and_then(|c| c.get("nodes")),
    ) {
        (Some(p), _) => (p.origin.clone(), "cluster.pod_cidrs"),
        (None, Some(n)) => (n.origin.clone(), "cluster.nodes"),
        (None, None) => (cluster_origin.clone(), "cluster.pod_cidrs"),
    };
    let origin = &origin;
    for (c, m) in cluster.pod_cidrs.iter().zip(&cluster.node_cidr_mask_sizes) {
        if *m < c.prefix_len {
            continue;
        }
        let bits = u32::from(m - c.prefix_len);
        let avail = if bits >= 127 {
            u128::MAX
        } else {
            1u128 << bits
        };
        if avail < total {
            // advice computed from the numbers, so it always works: the bits `total` ranges
            // need, taken from the node mask (if each node keeps room for its pods) or
            // added to the pod CIDR
            let need = 128 - (total - 1).leading_zeros();
            let (max_bits, key) = match c.addr {
                std::net::IpAddr::V4(_) => (32u32, "node_cidr_mask_size_ipv4"),
                std::net::IpAddr::V6(_) => (128u32, "node_cidr_mask_size_ipv6"),
            };
            let mut ways = Vec::new();
            let new_mask = u32::from(c.prefix_len) + need;
            let host_bits = max_bits.saturating_sub(new_mask);
            let per_node = if host_bits >= 127 {
                u128::MAX
            } else {
                1u128 << host_bits
            };
            if new_mask <= max_bits && per_node >= u128::from(cluster.max_pods_per_node) + 2 {
                ways.push(format!(
                    "cluster.{key} = {new_mask} ({per_node} addresses per node for at most {} pods)",
                    cluster.max_pods_per_node
                ));
            }
            if u32::from(*m) >= need && u32::from(*m) - need >= 1 {
                ways.push(format!(
                    "a pod CIDR of prefix length /{} or shorter (keeping /{m} per node)",
                    u32::from(*m) - need
                ));
            }
            let advice = if ways.is_empty() {
                "no node mask or pod CIDR of this family holds that many nodes; use fewer nodes"
                    .to_string()
            } else {
                format!("use {}", ways.join(", or "))
            };
            cx.err(
                origin,
                path,
                format!(
                    "pod CIDR {c} split into /{m} per node gives {avail} node ranges, but the scenario has {total} nodes ({need} bits of node ranges needed); {advice}"
                ),
            );
        }
    }
}

/// Smooth weighted round-robin over zones (equal weights = plain round-robin).
#[derive(Clone)]
struct Wrr {
    weights: Vec<i64>,
    current: Vec<i64>,
}

impl Wrr {
    fn new(zones: &[Zone]) -> Self {
        let weights: Vec<i64> = zones.iter().map(|z| i64::from(z.weight.max(1))).collect();
        let current = vec![0; weights.len()];
        Wrr { weights, current }
    }

    fn next(&mut self) -> usize {
        let total: i64 = self.weights.iter().sum();
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.current[i] += self.weights[i];
            if self.current[i] > self.current[best] {
                best = i;
            }
        }
        if let Some(c) = self.current.get_mut(best) {
            *c -= total;
        }
        best
    }
}

fn hash_hex(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

/// Expand a node name pattern. `{index}` = node index, `{zone}` = zone name,
/// `{hex8}` = 8 hex digits fixed per zone (like a GKE instance group), `{rand4}` = 4
/// deterministic `[a-z0-9]` characters per node.
fn expand_pattern(pattern: &str, index: usize, zone: &str, salt: u32) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(p) = rest.find('{') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in node name pattern {pattern:?}"))?;
        match &after[..end] {
            "index" => out.push_str(&index.to_string()),
            "zone" => out.push_str(zone),
            "hex8" => {
                let h = hash_hex(&["zone", zone]);
                for b in &h[..4] {
                    out.push_str(&format!("{b:02x}"));
                }
            }
            "rand4" => {
                let h = hash_hex(&["node", zone, &index.to_string(), &salt.to_string()]);
                const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                for b in &h[..4] {
                    out.push(char::from(ALPHA[usize::from(*b) % ALPHA.len()]));
                }
            }
            other => {
                return Err(format!(
                    "unknown placeholder {{{other}}} in node name pattern; allowed: {{index}}, {{zone}}, {{hex8}}, {{rand4}}"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn add_node(
    cluster: &mut Cluster,
    zone: usize,
    cpu_milli: u64,
    initial: bool,
    names: &mut BTreeSet<String>,
) -> usize {
    let index = cluster.nodes.len();
    let zname = cluster.zones.get(zone).map_or("", |z| z.name.as_str());
    let mut salt = 0;
    let name = loop {
        let n = expand_pattern(&cluster.node_name_pattern, index, zname, salt)
            .unwrap_or_else(|_| format!("node-{index}"));
        if names.insert(n.clone()) || salt > 1000 {
            break n;
        }
        salt += 1;
    };
    let pod_cidrs = cluster
        .pod_cidrs
        .iter()
        .zip(&cluster.node_cidr_mask_sizes)
        .filter_map(|(c, m)| c.subnet(*m, index as u128))
        .collect();
    cluster.nodes.push(Node_ {
        name,
        zone,
        allocatable_cpu_milli: cpu_milli,
        pod_cidrs,
        initial,
    });
    index
}

use super::model::Node as Node_;

// ----- workloads -------------------------------------------------------------------------------

fn container_ports(cx: &mut Cx, t: &mut Tbl, gpath: &str) -> Option<Vec<ContainerPort>> {
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

fn protocol_field(cx: &mut Cx, t: &mut Tbl) -> Protocol {
    match t
        .one_of(cx, "protocol", &["TCP", "UDP", "SCTP"])
        .map(|s| s.v)
    {
        Some("UDP") => Protocol::UDP,
        Some("SCTP") => Protocol::SCTP,
        _ => Protocol::TCP,
    }
}

fn resolve_workload(cx: &mut Cx, mut t: Tbl, cluster: &Cluster) -> Workload {
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
    // apps/v1 Deployment default replicas = 1.
    let replicas = t.u32(cx, "replicas", 0, 1_000_000).map_or(1, |s| s.v);
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
    let strategy = if strategy_s.as_ref().map(|s| s.v) == Some("Recreate") {
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
    let hostname = t.str(cx, "hostname").map(|s| {
        if let Err(e) = values::check_dns1123_label(&s.v) {
            cx.err(&s.origin, &s.path, e);
        }
        s.v
    });
    let subdomain = t.str(cx, "subdomain").map(|s| {
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
    Workload {
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
    }
}

fn zone_index(cx: &mut Cx, cluster: &Cluster, z: &S<String>) -> Option<usize> {
    let i = cluster.zones.iter().position(|x| x.name == z.v);
    if i.is_none() {
        let names: Vec<&str> = cluster.zones.iter().map(|z| z.name.as_str()).collect();
        let hint = super::diag::suggest(&z.v, names.iter().copied())
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

// ----- services --------------------------------------------------------------------------------

fn service_ports(cx: &mut Cx, t: &mut Tbl, gpath: &str) -> Option<Vec<ServicePort>> {
    let items = t.array(cx, "ports")?;
    let count = items.len();
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut nums = BTreeSet::new();
    for (p, n) in items {
        let Some(mut pt) = Tbl::new(cx, n, &p, gpath) else {
            continue;
        };
        let name = pt.str(cx, "name");
        match &name {
            Some(nm) => {
                if let Err(e) = values::check_dns1123_label(&nm.v) {
                    cx.err(&nm.origin, &nm.path, e);
                } else if !names.insert(nm.v.clone()) {
                    cx.err(
                        &nm.origin,
                        &nm.path,
                        format!("duplicate port name {:?}", nm.v),
                    );
                }
            }
            None if count > 1 && !pt.has("name") => {
                // core validation: names are required when a Service has more than one port.
                pt.missing(cx, "name", "required when a Service has more than one port");
            }
            None => {}
        }
        let port = pt.u32(cx, "port", 1, 65535);
        if port.is_none() && !pt.has("port") {
            pt.missing(cx, "port", "port number 1..=65535");
        }
        let target = match pt.get(cx, "target_port") {
            None => None,
            Some(tn) => {
                let tp = pt.path_of("target_port");
                match &tn.v {
                    V::Int(_) => {
                        int_node(cx, tn, &tp, 1, 65535).map(|s| TargetPort::Number(s.v as u16))
                    }
                    V::Str(s) => match values::check_port_name(s) {
                        Ok(()) => Some(TargetPort::Name(s.clone())),
                        Err(e) => {
                            cx.err(&tn.origin, &tp, e);
                            None
                        }
                    },
                    _ => {
                        type_error(cx, tn, &tp, "a port number or a container port name");
                        None
                    }
                }
            }
        };
        let protocol = protocol_field(cx, &mut pt);
        let app_protocol = pt.str(cx, "app_protocol").map(|s| s.v);
        pt.finish(cx);
        if let Some(port) = port {
            let port = port.v as u16;
            if !nums.insert((port, protocol)) {
                cx.err(
                    &n.origin,
                    &p,
                    format!("duplicate port {port}/{}", protocol.as_str()),
                );
            }
            out.push(ServicePort {
                name: name.map(|n| n.v),
                port,
                // core/v1 SetDefaults_Service: targetPort defaults to port.
                target_port: target.unwrap_or(TargetPort::Number(port)),
                protocol,
                app_protocol,
            });
        }
    }
    Some(out)
}

fn resolve_service(
    cx: &mut Cx,
    mut t: Tbl,
    cluster: &Cluster,
    workloads: &[Workload],
    wnames: &Names,
) -> Service {
    let name = name_field(cx, &mut t, "Service name", values::check_dns1035_label);
    let namespace = namespace_field(cx, &mut t);
    let stype = match t
        .one_of(
            cx,
            "type",
            &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
        )
        .map(|s| s.v)
    {
        Some("NodePort") => ServiceType::NodePort,
        Some("LoadBalancer") => ServiceType::LoadBalancer,
        Some("ExternalName") => ServiceType::ExternalName,
        _ => ServiceType::ClusterIP,
    };
    let workload_s = t.str(cx, "workload");
    let workload = workload_s.as_ref().and_then(|w| {
        let i = wnames.lookup(cx, w);
        if let Some(i) = i {
            if workloads[i].namespace != namespace {
                cx.err(
                    &w.origin,
                    &w.path,
                    format!(
                        "workload {:?} is in namespace {:?}, but this Service is in {:?}; a selector only matches pods of its own namespace",
                        w.v, workloads[i].namespace, namespace
                    ),
                );
            }
        }
        i
    });
    let selector = match t.string_map(cx, "selector", true) {
        Some(s) if s.v.is_empty() => None,
        Some(s) => Some(s.v),
        None => workload.map(|i| workloads[i].labels.clone()),
    };
    let ports_s = service_ports(cx, &mut t, "services[].ports[]");
    let ports = ports_s.unwrap_or_default();
    let cluster_ip = t.one_of(cx, "cluster_ip", &["None"]);
    let headless = cluster_ip.is_some();
    if ports.is_empty() && !headless && stype != ServiceType::ExternalName {
        cx.err(
            t.origin(),
            &t.path_of("ports"),
            "a Service needs at least one port unless it is headless (cluster_ip = \"None\") or ExternalName",
        );
    }
    if headless && matches!(stype, ServiceType::NodePort | ServiceType::LoadBalancer) {
        if let Some(c) = &cluster_ip {
            cx.err(
                &c.origin,
                &c.path,
                "a NodePort or LoadBalancer Service cannot be headless",
            );
        }
    }
    let external_name = t.str(cx, "external_name").map(|s| s.v);
    if stype == ServiceType::ExternalName && external_name.is_none() {
        t.missing(cx, "external_name", "required for type = \"ExternalName\"");
    }
    let pnra = t
        .bool(cx, "publish_not_ready_addresses")
        .is_some_and(|b| b.v);
    let labels = t
        .string_map(cx, "labels", true)
        .map_or_else(StringMap::new, |s| s.v);
    let annotations = t
        .string_map(cx, "annotations", false)
        .map_or_else(StringMap::new, |s| s.v);
    let traffic_distribution = t
        .str(cx, "traffic_distribution")
        .and_then(|s| traffic_distribution_ok(cx, &s).then_some(s.v));
    let (ip_families, ip_family_policy) =
        service_families(cx, &mut t, cluster, stype, headless, selector.is_some());
    let manual = t.table(cx, "endpoints");
    let manual_endpoints = match manual {
        None => None,
        Some(mt) => {
            if selector.is_some() {
                cx.err(
                    mt.origin(),
                    &mt.path,
                    "manually managed endpoints are only for selectorless Services (remove `selector`/`workload`)",
                );
            }
            Some(resolve_manual_endpoints(cx, mt, cluster, &ports))
        }
    };
    t.finish(cx);
    Service {
        name,
        namespace,
        service_type: stype,
        selector,
        workload,
        ports,
        ip_families,
        ip_family_policy,
        headless,
        publish_not_ready_addresses: pnra,
        labels,
        annotations,
        traffic_distribution,
        external_name,
        manual_endpoints,
        present_at_start: true,
    }
}

/// `spec.trafficDistribution`: "PreferClose" (v1.31+), "PreferSameZone"/"PreferSameNode" (v1.33+).
fn traffic_distribution_ok(cx: &mut Cx, s: &S<String>) -> bool {
    const ALLOWED: &[&str] = &["PreferClose", "PreferSameZone", "PreferSameNode"];
    if ALLOWED.contains(&s.v.as_str()) {
        true
    } else {
        cx.err(
            &s.origin,
            &s.path,
            format!(
                "{:?} is not allowed; allowed: \"PreferClose\", \"PreferSameZone\", \"PreferSameNode\"",
                s.v
            ),
        );
        false
    }
}

/// Service IP family defaulting and checks, after the apiserver's allocator.
/// kubernetes/kubernetes :: pkg/registry/core/service/storage/alloc.go :: initIPFamilyFields:
/// policy defaults to SingleStack except headless+selectorless (RequireDualStack); SingleStack
/// with two families is invalid; RequireDualStack needs a dual-stack cluster (except
/// headless+selectorless); requested families must be configured; a non-SingleStack policy
/// on a dual-stack cluster gets the other family appended.
fn service_families(
    cx: &mut Cx,
    t: &mut Tbl,
    cluster: &Cluster,
    stype: ServiceType,
    headless: bool,
    has_selector: bool,
) -> (Vec<IpFamily>, IpFamilyPolicy) {
    let fams_s = t.str_list(cx, "ip_families");
    let policy_s = t.one_of(
        cx,
        "ip_family_policy",
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
    );
    let primary = cluster
        .ip_families
        .first()
        .copied()
        .unwrap_or(IpFamily::IPv4);
    if stype == ServiceType::ExternalName {
        return (Vec::new(), IpFamilyPolicy::SingleStack);
    }
    let headless_selectorless = headless && !has_selector;
    let policy = match policy_s.as_ref().map(|s| s.v) {
        Some("PreferDualStack") => IpFamilyPolicy::PreferDualStack,
        Some("RequireDualStack") => IpFamilyPolicy::RequireDualStack,
        Some(_) => IpFamilyPolicy::SingleStack,
        None if headless_selectorless => IpFamilyPolicy::RequireDualStack,
        None => IpFamilyPolicy::SingleStack,
    };
    let mut fams: Vec<IpFamily> = Vec::new();
    if let Some(list) = &fams_s {
        for s in list {
            if let Some(f) = family_of(s, cx) {
                if fams.contains(&f) {
                    cx.err(
                        &s.origin,
                        &s.path,
                        format!("{} is listed twice", f.as_str()),
                    );
                } else if !cluster.ip_families.contains(&f) && !headless_selectorless {
                    cx.err(
                        &s.origin,
                        &s.path,
                        format!(
                            "{} is not configured on this cluster (cluster.ip_families = [{}])",
                            f.as_str(),
                            cluster
                                .ip_families
                                .iter()
                                .map(|f| format!("{:?}", f.as_str()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                } else {
                    fams.push(f);
                }
            }
        }
    }
    let ppath = t.path_of("ip_family_policy");
    let porigin = policy_s
        .as_ref()
        .map_or_else(|| t.origin().clone(), |p| p.origin.clone());
    if policy == IpFamilyPolicy::SingleStack && fams.len() == 2 {
        cx.err(
            &porigin,
            &ppath,
            "must be \"RequireDualStack\" or \"PreferDualStack\" when two ip_families are given",
        );
    }
    let other = |f: IpFamily| match f {
        IpFamily::IPv4 => IpFamily::IPv6,
        IpFamily::IPv6 => IpFamily::IPv4,
    };
    if headless_selectorless {
        if fams.is_empty() {
            fams.push(primary);
        }
        if fams.len() < 2 && policy != IpFamilyPolicy::SingleStack {
            let f = other(fams[0]);
            fams.push(f);
        }
        return (fams, policy);
    }
    if policy == IpFamilyPolicy::RequireDualStack && cluster.ip_families.len() < 2 {
        cx.err(
            &porigin,
            &ppath,
            "\"RequireDualStack\" is not possible: this cluster is not configured for dual-stack (cluster.ip_families has one family)",
        );
    }
    if fams.is_empty() {
        fams.push(primary);
    }
    if policy != IpFamilyPolicy::SingleStack && fams.len() == 1 && cluster.ip_families.len() == 2 {
        let f = other(fams[0]);
        fams.push(f);
    }
    (fams, policy)
}

fn resolve_manual_endpoints(
    cx: &mut Cx,
    mut t: Tbl,
    cluster: &Cluster,
    svc_ports: &[ServicePort],
) -> ManualEndpoints {
    let count = t.u32(cx, "count", 0, 100_000);
    let not_ready = t.u32(cx, "not_ready", 0, 100_000);
    let cidr_s = t.str(cx, "cidr");
    let mut cidr = None;
    if let Some(c) = &cidr_s {
        match values::parse_cidr(&c.v) {
            Ok(v) => cidr = Some((v, c.origin.clone(), c.path.clone())),
            Err(e) => cx.err(&c.origin, &c.path, e),
        }
    }
    let primary = cluster
        .ip_families
        .first()
        .copied()
        .unwrap_or(IpFamily::IPv4);
    let default_cidr = if primary == IpFamily::IPv4 {
        DEFAULT_MANUAL_ENDPOINTS_CIDR_V4
    } else {
        DEFAULT_MANUAL_ENDPOINTS_CIDR_V6
    };
    let (cidr, corigin, cpath) = cidr.unwrap_or_else(|| {
        (
            values::parse_cidr(default_cidr).unwrap_or(Cidr {
                addr: IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 0, 0)),
                prefix_len: 16,
            }),
            t.origin().clone(),
            t.path_of("cidr"),
        )
    });
    for p in &cluster.pod_cidrs {
        if p.overlaps(&cidr) {
            cx.err(
                &corigin,
                &cpath,
                format!("{cidr} overlaps the pod CIDR {p}; manual endpoint addresses must not collide with pod IPs"),
            );
        }
    }
    let ip_list = |cx: &mut Cx, t: &mut Tbl, key: &'static str| -> Vec<IpAddr> {
        let mut out = Vec::new();
        for s in t.str_list(cx, key).unwrap_or_default() {
            match s.v.parse::<IpAddr>() {
                Ok(ip) => out.push(ip),
                Err(_) => cx.err(
                    &s.origin,
                    &s.path,
                    format!("{:?} is not an IP address", s.v),
                ),
            }
        }
        out
    };
    let mut addresses = ip_list(cx, &mut t, "addresses");
    let mut not_ready_addresses = ip_list(cx, &mut t, "not_ready_addresses");
    let n_ready = count.as_ref().map_or(0, |c| c.v);
    let n_not = not_ready.as_ref().map_or(0, |c| c.v);
    if u128::from(n_ready) + u128::from(n_not) + 1 > cidr.size() {
        cx.err(
            &corigin,
            &cpath,
            format!(
                "{cidr} is too small for {} generated addresses",
                n_ready + n_not
            ),
        );
    } else {
        for i in 0..n_ready {
            if let Some(ip) = cidr.nth(u128::from(i) + 1) {
                addresses.push(ip);
            }
        }
        for i in 0..n_not {
            if let Some(ip) = cidr.nth(u128::from(n_ready + i) + 1) {
                not_ready_addresses.push(ip);
            }
        }
    }
    let ports = match container_like_endpoint_ports(cx, &mut t) {
        Some(p) => p,
        None => {
            let mut out = Vec::new();
            for p in svc_ports {
                match &p.target_port {
                    TargetPort::Number(n) => out.push(EndpointPort {
                        name: p.name.clone(),
                        port: *n,
                        protocol: p.protocol,
                        app_protocol: p.app_protocol.clone(),
                    }),
                    TargetPort::Name(n) => cx.err(
                        t.origin(),
                        &t.path_of("ports"),
                        format!("the Service's target_port {n:?} is a name, so the endpoint port number is unknown; give `ports` here"),
                    ),
                }
            }
            out
        }
    };
    let labels = t
        .string_map(cx, "labels", true)
        .map_or_else(StringMap::new, |s| s.v);
    if addresses.is_empty() && not_ready_addresses.is_empty() && !t.has("count") {
        t.missing(
            cx,
            "count",
            "number of ready addresses (or give `addresses`)",
        );
    }
    t.finish(cx);
    ManualEndpoints {
        addresses,
        not_ready_addresses,
        ports,
        labels,
    }
}

fn container_like_endpoint_ports(cx: &mut Cx, t: &mut Tbl) -> Option<Vec<EndpointPort>> {
    let items = t.array(cx, "ports")?;
    let mut out = Vec::new();
    for (p, n) in items {
        let Some(mut pt) = Tbl::new(cx, n, &p, "services[].endpoints.ports[]") else {
            continue;
        };
        let name = pt.str(cx, "name").map(|s| s.v);
        let port = pt.u32(cx, "port", 1, 65535);
        if port.is_none() && !pt.has("port") {
            pt.missing(cx, "port", "port number 1..=65535");
        }
        let protocol = protocol_field(cx, &mut pt);
        let app_protocol = pt.str(cx, "app_protocol").map(|s| s.v);
        pt.finish(cx);
        if let Some(port) = port {
            out.push(EndpointPort {
                name,
                port: port.v as u16,
                protocol,
                app_protocol,
            });
        }
    }
    Some(out)
}

/// Name → index lookup for workloads or Services, built once so that references resolve in
/// O(log n) even with tens of thousands of entries (`copies`).
pub struct Names {
    what: &'static str,
    /// name → (namespace, index), in definition order.
    by_name: BTreeMap<String, Vec<(String, usize)>>,
    in_order: Vec<String>,
}

impl Names {
    fn new<'a>(what: &'static str, items: impl Iterator<Item = (&'a str, &'a str)>) -> Names {
        let mut by_name: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        let mut in_order = Vec::new();
        for (i, (ns, name)) in items.enumerate() {
            by_name
                .entry(name.to_string())
                .or_default()
                .push((ns.to_string(), i));
            in_order.push(name.to_string());
        }
        Names {
            what,
            by_name,
            in_order,
        }
    }

    /// Resolve `name` or `namespace/name`; reports unknown or ambiguous names.
    fn lookup(&self, cx: &mut Cx, r: &S<String>) -> Option<usize> {
        let (ns, name) = match r.v.split_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, r.v.as_str()),
        };
        let matches: Vec<usize> = self
            .by_name
            .get(name)
            .map(|v| {
                v.iter()
                    .filter(|(n, _)| ns.map_or(true, |want| want == n))
                    .map(|(_, i)| *i)
                    .collect()
            })
            .unwrap_or_default();
        match matches.as_slice() {
            [i] => Some(*i),
            [] => {
                let hint = super::diag::suggest(name, self.in_order.iter().map(String::as_str))
                    .map(|x| format!(" (did you mean {x:?}?)"))
                    .unwrap_or_default();
                const SHOWN: usize = 10;
                let mut listed = self
                    .in_order
                    .iter()
                    .take(SHOWN)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if self.in_order.is_empty() {
                    listed = "(none)".to_string();
                } else if self.in_order.len() > SHOWN {
                    listed.push_str(&format!(", … ({} in all)", self.in_order.len()));
                }
                cx.err(
                    &r.origin,
                    &r.path,
                    format!(
                        "unknown {} {:?}; defined {}s: {listed}{hint}",
                        self.what, r.v, self.what
                    ),
                );
                None
            }
            _ => {
                cx.err(
                    &r.origin,
                    &r.path,
                    format!(
                        "{} {:?} exists in several namespaces; write \"namespace/name\"",
                        self.what, r.v
                    ),
                );
                None
            }
        }
    }
}

// ----- controllers, apiserver, watchers --------------------------------------------------------

fn sub<'a>(cx: &mut Cx, t: &mut Option<Tbl<'a>>, key: &'static str) -> Option<Tbl<'a>> {
    t.as_mut().and_then(|t| t.table(cx, key))
}

fn resolve_controllers(cx: &mut Cx, mut t: Option<Tbl>) -> Controllers {
    let default_sync = DurationDist::uniform(NS_PER_MS, 5 * NS_PER_MS);
    let mut es = sub(cx, &mut t, "endpointslice");
    let endpointslice = {
        let e = &mut es;
        let max_endpoints_per_slice = e
            .as_mut()
            .and_then(|t| t.u32(cx, "max_endpoints_per_slice", 1, 1000))
            .map_or(DEFAULT_MAX_ENDPOINTS_PER_SLICE, |s| s.v);
        // ESC: 1 s·2^n capped at 1000 s (defaultSyncBackOff / maxSyncBackOff).
        let q = queue_settings(cx, e, default_sync, NS_PER_SEC, 1000 * NS_PER_SEC);
        if let Some(t) = es {
            t.finish(cx);
        }
        EndpointSliceController {
            enabled: q.enabled,
            max_endpoints_per_slice,
            batch_period_ns: q.batch_period_ns,
            workers: q.workers,
            sync_duration: q.sync_duration,
            retry: q.retry,
        }
    };
    let mut ep = sub(cx, &mut t, "endpoints");
    let endpoints = {
        let e = &mut ep;
        let max_capacity = e
            .as_mut()
            .and_then(|t| t.u32(cx, "max_capacity", 0, 1_000_000))
            .map_or(DEFAULT_ENDPOINTS_MAX_CAPACITY, |s| s.v);
        // EPC: DefaultTypedControllerRateLimiter, 5 ms·2^n capped at 1000 s.
        let q = queue_settings(cx, e, default_sync, 5 * NS_PER_MS, 1000 * NS_PER_SEC);
        if let Some(t) = ep {
            t.finish(cx);
        }
        EndpointsController {
            enabled: q.enabled,
            max_capacity,
            batch_period_ns: q.batch_period_ns,
            workers: q.workers,
            sync_duration: q.sync_duration,
            retry: q.retry,
        }
    };
    let mut mi = sub(cx, &mut t, "mirroring");
    let mirroring = {
        let e = &mut mi;
        let max_endpoints_per_subset = e
            .as_mut()
            .and_then(|t| t.u32(cx, "max_endpoints_per_subset", 1, 1000))
            .map_or(DEFAULT_MIRRORING_MAX_PER_SUBSET, |s| s.v);
        // ESMC: 1 s·2^n capped at 100 s.
        let q = queue_settings(cx, e, default_sync, NS_PER_SEC, 100 * NS_PER_SEC);
        if let Some(t) = mi {
            t.finish(cx);
        }
        MirroringController {
            enabled: q.enabled,
            max_endpoints_per_subset,
            workers: q.workers,
            batch_period_ns: q.batch_period_ns,
            sync_duration: q.sync_duration,
            retry: q.retry,
        }
    };
    let informer_lag = t
        .as_mut()
        .and_then(|t| t.dist(cx, "informer_lag"))
        .map_or(DurationDist::uniform(3 * NS_PER_MS, 18 * NS_PER_MS), |s| {
            s.v
        });
    if let Some(t) = t {
        t.finish(cx);
    }
    Controllers {
        endpointslice,
        endpoints,
        mirroring,
        informer_lag,
    }
}

/// The workqueue settings every controller table has (enabled, batch period, workers, sync
/// duration, retry backoff).
struct QueueSettings {
    enabled: bool,
    batch_period_ns: Nanos,
    workers: u32,
    sync_duration: DurationDist,
    retry: Retry,
}

fn queue_settings(
    cx: &mut Cx,
    e: &mut Option<Tbl>,
    default_sync: DurationDist,
    retry_base: Nanos,
    retry_max: Nanos,
) -> QueueSettings {
    QueueSettings {
        enabled: e
            .as_mut()
            .and_then(|t| t.bool(cx, "enabled"))
            .map_or(true, |b| b.v),
        batch_period_ns: e
            .as_mut()
            .and_then(|t| t.duration(cx, "batch_period"))
            .map_or(0, |s| s.v),
        workers: e
            .as_mut()
            .and_then(|t| t.u32(cx, "workers", 1, 50))
            .map_or(DEFAULT_WORKERS, |s| s.v),
        sync_duration: e
            .as_mut()
            .and_then(|t| t.dist(cx, "sync_duration"))
            .map_or(default_sync, |s| s.v),
        retry: retry(cx, e, retry_base, retry_max),
    }
}

fn retry(cx: &mut Cx, t: &mut Option<Tbl>, base: Nanos, max: Nanos) -> Retry {
    let b = t.as_mut().and_then(|t| t.duration(cx, "retry_base"));
    let m = t.as_mut().and_then(|t| t.duration(cx, "retry_max"));
    let n = t.as_mut().and_then(|t| t.u32(cx, "max_retries", 0, 1000));
    let r = Retry {
        base_ns: b.as_ref().map_or(base, |s| s.v),
        max_ns: m.as_ref().map_or(max, |s| s.v),
        max_retries: n.map_or(15, |s| s.v),
    };
    if r.base_ns > r.max_ns {
        if let Some(m) = m.as_ref().or(b.as_ref()) {
            cx.err(&m.origin, &m.path, "retry_base must not exceed retry_max");
        }
    }
    r
}

fn resolve_apiserver(cx: &mut Cx, t: Option<Tbl>) -> ApiServer {
    let mut t = t;
    let a = ApiServer {
        etcd_max_request_bytes: t
            .as_mut()
            .and_then(|t| t.uint(cx, "etcd_max_request_bytes", 1024, 1 << 32))
            .map_or(DEFAULT_ETCD_MAX_REQUEST_BYTES, |s| s.v),
        // client-go reflector: timeout uniform in [minWatchTimeout, 2·minWatchTimeout), 5 min.
        watch_timeout: t.as_mut().and_then(|t| t.dist(cx, "watch_timeout")).map_or(
            DurationDist::uniform(300 * NS_PER_SEC, 600 * NS_PER_SEC),
            |s| s.v,
        ),
        // apiserver cacher defaultBookmarkFrequency = 1 min.
        bookmark_interval_ns: t
            .as_mut()
            .and_then(|t| t.duration(cx, "bookmark_interval"))
            .map_or(60 * NS_PER_SEC, |s| s.v),
        kcm_content_type: match t
            .as_mut()
            .and_then(|t| t.one_of(cx, "kcm_content_type", &["protobuf", "json"]))
            .map(|s| s.v)
        {
            Some("json") => Encoding::Json,
            _ => Encoding::Protobuf,
        },
        write_latency: t
            .as_mut()
            .and_then(|t| t.dist(cx, "write_latency"))
            .map_or(DurationDist::uniform(2 * NS_PER_MS, 8 * NS_PER_MS), |s| s.v),
    };
    if let Some(t) = t {
        t.finish(cx);
    }
    a
}

/// `[plan]`: budgets in human byte units, the workload to size, optional grids.
/// What `slicesim plan` uses when `[plan]` leaves a grid out (`plan::grids`), for messages.
const PLAN_DEFAULT_SIZES: &str =
    "10, 25, 50, 100, 200, 500, 1000; 50, 100, 500, 1000 for large scenarios";
const PLAN_DEFAULT_PERIODS: &str = "0, 500ms, 1s, 5s, 10s; 0, 1s, 10s for large scenarios";

fn resolve_plan(cx: &mut Cx, t: Option<Tbl>, wnames: &Names) -> Plan {
    let Some(mut t) = t else {
        return Plan::default();
    };
    let bytes = |cx: &mut Cx, t: &mut Tbl, key: &'static str, rate: bool| -> Option<u64> {
        let n = t.get(cx, key)?;
        let path = t.path_of(key);
        let parsed = match (&n.v, rate) {
            (V::Str(s), false) => values::parse_bytes(s),
            (V::Str(s), true) => values::parse_byte_rate(s),
            (V::Int(i), false) if *i > 0 => Ok(*i as u64),
            (V::Int(i), false) => Err(format!("{i} is out of range (allowed: 1 or more bytes)")),
            _ => {
                let help = if rate {
                    values::BYTE_RATE_HELP
                } else {
                    values::BYTES_HELP
                };
                type_error(cx, n, &path, help);
                return None;
            }
        };
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                cx.err(&n.origin, &path, e);
                None
            }
        }
    };
    let egress = bytes(cx, &mut t, "egress_budget", true);
    let node = bytes(cx, &mut t, "node_ingress_budget", true);
    let rolling = bytes(cx, &mut t, "rolling_update_egress_budget", false);
    let workload = t.str(cx, "workload").and_then(|w| wnames.lookup(cx, &w));
    let mut sizes = Vec::new();
    for (p, n) in t
        .nonempty_array(cx, "max_endpoints_per_slice", PLAN_DEFAULT_SIZES)
        .unwrap_or_default()
    {
        if let Some(v) = int_node(cx, n, &p, 1, 1000) {
            let v = v.v as u32;
            if sizes.contains(&v) {
                cx.err(&n.origin, &p, format!("{v} is listed twice"));
            }
            sizes.push(v);
        }
    }
    let mut periods = Vec::new();
    for (p, n) in t
        .nonempty_array(cx, "batch_periods", PLAN_DEFAULT_PERIODS)
        .unwrap_or_default()
    {
        if let Some(v) = duration_node(cx, n, &p) {
            if periods.contains(&v.v) {
                cx.err(&n.origin, &p, format!("{} is listed twice", n.show()));
            }
            periods.push(v.v);
        }
    }
    t.finish(cx);
    Plan {
        egress_budget_bytes_per_second: egress,
        node_ingress_budget_bytes_per_second: node,
        rolling_update_egress_budget_bytes: rolling,
        workload,
        max_endpoints_per_slice: sizes,
        batch_periods_ns: periods,
    }
}

fn resolve_watchers(cx: &mut Cx, top: &mut Tbl) -> Vec<Watcher> {
    let present = top.has("watchers");
    let ts = top.tables(cx, "watchers");
    if !present {
        // A real cluster has a kube-proxy per node and CoreDNS (kubeadm default: 2 replicas).
        return vec![
            default_watcher(WatcherKind::KubeProxy),
            default_watcher(WatcherKind::CoreDns),
        ];
    }
    let mut out: Vec<Watcher> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for mut t in ts {
        let kind = t.one_of(cx, "kind", &["kube-proxy", "coredns", "custom"]);
        if kind.is_none() && !t.has("kind") {
            t.missing(cx, "kind", "\"kube-proxy\", \"coredns\" or \"custom\"");
        }
        let kind = match kind.as_ref().map(|k| k.v) {
            Some("kube-proxy") => WatcherKind::KubeProxy,
            Some("coredns") => WatcherKind::CoreDns,
            _ => WatcherKind::Custom,
        };
        let mut w = default_watcher(kind);
        if let Some(n) = t.str(cx, "name") {
            w.name = n.v.clone();
            if !names.insert(n.v.clone()) {
                cx.err(
                    &n.origin,
                    &n.path,
                    format!("duplicate watcher name {:?}", n.v),
                );
            }
        } else {
            let mut name = w.name.clone();
            let mut i = 2;
            while names.contains(&name) {
                name = format!("{}-{i}", w.name);
                i += 1;
            }
            names.insert(name.clone());
            w.name = name;
        }
        if let Some(n) = t.get(cx, "count") {
            let p = t.path_of("count");
            match &n.v {
                V::Str(s) if s == "per-node" => w.count = WatcherCount::PerNode,
                V::Int(_) => {
                    if let Some(c) = int_node(cx, n, &p, 0, 1_000_000) {
                        w.count = WatcherCount::Fixed(c.v as u32);
                    }
                }
                _ => type_error(cx, n, &p, "a count or \"per-node\""),
            }
        }
        let resource = t.one_of(cx, "resource", &["endpointslices", "endpoints"]);
        match resource.as_ref().map(|r| r.v) {
            Some("endpoints") => w.resource = WatchResource::Endpoints,
            Some(_) => w.resource = WatchResource::EndpointSlices,
            None => {}
        }
        if let Some(s) = t.str(cx, "label_selector") {
            match values::parse_label_selector(&s.v) {
                Ok(sel) => w.label_selector = sel,
                Err(e) => cx.err(&s.origin, &s.path, e),
            }
        }
        if let Some(e) = t.one_of(cx, "encoding", &["json", "protobuf"]) {
            w.encoding = if e.v == "json" {
                Encoding::Json
            } else {
                Encoding::Protobuf
            };
        }
        if let Some(d) = t.dist(cx, "delivery_latency") {
            w.delivery_latency = d.v;
        }
        if let Some(d) = t.duration(cx, "min_sync_period") {
            w.min_sync_period_ns = d.v;
        }
        t.finish(cx);
        out.push(w);
    }
    out
}

fn default_watcher(kind: WatcherKind) -> Watcher {
    match kind {
        // kube-proxy: DaemonSet (one per node), EndpointSlices with the no-headless/no-proxy-name
        // selector, protobuf (SetDefaults_KubeProxyConfiguration ContentType), minSyncPeriod 1 s.
        WatcherKind::KubeProxy => Watcher {
            name: "kube-proxy".into(),
            kind,
            count: WatcherCount::PerNode,
            resource: WatchResource::EndpointSlices,
            label_selector: values::parse_label_selector(KUBE_PROXY_SELECTOR).unwrap_or_default(),
            encoding: Encoding::Protobuf,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: NS_PER_SEC,
        },
        // CoreDNS kubernetes plugin: all EndpointSlices (no label selector unless `labels` is
        // configured), 2 replicas (kubeadm default). It asks for protobuf:
        // coredns/coredns :: plugin/kubernetes/kubernetes.go :: getClientConfig sets
        // ContentType "application/vnd.kubernetes.protobuf" (read at commit 01c32383).
        WatcherKind::CoreDns => Watcher {
            name: "coredns".into(),
            kind,
            count: WatcherCount::Fixed(2),
            resource: WatchResource::EndpointSlices,
            label_selector: LabelSelector::default(),
            encoding: Encoding::Protobuf,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: 0,
        },
        WatcherKind::Custom => Watcher {
            name: "custom".into(),
            kind,
            count: WatcherCount::Fixed(1),
            resource: WatchResource::EndpointSlices,
            label_selector: LabelSelector::default(),
            encoding: Encoding::Json,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: 0,
        },
    }
}

// ----- events ----------------------------------------------------------------------------------

fn node_selection(
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
                            let hint = super::diag::suggest(
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

fn required_workload(cx: &mut Cx, t: &mut Tbl, wnames: &Names) -> Option<usize> {
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

fn required_service(cx: &mut Cx, t: &mut Tbl, snames: &Names) -> Option<(usize, S<String>)> {
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
fn resolve_events(
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

/// Origin of `coll[i].key`, else of `coll[i]`, else unknown.
fn field_origin(root: &Node, coll: &str, i: usize, key: &str) -> Origin {
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
type LabelKey<'a> = (&'a str, &'a str, &'a str);

/// Above this many expected pod changes from churn or flapping a scenario is legal but will
/// run for a long time: say so at validation, with the count.
const MANY_EVENTS: f64 = 10_000_000.0;

/// Warn about absurd-but-valid volumes: churn deleting more pods than [`MANY_EVENTS`]
/// (rate × duration) and readiness flapping with more expected flaps (replicas × duration /
/// period × probability). Each pod change costs several simulated events and controller work.
fn warn_event_volume(
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

/// Warnings (the scenario still runs): a Service whose selector matches no pod template of
/// any workload version, and a named `target_port` that no selected pod template defines
/// (the EndpointSlice controller then leaves those pods out of that port's slices —
/// kubernetes/endpointslice :: utils.go :: getEndpointPorts / podutil.FindPort).
fn check_selection(
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
            // Non-empty selectors only (empty ones are selectorless); candidates share the
            // selector's first label.
            let Some((k, v)) = sel.iter().next() else {
                continue;
            };
            let key = (svc.namespace.as_str(), k.as_str(), v.as_str());
            for (wi, vi) in by_label.get(&key).into_iter().flatten() {
                let ver = &versions[*wi][*vi];
                if matches(sel, &ver.0) {
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

fn root_has(root: &Node, si: usize, key: &str) -> bool {
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
fn check_capacity(
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
            let r = match target {
                ScaleTarget::To(n) => *n,
                ScaleTarget::By(d) => {
                    (i64::from(cur[*workload]) + d).clamp(0, i64::from(u32::MAX)) as u32
                }
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_weighted_round_robin() {
        let zones = vec![
            Zone {
                name: "a".into(),
                weight: 1,
            },
            Zone {
                name: "b".into(),
                weight: 1,
            },
            Zone {
                name: "c".into(),
                weight: 1,
            },
        ];
        let mut w = Wrr::new(&zones);
        let seq: Vec<usize> = (0..6).map(|_| w.next()).collect();
        assert_eq!(seq, vec![0, 1, 2, 0, 1, 2]);
        let zones = vec![
            Zone {
                name: "a".into(),
                weight: 3,
            },
            Zone {
                name: "b".into(),
                weight: 1,
            },
        ];
        let mut w = Wrr::new(&zones);
        let seq: Vec<usize> = (0..8).map(|_| w.next()).collect();
        assert_eq!(seq.iter().filter(|z| **z == 0).count(), 6);
        // Interleaved, not blocked: b appears in each half.
        assert!(seq[..4].contains(&1) && seq[4..].contains(&1));
    }

    #[test]
    fn node_name_patterns_are_deterministic_and_checked() {
        let a = expand_pattern(DEFAULT_NODE_NAME_PATTERN, 7, "zone-a", 0).unwrap();
        assert_eq!(
            a,
            expand_pattern(DEFAULT_NODE_NAME_PATTERN, 7, "zone-a", 0).unwrap()
        );
        assert!(a.starts_with("gke-slicesim-default-pool-"));
        assert_eq!(a.len(), "gke-slicesim-default-pool-".len() + 8 + 1 + 4);
        assert!(values::check_dns1123_subdomain(&a).is_ok());
        assert_eq!(
            expand_pattern("n-{zone}-{index}", 3, "z", 0).unwrap(),
            "n-z-3"
        );
        assert!(expand_pattern("n-{bogus}", 0, "z", 0).is_err());
        assert!(expand_pattern("n-{index", 0, "z", 0).is_err());
    }

    #[test]
    fn require_dual_stack_on_single_stack_cluster_is_rejected() {
        // alloc.go initIPFamilyFields: "this cluster is not configured for dual-stack services".
        let src = "name = \"x\"\nduration = \"1m\"\n[[services]]\nname = \"a\"\nselector = { app = \"a\" }\nports = [{ port = 80 }]\nip_family_policy = \"RequireDualStack\"\n";
        let e = crate::scenario::parse_str(src, "x.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not configured for dual-stack"), "{e}");
        // ... but headless + selectorless may ask for both families anyway.
        let ok = "name = \"x\"\nduration = \"1m\"\n[[services]]\nname = \"a\"\ncluster_ip = \"None\"\nip_family_policy = \"RequireDualStack\"\n";
        let s = crate::scenario::parse_str(ok, "x.toml", &[]).unwrap();
        assert_eq!(
            s.services[0].ip_families,
            vec![IpFamily::IPv4, IpFamily::IPv6]
        );
    }

    #[test]
    fn copies_expand_templates() {
        let src = "name = \"x\"\nduration = \"1m\"\n[cluster]\nnodes = 10\n[[workloads]]\nname = \"app-{i}\"\ncopies = 3\nreplicas = 2\n[[services]]\nname = \"app-{i}\"\nworkload = \"app-{i}\"\ncopies = 3\nports = [{ port = 80 }]\n[[services]]\nname = \"other\"\nports = [{ port = 80 }]\n";
        let s = crate::scenario::parse_str(src, "x.toml", &[]).unwrap();
        let names: Vec<&str> = s.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, vec!["app-0", "app-1", "app-2"]);
        assert_eq!(s.services.len(), 4);
        assert_eq!(s.services[2].workload, Some(2));
        assert_eq!(
            s.services[1]
                .selector
                .as_ref()
                .and_then(|m| m.get("app"))
                .map(String::as_str),
            Some("app-1")
        );
        let bad = src.replace("copies = 3\nreplicas", "copies = 0\nreplicas");
        let e = crate::scenario::parse_str(&bad, "x.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("workloads[0].copies: 0 is out of range (allowed: 1..=100000)"),
            "{e}"
        );
    }

    #[test]
    fn scenario_names_are_safe_directory_names() {
        for bad in ["", "../x", ".hidden", "a/b", "with space"] {
            let src = format!("name = {bad:?}\nduration = \"1m\"\n");
            let e = crate::scenario::parse_str(&src, "x.toml", &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains("is not a valid scenario name"), "{bad}: {e}");
        }
        let ok = "name = \"kep752-20k_v1.2\"\nduration = \"1m\"\n";
        assert!(crate::scenario::parse_str(ok, "x.toml", &[]).is_ok());
    }

    #[test]
    fn event_without_type_reports_only_truly_unknown_keys() {
        let src =
            "name = \"x\"\nduration = \"1m\"\n[[events]]\nat = \"1s\"\nreplicas = 3\nbogus = 1\n";
        let e = crate::scenario::parse_str(src, "x.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing required field `type`"), "{e}");
        assert!(e.contains("unknown field `bogus`"), "{e}");
        assert!(!e.contains("`replicas`"), "{e}");
    }
}
