//! `spec.trafficDistribution` hints, as in k8s.io/endpointslice v0.32.
//!
//! cite: kubernetes/endpointslice :: trafficdist/trafficdist.go :: ReconcileHints,
//! preferCloseHeuristic, defaultHeuristic (v0.32.13).
//!
//! 1.32 knows only `PreferClose`: every *ready* endpoint gets
//! `hints.forZones = [{name: zone}]`, and an endpoint without a zone gets the
//! zone "" (removed in v0.33.0). Any other value (or none) is the default
//! heuristic: hints are removed. Not-ready endpoints are left as they are.
//! Fully deterministic: `needsUpdate` is a per-slice predicate.

use super::model::Slice;
use super::topology::SliceInfo;

/// The only value 1.32 acts on.
pub const PREFER_CLOSE: &str = "PreferClose";

fn prefer_close_needs_update(s: &Slice, zoneless_hint: bool) -> bool {
    s.endpoints.iter().filter(|e| e.is_ready()).any(|e| {
        if e.zone.is_none() && !zoneless_hint {
            return e.hints.is_some();
        }
        let zone = e.zone.as_deref().unwrap_or("");
        match &e.hints {
            Some(z) => z.len() != 1 || z[0] != zone,
            None => true,
        }
    })
}

/// `zoneless_hint`: 1.32 and before hint a ready endpoint without a zone with zone "";
/// 1.33+ clears its hints (k8s.io/endpointslice v0.33.0 preferCloseHeuristic).
fn prefer_close_update(s: &mut Slice, zoneless_hint: bool) {
    for e in s.endpoints.iter_mut().filter(|e| e.is_ready()) {
        e.hints = if e.zone.is_none() && !zoneless_hint {
            None
        } else {
            Some(vec![e.zone.clone().unwrap_or_default()])
        };
    }
}

fn default_needs_update(s: &Slice) -> bool {
    s.endpoints.iter().any(|e| e.hints.is_some())
}

fn default_update(s: &mut Slice) {
    for e in s.endpoints.iter_mut() {
        e.hints = None;
    }
}

/// `ReconcileHints`: move unchanged slices whose hints are wrong to
/// `to_update` (copies), then fix the hints of every slice to create/update.
pub fn reconcile_hints(
    traffic_distribution: Option<&str>,
    zoneless_hint: bool,
    si: &mut SliceInfo<'_>,
) {
    let prefer_close = traffic_distribution == Some(PREFER_CLOSE);
    let needs = |s: &Slice| {
        if prefer_close {
            prefer_close_needs_update(s, zoneless_hint)
        } else {
            default_needs_update(s)
        }
    };
    let update = |s: &mut Slice| {
        if prefer_close {
            prefer_close_update(s, zoneless_hint)
        } else {
            default_update(s)
        }
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
    use crate::controllers::endpointslice::model::Endpoint;

    fn ep(ready: bool, zone: Option<&str>, hints: Option<&str>) -> Endpoint {
        Endpoint {
            addresses: vec!["10.0.0.1".into()],
            ready: Some(ready),
            zone: zone.map(String::from),
            hints: hints.map(|h| vec![h.to_string()]),
            ..Default::default()
        }
    }

    /// 1.32 PreferClose hints zone "" for an endpoint without zone (removed in 1.33).
    #[test]
    fn prefer_close_hints_empty_zone_in_1_32() {
        let mut s = Slice {
            endpoints: vec![ep(true, None, None), ep(false, Some("a"), None)],
            ..Default::default()
        };
        prefer_close_update(&mut s, true);
        assert_eq!(s.endpoints[0].hints, Some(vec![String::new()]));
        assert_eq!(s.endpoints[1].hints, None, "not-ready endpoints untouched");
        assert!(!prefer_close_needs_update(&s, true));
        // 1.33+: no zone, no hint; a stale "" hint needs an update.
        assert!(prefer_close_needs_update(&s, false));
        prefer_close_update(&mut s, false);
        assert_eq!(s.endpoints[0].hints, None);
        assert!(!prefer_close_needs_update(&s, false));
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
            service_key: "ns/s".into(),
            address_type: "IPv4".into(),
            to_create: vec![],
            to_update: vec![],
            unchanged: vec![&good, &bad],
        };
        reconcile_hints(Some(PREFER_CLOSE), true, &mut si);
        assert_eq!(si.unchanged.len(), 1);
        assert_eq!(si.to_update.len(), 1);
        assert_eq!(
            si.to_update[0].endpoints[0].hints,
            Some(vec!["a".to_string()])
        );
        // Default heuristic strips hints from any slice that has them.
        let mut si = SliceInfo {
            service_key: "ns/s".into(),
            address_type: "IPv4".into(),
            to_create: vec![],
            to_update: vec![],
            unchanged: vec![&good],
        };
        reconcile_hints(None, true, &mut si);
        assert_eq!(si.to_update.len(), 1);
        assert_eq!(si.to_update[0].endpoints[0].hints, None);
    }
}
