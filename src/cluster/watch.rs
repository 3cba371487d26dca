//! Watching an app's managed objects: one kube-runtime watcher per kind the
//! app uses, label-selected (`plumb.dev/app=<app>`). Every change and
//! deletion updates the app's live health at once and is reported to the
//! app's task, which decides whether it is drift and corrects it (one
//! writer per app).

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::debug;

pub use super::drift::{DriftInput, Seen};
use super::live::LiveHealth;
use crate::object::{ObjRef, APP_LABEL};

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

/// Starts a watcher per resource: every applied or deleted object labelled
/// for `app` updates `health` and is sent on `tx`.
pub fn start(
    client: &kube::Client,
    app: &str,
    resources: Vec<ApiResource>,
    health: LiveHealth,
    tx: mpsc::Sender<DriftInput>,
) -> DriftWatch {
    let mut tasks = JoinSet::new();
    let mut kinds = Vec::new();
    for resource in resources {
        kinds.push((resource.api_version.clone(), resource.kind.clone()));
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let config = watcher::Config::default().labels(&format!("{APP_LABEL}={app}"));
        let tx = tx.clone();
        let (health, app) = (health.clone(), app.to_string());
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
                let Ok(live) = serde_json::to_value(&object) else {
                    continue;
                };
                let object_ref =
                    ObjRef::of(&live, object.metadata.namespace.as_deref().unwrap_or(""));
                let live: Option<Value> = (!deleted).then_some(live);
                health.observe(&app, &object_ref, live.as_ref());
                let seen = Seen {
                    object: object_ref,
                    live,
                    resource_version: object.metadata.resource_version.clone(),
                };
                if tx.send(DriftInput::Seen(seen)).await.is_err() {
                    return;
                }
            }
        });
    }
    DriftWatch { tasks, kinds }
}
