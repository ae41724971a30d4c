//! `[controllers]`, `[apiserver]`, `[plan]` and `[[watchers]]`.

use super::*;

pub(super) fn sub<'a>(cx: &mut Cx, t: &mut Option<Tbl<'a>>, key: &'static str) -> Option<Tbl<'a>> {
    t.as_mut().and_then(|t| t.table(cx, key))
}

pub(super) fn resolve_controllers(
    cx: &mut Cx,
    mut t: Option<Tbl>,
    profile: VersionProfile,
) -> Controllers {
    let default_sync = DurationDist::uniform(NS_PER_MS, 5 * NS_PER_MS);
    // ESC: 1 s·2^n capped at 1000 s (defaultSyncBackOff / maxSyncBackOff).
    let (max_endpoints_per_slice, q, (packing, packing_min_fill)) = controller_table(
        cx,
        &mut t,
        "endpointslice",
        (
            "max_endpoints_per_slice",
            1,
            1000,
            DEFAULT_MAX_ENDPOINTS_PER_SLICE,
        ),
        default_sync,
        (NS_PER_SEC, 1000 * NS_PER_SEC),
        packing,
    );
    let endpointslice = EndpointSliceController {
        enabled: q.enabled,
        max_endpoints_per_slice,
        batch_period_ns: q.batch_period_ns,
        workers: q.workers,
        sync_duration: q.sync_duration,
        retry: q.retry,
        packing,
        packing_min_fill,
    };
    // EPC: DefaultTypedControllerRateLimiter, 5 ms·2^n capped at 1000 s.
    let (max_capacity, q, ()) = controller_table(
        cx,
        &mut t,
        "endpoints",
        ("max_capacity", 0, 1_000_000, DEFAULT_ENDPOINTS_MAX_CAPACITY),
        default_sync,
        (5 * NS_PER_MS, 1000 * NS_PER_SEC),
        |_, _| (),
    );
    let endpoints = EndpointsController {
        enabled: q.enabled,
        max_capacity,
        batch_period_ns: q.batch_period_ns,
        workers: q.workers,
        sync_duration: q.sync_duration,
        retry: q.retry,
    };
    // ESMC: 1 s·2^n capped at 100 s.
    let (max_endpoints_per_subset, q, ()) = controller_table(
        cx,
        &mut t,
        "mirroring",
        (
            "max_endpoints_per_subset",
            1,
            1000,
            DEFAULT_MIRRORING_MAX_PER_SUBSET,
        ),
        default_sync,
        (NS_PER_SEC, 100 * NS_PER_SEC),
        |_, _| (),
    );
    let mirroring = MirroringController {
        enabled: q.enabled,
        max_endpoints_per_subset,
        workers: q.workers,
        batch_period_ns: q.batch_period_ns,
        sync_duration: q.sync_duration,
        retry: q.retry,
    };
    let informer_lag = t
        .as_mut()
        .and_then(|t| t.dist(cx, "informer_lag"))
        .map_or(DurationDist::uniform(3 * NS_PER_MS, 18 * NS_PER_MS), |s| {
            s.v
        });
    if let Some(t) = t {
        t.finish(cx);
    }
    Controllers {
        profile,
        endpointslice,
        endpoints,
        mirroring,
        informer_lag,
    }
}

/// One controller table (`[controllers.<key>]`): its size limit `(field, min, max, default)`
/// read first, then the workqueue settings every controller has, then unknown keys reported.
pub(super) fn controller_table<R>(
    cx: &mut Cx,
    parent: &mut Option<Tbl>,
    key: &'static str,
    limit: (&'static str, u32, u32, u32),
    default_sync: DurationDist,
    (retry_base, retry_max): (Nanos, Nanos),
    extra: impl FnOnce(&mut Cx, &mut Option<Tbl>) -> R,
) -> (u32, QueueSettings, R) {
    let mut e = sub(cx, parent, key);
    let (field, min, max, default) = limit;
    let v = e
        .as_mut()
        .and_then(|t| t.u32(cx, field, min, max))
        .map_or(default, |s| s.v);
    let q = queue_settings(cx, &mut e, default_sync, retry_base, retry_max);
    let r = extra(cx, &mut e);
    if let Some(t) = e {
        t.finish(cx);
    }
    (v, q, r)
}

/// `packing` and `packing_min_fill` of `[controllers.endpointslice]`; a min fill given with
/// another policy than `bounded` is read by nothing, and said so.
fn packing(cx: &mut Cx, e: &mut Option<Tbl>) -> (Packing, f64) {
    let Some(t) = e.as_mut() else {
        return (Packing::Upstream, DEFAULT_PACKING_MIN_FILL);
    };
    let policy = t
        .one_of(cx, "packing", &["upstream", "repack", "bounded"])
        .map_or(Packing::Upstream, |s| match s.v {
            "repack" => Packing::Repack,
            "bounded" => Packing::Bounded,
            _ => Packing::Upstream,
        });
    let min_fill = t.fraction(cx, "packing_min_fill");
    if let Some(m) = &min_fill {
        if policy != Packing::Bounded {
            cx.warn(
                &m.origin,
                &m.path,
                "only `packing = \"bounded\"` reads packing_min_fill; it has no effect here",
            );
        }
    }
    (policy, min_fill.map_or(DEFAULT_PACKING_MIN_FILL, |m| m.v))
}

/// `packing_min_fill` when not given.
const DEFAULT_PACKING_MIN_FILL: f64 = 0.5;

/// The workqueue settings every controller table has (enabled, batch period, workers, sync
/// duration, retry backoff).
pub(super) struct QueueSettings {
    pub(super) enabled: bool,
    pub(super) batch_period_ns: Nanos,
    pub(super) workers: u32,
    pub(super) sync_duration: DurationDist,
    pub(super) retry: Retry,
}

pub(super) fn queue_settings(
    cx: &mut Cx,
    e: &mut Option<Tbl>,
    default_sync: DurationDist,
    retry_base: Nanos,
    retry_max: Nanos,
) -> QueueSettings {
    QueueSettings {
        enabled: e
            .as_mut()
            .and_then(|t| t.bool(cx, "enabled"))
            .map_or(true, |b| b.v),
        batch_period_ns: e
            .as_mut()
            .and_then(|t| t.duration(cx, "batch_period"))
            .map_or(0, |s| s.v),
        workers: e
            .as_mut()
            .and_then(|t| t.u32(cx, "workers", 1, 50))
            .map_or(DEFAULT_WORKERS, |s| s.v),
        sync_duration: e
            .as_mut()
            .and_then(|t| t.dist(cx, "sync_duration"))
            .map_or(default_sync, |s| s.v),
        retry: retry(cx, e, retry_base, retry_max),
    }
}

pub(super) fn retry(cx: &mut Cx, t: &mut Option<Tbl>, base: Nanos, max: Nanos) -> Retry {
    let b = t.as_mut().and_then(|t| t.duration(cx, "retry_base"));
    let m = t.as_mut().and_then(|t| t.duration(cx, "retry_max"));
    let n = t.as_mut().and_then(|t| t.u32(cx, "max_retries", 0, 1000));
    let r = Retry {
        base_ns: b.as_ref().map_or(base, |s| s.v),
        max_ns: m.as_ref().map_or(max, |s| s.v),
        max_retries: n.map_or(15, |s| s.v),
    };
    if r.base_ns > r.max_ns {
        if let Some(m) = m.as_ref().or(b.as_ref()) {
            cx.err(&m.origin, &m.path, "retry_base must not exceed retry_max");
        }
    }
    r
}

pub(super) fn resolve_apiserver(cx: &mut Cx, t: Option<Tbl>) -> ApiServer {
    let mut t = t;
    let a = ApiServer {
        etcd_max_request_bytes: t
            .as_mut()
            .and_then(|t| t.uint(cx, "etcd_max_request_bytes", 1024, 1 << 32))
            .map_or(DEFAULT_ETCD_MAX_REQUEST_BYTES, |s| s.v),
        // client-go reflector: timeout uniform in [minWatchTimeout, 2·minWatchTimeout), 5 min.
        watch_timeout: t.as_mut().and_then(|t| t.dist(cx, "watch_timeout")).map_or(
            DurationDist::uniform(300 * NS_PER_SEC, 600 * NS_PER_SEC),
            |s| s.v,
        ),
        // apiserver cacher defaultBookmarkFrequency = 1 min.
        bookmark_interval_ns: t
            .as_mut()
            .and_then(|t| t.duration(cx, "bookmark_interval"))
            .map_or(60 * NS_PER_SEC, |s| s.v),
        kcm_content_type: match t
            .as_mut()
            .and_then(|t| t.one_of(cx, "kcm_content_type", &["protobuf", "json"]))
            .map(|s| s.v)
        {
            Some("json") => Encoding::Json,
            _ => Encoding::Protobuf,
        },
        write_latency: t
            .as_mut()
            .and_then(|t| t.dist(cx, "write_latency"))
            .map_or(DurationDist::uniform(2 * NS_PER_MS, 8 * NS_PER_MS), |s| s.v),
    };
    if let Some(t) = t {
        t.finish(cx);
    }
    a
}

/// `[plan]`: budgets in human byte units, the workload to size, optional grids.
/// What `slicesim plan` uses when `[plan]` leaves a grid out (`plan::grids`), for messages.
pub(super) const PLAN_DEFAULT_SIZES: &str =
    "10, 25, 50, 100, 200, 500, 1000; 50, 100, 500, 1000 for large scenarios";
pub(super) const PLAN_DEFAULT_PERIODS: &str =
    "0, 500ms, 1s, 5s, 10s; 0, 1s, 10s for large scenarios";

pub(super) fn resolve_plan(cx: &mut Cx, t: Option<Tbl>, wnames: &Names) -> Plan {
    let Some(mut t) = t else {
        return Plan::default();
    };
    let bytes = |cx: &mut Cx, t: &mut Tbl, key: &'static str, rate: bool| -> Option<u64> {
        let n = t.get(cx, key)?;
        let path = t.path_of(key);
        let parsed = match (&n.v, rate) {
            (V::Str(s), false) => values::parse_bytes(s),
            (V::Str(s), true) => values::parse_byte_rate(s),
            (V::Int(i), false) if *i > 0 => Ok(*i as u64),
            (V::Int(i), false) => Err(format!("{i} is out of range (allowed: 1 or more bytes)")),
            _ => {
                let help = if rate {
                    values::BYTE_RATE_HELP
                } else {
                    values::BYTES_HELP
                };
                type_error(cx, n, &path, help);
                return None;
            }
        };
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                cx.err(&n.origin, &path, e);
                None
            }
        }
    };
    let egress = bytes(cx, &mut t, "egress_budget", true);
    let node = bytes(cx, &mut t, "node_ingress_budget", true);
    let rolling = bytes(cx, &mut t, "rolling_update_egress_budget", false);
    let workload = t.str(cx, "workload").and_then(|w| wnames.lookup(cx, &w));
    let mut sizes = Vec::new();
    for (p, n) in t
        .nonempty_array(cx, "max_endpoints_per_slice", PLAN_DEFAULT_SIZES)
        .unwrap_or_default()
    {
        if let Some(v) = int_node(cx, n, &p, 1, 1000) {
            let v = v.v as u32;
            if sizes.contains(&v) {
                cx.err(&n.origin, &p, format!("{v} is listed twice"));
            }
            sizes.push(v);
        }
    }
    let mut periods = Vec::new();
    for (p, n) in t
        .nonempty_array(cx, "batch_periods", PLAN_DEFAULT_PERIODS)
        .unwrap_or_default()
    {
        if let Some(v) = duration_node(cx, n, &p) {
            if periods.contains(&v.v) {
                cx.err(&n.origin, &p, format!("{} is listed twice", n.show()));
            }
            periods.push(v.v);
        }
    }
    t.finish(cx);
    Plan {
        egress_budget_bytes_per_second: egress,
        node_ingress_budget_bytes_per_second: node,
        rolling_update_egress_budget_bytes: rolling,
        workload,
        max_endpoints_per_slice: sizes,
        batch_periods_ns: periods,
    }
}

pub(super) fn resolve_watchers(cx: &mut Cx, top: &mut Tbl) -> Vec<Watcher> {
    let present = top.has("watchers");
    let ts = top.tables(cx, "watchers");
    if !present {
        // A real cluster has a kube-proxy per node and CoreDNS (kubeadm default: 2 replicas).
        return vec![
            default_watcher(WatcherKind::KubeProxy),
            default_watcher(WatcherKind::CoreDns),
        ];
    }
    let mut out: Vec<Watcher> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for mut t in ts {
        let kind = t.one_of(cx, "kind", &["kube-proxy", "coredns", "custom"]);
        if kind.is_none() && !t.has("kind") {
            t.missing(cx, "kind", "\"kube-proxy\", \"coredns\" or \"custom\"");
        }
        let kind = match kind.as_ref().map(|k| k.v) {
            Some("kube-proxy") => WatcherKind::KubeProxy,
            Some("coredns") => WatcherKind::CoreDns,
            _ => WatcherKind::Custom,
        };
        let mut w = default_watcher(kind);
        if let Some(n) = t.str(cx, "name") {
            w.name = n.v.clone();
            if !names.insert(n.v.clone()) {
                cx.err(
                    &n.origin,
                    &n.path,
                    format!("duplicate watcher name {:?}", n.v),
                );
            }
        } else {
            let mut name = w.name.clone();
            let mut i = 2;
            while names.contains(&name) {
                name = format!("{}-{i}", w.name);
                i += 1;
            }
            names.insert(name.clone());
            w.name = name;
        }
        if let Some(n) = t.get(cx, "count") {
            let p = t.path_of("count");
            match &n.v {
                V::Str(s) if s == "per-node" => w.count = WatcherCount::PerNode,
                V::Int(_) => {
                    if let Some(c) = int_node(cx, n, &p, 0, 1_000_000) {
                        w.count = WatcherCount::Fixed(c.v as u32);
                    }
                }
                _ => type_error(cx, n, &p, "a count or \"per-node\""),
            }
        }
        let resource = t.one_of(cx, "resource", &["endpointslices", "endpoints"]);
        match resource.as_ref().map(|r| r.v) {
            Some("endpoints") => w.resource = WatchResource::Endpoints,
            Some(_) => w.resource = WatchResource::EndpointSlices,
            None => {}
        }
        if let Some(s) = t.str(cx, "label_selector") {
            match values::parse_label_selector(&s.v) {
                Ok(sel) => w.label_selector = sel,
                Err(e) => cx.err(&s.origin, &s.path, e),
            }
        }
        if let Some(e) = t.one_of(cx, "encoding", &["json", "protobuf"]) {
            w.encoding = if e.v == "json" {
                Encoding::Json
            } else {
                Encoding::Protobuf
            };
        }
        if let Some(d) = t.dist(cx, "delivery_latency") {
            w.delivery_latency = d.v;
        }
        if let Some(d) = t.duration(cx, "min_sync_period") {
            w.min_sync_period_ns = d.v;
        }
        t.finish(cx);
        out.push(w);
    }
    out
}

pub(super) fn default_watcher(kind: WatcherKind) -> Watcher {
    match kind {
        // kube-proxy: DaemonSet (one per node), EndpointSlices with the no-headless/no-proxy-name
        // selector, protobuf (SetDefaults_KubeProxyConfiguration ContentType), minSyncPeriod 1 s.
        WatcherKind::KubeProxy => Watcher {
            name: "kube-proxy".into(),
            kind,
            count: WatcherCount::PerNode,
            resource: WatchResource::EndpointSlices,
            label_selector: values::parse_label_selector(KUBE_PROXY_SELECTOR).unwrap_or_default(),
            encoding: Encoding::Protobuf,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: NS_PER_SEC,
        },
        // CoreDNS kubernetes plugin: all EndpointSlices (no label selector unless `labels` is
        // configured), 2 replicas (kubeadm default). It asks for protobuf:
        // coredns/coredns :: plugin/kubernetes/kubernetes.go :: getClientConfig sets
        // ContentType "application/vnd.kubernetes.protobuf" (read at commit 01c32383).
        WatcherKind::CoreDns => Watcher {
            name: "coredns".into(),
            kind,
            count: WatcherCount::Fixed(2),
            resource: WatchResource::EndpointSlices,
            label_selector: LabelSelector::default(),
            encoding: Encoding::Protobuf,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: 0,
        },
        WatcherKind::Custom => Watcher {
            name: "custom".into(),
            kind,
            count: WatcherCount::Fixed(1),
            resource: WatchResource::EndpointSlices,
            label_selector: LabelSelector::default(),
            encoding: Encoding::Json,
            delivery_latency: DurationDist::uniform(NS_PER_MS, 10 * NS_PER_MS),
            min_sync_period_ns: 0,
        },
    }
}
