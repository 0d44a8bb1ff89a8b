//! `logs(pod)` and `logs_previous(pod)`: `kubectl logs POD [--previous]` of the pod's default
//! container, through the API server's `pods/log`, with kubectl's own words when it refuses.

pub use kubelab::LogsData;

use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;

use crate::error::kubectl::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::table::pre;

/// A pod's log ([`LogsData`]); shows as kubectl prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Logs(pub LogsData);
crate::report::report!(Logs: LogsData = 0);

impl std::fmt::Display for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text.trim_end_matches('\n'))
    }
}

impl Logs {
    /// HTML for Jupyter: the log, preformatted.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

/// The container `kubectl logs POD` reads, and kubectl's `Defaulted container ...` note when
/// the pod has others (kubectl's `podcmd.FindOrDefaultContainerByName`: the
/// `kubectl.kubernetes.io/default-container` annotation, else the first container).
pub fn default_container(pod: &Pod) -> (String, Option<String>) {
    let spec = pod.spec.clone().unwrap_or_default();
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
        .filter(|n| spec.containers.iter().any(|c| &c.name == *n))
        .cloned();
    if let Some(name) = annotated {
        return (name, None);
    }
    let first = spec
        .containers
        .first()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let init = spec.init_containers.unwrap_or_default();
    let ephemeral = spec.ephemeral_containers.unwrap_or_default();
    if spec.containers.len() == 1 && init.is_empty() && ephemeral.is_empty() {
        return (first, None);
    }
    let all: Vec<String> = spec
        .containers
        .iter()
        .map(|c| c.name.clone())
        .chain(init.iter().map(|c| format!("{} (init)", c.name)))
        .chain(ephemeral.iter().map(|c| format!("{} (ephem)", c.name)))
        .collect();
    let note = format!("Defaulted container {first:?} out of: {}", all.join(", "));
    (first, Some(note))
}

impl Lab {
    /// `kubectl logs POD` (`previous`: `--previous`, the container before its last restart).
    pub async fn logs(&self, pod: &str, previous: bool) -> Result<Logs> {
        let flag = if previous { " --previous" } else { "" };
        crate::out::cmd(&format!("kubectl logs {pod}{flag}"));
        let refused = |s: kube::core::Status, hint: String| Error::Logs {
            pod: pod.to_string(),
            previous: flag.to_string(),
            reason: s.reason.clone(),
            message: s.message.clone(),
            hint,
        };
        let api = self.api::<Pod>();
        let action = format!("kubectl logs {pod}{flag}");
        let p = match self.call_raw(&action, api.get(pod)).await? {
            Ok(p) => p,
            Err(kube::Error::Api(s)) if s.code == 404 => {
                let hint = "pods()? 로 파드 이름을 확인하세요.".to_string();
                return Err(refused(*s, hint).into());
            }
            Err(e) => return Err(self.err(e, &action)),
        };
        let (container, note) = default_container(&p);
        if let Some(note) = note {
            crate::out::line(note);
        }
        let lp = LogParams {
            container: Some(container),
            previous,
            ..LogParams::default()
        };
        let text = match self.call_raw(&action, api.logs(pod, &lp)).await? {
            Ok(t) => t,
            Err(kube::Error::Api(s)) => {
                let hint = if previous {
                    format!("이 컨테이너는 아직 다시 시작된 적이 없어(RESTARTS 0) 이전 로그가 없습니다: 지금 컨테이너의 로그는 logs(\"{pod}\")? 로 보세요.")
                } else {
                    format!("파드가 아직 시작되지 않았을 수 있습니다: describe(\"pod\", \"{pod}\")? 로 상태와 Events 를 확인하세요.")
                };
                return Err(refused(*s, hint).into());
            }
            Err(e) => return Err(self.err(e, &action)),
        };
        Ok(Logs(LogsData {
            pod: pod.to_string(),
            previous,
            text,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn default_container_as_kubectl_picks_and_says_it() {
        let one =
            pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "mysql"}]}}));
        assert_eq!(default_container(&one), ("mysql".into(), None));
        let with_init = pod(json!({"metadata": {"name": "p"}, "spec": {
            "initContainers": [{"name": "init-mysql"}],
            "containers": [{"name": "mysql"}, {"name": "xtrabackup"}]}}));
        // kubectl/pkg/cmd/util/podcmd/podcmd.go: `Defaulted container %q out of: %s`
        assert_eq!(
            default_container(&with_init),
            (
                "mysql".into(),
                Some(
                    "Defaulted container \"mysql\" out of: mysql, xtrabackup, init-mysql (init)"
                        .into()
                )
            )
        );
        let annotated = pod(json!({"metadata": {"name": "p", "annotations": {
            "kubectl.kubernetes.io/default-container": "xtrabackup"}},
            "spec": {"containers": [{"name": "mysql"}, {"name": "xtrabackup"}]}}));
        assert_eq!(default_container(&annotated), ("xtrabackup".into(), None));
    }
}
