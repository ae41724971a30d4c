//! `--record-trace NAMESPACE/SERVICE=DIR`: one conformance input line per EndpointSlice sync of
//! the Service, and the expected line the replay (`slicesim reconcile`) must print for it.
//!
//! One line = one ESC sync + one Endpoints sync on the same world state (the conformance
//! processing model). In the simulation the Endpoints controller syncs on its own queue, at
//! other times and on other states, so the Endpoints half of a line cannot come from it:
//! it comes from a second Endpoints controller owned by the recorder, with its own store,
//! which syncs exactly at the recorded ESC syncs on exactly the recorded input
//! (max capacity 1000 and the step clock of the replay). The EndpointSlice half is what the
//! simulator's ESC did at that sync: its write calls and the stored slices afterwards.
//!
//! The replay draws its choices from `ChaCha8Rng::seed_from_u64(seed)`; the simulator's ESC
//! gives each Service its own stream seeded the same way (see
//! [`super::service_choice_seed`]), so the recorder writes that seed to `DIR/seed` and the
//! replay is run with `--seed $(cat DIR/seed)`.

use std::io::Write;
use std::path::PathBuf;

use crate::apiserver::{Shared, Store};
use crate::controllers::endpoints::{EndpointsController, EndpointsOptions};
use crate::controllers::endpointslice::trace::{
    endpoints_step, SliceCounts, StepOutput, CLOCK_START, CLOCK_STEP_SECS,
};
use crate::controllers::trigger_time::Timestamp;
use crate::k8s;

/// Recorder of one Service.
#[derive(Debug)]
pub struct Recorder {
    pub dir: PathBuf,
    pub seed: u64,
    input: Vec<u8>,
    output: Vec<u8>,
    step: usize,
    epc: EndpointsController,
    shared: Shared,
    endpoints: Store<k8s::Endpoints>,
}

impl Recorder {
    pub fn new(dir: PathBuf, seed: u64) -> Self {
        Recorder {
            dir,
            seed,
            input: Vec::new(),
            output: Vec::new(),
            step: 0,
            epc: EndpointsController::new(EndpointsOptions::default()),
            shared: Shared::new(seed, CLOCK_START.to_string()),
            endpoints: Store::new(),
        }
    }

    /// Lines recorded so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// Record one ESC sync: the world it saw and its slice counts.
    pub fn record(
        &mut self,
        service: &k8s::Service,
        pods: &[&k8s::Pod],
        nodes: &[&k8s::Node],
        slices: SliceCounts,
    ) -> anyhow::Result<()> {
        let line = serde_json::json!({
            "service": service,
            "pods": pods,
            "nodes": nodes,
        });
        serde_json::to_writer(&mut self.input, &line)?;
        self.input.push(b'\n');

        // The Endpoints half, as the replay computes it (trace.rs step 3).
        if let Some(start) = Timestamp::parse(CLOCK_START) {
            self.shared.now = Timestamp {
                secs: start.secs + CLOCK_STEP_SECS * self.step as i64,
                nanos: 0,
            }
            .to_rfc3339_nano();
        }
        let owned: Vec<k8s::Pod> = pods.iter().map(|p| (*p).clone()).collect();
        let endpoints = endpoints_step(
            &mut self.epc,
            &mut self.endpoints,
            &mut self.shared,
            service,
            &owned,
        )?;
        let out = StepOutput {
            step: self.step,
            endpoint_slices: slices,
            endpoints,
            hints: None,
        };
        serde_json::to_writer(&mut self.output, &out)?;
        self.output.push(b'\n');
        self.step += 1;
        Ok(())
    }

    /// Write `input.jsonl`, `output.jsonl` and `seed` into the directory (atomically).
    pub fn write(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut input = format!(
            "{{\"formatVersion\":{}}}\n",
            crate::controllers::endpointslice::trace::TRACE_FORMAT_VERSION
        )
        .into_bytes();
        input.extend_from_slice(&self.input);
        crate::fsio::atomic_write(&self.dir.join("input.jsonl"), &input)?;
        crate::fsio::atomic_write(&self.dir.join("output.jsonl"), &self.output)?;
        let mut seed = Vec::new();
        writeln!(seed, "{}", self.seed)?;
        crate::fsio::atomic_write(&self.dir.join("seed"), &seed)?;
        Ok(())
    }
}
