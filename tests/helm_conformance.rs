//! `plumb template` against real Helm: every case of the conformance
//! corpus (`tests/helm-conformance/`, a copy of
//! `../shared/helm-conformance`: 50 synthetic charts and 9 real public
//! ones, with what Helm v4.3.0 prints for them), run exactly as the
//! corpus's own runner runs a command:
//!
//! `plumb template REL CASE/chart --namespace NS [-f CASE/FILE]...
//! [--set-json JSON]... --kube-version V`
//!
//! `expected.yaml`: exit 0 and stdout equal byte for byte.
//! `expected-error.txt`: exit non-zero and the text contained in stderr.
//! `PLUMB_HELM_CONFORMANCE=DIR[:DIR...]` runs other case directories
//! instead (e.g. the shared corpus itself).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn is_case(dir: &Path) -> bool {
    dir.join("chart").is_dir()
        && (dir.join("expected.yaml").exists() || dir.join("expected-error.txt").exists())
}

fn cases(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        if is_case(d) {
            out.push(d.clone());
            continue;
        }
        let mut names: Vec<PathBuf> = fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_case(p))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// The runner's `case_argv`.
fn argv(case: &Path) -> Vec<String> {
    let args: serde_json::Value = match fs::read_to_string(case.join("args.json")) {
        Ok(text) => {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", case.display()))
        }
        Err(_) => serde_json::json!({}),
    };
    let s = |key: &str, default: &str| {
        args.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or(default)
            .to_string()
    };
    let mut argv = vec![
        "template".to_string(),
        s("release", "release-name"),
        case.join("chart").display().to_string(),
        "--namespace".into(),
        s("namespace", "default"),
    ];
    if let Some(files) = args.get("valuesFiles").and_then(|v| v.as_array()) {
        for f in files {
            argv.push("-f".into());
            argv.push(
                case.join(f.as_str().unwrap_or_default())
                    .display()
                    .to_string(),
            );
        }
    }
    let set_json: Vec<serde_json::Value> = match args.get("setJson") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(obj @ serde_json::Value::Object(_)) => vec![obj.clone()],
        _ => Vec::new(),
    };
    for obj in set_json {
        argv.push("--set-json".into());
        argv.push(obj.to_string());
    }
    argv.push("--kube-version".into());
    argv.push(s("kubeVersion", "v1.31.0"));
    argv
}

/// Runs one case; `Err` says how it failed, as the runner's hint does.
fn run_case(case: &Path) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(argv(case))
        .output()
        .map_err(|e| format!("cannot run plumb: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Ok(want) = fs::read_to_string(case.join("expected-error.txt")) {
        let want = want.trim_end_matches('\n');
        if out.status.success() {
            return Err(format!("expected an error containing {want:?}; exit 0"));
        }
        if !stderr.contains(want) {
            return Err(format!(
                "stderr lacks {want:?}; stderr: {:?}",
                stderr.trim()
            ));
        }
        return Ok(());
    }
    let want = fs::read(case.join("expected.yaml")).map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "exit {:?}, stderr: {:?}",
            out.status.code(),
            stderr.trim()
        ));
    }
    if out.stdout != want {
        let (w, g) = (
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&out.stdout),
        );
        let (wl, gl): (Vec<&str>, Vec<&str>) = (w.split('\n').collect(), g.split('\n').collect());
        for i in 0..wl.len().max(gl.len()) {
            if wl.get(i) != gl.get(i) {
                return Err(format!(
                    "line {}: expected {:?}, got {:?}",
                    i + 1,
                    wl.get(i).unwrap_or(&"<end of output>"),
                    gl.get(i).unwrap_or(&"<end of output>")
                ));
            }
        }
        return Err("outputs differ".into());
    }
    Ok(())
}

/// Cases known to differ, with the reason (`tests/helm-conformance/PENDING`).
fn pending(root: &Path) -> Vec<(String, String)> {
    let Ok(text) = fs::read_to_string(root.join("PENDING")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, why)) => (name.to_string(), why.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn every_conformance_case_renders_as_helm_renders_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm-conformance");
    let (dirs, pending) = match std::env::var("PLUMB_HELM_CONFORMANCE") {
        Ok(list) => (list.split(':').map(PathBuf::from).collect(), Vec::new()),
        Err(_) => (vec![root.join("cases"), root.join("real")], pending(&root)),
    };
    let all = cases(&dirs);
    assert!(
        all.len() >= 59,
        "the corpus is missing: {} cases found",
        all.len()
    );
    // Two workers: the machine has two cores.
    let (tx, rx) = std::sync::mpsc::channel();
    let chunks: Vec<Vec<PathBuf>> = (0..2)
        .map(|k| all.iter().skip(k).step_by(2).cloned().collect())
        .collect();
    std::thread::scope(|s| {
        for chunk in &chunks {
            let tx = tx.clone();
            s.spawn(move || {
                for case in chunk {
                    let _ = tx.send((case.clone(), run_case(case)));
                }
            });
        }
    });
    drop(tx);
    let mut results: Vec<(PathBuf, Result<(), String>)> = rx.into_iter().collect();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut failures = Vec::new();
    let mut passed = 0;
    for (case, result) in &results {
        let name = format!(
            "{}/{}",
            case.parent()
                .and_then(|p| p.file_name())
                .unwrap_or_default()
                .to_string_lossy(),
            case.file_name().unwrap_or_default().to_string_lossy()
        );
        let why = pending.iter().find(|(n, _)| *n == name).map(|(_, w)| w);
        match (result, why) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => {
                failures.push(format!("{name}: passes now; remove it from PENDING"))
            }
            (Err(e), Some(why)) => eprintln!("PENDING {name} ({why}): {e}"),
            (Err(e), None) => failures.push(format!("FAIL {name}: {e}")),
        }
    }
    eprintln!("{passed} of {} conformance cases pass", results.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
