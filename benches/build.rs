//! Image build figures (issue 11): the digest of a 1,000-file / 50 MB
//! context read from git, and the "already built?" check of an unchanged
//! image beside a fully cached `docker build` of the same context in the
//! same run, then a real build of a small image. The engine is the one in
//! `PLUMB_BENCH_DOCKER_HOST` (or `PLUMB_TEST_DOCKER_HOST`); without one the
//! engine rows say SKIPPED. Prints a table; asserts nothing.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use plumb::build::images::{self, BuildOptions};
use plumb::config::{RepoLocation, SourceConfig};
use plumb::manifest::{AppSpec, ImageSpec};
use plumb::source::Source;

const RUNS: usize = 30;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("build bench: skipped in test mode (run scripts/bench build)");
        return;
    }
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "build", "p50", "p99", "target"
    );

    // A repo with a 1,000-file, 50 MB context: 50 KiB of distinct bytes each.
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q", "-b", "main"]);
    let context = repo.path().join("apps/big");
    for i in 0..1000 {
        let dir = context.join(format!("d{:02}", i % 40));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut content = vec![0u8; 50 * 1024];
        for (j, b) in content.iter_mut().enumerate() {
            *b = ((i * 7919 + j * 31) % 251) as u8;
        }
        std::fs::write(dir.join(format!("f{i:04}.bin")), content).expect("write");
    }
    std::fs::write(context.join("Dockerfile"), "FROM scratch\nCOPY . /data/\n").expect("write");
    std::fs::write(context.join(".dockerignore"), "*.tmp\n**/cache/\n").expect("write");
    common::commit_all(repo.path(), "big");
    let config = SourceConfig {
        repo: RepoLocation::Local(repo.path().to_path_buf()),
        branch: "main".into(),
        path: String::new(),
        poll_interval: Duration::from_secs(30),
        webhook_secret_file: None,
        ssh_key_file: None,
        known_hosts_file: None,
        token_file: None,
    };
    let source = Source::open(&config, repo.path()).expect("open");
    let revision = source.tip().expect("tip").id;
    let image = format!("plumb-bench/big-{}", std::process::id());
    let app = AppSpec::directory("bench", "").with_images(vec![ImageSpec::new(&image, "apps/big")]);
    let options = BuildOptions::default();

    let mut digests: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let planned = images::plan(&source, &app, &revision, &options).expect("plan");
            assert_eq!(planned[0].context.files.len(), 1002);
            start.elapsed()
        })
        .collect();
    row(
        "context digest, 1,000 files / 50 MB (git, .dockerignore)",
        &mut digests,
        "< 100 ms",
    );
    let planned = images::plan(&source, &app, &revision, &options).expect("plan");
    let started = Instant::now();
    let tar = plumb::build::context::tar(&planned[0].context, &mut |b| source.read_blob(&b.id))
        .expect("tar");
    let mut tars = vec![started.elapsed()];
    row(
        &format!("context tar from git ({} MB, once)", tar.len() / 1_000_000),
        &mut tars,
        "-",
    );

    let host = std::env::var("PLUMB_BENCH_DOCKER_HOST")
        .or_else(|_| std::env::var("PLUMB_TEST_DOCKER_HOST"))
        .ok()
        .filter(|h| !h.is_empty());
    let Some(host) = host else {
        println!(
            "{:<56} SKIPPED: no Docker Engine (set PLUMB_BENCH_DOCKER_HOST)",
            "unchanged check vs cached docker build"
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let endpoint =
        plumb::build::docker::DockerEndpoint::Unix(host.trim_start_matches("unix://").into());
    let docker = plumb::build::docker::connect(&endpoint).expect("connect");

    // The first build (not timed as a figure: it copies 50 MB into vfs).
    let build_started = Instant::now();
    let outcome = runtime.block_on(images::ensure(
        &docker,
        &config,
        repo.path(),
        "bench",
        &revision,
        &planned,
        &options,
    ));
    let mut first = vec![build_started.elapsed()];
    assert!(outcome[0].is_ok(), "{:?}", outcome[0].as_ref().err());
    row("first build of the 50 MB context (once)", &mut first, "-");

    // Unchanged: plumb's check (plan from git + one inspect) ...
    let mut checks: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let planned = images::plan(&source, &app, &revision, &options).expect("plan");
            let done = runtime.block_on(images::ensure(
                &docker,
                &config,
                repo.path(),
                "bench",
                &revision,
                &planned,
                &options,
            ));
            assert_eq!(
                done[0].as_ref().map(|d| d.result.label()).ok(),
                Some("cached")
            );
            start.elapsed()
        })
        .collect();
    // ... beside a fully cached `docker build` of the same directory.
    let mut cached_builds: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let out = Command::new("docker")
                .args(["build", "-q", "-t", &format!("{image}:cli"), "."])
                .current_dir(&context)
                .env("DOCKER_HOST", &host)
                .env("DOCKER_BUILDKIT", "0")
                .output()
                .expect("docker build");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            start.elapsed()
        })
        .skip(1)
        .collect();
    let p50 = |v: &mut Vec<Duration>| common::percentile(v, 0.5);
    let ratio = p50(&mut cached_builds).as_secs_f64() / p50(&mut checks).as_secs_f64();
    row(
        "unchanged: plumb's check (plan + inspect)",
        &mut checks,
        "< 20 ms",
    );
    row(
        "unchanged: fully cached `docker build` (CLI)",
        &mut cached_builds,
        "-",
    );
    println!(
        "{:<56} {:>10.0}x {:>10} {:>14}",
        "  plumb's check faster by", ratio, "", ">= 20x"
    );

    // A small image built for real, from scratch (a one-file change each run).
    let small = tempfile::tempdir().expect("tempdir");
    git(small.path(), &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(small.path().join("web")).expect("mkdir");
    std::fs::write(
        small.path().join("web/Dockerfile"),
        "FROM scratch\nCOPY . /srv/\n",
    )
    .expect("write");
    let small_config = SourceConfig {
        repo: RepoLocation::Local(small.path().to_path_buf()),
        ..config.clone()
    };
    let small_image = format!("plumb-bench/small-{}", std::process::id());
    let small_app =
        AppSpec::directory("bench", "").with_images(vec![ImageSpec::new(&small_image, "web")]);
    let mut builds: Vec<Duration> = (0..10)
        .map(|i| {
            std::fs::write(small.path().join("web/page.txt"), format!("page {i}\n"))
                .expect("write");
            common::commit_all(small.path(), "page");
            let source = Source::open(&small_config, small.path()).expect("open");
            let revision = source.tip().expect("tip").id;
            let start = Instant::now();
            let planned = images::plan(&source, &small_app, &revision, &options).expect("plan");
            let done = runtime.block_on(images::ensure(
                &docker,
                &small_config,
                small.path(),
                "bench",
                &revision,
                &planned,
                &options,
            ));
            assert_eq!(
                done[0].as_ref().map(|d| d.result.label()).ok(),
                Some("built")
            );
            start.elapsed()
        })
        .collect();
    row(
        "build of a small image after a commit (FROM scratch)",
        &mut builds,
        "-",
    );

    // Leave the engine as it was.
    for reference in [format!("{image}:cli")]
        .into_iter()
        .chain(planned.iter().map(|p| p.reference()))
    {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &reference])
            .env("DOCKER_HOST", &host)
            .output();
    }
    let _ = runtime.block_on(plumb::build::engine::gc(
        &docker,
        &small_image,
        1,
        &Default::default(),
    ));
}

use common::git;

fn row(name: &str, samples: &mut [Duration], target: &str) {
    common::row(56, name, samples, target);
}
