//! `slicesim scenarios`: list the bundled scenarios (`scenarios/*.toml`, looked up in the
//! current directory, then next to the crate) with their one-line descriptions.

use std::path::{Path, PathBuf};

/// Arguments of `slicesim scenarios`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to list instead of the bundled `scenarios/`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => crate::scenario::bundled_dir().ok_or_else(|| {
            crate::error::input_error(
                "no scenarios/ directory found in the current directory or next to the slicesim crate; use --dir",
            )
        })?,
    };
    let list = list_dir(&dir)?;
    let width = list.iter().map(|e| e.file.len()).max().unwrap_or(0);
    for e in &list {
        println!("{:width$}  {}", e.file, e.description);
    }
    Ok(())
}

/// One entry of `slicesim scenarios`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// File name (e.g. `quickstart.toml`).
    pub file: String,
    /// The scenario's one-line description, or a note that it is invalid.
    pub description: String,
}

/// List `*.toml` in `dir`, sorted by file name, with descriptions; sweep files are marked
/// `[sweep, N points]`.
pub fn list_dir(dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| crate::error::input_error(format!("cannot list {}: {e}", dir.display())))?;
    let mut files: Vec<std::path::PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let file = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let description = if crate::scenario::is_sweep_file(&p) {
            match crate::sweep::spec::load(&p) {
                Ok(s) => format!("[sweep, {} points] {}", s.point_count(), s.description),
                Err(_) => format!(
                    "[sweep] (invalid — run `slicesim validate {}`)",
                    p.display()
                ),
            }
        } else {
            match crate::scenario::load(&p, &[]) {
                Ok(s) => s.description,
                Err(_) => format!("(invalid — run `slicesim validate {}`)", p.display()),
            }
        };
        out.push(Listed { file, description });
    }
    Ok(out)
}
