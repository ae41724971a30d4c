//! The deployment controller's decisions, as pure functions over a small view of the
//! Deployment and its ReplicaSets. The world applies the result.
//!
//! Upstream: kubernetes/kubernetes :: pkg/controller/deployment/{sync.go, rolling.go,
//! recreate.go, util/deployment_util.go} (read at ~v1.31; logic unchanged through v1.34).
//!
//! Simplifications (documented, deliberate): ReplicaSet status (`availableReplicas`) is read
//! without lag; old ReplicaSets are never garbage-collected (revisionHistoryLimit only deletes
//! empty ReplicaSets, which has no effect on pods or endpoints); a rolling update to a template
//! equal to an older one still creates a new ReplicaSet (scenario versions are always new).

use crate::scenario::{IntOrPercent, Nanos, Strategy};
use std::cmp::Ordering;

/// What the deployment controller reads of one ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsInfo {
    /// `spec.replicas`.
    pub replicas: u32,
    /// `status.availableReplicas`.
    pub available: u32,
    /// Pods of this ReplicaSet that are not in a terminal phase (terminating ones included);
    /// what `oldPodsRunning` looks at for Recreate.
    pub nonterminal_pods: u32,
    pub created_ns: Nanos,
    pub name: String,
    /// `deployment.kubernetes.io/desired-replicas` annotation.
    pub desired_annotation: Option<u32>,
    /// `deployment.kubernetes.io/max-replicas` annotation.
    pub max_annotation: Option<u32>,
}

/// What the deployment controller reads of the Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub replicas: u32,
    pub strategy: Strategy,
    /// `status.replicas` (sum of ReplicaSet status replicas), the fallback for proportions.
    pub status_replicas: u32,
}

/// Result of one sync: ReplicaSets whose spec (or replica annotations) changed, and whether the
/// new ReplicaSet was created by this sync (it is then the last element of the vector).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncResult {
    pub created_new: bool,
    /// Indices whose `replicas` changed (the world must run their ReplicaSet sync).
    pub scaled: Vec<usize>,
}

/// `ResolveFenceposts`: surge rounds up, unavailable rounds down; both 0 → unavailable 1.
/// cite: kubernetes/kubernetes :: pkg/controller/deployment/util/deployment_util.go :: ResolveFenceposts
pub fn resolve_fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    desired: u32,
) -> (u32, u32) {
    let surge = max_surge.resolve(desired, true);
    let unavailable = max_unavailable.resolve(desired, false);
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

/// `MaxSurge(d)`: 0 unless RollingUpdate.
pub fn max_surge(d: &DeploymentInfo) -> u32 {
    match d.strategy {
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => resolve_fenceposts(max_surge, max_unavailable, d.replicas).0,
        Strategy::Recreate => 0,
    }
}

/// `MaxUnavailable(d)`: 0 unless RollingUpdate with replicas > 0; capped at replicas.
pub fn max_unavailable(d: &DeploymentInfo) -> u32 {
    match d.strategy {
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } if d.replicas > 0 => resolve_fenceposts(max_surge, max_unavailable, d.replicas)
            .1
            .min(d.replicas),
        _ => 0,
    }
}

/// `NewRSNewReplicas`: how far the new ReplicaSet may be scaled up now.
/// cite: kubernetes/kubernetes :: pkg/controller/deployment/util/deployment_util.go :: NewRSNewReplicas
pub fn new_rs_new_replicas(d: &DeploymentInfo, all_replicas: u32, new_replicas: u32) -> u32 {
    match d.strategy {
        Strategy::RollingUpdate { max_surge, .. } => {
            // the raw scaled value (no fencepost adjustment), as upstream
            let surge = max_surge.resolve(d.replicas, true);
            let max_total = d.replicas.saturating_add(surge);
            if all_replicas >= max_total {
                return new_replicas;
            }
            let up = (max_total - all_replicas).min(d.replicas.saturating_sub(new_replicas));
            new_replicas + up
        }
        Strategy::Recreate => d.replicas,
    }
}

/// `ReplicaSetsByCreationTimestamp`: older first, name breaks ties.
fn by_creation(a: &RsInfo, b: &RsInfo) -> Ordering {
    a.created_ns
        .cmp(&b.created_ns)
        .then_with(|| a.name.cmp(&b.name))
}

fn set_replicas(rss: &mut [RsInfo], i: usize, n: u32, d: &DeploymentInfo, out: &mut SyncResult) {
    // scaleReplicaSet also (re)writes the replica annotations.
    rss[i].desired_annotation = Some(d.replicas);
    rss[i].max_annotation = Some(d.replicas + max_surge(d));
    if rss[i].replicas != n {
        rss[i].replicas = n;
        if !out.scaled.contains(&i) {
            out.scaled.push(i);
        }
    }
}

/// One `syncDeployment`: a scaling event → `sync` (proportional scaling), else the strategy's
/// rollout. `new_rs` is the index of the ReplicaSet matching the current template, if it exists;
/// when the rollout needs it and it is missing, a new [`RsInfo`] named `new_rs_name` is pushed.
/// cite: kubernetes/kubernetes :: pkg/controller/deployment/deployment_controller.go :: syncDeployment
pub fn sync_deployment(
    d: &DeploymentInfo,
    rss: &mut Vec<RsInfo>,
    new_rs: Option<usize>,
    new_rs_name: &str,
    now_ns: Nanos,
) -> SyncResult {
    let mut out = SyncResult::default();
    if is_scaling_event(d, rss) {
        scale(d, rss, new_rs, &mut out);
        return out;
    }
    match d.strategy {
        Strategy::RollingUpdate { .. } => {
            rollout_rolling(d, rss, new_rs, new_rs_name, now_ns, &mut out)
        }
        Strategy::Recreate => rollout_recreate(d, rss, new_rs, new_rs_name, now_ns, &mut out),
    }
    out
}

/// `isScalingEvent`: an active ReplicaSet whose desired-replicas annotation differs from
/// `spec.replicas`.
fn is_scaling_event(d: &DeploymentInfo, rss: &[RsInfo]) -> bool {
    rss.iter()
        .filter(|r| r.replicas > 0)
        .any(|r| matches!(r.desired_annotation, Some(x) if x != d.replicas))
}

fn create_new_rs(
    d: &DeploymentInfo,
    rss: &mut Vec<RsInfo>,
    name: &str,
    now_ns: Nanos,
    out: &mut SyncResult,
) -> usize {
    let all: u32 = rss.iter().map(|r| r.replicas).sum();
    let replicas = new_rs_new_replicas(d, all, 0);
    rss.push(RsInfo {
        replicas,
        available: 0,
        nonterminal_pods: 0,
        created_ns: now_ns,
        name: name.to_string(),
        desired_annotation: Some(d.replicas),
        max_annotation: Some(d.replicas + max_surge(d)),
    });
    out.created_new = true;
    let i = rss.len() - 1;
    if replicas > 0 {
        out.scaled.push(i);
    }
    i
}

/// `rolloutRolling`: scale the new ReplicaSet up; only if nothing was scaled up, scale old
/// ones down. cite: kubernetes/kubernetes :: pkg/controller/deployment/rolling.go :: rolloutRolling
fn rollout_rolling(
    d: &DeploymentInfo,
    rss: &mut Vec<RsInfo>,
    new_rs: Option<usize>,
    name: &str,
    now_ns: Nanos,
    out: &mut SyncResult,
) {
    let new_i = match new_rs {
        Some(i) => i,
        None => create_new_rs(d, rss, name, now_ns, out),
    };
    // 1. reconcileNewReplicaSet
    let new_replicas = rss[new_i].replicas;
    if new_replicas != d.replicas {
        let target = if new_replicas > d.replicas {
            d.replicas
        } else {
            let all: u32 = rss.iter().map(|r| r.replicas).sum();
            new_rs_new_replicas(d, all, new_replicas)
        };
        if target != new_replicas {
            set_replicas(rss, new_i, target, d, out);
            return;
        }
    }
    // 2. reconcileOldReplicaSets
    let old: Vec<usize> = (0..rss.len()).filter(|&i| i != new_i).collect();
    let old_pods: u32 = old.iter().map(|&i| rss[i].replicas).sum();
    if old_pods == 0 {
        return;
    }
    let all_pods: u32 = rss.iter().map(|r| r.replicas).sum();
    let min_available = d.replicas.saturating_sub(max_unavailable(d));
    let new_unavailable = rss[new_i].replicas.saturating_sub(rss[new_i].available);
    let max_scaled_down =
        i64::from(all_pods) - i64::from(min_available) - i64::from(new_unavailable);
    if max_scaled_down <= 0 {
        return;
    }
    let mut active_old: Vec<usize> = old.into_iter().filter(|&i| rss[i].replicas > 0).collect();
    active_old.sort_by(|&a, &b| by_creation(&rss[a], &rss[b]));
    // 2a. cleanupUnhealthyReplicas: scale old ReplicaSets down by their unavailable pods.
    let mut cleaned: i64 = 0;
    for &i in &active_old {
        if cleaned >= max_scaled_down {
            break;
        }
        let r = &rss[i];
        if r.replicas == 0 || r.replicas <= r.available {
            continue;
        }
        let n = (max_scaled_down - cleaned).min(i64::from(r.replicas - r.available));
        let target = r.replicas - n as u32;
        cleaned += n;
        set_replicas(rss, i, target, d, out);
    }
    // 2b. scaleDownOldReplicaSetsForRollingUpdate
    let available: u32 = rss.iter().map(|r| r.available).sum();
    if available <= min_available {
        return;
    }
    let total = available - min_available;
    let mut done = 0u32;
    for &i in &active_old {
        if done >= total {
            break;
        }
        let r = rss[i].replicas;
        if r == 0 {
            continue;
        }
        let n = r.min(total - done);
        done += n;
        set_replicas(rss, i, r - n, d, out);
    }
}

/// `rolloutRecreate`: scale every old ReplicaSet to 0, wait until no old pod is left running,
/// then create / scale up the new ReplicaSet.
/// cite: kubernetes/kubernetes :: pkg/controller/deployment/recreate.go :: rolloutRecreate, oldPodsRunning
fn rollout_recreate(
    d: &DeploymentInfo,
    rss: &mut Vec<RsInfo>,
    new_rs: Option<usize>,
    name: &str,
    now_ns: Nanos,
    out: &mut SyncResult,
) {
    let mut scaled_down = false;
    for i in 0..rss.len() {
        if Some(i) != new_rs && rss[i].replicas > 0 {
            set_replicas(rss, i, 0, d, out);
            scaled_down = true;
        }
    }
    if scaled_down {
        return;
    }
    let old_running = (0..rss.len())
        .filter(|&i| Some(i) != new_rs)
        .any(|i| rss[i].nonterminal_pods > 0);
    if old_running {
        return;
    }
    let new_i = match new_rs {
        Some(i) => i,
        None => create_new_rs(d, rss, name, now_ns, out),
    };
    if rss[new_i].replicas != d.replicas {
        set_replicas(rss, new_i, d.replicas, d, out);
    }
}

/// Round half away from zero of `num / den` for non-negative values (`integer.RoundToInt32`).
fn round_div(num: u64, den: u64) -> u64 {
    if den == 0 {
        return 0;
    }
    (2 * num + den) / (2 * den)
}

/// `getReplicaSetFraction`.
fn rs_fraction(r: &RsInfo, d: &DeploymentInfo) -> i64 {
    if d.replicas == 0 {
        return -i64::from(r.replicas);
    }
    let max_now = u64::from(d.replicas + max_surge(d));
    let before = match r.max_annotation {
        Some(m) if m > 0 => u64::from(m),
        _ => u64::from(d.status_replicas),
    };
    if before == 0 {
        return 0;
    }
    round_div(u64::from(r.replicas) * max_now, before) as i64 - i64::from(r.replicas)
}

/// `scale` (sync.go): one active ReplicaSet → it takes all replicas; saturated new ReplicaSet →
/// old ones to 0; otherwise proportional scaling (RollingUpdate only).
/// cite: kubernetes/kubernetes :: pkg/controller/deployment/sync.go :: scale; util :: GetProportion, getReplicaSetFraction, FindActiveOrLatest, IsSaturated
fn scale(d: &DeploymentInfo, rss: &mut [RsInfo], new_rs: Option<usize>, out: &mut SyncResult) {
    let active: Vec<usize> = (0..rss.len()).filter(|&i| rss[i].replicas > 0).collect();
    // FindActiveOrLatest
    let active_or_latest = match active.len() {
        0 => new_rs.or_else(|| (0..rss.len()).max_by(|&a, &b| by_creation(&rss[a], &rss[b]))),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(i) = active_or_latest {
        if rss[i].replicas != d.replicas {
            set_replicas(rss, i, d.replicas, d, out);
        }
        return;
    }
    // IsSaturated(new)
    if let Some(n) = new_rs {
        let r = &rss[n];
        if r.replicas == d.replicas
            && r.desired_annotation == Some(d.replicas)
            && r.available == d.replicas
        {
            for &i in &active {
                if i != n {
                    set_replicas(rss, i, 0, d, out);
                }
            }
            return;
        }
    }
    if !matches!(d.strategy, Strategy::RollingUpdate { .. }) {
        return;
    }
    let all: i64 = active.iter().map(|&i| i64::from(rss[i].replicas)).sum();
    let allowed = if d.replicas > 0 {
        i64::from(d.replicas + max_surge(d))
    } else {
        0
    };
    let to_add = allowed - all;
    let mut order = active.clone();
    match to_add.cmp(&0) {
        // ReplicaSetsBySizeNewer: larger first, newer first on ties
        Ordering::Greater => order.sort_by(|&a, &b| {
            rss[b]
                .replicas
                .cmp(&rss[a].replicas)
                .then_with(|| by_creation(&rss[b], &rss[a]))
        }),
        // ReplicaSetsBySizeOlder: larger first, older first on ties
        Ordering::Less => order.sort_by(|&a, &b| {
            rss[b]
                .replicas
                .cmp(&rss[a].replicas)
                .then_with(|| by_creation(&rss[a], &rss[b]))
        }),
        Ordering::Equal => {}
    }
    let mut added: i64 = 0;
    let mut sizes: Vec<i64> = Vec::with_capacity(order.len());
    for &i in &order {
        let r = &rss[i];
        if to_add != 0 && r.replicas != 0 && to_add != added {
            let frac = rs_fraction(r, d);
            let left = to_add - added;
            let p = if to_add > 0 {
                frac.min(left)
            } else {
                frac.max(left)
            };
            sizes.push(i64::from(r.replicas) + p);
            added += p;
        } else {
            sizes.push(i64::from(r.replicas));
        }
    }
    for (k, &i) in order.iter().enumerate() {
        let mut size = sizes[k];
        if k == 0 && to_add != 0 {
            size = (size + to_add - added).max(0);
        }
        set_replicas(
            rss,
            i,
            u32::try_from(size.max(0)).unwrap_or(u32::MAX),
            d,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rolling(surge: IntOrPercent, unavail: IntOrPercent, replicas: u32) -> DeploymentInfo {
        DeploymentInfo {
            replicas,
            strategy: Strategy::RollingUpdate {
                max_surge: surge,
                max_unavailable: unavail,
            },
            status_replicas: replicas,
        }
    }

    fn rs(
        name: &str,
        replicas: u32,
        available: u32,
        created: u64,
        desired: u32,
        max: u32,
    ) -> RsInfo {
        RsInfo {
            replicas,
            available,
            nonterminal_pods: replicas,
            created_ns: created,
            name: name.into(),
            desired_annotation: Some(desired),
            max_annotation: Some(max),
        }
    }

    /// ResolveFenceposts: surge rounds up, unavailable rounds down, 0/0 → unavailable 1.
    #[test]
    fn fenceposts_round_like_kubernetes() {
        use IntOrPercent::*;
        assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 10), (3, 2));
        assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 1), (1, 0));
        assert_eq!(resolve_fenceposts(Percent(0), Percent(0), 10), (0, 1));
        assert_eq!(resolve_fenceposts(Int(0), Int(0), 3), (0, 1));
        assert_eq!(resolve_fenceposts(Percent(10), Percent(10), 15), (2, 1));
        assert_eq!(resolve_fenceposts(Int(2), Percent(50), 5), (2, 2));
    }

    /// rolling.go rolloutRolling example: replicas 10, defaults: new 0→3 (13 total) and old 10→8 in
    /// the first sync (new RS is created already scaled, then old ones are scaled down).
    #[test]
    fn first_rollout_sync_matches_upstream_example() {
        let d = rolling(IntOrPercent::Percent(25), IntOrPercent::Percent(25), 10);
        let mut rss = vec![rs("web-old", 10, 10, 0, 10, 13)];
        let r = sync_deployment(&d, &mut rss, None, "web-new", 100);
        assert!(r.created_new);
        assert_eq!(rss[1].replicas, 3);
        assert_eq!(rss[0].replicas, 8);
        // the old RS's pods are deleted (8 available); total spec 11 < 13 → new 3→5
        rss[0].available = 8;
        let r = sync_deployment(&d, &mut rss, Some(1), "web-new", 200);
        assert_eq!(r.scaled, vec![1]);
        assert_eq!(rss[1].replicas, 5);
        // 13 spec, 8 available, 5 new unavailable → maxScaledDown 0: nothing
        let r = sync_deployment(&d, &mut rss, Some(1), "web-new", 300);
        assert!(r.scaled.is_empty(), "{r:?}");
        // 3 new pods become available: available 11 − minAvailable 8 → old 8→5
        rss[1].available = 3;
        let r = sync_deployment(&d, &mut rss, Some(1), "web-new", 400);
        assert_eq!(r.scaled, vec![0]);
        assert_eq!(rss[0].replicas, 5);
    }

    /// cleanupUnhealthyReplicas: unavailable old pods go first, bounded by maxScaledDown.
    #[test]
    fn cleanup_unhealthy_old_replicas_first() {
        let d = rolling(IntOrPercent::Int(0), IntOrPercent::Int(1), 4);
        let mut rss = vec![rs("a", 4, 2, 0, 4, 4), rs("b", 0, 0, 10, 4, 4)];
        // all = 4, minAvailable 3, new unavailable 0 → maxScaledDown 1
        let r = sync_deployment(&d, &mut rss, Some(1), "b", 20);
        assert_eq!(rss[0].replicas, 3);
        assert_eq!(r.scaled, vec![0]);
    }

    /// Proportional scaling during a rollout (sync.go :: scale, GetProportion).
    #[test]
    fn scaling_event_during_rollout_is_proportional() {
        // 10 replicas mid-rollout: old 5, new 8 (13 = 10 + surge 3); scale to 20 (surge 5 → 25)
        let mut d = rolling(IntOrPercent::Percent(25), IntOrPercent::Percent(25), 10);
        let mut rss = vec![rs("old", 5, 5, 0, 10, 13), rs("new", 8, 3, 10, 10, 13)];
        d.replicas = 20;
        let r = sync_deployment(&d, &mut rss, Some(1), "new", 50);
        // fractions: new round(8*25/13)=15 (+7), old round(5*25/13)=10 (+5); total 25
        assert_eq!(rss[1].replicas, 15);
        assert_eq!(rss[0].replicas, 10);
        assert_eq!(r.scaled.len(), 2);
        assert_eq!(rss[0].desired_annotation, Some(20));
    }

    /// A plain scale with one active ReplicaSet sets it to spec.replicas.
    #[test]
    fn plain_scale_sets_the_only_active_rs() {
        let mut d = rolling(IntOrPercent::Percent(25), IntOrPercent::Percent(25), 10);
        let mut rss = vec![rs("a", 10, 10, 0, 10, 13)];
        d.replicas = 3;
        sync_deployment(&d, &mut rss, Some(0), "a", 5);
        assert_eq!(rss[0].replicas, 3);
    }

    /// Recreate: old scaled to 0 first; new created only once no old pod runs.
    #[test]
    fn recreate_waits_for_old_pods() {
        let d = DeploymentInfo {
            replicas: 4,
            strategy: Strategy::Recreate,
            status_replicas: 4,
        };
        let mut rss = vec![rs("a", 4, 4, 0, 4, 4)];
        sync_deployment(&d, &mut rss, None, "b", 1);
        assert_eq!(rss.len(), 1);
        assert_eq!(rss[0].replicas, 0);
        sync_deployment(&d, &mut rss, None, "b", 2);
        assert_eq!(rss.len(), 1, "old pods still running");
        rss[0].nonterminal_pods = 0;
        let r = sync_deployment(&d, &mut rss, None, "b", 3);
        assert!(r.created_new);
        assert_eq!(rss[1].replicas, 4);
    }
}
