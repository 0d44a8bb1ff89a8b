//! One cell call → one kubelab-core step: the operation table of the engine.

use std::sync::Arc;
use std::time::Duration;

use kubelab::wire::Value;
use kubelab_core as core;

use super::render;
use super::render_check;
use super::Engine;

/// A failed call as the cell will show it: a short Korean name and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub name: String,
    pub message: String,
}

impl From<core::Error> for Failure {
    fn from(e: core::Error) -> Failure {
        Failure {
            name: e.title().to_string(),
            message: e.to_string(),
        }
    }
}

fn bad_call(what: &str) -> Failure {
    Failure {
        name: "잘못된 호출".into(),
        message: format!(
            "kubelab 커널이 이해하지 못한 호출입니다 ({what}).\n→ 셀의 kubelab과 커널의 버전이 다를 수 있습니다: make setup 후 커널을 다시 시작하세요."
        ),
    }
}

fn arg(args: &[String], i: usize) -> Result<&str, Failure> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| bad_call(&format!("인자 {i} 없음")))
}

fn duration(args: &[String], i: usize) -> Result<Duration, Failure> {
    arg(args, i)?
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| bad_call("시간 형식"))
}

fn session(engine: &Engine, args: &[String]) -> Result<(u64, core::MySql), Failure> {
    let id: u64 = arg(args, 0)?.parse().map_err(|_| bad_call("세션 번호"))?;
    engine.session(id).map(|s| (id, s)).ok_or_else(|| Failure {
        name: "SQL 세션 없음".into(),
        message: "이 MySQL 세션은 커널이 다시 시작되어 사라졌습니다.\n→ let db = mysql(\"mysql-0\")?; 로 다시 여세요."
            .into(),
    })
}

/// Runs one call (`args[0]` is the operation) and returns its value.
pub async fn run(engine: Arc<Engine>, call: Vec<String>) -> Result<Value, Failure> {
    let (op, args) = call.split_first().ok_or_else(|| bad_call("빈 호출"))?;
    let args = args.to_vec();
    macro_rules! on_lab {
        ($l:ident => $body:expr) => {
            core::runtime::on_lab(|$l| async move { $body }).await?
        };
    }
    Ok(match op.as_str() {
        "connect" => {
            core::runtime::lab().await?;
            render::note("")
        }
        "start_cluster" => render::cluster(&core::cluster::start_cluster().await?),
        "cluster" => render::cluster(&on_lab!(l => l.cluster().await)),
        "nodes" => render::table(&on_lab!(l => l.nodes().await)),
        "pods" => render::table(&on_lab!(l => l.pods().await)),
        "pods_wide" => render::table(&on_lab!(l => l.pods_wide().await)),
        "statefulsets" => render::table(&on_lab!(l => l.statefulsets().await)),
        "pvcs" => render::table(&on_lab!(l => l.pvcs().await)),
        "pvs" => render::table(&on_lab!(l => l.pvs().await)),
        "storage_classes" => render::table(&on_lab!(l => l.storage_classes().await)),
        "services" => render::table(&on_lab!(l => l.services().await)),
        "events" => render::table(&on_lab!(l => l.events().await)),
        "placement" => render::table(&on_lab!(l => l.placement().await)),
        "check" => {
            let step = arg(&args, 0)?.to_string();
            render_check::check(&on_lab!(l => l.check(&step).await))
        }
        "topology" => render_check::picture(&on_lab!(l => l.topology().await)),
        "timeline" => {
            let sel = arg(&args, 0)?.to_string();
            render_check::picture(&on_lab!(l => l.timeline(&sel).await))
        }
        "apply" => {
            let path = arg(&args, 0)?.to_string();
            render::apply(&on_lab!(l => l.apply(&path).await))
        }
        "watch_pods" => {
            let (sel, t) = (arg(&args, 0)?.to_string(), duration(&args, 1)?);
            render::watch(&on_lab!(l => l.watch_pods(&sel, t).await))
        }
        "delete_pods" => {
            let sel = arg(&args, 0)?.to_string();
            render::change(&on_lab!(l => l.delete_pods(&sel).await))
        }
        "delete_pod" => {
            let name = arg(&args, 0)?.to_string();
            render::change(&on_lab!(l => l.delete_pod(&name).await))
        }
        "wait_ready" => {
            let (name, t) = (arg(&args, 0)?.to_string(), duration(&args, 1)?);
            render::pod_ready(&on_lab!(l => l.wait_ready(&name, t).await))
        }
        "scale" => {
            let name = arg(&args, 0)?.to_string();
            let n: i32 = arg(&args, 1)?
                .parse()
                .map_err(|_| bad_call("레플리카 수"))?;
            render::change(&on_lab!(l => l.scale(&name, n).await))
        }
        "delete_statefulset" => {
            let name = arg(&args, 0)?.to_string();
            render::cleanup(&on_lab!(l => l.delete_statefulset(&name).await))
        }
        "cleanup" => render::cleanup(&on_lab!(l => l.cleanup().await)),
        "delete_data" => render::change(&on_lab!(l => l.delete_data().await)),
        "exec" => {
            let pod = arg(&args, 0)?.to_string();
            let cmd: Vec<String> = args[1..].to_vec();
            render::exec(&on_lab!(l => {
                let c: Vec<&str> = cmd.iter().map(String::as_str).collect();
                l.exec(&pod, &c).await
            }))
        }
        "mysql" => {
            let pod = arg(&args, 0)?.to_string();
            let m = on_lab!(l => l.mysql(&pod).await);
            let id = engine.add_session(m.clone());
            render::mysql(id, &m)
        }
        "sql" => {
            let (_, m) = session(&engine, &args)?;
            render::sql(&m.sql_async(arg(&args, 1)?).await?)
        }
        "sql_database" => {
            let (_, m) = session(&engine, &args)?;
            let db = m.database_async().await;
            render::note("").with("database", db.into_iter().collect())
        }
        "leftovers" => render::leftovers(&on_lab!(l => l.leftovers().await)),
        "start_fresh" => {
            render::fresh(&on_lab!(l => l.start_fresh(core::fresh::FRESH_TIMEOUT).await))
        }
        "allow_context" => {
            let name = arg(&args, 0)?;
            // core prints the acknowledgement; the value itself shows nothing
            core::allow_context(name);
            render::note("")
        }
        // notebooks 03 and 04
        "describe" => {
            let (kind, name) = (arg(&args, 0)?.to_string(), arg(&args, 1)?.to_string());
            render::description(&on_lab!(l => l.describe(&kind, &name).await))
        }
        "delete" => {
            let (kind, name) = (arg(&args, 0)?.to_string(), arg(&args, 1)?.to_string());
            render::change(&on_lab!(l => l.delete(&kind, &name).await))
        }
        "wait_deleted" => {
            let (kind, name) = (arg(&args, 0)?.to_string(), arg(&args, 1)?.to_string());
            let t = duration(&args, 2)?;
            render::change(&on_lab!(l => l.wait_deleted(&kind, &name, t).await))
        }
        "watch_rollout" => {
            let (name, t) = (arg(&args, 0)?.to_string(), duration(&args, 1)?);
            render::rollout(&on_lab!(l => l.watch_rollout(&name, t).await))
        }
        "revisions" => {
            let name = arg(&args, 0)?.to_string();
            render::table(&on_lab!(l => l.revisions(&name).await))
        }
        other => return Err(bad_call(&format!("알 수 없는 작업 '{other}'"))),
    })
}
