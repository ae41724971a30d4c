//! The README's scenario reference (between the `scenario-reference` markers) documents every
//! field the decoder reads, and documents nothing that does not exist.

use std::collections::BTreeSet;
use std::path::Path;

fn reference() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- scenario-reference:start -->")
        .expect("start marker");
    let end = readme
        .find("<!-- scenario-reference:end -->")
        .expect("end marker");
    readme[start..end].to_string()
}

fn schema() -> BTreeSet<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/full.toml");
    let src = std::fs::read_to_string(p).expect("full.toml");
    let (result, schema) = slicesim::scenario::parse_with_schema(&src, "full.toml", &[]);
    if let Err(e) = result {
        panic!("tests/data/full.toml must be valid: {e}");
    }
    schema
}

#[test]
fn every_schema_field_is_documented() {
    let doc = reference();
    let missing: Vec<String> = schema()
        .into_iter()
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README scenario reference lacks: {missing:?}"
    );
}

#[test]
fn documented_fields_exist() {
    let doc = reference();
    let schema = schema();
    // Field rows of the reference tables start with "| `path` |".
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(documented.len() >= schema.len());
    for d in documented {
        assert!(
            schema.contains(d),
            "README documents `{d}`, which the decoder does not read"
        );
    }
}

#[test]
fn toml_examples_in_the_reference_are_valid() {
    let doc = reference();
    let mut found = 0;
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closing fence");
        if let Err(e) = slicesim::scenario::parse_str(&body[..end], "README example", &[]) {
            panic!("README scenario example is invalid: {e}");
        }
        found += 1;
        rest = &body[end..];
    }
    assert!(
        found >= 1,
        "the reference shows at least one example scenario"
    );
}
