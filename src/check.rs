//! `plumb check`: validates the agent config and what it points at (the
//! kubeconfig, Docker endpoint, secret files, the repo and its manifest)
//! without changing anything, and lists every problem instead of stopping
//! at the first. The only network call is the fetch of a remote repo (into
//! plumb's own mirror); it says whether plumb *can* start, not whether the
//! cluster is up right now (`plumb status` says that). Every app of the
//! repo manifest is rendered at the branch tip as a first install would
//! render it: a chart app's values files are each read, then the chart is
//! loaded and rendered (a render stops at its first template error).

use std::path::Path;
use std::time::Duration;

use crate::build::docker;
use crate::cluster::client::{self as kube_client, ClientError};
use crate::config::{self, Config, EnvLookup, RepoLocation};
use crate::manifest::{self, AppSource, RepoManifest};
use crate::render::{self, FileSource, RenderError};
use crate::source::remote::{Credentials, Mirror};
use crate::source::{RevisionFiles, Source};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Checked and fine.
    Ok,
    /// plumb starts, but something will wait or not work until fixed.
    Warning,
    /// plumb cannot do its job with this.
    Error,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub level: Level,
    /// What was checked (`config`, `cluster`, `docker`, `source`, ...).
    pub subject: &'static str,
    /// What was found, with a hint when it is a problem.
    pub message: String,
}

/// Everything `plumb check` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings in the order they were checked.
    pub findings: Vec<Finding>,
}

impl Report {
    fn push(&mut self, level: Level, subject: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            level,
            subject,
            message: message.into(),
        });
    }

    /// No errors (warnings are allowed).
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(|f| f.level == Level::Error)
    }

    /// The findings, then a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let tag = match f.level {
                Level::Ok => "ok     ",
                Level::Warning => "warning",
                Level::Error => "error  ",
            };
            out.push_str(&format!("{tag} {:<8} {}\n", f.subject, f.message));
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count();
        let warnings = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count();
        out.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
        out
    }
}

/// Runs every check against the config file at `path`.
pub async fn check(path: &Path, env: EnvLookup<'_>) -> Report {
    let mut report = Report::default();
    let config = match Config::load(path, env) {
        Ok(c) => c,
        Err(e) => {
            report.push(Level::Error, "config", crate::error_chain(&e));
            return report;
        }
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let at = |field: &str| {
        format!(
            "{}:{}: `{field}`",
            path.display(),
            config::line_of_key(&text, field).unwrap_or(1)
        )
    };
    report.push(
        Level::Ok,
        "config",
        format!("{} parsed; listen {}", path.display(), config.listen),
    );

    check_cluster(&config, &at, &mut report).await;
    check_docker(&config, &at, &mut report);
    check_secret_files(&config, &at, &mut report);
    check_source(&config, &at, &mut report);
    report
}

async fn check_cluster(config: &Config, at: &dyn Fn(&str) -> String, report: &mut Report) {
    match kube_client::kube_config(&config.cluster).await {
        Ok(kc) => report.push(
            Level::Ok,
            "cluster",
            format!("kubeconfig usable; API server {}", kc.cluster_url),
        ),
        Err(e @ ClientError::NoKubeconfig { .. }) => report.push(
            Level::Warning,
            "cluster",
            format!(
                "{}; plumb run will wait for a cluster",
                crate::error_chain(&e)
            ),
        ),
        Err(e) => {
            let field = if config.cluster.in_cluster {
                "cluster.in_cluster"
            } else if config.cluster.kubeconfig.is_some() {
                "cluster.kubeconfig"
            } else {
                "cluster.context"
            };
            let level = if config.cluster.in_cluster {
                Level::Warning
            } else {
                Level::Error
            };
            report.push(
                level,
                "cluster",
                format!("{}: {}", at(field), crate::error_chain(&e)),
            );
        }
    }
}

fn check_docker(config: &Config, at: &dyn Fn(&str) -> String, report: &mut Report) {
    let inputs = docker::EndpointInputs::from_config(&config.docker);
    let endpoint = match docker::resolve_endpoint(&inputs, &|p| std::fs::read_to_string(p)) {
        Ok(e) => e,
        Err(e) => {
            report.push(
                Level::Error,
                "docker",
                format!("{}: {}", at("docker"), crate::error_chain(&e)),
            );
            return;
        }
    };
    match &endpoint {
        docker::DockerEndpoint::Unix(socket) if !socket.exists() => report.push(
            Level::Warning,
            "docker",
            format!(
                "no Docker socket at {}; image builds wait for it (hint: start dockerd, or with Minikube set docker.minikube)",
                socket.display()
            ),
        ),
        docker::DockerEndpoint::Tcp { tls: Some(dir), .. } => {
            let missing: Vec<_> = ["ca.pem", "cert.pem", "key.pem"]
                .into_iter()
                .filter(|f| !dir.join(f).is_file())
                .collect();
            if missing.is_empty() {
                report.push(Level::Ok, "docker", format!("endpoint {endpoint}"));
            } else {
                report.push(
                    Level::Error,
                    "docker",
                    format!(
                        "{}: TLS files missing in {}: {} (hint: `minikube docker-env` prints DOCKER_CERT_PATH)",
                        at("docker.cert_path"),
                        dir.display(),
                        missing.join(", ")
                    ),
                );
            }
        }
        _ => report.push(Level::Ok, "docker", format!("endpoint {endpoint}")),
    }
}

fn check_secret_files(config: &Config, at: &dyn Fn(&str) -> String, report: &mut Report) {
    let files = [
        (
            "source.webhook_secret_file",
            &config.source.webhook_secret_file,
        ),
        ("source.token_file", &config.source.token_file),
        ("source.ssh_key_file", &config.source.ssh_key_file),
        ("source.known_hosts_file", &config.source.known_hosts_file),
    ];
    for (field, file) in files {
        let Some(file) = file else { continue };
        // Only whether it can be read; the content is a secret and is never shown.
        if let Err(e) = std::fs::File::open(file) {
            report.push(
                Level::Error,
                "source",
                format!("{}: cannot read {}: {e}", at(field), file.display()),
            );
        }
    }
}

/// Opens the repo as `plumb run` would; a remote is fetched into plumb's
/// own mirror first.
fn open_source(config: &Config) -> Result<Source, Box<dyn std::error::Error + Send + Sync>> {
    match &config.source.repo {
        RepoLocation::Remote(url) => {
            let creds = Credentials::from_config(&config.source)?;
            let mirror = Mirror::open(&config.state_dir, url)?;
            let fetched = mirror.fetch(&config.source.branch, &creds, Duration::from_secs(30))?;
            Ok(Source::open_mirror(
                mirror.path(),
                mirror.shown_url(),
                &fetched.branch,
                &config.source.path,
            )?)
        }
        RepoLocation::Local(_) => Ok(Source::open(&config.source, &config.state_dir)?),
    }
}

fn check_source(config: &Config, at: &dyn Fn(&str) -> String, report: &mut Report) {
    let source = match open_source(config) {
        Ok(s) => s,
        Err(e) => {
            let text = crate::error_chain(e.as_ref());
            report.push(
                Level::Error,
                "source",
                format!("{}: {text}", at("source.repo")),
            );
            return;
        }
    };
    let tip = match source.tip() {
        Ok(t) => t,
        Err(e) => {
            report.push(
                Level::Error,
                "source",
                format!("{}: {}", at("source.branch"), crate::error_chain(&e)),
            );
            return;
        }
    };
    let file = source.full_path(manifest::FILE_NAME);
    let text = match source.read_file(&tip.id, manifest::FILE_NAME) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) => {
            report.push(
                Level::Error,
                "repo",
                manifest::ManifestError::Missing {
                    file,
                    revision: tip.short().to_string(),
                }
                .to_string(),
            );
            return;
        }
        Err(e) => {
            report.push(Level::Error, "repo", crate::error_chain(&e));
            return;
        }
    };
    match manifest::parse(&file, &text) {
        Ok(m) => {
            report.push(
                Level::Ok,
                "repo",
                format!(
                    "{} at {} ({}): {} app(s): {}",
                    file,
                    tip.short(),
                    tip.subject,
                    m.apps.len(),
                    m.apps
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            let files = RevisionFiles {
                source: &source,
                revision: &tip.id,
            };
            check_apps(&files, &m, report);
        }
        Err(e) => report.push(Level::Error, "repo", crate::error_chain(&e)),
    }
}

/// Renders every app as a first install would (no cluster asked): a chart
/// app's values files are each read first, so every one that does not
/// parse is listed; then the render names its first error (a template's
/// file:line:col, a missing dependency).
pub fn check_apps(files: &dyn FileSource, manifest: &RepoManifest, report: &mut Report) {
    for app in &manifest.apps {
        let name = &app.name;
        if let AppSource::Chart { values, .. } = &app.source {
            let mut bad = 0;
            for path in values {
                let shown = files.shown(path);
                let problem = match files.read_file(path) {
                    Ok(Some(bytes)) => {
                        crate::chart::values::load_values(&String::from_utf8_lossy(&bytes))
                            .err()
                            .map(|e| format!("does not parse: {e}"))
                    }
                    Ok(None) => Some(
                        "does not exist (hint: values paths are relative to plumb.yaml)".into(),
                    ),
                    Err(e) => Some(format!(
                        "cannot be read: {}",
                        crate::error_chain(e.as_ref())
                    )),
                };
                if let Some(problem) = problem {
                    bad += 1;
                    report.push(
                        Level::Error,
                        "app",
                        format!("app `{name}`: values file {shown} {problem}"),
                    );
                }
            }
            if bad > 0 {
                report.push(
                    Level::Warning,
                    "app",
                    format!("app `{name}`: not rendered until its values files are fixed"),
                );
                continue;
            }
        }
        match render::render_app(app, files) {
            Ok(objects) => {
                let what = match &app.source {
                    AppSource::Directory { .. } => "manifests",
                    AppSource::Chart { .. } => "chart",
                };
                report.push(
                    Level::Ok,
                    "app",
                    format!(
                        "app `{name}`: {what} {} render {} object(s)",
                        files.shown(app.path()),
                        objects.len()
                    ),
                );
            }
            Err(e) => {
                let note = match e {
                    RenderError::Chart { .. } => " (a chart render stops at its first error: fix it and run plumb check again for the next)",
                    _ => "",
                };
                report.push(
                    Level::Error,
                    "app",
                    format!("app `{name}`: {}{note}", crate::error_chain(&e)),
                );
            }
        }
    }
}
