//! `kubectl describe pvc`: StorageClass, status, volume, capacity, access modes, the pods using it.

use super::*;

/// A claim: class, phase, volume, capacity, the pods that use it, Events.
pub fn describe_pvc(
    c: &PersistentVolumeClaim,
    used_by: &[String],
    events: &[Event],
    now: DateTime<Utc>,
) -> Description {
    let mut l = Lines::new(15);
    let spec = c.spec.clone().unwrap_or_default();
    let status = c.status.clone().unwrap_or_default();
    let phase = if c.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.clone().unwrap_or_else(|| "Pending".into())
    };
    let class = spec.storage_class_name.clone().unwrap_or_default();
    l.kv(0, "Name", &c.name_any());
    l.kv(0, "Namespace", &c.namespace().unwrap_or_default());
    l.kv(0, "StorageClass", &class);
    l.kv(0, "Status", &phase);
    l.kv(0, "Volume", spec.volume_name.as_deref().unwrap_or(""));
    l.map("Labels", c.labels());
    l.map("Annotations", c.annotations());
    l.kv(0, "Finalizers", &format!("[{}]", c.finalizers().join(" ")));
    let cap = status
        .capacity
        .as_ref()
        .and_then(|m| m.get("storage"))
        .map(|q| q.0.clone())
        .unwrap_or_default();
    l.kv(0, "Capacity", &cap);
    let modes = if cap.is_empty() {
        String::new()
    } else {
        status
            .access_modes
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|m| match m.as_str() {
                "ReadWriteOnce" => "RWO",
                "ReadOnlyMany" => "ROX",
                "ReadWriteMany" => "RWX",
                "ReadWriteOncePod" => "RWOP",
                o => o,
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    l.kv(0, "Access Modes", &modes);
    l.kv(
        0,
        "VolumeMode",
        spec.volume_mode.as_deref().unwrap_or("Filesystem"),
    );
    let users = if used_by.is_empty() {
        "<none>".to_string()
    } else {
        used_by.join(", ")
    };
    l.kv(0, "Used By", &users);
    let fields = vec![
        ("Status".to_string(), phase),
        ("StorageClass".into(), class),
        (
            "Volume".into(),
            spec.volume_name.clone().unwrap_or_default(),
        ),
        ("Used By".into(), users),
    ];
    finish("pvc", &c.name_any(), l, fields, event_table(events, now))
}
