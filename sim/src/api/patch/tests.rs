//! Tests of [`super::patch`] across the four patch types.

use serde_json::json;

use super::*;
use crate::resources::get;

#[test]
fn placeholder_compiles() {
    let sts = json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql","resourceVersion":"5"}});
    let out = patch(get("StatefulSet"), Some(&sts), PatchKind::Merge, br#"{"spec":{"replicas":3}}"#, "", false).unwrap();
    assert_eq!(out["spec"]["replicas"], 3);
}
