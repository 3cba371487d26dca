//! The command line: `--version`, `--help`, `plumb check` on every kind of
//! bad input, `plumb run`'s start-up errors, and commands whose stage is not
//! built yet (issue 3).

mod support;

use std::path::Path;
use std::process::Command;

use support::{agent_config, output_text as text, plumb_bin, run_plumb as plumb, TestRepo};

fn write_config(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plumb.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn version_prints_version_and_commit() {
    let out = plumb(&["--version"], None);
    assert!(out.status.success());
    let text = text(&out);
    assert!(
        text.starts_with(&format!("plumb {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "run", "check", "status", "sync", "diff", "render", "template", "build",
    ] {
        let out = plumb(&[command, "--help"], None);
        assert!(out.status.success(), "{command} --help failed");
        let text = text(&out);
        assert!(
            text.contains("Example"),
            "`plumb {command} --help` has no example:\n{text}"
        );
        assert!(text.contains("--config"), "{command}: global flags shown");
    }
}

#[test]
fn build_without_images_says_so() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["build"], Some(&config));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no images declared"), "{}", text(&out));
    let out = plumb(&["build", "nope"], Some(&config));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("no app named `nope`"), "{}", text(&out));
}

#[test]
fn check_passes_on_a_good_config_and_lists_the_apps() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["check"], Some(&config));
    let text = text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 app(s): demo"), "{text}");
    assert!(text.contains("0 error(s)"), "{text}");
    // No cluster on this path: a warning, not an error.
    assert!(text.contains("warning cluster"), "{text}");
}

#[test]
fn check_on_a_missing_config_file_names_it() {
    let out = plumb(&["check"], Some(Path::new("/nonexistent/plumb.yaml")));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(
        text.contains("/nonexistent/plumb.yaml: cannot read the agent config"),
        "{text}"
    );
    assert!(text.contains("hint"), "{text}");
}

#[test]
fn check_names_an_unknown_key_and_its_line() {
    let (_d, config) = write_config("listen: 127.0.0.1:9797\nsource:\n  repo: .\n  brnach: main\n");
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("unknown field `brnach`"), "{text}");
    assert!(text.contains("line 4"), "{text}");
}

#[test]
fn check_names_a_bad_listen_address_with_its_line() {
    let (_d, config) = write_config("# plumb\nlisten: everywhere:80\n");
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("plumb.yaml:2: `listen`"), "{text}");
}

#[test]
fn check_reports_malformed_yaml() {
    let (_d, config) = write_config("source:\n  repo: [unclosed\n");
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("line"), "{}", text(&out));
}

#[test]
fn check_reports_an_unreadable_kubeconfig_with_field_and_line() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(
        repo.path(),
        "cluster:\n  kubeconfig: /nonexistent/kubeconfig\n",
    );
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("`cluster.kubeconfig`"), "{text}");
    assert!(text.contains("/nonexistent/kubeconfig"), "{text}");
    assert!(text.contains(":8:"), "line of cluster.kubeconfig: {text}");
}

#[test]
fn check_reports_a_malformed_kubeconfig() {
    let repo = TestRepo::with_demo_app();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "clusters: [this is not: a kubeconfig\n").unwrap();
    let (_dir, config) = agent_config(
        repo.path(),
        &format!("cluster:\n  kubeconfig: {}\n", kubeconfig.display()),
    );
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot be read"), "{}", text(&out));
}

#[test]
fn check_reports_a_missing_context() {
    let repo = TestRepo::with_demo_app();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let (_dir, config) = agent_config(
        repo.path(),
        &format!(
            "cluster:\n  kubeconfig: {}\n  context: nope\n",
            kubeconfig.display()
        ),
    );
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("context `nope`"), "{}", text(&out));
}

#[test]
fn check_reports_a_repo_that_is_not_a_repo() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, config) = agent_config(dir.path(), "");
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("`source.repo`"), "{text}");
    assert!(text.contains("not a git repository"), "{text}");
}

#[test]
fn check_reports_a_broken_repo_manifest_with_file_and_line() {
    let repo = TestRepo::with_demo_app();
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: m\n    replicas: 3\n",
    );
    repo.commit("typo");
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("deploy/plumb.yaml"), "{text}");
    assert!(text.contains("replicas"), "{text}");
    assert!(text.contains("line 5"), "{text}");
}

#[test]
fn check_reports_an_unreadable_secret_file_without_content() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let text_cfg = std::fs::read_to_string(&config).unwrap().replace(
        "  path: deploy\n",
        "  path: deploy\n  webhook_secret_file: /nonexistent/secret\n",
    );
    std::fs::write(&config, text_cfg).unwrap();
    let out = plumb(&["check"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("`source.webhook_secret_file`"),
        "{}",
        text(&out)
    );
}

#[test]
fn run_with_a_config_error_exits_2() {
    let (_d, config) = write_config("listen: nowhere\n");
    let out = plumb(&["run"], Some(&config));
    assert_eq!(out.status.code(), Some(2));
    let text = text(&out);
    assert!(text.starts_with("error: "), "{text}");
    assert!(text.contains("`listen`"), "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
}

#[test]
fn run_with_an_unreadable_kubeconfig_exits_1() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(
        repo.path(),
        "cluster:\n  kubeconfig: /nonexistent/kubeconfig\n",
    );
    let out = plumb(&["run"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(text.contains("`cluster.kubeconfig`"), "{text}");
    assert!(text.contains("/nonexistent/kubeconfig"), "{text}");
}

#[test]
fn run_on_a_port_in_use_exits_1_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let text_cfg = std::fs::read_to_string(&config)
        .unwrap()
        .replace("listen: 127.0.0.1:0", &format!("listen: 127.0.0.1:{port}"));
    std::fs::write(&config, text_cfg).unwrap();
    let out = plumb(&["run"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(
        text.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("is plumb already running"), "{text}");
}

#[test]
fn status_without_a_daemon_says_what_to_do() {
    let port = support::free_port();
    let out = plumb(
        &["status", "--url", &format!("http://127.0.0.1:{port}")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("is `plumb run` running?"),
        "{}",
        text(&out)
    );
}

#[test]
fn env_override_reaches_the_config() {
    let (_d, config) = write_config("listen: 127.0.0.1:9797\n");
    let out = Command::new(plumb_bin())
        .args(["check", "--config"])
        .arg(&config)
        .env("PLUMB_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not-an-address"), "{}", text(&out));
}

#[test]
fn render_prints_the_committed_objects_or_the_working_tree() {
    let repo = TestRepo::with_demo_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["render", "demo"], Some(&config));
    let committed = text(&out);
    assert_eq!(out.status.code(), Some(0), "{committed}");
    assert!(
        committed.starts_with("---\n# Source: deploy/manifests/cm.yaml:1 (document 1)\n"),
        "{committed}"
    );
    assert!(committed.contains("kind: ConfigMap"), "{committed}");
    assert!(
        committed.contains("a: '1'") || committed.contains("a: \"1\""),
        "{committed}"
    );

    // An uncommitted edit shows only with --worktree.
    repo.write(
        "deploy/manifests/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: \"draft\"\n",
    );
    assert!(!text(&plumb(&["render", "demo"], Some(&config))).contains("draft"));
    let out = plumb(&["render", "demo", "--worktree"], Some(&config));
    assert!(text(&out).contains("draft"), "{}", text(&out));

    let out = plumb(&["render", "nope"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("no app named `nope`"), "{}", text(&out));
}

#[test]
fn render_names_file_and_document_of_a_broken_manifest() {
    let repo = TestRepo::with_demo_app();
    repo.write(
        "deploy/manifests/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n",
    );
    repo.commit("no name");
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["render", "demo"], Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let text = text(&out);
    assert!(
        text.contains("deploy/manifests/bad.yaml:1 (document 1): `metadata.name` is missing"),
        "{text}"
    );
}

/// An agent config for `repo` whose `source.path` is `path`.
fn config_with_path(repo: &TestRepo, path: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, config) = agent_config(repo.path(), "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("  path: deploy\n", &format!("  path: {path}\n"));
    std::fs::write(&config, text).unwrap();
    (dir, config)
}

#[test]
fn source_path_dot_means_the_repo_root() {
    let repo = TestRepo::empty();
    repo.write(
        "plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: ./manifests/\n",
    );
    repo.write(
        "manifests/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n",
    );
    repo.commit("at the root");
    for path in [".", "./", "/", "\"\""] {
        let (_dir, config) = config_with_path(&repo, path);
        let out = plumb(&["check"], Some(&config));
        let checked = text(&out);
        assert_eq!(out.status.code(), Some(0), "path {path}: {checked}");
        assert!(
            checked.contains("repo     plumb.yaml at "),
            "path {path}: {checked}"
        );
        assert!(checked.contains("1 app(s): demo"), "path {path}: {checked}");
        let out = plumb(&["render", "demo"], Some(&config));
        let rendered = text(&out);
        assert_eq!(out.status.code(), Some(0), "path {path}: {rendered}");
        assert!(
            rendered.starts_with("---\n# Source: manifests/cm.yaml:1 (document 1)\n"),
            "path {path}: {rendered}"
        );
    }
}

#[test]
fn an_app_path_dot_is_the_watched_directory_without_plumb_yaml() {
    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: .\n",
    );
    repo.write(
        "deploy/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n",
    );
    repo.commit("app at the watched directory");
    let (_dir, config) = config_with_path(&repo, "./deploy//");
    for args in [&["render", "demo"][..], &["render", "demo", "--worktree"]] {
        let out = plumb(args, Some(&config));
        let rendered = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {rendered}");
        assert!(
            rendered.contains("cm.yaml:1 (document 1)"),
            "{args:?}: {rendered}"
        );
        // The repo manifest is plumb's, not an object to apply.
        assert!(!rendered.contains("plumb.yaml"), "{args:?}: {rendered}");
        assert_eq!(rendered.matches("---\n").count(), 1, "{rendered}");
    }
    let out = plumb(&["render", "demo"], Some(&config));
    assert!(
        text(&out).starts_with("---\n# Source: deploy/cm.yaml:1 (document 1)\n"),
        "{}",
        text(&out)
    );
}

#[test]
fn status_outside_the_repo_asks_the_default_address() {
    let here = tempfile::tempdir().unwrap();
    let out = Command::new(plumb_bin())
        .arg("status")
        .current_dir(here.path())
        .env_remove("PLUMB_CONFIG")
        .env("HOME", here.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "no config/plumb.yaml here; asking the plumb at http://127.0.0.1:9797 (pass --config or --url)\n"
        ),
        "{stderr}"
    );
    // Nothing listens there in tests, unless some plumb happens to run.
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cannot read the status of plumb at http://127.0.0.1:9797"),
            "{stderr}"
        );
    }
}

#[test]
fn status_with_a_named_config_that_is_missing_is_an_error() {
    let here = tempfile::tempdir().unwrap();
    let missing = here.path().join("nope.yaml");
    let by_flag = plumb(&["status"], Some(&missing));
    let by_env = Command::new(plumb_bin())
        .arg("status")
        .current_dir(here.path())
        .env("PLUMB_CONFIG", &missing)
        .output()
        .unwrap();
    for out in [by_flag, by_env] {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("nope.yaml: cannot read the agent config"),
            "{}",
            text(&out)
        );
        assert!(!text(&out).contains("asking the plumb"), "{}", text(&out));
    }
}

#[test]
fn check_and_render_handle_chart_apps() {
    let repo = TestRepo::with_chart_app();
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["check"], Some(&config));
    let checked = text(&out);
    assert_eq!(out.status.code(), Some(0), "{checked}");
    assert!(
        checked.contains("app `chart-shop`: chart deploy/charts/shop render 3 object(s)"),
        "{checked}"
    );

    let out = plumb(&["render", "chart-shop"], Some(&config));
    let rendered = text(&out);
    assert_eq!(out.status.code(), Some(0), "{rendered}");
    assert!(
        rendered.contains("# Source: shop/templates/configmap.yaml:1 (document 1)\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("greeting: hello from the test environment"),
        "{rendered}"
    );
    assert!(
        rendered.contains("helm.sh/hook: pre-install,pre-upgrade"),
        "{rendered}"
    );
    assert!(
        rendered.contains("release-revision: '1'") || rendered.contains("release-revision: \"1\""),
        "plumb render shows a first install: {rendered}"
    );
}

#[test]
fn chart_symlinks_load_their_targets_as_helm_follows_them() {
    use std::os::unix::fs::symlink;
    let repo = TestRepo::with_chart_app();
    let cm = |name: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  greeting: {{{{ .Values.greeting | quote }}}}\n")
    };
    repo.write("deploy/shared/cm.yaml", &cm("linked-file"));
    repo.write("deploy/shared/extra/one.yaml", &cm("linked-dir"));
    repo.write("deploy/shared/chained/three.yaml", &cm("linked-chain"));
    let templates = repo.path().join("deploy/charts/shop/templates");
    let shared = repo.path().join("deploy/shared");
    symlink("../../../shared/cm.yaml", templates.join("shared.yaml")).expect("symlink");
    symlink("../../../shared/extra", templates.join("extra")).expect("symlink");
    // A link to a link: the second resolves from where it sits.
    symlink("chained/three.yaml", shared.join("to-three.yaml")).expect("symlink");
    symlink(
        "../../../shared/to-three.yaml",
        templates.join("chain.yaml"),
    )
    .expect("symlink");
    repo.commit("templates shared through symlinks");
    let (_dir, config) = agent_config(repo.path(), "");

    for args in [
        &["render", "chart-shop"][..],
        &["render", "chart-shop", "--worktree"],
    ] {
        let out = plumb(args, Some(&config));
        let rendered = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {rendered}");
        for (source, name) in [
            ("shop/templates/shared.yaml", "linked-file"),
            ("shop/templates/extra/one.yaml", "linked-dir"),
            ("shop/templates/chain.yaml", "linked-chain"),
        ] {
            assert!(
                rendered.contains(&format!("# Source: {source}:1 (document 1)\n")),
                "{args:?}: {source} is rendered: {rendered}"
            );
            assert!(rendered.contains(&format!("name: {name}")), "{rendered}");
        }
        assert!(
            rendered.contains("greeting: hello from the test environment"),
            "linked templates are templates: {rendered}"
        );
        assert!(
            !rendered.contains("../../../shared"),
            "no link text is loaded as content: {rendered}"
        );
    }

    for (link, target, want) in [
        (
            "escape.yaml",
            "../../../../etc/hostname",
            "symlink templates/escape.yaml -> ../../../../etc/hostname points outside the watched directory",
        ),
        (
            "gone.yaml",
            "../../../shared/nope.yaml",
            "error evaluating symlink templates/gone.yaml: ../../../shared/nope.yaml: no such file or directory",
        ),
    ] {
        symlink(target, templates.join(link)).expect("symlink");
        repo.commit("a bad link");
        let out = plumb(&["render", "chart-shop"], Some(&config));
        let rendered = text(&out);
        assert_ne!(out.status.code(), Some(0), "{rendered}");
        assert!(rendered.contains(want), "{rendered}");
        assert!(rendered.contains("inside the watched directory"), "the hint: {rendered}");
        std::fs::remove_file(templates.join(link)).expect("rm link");
        repo.commit("link dropped");
    }
}

#[test]
fn check_lists_every_bad_values_file_of_a_chart_app() {
    let repo = TestRepo::with_chart_app();
    repo.write("deploy/environments/test.yaml", "greeting: [unclosed\n");
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: chart-shop\n    namespace: chart-shop\n    chart: charts/shop\n    values: [values.yaml, environments/test.yaml, environments/prod.yaml]\n",
    );
    repo.commit("bad values");
    let (_dir, config) = agent_config(repo.path(), "");
    let out = plumb(&["check"], Some(&config));
    let checked = text(&out);
    assert_eq!(out.status.code(), Some(1), "{checked}");
    assert!(
        checked
            .contains("app `chart-shop`: values file deploy/environments/test.yaml does not parse"),
        "{checked}"
    );
    assert!(
        checked
            .contains("app `chart-shop`: values file deploy/environments/prod.yaml does not exist"),
        "{checked}"
    );
    assert!(checked.contains("2 error(s)"), "{checked}");
}

#[test]
fn check_names_a_template_error_with_file_line_and_column() {
    let repo = TestRepo::with_chart_app();
    repo.write(
        "deploy/charts/shop/templates/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.missing.key }}\n",
    );
    repo.write(
        "deploy/charts/shop/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.x\n",
    );
    repo.commit("broken template, missing dependency");
    let (_dir, config) = agent_config(repo.path(), "");
    let checked = text(&plumb(&["check"], Some(&config)));
    assert!(
        checked.contains("app `chart-shop`: chart deploy/charts/shop: missing dependencies: found in Chart.yaml, but missing in charts/ directory: redis"),
        "{checked}"
    );
    assert!(checked.contains("helm dependency build"), "{checked}");
    assert!(checked.contains("stops at its first error"), "{checked}");

    repo.write(
        "deploy/charts/shop/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    );
    repo.commit("dependency dropped");
    let out = plumb(&["check"], Some(&config));
    let checked = text(&out);
    assert_eq!(out.status.code(), Some(1), "{checked}");
    assert!(
        checked.contains("shop/templates/broken.yaml:6:"),
        "the template's file:line:col: {checked}"
    );
    assert!(checked.contains("nil pointer evaluating"), "{checked}");
}

/// `.Files.Get` of a binary file is a Go string of its bytes: `b64enc`,
/// `len` and `sha256sum` see every byte, as real Helm's (expected output
/// from `../shared/helm-conformance/oracle.py`, Helm v4.3.0).
#[test]
fn template_keeps_every_byte_of_a_binary_file() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path();
    std::fs::create_dir(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bin\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("blob.bin"), (0..=255u8).collect::<Vec<u8>>()).unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbinaryData:\n  \
         blob.bin: {{ .Files.Get \"blob.bin\" | b64enc }}\ndata:\n  \
         len: \"{{ len (.Files.Get \"blob.bin\") }}\"\n  \
         sha: {{ .Files.Get \"blob.bin\" | sha256sum }}\n  \
         lines: \"{{ len (.Files.Lines \"blob.bin\") }}\"\n",
    )
    .unwrap();
    let out = Command::new(plumb_bin())
        .arg("template")
        .arg("x")
        .arg(chart)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "---\n# Source: bin/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\
         binaryData:\n  blob.bin: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n\
         data:\n  len: \"256\"\n  \
         sha: 40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880\n  lines: \"2\"\n"
    );
}
