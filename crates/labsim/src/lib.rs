//! labsim: a simulated 3-node minikube that speaks the real Kubernetes API on loopback and runs a
//! real `mariadbd` for every MySQL pod.
//!
//! Crate map (read in this order):
//! - [`resources`]: the kinds served (one table drives discovery, routing and storage).
//! - [`status`]: Kubernetes `Status` errors shared by every layer.
//! - [`store`]: objects as JSON, resourceVersions, watch fan-out, write-through persistence.
//! - [`shutdown`]: the signal every task watches.
//! - [`app`]: what request handlers share.
//! - [`tls`], [`kubeconfig`], [`server`]: HTTPS on loopback with a bearer token.
//! - [`api`]: Kubernetes paths: CRUD, watch, discovery, OpenAPI, Tables, patch, exec, port-forward.
//! - [`controllers`]: StatefulSet, provisioner, scheduler, garbage collector, events, bootstrap.
//! - [`kubelet`]: real `mariadbd` processes, probes, restarts, pod status.
//! - [`cluster`]: wires it all together; `main.rs` is the CLI over it.

// `ApiError` is large (a Status body), but it is the cold path; boxing it everywhere adds noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod app;
pub mod cluster;
pub mod controllers;
pub mod kubeconfig;
pub mod kubelet;
pub mod resources;
pub mod server;
pub mod shutdown;
pub mod status;
pub mod store;
pub mod tls;
