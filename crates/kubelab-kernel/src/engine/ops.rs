//! One cell call → one kubelab-core step: the engine's dispatch, an exhaustive `match` on
//! [`Call`] (a step without an arm here does not compile). Each arm runs the step and hands back
//! its result as the cell will hold it: `kubelab`'s data plus the core's text and HTML.

use std::sync::Arc;

use kubelab::wire::Value;
use kubelab::{Call, Error, NoteData, SessionData, Shown};
use kubelab_core as core;
use kubelab_core::Report;

use super::Engine;

/// A result as it goes to the cell.
fn reply<R: Report>(r: &R) -> Value {
    r.shown().to_value()
}

/// A result with nothing to read; its text is what the step already printed.
fn note() -> Value {
    Shown::new(NoteData {}, String::new(), String::new()).to_value()
}

fn session(engine: &Engine, id: u64) -> Result<core::MySql, Error> {
    engine.session(id).ok_or_else(|| {
        Error::new(
            "SQL 세션 없음",
            "이 MySQL 세션은 커널이 다시 시작되어 사라졌습니다.\n→ let db = mysql(\"mysql-0\")?; 로 다시 여세요.",
        )
    })
}

/// Runs one call and returns its value.
pub async fn run(engine: Arc<Engine>, call: Call) -> Result<Value, Error> {
    macro_rules! on_lab {
        ($l:ident => $body:expr) => {
            core::runtime::on_lab(|$l| async move { $body }).await?
        };
    }
    Ok(match call {
        Call::Connect {} => {
            core::runtime::lab().await?;
            note()
        }
        Call::StartCluster {} => reply(&core::cluster::start_cluster().await?),
        Call::Cluster {} => reply(&on_lab!(l => l.cluster().await)),
        Call::AllowContext { name } => {
            // core prints the acknowledgement; the value itself shows nothing
            core::allow_context(&name);
            note()
        }
        Call::Nodes {} => reply(&on_lab!(l => l.nodes().await)),
        Call::Pods {} => reply(&on_lab!(l => l.pods().await)),
        Call::PodsWide {} => reply(&on_lab!(l => l.pods_wide().await)),
        Call::Statefulsets {} => reply(&on_lab!(l => l.statefulsets().await)),
        Call::Pvcs {} => reply(&on_lab!(l => l.pvcs().await)),
        Call::Pvs {} => reply(&on_lab!(l => l.pvs().await)),
        Call::StorageClasses {} => reply(&on_lab!(l => l.storage_classes().await)),
        Call::Services {} => reply(&on_lab!(l => l.services().await)),
        Call::Events {} => reply(&on_lab!(l => l.events().await)),
        Call::Placement {} => reply(&on_lab!(l => l.placement().await)),
        Call::Apply { path } => reply(&on_lab!(l => l.apply(&path).await)),
        Call::ApplyYaml { yaml } => reply(&on_lab!(l => l.apply_yaml(&yaml).await)),
        Call::WatchPods { selector, timeout } => {
            reply(&on_lab!(l => l.watch_pods(&selector, timeout).await))
        }
        Call::DeletePods { selector } => reply(&on_lab!(l => l.delete_pods(&selector).await)),
        Call::DeletePod { name } => reply(&on_lab!(l => l.delete_pod(&name).await)),
        Call::WaitReady { name, timeout } => {
            reply(&on_lab!(l => l.wait_ready(&name, timeout).await))
        }
        Call::Scale { name, replicas } => reply(&on_lab!(l => l.scale(&name, replicas).await)),
        Call::DeleteStatefulset { name } => reply(&on_lab!(l => l.delete_statefulset(&name).await)),
        Call::Cleanup {} => reply(&on_lab!(l => l.cleanup().await)),
        Call::DeleteData {} => reply(&on_lab!(l => l.delete_data().await)),
        Call::Exec { pod, command } => reply(&on_lab!(l => {
            let c: Vec<&str> = command.iter().map(String::as_str).collect();
            l.exec(&pod, &c).await
        })),
        Call::Kubectl { args, timeout } => reply(&on_lab!(l => l.kubectl(&args, timeout).await)),
        Call::Logs { pod, previous } => reply(&on_lab!(l => l.logs(&pod, previous).await)),
        Call::Mysql { pod } => {
            let m = on_lab!(l => l.mysql(&pod).await);
            let id = engine.add_session(m.clone());
            let data = SessionData {
                session: id,
                pod: m.pod().to_string(),
            };
            Shown::new(data, m.to_string(), m.to_html()).to_value()
        }
        Call::Sql {
            session: id,
            script,
        } => reply(&session(&engine, id)?.sql(&script).await?),
        Call::SqlDatabase { session: id } => {
            let database = session(&engine, id)?.database().await;
            Shown::new(
                kubelab::DatabaseData { database },
                String::new(),
                String::new(),
            )
            .to_value()
        }
        Call::Leftovers {} => reply(&on_lab!(l => l.leftovers().await)),
        Call::StartFresh {} => {
            reply(&on_lab!(l => l.start_fresh(core::fresh::FRESH_TIMEOUT).await))
        }
        Call::Check { step } => reply(&on_lab!(l => l.check(&step).await)),
        Call::Topology {} => reply(&on_lab!(l => l.topology().await)),
        Call::Timeline { selector } => reply(&on_lab!(l => l.timeline(&selector).await)),
        Call::Describe { kind, name } => reply(&on_lab!(l => l.describe(&kind, &name).await)),
        Call::Delete { kind, name } => reply(&on_lab!(l => l.delete(&kind, &name).await)),
        Call::WaitDeleted {
            kind,
            name,
            timeout,
        } => reply(&on_lab!(l => l.wait_deleted(&kind, &name, timeout).await)),
        Call::WatchRollout { name, timeout } => {
            reply(&on_lab!(l => l.watch_rollout(&name, timeout).await))
        }
        Call::Revisions { name } => reply(&on_lab!(l => l.revisions(&name).await)),
        Call::NodeStop { node } => reply(&on_lab!(l => l.node_stop(&node).await)),
        Call::NodeStart { node } => reply(&on_lab!(l => l.node_start(&node).await)),
        Call::AddonEnable { name } => reply(&on_lab!(l => l.addon_enable(&name).await)),
        Call::AddonDisable { name } => reply(&on_lab!(l => l.addon_disable(&name).await)),
    })
}
