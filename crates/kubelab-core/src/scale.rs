//! `scale(name, replicas)`: `kubectl scale statefulset NAME --replicas=N` through the
//! StatefulSet's scale subresource.

use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::{Patch, PatchParams};

use crate::change::ChangeReport;
use crate::error::Result;
use crate::lab::Lab;

impl Lab {
    /// `kubectl scale statefulset NAME --replicas=N`.
    pub async fn scale(&self, name: &str, replicas: i32) -> Result<ChangeReport> {
        crate::out::cmd(&format!(
            "kubectl scale statefulset {name} --replicas={replicas}"
        ));
        if self
            .call("get statefulset", self.api::<StatefulSet>().get_opt(name))
            .await?
            .is_none()
        {
            return Err(self
                .not_found::<StatefulSet>("statefulset", "statefulsets", name)
                .await);
        }
        let patch = serde_json::json!({"spec": {"replicas": replicas}});
        self.call(
            "kubectl scale",
            self.api::<StatefulSet>().patch_scale(
                name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            ),
        )
        .await?;
        let mut r = ChangeReport::default();
        r.line(format!("statefulset.apps/{name} scaled"));
        Ok(r)
    }
}
