//! `spec.trafficDistribution` hints, as in k8s.io/endpointslice v0.32 (the reference release)
//! and the release-dependent changes of v0.33+.
//!
//! cite: kubernetes/endpointslice :: trafficdist/trafficdist.go :: ReconcileHints,
//! preferCloseHeuristic, defaultHeuristic (v0.32.13; v0.33.0 commit 009b06a "Implement the
//! EndpointSlice controller side of PreferSameZone/PreferSameNode"); reconciler.go ::
//! validTrafficDistribution (v0.33+).
//!
//! 1.32 knows only `PreferClose`: every *ready* endpoint gets
//! `hints.forZones = [{name: zone}]`, and an endpoint without a zone gets the
//! zone "" (removed in v0.33.0). Any other value (or none) is the default
//! heuristic: hints are removed. Not-ready endpoints are left as they are.
//! With the gate `PreferSameTrafficDistribution` (alpha, off, 1.33; beta, on, 1.34)
//! `PreferSameZone` is `PreferClose` under its new name and `PreferSameNode` adds
//! `hints.forNodes = [{name: nodeName}]` to the zone hint.
//! Fully deterministic: `needsUpdate` is a per-slice predicate.

use super::model::Slice;
use super::topology::SliceInfo;

/// The only value 1.32 acts on.
pub const PREFER_CLOSE: &str = "PreferClose";
/// `PreferClose` under its new name (1.33 alpha, 1.34 beta: gate PreferSameTrafficDistribution).
pub const PREFER_SAME_ZONE: &str = "PreferSameZone";
/// Zone hints plus a node hint of the endpoint's own node (same gate).
pub const PREFER_SAME_NODE: &str = "PreferSameNode";

/// The heuristic a value selects: `Some(node_hints)` for preferCloseHeuristic
/// (`generateNodeHints` for PreferSameNode), `None` for the default one (hints removed).
/// `prefer_same`: gate PreferSameTrafficDistribution on.
fn close_heuristic(traffic_distribution: Option<&str>, prefer_same: bool) -> Option<bool> {
    match traffic_distribution {
        Some(PREFER_CLOSE) => Some(false),
        Some(PREFER_SAME_ZONE) if prefer_same => Some(false),
        Some(PREFER_SAME_NODE) if prefer_same => Some(true),
        _ => None,
    }
}

/// reconciler.go :: validTrafficDistribution (v0.33+): the value is set and one the
/// reconciler acts on; from 1.33 the hints are reconciled only then (1.32 runs the default
/// heuristic for any other value, which also rewrites unchanged slices carrying hints).
pub fn valid_traffic_distribution(traffic_distribution: Option<&str>, prefer_same: bool) -> bool {
    close_heuristic(traffic_distribution, prefer_same).is_some()
}

fn prefer_close_needs_update(s: &Slice, zoneless_hint: bool, node_hints: bool) -> bool {
    s.endpoints.iter().filter(|e| e.is_ready()).any(|e| {
        let zone_wrong = if e.zone.is_none() && !zoneless_hint {
            // v0.33+: no zone, no zone hint; a stale one needs an update.
            e.hints().is_some_and(|z| !z.is_empty())
        } else {
            let zone = e.zone.as_deref().unwrap_or("");
            match e.hints() {
                Some(z) => z.len() != 1 || z[0] != zone,
                None => true,
            }
        };
        if zone_wrong || zoneless_hint {
            // 1.32 (zoneless_hint) has no forNodes field.
            return zone_wrong;
        }
        match (&e.node_name, node_hints) {
            (Some(n), true) => {
                e.hint.is_none() || e.hint_nodes().len() != 1 || *e.hint_nodes()[0] != **n
            }
            _ => e.hint.is_some() && !e.hint_nodes().is_empty(),
        }
    })
}

/// `zoneless_hint`: 1.32 and before hint a ready endpoint without a zone with zone "";
/// 1.33+ clears its zone hints (k8s.io/endpointslice v0.33.0 preferCloseHeuristic).
/// `node_hints`: PreferSameNode's `forNodes: [{name: nodeName}]`.
fn prefer_close_update(s: &mut Slice, zoneless_hint: bool, node_hints: bool) {
    for e in s.endpoints.iter_mut().filter(|e| e.is_ready()) {
        let zones: Vec<String> = match &e.zone {
            Some(z) => vec![z.to_string()],
            None if zoneless_hint => vec![String::new()],
            None => Vec::new(),
        };
        let nodes: Vec<String> = if node_hints {
            e.node_name.iter().map(|n| n.to_string()).collect()
        } else {
            Vec::new()
        };
        if zones.is_empty() && nodes.is_empty() {
            e.set_hints(None, Vec::new());
        } else {
            e.set_hints(Some(zones), nodes);
        }
    }
}

fn default_needs_update(s: &Slice) -> bool {
    s.endpoints.iter().any(|e| e.hint.is_some())
}

fn default_update(s: &mut Slice) {
    for e in s.endpoints.iter_mut() {
        e.set_hints(None, Vec::new());
    }
}

/// `ReconcileHints`: move unchanged slices whose hints are wrong to
/// `to_update` (copies), then fix the hints of every slice to create/update.
/// `prefer_same`: gate PreferSameTrafficDistribution (on by default from 1.34).
pub fn reconcile_hints(
    traffic_distribution: Option<&str>,
    zoneless_hint: bool,
    prefer_same: bool,
    si: &mut SliceInfo<'_>,
) {
    let heuristic = close_heuristic(traffic_distribution, prefer_same);
    let needs = |s: &Slice| match heuristic {
        Some(node_hints) => prefer_close_needs_update(s, zoneless_hint, node_hints),
        None => default_needs_update(s),
    };
    let update = |s: &mut Slice| match heuristic {
        Some(node_hints) => prefer_close_update(s, zoneless_hint, node_hints),
        None => default_update(s),
    };
    let mut keep = Vec::with_capacity(si.unchanged.len());
    for s in std::mem::take(&mut si.unchanged) {
        if needs(s) {
            si.to_update.push(s.clone());
        } else {
            keep.push(s);
        }
    }
    si.unchanged = keep;
    for s in si.to_create.iter_mut().chain(si.to_update.iter_mut()) {
        update(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::endpointslice::model::{Endpoint, EndpointData};

    fn ep(ready: bool, zone: Option<&str>, hints: Option<&str>) -> Endpoint {
        Endpoint::from(EndpointData {
            addresses: vec!["10.0.0.1".into()],
            ready: Some(ready),
            zone: zone.map(Into::into),
            hint: EndpointData::zone_hints(hints.map(|h| vec![h.to_string()])),
            ..Default::default()
        })
    }

    /// 1.32 PreferClose hints zone "" for an endpoint without zone (removed in 1.33).
    #[test]
    fn prefer_close_hints_empty_zone_in_1_32() {
        let mut s = Slice {
            endpoints: vec![ep(true, None, None), ep(false, Some("a"), None)],
            ..Default::default()
        };
        prefer_close_update(&mut s, true, false);
        assert_eq!(s.endpoints[0].hints().cloned(), Some(vec![String::new()]));
        assert_eq!(
            s.endpoints[1].hints().cloned(),
            None,
            "not-ready endpoints untouched"
        );
        assert!(!prefer_close_needs_update(&s, true, false));
        // 1.33+: no zone, no hint; a stale "" hint needs an update.
        assert!(prefer_close_needs_update(&s, false, false));
        prefer_close_update(&mut s, false, false);
        assert_eq!(s.endpoints[0].hints().cloned(), None);
        assert!(!prefer_close_needs_update(&s, false, false));
    }

    /// Unchanged slices with correct same-zone hints are not rewritten; wrong ones are.
    #[test]
    fn reconcile_hints_moves_only_slices_needing_update() {
        let good = Slice {
            name: "good".into(),
            endpoints: vec![ep(true, Some("a"), Some("a"))],
            ..Default::default()
        };
        let bad = Slice {
            name: "bad".into(),
            endpoints: vec![ep(true, Some("a"), Some("b"))],
            ..Default::default()
        };
        let mut si = SliceInfo {
            service_key: "ns/s",
            address_type: "IPv4",
            to_create: vec![],
            to_update: vec![],
            unchanged: vec![&good, &bad],
        };
        reconcile_hints(Some(PREFER_CLOSE), true, false, &mut si);
        assert_eq!(si.unchanged.len(), 1);
        assert_eq!(si.to_update.len(), 1);
        assert_eq!(
            si.to_update[0].endpoints[0].hints().cloned(),
            Some(vec!["a".to_string()])
        );
        // Default heuristic strips hints from any slice that has them.
        let mut si = SliceInfo {
            service_key: "ns/s",
            address_type: "IPv4",
            to_create: vec![],
            to_update: vec![],
            unchanged: vec![&good],
        };
        reconcile_hints(None, true, false, &mut si);
        assert_eq!(si.to_update.len(), 1);
        assert_eq!(si.to_update[0].endpoints[0].hints().cloned(), None);
    }

    /// PreferSameNode (gate on, 1.34): every ready endpoint gets its zone and its own node;
    /// PreferSameZone is PreferClose; with the gate off (≤ 1.33) neither is acted on.
    #[test]
    fn prefer_same_node_hints_the_endpoints_own_node() {
        let mut a = ep(true, Some("a"), None);
        a.node_name = Some("n1".into());
        let mut zoneless = ep(true, None, None);
        zoneless.node_name = Some("n2".into());
        let mut not_ready = ep(false, Some("a"), None);
        not_ready.node_name = Some("n3".into());
        let mut s = Slice {
            endpoints: vec![a, zoneless, not_ready],
            ..Default::default()
        };
        assert!(prefer_close_needs_update(&s, false, true));
        prefer_close_update(&mut s, false, true);
        assert_eq!(s.endpoints[0].hints().cloned(), Some(vec!["a".to_string()]));
        assert_eq!(s.endpoints[0].hint_nodes().to_vec(), vec!["n1".to_string()]);
        assert_eq!(
            s.endpoints[1].hints().cloned(),
            Some(vec![]),
            "forNodes only"
        );
        assert_eq!(s.endpoints[1].hint_nodes().to_vec(), vec!["n2".to_string()]);
        assert_eq!(
            s.endpoints[2].hints().cloned(),
            None,
            "not-ready endpoints untouched"
        );
        assert!(!prefer_close_needs_update(&s, false, true));
        // Switched to PreferSameZone: the node hints are stale and go.
        assert!(prefer_close_needs_update(&s, false, false));
        prefer_close_update(&mut s, false, false);
        assert_eq!(s.endpoints[0].hint_nodes().to_vec(), Vec::<String>::new());
        assert_eq!(s.endpoints[1].hints().cloned(), None);
        assert_eq!(close_heuristic(Some(PREFER_SAME_ZONE), true), Some(false));
        assert_eq!(close_heuristic(Some(PREFER_SAME_NODE), true), Some(true));
        assert_eq!(close_heuristic(Some(PREFER_SAME_NODE), false), None);
        assert!(!valid_traffic_distribution(Some(PREFER_SAME_ZONE), false));
        assert!(valid_traffic_distribution(Some(PREFER_CLOSE), false));
    }
}
