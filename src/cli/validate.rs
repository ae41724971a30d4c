//! `slicesim validate FILE...`: check scenario files without running them. A sweep file
//! (top-level `base` / `[grid]`) is checked as a sweep: the file and every point's scenario.
//! Prints `ok <file>` per valid file, the located errors of each invalid one, and exits 2 if
//! any file is invalid. Warnings (legal but suspicious input) go to stderr; `--dump` prints
//! the resolved model as JSON.

use std::path::PathBuf;

/// Arguments of `slicesim validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Override a field before validating, e.g. `--set workloads[0].replicas=50` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Print each valid scenario's resolved model (all defaults filled in, node names,
    /// events in time order) as JSON on stdout.
    #[arg(long)]
    pub dump: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut bad = 0;
    for f in &args.files {
        if crate::scenario::is_sweep_file(f) {
            if !args.set.is_empty() {
                eprintln!(
                    "warning: {}: --set does not apply to a sweep file (checked without it)",
                    f.display()
                );
            }
            // a sweep is valid when the file is and every point's scenario is
            let checked = crate::sweep::spec::load(f).and_then(|s| {
                for w in s.override_warnings() {
                    eprintln!("{w}");
                }
                s.points().map(|p| p.len())
            });
            match checked {
                Ok(n) => println!("ok {} (sweep, {n} points)", f.display()),
                Err(e) => {
                    bad += 1;
                    eprintln!("error: {e:#}");
                }
            }
            continue;
        }
        match crate::scenario::load_with_warnings(f, &args.set) {
            Ok((scenario, warnings)) => {
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                println!("ok {}", f.display());
                if args.dump {
                    println!("{}", serde_json::to_string_pretty(&scenario)?);
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if bad > 0 {
        return Err(crate::error::input_error(format!(
            "{bad} of {} scenario file(s) invalid",
            args.files.len()
        )));
    }
    Ok(())
}
