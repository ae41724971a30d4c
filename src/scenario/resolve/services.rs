//! `[[services]]` and manually managed Endpoints; the name tables cross-references use.

use super::*;

pub(super) fn service_ports(cx: &mut Cx, t: &mut Tbl, gpath: &str) -> Option<Vec<ServicePort>> {
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

pub(super) fn resolve_service(
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

/// `spec.trafficDistribution`: "PreferClose" (v1.31+), "PreferSameZone"/"PreferSameNode" (v1.33
/// alpha, off by default; v1.34 beta, on). Before 1.34 the two are accepted with a warning and
/// act as no value (the EndpointSlice controller removes hints), as a cluster without the
/// `PreferSameTrafficDistribution` gate would.
pub(super) fn traffic_distribution_ok(cx: &mut Cx, s: &S<String>) -> bool {
    const ALLOWED: &[&str] = &["PreferClose", "PreferSameZone", "PreferSameNode"];
    if ALLOWED.contains(&s.v.as_str()) {
        let minor = cx
            .kubernetes_minor
            .unwrap_or(super::version::DEFAULT_KUBERNETES_MINOR);
        if s.v != "PreferClose" && minor < 34 {
            cx.warn(
                &s.origin,
                &s.path,
                format!(
                    "{:?} needs kubernetes_version \"1.34\" or later (feature gate PreferSameTrafficDistribution: alpha, off by default, in 1.33; beta, on, in 1.34); at \"1.{minor}\" the EndpointSlice controller treats it as no value and removes hints",
                    s.v
                ),
            );
        }
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
pub(super) fn service_families(
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

pub(super) fn resolve_manual_endpoints(
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

pub(super) fn container_like_endpoint_ports(cx: &mut Cx, t: &mut Tbl) -> Option<Vec<EndpointPort>> {
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
    pub(super) what: &'static str,
    /// name → (namespace, index), in definition order.
    pub(super) by_name: BTreeMap<String, Vec<(String, usize)>>,
    pub(super) in_order: Vec<String>,
}

impl Names {
    pub(super) fn new<'a>(
        what: &'static str,
        items: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Names {
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
    pub(super) fn lookup(&self, cx: &mut Cx, r: &S<String>) -> Option<usize> {
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
                let hint =
                    crate::scenario::diag::suggest(name, self.in_order.iter().map(String::as_str))
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
