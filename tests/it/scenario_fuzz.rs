//! Never a panic on any input: random byte strings, randomly mutated valid scenarios and
//! random `--set` overrides either load or fail with an `InputError`.

use proptest::prelude::*;
use slicesim::error::InputError;
use slicesim::scenario;
use std::path::Path;

fn seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    // The small bundled scenarios (the 5,000-node one is slow to mutate thousands of times).
    [
        "quickstart.toml",
        "dual-stack.toml",
        "headless-publish-not-ready.toml",
        "mirroring-selectorless.toml",
        "node-failure.toml",
        "churn.toml",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(dir.join(f)).expect("bundled scenario"))
    .collect()
}

fn check(src: &str, sets: &[String]) {
    match scenario::parse_str(src, "fuzz.toml", sets) {
        Ok(s) => {
            // A valid result keeps the model's invariants.
            assert!(s.events.iter().all(|e| e.at_ns <= s.duration_ns));
            assert!(s.events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
        }
        Err(e) => assert!(
            e.downcast_ref::<InputError>().is_some(),
            "non-input error: {e:#}"
        ),
    }
}

/// Values a mutation may splice in: edge numbers, wrong types, malformed mini-languages.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1001",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "nan",
    "inf",
    "\"\"",
    "\"x\"",
    "\"5s..1s\"",
    "\"1m30s\"",
    "\"999999999999h\"",
    "\"25%\"",
    "\"101%\"",
    "\"IPv7\"",
    "\"None\"",
    "true",
    "[]",
    "{}",
    "[1, \"a\"]",
    "{ a = 1 }",
    "\"0/s\"",
    "\"10.0.0.0/8\"",
    "\"fd00::/1\"",
    "\"app in (\"",
    "\"!\"",
    "\"é\"",
    "\"{index}\"",
    "\"a/b/c\"",
    "1979-05-27T07:32:00Z",
    "\"per-node\"",
    "65536",
    "4294967296",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let src = String::from_utf8_lossy(&bytes);
        check(&src, &[]);
    }

    #[test]
    fn byte_mutations_of_valid_scenarios_never_panic(
        which in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..6),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[which % seeds.len()].clone().into_bytes();
        for (at, op, b) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, b),
                _ => bytes[i] = b,
            }
        }
        check(&String::from_utf8_lossy(&bytes), &[]);
    }

    #[test]
    fn value_mutations_of_valid_scenarios_never_panic(
        which in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..TOKENS.len()), 1..5),
    ) {
        // Replace the value of random `key = value` lines with hostile tokens.
        let seeds = seeds();
        let mut lines: Vec<String> = seeds[which % seeds.len()].lines().map(str::to_string).collect();
        let assignable: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].contains(" = ")).collect();
        for (at, tok) in edits {
            if assignable.is_empty() { break; }
            let i = assignable[at.index(assignable.len())];
            if let Some((k, _)) = lines[i].clone().split_once(" = ") {
                lines[i] = format!("{k} = {}", TOKENS[tok]);
            }
        }
        check(&lines.join("\n"), &[]);
    }

    #[test]
    fn random_overrides_never_panic(
        path in "[a-z_]{1,12}(\\[[0-9]{1,2}\\])?(\\.[a-z_]{1,24}(\\[[0-9]\\])?){0,3}",
        tok in 0usize..TOKENS.len(),
        raw in "[ -~]{0,20}",
    ) {
        let seeds = seeds();
        check(&seeds[0], &[format!("{path}={}", TOKENS[tok])]);
        check(&seeds[0], std::slice::from_ref(&raw));
        check(&seeds[0], &[format!("{path}={raw}")]);
    }
}

#[test]
fn known_nasty_inputs() {
    for src in [
        "",
        "\u{feff}",
        "name = 1\nduration = 2",
        "[[events]]\n[[events]]\nat = \"1s\"",
        "name = \"x\"\nduration = \"1m\"\n[cluster]\nnodes = 50000\nmax_pods_per_node = 10000\nnode_cidr_mask_size_ipv4 = 32",
        "name = \"x\"\nduration = \"1m\"\n[cluster]\nip_families = []\npod_cidrs = []",
        "name = \"x\"\nduration = \"1m\"\n[cluster]\nip_families = [\"IPv6\"]\npod_cidrs = [\"::/0\"]\nnode_cidr_mask_size_ipv6 = 128",
        "name = \"x\"\nduration = \"1m\"\n[cluster]\nnode_name_pattern = \"{\"",
        "name = \"x\"\nduration = \"1m\"\n[[services]]\nname = \"a\"\nendpoints = { count = 100000, cidr = \"10.0.0.0/32\" }",
        "name = \"x\"\nduration = \"1m\"\n[[workloads]]\nname = \"w\"\nmax_surge = 0\nmax_unavailable = \"0%\"",
    ] {
        check(src, &[]);
    }
}
