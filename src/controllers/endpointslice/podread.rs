//! What the EndpointSlice controller reads of a pod, through a [`PodView`]: an API object, or
//! the world's compact record read in place.
//!
//! The controller manager holds world pods as compact records; building the `k8s::Pod` of
//! every pod a sync read (`pod_to_k8s_owned`: a dozen strings, a label map, four conditions)
//! was a third of this controller's cost, only to read back a few fields. Each function here
//! answers on a record what the controller's own reading of the built object answers
//! (`convert`: `should_pod_be_in_endpoints`, `is_pod_ready`, `find_port`,
//! `endpoint_addresses`; the per-pod memo's input encoding), tested against the built object
//! below. An API object is read by those very functions.

use std::net::IpAddr;

use super::convert;
use super::podcache::put_opt;
use crate::controllers::endpoints::PodView;
use crate::controllers::util::{ip_string, write_ip};
use crate::k8s;

/// `ShouldPodBeInEndpoints(pod, include_terminating)` ([`convert::should_pod_be_in_endpoints`]).
pub(super) fn in_endpoints(pod: PodView<'_>, include_terminating: bool) -> bool {
    match pod {
        PodView::Api(p) => convert::should_pod_be_in_endpoints(p, include_terminating),
        // podIP and podIPs are both set from `ips`; an address's text is never empty.
        PodView::Row(p) => {
            !p.phase.is_terminal()
                && !p.ips.is_empty()
                && (include_terminating || p.deletion_timestamp_ns.is_none())
        }
    }
}

/// `IsPodReady` ([`convert::is_pod_ready`]).
pub(super) fn is_ready(pod: PodView<'_>) -> bool {
    match pod {
        PodView::Api(p) => convert::is_pod_ready(p),
        PodView::Row(p) => p.is_ready(),
    }
}

/// `metadata.deletionTimestamp != nil`.
pub(super) fn deleting(pod: PodView<'_>) -> bool {
    match pod {
        PodView::Api(p) => p.metadata.deletion_timestamp.is_some(),
        PodView::Row(p) => p.deletion_timestamp_ns.is_some(),
    }
}

/// 1.32 `findPort` ([`convert::find_port`]); a world pod has one container and no init
/// containers, which [`PodView::find_port`] reads as that function does.
pub(super) fn find_port(pod: PodView<'_>, sp: &k8s::ServicePort) -> Option<i32> {
    match pod {
        PodView::Api(p) => convert::find_port(p, sp),
        PodView::Row(_) => pod.find_port(sp),
    }
}

/// `is_ipv6_string` of an address's text (IPv4-mapped IPv6 is IPv4, as `To4()` sees it).
fn ip_is_v6(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_none(),
    }
}

/// `getEndpointAddresses` ([`convert::endpoint_addresses`]): every `status.podIPs` entry of
/// the family, as text.
pub(super) fn addresses(pod: PodView<'_>, address_type: &str) -> Vec<String> {
    match pod {
        PodView::Api(p) => convert::endpoint_addresses(p, address_type),
        PodView::Row(p) => {
            let want_v6 = address_type == super::model::ADDRESS_TYPE_IPV6;
            p.ips
                .iter()
                .filter(|ip| ip_is_v6(ip) == want_v6)
                .map(ip_string)
                .collect()
        }
    }
}

/// The resourceVersion as the incremental reconcile keys it (`rv_num` of the text: a
/// canonical decimal of at most 19 digits; a world pod's is its number printed).
pub(super) fn resource_version(pod: PodView<'_>) -> Option<u64> {
    match pod {
        PodView::Api(p) => super::incremental::rv_num(p.metadata.resource_version.as_deref()?),
        PodView::Row(p) => {
            (p.resource_version < 10_000_000_000_000_000_000).then_some(p.resource_version)
        }
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

/// An address's text with its length first, written in place (no `String` per address).
fn put_ip(out: &mut Vec<u8>, ip: &IpAddr) {
    let at = out.len();
    put_len(out, 0);
    write_ip(out, ip);
    let n = (out.len() - at - 8) as u64;
    out[at..at + 8].copy_from_slice(&n.to_le_bytes());
}

/// The per-pod memo's input encoding (`podcache::encode_inputs`) of a pod: a world pod's
/// bytes are those of its built object (uid, namespace, phase, podIP, podIPs, deleting,
/// ready, nodeName, hostname, subdomain, then every container port's name, protocol and
/// number), so both forms of one pod share a digest.
pub(super) fn encode_inputs(pod: PodView<'_>, out: &mut Vec<u8>) {
    let p = match pod {
        PodView::Api(p) => return super::podcache::encode_inputs(p, out),
        PodView::Row(p) => p,
    };
    put_opt(out, Some(&p.uid));
    put_opt(out, Some(&p.namespace));
    put_opt(out, Some(p.phase.as_str()));
    match p.ips.first() {
        None => out.push(0),
        Some(ip) => {
            out.push(1);
            put_ip(out, ip);
        }
    }
    put_len(out, p.ips.len());
    for ip in &p.ips {
        put_ip(out, ip);
    }
    out.push(u8::from(p.deletion_timestamp_ns.is_some()));
    out.push(u8::from(p.is_ready()));
    put_opt(out, p.node_name.as_deref());
    let hostname = if p.template.hostname_is_pod_name {
        Some(p.name.as_str())
    } else {
        p.template.hostname.as_deref()
    };
    put_opt(out, hostname);
    put_opt(out, p.template.subdomain.as_deref());
    put_len(out, p.template.ports.len());
    for cp in &p.template.ports {
        put_opt(out, cp.name.as_deref());
        put_opt(out, Some(cp.protocol.as_str()));
        out.extend_from_slice(&i32::from(cp.container_port).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::super::convert::{endpoint_ports, endpoint_ports_of, pod_to_endpoint};
    use super::super::convert::{pod_ready_transition_time, view_to_endpoint};
    use super::super::model::{ServiceInfo, ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6};
    use super::super::podcache::PodInputs;
    use super::*;
    use crate::cluster::k8s_view::{pod_ready_time, pod_to_k8s_owned};
    use crate::controllers::endpoints::view::tests::any_row;
    use crate::controllers::trigger_time::parse_opt;
    use proptest::prelude::*;

    fn service(named: bool, udp: bool, headless: bool) -> k8s::Service {
        let target = if named {
            serde_json::json!("web")
        } else {
            serde_json::json!(8080)
        };
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "svc", "namespace": "ns", "uid": "u"},
            "spec": {"selector": {"app": "a"},
                     "clusterIP": if headless { "None" } else { "10.96.0.1" },
                     "ports": [{"name": "http", "port": 80, "targetPort": target,
                                "protocol": if udp { "UDP" } else { "TCP" }},
                               {"name": "m", "port": 81, "targetPort": "metrics",
                                "protocol": "TCP"}]},
        }))
        .expect("service")
    }

    fn digest_input(pod: PodView<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_inputs(pod, &mut out);
        out
    }

    proptest! {
        /// A world pod read in place gives what its built API object gives: the same
        /// endpoint per address type, ports, membership, readiness, resourceVersion, memo
        /// input bytes (hence digest) and trigger time.
        #[test]
        fn row_reads_as_built_pod(
            pod in any_row(3),
            owned in any::<bool>(),
            named in any::<bool>(),
            udp in any::<bool>(),
            headless in any::<bool>(),
            publish in any::<bool>(),
            zone in prop::option::of(prop_oneof!["", "z1"]),
        ) {
            let built = pod_to_k8s_owned(&pod, owned.then_some(("rs", "rs-uid")));
            let (r, a) = (PodView::Row(&pod), PodView::Api(&built));
            prop_assert_eq!(digest_input(r), digest_input(a));
            prop_assert!(PodInputs::of(r) == PodInputs::of(a));
            for t in [false, true] {
                prop_assert_eq!(in_endpoints(r, t), in_endpoints(a, t));
            }
            prop_assert_eq!(is_ready(r), is_ready(a));
            prop_assert_eq!(deleting(r), deleting(a));
            prop_assert_eq!(resource_version(r), resource_version(a));
            prop_assert_eq!(
                pod_ready_time(&pod),
                parse_opt(pod_ready_transition_time(&built))
            );
            let svc = service(named, udp, headless);
            prop_assert_eq!(endpoint_ports_of(&svc, r), endpoint_ports(&svc, &built));
            let info = ServiceInfo {
                publish_not_ready_addresses: publish,
                ..super::super::convert::service_info(&svc)
            };
            for at in [ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6] {
                prop_assert_eq!(addresses(r, at), addresses(a, at));
                let z = zone.as_deref();
                prop_assert_eq!(
                    view_to_endpoint(r, z, &info, at),
                    pod_to_endpoint(&built, z, &info, at)
                );
            }
        }

        /// The formatter-free address text is `Display`'s.
        #[test]
        fn write_ip_is_display(v4 in any::<[u8; 4]>(), v6 in any::<[u16; 8]>()) {
            let v6 = std::net::Ipv6Addr::new(v6[0], v6[1], v6[2], v6[3], v6[4], v6[5], v6[6], v6[7]);
            for ip in [IpAddr::from(v4), IpAddr::from(v6)] {
                let mut b = Vec::new();
                write_ip(&mut b, &ip);
                prop_assert_eq!(String::from_utf8(b).unwrap(), ip.to_string());
            }
        }
    }
}
