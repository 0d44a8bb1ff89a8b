//! The scheduler's VolumeBinding filter: a pod's claims must exist and not be terminating; an
//! unbound claim of an `Immediate` class blocks the pod (`pod has unbound immediate
//! PersistentVolumeClaims`); an unbound claim of a `WaitForFirstConsumer` class is given the
//! chosen node (`volume.kubernetes.io/selected-node`, for the provisioner); a bound claim's PV
//! with required node affinity limits the pod to the nodes it matches
//! (pkg/scheduler/framework/plugins/volumebinding).

use serde_json::{json, Value};

use super::provisioner::SELECTED_NODE;
use super::ControllerError;
use crate::objects::{is_terminating, namespace, pod_claims};
use crate::resources::get;
use crate::store::Store;

/// What the pod's claims ask of the node.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    /// `nodeSelectorTerms` of the bound PVs that have a required node affinity.
    pub pv_affinities: Vec<Value>,
    /// Unbound `WaitForFirstConsumer` claims, to be given the chosen node.
    pub delayed: Vec<String>,
}

/// The pod's claims, or the PreFilter's reason why no node can do.
pub fn check(store: &Store, pod: &Value) -> Result<Claims, String> {
    let ns = namespace(pod);
    let mut out = Claims::default();
    let mut unbound = false;
    for claim in pod_claims(pod) {
        let pvc = store
            .get(get("PersistentVolumeClaim"), Some(ns), claim)
            .map_err(|_| format!("persistentvolumeclaim \"{claim}\" not found"))?;
        if is_terminating(&pvc) {
            return Err(format!(
                "persistentvolumeclaim \"{claim}\" is being deleted"
            ));
        }
        let volume = pvc["spec"]["volumeName"].as_str().unwrap_or("");
        if pvc["status"]["phase"] == "Bound" {
            if let Ok(pv) = store.get(get("PersistentVolume"), None, volume) {
                let terms = &pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"];
                if terms.is_array() {
                    out.pv_affinities.push(terms.clone());
                }
            }
            continue;
        }
        let delayed = pvc["spec"]["storageClassName"]
            .as_str()
            .and_then(|c| store.get(get("StorageClass"), None, c).ok())
            .is_some_and(|c| c["volumeBindingMode"] == "WaitForFirstConsumer");
        if delayed {
            out.delayed.push(claim.to_string());
        } else {
            unbound = true;
        }
    }
    if unbound {
        return Err("pod has unbound immediate PersistentVolumeClaims".into());
    }
    Ok(out)
}

/// Gives each delayed claim its node (once: a claim keeps the node it was first given).
pub fn select_node(
    store: &Store,
    ns: &str,
    claims: &[String],
    node: &str,
) -> Result<(), ControllerError> {
    for claim in claims {
        let pvc = store.get(get("PersistentVolumeClaim"), Some(ns), claim)?;
        if pvc["metadata"]["annotations"][SELECTED_NODE].is_string() {
            continue;
        }
        store.modify(get("PersistentVolumeClaim"), Some(ns), claim, |c| {
            if !c["metadata"]["annotations"].is_object() {
                c["metadata"]["annotations"] = json!({});
            }
            c["metadata"]["annotations"][SELECTED_NODE] = json!(node);
        })?;
    }
    Ok(())
}
