//! `kubernetes_version`: the release → its [`VersionProfile`] of behaviour switches.

use super::*;

/// Oldest and newest supported minor releases (1.21 ..= 1.34).
pub const MIN_KUBERNETES_MINOR: u32 = 21;
pub const MAX_KUBERNETES_MINOR: u32 = 34;
/// The reference release: the conformance suite runs against it.
pub const DEFAULT_KUBERNETES_MINOR: u32 = 32;

impl VersionProfile {
    /// The switches of release 1.`minor` (caller checks the range).
    pub fn for_minor(minor: u32) -> VersionProfile {
        VersionProfile {
            minor,
            endpoints_truncate: minor >= 22,
            node_monitor_grace_period_ns: if minor >= 32 {
                DEFAULT_NODE_MONITOR_GRACE_NS
            } else {
                40 * NS_PER_SEC
            },
            topology_aware_hints: minor >= 24,
            topology_mode_annotation: minor >= 27,
            traffic_distribution: minor >= 31,
            prefer_close_zoneless_hint: minor <= 32,
            traffic_distribution_validated: minor >= 33,
            prefer_same_traffic_distribution: minor >= 34,
            endpointslice_terminating_condition: minor >= 22,
            pod_index_label: minor >= 28,
        }
    }

    /// "1.32".
    pub fn version(&self) -> String {
        format!("1.{}", self.minor)
    }
}

impl Default for VersionProfile {
    fn default() -> Self {
        VersionProfile::for_minor(DEFAULT_KUBERNETES_MINOR)
    }
}

/// Read top-level `kubernetes_version` ("1.21" ..= "1.34"; a string, since TOML would read
/// the number 1.30 as 1.3). Errors are located and name the allowed range.
pub(super) fn resolve_kubernetes_version(cx: &mut Cx, top: &mut Tbl) -> VersionProfile {
    let Some(n) = top.get(cx, "kubernetes_version") else {
        return VersionProfile::default();
    };
    let path = top.path_of("kubernetes_version");
    let allowed = format!(
        "supported releases are \"1.{MIN_KUBERNETES_MINOR}\" to \"1.{MAX_KUBERNETES_MINOR}\" (default \"1.{DEFAULT_KUBERNETES_MINOR}\"), written as a string"
    );
    let shown = match &n.v {
        V::Str(s) => {
            let minor = s
                .strip_prefix('v')
                .unwrap_or(s)
                .strip_prefix("1.")
                .filter(|m| !m.is_empty() && m.len() <= 3 && m.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|m| m.parse::<u32>().ok());
            match minor {
                Some(m) if (MIN_KUBERNETES_MINOR..=MAX_KUBERNETES_MINOR).contains(&m) => {
                    return VersionProfile::for_minor(m);
                }
                _ => format!("{s:?}"),
            }
        }
        V::Float(f) => format!("{f} (a number: write it as a string, e.g. \"1.30\")"),
        V::Int(i) => format!("{i} (a number)"),
        _ => "this value".to_string(),
    };
    cx.err(
        &n.origin,
        &path,
        format!("{shown} is not a supported Kubernetes release: {allowed}"),
    );
    VersionProfile::default()
}
