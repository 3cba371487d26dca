//! Chart render bench: each real chart of the conformance corpus
//! (`tests/helm-conformance/real`), the example chart when it exists, and a
//! generated chart of 1,000 objects, rendered by plumb in-process (load,
//! values, render, sort, print: what one `helm template` does) and by real
//! Helm's own engine in-process (`../shared/helm-conformance/helm-peer.py`,
//! through `PLUMB_HELM_PEER_PYTHON` or the virtualenv `/tmp/hps`; see the
//! peer's header), in the same run. Then the generated chart's peak RSS and
//! a cold `plumb template` of the example chart as a whole process.
//!
//! Figures only: nothing here passes or fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use plumb::chart::helm_template::{run, TemplateArgs};

/// Timed renders per chart; `PLUMB_BENCH_RUNS` raises it for a steadier
/// minimum on a noisy machine.
fn runs() -> usize {
    std::env::var("PLUMB_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(20)
}

/// A case as the corpus lays it out: `chart/` and `args.json`.
struct Case {
    name: String,
    dir: PathBuf,
    args: TemplateArgs,
}

fn case(dir: &Path) -> Option<Case> {
    let chart = dir.join("chart");
    if !chart.is_dir() {
        return None;
    }
    let json: serde_json::Value = fs::read_to_string(dir.join("args.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    let s = |k: &str, d: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or(d)
            .to_string()
    };
    let values_files = json
        .get("valuesFiles")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str())
                .map(|f| dir.join(f).display().to_string())
                .collect()
        })
        .unwrap_or_default();
    let set_json = match json.get("setJson") {
        Some(serde_json::Value::Array(items)) => items.iter().map(|v| v.to_string()).collect(),
        Some(v @ serde_json::Value::Object(_)) => vec![v.to_string()],
        _ => Vec::new(),
    };
    Some(Case {
        name: dir.file_name()?.to_string_lossy().into_owned(),
        dir: dir.to_path_buf(),
        args: TemplateArgs {
            positionals: vec![s("release", "release-name"), chart.display().to_string()],
            values_files,
            set_json,
            namespace: Some(s("namespace", "default")),
            kube_version: Some(s("kubeVersion", "v1.31.0")),
            ..TemplateArgs::default()
        },
    })
}

/// A chart of 1,000 ConfigMaps through includes, `tpl`, `toYaml`,
/// checksums and ranges: a large chart's work in one place.
fn generated_case(out: &Path) -> Option<Case> {
    let dir = out.join("generated-1000");
    let chart = dir.join("chart");
    fs::create_dir_all(chart.join("templates")).ok()?;
    fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: generated\nversion: 0.1.0\n",
    )
    .ok()?;
    fs::write(
        chart.join("templates/_helpers.tpl"),
        r#"{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ printf "part-%d" .i }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- define "bench.cm" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "%s-cm-%d" .root.Release.Name .i }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
  annotations:
    checksum/config: {{ toYaml .root.Values.config | sha256sum }}
data:
  config.yaml: |
    {{- toYaml .root.Values.config | nindent 4 }}
  greeting: {{ tpl .root.Values.greeting .root | quote }}
  {{- range $k, $v := .root.Values.env }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
{{- end -}}
"#,
    )
    .ok()?;
    fs::write(
        chart.join("templates/many.yaml"),
        "{{- range $i := until 1000 }}\n---\n{{ include \"bench.cm\" (dict \"i\" $i \"root\" $) }}\n{{- end }}\n",
    )
    .ok()?;
    fs::write(
        chart.join("values.yaml"),
        r#"greeting: "hello {{ .Release.Name }} from {{ .Chart.Name }}"
env: {LOG_LEVEL: info, DB_HOST: postgres, DB_PORT: "5432", FEATURE_X: "true"}
config:
  server: {port: 8080, timeouts: {read: 30s, write: 30s, idle: 120s}, cors: [https://a.example, https://b.example]}
  database: {host: postgres, pool: {min: 2, max: 20}, options: ["sslmode=disable", "connect_timeout=5"]}
  features: {chat: true, todo: true, ratio: 0.25}
"#,
    )
    .ok()?;
    case(&dir)
}

/// The example chart as a case (absent until the example repo has one).
fn example_case(root: &Path, out: &Path) -> Option<Case> {
    let chart = root.join("gitops-repo/charts/pakaura");
    if !chart.join("Chart.yaml").exists() {
        return None;
    }
    let dir = out.join("example-pakaura");
    fs::create_dir_all(&dir).ok()?;
    std::os::unix::fs::symlink(&chart, dir.join("chart")).ok()?;
    let mut c = case(&dir)?;
    c.args.positionals[0] = "pakaura".into();
    c.args.namespace = Some("pakaura".into());
    let minikube = root.join("gitops-repo/environments/minikube.yaml");
    if minikube.exists() {
        c.args.values_files.push(minikube.display().to_string());
    }
    Some(c)
}

/// min and p50 in ms over [`runs`] renders after a warm-up, and the bytes.
fn time(c: &Case) -> Option<(f64, f64, usize)> {
    let bytes = match run(&c.args) {
        Ok(out) => out.len(),
        Err(e) => {
            println!("{:<28} error: {e}", c.name);
            return None;
        }
    };
    let runs = runs();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let _ = std::hint::black_box(run(&c.args));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    Some((times[0], times[runs / 2], bytes))
}

fn peer_python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PLUMB_HELM_PEER_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from("/tmp/hps/bin/python");
    venv.exists().then_some(venv)
}

/// The peer's p50 per case name, when the peer is available.
fn peer(cases: &[Case]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Some(python) = peer_python() else {
        println!("(no peer: set PLUMB_HELM_PEER_PYTHON or create /tmp/hps, see helm-peer.py)");
        return out;
    };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/helm-conformance/helm-peer.py");
    if !script.exists() {
        println!("(no peer: {} is missing)", script.display());
        return out;
    }
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg("-n").arg(runs().to_string());
    for c in cases {
        cmd.arg(&c.dir);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {
            for line in String::from_utf8_lossy(&o.stdout).lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if let (Some(name), Some(p50)) = (f.first(), f.get(2).and_then(|p| p.parse().ok()))
                {
                    out.insert(name.to_string(), p50);
                }
            }
        }
        Ok(o) => println!(
            "(peer failed: {})",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => println!("(peer did not start: {e})"),
    }
    out
}

/// `plumb template` of a case as a whole process: wall time and peak RSS.
/// Measured by this bench binary re-run as a small fresh process
/// ([`measure_child`]): Linux counts a spawned child's peak RSS from the
/// address space it was forked from, so a child spawned straight from this
/// bench would report the bench's own peak, not plumb's.
fn process(c: &Case) -> Option<(f64, f64)> {
    let mut cmd = Command::new(std::env::current_exe().ok()?);
    cmd.arg(MEASURE_CHILD).arg(env!("CARGO_BIN_EXE_plumb"));
    cmd.arg("template").args(&c.args.positionals);
    for f in &c.args.values_files {
        cmd.arg("-f").arg(f);
    }
    for j in &c.args.set_json {
        cmd.arg("--set-json").arg(j);
    }
    if let Some(ns) = &c.args.namespace {
        cmd.arg("--namespace").arg(ns);
    }
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(ms)), Some(Ok(rss))) => Some((ms, rss)),
        _ => None,
    }
}

const MEASURE_CHILD: &str = "--measure-child";

/// Runs `argv` (output discarded) and prints its wall time in ms and its
/// peak RSS in MB, or nothing if it fails to start.
fn measure_child(argv: &[String]) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let mut cmd = Command::new(program);
    cmd.args(args).stdout(std::process::Stdio::null());
    let t = Instant::now();
    let Ok(mut child) = cmd.spawn() else {
        return;
    };
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; status and usage are valid pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if r != pid {
        let _ = child.wait();
        return;
    }
    println!("{ms} {}", usage.ru_maxrss as f64 / 1024.0);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE_CHILD) {
        measure_child(&args[2..]);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        println!("render bench: skipped in test mode (run scripts/bench render)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("plumb-render-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let mut cases: Vec<Case> = Vec::new();
    let mut real: Vec<PathBuf> = fs::read_dir(root.join("tests/helm-conformance/real"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    real.sort();
    cases.extend(real.iter().filter_map(|d| case(d)));
    cases.extend(example_case(root, &tmp));
    cases.extend(generated_case(&tmp));
    // `scripts/bench render -- NAME...` (or `cargo bench --bench render --
    // NAME`) times only the charts whose name contains one of the NAMEs.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !only.is_empty() {
        cases.retain(|c| only.iter().any(|o| c.name.contains(o.as_str())));
    }
    let peers = peer(&cases);
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "chart", "min_ms", "p50_ms", "bytes", "helm_p50", "speedup"
    );
    for c in &cases {
        let Some((min, p50, bytes)) = time(c) else {
            continue;
        };
        match peers.get(&c.name) {
            Some(h) => println!(
                "{:<28} {min:>9.3} {p50:>9.3} {bytes:>9} {h:>9.2} {:>7.1}x",
                c.name,
                h / p50
            ),
            None => println!(
                "{:<28} {min:>9.3} {p50:>9.3} {bytes:>9} {:>9} {:>8}",
                c.name, "-", "-"
            ),
        }
    }
    if let Some(g) = cases.iter().find(|c| c.name == "generated-1000") {
        if let Some((ms, rss)) = process(g) {
            println!("generated-1000 as a process: {ms:.1} ms, peak RSS {rss:.1} MB");
        }
    }
    let cold = cases
        .iter()
        .find(|c| c.name == "example-pakaura")
        .or_else(|| cases.iter().find(|c| c.name == "01-podinfo"));
    if let Some(c) = cold {
        let mut walls: Vec<f64> = (0..runs().min(40))
            .filter_map(|_| process(c).map(|(ms, _)| ms))
            .collect();
        walls.sort_by(f64::total_cmp);
        if !walls.is_empty() {
            println!(
                "cold `plumb template` of {} (whole process): min {:.1} ms, p50 {:.1} ms",
                c.name,
                walls[0],
                walls[walls.len() / 2]
            );
        }
    }
    let _ = fs::remove_dir_all(&tmp);
}
