//! kubelab-core: the lab engine, one call per step of the StatefulSet/MySQL lab.
//!
//! The course's kernel (`kubelab-kernel`) runs this crate once per kernel and serves its async
//! [`Lab`] to notebook cells; every printed line goes through [`out`] to the cell that asked.
//! The free functions (see [`prelude`]) are a sync facade over the same `Lab` on kubelab's own
//! tokio runtime, for tests, examples and plain programs. Every call prints the kubectl command it
//! stands for; results render as tables (HTML for Jupyter, text elsewhere).
//!
//! Crate map: layers from the bottom up; a module uses only modules of the layers below it and,
//! within its layer, those before it (`→`). `scripts/module-layers.py crates/kubelab-core/src`
//! prints the layers it finds from the code and fails on a cycle.
//! 1. Foundations, no cluster: [`error`] (every failure's Korean message, one file per area),
//!    [`out`] (where printed lines go), [`table`] (the table model, text and HTML),
//!    [`change`] (the lines a change prints), [`memory`] (what this process applied and deleted),
//!    [`pod`] (what the waits read from a Pod).
//! 2. The cluster: [`context`] (which kube context; the lab-cluster guard) → [`lab`] (the
//!    connected client, how its calls fail) → [`objects`] (typed reads and deletes the steps
//!    share), [`server_table`] (the API server's `as=Table` printing), [`runtime`] (kubelab's
//!    tokio runtime and the process's one `Lab`), [`portforward`].
//! 3. The steps, one `impl Lab` per file named for it: [`get`], [`placement`](mod@placement), [`cluster`](mod@cluster)
//!    (start, info, allowed contexts), [`apply`](mod@apply), [`delete`] → [`fresh`], [`scale`](mod@scale), [`exec`](mod@exec),
//!    [`sql`], [`diagnose`] → [`wait`] → [`watch`]; built on them (`facts.rs`: what the pods and
//!    claims say): [`check`](mod@check) (the learner's ✅/❌ checks) and [`picture`] (topology, timeline);
//!    for notebooks 03 and 04: [`describe`] (`kubectl describe` of a pod, PVC or StatefulSet),
//!    `delete_object.rs` (`delete KIND NAME`, `wait --for=delete`), [`rollout`] (`rollout status`
//!    and the order pods were replaced).
//! 4. [`facade`]: the steps as sync free functions. This file only maps and re-exports.

pub mod apply;
pub mod change;
pub mod check;
pub mod cluster;
pub mod context;
pub mod delete;
mod delete_object;
pub mod describe;
pub mod diagnose;
pub mod error;
pub mod exec;
pub mod facade;
mod facts;
pub mod fresh;
pub mod get;
pub mod lab;
pub mod memory;
pub mod objects;
pub mod out;
pub mod picture;
pub mod placement;
pub mod pod;
pub mod portforward;
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
pub use check::{check, CheckReport};
pub use cluster::{allow_context, ClusterInfo};
pub use context::ClusterKind;
pub use delete::CleanupReport;
pub use describe::Description;
pub use error::{Error, Result};
pub use exec::ExecOutput;
pub use facade::*;
pub use fresh::{FreshReport, Leftovers};
pub use lab::Lab;
pub use picture::timeline::timeline;
pub use picture::topology::topology;
pub use picture::Picture;
pub use rollout::RolloutReport;
pub use sql::{MySql, SqlOutput, StatementResult};
pub use table::Table;
pub use wait::PodReady;
pub use watch::WatchReport;

/// Everything a lab notebook needs: `use kubelab_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        allow_context, apply, check, cleanup, cluster, delete_data, delete_pod, delete_pods,
        delete_statefulset, events, exec, mysql, nodes, placement, pods, pods_wide, pvcs, pvs,
        scale, services, start_cluster, statefulsets, storage_classes, wait_ready, wait_ready_for,
        watch_pods, watch_pods_for,
    };
    pub use crate::{timeline, topology, CheckReport, Picture};
    pub use crate::{
        ApplyReport, ChangeReport, CleanupReport, ClusterInfo, DeleteReport, Error, ExecOutput,
        Lab, MySql, PodReady, SqlOutput, StatementResult, Table, WatchReport,
    };
    pub use std::time::Duration;
}

#[cfg(test)]
mod mock_tests;
