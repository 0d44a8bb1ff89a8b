//! Tests of [`super::patch`] on whole objects, by what they test: `patches.rs` kubectl's
//! client-side apply patches against a StatefulSet like the lab's MySQL one, JSON and merge
//! patches, identity and precondition checks; `apply.rs` server-side apply (create, no-op,
//! removal, two managers, conflicts). This file holds the live StatefulSet both start from.

use serde_json::{json, Value};

use super::*;
use crate::resources::get;

mod apply;
mod patches;

/// A live StatefulSet as the store holds it after `kubectl apply -f 1-sts-mysql.yaml`.
fn mysql_sts() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "mysql",
            "namespace": "default",
            "uid": "6f1e0a52-2b1c-4a55-9c4e-0d4b8b6c1f00",
            "resourceVersion": "1234",
            "generation": 1,
            "creationTimestamp": "2026-11-25T02:00:00Z",
            "labels": {"app": "mysql"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"annotations\":{},\"name\":\"mysql\",\"namespace\":\"default\"}}\n"
            }
        },
        "spec": {
            "serviceName": "mysql",
            "replicas": 3,
            "selector": {"matchLabels": {"app": "mysql"}},
            "template": {
                "metadata": {"labels": {"app": "mysql"}},
                "spec": {
                    "containers": [{
                        "name": "mysql",
                        "image": "mysql:8.0",
                        "env": [
                            {"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "password"}}},
                            {"name": "X", "value": "1"}
                        ],
                        "ports": [{"containerPort": 3306, "name": "mysql", "protocol": "TCP"}],
                        "volumeMounts": [{"name": "mysql-data", "mountPath": "/var/lib/mysql"}],
                        "readinessProbe": {
                            "exec": {"command": ["mysql", "-h", "127.0.0.1", "-e", "SELECT 1"]},
                            "initialDelaySeconds": 5,
                            "periodSeconds": 2
                        }
                    }]
                }
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "mysql-data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard",
                    "resources": {"requests": {"storage": "1Gi"}}
                }
            }]
        },
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

fn sts() -> &'static crate::resources::ResourceType {
    get("StatefulSet")
}

fn run(kind: PatchKind, live: &Value, body: &str) -> Result<Value, ApiError> {
    patch(
        sts(),
        Some(live),
        kind,
        body.as_bytes(),
        "kubectl-client-side-apply",
        false,
    )
}
