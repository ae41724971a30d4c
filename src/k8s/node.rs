//! What the endpoint controllers read from a Node: its Ready condition and its zone label —
//! read the same way by the EndpointSlice topology cache (`node_info`), its replay's node
//! signature and the controller manager's node handler.

use super::labels::LABEL_ZONE;
use super::Node;

impl Node {
    /// The `Ready` condition is `True` (a missing condition is not ready).
    /// cite: kubernetes/kubernetes :: pkg/api/v1/node/util.go :: IsNodeReady
    pub fn is_ready(&self) -> bool {
        self.status
            .conditions
            .as_ref()
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True")
    }

    /// The `topology.kubernetes.io/zone` label.
    pub fn zone(&self) -> Option<&str> {
        self.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_ZONE))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use crate::k8s;

    fn node(json: &str) -> k8s::Node {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ready_and_zone_read_the_condition_and_the_label() {
        let n = node(
            r#"{"metadata":{"name":"a","labels":{"topology.kubernetes.io/zone":"z1"}},
                "status":{"conditions":[{"type":"MemoryPressure","status":"True"},{"type":"Ready","status":"True"}]}}"#,
        );
        assert!(n.is_ready());
        assert_eq!(n.zone(), Some("z1"));
        let n = node(
            r#"{"metadata":{"name":"b"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}"#,
        );
        assert!(!n.is_ready());
        assert_eq!(n.zone(), None);
        assert!(!node(r#"{"metadata":{"name":"c"},"status":{}}"#).is_ready());
    }
}
