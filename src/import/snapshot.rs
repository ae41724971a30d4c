//! A cluster snapshot assembled from kubectl output: every object of the kinds the import uses,
//! reduced to the fields it reads (so a big cluster's pods stay small in memory), each field
//! checked where it is read so that bad input gets a located error.
//!
//! Pods are kept as compact records ([`PodRec`], their shared parts interned: a big cluster's
//! pods are most of its snapshot); Services, Nodes, Endpoints and EndpointSlices as `crate::k8s`
//! objects (the controllers' own input types); the workload controllers' objects (Deployment, ReplicaSet,
//! StatefulSet, DaemonSet, Job), which slicesim does not model as API objects, as [`OwnerRec`].
//! EndpointSlices and Endpoints are measured (exact JSON and protobuf sizes through
//! `crate::wire`) as they are read, from the full object.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::podrec::{PodInterner, PodRec};
use super::read::Item;
use crate::controllers::endpointslice::convert::quantity_milli_value;
use crate::k8s;
use crate::wire::{self, WireSizes};

/// `topology.kubernetes.io/zone`.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// `kubernetes.io/service-name` (EndpointSlice → Service).
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// `endpointslice.kubernetes.io/managed-by`.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";

/// A bad field in an input object: file, object index, kind/namespace/name, field path, value,
/// what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub String);

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an object came from, for messages.
#[derive(Debug, Clone)]
pub struct Cx {
    pub file: String,
    pub index: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Cx {
    fn who(&self) -> String {
        let name = if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        };
        format!(
            "{}: object {} ({} {})",
            self.file,
            self.index,
            self.kind,
            if name.is_empty() { "<no name>" } else { &name }
        )
    }

    /// `file: object N (Kind ns/name): path: value: expected allowed`.
    pub fn bad(&self, path: &str, value: &Value, allowed: &str) -> FieldError {
        let mut shown = value.to_string();
        if shown.len() > 80 {
            let cut = (0..=77)
                .rev()
                .find(|&i| shown.is_char_boundary(i))
                .unwrap_or(0);
            shown.truncate(cut);
            shown.push_str("...");
        }
        FieldError(format!(
            "{}: field {path}: {shown}: expected {allowed}",
            self.who()
        ))
    }
}

/// Field readers: `null` and absent are the same (Go's zero value).
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn obj<'a>(cx: &Cx, v: &'a Value, path: &str) -> Result<Option<&'a Value>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) => Ok(Some(v)),
        o => Err(cx.bad(path, o, "an object")),
    }
}

fn sub<'a>(cx: &Cx, v: &'a Value, path: &str, key: &str) -> Result<Option<&'a Value>, FieldError> {
    match field(v, key) {
        None => Ok(None),
        Some(x) => obj(cx, x, &join(path, key)),
    }
}

fn string(cx: &Cx, v: &Value, path: &str, key: &str) -> Result<Option<String>, FieldError> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(o) => Err(cx.bad(&join(path, key), o, "a string")),
    }
}

fn boolean(cx: &Cx, v: &Value, path: &str, key: &str) -> Result<Option<bool>, FieldError> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(o) => Err(cx.bad(&join(path, key), o, "true or false")),
    }
}

fn int(
    cx: &Cx,
    v: &Value,
    path: &str,
    key: &str,
    lo: i64,
    hi: i64,
) -> Result<Option<i64>, FieldError> {
    match field(v, key) {
        None => Ok(None),
        Some(x) => match x.as_i64() {
            Some(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
            _ => Err(cx.bad(&join(path, key), x, &format!("an integer in {lo}..={hi}"))),
        },
    }
}

fn array<'a>(cx: &Cx, v: &'a Value, path: &str, key: &str) -> Result<&'a [Value], FieldError> {
    match field(v, key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(o) => Err(cx.bad(&join(path, key), o, "a list")),
    }
}

fn string_map(
    cx: &Cx,
    v: &Value,
    path: &str,
    key: &str,
) -> Result<Option<BTreeMap<String, String>>, FieldError> {
    let p = join(path, key);
    match field(v, key) {
        None => Ok(None),
        Some(Value::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, x) in m {
                match x {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    o => return Err(cx.bad(&format!("{p}[{k:?}]"), o, "a string")),
                }
            }
            Ok(Some(out))
        }
        Some(o) => Err(cx.bad(&p, o, "a map of strings")),
    }
}

/// An enumerated string field: `value` must be one of `allowed` (`shown`: the error's wording).
fn one_of(
    cx: &Cx,
    path: &str,
    value: &str,
    allowed: &[&str],
    shown: &str,
) -> Result<(), FieldError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(cx.bad(path, &Value::String(value.to_string()), shown))
    }
}

fn int_or_string(
    cx: &Cx,
    v: &Value,
    path: &str,
    key: &str,
) -> Result<Option<k8s::IntOrString>, FieldError> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(k8s::IntOrString::String(s.clone()))),
        Some(x) => match x.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Ok(Some(k8s::IntOrString::Int(i))),
            None => Err(cx.bad(&join(path, key), x, "an integer or a string")),
        },
    }
}

/// A workload controller object (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnerRec {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `spec.replicas` (None: absent; Deployment/ReplicaSet/StatefulSet default to 1).
    pub replicas: Option<i64>,
    /// `spec.selector.matchLabels`.
    pub match_labels: Option<BTreeMap<String, String>>,
    /// `spec.selector.matchExpressions` present (the scenario model has none).
    pub has_match_expressions: bool,
    /// The controlling owner (kind, name), e.g. the Deployment of a ReplicaSet.
    pub owner: Option<(String, String)>,
    /// `spec.strategy.type` / `spec.updateStrategy.type`.
    pub strategy: Option<String>,
    pub max_surge: Option<k8s::IntOrString>,
    pub max_unavailable: Option<k8s::IntOrString>,
    /// StatefulSet `spec.updateStrategy.rollingUpdate.partition`.
    pub partition: Option<i64>,
    pub min_ready_seconds: Option<i64>,
    /// StatefulSet `spec.serviceName`.
    pub service_name: Option<String>,
    /// DaemonSet `status.desiredNumberScheduled`.
    pub desired_scheduled: Option<i64>,
    /// StatefulSet `spec.podManagementPolicy` (`OrderedReady`, `Parallel`).
    pub pod_management_policy: Option<String>,
    /// The pod template's `spec.nodeSelector` (a DaemonSet's node selection).
    pub node_selector: Option<BTreeMap<String, String>>,
}

/// A snapshot EndpointSlice, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRec {
    pub namespace: String,
    pub name: String,
    pub service: Option<String>,
    pub managed_by: Option<String>,
    pub address_type: String,
    pub endpoints: usize,
    pub ready: usize,
    /// Exact sizes, or why they could not be computed (a field slicesim does not model).
    pub sizes: Result<WireSizes, String>,
}

/// A snapshot Endpoints object: measured, and kept (reduced) for selectorless Services.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointsRec {
    pub object: k8s::Endpoints,
    pub sizes: Result<WireSizes, String>,
}

impl EndpointsRec {
    /// (ready, not ready) addresses.
    pub fn counts(&self) -> (usize, usize) {
        let mut r = (0, 0);
        for s in self.object.subsets.as_deref().unwrap_or(&[]) {
            r.0 += s.addresses.as_ref().map_or(0, Vec::len);
            r.1 += s.not_ready_addresses.as_ref().map_or(0, Vec::len);
        }
        r
    }
}

/// (namespace, name).
pub type Key = (String, String);

/// Everything read, keyed by (namespace, name) per kind. Later versions of an object (a higher
/// `resourceVersion`, or a watch event) replace earlier ones.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub nodes: BTreeMap<String, k8s::Node>,
    /// Compact records ([`PodRec`]): the bulk of a big cluster's snapshot.
    pub pods: BTreeMap<Key, PodRec>,
    /// The parts pods share (labels, owners, containers, node names, timestamps), held once.
    pub interner: PodInterner,
    pub services: BTreeMap<Key, k8s::Service>,
    pub endpoints: BTreeMap<Key, EndpointsRec>,
    pub slices: BTreeMap<Key, SliceRec>,
    /// (kind, namespace, name) → record.
    pub owners: BTreeMap<(String, String, String), OwnerRec>,
    /// Kinds read but not used, with counts (Events, ConfigMaps, ...).
    pub skipped: BTreeMap<String, usize>,
    /// Objects of a kind the import uses, per kind.
    pub read: BTreeMap<String, usize>,
    /// Objects seen more than once (several files, or a watch stream over a snapshot).
    pub replaced: usize,
    /// Watch events applied, per type.
    pub watch_events: BTreeMap<String, usize>,
    /// Objects whose exact size could not be computed, with the reason (first few).
    pub unmeasured: Vec<String>,
    rvs: BTreeMap<(String, String, String), String>,
}

/// The kinds the import reads.
pub const USED_KINDS: [&str; 10] = [
    "Node",
    "Pod",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
];

/// The kind of an object without `kind`, from its content.
pub fn sniff_kind(v: &Value) -> Option<&'static str> {
    let spec = v.get("spec");
    let has = |o: Option<&Value>, k: &str| o.and_then(|o| o.get(k)).is_some();
    if v.get("addressType").is_some() {
        return Some("EndpointSlice");
    }
    if v.get("subsets").is_some() {
        return Some("Endpoints");
    }
    if has(spec, "containers") {
        return Some("Pod");
    }
    if has(spec, "podCIDR") || has(spec, "podCIDRs") || has(v.get("status"), "nodeInfo") {
        return Some("Node");
    }
    if has(spec, "template") {
        if has(spec, "strategy") {
            return Some("Deployment");
        }
        if has(spec, "serviceName") || has(spec, "volumeClaimTemplates") {
            return Some("StatefulSet");
        }
        if has(spec, "updateStrategy") {
            return Some("DaemonSet");
        }
        if has(spec, "completions") || has(spec, "backoffLimit") {
            return Some("Job");
        }
        return Some("ReplicaSet");
    }
    if has(spec, "ports") || has(spec, "clusterIP") || has(spec, "type") {
        return Some("Service");
    }
    None
}

/// Numeric resourceVersions compare as numbers, others as text.
fn rv_newer(new: &str, old: &str) -> bool {
    match (new.parse::<u64>(), old.parse::<u64>()) {
        (Ok(a), Ok(b)) => a >= b,
        _ => true,
    }
}

/// The kind of an input object as [`Snapshot::add`] would take it (None: unknown, or `kind` is
/// not a string, which `add` reports).
pub fn kind_of(item: &Item) -> Option<String> {
    match field(&item.value, "kind") {
        Some(Value::String(k)) if !k.is_empty() => Some(k.clone()),
        Some(_) => None,
        None => item
            .list_kind
            .clone()
            .or_else(|| sniff_kind(&item.value).map(str::to_string)),
    }
}

/// A Pod of a watch stream, checked and located like the snapshot's: ((namespace, name),
/// resourceVersion, the pod reduced to the fields the import reads).
pub fn parse_pod(item: &Item) -> Result<(Key, String, k8s::Pod), FieldError> {
    let v = &item.value;
    let mut cx = Cx {
        file: item.file.clone(),
        index: item.index,
        kind: "Pod".into(),
        namespace: String::new(),
        name: String::new(),
    };
    let meta = identify(&mut cx, v)?;
    let rv = string(&cx, meta, "metadata", "resourceVersion")?.unwrap_or_default();
    let labels = string_map(&cx, meta, "metadata", "labels")?;
    let pod = read_pod(&cx, v, meta, labels)?;
    Ok(((cx.namespace.clone(), cx.name.clone()), rv, pod))
}

/// A Service or Node of a watch stream, checked and located like the snapshot's:
/// ((namespace, name), resourceVersion, the object reduced to the fields the import reads).
/// `kind` is "Service" or "Node" (the caller's [`kind_of`]).
pub fn parse_object(item: &Item, kind: &str) -> Result<(Key, String, Parsed), FieldError> {
    let v = &item.value;
    let mut cx = Cx {
        file: item.file.clone(),
        index: item.index,
        kind: kind.into(),
        namespace: String::new(),
        name: String::new(),
    };
    let meta = identify(&mut cx, v)?;
    let rv = string(&cx, meta, "metadata", "resourceVersion")?.unwrap_or_default();
    let labels = string_map(&cx, meta, "metadata", "labels")?;
    let obj = match kind {
        "Service" => Parsed::Service(Box::new(read_service(&cx, v, meta, labels)?)),
        _ => Parsed::Node(Box::new(read_node(&cx, v, labels)?)),
    };
    Ok(((cx.namespace.clone(), cx.name.clone()), rv, obj))
}

/// A Service or Node read by [`parse_object`].
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Service(Box<k8s::Service>),
    Node(Box<k8s::Node>),
}

/// `metadata`, with the object's namespace and name read into `cx` (a namespaced kind
/// without a namespace is in `default`, as kubectl shows it); a missing name is an error.
fn identify<'a>(cx: &mut Cx, v: &'a Value) -> Result<&'a Value, FieldError> {
    let meta = match field(v, "metadata") {
        Some(m) => obj(cx, m, "metadata")?.unwrap_or(&Value::Null),
        None => &Value::Null,
    };
    cx.namespace = string(cx, meta, "metadata", "namespace")?.unwrap_or_default();
    cx.name = string(cx, meta, "metadata", "name")?.unwrap_or_default();
    if cx.name.is_empty() {
        return Err(cx.bad(
            "metadata.name",
            field(meta, "name").unwrap_or(&Value::Null),
            "a non-empty name (every stored object has one)",
        ));
    }
    if cx.kind != "Node" && cx.namespace.is_empty() {
        cx.namespace = "default".into();
    }
    Ok(meta)
}

impl Snapshot {
    /// The resourceVersion of the object kept for (kind, namespace, name), if any.
    pub fn rv_of(&self, kind: &str, namespace: &str, name: &str) -> Option<&str> {
        self.rvs
            .get(&(kind.to_string(), namespace.to_string(), name.to_string()))
            .map(String::as_str)
    }

    /// Add one object read from an input.
    pub fn add(&mut self, item: Item) -> Result<(), FieldError> {
        let v = &item.value;
        let mut cx = Cx {
            file: item.file.clone(),
            index: item.index,
            kind: String::new(),
            namespace: String::new(),
            name: String::new(),
        };
        if !v.is_object() {
            return Err(cx.bad(
                "(object)",
                v,
                "a Kubernetes object ({\"kind\": ..., \"metadata\": ...})",
            ));
        }
        let kind = match field(v, "kind") {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            Some(o) if !o.is_string() => return Err(cx.bad("kind", o, "a string")),
            _ => match item
                .list_kind
                .clone()
                .or_else(|| sniff_kind(v).map(str::to_string))
            {
                Some(k) => k,
                None => {
                    *self.skipped.entry("(unknown: no kind)".into()).or_default() += 1;
                    return Ok(());
                }
            },
        };
        cx.kind = kind.clone();
        if kind == "List" || kind.ends_with("List") {
            // A nested List (e.g. a watch event of a List) is not something kubectl prints.
            *self.skipped.entry(kind).or_default() += 1;
            return Ok(());
        }
        if !USED_KINDS.contains(&kind.as_str()) {
            *self.skipped.entry(kind).or_default() += 1;
            return Ok(());
        }
        let meta = identify(&mut cx, v)?;
        let rv = string(&cx, meta, "metadata", "resourceVersion")?.unwrap_or_default();
        let full_key = (kind.clone(), cx.namespace.clone(), cx.name.clone());
        *self.read.entry(kind.clone()).or_default() += 1;
        if let Some(ev) = &item.event {
            *self.watch_events.entry(ev.clone()).or_default() += 1;
            match ev.as_str() {
                "ADDED" | "MODIFIED" => {}
                "DELETED" => {
                    self.remove(&full_key);
                    return Ok(());
                }
                "BOOKMARK" | "ERROR" => return Ok(()),
                o => {
                    return Err(cx.bad(
                        "type",
                        &Value::String(o.into()),
                        "a watch event type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR)",
                    ))
                }
            }
        }
        if let Some(old) = self.rvs.get(&full_key) {
            self.replaced += 1;
            if !rv_newer(&rv, old) && item.event.is_none() {
                return Ok(());
            }
        }
        self.rvs.insert(full_key, rv);
        let key = (cx.namespace.clone(), cx.name.clone());
        let meta_labels = string_map(&cx, meta, "metadata", "labels")?;
        match kind.as_str() {
            "Node" => {
                let n = read_node(&cx, v, meta_labels)?;
                self.nodes.insert(cx.name.clone(), n);
            }
            "Pod" => {
                let p = read_pod(&cx, v, meta, meta_labels)?;
                self.pods
                    .insert(key, PodRec::from_pod(p, &mut self.interner));
            }
            "Service" => {
                let s = read_service(&cx, v, meta, meta_labels)?;
                self.services.insert(key, s);
            }
            "Endpoints" => {
                let e = self.read_endpoints(&cx, v, meta_labels)?;
                self.endpoints.insert(key, e);
            }
            "EndpointSlice" => {
                let s = self.read_slice(&cx, v, meta_labels)?;
                self.slices.insert(key, s);
            }
            _ => {
                let o = read_owner(&cx, v, meta)?;
                self.owners
                    .insert((kind.clone(), cx.namespace.clone(), cx.name.clone()), o);
            }
        }
        Ok(())
    }

    fn remove(&mut self, k: &(String, String, String)) {
        self.rvs.remove(k);
        let key = (k.1.clone(), k.2.clone());
        match k.0.as_str() {
            "Node" => {
                self.nodes.remove(&k.2);
            }
            "Pod" => {
                self.pods.remove(&key);
            }
            "Service" => {
                self.services.remove(&key);
            }
            "Endpoints" => {
                self.endpoints.remove(&key);
            }
            "EndpointSlice" => {
                self.slices.remove(&key);
            }
            _ => {
                self.owners.remove(k);
            }
        }
    }

    fn note_unmeasured(&mut self, cx: &Cx, e: String) -> String {
        if self.unmeasured.len() < 20 {
            self.unmeasured
                .push(format!("{} {}/{}: {e}", cx.kind, cx.namespace, cx.name));
        }
        e
    }

    fn read_slice(
        &mut self,
        cx: &Cx,
        v: &Value,
        labels: Option<BTreeMap<String, String>>,
    ) -> Result<SliceRec, FieldError> {
        let address_type = string(cx, v, "", "addressType")?.unwrap_or_default();
        let eps = array(cx, v, "", "endpoints")?;
        let mut ready = 0;
        for (i, e) in eps.iter().enumerate() {
            let p = format!("endpoints[{i}]");
            let e = obj(cx, e, &p)?.unwrap_or(&Value::Null);
            let addrs = array(cx, e, &p, "addresses")?;
            if addrs.is_empty() {
                return Err(cx.bad(
                    &format!("{p}.addresses"),
                    field(e, "addresses").unwrap_or(&Value::Null),
                    "at least one address",
                ));
            }
            // conditions.ready: nil counts as ready (discovery/v1 EndpointConditions).
            let cond = sub(cx, e, &p, "conditions")?;
            let r = match cond {
                Some(c) => boolean(cx, c, &format!("{p}.conditions"), "ready")?.unwrap_or(true),
                None => true,
            };
            ready += usize::from(r);
        }
        let sizes = serde_json::from_value::<k8s::EndpointSlice>(v.clone())
            .map_err(|e| e.to_string())
            .and_then(|s| wire::sizes(&s).map_err(|e| e.to_string()));
        let sizes = sizes.map_err(|e| self.note_unmeasured(cx, e));
        let labels = labels.unwrap_or_default();
        Ok(SliceRec {
            namespace: cx.namespace.clone(),
            name: cx.name.clone(),
            service: labels.get(LABEL_SERVICE_NAME).cloned(),
            managed_by: labels.get(LABEL_MANAGED_BY).cloned(),
            address_type,
            endpoints: eps.len(),
            ready,
            sizes,
        })
    }

    fn read_endpoints(
        &mut self,
        cx: &Cx,
        v: &Value,
        labels: Option<BTreeMap<String, String>>,
    ) -> Result<EndpointsRec, FieldError> {
        let mut subsets = Vec::new();
        for (i, s) in array(cx, v, "", "subsets")?.iter().enumerate() {
            let p = format!("subsets[{i}]");
            let s = obj(cx, s, &p)?.unwrap_or(&Value::Null);
            let addrs =
                |key: &str| -> Result<Vec<k8s::SharedValue<k8s::EndpointAddress>>, FieldError> {
                    let mut out = Vec::new();
                    for (j, a) in array(cx, s, &p, key)?.iter().enumerate() {
                        let ap = format!("{p}.{key}[{j}]");
                        let a = obj(cx, a, &ap)?.unwrap_or(&Value::Null);
                        let ip = string(cx, a, &ap, "ip")?.ok_or_else(|| {
                            cx.bad(&format!("{ap}.ip"), &Value::Null, "an IP address")
                        })?;
                        out.push(k8s::SharedValue::new(k8s::EndpointAddress {
                            ip,
                            hostname: string(cx, a, &ap, "hostname")?,
                            node_name: string(cx, a, &ap, "nodeName")?.map(Into::into),
                            target_ref: None,
                        }));
                    }
                    Ok(out)
                };
            let addresses = addrs("addresses")?;
            let not_ready = addrs("notReadyAddresses")?;
            let mut ports = Vec::new();
            for (j, pt) in array(cx, s, &p, "ports")?.iter().enumerate() {
                let pp = format!("{p}.ports[{j}]");
                let pt = obj(cx, pt, &pp)?.unwrap_or(&Value::Null);
                ports.push(k8s::EndpointPort {
                    name: string(cx, pt, &pp, "name")?,
                    port: int(cx, pt, &pp, "port", 1, 65535)?.ok_or_else(|| {
                        cx.bad(
                            &format!("{pp}.port"),
                            &Value::Null,
                            "a port number 1..=65535",
                        )
                    })? as i32,
                    protocol: string(cx, pt, &pp, "protocol")?,
                    app_protocol: string(cx, pt, &pp, "appProtocol")?,
                });
            }
            subsets.push(k8s::EndpointSubset {
                addresses: Some(addresses),
                not_ready_addresses: Some(not_ready),
                ports: Some(ports),
            });
        }
        let sizes = serde_json::from_value::<k8s::Endpoints>(v.clone())
            .map_err(|e| e.to_string())
            .and_then(|s| wire::sizes(&s).map_err(|e| e.to_string()));
        let sizes = sizes.map_err(|e| self.note_unmeasured(cx, e));
        Ok(EndpointsRec {
            object: k8s::Endpoints {
                kind: Some("Endpoints".into()),
                api_version: Some("v1".into()),
                metadata: k8s::ObjectMeta {
                    name: Some(cx.name.clone()),
                    namespace: Some(cx.namespace.clone()),
                    labels,
                    ..Default::default()
                },
                subsets: Some(subsets),
            },
            sizes,
        })
    }
}

fn owner_refs(cx: &Cx, meta: &Value) -> Result<Vec<k8s::OwnerReference>, FieldError> {
    let mut out = Vec::new();
    for (i, o) in array(cx, meta, "metadata", "ownerReferences")?
        .iter()
        .enumerate()
    {
        let p = format!("metadata.ownerReferences[{i}]");
        let o = obj(cx, o, &p)?.unwrap_or(&Value::Null);
        let need = |k: &str| -> Result<String, FieldError> {
            string(cx, o, &p, k)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    cx.bad(
                        &format!("{p}.{k}"),
                        field(o, k).unwrap_or(&Value::Null),
                        "a non-empty string",
                    )
                })
        };
        out.push(k8s::OwnerReference {
            api_version: string(cx, o, &p, "apiVersion")?.unwrap_or_default(),
            kind: need("kind")?,
            name: need("name")?,
            uid: string(cx, o, &p, "uid")?.unwrap_or_default(),
            controller: boolean(cx, o, &p, "controller")?,
            block_owner_deletion: None,
        });
    }
    Ok(out)
}

/// The controlling owner reference (`controller: true`), else the first.
pub fn controller_of(refs: &[k8s::OwnerReference]) -> Option<&k8s::OwnerReference> {
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
}

fn read_node(
    cx: &Cx,
    v: &Value,
    labels: Option<BTreeMap<String, String>>,
) -> Result<k8s::Node, FieldError> {
    let status = sub(cx, v, "", "status")?.unwrap_or(&Value::Null);
    let spec = sub(cx, v, "", "spec")?.unwrap_or(&Value::Null);
    let mut allocatable = BTreeMap::new();
    if let Some(a) = sub(cx, status, "status", "allocatable")? {
        if let Some(cpu) = string(cx, a, "status.allocatable", "cpu")? {
            if quantity_milli_value(&cpu).is_none() {
                return Err(cx.bad(
                    "status.allocatable.cpu",
                    &Value::String(cpu),
                    "a CPU quantity (e.g. \"4\", \"3920m\")",
                ));
            }
            allocatable.insert("cpu".to_string(), k8s::Quantity(cpu));
        }
        if let Some(pods) = string(cx, a, "status.allocatable", "pods")? {
            if pods.parse::<u32>().is_err() {
                return Err(cx.bad(
                    "status.allocatable.pods",
                    &Value::String(pods),
                    "a whole number of pods (e.g. \"110\")",
                ));
            }
            allocatable.insert("pods".to_string(), k8s::Quantity(pods));
        }
    }
    let mut conditions = Vec::new();
    for (i, c) in array(cx, status, "status", "conditions")?
        .iter()
        .enumerate()
    {
        let p = format!("status.conditions[{i}]");
        let c = obj(cx, c, &p)?.unwrap_or(&Value::Null);
        if string(cx, c, &p, "type")?.as_deref() == Some("Ready") {
            conditions.push(k8s::NodeCondition {
                type_: "Ready".into(),
                status: string(cx, c, &p, "status")?.unwrap_or_default(),
                ..Default::default()
            });
        }
    }
    let mut pod_cidrs: Vec<String> = array(cx, spec, "spec", "podCIDRs")?
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.as_str()
                .map(str::to_string)
                .ok_or_else(|| cx.bad(&format!("spec.podCIDRs[{i}]"), c, "a CIDR string"))
        })
        .collect::<Result<_, _>>()?;
    if pod_cidrs.is_empty() {
        if let Some(c) = string(cx, spec, "spec", "podCIDR")? {
            pod_cidrs.push(c);
        }
    }
    Ok(k8s::Node {
        kind: Some("Node".into()),
        api_version: Some("v1".into()),
        metadata: k8s::ObjectMeta {
            name: Some(cx.name.clone()),
            labels,
            ..Default::default()
        },
        spec: k8s::NodeSpec {
            pod_cidrs: Some(pod_cidrs),
            ..Default::default()
        },
        status: k8s::NodeStatus {
            allocatable: Some(allocatable),
            conditions: Some(conditions),
            ..Default::default()
        },
    })
}

fn read_pod(
    cx: &Cx,
    v: &Value,
    meta: &Value,
    labels: Option<BTreeMap<String, String>>,
) -> Result<k8s::Pod, FieldError> {
    let spec = sub(cx, v, "", "spec")?.unwrap_or(&Value::Null);
    let status = sub(cx, v, "", "status")?.unwrap_or(&Value::Null);
    let mut containers = Vec::new();
    for (i, c) in array(cx, spec, "spec", "containers")?.iter().enumerate() {
        let p = format!("spec.containers[{i}]");
        let c = obj(cx, c, &p)?.unwrap_or(&Value::Null);
        let mut ports = Vec::new();
        for (j, pt) in array(cx, c, &p, "ports")?.iter().enumerate() {
            let pp = format!("{p}.ports[{j}]");
            let pt = obj(cx, pt, &pp)?.unwrap_or(&Value::Null);
            let port = int(cx, pt, &pp, "containerPort", 1, 65535)?.ok_or_else(|| {
                cx.bad(
                    &format!("{pp}.containerPort"),
                    &Value::Null,
                    "a port number 1..=65535",
                )
            })?;
            let protocol = string(cx, pt, &pp, "protocol")?;
            if let Some(pr) = &protocol {
                one_of(
                    cx,
                    &format!("{pp}.protocol"),
                    pr,
                    &["TCP", "UDP", "SCTP"],
                    "TCP, UDP or SCTP",
                )?;
            }
            ports.push(k8s::ContainerPort {
                name: string(cx, pt, &pp, "name")?,
                container_port: port as i32,
                protocol,
                ..Default::default()
            });
        }
        let mut requests = BTreeMap::new();
        if let Some(res) = sub(cx, c, &p, "resources")? {
            if let Some(rq) = sub(cx, res, &format!("{p}.resources"), "requests")? {
                if let Some(cpu) = string(cx, rq, &format!("{p}.resources.requests"), "cpu")? {
                    if quantity_milli_value(&cpu).is_some() {
                        requests.insert("cpu".to_string(), k8s::Quantity(cpu));
                    }
                }
            }
        }
        containers.push(k8s::Container {
            name: string(cx, c, &p, "name")?.unwrap_or_default(),
            ports: Some(ports),
            resources: k8s::ResourceRequirements {
                requests: Some(requests),
                ..Default::default()
            },
            ..Default::default()
        });
    }
    let mut conditions = Vec::new();
    for (i, c) in array(cx, status, "status", "conditions")?
        .iter()
        .enumerate()
    {
        let p = format!("status.conditions[{i}]");
        let c = obj(cx, c, &p)?.unwrap_or(&Value::Null);
        let t = string(cx, c, &p, "type")?.unwrap_or_default();
        if t == "Ready" {
            let st = string(cx, c, &p, "status")?.unwrap_or_default();
            one_of(
                cx,
                &format!("{p}.status"),
                &st,
                &["True", "False", "Unknown"],
                "\"True\", \"False\" or \"Unknown\"",
            )?;
            conditions.push(k8s::PodCondition {
                type_: t,
                status: st,
                last_transition_time: string(cx, c, &p, "lastTransitionTime")?,
                ..Default::default()
            });
        }
    }
    let mut pod_ips = Vec::new();
    for (i, ip) in array(cx, status, "status", "podIPs")?.iter().enumerate() {
        let p = format!("status.podIPs[{i}]");
        let ip = obj(cx, ip, &p)?.unwrap_or(&Value::Null);
        if let Some(s) = string(cx, ip, &p, "ip")? {
            pod_ips.push(k8s::PodIP { ip: s });
        }
    }
    let pod_ip = string(cx, status, "status", "podIP")?;
    if pod_ips.is_empty() {
        if let Some(ip) = &pod_ip {
            pod_ips.push(k8s::PodIP { ip: ip.clone() });
        }
    }
    for (i, ip) in pod_ips.iter().enumerate() {
        if ip.ip.parse::<std::net::IpAddr>().is_err() {
            return Err(cx.bad(
                &format!("status.podIPs[{i}].ip"),
                &Value::String(ip.ip.clone()),
                "an IPv4 or IPv6 address",
            ));
        }
    }
    Ok(k8s::Pod {
        kind: Some("Pod".into()),
        api_version: Some("v1".into()),
        metadata: k8s::ObjectMeta {
            name: Some(cx.name.clone()),
            namespace: Some(cx.namespace.clone()),
            uid: string(cx, meta, "metadata", "uid")?,
            resource_version: string(cx, meta, "metadata", "resourceVersion")?,
            labels,
            owner_references: Some(owner_refs(cx, meta)?),
            creation_timestamp: string(cx, meta, "metadata", "creationTimestamp")?,
            deletion_timestamp: string(cx, meta, "metadata", "deletionTimestamp")?,
            ..Default::default()
        },
        spec: k8s::PodSpec {
            containers: Some(containers),
            node_name: string(cx, spec, "spec", "nodeName")?,
            hostname: string(cx, spec, "spec", "hostname")?,
            subdomain: string(cx, spec, "spec", "subdomain")?,
            termination_grace_period_seconds: int(
                cx,
                spec,
                "spec",
                "terminationGracePeriodSeconds",
                0,
                i64::MAX,
            )?,
            ..Default::default()
        },
        status: k8s::PodStatus {
            phase: string(cx, status, "status", "phase")?,
            conditions: Some(conditions),
            pod_ip: pod_ips.first().map(|p| p.ip.clone()).or(pod_ip),
            pod_ips: Some(pod_ips),
            ..Default::default()
        },
    })
}

/// Annotations the endpoint controllers read (topology hints); others are not kept.
pub const KEPT_ANNOTATIONS: [&str; 2] = [
    "service.kubernetes.io/topology-mode",
    "service.kubernetes.io/topology-aware-hints",
];

fn read_service(
    cx: &Cx,
    v: &Value,
    meta: &Value,
    labels: Option<BTreeMap<String, String>>,
) -> Result<k8s::Service, FieldError> {
    let spec = sub(cx, v, "", "spec")?.unwrap_or(&Value::Null);
    let mut ports = Vec::new();
    for (i, pt) in array(cx, spec, "spec", "ports")?.iter().enumerate() {
        let p = format!("spec.ports[{i}]");
        let pt = obj(cx, pt, &p)?.unwrap_or(&Value::Null);
        let port = int(cx, pt, &p, "port", 1, 65535)?.ok_or_else(|| {
            cx.bad(
                &format!("{p}.port"),
                &Value::Null,
                "a port number 1..=65535",
            )
        })?;
        let target = int_or_string(cx, pt, &p, "targetPort")?;
        if let Some(k8s::IntOrString::Int(t)) = &target {
            if !(0..=65535).contains(t) {
                return Err(cx.bad(
                    &format!("{p}.targetPort"),
                    &Value::from(*t),
                    "a port number 1..=65535 or a container port name",
                ));
            }
        }
        ports.push(k8s::ServicePort {
            name: string(cx, pt, &p, "name")?,
            protocol: string(cx, pt, &p, "protocol")?,
            app_protocol: string(cx, pt, &p, "appProtocol")?,
            port: port as i32,
            target_port: target.unwrap_or(k8s::IntOrString::Int(port as i32)),
            node_port: int(cx, pt, &p, "nodePort", 0, 65535)?.map(|n| n as i32),
        });
    }
    let annotations = string_map(cx, meta, "metadata", "annotations")?.map(|a| {
        a.into_iter()
            .filter(|(k, _)| KEPT_ANNOTATIONS.contains(&k.as_str()))
            .collect::<BTreeMap<_, _>>()
    });
    let strings = |key: &str| -> Result<Option<Vec<String>>, FieldError> {
        let a = array(cx, spec, "spec", key)?;
        if field(spec, key).is_none() {
            return Ok(None);
        }
        a.iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| cx.bad(&format!("spec.{key}[{i}]"), x, "a string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    };
    let ip_families = strings("ipFamilies")?;
    for (i, f) in ip_families.iter().flatten().enumerate() {
        one_of(
            cx,
            &format!("spec.ipFamilies[{i}]"),
            f,
            &["IPv4", "IPv6"],
            "\"IPv4\" or \"IPv6\"",
        )?;
    }
    Ok(k8s::Service {
        kind: Some("Service".into()),
        api_version: Some("v1".into()),
        metadata: k8s::ObjectMeta {
            name: Some(cx.name.clone()),
            namespace: Some(cx.namespace.clone()),
            uid: string(cx, meta, "metadata", "uid")?,
            labels,
            annotations,
            creation_timestamp: string(cx, meta, "metadata", "creationTimestamp")?,
            ..Default::default()
        },
        spec: k8s::ServiceSpec {
            ports: Some(ports),
            selector: string_map(cx, spec, "spec", "selector")?,
            cluster_ip: string(cx, spec, "spec", "clusterIP")?,
            cluster_ips: strings("clusterIPs")?,
            type_: string(cx, spec, "spec", "type")?,
            external_name: string(cx, spec, "spec", "externalName")?,
            publish_not_ready_addresses: boolean(cx, spec, "spec", "publishNotReadyAddresses")?,
            ip_families,
            ip_family_policy: string(cx, spec, "spec", "ipFamilyPolicy")?,
            traffic_distribution: string(cx, spec, "spec", "trafficDistribution")?,
            ..Default::default()
        },
        status: Default::default(),
    })
}

fn read_owner(cx: &Cx, v: &Value, meta: &Value) -> Result<OwnerRec, FieldError> {
    let spec = sub(cx, v, "", "spec")?.unwrap_or(&Value::Null);
    let status = sub(cx, v, "", "status")?.unwrap_or(&Value::Null);
    let refs = owner_refs(cx, meta)?;
    let sel = sub(cx, spec, "spec", "selector")?;
    let (match_labels, has_expr) = match sel {
        Some(s) => (
            string_map(cx, s, "spec.selector", "matchLabels")?,
            !array(cx, s, "spec.selector", "matchExpressions")?.is_empty(),
        ),
        None => (None, false),
    };
    let (strategy_key, ru_path) = if cx.kind == "Deployment" {
        ("strategy", "spec.strategy")
    } else {
        ("updateStrategy", "spec.updateStrategy")
    };
    let strat = sub(cx, spec, "spec", strategy_key)?;
    let (mut strategy, mut surge, mut unavail, mut partition) = (None, None, None, None);
    if let Some(s) = strat {
        strategy = string(cx, s, ru_path, "type")?;
        if let Some(ru) = sub(cx, s, ru_path, "rollingUpdate")? {
            let p = format!("{ru_path}.rollingUpdate");
            surge = int_or_string(cx, ru, &p, "maxSurge")?;
            unavail = int_or_string(cx, ru, &p, "maxUnavailable")?;
            if cx.kind == "StatefulSet" {
                partition = int(cx, ru, &p, "partition", 0, i64::from(i32::MAX))?;
            }
        }
    }
    let template_spec = match sub(cx, spec, "spec", "template")? {
        Some(t) => sub(cx, t, "spec.template", "spec")?,
        None => None,
    };
    let node_selector = match template_spec {
        Some(ts) => string_map(cx, ts, "spec.template.spec", "nodeSelector")?,
        None => None,
    };
    Ok(OwnerRec {
        kind: cx.kind.clone(),
        namespace: cx.namespace.clone(),
        name: cx.name.clone(),
        replicas: int(cx, spec, "spec", "replicas", 0, 1_000_000)?,
        match_labels,
        has_match_expressions: has_expr,
        owner: controller_of(&refs).map(|r| (r.kind.clone(), r.name.clone())),
        strategy,
        max_surge: surge,
        max_unavailable: unavail,
        partition,
        min_ready_seconds: int(cx, spec, "spec", "minReadySeconds", 0, i64::from(i32::MAX))?,
        service_name: string(cx, spec, "spec", "serviceName")?,
        desired_scheduled: int(cx, status, "status", "desiredNumberScheduled", 0, i64::MAX)?,
        pod_management_policy: string(cx, spec, "spec", "podManagementPolicy")?,
        node_selector,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        Item {
            file: "f.json".into(),
            index: 3,
            list_kind: None,
            event: None,
            in_list: true,
            value: v,
        }
    }

    #[test]
    fn located_errors() {
        let mut s = Snapshot::default();
        let e = s
            .add(item(
                json!({"kind":"Pod","metadata":{"name":"p","namespace":"ns"},
                "spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}}),
            ))
            .unwrap_err();
        assert_eq!(
            e.0,
            "f.json: object 3 (Pod ns/p): field spec.containers[0].ports[0].containerPort: \"80\": expected an integer in 1..=65535"
        );
        let e = s
            .add(item(json!({"kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":70000}]}})))
            .unwrap_err();
        assert!(
            e.0.contains("(Service default/s): field spec.ports[0].targetPort: 70000"),
            "{e}"
        );
        let e = s
            .add(item(json!({"kind":"Node","metadata":{}})))
            .unwrap_err();
        assert!(e.0.contains("field metadata.name"), "{e}");
    }

    #[test]
    fn kinds_sniffed_skipped_and_replaced() {
        let mut s = Snapshot::default();
        s.add(item(json!({"kind":"ConfigMap","metadata":{"name":"c"}})))
            .unwrap();
        s.add(item(
            json!({"metadata":{"name":"p","resourceVersion":"5"},"spec":{"containers":[]}}),
        ))
        .unwrap();
        s.add(item(json!({"kind":"Pod","metadata":{"name":"p","resourceVersion":"4"},"spec":{"nodeName":"old"}}))).unwrap();
        assert_eq!(s.skipped["ConfigMap"], 1);
        assert_eq!(s.pods.len(), 1);
        assert_eq!(s.replaced, 1);
        // The older version did not replace the newer one.
        assert_eq!(s.pods.values().next().unwrap().node_name, None);
        let mut del = item(json!({"kind":"Pod","metadata":{"name":"p","namespace":"default"}}));
        del.event = Some("DELETED".into());
        s.add(del).unwrap();
        assert!(s.pods.is_empty());
    }
}
