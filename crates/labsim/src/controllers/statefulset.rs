//! The StatefulSet controller, after `pkg/controller/statefulset` in Kubernetes: ordinal pods
//! `<set>-<i>` with stable claims from `volumeClaimTemplates`, OrderedReady (one at a time,
//! waiting for Running+Ready) or Parallel management, scale-down from the highest ordinal,
//! ControllerRevisions and RollingUpdate/OnDelete updates, the PVC retention policy, and status.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::revisions::{ensure_revision, revision_template, trim_history};
use super::ControllerError;
use crate::api_error::ApiError;
use crate::objects::events::EventRecorder;
use crate::objects::{
    condition, controller_uid, delete_pod, is_terminating, name, namespace, owner_ref,
    pod_running_and_ready, uid,
};
use crate::resources::get;
use crate::store::selector::LabelSelector;
use crate::store::Store;

pub const COMPONENT: &str = "statefulset-controller";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// The parts of a StatefulSet spec that steer the controller, with the API defaults applied.
#[derive(Debug, Clone)]
struct Policy {
    replicas: i64,
    start: i64,
    parallel: bool,
    on_delete: bool,
    partition: i64,
    delete_when_deleted: bool,
    delete_when_scaled: bool,
    min_ready_seconds: i64,
    history_limit: usize,
}

impl Policy {
    fn of(set: &Value) -> Policy {
        let spec = &set["spec"];
        let retention = &spec["persistentVolumeClaimRetentionPolicy"];
        Policy {
            replicas: spec["replicas"].as_i64().unwrap_or(1).max(0),
            start: spec["ordinals"]["start"].as_i64().unwrap_or(0).max(0),
            parallel: spec["podManagementPolicy"] == "Parallel",
            on_delete: spec["updateStrategy"]["type"] == "OnDelete",
            partition: spec["updateStrategy"]["rollingUpdate"]["partition"]
                .as_i64()
                .unwrap_or(0),
            delete_when_deleted: retention["whenDeleted"] == "Delete",
            delete_when_scaled: retention["whenScaled"] == "Delete",
            min_ready_seconds: spec["minReadySeconds"].as_i64().unwrap_or(0),
            history_limit: spec["revisionHistoryLimit"].as_u64().unwrap_or(10) as usize,
        }
    }
}

/// The ordinal of a pod named `<set>-<n>`.
pub fn ordinal(set_name: &str, pod_name: &str) -> Option<i64> {
    let rest = pod_name.strip_prefix(set_name)?.strip_prefix('-')?;
    if rest.is_empty()
        || !rest.bytes().all(|b| b.is_ascii_digit())
        || (rest.len() > 1 && rest.starts_with('0'))
    {
        return None;
    }
    rest.parse().ok()
}

/// Claim name for template `tmpl` and ordinal `ord`: `<template>-<set>-<ordinal>`.
pub fn claim_name(tmpl: &Value, set_name: &str, ord: i64) -> String {
    format!("{}-{}-{}", name(tmpl), set_name, ord)
}

fn claim_templates(set: &Value) -> Vec<&Value> {
    set["spec"]["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

/// Reconciles every StatefulSet; one set's failure does not stop the others.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    let (sets, _) = store.list(get("StatefulSet"), None);
    let mut first_err = None;
    for set in &sets {
        if let Err(e) = sync(store, set) {
            tracing::warn!("statefulset {}/{}: {e}", namespace(set), name(set));
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// The pod for ordinal `ord` built from `template` at revision `rev`.
fn new_pod(set: &Value, template: &Value, rev: &str, ord: i64) -> Value {
    let set_name = name(set);
    let pod_name = format!("{set_name}-{ord}");
    let mut labels = match &template["metadata"]["labels"] {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    labels.insert(POD_NAME_LABEL.into(), json!(pod_name));
    labels.insert(POD_INDEX_LABEL.into(), json!(ord.to_string()));
    labels.insert(REVISION_LABEL.into(), json!(rev));
    let mut metadata = json!({
        "name": pod_name,
        "namespace": namespace(set),
        "labels": labels,
        "ownerReferences": [owner_ref(set, true)],
    });
    if template["metadata"]["annotations"].is_object() {
        metadata["annotations"] = template["metadata"]["annotations"].clone();
    }
    let mut spec = template["spec"].clone();
    if !spec.is_object() {
        spec = json!({});
    }
    spec["hostname"] = json!(pod_name);
    if let Some(svc) = set["spec"]["serviceName"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        spec["subdomain"] = json!(svc);
    }
    let mut volumes: Vec<Value> = spec["volumes"].as_array().cloned().unwrap_or_default();
    for tmpl in claim_templates(set) {
        volumes.retain(|v| v["name"] != tmpl["metadata"]["name"]);
        volumes.push(json!({
            "name": name(tmpl),
            "persistentVolumeClaim": {"claimName": claim_name(tmpl, set_name, ord)},
        }));
    }
    if !volumes.is_empty() {
        spec["volumes"] = Value::Array(volumes);
    }
    json!({"metadata": metadata, "spec": spec})
}

/// The claim for template `tmpl` and ordinal `ord`.
fn new_claim(set: &Value, tmpl: &Value, ord: i64) -> Value {
    let mut labels = match &tmpl["metadata"]["labels"] {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in set["spec"]["selector"]["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
    {
        labels.insert(k.clone(), v.clone());
    }
    let mut claim = json!({
        "metadata": {
            "name": claim_name(tmpl, name(set), ord),
            "namespace": namespace(set),
            "labels": labels,
        },
        "spec": tmpl["spec"],
        "status": {"phase": "Pending"},
    });
    if tmpl["metadata"]["annotations"].is_object() {
        claim["metadata"]["annotations"] = tmpl["metadata"]["annotations"].clone();
    }
    claim
}

/// Makes a claim's owner references say what the retention policy wants: the set when
/// `whenDeleted: Delete`; the pod instead when `whenScaled: Delete` and the pod is being scaled
/// away.
fn sync_claim_owners(
    store: &Store,
    set: &Value,
    policy: &Policy,
    ord: i64,
    pod: Option<&Value>,
    condemned: bool,
) -> Result<(), ControllerError> {
    let pod_name = format!("{}-{ord}", name(set));
    for tmpl in claim_templates(set) {
        let claim = claim_name(tmpl, name(set), ord);
        let result = store.modify(
            get("PersistentVolumeClaim"),
            Some(namespace(set)),
            &claim,
            |c| {
                let mut refs: Vec<Value> = c["metadata"]["ownerReferences"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                refs.retain(|r| {
                    r["uid"] != uid(set) && !(r["kind"] == "Pod" && r["name"] == pod_name.as_str())
                });
                // A condemned pod's claim follows the pod alone (as upstream does), so it goes
                // when the pod goes even though the set lives on.
                // Controller references, as stateful_set_utils.go's addControllerRef makes them
                // (`controller: true`, `blockOwnerDeletion: true`).
                match pod.filter(|_| condemned && policy.delete_when_scaled) {
                    Some(p) => refs.push(owner_ref(p, true)),
                    None if policy.delete_when_deleted => refs.push(owner_ref(set, true)),
                    None => {}
                }
                if refs.is_empty() {
                    if let Some(m) = c["metadata"].as_object_mut() {
                        m.remove("ownerReferences");
                    }
                } else {
                    c["metadata"]["ownerReferences"] = Value::Array(refs);
                }
            },
        );
        match result {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Creates the missing claims of ordinal `ord`. Returns false when a claim is being deleted
/// (the pod must wait for it to go, as the real controller does).
fn create_claims(
    store: &Store,
    set: &Value,
    policy: &Policy,
    ord: i64,
) -> Result<bool, ControllerError> {
    let rt = get("PersistentVolumeClaim");
    let pod_name = format!("{}-{ord}", name(set));
    for tmpl in claim_templates(set) {
        let claim = claim_name(tmpl, name(set), ord);
        match store.get(rt, Some(namespace(set)), &claim) {
            Ok(c) if is_terminating(&c) => return Ok(false),
            Ok(_) => {}
            Err(_) => {
                let mut obj = new_claim(set, tmpl, ord);
                crate::objects::defaults::apply(store, rt, &mut obj, None);
                if policy.delete_when_deleted {
                    obj["metadata"]["ownerReferences"] = json!([owner_ref(set, true)]);
                }
                match store.create(rt, Some(namespace(set)), obj) {
                    Ok(_) => {
                        EventRecorder::record(
                            store,
                            set,
                            "Normal",
                            "SuccessfulCreate",
                            &format!(
                                "create Claim {claim} Pod {pod_name} in StatefulSet {} success",
                                name(set)
                            ),
                            COMPONENT,
                        )?;
                    }
                    Err(e) if e.code == 409 => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(true)
}

fn create_pod(store: &Store, set: &Value, mut pod: Value) -> Result<(), ControllerError> {
    // Created behind the API's back, so defaulted and admitted here by the API's own rules.
    crate::objects::defaults::apply(store, get("Pod"), &mut pod, None);
    let pod_name = name(&pod).to_string();
    let created = store.create(get("Pod"), Some(namespace(set)), pod);
    // A namesake not owned by this set (or a racing creator) holds the name: 409.
    report(
        store,
        set,
        created,
        409,
        "SuccessfulCreate",
        "create",
        &pod_name,
    )
}

fn remove_pod(store: &Store, set: &Value, pod: &Value) -> Result<(), ControllerError> {
    let deleted = delete_pod(store, pod);
    report(
        store,
        set,
        deleted,
        404,
        "SuccessfulDelete",
        "delete",
        name(pod),
    )
}

/// The set's event for a pod it created or deleted (`verb`); the error `benign` (someone else
/// got there first) is no failure.
fn report(
    store: &Store,
    set: &Value,
    result: Result<Value, ApiError>,
    benign: u16,
    reason: &str,
    verb: &str,
    pod: &str,
) -> Result<(), ControllerError> {
    match result {
        Ok(_) => {
            let message = format!("{verb} Pod {pod} in StatefulSet {} successful", name(set));
            EventRecorder::record(store, set, "Normal", reason, &message, COMPONENT)?;
            Ok(())
        }
        Err(e) if e.code == benign => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn healthy(pod: &Value) -> bool {
    pod_running_and_ready(pod) && !is_terminating(pod)
}

/// Ready for at least `minReadySeconds`.
fn available(pod: &Value, min_ready_seconds: i64, now: DateTime<Utc>) -> bool {
    if !pod_running_and_ready(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    condition(pod, "Ready")
        .and_then(|c| c["lastTransitionTime"].as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| now.signed_duration_since(t).num_seconds() >= min_ready_seconds)
}

fn pod_revision(pod: &Value) -> &str {
    pod["metadata"]["labels"][REVISION_LABEL]
        .as_str()
        .unwrap_or("")
}

/// One StatefulSet: revisions, pods and claims, then status.
pub fn sync(store: &Store, set: &Value) -> Result<(), ControllerError> {
    if is_terminating(set) {
        return Ok(());
    }
    let selector = LabelSelector::from_spec(&set["spec"]["selector"]);
    if selector.is_empty() {
        // Validation would have refused it; an empty selector would adopt everything.
        return Ok(());
    }
    let policy = Policy::of(set);
    let ns = namespace(set);
    let (update_rev, collisions) = ensure_revision(store, set)?;
    let current_rev = set["status"]["currentRevision"]
        .as_str()
        .filter(|r| store.get(get("ControllerRevision"), Some(ns), r).is_ok())
        .unwrap_or(&update_rev)
        .to_string();
    adopt_orphans(store, set, &selector)?;
    act(store, set, &policy, &current_rev, &update_rev)?;
    trim_history(
        store,
        set,
        &owned_pods(store, set),
        policy.history_limit,
        &current_rev,
        &update_rev,
    )?;
    update_status(store, set, &policy, &current_rev, &update_rev, collisions)
}

/// The set's own pods (controller reference to it).
fn owned_pods(store: &Store, set: &Value) -> Vec<Value> {
    let (pods, _) = store.list(get("Pod"), Some(namespace(set)));
    pods.into_iter()
        .filter(|p| controller_uid(p) == Some(uid(set)))
        .collect()
}

/// Takes over pods that match the selector, carry one of the set's ordinal names and have no
/// controller (e.g. left behind by `kubectl delete sts --cascade=orphan`), as upstream does.
fn adopt_orphans(
    store: &Store,
    set: &Value,
    selector: &LabelSelector,
) -> Result<(), ControllerError> {
    let (pods, _) = store.list(get("Pod"), Some(namespace(set)));
    // Adopt only for a set that is still there and not being deleted, read again now (`set` may
    // be older than an orphaning DELETE): ClaimPods' RecheckDeletionTimestamp
    // (pkg/controller/statefulset/stateful_set.go, controller_ref_manager.go).
    let fresh = store.get(get("StatefulSet"), Some(namespace(set)), name(set));
    if !fresh.is_ok_and(|s| uid(&s) == uid(set) && !is_terminating(&s)) {
        return Ok(());
    }
    for pod in pods.iter().filter(|p| {
        controller_uid(p).is_none()
            && !is_terminating(p)
            && selector.matches(p)
            && ordinal(name(set), name(p)).is_some()
    }) {
        store.modify(get("Pod"), Some(namespace(set)), name(pod), |p| {
            if controller_uid(p).is_some() {
                return;
            }
            let mut refs = p["metadata"]["ownerReferences"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            refs.push(owner_ref(set, true));
            p["metadata"]["ownerReferences"] = Value::Array(refs);
        })?;
    }
    Ok(())
}

/// Creates, deletes and updates pods: at most one step at a time under OrderedReady.
fn act(
    store: &Store,
    set: &Value,
    policy: &Policy,
    current_rev: &str,
    update_rev: &str,
) -> Result<(), ControllerError> {
    let set_name = name(set);
    let ns = namespace(set);
    let monotonic = !policy.parallel;
    let (start, end) = (policy.start, policy.start + policy.replicas);
    let mut slots: Vec<Option<Value>> = vec![None; policy.replicas as usize];
    let mut condemned: Vec<(i64, Value)> = Vec::new();
    for pod in owned_pods(store, set) {
        match ordinal(set_name, name(&pod)) {
            Some(o) if (start..end).contains(&o) => slots[(o - start) as usize] = Some(pod),
            Some(o) => condemned.push((o, pod)),
            None => {}
        }
    }
    condemned.sort_by_key(|(o, _)| std::cmp::Reverse(*o));

    for (i, slot) in slots.iter().enumerate() {
        let ord = start + i as i64;
        sync_claim_owners(store, set, policy, ord, slot.as_ref(), false)?;
    }
    for (ord, pod) in &condemned {
        sync_claim_owners(store, set, policy, *ord, Some(pod), true)?;
    }

    // The first unhealthy pod: of the replicas in order, else of the condemned from the lowest
    // ordinal (stateful_set_control.go, before processCondemned).
    let first_unhealthy: Option<String> = slots
        .iter()
        .flatten()
        .chain(condemned.iter().rev().map(|(_, p)| p))
        .find(|p| !healthy(p))
        .map(|p| name(p).to_string());
    let now = Utc::now();

    for (i, slot) in slots.iter().enumerate() {
        let ord = start + i as i64;
        match slot {
            None => {
                if create_claims(store, set, policy, ord)? {
                    // New pods get the update revision unless a partition holds them back.
                    let use_current =
                        !policy.on_delete && ord < policy.partition && current_rev != update_rev;
                    let (template, rev) = match use_current
                        .then(|| revision_template(store, ns, current_rev))
                        .flatten()
                    {
                        Some(t) => (t, current_rev),
                        None => (set["spec"]["template"].clone(), update_rev),
                    };
                    create_pod(store, set, new_pod(set, &template, rev, ord))?;
                }
                if monotonic {
                    return Ok(());
                }
            }
            Some(pod) => {
                if pod["status"]["phase"] == "Failed" && !is_terminating(pod) {
                    remove_pod(store, set, pod)?;
                    if monotonic {
                        return Ok(());
                    }
                    continue;
                }
                // Each predecessor must be Running, Ready and Available (minReadySeconds)
                // before the next is created.
                if is_terminating(pod) || !available(pod, policy.min_ready_seconds, now) {
                    if monotonic {
                        return Ok(());
                    }
                    continue;
                }
                // A claim deleted under a running pod is re-created for its next start.
                create_claims(store, set, policy, ord)?;
            }
        }
    }

    // processCondemned, highest ordinal first: a condemned pod that is not Running, Ready and
    // Available blocks the scale-down unless it is the first unhealthy pod; other pods'
    // health does not hold back a healthy one.
    for (_, pod) in &condemned {
        if is_terminating(pod) {
            if monotonic {
                return Ok(());
            }
            continue;
        }
        let is_first_unhealthy = first_unhealthy.as_deref() == Some(name(pod));
        if monotonic && !available(pod, policy.min_ready_seconds, now) && !is_first_unhealthy {
            return Ok(());
        }
        remove_pod(store, set, pod)?;
        if monotonic {
            return Ok(());
        }
    }

    if policy.on_delete {
        return Ok(());
    }
    for (i, slot) in slots.iter().enumerate().rev() {
        let ord = start + i as i64;
        if ord < policy.partition {
            break;
        }
        let Some(pod) = slot else {
            return Ok(());
        };
        if pod_revision(pod) != update_rev && !is_terminating(pod) {
            return remove_pod(store, set, pod);
        }
        // The rolling update waits for the updated pod to be Available (minReadySeconds).
        if !healthy(pod) || !available(pod, policy.min_ready_seconds, now) {
            return Ok(());
        }
    }
    Ok(())
}

fn update_status(
    store: &Store,
    set: &Value,
    policy: &Policy,
    current_rev: &str,
    update_rev: &str,
    collisions: i64,
) -> Result<(), ControllerError> {
    let now = Utc::now();
    let pods = owned_pods(store, set);
    let (mut replicas, mut ready, mut avail, mut current, mut updated) = (0, 0, 0, 0, 0);
    for p in &pods {
        if ordinal(name(set), name(p)).is_none() {
            continue;
        }
        replicas += 1;
        if pod_running_and_ready(p) {
            ready += 1;
            if available(p, policy.min_ready_seconds, now) {
                avail += 1;
            }
        }
        if !is_terminating(p) {
            if pod_revision(p) == current_rev {
                current += 1;
            }
            if pod_revision(p) == update_rev {
                updated += 1;
            }
        }
    }
    let mut current_rev = current_rev.to_string();
    if !policy.on_delete
        && updated == replicas
        && ready == replicas
        && replicas as i64 == policy.replicas
    {
        current_rev = update_rev.to_string();
        current = updated;
    }
    let mut status = json!({
        "observedGeneration": set["metadata"]["generation"].as_i64().unwrap_or(1),
        "replicas": replicas,
        "availableReplicas": avail,
        "currentRevision": current_rev,
        "updateRevision": update_rev,
        "collisionCount": collisions,
    });
    // apps/v1 StatefulSetStatus: these are `omitempty`, so a zero is not written (`replicas`
    // and `availableReplicas` are not, and `collisionCount` is a pointer the controller sets).
    for (field, n) in [
        ("readyReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
    ] {
        if n != 0 {
            status[field] = json!(n);
        }
    }
    match store.modify(get("StatefulSet"), Some(namespace(set)), name(set), |s| {
        if uid(s) == uid(set) {
            s["status"] = status;
        }
    }) {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_parse_strictly() {
        assert_eq!(ordinal("mysql", "mysql-0"), Some(0));
        assert_eq!(ordinal("mysql", "mysql-12"), Some(12));
        assert_eq!(ordinal("mysql", "mysql-01"), None);
        assert_eq!(ordinal("mysql", "mysql-x"), None);
        assert_eq!(ordinal("mysql", "mysqlx-1"), None);
        assert_eq!(ordinal("my", "my-sql-1"), None);
    }
}
