//! `node_stop`/`node_start` and `addon_enable`/`addon_disable`: what `minikube node stop|start`
//! and `minikube addons enable|disable` change, outside the Kubernetes API. On minikube the real
//! command runs; on labsim the same change goes to labsim's admin endpoint
//! (`POST /labsim/v1/nodes/NODE/stop`, behind the cluster's token), and the line printed is the
//! command the learner can type (`labsim node stop NODE --state-dir DIR`) with minikube's beside
//! it. The node is named as `kubectl get nodes` names it (`minikube-m02`); minikube accepts that
//! machine name as well as `m02` (minikube's `pkg/minikube/node/node.go`, `Retrieve`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use kube::ResourceExt;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::change::ChangeReport;
use crate::context::ClusterKind;
pub use crate::error::machine::Error;
use crate::error::Result;
use crate::lab::Lab;

/// The one addon the course turns on: minikube's Rancher local-path provisioner (`local-path`).
pub const ADDON: &str = "storage-provisioner-rancher";

/// Longest a `minikube node stop|start` or `addons enable` may take (a node start re-joins the
/// cluster: tens of seconds on a laptop).
const MINIKUBE_LIMIT: Duration = Duration::from_secs(240);

/// The label kubeadm puts on control-plane nodes.
const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

/// What is asked of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    NodeStop,
    NodeStart,
    AddonEnable,
    AddonDisable,
}

impl Action {
    /// minikube's words (`node stop`, `addons enable`) and labsim's, which are the same.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Action::NodeStop => ("node", "stop"),
            Action::NodeStart => ("node", "start"),
            Action::AddonEnable => ("addons", "enable"),
            Action::AddonDisable => ("addons", "disable"),
        }
    }

    /// labsim's admin path segment (`nodes`, `addons`).
    fn admin_kind(self) -> &'static str {
        match self {
            Action::NodeStop | Action::NodeStart => "nodes",
            Action::AddonEnable | Action::AddonDisable => "addons",
        }
    }

    /// What was done, for the line after it (`changed`: whether anything changed).
    fn done(self, name: &str, changed: bool) -> String {
        match (self, changed) {
            (Action::NodeStop, true) => format!("노드 {name}을(를) 멈췄습니다. 그 노드의 kubelet과 컨테이너도 함께 멈췄습니다."),
            (Action::NodeStop, false) => format!("노드 {name}은(는) 이미 멈춰 있습니다."),
            (Action::NodeStart, true) => format!("노드 {name}을(를) 다시 시작했습니다. kubelet이 API 서버에 다시 보고하면 Ready가 됩니다."),
            (Action::NodeStart, false) => format!("노드 {name}은(는) 이미 실행 중입니다."),
            (Action::AddonEnable, true) => format!("애드온 {name}을(를) 켰습니다. StorageClass local-path가 생겼습니다."),
            (Action::AddonEnable, false) => format!("애드온 {name}은(는) 이미 켜져 있습니다."),
            (Action::AddonDisable, true) => format!("애드온 {name}을(를) 껐습니다."),
            (Action::AddonDisable, false) => format!("애드온 {name}은(는) 이미 꺼져 있습니다."),
        }
    }

    /// What it is called in an error.
    fn what(self) -> &'static str {
        match self {
            Action::NodeStop => "노드 멈추기",
            Action::NodeStart => "노드 시작",
            Action::AddonEnable => "애드온 켜기",
            Action::AddonDisable => "애드온 끄기",
        }
    }
}

/// `minikube [-p PROFILE] node stop NAME`: the profile is the context's name (minikube names its
/// context after the profile), left out for the default profile `minikube`.
pub fn minikube_command(context: &str, action_words: (&str, &str), name: &str) -> String {
    let (group, verb) = action_words;
    let profile = if context == "minikube" {
        String::new()
    } else {
        format!(" -p {context}")
    };
    format!("minikube{profile} {group} {verb} {name}")
}

/// labsim's state dir: the folder of its kubeconfig (`<state>/kubeconfig`), else `.labsim`.
fn labsim_state_dir() -> PathBuf {
    std::env::var_os("KUBECONFIG")
        .and_then(|k| std::env::split_paths(&k).next())
        .filter(|p| p.file_name().is_some_and(|n| n == "kubeconfig"))
        .and_then(|p| p.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".labsim"))
}

impl Lab {
    /// `minikube node stop NODE`: the node's machine stops (its kubelet and containers with it).
    pub async fn node_stop(&self, node: &str) -> Result<ChangeReport> {
        self.machine(Action::NodeStop, node).await
    }

    /// `minikube node start NODE`: a stopped node starts again and its kubelet reports back.
    pub async fn node_start(&self, node: &str) -> Result<ChangeReport> {
        self.machine(Action::NodeStart, node).await
    }

    /// `minikube addons enable NAME` (only `storage-provisioner-rancher`: the `local-path` class).
    pub async fn addon_enable(&self, name: &str) -> Result<ChangeReport> {
        self.machine(Action::AddonEnable, name).await
    }

    /// `minikube addons disable NAME`.
    pub async fn addon_disable(&self, name: &str) -> Result<ChangeReport> {
        self.machine(Action::AddonDisable, name).await
    }

    async fn machine(&self, action: Action, name: &str) -> Result<ChangeReport> {
        let name = name.trim();
        // labsim plays minikube's default profile (nodes minikube, minikube-m02, ...)
        let profile = match self.kind {
            ClusterKind::Minikube => self.ctx.name.as_str(),
            _ => "minikube",
        };
        let minikube = minikube_command(profile, action.words(), name);
        if self.kind == ClusterKind::Other {
            return Err(Error::NotHere {
                context: self.ctx.name.clone(),
                what: action.what().into(),
            }
            .into());
        }
        match action {
            Action::NodeStop | Action::NodeStart => self.known_node(action, name).await?,
            Action::AddonEnable | Action::AddonDisable if name != ADDON => {
                return Err(Error::UnknownAddon {
                    name: name.to_string(),
                    known: ADDON.into(),
                }
                .into())
            }
            _ => {}
        }
        let mut r = ChangeReport::default();
        if self.kind == ClusterKind::Minikube {
            run_minikube(&minikube, &mut r).await?;
            return Ok(r);
        }
        let (group, verb) = action.words();
        let command = format!(
            "labsim {group} {verb} {name} --state-dir {}",
            labsim_state_dir().display()
        );
        crate::out::cmd(&command);
        r.line(format!("(minikube에서는 $ {minikube})"));
        let path = format!("/labsim/v1/{}/{name}/{verb}", action.admin_kind());
        let req = http::Request::post(path)
            .body(Vec::new())
            .map_err(|e| failed(&command, e.to_string()))?;
        let answer = match self
            .call_raw(&command, self.client().request_text(req))
            .await?
        {
            Ok(text) => text,
            Err(kube::Error::Api(s)) => return Err(failed(&command, s.message).into()),
            Err(e) => return Err(self.err(e, &command)),
        };
        let changed = serde_json::from_str::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["changed"].as_bool())
            .ok_or_else(|| {
                failed(
                    &command,
                    format!("labsim의 대답을 읽지 못했습니다: {answer}"),
                )
            })?;
        r.line(action.done(name, changed));
        Ok(r)
    }

    /// `name` is a node, and for a stop not the control plane.
    async fn known_node(&self, action: Action, name: &str) -> Result<()> {
        let api: Api<Node> = Api::all(self.client().clone());
        let nodes = self
            .call("kubectl get nodes", api.list(&ListParams::default()))
            .await?
            .items;
        let Some(node) = nodes.iter().find(|n| n.name_any() == name) else {
            return Err(Error::UnknownNode {
                node: name.to_string(),
                nodes: nodes
                    .iter()
                    .map(|n| n.name_any())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into());
        };
        if action == Action::NodeStop && node.labels().contains_key(CONTROL_PLANE) {
            return Err(Error::ControlPlane {
                node: name.to_string(),
            }
            .into());
        }
        Ok(())
    }
}

fn failed(command: &str, detail: String) -> Error {
    Error::Failed {
        command: command.to_string(),
        detail,
        hint:
            "메시지를 읽고 이름을 확인하세요. 노드는 nodes()? 로, 클러스터는 cluster()? 로 봅니다."
                .into(),
    }
}

/// Prints one line of minikube's and keeps it.
fn shown(lines: &mut Vec<String>, l: String) {
    crate::out::line(l.clone());
    lines.push(l);
}

/// Runs the real minikube command, printing its lines as they come (within [`MINIKUBE_LIMIT`]).
async fn run_minikube(command: &str, r: &mut ChangeReport) -> Result<()> {
    crate::out::cmd(command);
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let program = crate::cluster::which("minikube").ok_or_else(|| Error::Failed {
        command: command.to_string(),
        detail: "minikube가 PATH에 없습니다.".into(),
        hint: "minikube를 설치하거나(https://minikube.sigs.k8s.io/docs/start/), PATH에 두세요."
            .into(),
    })?;
    let mut child = tokio::process::Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(command, e.to_string()))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut err = BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut lines = Vec::new();
    let run = async {
        let (mut o_done, mut e_done) = (false, false);
        while !(o_done && e_done) {
            tokio::select! {
                l = out.next_line(), if !o_done => match l { Ok(Some(l)) => shown(&mut lines, l), _ => o_done = true },
                l = err.next_line(), if !e_done => match l { Ok(Some(l)) => shown(&mut lines, l), _ => e_done = true },
            }
        }
        child.wait().await
    };
    let status = tokio::time::timeout(MINIKUBE_LIMIT, run).await;
    r.0.lines.extend(lines.iter().cloned());
    match status {
        Ok(Ok(st)) if st.success() => Ok(()),
        Ok(Ok(st)) => Err(failed(command, format!("minikube 종료 코드 {st}")).into()),
        Ok(Err(e)) => Err(failed(command, e.to_string()).into()),
        Err(_) => Err(failed(
            command,
            format!("{}초 안에 끝나지 않았습니다", MINIKUBE_LIMIT.as_secs()),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minikube_commands_name_the_profile_only_when_not_the_default() {
        // minikube's cmd/minikube/cmd/node_stop.go: `minikube node stop NAME`; `-p` picks the profile
        assert_eq!(
            minikube_command("minikube", Action::NodeStop.words(), "minikube-m02"),
            "minikube node stop minikube-m02"
        );
        assert_eq!(
            minikube_command("lab", Action::AddonEnable.words(), ADDON),
            "minikube -p lab addons enable storage-provisioner-rancher"
        );
    }
}
