//! Server-side apply: create, no-op, removal, two managers sharing or conflicting, refusals,
//! list order, and the managedFields of the lab's StatefulSet (golden file).

use serde_json::{json, Value};

use super::*;

const APPLY_YAML: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
  namespace: default
  labels:
    app: mysql
    tier: db
spec:
  serviceName: mysql
  replicas: 3
  selector:
    matchLabels:
      app: mysql
  template:
    metadata:
      labels:
        app: mysql
    spec:
      containers:
      - name: mysql
        image: mysql:8.0
        env:
        - name: MYSQL_ROOT_PASSWORD
          valueFrom:
            secretKeyRef:
              name: mysql-secret
              key: password
        ports:
        - containerPort: 3306
          name: mysql
        volumeMounts:
        - name: mysql-data
          mountPath: /var/lib/mysql
  volumeClaimTemplates:
  - metadata:
      name: mysql-data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
"#;

fn ssa(
    live: Option<&Value>,
    body: &str,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApiError> {
    crate::api::patch::apply::apply(sts(), live, body.as_bytes(), manager, force, now)
}

/// What the store adds when it commits an object.
fn stored(mut v: Value, rv: &str) -> Value {
    v["metadata"]["uid"] = json!("u-1");
    v["metadata"]["creationTimestamp"] = json!("2026-11-25T02:00:00Z");
    v["metadata"]["resourceVersion"] = json!(rv);
    v
}

fn managers(v: &Value) -> Vec<(String, String)> {
    v["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["manager"].as_str().unwrap().to_string(),
                m["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(v: &Value, manager: &str) -> fieldset::FieldSet {
    let entry = v["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["manager"] == manager)
        .unwrap_or_else(|| panic!("no entry for {manager}"));
    fieldset::from_fields_v1(&entry["fieldsV1"]).unwrap()
}

fn f(path: &str) -> Vec<fieldset::Seg> {
    path.split('.')
        .map(|s| fieldset::Seg::Field(s.into()))
        .collect()
}

#[test]
fn apply_creates_with_managed_fields() {
    let out = ssa(None, APPLY_YAML, "kubelab", true, "2026-11-25T03:00:00Z").unwrap();
    assert_eq!(out["metadata"]["name"], "mysql");
    assert_eq!(out["spec"]["replicas"], 3);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
            ["key"],
        "password"
    );
    let mf = &out["metadata"]["managedFields"];
    assert_eq!(mf.as_array().unwrap().len(), 1);
    let e = &mf[0];
    assert_eq!(e["manager"], "kubelab");
    assert_eq!(e["operation"], "Apply");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["time"], "2026-11-25T03:00:00Z");
    assert_eq!(e["fieldsType"], "FieldsV1");
    let v1 = &e["fieldsV1"];
    assert_eq!(v1["f:spec"]["f:replicas"], json!({}));
    assert_eq!(v1["f:metadata"]["f:labels"]["f:tier"], json!({}));
    assert!(
        v1["f:metadata"].get("f:name").is_none(),
        "name is not owned"
    );
    let c = &v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"mysql\"}"];
    assert_eq!(c["."], json!({}));
    assert_eq!(c["f:image"], json!({}));
    assert_eq!(
        c["f:env"]["k:{\"name\":\"MYSQL_ROOT_PASSWORD\"}"]["f:valueFrom"]["f:secretKeyRef"]
            ["f:key"],
        json!({})
    );
    assert_eq!(
        c["f:ports"]["k:{\"containerPort\":3306}"]["f:name"],
        json!({})
    );
    assert_eq!(
        v1["f:spec"]["f:volumeClaimTemplates"],
        json!({}),
        "atomic list owned whole"
    );
    // The same body as JSON is accepted too.
    let as_json: Value = serde_yaml::from_str(APPLY_YAML).unwrap();
    let out2 = ssa(
        None,
        &as_json.to_string(),
        "kubelab",
        true,
        "2026-11-25T03:00:00Z",
    )
    .unwrap();
    assert_eq!(out, out2);
}

#[test]
fn apply_unchanged_is_a_no_op() {
    let live = stored(
        ssa(None, APPLY_YAML, "kubelab", true, "2026-11-25T03:00:00Z").unwrap(),
        "10",
    );
    let again = ssa(
        Some(&live),
        APPLY_YAML,
        "kubelab",
        true,
        "2026-11-25T03:30:00Z",
    )
    .unwrap();
    assert_eq!(again, live);
}

#[test]
fn apply_without_a_field_removes_it() {
    let live = stored(
        ssa(None, APPLY_YAML, "kubelab", true, "2026-11-25T03:00:00Z").unwrap(),
        "10",
    );
    let smaller = APPLY_YAML
        .replace("    tier: db\n", "")
        .replace("  replicas: 3\n", "")
        .replace(
            "        ports:\n        - containerPort: 3306\n          name: mysql\n",
            "",
        )
        .replace("image: mysql:8.0", "image: mysql:8.4");
    let out = ssa(
        Some(&live),
        &smaller,
        "kubelab",
        true,
        "2026-11-25T03:30:00Z",
    )
    .unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"app": "mysql"}));
    assert!(out["spec"].get("replicas").is_none());
    let c = &out["spec"]["template"]["spec"]["containers"][0];
    assert!(c.get("ports").is_none(), "{c}");
    assert_eq!(c["image"], "mysql:8.4");
    assert_eq!(c["env"][0]["name"], "MYSQL_ROOT_PASSWORD");
    assert_eq!(out["metadata"]["uid"], "u-1");
    let e = &out["metadata"]["managedFields"][0];
    assert_eq!(e["time"], "2026-11-25T03:30:00Z");
    assert!(!owned(&out, "kubelab").contains(&f("spec.replicas")));
}

#[test]
fn two_managers_conflict_share_and_force() {
    let live = stored(ssa(None, APPLY_YAML, "kubelab", true, "t1").unwrap(), "10");
    let scale =
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\nspec:\n  replicas: 5\n";
    // Another applier setting a value the first owns: 409 listing the field.
    let err = ssa(Some(&live), scale, "scaler", false, "t2").unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"kubelab\" using apps/v1: .spec.replicas"
    );
    assert_eq!(err.causes[0].field, ".spec.replicas");
    assert_eq!(err.causes[0].reason, "FieldManagerConflict");
    // The same value is shared, no conflict.
    let same = scale.replace("5", "3");
    let shared = ssa(Some(&live), &same, "scaler", false, "t2").unwrap();
    assert!(owned(&shared, "kubelab").contains(&f("spec.replicas")));
    assert!(owned(&shared, "scaler").contains(&f("spec.replicas")));
    // Forced: the field changes hands.
    let forced = stored(ssa(Some(&live), scale, "scaler", true, "t2").unwrap(), "11");
    assert_eq!(forced["spec"]["replicas"], 5);
    assert_eq!(
        managers(&forced),
        [
            ("kubelab".into(), "Apply".into()),
            ("scaler".into(), "Apply".into())
        ]
    );
    assert!(!owned(&forced, "kubelab").contains(&f("spec.replicas")));
    assert!(owned(&forced, "scaler").contains(&f("spec.replicas")));
    // The first manager dropping replicas does not remove the scaler's value.
    let without = APPLY_YAML.replace("  replicas: 3\n", "");
    let out = ssa(Some(&forced), &without, "kubelab", false, "t3").unwrap();
    assert_eq!(out["spec"]["replicas"], 5);
    // Nor does the scaler dropping it remove a field someone else still owns.
    let shared = stored(shared, "12");
    let out = ssa(
        Some(&shared),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\n",
        "scaler",
        false,
        "t3",
    )
    .unwrap();
    assert_eq!(out["spec"]["replicas"], 3);
    assert_eq!(
        managers(&out),
        [("kubelab".to_string(), "Apply".to_string())]
    );
}

#[test]
fn two_managers_share_a_keyed_list() {
    let live = stored(ssa(None, APPLY_YAML, "kubelab", true, "t1").unwrap(), "10");
    let sidecar = r#"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql"},
        "spec":{"template":{"spec":{"containers":[{"name":"exporter","image":"exporter:1"}]}}}}"#;
    let out = stored(
        ssa(Some(&live), sidecar, "other", false, "t2").unwrap(),
        "11",
    );
    let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mysql", "exporter"]);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"],
        "MYSQL_ROOT_PASSWORD"
    );
    // kubelab re-applying its config leaves the other manager's container alone.
    let again = ssa(Some(&out), APPLY_YAML, "kubelab", false, "t3").unwrap();
    assert_eq!(again, out);
    // The other manager withdrawing removes only its container.
    let gone = ssa(
        Some(&out),
        r#"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql"}}"#,
        "other",
        false,
        "t4",
    )
    .unwrap();
    assert_eq!(
        gone["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        gone["spec"]["template"]["spec"]["containers"][0]["name"],
        "mysql"
    );
}

#[test]
fn apply_over_an_object_without_managed_fields() {
    // Created by kubectl's client-side apply: the apiserver treats it as owned by before-first-apply.
    let live = mysql_sts();
    let change = APPLY_YAML.replace("image: mysql:8.0", "image: mysql:8.4");
    let err = ssa(Some(&live), &change, "kubelab", false, "t1").unwrap_err();
    assert_eq!(err.code, 409);
    assert!(
        err.message.contains("before-first-apply"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains(".spec.template.spec.containers[name=\"mysql\"].image"),
        "{}",
        err.message
    );
    let out = ssa(Some(&live), &change, "kubelab", true, "t1").unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["image"],
        "mysql:8.4"
    );
    // What the applied config does not mention stays (annotations, probe, status).
    assert!(out["metadata"]["annotations"]
        .get("kubectl.kubernetes.io/last-applied-configuration")
        .is_some());
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSeconds"],
        2
    );
    assert_eq!(out["status"]["readyReplicas"], 3);
    assert_eq!(out["metadata"]["uid"], live["metadata"]["uid"]);
    assert_eq!(
        managers(&out),
        [
            ("before-first-apply".into(), "Update".into()),
            ("kubelab".into(), "Apply".into())
        ]
    );
    assert!(!owned(&out, "before-first-apply").contains(&vec![
        fieldset::Seg::Field("spec".into()),
        fieldset::Seg::Field("template".into()),
        fieldset::Seg::Field("spec".into()),
        fieldset::Seg::Field("containers".into()),
        fieldset::Seg::Key(r#"{"name":"mysql"}"#.into()),
        fieldset::Seg::Field("image".into()),
    ]));
}

#[test]
fn apply_ignores_status_and_server_metadata() {
    let body = r#"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql","uid":"x","creationTimestamp":"y"},
        "spec":{"replicas":1},"status":{"replicas":9}}"#;
    let out = ssa(None, body, "m", false, "t").unwrap();
    assert!(out.get("status").is_none());
    assert!(out["metadata"].get("uid").is_none());
    assert!(out["metadata"].get("creationTimestamp").is_none());
}

#[test]
fn apply_refusals() {
    let live = stored(ssa(None, APPLY_YAML, "kubelab", true, "t1").unwrap(), "10");
    let cases: Vec<(String, &str, u16)> = vec![
        (
            APPLY_YAML.replace("kind: StatefulSet", "kind: Deployment"),
            "kubelab",
            400,
        ),
        (
            APPLY_YAML.replace("apiVersion: apps/v1", "apiVersion: apps/v1beta2"),
            "kubelab",
            400,
        ),
        (
            APPLY_YAML.replace("name: mysql\n  namespace", "name: other\n  namespace"),
            "kubelab",
            400,
        ),
        (
            APPLY_YAML.replace("namespace: default", "namespace: kube-system"),
            "kubelab",
            400,
        ),
        (
            APPLY_YAML.replace(
                "  namespace: default\n",
                "  namespace: default\n  managedFields:\n  - manager: x\n",
            ),
            "kubelab",
            400,
        ),
        (
            APPLY_YAML.replace(
                "  namespace: default\n",
                "  namespace: default\n  resourceVersion: \"9\"\n",
            ),
            "kubelab",
            409,
        ),
        (
            APPLY_YAML.replace(
                "  namespace: default\n",
                "  namespace: default\n  uid: other\n",
            ),
            "kubelab",
            409,
        ),
        (APPLY_YAML.to_string(), "", 422),
        ("spec: [unclosed".to_string(), "kubelab", 400),
        ("- 1\n- 2\n".to_string(), "kubelab", 400),
        (
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {}\n".to_string(),
            "kubelab",
            400,
        ),
    ];
    for (body, manager, code) in &cases {
        let err = ssa(Some(&live), body, manager, true, "t2").expect_err(body);
        assert_eq!(err.code, *code, "{body}: {err}");
    }
    // A matching resourceVersion is a precondition that holds.
    let ok = APPLY_YAML.replace(
        "  namespace: default\n",
        "  namespace: default\n  resourceVersion: \"10\"\n",
    );
    assert!(ssa(Some(&live), &ok, "kubelab", false, "t2").is_ok());
    // Creating without a name is invalid.
    let err = ssa(
        None,
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {}\n",
        "m",
        true,
        "t",
    )
    .unwrap_err();
    assert_eq!(err.code, 422);
}

#[test]
fn apply_through_patch_entry_point() {
    let out = patch(
        sts(),
        None,
        PatchKind::Apply,
        APPLY_YAML.as_bytes(),
        "kubelab",
        true,
    )
    .unwrap();
    assert_eq!(out["metadata"]["managedFields"][0]["manager"], "kubelab");
    assert!(out["metadata"]["managedFields"][0]["time"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let err = patch(sts(), None, PatchKind::Strategic, b"{}", "m", false).unwrap_err();
    assert_eq!(err.code, 500);
}

#[test]
fn apply_orders_keyed_lists_like_the_configuration() {
    let env = |names: &[&str]| -> String {
        let items: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "value": "v"}))
            .collect();
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "mysql"},
            "spec": {"template": {"spec": {"containers": [{"name": "mysql", "env": items}]}}}})
        .to_string()
    };
    let names = |v: &Value| -> Vec<String> {
        v["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let live = stored(
        ssa(None, &env(&["A", "B", "C"]), "m", false, "t").unwrap(),
        "1",
    );
    // Another manager's element keeps its place among the others.
    let live = stored(
        ssa(Some(&live), &env(&["S"]), "other", false, "t").unwrap(),
        "2",
    );
    assert_eq!(names(&live), ["A", "B", "C", "S"]);
    // The configuration's elements follow its order; the server-only one stays right after the
    // element it followed (C), as structured-merge-diff's list merge does.
    let out = ssa(Some(&live), &env(&["C", "A", "B"]), "m", false, "t").unwrap();
    assert_eq!(names(&out), ["C", "S", "A", "B"]);
    let out = ssa(Some(&live), &env(&["B", "N", "A", "C"]), "m", false, "t").unwrap();
    let mine: Vec<String> = names(&out).into_iter().filter(|n| n != "S").collect();
    assert_eq!(mine, ["B", "N", "A", "C"]);
    assert_eq!(names(&out).iter().filter(|n| *n == "S").count(), 1);
    // Dropping an element removes it; the rest keep their values.
    let out = ssa(Some(&live), &env(&["A", "C"]), "m", false, "t").unwrap();
    assert_eq!(names(&out), ["A", "C", "S"]);
}

#[test]
fn apply_null_means_not_applied() {
    let live = stored(ssa(None, APPLY_YAML, "kubelab", true, "t1").unwrap(), "10");
    let nulled = APPLY_YAML.replace("  replicas: 3\n", "  replicas: null\n");
    let out = ssa(Some(&live), &nulled, "kubelab", false, "t2").unwrap();
    assert!(out["spec"].get("replicas").is_none());
    assert!(!owned(&out, "kubelab").contains(&f("spec.replicas")));
    // On a field another manager owns, a null changes nothing.
    let other = stored(
        ssa(Some(&live), "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\nspec:\n  replicas: 3\n", "other", false, "t2").unwrap(),
        "11",
    );
    let out = ssa(Some(&other), &nulled, "kubelab", false, "t3").unwrap();
    assert_eq!(out["spec"]["replicas"], 3);
    assert!(owned(&out, "other").contains(&f("spec.replicas")));
}

/// The managedFields of the lab's StatefulSet applied by kubelab, against a golden file.
#[test]
fn golden_managed_fields_of_the_mysql_statefulset() {
    let out = ssa(None, APPLY_YAML, "kubelab", true, "2026-11-25T03:00:00Z").unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/api/patch/testdata/mysql-sts-managed-fields.json"
    );
    testkit::golden::check_json(path, &out["metadata"]["managedFields"]);
}

/// kube-rs sends `Patch::Apply` of a typed object as JSON and parses the answer into the same
/// type: both directions must hold with k8s-openapi's StatefulSet.
#[test]
fn kube_rs_typed_apply_round_trip() {
    use k8s_openapi::api::apps::v1::StatefulSet;
    let yaml: Value = serde_yaml::from_str(APPLY_YAML).unwrap();
    let typed: StatefulSet = serde_json::from_value(yaml).unwrap();
    let body = serde_json::to_vec(&typed).unwrap();
    let out = patch(sts(), None, PatchKind::Apply, &body, "kubelab", true).unwrap();
    let back: StatefulSet = serde_json::from_value(stored(out, "7")).unwrap();
    let mf = back.metadata.managed_fields.unwrap();
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("kubelab"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));
    assert!(mf[0].time.is_some());
    let spec = back.spec;
    assert_eq!(spec.replicas, Some(3));
    let c = &spec.template.spec.unwrap().containers[0];
    assert_eq!(c.env.as_ref().unwrap()[0].name, "MYSQL_ROOT_PASSWORD");
    // Re-applying the typed object leaves the stored object as it was.
    let live = stored(
        patch(sts(), None, PatchKind::Apply, &body, "kubelab", true).unwrap(),
        "7",
    );
    let again = patch(sts(), Some(&live), PatchKind::Apply, &body, "kubelab", true).unwrap();
    assert_eq!(again, live);
}
