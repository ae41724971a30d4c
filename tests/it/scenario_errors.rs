//! Every invalid example in tests/data/invalid/ gives the promised message — file:line:col,
//! field path, bad value, what is allowed, and the source line under it — through the library
//! and through `slicesim validate` (exit code 2). Each file states its expectation in its
//! header (`# expect-at`, `# expect-path`, `# expect-msg`).

use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    file: PathBuf,
    at: Option<(usize, usize)>,
    path: String,
    msg: String,
    src: String,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/invalid exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected one invalid example per error kind"
    );
    files
        .into_iter()
        .map(|file| {
            let src = std::fs::read_to_string(&file).expect("readable");
            let field = |k: &str| {
                src.lines()
                    .find_map(|l| l.strip_prefix(&format!("# {k}: ")).map(str::to_string))
                    .or_else(|| {
                        src.lines()
                            .find(|l| l.trim_end() == format!("# {k}:"))
                            .map(|_| String::new())
                    })
                    .unwrap_or_else(|| panic!("{}: header `# {k}:` missing", file.display()))
            };
            let at = field("expect-at");
            let at = (at != "-").then(|| {
                let (l, c) = at.split_once(':').expect("line:col");
                (l.parse().expect("line"), c.parse().expect("col"))
            });
            Case {
                at,
                path: field("expect-path"),
                msg: field("expect-msg"),
                file,
                src,
            }
        })
        .collect()
}

fn check_message(c: &Case, text: &str) {
    let shown = c.file.display().to_string();
    let path = if c.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", c.path)
    };
    match c.at {
        Some((line, col)) => {
            let head = format!("{shown}:{line}:{col}: {path}");
            assert!(
                text.contains(&head),
                "{shown}: expected `{head}` in:\n{text}"
            );
            let src_line = c.src.lines().nth(line - 1).expect("line exists");
            let snippet = format!("{line} | {src_line}");
            assert!(
                text.contains(&snippet),
                "{shown}: expected snippet `{snippet}` in:\n{text}"
            );
            // The caret line underlines the reported column.
            let caret = format!(
                "{} | {}^",
                " ".repeat(line.to_string().len()),
                " ".repeat(col - 1)
            );
            assert!(
                text.contains(&caret),
                "{shown}: expected caret at col {col} in:\n{text}"
            );
        }
        None => {
            let head = format!("{shown}: {path}");
            assert!(
                text.contains(&head),
                "{shown}: expected `{head}` in:\n{text}"
            );
        }
    }
    assert!(
        text.contains(&c.msg),
        "{shown}: expected `{}` in:\n{text}",
        c.msg
    );
}

#[test]
fn library_reports_each_error_kind_with_location() {
    for c in cases() {
        let err = match slicesim::scenario::load(&c.file, &[]) {
            Ok(_) => panic!("{} unexpectedly valid", c.file.display()),
            Err(e) => e,
        };
        assert!(
            err.downcast_ref::<slicesim::error::InputError>().is_some(),
            "{}: error is not an InputError",
            c.file.display()
        );
        check_message(&c, &err.to_string());
    }
}

#[test]
fn validate_binary_prints_errors_and_exits_2() {
    for c in cases() {
        let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
            .arg("validate")
            .arg(&c.file)
            .output()
            .expect("run slicesim");
        assert_eq!(out.status.code(), Some(2), "{}", c.file.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
        check_message(&c, &stderr);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("ok "));
    }
}

#[test]
fn validate_mixed_files_reports_ok_and_fails() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("validate")
        .arg(root.join("scenarios/quickstart.toml"))
        .arg(root.join("tests/data/invalid/out-of-range.toml"))
        .output()
        .expect("run slicesim");
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ok ") && stdout.contains("quickstart.toml"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 of 2 scenario file(s) invalid"),
        "{stderr}"
    );
}

#[test]
fn several_errors_are_collected_at_once() {
    let src = "name = \"x\"\nduration = \"10m\"\n[cluster]\nnodez = 3\n[[workloads]]\nname = \"web\"\nreplicas = -1\n[controllers.endpointslice]\nworkers = 51\n";
    let err = slicesim::scenario::parse_str(src, "multi.toml", &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("multi.toml:4:1: cluster.nodez: unknown field `nodez`; did you mean `nodes`?"),
        "{err}"
    );
    assert!(
        err.contains(
            "multi.toml:7:12: workloads[0].replicas: -1 is out of range (allowed: 0..=1000000)"
        ),
        "{err}"
    );
    assert!(err.contains("multi.toml:9:11: controllers.endpointslice.workers: 51 is out of range (allowed: 1..=50)"), "{err}");
    assert!(err.contains("3 errors in multi.toml"), "{err}");
}

#[test]
fn missing_file_is_input_error() {
    let err = slicesim::scenario::load(Path::new("/nonexistent/x.toml"), &[]).unwrap_err();
    assert!(err.downcast_ref::<slicesim::error::InputError>().is_some());
    assert!(err.to_string().contains("cannot read scenario file"));
}
