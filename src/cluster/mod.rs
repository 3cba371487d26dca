//! Everything that talks to the Kubernetes API. Now: building a client from
//! the agent config and proving the API server answers. Apply, inventory,
//! prune, order, health and drift arrive with the cluster-engine issue.

pub mod apply;
pub mod client;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod health;
pub mod inventory;
pub mod order;
pub mod watch;
