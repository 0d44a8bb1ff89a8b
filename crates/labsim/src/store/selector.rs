//! Label selectors (`app=mysql,tier!=web,env in (a,b),!x`) and the field selectors clients use
//! (`metadata.name`, `metadata.namespace`, `spec.nodeName`, `status.phase`).

use serde_json::Value;

use crate::api_error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

impl LabelSelector {
    /// Parses the query-string form. Errors: 400 with the offending part.
    pub fn parse(s: &str) -> Result<LabelSelector, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let bad = || {
                ApiError::bad_request(format!(
                    "unable to parse requirement: invalid label selector: {part:?}"
                ))
            };
            let req = if let Some(k) = part.strip_prefix('!') {
                Requirement::NotExists(check_key(k.trim()).ok_or_else(bad)?)
            } else if let Some((k, rest)) = split_word(part, " notin ") {
                Requirement::NotIn(
                    check_key(k).ok_or_else(bad)?,
                    parse_set(rest).ok_or_else(bad)?,
                )
            } else if let Some((k, rest)) = split_word(part, " in ") {
                Requirement::In(
                    check_key(k).ok_or_else(bad)?,
                    parse_set(rest).ok_or_else(bad)?,
                )
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEq(check_key(k.trim()).ok_or_else(bad)?, v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Eq(check_key(k.trim()).ok_or_else(bad)?, v.trim().to_string())
            } else {
                Requirement::Exists(check_key(part).ok_or_else(bad)?)
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// From a `matchLabels`/`matchExpressions` object (StatefulSet `spec.selector`).
    pub fn from_spec(sel: &Value) -> LabelSelector {
        let mut reqs = Vec::new();
        if let Some(m) = sel["matchLabels"].as_object() {
            for (k, v) in m {
                reqs.push(Requirement::Eq(
                    k.clone(),
                    v.as_str().unwrap_or("").to_string(),
                ));
            }
        }
        for e in sel["matchExpressions"].as_array().into_iter().flatten() {
            let key = e["key"].as_str().unwrap_or("").to_string();
            let values: Vec<String> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            reqs.push(match e["operator"].as_str().unwrap_or("") {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                _ => Requirement::NotExists(key),
            });
        }
        LabelSelector(reqs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let get = |k: &str| labels.get(k).and_then(|v| v.as_str());
        self.0.iter().all(|r| match r {
            Requirement::Eq(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEq(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|l| vs.iter().all(|v| v != l)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// A parsed field selector: `a=b`, `a==b`, `a!=b`, comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Errors: 400 for a field labsim does not index (as the real server does).
    pub fn parse(s: &str) -> Result<FieldSelector, ApiError> {
        let mut reqs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if !matches!(
                field,
                "metadata.name"
                    | "metadata.namespace"
                    | "spec.nodeName"
                    | "status.phase"
                    | "involvedObject.name"
                    | "involvedObject.kind"
                    | "involvedObject.uid"
                    | "involvedObject.namespace"
                    | "involvedObject.apiVersion"
                    | "involvedObject.fieldPath"
                    | "reason"
                    | "type"
            ) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            reqs.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(field, eq, want)| {
            let got = field
                .split('.')
                .fold(obj, |v, p| &v[p])
                .as_str()
                .unwrap_or("");
            (got == want) == *eq
        })
    }
}

fn split_top(s: &str) -> Vec<&str> {
    // Commas inside `in (a,b)` sets do not separate requirements.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn split_word<'a>(s: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    s.find(word)
        .map(|i| (s[..i].trim(), s[i + word.len()..].trim()))
}

fn parse_set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn check_key(k: &str) -> Option<String> {
    let ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    ok.then(|| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(labels: Value) -> Value {
        json!({"metadata": {"name": "mysql-0", "namespace": "default", "labels": labels}, "spec": {"nodeName": "minikube"}, "status": {"phase": "Running"}})
    }

    #[test]
    fn label_selectors() {
        let p = pod(json!({"app": "mysql", "tier": "db"}));
        for (sel, want) in [
            ("app=mysql", true),
            ("app==mysql", true),
            ("app=web", false),
            ("app!=web", true),
            ("app in (mysql,web)", true),
            ("app notin (mysql)", false),
            ("tier", true),
            ("!tier", false),
            ("app=mysql,tier=db", true),
            ("", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&p),
                want,
                "{sel}"
            );
        }
        assert!(
            LabelSelector::parse("app=(").is_err()
                || !LabelSelector::parse("app=(").unwrap().matches(&p)
        );
        assert_eq!(LabelSelector::parse("a b c").unwrap_err().code, 400);
    }

    #[test]
    fn spec_selector() {
        let s = LabelSelector::from_spec(&json!({"matchLabels": {"app": "mysql"}}));
        assert!(s.matches(&pod(json!({"app": "mysql"}))));
        assert!(!s.matches(&pod(json!({"app": "web"}))));
    }

    #[test]
    fn field_selectors() {
        let p = pod(json!({}));
        assert!(FieldSelector::parse("metadata.name=mysql-0")
            .unwrap()
            .matches(&p));
        assert!(!FieldSelector::parse("metadata.name=mysql-1")
            .unwrap()
            .matches(&p));
        assert!(
            FieldSelector::parse("spec.nodeName=minikube,status.phase!=Pending")
                .unwrap()
                .matches(&p)
        );
        assert_eq!(FieldSelector::parse("spec.foo=bar").unwrap_err().code, 400);
    }
}
