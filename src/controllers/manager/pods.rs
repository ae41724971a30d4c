//! The pod informer cache of one namespace, with the indexes that keep a sync's cost
//! proportional to its own Service rather than to the namespace.
//!
//! Upstream lists a namespace's pods and filters them by selector on every sync
//! (`podLister.Pods(ns).List(selector)`), and on every pod event matches the pod against
//! every Service of the namespace (`GetPodServiceMemberships`). Doing exactly that here made a
//! run with 10,000 Services of 15 pods scan 150,000 pods per sync. The results are the same
//! with two indexes, kept up to date on every pod and Service change:
//! - per Service, the positions of the pods its selector matches (iterated in position
//!   order, i.e. the order a full scan of the list would meet them);
//! - per selector label pair, the Services whose selector contains it (a pod can only match
//!   a Service whose selector's first pair is among its labels).
//!
//! For the controllers' incremental syncs ([`PodChanges`]), each Service also collects, once
//! per controller ([`Consumer`]), the names of its pods that changed (added, updated, deleted,
//! or moved in or out of the selection) until that controller's next sync takes them. The
//! EndpointSlice controller's set also names a pod that a removal moved to another position
//! (its reconcile depends on the lister order).
//!
//! The pods are held in a vector with a name index; removal swaps the last pod into the hole,
//! so the order is deterministic but not by name.
//!
//! Memory: a pod of the simulated world is held as the world's own compact record (labels,
//! ports and hostname shared with its template, the owner's name and uid interned per
//! namespace), about 0.5 KB, not as the JSON-shaped `k8s::Pod` (about 6 KB with its strings,
//! label map and four conditions). The `k8s::Pod` the controllers read is built from the
//! record on first read ([`pod_to_k8s_owned`], the same function the world's API view uses)
//! and kept until the pod changes or the built copies outnumber
//! `max(MIN_BUILT, 2 × the largest selection)`; then they are all dropped at the next
//! mutation (a sync's [`PodList::take_changes_for`], a pod event). A big Service's pods thus
//! stay built between its syncs, and 150,000 small Services' pods do not all stay built.
//! Pods given as `k8s::Pod` ([`PodList::insert`]: tests, benches) are held as given.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use crate::cluster::k8s_view::{pod_ready_time, pod_to_k8s_owned};
use crate::cluster::model;
use crate::cluster::small_map::SmallSet;
use crate::controllers::endpoints::desired::PodChanges;
use crate::controllers::endpointslice::convert::pod_ready_transition_time;
use crate::controllers::trigger_time::{parse_opt, Timestamp};
use crate::k8s;
use crate::k8s::intern::Interner;
use crate::sim::lookup_hash::{ByWord, WordHasher};

type Labels = BTreeMap<String, String>;

/// Services' shared rows by name (name order).
type RowsByName = BTreeMap<String, Rc<Member>>;

/// Who takes a Service's changed pods: each controller has its own set, emptied by its syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    Endpoints = 0,
    EndpointSlice = 1,
}

/// One Service's selector and the positions of the pods it selects (held in its row).
#[derive(Debug)]
struct Selection {
    /// The Service's row (name, selector, members, change sets), shared by the `member_of` rows
    /// of its pods.
    row: Rc<Member>,
}

/// A Service as its pods' `member_of` rows hold it: its name, the pods changed since each
/// [`Consumer`]'s last sync, and its work-queue ids. A pod change reaches these through its
/// own row, with no lookup of the Service by name (two hashed lookups of a name per pod
/// event, one per consumer, and two more for the work queues).
#[derive(Debug)]
pub struct Member {
    name: Box<str>,
    /// The Service's selector (a changed selector makes a new row).
    selector: Labels,
    /// Positions of the pods the selector matches: a sorted vector for the usual small
    /// selection (a tree beyond 64 pods). Kept in the row so that a pod change edits its
    /// Services' members through its own rows, with no lookup of each Service by name.
    members: RefCell<SmallSet<usize>>,
    /// Per [`Consumer`]: pods changed since its last [`PodList::take_changes_for`].
    changed: RefCell<[BTreeSet<String>; 2]>,
    /// Per [`Consumer`]: the selection itself changed (new Service or selector) since then.
    rebuild: Cell<[bool; 2]>,
    /// Per [`Consumer`]: the Service's id in that controller's work queue, once the manager
    /// asked for it (ids are never reassigned); [`NO_QUEUE_ID`] until then.
    queue_ids: Cell<[u32; 2]>,
}

/// [`Member::queue_ids`] not known yet.
pub const NO_QUEUE_ID: u32 = u32::MAX;

impl Member {
    fn new(name: &str, selector: Labels, members: SmallSet<usize>) -> Self {
        Member {
            name: name.into(),
            selector,
            members: RefCell::new(members),
            changed: Default::default(),
            rebuild: Cell::new([true; 2]),
            queue_ids: Cell::new([NO_QUEUE_ID; 2]),
        }
    }

    /// The Service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Service's id in `consumer`'s work queue, if recorded.
    pub fn queue_id(&self, consumer: Consumer) -> Option<u32> {
        Some(self.queue_ids.get()[consumer as usize]).filter(|&id| id != NO_QUEUE_ID)
    }

    /// Record the Service's id in `consumer`'s work queue.
    pub fn set_queue_id(&self, consumer: Consumer, id: u32) {
        let mut ids = self.queue_ids.get();
        ids[consumer as usize] = id;
        self.queue_ids.set(ids);
    }
}

/// Built `k8s::Pod`s kept at least up to this many (see module docs).
const MIN_BUILT: usize = 4096;

/// One pod as the list holds it (see module docs).
#[derive(Debug, Clone)]
pub enum Held {
    /// The world's record, its owning ReplicaSet's (name, uid), and the API object once built.
    Row {
        pod: Arc<model::Pod>,
        owner: Option<(Rc<str>, Rc<str>)>,
        built: OnceCell<Box<k8s::Pod>>,
    },
    /// A pod given as an API object, with its Ready transition time parsed once.
    Api(Box<k8s::Pod>, Option<Timestamp>),
}

impl Held {
    /// The world's record, for a pod held as one.
    pub fn world_pod(&self) -> Option<&model::Pod> {
        match self {
            Held::Row { pod, .. } => Some(pod),
            Held::Api(..) => None,
        }
    }

    /// The owning ReplicaSet's interned (name, uid) of a world pod.
    pub fn owner(&self) -> Option<&(Rc<str>, Rc<str>)> {
        match self {
            Held::Row { owner, .. } => owner.as_ref(),
            Held::Api(..) => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Held::Row { pod, .. } => &pod.name,
            Held::Api(p, _) => p.metadata.name.as_deref().unwrap_or(""),
        }
    }

    /// `metadata.labels` (a world pod's are always set, as [`pod_to_k8s_owned`] writes them).
    pub fn labels(&self) -> Option<&Labels> {
        match self {
            Held::Row { pod, .. } => Some(pod.labels()),
            Held::Api(p, _) => p.metadata.labels.as_ref(),
        }
    }

    fn build(pod: &model::Pod, owner: &Option<(Rc<str>, Rc<str>)>) -> k8s::Pod {
        pod_to_k8s_owned(pod, owner.as_ref().map(|(n, u)| (&**n, &**u)))
    }

    /// The API object, built on first read (`built` counts the builds kept; `at` logs the
    /// position `i` of a fresh build, so that dropping them all visits only those).
    fn api(&self, built: &Cell<usize>, at: &RefCell<Vec<usize>>, i: usize) -> &k8s::Pod {
        match self {
            Held::Row {
                pod,
                owner,
                built: cell,
            } => cell.get_or_init(|| {
                built.set(built.get() + 1);
                at.borrow_mut().push(i);
                Box::new(Held::build(pod, owner))
            }),
            Held::Api(p, _) => p,
        }
    }

    /// The Ready condition's parsed lastTransitionTime (a world pod's is read off its record,
    /// as `pod_ready_time` gives it, rather than kept beside it).
    fn ready_time(&self) -> Option<Timestamp> {
        match self {
            Held::Row { pod, .. } => pod_ready_time(pod),
            Held::Api(_, t) => *t,
        }
    }

    fn is_built(&self) -> bool {
        matches!(self, Held::Row { built, .. } if built.get().is_some())
    }

    /// The pod as an API object (built unless already built or given as one).
    pub fn into_api(self) -> k8s::Pod {
        match self {
            Held::Row { pod, owner, built } => built
                .into_inner()
                .map_or_else(|| Held::build(&pod, &owner), |b| *b),
            Held::Api(p, _) => *p,
        }
    }
}

/// Pods of one namespace (see module docs).
#[derive(Debug, Default)]
pub struct PodList {
    items: Vec<Held>,
    /// How many `items` hold a built `k8s::Pod`.
    built: Cell<usize>,
    /// Positions of the built ones (a superset: positions logged at build time and when a
    /// built pod moves; `trim` drops them without walking every pod of the namespace).
    built_at: RefCell<Vec<usize>>,
    /// Histogram of the selections' sizes (size → Services), so that `trim` finds the
    /// largest selection without walking every Service of the namespace.
    sizes: BTreeMap<usize, usize>,
    /// Owner names and uids of the held rows.
    owners: Interner,
    /// The owner of the last row inserted (see [`PodList::insert_row_reusing`]).
    last_owner: Option<(Rc<str>, Rc<str>)>,
    /// Services (by name, sorted; each its selection's shared `name`) selecting `items[i]`.
    member_of: Vec<Vec<Rc<Member>>>,
    /// Pod name → position (hashed: looked up on every pod change, never iterated).
    index: PosIndex,
    /// Service name → selection (Services with a selector, `Some`, possibly empty; hashed:
    /// looked up per pod change and sync, iterated only for a maximum).
    selections: HashMap<String, Selection, ByWord>,
    /// First selector pair (key, then value) → Services with that pair first; nested so a
    /// pod's labels are looked up without copying them.
    /// (Hashed: looked up per pod change, never iterated; each set is, in name order.) Each
    /// Service is held as its row, whose selector is matched without a lookup.
    by_first_pair: HashMap<String, HashMap<String, RowsByName, ByWord>, ByWord>,
    /// Services with an empty (but present) selector: they select every pod.
    match_all: BTreeSet<String>,
    /// Per [`Consumer`]: don't collect per-Service changed pod names (nobody takes them).
    untracked: [bool; 2],
}

/// Pod name → position in [`PodList::items`] without a copy of the names: each position is
/// held under a 64-bit hash of its pod's name, and a lookup reads the name back from the
/// item (a `String`-keyed map held a second copy of 150,000 names). Entries are (hash,
/// position) pairs, changed by position; a hash two names share (in practice never) keeps
/// the second pair in `clash`. Lookups only: nothing iterates it.
#[derive(Debug, Clone, Default)]
struct PosIndex {
    by_hash: HashMap<u64, u32, ByWord>,
    clash: Vec<(u64, u32)>,
    /// Tests: keep 2 bits of the hash, so that names collide.
    #[cfg(test)]
    collide: bool,
}

impl PosIndex {
    fn hash(&self, name: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = WordHasher::default();
        name.hash(&mut h);
        #[cfg(test)]
        if self.collide {
            return h.finish() & 3;
        }
        h.finish()
    }

    /// The position of the pod named `name` in `items`.
    fn get(&self, items: &[Held], name: &str) -> Option<usize> {
        let h = self.hash(name);
        let named = |p: u32| items.get(p as usize).is_some_and(|x| x.name() == name);
        match self.by_hash.get(&h) {
            None => None,
            Some(&p) if named(p) => Some(p as usize),
            Some(_) => self
                .clash
                .iter()
                .find(|&&(c, p)| c == h && named(p))
                .map(|&(_, p)| p as usize),
        }
    }

    /// Index `name` (not indexed yet) at position `i`.
    fn add(&mut self, name: &str, i: usize) {
        let (h, i) = (self.hash(name), pos32(i));
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.clash.push((h, i)),
        }
    }

    /// Forget `name`, indexed at position `i`.
    fn del(&mut self, name: &str, i: usize) {
        let (h, i) = (self.hash(name), pos32(i));
        if self.by_hash.get(&h) == Some(&i) {
            match self.clash.iter().position(|&(c, _)| c == h) {
                Some(k) => {
                    let (_, p) = self.clash.swap_remove(k);
                    self.by_hash.insert(h, p);
                }
                None => {
                    self.by_hash.remove(&h);
                }
            }
        } else if let Some(k) = self.clash.iter().position(|&e| e == (h, i)) {
            self.clash.swap_remove(k);
        }
    }

    /// `name`, indexed at position `from`, is now at `to`.
    fn relocate(&mut self, name: &str, from: usize, to: usize) {
        let (h, from, to) = (self.hash(name), pos32(from), pos32(to));
        match self.by_hash.get_mut(&h) {
            Some(p) if *p == from => *p = to,
            _ => {
                if let Some(e) = self.clash.iter_mut().find(|e| **e == (h, from)) {
                    e.1 = to;
                }
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_hash.len() + self.clash.len()
    }
}

fn pos32(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 pods in a namespace")
}

/// Move one Service from size `old` to size `new` in a [`PodList::sizes`] histogram.
fn resize(sizes: &mut BTreeMap<usize, usize>, old: Option<usize>, new: Option<usize>) {
    if old == new {
        return;
    }
    if let Some(o) = old {
        if let Some(c) = sizes.get_mut(&o) {
            *c -= 1;
            if *c == 0 {
                sizes.remove(&o);
            }
        }
    }
    if let Some(n) = new {
        *sizes.entry(n).or_default() += 1;
    }
}

/// Add (`insert`) or remove position `i` in the members of Service row `svc` (a row of a
/// `member_of` list: always the Service's current row), keeping `sizes`.
fn edit_members(sizes: &mut BTreeMap<usize, usize>, svc: &Member, i: usize, insert: bool) {
    let mut members = svc.members.borrow_mut();
    let before = members.len();
    if insert {
        members.insert(i);
    } else {
        members.remove(&i);
    }
    resize(sizes, Some(before), Some(members.len()));
}

/// Note pod `name` as changed, for the consumers `which` that are tracked, in the Services
/// of its row `member_of`.
fn note_change_in(member_of: &[Rc<Member>], untracked: [bool; 2], name: &str, which: [bool; 2]) {
    let want = [which[0] && !untracked[0], which[1] && !untracked[1]];
    if !want[0] && !want[1] {
        return;
    }
    for svc in member_of {
        let rebuild = svc.rebuild.get();
        let mut changed = svc.changed.borrow_mut();
        for c in 0..2 {
            if want[c] && !rebuild[c] && !changed[c].contains(name) {
                changed[c].insert(name.to_string());
            }
        }
    }
}

/// `a == b`, without comparing the maps when both are one map (world pods of one template
/// share its labels).
fn same_labels(a: Option<&Labels>, b: Option<&Labels>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => std::ptr::eq(x, y) || x == y,
        (x, y) => x == y,
    }
}

pub(crate) fn matches(selector: &Labels, labels: Option<&Labels>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

impl PodList {
    /// A list that collects changed pod names for the controllers that run (a set nobody takes
    /// would only grow).
    pub fn tracking(endpoints: bool, endpoint_slices: bool) -> Self {
        PodList {
            untracked: [!endpoints, !endpoint_slices],
            ..Default::default()
        }
    }

    fn note_change(&mut self, i: usize, name: &str) {
        note_change_in(&self.member_of[i], self.untracked, name, [true; 2]);
    }

    /// The Endpoints controller's [`PodList::take_changes_for`].
    pub fn take_changes(&mut self, service: &str) -> PodChanges {
        self.take_changes_for(service, Consumer::Endpoints)
    }

    /// The pods of `service` that changed since `consumer`'s previous call (all of them after
    /// the Service's selection was (re)built, or when changes are not tracked for it), and
    /// forget them.
    pub fn take_changes_for(&mut self, service: &str, consumer: Consumer) -> PodChanges {
        self.trim();
        let c = consumer as usize;
        match self.selections.get(service).map(|sel| &*sel.row) {
            Some(m) if !self.untracked[c] && !m.rebuild.get()[c] => {
                PodChanges::Names(std::mem::take(&mut m.changed.borrow_mut()[c]))
            }
            Some(m) => {
                let mut rebuild = m.rebuild.get();
                rebuild[c] = false;
                m.rebuild.set(rebuild);
                m.changed.borrow_mut()[c].clear();
                PodChanges::All
            }
            None => PodChanges::All,
        }
    }

    /// Give back changes a sync took but did not apply (it found the informer stale): the
    /// next [`PodList::take_changes_for`] returns them together with later ones.
    pub fn restore_changes(&mut self, service: &str, consumer: Consumer, changes: PodChanges) {
        let c = consumer as usize;
        let Some(m) = self.selections.get(service).map(|sel| &*sel.row) else {
            return;
        };
        let mut rebuild = m.rebuild.get();
        match changes {
            PodChanges::All => {
                rebuild[c] = true;
                m.rebuild.set(rebuild);
                m.changed.borrow_mut()[c].clear();
            }
            PodChanges::Names(names) if !rebuild[c] => m.changed.borrow_mut()[c].extend(names),
            PodChanges::Names(_) => {}
        }
    }

    /// The pod `name`, with its parsed Ready transition time, if it exists and `service`
    /// selects it.
    pub fn selected_pod(
        &self,
        service: &str,
        name: &str,
    ) -> Option<(&k8s::Pod, Option<Timestamp>)> {
        self.selected_pod_at(service, name).map(|(_, p, t)| (p, t))
    }

    /// [`PodList::selected_pod`] with the pod's position in the list (list order is position
    /// order).
    pub fn selected_pod_at(
        &self,
        service: &str,
        name: &str,
    ) -> Option<(usize, &k8s::Pod, Option<Timestamp>)> {
        let i = self.index.get(&self.items, name)?;
        self.selections
            .get(service)?
            .row
            .members
            .borrow()
            .contains(&i)
            .then(|| (i, self.api(i), self.items[i].ready_time()))
    }

    /// [`PodList::selected_pod`] as held: no `k8s::Pod` is built for it.
    pub fn selected_held(&self, service: &str, name: &str) -> Option<(&Held, Option<Timestamp>)> {
        let i = self.index.get(&self.items, name)?;
        self.selections
            .get(service)?
            .row
            .members
            .borrow()
            .contains(&i)
            .then(|| (&self.items[i], self.items[i].ready_time()))
    }

    /// [`PodList::selected`] as held: no `k8s::Pod` is built.
    pub fn selected_held_all(&self, service: &str) -> Vec<(&Held, Option<Timestamp>)> {
        let Some(sel) = self.selections.get(service) else {
            return Vec::new();
        };
        let members = sel.row.members.borrow();
        members
            .iter()
            .map(|&i| (&self.items[i], self.items[i].ready_time()))
            .collect()
    }

    /// [`PodList::selected_held`] with the pod's position (the EndpointSlice controller's
    /// in-place reads; its reconcile keys pods by list position).
    pub fn selected_held_at(
        &self,
        service: &str,
        name: &str,
    ) -> Option<(usize, &Held, Option<Timestamp>)> {
        let i = self.index.get(&self.items, name)?;
        self.selections
            .get(service)?
            .row
            .members
            .borrow()
            .contains(&i)
            .then(|| (i, &self.items[i], self.items[i].ready_time()))
    }

    /// [`PodList::selected_held_all`] with each pod's position.
    pub fn selected_held_all_at(&self, service: &str) -> Vec<(usize, &Held, Option<Timestamp>)> {
        let Some(sel) = self.selections.get(service) else {
            return Vec::new();
        };
        let members = sel.row.members.borrow();
        members
            .iter()
            .map(|&i| (i, &self.items[i], self.items[i].ready_time()))
            .collect()
    }

    /// Services (names, sorted) whose selector matches `labels` (an empty selector matches).
    pub fn selecting(&self, labels: Option<&Labels>) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = self.match_all.iter().map(String::as_str).collect();
        for (k, v) in labels.into_iter().flatten() {
            // (k, v) pairs are unique per pod, so each candidate set is looked up once.
            if let Some(set) = self.by_first_pair.get(k).and_then(|m| m.get(v)) {
                for (name, row) in set {
                    if matches(&row.selector, labels) {
                        out.insert(name);
                    }
                }
            }
        }
        out
    }

    /// [`PodList::selecting`] without the Services of an empty selector, sorted.
    pub fn selecting_nonempty(&self, labels: Option<&Labels>) -> Vec<&str> {
        self.selecting_nonempty_rows(labels)
            .into_iter()
            .map(|m| m.name())
            .collect()
    }

    /// [`PodList::selecting_nonempty`] as the Services' shared rows (in name order), each
    /// Service looked up once.
    fn selecting_nonempty_rows(&self, labels: Option<&Labels>) -> Vec<&Rc<Member>> {
        let mut out: Vec<&Rc<Member>> = Vec::new();
        for (k, v) in labels.into_iter().flatten() {
            // (k, v) pairs are unique per pod, and a Service is filed under its first pair
            // only: each is met at most once.
            if let Some(set) = self.by_first_pair.get(k).and_then(|m| m.get(v)) {
                for row in set.values() {
                    if matches(&row.selector, labels) {
                        out.push(row);
                    }
                }
            }
        }
        // Names are unique: unstable is stable here.
        out.sort_unstable_by(|a, b| a.name().cmp(b.name()));
        out
    }

    /// The shared names of [`PodList::selecting`]'s Services, sorted. The Services of an
    /// empty selector (`match_all`) and of a non-empty one (each filed under its first pair
    /// only) are apart, so the two sorted lists merged hold no duplicate: no set is built.
    /// [`PodList::selecting_nonempty`] of the held pod `name`'s labels, read off the pod's
    /// own memberships (kept in step with its labels and the selectors) rather than asked of
    /// the selector index again.
    pub fn member_services(&self, name: &str) -> Vec<&str> {
        let Some(i) = self.index.get(&self.items, name) else {
            return Vec::new();
        };
        let out: Vec<&str> = self.member_rows_at(i).map(|m| m.name()).collect();
        #[cfg(test)]
        assert_eq!(out, self.selecting_nonempty(self.items[i].labels()));
        out
    }

    /// [`PodList::member_services`] of the pod at position `i`, as the shared rows (their
    /// names in the same order).
    pub fn member_rows_at(&self, i: usize) -> impl Iterator<Item = &Rc<Member>> + '_ {
        let all = &self.match_all;
        self.member_of[i]
            .iter()
            .filter(move |m| all.is_empty() || !all.contains(m.name()))
    }

    /// The position of the pod `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(&self.items, name)
    }

    fn memberships(&self, labels: Option<&Labels>) -> Vec<Rc<Member>> {
        let mut rows = self.selecting_nonempty_rows(labels);
        if !self.match_all.is_empty() {
            rows.extend(self.match_all.iter().map(|n| &self.selections[n].row));
            rows.sort_unstable_by(|a, b| a.name().cmp(b.name()));
        }
        #[cfg(test)]
        assert!(rows.iter().map(|m| m.name()).eq(self.selecting(labels)));
        rows.into_iter().cloned().collect()
    }

    /// Hold `pod` (an API object, kept as given) under `name`; the previous pod of that name
    /// is returned.
    pub fn insert(&mut self, name: String, pod: k8s::Pod) -> Option<k8s::Pod> {
        let ready = parse_opt(pod_ready_transition_time(&pod));
        self.put(name, Held::Api(Box::new(pod), ready))
            .map(Held::into_api)
    }

    /// Hold a world pod as its compact record, `owner` = its ReplicaSet's (name, uid) (see
    /// module docs); reads give [`crate::cluster::k8s_view::pod_to_k8s`]'s object.
    pub fn insert_row(&mut self, pod: &model::Pod, owner: Option<(&str, &str)>) {
        self.insert_row_reusing(Arc::new(pod.clone()), owner, None);
    }

    /// [`PodList::insert_row`] of the world's own allocation of the pod (no copy: the world
    /// copies it on its next write, see `World::pod_shared`), whose previous version held
    /// `prev` as its owner: when the owner is unchanged (a pod update), its interned strings
    /// are taken over without a lookup in the interner.
    /// Returns the row's position.
    pub fn insert_row_reusing(
        &mut self,
        pod: Arc<model::Pod>,
        owner: Option<(&str, &str)>,
        prev: Option<(Rc<str>, Rc<str>)>,
    ) -> usize {
        // A ReplicaSet's pods come in runs (t = 0, a scale-up): the last owner interned is
        // the next one's too, without a search of the interner.
        let prev = prev.or_else(|| self.last_owner.clone());
        let owner = owner.map(|(n, u)| match prev {
            Some((pn, pu)) if *pn == *n && *pu == *u => (pn, pu),
            _ => (self.owners.intern(n), self.owners.intern(u)),
        });
        if let Some(o) = &owner {
            if self
                .last_owner
                .as_ref()
                .map_or(true, |l| !Rc::ptr_eq(&l.0, &o.0) || !Rc::ptr_eq(&l.1, &o.1))
            {
                self.last_owner = Some(o.clone());
            }
        }
        let name = pod.name.clone();
        let held = Held::Row {
            pod,
            owner,
            built: OnceCell::new(),
        };
        self.put_at(name, held).1
    }

    /// A new version of world pod `pod`, owned by `owner`: the same as
    /// [`PodList::remove_held`] of its name then [`PodList::insert_row_reusing`] (it moves to
    /// the end of the list, the last pod into its place), the previous version returned.
    /// When its labels and owner did not change, its Services are the ones it had: they are
    /// kept rather than looked up again, and the name index is updated in place.
    /// Returns the previous version and the new one's position.
    pub fn update_row(
        &mut self,
        pod: Arc<model::Pod>,
        owner: Option<(&str, &str)>,
    ) -> (Option<Held>, usize) {
        let at = self.index.get(&self.items, &pod.name);
        let same = at.is_some_and(|i| {
            let held = &self.items[i];
            let same_owner = match (held.owner(), owner) {
                (Some((pn, pu)), Some((n, u))) => **pn == *n && **pu == *u,
                _ => false,
            };
            same_owner && same_labels(held.labels(), Some(pod.labels()))
        });
        if !same {
            let old = self.remove_held(&pod.name);
            let prev = old.as_ref().and_then(|o| o.owner()).cloned();
            let i = self.insert_row_reusing(pod, owner, prev);
            return (old, i);
        }
        let i = at.expect("indexed");
        // remove_held, its name kept in the index (moved below)
        self.trim();
        let name = pod.name.as_str();
        self.note_change(i, name);
        let (old, members) = self.take_at(i);
        // insert_row_reusing (the None branch of `put`)
        self.trim();
        let (from, i) = (i, self.items.len());
        for s in &members {
            edit_members(&mut self.sizes, s, i, true);
        }
        self.index.relocate(name, from, i);
        let owner = old.owner().cloned();
        let name = pod.name.clone();
        self.items.push(Held::Row {
            pod,
            owner,
            built: OnceCell::new(),
        });
        self.member_of.push(members);
        self.note_change(i, &name);
        (Some(old), i)
    }

    fn put(&mut self, name: String, held: Held) -> Option<Held> {
        self.put_at(name, held).0
    }

    /// [`PodList::put`], with the pod's position.
    fn put_at(&mut self, name: String, held: Held) -> (Option<Held>, usize) {
        self.trim();
        match self.index.get(&self.items, &name) {
            Some(i) => {
                self.note_change(i, &name);
                if !same_labels(self.items[i].labels(), held.labels()) {
                    let new = self.memberships(held.labels());
                    let old = std::mem::take(&mut self.member_of[i]);
                    for s in &old {
                        edit_members(&mut self.sizes, s, i, false);
                    }
                    for s in &new {
                        edit_members(&mut self.sizes, s, i, true);
                    }
                    self.member_of[i] = new;
                    self.note_change(i, &name);
                }
                let old = std::mem::replace(&mut self.items[i], held);
                if old.is_built() {
                    self.built.set(self.built.get().saturating_sub(1));
                }
                (Some(old), i)
            }
            None => {
                let i = self.items.len();
                let new = self.memberships(held.labels());
                for s in &new {
                    edit_members(&mut self.sizes, s, i, true);
                }
                self.index.add(&name, i);
                self.items.push(held);
                self.member_of.push(new);
                self.note_change(i, &name);
                (None, i)
            }
        }
    }

    /// Drop the list part by part into `census` (memory measurements, `sim::alloc_stats`).
    pub fn census(mut self, census: &mut crate::sim::alloc_stats::Census) {
        use std::mem::take;
        let built: Vec<_> = self
            .items
            .iter_mut()
            .filter_map(|h| match h {
                Held::Row { built, .. } => built.take(),
                Held::Api(..) => None,
            })
            .collect();
        census.drop_part("  pod list: built k8s::Pods", built);
        census.drop_part("  pod list: name index", take(&mut self.index));
        census.drop_part("  pod list: member_of", take(&mut self.member_of));
        census.drop_part(
            "  pod list: selections + selector index",
            (
                take(&mut self.selections),
                take(&mut self.by_first_pair),
                take(&mut self.match_all),
            ),
        );
        census.drop_part("  pod list: rows (pods shared with the world)", self);
    }

    /// Drop the built `k8s::Pod`s when they outnumber the bound of the module docs.
    fn trim(&mut self) {
        let log = self.built_at.get_mut();
        if log.len() > 2 * MIN_BUILT.max(self.built.get()) {
            // Replaced pods leave stale positions behind: keep the log proportional to the
            // builds kept (every built pod's position stays in it).
            let items = &self.items;
            log.retain(|&i| items.get(i).is_some_and(Held::is_built));
            log.sort_unstable();
            log.dedup();
        }
        if self.built.get() <= MIN_BUILT {
            return;
        }
        let largest = self.sizes.keys().next_back().copied();
        if self.built.get() <= MIN_BUILT.max(2 * largest.unwrap_or(0)) {
            return;
        }
        for i in self.built_at.get_mut().drain(..) {
            if let Some(Held::Row { built, .. }) = self.items.get_mut(i) {
                built.take();
            }
        }
        self.built.set(0);
    }

    /// The API object of `items[i]` (built on first read, see [`Held::api`]).
    fn api(&self, i: usize) -> &k8s::Pod {
        self.items[i].api(&self.built, &self.built_at, i)
    }

    /// Built `k8s::Pod`s kept, as counted and as found by a walk of every pod (they are
    /// equal; the walk is the straightforward form of the count, for tests).
    pub fn built_counts(&self) -> (usize, usize) {
        let walked = self.items.iter().filter(|h| h.is_built()).count();
        (self.built.get(), walked)
    }

    /// The largest selection's size, as kept and as found by a walk of every Service (equal;
    /// for tests).
    pub fn largest_selection(&self) -> (usize, usize) {
        let kept = self.sizes.keys().next_back().copied().unwrap_or(0);
        let walked = self
            .selections
            .values()
            .map(|s| s.row.members.borrow().len())
            .max();
        (kept, walked.unwrap_or(0))
    }

    /// Built `k8s::Pod`s currently kept (tests).
    #[cfg(test)]
    fn built_count(&self) -> usize {
        self.built_counts().1
    }

    /// Forget the pod `name`, returning it as an API object.
    pub fn remove(&mut self, name: &str) -> Option<k8s::Pod> {
        self.remove_held(name).map(Held::into_api)
    }

    /// Forget the pod `name`, returning it as held (no `k8s::Pod` built for it).
    pub fn remove_held(&mut self, name: &str) -> Option<Held> {
        self.trim();
        let i = self.index.get(&self.items, name)?;
        self.note_change(i, name);
        self.index.del(name, i);
        Some(self.take_at(i).0)
    }

    /// [`PodList::remove_held`], with the rows of the Services [`PodList::member_rows_at`]
    /// gave for the pod (its Services of a non-empty selector, in name order).
    pub fn remove_held_rows(&mut self, name: &str) -> Option<(Held, Vec<Rc<Member>>)> {
        self.trim();
        let i = self.index.get(&self.items, name)?;
        self.note_change(i, name);
        self.index.del(name, i);
        let (held, mut rows) = self.take_at(i);
        let all = &self.match_all;
        if !all.is_empty() {
            rows.retain(|m| !all.contains(m.name()));
        }
        Some((held, rows))
    }

    /// Take the pod at `i` out of the list and its Services, the last pod moving into its
    /// place (re-indexed, and noted as changed: its place in its Services' list order
    /// changed). The pod's own name-index entry is the caller's to drop or move.
    fn take_at(&mut self, i: usize) -> (Held, Vec<Rc<Member>>) {
        let last = self.items.len() - 1;
        for s in &self.member_of[i] {
            edit_members(&mut self.sizes, s, i, false);
        }
        if i != last {
            for s in &self.member_of[last] {
                edit_members(&mut self.sizes, s, last, false);
                edit_members(&mut self.sizes, s, i, true);
            }
        }
        let pod = self.items.swap_remove(i);
        if pod.is_built() {
            self.built.set(self.built.get().saturating_sub(1));
        }
        let members = self.member_of.swap_remove(i);
        if let Some(moved) = self.items.get(i) {
            if moved.is_built() {
                self.built_at.get_mut().push(i);
            }
            // The moved pod's name is read in place (no copy): the fields are borrowed apart.
            let n = moved.name();
            self.index.relocate(n, last, i);
            note_change_in(&self.member_of[i], self.untracked, n, [false, true]);
        }
        (pod, members)
    }

    /// The pod at position `i` as held (tests).
    #[cfg(test)]
    pub fn held_at(&self, i: usize) -> Option<&Held> {
        self.items.get(i)
    }

    /// The pod `name` as held (no `k8s::Pod` built for it).
    pub fn held(&self, name: &str) -> Option<&Held> {
        self.index.get(&self.items, name).map(|i| &self.items[i])
    }

    pub fn get(&self, name: &str) -> Option<&k8s::Pod> {
        self.index.get(&self.items, name).map(|i| self.api(i))
    }

    /// Every pod, in list order.
    pub fn values(&self) -> impl Iterator<Item = &k8s::Pod> + '_ {
        (0..self.items.len()).map(|i| self.api(i))
    }

    /// Every pod, in list order, copied (the list holds compact records, not a slice of
    /// `k8s::Pod`: see module docs).
    pub fn as_slice(&self) -> Vec<k8s::Pod> {
        self.values().cloned().collect()
    }

    /// How many pods are held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Index a Service's selector (`None` = selects nothing), replacing any earlier one.
    pub fn set_service(&mut self, service: &str, selector: Option<&Labels>) {
        if let Some(old) = self.selections.get(service) {
            if Some(&old.row.selector) == selector {
                return;
            }
        }
        self.remove_service(service);
        let Some(selector) = selector else {
            return;
        };
        let mut members: SmallSet<usize> = SmallSet::default();
        for (i, p) in self.items.iter().enumerate() {
            if matches(selector, p.labels()) {
                members.insert(i);
            }
        }
        let size = members.len();
        let shared = Rc::new(Member::new(service, selector.clone(), members));
        for &i in shared.members.borrow().iter() {
            let m = &mut self.member_of[i];
            let at = m.partition_point(|s| s.name() < service);
            m.insert(at, shared.clone());
        }
        match selector.iter().next() {
            Some((k, v)) => {
                self.by_first_pair
                    .entry(k.clone())
                    .or_default()
                    .entry(v.clone())
                    .or_default()
                    .insert(service.to_string(), shared.clone());
            }
            None => {
                self.match_all.insert(service.to_string());
            }
        }
        resize(&mut self.sizes, None, Some(size));
        self.selections
            .insert(service.to_string(), Selection { row: shared });
    }

    /// Drop a Service from the indexes.
    pub fn remove_service(&mut self, service: &str) {
        let Some(old) = self.selections.remove(service) else {
            return;
        };
        let old = old.row;
        resize(&mut self.sizes, Some(old.members.borrow().len()), None);
        for &i in old.members.borrow().iter() {
            self.member_of[i].retain(|s| s.name() != service);
        }
        match old.selector.iter().next() {
            Some((k, v)) => {
                if let Some(by_value) = self.by_first_pair.get_mut(k) {
                    if let Some(set) = by_value.get_mut(v) {
                        set.remove(service);
                        if set.is_empty() {
                            by_value.remove(v);
                        }
                    }
                    if by_value.is_empty() {
                        self.by_first_pair.remove(k);
                    }
                }
            }
            None => {
                self.match_all.remove(service);
            }
        }
    }

    /// The pods `service`'s selector matches, in list order, with their parsed Ready
    /// transition times (empty for an unindexed Service).
    pub fn selected(&self, service: &str) -> Vec<(&k8s::Pod, Option<Timestamp>)> {
        self.selected_at(service)
            .into_iter()
            .map(|(_, p, t)| (p, t))
            .collect()
    }

    /// [`PodList::selected`] with each pod's position in the list.
    pub fn selected_at(&self, service: &str) -> Vec<(usize, &k8s::Pod, Option<Timestamp>)> {
        let Some(sel) = self.selections.get(service) else {
            return Vec::new();
        };
        let members = sel.row.members.borrow();
        members
            .iter()
            .map(|&i| (i, self.api(i), self.items[i].ready_time()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, app: &str, tier: &str) -> k8s::Pod {
        let mut p = k8s::Pod::default();
        p.metadata.name = Some(name.to_string());
        p.metadata.labels = Some(
            [("app", app), ("tier", tier)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        p
    }

    fn sel(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What the index replaces: a scan of the list with the selector, in list order.
    fn scanned<'a>(l: &'a PodList, selector: &Labels) -> Vec<&'a str> {
        l.values()
            .filter(|p| matches(selector, p.metadata.labels.as_ref()))
            .map(|p| p.metadata.name.as_deref().unwrap_or(""))
            .collect()
    }

    fn indexed<'a>(l: &'a PodList, service: &str) -> Vec<&'a str> {
        l.selected(service)
            .into_iter()
            .map(|(p, _)| p.metadata.name.as_deref().unwrap_or(""))
            .collect()
    }

    /// The Endpoints controller's test pod (`endpoints::view::tests::row`: Pending, no IPs,
    /// ports or readiness) with this list's labels, in namespace `default`.
    fn row(i: usize, app: &str) -> model::Pod {
        let mut p = crate::controllers::endpoints::view::tests::row(
            i,
            0,
            Vec::new(),
            None,
            false,
            0,
            Vec::new(),
            false,
        );
        p.namespace = "default".into();
        std::sync::Arc::make_mut(&mut p.template).labels =
            [("app".to_string(), app.to_string())].into_iter().collect();
        p.resource_version = i as u64;
        p.termination_grace_ns = 0;
        p
    }

    /// What a pod list shows: every pod in list order, each Service's selection (names and
    /// Ready times) and the changed pods each consumer would take.
    fn observe(l: &mut PodList, services: &[&str], names: usize) -> Vec<String> {
        // Every membership row is its Service's current row (edits go through the rows).
        for rows in &l.member_of {
            for m in rows {
                assert!(Rc::ptr_eq(m, &l.selections[m.name()].row));
            }
        }
        let mut out: Vec<String> = l.values().map(|p| format!("{:?}", p.metadata)).collect();
        for s in services {
            out.push(format!(
                "{s}: {:?}",
                l.selected(s)
                    .iter()
                    .map(|(p, t)| (&p.metadata.name, t))
                    .collect::<Vec<_>>()
            ));
        }
        for n in 0..names {
            let n = format!("p{n}");
            out.push(format!(
                "{n}: {:?} in {:?}",
                l.held(&n).map(|h| h.name().to_string()),
                l.member_services(&n)
            ));
        }
        for s in services {
            for c in [Consumer::Endpoints, Consumer::EndpointSlice] {
                out.push(format!("{s} {c:?}: {:?}", l.take_changes_for(s, c)));
            }
        }
        out
    }

    proptest::proptest! {
        /// `update_row` is `remove_held` then `insert_row_reusing`: same list order, selections,
        /// changed pods and previous version, through inserts, state updates, label and owner
        /// changes and removals; and the hashed name index answers like a map of names, also
        /// when every name collides.
        #[test]
        fn update_row_is_remove_then_insert(
            ops in proptest::collection::vec((0u8..4, 0usize..8, 0usize..3), 1..80),
            collide in proptest::prelude::any::<bool>(),
        ) {
            let services = ["a", "b", "all"];
            let mut fast = PodList::tracking(true, true);
            fast.index.collide = collide;
            let mut plain = PodList::tracking(true, true);
            for l in [&mut fast, &mut plain] {
                l.set_service("a", Some(&sel(&[("app", "a")])));
                l.set_service("b", Some(&sel(&[("app", "b")])));
                l.set_service("all", Some(&Labels::new()));
            }
            let apps = ["a", "b", "c"];
            let mut version = 0u64;
            for (op, n, app) in ops {
                version += 1;
                let mut p = row(n, apps[app]);
                p.resource_version = version;
                let owner = if app == 2 { ("rs2", "u2") } else { ("rs", "u") };
                let pod = Arc::new(p);
                match op {
                    0 | 1 => {
                        let (a, ia) = fast.update_row(Arc::clone(&pod), Some(owner));
                        let b = plain.remove_held(&pod.name);
                        let prev = b.as_ref().and_then(|o| o.owner()).cloned();
                        let ib = plain.insert_row_reusing(Arc::clone(&pod), Some(owner), prev);
                        proptest::prop_assert_eq!(ia, ib);
                        proptest::prop_assert_eq!(fast.position(&pod.name), Some(ia));
                        proptest::prop_assert_eq!(
                            a.map(|h| h.into_api()),
                            b.map(|h| h.into_api())
                        );
                    }
                    2 => {
                        if fast.held(&pod.name).is_none() {
                            fast.insert_row_reusing(Arc::clone(&pod), Some(owner), None);
                            plain.insert_row_reusing(Arc::clone(&pod), Some(owner), None);
                        }
                    }
                    _ => {
                        let members: Vec<String> = fast
                            .member_services(&pod.name)
                            .into_iter()
                            .map(String::from)
                            .collect();
                        let a = fast.remove_held_rows(&pod.name).map(|(h, rows)| {
                            let names: Vec<String> =
                                rows.iter().map(|m| m.name().to_string()).collect();
                            (h.into_api(), names)
                        });
                        let b = plain.remove_held(&pod.name).map(|h| h.into_api());
                        proptest::prop_assert_eq!(
                            a.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
                            if b.is_some() { members } else { Vec::new() }
                        );
                        proptest::prop_assert_eq!(a.map(|(h, _)| h), b);
                    }
                }
                proptest::prop_assert_eq!(fast.index.len(), fast.len());
                proptest::prop_assert_eq!(
                    observe(&mut fast, &services, 8),
                    observe(&mut plain, &services, 8)
                );
            }
        }
    }

    /// Built pods are kept across syncs up to the bound, then dropped by the next mutation;
    /// a big Service's pods stay built; reads after a drop give the same objects.
    #[test]
    fn built_pods_are_bounded_and_rebuilt_identically() {
        let mut l = PodList::tracking(false, true);
        let n = MIN_BUILT + 100;
        for i in 0..n {
            l.insert_row(
                &row(i, if i < 10 { "small" } else { "big" }),
                Some(("rs", "u")),
            );
        }
        l.set_service("small", Some(&sel(&[("app", "small")])));
        let small: Vec<k8s::Pod> = l
            .selected("small")
            .into_iter()
            .map(|(p, _)| p.clone())
            .collect();
        assert_eq!((small.len(), l.built_count()), (10, 10));
        l.take_changes_for("small", Consumer::EndpointSlice);
        assert_eq!(l.built_count(), 10, "under the bound: kept");
        let first: Vec<k8s::Pod> = l.values().cloned().collect();
        assert_eq!(l.built_count(), n);
        l.take_changes_for("small", Consumer::EndpointSlice);
        assert_eq!(l.built_count(), 0, "over the bound: dropped");
        assert_eq!(l.values().cloned().collect::<Vec<_>>(), first);
        // With a Service selecting nearly all of them, they stay.
        l.set_service("big", Some(&sel(&[("app", "big")])));
        l.take_changes_for("big", Consumer::EndpointSlice);
        assert_eq!(l.built_count(), n);
        assert_eq!(
            first[3]
                .metadata
                .owner_references
                .as_ref()
                .map(|o| o[0].name.as_str()),
            Some("rs")
        );
    }

    /// After inserts, swap-removals, label changes and selector changes, every Service's
    /// indexed pods are exactly the scan's, in the scan's order; `selecting` agrees too.
    #[test]
    fn index_matches_a_scan_through_every_change() {
        let mut l = PodList::default();
        let web = sel(&[("app", "web")]);
        let web_fe = sel(&[("app", "web"), ("tier", "fe")]);
        let all = Labels::new();
        l.set_service("web", Some(&web));
        for (i, (app, tier)) in [("web", "fe"), ("db", "be"), ("web", "be"), ("web", "fe")]
            .into_iter()
            .enumerate()
        {
            l.insert(format!("p{i}"), pod(&format!("p{i}"), app, tier));
        }
        l.set_service("webfe", Some(&web_fe));
        l.set_service("all", Some(&all));
        l.set_service("none", None);
        let check = |l: &PodList| {
            assert_eq!(indexed(l, "web"), scanned(l, &web));
            assert_eq!(indexed(l, "webfe"), scanned(l, &web_fe));
            assert_eq!(indexed(l, "all"), scanned(l, &all));
            assert!(indexed(l, "none").is_empty());
        };
        check(&l);
        assert_eq!(indexed(&l, "webfe"), ["p0", "p3"]);
        l.remove("p0"); // p3 moves into the hole
        check(&l);
        assert_eq!(indexed(&l, "web"), ["p3", "p2"]);
        l.insert("p1".into(), pod("p1", "web", "fe")); // label change in place
        check(&l);
        assert_eq!(indexed(&l, "webfe"), ["p3", "p1"]);
        l.set_service("web", Some(&sel(&[("tier", "be")]))); // selector change
        assert_eq!(indexed(&l, "web"), ["p2"]);
        let labels = l.get("p1").and_then(|p| p.metadata.labels.clone());
        assert_eq!(
            l.selecting(labels.as_ref()).into_iter().collect::<Vec<_>>(),
            ["all", "webfe"]
        );
        l.remove_service("webfe");
        assert!(indexed(&l, "webfe").is_empty());
        assert_eq!(
            l.selecting(labels.as_ref()).into_iter().collect::<Vec<_>>(),
            ["all"]
        );
        l.remove("p3");
        l.remove("p2");
        assert_eq!(indexed(&l, "all"), ["p1"]);
        assert!(indexed(&l, "web").is_empty());
    }
}
