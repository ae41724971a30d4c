//! kube-apiserver audit logs (`audit.k8s.io/v1` `Event`s, one JSON object per line as the log
//! backend writes them, or an `EventList` as the webhook backend sends them): the writes a real
//! cluster made to EndpointSlices and Endpoints, per Service, to put beside the replay.
//!
//! Told apart by content: an object with `auditID` and `stage`, or `apiVersion`
//! `audit.k8s.io/...`. Only `ResponseComplete` (and `Panic`) stages count: one request is
//! logged once per stage. Kept per write: time (`requestReceivedTimestamp`), verb, resource,
//! namespace, Service, response code and user: a few dozen bytes, whatever the log's size.
//!
//! The Service of a write: the `kubernetes.io/service-name` label of the request or response
//! object (audit level Request / RequestResponse); else, for an Endpoints object, its name;
//! else the slice's name looked up among the snapshot's and the stream's slices; else the
//! slice's `generateName` (`<service>-`) or its name less the generated 5-character suffix.

use std::collections::BTreeMap;

use serde_json::Value;

use super::read::Item;
use super::snapshot::{FieldError, LABEL_SERVICE_NAME};
use super::stream::Ms;
use crate::k8s::time::Timestamp;

/// Is this input object an audit event?
pub fn is_audit(v: &Value) -> bool {
    (v.get("auditID").is_some() && v.get("stage").is_some())
        || v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("audit.k8s.io/"))
}

/// EndpointSlices or Endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Res {
    Slices,
    Endpoints,
}

/// How a write's Service was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attribution {
    Label,
    EndpointsName,
    KnownSlice,
    GenerateName,
    NameSuffix,
    Unknown,
}

impl Attribution {
    pub fn describe(self) -> &'static str {
        match self {
            Attribution::Label => "the object's kubernetes.io/service-name label",
            Attribution::EndpointsName => "the Endpoints object's name",
            Attribution::KnownSlice => "a slice of the snapshot or stream with that name",
            Attribution::GenerateName => "the slice's generateName",
            Attribution::NameSuffix => "the slice's name less its 5-character suffix",
            Attribution::Unknown => "not found",
        }
    }
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub at_ms: Ms,
    pub res: Res,
    /// create / update / patch / delete / deletecollection.
    pub verb: String,
    pub namespace: String,
    /// The object's name (empty for a create by generateName at Metadata level).
    pub name: String,
    /// Slices: the generateName or the label, before attribution.
    hint: Option<(String, Attribution)>,
    pub service: Option<String>,
    pub attribution: Attribution,
    pub code: Option<u16>,
    pub user: String,
}

impl Write {
    pub fn ok(&self) -> bool {
        self.code.map_or(true, |c| (200..300).contains(&c))
    }
}

/// What the audit inputs held.
#[derive(Debug, Default)]
pub struct AuditLog {
    pub writes: Vec<Write>,
    /// Audit events read (every stage, every resource).
    pub events: usize,
    /// Events of other stages than ResponseComplete / Panic.
    pub other_stages: usize,
    /// Events about other resources or read verbs.
    pub other: usize,
}

const WRITE_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut x = v;
    for p in path {
        x = x.get(p)?;
    }
    x.as_str()
}

fn ms(t: &str) -> Option<Ms> {
    let t = Timestamp::parse(t)?;
    Some(t.secs * 1000 + i64::from(t.nanos / 1_000_000))
}

impl AuditLog {
    /// Take one audit event.
    pub fn add(&mut self, item: &Item) -> Result<(), FieldError> {
        let v = &item.value;
        self.events += 1;
        let at = |what: &str, val: &Value, allowed: &str| {
            let mut shown = val.to_string();
            shown.truncate(80);
            FieldError(format!(
                "{}: object {} (audit Event {}): field {what}: {shown}: expected {allowed}",
                item.file,
                item.index,
                s(v, &["auditID"]).unwrap_or("<no auditID>")
            ))
        };
        let stage = s(v, &["stage"]).unwrap_or("");
        if stage != "ResponseComplete" && stage != "Panic" {
            self.other_stages += 1;
            return Ok(());
        }
        let verb = s(v, &["verb"]).unwrap_or("");
        let resource = s(v, &["objectRef", "resource"]).unwrap_or("");
        let subresource = s(v, &["objectRef", "subresource"]).unwrap_or("");
        let res = match resource {
            "endpointslices" => Res::Slices,
            "endpoints" => Res::Endpoints,
            _ => {
                self.other += 1;
                return Ok(());
            }
        };
        if !WRITE_VERBS.contains(&verb) || !subresource.is_empty() {
            self.other += 1;
            return Ok(());
        }
        let when = v
            .get("requestReceivedTimestamp")
            .or_else(|| v.get("stageTimestamp"))
            .unwrap_or(&Value::Null);
        let at_ms = when.as_str().and_then(ms).ok_or_else(|| {
            at(
                "requestReceivedTimestamp",
                when,
                "an RFC 3339 time (e.g. \"2024-05-01T10:00:00.123456Z\")",
            )
        })?;
        let code = match v.get("responseStatus").and_then(|r| r.get("code")) {
            None | Some(Value::Null) => None,
            Some(c) => Some(
                c.as_u64()
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or_else(|| at("responseStatus.code", c, "an HTTP status code"))?,
            ),
        };
        let namespace = s(v, &["objectRef", "namespace"]).unwrap_or("").to_string();
        let name = s(v, &["objectRef", "name"]).unwrap_or("").to_string();
        let label = ["requestObject", "responseObject"]
            .iter()
            .find_map(|o| s(v, &[o, "metadata", "labels", LABEL_SERVICE_NAME]).map(str::to_string));
        let hint = match (res, label) {
            (_, Some(l)) => Some((l, Attribution::Label)),
            (Res::Endpoints, None) => Some((name.clone(), Attribution::EndpointsName)),
            (Res::Slices, None) => ["requestObject", "responseObject"]
                .iter()
                .find_map(|o| s(v, &[o, "metadata", "generateName"]))
                .and_then(|g| g.strip_suffix('-'))
                .map(|g| (g.to_string(), Attribution::GenerateName)),
        };
        let name = if name.is_empty() {
            s(v, &["responseObject", "metadata", "name"])
                .unwrap_or("")
                .to_string()
        } else {
            name
        };
        self.writes.push(Write {
            at_ms,
            res,
            verb: verb.to_string(),
            namespace,
            name,
            hint,
            service: None,
            attribution: Attribution::Unknown,
            code,
            user: s(v, &["user", "username"]).unwrap_or("").to_string(),
        });
        Ok(())
    }

    /// Find each write's Service; `slice_service(namespace, name)` knows the slices the inputs
    /// show. Writes end in time order.
    pub fn attribute(&mut self, slice_service: &dyn Fn(&str, &str) -> Option<String>) {
        for w in &mut self.writes {
            let (svc, how) = match w.hint.take() {
                Some((s, a)) if a != Attribution::GenerateName => (Some(s), a),
                hint => match slice_service(&w.namespace, &w.name) {
                    Some(s) => (Some(s), Attribution::KnownSlice),
                    None => match hint {
                        Some((s, a)) => (Some(s), a),
                        None => match strip_generated(&w.name) {
                            Some(s) => (Some(s.to_string()), Attribution::NameSuffix),
                            None => (None, Attribution::Unknown),
                        },
                    },
                },
            };
            w.service = svc;
            w.attribution = how;
        }
        self.writes.sort_by_key(|w| w.at_ms);
    }

    /// Writes per attribution rule.
    pub fn attributions(&self) -> BTreeMap<Attribution, usize> {
        let mut m = BTreeMap::new();
        for w in &self.writes {
            *m.entry(w.attribution).or_default() += 1;
        }
        m
    }
}

/// `<service>-<5 characters>` (apiserver `generateName`: names.SimpleNameGenerator appends 5
/// random alphanumerics) → `<service>`.
fn strip_generated(name: &str) -> Option<&str> {
    let (base, suffix) = name.rsplit_once('-')?;
    (suffix.len() == 5 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) && !base.is_empty())
        .then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        Item {
            file: "audit.log".into(),
            index: 7,
            list_kind: None,
            event: None,
            in_list: false,
            value: v,
        }
    }

    #[test]
    fn writes_are_kept_and_attributed() {
        let mut a = AuditLog::default();
        let base = json!({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",
            "auditID":"1","stage":"ResponseComplete","verb":"update",
            "objectRef":{"resource":"endpointslices","namespace":"shop","name":"web-abcde","apiGroup":"discovery.k8s.io","apiVersion":"v1"},
            "responseStatus":{"metadata":{},"code":200},
            "requestReceivedTimestamp":"2024-05-01T10:00:00.250000Z",
            "user":{"username":"system:serviceaccount:kube-system:endpointslice-controller"}});
        assert!(is_audit(&base));
        a.add(&item(base.clone())).unwrap();
        let mut started = base.clone();
        started["stage"] = json!("RequestReceived");
        a.add(&item(started)).unwrap();
        let mut ep = base.clone();
        ep["objectRef"] = json!({"resource":"endpoints","namespace":"shop","name":"web"});
        ep["responseStatus"]["code"] = json!(409);
        a.add(&item(ep)).unwrap();
        let mut get = base.clone();
        get["verb"] = json!("get");
        a.add(&item(get)).unwrap();
        a.attribute(&|_, _| None);
        assert_eq!(a.writes.len(), 2);
        assert_eq!(a.other_stages, 1);
        assert_eq!(a.other, 1);
        assert_eq!(a.writes[0].service.as_deref(), Some("web"));
        assert_eq!(a.writes[0].attribution, Attribution::NameSuffix);
        assert_eq!(a.writes[0].at_ms % 1000, 250);
        assert!(!a.writes[1].ok());
        let mut bad = base;
        bad["requestReceivedTimestamp"] = json!("yesterday");
        let e = a.add(&item(bad)).unwrap_err();
        assert!(
            e.0.starts_with("audit.log: object 7 (audit Event 1): field requestReceivedTimestamp"),
            "{e}"
        );
    }
}
