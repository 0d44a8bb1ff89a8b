//! Client-side patches: kubectl's apply patches (strategic merge), JSON patch, JSON merge patch,
//! identity and precondition checks.

use serde_json::json;

use super::*;

#[test]
fn content_types() {
    let cases = [
        ("application/json-patch+json", Some(PatchKind::Json)),
        (
            "application/merge-patch+json; charset=utf-8",
            Some(PatchKind::Merge),
        ),
        (
            "application/strategic-merge-patch+json",
            Some(PatchKind::Strategic),
        ),
        ("application/apply-patch+yaml", Some(PatchKind::Apply)),
        ("application/json", None),
    ];
    for (ct, want) in cases {
        assert_eq!(PatchKind::from_content_type(ct), want, "{ct}");
    }
}

#[test]
fn kubectl_image_change_keeps_the_rest_of_the_container() {
    let live = mysql_sts();
    let body = r#"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}\n"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"mysql"}],"containers":[{"image":"mysql:8.4","name":"mysql"}]}}}}"#;
    let out = run(PatchKind::Strategic, &live, body).unwrap();
    let mut want = live.clone();
    want["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!("{\"new\":true}\n");
    want["spec"]["template"]["spec"]["containers"][0]["image"] = json!("mysql:8.4");
    assert_eq!(out, want);
    let c = &out["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["env"][0]["valueFrom"]["secretKeyRef"]["name"],
        "mysql-secret"
    );
    assert_eq!(c["ports"][0]["containerPort"], 3306);
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/var/lib/mysql");
    assert_eq!(c["readinessProbe"]["periodSeconds"], 2);
}

#[test]
fn kube_wire_example_patch() {
    let out = run(
        PatchKind::Strategic,
        &mysql_sts(),
        r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"mysql"}],"containers":[{"image":"mysql:8.4","name":"mysql"}]}}}}"#,
    )
    .unwrap();
    let c = &out["spec"]["template"]["spec"]["containers"];
    assert_eq!(c.as_array().unwrap().len(), 1);
    assert_eq!(c[0]["image"], "mysql:8.4");
    assert_eq!(c[0]["env"].as_array().unwrap().len(), 2);
    // A naive JSON merge patch would have dropped env: the difference strategic merge makes.
    let naive = run(
        PatchKind::Merge,
        &mysql_sts(),
        r#"{"spec":{"template":{"spec":{"containers":[{"image":"mysql:8.4","name":"mysql"}]}}}}"#,
    )
    .unwrap();
    assert_eq!(
        naive["spec"]["template"]["spec"]["containers"],
        json!([{"image": "mysql:8.4", "name": "mysql"}])
    );
}

#[test]
fn kubectl_env_removal_and_addition() {
    let live = mysql_sts();
    let out = run(
        PatchKind::Strategic,
        &live,
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"mysql","env":[{"name":"X","$patch":"delete"}]}]}}}}"#,
    )
    .unwrap();
    let env = &out["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env.as_array().unwrap().len(), 1);
    assert_eq!(env[0]["name"], "MYSQL_ROOT_PASSWORD");
    // What kubectl sends when the manifest adds Y before X: order, then new element.
    let out = run(
        PatchKind::Strategic,
        &live,
        r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"mysql"}],"containers":[{"$setElementOrder/env":[{"name":"MYSQL_ROOT_PASSWORD"},{"name":"Y"},{"name":"X"}],"env":[{"name":"Y","value":"2"}],"name":"mysql"}]}}}}"#,
    )
    .unwrap();
    let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["MYSQL_ROOT_PASSWORD", "Y", "X"]);
}

#[test]
fn kubectl_field_removal_by_null() {
    let out = run(
        PatchKind::Strategic,
        &mysql_sts(),
        r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"mysql"}],"containers":[{"name":"mysql","readinessProbe":null}]}}}}"#,
    )
    .unwrap();
    let c = &out["spec"]["template"]["spec"]["containers"][0];
    assert!(c.get("readinessProbe").is_none());
    assert_eq!(c["image"], "mysql:8.0");
}

#[test]
fn json_patch_operations_and_errors() {
    let live = mysql_sts();
    let out = run(
        PatchKind::Json,
        &live,
        r#"[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":5},{"op":"add","path":"/metadata/labels/tier","value":"db"}]"#,
    )
    .unwrap();
    assert_eq!(out["spec"]["replicas"], 5);
    assert_eq!(out["metadata"]["labels"]["tier"], "db");

    let cases: &[(&str, u16)] = &[
        (r#"[{"op":"test","path":"/spec/replicas","value":4}]"#, 422),
        (r#"[{"op":"remove","path":"/spec/nothing"}]"#, 422),
        (
            r#"[{"op":"replace","path":"/spec/template/spec/containers/7/image","value":"x"}]"#,
            422,
        ),
        (r#"[{"op":"explode","path":"/spec"}]"#, 400),
        (r#"{"op":"add"}"#, 400),
        ("not json", 400),
        (r#"[{"op":"replace","path":"/kind","value":"Pod"}]"#, 422),
        (
            r#"[{"op":"replace","path":"/apiVersion","value":"apps/v2"}]"#,
            422,
        ),
        (
            r#"[{"op":"replace","path":"/metadata/name","value":"other"}]"#,
            400,
        ),
        (r#"[{"op":"remove","path":"/metadata/namespace"}]"#, 400),
        (
            r#"[{"op":"replace","path":"/metadata/resourceVersion","value":"1"}]"#,
            409,
        ),
    ];
    for (body, code) in cases {
        let err = run(PatchKind::Json, &live, body).expect_err(body);
        assert_eq!(err.code, *code, "{body}: {err}");
    }
    let err = run(
        PatchKind::Json,
        &live,
        r#"[{"op":"test","path":"/spec/replicas","value":4}]"#,
    )
    .unwrap_err();
    assert!(err.message.contains("/spec/replicas"), "{}", err.message);
}

#[test]
fn merge_and_strategic_identity_and_preconditions() {
    let live = mysql_sts();
    let cases: &[(PatchKind, &str, u16)] = &[
        (PatchKind::Merge, r#"{"metadata":{"name":"other"}}"#, 400),
        (PatchKind::Merge, r#"{"kind":"Pod"}"#, 422),
        (
            PatchKind::Strategic,
            r#"{"apiVersion":"apps/v1beta1"}"#,
            422,
        ),
        (PatchKind::Strategic, r#"{"metadata":{"name":null}}"#, 400),
        (
            PatchKind::Strategic,
            r#"{"metadata":{"resourceVersion":"999"}}"#,
            409,
        ),
        (
            PatchKind::Merge,
            r#"{"metadata":{"resourceVersion":"999"}}"#,
            409,
        ),
        (PatchKind::Strategic, "{not json", 400),
        (PatchKind::Merge, "[1,2]", 400),
        (PatchKind::Strategic, "[1,2]", 400),
        (
            PatchKind::Strategic,
            r#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#,
            422,
        ),
    ];
    for (kind, body, code) in cases {
        let err = run(*kind, &live, body).expect_err(body);
        assert_eq!(err.code, *code, "{kind:?} {body}: {err}");
    }
    let err = run(
        PatchKind::Merge,
        &live,
        r#"{"metadata":{"resourceVersion":"999"}}"#,
    )
    .unwrap_err();
    assert!(err.message.contains("the object has been modified"));
    // The current resourceVersion is a precondition that holds.
    let out = run(
        PatchKind::Strategic,
        &live,
        r#"{"metadata":{"resourceVersion":"1234","labels":{"tier":"db"}}}"#,
    )
    .unwrap();
    assert_eq!(
        out["metadata"]["labels"],
        json!({"app": "mysql", "tier": "db"})
    );
    // A merge patch's null deletes; its lists replace.
    let out = run(PatchKind::Merge, &live, r#"{"spec":{"replicas":null}}"#).unwrap();
    assert!(out["spec"].get("replicas").is_none());
}
