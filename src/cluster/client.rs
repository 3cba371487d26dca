//! A Kubernetes client from the agent config: an explicit kubeconfig and
//! context, else `KUBECONFIG`/`~/.kube/config`, else in-cluster.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::config::ClusterConfig;

/// Errors from finding or reaching the API server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The kubeconfig named in the agent config cannot be read or parsed.
    #[error("kubeconfig {path}: cannot be read (hint: check cluster.kubeconfig in the agent config; `kubectl config view` shows what a valid one looks like)")]
    ReadKubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The kubeconfig has no such context, cluster or user, or bad certificates.
    #[error("kubeconfig {origin}: {context} is not usable (hint: `kubectl config get-contexts` lists what is there)")]
    BadKubeconfig {
        origin: String,
        context: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No kubeconfig at all: nothing says where a cluster is.
    #[error("no kubeconfig found (KUBECONFIG unset and ~/.kube/config missing) (hint: start a cluster with `minikube start`, or set cluster.kubeconfig in the agent config)")]
    NoKubeconfig {
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The in-cluster service account is not there.
    #[error("in-cluster config not available (hint: cluster.in_cluster is only for plumb running in a pod)")]
    InCluster {
        #[source]
        source: kube::config::InClusterError,
    },
    /// The client could not be built from a valid config (TLS setup).
    #[error("cannot build a client for {url}")]
    Build {
        url: String,
        #[source]
        source: kube::Error,
    },
    /// The API server did not answer.
    #[error("the Kubernetes API at {url} did not answer (hint: is Minikube running? try `minikube status`)")]
    Unreachable {
        url: String,
        #[source]
        source: kube::Error,
    },
}

/// Connection limits: a dead cluster is noticed in seconds, not minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads the kube config the agent config points at, without any network I/O.
///
/// # Errors
/// [`ClientError`] naming the kubeconfig and context with a hint.
pub async fn kube_config(cluster: &ClusterConfig) -> Result<kube::Config, ClientError> {
    let options = KubeConfigOptions {
        context: cluster.context.clone(),
        ..KubeConfigOptions::default()
    };
    let context = cluster
        .context
        .as_ref()
        .map(|c| format!("context `{c}`"))
        .unwrap_or_else(|| "the current context".to_string());
    let mut config = if cluster.in_cluster {
        kube::Config::incluster().map_err(|source| ClientError::InCluster { source })?
    } else if let Some(path) = &cluster.kubeconfig {
        let kubeconfig =
            Kubeconfig::read_from(path).map_err(|source| ClientError::ReadKubeconfig {
                path: path.clone(),
                source,
            })?;
        kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|source| ClientError::BadKubeconfig {
                origin: path.display().to_string(),
                context,
                source,
            })?
    } else {
        match Kubeconfig::read() {
            Ok(kubeconfig) => kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|source| ClientError::BadKubeconfig {
                    origin: std::env::var("KUBECONFIG")
                        .unwrap_or_else(|_| "~/.kube/config".to_string()),
                    context,
                    source,
                })?,
            Err(source) => return Err(ClientError::NoKubeconfig { source }),
        }
    };
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    Ok(config)
}

/// Builds a client from a kube config.
///
/// # Errors
/// [`ClientError::Build`] when TLS material in the config is unusable.
pub fn client(config: kube::Config) -> Result<kube::Client, ClientError> {
    let url = config.cluster_url.to_string();
    kube::Client::try_from(config).map_err(|source| ClientError::Build { url, source })
}

/// Asks the API server for its version: proves it answers and that the
/// credentials are accepted.
///
/// # Errors
/// [`ClientError::Unreachable`] with a hint.
pub async fn server_version(client: &kube::Client, url: &str) -> Result<String, ClientError> {
    let info = client
        .apiserver_version()
        .await
        .map_err(|source| ClientError::Unreachable {
            url: url.to_string(),
            source,
        })?;
    Ok(info.git_version)
}

/// A client that has answered: what [`connect`] returns.
pub struct Connected {
    /// The client, ready for use.
    pub client: kube::Client,
    /// The API server's URL, for messages.
    pub url: String,
    /// The version it reported.
    pub version: String,
}

/// Reads the kube config, builds a client and asks the server for its
/// version: the one way plumb reaches a cluster (daemon probe and one-off
/// commands alike).
///
/// # Errors
/// [`ClientError`] from any of the three steps.
pub async fn connect(cluster: &ClusterConfig) -> Result<Connected, ClientError> {
    let config = kube_config(cluster).await?;
    let url = config.cluster_url.to_string();
    let client = client(config)?;
    let version = server_version(&client, &url).await?;
    Ok(Connected {
        client,
        url,
        version,
    })
}
