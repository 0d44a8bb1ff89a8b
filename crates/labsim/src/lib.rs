//! labsim: a simulated 3-node minikube that speaks the real Kubernetes API on loopback and runs a
//! real `mariadbd` for every MySQL pod.
//!
//! Crate map, in layers: a module uses only modules of earlier layers (the test in
//! `layers.rs` checks it; `docs/labsim-internals.md` says what each file holds).
//!
//! 1. Foundations, no labsim imports: [`resources`] (the kinds served, as data: one row per kind
//!    drives discovery, routing, storage, server-side table columns and defaulting),
//!    [`shutdown`] (the signal every task watches), [`files`] (owner-only files).
//! 2. [`api_error`]: `ApiError`, the Kubernetes `Status` every layer returns.
//! 3. [`store`]: objects as JSON, resourceVersions, watch fan-out, write-through persistence.
//! 4. [`objects`]: rules any writer follows: field accessors, API defaulting (the entry point
//!    over each kind's `defaults`), the event recorder, the nodes' machines (disks, power).
//! 5. [`network`]: the pod network made without root: labsim's own network namespace (bridge,
//!    gateways, ClusterIP range), a namespace per pod, the cluster DNS at 10.96.0.10 and the
//!    ClusterIP proxy, with dialers into them.
//! 6. The actors, each on the store alone: [`controllers`] (StatefulSet, provisioner, scheduler,
//!    garbage collector, bootstrap) and [`kubelet`] (every container a real process in a bubblewrap
//!    sandbox on its node's disk: `mariadbd`, probes, exec, pod status).
//! 7. [`api`]: Kubernetes paths: CRUD, watch, discovery, OpenAPI, Tables, patch, exec,
//!    port-forward; the handlers' shared state [`api::App`].
//! 8. [`server`], [`tls`], [`kubeconfig`]: HTTPS on loopback with a bearer token.
//! 9. [`cluster`]: wires it all together; `main.rs` and `daemon.rs` are the CLI over it.

// `ApiError` is large (a Status body), but it is the cold path; boxing it everywhere adds noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod api_error;
pub mod cluster;
pub mod controllers;
pub mod files;
pub mod kubeconfig;
pub mod kubelet;
pub mod network;
pub mod objects;
pub mod resources;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod tls;

#[cfg(test)]
mod layers;
