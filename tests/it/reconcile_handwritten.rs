//! `slicesim reconcile` on a trace written by hand in `kubectl get -o json` style
//! (tests/data/traces/handwritten-web.input.jsonl: full Pod/Node/Service objects with the
//! status fields a real cluster returns, an unselected pod, a pod without an IP).
//!
//! Expected lines, derived by hand from the upstream rules (M = 100, IPv4, named targetPort
//! `http` resolving to 8080 on every pod):
//! 0. two Ready pods → one slice created with 2 endpoints; Endpoints created, 2 addresses.
//! 1. web-b Ready=False → that endpoint changes in place: 1 slice update; Endpoints moves it to
//!    notReadyAddresses (1 + 1).
//! 2. a pod with no IP yet is not an endpoint (ShouldPodBeInEndpoints) → no writes at all.
//! 3. web-a gets a deletionTimestamp → slice update (terminating=true, ready=false, serving=true);
//!    the Endpoints controller drops terminating pods (publishNotReadyAddresses=false): 0 + 1.
//! 4. every web pod gone → the slice would be deleted and a placeholder created; finalize
//!    recycles the pair into one update (0 endpoints); Endpoints updated to empty subsets.
//! 5. same world again → no writes (placeholder-equal, subsets equal).
use std::path::Path;
use std::process::Command;

#[test]
fn handwritten_kubectl_style_trace_matches_hand_derivation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/traces");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("reconcile")
        .arg(dir.join("handwritten-web.input.jsonl"))
        .output()
        .expect("run slicesim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let want = std::fs::read_to_string(dir.join("handwritten-web.expected.jsonl")).unwrap();
    let (got, want): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "step {i}");
    }
}
