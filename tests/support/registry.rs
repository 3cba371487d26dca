//! Debian's `docker-registry`, started by a test on a free loopback port:
//! a real registry for push tests (no public one is reachable).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `docker-registry` package puts the binary.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A `docker-registry` serving plain HTTP on a free loopback port (which
/// dockerd treats as insecure, so no TLS), killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// (user, password) when it requires basic auth.
    auth: Option<(String, String)>,
}

impl Registry {
    /// Starts one, optionally with htpasswd auth for `user:password`;
    /// `None` after a loud skip when the package is missing.
    pub fn start(auth: Option<(&str, &str)>) -> Option<Registry> {
        if !Path::new(REGISTRY_BIN).is_file() {
            super::skip(
                super::Service::Docker,
                &format!("no docker-registry ({REGISTRY_BIN}; apt-get install docker-registry): push tests"),
            );
            return None;
        }
        let mut dir = tempfile::tempdir().expect("tempdir");
        let mut auth_yaml = String::new();
        if let Some((user, password)) = auth {
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
            auth_yaml = format!(
                "auth:\n  htpasswd:\n    realm: plumb-test\n    path: {}\n",
                htpasswd.display()
            );
        }
        // The port is free when picked but may be taken before the
        // registry binds it: try a few.
        for _ in 0..5 {
            let port = super::free_port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n\
                     http:\n  addr: 127.0.0.1:{port}\n  secret: plumb-test\n{auth_yaml}",
                    dir.path().join("data").display()
                ),
            )
            .expect("write registry config");
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
            let child = Command::new(REGISTRY_BIN)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .expect("docker-registry starts");
            let mut registry = Registry {
                child,
                port,
                dir,
                auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
            };
            if registry.wait_ready() {
                return Some(registry);
            }
            let _ = registry.child.kill();
            let _ = registry.child.wait();
            dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().expect("tempdir"));
        }
        panic!("docker-registry did not start on any of 5 ports");
    }

    /// Waits until `/v2/` answers (200, or 401 with auth); false when the
    /// registry exited (its port was taken).
    pub fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = format!("http://127.0.0.1:{}/v2/", self.port);
        loop {
            if self.child.try_wait().expect("try_wait").is_some() {
                return false;
            }
            let (code, _) = super::http_get(&url);
            if code == 200 || code == 401 {
                return true;
            }
            if Instant::now() > deadline {
                panic!("docker-registry did not answer: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The registry's own digest of `repo:tag`'s manifest
    /// (`Docker-Content-Digest` of `GET /v2/<repo>/manifests/<tag>`).
    pub fn manifest_digest(&self, repo: &str, tag: &str) -> String {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let mut request = client
            .get(format!("http://{}/v2/{repo}/manifests/{tag}", self.host()))
            .header(
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
            );
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().expect("GET manifest");
        assert_eq!(response.status().as_u16(), 200, "{}", self.log());
        response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok())
            .expect("Docker-Content-Digest header")
            .to_string()
    }

    /// A docker config.json in the registry's dir holding `json`.
    pub fn docker_config(&self, json: &str) -> PathBuf {
        let path = self.dir.path().join("config.json");
        std::fs::write(&path, json).expect("write config.json");
        path
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
