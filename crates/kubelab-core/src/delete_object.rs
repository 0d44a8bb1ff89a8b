//! `delete(kind, name)`: `kubectl delete KIND NAME` for the kinds the drills create and need to
//! take away one at a time (a StorageClass, a single PVC, a Secret), with kubectl's output line.
//! It does not wait for finalizers (`kubectl delete --wait=false`): a PVC still used by a pod
//! stays Terminating until the pod is gone, which `pvcs()` shows.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams};

use crate::change::ChangeReport;
use crate::lab::{Lab, NAMESPACE};
use crate::objects::Error as ObjError;
use crate::Result;

/// kubectl's kind names → (kind as typed in the command, resource as kubectl prints it).
fn resource(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => ("pod", "pod"),
        "pvc" | "pvcs" | "persistentvolumeclaim" => ("pvc", "persistentvolumeclaim"),
        "statefulset" | "statefulsets" | "sts" => ("statefulset", "statefulset.apps"),
        "service" | "services" | "svc" => ("service", "service"),
        "secret" | "secrets" => ("secret", "secret"),
        "storageclass" | "storageclasses" | "sc" => ("storageclass", "storageclass.storage.k8s.io"),
        _ => return None,
    })
}

async fn remove<K>(api: Api<K>, name: &str) -> kube::Result<bool>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

impl Lab {
    /// `kubectl delete KIND NAME` (pod, pvc, statefulset, service, secret, storageclass).
    pub async fn delete(&self, kind: &str, name: &str) -> Result<ChangeReport> {
        let Some((k, shown)) = resource(kind) else {
            return Err(ObjError::Api {
                action: format!("kubectl delete {kind} {name}"),
                message: format!(
                    "delete는 pod, pvc, statefulset, service, secret, storageclass만 지웁니다 ('{kind}' 은(는) 모릅니다)"
                ),
            }
            .into());
        };
        let command = format!("kubectl delete {k} {name} --wait=false");
        crate::out::cmd(&command);
        let c = self.client().clone();
        let ns = NAMESPACE;
        let fut = async {
            match k {
                "pod" => remove(Api::<Pod>::namespaced(c, ns), name).await,
                "pvc" => remove(Api::<PersistentVolumeClaim>::namespaced(c, ns), name).await,
                "statefulset" => remove(Api::<StatefulSet>::namespaced(c, ns), name).await,
                "service" => remove(Api::<Service>::namespaced(c, ns), name).await,
                "secret" => remove(Api::<Secret>::namespaced(c, ns), name).await,
                _ => remove(Api::<StorageClass>::all(c), name).await,
            }
        };
        let gone = self.call(&command, fut).await?;
        let mut r = ChangeReport::default();
        let line = if gone {
            r.deleted.push(name.to_string());
            format!("{shown} \"{name}\" deleted")
        } else {
            format!("Error from server (NotFound): {shown} \"{name}\" not found (이미 없습니다)")
        };
        crate::out::line(line.clone());
        r.lines.push(line);
        Ok(r)
    }
}

impl Lab {
    /// `kubectl wait --for=delete KIND/NAME --timeout=Ns` for a pod or a PVC: returns once it is
    /// gone (at once if it never existed), or fails after `timeout` saying what holds it.
    pub async fn wait_deleted(
        &self,
        kind: &str,
        name: &str,
        timeout: std::time::Duration,
    ) -> Result<ChangeReport> {
        let (k, shown) = match resource(kind) {
            Some((k @ ("pod" | "pvc"), shown)) => (k, shown),
            _ => {
                return Err(ObjError::Api {
                    action: format!("kubectl wait --for=delete {kind}/{name}"),
                    message: format!("wait_deleted는 pod와 pvc만 기다립니다 ('{kind}')"),
                }
                .into())
            }
        };
        let command = format!(
            "kubectl wait --for=delete {k}/{name} --timeout={}s",
            timeout.as_secs()
        );
        crate::out::cmd(&command);
        let started = std::time::Instant::now();
        loop {
            let c = self.client().clone();
            let fut = async {
                match k {
                    "pod" => Api::<Pod>::namespaced(c, NAMESPACE)
                        .get_opt(name)
                        .await
                        .map(|o| o.map(|p| p.metadata)),
                    _ => Api::<PersistentVolumeClaim>::namespaced(c, NAMESPACE)
                        .get_opt(name)
                        .await
                        .map(|o| o.map(|p| p.metadata)),
                }
            };
            let meta = match crate::deadline::in_time(fut).await {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => return Err(self.err(e, &command)),
                // no answer in time: not known to be gone, ask again
                Err(_) => Some(kube::api::ObjectMeta::default()),
            };
            let Some(meta) = meta else {
                let line = format!("{shown}/{name} condition met");
                crate::out::line(line.clone());
                return Ok(ChangeReport(kubelab::ChangeData {
                    lines: vec![line],
                    deleted: vec![name.to_string()],
                }));
            };
            if started.elapsed() >= timeout {
                let state = match (&meta.deletion_timestamp, &meta.finalizers) {
                    (Some(_), Some(f)) if !f.is_empty() => {
                        format!(
                            "삭제 중(Terminating), finalizer {} 가 남아 있습니다",
                            f.join(", ")
                        )
                    }
                    (Some(_), _) => "삭제 중(Terminating)".to_string(),
                    (None, _) => "아직 삭제되지 않았습니다".to_string(),
                };
                return Err(crate::wait::Error::TimedOut {
                    what: command,
                    secs: timeout.as_secs(),
                    diagnosis: format!("- {k} {name}: {state}"),
                }
                .into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_print_as_kubectl_does() {
        assert_eq!(
            super::resource("sc"),
            Some(("storageclass", "storageclass.storage.k8s.io"))
        );
        assert_eq!(
            super::resource("PVC"),
            Some(("pvc", "persistentvolumeclaim"))
        );
        assert_eq!(super::resource("node"), None);
    }
}
