//! The reconcile algorithm on the compact model (`model`): per address type,
//! per port mapping, the three-step packing, the placeholder slice, hints and
//! `finalize`.
//!
//! cite: kubernetes/endpointslice :: reconciler.go :: Reconcile,
//! reconcileByAddressType, reconcileByPortMapping, finalize; utils.go ::
//! getSliceToFill, unchangedSlices, newEndpointSlice (v0.32.13).
//!
//! ## Choice policy (where upstream's Go map order decides)
//!
//! Upstream's choices come from Go map iteration; slicesim emulates the
//! *layout* of those maps ([`crate::controllers::util::gomap`]: Go 1.23 bucket
//! maps, a per-map hash seed, first-free-slot insertion, holes left by deletes,
//! incremental growth, iteration from a random bucket and a random offset
//! within the 8-slot bucket), with every random draw taken from the
//! reconciler's seeded ChaCha stream:
//!
//! - `EndpointSet.PopAny` (which endpoint lands in which slice): the desired
//!   set of each port mapping is a map with its own hash seed, filled in pod
//!   order and thinned by step 1's deletes; each pop is the first key an
//!   iteration with a fresh random start meets. In a big map this is close to
//!   uniform; in small or thinned maps it favours early-inserted keys and keys
//!   after holes.
//! - `sliceNamesToUpdate` / `sliceNamesUnchanged` / `sliceNamesToDelete`
//!   (`sets.Set[string]`, filled in existing-slice order): `UnsortedList()` is
//!   one emulated iteration. For ≤ 8 slices (one bucket) that is a rotation of
//!   creation order starting at the oldest slice with probability (9−k)/8, so
//!   ties between equally full to-update slices (stable sort, as Go's
//!   insertion sort for n ≤ 12) and between equally good unchanged slices
//!   (`getSliceToFill`, first wins) mostly go to the older slice. A uniform
//!   shuffle, as before, spreads them evenly.
//! - The final update list (step-3 fills, then `range sliceNamesToUpdate`)
//!   and delete list (`range sliceNamesToDelete`) use the same emulated order,
//!   which decides `finalize`'s create/delete pairing.
//! - Topology hints: `getMost` ties and `redistributeHints`' receiving zone
//!   follow emulated Go maps too (see `topology`).
//! - Not emulated (fixed order): port groups and address types (key order;
//!   they change only the order of calls).
//!
//! Measured: over seeds 0..299 every visible trace's per-step value
//! distributions pass the distribution checks against upstream's 300 runs
//! (`tests/it/conformance_distributions.rs`; per-trace TVD table in the README).
//! Earlier seed scans (10-run samples, before the distributions existed) showed
//! the same ordering of policies: PopAny with the Go-map layout is clearly
//! closer to upstream than a uniform pick, and a Go ≥ 1.24 swiss-table layout
//! was indistinguishable from Go 1.23's on the visible traces; the Go 1.23
//! layout is kept because kube-controller-manager 1.32 is built with Go 1.23.
//! Pods are inserted in input order (the recording harness's order). None of
//! these choices changes the per-sync counts computed from a given state; they
//! decide which endpoint lands in which slice, which slice takes leftovers, and
//! the order of calls.

use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::model::{
    hints_enabled, legacy_hints_enabled, slice_labels, slice_labels_changed, Endpoint, ServiceInfo,
    Slice, ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6,
};
use super::topology::{remove_hints_from_slices, SliceInfo, TopologyCache};
use super::trafficdist;
use crate::controllers::util::gomap::GoMapLayout;
use crate::controllers::util::{
    EndpointIdentity, EndpointSet, EqualBeyondHash, PortMapKey, SlicePort,
};

/// A desired endpoint as the reconcile step receives it: an owned [`Endpoint`], or one borrowed
/// from the reconciler's per-pod cache. Borrowed ones are copied only when they land in a
/// slice that is written, so the endpoints of unchanged slices (most of a big Service)
/// cost no allocation per sync.
pub trait DesiredEndpoint: EndpointIdentity {
    fn endpoint(&self) -> &Endpoint;
    fn into_endpoint(self) -> Endpoint;
}

impl DesiredEndpoint for Endpoint {
    fn endpoint(&self) -> &Endpoint {
        self
    }
    fn into_endpoint(self) -> Endpoint {
        self
    }
}

impl DesiredEndpoint for &Endpoint {
    fn endpoint(&self) -> &Endpoint {
        self
    }
    /// A pointer copy (the value is shared; see [`Endpoint`]).
    fn into_endpoint(self) -> Endpoint {
        if super::convert::plain_copies() {
            return Endpoint::new((**self).clone());
        }
        self.clone()
    }
}

/// Desired endpoints of one port mapping.
#[derive(Debug, Clone)]
pub struct DesiredGroup<E = Endpoint> {
    /// The group's ports in the order they are written to new slices (shared with the
    /// pods' conversions: a sync copies them only into a slice it creates).
    pub ports: Rc<Vec<SlicePort>>,
    pub endpoints: EndpointSet<E>,
    /// The group's desired endpoint count when `endpoints` holds only some of them (the
    /// incremental reconcile leaves out the endpoints of clean slices); None = all.
    pub total: Option<usize>,
}

impl<E> Default for DesiredGroup<E> {
    fn default() -> Self {
        DesiredGroup {
            ports: Rc::default(),
            endpoints: EndpointSet::default(),
            total: None,
        }
    }
}

/// Desired state of one address type: port mapping → endpoints.
/// A `BTreeMap`: upstream ranges over a Go map (random group order);
/// slicesim visits groups in key order. Keys are shared with the pods' conversions.
pub type DesiredByPortMap<E = Endpoint> = BTreeMap<Rc<PortMapKey>, DesiredGroup<E>>;

/// Step 1's matches known in advance, by existing slice index (`Slice::origin`), then by
/// endpoint position: `Some(d)` = the endpoint's desired version is `d`, equal to it beyond
/// hash, and the desired set does not hold it (the incremental reconcile knows this for
/// endpoints whose pods did not change since it last verified the slice). Step 1 takes `d`
/// without the lookup: the result is the same as with `d` in the desired set.
pub type Known<E> = Vec<Option<Vec<Option<E>>>>;

/// One API call of a sync, in the order upstream issues them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedWrite {
    /// A new slice (name "", generateName from the Service).
    Create(Slice),
    /// An update. `origin` is `Some(i)` when the body is the existing input
    /// slice `i` with changes (a DeepCopy upstream), `None` when it is a fresh
    /// body recycled from a create (carries only the old name).
    Update(Slice),
    /// Delete of existing input slice (by index into the input slices).
    Delete { name: String, origin: usize },
}

/// Per-sync metric values upstream records (metrics/metrics.go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncMetrics {
    /// `endpoints_added_per_sync` summed over address types.
    pub endpoints_added: usize,
    /// `endpoints_removed_per_sync` summed over address types.
    pub endpoints_removed: usize,
    /// `changes{operation=create}` increments.
    pub creates: usize,
    /// `changes{operation=update}` increments.
    pub updates: usize,
    /// `changes{operation=delete}` increments.
    pub deletes: usize,
    /// `desired_endpoint_slices` contribution of this Service:
    /// Σ over port mappings of numDesiredSlices(endpoints, max).
    pub desired_slices: usize,
    /// `endpoints_desired` contribution of this Service.
    pub endpoints_desired: usize,
}

/// Options of the reconciler (a default 1.32 kube-controller-manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcilerOptions {
    /// `--max-endpoints-per-slice`, 1..=1000.
    pub max_endpoints_per_slice: usize,
    /// Feature gate `ServiceTrafficDistribution` (on by default in 1.32).
    pub traffic_distribution_enabled: bool,
    /// Whether the reconciler has a topology cache (gate `TopologyAwareHints`, on by default
    /// since 1.24).
    pub topology_cache_enabled: bool,
    /// 1.27+: `hintsEnabled` also reads `service.kubernetes.io/topology-mode`; before, only
    /// `service.kubernetes.io/topology-aware-hints` (k8s.io/endpointslice utils.go :: hintsEnabled).
    pub topology_mode_annotation: bool,
    /// Up to 1.32 PreferClose hints a zoneless ready endpoint with zone ""; 1.33+ clears its
    /// hints (k8s.io/endpointslice v0.33.0 trafficdist.go :: preferCloseHeuristic).
    pub prefer_close_zoneless_hint: bool,
    /// 1.33+: hints follow `trafficDistribution` only for a value the reconciler accepts
    /// (k8s.io/endpointslice v0.33 reconciler.go :: validTrafficDistribution); 1.32 runs the
    /// default heuristic for any other value.
    pub traffic_distribution_validated: bool,
    /// Feature gate `PreferSameTrafficDistribution` (alpha, off, 1.33; beta, on, 1.34):
    /// `PreferSameZone` and `PreferSameNode` (trafficdist.go :: preferCloseHeuristic).
    pub prefer_same_traffic_distribution: bool,
    /// Feature gate `EndpointSliceTerminatingCondition`, on by default since 1.22 (KEP-1672):
    /// see `ServiceInfo::terminating_condition`.
    pub terminating_condition: bool,
}

impl Default for ReconcilerOptions {
    fn default() -> Self {
        ReconcilerOptions {
            max_endpoints_per_slice: 100,
            traffic_distribution_enabled: true,
            topology_cache_enabled: true,
            topology_mode_annotation: true,
            prefer_close_zoneless_hint: true,
            traffic_distribution_validated: false,
            prefer_same_traffic_distribution: false,
            terminating_condition: true,
        }
    }
}

/// Outcome of one Reconcile.
#[derive(Debug, Clone, Default)]
pub struct ReconcilePlan {
    pub writes: Vec<PlannedWrite>,
    pub metrics: SyncMetrics,
}

/// Upstream `getAddressTypesForService`, in a fixed order (IPv4 before IPv6;
/// upstream iterates a Go set, so the order of the two types' writes is random).
///
/// `ip_families` = `spec.ipFamilies`; `cluster_ip` = `spec.clusterIP`.
pub fn address_types_for_service(ip_families: &[String], cluster_ip: &str) -> Vec<&'static str> {
    let (v4, v6) = address_type_flags(ip_families, cluster_ip);
    let mut out = Vec::new();
    if v4 {
        out.push(ADDRESS_TYPE_IPV4);
    }
    if v6 {
        out.push(ADDRESS_TYPE_IPV6);
    }
    out
}

/// Whether [`address_types_for_service`] holds IPv4 and IPv6 (compared by the incremental
/// reconcile every sync without building the vector).
pub fn address_type_flags(ip_families: &[String], cluster_ip: &str) -> (bool, bool) {
    let mut v4 = false;
    let mut v6 = false;
    for f in ip_families {
        match f.as_str() {
            "IPv4" => v4 = true,
            "IPv6" => v6 = true,
            _ => {}
        }
    }
    if !v4 && !v6 {
        if !cluster_ip.is_empty() && cluster_ip != "None" {
            if cluster_ip.contains(':') {
                v6 = true;
            } else {
                v4 = true;
            }
        } else {
            v4 = true;
            v6 = true;
        }
    }
    (v4, v6)
}

/// Upstream `numDesiredSlices` (metrics/cache.go).
fn num_desired_slices(endpoints: usize, max: usize) -> usize {
    if endpoints == 0 {
        0
    } else {
        endpoints.div_ceil(max)
    }
}

/// A new slice as `newEndpointSlice` builds it (name "", labels from the Service).
fn new_slice(svc: &ServiceInfo, address_type: &str, ports: Vec<SlicePort>) -> Slice {
    let (labels, _) = slice_labels(&BTreeMap::new(), svc);
    Slice {
        name: String::new(),
        address_type: address_type.to_string(),
        ports,
        endpoints: Vec::new(),
        labels,
        owned: true,
        origin: None,
        meta_like_new: true,
    }
}

/// Upstream `getSliceToFill`: among `candidates`, the slice that can take all
/// `num` endpoints and ends up closest to full (strict `<`, first wins ties;
/// candidates come in emulated Go map order, as upstream's `UnsortedList`).
fn slice_to_fill<'a>(candidates: &[&'a Slice], num: usize, max: usize) -> Option<&'a Slice> {
    let mut closest_diff = max as i64;
    let mut closest = None;
    for s in candidates {
        let diff = max as i64 - (num as i64 + s.endpoints.len() as i64);
        if diff >= 0 && diff < closest_diff {
            closest_diff = diff;
            closest = Some(*s);
            if diff == 0 {
                return closest;
            }
        }
    }
    closest
}

/// A `sets.Set[string]` of slice names: membership plus the emulated Go map
/// layout that decides `UnsortedList()` order (see `util::gomap`).
///
/// The layout is built at the first insert (most syncs leave one or two of a port mapping's
/// three sets empty); an empty set answers as the empty layout would, which draws nothing
/// (Go's iteration of an empty map returns before `fastrand`).
struct NameSet<'a> {
    seed: u64,
    /// Names borrowed from the existing slices (a set never holds another name).
    layout: Option<GoMapLayout<&'a str>>,
}

impl<'a> NameSet<'a> {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        NameSet {
            seed: rng.gen(),
            layout: None,
        }
    }
    fn insert(&mut self, name: &'a str) {
        let h = name_hash(name);
        let seed = self.seed;
        let layout = self.layout.get_or_insert_with(|| GoMapLayout::new(seed));
        if !layout.contains(&name, h) {
            layout.insert(name, h);
        }
    }
    fn remove(&mut self, name: &'a str) {
        if let Some(l) = self.layout.as_mut() {
            l.remove(&name, name_hash(name));
        }
    }
    fn is_empty(&self) -> bool {
        self.layout.as_ref().map_or(true, GoMapLayout::is_empty)
    }
    /// `UnsortedList()`: one map iteration from a random start.
    fn unsorted_list(&self, rng: &mut ChaCha8Rng) -> Vec<&'a str> {
        match &self.layout {
            Some(l) => l.iter_order(rng, usize::MAX),
            None => Vec::new(),
        }
    }
}

/// The specified stable hash of a slice name (see `sim::hash`).
fn name_hash(name: &str) -> u64 {
    crate::sim::hash::str_hash(name)
}

struct PortMappingPlan {
    creates: Vec<Slice>,
    updates: Vec<Slice>,
    deletes: Vec<Slice>,
    added: usize,
    removed: usize,
}

/// Upstream `reconcileByPortMapping`, steps numbered as upstream's comments.
#[allow(clippy::too_many_arguments)]
fn reconcile_by_port_mapping<'a, E: DesiredEndpoint>(
    svc: &ServiceInfo,
    address_type: &str,
    existing: &[&'a Slice],
    mut desired: EndpointSet<E>,
    ports: &[SlicePort],
    max: usize,
    clean: &[bool],
    known: &mut Known<E>,
    rng: &mut ChaCha8Rng,
) -> PortMappingPlan {
    // Slices by name. The three name sets are Go maps upstream
    // (`sets.Set[string]`, each with its own random hash seed); their
    // `UnsortedList()`/range order is emulated with `NameSet`.
    // Cow: unchanged slices stay borrowed; only slices that are written are copied. Keyed
    // (as the name sets) by the existing slices' names, borrowed: every slice the map and the
    // sets name is an existing one (new slices go to `creates`).
    let mut by_name: BTreeMap<&'a str, Cow<'a, Slice>> = BTreeMap::new();
    let mut unchanged = NameSet::new(rng);
    let mut to_update = NameSet::new(rng);
    let mut to_delete = NameSet::new(rng);
    let mut removed = 0;

    // 1. Iterate through existing slices: drop endpoints that are no longer
    //    desired, take over the desired version of the rest. A clean slice (the
    //    incremental reconcile knows its endpoints are exactly the desired ones and its
    //    labels current; `desired` does not hold them) is unchanged without the walk.
    for &s in existing {
        let name = s.name.as_str();
        if s.origin
            .and_then(|i| clean.get(i))
            .copied()
            .unwrap_or(false)
        {
            unchanged.insert(name);
            by_name.insert(name, Cow::Borrowed(s));
            continue;
        }
        let mut new_endpoints: Vec<E> = Vec::with_capacity(s.endpoints.len());
        let mut endpoint_updated = false;
        let mut pre = s
            .origin
            .and_then(|i| known.get_mut(i))
            .and_then(Option::take);
        for (j, e) in s.endpoints.iter().enumerate() {
            if let Some(d) = pre
                .as_mut()
                .and_then(|p| p.get_mut(j))
                .and_then(Option::take)
            {
                // Known match: what the lookup below finds, equal beyond hash.
                new_endpoints.push(d);
                continue;
            }
            if let Some(got) =
                desired.remove_matching(e.identity_hash(), |d| d.endpoint().same_identity(e))
            {
                if !got.endpoint().equal_beyond_hash(e) {
                    endpoint_updated = true;
                }
                new_endpoints.push(got);
            }
        }
        // The labels are built only for a slice that is written.
        let labels_changed = slice_labels_changed(&s.labels, svc);
        if endpoint_updated || s.endpoints.len() != new_endpoints.len() {
            if s.endpoints.len() > new_endpoints.len() {
                removed += s.endpoints.len() - new_endpoints.len();
            }
            if new_endpoints.is_empty() {
                to_delete.insert(name);
                by_name.insert(name, Cow::Borrowed(s));
            } else {
                let c = Slice {
                    name: s.name.clone(),
                    address_type: s.address_type.clone(),
                    ports: s.ports.clone(),
                    endpoints: new_endpoints
                        .into_iter()
                        .map(DesiredEndpoint::into_endpoint)
                        .collect(),
                    labels: slice_labels(&s.labels, svc).0,
                    owned: s.owned,
                    origin: s.origin,
                    meta_like_new: s.meta_like_new,
                };
                to_update.insert(name);
                by_name.insert(name, Cow::Owned(c));
            }
        } else if labels_changed {
            let mut c = s.clone();
            c.labels = slice_labels(&s.labels, svc).0;
            to_update.insert(name);
            by_name.insert(name, Cow::Owned(c));
        } else {
            unchanged.insert(name);
            by_name.insert(name, Cow::Borrowed(s));
        }
    }

    let added = desired.len();

    // 2. If we still have desired endpoints and slices marked for update, fill
    //    those first, fullest first. Upstream lists a Go set (`UnsortedList`,
    //    map order) and sorts with `sort.Sort`, which for n <= 12 is an
    //    insertion sort, i.e. stable: ties keep map order. Here: emulated map
    //    order, then a stable sort.
    if !desired.is_empty() && !to_update.is_empty() {
        let mut names: Vec<&str> = to_update.unsorted_list(rng);
        names.sort_by_key(|n| std::cmp::Reverse(by_name[n].endpoints.len()));
        for n in names {
            if let Some(s) = by_name.get_mut(n).map(Cow::to_mut) {
                while s.endpoints.len() < max {
                    match desired.pop_any(rng) {
                        Some(e) => s.endpoints.push(e.into_endpoint()),
                        None => break,
                    }
                }
            }
        }
    }

    // 3. Remaining endpoints go into (a) one unchanged slice that can take all
    //    of them (only when fewer than max are left), or (b) new slices.
    let mut creates = Vec::new();
    let mut filled: Vec<&str> = Vec::new();
    while !desired.is_empty() {
        let mut fill_name: Option<&str> = None;
        if desired.len() < max && !unchanged.is_empty() {
            // Upstream: sliceNamesUnchanged.UnsortedList() (map order); the
            // first of equally good candidates wins.
            let names = unchanged.unsorted_list(rng);
            let cands: Vec<&Slice> = names.iter().map(|n| &*by_name[n]).collect();
            fill_name = slice_to_fill(&cands, desired.len(), max)
                .and_then(|s| cands.iter().position(|c| std::ptr::eq(*c, s)))
                .map(|i| names[i]);
        }
        match fill_name {
            Some(n) => {
                if let Some(s) = by_name.get_mut(n).map(Cow::to_mut) {
                    while s.endpoints.len() < max {
                        match desired.pop_any(rng) {
                            Some(e) => s.endpoints.push(e.into_endpoint()),
                            None => break,
                        }
                    }
                }
                unchanged.remove(n);
                filled.push(n);
            }
            None => {
                let mut s = new_slice(svc, address_type, ports.to_vec());
                while s.endpoints.len() < max {
                    match desired.pop_any(rng) {
                        Some(e) => s.endpoints.push(e.into_endpoint()),
                        None => break,
                    }
                }
                creates.push(s);
            }
        }
    }

    // Upstream: slices filled in step 3 first, then `range sliceNamesToUpdate`,
    // then `range sliceNamesToDelete` (map order).
    let updates = filled
        .into_iter()
        .chain(to_update.unsorted_list(rng))
        .filter_map(|n| by_name.remove(n).map(Cow::into_owned))
        .collect();
    let deletes = to_delete
        .unsorted_list(rng)
        .into_iter()
        .filter_map(|n| by_name.remove(n).map(Cow::into_owned))
        .collect();
    PortMappingPlan {
        creates,
        updates,
        deletes,
        added,
        removed,
    }
}

/// `placeholderSliceCompare.DeepEqual(existing, placeholder)`: namespace,
/// labels, ownerReferences (by their String()), addressType, and empty (or
/// nil) ports and endpoints. Annotations, name, uid etc. are not compared.
///
/// cite: kubernetes/endpointslice :: reconciler.go :: placeholderSliceCompare (v0.32.13)
fn placeholder_equal(existing: &Slice, placeholder: &Slice) -> bool {
    existing.meta_like_new
        && existing.labels == placeholder.labels
        && existing.address_type == placeholder.address_type
        && existing.ports.is_empty()
        && existing.endpoints.is_empty()
}

/// Upstream `reconcileByAddressType` + `finalize` for one address type.
/// `existing` are this type's existing slices in lister order.
#[allow(clippy::too_many_arguments)]
pub fn reconcile_by_address_type<E: DesiredEndpoint>(
    svc: &ServiceInfo,
    address_type: &str,
    existing: &[&Slice],
    desired: DesiredByPortMap<E>,
    opts: &ReconcilerOptions,
    topology: Option<&mut TopologyCache>,
    clean: &[bool],
    known: &mut Known<E>,
    rng: &mut ChaCha8Rng,
    plan: &mut ReconcilePlan,
) {
    let max = opts.max_endpoints_per_slice.max(1);
    let mut creates: Vec<Slice> = Vec::new();
    let mut updates: Vec<Slice> = Vec::new();
    let mut deletes: Vec<Slice> = Vec::new();

    // 1. Owned slices grouped by port mapping; slices not owned by the Service
    //    are deleted.
    // Keyed by the sorted ports (a `PortMapKey`'s content, same order), borrowed when a
    // slice's ports are sorted already (nearly always: one port).
    let mut existing_by_port_map: BTreeMap<Cow<'_, [SlicePort]>, Vec<&Slice>> = BTreeMap::new();
    for s in existing {
        if s.owned {
            let key = if s.ports.windows(2).all(|w| w[0] <= w[1]) {
                Cow::Borrowed(&s.ports[..])
            } else {
                Cow::Owned(PortMapKey::new(&s.ports).0)
            };
            existing_by_port_map.entry(key).or_default().push(s);
        } else {
            deletes.push((*s).clone());
        }
    }

    // 3. Reconcile every desired port mapping (key order; a Go map upstream).
    // A desired mapping's existing slices are taken out: what is left after the loop are the
    // mappings no longer desired.
    for (key, group) in desired {
        let n = group.total.unwrap_or(group.endpoints.len());
        plan.metrics.endpoints_desired += n;
        plan.metrics.desired_slices += num_desired_slices(n, max);
        let ex = existing_by_port_map.remove(&key.0[..]).unwrap_or_default();
        let p = reconcile_by_port_mapping(
            svc,
            address_type,
            &ex,
            group.endpoints,
            &group.ports,
            max,
            clean,
            known,
            rng,
        );
        plan.metrics.endpoints_added += p.added;
        plan.metrics.endpoints_removed += p.removed;
        creates.extend(p.creates);
        updates.extend(p.updates);
        deletes.extend(p.deletes);
    }

    // 4. Existing port mappings that are no longer desired: delete their slices.
    for slices in existing_by_port_map.values() {
        deletes.extend(slices.iter().map(|s| (*s).clone()));
    }

    // 5. Placeholder: when every existing slice of this type goes away and
    //    nothing is created, keep (or create) one empty slice.
    if existing.len() == deletes.len() && creates.is_empty() {
        let placeholder = new_slice(svc, address_type, Vec::new());
        if deletes.len() == 1 && placeholder_equal(&deletes[0], &placeholder) {
            deletes.clear();
        } else {
            creates.push(placeholder);
        }
    }

    // 6. Hints.
    let mut changed: Vec<&str> = updates
        .iter()
        .chain(deletes.iter())
        .map(|s| s.name.as_str())
        .collect();
    changed.sort_unstable();
    let unchanged: Vec<&Slice> = existing
        .iter()
        .copied()
        .filter(|s| changed.binary_search(&s.name.as_str()).is_err())
        .collect();
    let enabled = if opts.topology_mode_annotation {
        hints_enabled(&svc.annotations)
    } else {
        legacy_hints_enabled(&svc.annotations)
    };
    // The key is read only by the topology cache: not built when there is nothing for it
    // to add or remove (no hints anywhere, the usual case).
    let service_key = match &topology {
        Some(tc) if enabled || !tc.holds_no_hints() => svc.key(),
        _ => String::new(),
    };
    let can_use_traffic_distribution = opts.traffic_distribution_enabled
        && !enabled
        && (!opts.traffic_distribution_validated
            || trafficdist::valid_traffic_distribution(
                svc.traffic_distribution.as_deref(),
                opts.prefer_same_traffic_distribution,
            ));
    let mut si = SliceInfo {
        service_key: &service_key,
        address_type,
        to_create: creates,
        to_update: updates,
        unchanged,
    };
    match topology {
        Some(tc) if enabled => {
            tc.add_hints(&mut si, rng);
        }
        other => {
            if let Some(tc) = other {
                tc.remove_hints(&service_key, address_type);
            }
            if !can_use_traffic_distribution {
                remove_hints_from_slices(&mut si);
            }
        }
    }
    if can_use_traffic_distribution {
        trafficdist::reconcile_hints(
            svc.traffic_distribution.as_deref(),
            opts.prefer_close_zoneless_hint,
            opts.prefer_same_traffic_distribution,
            &mut si,
        );
    }
    let SliceInfo {
        to_create: creates,
        to_update: updates,
        ..
    } = si;

    finalize(svc, creates, updates, deletes, plan);
}

/// Upstream `finalize`: pair deletes with the LAST pending create of the same
/// address type (if the delete is owned) and turn the pair into an update of
/// the old name; then creates → updates → deletes.
fn finalize(
    svc: &ServiceInfo,
    mut creates: Vec<Slice>,
    mut updates: Vec<Slice>,
    mut deletes: Vec<Slice>,
    plan: &mut ReconcilePlan,
) {
    let mut i = 0;
    while i < deletes.len() {
        let Some(last) = creates.last() else { break };
        if deletes[i].address_type == last.address_type && deletes[i].owned {
            if let Some(mut s) = creates.pop() {
                s.name = deletes[i].name.clone();
                updates.push(s);
            }
            deletes.remove(i);
        } else {
            i += 1;
        }
    }
    if !svc.deleting {
        for s in creates {
            plan.metrics.creates += 1;
            plan.writes.push(PlannedWrite::Create(s));
        }
    }
    for s in updates {
        plan.metrics.updates += 1;
        plan.writes.push(PlannedWrite::Update(s));
    }
    for s in deletes {
        plan.metrics.deletes += 1;
        plan.writes.push(PlannedWrite::Delete {
            name: s.name.clone(),
            origin: s.origin.unwrap_or(usize::MAX),
        });
    }
}

/// Upstream `Reconcile`: per supported address type, then delete slices of
/// unsupported address types (after all per-type writes).
pub fn reconcile<E: DesiredEndpoint>(
    svc: &ServiceInfo,
    address_types: &[&str],
    existing: &[&Slice],
    desired_by_type: BTreeMap<String, DesiredByPortMap<E>>,
    opts: &ReconcilerOptions,
    topology: Option<&mut TopologyCache>,
    rng: &mut ChaCha8Rng,
) -> ReconcilePlan {
    reconcile_with_clean(
        svc,
        address_types,
        existing,
        desired_by_type,
        opts,
        topology,
        &[],
        rng,
    )
}

/// [`reconcile`] where `clean[i]` marks existing slice `i` (by `Slice::origin`) as clean:
/// every endpoint of it is desired, equal beyond hash to its desired version and held by
/// no other slice, and its labels are current. The desired groups then leave those
/// endpoints out (their `total` counts them) and step 1 keeps the slice unchanged without
/// walking it; the result is what [`reconcile`] gives with the full desired groups.
#[allow(clippy::too_many_arguments)]
pub fn reconcile_with_clean<E: DesiredEndpoint>(
    svc: &ServiceInfo,
    address_types: &[&str],
    existing: &[&Slice],
    desired_by_type: BTreeMap<String, DesiredByPortMap<E>>,
    opts: &ReconcilerOptions,
    topology: Option<&mut TopologyCache>,
    clean: &[bool],
    rng: &mut ChaCha8Rng,
) -> ReconcilePlan {
    reconcile_with_known(
        svc,
        address_types,
        existing,
        desired_by_type,
        opts,
        topology,
        clean,
        &mut Vec::new(),
        rng,
    )
}

/// [`reconcile_with_clean`] with step 1's matches of some endpoints of dirty slices known
/// (see [`Known`]); the result is what [`reconcile_with_clean`] gives with those desired
/// endpoints in the desired groups.
#[allow(clippy::too_many_arguments)]
pub fn reconcile_with_known<K: Borrow<str> + Ord, E: DesiredEndpoint>(
    svc: &ServiceInfo,
    address_types: &[&str],
    existing: &[&Slice],
    mut desired_by_type: BTreeMap<K, DesiredByPortMap<E>>,
    opts: &ReconcilerOptions,
    mut topology: Option<&mut TopologyCache>,
    clean: &[bool],
    known: &mut Known<E>,
    rng: &mut ChaCha8Rng,
) -> ReconcilePlan {
    let mut plan = ReconcilePlan::default();
    let mut unsupported: Vec<&Slice> = Vec::new();
    for &s in existing {
        if !address_types.contains(&s.address_type.as_str()) {
            if let Some(tc) = topology.as_deref_mut() {
                tc.remove_hints(&svc.key(), &s.address_type);
            }
            unsupported.push(s);
        }
    }
    for at in address_types {
        // This type's slices in listing order: the listing itself when it holds no other
        // type (the usual single-stack Service; no copy).
        let ex: Cow<'_, [&Slice]> = if existing.iter().all(|s| s.address_type == *at) {
            Cow::Borrowed(existing)
        } else {
            Cow::Owned(
                existing
                    .iter()
                    .copied()
                    .filter(|s| s.address_type == *at)
                    .collect(),
            )
        };
        let desired = desired_by_type.remove(*at).unwrap_or_default();
        reconcile_by_address_type(
            svc,
            at,
            &ex,
            desired,
            opts,
            topology.as_deref_mut(),
            clean,
            known,
            rng,
            &mut plan,
        );
    }
    for s in unsupported {
        plan.metrics.deletes += 1;
        plan.writes.push(PlannedWrite::Delete {
            name: s.name.clone(),
            origin: s.origin.unwrap_or(usize::MAX),
        });
    }
    plan
}

#[cfg(test)]
mod tests;
