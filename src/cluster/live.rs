//! Live health of every managed object, kept current by the drift watches
//! between reconciles, so `/status`, `plumb status` and the health gauges
//! show a Deployment that became Degraded or recovered within seconds, not
//! at the next reconcile.
//!
//! One writer per app (its watch tasks, and its reconcile setting the
//! managed set); many cheap readers (the status endpoint, the metrics
//! collector at scrape time). Only health verdicts are kept, never whole
//! objects, so the memory cost is a few hundred bytes per object.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::health::{self, Health, HealthStatus};
use crate::object::{ObjKey, ObjRef};

/// One app's health for the collector: its name, worst status, objects.
pub type AppHealth = (String, HealthStatus, Vec<(ObjRef, Health)>);

/// Shared, cheap to clone.
#[derive(Clone, Default)]
pub struct LiveHealth {
    apps: Arc<RwLock<BTreeMap<String, AppObjects>>>,
}

/// One app's managed objects in apply order, with their current health.
#[derive(Debug, Clone, Default)]
struct AppObjects {
    order: Vec<ObjKey>,
    objects: BTreeMap<ObjKey, (ObjRef, Health)>,
}

impl LiveHealth {
    /// An empty board.
    pub fn new() -> LiveHealth {
        LiveHealth::default()
    }

    /// After a reconcile: the app manages exactly `objects` (in apply
    /// order), with the health the reconcile saw. Health already observed
    /// by the watch for an object that stays is kept if the reconcile did
    /// not see the object.
    pub fn set_managed(&self, app: &str, objects: Vec<(ObjRef, Health)>) {
        let Ok(mut apps) = self.apps.write() else {
            return;
        };
        let entry = apps.entry(app.to_string()).or_default();
        entry.order = objects.iter().map(|(o, _)| o.key()).collect();
        entry.objects = objects
            .into_iter()
            .map(|(o, h)| (o.key(), (o, h)))
            .collect();
    }

    /// The watch saw `object` of `app` change (`None`: deleted). Objects
    /// the app does not manage are ignored.
    pub fn observe(&self, app: &str, object: &ObjRef, live: Option<&serde_json::Value>) {
        let Ok(mut apps) = self.apps.write() else {
            return;
        };
        let Some(entry) = apps.get_mut(app) else {
            return;
        };
        if let Some((_, health)) = entry.objects.get_mut(&object.key()) {
            *health = match live {
                Some(live) => health::health(&object.kind, live),
                None => Health::missing(),
            };
        }
    }

    /// The app's objects with their current health, in apply order; `None`
    /// before its first reconcile.
    pub fn app(&self, app: &str) -> Option<Vec<(ObjRef, Health)>> {
        let apps = self.apps.read().ok()?;
        let entry = apps.get(app)?;
        Some(
            entry
                .order
                .iter()
                .filter_map(|k| entry.objects.get(k).cloned())
                .collect(),
        )
    }

    /// Every app's worst status and objects, for the metrics collector.
    pub fn all(&self) -> Vec<AppHealth> {
        let Ok(apps) = self.apps.read() else {
            return Vec::new();
        };
        apps.iter()
            .map(|(name, entry)| {
                let objects: Vec<(ObjRef, Health)> = entry
                    .order
                    .iter()
                    .filter_map(|k| entry.objects.get(k).cloned())
                    .collect();
                let worst = health::worst(objects.iter().map(|(_, h)| h));
                (name.clone(), worst, objects)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_watch_moves_health_between_reconciles() {
        let board = LiveHealth::new();
        let api = ObjRef::new("apps/v1", "Deployment", "p", "api");
        assert!(board.app("p").is_none());
        board.set_managed("p", vec![(api.clone(), Health::missing())]);
        let rolled_out = json!({"metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}});
        board.observe("p", &api, Some(&rolled_out));
        assert_eq!(board.app("p").unwrap()[0].1.status, HealthStatus::Healthy);
        board.observe("p", &api, None);
        assert_eq!(board.app("p").unwrap()[0].1.status, HealthStatus::Unknown);
        let stranger = ObjRef::new("v1", "ConfigMap", "p", "other");
        board.observe("p", &stranger, None);
        assert_eq!(
            board.app("p").unwrap().len(),
            1,
            "unmanaged objects are ignored"
        );
        let all = board.all();
        assert_eq!(all[0].0, "p");
        assert_eq!(all[0].1, HealthStatus::Unknown);
    }
}
