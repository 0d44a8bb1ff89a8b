//! List paging: `limit` and `continue`, as kube-apiserver pages over etcd.
//!
//! A page ends with a continue token when more objects follow. The token is kube-apiserver's
//! encoding: unpadded URL-safe base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`,
//! where `rv` is the first page's resourceVersion and `start` the key after which the next page
//! begins (`<namespace>/<name>` or `<name>`). Every page is cut from the list as it was at `rv`
//! (kept by the store), so objects created, changed or deleted meanwhile do not shift the pages.
//! A malformed token is 400 "invalid continue token"; one whose list is no longer kept is 410
//! Expired with kube-apiserver's message.

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};

use crate::api::target::{Query, Target};
use crate::api::watch::Filter;
use crate::api_error::ApiError;
use crate::store::Store;

const TOKEN_VERSION: &str = "meta.k8s.io/v1";

/// One page of a list.
pub struct Page {
    pub items: Vec<Value>,
    pub rv: u64,
    /// The token for the next page, when one follows.
    pub next: Option<String>,
    /// How many selected objects follow (only without selectors, as kube-apiserver).
    pub remaining: Option<usize>,
}

/// `(namespace, name)`: the order the store lists in.
fn key_of(obj: &Value) -> (String, String) {
    let m = &obj["metadata"];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (s(&m["namespace"]), s(&m["name"]))
}

/// The token continuing after `last` in the list at `rv`.
pub fn encode(rv: u64, last: &(String, String)) -> String {
    let start = if last.0.is_empty() {
        format!("{}\u{0}", last.1)
    } else {
        format!("{}/{}\u{0}", last.0, last.1)
    };
    let json = json!({"v": TOKEN_VERSION, "rv": rv, "start": start}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// `(rv, key after which to continue)`. Errors: 400 for anything not a token labsim made.
// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
pub fn decode(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let invalid = |why: &str| ApiError::bad_request(format!("invalid continue token: {why}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(token))
        .map_err(|e| invalid(&format!("continue key is not valid: {e}")))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(&format!("continue key is not valid: {e}")))?;
    if v["v"] != TOKEN_VERSION {
        return Err(invalid(&format!(
            "continue key is not valid: server does not recognize this encoded key ({})",
            v["v"]
        )));
    }
    let rv = v["rv"].as_u64().filter(|rv| *rv > 0).ok_or_else(|| {
        invalid("continue key is not valid: incorrect encoded start resourceVersion")
    })?;
    let start = v["start"]
        .as_str()
        .and_then(|s| s.strip_suffix('\u{0}'))
        .filter(|s| !s.is_empty() && !s.starts_with('/'))
        .ok_or_else(|| invalid("continue key is not valid: incorrect encoded start key"))?;
    let key = match start.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (String::new(), start.to_string()),
    };
    Ok((rv, key))
}

/// The kube-apiserver message for a continue token whose revision was compacted.
fn expired() -> ApiError {
    ApiError::gone(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
    )
}

/// The page a list request asks for (everything when it names no `limit`).
// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
pub fn page(store: &Store, t: &Target, q: &Query, filter: &Filter) -> Result<Page, ApiError> {
    let limit = q.int("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let ns = t.namespace.as_deref();
    let (all, rv, after) = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            if q.get("resourceVersion")
                .is_some_and(|v| !v.is_empty() && v != "0")
            {
                return Err(ApiError::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            let (rv, after) = decode(token)?;
            let kept = store.snapshot(t.rt, ns, rv).ok_or_else(expired)?;
            (kept, rv, Some(after))
        }
        None => {
            let (items, rv) = store.list(t.rt, ns);
            (Arc::new(items), rv, None)
        }
    };
    let mut selected = all
        .iter()
        .filter(|o| after.as_ref().is_none_or(|a| key_of(o) > *a))
        .filter(|o| filter.matches(o));
    let items: Vec<Value> = match limit {
        Some(n) => selected.by_ref().take(n).cloned().collect(),
        None => selected.by_ref().cloned().collect(),
    };
    let left = selected.count();
    if left == 0 {
        return Ok(Page {
            items,
            rv,
            next: None,
            remaining: None,
        });
    }
    let last = key_of(items.last().expect("a limit is at least 1"));
    store.keep_snapshot(t.rt, ns, rv, all.clone());
    Ok(Page {
        next: Some(encode(rv, &last)),
        remaining: (!filter.has_selectors).then_some(left),
        items,
        rv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_400() {
        let t = encode(42, &("default".into(), "mysql-1".into()));
        assert_eq!(
            decode(&t).unwrap(),
            (42, ("default".into(), "mysql-1".into()))
        );
        let t = encode(7, &(String::new(), "minikube".into()));
        assert_eq!(decode(&t).unwrap(), (7, (String::new(), "minikube".into())));
        // kube-apiserver's own format decodes too.
        let theirs = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"v":"meta.k8s.io/v1","rv":9,"start":"default/a\u0000"}"#);
        assert_eq!(decode(&theirs).unwrap().0, 9);
        for bad in [
            "",
            "!!!",
            "bm90IGpzb24",
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(r#"{"v":"x","rv":1,"start":"a\u0000"}"#),
        ] {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.code, 400, "{bad}");
            assert!(
                e.message.starts_with("invalid continue token"),
                "{}",
                e.message
            );
        }
    }
}
