//! Topology-aware hints (`service.kubernetes.io/topology-mode: Auto`): the
//! TopologyCache and its helpers.
//!
//! cite: kubernetes/endpointslice :: topologycache/topologycache.go ::
//! SetNodes, AddHints, getAllocations, RemoveHints; topologycache/utils.go ::
//! RemoveHintsFromSlices, redistributeHints, getGivingAndReceivingZones,
//! getMost, getHintsByZone, serviceOverloaded; topologycache/sliceinfo.go ::
//! getTotalReadyEndpoints, getAllocatedHintsByZone (v0.32.13).
//!
//! Float arithmetic follows upstream operation by operation (float64, same
//! order): `ceil(ratio*n * (1/(1+0.2)))` decides feasibility, e.g. with ratio
//! 0.2 and 6 endpoints the minimum is 2, not 1 (see the unit tests).
//!
//! Randomness: two choices depend on Go map order upstream, and both take the
//! *first* match of a `range`: `getMost` keeps the first zone with the largest
//! value (strict `>`), so ties go to whichever tied zone the iteration meets
//! first; `redistributeHints` gives each donated endpoint to the first zone of
//! `range receivingZones` that still needs one. Go 1.23 iterates a small map
//! (≤ 8 keys, one bucket, keys in insertion order, holes left by deletes) as a
//! *rotation* of its slots from a random offset in 0..8 (runtime/map.go
//! `mapiterinit`), so with k zones the first-inserted zone comes first with
//! probability (9−k)/8 — not 1/k. The insertion orders chain back to the node
//! list: `SetNodes` fills `cpuByZone` in node order and copies it into
//! `cpuRatiosByZone` by ranging over it; `getAllocations` fills `allocations` by
//! ranging over `cpuRatiosByZone`; `getGivingAndReceivingZones` fills the
//! desired maps by ranging over `allocations`, and the giving/receiving maps in
//! the order its loop picks zones. Each of those maps is emulated here with
//! [`GoMap`] (fresh hash seed and iteration starts from the reconciler's seeded
//! stream), so ties and receiving zones favour zones that come early in the
//! node list, as upstream's do (e.g. hints-balanced-60: three equal zones, 53
//! endpoints, zone-b keeps 18 hints in ~70 % of runs, zone-c in ~30 %; a uniform
//! pick splits them evenly). `cpuRatiosByZone` lives across syncs; its layout is
//! drawn at the first `AddHints` after `SetNodes` (nothing reads its order in
//! between, so the distribution is the same). All other zone loops are
//! order-independent and run in name order.

use std::collections::{BTreeMap, BTreeSet};

use rand_chacha::ChaCha8Rng;

use super::model::{Endpoint, Slice};
use crate::controllers::util::gomap::GoMap;

/// `1 / (1 + overloadThreshold)` with overloadThreshold = 0.2. Go evaluates
/// this constant expression exactly and rounds once: 5/6 as float64.
pub const INVERSE_OVERLOAD: f64 = 5.0 / 6.0;

/// What `SetNodes` reads from a Node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfo {
    pub name: String,
    /// `topology.kubernetes.io/zone` label (None if absent).
    pub zone: Option<String>,
    /// `Ready` condition is `True`.
    pub ready: bool,
    /// `status.allocatable.cpu` in millicores (`Quantity.MilliValue()`); 0 if absent.
    pub cpu_millis: i64,
    /// Labelled `node-role.kubernetes.io/control-plane` or `.../master`.
    pub excluded: bool,
}

/// One zone's share of a Service's ready endpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allocation {
    pub minimum: i64,
    pub maximum: i64,
    pub desired: f64,
}

/// The slices of one Service and address type, split the way AddHints needs.
#[derive(Debug, Clone)]
pub struct SliceInfo<'a> {
    /// Borrowed: a sync builds one per address type, most never read them.
    pub service_key: &'a str,
    pub address_type: &'a str,
    pub to_create: Vec<Slice>,
    pub to_update: Vec<Slice>,
    /// Existing slices no step of this sync changed (borrowed; moved into
    /// `to_update` as a copy when they need new hints).
    pub unchanged: Vec<&'a Slice>,
}

fn num_ready(eps: &[Endpoint]) -> i64 {
    eps.iter().filter(|e| e.is_ready()).count() as i64
}

impl SliceInfo<'_> {
    fn total_ready_endpoints(&self) -> i64 {
        self.to_create
            .iter()
            .chain(self.to_update.iter())
            .map(|s| num_ready(&s.endpoints))
            .sum::<i64>()
            + self
                .unchanged
                .iter()
                .map(|s| num_ready(&s.endpoints))
                .sum::<i64>()
    }

    /// `getAllocatedHintsByZone`: walk unchanged slices (lister order); a slice
    /// whose hints are missing, name a zone without allocation, or would push a
    /// zone past its maximum is moved to `to_update`.
    fn allocated_hints_by_zone(
        &mut self,
        allocations: &BTreeMap<String, Allocation>,
    ) -> BTreeMap<String, i64> {
        let mut allocated: BTreeMap<String, i64> = BTreeMap::new();
        let mut keep = Vec::with_capacity(self.unchanged.len());
        for s in std::mem::take(&mut self.unchanged) {
            match hints_by_zone(s, &allocated, allocations) {
                None => self.to_update.push(s.clone()),
                Some(h) => {
                    for (z, n) in h {
                        *allocated.entry(z).or_insert(0) += n;
                    }
                    keep.push(s);
                }
            }
        }
        self.unchanged = keep;
        allocated
    }
}

/// `getHintsByZone`.
fn hints_by_zone(
    slice: &Slice,
    allocated: &BTreeMap<String, i64>,
    allocations: &BTreeMap<String, Allocation>,
) -> Option<BTreeMap<String, i64>> {
    let mut by_zone: BTreeMap<String, i64> = BTreeMap::new();
    for e in &slice.endpoints {
        if !e.is_ready() {
            continue;
        }
        let zones = match e.hints() {
            Some(z) if !z.is_empty() => z,
            _ => return None,
        };
        for z in zones {
            if !allocations.contains_key(z) {
                return None;
            }
            *by_zone.entry(z.clone()).or_insert(0) += 1;
        }
    }
    for (z, n) in &by_zone {
        let already = allocated.get(z).copied().unwrap_or(0);
        match allocations.get(z) {
            Some(a) if n + already <= a.maximum => {}
            _ => return None,
        }
    }
    Some(by_zone)
}

/// `RemoveHintsFromSlices`: clear hints in slices to create/update, and move
/// every unchanged slice that carries any hint to `to_update` (a copy with
/// hints cleared) — an extra write upstream makes.
pub fn remove_hints_from_slices(si: &mut SliceInfo<'_>) {
    for s in si.to_create.iter_mut().chain(si.to_update.iter_mut()) {
        for e in &mut s.endpoints {
            e.set_hints(None, Vec::new());
        }
    }
    let mut keep = Vec::with_capacity(si.unchanged.len());
    for s in std::mem::take(&mut si.unchanged) {
        if s.endpoints.iter().any(|e| e.hint.is_some()) {
            let mut c = s.clone();
            for e in &mut c.endpoints {
                e.set_hints(None, Vec::new());
            }
            si.to_update.push(c);
        } else {
            keep.push(s);
        }
    }
    si.unchanged = keep;
}

/// `getMost`: the first zone (in one `range` of the map) whose value exceeds every
/// earlier one and 0, i.e. among tied maxima the one the iteration meets first.
fn get_most(zones: &GoMap<f64>, rng: &mut ChaCha8Rng) -> (Option<String>, f64) {
    let mut zone = None;
    let mut num = 0.0;
    for (z, n) in zones.range(rng) {
        if n > num {
            zone = Some(z);
            num = n;
        }
    }
    (zone, num)
}

/// `getGivingAndReceivingZones`: the desired maps are filled in one `range` of
/// `allocations`; the giving/receiving maps in the order the loop picks zones.
fn giving_and_receiving_zones(
    allocations: &GoMap<Allocation>,
    allocated: &BTreeMap<String, i64>,
    rng: &mut ChaCha8Rng,
) -> (GoMap<i64>, GoMap<i64>) {
    let mut giving_desired: GoMap<f64> = GoMap::new(rng);
    let mut receiving_desired: GoMap<f64> = GoMap::new(rng);
    for (z, a) in allocations.range(rng) {
        let hints = allocated.get(&z).copied().unwrap_or(0) as f64;
        let target = a.desired;
        if hints > target {
            giving_desired.insert(&z, hints - target);
        } else if hints < target {
            receiving_desired.insert(&z, target - hints);
        }
    }
    let mut giving: GoMap<i64> = GoMap::new(rng);
    let mut receiving: GoMap<i64> = GoMap::new(rng);
    loop {
        let (gz, ng) = get_most(&giving_desired, rng);
        let (rz, nr) = get_most(&receiving_desired, rng);
        let (Some(gz), Some(rz)) = (gz, rz) else {
            break;
        };
        if (ng < 1.0 && nr < 1.0) || ng < 0.5 || nr < 0.5 {
            break;
        }
        let g = giving.get(&gz).copied().unwrap_or(0);
        giving.insert(&gz, g + 1);
        if let Some(v) = giving_desired.get_mut(&gz) {
            *v -= 1.0;
        }
        let r = receiving.get(&rz).copied().unwrap_or(0);
        receiving.insert(&rz, r + 1);
        if let Some(v) = receiving_desired.get_mut(&rz) {
            *v -= 1.0;
        }
    }
    (giving, receiving)
}

/// `redistributeHints`: re-hint endpoints of giving zones (slice order) to the
/// first zone of a `range receivingZones` that still needs endpoints (a fresh
/// iteration per endpoint; zones leave the map when satisfied).
fn redistribute_hints(
    slices: &mut [&mut Slice],
    giving: &mut GoMap<i64>,
    receiving: &mut GoMap<i64>,
    rng: &mut ChaCha8Rng,
) -> BTreeMap<String, i64> {
    let mut redistributions: BTreeMap<String, i64> = BTreeMap::new();
    for s in slices.iter_mut() {
        for e in s.endpoints.iter_mut() {
            if !e.is_ready() {
                // Upstream assigns nil to the loop copy: no effect.
                continue;
            }
            if giving.is_empty() || receiving.is_empty() {
                return redistributions;
            }
            let Some(zone) = zone_of(e) else {
                continue;
            };
            let to_give = giving.get(&zone).copied().unwrap_or(0);
            if to_give > 0 {
                let pick = receiving.range(rng).into_iter().find(|(_, n)| *n > 0);
                if let Some((rz, n)) = pick {
                    e.set_hints(Some(vec![rz.clone()]), Vec::new());
                    if to_give == 1 {
                        giving.remove(&zone);
                    } else if let Some(v) = giving.get_mut(&zone) {
                        *v -= 1;
                    }
                    if n == 1 {
                        receiving.remove(&rz);
                    } else if let Some(v) = receiving.get_mut(&rz) {
                        *v -= 1;
                    }
                    *redistributions.entry(rz).or_insert(0) += 1;
                    *redistributions.entry(zone).or_insert(0) -= 1;
                }
            }
        }
    }
    redistributions
}

/// Why `getAllocations` refused (the upstream event messages, abridged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationFailure {
    InsufficientNodeInfo,
    NodesReadyInOneZoneOnly,
    InsufficientNumberOfEndpoints,
    MinAllocationExceedsOverloadThreshold,
}

/// The topology cache of one reconciler.
#[derive(Debug, Clone, Default)]
pub struct TopologyCache {
    /// `None` = insufficient node info (upstream sets cpuRatiosByZone = nil).
    cpu_ratios_by_zone: Option<BTreeMap<String, f64>>,
    /// Zones in the order `SetNodes` first met them (`cpuByZone`'s insertion order).
    zones_in_node_order: Vec<String>,
    /// `cpuRatiosByZone` as a Go map (its iteration order matters); built at the first
    /// `AddHints` after `SetNodes`.
    ratio_map: Option<GoMap<f64>>,
    endpoints_by_service: BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>,
    hints_populated_by_service: BTreeSet<String>,
}

impl TopologyCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Zone CPU ratios, or None when node info is insufficient.
    pub fn cpu_ratios(&self) -> Option<&BTreeMap<String, f64>> {
        self.cpu_ratios_by_zone.as_ref()
    }

    /// `SetNodes`: skip excluded (control-plane/master) and not-Ready nodes;
    /// any remaining node without zone or with zero CPU makes the whole cache
    /// "insufficient"; fewer than 2 zones or zero total CPU likewise.
    pub fn set_nodes(&mut self, nodes: &[NodeInfo]) {
        let mut cpu_by_zone: BTreeMap<String, i64> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut sufficient = true;
        let mut total: i64 = 0;
        for n in nodes {
            if n.excluded || !n.ready {
                continue;
            }
            let zone = n.zone.as_deref().unwrap_or("");
            if zone.is_empty() || n.cpu_millis == 0 {
                cpu_by_zone.clear();
                sufficient = false;
                break;
            }
            total += n.cpu_millis;
            if !cpu_by_zone.contains_key(zone) {
                order.push(zone.to_string());
            }
            *cpu_by_zone.entry(zone.to_string()).or_insert(0) += n.cpu_millis;
        }
        self.ratio_map = None;
        self.zones_in_node_order = order;
        if total == 0 || !sufficient || cpu_by_zone.len() < 2 {
            self.cpu_ratios_by_zone = None;
        } else {
            self.cpu_ratios_by_zone = Some(
                cpu_by_zone
                    .into_iter()
                    .map(|(z, c)| (z, c as f64 / total as f64))
                    .collect(),
            );
        }
    }

    /// `getAllocations(numEndpoints)` (values only, in zone-name order).
    pub fn get_allocations(
        &self,
        num_endpoints: i64,
    ) -> Result<BTreeMap<String, Allocation>, AllocationFailure> {
        let ratios = self.cpu_ratios_by_zone.as_ref();
        let in_order = ratios.map(|r| r.iter().map(|(z, &x)| (z.clone(), x)).collect());
        Ok(allocate(in_order, num_endpoints)?.into_iter().collect())
    }

    /// `cpuRatiosByZone` as upstream's Go map: `SetNodes` fills `cpuByZone` in node
    /// order and copies it into a new map by ranging over it.
    fn ratio_map(&mut self, rng: &mut ChaCha8Rng) -> Option<&GoMap<f64>> {
        if self.ratio_map.is_none() {
            let ratios = self.cpu_ratios_by_zone.as_ref()?;
            let mut cpu_by_zone: GoMap<()> = GoMap::new(rng);
            for z in &self.zones_in_node_order {
                cpu_by_zone.insert(z, ());
            }
            let mut m: GoMap<f64> = GoMap::new(rng);
            for (z, ()) in cpu_by_zone.range(rng) {
                m.insert(&z, ratios.get(&z).copied().unwrap_or(0.0));
            }
            self.ratio_map = Some(m);
        }
        self.ratio_map.as_ref()
    }

    /// `getAllocations` with upstream's map order: `allocations` is filled in one
    /// `range` of `cpuRatiosByZone`.
    fn allocations_go(
        &mut self,
        num_endpoints: i64,
        rng: &mut ChaCha8Rng,
    ) -> Result<GoMap<Allocation>, AllocationFailure> {
        let in_order = self.ratio_map(rng).map(|m| m.range(rng));
        let list = allocate(in_order, num_endpoints)?;
        let mut m = GoMap::new(rng);
        for (z, a) in list {
            m.insert(&z, a);
        }
        Ok(m)
    }

    /// `AddHints`: hint every ready endpoint of slices to create/update with
    /// its zone, pull unchanged slices whose hints no longer fit into
    /// `to_update`, then redistribute from over- to under-allocated zones.
    /// On failure all hints are removed (`RemoveHintsFromSlices`).
    pub fn add_hints(&mut self, si: &mut SliceInfo<'_>, rng: &mut ChaCha8Rng) {
        let total = si.total_ready_endpoints();
        let allocations = match self.allocations_go(total, rng) {
            Ok(a) => a,
            Err(_) => {
                self.remove_hints(si.service_key, si.address_type);
                remove_hints_from_slices(si);
                return;
            }
        };
        let mut allocated = si.allocated_hints_by_zone(allocations.as_btree());
        let mut no_zone = false;
        'outer: for s in si.to_create.iter_mut().chain(si.to_update.iter_mut()) {
            for e in s.endpoints.iter_mut() {
                if !e.is_ready() {
                    // Upstream clears the hints of a loop copy: a no-op, so a
                    // not-ready endpoint keeps stale hints (upstream quirk).
                    continue;
                }
                let Some(zone) = zone_of(e) else {
                    no_zone = true;
                    break 'outer;
                };
                *allocated.entry(zone.clone()).or_insert(0) += 1;
                e.set_hints(Some(vec![zone]), Vec::new());
            }
        }
        if no_zone {
            self.remove_hints(si.service_key, si.address_type);
            remove_hints_from_slices(si);
            return;
        }
        let (mut giving, mut receiving) = giving_and_receiving_zones(&allocations, &allocated, rng);
        let redistributions = {
            let mut slices: Vec<&mut Slice> = si
                .to_create
                .iter_mut()
                .chain(si.to_update.iter_mut())
                .collect();
            redistribute_hints(&mut slices, &mut giving, &mut receiving, rng)
        };
        for (z, d) in redistributions {
            *allocated.entry(z).or_insert(0) += d;
        }
        if allocated.is_empty() {
            self.remove_hints(si.service_key, si.address_type);
            remove_hints_from_slices(si);
            return;
        }
        self.endpoints_by_service
            .entry(si.service_key.to_string())
            .or_default()
            .insert(si.address_type.to_string(), allocated);
        self.hints_populated_by_service
            .insert(si.service_key.to_string());
    }

    /// `RemoveHints`: forget a Service's allocation for one address type.
    pub fn remove_hints(&mut self, service_key: &str, address_type: &str) {
        if let Some(m) = self.endpoints_by_service.get_mut(service_key) {
            m.remove(address_type);
            if m.is_empty() {
                self.endpoints_by_service.remove(service_key);
            }
        }
        self.hints_populated_by_service.remove(service_key);
    }

    /// No Service has hints or endpoints recorded: `remove_hints` of any key does nothing
    /// (a sync then needs no Service key for it).
    pub fn holds_no_hints(&self) -> bool {
        self.endpoints_by_service.is_empty() && self.hints_populated_by_service.is_empty()
    }

    /// `HasPopulatedHints`.
    pub fn has_populated_hints(&self, service_key: &str) -> bool {
        self.hints_populated_by_service.contains(service_key)
    }

    /// `GetOverloadedServices` (sorted): Services to resync after SetNodes.
    pub fn overloaded_services(&self) -> Vec<String> {
        let ratios = self.cpu_ratios_by_zone.clone().unwrap_or_default();
        self.endpoints_by_service
            .iter()
            .filter(|(_, by_type)| by_type.values().any(|ezi| service_overloaded(ezi, &ratios)))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// The body of `getAllocations` over the zone ratios in iteration order (`None` =
/// insufficient node info); the result keeps that order.
fn allocate(
    ratios_in_order: Option<Vec<(String, f64)>>,
    num_endpoints: i64,
) -> Result<Vec<(String, Allocation)>, AllocationFailure> {
    let Some(ratios) = ratios_in_order else {
        return Err(AllocationFailure::InsufficientNodeInfo);
    };
    if ratios.len() < 2 {
        return Err(AllocationFailure::NodesReadyInOneZoneOnly);
    }
    if ratios.len() as i64 > num_endpoints {
        return Err(AllocationFailure::InsufficientNumberOfEndpoints);
    }
    let mut remaining = num_endpoints;
    let mut min_total = 0;
    let mut allocations = Vec::with_capacity(ratios.len());
    for (z, ratio) in ratios {
        let desired = ratio * num_endpoints as f64;
        let minimum = (desired * INVERSE_OVERLOAD).ceil() as i64;
        allocations.push((
            z,
            Allocation {
                minimum,
                maximum: 0,
                desired: desired.max(minimum as f64),
            },
        ));
        min_total += minimum;
        remaining -= minimum;
        if remaining < 0 {
            return Err(AllocationFailure::MinAllocationExceedsOverloadThreshold);
        }
    }
    for (_, a) in &mut allocations {
        a.maximum = a.minimum + num_endpoints - min_total;
    }
    Ok(allocations)
}

/// `serviceOverloaded`.
fn service_overloaded(ezi: &BTreeMap<String, i64>, ratios: &BTreeMap<String, f64>) -> bool {
    if ezi.is_empty() {
        return false;
    }
    if ratios.is_empty() {
        return true;
    }
    let total: f64 = ezi.values().map(|&n| n as f64).sum();
    for (z, &ratio) in ratios {
        let Some(&n) = ezi.get(z) else { return true };
        let min = (total * ratio * INVERSE_OVERLOAD).ceil();
        if n < min as i64 {
            return true;
        }
    }
    false
}

/// The endpoint's zone, `None` when unset or empty (upstream treats both as "no zone").
fn zone_of(e: &Endpoint) -> Option<String> {
    e.zone
        .as_deref()
        .filter(|z| !z.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::endpointslice::model::EndpointData;

    fn node(name: &str, zone: &str, cpu: i64) -> NodeInfo {
        NodeInfo {
            name: name.into(),
            zone: Some(zone.into()),
            ready: true,
            cpu_millis: cpu,
            excluded: false,
        }
    }

    /// Go's constant 1/(1+0.2) is 5/6 rounded once to float64.
    #[test]
    fn inverse_overload_constant() {
        assert_eq!(INVERSE_OVERLOAD, 0.8333333333333334);
    }

    /// getAllocations float quirk (conformance README): ratios 0.7/0.2/0.1, 6
    /// endpoints: 0.2*6 = 1.2000000000000002 → minimum 2, sum 7 > 6 → refused;
    /// with 5 endpoints hints work.
    #[test]
    fn get_allocations_float_rounding_refuses_six_endpoints() {
        let mut tc = TopologyCache::new();
        tc.set_nodes(&[
            node("a", "a", 7000),
            node("b", "b", 2000),
            node("c", "c", 1000),
        ]);
        assert_eq!(
            tc.get_allocations(6),
            Err(AllocationFailure::MinAllocationExceedsOverloadThreshold)
        );
        assert!(tc.get_allocations(5).is_ok());
    }

    /// SetNodes: a Ready node without CPU makes node info insufficient; not-Ready and control-plane nodes are skipped.
    #[test]
    fn set_nodes_insufficient_and_skips() {
        let mut tc = TopologyCache::new();
        let mut nr = node("x", "", 0);
        nr.ready = false;
        let mut cp = node("cp", "", 0);
        cp.excluded = true;
        tc.set_nodes(&[node("a", "a", 1000), nr, cp, node("b", "b", 3000)]);
        let r = tc.cpu_ratios().cloned().unwrap_or_default();
        assert_eq!(r.get("a"), Some(&0.25));
        tc.set_nodes(&[node("a", "a", 1000), node("b", "b", 0)]);
        assert!(tc.cpu_ratios().is_none());
        tc.set_nodes(&[node("a", "a", 1000), node("b", "a", 1000)]);
        assert!(tc.cpu_ratios().is_none(), "one zone only");
    }

    /// getAllocations: fewer endpoints than zones → refused.
    #[test]
    fn get_allocations_needs_one_endpoint_per_zone() {
        let mut tc = TopologyCache::new();
        tc.set_nodes(&[
            node("a", "a", 1000),
            node("b", "b", 1000),
            node("c", "c", 1000),
        ]);
        assert_eq!(
            tc.get_allocations(2),
            Err(AllocationFailure::InsufficientNumberOfEndpoints)
        );
        let a = tc.get_allocations(30).unwrap_or_default();
        assert_eq!(a["a"].minimum, 9);
        assert_eq!(a["a"].maximum, 12);
    }

    fn hinted(i: u8, zone: &str, hint: &str) -> Endpoint {
        Endpoint::from(EndpointData {
            addresses: vec![format!("10.0.0.{i}")],
            ready: Some(true),
            zone: Some(zone.into()),
            hint: EndpointData::zone_hints(Some(vec![hint.into()])),
            ..Default::default()
        })
    }

    /// getHintsByZone rejects an unchanged slice whose hint names a zone without
    /// allocation (e.g. the zone of a NotReady node): it is rewritten on every sync.
    #[test]
    fn slice_hinted_for_zone_missing_from_cache_is_rewritten_every_sync() {
        let mut tc = TopologyCache::new();
        tc.set_nodes(&[node("a", "a", 1000), node("b", "b", 1000)]);
        let s = Slice {
            name: "s".into(),
            endpoints: (0..6)
                .map(|i| hinted(i, "a", "a"))
                .chain((6..12).map(|i| hinted(i, "b", "b")))
                .chain([hinted(12, "c", "c")])
                .collect(),
            ..Default::default()
        };
        for _ in 0..2 {
            let mut si = SliceInfo {
                service_key: "ns/s",
                address_type: "IPv4",
                to_create: vec![],
                to_update: vec![],
                unchanged: vec![&s],
            };
            use rand::SeedableRng;
            tc.add_hints(&mut si, &mut ChaCha8Rng::seed_from_u64(0));
            assert_eq!(si.to_update.len(), 1);
            // First pass of AddHints gives the endpoint a same-zone hint for "c" again.
            assert!(si.to_update[0]
                .endpoints
                .iter()
                .any(|e| e.hints().map(Vec::as_slice) == Some(&["c".to_string()][..])));
        }
    }

    /// Hints are not rebalanced while every zone stays within its maximum, even
    /// when they are uneven and CPU shifts (12 endpoints, 7 hinted a / 5 hinted b:
    /// maximum 7 with 50/50 and with 55/45 CPU → 0 updates).
    #[test]
    fn hints_within_bounds_are_not_rebalanced() {
        use rand::SeedableRng;
        let s1 = Slice {
            name: "s1".into(),
            endpoints: (0..7).map(|i| hinted(i, "a", "a")).collect(),
            ..Default::default()
        };
        let s2 = Slice {
            name: "s2".into(),
            endpoints: (7..12).map(|i| hinted(i, "b", "b")).collect(),
            ..Default::default()
        };
        let mut tc = TopologyCache::new();
        for (a, b) in [(1000, 1000), (1100, 900)] {
            tc.set_nodes(&[node("a", "a", a), node("b", "b", b)]);
            let mut si = SliceInfo {
                service_key: "ns/s",
                address_type: "IPv4",
                to_create: vec![],
                to_update: vec![],
                unchanged: vec![&s1, &s2],
            };
            tc.add_hints(&mut si, &mut ChaCha8Rng::seed_from_u64(0));
            assert!(si.to_update.is_empty());
            assert_eq!(si.unchanged.len(), 2);
        }
    }

    /// A zone with CPU but no endpoints still receives hints through redistribution.
    #[test]
    fn add_hints_redistributes_to_zone_without_endpoints() {
        let mut tc = TopologyCache::new();
        tc.set_nodes(&[node("a", "a", 1000), node("b", "b", 1000)]);
        let eps: Vec<Endpoint> = (0..4)
            .map(|i| {
                Endpoint::from(EndpointData {
                    addresses: vec![format!("10.0.0.{i}")],
                    ready: Some(true),
                    zone: Some("a".into()),
                    ..Default::default()
                })
            })
            .collect();
        let s = Slice {
            endpoints: eps,
            ..Default::default()
        };
        let mut si = SliceInfo {
            service_key: "ns/s",
            address_type: "IPv4",
            to_create: vec![s],
            to_update: vec![],
            unchanged: vec![],
        };
        use rand::SeedableRng;
        tc.add_hints(&mut si, &mut ChaCha8Rng::seed_from_u64(0));
        let b = si.to_create[0]
            .endpoints
            .iter()
            .filter(|e| e.hints().map(Vec::as_slice) == Some(&["b".to_string()][..]))
            .count();
        assert_eq!(b, 2);
        assert!(tc.has_populated_hints("ns/s"));
    }

    /// Ties follow Go map order, not a uniform pick. Three equal zones a, b, c (node order),
    /// 17 endpoints: 5 in a, 5 in b, 7 in c; desired 17/3 each, so c gives 1.33 and a and b
    /// tie at 0.67 to receive: one endpoint moves, to the tie's winner (getMost keeps the
    /// first maximum it meets). Each map on the way is a rotation of the previous one's order
    /// ([`GoMap`]: identity with probability 6/8, shift 1 or 2 with 1/8 each): cpuByZone →
    /// cpuRatiosByZone → allocations → receivingZonesDesired is three rotations of (a, b, c),
    /// which leave a before b with probability 0.7480; the tie then goes to the first slot with
    /// probability 7/8, so P(a wins) = 0.7480·7/8 + 0.2520/8 = 0.6860 (uniform picks: 0.5).
    #[test]
    fn tied_zones_favour_node_order_like_go_maps() {
        use rand::SeedableRng;
        let mut a_two = 0;
        let n = 2000;
        for seed in 0..n {
            let mut tc = TopologyCache::new();
            tc.set_nodes(&[
                node("a", "a", 1000),
                node("b", "b", 1000),
                node("c", "c", 1000),
            ]);
            let eps: Vec<Endpoint> = (0..17)
                .map(|i| {
                    Endpoint::from(EndpointData {
                        addresses: vec![format!("10.0.0.{i}")],
                        ready: Some(true),
                        zone: Some(["a", "b", "c"][(i / 5).min(2)].into()),
                        ..Default::default()
                    })
                })
                .collect();
            let mut si = SliceInfo {
                service_key: "ns/s",
                address_type: "IPv4",
                to_create: vec![Slice {
                    endpoints: eps,
                    ..Default::default()
                }],
                to_update: vec![],
                unchanged: vec![],
            };
            tc.add_hints(&mut si, &mut ChaCha8Rng::seed_from_u64(seed));
            let count = |z: &str| {
                si.to_create[0]
                    .endpoints
                    .iter()
                    .filter(|e| e.hints().map(Vec::as_slice) == Some(&[z.to_string()][..]))
                    .count()
            };
            assert_eq!(count("a") + count("b"), 11);
            assert_eq!(count("c"), 6);
            if count("a") == 6 {
                a_two += 1;
            }
        }
        let p = f64::from(a_two) / f64::from(n as u32);
        assert!((p - 0.6860).abs() < 0.04, "P(a wins the tie) = {p}");
    }
}
