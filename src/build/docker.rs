//! Where the Docker Engine is and how to talk to it.
//!
//! Endpoint resolution is pure ([`resolve_endpoint`]) so the precedence
//! (agent config, then `minikube docker-env` variables, then the local socket)
//! is unit-tested; [`connect`] and [`ping`] are the only I/O.

use std::path::{Path, PathBuf};

use bollard::{Docker, API_DEFAULT_VERSION};

/// How long one Docker API call may take before plumb calls the engine down.
const TIMEOUT_SECS: u64 = 10;

/// Errors from finding or reaching the Docker Engine.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The Minikube profile named in the config is not on this machine.
    #[error("minikube profile `{profile}`: cannot read {path} (hint: run `minikube start -p {profile}`, or `minikube profile list`)")]
    MinikubeProfile {
        profile: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Minikube profile file has no node IP.
    #[error(
        "minikube profile `{profile}`: {path} names no node IP (hint: `minikube ip -p {profile}`)"
    )]
    MinikubeIp { profile: String, path: PathBuf },
    /// `DOCKER_HOST` or `docker.endpoint` is not unix:// or tcp://.
    #[error("Docker endpoint `{0}` is neither unix:// nor tcp:// (hint: what `minikube docker-env` prints is fine)")]
    BadEndpoint(String),
    /// The client could not be built (a missing socket or certificate).
    #[error("cannot connect to the Docker Engine at {endpoint} (hint: {hint})")]
    Connect {
        endpoint: String,
        hint: &'static str,
        #[source]
        source: bollard::errors::Error,
    },
    /// The engine did not answer a ping.
    #[error("the Docker Engine at {endpoint} did not answer (hint: {hint})")]
    Unreachable {
        endpoint: String,
        hint: &'static str,
        #[source]
        source: bollard::errors::Error,
    },
}

/// A resolved Docker endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// A local socket path.
    Unix(PathBuf),
    /// A TCP endpoint, with TLS files when the engine requires them.
    Tcp {
        /// `host:port`.
        addr: String,
        /// The directory holding ca.pem, cert.pem and key.pem.
        tls: Option<PathBuf>,
    },
}

impl std::fmt::Display for DockerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DockerEndpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            DockerEndpoint::Tcp { addr, tls: Some(_) } => write!(f, "tcp://{addr} (TLS)"),
            DockerEndpoint::Tcp { addr, tls: None } => write!(f, "tcp://{addr}"),
        }
    }
}

/// What endpoint resolution looks at, gathered by the caller.
#[derive(Debug, Clone, Default)]
pub struct EndpointInputs {
    /// `docker.endpoint` from the agent config.
    pub endpoint: Option<String>,
    /// `docker.cert_path` from the agent config.
    pub cert_path: Option<PathBuf>,
    /// `docker.minikube` from the agent config.
    pub minikube: Option<String>,
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
    /// `DOCKER_TLS_VERIFY` (any non-empty value other than 0 means yes).
    pub docker_tls_verify: Option<String>,
    /// `DOCKER_CERT_PATH`.
    pub docker_cert_path: Option<String>,
    /// `MINIKUBE_HOME`, else `~/.minikube` is used.
    pub minikube_home: Option<PathBuf>,
}

impl EndpointInputs {
    /// Gathers the inputs from the agent config and the process environment.
    pub fn from_config(config: &crate::config::DockerConfig) -> EndpointInputs {
        let env = crate::config::process_env;
        EndpointInputs {
            endpoint: config.endpoint.clone(),
            cert_path: config.cert_path.clone(),
            minikube: config.minikube.clone(),
            docker_host: env("DOCKER_HOST"),
            docker_tls_verify: env("DOCKER_TLS_VERIFY"),
            docker_cert_path: env("DOCKER_CERT_PATH"),
            minikube_home: env("MINIKUBE_HOME")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".minikube"))),
        }
    }
}

/// Picks the endpoint: a Minikube profile, else `docker.endpoint`, else
/// `DOCKER_HOST` with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, else the local
/// socket. `read_profile` reads a Minikube profile's config.json.
///
/// # Errors
/// A Minikube profile that cannot be read or names no IP, or an endpoint of
/// an unknown scheme.
pub fn resolve_endpoint(
    inputs: &EndpointInputs,
    read_profile: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<DockerEndpoint, DockerError> {
    if let Some(profile) = &inputs.minikube {
        let home = inputs
            .minikube_home
            .clone()
            .unwrap_or_else(|| PathBuf::from(".minikube"));
        let path = home.join("profiles").join(profile).join("config.json");
        let text = read_profile(&path).map_err(|source| DockerError::MinikubeProfile {
            profile: profile.clone(),
            path: path.clone(),
            source,
        })?;
        let ip = minikube_node_ip(&text).ok_or_else(|| DockerError::MinikubeIp {
            profile: profile.clone(),
            path,
        })?;
        return Ok(DockerEndpoint::Tcp {
            addr: format!("{ip}:2376"),
            tls: Some(home.join("certs")),
        });
    }
    if let Some(endpoint) = &inputs.endpoint {
        return parse_endpoint(endpoint, inputs.cert_path.clone());
    }
    if let Some(host) = &inputs.docker_host {
        let verify = inputs
            .docker_tls_verify
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0");
        let tls = verify.then(|| {
            inputs
                .docker_cert_path
                .clone()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".docker"))
        });
        return parse_endpoint(host, tls);
    }
    Ok(DockerEndpoint::Unix(PathBuf::from("/var/run/docker.sock")))
}

fn parse_endpoint(text: &str, tls: Option<PathBuf>) -> Result<DockerEndpoint, DockerError> {
    if let Some(path) = text.strip_prefix("unix://") {
        Ok(DockerEndpoint::Unix(PathBuf::from(path)))
    } else if let Some(addr) = text.strip_prefix("tcp://") {
        Ok(DockerEndpoint::Tcp {
            addr: addr.trim_end_matches('/').to_string(),
            tls,
        })
    } else {
        Err(DockerError::BadEndpoint(text.to_string()))
    }
}

/// Reads the first node's IP from a Minikube profile's config.json.
fn minikube_node_ip(config_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(config_json).ok()?;
    value["Nodes"]
        .as_array()?
        .iter()
        .find_map(|n| n["IP"].as_str().filter(|ip| !ip.is_empty()))
        .map(str::to_string)
}

fn hint_for(endpoint: &DockerEndpoint) -> &'static str {
    match endpoint {
        DockerEndpoint::Unix(_) => "is dockerd running? with Minikube, run `eval $(minikube docker-env)` or set docker.minikube in the agent config",
        DockerEndpoint::Tcp { tls: None, .. } => "is Minikube running? try `minikube status`",
        DockerEndpoint::Tcp { tls: Some(_), .. } => "is Minikube running? try `minikube status`; a certificate error means the engine's certificates are not the ones in the cert directory (after `minikube delete`, `minikube docker-env` shows the new ones)",
    }
}

/// Builds a client for the endpoint. Does no I/O except checking that the
/// socket or certificate files exist.
///
/// # Errors
/// [`DockerError::Connect`] when the socket or certificates are missing.
pub fn connect(endpoint: &DockerEndpoint) -> Result<Docker, DockerError> {
    let result = match endpoint {
        DockerEndpoint::Unix(path) => {
            Docker::connect_with_unix(&path.to_string_lossy(), TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        DockerEndpoint::Tcp { addr, tls: None } => {
            Docker::connect_with_http(addr, TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        DockerEndpoint::Tcp {
            addr,
            tls: Some(dir),
        } => Docker::connect_with_ssl(
            addr,
            &dir.join("key.pem"),
            &dir.join("cert.pem"),
            &dir.join("ca.pem"),
            TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        ),
    };
    result.map_err(|source| DockerError::Connect {
        endpoint: endpoint.to_string(),
        hint: hint_for(endpoint),
        source,
    })
}

/// Finds, connects to and pings the engine the agent config names (what a
/// one-off command such as `plumb build` uses; the daemon probes instead).
///
/// # Errors
/// [`DockerError`] naming the endpoint, with a hint.
pub async fn connect_from_config(
    config: &crate::config::DockerConfig,
) -> Result<(Docker, DockerEndpoint), DockerError> {
    let inputs = EndpointInputs::from_config(config);
    let endpoint = resolve_endpoint(&inputs, &|p| std::fs::read_to_string(p))?;
    let docker = connect(&endpoint)?;
    ping(&docker, &endpoint).await?;
    Ok((docker, endpoint))
}

/// Asks the engine for its version; the cheapest call that proves it works.
///
/// # Errors
/// [`DockerError::Unreachable`] with a hint when it does not answer.
pub async fn ping(docker: &Docker, endpoint: &DockerEndpoint) -> Result<String, DockerError> {
    let unreachable = |source| DockerError::Unreachable {
        endpoint: endpoint.to_string(),
        hint: hint_for(endpoint),
        source,
    };
    docker.ping().await.map_err(unreachable)?;
    let version = docker.version().await.map_err(unreachable)?;
    Ok(version.version.unwrap_or_else(|| "unknown".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_file(_: &Path) -> std::io::Result<String> {
        Err(std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    #[test]
    fn defaults_to_the_local_socket() {
        let e = resolve_endpoint(&EndpointInputs::default(), &no_file).unwrap();
        assert_eq!(e, DockerEndpoint::Unix("/var/run/docker.sock".into()));
    }

    #[test]
    fn docker_env_as_minikube_prints_it() {
        let inputs = EndpointInputs {
            docker_host: Some("tcp://192.168.49.2:2376".into()),
            docker_tls_verify: Some("1".into()),
            docker_cert_path: Some("/home/u/.minikube/certs".into()),
            ..Default::default()
        };
        let e = resolve_endpoint(&inputs, &no_file).unwrap();
        assert_eq!(
            e,
            DockerEndpoint::Tcp {
                addr: "192.168.49.2:2376".into(),
                tls: Some("/home/u/.minikube/certs".into())
            }
        );
    }

    #[test]
    fn config_endpoint_beats_docker_host() {
        let inputs = EndpointInputs {
            endpoint: Some("unix:///run/plumb/docker.sock".into()),
            docker_host: Some("tcp://10.0.0.1:2375".into()),
            ..Default::default()
        };
        let e = resolve_endpoint(&inputs, &no_file).unwrap();
        assert_eq!(e, DockerEndpoint::Unix("/run/plumb/docker.sock".into()));
    }

    #[test]
    fn tls_verify_zero_means_plain_tcp() {
        let inputs = EndpointInputs {
            docker_host: Some("tcp://127.0.0.1:2375".into()),
            docker_tls_verify: Some("0".into()),
            ..Default::default()
        };
        let e = resolve_endpoint(&inputs, &no_file).unwrap();
        assert_eq!(
            e,
            DockerEndpoint::Tcp {
                addr: "127.0.0.1:2375".into(),
                tls: None
            }
        );
    }

    #[test]
    fn minikube_profile_gives_ip_and_certs() {
        let inputs = EndpointInputs {
            minikube: Some("dev".into()),
            minikube_home: Some("/home/u/.minikube".into()),
            ..Default::default()
        };
        let read = |p: &Path| {
            assert_eq!(p, Path::new("/home/u/.minikube/profiles/dev/config.json"));
            Ok(
                r#"{"Name":"dev","Nodes":[{"Name":"","IP":"192.168.49.2","Port":8443}]}"#
                    .to_string(),
            )
        };
        let e = resolve_endpoint(&inputs, &read).unwrap();
        assert_eq!(
            e,
            DockerEndpoint::Tcp {
                addr: "192.168.49.2:2376".into(),
                tls: Some("/home/u/.minikube/certs".into())
            }
        );
    }

    #[test]
    fn missing_minikube_profile_says_how_to_start_it() {
        let inputs = EndpointInputs {
            minikube: Some("dev".into()),
            ..Default::default()
        };
        let err = resolve_endpoint(&inputs, &no_file).unwrap_err();
        assert!(err.to_string().contains("minikube start -p dev"), "{err}");
    }

    #[test]
    fn profile_without_ip_is_an_error() {
        let inputs = EndpointInputs {
            minikube: Some("dev".into()),
            ..Default::default()
        };
        let read = |_: &Path| Ok(r#"{"Nodes":[{"IP":""}]}"#.to_string());
        assert!(matches!(
            resolve_endpoint(&inputs, &read),
            Err(DockerError::MinikubeIp { .. })
        ));
    }

    #[test]
    fn unknown_scheme_is_rejected() {
        let inputs = EndpointInputs {
            docker_host: Some("ssh://me@host".into()),
            ..Default::default()
        };
        assert!(matches!(
            resolve_endpoint(&inputs, &no_file),
            Err(DockerError::BadEndpoint(_))
        ));
    }
}
