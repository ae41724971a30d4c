//! `slicesim import FILE_OR_DIR... --out scenario.toml [--report DIR]`: a scenario from a real
//! cluster's kubectl output, and what its endpoint publishing costs (logic in `crate::import`).

use std::path::PathBuf;

use crate::import::{self, ImportOptions};

/// Arguments of `slicesim import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Inputs (told apart by content, not name; mix them freely):\n  \
kubectl get nodes,pods,services,endpoints,endpointslices,deployments,replicasets,statefulsets,daemonsets -A -o json > cluster.json\n  \
kubectl get pods -A -o json > pods.json   (one file per kind works too)\n  \
kubectl cluster-info dump --all-namespaces --output-directory DIR\n  \
kubectl get pods -A -w -o json --output-watch-events > watch.json   (the recorded period: replayed with --report)\n  \
kube-apiserver audit log (audit.k8s.io/v1 Event lines)   (the cluster's own endpoint writes, beside the replay)\n\n\
Examples:\n  slicesim import cluster.json --out my-cluster.toml\n  \
slicesim import dump/ extra-slices.json --out my-cluster.toml --report results/my-cluster-import\n  \
slicesim import cluster.json watch.json audit.log --report results/period --set controllers.endpointslice.max_endpoints_per_slice=500"
)]
pub struct Args {
    /// kubectl JSON files and/or `kubectl cluster-info dump` folders.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the scenario here (default: print it on stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the cost report (report.md, services.csv) into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Scenario name.
    #[arg(long, default_value = "imported")]
    pub name: String,
    /// Scenario duration.
    #[arg(long, default_value = "2m")]
    pub duration: String,
    /// Report: Services with at least this many endpoints get a simulated rolling update.
    #[arg(long, default_value_t = 100)]
    pub large: usize,
    /// Report: seed of the simulations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Report: replay the recorded period (a watch stream among the inputs) a second time with
    /// this scenario setting, e.g. `controllers.endpointslice.max_endpoints_per_slice=500`
    /// (repeatable; same syntax as `slicesim run --set`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let opts = ImportOptions {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        report: args.report.clone(),
        name: args.name.clone(),
        duration: args.duration.clone(),
        large: args.large,
        seed: args.seed,
        settings: args.set.clone(),
    };
    let mut imp = import::load(&opts.inputs)?;
    eprint!("{}", import::describe(&imp));
    let text = import::scenario_text(&imp, &opts)?;
    match &opts.out {
        Some(p) => {
            crate::fsio::atomic_write(p, text.as_bytes())?;
            eprintln!("import: wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    if opts.report.is_none() && (imp.recording.is_some() || imp.audit.is_some()) {
        eprintln!(
            "import: the watch stream / audit log are replayed and compared only with --report DIR"
        );
    }
    if let Some(dir) = &opts.report {
        let written = import::report::write_report(&mut imp, &opts, &text, dir)?;
        eprintln!("import: wrote {}", written.display());
    }
    if let Some(l) = import::peak_memory_line() {
        eprintln!("{l}");
    }
    Ok(())
}
