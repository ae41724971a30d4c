//! Kubernetes protobuf encoding (gogo-protobuf `generated.pb.go` rules), hand-written.
//!
//! Rules reproduced from the generated `MarshalToSizedBuffer` functions of k8s.io/api v0.32.13
//! (`core/v1/generated.pb.go`, `discovery/v1/generated.pb.go`) and k8s.io/apimachinery v0.32.13
//! (`pkg/apis/meta/v1/generated.pb.go`, `time_proto.go`, `pkg/util/intstr/generated.pb.go`,
//! `pkg/api/resource/quantity_proto.go`, `pkg/runtime/generated.pb.go`):
//! - fields are emitted in ascending field-number order (gogo writes the buffer backwards, from
//!   the highest field down);
//! - non-pointer `string`, `bool`, `int32`, `int64` fields are ALWAYS written, even when empty/zero
//!   (`omitempty` only affects JSON); pointer fields only when non-nil;
//! - integers are plain varints of `uint64(v)`, so a negative `int32` is sign-extended (10 bytes);
//!   the wire type follows the Go type (varint) even where the struct tag says `bytes`
//!   (e.g. `ServiceSpec.healthCheckNodePort`, `PodSpec.priority`);
//! - repeated fields: one tagged entry per element (`[]int64` is not packed);
//! - maps: one entry message `{1: key, 2: value}` per key, in sorted key order;
//! - embedded non-pointer messages are always written, possibly with length 0;
//! - `metav1.Time` is a `Timestamp{1: seconds, 2: nanos}` with both always written and nanos
//!   always 0 (`ProtoTime` deliberately drops nanoseconds); the zero time marshals to 0 bytes;
//! - `IntOrString` is `{1: type, 2: intVal, 3: strVal}`, all always written;
//! - `Quantity` is `{1: string}`; `FieldsV1` is `{1: raw JSON}` when non-nil.
//!
//! Sizes are computed with a counting [`Sink`] that never allocates; nested message lengths are
//! computed once per nesting level.

use std::collections::BTreeMap;

use crate::k8s::core::*;
use crate::k8s::discovery::{
    Endpoint, EndpointConditions, EndpointHints, EndpointPort as SlicePort, EndpointSlice, ForNode,
    ForZone,
};
use crate::k8s::meta::{Condition, ManagedFieldsEntry, ObjectMeta, OwnerReference};
use crate::k8s::pod::*;
use crate::k8s::{IntOrString, Quantity};

/// Where encoded bytes go: a byte buffer or a length counter.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
    /// Emits the body of a nested message whose encoded length is `len`.
    fn body<M: Proto + ?Sized>(&mut self, len: usize, m: &M);
    /// Records an encoding error (e.g. an unparsable timestamp); the first one is kept.
    fn fail(&mut self, msg: String);
}

/// Counts bytes without storing them.
#[derive(Debug, Default)]
pub struct Counter {
    pub len: usize,
    pub err: Option<String>,
}

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.len += bytes.len();
    }
    fn body<M: Proto + ?Sized>(&mut self, len: usize, _m: &M) {
        self.len += len;
    }
    fn fail(&mut self, msg: String) {
        self.err.get_or_insert(msg);
    }
}

/// Appends encoded bytes to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    pub buf: Vec<u8>,
    pub err: Option<String>,
}

impl Sink for Writer {
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    fn body<M: Proto + ?Sized>(&mut self, _len: usize, m: &M) {
        m.encode(self);
    }
    fn fail(&mut self, msg: String) {
        self.err.get_or_insert(msg);
    }
}

/// A protobuf message.
pub trait Proto {
    /// Writes the message body (without its own tag and length).
    fn encode<S: Sink>(&self, s: &mut S);

    /// The body's length when known without encoding it (a [`crate::k8s::SharedValue`]'s
    /// remembered one); [`message`] then sizes the field without walking the value.
    fn known_len(&self) -> Option<usize> {
        None
    }

    /// Remember the body's measured length (kept only by [`crate::k8s::SharedValue`]).
    fn remember_len(&self, _n: usize) {}

    /// Encoded length of the body, or the first encoding error.
    fn proto_len(&self) -> Result<usize, String> {
        let mut c = Counter::default();
        self.encode(&mut c);
        c.err.map_or(Ok(c.len), Err)
    }

    /// Encoded body bytes, or the first encoding error.
    fn proto_bytes(&self) -> Result<Vec<u8>, String> {
        let mut w = Writer::default();
        self.encode(&mut w);
        w.err.map_or(Ok(w.buf), Err)
    }
}

/// Number of bytes of `v` as a base-128 varint (1..=10).
pub const fn varint_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

pub fn varint<S: Sink>(s: &mut S, mut v: u64) {
    let mut buf = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    s.put(&buf[..=n]);
}

const VARINT: u64 = 0;
const LEN: u64 = 2;

fn key<S: Sink>(s: &mut S, field: u32, wire: u64) {
    varint(s, (u64::from(field) << 3) | wire);
}

/// Length-delimited bytes, always written.
pub fn bytes<S: Sink>(s: &mut S, field: u32, b: &[u8]) {
    key(s, field, LEN);
    varint(s, b.len() as u64);
    s.put(b);
}

/// Non-pointer string (written even when empty).
fn string<S: Sink>(s: &mut S, field: u32, v: &str) {
    bytes(s, field, v.as_bytes());
}

/// Non-pointer string with `omitempty` modelled as `Option` (`None` = `""`, still written).
fn string_val<S: Sink, T: AsRef<str>>(s: &mut S, field: u32, v: &Option<T>) {
    string(s, field, v.as_ref().map_or("", AsRef::as_ref));
}

/// `*string`: written only when non-nil.
fn string_ptr<S: Sink, T: AsRef<str>>(s: &mut S, field: u32, v: &Option<T>) {
    if let Some(v) = v {
        string(s, field, v.as_ref());
    }
}

fn strings<S: Sink>(s: &mut S, field: u32, v: &[String]) {
    for x in v {
        string(s, field, x);
    }
}

fn strings_opt<S: Sink>(s: &mut S, field: u32, v: &Option<Vec<String>>) {
    strings(s, field, v.as_deref().unwrap_or(&[]));
}

/// Non-pointer integer (`uint64(v)`, sign-extended for negative values), always written.
fn int<S: Sink>(s: &mut S, field: u32, v: i64) {
    key(s, field, VARINT);
    varint(s, v as u64);
}

fn int32_val<S: Sink>(s: &mut S, field: u32, v: Option<i32>) {
    int(s, field, i64::from(v.unwrap_or(0)));
}

fn int64_val<S: Sink>(s: &mut S, field: u32, v: Option<i64>) {
    int(s, field, v.unwrap_or(0));
}

fn int32_ptr<S: Sink>(s: &mut S, field: u32, v: Option<i32>) {
    if let Some(v) = v {
        int(s, field, i64::from(v));
    }
}

fn int64_ptr<S: Sink>(s: &mut S, field: u32, v: Option<i64>) {
    if let Some(v) = v {
        int(s, field, v);
    }
}

fn boolean<S: Sink>(s: &mut S, field: u32, v: bool) {
    key(s, field, VARINT);
    s.put(&[u8::from(v)]);
}

fn bool_val<S: Sink>(s: &mut S, field: u32, v: Option<bool>) {
    boolean(s, field, v.unwrap_or(false));
}

fn bool_ptr<S: Sink>(s: &mut S, field: u32, v: Option<bool>) {
    if let Some(v) = v {
        boolean(s, field, v);
    }
}

/// Embedded message, always written (possibly with length 0).
pub fn message<S: Sink, M: Proto + ?Sized>(s: &mut S, field: u32, m: &M) {
    let len = match m.known_len() {
        Some(n) => n,
        None => {
            let mut c = Counter::default();
            m.encode(&mut c);
            match c.err {
                Some(e) => s.fail(e),
                None => m.remember_len(c.len),
            }
            c.len
        }
    };
    key(s, field, LEN);
    varint(s, len as u64);
    s.body(len, m);
}

fn message_ptr<S: Sink, M: Proto>(s: &mut S, field: u32, m: &Option<M>) {
    if let Some(m) = m {
        message(s, field, m);
    }
}

fn messages<S: Sink, M: Proto>(s: &mut S, field: u32, v: &[M]) {
    for m in v {
        message(s, field, m);
    }
}

fn messages_opt<S: Sink, M: Proto>(s: &mut S, field: u32, v: &Option<Vec<M>>) {
    messages(s, field, v.as_deref().unwrap_or(&[]));
}

/// A `map<string, V>` entry `{1: key, 2: value}`.
struct Entry<'a, V: ?Sized>(&'a str, &'a V);

impl Proto for Entry<'_, str> {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, self.0);
        string(s, 2, self.1);
    }
}

impl Proto for Entry<'_, Quantity> {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, self.0);
        message(s, 2, self.1);
    }
}

fn string_map<S: Sink>(s: &mut S, field: u32, m: &Option<BTreeMap<String, String>>) {
    for (k, v) in m.iter().flatten() {
        message(s, field, &Entry(k, v.as_str()));
    }
}

fn resource_list<S: Sink>(s: &mut S, field: u32, m: &Option<ResourceList>) {
    for (k, v) in m.iter().flatten() {
        message(s, field, &Entry(k, v));
    }
}

impl Proto for Quantity {
    /// `Quantity.MarshalToSizedBuffer` writes `{1: q.String()}`; the string is assumed canonical.
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.0);
    }
}

impl Proto for IntOrString {
    /// `{1: type (0 int, 1 string), 2: intVal, 3: strVal}`, all always written.
    fn encode<S: Sink>(&self, s: &mut S) {
        match self {
            IntOrString::Int(i) => {
                int(s, 1, 0);
                int(s, 2, i64::from(*i));
                string(s, 3, "");
            }
            IntOrString::String(v) => {
                int(s, 1, 1);
                int(s, 2, 0);
                string(s, 3, v);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// metav1.Time
// ---------------------------------------------------------------------------------------------

use crate::k8s::time::{Timestamp, GO_ZERO_TIME_UNIX};

/// Parses an RFC 3339 timestamp into Unix seconds (floor, as Go's `Time.Unix`).
///
/// Sizing every written object reads its times (creation, managedFields), and a run writes
/// the same few texts over and over (the clock moves by the second): the last few answers are
/// kept per thread ([`TIME_MEMO`]), as parsing was ~2 % of a run's instructions.
pub fn parse_rfc3339_unix(t: &str) -> Option<i64> {
    TIME_MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if let Some((_, secs)) = m.entries.iter().find(|(k, _)| k == t) {
            return *secs;
        }
        let secs = Timestamp::parse(t).map(|t| t.secs);
        let slot = m.next;
        m.next = (slot + 1) % TIME_MEMO_LEN;
        if m.entries.len() < TIME_MEMO_LEN {
            m.entries.push((t.to_string(), secs));
        } else {
            let (k, v) = &mut m.entries[slot];
            k.clear();
            k.push_str(t);
            *v = secs;
        }
        secs
    })
}

const TIME_MEMO_LEN: usize = 4;

/// The last [`TIME_MEMO_LEN`] texts [`parse_rfc3339_unix`] read and their answers, replaced
/// round-robin (a pure function's memo: only speed depends on it).
#[derive(Default)]
struct TimeMemo {
    entries: Vec<(String, Option<i64>)>,
    next: usize,
}

thread_local! {
    static TIME_MEMO: std::cell::RefCell<TimeMemo> = std::cell::RefCell::default();
}

/// `metav1.Time` body: `Timestamp{seconds, nanos: 0}`, or nothing for the zero time.
struct Time<'a>(Option<&'a str>);

impl Proto for Time<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        let Some(t) = self.0 else { return };
        match parse_rfc3339_unix(t) {
            Some(GO_ZERO_TIME_UNIX) => {}
            Some(secs) => {
                int(s, 1, secs);
                int(s, 2, 0);
            }
            None => s.fail(format!("invalid RFC 3339 timestamp {t:?}")),
        }
    }
}

/// Non-pointer `metav1.Time`: always written (length 0 when zero/`None`).
fn time_val<S: Sink>(s: &mut S, field: u32, t: &Option<String>) {
    message(s, field, &Time(t.as_deref()));
}

/// `*metav1.Time`: written only when non-nil.
fn time_ptr<S: Sink>(s: &mut S, field: u32, t: &Option<String>) {
    if let Some(t) = t {
        message(s, field, &Time(Some(t)));
    }
}

// ---------------------------------------------------------------------------------------------
// meta/v1
// ---------------------------------------------------------------------------------------------

impl Proto for ObjectMeta {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
        string_val(s, 2, &self.generate_name);
        string_val(s, 3, &self.namespace);
        string_val(s, 4, &self.self_link);
        string_val(s, 5, &self.uid);
        string_val(s, 6, &self.resource_version);
        int64_val(s, 7, self.generation);
        time_val(s, 8, &self.creation_timestamp);
        time_ptr(s, 9, &self.deletion_timestamp);
        int64_ptr(s, 10, self.deletion_grace_period_seconds);
        string_map(s, 11, &self.labels);
        string_map(s, 12, &self.annotations);
        messages_opt(s, 13, &self.owner_references);
        strings_opt(s, 14, &self.finalizers);
        messages_opt(s, 17, &self.managed_fields);
    }
}

impl Proto for OwnerReference {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.kind);
        string(s, 3, &self.name);
        string(s, 4, &self.uid);
        string(s, 5, &self.api_version);
        bool_ptr(s, 6, self.controller);
        bool_ptr(s, 7, self.block_owner_deletion);
    }
}

/// `FieldsV1{1: Raw}`: the raw JSON text as stored.
struct FieldsV1<'a>(&'a str);

impl Proto for FieldsV1<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, self.0);
    }
}

impl Proto for ManagedFieldsEntry {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.manager);
        string_val(s, 2, &self.operation);
        string_val(s, 3, &self.api_version);
        time_ptr(s, 4, &self.time);
        string_val(s, 6, &self.fields_type);
        if let Some(raw) = &self.fields_v1 {
            message(s, 7, &FieldsV1(raw.get()));
        }
        string_val(s, 8, &self.subresource);
    }
}

impl Proto for Condition {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.type_);
        string(s, 2, &self.status);
        int64_val(s, 3, self.observed_generation);
        time_val(s, 4, &self.last_transition_time);
        string(s, 5, &self.reason);
        string(s, 6, &self.message);
    }
}

// ---------------------------------------------------------------------------------------------
// discovery/v1
// ---------------------------------------------------------------------------------------------

impl Proto for EndpointSlice {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        messages_opt(s, 2, &self.endpoints);
        messages_opt(s, 3, &self.ports);
        string(s, 4, &self.address_type);
    }
}

impl Proto for Endpoint {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.addresses);
        message(s, 2, &self.conditions);
        string_ptr(s, 3, &self.hostname);
        message_ptr(s, 4, &self.target_ref);
        string_map(s, 5, &self.deprecated_topology);
        string_ptr(s, 6, &self.node_name);
        string_ptr(s, 7, &self.zone);
        message_ptr(s, 8, &self.hints);
    }
}

impl Proto for EndpointConditions {
    fn encode<S: Sink>(&self, s: &mut S) {
        bool_ptr(s, 1, self.ready);
        bool_ptr(s, 2, self.serving);
        bool_ptr(s, 3, self.terminating);
    }
}

impl Proto for EndpointHints {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.for_zones);
        // k8s.io/api v0.33+ only (field 2); not part of 1.32.
        messages_opt(s, 2, &self.for_nodes);
    }
}

impl Proto for ForZone {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
    }
}

impl Proto for ForNode {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
    }
}

impl Proto for SlicePort {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_ptr(s, 1, &self.name);
        string_ptr(s, 2, &self.protocol);
        int32_ptr(s, 3, self.port);
        string_ptr(s, 4, &self.app_protocol);
    }
}

// ---------------------------------------------------------------------------------------------
// core/v1: ObjectReference, Endpoints
// ---------------------------------------------------------------------------------------------

impl Proto for ObjectReference {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.kind);
        string_val(s, 2, &self.namespace);
        string_val(s, 3, &self.name);
        string_val(s, 4, &self.uid);
        string_val(s, 5, &self.api_version);
        string_val(s, 6, &self.resource_version);
        string_val(s, 7, &self.field_path);
    }
}

impl Proto for Endpoints {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        messages_opt(s, 2, &self.subsets);
    }
}

impl Proto for EndpointSubset {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.addresses);
        messages_opt(s, 2, &self.not_ready_addresses);
        messages_opt(s, 3, &self.ports);
    }
}

/// A shared value encodes as the value; its length is measured once per allocation (see
/// [`crate::k8s::SharedValue`]; the value cannot change without forgetting it).
impl<T: Proto> Proto for crate::k8s::SharedValue<T> {
    fn encode<S: Sink>(&self, s: &mut S) {
        (**self).encode(s)
    }
    fn known_len(&self) -> Option<usize> {
        crate::k8s::SharedValue::known_len(self)
    }
    fn remember_len(&self, n: usize) {
        crate::k8s::SharedValue::remember_len(self, n)
    }
    fn proto_len(&self) -> Result<usize, String> {
        if let Some(n) = crate::k8s::SharedValue::known_len(self) {
            return Ok(n);
        }
        let n = (**self).proto_len()?;
        crate::k8s::SharedValue::remember_len(self, n);
        Ok(n)
    }
}

impl Proto for EndpointAddress {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.ip);
        message_ptr(s, 2, &self.target_ref);
        string_val(s, 3, &self.hostname);
        string_ptr(s, 4, &self.node_name);
    }
}

impl Proto for EndpointPort {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
        int(s, 2, i64::from(self.port));
        string_val(s, 3, &self.protocol);
        string_ptr(s, 4, &self.app_protocol);
    }
}

// ---------------------------------------------------------------------------------------------
// core/v1: Service
// ---------------------------------------------------------------------------------------------

impl Proto for Service {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        message(s, 2, &self.spec);
        message(s, 3, &self.status);
    }
}

impl Proto for ServiceSpec {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.ports);
        string_map(s, 2, &self.selector);
        string_val(s, 3, &self.cluster_ip);
        string_val(s, 4, &self.type_);
        strings_opt(s, 5, &self.external_ips);
        string_val(s, 7, &self.session_affinity);
        string_val(s, 8, &self.load_balancer_ip);
        strings_opt(s, 9, &self.load_balancer_source_ranges);
        string_val(s, 10, &self.external_name);
        string_val(s, 11, &self.external_traffic_policy);
        int32_val(s, 12, self.health_check_node_port);
        bool_val(s, 13, self.publish_not_ready_addresses);
        message_ptr(s, 14, &self.session_affinity_config);
        string_ptr(s, 17, &self.ip_family_policy);
        strings_opt(s, 18, &self.cluster_ips);
        strings_opt(s, 19, &self.ip_families);
        bool_ptr(s, 20, self.allocate_load_balancer_node_ports);
        string_ptr(s, 21, &self.load_balancer_class);
        string_ptr(s, 22, &self.internal_traffic_policy);
        string_ptr(s, 23, &self.traffic_distribution);
    }
}

impl Proto for ServicePort {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
        string_val(s, 2, &self.protocol);
        int(s, 3, i64::from(self.port));
        message(s, 4, &self.target_port);
        int32_val(s, 5, self.node_port);
        string_ptr(s, 6, &self.app_protocol);
    }
}

impl Proto for SessionAffinityConfig {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.client_ip);
    }
}

impl Proto for ClientIPConfig {
    fn encode<S: Sink>(&self, s: &mut S) {
        int32_ptr(s, 1, self.timeout_seconds);
    }
}

impl Proto for ServiceStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.load_balancer);
        messages_opt(s, 2, &self.conditions);
    }
}

impl Proto for LoadBalancerStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.ingress);
    }
}

impl Proto for LoadBalancerIngress {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.ip);
        string_val(s, 2, &self.hostname);
        string_ptr(s, 3, &self.ip_mode);
        messages_opt(s, 4, &self.ports);
    }
}

impl Proto for PortStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.port));
        string(s, 2, &self.protocol);
        string_ptr(s, 3, &self.error);
    }
}

// ---------------------------------------------------------------------------------------------
// core/v1: Pod
// ---------------------------------------------------------------------------------------------

impl Proto for Pod {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        message(s, 2, &self.spec);
        message(s, 3, &self.status);
    }
}

impl Proto for PodSpec {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.volumes);
        messages_opt(s, 2, &self.containers);
        string_val(s, 3, &self.restart_policy);
        int64_ptr(s, 4, self.termination_grace_period_seconds);
        int64_ptr(s, 5, self.active_deadline_seconds);
        string_val(s, 6, &self.dns_policy);
        string_map(s, 7, &self.node_selector);
        string_val(s, 8, &self.service_account_name);
        string_val(s, 9, &self.service_account);
        string_val(s, 10, &self.node_name);
        bool_val(s, 11, self.host_network);
        bool_val(s, 12, self.host_pid);
        bool_val(s, 13, self.host_ipc);
        message_ptr(s, 14, &self.security_context);
        messages_opt(s, 15, &self.image_pull_secrets);
        string_val(s, 16, &self.hostname);
        string_val(s, 17, &self.subdomain);
        message_ptr(s, 18, &self.affinity);
        string_val(s, 19, &self.scheduler_name);
        messages_opt(s, 20, &self.init_containers);
        bool_ptr(s, 21, self.automount_service_account_token);
        messages_opt(s, 22, &self.tolerations);
        messages_opt(s, 23, &self.host_aliases);
        string_val(s, 24, &self.priority_class_name);
        int32_ptr(s, 25, self.priority);
        message_ptr(s, 26, &self.dns_config);
        bool_ptr(s, 27, self.share_process_namespace);
        messages_opt(s, 28, &self.readiness_gates);
        string_ptr(s, 29, &self.runtime_class_name);
        bool_ptr(s, 30, self.enable_service_links);
        string_ptr(s, 31, &self.preemption_policy);
        resource_list(s, 32, &self.overhead);
        messages_opt(s, 33, &self.topology_spread_constraints);
        messages_opt(s, 34, &self.ephemeral_containers);
        bool_ptr(s, 35, self.set_hostname_as_fqdn);
        message_ptr(s, 36, &self.os);
        bool_ptr(s, 37, self.host_users);
        messages_opt(s, 38, &self.scheduling_gates);
        messages_opt(s, 39, &self.resource_claims);
        message_ptr(s, 40, &self.resources);
    }
}

impl Proto for Container {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string_val(s, 2, &self.image);
        strings_opt(s, 3, &self.command);
        strings_opt(s, 4, &self.args);
        string_val(s, 5, &self.working_dir);
        messages_opt(s, 6, &self.ports);
        messages_opt(s, 7, &self.env);
        message(s, 8, &self.resources);
        messages_opt(s, 9, &self.volume_mounts);
        message_ptr(s, 10, &self.liveness_probe);
        message_ptr(s, 11, &self.readiness_probe);
        message_ptr(s, 12, &self.lifecycle);
        string_val(s, 13, &self.termination_message_path);
        string_val(s, 14, &self.image_pull_policy);
        message_ptr(s, 15, &self.security_context);
        bool_val(s, 16, self.stdin);
        bool_val(s, 17, self.stdin_once);
        bool_val(s, 18, self.tty);
        messages_opt(s, 19, &self.env_from);
        string_val(s, 20, &self.termination_message_policy);
        messages_opt(s, 21, &self.volume_devices);
        message_ptr(s, 22, &self.startup_probe);
        messages_opt(s, 23, &self.resize_policy);
        string_ptr(s, 24, &self.restart_policy);
    }
}

impl Proto for EphemeralContainer {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.container);
        string_val(s, 2, &self.target_container_name);
    }
}

impl Proto for ContainerPort {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
        int32_val(s, 2, self.host_port);
        int(s, 3, i64::from(self.container_port));
        string_val(s, 4, &self.protocol);
        string_val(s, 5, &self.host_ip);
    }
}

impl Proto for EnvVar {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string_val(s, 2, &self.value);
        message_ptr(s, 3, &self.value_from);
    }
}

impl Proto for ResourceRequirements {
    fn encode<S: Sink>(&self, s: &mut S) {
        resource_list(s, 1, &self.limits);
        resource_list(s, 2, &self.requests);
        messages_opt(s, 3, &self.claims);
    }
}

impl Proto for ResourceClaim {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string_val(s, 2, &self.request);
    }
}

impl Proto for VolumeMount {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        bool_val(s, 2, self.read_only);
        string(s, 3, &self.mount_path);
        string_val(s, 4, &self.sub_path);
        string_ptr(s, 5, &self.mount_propagation);
        string_val(s, 6, &self.sub_path_expr);
        string_ptr(s, 7, &self.recursive_read_only);
    }
}

impl Proto for PodSecurityContext {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.se_linux_options);
        int64_ptr(s, 2, self.run_as_user);
        bool_ptr(s, 3, self.run_as_non_root);
        for g in self.supplemental_groups.iter().flatten() {
            int(s, 4, *g);
        }
        int64_ptr(s, 5, self.fs_group);
        int64_ptr(s, 6, self.run_as_group);
        messages_opt(s, 7, &self.sysctls);
        message_ptr(s, 8, &self.windows_options);
        string_ptr(s, 9, &self.fs_group_change_policy);
        message_ptr(s, 10, &self.seccomp_profile);
        message_ptr(s, 11, &self.app_armor_profile);
        string_ptr(s, 12, &self.supplemental_groups_policy);
        string_ptr(s, 13, &self.se_linux_change_policy);
    }
}

impl Proto for SELinuxOptions {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.user);
        string_val(s, 2, &self.role);
        string_val(s, 3, &self.type_);
        string_val(s, 4, &self.level);
    }
}

impl Proto for SeccompProfile {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.type_);
        string_ptr(s, 2, &self.localhost_profile);
    }
}

impl Proto for Sysctl {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string(s, 2, &self.value);
    }
}

impl Proto for LocalObjectReference {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
    }
}

impl Proto for Toleration {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.key);
        string_val(s, 2, &self.operator);
        string_val(s, 3, &self.value);
        string_val(s, 4, &self.effect);
        int64_ptr(s, 5, self.toleration_seconds);
    }
}

impl Proto for HostAlias {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.ip);
        strings_opt(s, 2, &self.hostnames);
    }
}

impl Proto for PodReadinessGate {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.condition_type);
    }
}

impl Proto for PodOS {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
    }
}

impl Proto for PodSchedulingGate {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
    }
}

impl Proto for PodStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.phase);
        messages_opt(s, 2, &self.conditions);
        string_val(s, 3, &self.message);
        string_val(s, 4, &self.reason);
        string_val(s, 5, &self.host_ip);
        string_val(s, 6, &self.pod_ip);
        time_ptr(s, 7, &self.start_time);
        messages_opt(s, 8, &self.container_statuses);
        string_val(s, 9, &self.qos_class);
        messages_opt(s, 10, &self.init_container_statuses);
        string_val(s, 11, &self.nominated_node_name);
        messages_opt(s, 12, &self.pod_ips);
        messages_opt(s, 13, &self.ephemeral_container_statuses);
        string_val(s, 14, &self.resize);
        messages_opt(s, 15, &self.resource_claim_statuses);
        messages_opt(s, 16, &self.host_ips);
    }
}

impl Proto for PodCondition {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.type_);
        string(s, 2, &self.status);
        time_val(s, 3, &self.last_probe_time);
        time_val(s, 4, &self.last_transition_time);
        string_val(s, 5, &self.reason);
        string_val(s, 6, &self.message);
    }
}

impl Proto for PodIP {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.ip);
    }
}

impl Proto for HostIP {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.ip);
    }
}

impl Proto for ContainerStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        message(s, 2, &self.state);
        message(s, 3, &self.last_termination_state);
        boolean(s, 4, self.ready);
        int(s, 5, i64::from(self.restart_count));
        string(s, 6, &self.image);
        string(s, 7, &self.image_id);
        string_val(s, 8, &self.container_id);
        bool_ptr(s, 9, self.started);
        resource_list(s, 10, &self.allocated_resources);
        message_ptr(s, 11, &self.resources);
        messages_opt(s, 12, &self.volume_mounts);
        message_ptr(s, 13, &self.user);
        messages_opt(s, 14, &self.allocated_resources_status);
    }
}

impl Proto for ContainerState {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.waiting);
        message_ptr(s, 2, &self.running);
        message_ptr(s, 3, &self.terminated);
    }
}

impl Proto for ContainerStateWaiting {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.reason);
        string_val(s, 2, &self.message);
    }
}

impl Proto for ContainerStateRunning {
    fn encode<S: Sink>(&self, s: &mut S) {
        time_val(s, 1, &self.started_at);
    }
}

impl Proto for ContainerStateTerminated {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.exit_code));
        int32_val(s, 2, self.signal);
        string_val(s, 3, &self.reason);
        string_val(s, 4, &self.message);
        time_val(s, 5, &self.started_at);
        time_val(s, 6, &self.finished_at);
        string_val(s, 7, &self.container_id);
    }
}

impl Proto for VolumeMountStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string(s, 2, &self.mount_path);
        bool_val(s, 3, self.read_only);
        string_ptr(s, 4, &self.recursive_read_only);
    }
}

impl Proto for ContainerUser {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.linux);
    }
}

impl Proto for LinuxContainerUser {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, self.uid);
        int(s, 2, self.gid);
        for g in self.supplemental_groups.iter().flatten() {
            int(s, 3, *g);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// core/v1: Pod sub-types (crate::k8s::pod)
// ---------------------------------------------------------------------------------------------

/// `LocalObjectReference{1: name}` embedded inline in JSON but nested in protobuf.
struct LocalRef<'a>(&'a Option<String>);

impl Proto for LocalRef<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, self.0);
    }
}

/// The inline `VolumeSource` of a [`Volume`] (field 2 of `Volume`).
struct VolumeSourceOf<'a>(&'a Volume);

impl Proto for VolumeSourceOf<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        let v = self.0;
        message_ptr(s, 1, &v.host_path);
        message_ptr(s, 2, &v.empty_dir);
        message_ptr(s, 6, &v.secret);
        message_ptr(s, 7, &v.nfs);
        message_ptr(s, 10, &v.persistent_volume_claim);
        message_ptr(s, 16, &v.downward_api);
        message_ptr(s, 19, &v.config_map);
        message_ptr(s, 26, &v.projected);
        message_ptr(s, 28, &v.csi);
        message_ptr(s, 29, &v.ephemeral);
        message_ptr(s, 30, &v.image);
    }
}

impl Proto for Volume {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        message(s, 2, &VolumeSourceOf(self));
    }
}

impl Proto for NFSVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.server);
        string(s, 2, &self.path);
        bool_val(s, 3, self.read_only);
    }
}

impl Proto for CSIVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.driver);
        bool_ptr(s, 2, self.read_only);
        string_ptr(s, 3, &self.fs_type);
        string_map(s, 4, &self.volume_attributes);
        message_ptr(s, 5, &self.node_publish_secret_ref);
    }
}

impl Proto for ImageVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.reference);
        string_val(s, 2, &self.pull_policy);
    }
}

impl Proto for EphemeralVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.volume_claim_template);
    }
}

impl Proto for PersistentVolumeClaimTemplate {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        message(s, 2, &self.spec);
    }
}

impl Proto for PersistentVolumeClaimSpec {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.access_modes);
        message(s, 2, &self.resources);
        string_val(s, 3, &self.volume_name);
        message_ptr(s, 4, &self.selector);
        string_ptr(s, 5, &self.storage_class_name);
        string_ptr(s, 6, &self.volume_mode);
        message_ptr(s, 7, &self.data_source);
        message_ptr(s, 8, &self.data_source_ref);
        string_ptr(s, 9, &self.volume_attributes_class_name);
    }
}

impl Proto for VolumeResourceRequirements {
    fn encode<S: Sink>(&self, s: &mut S) {
        resource_list(s, 1, &self.limits);
        resource_list(s, 2, &self.requests);
    }
}

impl Proto for TypedObjectReference {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_ptr(s, 1, &self.api_group);
        string(s, 2, &self.kind);
        string(s, 3, &self.name);
        string_ptr(s, 4, &self.namespace);
    }
}

impl Proto for HostPathVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.path);
        string_ptr(s, 2, &self.type_);
    }
}

impl Proto for EmptyDirVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.medium);
        message_ptr(s, 2, &self.size_limit);
    }
}

impl Proto for SecretVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.secret_name);
        messages_opt(s, 2, &self.items);
        int32_ptr(s, 3, self.default_mode);
        bool_ptr(s, 4, self.optional);
    }
}

impl Proto for PersistentVolumeClaimVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.claim_name);
        bool_val(s, 2, self.read_only);
    }
}

impl Proto for DownwardAPIVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.items);
        int32_ptr(s, 2, self.default_mode);
    }
}

impl Proto for ConfigMapVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &LocalRef(&self.name));
        messages_opt(s, 2, &self.items);
        int32_ptr(s, 3, self.default_mode);
        bool_ptr(s, 4, self.optional);
    }
}

impl Proto for ProjectedVolumeSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.sources);
        int32_ptr(s, 2, self.default_mode);
    }
}

impl Proto for VolumeProjection {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.secret);
        message_ptr(s, 2, &self.downward_api);
        message_ptr(s, 3, &self.config_map);
        message_ptr(s, 4, &self.service_account_token);
        message_ptr(s, 5, &self.cluster_trust_bundle);
    }
}

impl Proto for SecretProjection {
    /// Also `ConfigMapProjection` (same fields and numbers; field 3 is unused in both).
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &LocalRef(&self.name));
        messages_opt(s, 2, &self.items);
        bool_ptr(s, 4, self.optional);
    }
}

impl Proto for DownwardAPIProjection {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.items);
    }
}

impl Proto for ServiceAccountTokenProjection {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.audience);
        int64_ptr(s, 2, self.expiration_seconds);
        string(s, 3, &self.path);
    }
}

impl Proto for KeyToPath {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.key);
        string(s, 2, &self.path);
        int32_ptr(s, 3, self.mode);
    }
}

impl Proto for DownwardAPIVolumeFile {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.path);
        message_ptr(s, 2, &self.field_ref);
        message_ptr(s, 3, &self.resource_field_ref);
        int32_ptr(s, 4, self.mode);
    }
}

impl Proto for ObjectFieldSelector {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.api_version);
        string(s, 2, &self.field_path);
    }
}

impl Proto for ResourceFieldSelector {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.container_name);
        string(s, 2, &self.resource);
        // Non-pointer Quantity: always written; the zero Quantity's String() is "0".
        let zero = Quantity("0".into());
        message(s, 3, self.divisor.as_ref().unwrap_or(&zero));
    }
}

impl Proto for EnvVarSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.field_ref);
        message_ptr(s, 2, &self.resource_field_ref);
        message_ptr(s, 3, &self.config_map_key_ref);
        message_ptr(s, 4, &self.secret_key_ref);
    }
}

impl Proto for KeySelector {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &LocalRef(&self.name));
        string(s, 2, &self.key);
        bool_ptr(s, 3, self.optional);
    }
}

impl Proto for EnvFromSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.prefix);
        message_ptr(s, 2, &self.config_map_ref);
        message_ptr(s, 3, &self.secret_ref);
    }
}

impl Proto for EnvSourceRef {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &LocalRef(&self.name));
        bool_ptr(s, 2, self.optional);
    }
}

/// The inline `ProbeHandler` of a [`Probe`] (field 1 of `Probe`).
struct ProbeHandlerOf<'a>(&'a Probe);

impl Proto for ProbeHandlerOf<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        let p = self.0;
        message_ptr(s, 1, &p.exec);
        message_ptr(s, 2, &p.http_get);
        message_ptr(s, 3, &p.tcp_socket);
        message_ptr(s, 4, &p.grpc);
    }
}

impl Proto for Probe {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &ProbeHandlerOf(self));
        int32_val(s, 2, self.initial_delay_seconds);
        int32_val(s, 3, self.timeout_seconds);
        int32_val(s, 4, self.period_seconds);
        int32_val(s, 5, self.success_threshold);
        int32_val(s, 6, self.failure_threshold);
        int64_ptr(s, 7, self.termination_grace_period_seconds);
    }
}

impl Proto for ExecAction {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.command);
    }
}

impl Proto for HTTPGetAction {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.path);
        message(s, 2, &self.port);
        string_val(s, 3, &self.host);
        string_val(s, 4, &self.scheme);
        messages_opt(s, 5, &self.http_headers);
    }
}

impl Proto for HTTPHeader {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string(s, 2, &self.value);
    }
}

impl Proto for TCPSocketAction {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.port);
        string_val(s, 2, &self.host);
    }
}

impl Proto for GRPCAction {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.port));
        string_ptr(s, 2, &self.service);
    }
}

impl Proto for Lifecycle {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.post_start);
        message_ptr(s, 2, &self.pre_stop);
    }
}

impl Proto for LifecycleHandler {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.exec);
        message_ptr(s, 2, &self.http_get);
        message_ptr(s, 3, &self.tcp_socket);
        message_ptr(s, 4, &self.sleep);
    }
}

impl Proto for SleepAction {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, self.seconds);
    }
}

impl Proto for SecurityContext {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.capabilities);
        bool_ptr(s, 2, self.privileged);
        message_ptr(s, 3, &self.se_linux_options);
        int64_ptr(s, 4, self.run_as_user);
        bool_ptr(s, 5, self.run_as_non_root);
        bool_ptr(s, 6, self.read_only_root_filesystem);
        bool_ptr(s, 7, self.allow_privilege_escalation);
        int64_ptr(s, 8, self.run_as_group);
        string_ptr(s, 9, &self.proc_mount);
        message_ptr(s, 10, &self.windows_options);
        message_ptr(s, 11, &self.seccomp_profile);
        message_ptr(s, 12, &self.app_armor_profile);
    }
}

impl Proto for Capabilities {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.add);
        strings_opt(s, 2, &self.drop);
    }
}

impl Proto for WindowsSecurityContextOptions {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_ptr(s, 1, &self.gmsa_credential_spec_name);
        string_ptr(s, 2, &self.gmsa_credential_spec);
        string_ptr(s, 3, &self.run_as_user_name);
        bool_ptr(s, 4, self.host_process);
    }
}

impl Proto for ContainerResizePolicy {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.resource_name);
        string(s, 2, &self.restart_policy);
    }
}

impl Proto for Affinity {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.node_affinity);
        message_ptr(s, 2, &self.pod_affinity);
        message_ptr(s, 3, &self.pod_anti_affinity);
    }
}

impl Proto for NodeAffinity {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(
            s,
            1,
            &self.required_during_scheduling_ignored_during_execution,
        );
        messages_opt(
            s,
            2,
            &self.preferred_during_scheduling_ignored_during_execution,
        );
    }
}

impl Proto for NodeSelector {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.node_selector_terms);
    }
}

impl Proto for NodeSelectorTerm {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(s, 1, &self.match_expressions);
        messages_opt(s, 2, &self.match_fields);
    }
}

impl Proto for SelectorRequirement {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.key);
        string(s, 2, &self.operator);
        strings_opt(s, 3, &self.values);
    }
}

impl Proto for PreferredSchedulingTerm {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.weight));
        message(s, 2, &self.preference);
    }
}

impl Proto for PodAffinity {
    fn encode<S: Sink>(&self, s: &mut S) {
        messages_opt(
            s,
            1,
            &self.required_during_scheduling_ignored_during_execution,
        );
        messages_opt(
            s,
            2,
            &self.preferred_during_scheduling_ignored_during_execution,
        );
    }
}

impl Proto for PodAffinityTerm {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.label_selector);
        strings_opt(s, 2, &self.namespaces);
        string(s, 3, &self.topology_key);
        message_ptr(s, 4, &self.namespace_selector);
        strings_opt(s, 5, &self.match_label_keys);
        strings_opt(s, 6, &self.mismatch_label_keys);
    }
}

impl Proto for WeightedPodAffinityTerm {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.weight));
        message(s, 2, &self.pod_affinity_term);
    }
}

impl Proto for LabelSelector {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_map(s, 1, &self.match_labels);
        messages_opt(s, 2, &self.match_expressions);
    }
}

impl Proto for TopologySpreadConstraint {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.max_skew));
        string(s, 2, &self.topology_key);
        string(s, 3, &self.when_unsatisfiable);
        message_ptr(s, 4, &self.label_selector);
        int32_ptr(s, 5, self.min_domains);
        string_ptr(s, 6, &self.node_affinity_policy);
        string_ptr(s, 7, &self.node_taints_policy);
        strings_opt(s, 8, &self.match_label_keys);
    }
}

impl Proto for PodDNSConfig {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.nameservers);
        strings_opt(s, 2, &self.searches);
        messages_opt(s, 3, &self.options);
    }
}

impl Proto for PodDNSConfigOption {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.name);
        string_ptr(s, 2, &self.value);
    }
}

impl Proto for ClusterTrustBundleProjection {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_ptr(s, 1, &self.name);
        string_ptr(s, 2, &self.signer_name);
        message_ptr(s, 3, &self.label_selector);
        string(s, 4, &self.path);
        bool_ptr(s, 5, self.optional);
    }
}

impl Proto for VolumeDevice {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string(s, 2, &self.device_path);
    }
}

impl Proto for PodResourceClaim {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string_ptr(s, 3, &self.resource_claim_name);
        string_ptr(s, 4, &self.resource_claim_template_name);
    }
}

impl Proto for PodResourceClaimStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string_ptr(s, 2, &self.resource_claim_name);
    }
}

impl Proto for ResourceStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        messages_opt(s, 2, &self.resources);
    }
}

impl Proto for ResourceHealth {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.resource_id);
        string_val(s, 2, &self.health);
    }
}

// ---------------------------------------------------------------------------------------------
// core/v1: Node
// ---------------------------------------------------------------------------------------------

impl Proto for Node {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.metadata);
        message(s, 2, &self.spec);
        message(s, 3, &self.status);
    }
}

impl Proto for NodeSpec {
    fn encode<S: Sink>(&self, s: &mut S) {
        string_val(s, 1, &self.pod_cidr);
        string_val(s, 2, &self.external_id);
        string_val(s, 3, &self.provider_id);
        bool_val(s, 4, self.unschedulable);
        messages_opt(s, 5, &self.taints);
        message_ptr(s, 6, &self.config_source);
        strings_opt(s, 7, &self.pod_cidrs);
    }
}

impl Proto for Taint {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.key);
        string_val(s, 2, &self.value);
        string(s, 3, &self.effect);
        time_ptr(s, 4, &self.time_added);
    }
}

impl Proto for NodeConfigSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 2, &self.config_map);
    }
}

impl Proto for ConfigMapNodeConfigSource {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.namespace);
        string(s, 2, &self.name);
        string_val(s, 3, &self.uid);
        string_val(s, 4, &self.resource_version);
        string(s, 5, &self.kubelet_config_key);
    }
}

impl Proto for NodeStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        resource_list(s, 1, &self.capacity);
        resource_list(s, 2, &self.allocatable);
        string_val(s, 3, &self.phase);
        messages_opt(s, 4, &self.conditions);
        messages_opt(s, 5, &self.addresses);
        message(s, 6, &self.daemon_endpoints);
        message(s, 7, &self.node_info);
        messages_opt(s, 8, &self.images);
        strings_opt(s, 9, &self.volumes_in_use);
        messages_opt(s, 10, &self.volumes_attached);
        message_ptr(s, 11, &self.config);
        messages_opt(s, 12, &self.runtime_handlers);
        message_ptr(s, 13, &self.features);
    }
}

impl Proto for NodeConfigStatus {
    fn encode<S: Sink>(&self, s: &mut S) {
        message_ptr(s, 1, &self.assigned);
        message_ptr(s, 2, &self.active);
        message_ptr(s, 3, &self.last_known_good);
        string_val(s, 4, &self.error);
    }
}

impl Proto for NodeRuntimeHandler {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        message_ptr(s, 2, &self.features);
    }
}

impl Proto for NodeRuntimeHandlerFeatures {
    fn encode<S: Sink>(&self, s: &mut S) {
        bool_ptr(s, 1, self.recursive_read_only_mounts);
        bool_ptr(s, 2, self.user_namespaces);
    }
}

impl Proto for NodeFeatures {
    fn encode<S: Sink>(&self, s: &mut S) {
        bool_ptr(s, 1, self.supplemental_groups_policy);
    }
}

impl Proto for NodeCondition {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.type_);
        string(s, 2, &self.status);
        time_val(s, 3, &self.last_heartbeat_time);
        time_val(s, 4, &self.last_transition_time);
        string_val(s, 5, &self.reason);
        string_val(s, 6, &self.message);
    }
}

impl Proto for NodeAddress {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.type_);
        string(s, 2, &self.address);
    }
}

impl Proto for NodeDaemonEndpoints {
    fn encode<S: Sink>(&self, s: &mut S) {
        message(s, 1, &self.kubelet_endpoint);
    }
}

impl Proto for DaemonEndpoint {
    fn encode<S: Sink>(&self, s: &mut S) {
        int(s, 1, i64::from(self.port));
    }
}

impl Proto for NodeSystemInfo {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.machine_id);
        string(s, 2, &self.system_uuid);
        string(s, 3, &self.boot_id);
        string(s, 4, &self.kernel_version);
        string(s, 5, &self.os_image);
        string(s, 6, &self.container_runtime_version);
        string(s, 7, &self.kubelet_version);
        string(s, 8, &self.kube_proxy_version);
        string(s, 9, &self.operating_system);
        string(s, 10, &self.architecture);
    }
}

impl Proto for ContainerImage {
    fn encode<S: Sink>(&self, s: &mut S) {
        strings_opt(s, 1, &self.names);
        int64_val(s, 2, self.size_bytes);
    }
}

impl Proto for AttachedVolume {
    fn encode<S: Sink>(&self, s: &mut S) {
        string(s, 1, &self.name);
        string(s, 2, &self.device_path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::discovery::Endpoint;

    fn bytes_of<M: Proto>(m: &M) -> Vec<u8> {
        let b = m.proto_bytes().unwrap();
        assert_eq!(b.len(), m.proto_len().unwrap(), "size and bytes disagree");
        b
    }

    /// Base-128 varint lengths (encodeVarintGenerated / sovGenerated).
    #[test]
    fn varint_sizes() {
        for (v, n) in [
            (0u64, 1),
            (1, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            (2_097_151, 3),
            (2_097_152, 4),
            (u64::from(u32::MAX), 5),
            (u64::MAX, 10),
        ] {
            assert_eq!(varint_len(v), n, "{v}");
            let mut w = Writer::default();
            varint(&mut w, v);
            assert_eq!(w.buf.len(), n);
        }
        let mut w = Writer::default();
        varint(&mut w, 300);
        assert_eq!(w.buf, [0xac, 0x02]);
    }

    /// gogo: a negative int32 is written as uint64(int64(v)): 10 bytes.
    #[test]
    fn negative_int32_is_sign_extended() {
        let p = SlicePort {
            port: Some(-1),
            ..Default::default()
        };
        assert_eq!(
            bytes_of(&p),
            [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
    }

    /// gogo always-emit rules: non-pointer strings/ints/bools and embedded structs are written
    /// even when zero; pointers only when non-nil (core/v1 EndpointPort, discovery/v1 Endpoint).
    #[test]
    fn always_emit_value_fields() {
        // core/v1.EndpointPort{}: name "" (1), port 0 (2), protocol "" (3); appProtocol nil.
        assert_eq!(
            bytes_of(&EndpointPort::default()),
            [0x0a, 0x00, 0x10, 0x00, 0x1a, 0x00]
        );
        // discovery/v1.EndpointPort{}: all pointers -> empty message.
        assert!(bytes_of(&SlicePort::default()).is_empty());
        // Pointer set to the zero value is written.
        let p = SlicePort {
            name: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(bytes_of(&p), [0x0a, 0x00]);
        // discovery/v1.Endpoint{}: conditions (2) always written with length 0.
        assert_eq!(bytes_of(&Endpoint::default()), [0x12, 0x00]);
        // EndpointConditions bools are pointers: false is written, nil is not.
        let c = EndpointConditions {
            ready: Some(false),
            serving: None,
            terminating: Some(true),
        };
        assert_eq!(bytes_of(&c), [0x08, 0x00, 0x18, 0x01]);
    }

    /// ObjectMeta{}: strings 1-6 empty, generation 0, creationTimestamp zero -> length 0.
    #[test]
    fn empty_object_meta() {
        let b = bytes_of(&ObjectMeta::default());
        assert_eq!(
            b,
            [0x0a, 0, 0x12, 0, 0x1a, 0, 0x22, 0, 0x2a, 0, 0x32, 0, 0x38, 0, 0x42, 0]
        );
    }

    /// Maps: entries {1: key, 2: value} in sorted key order; field 17 uses a 2-byte tag.
    #[test]
    fn maps_sorted_and_two_byte_tags() {
        let mut m = ObjectMeta::default();
        let labels: BTreeMap<String, String> = [("b", "2"), ("a", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        m.labels = Some(labels);
        let b = bytes_of(&m);
        let tail = &b[16..];
        assert_eq!(
            tail,
            [0x5a, 6, 0x0a, 1, b'a', 0x12, 1, b'1', 0x5a, 6, 0x0a, 1, b'b', 0x12, 1, b'2']
        );
        m.labels = None;
        m.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
        let b = bytes_of(&m);
        // ManagedFieldsEntry{}: manager, operation, apiVersion, fieldsType, subresource (2 each).
        assert_eq!(
            &b[16..],
            [0x8a, 0x01, 10, 0x0a, 0, 0x12, 0, 0x1a, 0, 0x32, 0, 0x42, 0]
        );
    }

    /// metav1.Time: Timestamp{seconds, nanos=0} both written; Go's zero time -> 0 bytes.
    #[test]
    fn time_encoding() {
        let t = Time(Some("2026-01-05T09:00:00Z"));
        let secs = 1_767_603_600u64;
        let mut expect = vec![0x08];
        let mut w = Writer::default();
        varint(&mut w, secs);
        expect.extend_from_slice(&w.buf);
        expect.extend_from_slice(&[0x10, 0x00]);
        assert_eq!(bytes_of(&t), expect);
        assert!(bytes_of(&Time(None)).is_empty());
        assert!(bytes_of(&Time(Some("0001-01-01T00:00:00Z"))).is_empty());
        assert!(Time(Some("not a time")).proto_len().is_err());
    }

    #[test]
    fn rfc3339_parsing() {
        assert_eq!(parse_rfc3339_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_unix("2026-01-05T09:00:00Z"),
            Some(1_767_603_600)
        );
        // Fractions are dropped (ProtoTime keeps whole seconds), offsets applied.
        assert_eq!(
            parse_rfc3339_unix("2026-01-05T08:59:58.123456789Z"),
            Some(1_767_603_598)
        );
        assert_eq!(
            parse_rfc3339_unix("2026-01-05T10:00:00+01:00"),
            Some(1_767_603_600)
        );
        assert_eq!(
            parse_rfc3339_unix("2024-02-29T00:00:00Z"),
            Some(1_709_164_800)
        );
        assert_eq!(
            parse_rfc3339_unix("0001-01-01T00:00:00Z"),
            Some(GO_ZERO_TIME_UNIX)
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-01-05 09:00:00Z",
            "2026-01-05T09:00:00",
            "x",
        ] {
            assert_eq!(parse_rfc3339_unix(bad), None, "{bad}");
        }
    }

    /// The memo answers as the parser does, through hits, misses and replacements (more texts
    /// than it holds, revisited in another order, valid and invalid ones mixed).
    #[test]
    fn rfc3339_memo_answers_as_the_parser() {
        let texts: Vec<String> = (0..11)
            .map(|i| match i % 3 {
                0 => format!("2026-01-05T09:00:{i:02}Z"),
                1 => format!("2026-01-05T09:{i:02}:00.5+01:00"),
                _ => format!("2026-02-{:02}T00:00:00Z", 27 + i % 4),
            })
            .collect();
        for round in 0..3 {
            for k in 0..texts.len() * 2 {
                let t = &texts[(k * (round + 3)) % texts.len()];
                assert_eq!(
                    parse_rfc3339_unix(t),
                    Timestamp::parse(t).map(|x| x.secs),
                    "{t}"
                );
            }
        }
    }

    /// intstr.IntOrString: {type, intVal, strVal} always written.
    #[test]
    fn int_or_string() {
        assert_eq!(
            bytes_of(&IntOrString::Int(80)),
            [0x08, 0, 0x10, 80, 0x1a, 0]
        );
        assert_eq!(
            bytes_of(&IntOrString::String("http".into())),
            [0x08, 1, 0x10, 0, 0x1a, 4, b'h', b't', b't', b'p']
        );
    }

    /// Node: daemonEndpoints and nodeInfo are embedded values, always written.
    #[test]
    fn node_always_writes_embedded_status_structs() {
        let b = bytes_of(&NodeStatus::default());
        // phase "" (3), daemonEndpoints (6) {kubeletEndpoint (1) {Port 0}}, nodeInfo (7) 10 x "".
        assert_eq!(&b[..8], [0x1a, 0, 0x32, 4, 0x0a, 2, 0x08, 0]);
        assert_eq!(&b[8..10], [0x3a, 20]);
        assert_eq!(b.len(), 30);
    }
}
