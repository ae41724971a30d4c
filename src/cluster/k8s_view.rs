//! The world's compact objects as Kubernetes API objects (`crate::k8s`), for the endpoint
//! controllers and the wire encoders.
//!
//! Simulated time 0 is [`SIM_EPOCH_UNIX_S`] (2026-01-01T00:00:00Z); timestamps are RFC 3339
//! with second precision, as `metav1.Time` serializes. Only fields the simulation models are
//! filled; the pod spec carries one container (`app`) with the template's ports, which is what
//! named `targetPort` resolution reads (endpointslice utils.go FindPort). Conditions are listed in
//! the kubelet's order (Initialized, Ready, ContainersReady, PodScheduled).

use super::model::{Node, NodeReady, Pod, ServiceObj};
use super::World;
use crate::k8s;
use crate::scenario::{Nanos, ServiceType, TargetPort, NS_PER_SEC};
use std::collections::BTreeMap;

/// Unix time of simulated t = 0.
pub const SIM_EPOCH_UNIX_S: u64 = 1_767_225_600;

/// `metav1.Time` text (`2026-01-01T00:00:05Z`) of a simulated time (seconds precision).
pub fn format_time(t: Nanos) -> String {
    k8s::time::Timestamp::seconds_text((SIM_EPOCH_UNIX_S + t / NS_PER_SEC) as i64)
}

fn cond(type_: &str, status: bool, t: Nanos) -> k8s::PodCondition {
    k8s::PodCondition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        last_transition_time: Some(format_time(t)),
        ..Default::default()
    }
}

/// The pod as the API server would return it.
pub fn pod_to_k8s(p: &Pod, world: &World) -> k8s::Pod {
    pod_to_k8s_owned(p, pod_owner(p, world))
}

/// The owning ReplicaSet's name and uid (what [`pod_to_k8s`] reads from the world besides the
/// pod itself).
pub fn pod_owner<'w>(p: &Pod, world: &'w World) -> Option<(&'w str, &'w str)> {
    world
        .replica_sets()
        .get(p.replica_set)
        .map(|r| (r.name.as_str(), r.uid.as_str()))
}

/// The Ready condition's `lastTransitionTime` of [`pod_to_k8s`]'s pod, as
/// `pod_ready_transition_time` + parse would read it back (seconds precision), without
/// building the pod.
pub fn pod_ready_time(p: &Pod) -> Option<k8s::time::Timestamp> {
    p.ready.map(|c| k8s::time::Timestamp {
        secs: (SIM_EPOCH_UNIX_S + c.last_transition_ns / NS_PER_SEC) as i64,
        nanos: 0,
    })
}

/// [`pod_to_k8s`] with the owning ReplicaSet given as `(name, uid)`: a compact pod record
/// plus its owner is all the API object is made of.
pub fn pod_to_k8s_owned(p: &Pod, owner: Option<(&str, &str)>) -> k8s::Pod {
    let rs = owner;
    let mut meta = k8s::ObjectMeta {
        name: Some(p.name.clone()),
        // StatefulSet pods are named by ordinal, not generated
        generate_name: rs
            .filter(|_| !p.template.hostname_is_pod_name)
            .map(|(name, _)| format!("{name}-")),
        namespace: Some(p.namespace.to_string()),
        uid: Some(p.uid.clone()),
        resource_version: Some(p.resource_version.to_string()),
        creation_timestamp: Some(format_time(p.creation_ns)),
        deletion_timestamp: p.deletion_timestamp_ns.map(format_time),
        deletion_grace_period_seconds: p.deletion_grace_period_s.map(|s| s as i64),
        labels: Some(p.labels().clone()),
        ..Default::default()
    };
    if let Some((name, uid)) = rs {
        meta.owner_references = Some(vec![k8s::OwnerReference {
            api_version: "apps/v1".into(),
            kind: p.template.owner_kind.into(),
            name: name.to_string(),
            uid: uid.to_string(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]);
    }
    let ports: Vec<k8s::ContainerPort> = p
        .template
        .ports
        .iter()
        .map(|cp| k8s::ContainerPort {
            name: cp.name.clone(),
            container_port: i32::from(cp.container_port),
            protocol: Some(cp.protocol.as_str().to_string()),
            ..Default::default()
        })
        .collect();
    let spec = k8s::PodSpec {
        containers: Some(vec![k8s::Container {
            name: "app".into(),
            ports: (!ports.is_empty()).then_some(ports),
            ..Default::default()
        }]),
        restart_policy: Some("Always".into()),
        termination_grace_period_seconds: Some((p.termination_grace_ns / NS_PER_SEC) as i64),
        node_name: p.node_name.as_ref().map(|n| n.to_string()),
        hostname: if p.template.hostname_is_pod_name {
            Some(p.name.clone())
        } else {
            p.template.hostname.clone()
        },
        subdomain: p.template.subdomain.clone(),
        scheduler_name: Some("default-scheduler".into()),
        ..Default::default()
    };
    let mut conditions = Vec::new();
    if let Some(c) = p.containers_ready {
        // sandbox up ⇒ initialized
        conditions.push(cond(
            "Initialized",
            true,
            p.scheduled
                .map_or(c.last_transition_ns, |s| s.last_transition_ns),
        ));
    }
    if let Some(c) = p.ready {
        conditions.push(cond("Ready", c.status, c.last_transition_ns));
    }
    if let Some(c) = p.containers_ready {
        conditions.push(cond("ContainersReady", c.status, c.last_transition_ns));
    }
    if let Some(c) = p.scheduled {
        conditions.push(cond("PodScheduled", c.status, c.last_transition_ns));
    }
    let status = k8s::PodStatus {
        phase: Some(p.phase.as_str().to_string()),
        conditions: (!conditions.is_empty()).then_some(conditions),
        pod_ip: p.ips.first().map(|ip| ip.to_string()),
        pod_ips: (!p.ips.is_empty()).then(|| {
            p.ips
                .iter()
                .map(|ip| k8s::PodIP { ip: ip.to_string() })
                .collect()
        }),
        start_time: p.scheduled.map(|s| format_time(s.last_transition_ns)),
        ..Default::default()
    };
    k8s::Pod {
        kind: Some("Pod".into()),
        api_version: Some("v1".into()),
        metadata: meta,
        spec,
        status,
    }
}

fn cpu_quantity(milli: u64) -> k8s::Quantity {
    if milli % 1000 == 0 {
        k8s::Quantity((milli / 1000).to_string())
    } else {
        k8s::Quantity(format!("{milli}m"))
    }
}

/// The Node as the API server would return it.
pub fn node_to_k8s(n: &Node) -> k8s::Node {
    let mut res = BTreeMap::new();
    res.insert("cpu".to_string(), cpu_quantity(n.allocatable_cpu_milli));
    res.insert("pods".to_string(), k8s::Quantity(n.max_pods.to_string()));
    let cidrs: Vec<String> = n.pod_cidrs.iter().map(|c| c.to_string()).collect();
    let taints: Vec<k8s::Taint> = n
        .taints
        .iter()
        .map(|t| k8s::Taint {
            key: t.key.to_string(),
            value: None,
            effect: t.effect.to_string(),
            time_added: t.time_added_ns.map(format_time),
        })
        .collect();
    k8s::Node {
        kind: Some("Node".into()),
        api_version: Some("v1".into()),
        metadata: k8s::ObjectMeta {
            name: Some(n.name.to_string()),
            uid: Some(n.uid.clone()),
            resource_version: Some(n.resource_version.to_string()),
            creation_timestamp: Some(format_time(n.creation_ns)),
            labels: Some(n.labels.clone()),
            ..Default::default()
        },
        spec: k8s::NodeSpec {
            pod_cidr: cidrs.first().cloned(),
            pod_cidrs: (!cidrs.is_empty()).then_some(cidrs),
            unschedulable: n.unschedulable.then_some(true),
            taints: (!taints.is_empty()).then_some(taints),
            ..Default::default()
        },
        status: k8s::NodeStatus {
            capacity: Some(res.clone()),
            allocatable: Some(res),
            conditions: Some(vec![k8s::NodeCondition {
                type_: "Ready".into(),
                status: match n.ready {
                    NodeReady::True => "True",
                    NodeReady::Unknown => "Unknown",
                }
                .into(),
                last_transition_time: Some(format_time(n.ready_transition_ns)),
                ..Default::default()
            }]),
            ..Default::default()
        },
    }
}

/// The Service as the API server would return it.
pub fn service_to_k8s(s: &ServiceObj) -> k8s::Service {
    let sp = &s.spec;
    let ports: Vec<k8s::ServicePort> = sp
        .ports
        .iter()
        .map(|p| k8s::ServicePort {
            name: p.name.clone(),
            protocol: Some(p.protocol.as_str().to_string()),
            app_protocol: p.app_protocol.clone(),
            port: i32::from(p.port),
            target_port: match &p.target_port {
                TargetPort::Number(n) => k8s::IntOrString::Int(i32::from(*n)),
                TargetPort::Name(n) => k8s::IntOrString::String(n.clone()),
            },
            node_port: None,
        })
        .collect();
    let ips: Vec<String> = s.cluster_ips.iter().map(|ip| ip.to_string()).collect();
    let cluster_ip = if sp.headless {
        Some("None".to_string())
    } else {
        ips.first().cloned()
    };
    let external = sp.service_type == ServiceType::ExternalName;
    k8s::Service {
        kind: Some("Service".into()),
        api_version: Some("v1".into()),
        metadata: k8s::ObjectMeta {
            name: Some(sp.name.clone()),
            namespace: Some(sp.namespace.clone()),
            uid: Some(s.uid.clone()),
            resource_version: Some(s.resource_version.to_string()),
            creation_timestamp: Some(format_time(s.creation_ns)),
            labels: (!sp.labels.is_empty()).then(|| sp.labels.clone()),
            annotations: (!sp.annotations.is_empty()).then(|| sp.annotations.clone()),
            ..Default::default()
        },
        spec: k8s::ServiceSpec {
            ports: (!ports.is_empty()).then_some(ports),
            selector: sp.selector.clone().filter(|m| !m.is_empty()),
            cluster_ip: if external { None } else { cluster_ip.clone() },
            cluster_ips: if external {
                None
            } else if sp.headless {
                Some(vec!["None".to_string()])
            } else {
                (!ips.is_empty()).then_some(ips)
            },
            type_: Some(
                match sp.service_type {
                    ServiceType::ClusterIP => "ClusterIP",
                    ServiceType::NodePort => "NodePort",
                    ServiceType::LoadBalancer => "LoadBalancer",
                    ServiceType::ExternalName => "ExternalName",
                }
                .into(),
            ),
            external_name: sp.external_name.clone(),
            publish_not_ready_addresses: sp.publish_not_ready_addresses.then_some(true),
            ip_families: (!external).then(|| {
                sp.ip_families
                    .iter()
                    .map(|f| f.as_str().to_string())
                    .collect()
            }),
            ip_family_policy: (!external).then(|| {
                match sp.ip_family_policy {
                    crate::scenario::IpFamilyPolicy::SingleStack => "SingleStack",
                    crate::scenario::IpFamilyPolicy::PreferDualStack => "PreferDualStack",
                    crate::scenario::IpFamilyPolicy::RequireDualStack => "RequireDualStack",
                }
                .to_string()
            }),
            traffic_distribution: sp.traffic_distribution.clone(),
            session_affinity: Some("None".into()),
            internal_traffic_policy: (!external).then(|| "Cluster".to_string()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_seconds() {
        assert_eq!(format_time(0), "2026-01-01T00:00:00Z");
        assert_eq!(format_time(61 * NS_PER_SEC + 999), "2026-01-01T00:01:01Z");
        assert_eq!(
            format_time(59 * 86_400 * NS_PER_SEC),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            format_time(365 * 86_400 * NS_PER_SEC + 3_723 * NS_PER_SEC),
            "2027-01-01T01:02:03Z"
        );
    }
}
