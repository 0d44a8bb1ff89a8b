//! What this process applied and deleted, remembered across calls: `cleanup` deletes what was
//! applied, `wait_ready` waits for a pod with a new UID after `delete_pod`.

use std::collections::HashMap;
use std::sync::Mutex;

/// An object applied by this process (for `cleanup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

pub(crate) static APPLIED: Mutex<Vec<Applied>> = Mutex::new(Vec::new());
/// Pod name -> UID it had when this process deleted it (for `wait_ready`).
static DELETED_UIDS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

pub(crate) fn remember_deleted(name: &str, uid: &str) {
    DELETED_UIDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(name.to_string(), uid.to_string());
}

pub(crate) fn deleted_uid(name: &str) -> Option<String> {
    DELETED_UIDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(name).cloned())
}
