//! `plumb template`: a drop-in for `helm template` (same arguments, same
//! stdout byte for byte, errors as Helm words them), on the chart renderer.

use std::path::PathBuf;

use super::engine::ReleaseInfo;
use super::manifests::PrintOptions;
use super::objects::{Capabilities, KubeVersion};
use super::values::{self, ValueOptions};
use super::{load, render_chart, ChartError, RenderOptions};

/// The arguments of `helm template [NAME] CHART [flags]`.
#[derive(Clone, Debug, Default)]
pub struct TemplateArgs {
    /// `[NAME] CHART`: one or two positionals.
    pub positionals: Vec<String>,
    /// `-f/--values`, in order.
    pub values_files: Vec<String>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--set-json`.
    pub set_json: Vec<String>,
    /// `--set-literal`.
    pub set_literal: Vec<String>,
    /// `-n/--namespace` (default `default`).
    pub namespace: Option<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `-a/--api-versions`, each possibly comma-separated.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// `--is-upgrade`.
    pub is_upgrade: bool,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: bool,
    /// `-s/--show-only`.
    pub show_only: Vec<String>,
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
}

/// Why `plumb template` failed: Helm's message (printed as `Error: ...`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateCommandError(pub String);

impl From<ChartError> for TemplateCommandError {
    fn from(e: ChartError) -> Self {
        match e {
            // Helm's template command adds this to render failures.
            ChartError::Template(_) | ChartError::Manifest(_) => TemplateCommandError(format!(
                "{e}\n\nUse --debug flag to render out invalid YAML"
            )),
            other => TemplateCommandError(other.to_string()),
        }
    }
}

/// Runs `helm template` and returns what it prints on stdout.
///
/// # Errors
/// Helm's message for bad arguments, an unreadable chart or values file,
/// a render failure.
pub fn run(args: &TemplateArgs) -> Result<String, TemplateCommandError> {
    let fail = |m: String| TemplateCommandError(m);
    let (name, chart_ref) = match args.positionals.as_slice() {
        [chart] => ("release-name".to_string(), chart.clone()),
        [name, chart] => (name.clone(), chart.clone()),
        [] => {
            return Err(fail(
                "\"helm template\" requires at least 1 argument".into(),
            ))
        }
        [_, _, rest @ ..] => {
            return Err(fail(format!(
                "expected at most two arguments, unexpected arguments: {}",
                rest.join(", ")
            )))
        }
    };
    let kube_version = match &args.kube_version {
        Some(v) => {
            KubeVersion::parse(v).map_err(|e| fail(format!("invalid kube version '{v}': {e}")))?
        }
        None => KubeVersion::default(),
    };
    let chart_path = PathBuf::from(&chart_ref);
    if !chart_path.exists() {
        return Err(fail(format!(
            "path {} not found (hint: plumb renders local charts only: vendor remote ones with `helm pull` or `helm dependency build`)",
            crate::template::gofmt::quote(&chart_ref)
        )));
    }
    let mut files = Vec::new();
    for f in &args.values_files {
        let text =
            std::fs::read_to_string(f).map_err(|e| fail(format!("open {f}: {}", os_error(&e))))?;
        files.push((f.clone(), text));
    }
    let opts = ValueOptions {
        values_files: files,
        set: args.set.clone(),
        set_string: args.set_string.clone(),
        set_file: args.set_file.clone(),
        set_json: args.set_json.clone(),
        set_literal: args.set_literal.clone(),
    };
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("open {path}: {}", os_error(&e)))
    };
    let user = values::merge_user_values(&opts, &read).map_err(|e| fail(e.to_string()))?;
    let chart = load::load_path(&chart_path).map_err(|e| fail(e.0))?;
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        return Err(ChartError::NotInstallable(chart.metadata.chart_type.clone()).into());
    }
    if !chart.metadata.dependencies.is_empty() {
        load::check_dependencies(&chart).map_err(|e| {
            fail(format!(
                "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: {}",
                e.0
            ))
        })?;
    }
    let extra: Vec<String> = args
        .api_versions
        .iter()
        .flat_map(|a| a.split(','))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    let options = RenderOptions {
        release: ReleaseInfo {
            name: name.clone(),
            namespace: args.namespace.clone().unwrap_or_else(|| "default".into()),
            revision: 1,
            is_upgrade: args.is_upgrade,
        },
        capabilities: Capabilities {
            kube_version,
            extra_api_versions: extra,
            cluster_api_versions: None,
        },
        skip_schema_validation: args.skip_schema_validation,
    };
    let rendered = render_chart(&chart, &user, &options, &Default::default())?;
    let print = PrintOptions {
        include_crds: args.include_crds,
        skip_tests: args.skip_tests,
        no_hooks: args.no_hooks,
        show_only: args.show_only.clone(),
        output_dir: args.output_dir.clone(),
        release_name: name,
        use_release_name: false,
    };
    super::manifests::print_template(&rendered.release, &rendered.crds, &print)
        .map_err(|e| fail(e.to_string()))
}

/// An I/O error as Go's `os` package words it.
fn os_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
