//! Image builds end to end: `plumb build` and `plumb render` on repos made
//! here, against the real Docker Engine scripts/test starts. The tags are
//! content-addressed: the tests check what changes them and what does not
//! (tag checks need no engine: `plumb render` shows them without building).

mod support;

use std::path::Path;
use std::time::Duration;

use support::{docker_host, output_text, run_plumb, TestRepo};

/// A unique repository per test and run: tests run in parallel on one
/// engine, whose images outlive a run (and a tag is the same for the same
/// content, so a name used before would find its image "cached").
fn repository(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("plumb-test/{test}-{}-{nanos}", std::process::id())
}

/// A repo with app `shop`: a Deployment of `image` and the image built
/// from `deploy/apps/web`.
fn shop_repo(image: &str) -> TestRepo {
    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        &format!("apps:\n  - name: shop\n    namespace: shop\n    path: manifests\n    images:\n      - name: {image}\n        context: apps/web\n"),
    );
    repo.write(
        "deploy/manifests/web.yaml",
        &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n        - name: web\n          image: {image}:dev\n        - name: sidecar\n          image: busybox:1.36\n"),
    );
    repo.write(
        "deploy/apps/web/Dockerfile",
        "FROM scratch\nLABEL shop=web\nCOPY . /site/\n",
    );
    repo.write("deploy/apps/web/index.html", "<h1>shop</h1>\n");
    repo.write("deploy/apps/web/.dockerignore", "*.log\nscratch/\n");
    repo.commit("the shop");
    repo
}

/// The image reference `plumb render shop` puts into the web container.
fn rendered_image(config: &Path) -> String {
    let out = run_plumb(&["render", "shop"], Some(config));
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    let objects: Vec<serde_yaml_ng::Value> =
        serde_yaml_ng::Deserializer::from_str(&String::from_utf8_lossy(&out.stdout))
            .filter_map(|d| serde::Deserialize::deserialize(d).ok())
            .collect();
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap_or_else(|| panic!("a Deployment: {text}"));
    let containers = &deployment["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        containers[1]["image"], "busybox:1.36",
        "other images untouched"
    );
    containers[0]["image"]
        .as_str()
        .expect("an image")
        .to_string()
}

#[test]
fn the_tag_follows_the_context_content_only() {
    let image = repository("tags");
    let repo = shop_repo(&image);
    let (_dir, config) = support::agent_config(repo.path(), "");
    let first = rendered_image(&config);
    assert!(
        first.starts_with(&format!("{image}:plumb-")) && first.len() == image.len() + 19,
        "{first}"
    );

    // Another clone, other mtimes: the same tag.
    let clone = tempfile::tempdir().expect("tempdir");
    support::git(
        Path::new("/"),
        &[
            "clone",
            "-q",
            &repo.path().display().to_string(),
            &clone.path().display().to_string(),
        ],
    );
    let (_d2, config2) = support::agent_config(clone.path(), "");
    assert_eq!(rendered_image(&config2), first, "the same on another clone");

    // What .dockerignore drops, and files outside the context: no change.
    repo.write("deploy/apps/web/debug.log", "noise\n");
    repo.write("deploy/apps/web/scratch/notes.txt", "noise\n");
    repo.write(
        "deploy/manifests/more.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n",
    );
    repo.write("README.md", "hello\n");
    repo.commit("unrelated");
    assert_eq!(rendered_image(&config), first, "ignored and outside files");

    // Content, a new file, a mode: each a new tag.
    let mut seen = vec![first.clone()];
    let mut expect_new = |what: &str, change: &dyn Fn()| {
        change();
        repo.commit(what);
        let now = rendered_image(&config);
        assert!(!seen.contains(&now), "{what}: {now} was seen before");
        seen.push(now);
    };
    expect_new("content", &|| {
        repo.write("deploy/apps/web/index.html", "<h1>shop 2</h1>\n")
    });
    expect_new("a new file", &|| {
        repo.write("deploy/apps/web/app.css", "h1 {}\n")
    });
    expect_new("a mode", &|| {
        use std::os::unix::fs::PermissionsExt;
        let css = repo.path().join("deploy/apps/web/app.css");
        std::fs::set_permissions(css, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    });
    expect_new("the .dockerignore", &|| {
        repo.write("deploy/apps/web/.dockerignore", "*.log\n")
    });
}

#[test]
fn context_errors_name_the_image_and_the_file() {
    let image = repository("errors");
    let repo = shop_repo(&image);
    let (_dir, config) = support::agent_config(repo.path(), "");
    std::fs::remove_file(repo.path().join("deploy/apps/web/Dockerfile")).expect("rm");
    repo.commit("no Dockerfile");
    let out = run_plumb(&["render", "shop"], Some(&config));
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "image `{image}`: no Dockerfile `Dockerfile` in context `apps/web`"
        )),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
    // A Dockerfile the .dockerignore excludes is still sent, as docker does.
    repo.write(
        "deploy/apps/web/Dockerfile",
        "FROM scratch\nCOPY . /site/\n",
    );
    repo.write(
        "deploy/apps/web/.dockerignore",
        "Dockerfile\n.dockerignore\n",
    );
    repo.commit("ignored Dockerfile");
    assert!(rendered_image(&config).starts_with(&format!("{image}:plumb-")));
}

/// `docker` CLI output for the test engine.
fn docker_cli(host: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", host)
        .output()
        .expect("docker CLI runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        output_text(&out)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `plumb build` output lines: (image, reference, result).
fn build(config: &Path, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let out = run_plumb(&all, Some(config));
    let text = output_text(&out);
    assert!(out.status.success(), "plumb build: {text}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 3, "a line `image reference result`: {l}");
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn plumb_build_builds_what_changed_and_nothing_else() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let image = repository("build");
    let repo = shop_repo(&image);
    let (_dir, config) =
        support::agent_config(repo.path(), &format!("docker:\n  endpoint: {host}\n"));
    let first = build(&config, &[]);
    assert_eq!(first.len(), 1, "{first:?}");
    let (name, reference, result) = &first[0];
    assert_eq!(name, &image);
    assert_eq!(result, "built");
    assert_eq!(
        reference,
        &rendered_image(&config),
        "render shows what build made"
    );

    // Labels say where the image came from.
    let labels = docker_cli(
        &host,
        &["inspect", "--format", "{{json .Config.Labels}}", reference],
    );
    let labels: serde_json::Value = serde_json::from_str(&labels).expect("labels JSON");
    assert_eq!(labels["dev.plumb.app"], "shop");
    assert_eq!(labels["shop"], "web", "the Dockerfile's own label");
    let rev = support::git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(labels["dev.plumb.revision"], rev.as_str());
    let digest = labels["dev.plumb.context-digest"].as_str().expect("digest");
    assert!(reference.ends_with(&digest[..12]), "{reference} {digest}");
    // The image holds the context the .dockerignore keeps.
    repo.write("deploy/apps/web/debug.log", "noise\n");
    repo.commit("a log");
    assert_eq!(
        build(&config, &[]),
        vec![(image.clone(), reference.clone(), "cached".into())]
    );
    let container = docker_cli(&host, &["create", reference, "/nothing"]);
    let listing = std::process::Command::new("docker")
        .args(["export", &container])
        .env("DOCKER_HOST", &host)
        .output()
        .expect("docker export");
    docker_cli(&host, &["rm", &container]);
    let mut files: Vec<String> = tar::Archive::new(listing.stdout.as_slice())
        .entries()
        .expect("tar")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.path().ok().map(|p| p.to_string_lossy().into_owned()))
        .filter(|p| p.starts_with("site/"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "site/",
            "site/.dockerignore",
            "site/Dockerfile",
            "site/index.html"
        ]
    );

    // A change inside the context: built, a new tag; the old one is still
    // there for `--revision`.
    repo.write("deploy/apps/web/index.html", "<h1>shop 2</h1>\n");
    repo.commit("new page");
    let second = build(&config, &["shop"]);
    assert_eq!(second[0].2, "built");
    assert_ne!(second[0].1, *reference);
    let old = build(&config, &["--revision", "HEAD~1"]);
    assert_eq!(
        old,
        vec![(image.clone(), reference.clone(), "cached".into())]
    );
}

#[test]
fn a_failing_build_names_the_image_and_the_step() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let image = repository("failing");
    let repo = shop_repo(&image);
    repo.write(
        "deploy/apps/web/Dockerfile",
        "FROM scratch\nCOPY index.html /\nCOPY missing.txt /\n",
    );
    repo.commit("a broken Dockerfile");
    let (_dir, config) =
        support::agent_config(repo.path(), &format!("docker:\n  endpoint: {host}\n"));
    let out = run_plumb(&["build"], Some(&config));
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("{image}  {image}:plumb-")), "{text}");
    assert!(text.contains("failed"), "{text}");
    assert!(text.contains("missing.txt"), "the engine's message: {text}");
    // The engine counts its own LABEL steps in; the failing one is third.
    assert!(
        text.contains("failed at `Step 3/") && text.contains(": COPY missing.txt /`"),
        "the failing step: {text}"
    );
}

#[test]
fn plumb_build_without_an_engine_says_where_it_looked() {
    let image = repository("noengine");
    let repo = shop_repo(&image);
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("no-docker.sock");
    let (_cfg, config) = support::agent_config(
        repo.path(),
        &format!("docker:\n  endpoint: unix://{}\n", socket.display()),
    );
    let out = run_plumb(&["build"], Some(&config));
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&socket.display().to_string()), "{text}");
    assert!(text.contains("hint:"), "{text}");
}

/// One runtime for the whole test binary: a kube client's connections live
/// on the runtime it was made on.
fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"))
        .block_on(f)
}

/// The images of Deployment `name` in namespace `ns`, container order.
fn deployment_images(client: &kube::Client, ns: &str, name: &str) -> Vec<String> {
    use k8s_openapi::api::apps::v1::Deployment;
    let api: kube::Api<Deployment> = kube::Api::namespaced(client.clone(), ns);
    let deployment = block(api.get(name)).expect("the Deployment");
    deployment
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers.into_iter().filter_map(|c| c.image).collect())
        .unwrap_or_default()
}

#[test]
fn a_commit_to_one_context_builds_one_image_and_rolls_its_workloads() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let Some(server) = support::apiserver::realistic_or_skip() else {
        return;
    };
    let (api, web) = (repository("roll-api"), repository("roll-web"));
    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        &format!("apps:\n  - name: roll\n    namespace: roll\n    path: manifests\n    timeout: 30s\n    images:\n      - name: {api}\n        context: apps/api\n      - name: {web}\n        context: apps/web\n"),
    );
    let deployment = |name: &str, image: &str| {
        format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: c, image: \"{image}:dev\"}}]\n")
    };
    repo.write(
        "deploy/manifests/all.yaml",
        &(deployment("api", &api) + &deployment("web", &web)),
    );
    for (dir, text) in [("api", "api v1\n"), ("web", "web v1\n")] {
        repo.write(
            &format!("deploy/apps/{dir}/Dockerfile"),
            "FROM scratch\nCOPY . /srv/\n",
        );
        repo.write(&format!("deploy/apps/{dir}/page.txt"), text);
    }
    repo.commit("two images");
    let daemon = support::start_plumb(
        &server,
        &repo,
        &format!("docker:\n  endpoint: {host}\nreconcile_interval: 1h\n"),
    );
    let app = |daemon: &support::Daemon| {
        daemon.status()["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["name"] == "roll").cloned())
            .unwrap_or_default()
    };
    let wait_result = |daemon: &support::Daemon, rev: &str, result: &str| {
        support::wait_until(
            Duration::from_secs(90),
            &format!("roll {result} at {rev}"),
            || {
                let a = app(daemon);
                (a["revision"] == rev && a["reconcile"]["result"] == result).then_some(a)
            },
        )
    };
    let first_rev = support::git(repo.path(), &["rev-parse", "HEAD"]);
    let status = wait_result(&daemon, &first_rev, "success");
    let client = block(server.client());
    let api_image = deployment_images(&client, "roll", "api");
    let web_image = deployment_images(&client, "roll", "web");
    assert!(
        api_image[0].starts_with(&format!("{api}:plumb-")),
        "{status}"
    );
    assert!(
        web_image[0].starts_with(&format!("{web}:plumb-")),
        "{status}"
    );
    let builds = |image: &str, result: &str| {
        daemon
            .metric(&format!(
                "plumb_image_builds_total{{app=\"roll\",image=\"{image}\",result=\"{result}\"}}"
            ))
            .unwrap_or(0.0)
    };
    assert_eq!((builds(&api, "built"), builds(&web, "built")), (1.0, 1.0));
    assert_eq!(
        daemon.metric("plumb_reconcile_total{app=\"roll\",result=\"failure\"}"),
        Some(0.0),
        "the first reconcile waits for the Docker probe rather than failing"
    );
    assert!(
        daemon
            .metric(&format!("plumb_image_context_bytes{{image=\"{api}\"}}"))
            .is_some_and(|b| b > 0.0),
        "the context size is exported"
    );

    // Only the api's context changes: one build, one workload rolls.
    repo.write("deploy/apps/api/page.txt", "api v2\n");
    let second_rev = repo.commit("api v2");
    wait_result(&daemon, &second_rev, "success");
    let api_after = deployment_images(&client, "roll", "api");
    assert_ne!(api_after, api_image, "the api rolls to its new image");
    assert_eq!(
        deployment_images(&client, "roll", "web"),
        web_image,
        "web does not"
    );
    assert_eq!((builds(&api, "built"), builds(&web, "built")), (2.0, 1.0));
    assert_eq!(builds(&web, "cached"), 1.0, "web's tag existed");

    // A broken build: the reconcile fails naming the image and the step,
    // and what runs stays as it was.
    repo.write(
        "deploy/apps/web/Dockerfile",
        "FROM scratch\nCOPY nope.txt /\n",
    );
    repo.write("deploy/apps/api/page.txt", "api v3\n");
    let third_rev = repo.commit("broken web");
    let failed = wait_result(&daemon, &third_rev, "failure");
    let error = failed["reconcile"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&web) && error.contains("COPY nope.txt"),
        "{failed}"
    );
    assert!(error.contains("nothing was applied"), "{error}");
    assert_eq!(builds(&web, "failed"), 1.0);
    assert_eq!(
        deployment_images(&client, "roll", "api"),
        api_after,
        "nothing applied"
    );
    assert_eq!(deployment_images(&client, "roll", "web"), web_image);
}

#[test]
fn a_chart_gets_its_images_through_values() {
    let (api, web) = (repository("chart-api"), repository("chart-web"));
    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        &format!("apps:\n  - name: shop\n    namespace: shop\n    chart: chart\n    set:\n      api.image: from-set\n    images:\n      - name: {api}\n        context: apps/api\n        values_key: api.image\n      - name: {web}\n        context: apps/web\n        values_key: web.image\n        values_form: split\n"),
    );
    repo.write(
        "deploy/chart/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    );
    repo.write(
        "deploy/chart/values.yaml",
        "api:\n  image: pakaura/api:latest\nweb:\n  image:\n    repository: nginx\n    tag: \"1.27\"\n    pullPolicy: IfNotPresent\n",
    );
    repo.write(
        "deploy/chart/templates/images.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: images\ndata:\n  api: {{ .Values.api.image | quote }}\n  web: \"{{ .Values.web.image.repository }}:{{ .Values.web.image.tag }}\"\n  policy: {{ .Values.web.image.pullPolicy }}\n",
    );
    for dir in ["api", "web"] {
        repo.write(
            &format!("deploy/apps/{dir}/Dockerfile"),
            &format!("FROM scratch\nLABEL x={dir}\n"),
        );
    }
    repo.commit("a chart with images");
    let (_dir, config) = support::agent_config(repo.path(), "");
    let out = run_plumb(&["render", "shop"], Some(&config));
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    let data: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        text.split("---\n")
            .find(|d| d.contains("kind: ConfigMap"))
            .unwrap_or_else(|| panic!("{text}")),
    )
    .expect("YAML");
    let data = &data["data"];
    let api_ref = data["api"].as_str().unwrap_or_default();
    let web_ref = data["web"].as_str().unwrap_or_default();
    assert!(
        api_ref.starts_with(&format!("{api}:plumb-")),
        "the image wins over set: {text}"
    );
    assert!(web_ref.starts_with(&format!("{web}:plumb-")), "{text}");
    assert_ne!(
        api_ref[api.len()..],
        web_ref[web.len()..],
        "each its own tag"
    );
    assert_eq!(
        data["policy"], "IfNotPresent",
        "the rest of the map is kept"
    );
}

/// A second dockerd that only speaks TLS on a loopback port, with
/// certificates made here; stopped on drop.
struct TlsEngine {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        output_text(&out)
    );
}

/// Makes `ca.pem`, a server certificate for 127.0.0.1 and a client
/// certificate (`cert.pem`, `key.pem`) in `dir`, as `docker-machine` (and
/// so Minikube) lays them out.
fn make_certs(dir: &Path, name: &str) {
    let days = ["-days", "2"];
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
            "-subj",
            &format!("/CN={name} CA"),
            days[0],
            days[1],
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write");
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").expect("write");
    for (who, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{who}-key.pem"),
                "-out",
                &format!("{who}.csr"),
                "-subj",
                &format!("/CN={who}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{who}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                &format!("{who}-cert.pem"),
                "-extfile",
                ext,
                days[0],
                days[1],
            ],
        );
    }
    std::fs::copy(dir.join("client-cert.pem"), dir.join("cert.pem")).expect("copy");
    std::fs::copy(dir.join("client-key.pem"), dir.join("key.pem")).expect("copy");
}

/// Starts the TLS engine, or `None` (with the reason) where this machine
/// cannot: not root, or no dockerd.
fn tls_engine() -> Result<TlsEngine, String> {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        return Err("not root: cannot start a second dockerd".into());
    }
    let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or("no dockerd")?;
    let dir = tempfile::tempdir().expect("tempdir");
    make_certs(dir.path(), "plumb-test");
    let port = support::free_port();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).expect("mkdir");
    let log = std::fs::File::create(dir.path().join("dockerd.log")).expect("log");
    let child = std::process::Command::new(dockerd)
        .args(["--host", &format!("tcp://127.0.0.1:{port}"), "--tlsverify"])
        .arg("--tlscacert")
        .arg(dir.path().join("ca.pem"))
        .arg("--tlscert")
        .arg(dir.path().join("server-cert.pem"))
        .arg("--tlskey")
        .arg(dir.path().join("server-key.pem"))
        .arg("--data-root")
        .arg(dir.path().join("data"))
        .arg("--exec-root")
        .arg(&run)
        .arg("--pidfile")
        .arg(run.join("dockerd.pid"))
        .args([
            "--storage-driver=vfs",
            "--iptables=false",
            "--ip-masq=false",
            "--bridge=none",
        ])
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .map_err(|e| format!("dockerd does not start: {e}"))?;
    let engine = TlsEngine { child, port, dir };
    let ready = std::time::Instant::now();
    while ready.elapsed() < Duration::from_secs(60) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(engine);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(engine.dir.path().join("dockerd.log")).unwrap_or_default();
    panic!("the TLS dockerd did not listen within 60 s:\n{log}");
}

#[test]
fn builds_through_a_tls_engine_and_refuses_a_foreign_one() {
    if docker_host().is_none() {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    }
    let engine = match tls_engine() {
        Ok(engine) => engine,
        Err(why) => {
            support::skip(
                support::Service::Docker,
                &format!("no TLS Docker Engine: {why}"),
            );
            return;
        }
    };
    let image = repository("tls");
    let repo = shop_repo(&image);
    let endpoint = format!("tcp://127.0.0.1:{}", engine.port);
    // As `minikube docker-env` prints it.
    let run = |cert_dir: &Path| {
        let (_dir, config) = support::agent_config(repo.path(), "");
        std::process::Command::new(support::plumb_bin())
            .args(["build", "--config"])
            .arg(&config)
            .env("DOCKER_HOST", &endpoint)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_dir)
            .env_remove("PLUMB_DOCKER_ENDPOINT")
            .output()
            .expect("plumb runs")
    };
    let out = support::wait_until(Duration::from_secs(60), "the TLS engine to answer", || {
        let out = run(engine.dir.path());
        (out.status.success() || !output_text(&out).contains("did not answer")).then_some(out)
    });
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("{image}:plumb-")) && text.contains("built"),
        "{text}"
    );
    assert!(text.contains(&format!("{endpoint} (TLS)")), "{text}");

    // Certificates of another CA: refused, and said so.
    let foreign = tempfile::tempdir().expect("tempdir");
    make_certs(foreign.path(), "someone-else");
    let out = run(foreign.path());
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&endpoint) && text.contains("certificate"),
        "{text}"
    );
}

#[test]
fn push_to_a_registry_pins_the_pushed_digest() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let Some(registry) = support::registry::Registry::start(None) else {
        return;
    };
    let image = repository("push");
    let repo = shop_repo(&image);
    repo.write(
        "deploy/plumb.yaml",
        &format!("apps:\n  - name: shop\n    namespace: shop\n    path: manifests\n    images:\n      - name: {image}\n        context: apps/web\n        registry: {}\n        pin_digest: true\n", registry.host()),
    );
    repo.commit("push it");
    let (_dir, config) =
        support::agent_config(repo.path(), &format!("docker:\n  endpoint: {host}\n"));
    let pushed = build(&config, &["--push"]);
    let (name, reference, result) = &pushed[0];
    assert_eq!((name.as_str(), result.as_str()), (image.as_str(), "built"));
    let repository = format!("{}/{image}", registry.host());
    let digest = reference
        .strip_prefix(&format!("{repository}@"))
        .unwrap_or_else(|| panic!("a pinned reference: {reference}"));
    let tag = rendered_image(&config);
    let tag = tag
        .strip_prefix(&format!("{repository}:"))
        .unwrap_or_else(|| panic!("render shows the tag: {tag}"));
    assert_eq!(
        registry.manifest_digest(&image, tag),
        digest,
        "the registry's digest"
    );
    // Pushed already: cached, and the digest comes back without a push.
    assert_eq!(
        build(&config, &["--push"]),
        vec![(image.clone(), reference.clone(), "cached".to_string())]
    );
}
