//! `.dockerignore` side by side with the real docker CLI: for each case a
//! context directory is written to disk, the `docker` CLI runs `docker
//! build` on it with the classic builder (`DOCKER_BUILDKIT=0`, so the CLI
//! tars the context itself), and a fake Docker daemon served here on a unix
//! socket captures the tar the CLI posts to `/build` (and then refuses the
//! build). The paths in that tar must be exactly the entries
//! `DockerIgnore::keeps` selects from the same directory listing.
//!
//! Directories are compared as entries too: the tar holds `dir/` for every
//! directory the walk sends, including empty ones, and none for an excluded
//! directory that the walk still enters because an exception starts with
//! its path (`build` + `!build/keep.me` sends `build/keep.me` without
//! `build/`). So a `Dir` entry must be kept exactly when the tar has it.
//!
//! Needs only the CLI (`apt-get install docker.io`), no dockerd. The CLI is
//! `PLUMB_TEST_DOCKER_CLI` or `docker` on `PATH`; without one the test
//! skips, unless `PLUMB_REQUIRE` names `docker`. plumb follows docker ≥ 23;
//! with an older CLI (Debian 12's docker.io is 20.10) the cases marked
//! `legacy_differs` are reported, not compared.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plumb::build::dockerignore::DockerIgnore;
use plumb::build::{ContextEntry, EntryKind};

/// The context every case starts from. `dir/` is an empty directory,
/// `a -> b` a symlink, a trailing `*` an executable file.
const TREE: &[&str] = &[
    "Dockerfile",
    "docker/Dockerfile",
    "docker/other.txt",
    "ci/images/api/Dockerfile",
    ".env",
    ".git/HEAD",
    ".git/refs/heads/main",
    "README.md",
    "a.txt",
    "b.txt",
    "ab.txt",
    "1.txt",
    "d.txt",
    "a.log",
    "app/main.py",
    "app/util.py",
    "app/tests/test_main.py",
    "app/tests/data/big.bin",
    "app/.cache/x",
    "build/out.o",
    "build/keep.me",
    "build/sub/deep.o",
    "docs/index.md",
    "docs/api/ref.md",
    "node_modules/pkg/index.js",
    "node_modules/pkg/README.md",
    "src/main.rs",
    "src/lib/mod.rs",
    "weird (1).txt",
    "star*.txt",
    "br[1].txt",
    "caf\u{e9}.txt",
    "sp ace.txt",
    "x/y/z/w.txt",
    "empty/",
    "link -> app/main.py",
    "dirlink -> app",
    "dangling -> nowhere",
    "run.sh*",
];

/// One comparison: a `.dockerignore` (or none) and the Dockerfile's path.
struct Case {
    name: &'static str,
    ignore: Option<&'static str>,
    dockerfile: &'static str,
    /// Docker before 23 (fileutils' `Matches`, fewer escapes) selects
    /// differently here; plumb follows current docker.
    legacy_differs: bool,
}

const fn case(name: &'static str, ignore: &'static str) -> Case {
    Case {
        name,
        ignore: Some(ignore),
        dockerfile: "Dockerfile",
        legacy_differs: false,
    }
}

const fn legacy(mut c: Case) -> Case {
    c.legacy_differs = true;
    c
}

const fn dockerfile(mut c: Case, path: &'static str) -> Case {
    c.dockerfile = path;
    c
}

const CASES: &[Case] = &[
    Case {
        name: "no_dockerignore",
        ignore: None,
        dockerfile: "Dockerfile",
        legacy_differs: false,
    },
    case("empty_file", ""),
    case("plain_names", "README.md\nbuild\na.log\n"),
    case("star_top_level", "*.txt"),
    case("star_in_dir", "app/*.py\ndocs/*"),
    case("star_then_exceptions", "*\n!app\n!src/main.rs"),
    case("doublestar_prefix", "**/*.o\n**/README.md"),
    case(
        "doublestar_middle",
        "app/**/data\nsrc/**/mod.rs\nx/**/w.txt",
    ),
    case(
        "doublestar_middle_zero_dirs",
        "app/**/main.py\n**/tests/**/*.bin",
    ),
    case("doublestar_end_keeps_dir_entry", "node_modules/**\nx/**"),
    case("doublestar_alone", "**"),
    legacy(case("doublestar_suffix_without_slash", "**.md\n**txt")),
    case("doublestar_name_prefix", "doc**\nnode**"),
    case("doublestar_suffix_dirs", "**/tests\n**/.cache"),
    case("question_mark", "?.txt\n?/y\ncaf?.txt\nsp?ace.txt"),
    case("classes", "[ab].txt\n[0-9].txt\napp/[mu]*.py"),
    case("negated_classes", "[^a].txt\n[!a]b.txt"),
    case("escapes", "star\\*.txt\nbr\\[1\\].txt\n\\d.txt"),
    case("posix_class", "[[:alpha:]].txt"),
    legacy(case("regex_metachars_literal", "weird*(1).txt\n*.log\n")),
    case("exception_in_excluded_dir", "build\n!build/keep.me"),
    case("exception_of_exception", "app\n!app/tests\napp/tests/data"),
    case(
        "later_patterns_win",
        "!README.md\n*.md\n!docs/index.md\ndocs\n!a.txt\n*.txt\n!b.txt",
    ),
    case("leading_slash", "/README.md\n/app/tests\n!/app/tests/data"),
    case("dot_slash", "./build\n./app/./main.py\n.//docs//api/"),
    case("trailing_slash", "build/\ndocs/api/\n!build/keep.me/"),
    case(
        "comments",
        "# comment\n#build\n  #a.txt\n README.md # not a comment\na.log\n",
    ),
    case(
        "blank_and_space_lines_crlf",
        "\r\n   \r\n\tREADME.md  \r\n\r\n  build \r\n!  build/keep.me\r\n",
    ),
    case(
        "dotdot",
        "app/../build\n../README.md\nsrc/..\ndocs/api/../index.md",
    ),
    case("root_and_dot_patterns", "/\n.\n./\n"),
    case(
        "excluded_dockerfile_and_dockerignore",
        "Dockerfile\n.dockerignore\n*.txt",
    ),
    dockerfile(
        case("excluded_dockerfile_in_subdir", "docker\n.dockerignore"),
        "docker/Dockerfile",
    ),
    // The CLI's check for the Dockerfile only looks at the parent prefix
    // as deep as the pattern: `**/api` is tried on `ci/images`, so the
    // Dockerfile is not sent at all.
    dockerfile(
        case("excluded_dockerfile_deep", "**/api"),
        "ci/images/api/Dockerfile",
    ),
    case("dotfiles", ".*\n!.git/HEAD"),
    case("symlinks", "link\ndirlink/*\ndangling"),
    case("empty_dir", "empty\n!x"),
    case("executable", "*.sh\n!run.sh\n*.md"),
    case("nested_dirs", "x/y\n!x/y/z/w.txt"),
    case(
        "exception_glob_cannot_reenter",
        "build\n!build/*/deep.o\napp\n!**/main.py",
    ),
    legacy(case("exception_skipped_at_parent", "app/tests\n!app")),
    legacy(case("byte_order_mark", "\u{feff}README.md\n\u{feff}a.txt")),
    case("everything_but", "*\n!*.txt\n!app/**\napp/tests"),
    case("doublestar_then_exception_dir", "**\n!docs\n!src/lib"),
];

/// A `.dockerignore` docker refuses: the CLI must fail before sending
/// anything, and `DockerIgnore::parse` must fail on the same line.
struct Bad {
    name: &'static str,
    ignore: &'static str,
    line: usize,
    /// What the CLI prints.
    cli_says: &'static str,
}

const BAD: &[Bad] = &[
    Bad {
        name: "unclosed_class",
        ignore: "build\n[abc\n",
        line: 2,
        cli_says: "syntax error in pattern",
    },
    Bad {
        name: "empty_class",
        ignore: "[]",
        line: 1,
        cli_says: "syntax error in pattern",
    },
    Bad {
        name: "bad_regexp_escape",
        ignore: "a.log\n\\q*\n",
        line: 2,
        cli_says: "syntax error in pattern",
    },
    Bad {
        name: "lone_exclamation",
        ignore: "build\n!\n",
        line: 2,
        cli_says: "illegal exclusion pattern",
    },
];

#[test]
fn selection_equals_docker_build_context() {
    let Some(cli) = docker_cli() else {
        support::skip(
            support::Service::Docker,
            "no docker CLI on PATH (apt-get install docker.io), cannot compare .dockerignore",
        );
        return;
    };
    let major = cli_major(&cli);
    let daemon = FakeDaemon::start();
    let mut failures = Vec::new();
    let mut legacy_notes = Vec::new();
    for c in CASES {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = dir.path().join("ctx");
        write_tree(&ctx, TREE);
        if let Some(text) = c.ignore {
            fs::write(ctx.join(".dockerignore"), text).expect("write .dockerignore");
        }
        let run = run_build(&cli, &daemon, dir.path(), &ctx, c.dockerfile);
        let Some(body) = run.body else {
            failures.push(format!(
                "{}: the CLI sent no context ({}): {}",
                c.name, run.status, run.stderr
            ));
            continue;
        };
        let sent = tar_paths(&body);
        let entries = list(&ctx);
        let mut ignore = match c.ignore {
            Some(text) => match DockerIgnore::parse(text, ".dockerignore") {
                Ok(ignore) => ignore,
                Err(e) => {
                    failures.push(format!(
                        "{}: plumb refuses what docker accepts: {e}",
                        c.name
                    ));
                    continue;
                }
            },
            None => DockerIgnore::default(),
        };
        ignore.keep_build_files(c.dockerfile);
        let keeps = ignore.keeps(&entries);
        let ours: BTreeSet<&str> = entries
            .iter()
            .zip(&keeps)
            .filter(|(_, keep)| **keep)
            .map(|(e, _)| e.path.as_str())
            .collect();
        let theirs: BTreeSet<&str> = sent.keys().map(String::as_str).collect();
        let mismatch = ours != theirs;
        if mismatch && c.legacy_differs && major < 23 {
            legacy_notes.push(c.name);
            continue;
        }
        if mismatch {
            failures.push(format!(
                "{}: docker sent but plumb drops {:?}; plumb keeps but docker drops {:?}",
                c.name,
                theirs.difference(&ours).collect::<Vec<_>>(),
                ours.difference(&theirs).collect::<Vec<_>>(),
            ));
            continue;
        }
        for entry in &entries {
            if let Some(kind) = sent.get(&entry.path) {
                if *kind != entry.kind {
                    failures.push(format!(
                        "{}: `{}` is {:?} in docker's tar, {:?} in the listing",
                        c.name, entry.path, kind, entry.kind
                    ));
                }
            }
        }
        eprintln!(
            "{}: {} of {} entries sent, same as docker",
            c.name,
            theirs.len(),
            entries.len()
        );
    }
    if !legacy_notes.is_empty() {
        eprintln!(
            "docker CLI {major}.x (< 23) selects differently, as expected, in: {}",
            legacy_notes.join(", ")
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from `{}` (requests seen: {:?}):\n{}",
        failures.len(),
        CASES.len(),
        cli.display(),
        daemon.requests().into_iter().collect::<BTreeSet<_>>(),
        failures.join("\n")
    );
}

#[test]
fn patterns_docker_refuses_are_refused() {
    let Some(cli) = docker_cli() else {
        support::skip(
            support::Service::Docker,
            "no docker CLI on PATH (apt-get install docker.io), cannot compare .dockerignore",
        );
        return;
    };
    let daemon = FakeDaemon::start();
    let mut failures = Vec::new();
    for bad in BAD {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = dir.path().join("ctx");
        write_tree(&ctx, TREE);
        fs::write(ctx.join(".dockerignore"), bad.ignore).expect("write .dockerignore");
        let run = run_build(&cli, &daemon, dir.path(), &ctx, "Dockerfile");
        if run.body.is_some() || run.status.success() || !run.stderr.contains(bad.cli_says) {
            failures.push(format!(
                "{}: expected the CLI to fail with `{}` before sending, got {} (sent: {}): {}",
                bad.name,
                bad.cli_says,
                run.status,
                run.body.is_some(),
                run.stderr
            ));
        }
        match DockerIgnore::parse(bad.ignore, "ctx/.dockerignore") {
            Ok(_) => failures.push(format!("{}: plumb accepts what docker refuses", bad.name)),
            Err(e) => {
                let text = e.to_string();
                let at = format!("ctx/.dockerignore:{}:", bad.line);
                if !text.starts_with(&at) {
                    failures.push(format!(
                        "{}: error does not start with `{at}`: {text}",
                        bad.name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The docker CLI to compare with: `PLUMB_TEST_DOCKER_CLI`, else `docker`
/// on `PATH`.
fn docker_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PLUMB_TEST_DOCKER_CLI") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("docker"))
        .find(|p| p.is_file())
}

/// The CLI's major version (`Docker version 28.2.2, build …`).
fn cli_major(cli: &Path) -> u32 {
    let out = Command::new(cli)
        .arg("--version")
        .output()
        .expect("run docker --version");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the docker CLI version from {text:?}"))
}

/// Writes the tree (see [`TREE`]) under `root`.
fn write_tree(root: &Path, tree: &[&str]) {
    for item in tree {
        if let Some((link, target)) = item.split_once(" -> ") {
            let path = root.join(link);
            fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::os::unix::fs::symlink(target, &path).expect("symlink");
        } else if let Some(dir) = item.strip_suffix('/') {
            fs::create_dir_all(root.join(dir)).expect("mkdir");
        } else {
            let (name, executable) = match item.strip_suffix('*') {
                Some(name) if name.ends_with(".sh") => (name, true),
                _ => (*item, false),
            };
            let path = root.join(name);
            fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            fs::write(&path, format!("{name}\n")).expect("write file");
            let mode = if executable { 0o755 } else { 0o644 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        }
    }
}

/// Every entry under `root` (not `root` itself), as plumb's listing has
/// them: files, symlinks (not followed) and directories.
fn list(root: &Path) -> Vec<ContextEntry> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<ContextEntry>) {
        let mut children: Vec<_> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("dir entry").path())
            .collect();
        children.sort();
        for path in children {
            let meta = fs::symlink_metadata(&path).expect("lstat");
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_str()
                .expect("UTF-8 path")
                .to_string();
            let kind = if meta.file_type().is_symlink() {
                EntryKind::Symlink
            } else if meta.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File {
                    executable: meta.permissions().mode() & 0o111 != 0,
                }
            };
            out.push(ContextEntry { path: rel, kind });
            if kind == EntryKind::Dir {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The entries of the context tar the CLI sent, by path (no trailing `/`).
fn tar_paths(body: &[u8]) -> BTreeMap<String, EntryKind> {
    let mut archive = tar::Archive::new(body);
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("context is a tar") {
        let entry = entry.expect("tar entry");
        let header = entry.header();
        let path = String::from_utf8(entry.path_bytes().into_owned()).expect("UTF-8 tar path");
        let kind = match header.entry_type() {
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Regular => EntryKind::File {
                executable: header.mode().expect("mode") & 0o111 != 0,
            },
            other => panic!("unexpected tar entry type {other:?} for {path}"),
        };
        out.insert(path.trim_end_matches('/').to_string(), kind);
    }
    out
}

/// What one `docker build` run did.
struct Run {
    status: std::process::ExitStatus,
    stderr: String,
    /// The context tar, when the CLI posted one.
    body: Option<Vec<u8>>,
}

/// Runs `docker build -f <ctx>/<dockerfile> <ctx>` against the fake daemon,
/// bounded by a minute.
fn run_build(cli: &Path, daemon: &FakeDaemon, scratch: &Path, ctx: &Path, dockerfile: &str) -> Run {
    daemon.take_body();
    let config = scratch.join("docker-config");
    fs::create_dir_all(&config).expect("mkdir docker config");
    let stdout_path = scratch.join("stdout");
    let stderr_path = scratch.join("stderr");
    let mut child = Command::new(cli)
        .arg("build")
        .arg("-f")
        .arg(ctx.join(dockerfile))
        .arg(ctx)
        .env("DOCKER_HOST", format!("unix://{}", daemon.socket.display()))
        .env("DOCKER_BUILDKIT", "0")
        .env("DOCKER_CONFIG", &config)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env_remove("DOCKER_API_VERSION")
        .current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("spawn docker build");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for docker build") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "docker build did not finish within 60 s: {}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
        body: daemon.take_body(),
    }
}

/// A Docker daemon just far enough for `docker build`: it answers `_ping`
/// (API 1.41, Linux), keeps the body of `POST /…/build` and answers it with
/// an error so the CLI stops. HTTP/1.1, one request per connection.
struct FakeDaemon {
    socket: PathBuf,
    _dir: tempfile::TempDir,
    state: Arc<Mutex<DaemonState>>,
}

#[derive(Default)]
struct DaemonState {
    body: Option<Vec<u8>>,
    requests: Vec<String>,
}

impl FakeDaemon {
    fn start() -> FakeDaemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("bind fake docker socket");
        let state = Arc::new(Mutex::new(DaemonState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &shared) {
                        eprintln!("fake docker daemon: {e}");
                    }
                });
            }
        });
        FakeDaemon {
            socket,
            _dir: dir,
            state,
        }
    }

    fn take_body(&self) -> Option<Vec<u8>> {
        self.state.lock().expect("daemon state").body.take()
    }

    fn requests(&self) -> Vec<String> {
        self.state.lock().expect("daemon state").requests.clone()
    }
}

/// Serves one HTTP/1.1 request on `stream`.
fn serve(stream: UnixStream, state: &Mutex<DaemonState>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let body = if chunked {
        read_chunked(&mut reader)?
    } else {
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        body
    };
    let path = target.split('?').next().unwrap_or_default();
    state
        .lock()
        .expect("daemon state")
        .requests
        .push(format!("{method} {path}"));
    let mut out = stream;
    if path == "/_ping" || path.ends_with("/_ping") {
        respond(
            &mut out,
            "200 OK",
            "text/plain; charset=utf-8",
            "OK",
            method == "HEAD",
        )
    } else if method == "POST" && path.ends_with("/build") {
        state.lock().expect("daemon state").body = Some(body);
        let msg = r#"{"message":"plumb test daemon: context captured, no build"}"#;
        respond(
            &mut out,
            "500 Internal Server Error",
            "application/json",
            msg,
            false,
        )
    } else {
        let msg = r#"{"message":"plumb test daemon: not implemented"}"#;
        respond(&mut out, "404 Not Found", "application/json", msg, false)
    }
}

/// Writes a response with the headers the CLI reads from every answer
/// (`API-Version`, `OSType`); `head` leaves the body out.
fn respond(
    out: &mut UnixStream,
    status: &str,
    content_type: &str,
    body: &str,
    head: bool,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nAPI-Version: 1.41\r\nOSType: linux\r\n\
         Docker-Experimental: false\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        if head { "" } else { body }
    )?;
    out.flush()
}

/// A chunked request body (RFC 9112 §7.1), trailers skipped.
fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line)? == 0 {
            return Err(bad("body ended inside a chunk size"));
        }
        let size = size_line.trim_end().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF"));
        }
    }
}
