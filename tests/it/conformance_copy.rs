//! The repository carries its own copy of the upstream conformance recordings
//! (`tests/data/conformance/`, see `PROVENANCE.md` there) so a fresh clone tests on its own.
//! Where the shared sample exists beside the repository (`../shared/conformance/`, the
//! developers' layout), the copy must equal it file by file: a newer sample must be noticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every regular file under `root`, by path relative to it.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.insert(
                    path.strip_prefix(root).expect("under root").to_path_buf(),
                    bytes,
                );
            }
        }
    }
    out
}

#[test]
fn conformance_copy_equals_shared_sample() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = crate_dir.join("tests/data/conformance");
    let ours = files(&copy);
    assert!(
        ours.contains_key(Path::new("traces/manifest.json")),
        "the repository's conformance copy is missing: {}",
        copy.display()
    );
    let shared = crate_dir.join("../shared/conformance");
    if !shared.is_dir() {
        eprintln!(
            "{} absent: nothing to compare the copy with",
            shared.display()
        );
        return;
    }
    let theirs = files(&shared);
    let mut problems = Vec::new();
    for (path, bytes) in &theirs {
        match ours.get(path) {
            None => problems.push(format!("missing from the copy: {}", path.display())),
            Some(b) if b != bytes => problems.push(format!(
                "differs from the shared sample: {}",
                path.display()
            )),
            Some(_) => {}
        }
    }
    for path in ours.keys() {
        if !theirs.contains_key(path) && path != Path::new("PROVENANCE.md") {
            problems.push(format!(
                "in the copy but not in the shared sample: {}",
                path.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/data/conformance is out of date with ../shared/conformance (refresh with \
         `cp -r ../shared/conformance/* tests/data/conformance/`):\n{}",
        problems.join("\n")
    );
}
