//! kubelab-core: the lab engine, one call per step of the StatefulSet/MySQL lab.
//!
//! The course's kernel (`kubelab-kernel`) runs this crate once per kernel and serves its async
//! [`Lab`] to notebook cells; every printed line goes through [`out`] to the cell that asked.
//! Every call prints the kubectl command it stands for. A result is a [`Report`]: its data is
//! the `kubelab` crate's struct for it (the one definition cells read), plus the text and HTML
//! rendered here. Tests and examples drive `Lab` directly.
//!
//! Crate map: layers from the bottom up; a module uses only modules of the layers below it and,
//! within its layer, those before it (`→`). `scripts/module-layers.py crates/kubelab-core/src`
//! prints the layers it finds from the code and fails on a cycle.
//! 1. Foundations, no cluster: [`error`] (every failure's Korean message, one file per area),
//!    [`out`] (where printed lines go), [`deadline`] (every API call's time limit),
//!    [`report`] (a result: `kubelab` data + rendering),
//!    [`table`] (the table model, text and HTML),
//!    [`change`] (the lines a change prints), [`memory`] (what this process applied and deleted),
//!    [`pod`] (what the waits read from a Pod).
//! 2. The cluster: [`context`] (which kube context; the lab-cluster guard) → [`lab`] (the
//!    connected client, how its calls fail) → [`objects`] (typed reads and deletes the steps
//!    share), [`server_table`] (the API server's `as=Table` printing), [`runtime`] (the
//!    process's one `Lab`), [`portforward`].
//! 3. The steps, one `impl Lab` per file named for it: [`get`], [`placement`](mod@placement), [`cluster`](mod@cluster)
//!    (start, info, allowed contexts), [`apply`](mod@apply), [`delete`] → [`fresh`], [`scale`](mod@scale), [`exec`](mod@exec),
//!    [`sql`], [`diagnose`] → [`wait`] → [`watch`]; built on them (`facts.rs`: what the pods and
//!    claims say): [`check`](mod@check) (the learner's ✅/❌ checks) and [`picture`] (topology, timeline);
//!    for notebooks 03 and 04: [`describe`] (`kubectl describe` of a pod, PVC or StatefulSet),
//!    `delete_object.rs` (`delete KIND NAME`, `wait --for=delete`), [`rollout`] (`rollout status`
//!    and the order pods were replaced); [`kubectl`](mod@kubectl) (the real kubectl, guarded)
//!    and [`logs`](mod@logs) (`kubectl logs`); [`machine`] (`minikube node stop|start`,
//!    `minikube addons enable|disable`, or labsim's admin calls for them).
//!
//! This file only maps and re-exports.

pub mod apply;
pub mod change;
pub mod check;
pub mod cluster;
pub mod context;
pub mod deadline;
pub mod delete;
mod delete_object;
pub mod describe;
pub mod diagnose;
pub mod error;
pub mod exec;
mod facts;
pub mod fresh;
pub mod get;
pub mod kubectl;
pub mod lab;
pub mod logs;
pub mod machine;
pub mod memory;
pub mod objects;
pub mod out;
pub mod picture;
pub mod placement;
pub mod pod;
pub mod portforward;
pub mod report;
pub mod rollout;
pub mod runtime;
pub mod scale;
pub mod server_table;
pub mod sql;
pub mod table;
pub mod wait;
pub mod watch;

pub use apply::ApplyReport;
pub use change::{ChangeReport, DeleteReport};
pub use check::CheckReport;
pub use cluster::{allow_context, ClusterInfo};
pub use context::ClusterKind;
pub use delete::CleanupReport;
pub use describe::Description;
pub use error::{Error, Result};
pub use exec::ExecOutput;
pub use fresh::{FreshReport, Leftovers};
pub use kubectl::KubectlOutput;
pub use lab::Lab;
pub use logs::Logs;
pub use picture::Picture;
pub use report::Report;
pub use rollout::RolloutReport;
pub use sql::{MySql, SqlOutput, StatementResult};
pub use table::Table;
pub use wait::PodReady;
pub use watch::WatchReport;

#[cfg(test)]
mod mock_tests;
