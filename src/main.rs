//! The `plumb` command line. Thin: parse flags, load the config, call the
//! library, print errors with their whole cause chain, map them to exit codes
//! (0 ok, 1 runtime failure, problems found or a failed build, 2 usage or
//! config error).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use plumb::cluster::engine::{Planned, SyncOptions};
use plumb::config::{self, Config, ConfigError};

const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PLUMB_GIT_COMMIT"),
    ")"
);

/// plumb keeps a Kubernetes cluster in step with a git repository: commit a
/// change and plumb builds, renders, applies, waits until healthy, prunes and
/// undoes drift.
#[derive(Parser)]
#[command(name = "plumb", version = LONG_VERSION, propagate_version = true)]
#[command(
    after_help = "Examples:\n  plumb run                      follow ./config/plumb.yaml's repo and deploy every commit\n  plumb check                    validate the agent config and the repo\n  plumb status -o table          what a running plumb is doing"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// The agent config used when neither --config nor PLUMB_CONFIG names one.
const DEFAULT_CONFIG: &str = "config/plumb.yaml";

#[derive(Args)]
struct GlobalArgs {
    /// The agent config file [default: config/plumb.yaml].
    // No clap default: `plumb status` must know whether the file was named.
    #[arg(long, global = true, env = "PLUMB_CONFIG")]
    config: Option<PathBuf>,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,
    /// Less log output (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    quiet: u8,
}

impl GlobalArgs {
    /// The agent config file: the one named, else [`DEFAULT_CONFIG`].
    fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent: follow the repo, reconcile every app, serve /metrics and /status.
    #[command(
        after_help = "Example:\n  plumb run --config config/plumb.yaml\n\nStops cleanly on Ctrl-C or SIGTERM."
    )]
    Run,
    /// Validate the agent config and the repo; list every problem. Exit 0 when none.
    #[command(after_help = "Example:\n  plumb check --config config/plumb.yaml")]
    Check,
    /// Show what a running plumb is doing (reads its /status).
    #[command(
        after_help = "Examples:\n  plumb status\n  plumb status -o json --url http://127.0.0.1:9797"
    )]
    Status {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// Base URL of the daemon; default: the config's listen address.
        #[arg(long)]
        url: Option<String>,
    },
    /// Fetch and reconcile now, one app or all: asks the running plumb, or reconciles here when none runs.
    #[command(after_help = "Examples:\n  plumb sync\n  plumb sync pakaura --dry-run")]
    Sync {
        /// The app to sync; all apps when omitted.
        app: Option<String>,
        /// Print the plan (waves, creates, updates, prunes) without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Run the app's hooks even if its desired state is unchanged (hooks
        /// otherwise run only on install and when the app changed).
        #[arg(long, requires = "app")]
        force_hooks: bool,
    },
    /// Show what would change in the cluster, as a unified diff (exit 0 none, 1 differences, 2 error).
    #[command(after_help = "Example:\n  plumb diff pakaura")]
    Diff {
        /// The app to diff; all apps when omitted.
        app: Option<String>,
    },
    /// Print the objects plumb would apply for an app.
    #[command(after_help = "Example:\n  plumb render pakaura")]
    Render {
        /// The app to render.
        app: String,
        /// Read uncommitted files from the working tree instead of the committed tree.
        #[arg(long)]
        worktree: bool,
    },
    /// Render a Helm chart like `helm template`: same output byte for byte, no helm needed.
    #[command(
        after_help = "Examples:\n  plumb template my-release ./chart -f values.yaml --namespace default\n  plumb template ./chart --set image.tag=1.2 --show-only templates/deployment.yaml"
    )]
    Template(Box<TemplateCli>),
    /// Build the images of an app (or all) whose content changed.
    #[command(
        after_help = "Examples:\n  plumb build\n  plumb build pakaura --revision HEAD~1 --push"
    )]
    Build {
        /// The app whose images to build; all when omitted.
        app: Option<String>,
        /// Build from this commit (a branch, tag, `HEAD~1`, an id) instead of the followed branch's tip.
        #[arg(long)]
        revision: Option<String>,
        /// Also push the images that name a registry.
        #[arg(long)]
        push: bool,
    },
}

/// Exit code for usage and configuration errors, and for unbuilt commands.
const EXIT_USAGE: u8 = 2;

/// [`plumb::tune_allocator`], run by the loader before Rust's runtime
/// allocates (priority 100: before mimalloc's own constructor at 101).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array.00100"]
static TUNE_ALLOCATOR: extern "C" fn() = plumb::tune_allocator;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Run => {
            let config = load_config(global)?;
            init_logging(global, &config.log_level);
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            runtime.block_on(run_daemon(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            init_logging(global, "warn");
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            let report = runtime.block_on(plumb::check::check(
                &global.config_path(),
                &config::process_env,
            ));
            print!("{}", report.render());
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Status { output, url } => {
            let url = match url {
                Some(url) => url,
                None => status_url(global)?,
            };
            init_logging(global, "warn");
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            let status = runtime
                .block_on(plumb::http::fetch_status(&url))
                .with_context(|| format!("cannot read the status of plumb at {url} (hint: is `plumb run` running? pass --url for another address)"))?;
            match output {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&status)?),
                OutputFormat::Table => {
                    print!("{}", status.render_table(std::time::SystemTime::now()))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync {
            app,
            dry_run,
            force_hooks,
        } => {
            let config = load_config(global)?;
            let options = SyncOptions {
                force_hooks,
                ..SyncOptions::default()
            };
            init_logging(global, "warn");
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            if dry_run {
                return runtime.block_on(preview(config, app, false, options));
            }
            runtime.block_on(sync(config, app, options))
        }
        Command::Diff { app } => {
            let config = match load_config(global) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}", plumb::error_chain(&e));
                    return Ok(ExitCode::from(EXIT_USAGE));
                }
            };
            init_logging(global, "warn");
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            // Like `kubectl diff`: 0 no differences, 1 differences, 2 error.
            match runtime.block_on(preview(config, app, true, SyncOptions::default())) {
                Ok(code) => Ok(code),
                Err(e) => {
                    eprintln!("error: {e:#}");
                    Ok(ExitCode::from(EXIT_USAGE))
                }
            }
        }
        Command::Render { app, worktree } => {
            let config = load_config(global)?;
            init_logging(global, "warn");
            render(&config, &app, worktree)
        }
        Command::Template(args) => Ok(template(args.into_args())),
        Command::Build {
            app,
            revision,
            push,
        } => {
            let config = load_config(global)?;
            init_logging(global, "info");
            let runtime =
                tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
            runtime.block_on(build(config, app, revision, push))
        }
    }
}

/// `plumb template`: prints what `helm template` prints; errors as Helm
/// prints them (`Error: ...`), exit 1.
fn template(args: plumb::chart::helm_template::TemplateArgs) -> ExitCode {
    match plumb::chart::helm_template::run(&args) {
        Ok(out) => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The flags of `plumb template`, as `helm template` spells them.
#[derive(Args)]
struct TemplateCli {
    /// `[NAME] CHART`: the release name (default `release-name`) and the chart directory or .tgz.
    #[arg(num_args = 1..=2, required = true)]
    positionals: Vec<String>,
    /// Values files, merged in order.
    #[arg(short = 'f', long = "values")]
    values: Vec<String>,
    /// Set values (a.b=1,c[0]=x).
    #[arg(long)]
    set: Vec<String>,
    /// Set values as strings.
    #[arg(long)]
    set_string: Vec<String>,
    /// Set values from files (key=path).
    #[arg(long)]
    set_file: Vec<String>,
    /// Set JSON values (key=json, or a JSON object).
    #[arg(long)]
    set_json: Vec<String>,
    /// Set literal string values.
    #[arg(long)]
    set_literal: Vec<String>,
    /// The release namespace.
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Kubernetes version for .Capabilities.KubeVersion.
    #[arg(long)]
    kube_version: Option<String>,
    /// Extra API versions for .Capabilities.APIVersions.
    #[arg(short = 'a', long)]
    api_versions: Vec<String>,
    /// Print the CRDs of crds/ too.
    #[arg(long)]
    include_crds: bool,
    /// Leave out test hooks.
    #[arg(long)]
    skip_tests: bool,
    /// Leave out all hooks.
    #[arg(long)]
    no_hooks: bool,
    /// Set .Release.IsUpgrade instead of .Release.IsInstall.
    #[arg(long)]
    is_upgrade: bool,
    /// Do not validate values against values.schema.json.
    #[arg(long)]
    skip_schema_validation: bool,
    /// Only print the manifests of these templates.
    #[arg(short = 's', long)]
    show_only: Vec<String>,
    /// Write the manifests to files under this directory.
    #[arg(long)]
    output_dir: Option<PathBuf>,
}

impl TemplateCli {
    fn into_args(self) -> plumb::chart::helm_template::TemplateArgs {
        plumb::chart::helm_template::TemplateArgs {
            positionals: self.positionals,
            values_files: self.values,
            set: self.set,
            set_string: self.set_string,
            set_file: self.set_file,
            set_json: self.set_json,
            set_literal: self.set_literal,
            namespace: self.namespace,
            kube_version: self.kube_version,
            api_versions: self.api_versions,
            include_crds: self.include_crds,
            skip_tests: self.skip_tests,
            no_hooks: self.no_hooks,
            is_upgrade: self.is_upgrade,
            skip_schema_validation: self.skip_schema_validation,
            show_only: self.show_only,
            output_dir: self.output_dir,
        }
    }
}

/// `plumb sync`: asks a running daemon (at the config's listen address) to
/// fetch and reconcile now; with no daemon there, reconciles once itself.
async fn sync(
    config: Config,
    app: Option<String>,
    options: SyncOptions,
) -> anyhow::Result<ExitCode> {
    let base = format!("http://{}", config.listen);
    match plumb::http::request_sync(&base, app.as_deref(), options.force_hooks).await {
        Ok(()) => {
            println!(
                "sync requested from the plumb at {base} ({}); `plumb status` shows the result",
                app.as_deref().unwrap_or("all apps")
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(plumb::http::ClientError::Request { .. }) => {
            println!("no plumb running at {base}; reconciling once here");
        }
        Err(e) => return Err(e).context("the running plumb refused the sync"),
    }
    let metrics = plumb::metrics::Metrics::new();
    let cluster = connect_cluster(&config, &metrics).await;
    let outcomes = plumb::reconcile::sync_once(&config, cluster, app.as_deref(), options).await?;
    let mut failed = false;
    for (name, outcome) in outcomes {
        match &outcome.error {
            None => println!(
                "{name}: {} in {}ms",
                outcome.result,
                outcome.took.as_millis()
            ),
            Some(e) => {
                failed = true;
                println!("{name}: {}: {}", outcome.result, plumb::error_chain(e));
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `plumb diff` (`diffs`: print unified diffs; exit 1 when anything would
/// change) and `plumb sync --dry-run` (print the plan; exit 0).
async fn preview(
    config: Config,
    app: Option<String>,
    diffs: bool,
    options: SyncOptions,
) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let metrics = plumb::metrics::Metrics::new();
    let Some(cluster) = connect_cluster(&config, &metrics).await else {
        anyhow::bail!(
            "cannot reach the Kubernetes API (hint: is Minikube running? `minikube status`)"
        );
    };
    let previews =
        plumb::reconcile::preview_apps(&config, &cluster, app.as_deref(), options).await?;
    let mut out = std::io::stdout().lock();
    let mut changed = false;
    let mut failed = None;
    for (name, result) in previews {
        let preview = match result {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {}", plumb::error_chain(&e));
                failed = Some(e);
                continue;
            }
        };
        if !diffs {
            let _ = writeln!(out, "app {name}:");
        }
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for item in &preview.items {
            changed |= item.planned.changes();
            *counts.entry(item.planned.as_str()).or_default() += 1;
            if diffs {
                let _ = out.write_all(item.diff.as_bytes());
            } else {
                let note = match &item.planned {
                    Planned::Keep(reason) => format!("  ({reason})"),
                    Planned::Refuse(hint) => {
                        format!("  (an immutable field changed; sync would fail: {hint})")
                    }
                    Planned::Skip => {
                        "  (hooks run only when the app changed; --force-hooks runs them)"
                            .to_string()
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {:<22} {:<10} {}{note}",
                    item.phase,
                    item.planned.as_str(),
                    item.object
                );
            }
        }
        if let Some(refusal) = &preview.prune_refused {
            let _ = writeln!(out, "  prune refused: {refusal}");
        }
        if !diffs {
            let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = writeln!(
                out,
                "  summary: {}",
                if summary.is_empty() {
                    "nothing".into()
                } else {
                    summary.join(", ")
                }
            );
        }
    }
    if failed.is_some() {
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    Ok(if diffs && changed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A cluster client for one-off commands; `None` (with a warning) when the
/// API server does not answer, so the caller reports it in its own terms.
async fn connect_cluster(
    config: &Config,
    metrics: &plumb::metrics::Metrics,
) -> Option<plumb::cluster::apply::Cluster> {
    match plumb::cluster::client::connect(&config.cluster).await {
        Ok(connected) => Some(
            plumb::cluster::apply::Cluster::new(
                connected.client,
                metrics.kube_requests_total.clone(),
            )
            .with_version(connected.version),
        ),
        Err(e) => {
            eprintln!("warning: {}", plumb::error_chain(&e));
            None
        }
    }
}

/// `plumb render APP`: the objects plumb would apply, as YAML documents,
/// from the committed tree (or the working tree with `--worktree`).
fn render(config: &Config, app: &str, worktree: bool) -> anyhow::Result<ExitCode> {
    let update = plumb::source::follow::read_once(&config.source, &config.state_dir)?;
    let Some(spec) = update.manifest.apps.iter().find(|a| a.name == app) else {
        let known: Vec<_> = update
            .manifest
            .apps
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        anyhow::bail!(
            "no app named `{app}` in the repo manifest (apps: {})",
            known.join(", ")
        );
    };
    let objects = if worktree {
        let plumb::config::RepoLocation::Local(repo) = &config.source.repo else {
            anyhow::bail!("--worktree needs a local repo; source.repo is a URL");
        };
        let files = plumb::source::WorktreeFiles {
            root: repo.join(&config.source.path),
        };
        plumb::render::render_app(spec, &files)?
    } else {
        plumb::reconcile::render_app(&config.source, &config.state_dir, spec, &update.revision.id)?
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for object in objects {
        let text = format!(
            "---\n# Source: {}\n{}",
            object.origin,
            plumb::yaml::to_string(&object.data)
        );
        if let Err(e) = out.write_all(text.as_bytes()) {
            // A closed pipe (`plumb render x | head`) is the reader's choice.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `plumb build [APP] [--revision REV] [--push]`: builds the images of the
/// apps (or one) at the followed tip or `REV`, outside the daemon, and
/// prints each image, its reference and whether it was built or cached.
/// Exit 1 when any image failed.
async fn build(
    config: Config,
    app: Option<String>,
    revision: Option<String>,
    push: bool,
) -> anyhow::Result<ExitCode> {
    use plumb::build::images;
    let (revision, manifest) = {
        let (source, state_dir) = (config.source.clone(), config.state_dir.clone());
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let update = plumb::source::follow::read_once(&source, &state_dir)?;
            let Some(wanted) = revision else {
                return Ok((update.revision.id, update.manifest));
            };
            let repo = plumb::source::Source::open(&source, &state_dir)?;
            let id = repo.resolve(&wanted)?;
            let file = repo.full_path(plumb::manifest::FILE_NAME);
            let text = repo
                .read_file(&id, plumb::manifest::FILE_NAME)?
                .ok_or_else(|| anyhow::anyhow!("{file}: not found at revision {wanted}"))?;
            let manifest = plumb::manifest::parse(&file, &String::from_utf8_lossy(&text))?;
            Ok((id, manifest))
        })
        .await??
    };
    let apps: Vec<_> = match &app {
        None => manifest.apps.iter().collect(),
        Some(name) => match manifest.apps.iter().find(|a| &a.name == name) {
            Some(spec) => vec![spec],
            None => {
                let known: Vec<_> = manifest.apps.iter().map(|a| a.name.as_str()).collect();
                anyhow::bail!(
                    "no app named `{name}` in the repo manifest (apps: {})",
                    known.join(", ")
                );
            }
        },
    };
    if apps.iter().all(|a| a.images.is_empty()) {
        println!("no images declared (add `images:` to an app in plumb.yaml)");
        return Ok(ExitCode::SUCCESS);
    }
    let (docker, endpoint) = plumb::build::docker::connect_from_config(&config.docker).await?;
    eprintln!(
        "building at {} with the Docker Engine at {endpoint}",
        plumb::source::short_id(&revision)
    );
    let options = images::BuildOptions {
        push,
        ..config.build.clone()
    };
    let mut failed = false;
    for spec in apps.into_iter().filter(|a| !a.images.is_empty()) {
        let planned = {
            let (source, state_dir, task_app, task_rev, task_options) = (
                config.source.clone(),
                config.state_dir.clone(),
                spec.clone(),
                revision.clone(),
                options.clone(),
            );
            tokio::task::spawn_blocking(move || {
                plumb::reconcile::planned_images(
                    &source,
                    &state_dir,
                    &task_app,
                    &task_rev,
                    &task_options,
                )
            })
            .await?
        };
        let planned = match planned {
            Ok(planned) => planned,
            Err(e) => {
                eprintln!("error: {}", plumb::error_chain(&e));
                failed = true;
                continue;
            }
        };
        let outcomes = images::ensure(
            &docker,
            &config.source,
            &config.state_dir,
            &spec.name,
            &revision,
            &planned,
            &options,
        )
        .await;
        for (image, outcome) in planned.iter().zip(outcomes) {
            match outcome {
                Ok(done) => println!(
                    "{}  {}  {} ({:.1}s)",
                    image.spec.name,
                    done.image.reference(),
                    done.result.label(),
                    done.took.as_secs_f64()
                ),
                Err(e) => {
                    failed = true;
                    println!("{}  {}  failed", image.spec.name, image.reference());
                    eprintln!("error: {}", plumb::error_chain(&e));
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Where `plumb status` looks: the config's listen address. Run outside the
/// repo with no config named and none at [`DEFAULT_CONFIG`], the default
/// listen address, said on stderr; a named config that is missing stays an
/// error.
fn status_url(global: &GlobalArgs) -> Result<String, ConfigError> {
    match load_config(global) {
        Ok(config) => Ok(format!("http://{}", config.listen)),
        Err(ConfigError::Read { source, .. })
            if global.config.is_none() && source.kind() == std::io::ErrorKind::NotFound =>
        {
            let url = format!("http://{}", config::DEFAULT_LISTEN);
            eprintln!(
                "no {DEFAULT_CONFIG} here; asking the plumb at {url} (pass --config or --url)"
            );
            Ok(url)
        }
        Err(e) => Err(e),
    }
}

fn load_config(global: &GlobalArgs) -> Result<Config, ConfigError> {
    Config::load(&global.config_path(), &config::process_env)
}

/// kube's HTTP layer logs every failed request at ERROR ("failed with error
/// client error (Connect)", every retry of an outage). plumb reports the
/// same failure itself with context, once per outage, so the default
/// filter silences that target; `PLUMB_LOG` can still ask for it.
const KUBE_HTTP_QUIET: &str = "kube_client::client::builder=off";

/// Log filter: `PLUMB_LOG` wins as written; else the config's level moved
/// by -v/-q, with chatty dependencies kept down.
fn init_logging(global: &GlobalArgs, configured: &str) {
    const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
    let explicit = std::env::var("PLUMB_LOG").ok().filter(|f| !f.is_empty());
    let filter = match explicit.clone() {
        Some(f) => f,
        None => {
            let base = LEVELS.iter().position(|l| *l == configured);
            match base {
                Some(i) => {
                    let i = (i + global.verbose as usize).saturating_sub(global.quiet as usize);
                    LEVELS[i.min(LEVELS.len() - 1)].to_string()
                }
                None => configured.to_string(),
            }
        }
    };
    // Dependencies are chatty at debug; keep them at warn unless asked by PLUMB_LOG.
    let mut filter = if filter.contains('=') || filter.contains(',') {
        filter
    } else {
        format!("warn,plumb={filter}")
    };
    if explicit.is_none() && !filter.contains("kube_client") {
        filter = format!("{filter},{KUBE_HTTP_QUIET}");
    }
    let env_filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_writer(std::io::stderr);
    match global.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run_daemon(config: Config) -> anyhow::Result<()> {
    let daemon = plumb::daemon::start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    // Exit within 5 s even if a task does not notice the cancellation.
    if tokio::time::timeout(Duration::from_secs(5), daemon.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("tasks did not stop within 5s; exiting anyway");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
