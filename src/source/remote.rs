//! Remote repositories: a private bare mirror under the state dir, fetched
//! one branch at a time, with credentials that never reach a log.
//!
//! A fetch that brings nothing new costs one ref negotiation and no tree
//! reads; the follower only reads trees when the tip moved.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::{
    CertificateCheckStatus, Cred, CredentialType, FetchOptions, Oid, RemoteCallbacks, Repository,
};

use crate::config::SourceConfig;

/// Errors from fetching a remote. Messages name the URL without credentials.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The mirror directory could not be created or opened.
    #[error("mirror of {url} at {path}")]
    Mirror {
        url: String,
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    /// The remote has no such branch (deleted, or mistyped).
    #[error("{url}: branch `{branch}` not found on the remote (hint: it may have been deleted; plumb keeps the last good revision; check source.branch)")]
    BranchNotFound { url: String, branch: String },
    /// Authentication was refused or no usable credential was configured.
    #[error("{url}: authentication failed (hint: {hint})")]
    Auth {
        url: String,
        hint: &'static str,
        #[source]
        source: git2::Error,
    },
    /// The host key is not in known_hosts or does not match.
    #[error("{url}: host key of {host} is not trusted (hint: add it to {known_hosts} with `ssh-keyscan {host}`)")]
    HostKey {
        url: String,
        host: String,
        known_hosts: String,
    },
    /// The fetch took longer than its deadline.
    #[error("{url}: fetch timed out after {secs}s (hint: is the git server reachable from here?)")]
    Timeout { url: String, secs: u64 },
    /// Anything else: unreachable host, protocol error, corrupt pack.
    #[error("{url}: fetch failed (hint: is the remote reachable? `git ls-remote {url}` tells)")]
    Git {
        url: String,
        #[source]
        source: git2::Error,
    },
    /// A credential file named in the config could not be read.
    #[error("cannot read {field} {path}")]
    CredentialFile {
        field: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Mirror { .. } => "mirror",
            FetchError::BranchNotFound { .. } => "branch_not_found",
            FetchError::Auth { .. } | FetchError::CredentialFile { .. } => "auth",
            FetchError::HostKey { .. } => "host_key",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Git { .. } => "git",
        }
    }
}

/// What one fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The branch followed (resolved from the remote's HEAD when configured as `HEAD`).
    pub branch: String,
    /// The tip after the fetch.
    pub tip: Oid,
    /// The tip before it, if the mirror had one.
    pub previous: Option<Oid>,
    /// The new tip does not descend from the previous one (a force-push).
    pub forced: bool,
}

/// The credentials a fetch may use, read from the files the config names.
#[derive(Clone, Default)]
pub struct Credentials {
    ssh_key: Option<PathBuf>,
    known_hosts: Option<PathBuf>,
    token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never printed, not even in debug output.
        f.debug_struct("Credentials")
            .field("ssh_key", &self.ssh_key)
            .field("known_hosts", &self.known_hosts)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Credentials {
    /// Reads the token file (if any) once; keys stay paths for libgit2.
    ///
    /// # Errors
    /// [`FetchError::CredentialFile`] when the token file cannot be read.
    pub fn from_config(config: &SourceConfig) -> Result<Credentials, FetchError> {
        let token = match &config.token_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|source| FetchError::CredentialFile {
                        field: "source.token_file",
                        path: path.clone(),
                        source,
                    })?
                    .trim()
                    .to_string(),
            ),
            None => None,
        };
        Ok(Credentials {
            ssh_key: config.ssh_key_file.clone(),
            known_hosts: config.known_hosts_file.clone(),
            token,
        })
    }
}

/// Removes `user:password@` from a URL so it can be shown.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) if !host.contains('/') || userinfo.find('/').is_none() => {
                let user = userinfo.split(':').next().unwrap_or("");
                if userinfo.contains(':') {
                    format!("{scheme}://{user}:***@{host}")
                } else {
                    url.to_string()
                }
            }
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A private bare mirror of one remote.
pub struct Mirror {
    repo: Repository,
    url: String,
    shown_url: String,
}

/// The mirror directory for a URL: stable, one per URL, safe as a file name.
pub fn mirror_dir(state_dir: &Path, url: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    let tail: String = url
        .rsplit('/')
        .next()
        .unwrap_or("repo")
        .trim_end_matches(".git")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    state_dir
        .join("mirrors")
        .join(format!("{tail}-{}.git", &digest[..16]))
}

impl Mirror {
    /// Opens the mirror of `url`, creating it on first use.
    ///
    /// # Errors
    /// [`FetchError::Mirror`] when the directory cannot be created or is not a repo.
    pub fn open(state_dir: &Path, url: &str) -> Result<Mirror, FetchError> {
        let path = mirror_dir(state_dir, url);
        let shown_url = redact_url(url);
        let mirror_error = |source| FetchError::Mirror {
            url: shown_url.clone(),
            path: path.clone(),
            source,
        };
        let repo = match Repository::open_bare(&path) {
            Ok(repo) => repo,
            Err(_) => {
                std::fs::create_dir_all(&path)
                    .map_err(|e| mirror_error(git2::Error::from_str(&e.to_string())))?;
                Repository::init_bare(&path).map_err(mirror_error)?
            }
        };
        // The remote's URL is set on every open so a changed config takes effect.
        match repo.find_remote("origin") {
            Ok(remote) if remote.url().ok() == Some(url) => {}
            Ok(_) => repo.remote_set_url("origin", url).map_err(mirror_error)?,
            Err(_) => {
                repo.remote_with_fetch("origin", url, "+refs/heads/*:refs/remotes/origin/*")
                    .map_err(mirror_error)?;
            }
        }
        Ok(Mirror {
            repo,
            url: url.to_string(),
            shown_url,
        })
    }

    /// The mirror's git directory (read by [`super::Source::open_mirror`]).
    pub fn path(&self) -> &Path {
        self.repo.path()
    }

    /// The URL without credentials.
    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    /// Fetches `branch` (or the remote's default branch for `HEAD`) into
    /// `refs/remotes/origin/BRANCH`, giving up at `timeout`.
    ///
    /// # Errors
    /// [`FetchError`] by cause: branch gone, auth, host key, timeout, other.
    pub fn fetch(
        &self,
        branch: &str,
        credentials: &Credentials,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        let deadline = Instant::now() + timeout;
        let mut remote = self
            .repo
            .find_remote("origin")
            .map_err(|source| self.git_error(source))?;

        let branch = if branch == "HEAD" {
            let connection = remote
                .connect_auth(
                    git2::Direction::Fetch,
                    Some(self.callbacks(credentials, deadline)),
                    None,
                )
                .map_err(|e| self.classify(e, deadline, timeout))?;
            let head = connection
                .default_branch()
                .map_err(|source| self.git_error(source))?;
            let head = head.as_str().unwrap_or("refs/heads/main").to_string();
            drop(connection);
            head.trim_start_matches("refs/heads/").to_string()
        } else {
            branch.to_string()
        };
        let local_ref = format!("refs/remotes/origin/{branch}");
        let previous = self.repo.refname_to_id(&local_ref).ok();

        let mut options = FetchOptions::new();
        options
            .remote_callbacks(self.callbacks(credentials, deadline))
            .download_tags(git2::AutotagOption::None)
            .prune(git2::FetchPrune::Off);
        let refspec = format!("+refs/heads/{branch}:{local_ref}");
        remote
            .fetch(&[refspec.as_str()], Some(&mut options), None)
            .map_err(|e| {
                if e.message().contains("couldn't find remote ref") {
                    FetchError::BranchNotFound {
                        url: self.shown_url.clone(),
                        branch: branch.clone(),
                    }
                } else {
                    self.classify(e, deadline, timeout)
                }
            })?;
        // libgit2 fetches nothing, silently, for a refspec whose source is
        // gone; the advertised refs tell a deleted branch from an unchanged one.
        let advertised = remote
            .list()
            .map(|heads| {
                heads
                    .iter()
                    .any(|h| h.name() == format!("refs/heads/{branch}"))
            })
            .unwrap_or(true);
        if !advertised {
            return Err(FetchError::BranchNotFound {
                url: self.shown_url.clone(),
                branch,
            });
        }
        let tip = self
            .repo
            .refname_to_id(&local_ref)
            .map_err(|_| FetchError::BranchNotFound {
                url: self.shown_url.clone(),
                branch: branch.clone(),
            })?;
        let forced = match previous {
            Some(old) if old != tip => !self.repo.graph_descendant_of(tip, old).unwrap_or(false),
            _ => false,
        };
        Ok(Fetched {
            branch,
            tip,
            previous,
            forced,
        })
    }

    fn git_error(&self, source: git2::Error) -> FetchError {
        FetchError::Git {
            url: self.shown_url.clone(),
            source,
        }
    }

    fn classify(&self, e: git2::Error, deadline: Instant, timeout: Duration) -> FetchError {
        if Instant::now() >= deadline
            || e.code() == git2::ErrorCode::User && e.message().contains("deadline")
        {
            return FetchError::Timeout {
                url: self.shown_url.clone(),
                secs: timeout.as_secs(),
            };
        }
        if e.class() == git2::ErrorClass::Ssh && e.message().contains("hostkey") {
            return FetchError::HostKey {
                url: self.shown_url.clone(),
                host: host_of(&self.url),
                known_hosts: "~/.ssh/known_hosts".into(),
            };
        }
        if e.code() == git2::ErrorCode::Certificate {
            return FetchError::HostKey {
                url: self.shown_url.clone(),
                host: host_of(&self.url),
                known_hosts: "source.known_hosts_file".into(),
            };
        }
        if e.code() == git2::ErrorCode::Auth
            || e.class() == git2::ErrorClass::Http && e.message().contains("401")
            || e.message().contains("authentication")
        {
            let hint = if self.url.starts_with("http") {
                "set source.token_file to a file holding an access token with read access"
            } else {
                "set source.ssh_key_file to a key the server accepts (and source.known_hosts_file)"
            };
            return FetchError::Auth {
                url: self.shown_url.clone(),
                hint,
                source: e,
            };
        }
        self.git_error(e)
    }

    fn callbacks<'a>(
        &self,
        credentials: &'a Credentials,
        deadline: Instant,
    ) -> RemoteCallbacks<'a> {
        let mut callbacks = RemoteCallbacks::new();
        let mut tries = 0;
        callbacks.credentials(move |_url, username, allowed| {
            // libgit2 asks again after a refused credential; stop after a few
            // so a wrong key fails fast instead of looping.
            tries += 1;
            if tries > 3 {
                return Err(git2::Error::from_str(
                    "authentication failed: credentials refused",
                ));
            }
            let user = username.unwrap_or("git");
            if allowed.contains(CredentialType::SSH_KEY) {
                if let Some(key) = &credentials.ssh_key {
                    return Cred::ssh_key(user, None, key, None);
                }
                return Cred::ssh_key_from_agent(user);
            }
            if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
                if let Some(token) = &credentials.token {
                    return Cred::userpass_plaintext(username.unwrap_or("plumb"), token);
                }
            }
            if allowed.contains(CredentialType::USERNAME) {
                return Cred::username(user);
            }
            Err(git2::Error::from_str(
                "authentication failed: no credential configured",
            ))
        });
        let known_hosts = credentials.known_hosts.clone();
        callbacks.certificate_check(move |cert, host| {
            let (Some(known_hosts), Some(hostkey)) = (&known_hosts, cert.as_hostkey()) else {
                return Ok(CertificateCheckStatus::CertificatePassthrough);
            };
            let key = hostkey.hostkey().unwrap_or_default();
            let text = std::fs::read_to_string(known_hosts).unwrap_or_default();
            if known_hosts_trusts(&text, host, key) {
                Ok(CertificateCheckStatus::CertificateOk)
            } else {
                Err(git2::Error::new(
                    git2::ErrorCode::Certificate,
                    git2::ErrorClass::Ssh,
                    format!("host key of {host} not in known_hosts"),
                ))
            }
        });
        callbacks.transfer_progress(move |_| Instant::now() < deadline);
        callbacks.sideband_progress(move |_| Instant::now() < deadline);
        callbacks
    }
}

/// The host part of a git URL, for messages.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    rest.split(['/', ':']).next().unwrap_or(rest).to_string()
}

/// Whether a known_hosts text lists `key` (raw SSH wire-format bytes) for
/// `host`. Plain host patterns (`host`, `[host]:port`, comma lists) only;
/// hashed entries are skipped.
pub fn known_hosts_trusts(text: &str, host: &str, key: &[u8]) -> bool {
    use base64::Engine;
    text.lines().any(|line| {
        let mut parts = line.split_whitespace();
        let (Some(hosts), Some(_kind), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        if hosts.starts_with('#') || hosts.starts_with('|') {
            return false;
        }
        let host_matches = hosts.split(',').any(|h| {
            h == host
                || h.strip_prefix('[')
                    .and_then(|h| h.split_once("]:"))
                    .is_some_and(|(name, _port)| name == host)
        });
        host_matches
            && base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_ok_and(|k| k == key)
    })
}

/// Sets libgit2's global connect and read timeouts once per process, so a
/// dead server fails a fetch in seconds instead of hanging a thread.
pub fn set_network_timeouts(connect: Duration, read: Duration) {
    let ms = |d: Duration| i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: these only set global integers in libgit2; called before fetches start.
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(ms(connect));
        let _ = git2::opts::set_server_timeout_in_milliseconds(ms(read));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("https://user:hunter2@git.example.com/a.git"),
            "https://user:***@git.example.com/a.git"
        );
        assert_eq!(
            redact_url("https://git.example.com/a.git"),
            "https://git.example.com/a.git"
        );
        assert_eq!(redact_url("ssh://git@host/a.git"), "ssh://git@host/a.git");
    }

    #[test]
    fn mirror_dirs_are_stable_and_distinct() {
        let a = mirror_dir(Path::new("/s"), "https://h/team/app.git");
        assert_eq!(a, mirror_dir(Path::new("/s"), "https://h/team/app.git"));
        assert_ne!(a, mirror_dir(Path::new("/s"), "https://h/other/app.git"));
        assert!(a.starts_with("/s/mirrors"));
        assert!(a.file_name().unwrap().to_str().unwrap().starts_with("app-"));
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(host_of("ssh://git@example.com:2222/a.git"), "example.com");
        assert_eq!(host_of("git@example.com:team/a.git"), "example.com");
        assert_eq!(host_of("https://example.com/a.git"), "example.com");
    }

    #[test]
    fn known_hosts_matching() {
        use base64::Engine;
        let key = b"\x00\x00\x00\x0bssh-ed25519keybytes";
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        let text = format!("# comment\nother.example ssh-ed25519 AAAA\ngit.example,10.0.0.1 ssh-ed25519 {b64}\n[127.0.0.1]:2222 ssh-ed25519 {b64}\n");
        assert!(known_hosts_trusts(&text, "git.example", key));
        assert!(known_hosts_trusts(&text, "10.0.0.1", key));
        assert!(known_hosts_trusts(&text, "127.0.0.1", key));
        assert!(!known_hosts_trusts(&text, "other.example", key));
        assert!(!known_hosts_trusts(&text, "git.example", b"different"));
    }

    #[test]
    fn credentials_never_print_the_token() {
        let creds = Credentials {
            token: Some("ghp_secret".into()),
            ..Credentials::default()
        };
        assert!(!format!("{creds:?}").contains("ghp_secret"));
    }
}
