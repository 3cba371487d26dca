//! Fetching over ssh with a key and a known_hosts file (issue 4), against a
//! real OpenSSH server started on loopback by the test: a good key, a key
//! the server refuses, and a host key that is not trusted.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{git, source_config, Daemon};

const WAIT: Duration = Duration::from_secs(30);

struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen failed");
}

/// An sshd on a loopback port that lets root in with `client_key` only.
fn sshd() -> Option<Sshd> {
    let sshd = Path::new("/usr/sbin/sshd");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !sshd.exists() || !root {
        support::skip(support::Service::Sshd, "no OpenSSH server to test against (scripts/test installs openssh-server and runs as root)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    keygen(&dir.path().join("host_key"));
    keygen(&dir.path().join("client_key"));
    keygen(&dir.path().join("stranger_key"));
    std::fs::copy(
        dir.path().join("client_key.pub"),
        dir.path().join("authorized_keys"),
    )
    .unwrap();
    let port = support::free_port();
    let config = dir.path().join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    // sshd insists on its privilege separation directory.
    std::fs::create_dir_all("/run/sshd").unwrap();
    let child = Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("sshd.log")).unwrap())
        .spawn()
        .expect("sshd starts");
    support::wait_until(WAIT, "sshd to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .map(|_| ())
    });
    Some(Sshd { child, port, dir })
}

impl Sshd {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A known_hosts file trusting this server's host key.
    fn known_hosts(&self) -> PathBuf {
        let key = std::fs::read_to_string(self.path("host_key.pub")).unwrap();
        let mut fields = key.split_whitespace();
        let (kind, b64) = (fields.next().unwrap(), fields.next().unwrap());
        let path = self.path("known_hosts");
        std::fs::write(&path, format!("[127.0.0.1]:{} {kind} {b64}\n", self.port)).unwrap();
        path
    }

    /// A known_hosts file trusting some other key for this server.
    fn wrong_known_hosts(&self) -> PathBuf {
        let key = std::fs::read_to_string(self.path("stranger_key.pub")).unwrap();
        let mut fields = key.split_whitespace();
        let (kind, b64) = (fields.next().unwrap(), fields.next().unwrap());
        let path = self.path("wrong_known_hosts");
        std::fs::write(&path, format!("[127.0.0.1]:{} {kind} {b64}\n", self.port)).unwrap();
        path
    }
}

fn follow_ssh(sshd: &Sshd, bare: &Path, key: &Path, known_hosts: &Path) -> Daemon {
    let url = format!("ssh://root@127.0.0.1:{}{}", sshd.port, bare.display());
    let (dir, config) = source_config(
        &url,
        "main",
        &format!(
            "  poll_interval: 1s\n  ssh_key_file: {}\n  known_hosts_file: {}\n",
            key.display(),
            known_hosts.display()
        ),
        "",
    );
    Daemon::start(&config, &[]).owning(dir)
}

fn source_error(daemon: &Daemon) -> String {
    let status = daemon.wait_source_error(WAIT, "the source error");
    assert!(status["source"]["revision"].is_null(), "{status}");
    status["source"]["error"].as_str().unwrap().to_string()
}

#[test]
fn fetches_over_ssh_with_a_key_and_known_hosts() {
    let Some(sshd) = sshd() else { return };
    let (work, _dir, bare) = support::bare_remote();
    let daemon = follow_ssh(&sshd, &bare, &sshd.path("client_key"), &sshd.known_hosts());
    daemon.wait_revision(&git(work.path(), &["rev-parse", "HEAD"]), "the ssh fetch");
    work.write("deploy/notes.txt", "over ssh\n");
    let pushed = work.commit("second");
    git(work.path(), &["push", "-q", bare.to_str().unwrap(), "main"]);
    daemon.wait_revision(&pushed, "the second ssh fetch");
}

#[test]
fn a_refused_key_is_an_auth_error_with_a_hint() {
    let Some(sshd) = sshd() else { return };
    let (_work, _dir, bare) = support::bare_remote();
    let daemon = follow_ssh(
        &sshd,
        &bare,
        &sshd.path("stranger_key"),
        &sshd.known_hosts(),
    );
    let error = source_error(&daemon);
    assert!(error.contains("authentication failed"), "{error}");
    assert!(error.contains("source.ssh_key_file"), "{error}");
    assert!(!error.contains("PRIVATE KEY"), "no key material: {error}");
}

#[test]
fn an_untrusted_host_key_is_refused() {
    let Some(sshd) = sshd() else { return };
    let (_work, _dir, bare) = support::bare_remote();
    let daemon = follow_ssh(
        &sshd,
        &bare,
        &sshd.path("client_key"),
        &sshd.wrong_known_hosts(),
    );
    let error = source_error(&daemon);
    assert!(error.contains("host key"), "{error}");
    assert!(error.contains("ssh-keyscan"), "{error}");
}
