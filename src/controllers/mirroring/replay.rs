//! Replay of a mirroring trace (the conformance processing model, README "EndpointSlice
//! mirroring traces"): one `syncEndpoints` per input line against the slices earlier lines left
//! in an emulated apiserver store; one output line per input line.

use serde::{Deserialize, Serialize};

use super::{mirrored_slices, MirroringController, MirroringOptions};
use crate::apiserver::{Shared, Store};
use crate::controllers::trigger_time::Timestamp;
use crate::error::input_error;
use crate::k8s::{EndpointSlice, Endpoints, Service};

/// One input line: `{"service": Service|null, "endpoints": Endpoints|null}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorInputLine {
    pub service: Option<Service>,
    pub endpoints: Option<Endpoints>,
}

/// Counts of one step (field order = output key order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MirrorCounts {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub slices: usize,
    pub endpoints: usize,
}

/// One output line: `{"step":N,"mirroring":{...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MirrorStep {
    pub step: usize,
    pub mirroring: MirrorCounts,
}

impl MirrorStep {
    /// The output line (compact JSON, keys in the documented order).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Parse a JSONL trace. Errors are [`crate::error::InputError`]s naming `source:line`.
pub fn parse_trace(input: &str, source: &str) -> anyhow::Result<Vec<MirrorInputLine>> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: MirrorInputLine = serde_json::from_str(line).map_err(|e| {
            input_error(format!(
                "{source}:{}:{}: not a mirroring trace line ({{\"service\": Service|null, \"endpoints\": Endpoints|null}}): {e}",
                i + 1,
                e.column()
            ))
        })?;
        for (what, meta) in [
            ("service", parsed.service.as_ref().map(|s| &s.metadata)),
            ("endpoints", parsed.endpoints.as_ref().map(|e| &e.metadata)),
        ] {
            if let Some(m) = meta {
                if m.name.as_deref().unwrap_or("").is_empty() {
                    return Err(input_error(format!(
                        "{source}:{}: {what}.metadata.name is required",
                        i + 1
                    )));
                }
            }
        }
        if let (Some(s), Some(e)) = (&parsed.service, &parsed.endpoints) {
            if s.metadata.name != e.metadata.name || s.metadata.namespace != e.metadata.namespace {
                return Err(input_error(format!(
                    "{source}:{}: service and endpoints must have the same namespace and name",
                    i + 1
                )));
            }
        }
        out.push(parsed);
    }
    Ok(out)
}

/// Step clock of the conformance harness: 2026-01-05T09:00:00Z + 10 s per line.
fn step_clock(step: usize) -> String {
    let base = Timestamp::parse("2026-01-05T09:00:00Z").map_or(0, |t| t.secs);
    Timestamp {
        secs: base + 10 * step as i64,
        nanos: 0,
    }
    .to_rfc3339_nano()
}

/// Run every line through one mirroring sync. The key (namespace/name) of a line is taken from
/// its Endpoints or Service; a line with neither reuses the previous line's key (the sync then
/// deletes every mirrored slice of it).
pub fn replay(lines: &[MirrorInputLine], opts: MirroringOptions) -> Vec<MirrorStep> {
    let mut ctrl = MirroringController::new(opts);
    let mut store: Store<EndpointSlice> = Store::new();
    let mut shared = Shared::new(0, step_clock(0));
    let mut key: Option<(String, String)> = None;
    let mut out = Vec::with_capacity(lines.len());
    for (step, line) in lines.iter().enumerate() {
        shared.now = step_clock(step);
        let meta = line
            .endpoints
            .as_ref()
            .map(|e| &e.metadata)
            .or_else(|| line.service.as_ref().map(|s| &s.metadata));
        if let Some(m) = meta {
            key = Some((
                m.namespace.clone().unwrap_or_default(),
                m.name.clone().unwrap_or_default(),
            ));
        }
        let mut counts = MirrorCounts::default();
        if let Some((ns, name)) = &key {
            let r = ctrl.sync(
                ns,
                name,
                line.service.as_ref(),
                line.endpoints.as_ref(),
                &mut store,
                &mut shared,
            );
            counts.created = r.created;
            counts.updated = r.updated;
            counts.deleted = r.deleted;
            let slices = mirrored_slices(&store, ns, name);
            counts.slices = slices.len();
            counts.endpoints = slices.iter().map(|s| s.endpoint_list().len()).sum();
        }
        out.push(MirrorStep {
            step,
            mirroring: counts,
        });
    }
    out
}

/// Parse and replay a trace given as text.
pub fn replay_str(
    input: &str,
    source: &str,
    opts: MirroringOptions,
) -> anyhow::Result<Vec<MirrorStep>> {
    Ok(replay(&parse_trace(input, source)?, opts))
}
