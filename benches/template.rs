//! Template engine benchmark: parse + execute, beside real Helm's own
//! engine timed in-process on the same charts
//! (`../shared/helm-conformance/helm-peer.py`, Helm v4.2.3's `helm
//! template` path; found through `PLUMB_HELM_PEER_PYTHON` or the
//! virtualenv `/tmp/hps`, see the peer's header).
//!
//! Charts: every fixture family under `tests/template/` wrapped as the
//! oracle wraps it (one file per case), and a generated chart of 1,000
//! documents with heavy `include`, `toYaml` and `tpl`. plumb's side
//! parses every file of the chart and executes every non-partial one with
//! Helm's top-level data, as Helm's engine does. Figures only.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use plumb::template::{self, Options, Templates, Value};

const RUNS: usize = 20;

struct Chart {
    name: String,
    dir: PathBuf,
    files: Vec<(String, String)>,
    values: String,
}

fn wrap(case: &str, index: usize, body: &str) -> String {
    format!(
        "{{{{ define \"case:{case}\" }}}}{body}{{{{ end }}}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: case-{index}\ndata:\n  out: {{{{ include \"case:{case}\" . | b64enc | quote }}}}\n"
    )
}

/// A fixture family as a chart on disk (for the peer) and in memory.
fn family_chart(family_dir: &Path, out: &Path) -> Option<Chart> {
    let family = family_dir.file_name()?.to_str()?.to_string();
    let cases_dir = family_dir.join("cases");
    let mut names: Vec<String> = fs::read_dir(&cases_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".tpl")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let mut files = Vec::new();
    if let Ok(h) = fs::read_to_string(family_dir.join("helpers.tpl")) {
        files.push(("_helpers.tpl".to_string(), h));
    }
    for (i, n) in names.iter().enumerate() {
        let body = fs::read_to_string(cases_dir.join(format!("{n}.tpl"))).ok()?;
        files.push((format!("{n}.yaml"), wrap(n, i, &body)));
    }
    let values = fs::read_to_string(family_dir.join("values.yaml")).unwrap_or_default();
    write_chart(out, &family, &files, &values)
}

fn write_chart(out: &Path, name: &str, files: &[(String, String)], values: &str) -> Option<Chart> {
    let dir = out.join(name);
    let chart = dir.join("chart");
    fs::create_dir_all(chart.join("templates")).ok()?;
    fs::write(
        chart.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"1.0.0\"\n"),
    )
    .ok()?;
    fs::write(chart.join("values.yaml"), values).ok()?;
    for (f, text) in files {
        fs::write(chart.join("templates").join(f), text).ok()?;
    }
    fs::write(dir.join("args.json"), "{}\n").ok()?;
    Some(Chart {
        name: name.to_string(),
        dir,
        files: files.to_vec(),
        values: values.to_string(),
    })
}

fn generated_chart(out: &Path) -> Option<Chart> {
    let helpers = r#"{{- define "bench.labels" -}}
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
"#;
    let many = r#"{{- range $i := until 1000 }}
---
{{ include "bench.cm" (dict "i" $i "root" $) }}
{{- end }}
"#;
    let values = r#"greeting: "hello {{ .Release.Name }} from {{ .Chart.Name }}"
env:
  LOG_LEVEL: info
  DB_HOST: postgres
  DB_PORT: "5432"
  FEATURE_X: "true"
config:
  server:
    port: 8080
    timeouts: {read: 30s, write: 30s, idle: 120s}
    cors: [https://a.example, https://b.example]
  database:
    host: postgres
    pool: {min: 2, max: 20}
    options: ["sslmode=disable", "connect_timeout=5"]
  features:
    chat: true
    todo: true
    ratio: 0.25
"#;
    write_chart(
        out,
        "generated-1000",
        &[
            ("_helpers.tpl".into(), helpers.into()),
            ("many.yaml".into(), many.into()),
        ],
        values,
    )
}

fn top(name: &str, values: Value, file: &str) -> Value {
    let mut release = BTreeMap::new();
    release.insert("Name".into(), Value::str("release-name"));
    release.insert("Namespace".into(), Value::str("default"));
    release.insert("IsUpgrade".into(), Value::Bool(false));
    release.insert("IsInstall".into(), Value::Bool(true));
    release.insert("Revision".into(), Value::Int(1));
    release.insert("Service".into(), Value::str("Helm"));
    let mut chart = BTreeMap::new();
    chart.insert("Name".into(), Value::str(name));
    chart.insert("Version".into(), Value::str("0.1.0"));
    chart.insert("AppVersion".into(), Value::str("1.0.0"));
    let mut tmpl = BTreeMap::new();
    tmpl.insert("Name".into(), Value::str(file));
    tmpl.insert("BasePath".into(), Value::str(format!("{name}/templates")));
    let mut t = BTreeMap::new();
    t.insert("Values".into(), values);
    t.insert("Release".into(), Value::map(release));
    t.insert("Chart".into(), Value::map(chart));
    t.insert("Template".into(), Value::map(tmpl));
    Value::map(t)
}

/// One render of the chart as Helm's engine does it: parse every file,
/// execute every non-partial one. Returns the output size.
fn render(chart: &Chart) -> usize {
    let mut set = Templates::new();
    for (f, text) in &chart.files {
        let name = format!("{}/templates/{f}", chart.name);
        if set.parse(&name, text).is_err() {
            return 0;
        }
    }
    let values = template::yaml::from_str(&chart.values).unwrap_or_else(|_| Value::empty_map());
    let mut bytes = 0;
    for (f, _) in &chart.files {
        if f.starts_with('_') {
            continue;
        }
        let name = format!("{}/templates/{f}", chart.name);
        let data = top(&chart.name, values.clone(), &name);
        if let Ok(out) = set.execute(&name, data, &Options::default()) {
            bytes += template::remove_no_value(&out).len();
        }
    }
    bytes
}

fn time(chart: &Chart) -> (f64, f64, usize) {
    let start = Instant::now();
    let bytes = render(chart);
    // Charts that generate keys (crypto) take seconds per render and vary
    // with the random keys: a few runs say as much.
    let runs = if start.elapsed().as_secs_f64() > 1.0 {
        3
    } else {
        RUNS
    };
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            render(chart);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    (times[0], times[runs / 2], bytes)
}

fn peer_python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PLUMB_HELM_PEER_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from("/tmp/hps/bin/python");
    venv.exists().then_some(venv)
}

/// The peer's p50 per chart name, when the peer is available.
fn peer(charts: &[Chart]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Some(python) = peer_python() else {
        println!("(no peer: set PLUMB_HELM_PEER_PYTHON or create /tmp/hps, see helm-peer.py)");
        return out;
    };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/helm-conformance/helm-peer.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg("-n").arg(RUNS.to_string());
    for c in charts {
        cmd.arg(&c.dir);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {
            for line in String::from_utf8_lossy(&o.stdout).lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() >= 3 {
                    if let Ok(p50) = f[2].parse::<f64>() {
                        out.insert(f[0].to_string(), p50);
                    }
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

fn peak_rss_mb() -> f64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("template bench: skipped in test mode (run scripts/bench template)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("plumb-template-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let mut charts = Vec::new();
    let mut families: Vec<PathBuf> = fs::read_dir(root.join("tests/template"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    families.sort();
    for f in &families {
        if let Some(c) = family_chart(f, &tmp) {
            charts.push(c);
        }
    }
    if let Some(c) = generated_chart(&tmp) {
        charts.push(c);
    }
    // PLUMB_BENCH_ONLY=NAME[,NAME] times only those charts (for profiling).
    if let Ok(only) = std::env::var("PLUMB_BENCH_ONLY") {
        let only: Vec<&str> = only.split(',').collect();
        charts.retain(|c| only.contains(&c.name.as_str()));
    }
    let peers = peer(&charts);
    println!(
        "{:<18} {:>6} {:>9} {:>9} {:>10} {:>9} {:>8}",
        "chart", "files", "min_ms", "p50_ms", "bytes", "helm_p50", "speedup"
    );
    let (mut ours, mut theirs) = (0.0, 0.0);
    for c in &charts {
        let (min, p50, bytes) = time(c);
        let files = c.files.len();
        match peers.get(&c.name) {
            Some(h) => {
                if c.name != "crypto" {
                    ours += p50;
                    theirs += h;
                }
                println!(
                    "{:<18} {files:>6} {min:>9.3} {p50:>9.3} {bytes:>10} {h:>9.2} {:>7.1}x",
                    c.name,
                    h / p50
                );
            }
            None => println!(
                "{:<18} {files:>6} {min:>9.3} {p50:>9.3} {bytes:>10} {:>9} {:>8}",
                c.name, "-", "-"
            ),
        }
    }
    if theirs > 0.0 {
        println!(
            "all charts but crypto (key generation): plumb {ours:.2} ms, helm {theirs:.2} ms, {:.1}x",
            theirs / ours
        );
    }
    println!("peak RSS of the bench process: {:.1} MB", peak_rss_mb());
    let _ = fs::remove_dir_all(&tmp);
}
