//! `[cluster]`: zones, node generation, CIDRs and node names.

use super::*;
use crate::scenario::model::Node as Node_;

pub(super) fn family_of(s: &S<String>, cx: &mut Cx) -> Option<IpFamily> {
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

pub(super) fn cidr_list(cx: &mut Cx, t: &mut Tbl, key: &'static str) -> Option<Vec<S<Cidr>>> {
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
pub(super) fn cidrs_for_families(
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

pub(super) fn resolve_cluster(
    cx: &mut Cx,
    t: Option<Tbl>,
    profile: &VersionProfile,
) -> (Cluster, NodeGen) {
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
        .map_or(profile.node_monitor_grace_period_ns, |d| d.v);
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
pub(super) fn cpu_field(cx: &mut Cx, t: &mut Tbl, key: &'static str) -> Option<u64> {
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
pub(super) struct NodeGen {
    pub(super) wrr: Wrr,
    pub(super) names: BTreeSet<String>,
    /// `cluster.node_cpu`.
    pub(super) cpu_milli: u64,
    /// `cluster.zones[].node_cpu` per zone (overrides `cpu_milli`).
    pub(super) zone_cpu: Vec<Option<u64>>,
}

/// Every node ever present (initial and added) needs its own pod CIDR range. Blamed on the
/// pod CIDR the user wrote, else on `cluster.nodes`.
pub(super) fn check_node_cidr_capacity(
    cx: &mut Cx,
    cluster: &Cluster,
    cluster_origin: &Origin,
    root: &Node,
) {
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
pub(super) struct Wrr {
    pub(super) weights: Vec<i64>,
    pub(super) current: Vec<i64>,
}

impl Wrr {
    pub(super) fn new(zones: &[Zone]) -> Self {
        let weights: Vec<i64> = zones.iter().map(|z| i64::from(z.weight.max(1))).collect();
        let current = vec![0; weights.len()];
        Wrr { weights, current }
    }

    pub(super) fn next(&mut self) -> usize {
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

pub(super) fn hash_hex(parts: &[&str]) -> [u8; 32] {
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
pub(super) fn expand_pattern(
    pattern: &str,
    index: usize,
    zone: &str,
    salt: u32,
) -> Result<String, String> {
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

pub(super) fn add_node(
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
