//! Charts: every run chart and every sweep chart renders from the hand-made fixtures in
//! tests/data/charts/ (formats: README "Output files"), as valid, non-trivial, deterministic
//! SVG and PNG files; missing optional inputs skip their chart; bad input is a located error.

use slicesim::chart::{render_run, render_sweep, ChartFormat};
use std::path::{Path, PathBuf};

use crate::support::{bad_input, ok};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/charts");
const RUN_CHARTS: [&str; 6] = [
    "bytes",
    "bytes_log",
    "writes_events",
    "node_ingress",
    "latency_cdf",
    "slice_fill",
];
/// Okabe-Ito blue (EndpointSlices) and vermillion (Endpoints).
const ES: [u8; 3] = [0x00, 0x72, 0xB2];
const EP: [u8; 3] = [0xD5, 0x5E, 0x00];

/// A fresh copy of fixture directory `name` (run or sweep) in a temp dir.
fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(Path::new(FIXTURES).join(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    (tmp, dir)
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Decode a PNG; return (width, height, rgb bytes).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn count_color(rgb: &[u8], c: [u8; 3]) -> usize {
    rgb.chunks(3).filter(|p| *p == c).count()
}

/// Parse an SVG; return the stroke colours of its polylines and its text contents.
fn parse_svg(path: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let strokes = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("stroke").map(str::to_string))
        .collect();
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    (strokes, texts)
}

#[test]
fn every_run_chart_renders_as_valid_nontrivial_svg() {
    let (_tmp, dir) = fixture("run");
    let written = render_run(&dir, ChartFormat::Svg).unwrap();
    let expected: Vec<String> = RUN_CHARTS.iter().map(|c| format!("{c}.svg")).collect();
    assert_eq!(names(&written), expected);
    for p in &written {
        assert_eq!(p.parent().unwrap(), dir.join("charts"));
        let size = std::fs::metadata(p).unwrap().len();
        assert!(size > 4000, "{}: only {size} bytes", p.display());
        let (strokes, texts) = parse_svg(p);
        let stem = p.file_stem().unwrap().to_str().unwrap();
        assert!(
            texts.iter().any(|t| t.contains("EndpointSlice")),
            "{stem}: no title/legend text: {texts:?}"
        );
        if stem != "slice_fill" {
            // both modes drawn as lines (the legend swatch alone is one polyline each)
            for c in ["#0072B2", "#D55E00"] {
                let n = strokes.iter().filter(|s| *s == c).count();
                assert!(n >= 2, "{stem}: {n} polylines of {c}");
            }
        }
    }
    // human bytes on the byte axes, units on the latency axis, events marked
    let (_, texts) = parse_svg(&dir.join("charts/bytes.svg"));
    assert!(texts.iter().any(|t| t == "2 MiB"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("rolling update start")));
    assert!(texts.iter().any(|t| t == "scenario chart-fixture · seed 7"));
    let (_, texts) = parse_svg(&dir.join("charts/bytes_log.svg"));
    assert!(texts.iter().any(|t| t == "1 MiB"), "{texts:?}");
    let (_, texts) = parse_svg(&dir.join("charts/latency_cdf.svg"));
    assert!(texts.iter().any(|t| t == "1 s"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "100%"), "{texts:?}");
}

#[test]
fn every_run_chart_renders_as_decodable_png_with_both_mode_colours() {
    let (_tmp, dir) = fixture("run");
    let written = render_run(&dir, ChartFormat::Png).unwrap();
    let expected: Vec<String> = RUN_CHARTS.iter().map(|c| format!("{c}.png")).collect();
    assert_eq!(names(&written), expected);
    for p in &written {
        let (w, h, rgb) = decode_png(p);
        assert!(w >= 800 && h >= 500, "{}: {w}x{h}", p.display());
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        let white = count_color(&rgb, [255, 255, 255]);
        let total = (w * h) as usize;
        assert!(white < total * 98 / 100, "{}: almost blank", p.display());
        let stem = p.file_stem().unwrap().to_str().unwrap();
        let es = count_color(&rgb, ES);
        assert!(es > 100, "{stem}: {es} EndpointSlices-blue pixels");
        if stem != "slice_fill" {
            let ep = count_color(&rgb, EP);
            assert!(ep > 100, "{stem}: {ep} Endpoints-vermillion pixels");
        }
    }
}

#[test]
fn rendering_is_deterministic_byte_for_byte() {
    for format in [ChartFormat::Svg, ChartFormat::Png] {
        let (_a, da) = fixture("run");
        let (_b, db) = fixture("run");
        let pa = render_run(&da, format).unwrap();
        let pb = render_run(&db, format).unwrap();
        assert_eq!(names(&pa), names(&pb));
        for (a, b) in pa.iter().zip(&pb) {
            assert!(
                std::fs::read(a).unwrap() == std::fs::read(b).unwrap(),
                "{} differs between two renders",
                a.display()
            );
        }
        // rendering again into the same directory replaces the files with the same bytes
        let before: Vec<Vec<u8>> = pa.iter().map(|p| std::fs::read(p).unwrap()).collect();
        render_run(&da, format).unwrap();
        let after: Vec<Vec<u8>> = pa.iter().map(|p| std::fs::read(p).unwrap()).collect();
        assert!(before == after);
        let (_s1, s1) = fixture("sweep");
        let (_s2, s2) = fixture("sweep");
        let w1 = render_sweep(&s1, format).unwrap();
        let w2 = render_sweep(&s2, format).unwrap();
        for (a, b) in w1.iter().zip(&w2) {
            assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap());
        }
    }
}

#[test]
fn missing_optional_inputs_skip_their_charts() {
    let (_tmp, dir) = fixture("run");
    for f in [
        "node_ingress.csv",
        "slice_fill.csv",
        "events.csv",
        "summary.csv",
    ] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    // a run without latency samples writes a header-only latency_cdf.csv
    std::fs::write(dir.join("latency_cdf.csv"), "mode,quantile,seconds\n").unwrap();
    let written = render_run(&dir, ChartFormat::Svg).unwrap();
    assert_eq!(
        names(&written),
        ["bytes.svg", "bytes_log.svg", "writes_events.svg"]
    );
    // a slice_fill.csv with no slices at all (e.g. only Endpoints objects) is skipped too
    let mut fill = String::from("time_s,fill_lo,fill_hi,slices\n");
    for b in 0..10 {
        fill.push_str(&format!(
            "0,{:.1},{:.1},0\n",
            b as f64 / 10.0,
            (b + 1) as f64 / 10.0
        ));
    }
    std::fs::write(dir.join("slice_fill.csv"), fill).unwrap();
    assert_eq!(render_run(&dir, ChartFormat::Svg).unwrap().len(), 3);
    // only latency: one chart
    let only = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("run/latency_cdf.csv"),
        only.path().join("latency_cdf.csv"),
    )
    .unwrap();
    assert_eq!(
        names(&render_run(only.path(), ChartFormat::Png).unwrap()),
        ["latency_cdf.png"]
    );
}

#[test]
fn not_a_run_directory_is_an_input_error() {
    let empty = tempfile::tempdir().unwrap();
    let e = render_run(empty.path(), ChartFormat::Svg).unwrap_err();
    assert!(e.to_string().contains("no chart inputs"), "{e}");
    assert!(e
        .chain()
        .any(|c| c.downcast_ref::<slicesim::error::InputError>().is_some()));
    let e = render_run(&empty.path().join("nope"), ChartFormat::Svg).unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
    let e = render_sweep(empty.path(), ChartFormat::Svg).unwrap_err();
    assert!(e.to_string().contains("sweep.csv: not found"), "{e}");
}

#[test]
fn sweep_charts_one_per_metric_and_parameter() {
    let (_tmp, dir) = fixture("sweep");
    let written = render_sweep(&dir, ChartFormat::Svg).unwrap();
    let mut expected = Vec::new();
    for m in [
        "bytes_out_total",
        "watch_events",
        "writes_stored",
        "etcd_write_bytes",
        "node_ingress_bytes_max",
        "propagation_p99_seconds",
    ] {
        for p in [
            "controllers_endpointslice_max_endpoints_per_slice",
            "workloads_0_replicas",
        ] {
            expected.push(format!("sweep_{m}_vs_{p}.svg"));
        }
    }
    assert_eq!(names(&written), expected);
    for p in &written {
        let (strokes, texts) = parse_svg(p);
        assert!(strokes.iter().filter(|s| *s == "#0072B2").count() >= 2);
        assert!(strokes.iter().filter(|s| *s == "#D55E00").count() >= 2);
        assert!(texts.iter().any(|t| t.contains("min–max over 2 seed(s)")));
    }
    // faceted by the other parameter: one panel per replica count
    let (_, texts) = parse_svg(&dir.join(
        "charts/sweep_bytes_out_total_vs_controllers_endpointslice_max_endpoints_per_slice.svg",
    ));
    assert!(
        texts.iter().any(|t| t == "workloads[0].replicas = 30"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "workloads[0].replicas = 100"));
    // a min/max band (filled polygon) is drawn behind each line
    let svg = std::fs::read_to_string(&written[0]).unwrap();
    assert!(svg.contains("<polygon"), "no band polygon");
}

#[test]
fn bad_input_names_file_line_and_value() {
    let (_tmp, dir) = fixture("run");
    let ts = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let bad = ts.replacen("0,endpoints,1,20,12000", "0,endpoints,1,20,12k", 1);
    assert_ne!(ts, bad);
    std::fs::write(dir.join("timeseries.csv"), bad).unwrap();
    let e = render_run(&dir, ChartFormat::Svg).unwrap_err().to_string();
    assert!(
        e.contains("timeseries.csv:3: column `bytes_out`: `12k` is not a finite number"),
        "{e}"
    );
    let (_tmp, dir) = fixture("sweep");
    let s = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    let cols: Vec<&str> = lines[0].split(',').collect();
    let c = cols
        .iter()
        .position(|c| *c == "endpoints.watch_events")
        .unwrap();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[c] = "lots".into();
    lines[2] = fields.join(",");
    std::fs::write(dir.join("sweep.csv"), lines.join("\n") + "\n").unwrap();
    let e = render_sweep(&dir, ChartFormat::Svg)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sweep.csv:3: column `endpoints.watch_events`: `lots`"),
        "{e}"
    );
}

#[test]
fn cli_chart_on_run_and_sweep_dirs() {
    let (_tmp, dir) = fixture("run");
    let out = ok(&["chart", dir.to_str().unwrap(), "--format", "png"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(stdout.lines().all(|l| l.ends_with(".png")));
    assert!(dir.join("charts/slice_fill.png").is_file());
    let (_tmp2, sweep) = fixture("sweep");
    let out = ok(&["chart", sweep.to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout
        .lines()
        .all(|l| l.contains("/charts/sweep_") && l.ends_with(".svg")));
    // bad input: exit 2 with the located message
    std::fs::write(
        dir.join("node_ingress.csv"),
        "node,mode,watch_events,bytes\nn1,both,1,2\n",
    )
    .unwrap();
    bad_input(
        &["chart", dir.to_str().unwrap()],
        "node_ingress.csv:2: column `mode`: unknown mode `both`",
    );
}

/// `slicesim sweep` draws the sweep charts at the end (the same files `slicesim chart` writes
/// for that directory); `--no-charts` skips them.
#[test]
fn sweep_command_draws_charts_unless_told_not_to() {
    let tmp = tempfile::tempdir().unwrap();
    let base = crate::support::bundled("quickstart.toml");
    let sweep = tmp.path().join("tiny.toml");
    std::fs::write(
        &sweep,
        format!(
            "name = \"tiny\"\nbase = {:?}\nseeds = [1]\n\n[grid]\n\"controllers.endpointslice.max_endpoints_per_slice\" = [10, 100]\n",
            base.to_str().unwrap()
        ),
    )
    .unwrap();
    let listing = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = match std::fs::read_dir(d) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        v.sort();
        v
    };
    let with = tmp.path().join("with");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--no-progress",
        "-j",
        "1",
        "--out",
        with.to_str().unwrap(),
    ]);
    let drawn = listing(&with.join("charts"));
    let again = tmp.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    std::fs::copy(with.join("sweep.csv"), again.join("sweep.csv")).unwrap();
    let expected = names(&render_sweep(&again, ChartFormat::Svg).unwrap());
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(drawn, expected_sorted);
    for f in &drawn {
        assert!(
            std::fs::read(with.join("charts").join(f)).unwrap()
                == std::fs::read(again.join("charts").join(f)).unwrap()
        );
    }
    let without = tmp.path().join("without");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--no-progress",
        "--no-charts",
        "--out",
        without.to_str().unwrap(),
    ]);
    assert!(without.join("sweep.csv").is_file());
    assert!(!without.join("charts").exists());
}
