//! The converters against the JSON kubectl 1.31 sends for the same objects, and the decoder's
//! errors (bad magic, truncation, a kind the URL does not name).

use std::collections::BTreeMap;

use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::api::core::v1 as core_pb;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta_pb;
use prost::Message;
use serde_json::json;

use super::envelope::wrap;
use super::*;
use crate::resources::get;

/// `ObjectMeta` as gogo's `Marshal` writes it for `kubectl create ... NAME`: every non-pointer
/// string present, empty ones included.
fn meta(name: &str) -> Option<meta_pb::ObjectMeta> {
    Some(meta_pb::ObjectMeta {
        name: Some(name.into()),
        generate_name: Some(String::new()),
        namespace: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta_pb::Time::default()),
        ..Default::default()
    })
}

fn body(api_version: &str, kind: &str, m: impl Message) -> Vec<u8> {
    wrap(api_version, kind, m.encode_to_vec())
}

#[test]
fn config_map_as_kubectl_1_31_sends_it() {
    let cm = core_pb::ConfigMap {
        metadata: meta("cfg"),
        immutable: None,
        data: BTreeMap::from([("a".into(), "1".into()), ("e".into(), String::new())]),
        binary_data: BTreeMap::from([("bin".into(), vec![0xff, 0x00])]),
    };
    let got = decode(get("ConfigMap"), &body("v1", "ConfigMap", cm)).unwrap();
    assert_eq!(
        got,
        json!({"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {"name": "cfg", "creationTimestamp": null},
               "data": {"a": "1", "e": ""}, "binaryData": {"bin": "/wA="}})
    );
    // Nothing but a name: no data, no binaryData (nil maps are omitted), immutable only when set.
    let bare = core_pb::ConfigMap {
        metadata: meta("bare"),
        immutable: Some(false),
        ..Default::default()
    };
    let got = decode(get("ConfigMap"), &body("v1", "ConfigMap", bare)).unwrap();
    assert_eq!(
        got,
        json!({"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {"name": "bare", "creationTimestamp": null}, "immutable": false})
    );
}

#[test]
fn secret_bytes_are_base64() {
    let s = core_pb::Secret {
        metadata: meta("s"),
        data: BTreeMap::from([("password".into(), b"hunter2".to_vec())]),
        string_data: BTreeMap::new(),
        r#type: Some("Opaque".into()),
        immutable: None,
    };
    let got = decode(get("Secret"), &body("v1", "Secret", s)).unwrap();
    assert_eq!(got["data"], json!({"password": "aHVudGVyMg=="}));
    assert_eq!(got["type"], "Opaque");
    assert!(got.get("stringData").is_none());
}

#[test]
fn access_review_spec() {
    let r = authz::SelfSubjectAccessReview {
        metadata: meta(""),
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(authz::ResourceAttributes {
                namespace: Some("default".into()),
                verb: Some("create".into()),
                group: Some(String::new()),
                version: Some(String::new()),
                resource: Some("pods".into()),
                subresource: Some(String::new()),
                name: Some(String::new()),
                field_selector: None,
                label_selector: None,
            }),
            non_resource_attributes: None,
        }),
        status: Some(authz::SubjectAccessReviewStatus {
            allowed: Some(false),
            denied: Some(false),
            reason: Some(String::new()),
            evaluation_error: Some(String::new()),
        }),
    };
    let got = decode(
        get("SelfSubjectAccessReview"),
        &body("authorization.k8s.io/v1", "SelfSubjectAccessReview", r),
    )
    .unwrap();
    assert_eq!(
        got,
        json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {"creationTimestamp": null},
               "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}},
               "status": {"allowed": false}})
    );
}

#[test]
fn missing_type_meta_is_the_urls() {
    let raw = core_pb::Namespace {
        metadata: meta("ns"),
        ..Default::default()
    }
    .encode_to_vec();
    let got = decode(get("Namespace"), &wrap("", "", raw)).unwrap();
    assert_eq!(
        got,
        json!({"kind": "Namespace", "apiVersion": "v1",
               "metadata": {"name": "ns", "creationTimestamp": null}, "spec": {}, "status": {}})
    );
}

#[test]
fn garbage_and_empty_bodies() {
    let rt = get("ConfigMap");
    let e = decode(rt, b"garbage, not protobuf at all: 0123456789").unwrap_err();
    assert_eq!(e.code, 400);
    assert_eq!(
        e.message,
        "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (676172626167652c206e6f742070726f746f62756620617420616c6c3a20 ...)"
    );
    let e = decode(rt, b"").unwrap_err();
    assert_eq!(
        e.message,
        "the object provided is unrecognized (must be of type ConfigMap): empty data (<empty>)"
    );
    let e = decode(rt, b"k8s\0").unwrap_err();
    assert_eq!(
        e.message,
        "the object provided is unrecognized (must be of type ConfigMap): empty body (6b387300)"
    );
}

#[test]
fn truncated_typed_message() {
    let cm = core_pb::ConfigMap {
        metadata: meta("cut"),
        data: BTreeMap::from([("a".into(), "1".into())]),
        ..Default::default()
    };
    let mut raw = cm.encode_to_vec();
    raw.truncate(raw.len() - 2);
    let e = decode(get("ConfigMap"), &wrap("v1", "ConfigMap", raw)).unwrap_err();
    assert_eq!(e.code, 400);
    assert_eq!(
        e.message,
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: unexpected EOF"
    );
}

#[test]
fn a_kind_the_url_does_not_name() {
    let secret = core_pb::Secret {
        metadata: meta("s"),
        ..Default::default()
    };
    let e = decode(get("ConfigMap"), &body("v1", "Secret", secret)).unwrap_err();
    assert_eq!(e.code, 400);
    assert_eq!(
        e.message,
        "Secret in version \"v1\" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion"
    );
    let e = decode(get("ConfigMap"), &wrap("v1", "Bogus", vec![])).unwrap_err();
    assert_eq!(
        e.message,
        "Bogus in version \"v1\" cannot be handled as a ConfigMap: no kind \"Bogus\" is registered for version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\""
    );
}

#[test]
fn kinds_taken_as_protobuf() {
    for kind in [
        "ConfigMap",
        "Secret",
        "Namespace",
        "ServiceAccount",
        "Service",
        "PodDisruptionBudget",
        "SelfSubjectAccessReview",
        "SelfSubjectRulesReview",
        "Pod",
    ] {
        assert!(supports(get(kind)), "{kind}");
    }
    assert!(!supports(get("StatefulSet")));
    assert!(!supports(get("Node")));
}

#[test]
fn pod_follows_go_json_tags() {
    let pod = core_pb::Pod {
        metadata: meta("p"),
        spec: Some(core_pb::PodSpec {
            containers: vec![core_pb::Container {
                name: Some("c".into()),
                image: Some("busybox".into()),
                working_dir: Some(String::new()),
                stdin: Some(false),
                ..Default::default()
            }],
            termination_grace_period_seconds: Some(0),
            ..Default::default()
        }),
        status: Some(core_pb::PodStatus::default()),
    };
    let got = decode(get("Pod"), &body("v1", "Pod", pod)).unwrap();
    assert_eq!(
        got,
        json!({"kind": "Pod", "apiVersion": "v1",
               "metadata": {"name": "p", "creationTimestamp": null},
               // A pointer set to 0 stays; a non-pointer struct (resources) is always written.
               "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {}}],
                        "terminationGracePeriodSeconds": 0},
               "status": {}})
    );
    // No containers at all: Go writes its nil slice without `omitempty` as null.
    let empty = core_pb::Pod {
        metadata: meta("e"),
        ..Default::default()
    };
    let got = decode(get("Pod"), &body("v1", "Pod", empty)).unwrap();
    assert_eq!(got["spec"], json!({"containers": null}));
}
