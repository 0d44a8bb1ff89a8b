//! Changes that remove: delete pods, delete the StatefulSet, `cleanup` (keeps PVCs and says so)
//! and `delete_data` (the explicit choice to delete the lab's PVCs).

use std::fmt;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret, Service};
use kube::api::ListParams;
use kube::ResourceExt;

pub use crate::change::{ChangeReport, DeleteReport};
use crate::error::Result;
use crate::lab::Lab;
use crate::memory::{remember_deleted, APPLIED};
use crate::table::pre;

pub use kubelab::CleanupData;

/// What `cleanup` deleted and which PVCs (data) stay ([`CleanupData`]).
#[derive(Debug, Clone, Default)]
pub struct CleanupReport(pub CleanupData);
crate::report::report!(CleanupReport: CleanupData = 0);

impl fmt::Display for CleanupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.deleted.is_empty() {
            writeln!(f, "지울 실습 리소스가 없습니다.")?;
        } else {
            writeln!(f, "{}", self.deleted.join("\n"))?;
        }
        f.write_str(&kept_note(&self.kept_pvcs))
    }
}

impl CleanupReport {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

fn kept_note(pvcs: &[String]) -> String {
    if pvcs.is_empty() {
        "남아 있는 실습 PVC는 없습니다.".to_string()
    } else {
        format!(
            "PVC(데이터)는 지우지 않았습니다: {}\n→ 다시 실습하면 이 데이터(와 처음 설정된 root 비밀번호)가 그대로 쓰입니다.\n→ 데이터까지 지우려면 delete_data() (= kubectl delete pvc -l app=mysql).",
            pvcs.join(", ")
        )
    }
}

impl Lab {
    async fn delete_pod_objects(&self, pods: Vec<Pod>, report: &mut DeleteReport) -> Result<()> {
        for p in pods {
            let name = p.name_any();
            if let Some(uid) = p.uid() {
                remember_deleted(&name, &uid);
            }
            if self.delete_one::<Pod>("pod", &name).await? {
                report.line(format!("pod \"{name}\" deleted"));
                report.deleted.push(name);
            }
        }
        Ok(())
    }

    /// `kubectl delete pod -l SELECTOR`.
    pub async fn delete_pods(&self, selector: &str) -> Result<DeleteReport> {
        crate::out::cmd(&format!("kubectl delete pod -l {selector}"));
        let pods = self.list_pods(Some(selector)).await?;
        let mut r = DeleteReport::default();
        if pods.is_empty() {
            r.line("No resources found".into());
        }
        self.delete_pod_objects(pods, &mut r).await?;
        Ok(r)
    }

    /// `kubectl delete pod NAME`.
    pub async fn delete_pod(&self, name: &str) -> Result<DeleteReport> {
        crate::out::cmd(&format!("kubectl delete pod {name}"));
        let Some(p) = self
            .call("get pod", self.api::<Pod>().get_opt(name))
            .await?
        else {
            return Err(self.not_found::<Pod>("pod", "pods", name).await);
        };
        let mut r = DeleteReport::default();
        self.delete_pod_objects(vec![p], &mut r).await?;
        Ok(r)
    }

    /// `kubectl delete statefulset NAME` (PVCs stay).
    pub async fn delete_statefulset(&self, name: &str) -> Result<CleanupReport> {
        crate::out::cmd(&format!("kubectl delete statefulset {name}"));
        if !self.delete_one::<StatefulSet>("statefulset", name).await? {
            return Err(self
                .not_found::<StatefulSet>("statefulset", "statefulsets", name)
                .await);
        }
        let line = format!("statefulset.apps \"{name}\" deleted");
        crate::out::line(line.to_string());
        let r = CleanupReport(CleanupData {
            deleted: vec![line],
            kept_pvcs: self.lab_pvcs().await?,
        });
        crate::out::line(kept_note(&r.kept_pvcs));
        Ok(r)
    }

    /// Deletes what the lab created (StatefulSet `mysql`, its Service and Secrets, objects applied in
    /// this process, objects labelled app=mysql), keeping PVCs.
    pub async fn cleanup(&self) -> Result<CleanupReport> {
        crate::out::cmd("kubectl delete statefulset,service,secret -l app=mysql  (+ kubelab이 apply한 객체, PVC 제외)");
        let mut sts_names: Vec<String> = vec!["mysql".into()];
        let mut svc_names: Vec<String> = Vec::new();
        let mut secret_names: Vec<String> = Vec::new();
        let mut cm_names: Vec<String> = Vec::new();
        for a in APPLIED.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            match (a.api_version.as_str(), a.kind.as_str()) {
                ("apps/v1", "StatefulSet") => sts_names.push(a.name.clone()),
                ("v1", "Service") => svc_names.push(a.name.clone()),
                ("v1", "Secret") => secret_names.push(a.name.clone()),
                ("v1", "ConfigMap") => cm_names.push(a.name.clone()),
                _ => {}
            }
        }
        let lp = ListParams::default().labels("app=mysql");
        sts_names.extend(self.names::<StatefulSet>("list", &lp).await?);
        svc_names.extend(self.names::<Service>("list", &lp).await?);
        secret_names.extend(self.names::<Secret>("list", &lp).await?);
        // the StatefulSets' governing Services and the Secrets their env refers to
        for name in sts_names.clone() {
            if let Some(s) = self
                .call("get statefulset", self.api::<StatefulSet>().get_opt(&name))
                .await?
            {
                {
                    let spec = &s.spec;
                    if let Some(svc) = &spec.service_name {
                        svc_names.push(svc.clone());
                    }
                    for c in spec
                        .template
                        .spec
                        .as_ref()
                        .map(|p| p.containers.clone())
                        .unwrap_or_default()
                    {
                        for e in c.env.unwrap_or_default() {
                            if let Some(r) = e.value_from.and_then(|v| v.secret_key_ref) {
                                secret_names.push(r.name);
                            }
                        }
                    }
                }
            }
        }
        let mut r = CleanupReport::default();
        for (names, kind_ref, shown) in [
            (&mut sts_names, "statefulset", "statefulset.apps"),
            (&mut svc_names, "service", "service"),
            (&mut secret_names, "secret", "secret"),
            (&mut cm_names, "configmap", "configmap"),
        ] {
            names.sort();
            names.dedup();
            for n in names.iter() {
                let gone = match kind_ref {
                    "statefulset" => self.delete_one::<StatefulSet>(kind_ref, n).await?,
                    "service" => self.delete_one::<Service>(kind_ref, n).await?,
                    "secret" => self.delete_one::<Secret>(kind_ref, n).await?,
                    _ => self.delete_one::<ConfigMap>(kind_ref, n).await?,
                };
                if gone {
                    let l = format!("{shown} \"{n}\" deleted");
                    crate::out::line(l.to_string());
                    r.deleted.push(l);
                }
            }
        }
        APPLIED.lock().unwrap_or_else(|e| e.into_inner()).clear();
        r.kept_pvcs = self.lab_pvcs().await?;
        crate::out::line(kept_note(&r.kept_pvcs));
        Ok(r)
    }

    /// `kubectl delete pvc -l app=mysql` (and data-mysql-*): deletes the lab's data.
    pub async fn delete_data(&self) -> Result<DeleteReport> {
        crate::out::cmd("kubectl delete pvc -l app=mysql");
        let mut r = DeleteReport::default();
        let pvcs = self.lab_pvcs().await?;
        if pvcs.is_empty() {
            r.line("No resources found".into());
        }
        for n in pvcs {
            if self.delete_one::<PersistentVolumeClaim>("pvc", &n).await? {
                r.line(format!("persistentvolumeclaim \"{n}\" deleted"));
                r.deleted.push(n);
            }
        }
        if !r.deleted.is_empty() && !self.list_pods(Some("app=mysql")).await?.is_empty() {
            r.line("참고: 아직 이 PVC를 쓰는 파드가 있어 파드가 지워질 때까지 Terminating 으로 남습니다 (cleanup() 먼저).".into());
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_report_says_what_stays_and_how_to_delete() {
        let r = CleanupReport(CleanupData {
            deleted: vec!["statefulset.apps \"mysql\" deleted".into()],
            kept_pvcs: vec!["data-mysql-0".into(), "data-mysql-1".into()],
        });
        let s = r.to_string();
        assert!(s.contains("statefulset.apps \"mysql\" deleted"));
        assert!(
            s.contains("data-mysql-0, data-mysql-1") && s.contains("delete_data()"),
            "{s}"
        );
        let empty = CleanupReport::default().to_string();
        assert!(empty.contains("지울 실습 리소스가 없습니다") && empty.contains("PVC는 없습니다"));
    }
}
