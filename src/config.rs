//! The agent config (`config/plumb.yaml`): where the repo, the cluster, Docker
//! and the HTTP listener are. This is plumb's own settings file, not the
//! watched repo's `plumb.yaml` (that is [`crate::manifest`]).
//!
//! Loading is strict: an unknown key is an error naming the key and its line,
//! because a typo that is silently ignored would deploy from the wrong place.
//! Relative paths are resolved against the directory of the config file, so
//! the shipped default works from any working directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The default listen address: loopback only, never all interfaces by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9797";

/// Errors from reading or validating the agent config. Each names the file
/// (and the line or environment variable when there is one) and gives a hint.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read (missing, a directory, permissions).
    #[error("{path}: cannot read the agent config (hint: pass --config PATH or set PLUMB_CONFIG; `plumb check --help` shows an example)")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The YAML did not parse or did not match the schema (unknown key,
    /// wrong type). The parser's message carries the line and column.
    #[error("{path}: not a valid agent config (hint: every key is documented in the shipped config/plumb.yaml)")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A value parsed but is not usable (bad address, empty path, ...).
    #[error("{path}:{line}: `{field}`: {message} (hint: {hint})")]
    Invalid {
        path: PathBuf,
        line: usize,
        field: &'static str,
        message: String,
        hint: &'static str,
    },
    /// A `PLUMB_*` environment override has a value that does not parse.
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
}

/// The whole agent config after defaults, env overrides and path resolution.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this config came from (for messages); `None` for built-in defaults.
    pub file: Option<PathBuf>,
    /// Where the desired state comes from.
    pub source: SourceConfig,
    /// How to reach the Kubernetes API.
    pub cluster: ClusterConfig,
    /// How to reach the Docker Engine that builds images.
    pub docker: DockerConfig,
    /// Address of the HTTP listener (/metrics, /healthz, /readyz, /status).
    pub listen: SocketAddr,
    /// Every app is reconciled at least this often, even without a new commit,
    /// so that anything a watch missed is still corrected.
    pub reconcile_interval: Duration,
    /// Default log filter (`error`..`trace` or a tracing filter string).
    pub log_level: String,
    /// Where plumb keeps its own files (git mirrors of remote repos, caches).
    pub state_dir: PathBuf,
    /// How images are built.
    pub build: crate::build::images::BuildOptions,
}

/// Where the repo is and which revision of it to deploy.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// A local path to a clone (resolved, absolute) or a URL.
    pub repo: RepoLocation,
    /// The branch to follow; `HEAD` follows whatever the local clone has checked out.
    pub branch: String,
    /// Directory inside the repo that holds the repo manifest (`plumb.yaml`).
    pub path: String,
    /// How often a remote is fetched.
    pub poll_interval: Duration,
    /// File with the shared secret that `POST /hooks/git` must be signed with.
    pub webhook_secret_file: Option<PathBuf>,
    /// Private key for ssh URLs.
    pub ssh_key_file: Option<PathBuf>,
    /// known_hosts for ssh URLs.
    pub known_hosts_file: Option<PathBuf>,
    /// File holding an https token (never logged).
    pub token_file: Option<PathBuf>,
}

/// A repository is either a local clone or something to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoLocation {
    /// A clone on this machine, read in place.
    Local(PathBuf),
    /// `https://`, `ssh://`, `git@host:path` or `file://`, mirrored under the state dir.
    Remote(String),
}

impl std::fmt::Display for RepoLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoLocation::Local(p) => write!(f, "{}", p.display()),
            RepoLocation::Remote(u) => f.write_str(u),
        }
    }
}

/// How to reach the Kubernetes API server.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// An explicit kubeconfig; else `KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// A context of that kubeconfig; else its current-context.
    pub context: Option<String>,
    /// Use the pod's service account (plumb running inside the cluster).
    pub in_cluster: bool,
}

/// How to reach the Docker Engine.
#[derive(Debug, Clone, Default)]
pub struct DockerConfig {
    /// `unix:///path` or `tcp://host:port`; else `DOCKER_HOST`, else the local socket.
    pub endpoint: Option<String>,
    /// Directory with ca.pem, cert.pem, key.pem for a TLS endpoint; else `DOCKER_CERT_PATH`.
    pub cert_path: Option<PathBuf>,
    /// A Minikube profile whose Docker daemon to use (reads its IP and certificates).
    pub minikube: Option<String>,
}

// ---- the file as written -------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    source: RawSource,
    #[serde(default)]
    cluster: RawCluster,
    #[serde(default)]
    docker: RawDocker,
    #[serde(default)]
    build: RawBuild,
    listen: Option<String>,
    #[serde(default, deserialize_with = "de_duration")]
    reconcile_interval: Option<Duration>,
    log_level: Option<String>,
    state_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    repo: Option<String>,
    branch: Option<String>,
    path: Option<String>,
    #[serde(default, deserialize_with = "de_duration")]
    poll_interval: Option<Duration>,
    webhook_secret_file: Option<PathBuf>,
    ssh_key_file: Option<PathBuf>,
    known_hosts_file: Option<PathBuf>,
    token_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    #[serde(default)]
    in_cluster: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    max_context_bytes: Option<u64>,
    parallel: Option<usize>,
    keep: Option<usize>,
    docker_config: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocker {
    endpoint: Option<String>,
    cert_path: Option<PathBuf>,
    minikube: Option<String>,
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| {
        humantime::parse_duration(t.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration `{t}`: {e} (write it like 30s, 5m or 1h)"
            ))
        })
    })
    .transpose()
}

// ---- loading --------------------------------------------------------------

/// Environment lookup, passed in so that tests do not touch the process env.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, for [`Config::load`] outside tests.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// Reads, parses and validates the agent config at `path`, then applies
    /// `PLUMB_*` environment overrides.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and line of the first problem.
    pub fn load(path: &Path, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_yaml(&text, path, env)
    }

    /// Parses config text as if it were read from `path` (used by `load` and tests).
    pub fn from_yaml(text: &str, path: &Path, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig::default()
        } else {
            serde_yaml_ng::from_str(text).map_err(|source| ConfigError::Parse {
                path: path.to_path_buf(),
                source,
            })?
        };
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let located = Located { path, text };
        build(raw, &base, &located, env)
    }
}

/// A config file's path and text, for turning a field into a line number.
struct Located<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Located<'_> {
    fn invalid(&self, field: &'static str, message: String, hint: &'static str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: line_of_key(self.text, field).unwrap_or(1),
            field,
            message,
            hint,
        }
    }
}

fn build(
    raw: RawConfig,
    base: &Path,
    at: &Located<'_>,
    env: EnvLookup<'_>,
) -> Result<Config, ConfigError> {
    let home = env("HOME");
    let resolve = |p: PathBuf| {
        let p = match (p.strip_prefix("~"), &home) {
            (Ok(rest), Some(home)) => Path::new(home).join(rest),
            _ => p,
        };
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };

    let repo_text = env("PLUMB_REPO")
        .or(raw.source.repo)
        .unwrap_or_else(|| ".".to_string());
    if repo_text.trim().is_empty() {
        return Err(at.invalid(
            "source.repo",
            "is empty".into(),
            "a path to a local clone or a git URL",
        ));
    }
    let repo = if is_url(&repo_text) {
        RepoLocation::Remote(repo_text)
    } else {
        RepoLocation::Local(resolve(PathBuf::from(repo_text)))
    };
    let branch = env("PLUMB_BRANCH")
        .or(raw.source.branch)
        .unwrap_or_else(|| "HEAD".to_string());
    if branch.trim().is_empty() || branch.contains(char::is_whitespace) || branch.contains("..") {
        return Err(at.invalid(
            "source.branch",
            format!("`{branch}` is not a valid branch name"),
            "a branch such as main, or HEAD to follow the checked-out branch",
        ));
    }
    let repo_path = env("PLUMB_REPO_PATH")
        .or(raw.source.path)
        .unwrap_or_default();
    let Some(repo_path) = inside_repo(&repo_path) else {
        return Err(at.invalid(
            "source.path",
            format!("`{repo_path}` leaves the repository"),
            "a directory inside the repo, such as gitops-repo",
        ));
    };
    let poll_interval = match env("PLUMB_POLL_INTERVAL") {
        Some(v) => parse_env_duration("PLUMB_POLL_INTERVAL", &v)?,
        None => raw.source.poll_interval.unwrap_or(Duration::from_secs(30)),
    };
    if poll_interval < Duration::from_secs(1) {
        return Err(at.invalid(
            "source.poll_interval",
            "must be at least 1s".into(),
            "30s is a good default for a remote",
        ));
    }

    let listen_text = env("PLUMB_LISTEN")
        .or(raw.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let listen: SocketAddr = listen_text.parse().map_err(|e| {
        at.invalid(
            "listen",
            format!("`{listen_text}` is not an address: {e}"),
            "write host:port with an IP, such as 127.0.0.1:9797",
        )
    })?;

    let reconcile_interval = match env("PLUMB_RECONCILE_INTERVAL") {
        Some(v) => parse_env_duration("PLUMB_RECONCILE_INTERVAL", &v)?,
        None => raw.reconcile_interval.unwrap_or(Duration::from_secs(300)),
    };
    if reconcile_interval < Duration::from_secs(1) {
        return Err(at.invalid(
            "reconcile_interval",
            "must be at least 1s".into(),
            "5m is a good default",
        ));
    }

    let log_level = env("PLUMB_LOG_LEVEL")
        .or(raw.log_level)
        .unwrap_or_else(|| "info".to_string());
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        return Err(at.invalid(
            "log_level",
            format!("`{log_level}` is not a log level"),
            "one of error, warn, info, debug, trace",
        ));
    }

    let state_dir = env("PLUMB_STATE_DIR")
        .map(PathBuf::from)
        .or(raw.state_dir)
        .map(resolve)
        .unwrap_or_else(|| base.join(".plumb-state"));

    let cluster = ClusterConfig {
        kubeconfig: env("PLUMB_KUBECONFIG")
            .map(PathBuf::from)
            .or(raw.cluster.kubeconfig)
            .map(resolve),
        context: env("PLUMB_KUBE_CONTEXT").or(raw.cluster.context),
        in_cluster: raw.cluster.in_cluster,
    };
    if cluster.in_cluster && (cluster.kubeconfig.is_some() || cluster.context.is_some()) {
        return Err(at.invalid(
            "cluster.in_cluster",
            "cannot be combined with kubeconfig or context".into(),
            "remove one of them",
        ));
    }

    let docker = DockerConfig {
        endpoint: env("PLUMB_DOCKER_ENDPOINT").or(raw.docker.endpoint),
        cert_path: raw.docker.cert_path.map(resolve),
        minikube: env("PLUMB_MINIKUBE_PROFILE").or(raw.docker.minikube),
    };
    if let Some(endpoint) = &docker.endpoint {
        if !(endpoint.starts_with("unix://") || endpoint.starts_with("tcp://")) {
            return Err(at.invalid(
                "docker.endpoint",
                format!("`{endpoint}` is not a Docker endpoint"),
                "unix:///var/run/docker.sock or tcp://HOST:2376",
            ));
        }
    }
    if docker.endpoint.is_some() && docker.minikube.is_some() {
        return Err(at.invalid(
            "docker.minikube",
            "cannot be combined with docker.endpoint".into(),
            "remove one of them",
        ));
    }

    let defaults = crate::build::images::BuildOptions::default();
    if raw.build.parallel == Some(0) {
        return Err(at.invalid(
            "build.parallel",
            "is 0".into(),
            "how many images build at once: 1 or more",
        ));
    }
    let build = crate::build::images::BuildOptions {
        max_context_bytes: raw
            .build
            .max_context_bytes
            .unwrap_or(defaults.max_context_bytes),
        parallel: raw.build.parallel.unwrap_or(defaults.parallel),
        keep: raw.build.keep.unwrap_or(defaults.keep).max(1),
        push: true,
        docker_config: raw.build.docker_config.map(resolve).or_else(|| {
            // Docker's own default, when there is one: no file there
            // means no credentials, not an error.
            env("DOCKER_CONFIG")
                .map(|d| PathBuf::from(d).join("config.json"))
                .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")))
                .filter(|p| p.is_file())
        }),
    };

    Ok(Config {
        file: Some(at.path.to_path_buf()),
        source: SourceConfig {
            repo,
            branch,
            path: repo_path,
            poll_interval,
            webhook_secret_file: raw.source.webhook_secret_file.map(resolve),
            ssh_key_file: raw.source.ssh_key_file.map(resolve),
            known_hosts_file: raw.source.known_hosts_file.map(resolve),
            token_file: raw.source.token_file.map(resolve),
        },
        cluster,
        docker,
        listen,
        reconcile_interval,
        log_level,
        state_dir,
        build,
    })
}

fn parse_env_duration(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value.trim()).map_err(|e| ConfigError::Env {
        var,
        message: format!("invalid duration `{value}`: {e} (write it like 30s or 5m)"),
    })
}

/// A path inside a repository as git's trees name it: `/`-separated, with
/// no leading, trailing or doubled `/` and no `.` components; the repo root
/// (or the watched directory) is the empty string. So `.`, `./x`, `x/`,
/// `/x`, `x/./y` and `x//y` mean what a user means. `..` is kept; see
/// [`inside_repo`], which refuses it.
pub fn repo_path(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// [`repo_path`], or `None` when the path has a `..` component (it would
/// leave the directory it is relative to).
pub fn inside_repo(path: &str) -> Option<String> {
    let path = repo_path(path);
    (!path.split('/').any(|c| c == "..")).then_some(path)
}

/// Whether a `repo` value names something to fetch rather than a local path.
pub fn is_url(repo: &str) -> bool {
    repo.contains("://") || (repo.contains('@') && repo.contains(':') && !repo.starts_with('/'))
}

/// Finds the 1-based line of a dotted key (`source.branch`) in YAML text by
/// following indentation. Good enough for error messages on the flat,
/// block-style config file; returns `None` when the key is not written.
pub fn line_of_key(text: &str, dotted: &str) -> Option<usize> {
    let mut wanted = dotted.split('.').peekable();
    let mut current = wanted.next()?;
    let mut min_indent = 0usize;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent < min_indent {
            return None;
        }
        let key = trimmed.split(':').next().unwrap_or("").trim();
        if key == current && trimmed[key.len()..].trim_start().starts_with(':') {
            match wanted.next() {
                Some(next) => {
                    current = next;
                    min_indent = indent + 1;
                }
                None => return Some(index + 1),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_yaml(text, Path::new("/etc/plumb/plumb.yaml"), &no_env)
    }

    #[test]
    fn empty_file_gives_defaults_relative_to_the_file() {
        let c = parse("").unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.source.repo, RepoLocation::Local("/etc/plumb/.".into()));
        assert_eq!(c.source.branch, "HEAD");
        assert_eq!(c.reconcile_interval, Duration::from_secs(300));
        assert_eq!(c.state_dir, PathBuf::from("/etc/plumb/.plumb-state"));
    }

    #[test]
    fn full_file_parses() {
        let c = parse(
            "source:\n  repo: https://git.example/app.git\n  branch: main\n  path: /deploy/\n  poll_interval: 1m\n\
             cluster:\n  kubeconfig: kube.yaml\n  context: minikube\n\
             docker:\n  minikube: minikube\nlisten: 127.0.0.1:9000\nreconcile_interval: 10m\nlog_level: debug\n",
        )
        .unwrap();
        assert_eq!(
            c.source.repo,
            RepoLocation::Remote("https://git.example/app.git".into())
        );
        assert_eq!(c.source.path, "deploy");
        assert_eq!(c.source.poll_interval, Duration::from_secs(60));
        assert_eq!(c.cluster.kubeconfig, Some("/etc/plumb/kube.yaml".into()));
        assert_eq!(c.cluster.context.as_deref(), Some("minikube"));
        assert_eq!(c.docker.minikube.as_deref(), Some("minikube"));
        assert_eq!(c.listen.port(), 9000);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("source:\n  repo: .\n  brnach: main\n").unwrap_err();
        let text = crate::error_chain(&err);
        assert!(text.contains("brnach"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("/etc/plumb/plumb.yaml"), "{text}");
    }

    #[test]
    fn unknown_top_level_key_is_an_error() {
        let err = crate::error_chain(&parse("listen: 127.0.0.1:1\nport: 80\n").unwrap_err());
        assert!(err.contains("unknown field `port`"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_listen_address_names_field_and_line() {
        let err = parse("# comment\nlisten: localhost-ish\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("/etc/plumb/plumb.yaml:2: `listen`"),
            "{text}"
        );
        assert!(text.contains("hint"), "{text}");
    }

    #[test]
    fn bad_duration_is_reported() {
        let err = crate::error_chain(&parse("reconcile_interval: soon\n").unwrap_err());
        assert!(err.contains("invalid duration `soon`"), "{err}");
    }

    #[test]
    fn env_overrides_win_over_the_file() {
        let env = |k: &str| match k {
            "PLUMB_LISTEN" => Some("127.0.0.1:1234".to_string()),
            "PLUMB_BRANCH" => Some("release".to_string()),
            _ => None,
        };
        let c = Config::from_yaml(
            "listen: 127.0.0.1:9000\nsource:\n  branch: main\n",
            Path::new("p.yaml"),
            &env,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 1234);
        assert_eq!(c.source.branch, "release");
    }

    #[test]
    fn bad_env_override_names_the_variable() {
        let env = |k: &str| (k == "PLUMB_RECONCILE_INTERVAL").then(|| "x".to_string());
        let err = Config::from_yaml("", Path::new("p.yaml"), &env).unwrap_err();
        assert!(
            err.to_string().contains("PLUMB_RECONCILE_INTERVAL"),
            "{err}"
        );
    }

    #[test]
    fn docker_endpoint_scheme_is_checked() {
        let err = parse("docker:\n  endpoint: /var/run/docker.sock\n").unwrap_err();
        assert!(err.to_string().contains(":2: `docker.endpoint`"), "{err}");
    }

    #[test]
    fn tilde_means_home() {
        let env = |k: &str| (k == "HOME").then(|| "/home/dev".to_string());
        let c = Config::from_yaml(
            "cluster:\n  kubeconfig: ~/.kube/config\n",
            Path::new("p.yaml"),
            &env,
        )
        .unwrap();
        assert_eq!(c.cluster.kubeconfig, Some("/home/dev/.kube/config".into()));
    }

    #[test]
    fn in_cluster_excludes_kubeconfig() {
        assert!(parse("cluster:\n  in_cluster: true\n  context: x\n").is_err());
    }

    #[test]
    fn build_settings_and_the_docker_config() {
        let c = parse("").unwrap();
        assert_eq!(c.build.parallel, 2);
        assert_eq!(c.build.keep, 3);
        assert_eq!(c.build.docker_config, None, "no HOME, no default file");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".docker")).unwrap();
        let home = dir.path().display().to_string();
        let env = |k: &str| (k == "HOME").then(|| home.clone());
        let at = Path::new("/etc/plumb/plumb.yaml");
        let c = Config::from_yaml("", at, &env).unwrap();
        assert_eq!(
            c.build.docker_config, None,
            "a missing default is no credentials"
        );
        std::fs::write(dir.path().join(".docker/config.json"), "{}").unwrap();
        let c = Config::from_yaml("", at, &env).unwrap();
        assert_eq!(
            c.build.docker_config,
            Some(dir.path().join(".docker/config.json"))
        );
        let c = Config::from_yaml(
            "build:\n  docker_config: creds.json\n  parallel: 4\n  keep: 5\n  max_context_bytes: 1000\n",
            at,
            &env,
        )
        .unwrap();
        assert_eq!(c.build.docker_config, Some("/etc/plumb/creds.json".into()));
        assert_eq!(
            (c.build.parallel, c.build.keep, c.build.max_context_bytes),
            (4, 5, 1000)
        );
        let err = parse("build:\n  parallel: 0\n").unwrap_err().to_string();
        assert!(err.contains("build.parallel"), "{err}");
    }

    #[test]
    fn path_may_not_leave_the_repo() {
        assert!(parse("source:\n  path: ../other\n").is_err());
        assert!(parse("source:\n  path: a/./../../other\n").is_err());
    }

    #[test]
    fn source_path_is_normalized() {
        for (written, meant) in [(".", ""), ("./deploy/", "deploy"), ("x//y", "x/y")] {
            let c = parse(&format!("source:\n  path: {written}\n")).unwrap();
            assert_eq!(c.source.path, meant, "{written}");
        }
    }

    #[test]
    fn repo_paths_mean_what_a_user_means() {
        for (written, meant) in [
            ("", ""),
            (".", ""),
            ("./", ""),
            ("/", ""),
            ("./.", ""),
            ("x", "x"),
            ("./x", "x"),
            ("x/", "x"),
            ("/x", "x"),
            ("x/./y", "x/y"),
            ("x//y", "x/y"),
            ("./x/.//y/", "x/y"),
            (".x/y.", ".x/y."),
            ("..", ".."),
            ("x/../y", "x/../y"),
        ] {
            assert_eq!(repo_path(written), meant, "{written:?}");
        }
    }

    #[test]
    fn dot_dot_leaves_the_repo() {
        assert_eq!(inside_repo("./x/"), Some("x".to_string()));
        assert_eq!(inside_repo("."), Some(String::new()));
        assert_eq!(inside_repo(".."), None);
        assert_eq!(inside_repo("x/../y"), None);
        assert_eq!(inside_repo("..x/y"), Some("..x/y".to_string()));
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(is_url("https://example.com/x.git"));
        assert!(is_url("git@example.com:team/x.git"));
        assert!(is_url("file:///srv/x.git"));
        assert!(!is_url("../gitops"));
        assert!(!is_url("/srv/repo"));
    }

    #[test]
    fn line_of_key_follows_nesting() {
        let text = "a: 1\nsource:\n  # c\n  branch: x\ncluster:\n  branch: y\n";
        assert_eq!(line_of_key(text, "source.branch"), Some(4));
        assert_eq!(line_of_key(text, "cluster.branch"), Some(6));
        assert_eq!(line_of_key(text, "a"), Some(1));
        assert_eq!(line_of_key(text, "docker.endpoint"), None);
    }
}
