//! Everything that talks to the Kubernetes API, and the pure decisions
//! around it: the client ([`client`], [`apply`]), what to do ([`plan`],
//! [`order`], [`inventory`], [`health`], [`drift`], [`diff`]) and doing it
//! ([`engine`] with [`hooks`] and [`wait`]; [`watch`] for live state).

pub mod apply;
pub mod client;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod health;
pub mod hooks;
pub mod inventory;
pub mod live;
pub mod order;
pub mod plan;
pub mod wait;
pub mod watch;
