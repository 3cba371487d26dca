//! The Docker Engine calls of image builds (`plumb::build::engine`) against
//! the real dockerd that scripts/test starts: build, inspect, tag, push to a
//! real registry (Debian's `docker-registry`, started here on a free
//! loopback port, with and without basic auth) and garbage collection.
//!
//! No public registry is reachable, so images are `FROM scratch`, and the
//! one base that can `RUN` is busybox-static imported as
//! `plumb-test/busybox:1`. Every test uses its own repository names with a
//! per-run nonce, so tests run in parallel and reruns hit no stale cache.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, RemoveContainerOptions,
    RemoveImageOptions,
};
use bollard::Docker;
use futures::StreamExt;
use plumb::build::docker::{connect, resolve_endpoint, EndpointInputs};
use plumb::build::engine::{self, BuildProgress, BuildSpec, BuiltImage, EngineError, ImageInfo};
use support::registry::Registry;
use support::{docker_host, Service};

const BUSYBOX: &str = "plumb-test/busybox:1";

/// A name part unique to this test run and call: process id, start time
/// and a counter.
fn nonce() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:x}-{:x}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A client for the test dockerd, or `None` after a loud skip.
fn engine_or_skip() -> Option<Docker> {
    let Some(host) = docker_host() else {
        support::skip(
            Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return None;
    };
    let inputs = EndpointInputs {
        endpoint: Some(host),
        ..Default::default()
    };
    let endpoint = resolve_endpoint(&inputs, &|_| unreachable!("no minikube here"))
        .expect("PLUMB_TEST_DOCKER_HOST is an endpoint");
    Some(connect(&endpoint).expect("connect to the test dockerd"))
}

/// An uncompressed tar of `files` (path, contents), as the caller of
/// `engine::build` makes it.
fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, contents.as_bytes())
            .expect("tar entry");
    }
    tar.into_inner().expect("tar")
}

/// A spec building `dockerfile` with `files` beside it as `reference`.
fn spec(reference: &str, dockerfile: &str, files: &[(&str, &str)]) -> BuildSpec {
    let mut all = vec![("Dockerfile", dockerfile)];
    all.extend_from_slice(files);
    BuildSpec {
        reference: reference.to_string(),
        context_tar: tar_of(&all),
        dockerfile: "Dockerfile".to_string(),
        ..Default::default()
    }
}

/// Builds, collecting the progress.
async fn build_logged(
    docker: &Docker,
    spec: &BuildSpec,
) -> (Result<BuiltImage, EngineError>, Vec<BuildProgress>) {
    let mut seen = Vec::new();
    let result = engine::build(docker, spec, &mut |p| seen.push(p)).await;
    (result, seen)
}

async fn build_ok(docker: &Docker, spec: &BuildSpec) -> BuiltImage {
    let (result, seen) = build_logged(docker, spec).await;
    match result {
        Ok(built) => built,
        Err(e) => panic!(
            "build of {} failed: {e}\nprogress: {seen:#?}",
            spec.reference
        ),
    }
}

async fn inspect_some(docker: &Docker, reference: &str) -> ImageInfo {
    engine::inspect(docker, reference)
        .await
        .expect("inspect")
        .unwrap_or_else(|| panic!("{reference} is not there"))
}

/// Removes test images (by reference, forced); what is gone already is
/// fine. Never beside another test's build: see `engine::removal_guard`.
async fn remove_all(docker: &Docker, references: &[String]) {
    let _alone = engine::removal_guard().await;
    for reference in references {
        let options = RemoveImageOptions {
            force: true,
            ..Default::default()
        };
        let _ = docker.remove_image(reference, Some(options), None).await;
    }
}

/// Imports busybox-static as [`BUSYBOX`] once per test binary (and only if
/// it is not there yet): `bin/busybox` with `sh` and `false` linked to it.
async fn ensure_busybox(docker: &Docker) -> bool {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let busybox = Path::new("/bin/busybox");
    if !busybox.is_file() {
        support::skip(
            Service::Docker,
            "no /bin/busybox (apt-get install busybox-static): no base image to RUN in",
        );
        return false;
    }
    DONE.get_or_init(|| async {
        if engine::inspect(docker, BUSYBOX)
            .await
            .expect("inspect busybox")
            .is_some()
        {
            return;
        }
        let binary = std::fs::read(busybox).expect("read /bin/busybox");
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(binary.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        tar.append_data(&mut header, "bin/busybox", binary.as_slice())
            .expect("tar busybox");
        for link in ["sh", "false", "echo"] {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            header.set_mode(0o777);
            tar.append_link(&mut header, format!("bin/{link}"), "busybox")
                .expect("tar link");
        }
        let tar = tar.into_inner().expect("tar");
        let (repo, tag) = BUSYBOX.split_once(':').expect("repo:tag");
        let options = CreateImageOptions {
            from_src: Some("-".to_string()),
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..Default::default()
        };
        let mut stream =
            docker.create_image(Some(options), Some(bollard::body_full(tar.into())), None);
        while let Some(item) = stream.next().await {
            item.expect("import busybox");
        }
    })
    .await;
    true
}

#[tokio::test]
async fn build_then_inspect_finds_the_image_and_its_labels() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let reference = format!("plumb-test/labels-{n}:plumb-1");
    let mut spec = spec(
        &reference,
        &format!("FROM scratch\nLABEL from.dockerfile=yes run={n}\nCOPY a.txt /a.txt\n"),
        &[("a.txt", "hello\n")],
    );
    spec.labels = BTreeMap::from([("plumb.dev/app".to_string(), "api".to_string())]);
    let built = build_ok(&docker, &spec).await;
    assert_eq!(built.reference, reference);
    assert!(built.id.starts_with("sha256:"), "{built:?}");

    let info = inspect_some(&docker, &reference).await;
    assert_eq!(info.id, built.id);
    assert_eq!(
        info.labels.get("from.dockerfile").map(String::as_str),
        Some("yes")
    );
    assert_eq!(
        info.labels.get("plumb.dev/app").map(String::as_str),
        Some("api")
    );
    assert!(info.repo_digests.is_empty(), "never pushed: {info:?}");
    assert!(info.created.is_some(), "{info:?}");
    remove_all(&docker, &[reference]).await;
}

#[tokio::test]
async fn inspect_of_a_missing_image_is_none() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let reference = format!("plumb-test/missing-{}:plumb-0", nonce());
    assert_eq!(
        engine::inspect(&docker, &reference).await.expect("inspect"),
        None
    );
}

#[tokio::test]
async fn progress_reports_every_step_in_order() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let reference = format!("plumb-test/progress-{n}:plumb-1");
    let spec = spec(
        &reference,
        &format!("FROM scratch\nCOPY a.txt /a.txt\nLABEL run={n}\n"),
        &[("a.txt", "a\n")],
    );
    let (result, seen) = build_logged(&docker, &spec).await;
    result.expect("build");
    let steps: Vec<(usize, usize, &str)> = seen
        .iter()
        .filter_map(|p| match p {
            BuildProgress::Step {
                number,
                total,
                text,
            } => Some((*number, *total, text.as_str())),
            BuildProgress::Line(_) => None,
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (1, 3, "Step 1/3 : FROM scratch"),
            (2, 3, "Step 2/3 : COPY a.txt /a.txt"),
            (3, 3, format!("Step 3/3 : LABEL run={n}").as_str()),
        ],
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|p| matches!(p, BuildProgress::Line(l) if l.starts_with("Successfully built"))),
        "{seen:#?}"
    );
    remove_all(&docker, &[reference]).await;
}

#[tokio::test]
async fn a_failing_run_step_names_the_step_and_its_output() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    if !ensure_busybox(&docker).await {
        return;
    }
    let n = nonce();
    let reference = format!("plumb-test/run-fails-{n}:plumb-1");
    let run = format!("RUN echo about-to-fail-{n} && false");
    let spec = spec(&reference, &format!("FROM {BUSYBOX}\n{run}\n"), &[]);
    let (result, seen) = build_logged(&docker, &spec).await;
    let err = result.expect_err("RUN false fails");
    let EngineError::BuildFailed {
        image,
        step,
        message,
        last_lines,
    } = &err
    else {
        panic!("not a build failure: {err:?}");
    };
    assert_eq!(image, &reference);
    assert_eq!(step.as_deref(), Some(format!("Step 2/2 : {run}").as_str()));
    assert!(message.contains("returned a non-zero code: 1"), "{message}");
    assert!(
        last_lines
            .iter()
            .any(|l| l == &format!("about-to-fail-{n}")),
        "{last_lines:?}"
    );
    assert!(last_lines.len() <= 20);
    // The same output reached the progress callback as it came.
    assert!(
        seen.contains(&BuildProgress::Line(format!("about-to-fail-{n}"))),
        "{seen:#?}"
    );
    let text = err.to_string();
    assert!(text.contains(&reference) && text.contains("hint"), "{text}");
    assert_eq!(
        engine::inspect(&docker, &reference).await.expect("inspect"),
        None
    );

    // forcerm: the failed step's container is gone.
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .expect("list containers");
    let marker = format!("about-to-fail-{n}");
    let left: Vec<_> = containers
        .iter()
        .filter(|c| {
            c.command
                .as_deref()
                .is_some_and(|cmd| cmd.contains(&marker))
        })
        .collect();
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

#[tokio::test]
async fn copy_of_a_missing_file_fails_at_its_step() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let reference = format!("plumb-test/copy-fails-{n}:plumb-1");
    let spec = spec(
        &reference,
        &format!("FROM scratch\nLABEL run={n}\nCOPY missing.txt /\n"),
        &[("present.txt", "x")],
    );
    let (result, _) = build_logged(&docker, &spec).await;
    let Err(EngineError::BuildFailed {
        step,
        message,
        last_lines,
        ..
    }) = result
    else {
        panic!("not a build failure: {result:?}");
    };
    assert_eq!(step.as_deref(), Some("Step 3/3 : COPY missing.txt /"));
    assert!(message.contains("missing.txt"), "{message}");
    assert_eq!(
        last_lines.last().map(String::as_str),
        Some("Step 3/3 : COPY missing.txt /")
    );
    // The LABEL step's image stays behind as cache (` ---> 1a2b3c4d5e6f`).
    let intermediates: Vec<String> = last_lines
        .iter()
        .filter_map(|l| l.strip_prefix(" ---> "))
        .filter(|id| id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect();
    remove_all(&docker, &intermediates).await;
}

#[tokio::test]
async fn a_dockerfile_the_engine_refuses_is_a_build_failure_without_a_step() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let reference = format!("plumb-test/refused-{n}:plumb-1");
    let bad = spec(&reference, "FROM scratch\nFROBNICATE all\n", &[]);
    let (result, _) = build_logged(&docker, &bad).await;
    let Err(EngineError::BuildFailed { step, message, .. }) = result else {
        panic!("not a build failure: {result:?}");
    };
    assert_eq!(step, None);
    assert!(message.contains("unknown instruction"), "{message}");

    let mut elsewhere = spec(&reference, "FROM scratch\n", &[]);
    elsewhere.dockerfile = "docker/Dockerfile.nope".to_string();
    let (result, _) = build_logged(&docker, &elsewhere).await;
    let Err(EngineError::BuildFailed { message, .. }) = result else {
        panic!("not a build failure: {result:?}");
    };
    assert!(message.contains("Dockerfile.nope"), "{message}");

    let mut no_stage = spec(&reference, "FROM scratch AS base\nLABEL a=b\n", &[]);
    no_stage.target = Some("nope".to_string());
    let (result, _) = build_logged(&docker, &no_stage).await;
    let Err(EngineError::BuildFailed { message, .. }) = result else {
        panic!("not a build failure: {result:?}");
    };
    assert!(message.contains("nope"), "{message}");
}

#[tokio::test]
async fn build_args_and_target_take_effect() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let dockerfile = format!(
        "FROM scratch AS base\nARG FLAVOUR=plain\nLABEL flavour=$FLAVOUR run={n}\nCOPY a.txt /a.txt\n\
         FROM base AS final\nLABEL stage=final\n"
    );
    let files = [("a.txt", "a\n")];

    let base_ref = format!("plumb-test/args-{n}:plumb-base");
    let mut base = spec(&base_ref, &dockerfile, &files);
    base.target = Some("base".to_string());
    base.args = BTreeMap::from([("FLAVOUR".to_string(), "spicy".to_string())]);
    build_ok(&docker, &base).await;
    let info = inspect_some(&docker, &base_ref).await;
    assert_eq!(
        info.labels.get("flavour").map(String::as_str),
        Some("spicy")
    );
    assert_eq!(info.labels.get("stage"), None, "stopped at base: {info:?}");

    let final_ref = format!("plumb-test/args-{n}:plumb-final");
    build_ok(&docker, &spec(&final_ref, &dockerfile, &files)).await;
    let info = inspect_some(&docker, &final_ref).await;
    assert_eq!(
        info.labels.get("flavour").map(String::as_str),
        Some("plain")
    );
    assert_eq!(info.labels.get("stage").map(String::as_str), Some("final"));

    remove_all(&docker, &[base_ref, final_ref]).await;
}

#[tokio::test]
async fn cache_from_uses_the_previous_image_and_skips_missing_ones() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let dockerfile = format!("FROM scratch\nLABEL run={n}\nCOPY a.txt /a.txt\n");
    let files = [("a.txt", "cached\n")];
    let first_ref = format!("plumb-test/cache-{n}:plumb-1");
    let first = build_ok(&docker, &spec(&first_ref, &dockerfile, &files)).await;

    let used_cache = |seen: &[BuildProgress]| {
        seen.iter()
            .any(|p| matches!(p, BuildProgress::Line(l) if l.contains("Using cache")))
    };

    let second_ref = format!("plumb-test/cache-{n}:plumb-2");
    let mut second = spec(&second_ref, &dockerfile, &files);
    second.cache_from = vec![first_ref.clone()];
    let (result, seen) = build_logged(&docker, &second).await;
    let built = result.expect("build with cache_from");
    assert!(used_cache(&seen), "{seen:#?}");
    assert_eq!(built.id, first.id, "all steps cached: the same image");

    // A source that is not here (the first build of an image) must not
    // turn the local cache off: the classic builder would use only the
    // given sources.
    let third_ref = format!("plumb-test/cache-{n}:plumb-3");
    let mut third = spec(&third_ref, &dockerfile, &files);
    third.cache_from = vec![format!("plumb-test/cache-{n}:plumb-never-built")];
    let (result, seen) = build_logged(&docker, &third).await;
    assert_eq!(
        result.expect("build with a missing cache source").id,
        first.id
    );
    assert!(used_cache(&seen), "{seen:#?}");

    remove_all(&docker, &[first_ref, second_ref, third_ref]).await;
}

#[tokio::test]
async fn tag_names_the_same_image_twice() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let source = format!("plumb-test/tag-{n}:plumb-1");
    let built = build_ok(
        &docker,
        &spec(&source, &format!("FROM scratch\nLABEL run={n}\n"), &[]),
    )
    .await;
    let target = format!("127.0.0.1:5999/plumb-test/tag-{n}:release");
    engine::tag(&docker, &source, &target).await.expect("tag");
    assert_eq!(inspect_some(&docker, &target).await.id, built.id);

    let missing = format!("plumb-test/tag-{n}:plumb-never-built");
    let err = engine::tag(&docker, &missing, &target)
        .await
        .expect_err("no such source");
    assert!(
        matches!(&err, EngineError::NoSuchImage { operation: "tag", image } if image == &missing),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(&missing) && text.contains("hint"), "{text}");
    remove_all(&docker, &[source, target]).await;
}

#[tokio::test]
async fn gc_keeps_the_newest_and_those_in_use() {
    let Some(docker) = engine_or_skip() else {
        return;
    };
    let n = nonce();
    let repo = format!("plumb-test/gc-{n}");
    let mut ids = Vec::new();
    for i in 0..5 {
        let reference = format!("{repo}:plumb-{i}");
        let dockerfile = format!("FROM scratch\nLABEL n={i} run={n}\n");
        ids.push(
            build_ok(&docker, &spec(&reference, &dockerfile, &[]))
                .await
                .id,
        );
    }
    // Neither a tag outside plumb-* nor another repository is plumb's to drop.
    let other_tag = format!("{repo}:release");
    engine::tag(&docker, &format!("{repo}:plumb-4"), &other_tag)
        .await
        .expect("tag");
    let sibling = format!("{repo}-sibling:plumb-0");
    build_ok(
        &docker,
        &spec(
            &sibling,
            &format!("FROM scratch\nLABEL sibling=1 run={n}\n"),
            &[],
        ),
    )
    .await;
    // A container made from plumb-1 by image id (never started: a scratch
    // image has nothing to run).
    let container = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(format!("plumb-test-gc-{n}")),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(ids[1].clone()),
                cmd: Some(vec!["/nothing".to_string()]),
                host_config: Some(HostConfig {
                    network_mode: Some("none".to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("create container")
        .id;

    // plumb-0 is in the desired state (written the long way), plumb-1 is
    // a container's, plumb-3 and plumb-4 are the two newest: plumb-2 goes.
    let in_use = BTreeSet::from([format!("docker.io/{repo}:plumb-0")]);
    let removed = engine::gc(&docker, &repo, 2, &in_use).await.expect("gc");
    assert_eq!(removed, vec![format!("{repo}:plumb-2")]);
    assert_eq!(
        engine::inspect(&docker, &format!("{repo}:plumb-2"))
            .await
            .expect("inspect"),
        None
    );
    for i in [0, 1, 3, 4] {
        inspect_some(&docker, &format!("{repo}:plumb-{i}")).await;
    }
    assert!(
        engine::gc(&docker, &repo, 2, &in_use)
            .await
            .expect("gc again")
            .is_empty(),
        "nothing more to remove"
    );

    docker
        .remove_container(&container, None::<RemoveContainerOptions>)
        .await
        .expect("remove container");
    let mut removed = engine::gc(&docker, &repo, 0, &BTreeSet::new())
        .await
        .expect("gc of everything");
    removed.sort();
    assert_eq!(
        removed,
        [0, 1, 3, 4].map(|i| format!("{repo}:plumb-{i}")).to_vec()
    );
    // plumb-4's image lives on under its other tag; the sibling is untouched.
    assert_eq!(inspect_some(&docker, &other_tag).await.id, ids[4]);
    inspect_some(&docker, &sibling).await;
    remove_all(&docker, &[other_tag, sibling]).await;
}

// ---- push ---------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Builds a small image and tags it `<registry>/<repo>:<tag>` for a push;
/// returns the local reference and the push reference.
async fn image_to_push(docker: &Docker, registry: &Registry, repo: &str) -> (String, String) {
    let n = nonce();
    let local = format!("plumb-test/push-{n}:plumb-1");
    build_ok(
        docker,
        &spec(
            &local,
            &format!("FROM scratch\nLABEL run={n}\nCOPY a.txt /a.txt\n"),
            &[("a.txt", "pushed\n")],
        ),
    )
    .await;
    let remote = format!("{}/{repo}:plumb-1", registry.host());
    engine::tag(docker, &local, &remote).await.expect("tag");
    (local, remote)
}

#[test]
fn push_to_a_plain_registry_returns_the_manifest_digest() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let rt = runtime();
    let Some(digest) = rt.block_on(async {
        let docker = engine_or_skip()?;
        let (local, remote) = image_to_push(&docker, &registry, "team/plain").await;
        let digest = engine::push(&docker, &remote, None).await.expect("push");
        // The engine now knows the image by its registry digest too.
        let info = inspect_some(&docker, &remote).await;
        assert!(
            info.repo_digests
                .contains(&format!("{}/team/plain@{digest}", registry.host())),
            "{info:?}"
        );
        remove_all(&docker, &[local, remote]).await;
        Some(digest)
    }) else {
        return;
    };
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert_eq!(registry.manifest_digest("team/plain", "plumb-1"), digest);
}

#[test]
fn push_with_basic_auth_from_a_docker_config() {
    let Some(registry) = Registry::start(Some(("plumb", "s3cr:et"))) else {
        return;
    };
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("plumb:s3cr:et");
    // Keyed the way `docker login` writes it for a plain-HTTP registry.
    let config = registry.docker_config(&format!(
        r#"{{"auths":{{"http://{}":{{"auth":"{auth}"}}}}}}"#,
        registry.host()
    ));
    let rt = runtime();
    let Some(digest) = rt.block_on(async {
        let docker = engine_or_skip()?;
        let (local, remote) = image_to_push(&docker, &registry, "team/private").await;
        let digest = engine::push(&docker, &remote, Some(&config))
            .await
            .expect("push with credentials");
        remove_all(&docker, &[local, remote]).await;
        Some(digest)
    }) else {
        return;
    };
    assert_eq!(registry.manifest_digest("team/private", "plumb-1"), digest);
}

#[test]
fn push_without_or_with_wrong_credentials_is_an_auth_error() {
    let Some(registry) = Registry::start(Some(("plumb", "right"))) else {
        return;
    };
    use base64::Engine as _;
    let wrong = base64::engine::general_purpose::STANDARD.encode("plumb:wrong");
    let wrong_config = registry.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{wrong}"}}}}}}"#,
        registry.host()
    ));
    let rt = runtime();
    rt.block_on(async {
        let Some(docker) = engine_or_skip() else {
            return;
        };
        let (local, remote) = image_to_push(&docker, &registry, "team/locked").await;

        let err = engine::push(&docker, &remote, None)
            .await
            .expect_err("no credentials");
        let EngineError::PushAuth {
            registry: host,
            hint,
            ..
        } = &err
        else {
            panic!("not an auth error: {err:?}");
        };
        assert_eq!(host, &registry.host());
        assert!(hint.contains("no credentials were sent"), "{err}");
        assert!(err.to_string().contains(&remote), "{err}");

        let err = engine::push(&docker, &remote, Some(&wrong_config))
            .await
            .expect_err("wrong password");
        let EngineError::PushAuth { hint, .. } = &err else {
            panic!("not an auth error: {err:?}");
        };
        assert!(hint.contains("check the user and password"), "{err}");
        remove_all(&docker, &[local, remote]).await;
    });
}

#[test]
fn push_refuses_credential_helpers_and_missing_tags() {
    // No registry needed: both fail before the engine is asked to push.
    let rt = runtime();
    rt.block_on(async {
        let Some(docker) = engine_or_skip() else {
            return;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            r#"{"auths":{"127.0.0.1:5999":{}},"credsStore":"desktop"}"#,
        )
        .expect("write config");
        let err = engine::push(&docker, "127.0.0.1:5999/team/x:plumb-1", Some(&config))
            .await
            .expect_err("a credential helper");
        assert!(
            matches!(&err, EngineError::CredentialHelper { helper, .. } if helper == "desktop"),
            "{err:?}"
        );

        let err = engine::push(&docker, "127.0.0.1:5999/team/x", None)
            .await
            .expect_err("no tag");
        assert!(matches!(err, EngineError::BadReference { .. }), "{err:?}");

        let missing = dir.path().join("nope.json");
        let err = engine::push(&docker, "127.0.0.1:5999/team/x:plumb-1", Some(&missing))
            .await
            .expect_err("no config file");
        assert!(
            matches!(err, EngineError::DockerConfigRead { .. }),
            "{err:?}"
        );
    });
}

#[test]
fn push_of_an_image_that_is_not_here_or_to_no_registry_fails_clearly() {
    let rt = runtime();
    rt.block_on(async {
        let Some(docker) = engine_or_skip() else {
            return;
        };
        let n = nonce();
        // Nothing listens on this port.
        let port = support::free_port();
        let missing = format!("127.0.0.1:{port}/team/missing-{n}:plumb-1");
        let err = engine::push(&docker, &missing, None)
            .await
            .expect_err("not here");
        assert!(
            matches!(
                err,
                EngineError::NoSuchImage {
                    operation: "push",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("build or tag it first"), "{err}");

        let local = format!("plumb-test/nowhere-{n}:plumb-1");
        build_ok(
            &docker,
            &spec(&local, &format!("FROM scratch\nLABEL run={n}\n"), &[]),
        )
        .await;
        let remote = format!("127.0.0.1:{port}/team/nowhere-{n}:plumb-1");
        engine::tag(&docker, &local, &remote).await.expect("tag");
        let err = engine::push(&docker, &remote, None)
            .await
            .expect_err("no registry");
        assert!(matches!(err, EngineError::PushFailed { .. }), "{err:?}");
        assert!(err.to_string().contains("reachable"), "{err}");
        remove_all(&docker, &[local, remote]).await;
    });
}
