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
kubectl get pods -A -w -o json --output-watch-events > watch.json   (applied over the snapshot)\n\n\
Examples:\n  slicesim import cluster.json --out my-cluster.toml\n  \
slicesim import dump/ extra-slices.json --out my-cluster.toml --report results/my-cluster-import"
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
    };
    let imp = import::load(&opts.inputs)?;
    eprint!("{}", import::describe(&imp));
    let text = import::scenario_text(&imp, &opts)?;
    match &opts.out {
        Some(p) => {
            crate::fsio::atomic_write(p, text.as_bytes())?;
            eprintln!("import: wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    if let Some(dir) = &opts.report {
        let written = import::report::write_report(&imp, &opts, &text, dir)?;
        eprintln!("import: wrote {}", written.display());
    }
    Ok(())
}
