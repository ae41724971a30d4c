//! Stage 1 → 2: the spanned tree → the resolved [`Scenario`] model.
//!
//! Every field is read through [`Tbl`] getters (type checks, ranges, unknown keys), defaults
//! are filled in from Kubernetes where Kubernetes has one (each cited at its constant), then
//! cross-references are resolved to indices and checked (unknown names, duplicates, events
//! after `duration`, capacity, CIDR overlaps, IP families). All problems are collected.

use super::decode::{duration_node, int_node, type_error, Cx, Tbl, S};
use super::model::*;
use super::tree::{Node, Origin, V};
use super::values;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

mod checks;
mod cluster;
mod controllers;
mod defaults;
mod events;
mod services;
#[cfg(test)]
mod tests;
mod version;
mod workloads;

use checks::*;
use cluster::*;
use controllers::*;
pub use defaults::*;
use events::*;
pub use services::Names;
use services::*;
pub use version::*;
use workloads::*;

/// Most entries one `copies` expansion (or all of them together) may produce per array.
pub const MAX_COPIES: i64 = 100_000;

/// Expand `copies = N` in `[[workloads]]` and `[[services]]`: the entry is replaced by N
/// copies in which every `{i}` inside a string value becomes the copy number (0-based).
/// Lets one entry describe e.g. 10,000 Services of the scalability envelope. Locations of
/// the copies still point at the template, so errors stay located.
pub fn expand_copies(root: &mut Node, cx: &mut Cx) {
    for key in ["workloads", "services"] {
        cx.schema.insert(format!("{key}[].copies"));
        let V::Table(entries) = &mut root.v else {
            return;
        };
        let Some((_, _, arr)) = entries.iter_mut().find(|(k, _, _)| k == key) else {
            continue;
        };
        let V::Array(items) = &mut arr.v else {
            continue;
        };
        if !items.iter().any(|it| it.get("copies").is_some()) {
            continue;
        }
        let mut out = Vec::new();
        for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
            let copies = match &mut item.v {
                V::Table(fields) => match fields.iter().position(|(k, _, _)| k == "copies") {
                    Some(pos) => {
                        let (_, _, n) = fields.remove(pos);
                        let path = format!("{key}[{i}].copies");
                        int_node(cx, &n, &path, 1, MAX_COPIES).map(|c| (c.v, n.origin))
                    }
                    None => None,
                },
                _ => None,
            };
            match copies {
                None => out.push(item),
                Some((n, origin)) => {
                    if out.len() as i64 + n > MAX_COPIES {
                        cx.err(
                            &origin,
                            &format!("{key}[{i}].copies"),
                            format!("{key} would have more than {MAX_COPIES} entries"),
                        );
                        out.push(item);
                        continue;
                    }
                    out.reserve(n as usize);
                    for c in 0..n {
                        let mut copy = item.clone();
                        substitute_index(&mut copy, &c.to_string());
                        out.push(copy);
                    }
                }
            }
        }
        *items = out;
    }
}

fn substitute_index(n: &mut Node, i: &str) {
    match &mut n.v {
        V::Str(s) if s.contains("{i}") => *s = s.replace("{i}", i),
        V::Array(items) => items.iter_mut().for_each(|c| substitute_index(c, i)),
        V::Table(entries) => entries
            .iter_mut()
            .for_each(|(_, _, c)| substitute_index(c, i)),
        _ => {}
    }
}

/// Result of resolution: the model (if there were no errors) plus the schema paths seen.
pub fn resolve(root: &Node, cx: &mut Cx, source: Source) -> Option<Scenario> {
    let mut top = Tbl::new(cx, root, "", "")?;
    check_version(cx, &mut top);
    let profile = resolve_kubernetes_version(cx, &mut top);
    cx.kubernetes_minor = Some(profile.minor);
    let name = top.str(cx, "name");
    if name.is_none() && !top.has("name") {
        top.missing(cx, "name", "a short scenario name");
    }
    if let Some(n) = &name {
        // The name becomes a directory name (results/<name>): keep it a plain file name.
        let ok = !n.v.is_empty()
            && n.v.len() <= 100
            && !n.v.starts_with('.')
            && n.v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            cx.err(
                &n.origin,
                &n.path,
                format!(
                    "{:?} is not a valid scenario name (1 to 100 of [A-Za-z0-9._-], not starting with '.'; it names the output directory)",
                    n.v
                ),
            );
        }
    }
    let description = top.str(cx, "description");
    if let Some(d) = &description {
        if d.v.contains('\n') {
            cx.err(
                &d.origin,
                &d.path,
                "the description must be one line (it is shown by `slicesim scenarios`); put details in a comment",
            );
        }
    }
    let seed = top.seed(cx, "seed").map_or(1, |s| s.v);
    let duration = top.duration(cx, "duration");
    if duration.is_none() && !top.has("duration") {
        top.missing(cx, "duration", "simulated time, e.g. \"10m\"");
    }
    if let Some(d) = &duration {
        if d.v == 0 {
            cx.err(&d.origin, &d.path, "the duration must be greater than 0");
        }
    }
    let duration_ns = duration.as_ref().map_or(0, |d| d.v);

    let cluster_t = top.table(cx, "cluster");
    let cluster_o = cluster_t.as_ref().map(|t| t.origin().clone());
    let (mut cluster, mut node_gen) = resolve_cluster(cx, cluster_t, &profile);

    let workload_ts = top.tables(cx, "workloads");
    let workloads: Vec<Workload> = workload_ts
        .into_iter()
        .map(|t| resolve_workload(cx, t, &cluster))
        .collect();
    check_duplicates(
        cx,
        root.get("workloads"),
        workloads
            .iter()
            .map(|w| format!("{}/{}", w.namespace, w.name)),
        "workload",
    );

    let wnames = Names::new(
        "workload",
        workloads
            .iter()
            .map(|w| (w.namespace.as_str(), w.name.as_str())),
    );
    let service_ts = top.tables(cx, "services");
    let services: Vec<Service> = service_ts
        .into_iter()
        .map(|t| resolve_service(cx, t, &cluster, &workloads, &wnames))
        .collect();
    let snames = Names::new(
        "service",
        services
            .iter()
            .map(|s| (s.namespace.as_str(), s.name.as_str())),
    );
    check_duplicates(
        cx,
        root.get("services"),
        services
            .iter()
            .map(|s| format!("{}/{}", s.namespace, s.name)),
        "service",
    );

    let controllers = {
        let t = top.table(cx, "controllers");
        resolve_controllers(cx, t, profile)
    };
    let apiserver = {
        let t = top.table(cx, "apiserver");
        resolve_apiserver(cx, t)
    };
    let watchers = resolve_watchers(cx, &mut top);
    let plan = {
        let t = top.table(cx, "plan");
        resolve_plan(cx, t, &wnames)
    };

    let mut services = services;
    let event_ts = top.tables(cx, "events");
    let events = resolve_events(
        cx,
        event_ts,
        duration_ns,
        &mut cluster,
        &mut node_gen,
        &workloads,
        &wnames,
        &mut services,
        &snames,
        &watchers,
    );
    check_capacity(cx, &cluster, cluster_o.as_ref(), &workloads, &events, root);
    if cx.diags.is_empty() {
        check_selection(cx, &workloads, &services, &events, root);
        warn_event_volume(cx, &workloads, &events, duration_ns, root);
    }
    top.finish(cx);

    if !cx.diags.is_empty() {
        return None;
    }
    Some(Scenario {
        name: name.map(|n| n.v).unwrap_or_default(),
        description: description.map(|d| d.v).unwrap_or_default(),
        seed,
        duration_ns,
        source,
        cluster,
        services,
        workloads,
        events,
        controllers,
        apiserver,
        watchers,
        plan,
    })
}

/// Report duplicated names in an array of tables, at the later occurrence.
/// The scenario format version this slicesim reads. A file without `version` is version 1
/// (files written before the field existed); any other value is refused, so a file written for
/// a later format is never half-understood.
pub const SCENARIO_FORMAT_VERSION: i64 = 1;

fn check_version(cx: &mut Cx, top: &mut Tbl) {
    let Some(n) = top.get(cx, "version") else {
        return;
    };
    let shown = match &n.v {
        V::Int(SCENARIO_FORMAT_VERSION) => return,
        V::Int(i) => i.to_string(),
        V::Str(s) => format!("{s:?}"),
        _ => "this value".to_string(),
    };
    cx.err(
        &n.origin,
        &top.path_of("version"),
        format!(
            "{shown} is not a scenario format this slicesim reads: this slicesim reads version {SCENARIO_FORMAT_VERSION}; write `version = {SCENARIO_FORMAT_VERSION}` (the fields are in README \"Scenario reference\") or run the file with the slicesim release it was written for"
        ),
    );
}

fn check_duplicates(
    cx: &mut Cx,
    arr: Option<&Node>,
    names: impl Iterator<Item = String>,
    what: &str,
) {
    let Some(Node {
        v: V::Array(items), ..
    }) = arr
    else {
        return;
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, n) in names.enumerate() {
        if n.ends_with('/') {
            continue; // name missing: already reported
        }
        if let Some(first) = seen.get(&n) {
            let o = items
                .get(i)
                .and_then(|it| it.get("name"))
                .map_or(Origin::Unknown, |x| x.origin.clone());
            let coll = if what == "service" {
                "services"
            } else {
                "workloads"
            };
            cx.err(
                &o,
                &format!("{coll}[{i}].name"),
                format!("duplicate {what} {n:?} (already defined by {coll}[{first}]); names must be unique per namespace"),
            );
        } else {
            seen.insert(n, i);
        }
    }
}

fn name_field(
    cx: &mut Cx,
    t: &mut Tbl,
    what: &str,
    check: fn(&str) -> Result<(), String>,
) -> String {
    match t.str(cx, "name") {
        Some(s) => {
            if let Err(e) = check(&s.v) {
                cx.err(&s.origin, &s.path, e);
            }
            s.v
        }
        None => {
            if !t.has("name") {
                t.missing(cx, "name", what);
            }
            String::new()
        }
    }
}

fn namespace_field(cx: &mut Cx, t: &mut Tbl) -> String {
    match t.str(cx, "namespace") {
        Some(s) => {
            if let Err(e) = values::check_dns1123_label(&s.v) {
                cx.err(&s.origin, &s.path, e);
            }
            s.v
        }
        None => "default".to_string(),
    }
}
