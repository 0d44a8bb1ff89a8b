//! `kubectl describe statefulset`: replicas, update strategy and partition, pods status, the pod
//! template, volume claims, and (marked as not kubectl's) PVC retention and revisions.

use super::*;

/// A StatefulSet: replicas, update strategy (partition), retention policy, pods, Events.
pub fn describe_statefulset(
    s: &StatefulSet,
    pods: &[Pod],
    events: &[Event],
    now: DateTime<Utc>,
) -> Description {
    let mut l = Lines::new(20);
    let spec = s.spec.clone();
    let status = s.status.clone().unwrap_or_default();
    l.kv(0, "Name", &s.name_any());
    l.kv(0, "Namespace", &s.namespace().unwrap_or_default());
    l.kv(0, "Selector", &crate::objects::selector_of(s));
    l.map("Labels", s.labels());
    let replicas = spec.replicas.unwrap_or(1);
    l.kv(
        0,
        "Replicas",
        &format!("{replicas} desired | {} total", status.replicas),
    );
    let strategy = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    l.kv(0, "Update Strategy", &strategy);
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition);
    if let Some(p) = partition {
        l.kv(2, "Partition", &p.to_string());
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .clone()
        .unwrap_or_default();
    let when_deleted = retention.when_deleted.unwrap_or_else(|| "Retain".into());
    let when_scaled = retention.when_scaled.unwrap_or_else(|| "Retain".into());
    let count = |phase: &str| {
        pods.iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase))
            .count()
    };
    let waiting = pods
        .iter()
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_none_or(|ph| ph == "Pending")
        })
        .count();
    l.kv(
        0,
        "Pods Status",
        &format!(
            "{} Running / {waiting} Waiting / {} Succeeded / {} Failed",
            count("Running"),
            count("Succeeded"),
            count("Failed")
        ),
    );
    let tmpl = spec.template.clone();
    l.raw("Pod Template:");
    let ann = tmpl
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    if ann.is_empty() {
        l.kv(2, "Annotations", "<none>");
    } else {
        for (i, (k, v)) in ann.iter().enumerate() {
            if i == 0 {
                l.kv(2, "Annotations", &format!("{k}: {v}"));
            } else {
                l.raw(&format!("{}{k}: {v}", " ".repeat(20)));
            }
        }
    }
    for c in tmpl.spec.iter().flat_map(|s| s.containers.iter()) {
        l.raw(&format!("  {}:", c.name));
        l.kv(4, "Image", c.image.as_deref().unwrap_or(""));
    }
    let claims = spec.volume_claim_templates.clone().unwrap_or_default();
    if claims.is_empty() {
        l.kv(0, "Volume Claims", "<none>");
    } else {
        l.raw("Volume Claims:");
        for c in &claims {
            let cs = c.spec.clone().unwrap_or_default();
            l.kv(2, "Name", &c.metadata.name.clone().unwrap_or_default());
            l.kv(
                2,
                "StorageClass",
                cs.storage_class_name.as_deref().unwrap_or(""),
            );
            let size = cs
                .resources
                .and_then(|r| r.requests)
                .and_then(|r| r.get("storage").map(|q| q.0.clone()))
                .unwrap_or_default();
            l.kv(2, "Capacity", &size);
        }
    }
    // what kubectl describe does not print but a learner of updates needs: from the object's
    // spec and status (`kubectl get statefulset NAME -o yaml`), marked as such
    l.raw(&format!(
        "(kubectl describe에는 없는 줄: kubectl get statefulset {} -o yaml 의 spec과 status)",
        s.name_any()
    ));
    l.kv(
        0,
        "PVC Retention",
        &format!("whenDeleted: {when_deleted}, whenScaled: {when_scaled}"),
    );
    l.kv(
        0,
        "Revisions",
        &format!(
            "current {} | update {} ({} of {replicas} updated, {} ready)",
            status.current_revision.as_deref().unwrap_or("-"),
            status.update_revision.as_deref().unwrap_or("-"),
            status.updated_replicas.unwrap_or(0),
            status.ready_replicas.unwrap_or(0)
        ),
    );
    let fields = vec![
        ("Update Strategy".to_string(), strategy),
        (
            "Partition".into(),
            partition.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("whenScaled".into(), when_scaled),
        ("whenDeleted".into(), when_deleted),
        (
            "Update Revision".into(),
            status.update_revision.clone().unwrap_or_default(),
        ),
        (
            "Current Revision".into(),
            status.current_revision.clone().unwrap_or_default(),
        ),
    ];
    finish(
        "statefulset",
        &s.name_any(),
        l,
        fields,
        event_table(events, now),
    )
}
