//! A pod as the Endpoints controller reads it: an API object, or the world's compact record
//! read in place.
//!
//! The controller manager holds world pods as their compact records and used to build the
//! `k8s::Pod` of every pod a sync read (`pod_to_k8s_owned`: a dozen strings, a label map and
//! four conditions) only for the controller to read back a few fields. [`PodView::Row`] reads
//! those fields from the record as [`crate::cluster::k8s_view::pod_to_k8s_owned`] writes them,
//! so every accessor answers what it answers on the built object (tested against it below).

use std::net::IpAddr;

use crate::cluster::model;
use crate::controllers::util::ip_string;
use crate::k8s::{self, IntOrString};

use super::{is_ipv6_string, s};

/// See module docs.
#[derive(Debug, Clone, Copy)]
pub enum PodView<'p> {
    Api(&'p k8s::Pod),
    Row(&'p model::Pod),
}

impl<'p> From<&'p k8s::Pod> for PodView<'p> {
    fn from(p: &'p k8s::Pod) -> Self {
        PodView::Api(p)
    }
}

/// `is_ipv6_string` of an address's text (IPv4-mapped IPv6 counts as IPv4, as `To4()` sees it).
fn ip_is_v6(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_none(),
    }
}

impl<'p> PodView<'p> {
    pub fn name(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.metadata.name),
            PodView::Row(p) => &p.name,
        }
    }

    pub fn namespace(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.metadata.namespace),
            PodView::Row(p) => &p.namespace,
        }
    }

    pub fn uid(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.metadata.uid),
            PodView::Row(p) => &p.uid,
        }
    }

    /// `spec.nodeName` ("" when unset).
    pub fn node_name(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.spec.node_name),
            PodView::Row(p) => p.node_name.as_deref().unwrap_or(""),
        }
    }

    /// `spec.hostname` ("" when unset).
    pub fn hostname(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.spec.hostname),
            PodView::Row(p) if p.template.hostname_is_pod_name => &p.name,
            PodView::Row(p) => p.template.hostname.as_deref().unwrap_or(""),
        }
    }

    /// `spec.subdomain` ("" when unset).
    pub fn subdomain(&self) -> &'p str {
        match self {
            PodView::Api(p) => s(&p.spec.subdomain),
            PodView::Row(p) => p.template.subdomain.as_deref().unwrap_or(""),
        }
    }

    /// `podutil.IsPodReady`.
    pub fn is_ready(&self) -> bool {
        match self {
            PodView::Api(p) => super::is_pod_ready(p),
            PodView::Row(p) => p.is_ready(),
        }
    }

    /// `ShouldPodBeInEndpoints` (see [`super::should_pod_be_in_endpoints`]).
    pub fn should_be_in_endpoints(&self, include_terminating: bool) -> bool {
        match self {
            PodView::Api(p) => super::should_pod_be_in_endpoints(p, include_terminating),
            // podIP and podIPs are both set from `ips`; an address's text is never empty.
            PodView::Row(p) => {
                !p.phase.is_terminal()
                    && !p.ips.is_empty()
                    && (include_terminating || p.deletion_timestamp_ns.is_none())
            }
        }
    }

    /// `is_ipv6_string(status.podIP)`.
    pub fn pod_ip_is_v6(&self) -> bool {
        match self {
            PodView::Api(p) => is_ipv6_string(s(&p.status.pod_ip)),
            PodView::Row(p) => p.ips.first().is_some_and(ip_is_v6),
        }
    }

    /// The first `status.podIPs` entry of the family (`want_v6`), as text; `None` when there
    /// is none or it is empty.
    pub fn ip_of_family(&self, want_v6: bool) -> Option<String> {
        let ip = match self {
            PodView::Api(p) => p
                .status
                .pod_ips
                .as_ref()?
                .iter()
                .find(|ip| want_v6 == is_ipv6_string(&ip.ip))?
                .ip
                .clone(),
            PodView::Row(p) => ip_string(p.ips.iter().find(|ip| want_v6 == ip_is_v6(ip))?),
        };
        (!ip.is_empty()).then_some(ip)
    }

    /// `FindPort` (see [`super::find_port`]). A world pod has one container (`app`) with its
    /// template's ports and no init containers.
    pub fn find_port(&self, svc_port: &k8s::ServicePort) -> Option<i32> {
        match self {
            PodView::Api(p) => super::find_port(p, svc_port),
            PodView::Row(p) => match &svc_port.target_port {
                IntOrString::Int(i) => Some(*i),
                IntOrString::String(name) => {
                    let proto = s(&svc_port.protocol);
                    p.template
                        .ports
                        .iter()
                        .find(|cp| s(&cp.name) == name && cp.protocol.as_str() == proto)
                        .map(|cp| i32::from(cp.container_port))
                }
            },
        }
    }

    /// `metadata.resourceVersion` as a number, when it is one the text cannot differ from
    /// (a world pod's: `u64` printed).
    pub fn resource_version_number(&self) -> Option<u64> {
        match self {
            PodView::Api(_) => None,
            PodView::Row(p) => Some(p.resource_version),
        }
    }

    /// `metadata.resourceVersion` ("" when unset; a world pod's printed).
    pub fn resource_version_text(&self) -> std::borrow::Cow<'p, str> {
        match self {
            PodView::Api(p) => s(&p.metadata.resource_version).into(),
            PodView::Row(p) => p.resource_version.to_string().into(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::k8s_view::pod_to_k8s_owned;
    use crate::cluster::model::{Condition, PodId, PodPhase, PodTemplate};
    use crate::scenario::{ContainerPort, Protocol};
    use proptest::prelude::*;
    use std::sync::Arc;

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn row(
        i: usize,
        phase: u8,
        ips: Vec<IpAddr>,
        ready: Option<bool>,
        deleting: bool,
        host: u8,
        ports: Vec<(Option<&str>, u16, bool)>,
        node: bool,
    ) -> model::Pod {
        let labels = [("app".to_string(), "a".to_string())].into_iter().collect();
        let cond = |status| Condition {
            status,
            last_transition_ns: 7_000_000_000,
        };
        model::Pod {
            id: PodId {
                index: i as u32,
                generation: 0,
            },
            uid: format!("uid-{i}"),
            name: format!("p{i}"),
            namespace: "ns".into(),
            workload: 0,
            replica_set: 0,
            template: Arc::new(PodTemplate {
                version: 0,
                hash: "h".into(),
                labels,
                ports: ports
                    .into_iter()
                    .map(|(name, port, udp)| ContainerPort {
                        name: name.map(str::to_string),
                        container_port: port,
                        protocol: if udp { Protocol::UDP } else { Protocol::TCP },
                    })
                    .collect(),
                hostname: (host == 1).then(|| "h".to_string()),
                subdomain: (host > 0).then(|| "svc".to_string()),
                owner_kind: "ReplicaSet",
                hostname_is_pod_name: host == 2,
            }),
            resource_version: 10 + i as u64,
            creation_ns: 0,
            node: None,
            node_name: node.then(|| Arc::from("n1")),
            phase: [
                PodPhase::Pending,
                PodPhase::Running,
                PodPhase::Succeeded,
                PodPhase::Failed,
                PodPhase::Unknown,
            ][phase as usize % 5],
            ips,
            scheduled: None,
            containers_ready: ready.map(cond),
            ready: ready.map(cond),
            deletion_timestamp_ns: deleting.then_some(9_000_000_000),
            deletion_grace_period_s: deleting.then_some(30),
            termination_grace_ns: 30_000_000_000,
            available: false,
            ready_epoch: 0,
            ip_offset: None,
        }
    }

    fn ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 4]>().prop_map(|b| IpAddr::V6(std::net::Ipv4Addr::from(b).to_ipv6_mapped())),
            any::<[u16; 8]>().prop_map(IpAddr::from),
        ]
    }

    pub(crate) fn any_row(i: usize) -> impl Strategy<Value = model::Pod> {
        (
            0u8..5,
            prop::collection::vec(ip(), 0..3),
            prop::option::of(any::<bool>()),
            any::<bool>(),
            0u8..3,
            prop::collection::vec(
                (
                    prop::option::of(prop_oneof!["web", "metrics"]),
                    1u16..4,
                    any::<bool>(),
                ),
                0..3,
            ),
            any::<bool>(),
        )
            .prop_map(move |(phase, ips, ready, deleting, host, ports, node)| {
                let ports = ports
                    .iter()
                    .map(|(n, p, u)| (n.as_deref(), *p, *u))
                    .collect();
                row(i, phase, ips, ready, deleting, host, ports, node)
            })
    }

    fn svc_port(target: IntOrString, udp: bool) -> k8s::ServicePort {
        k8s::ServicePort {
            name: Some("p".into()),
            port: 80,
            protocol: Some(if udp { "UDP" } else { "TCP" }.into()),
            target_port: target,
            ..Default::default()
        }
    }

    proptest! {
        /// Every accessor reads from the record what it reads from the built API object.
        #[test]
        fn row_reads_as_built_object(pod in any_row(3), owned in any::<bool>()) {
            let built = pod_to_k8s_owned(&pod, owned.then_some(("rs", "rs-uid")));
            let (r, a) = (PodView::Row(&pod), PodView::Api(&built));
            prop_assert_eq!(r.name(), a.name());
            prop_assert_eq!(r.namespace(), a.namespace());
            prop_assert_eq!(r.uid(), a.uid());
            prop_assert_eq!(r.node_name(), a.node_name());
            prop_assert_eq!(r.hostname(), a.hostname());
            prop_assert_eq!(r.subdomain(), a.subdomain());
            prop_assert_eq!(r.is_ready(), a.is_ready());
            for t in [false, true] {
                prop_assert_eq!(r.should_be_in_endpoints(t), a.should_be_in_endpoints(t));
                prop_assert_eq!(r.ip_of_family(t), a.ip_of_family(t));
            }
            prop_assert_eq!(r.pod_ip_is_v6(), a.pod_ip_is_v6());
            prop_assert_eq!(r.resource_version_text(), a.resource_version_text());
            prop_assert_eq!(
                r.resource_version_number().map(|n| n.to_string()),
                Some(a.resource_version_text().into_owned())
            );
            for target in [
                IntOrString::Int(8080),
                IntOrString::String("web".into()),
                IntOrString::String("metrics".into()),
                IntOrString::String("none".into()),
            ] {
                for udp in [false, true] {
                    let sp = svc_port(target.clone(), udp);
                    prop_assert_eq!(r.find_port(&sp), a.find_port(&sp));
                }
            }
        }
    }

    fn service(v: usize) -> k8s::Service {
        let (ports, cluster_ip, families, publish) = match v {
            0 => (
                serde_json::json!([{"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"}]),
                "10.96.0.1",
                None,
                false,
            ),
            1 => (serde_json::json!([]), "None", None, false),
            2 => (
                serde_json::json!([{"name": "m", "port": 81, "targetPort": "metrics", "protocol": "UDP"},
                                     {"name": "n", "port": 82, "targetPort": 9000, "protocol": "TCP"}]),
                "fd00::1",
                Some(serde_json::json!(["IPv6", "IPv4"])),
                true,
            ),
            _ => (
                serde_json::json!([{"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"}]),
                "None",
                None,
                true,
            ),
        };
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "svc", "namespace": "ns"},
            "spec": {"selector": {"app": "a"}, "ports": ports, "clusterIP": cluster_ip,
                     "ipFamilies": families, "publishNotReadyAddresses": publish},
        }))
        .expect("service")
    }

    fn rows(n: usize) -> Vec<BoxedStrategy<model::Pod>> {
        (0..n).map(|i| any_row(i).boxed()).collect()
    }

    proptest! {
        /// The subsets built from records read in place, in full and through the incremental
        /// cache (a rebuild, then every pod changed), are those of the built API objects.
        #[test]
        fn rows_give_the_subsets_of_built_pods(
            (before, after) in (0usize..8).prop_flat_map(|n| (rows(n), rows(n))),
            v in 0usize..4,
        ) {
            use super::super::desired::DesiredCache;
            use super::super::{subsets_of_selected, subsets_of_views};
            let svc = service(v);
            let mut cache = DesiredCache::default();
            let none = None::<std::iter::Empty<(&str, Option<PodView<'_>>)>>;
            cache.update(&svc, none, &mut before.iter().map(PodView::Row));
            let mut after = after;
            for p in &mut after {
                p.resource_version += 100;
            }
            for pods in [&before, &after] {
                let built: Vec<k8s::Pod> = pods.iter().map(|p| pod_to_k8s_owned(p, None)).collect();
                let want = subsets_of_selected(&svc, built.iter());
                prop_assert_eq!(subsets_of_views(&svc, pods.iter().map(PodView::Row)), want.clone());
                if std::ptr::eq(pods, &after) {
                    let changed = pods.iter().map(|p| (p.name.as_str(), Some(PodView::Row(p))));
                    cache.update(&svc, Some(changed), &mut std::iter::empty());
                }
                if let Some(fast) = cache.fast(&svc) {
                    prop_assert_eq!(fast.build(None, false), want);
                }
            }
        }
    }
}
