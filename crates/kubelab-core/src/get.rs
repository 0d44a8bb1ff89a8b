//! `kubectl get ...` tables: nodes, pods (wide), statefulsets, pvc, pv, storageclass, services,
//! events, and the pod/volume placement view. Builders are pure (objects + now) for testing.

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service,
};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use crate::age::age;
use crate::lab::Lab;
use crate::podstatus::{pod_columns, to_chrono};
use crate::table::Table;
use crate::Result;

fn created<K: ResourceExt>(o: &K) -> Option<DateTime<Utc>> {
    o.meta().creation_timestamp.as_ref().map(to_chrono)
}

fn obj_age<K: ResourceExt>(o: &K, now: DateTime<Utc>) -> String {
    age(created(o).as_ref(), now)
}

/// `kubectl get nodes`.
pub fn nodes_table(items: &[Node], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
        .with_empty_message("No resources found");
    for n in items {
        let st = n.status.clone().unwrap_or_default();
        let mut status = match st
            .conditions
            .unwrap_or_default()
            .iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status.clone())
            .as_deref()
        {
            Some("True") => "Ready".to_string(),
            Some("False") => "NotReady".to_string(),
            _ => "Unknown".to_string(),
        };
        if n.spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
        {
            status.push_str(",SchedulingDisabled");
        }
        let mut roles: Vec<String> = n
            .labels()
            .keys()
            .filter_map(|k| {
                k.strip_prefix("node-role.kubernetes.io/")
                    .map(str::to_string)
            })
            .filter(|r| !r.is_empty())
            .collect();
        roles.sort();
        let roles = if roles.is_empty() {
            "<none>".to_string()
        } else {
            roles.join(",")
        };
        let version = st.node_info.map(|i| i.kubelet_version).unwrap_or_default();
        t.push(vec![n.name_any(), status, roles, obj_age(n, now), version]);
    }
    t
}

/// `kubectl get pods` (and `-o wide`).
pub fn pods_table(items: &[Pod], wide: bool, now: DateTime<Utc>) -> Table {
    let mut cols = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if wide {
        cols.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let mut t = Table::kubectl(&cols);
    for p in items {
        let c = pod_columns(p, now);
        let mut row = vec![p.name_any(), c.ready, c.status, c.restarts, obj_age(p, now)];
        if wide {
            let st = p.status.clone().unwrap_or_default();
            row.push(
                st.pod_ip
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "<none>".into()),
            );
            row.push(
                p.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .unwrap_or_else(|| "<none>".into()),
            );
            row.push(st.nominated_node_name.unwrap_or_else(|| "<none>".into()));
            row.push("<none>".into());
        }
        t.push(row);
    }
    t
}

/// `kubectl get statefulsets`.
pub fn statefulsets_table(items: &[StatefulSet], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&["NAME", "READY", "AGE"]);
    for s in items {
        let want = s.spec.replicas.unwrap_or(1);
        let ready = s
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        t.push(vec![
            s.name_any(),
            format!("{ready}/{want}"),
            obj_age(s, now),
        ]);
    }
    t
}

fn access_modes(modes: &[String]) -> String {
    modes
        .iter()
        .map(|m| match m.as_str() {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `kubectl get pvc`.
pub fn pvcs_table(items: &[PersistentVolumeClaim], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&[
        "NAME",
        "STATUS",
        "VOLUME",
        "CAPACITY",
        "ACCESS MODES",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "AGE",
    ]);
    for c in items {
        let spec = c.spec.clone().unwrap_or_default();
        let st = c.status.clone().unwrap_or_default();
        let mut phase = st.phase.clone().unwrap_or_default();
        if c.metadata.deletion_timestamp.is_some() {
            phase = "Terminating".into();
        }
        let volume = spec.volume_name.clone().unwrap_or_default();
        let (cap, modes) = if volume.is_empty() {
            (String::new(), String::new())
        } else {
            (
                st.capacity
                    .as_ref()
                    .and_then(|c| c.get("storage"))
                    .map(|q| q.0.clone())
                    .unwrap_or_default(),
                access_modes(&st.access_modes.clone().unwrap_or_default()),
            )
        };
        t.push(vec![
            c.name_any(),
            phase,
            volume,
            cap,
            modes,
            spec.storage_class_name.unwrap_or_default(),
            spec.volume_attributes_class_name
                .unwrap_or_else(|| "<unset>".into()),
            obj_age(c, now),
        ]);
    }
    t
}

/// `kubectl get pv`.
pub fn pvs_table(items: &[PersistentVolume], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&[
        "NAME",
        "CAPACITY",
        "ACCESS MODES",
        "RECLAIM POLICY",
        "STATUS",
        "CLAIM",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "REASON",
        "AGE",
    ])
    .with_empty_message("No resources found");
    for v in items {
        let spec = v.spec.clone().unwrap_or_default();
        let st = v.status.clone().unwrap_or_default();
        let claim = spec
            .claim_ref
            .as_ref()
            .map(|c| {
                format!(
                    "{}/{}",
                    c.namespace.clone().unwrap_or_default(),
                    c.name.clone().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let phase = if v.metadata.deletion_timestamp.is_some() {
            "Terminating".to_string()
        } else {
            st.phase.unwrap_or_default()
        };
        t.push(vec![
            v.name_any(),
            spec.capacity
                .as_ref()
                .and_then(|c| c.get("storage"))
                .map(|q| q.0.clone())
                .unwrap_or_default(),
            access_modes(&spec.access_modes.unwrap_or_default()),
            spec.persistent_volume_reclaim_policy.unwrap_or_default(),
            phase,
            claim,
            spec.storage_class_name.unwrap_or_default(),
            spec.volume_attributes_class_name
                .unwrap_or_else(|| "<unset>".into()),
            st.reason.unwrap_or_default(),
            obj_age(v, now),
        ]);
    }
    t
}

/// `kubectl get storageclass`.
pub fn storage_classes_table(items: &[StorageClass], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&[
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ])
    .with_empty_message("No resources found");
    for s in items {
        let default = [
            "storageclass.kubernetes.io/is-default-class",
            "storageclass.beta.kubernetes.io/is-default-class",
        ]
        .iter()
        .any(|k| s.annotations().get(*k).map(String::as_str) == Some("true"));
        let name = if default {
            format!("{} (default)", s.name_any())
        } else {
            s.name_any()
        };
        t.push(vec![
            name,
            s.provisioner.clone(),
            s.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
            s.volume_binding_mode
                .clone()
                .unwrap_or_else(|| "Immediate".into()),
            s.allow_volume_expansion.unwrap_or(false).to_string(),
            obj_age(s, now),
        ]);
    }
    t
}

/// `kubectl get services`.
pub fn services_table(items: &[Service], now: DateTime<Utc>) -> Table {
    let mut t = Table::kubectl(&[
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
    ]);
    for s in items {
        let spec = s.spec.clone().unwrap_or_default();
        let ty = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
        let external = match spec.external_ips.as_ref().filter(|v| !v.is_empty()) {
            Some(v) => v.join(","),
            None if ty == "ExternalName" => spec.external_name.clone().unwrap_or_default(),
            None => "<none>".into(),
        };
        let ports: Vec<String> = spec
            .ports
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                match p.node_port {
                    Some(np) => format!("{}:{np}/{proto}", p.port),
                    None => format!("{}/{proto}", p.port),
                }
            })
            .collect();
        t.push(vec![
            s.name_any(),
            ty,
            spec.cluster_ip.unwrap_or_else(|| "<none>".into()),
            external,
            if ports.is_empty() {
                "<none>".into()
            } else {
                ports.join(",")
            },
            obj_age(s, now),
        ]);
    }
    t
}

/// The time an event last happened.
pub(crate) fn event_time(e: &Event) -> Option<DateTime<Utc>> {
    e.last_timestamp
        .as_ref()
        .map(to_chrono)
        .or_else(|| {
            e.event_time
                .as_ref()
                .map(|t| DateTime::from_timestamp(t.0.as_second(), 0).unwrap_or_default())
        })
        .or_else(|| e.first_timestamp.as_ref().map(to_chrono))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(to_chrono))
}

/// `kubectl get events` (sorted by time, oldest first).
pub fn events_table(items: &[Event], now: DateTime<Utc>) -> Table {
    let mut evs: Vec<&Event> = items.iter().collect();
    evs.sort_by_key(|e| event_time(e));
    let mut t = Table::kubectl(&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    for e in evs {
        let obj = format!(
            "{}/{}",
            e.involved_object
                .kind
                .clone()
                .unwrap_or_default()
                .to_lowercase(),
            e.involved_object.name.clone().unwrap_or_default()
        );
        t.push(vec![
            age(event_time(e).as_ref(), now),
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            obj,
            e.message.clone().unwrap_or_default().trim().to_string(),
        ]);
    }
    t
}

/// POD NODE PVC VOLUME PV-NODE/PATH: where each pod runs and where its volume's data lives.
pub fn placement_table(
    pods: &[Pod],
    pvcs: &[PersistentVolumeClaim],
    pvs: &[PersistentVolume],
) -> Table {
    let mut t = Table::kubectl(&["POD", "NODE", "PVC", "VOLUME", "PV-NODE/PATH"]);
    for p in pods {
        let node = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| "<none>".into());
        let claims: Vec<String> = p
            .spec
            .as_ref()
            .and_then(|s| s.volumes.clone())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| {
                v.persistent_volume_claim
                    .as_ref()
                    .map(|c| c.claim_name.clone())
            })
            .collect();
        for claim in claims {
            let volume = pvcs
                .iter()
                .find(|c| c.name_any() == claim)
                .and_then(|c| c.spec.as_ref().and_then(|s| s.volume_name.clone()))
                .unwrap_or_default();
            let where_ = pvs
                .iter()
                .find(|v| v.name_any() == volume)
                .map(pv_location)
                .unwrap_or_else(|| "<바인딩 안 됨>".into());
            t.push(vec![
                p.name_any(),
                node.clone(),
                claim,
                if volume.is_empty() {
                    "<none>".into()
                } else {
                    volume
                },
                where_,
            ]);
        }
    }
    t
}

/// `node:path` of a PV (`*` when the PV is not tied to a node, like minikube's hostpath).
fn pv_location(v: &PersistentVolume) -> String {
    let spec = v.spec.clone().unwrap_or_default();
    let node = spec
        .node_affinity
        .and_then(|a| a.required)
        .and_then(|r| r.node_selector_terms.into_iter().next())
        .and_then(|t| t.match_expressions.unwrap_or_default().into_iter().next())
        .and_then(|e| e.values.unwrap_or_default().into_iter().next())
        .or_else(|| v.annotations().get("kubelab.io/node").cloned())
        .unwrap_or_else(|| "*".into());
    let path = spec
        .host_path
        .map(|h| h.path)
        .or(spec.local.map(|l| l.path))
        .or(spec.csi.map(|c| format!("csi:{}", c.volume_handle)))
        .unwrap_or_default();
    format!("{node}:{path}")
}

impl Lab {
    async fn list_all<K>(&self, api: Api<K>, what: &str) -> Result<Vec<K>>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + kube::Resource,
    {
        let l = self.call(what, api.list(&ListParams::default())).await?;
        Ok(l.items)
    }

    pub(crate) async fn nodes_table(&self) -> Result<Table> {
        let items = self
            .list_all(Api::<Node>::all(self.client.clone()), "kubectl get nodes")
            .await?;
        Ok(nodes_table(&items, Utc::now()))
    }

    pub(crate) async fn list_pods(&self, selector: Option<&str>) -> Result<Vec<Pod>> {
        let lp = match selector {
            Some(s) => ListParams::default().labels(s),
            None => ListParams::default(),
        };
        let mut items = self
            .call("kubectl get pods", self.api::<Pod>().list(&lp))
            .await?
            .items;
        items.sort_by_key(|p| p.name_any());
        Ok(items)
    }

    /// `kubectl get nodes`.
    pub async fn nodes(&self) -> Result<Table> {
        crate::out::cmd("kubectl get nodes");
        self.nodes_table().await
    }

    /// `kubectl get pods`.
    pub async fn pods(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pods");
        Ok(pods_table(&self.list_pods(None).await?, false, Utc::now()))
    }

    /// `kubectl get pods -o wide`.
    pub async fn pods_wide(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pods -o wide");
        Ok(pods_table(&self.list_pods(None).await?, true, Utc::now()))
    }

    /// `kubectl get statefulsets`.
    pub async fn statefulsets(&self) -> Result<Table> {
        crate::out::cmd("kubectl get statefulsets");
        let items = self
            .list_all(self.api::<StatefulSet>(), "kubectl get statefulsets")
            .await?;
        Ok(statefulsets_table(&items, Utc::now()))
    }

    /// `kubectl get pvc`.
    pub async fn pvcs(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pvc");
        let items = self
            .list_all(self.api::<PersistentVolumeClaim>(), "kubectl get pvc")
            .await?;
        Ok(pvcs_table(&items, Utc::now()))
    }

    /// `kubectl get pv`.
    pub async fn pvs(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pv");
        let items = self
            .list_all(
                Api::<PersistentVolume>::all(self.client.clone()),
                "kubectl get pv",
            )
            .await?;
        Ok(pvs_table(&items, Utc::now()))
    }

    /// `kubectl get storageclass`.
    pub async fn storage_classes(&self) -> Result<Table> {
        crate::out::cmd("kubectl get storageclass");
        let items = self
            .list_all(
                Api::<StorageClass>::all(self.client.clone()),
                "kubectl get storageclass",
            )
            .await?;
        Ok(storage_classes_table(&items, Utc::now()))
    }

    /// `kubectl get services`.
    pub async fn services(&self) -> Result<Table> {
        crate::out::cmd("kubectl get services");
        let items = self
            .list_all(self.api::<Service>(), "kubectl get services")
            .await?;
        Ok(services_table(&items, Utc::now()))
    }

    /// `kubectl get events`.
    pub async fn events(&self) -> Result<Table> {
        crate::out::cmd("kubectl get events");
        let items = self
            .list_all(self.api::<Event>(), "kubectl get events")
            .await?;
        Ok(events_table(&items, Utc::now()))
    }

    /// Which node each pod runs on and where its volume's data lives.
    pub async fn placement(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pods -o wide && kubectl get pvc && kubectl get pv");
        let pods = self.list_pods(None).await?;
        let pvcs = self
            .list_all(self.api::<PersistentVolumeClaim>(), "kubectl get pvc")
            .await?;
        let pvs = self
            .list_all(
                Api::<PersistentVolume>::all(self.client.clone()),
                "kubectl get pv",
            )
            .await?;
        Ok(placement_table(&pods, &pvcs, &pvs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn nodes_like_the_lab_text() {
        let mk = |name: &str, created: &str, cp: bool| -> Node {
            let mut labels = json!({"kubernetes.io/hostname": name});
            if cp {
                labels["node-role.kubernetes.io/control-plane"] = json!("");
            }
            from(
                json!({"metadata":{"name":name,"creationTimestamp":created,"labels":labels},
                "status":{"conditions":[{"type":"Ready","status":"True"}],
                "nodeInfo":{"kubeletVersion":"v1.31.0","architecture":"","bootID":"","containerRuntimeVersion":"",
                  "kernelVersion":"","kubeProxyVersion":"","machineID":"","operatingSystem":"","osImage":"","systemUUID":""}}}),
            )
        };
        let t = nodes_table(
            &[
                mk("minikube", "2026-01-01T00:58:40Z", true),
                mk("minikube-m02", "2026-01-01T00:59:04Z", false),
                mk("minikube-m03", "2026-01-01T00:59:24Z", false),
            ],
            now(),
        );
        crate::table::golden("nodes.txt", &t.to_text());
        assert_eq!(t.get("minikube", "ROLES").as_deref(), Some("control-plane"));
        assert_eq!(t.get("minikube-m02", "ROLES").as_deref(), Some("<none>"));
    }

    #[test]
    fn storage_class_default_marker() {
        let sc: StorageClass = from(
            json!({"metadata":{"name":"standard","creationTimestamp":"2026-01-01T00:36:00Z",
            "annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
            "provisioner":"k8s.io/minikube-hostpath","reclaimPolicy":"Delete","volumeBindingMode":"Immediate"}),
        );
        let t = storage_classes_table(&[sc], now());
        crate::table::golden("storageclasses.txt", &t.to_text());
        assert_eq!(t.column("NAME"), vec!["standard (default)"]);
    }

    #[test]
    fn pvc_bound_and_pending() {
        let bound: PersistentVolumeClaim = from(
            json!({"metadata":{"name":"data-mysql-0","creationTimestamp":"2026-01-01T00:36:00Z"},
            "spec":{"volumeName":"pvc-0a1b","storageClassName":"standard","accessModes":["ReadWriteOnce"]},
            "status":{"phase":"Bound","capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"]}}),
        );
        let pending: PersistentVolumeClaim = from(
            json!({"metadata":{"name":"data-mysql-1","creationTimestamp":"2026-01-01T00:59:57Z"},
            "spec":{"storageClassName":"standard","accessModes":["ReadWriteOnce"]},"status":{"phase":"Pending"}}),
        );
        let t = pvcs_table(&[bound, pending], now());
        assert_eq!(
            t.rows()[0].iter().flatten().cloned().collect::<Vec<_>>(),
            vec![
                "data-mysql-0",
                "Bound",
                "pvc-0a1b",
                "1Gi",
                "RWO",
                "standard",
                "<unset>",
                "24m"
            ]
        );
        assert_eq!(t.get("data-mysql-1", "STATUS").as_deref(), Some("Pending"));
        assert_eq!(t.get("data-mysql-1", "AGE").as_deref(), Some("3s"));
    }

    #[test]
    fn pods_wide_and_statefulsets() {
        let p: Pod = from(
            json!({"metadata":{"name":"mysql-0","creationTimestamp":"2026-01-01T00:59:56Z"},
            "spec":{"nodeName":"minikube-m02","containers":[{"name":"mysql"}]},
            "status":{"phase":"Running","podIP":"10.244.1.5","conditions":[{"type":"Ready","status":"True"}],
              "containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}}),
        );
        let t = pods_table(&[p], true, now());
        assert_eq!(t.columns().len(), 9);
        assert_eq!(t.get("mysql-0", "NODE").as_deref(), Some("minikube-m02"));
        assert_eq!(t.get("mysql-0", "AGE").as_deref(), Some("4s"));
        let s: StatefulSet = from(
            json!({"metadata":{"name":"mysql","creationTimestamp":"2026-01-01T00:58:00Z"},
            "spec":{"replicas":3,"serviceName":"mysql","selector":{},"template":{}},"status":{"replicas":3,"readyReplicas":2}}),
        );
        let t = statefulsets_table(&[s], now());
        assert_eq!(t.to_text(), "NAME    READY   AGE\nmysql   2/3     2m");
    }

    #[test]
    fn services_and_events() {
        let s: Service = from(
            json!({"metadata":{"name":"mysql","creationTimestamp":"2026-01-01T00:00:00Z"},
            "spec":{"clusterIP":"None","ports":[{"port":3306}]}}),
        );
        let t = services_table(&[s], now());
        assert_eq!(t.to_text(), "NAME    TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)    AGE\nmysql   ClusterIP   None         <none>        3306/TCP   60m");
        let e: Event = from(
            json!({"metadata":{"name":"e1"},"involvedObject":{"kind":"Pod","name":"mysql-1"},
            "type":"Warning","reason":"Unhealthy","message":"Readiness probe failed","lastTimestamp":"2026-01-01T00:59:50Z"}),
        );
        let t = events_table(&[e], now());
        assert_eq!(t.get("10s", "OBJECT").as_deref(), Some("pod/mysql-1"));
    }

    #[test]
    fn placement_shows_nodes_and_paths() {
        let p: Pod = from(
            json!({"metadata":{"name":"mysql-0"},"spec":{"nodeName":"minikube-m03","containers":[{"name":"mysql"}],
            "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-mysql-0"}}]}}),
        );
        let c: PersistentVolumeClaim =
            from(json!({"metadata":{"name":"data-mysql-0"},"spec":{"volumeName":"pvc-1"}}));
        let v: PersistentVolume = from(
            json!({"metadata":{"name":"pvc-1"},"spec":{"hostPath":{"path":"/tmp/hostpath-provisioner/default/data-mysql-0"}}}),
        );
        let t = placement_table(&[p], &[c], &[v]);
        assert_eq!(
            t.rows()[0].iter().flatten().cloned().collect::<Vec<_>>(),
            vec![
                "mysql-0",
                "minikube-m03",
                "data-mysql-0",
                "pvc-1",
                "*:/tmp/hostpath-provisioner/default/data-mysql-0"
            ]
        );
    }
}
