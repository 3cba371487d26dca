//! Watching an app's managed objects for drift: one kube-runtime watcher per
//! kind the app uses, label-selected (`plumb.dev/app=<app>`), reporting
//! every change and deletion to the app's task. Deciding whether a change is
//! drift, and correcting it, happen in that task (one writer per app).

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::debug;

use super::inventory::{ObjRef, APP_LABEL};

/// A change seen on a managed object.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Which object.
    pub object: ObjRef,
    /// Its live state; `None` when it was deleted.
    pub live: Option<Value>,
}

/// The running watchers of one app; dropping it stops them.
pub struct DriftWatch {
    tasks: JoinSet<()>,
    kinds: Vec<(String, String)>,
}

impl DriftWatch {
    /// The (apiVersion, kind) pairs being watched.
    pub fn kinds(&self) -> &[(String, String)] {
        &self.kinds
    }
}

impl Drop for DriftWatch {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Starts a watcher per resource, sending every applied or deleted object
/// labelled for `app` on `tx`.
pub fn start(
    client: &kube::Client,
    app: &str,
    resources: Vec<ApiResource>,
    tx: mpsc::Sender<Seen>,
) -> DriftWatch {
    let mut tasks = JoinSet::new();
    let mut kinds = Vec::new();
    for resource in resources {
        kinds.push((resource.api_version.clone(), resource.kind.clone()));
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let config = watcher::Config::default().labels(&format!("{APP_LABEL}={app}"));
        let tx = tx.clone();
        tasks.spawn(async move {
            let mut stream = watcher(api, config).default_backoff().boxed();
            while let Some(event) = stream.next().await {
                let (object, deleted) = match event {
                    Ok(watcher::Event::Apply(o)) | Ok(watcher::Event::InitApply(o)) => (o, false),
                    Ok(watcher::Event::Delete(o)) => (o, true),
                    Ok(_) => continue,
                    Err(e) => {
                        debug!(kind = %resource.kind, error = %e, "drift watch interrupted; retrying");
                        continue;
                    }
                };
                let live = serde_json::to_value(&object).unwrap_or(Value::Null);
                let seen = Seen {
                    object: ObjRef::of(&live, object.metadata.namespace.as_deref().unwrap_or("")),
                    live: (!deleted).then_some(live),
                };
                if tx.send(seen).await.is_err() {
                    return;
                }
            }
        });
    }
    DriftWatch { tasks, kinds }
}
