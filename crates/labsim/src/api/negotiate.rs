//! Content negotiation: what the client accepts (plain JSON, a server-side `Table`, aggregated
//! discovery) and how its request body is encoded (JSON, YAML, or Kubernetes protobuf for the
//! kinds `protobuf/` decodes).

use axum::http::{header, HeaderMap};
use serde_json::Value;

use crate::api_error::ApiError;
use crate::resources::ResourceType;

/// The media type of aggregated discovery documents (`/api`, `/apis`).
pub const AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// One entry of an `Accept` header: `type/subtype` plus its parameters, lower-cased keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    pub essence: String,
    pub params: Vec<(String, String)>,
}

impl MediaRange {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// JSON or a wildcard: something labsim can produce.
    fn is_json(&self) -> bool {
        matches!(
            self.essence.as_str(),
            "application/json" | "*/*" | "application/*"
        )
    }

    /// Plain JSON without a `;as=` transformation.
    fn is_plain_json(&self) -> bool {
        self.is_json() && self.param("as").is_none()
    }
}

/// Parses an `Accept` header into its entries, in the client's order of preference.
pub fn parse_accept(accept: &str) -> Vec<MediaRange> {
    accept
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let essence = parts.next()?.to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let params = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| {
                    (
                        k.trim().to_ascii_lowercase(),
                        v.trim().trim_matches('"').to_string(),
                    )
                })
                .collect();
            Some(MediaRange { essence, params })
        })
        .collect()
}

fn accept_entries(headers: &HeaderMap) -> Vec<MediaRange> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_accept)
        .collect()
}

/// How a GET answer is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The object or `<Kind>List` as JSON.
    Json,
    /// A `meta.k8s.io/v1` Table (server-side printing for `kubectl get`).
    Table,
}

/// The first entry of `Accept` labsim can serve decides; protobuf and unknown types are skipped.
/// No usable entry (or no header) means plain JSON.
pub fn output(headers: &HeaderMap) -> Output {
    for m in accept_entries(headers) {
        if !m.is_json() {
            continue;
        }
        match m.param("as") {
            None => return Output::Json,
            Some("Table")
                if m.param("g") == Some("meta.k8s.io")
                    && matches!(m.param("v"), Some("v1") | Some("v1beta1")) =>
            {
                return Output::Table
            }
            // PartialObjectMetadata and other transformations are not served.
            Some(_) => continue,
        }
    }
    Output::Json
}

/// Whether `/api` or `/apis` should answer with an aggregated `APIGroupDiscoveryList` (v2).
pub fn wants_aggregated_discovery(headers: &HeaderMap) -> bool {
    for m in accept_entries(headers) {
        if m.param("as") == Some("APIGroupDiscoveryList")
            && m.param("g") == Some("apidiscovery.k8s.io")
            && m.param("v") == Some("v2")
            && m.is_json()
        {
            return true;
        }
        if m.is_plain_json() {
            return false;
        }
    }
    false
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Yaml,
    /// `application/vnd.kubernetes.protobuf` (kubectl 1.32+'s typed clients).
    Protobuf,
}

/// The `Content-Type` of a create/update body of `rt`. Errors: 415 for anything but JSON, YAML
/// or (for the kinds labsim decodes it for) protobuf.
pub fn body_format(headers: &HeaderMap, rt: &ResourceType) -> Result<BodyFormat, ApiError> {
    let ct = content_type(headers);
    let protobuf = crate::api::protobuf::supports(rt);
    match ct.split(';').next().unwrap_or("").trim() {
        "" | "application/json" | "*/*" => Ok(BodyFormat::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" => Ok(BodyFormat::Yaml),
        crate::api::protobuf::MEDIA_TYPE if protobuf => Ok(BodyFormat::Protobuf),
        _ => Err(ApiError::unsupported_body_media_type(protobuf)),
    }
}

/// The raw `Content-Type` header ("" if absent).
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Decodes a body into a JSON object. Errors: 400 naming the expected kind, as the real server.
pub fn parse_body(format: BodyFormat, bytes: &[u8], rt: &ResourceType) -> Result<Value, ApiError> {
    let parsed: Result<Value, String> = match format {
        BodyFormat::Json => {
            serde_json::from_slice(bytes).map_err(|e| format!("json parse error: {e}"))
        }
        BodyFormat::Yaml => {
            serde_yaml::from_slice(bytes).map_err(|e| format!("yaml parse error: {e}"))
        }
        BodyFormat::Protobuf => return crate::api::protobuf::decode(rt, bytes),
    };
    match parsed {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(unrecognized(rt, "the body is not an object")),
        Err(e) => Err(unrecognized(rt, &e)),
    }
}

fn unrecognized(rt: &ResourceType, why: &str) -> ApiError {
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): couldn't get version/kind; {why}",
        rt.kind
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn kubectl_get_asks_for_a_table() {
        let h = accept("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
        assert_eq!(output(&h), Output::Table);
        assert_eq!(output(&accept("application/json")), Output::Json);
        assert_eq!(output(&HeaderMap::new()), Output::Json);
        assert_eq!(
            output(&accept("application/vnd.kubernetes.protobuf, */*")),
            Output::Json
        );
        assert_eq!(
            output(&accept(
                "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
            )),
            Output::Json
        );
    }

    #[test]
    fn discovery_negotiation() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated_discovery(&accept(kubectl)));
        assert!(!wants_aggregated_discovery(&accept("application/json")));
        assert!(!wants_aggregated_discovery(&accept(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
        )));
        assert!(!wants_aggregated_discovery(&HeaderMap::new()));
    }

    #[test]
    fn body_formats() {
        let rt = crate::resources::get("ConfigMap");
        let mut h = HeaderMap::new();
        assert_eq!(body_format(&h, rt).unwrap(), BodyFormat::Json);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/yaml"),
        );
        assert_eq!(body_format(&h, rt).unwrap(), BodyFormat::Yaml);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.kubernetes.protobuf"),
        );
        assert_eq!(body_format(&h, rt).unwrap(), BodyFormat::Protobuf);
        // Kinds labsim has no protobuf converter for: 415, protobuf not listed.
        let e = body_format(&h, crate::resources::get("StatefulSet")).unwrap_err();
        assert_eq!(e.code, 415);
        assert_eq!(
            e.message,
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
        );
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            body_format(&h, rt).unwrap_err().message,
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
        );
        let v = parse_body(BodyFormat::Yaml, b"kind: ConfigMap\ndata:\n  a: b\n", rt).unwrap();
        assert_eq!(v["data"]["a"], "b");
        let e = parse_body(BodyFormat::Json, b"junk", rt).unwrap_err();
        assert_eq!(e.code, 400);
        assert!(
            e.message.contains("must be of type ConfigMap"),
            "{}",
            e.message
        );
        assert_eq!(
            parse_body(BodyFormat::Json, b"[1]", rt).unwrap_err().code,
            400
        );
    }
}
