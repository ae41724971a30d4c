//! `report.md`: the plan as Markdown. Pure function of the [`super::Plan`] (no clock, no
//! output paths: links are relative to the plan directory), so two plans of the same scenario
//! are byte-identical.

use super::results::{non_monotonic, Spread, MODES};
use super::{Answer, Plan};
use crate::scenario::values::format_duration;
use std::fmt::Write as _;

/// Human bytes, binary units, 3 significant digits (`9.00 MiB`, `512 B`).
pub fn human_bytes(v: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = v;
    let mut u = 0;
    while x.abs() >= 1024.0 && u < UNITS.len() - 1 {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", v.round() as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.0} {}", UNITS[u])
    } else if x.abs() >= 10.0 {
        format!("{x:.1} {}", UNITS[u])
    } else {
        format!("{x:.2} {}", UNITS[u])
    }
}

/// An integer with thousands separators (`9,426,905`).
pub fn grouped(v: f64) -> String {
    let n = v.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn count(v: f64) -> String {
    grouped(v)
}

fn secs(v: Option<f64>) -> String {
    match v {
        Some(s) => format!("{s:.3} s"),
        None => "–".into(),
    }
}

fn mode_title(mode: &str) -> &'static str {
    match mode {
        "endpointslices" => "EndpointSlices",
        _ => "Endpoints",
    }
}

fn pct(a: f64, b: f64) -> String {
    if b == 0.0 {
        "–".into()
    } else {
        format!("{:+.0} %", (a / b - 1.0) * 100.0)
    }
}

/// A figure over seeds: the median, with `(min–max)` when the seeds differ.
fn spread(sp: Spread, f: impl Fn(f64) -> String) -> String {
    if sp.exact() {
        f(sp.median)
    } else {
        format!("{} ({}–{})", f(sp.median), f(sp.min), f(sp.max))
    }
}

fn secs_spread(sp: Option<Spread>) -> String {
    match sp {
        Some(sp) => spread(sp, |v| format!("{v:.3} s")),
        None => "–".into(),
    }
}

/// "holds in k/n seeds".
fn held(k: usize, n: usize) -> String {
    format!("holds in {k}/{n} seed{}", if n == 1 { "" } else { "s" })
}

/// The statistic per-second budgets are judged on.
fn judged_name(p: &Plan) -> String {
    if p.opts.budget_percentile >= 100.0 {
        "peak".into()
    } else {
        format!("p{}", p.opts.budget_percentile)
    }
}

/// The percentile of seconds shown next to the peak (the judged one, else 99).
fn shown_percentile(p: &Plan) -> f64 {
    if p.opts.budget_percentile >= 100.0 {
        99.0
    } else {
        p.opts.budget_percentile
    }
}

/// Render the whole report.
pub fn render(p: &Plan) -> String {
    let mut s = String::new();
    header(&mut s, p);
    headline(&mut s, p);
    limits(&mut s, p);
    slice_sizes(&mut s, p);
    batch_periods(&mut s, p);
    rolling(&mut s, p);
    leaves_out(&mut s);
    runs(&mut s, p);
    s
}

fn header(s: &mut String, p: &Plan) {
    let sc = p.scenario;
    let _ = writeln!(s, "# Capacity plan: `{}`\n", sc.name);
    if !sc.description.is_empty() {
        let _ = writeln!(s, "> {}\n", sc.description);
    }
    let _ = writeln!(
        s,
        "Scenario file `{}` (SHA-256 `{}`), seed {}, {} simulated{}. Made by `slicesim plan` {}.",
        sc.source.file,
        sc.source.sha256,
        sc.seed,
        format_duration(sc.duration_ns),
        if p.opts.overrides.is_empty() {
            String::new()
        } else {
            format!(
                ", with {}",
                p.opts
                    .overrides
                    .iter()
                    .map(|o| format!("`--set {o}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        },
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        s,
        "\nEvery figure is simulated and names the run that produced it: `runs/<run>/` holds that \
         run's `slicesim run` output, and [Runs](#runs) lists its `--set` overrides, so \
         `slicesim run {} --set …` reproduces it. \"Watch egress\" is every byte the API server \
         sends to watchers (events, bookmarks, relists) of one mode; \"node ingress\" is what one \
         node's kube-proxy receives. Both modes come from the same simulated run (the two \
         controllers see the same pods).\n",
        sc.source.file
    );
    let _ = writeln!(
        s,
        "**Seeds.** Every run was made with {} seed(s): {} (the scenario's seed and the next \
         integers, `--set seed=`). A figure is the median over the seeds, followed by its \
         (min–max) when the seeds differ; a budget verdict says in how many seeds it held, and \
         the rolling-update search counts a size as within budget only if it held in every \
         seed. Per-second budgets are judged on the {} second{}.\n",
        p.seeds.len(),
        p.seeds
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        judged_name(p),
        if p.opts.budget_percentile >= 100.0 {
            String::new()
        } else {
            " (`--budget-percentile`: that share of the simulated seconds is at or below it)"
                .to_string()
        }
    );
    if p.grids.large {
        let _ = writeln!(
            s,
            "**Reduced grids.** This scenario fans out to about {} pod × node pairs (more than {}), \
             so the internal studies use fewer points: slice sizes {:?}, batch periods {}, a \
             rolling-update ladder of 2^{:?} × the replica count and {} bisection steps. Set \
             `[plan] max_endpoints_per_slice` / `batch_periods` to choose the grids yourself.\n",
            grouped(p.grids.fanout as f64),
            grouped(super::LARGE_FANOUT as f64),
            p.grids.slice_sizes,
            periods_text(p),
            p.grids.ladder_exps,
            p.grids.bisect_steps
        );
    }
    let _ = writeln!(
        s,
        "Contents: [Headline](#headline) · [Limits](#limits) · \
         [max-endpoints-per-slice](#max-endpoints-per-slice) · [Batch period](#batch-period) · \
         [Rolling update sizing](#rolling-update-sizing) · \
         [What the model leaves out](#what-the-model-leaves-out) · [Runs](#runs)\n"
    );
}

fn periods_text(p: &Plan) -> String {
    p.grids
        .batch_periods_ns
        .iter()
        .map(|&n| format_duration(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn headline(s: &mut String, p: &Plan) {
    let d = p.run("baseline");
    let _ = writeln!(s, "## Headline\n");
    let _ = writeln!(
        s,
        "The scenario as written, run `baseline` (`{}/`, other seeds in {}).\n",
        d.dir(),
        others(d)
    );
    let _ = writeln!(s, "| | EndpointSlices | Endpoints |\n|---|---:|---:|");
    let row = |s: &mut String, label: &str, f: &dyn Fn(&str) -> String| {
        let _ = writeln!(s, "| {label} | {} | {} |", f(MODES[0]), f(MODES[1]));
    };
    row(s, "API server watch egress, total", &|m| {
        let v = d.num(m, "bytes_out_total");
        let exact = format!("{} ({} B)", human_bytes(v.median), grouped(v.median));
        if v.exact() {
            exact
        } else {
            format!("{exact} ({}–{})", human_bytes(v.min), human_bytes(v.max))
        }
    });
    row(s, "API server watch egress, peak second", &|m| {
        let pk = d.seeds[0].series.peak_bytes(m, 0);
        format!(
            "{}/s; seed {}: at t = {} s",
            spread(d.spread(|r| r.series.peak_bytes(m, 0).value), human_bytes),
            d.seeds[0].seed,
            pk.at
        )
    });
    let q = shown_percentile(p);
    row(s, &format!("API server watch egress, p{q} second"), &|m| {
        format!(
            "{}/s",
            spread(
                d.spread(|r| r.series.percentile_of(m, 0, q, false)),
                human_bytes
            )
        )
    });
    row(s, "watch events", &|m| {
        spread(d.num(m, "watch_events"), count)
    });
    row(s, "etcd write bytes", &|m| {
        spread(d.num(m, "etcd_write_bytes"), human_bytes)
    });
    row(s, "API writes stored", &|m| {
        spread(d.num(m, "writes_stored"), count)
    });
    row(
        s,
        "per-node kube-proxy ingress, total (mean / max node)",
        &|m| {
            format!(
                "{} / {}",
                spread(d.num(m, "node_ingress_bytes_mean"), human_bytes),
                spread(d.num(m, "node_ingress_bytes_max"), human_bytes)
            )
        },
    );
    row(s, "per-node kube-proxy ingress, peak second", &|m| {
        format!(
            "{}/s",
            spread(
                d.spread(|r| r.series.peak_node_bytes(m, 0).value),
                human_bytes
            )
        )
    });
    row(s, "largest object written", &|m| {
        spread(d.num(m, "largest_object_bytes"), human_bytes)
    });
    row(s, "endpoint propagation p50 / p99", &|m| {
        format!(
            "{} / {}",
            secs_spread(d.get(m, "propagation_p50_seconds")),
            secs_spread(d.get(m, "propagation_p99_seconds"))
        )
    });
    s.push('\n');
    charts(s, &d.charts);
}

/// The other seeds' directories of a run, or "no other seed".
fn others(d: &super::Done) -> String {
    let dirs = d.seed_dirs();
    if dirs.len() <= 1 {
        "no other seed".into()
    } else {
        dirs[1..]
            .iter()
            .map(|x| format!("`{x}/`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn charts(s: &mut String, list: &[String]) {
    for c in list {
        let stem = c
            .rsplit('/')
            .next()
            .unwrap_or(c)
            .split('.')
            .next()
            .unwrap_or(c);
        let _ = writeln!(s, "![{stem}]({c})\n");
    }
}

fn limits(s: &mut String, p: &Plan) {
    let d = p.run("baseline");
    let sc = p.scenario;
    let _ = writeln!(s, "## Limits\n");
    let _ = writeln!(s, "From run `baseline`, every seed.\n");
    let limit = sc.apiserver.etcd_max_request_bytes as f64;
    let _ = writeln!(
        s,
        "**etcd request size** (`--max-request-bytes` = {} B, {}):",
        grouped(limit),
        human_bytes(limit)
    );
    for m in MODES {
        let largest = d.num(m, "largest_object_bytes");
        let rejected = d.num(m, "writes_rejected_oversize");
        let ok = d
            .seeds
            .iter()
            .filter(|r| r.summary.num(m, "writes_rejected_oversize") == 0.0)
            .count();
        let verdict = if rejected.max > 0.0 {
            format!(
                "**crossed** ({}): {} write(s) rejected as too large (the object stays stale in etcd)",
                held(ok, d.seeds.len()),
                spread(rejected, count)
            )
        } else {
            format!(
                "within ({}); largest object {} ({:.1} % of the limit)",
                held(ok, d.seeds.len()),
                spread(largest, human_bytes),
                largest.max / limit * 100.0
            )
        };
        let _ = writeln!(s, "- {}: {verdict}.", mode_title(m));
    }
    s.push('\n');
    let cap = sc.controllers.endpoints.max_capacity;
    let _ = writeln!(
        s,
        "**Endpoints truncation** (`controllers.endpoints.max_capacity` = {cap}; since v1.22 the \
         Endpoints controller keeps at most this many addresses and sets the \
         `endpoints.kubernetes.io/over-capacity: truncated` annotation):"
    );
    let truncated = d.num("endpoints", "writes_truncated");
    let ep_writes = d.num("endpoints", "writes_stored");
    if cap > 0 {
        let _ = writeln!(
            s,
            "- measured in the baseline run: {} of {} stored Endpoints writes were truncated{}.",
            spread(truncated, count),
            spread(ep_writes, count),
            if truncated.max > 0.0 {
                " (**crossed**)"
            } else {
                ""
            }
        );
    }
    let mut any = false;
    for svc in &sc.services {
        let Some(w) = svc.workload else { continue };
        let w = &sc.workloads[w];
        let label = crate::run::workloads::workload_label(&w.namespace, &w.name);
        let peak = d
            .num("run", &format!("workload.{label}.peak_pods_active"))
            .max;
        any = true;
        let verdict = if cap == 0 {
            "truncation disabled (pre-1.22 behaviour): the object holds every address; see the etcd limit above for its size".to_string()
        } else if peak > f64::from(cap) {
            format!(
                "**crossed**: up to {} pods (peak active pods of workload `{label}`, an upper bound on its addresses) > {cap}; Endpoints clients see only {cap} of them, EndpointSlice clients see all",
                count(peak)
            )
        } else {
            format!(
                "within: at most {} pods (peak active pods of workload `{label}`) ≤ {cap}",
                count(peak)
            )
        };
        let _ = writeln!(s, "- Service `{}/{}`: {verdict}.", svc.namespace, svc.name);
    }
    if !any {
        let _ = writeln!(s, "- no Service selects a workload.");
    }
    s.push('\n');
    let b = &sc.plan;
    let _ = writeln!(s, "**Bandwidth budgets** (`[plan]`):");
    let budget = |s: &mut String, name: &str, limit: Option<u64>, node: bool| {
        let Some(l) = limit else {
            let _ = writeln!(s, "- `plan.{name}`: not set.");
            return;
        };
        for m in MODES {
            let peak = |r: &super::RunData| {
                if node {
                    r.series.peak_node_bytes(m, 0).value
                } else {
                    r.series.peak_bytes(m, 0).value
                }
            };
            let judged =
                |r: &super::RunData| r.series.percentile_of(m, 0, p.opts.budget_percentile, node);
            let ok = d.seeds.iter().filter(|r| judged(r) <= l as f64).count();
            let n = d.seeds.len();
            let over = d.spread(|r| r.series.seconds_over(m, 0, l as f64, node).0 as f64);
            let first = d.seeds.iter().find_map(|r| {
                r.series
                    .seconds_over(m, 0, l as f64, node)
                    .1
                    .map(|t| (r.seed, t))
            });
            let pk = d.spread(peak);
            let q = shown_percentile(p);
            let pq = d.spread(|r| r.series.percentile_of(m, 0, q, node));
            let stats = format!(
                "peak {}/s, p{q} {}/s",
                spread(pk, human_bytes),
                spread(pq, human_bytes)
            );
            let verdict = if ok == n {
                format!(
                    "**{}** on the {} second; {stats} ({:.1} % of the budget at the median {})",
                    held(ok, n),
                    judged_name(p),
                    d.spread(judged).median / l as f64 * 100.0,
                    judged_name(p)
                )
            } else {
                format!(
                    "**exceeded** on the {} second: {}; {} simulated second(s) over{}; {stats}",
                    judged_name(p),
                    held(ok, n),
                    spread(over, count),
                    first
                        .map(|(seed, t)| format!(", first at t = {t} s (seed {seed})"))
                        .unwrap_or_default()
                )
            };
            let _ = writeln!(
                s,
                "- `plan.{name}` = {}/s, {}: {verdict}.",
                human_bytes(l as f64),
                mode_title(m)
            );
        }
    };
    budget(s, "egress_budget", b.egress_budget_bytes_per_second, false);
    budget(
        s,
        "node_ingress_budget",
        b.node_ingress_budget_bytes_per_second,
        true,
    );
    match b.rolling_update_egress_budget_bytes {
        Some(l) => {
            let _ = writeln!(
                s,
                "- `plan.rolling_update_egress_budget` = {}: see [Rolling update sizing](#rolling-update-sizing).",
                human_bytes(l as f64)
            );
        }
        None => {
            let _ = writeln!(s, "- `plan.rolling_update_egress_budget`: not set.");
        }
    }
    s.push('\n');
}

fn slice_sizes(s: &mut String, p: &Plan) {
    let _ = writeln!(s, "## max-endpoints-per-slice\n");
    let current = p.scenario.controllers.endpointslice.max_endpoints_per_slice;
    let _ = writeln!(
        s,
        "The scenario with `controllers.endpointslice.max_endpoints_per_slice` set to each value \
         (the scenario's own value, {current}, is run `baseline`). Only the EndpointSlice mode \
         changes; the Endpoints mode is the same in every run. Medians over the seeds decide.\n"
    );
    let _ = writeln!(
        s,
        "| max per slice | run | watch egress | API writes | slices (max alive) | largest slice | propagation p99 |\n|---:|---|---:|---:|---:|---:|---:|"
    );
    let m = MODES[0];
    let med = |name: &str, metric: &str| p.run(name).num(m, metric).median;
    let mut best: Option<(f64, f64, u32, &str)> = None;
    for (size, name) in &p.slice_runs {
        let d = p.run(name);
        let (bytes, writes) = (med(name, "bytes_out_total"), med(name, "writes_stored"));
        let _ = writeln!(
            s,
            "| {size} | `{name}` | {} | {} | {} | {} | {} |",
            spread(d.num(m, "bytes_out_total"), human_bytes),
            spread(d.num(m, "writes_stored"), count),
            spread(d.num(m, "objects_alive_max"), count),
            spread(d.num(m, "largest_object_bytes"), human_bytes),
            secs_spread(d.get(m, "propagation_p99_seconds"))
        );
        let better = match best {
            None => true,
            Some((b, w, _, _)) => bytes < b || (bytes == b && writes < w),
        };
        if better {
            best = Some((bytes, writes, *size, name));
        }
    }
    s.push('\n');
    let egress: Vec<(u32, f64)> = p
        .slice_runs
        .iter()
        .map(|(v, n)| (*v, med(n, "bytes_out_total")))
        .collect();
    let writes: Vec<(u32, f64)> = p
        .slice_runs
        .iter()
        .map(|(v, n)| (*v, med(n, "writes_stored")))
        .collect();
    // bigger slices: fewer writes expected; a rise is worth a look
    let rising: Vec<(u32, u32)> =
        non_monotonic(&writes.iter().map(|&(v, w)| (v, -w)).collect::<Vec<_>>());
    if !rising.is_empty() {
        let _ = writeln!(
            s,
            "**Non-monotonic:** API writes (median) grow with the slice size between {}; \
             bigger slices should need fewer writes, so check these runs' seeds.\n",
            pairs(&rising)
        );
    }
    if let Some((bytes, writes, size, name)) = best {
        let ties: Vec<u32> = egress
            .iter()
            .filter(|(_, b)| *b == bytes)
            .map(|(v, _)| *v)
            .collect();
        let _ = write!(
            s,
            "**Answer:** `max_endpoints_per_slice = {size}` minimises total watch egress for this \
             workload: {} with {} API writes (run `{name}`, medians)",
            human_bytes(bytes),
            count(writes)
        );
        if ties.len() > 1 {
            let _ = write!(
                s,
                "; sizes {ties:?} give the same egress (every Service fits the same number of \
                 slices), the smallest write count decides"
            );
        }
        s.push('.');
        if let Some((_, base)) = p.slice_runs.iter().find(|(v, _)| *v == current) {
            let (bb, bw) = (med(base, "bytes_out_total"), med(base, "writes_stored"));
            if size != current {
                let _ = write!(
                    s,
                    " Against the configured {current} (run `{base}`): egress {} ({}), writes {} ({}).",
                    pct(bytes, bb),
                    human_bytes(bytes - bb),
                    pct(writes, bw),
                    count(writes - bw)
                );
            } else {
                s.push_str(" That is the configured value.");
            }
        }
        let fewest = p
            .slice_runs
            .iter()
            .map(|(v, n)| (med(n, "writes_stored"), *v, n))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        if let Some((w, v, n)) = fewest {
            if v != size {
                let fb = med(n, "bytes_out_total");
                let _ = write!(
                    s,
                    " The fewest writes come with {v} per slice ({} writes, {} egress, run `{n}`): \
                     bigger slices mean fewer objects to write but every change resends a bigger \
                     object to every watcher.",
                    count(w),
                    human_bytes(fb)
                );
            }
        }
        s.push_str("\n\n");
    }
    if let Some(c) = p.study_charts.get("slice-size") {
        charts(s, c);
    }
}

/// `a → b, c → d`.
fn pairs(v: &[(u32, u32)]) -> String {
    v.iter()
        .map(|(a, b)| format!("{} → {}", grouped(f64::from(*a)), grouped(f64::from(*b))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn batch_periods(s: &mut String, p: &Plan) {
    let _ = writeln!(s, "## Batch period\n");
    let _ = writeln!(
        s,
        "The scenario with `controllers.endpointslice.batch_period` and \
         `controllers.endpoints.batch_period` both set to each value (`--endpointslice-updates-batch-period`, \
         `--endpoint-updates-batch-period`: a Service's sync waits this long after a pod change so \
         later changes join it). Propagation = pod readiness change → the last client applied it.\n"
    );
    let _ = writeln!(
        s,
        "| batch period | run | ES writes | ES watch egress | ES p50 / p99 | EP writes | EP watch egress | EP p50 / p99 |\n|---:|---|---:|---:|---:|---:|---:|---:|"
    );
    for (period, name) in &p.batch_runs {
        let d = p.run(name);
        let cells: Vec<String> = MODES
            .iter()
            .map(|m| {
                format!(
                    "{} | {} | {} / {}",
                    spread(d.num(m, "writes_stored"), count),
                    spread(d.num(m, "bytes_out_total"), human_bytes),
                    secs_spread(d.get(m, "propagation_p50_seconds")),
                    secs_spread(d.get(m, "propagation_p99_seconds"))
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | `{name}` | {} | {} |",
            format_duration(*period),
            cells[0],
            cells[1]
        );
    }
    s.push('\n');
    if let (Some((p0, n0)), true) = (p.batch_runs.first(), p.batch_runs.len() > 1) {
        let d0 = p.run(n0);
        for m in MODES {
            let w0 = d0.num(m, "writes_stored").median;
            let l0 = d0.get(m, "propagation_p99_seconds").map(|x| x.median);
            let parts: Vec<String> = p.batch_runs[1..]
                .iter()
                .map(|(period, n)| {
                    let d = p.run(n);
                    let w = d.num(m, "writes_stored").median;
                    let l = d.get(m, "propagation_p99_seconds").map(|x| x.median);
                    format!(
                        "{}: writes {}, p99 {} → {}",
                        format_duration(*period),
                        pct(w, w0),
                        secs(l0),
                        secs(l)
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "- {} against {} (run `{n0}`): {}.",
                mode_title(m),
                format_duration(*p0),
                parts.join("; ")
            );
        }
        s.push('\n');
    }
    if let Some(c) = p.study_charts.get("batch-period") {
        charts(s, c);
    }
}

fn rolling(s: &mut String, p: &Plan) {
    let _ = writeln!(s, "## Rolling update sizing\n");
    let Some(sz) = &p.sized else {
        let _ = writeln!(s, "The scenario has no workload to roll.\n");
        return;
    };
    let b = &p.scenario.plan;
    let _ = writeln!(
        s,
        "**Method.** Workload `{}` ({} replicas at most in the scenario{}) is given R replicas and \
         nothing else happens except one rolling update at t = {} s (the scenario's other events \
         are removed; the cluster, Services, controllers and watchers stay). Each run lasts long \
         enough for the rollout (twice an estimate from maxSurge/maxUnavailable and the \
         readiness delays; a run whose rollout did not finish counts as over budget). The cost \
         of the update is measured from its start to the end of the run: total watch egress, \
         peak egress second, peak per-node ingress second, API writes. R starts on a ladder of \
         2^k × {} (k in {:?}), capped at {} (the most that fit the initial nodes with the \
         rolling-update surge); if no rung brackets the budget the ladder is extended by \
         doubling/halving (at most {} steps), then bisected ({} steps at most) between the \
         largest R within budget and the smallest over it. Cost grows with R but not strictly (the \
         peak second depends on how many pods turn Ready together), so the answer is the largest \
         R within budget below the smallest R over it among all the runs made, per mode.\n",
        sz.label,
        // the scenario's own figure, even 0 (the ladder below starts from at least 1)
        grouped(f64::from(sz.peak_replicas)),
        if p.scenario.plan.workload.is_some() {
            ", chosen by `plan.workload`"
        } else {
            ", the largest workload"
        },
        super::ROLLING_START_S,
        grouped(f64::from(sz.base_replicas)),
        p.grids.ladder_exps,
        grouped(f64::from(sz.cap)),
        p.grids.extend_steps,
        p.grids.bisect_steps
    );
    let budgets: Vec<String> = [
        ("egress_budget", b.egress_budget_bytes_per_second, "/s"),
        (
            "node_ingress_budget",
            b.node_ingress_budget_bytes_per_second,
            "/s",
        ),
        (
            "rolling_update_egress_budget",
            b.rolling_update_egress_budget_bytes,
            "",
        ),
    ]
    .iter()
    .filter_map(|(n, v, u)| v.map(|v| format!("`plan.{n}` = {}{u}", human_bytes(v as f64))))
    .collect();
    if budgets.is_empty() {
        let _ = writeln!(
            s,
            "No budget is set in `[plan]`, so there is no verdict: the table is the cost curve. Set \
             `plan.egress_budget`, `plan.node_ingress_budget` or \
             `plan.rolling_update_egress_budget` to get the largest update that fits.\n"
        );
    } else {
        let _ = writeln!(s, "Budgets: {}.\n", budgets.join(", "));
    }
    let _ = writeln!(
        s,
        "| R | run | ES egress | ES peak/s | ES node peak/s | ES writes | EP egress | EP peak/s | EP node peak/s | EP writes | rollout done | within budget, seeds (ES / EP) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    );
    // Per mode: (R, median total egress), (R, median judged figure), (R, seeds within budget).
    type Curve = Vec<(u32, f64)>;
    let mut curves: Vec<(&str, Curve, Curve, Curve)> = MODES
        .iter()
        .map(|m| (*m, Vec::new(), Vec::new(), Vec::new()))
        .collect();
    for (r, name) in &p.rolling {
        let f: Vec<_> = MODES
            .iter()
            .filter_map(|m| p.rolling_figures(*r, m))
            .collect();
        if f.len() != 2 {
            continue;
        }
        let v = |m: &str| match p.within_budget(*r, m) {
            None => "–".to_string(),
            Some((k, n)) => format!("{k}/{n}"),
        };
        let sp = |f: &[super::RollingFigures], g: fn(&super::RollingFigures) -> f64| {
            Spread::of(&f.iter().map(g).collect::<Vec<_>>()).expect("at least one seed")
        };
        let cells: Vec<String> = f
            .iter()
            .map(|f| {
                format!(
                    "{} | {} | {} | {}",
                    spread(sp(f, |x| x.total), human_bytes),
                    spread(sp(f, |x| x.peak), human_bytes),
                    spread(sp(f, |x| x.peak_node), human_bytes),
                    spread(sp(f, |x| x.writes), count)
                )
            })
            .collect();
        for (i, c) in curves.iter_mut().enumerate() {
            c.1.push((*r, sp(&f[i], |x| x.total).median));
            c.2.push((*r, sp(&f[i], |x| x.judged).median));
            let ok = p
                .within_budget(*r, c.0)
                .map_or(1.0, |(k, n)| (k == n) as u8 as f64);
            // a pass after a fail: "fails" must not fall as R grows
            c.3.push((*r, 1.0 - ok));
        }
        let done = f[0].iter().filter(|x| x.complete).count();
        let _ = writeln!(
            s,
            "| {} | `{name}` | {} | {} | {} | {} / {} |",
            grouped(f64::from(*r)),
            cells[0],
            cells[1],
            if done == f[0].len() {
                "yes".to_string()
            } else {
                format!("**{done}/{}**", f[0].len())
            },
            v(MODES[0]),
            v(MODES[1])
        );
    }
    s.push('\n');
    let mut flagged = false;
    for (m, total, judged, fails) in &curves {
        for (what, pts) in [
            ("total egress (median)", total),
            (
                &*format!("{} egress second (median)", judged_name(p)),
                judged,
            ),
            (
                "budget verdict (within at a larger R after over at a smaller one)",
                fails,
            ),
        ] {
            let bad = non_monotonic(pts);
            if !bad.is_empty() {
                flagged = true;
                let _ = writeln!(
                    s,
                    "- **Non-monotonic** {}: {what} falls as R grows between R = {}.",
                    mode_title(m),
                    pairs(&bad)
                );
            }
        }
    }
    if flagged {
        let _ = writeln!(
            s,
            "\nThe search assumes cost grows with R; where it does not, the answer is the \
             largest R within budget below the smallest R over it, and sizes between the flagged \
             points deserve their own runs (`--seeds` more, or a finer `[plan]` grid).\n"
        );
    } else if p.rolling.len() > 1 {
        let _ = writeln!(
            s,
            "Cost (median total and {} egress second) and verdicts are monotonic in R over the sizes run.\n",
            judged_name(p)
        );
    }
    for m in MODES {
        let line = match p.answers.get(m) {
            None | Some(Answer::NoBudget) => continue,
            Some(Answer::Found { ok, fail, capped }) => {
                let run = &p.rolling[ok];
                let (k, n) = p.within_budget(*ok, m).unwrap_or((0, 0));
                let mut t = format!(
                    "**{}: the largest rolling update within budget is {} replicas** (run `{run}`; {})",
                    mode_title(m),
                    grouped(f64::from(*ok)),
                    held(k, n)
                );
                match fail {
                    Some(f) => {
                        let (k, n) = p.within_budget(*f, m).unwrap_or((0, 0));
                        let _ = write!(
                            t,
                            "; {} replicas exceed it (run `{}`; {})",
                            grouped(f64::from(*f)),
                            p.rolling[f],
                            held(k, n)
                        );
                    }
                    None if *capped => {
                        t.push_str(
                            "; that is the most the cluster's initial nodes hold, so the budget is not the limit",
                        );
                    }
                    None => {
                        t.push_str("; larger sizes were not tried (search limit)");
                    }
                }
                t
            }
            Some(Answer::NoneFits { smallest }) => format!(
                "**{}: no rolling update tried fits the budget**: even {} replica(s) exceed it (run `{}`)",
                mode_title(m),
                grouped(f64::from(*smallest)),
                p.rolling[smallest]
            ),
        };
        let _ = writeln!(s, "- {line}.");
    }
    s.push('\n');
}

fn leaves_out(s: &mut String) {
    let _ = writeln!(s, "## What the model leaves out\n");
    let _ = writeln!(
        s,
        "The figures are bytes and writes of a simulated control plane; a budget that holds here \
         can still fail where the model is silent:\n\n\
         - **API server CPU and memory**: encoding, watch-cache fan-out and admission cost no \
           time in the model; only bytes and event counts are simulated.\n\
         - **TLS and HTTP/2 framing**: egress counts the watch stream's payload (JSON or \
           protobuf frames), not TLS records, HTTP/2 frame headers or flow control.\n\
         - **Compression**: none is applied (the API server may gzip large list responses; \
           watch streams are not compressed).\n\
         - **kube-proxy programming cost**: node ingress is what a kube-proxy receives; the \
           iptables/nftables/IPVS sync it triggers (and its `minSyncPeriod` batching) is not \
           modelled.\n\
         - **Everything else in the cluster**: other controllers' writes, other watchers than \
           the scenario's `[[watchers]]`, etcd compaction and defragmentation.\n"
    );
}

fn runs(s: &mut String, p: &Plan) {
    let _ = writeln!(s, "## Runs\n");
    let _ = writeln!(
        s,
        "Each run is `slicesim run {} --set …` with these overrides (in order), output in the \
         directory shown.\n",
        p.scenario.source.file
    );
    let _ = writeln!(
        s,
        "| run | directory | other seeds (`--set seed=`) | overrides |\n|---|---|---|---|"
    );
    let mut names: Vec<&String> = p.runs.keys().collect();
    // planned order: baseline, grids, ladder, search steps
    names.sort_by_key(|n| p.order.iter().position(|o| o == *n));
    for n in names {
        let d = p.run(n);
        let o = if d.overrides.is_empty() {
            "(none)".to_string()
        } else {
            d.overrides
                .iter()
                .map(|o| format!("`{}`", o.replace('|', "\\|")))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let dirs = d.seed_dirs();
        let more = if dirs.len() > 1 {
            dirs[1..]
                .iter()
                .zip(&d.seeds[1..])
                .map(|(x, r)| format!("{} `{x}/`", r.seed))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "–".to_string()
        };
        let _ = writeln!(s, "| `{n}` | `{}/` | {more} | {o} |", d.dir());
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(9_426_905.0), "8.99 MiB");
        assert_eq!(human_bytes(1_572_864.0), "1.50 MiB");
        assert_eq!(human_bytes(150.0 * 1024.0), "150 KiB");
        assert_eq!(grouped(9_426_905.0), "9,426,905");
        assert_eq!(grouped(-1234.0), "-1,234");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(pct(150.0, 100.0), "+50 %");
    }
}
