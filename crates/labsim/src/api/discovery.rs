//! API discovery, all driven by `resources::RESOURCES`: legacy `APIVersions` / `APIGroupList` /
//! `APIResourceList`, and the aggregated `APIGroupDiscoveryList` (v2) kubectl prefers.

use serde_json::{json, Value};

use crate::resources::{ResourceType, GROUPS, RESOURCES};

/// A resource entry's `shortNames` and `categories`, both discovery forms (only when there are).
fn add_names(entry: &mut Value, rt: &ResourceType) {
    if !rt.short_names.is_empty() {
        entry["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        entry["categories"] = json!(rt.categories);
    }
}

/// `(group, version, kind, verbs)` a subresource answers with.
pub fn subresource_kind(
    rt: &ResourceType,
    sub: &str,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
) {
    const GPU: &[&str] = &["get", "patch", "update"];
    const CG: &[&str] = &["create", "get"];
    match sub {
        "scale" => ("autoscaling", "v1", "Scale", GPU),
        "exec" => ("", "v1", "PodExecOptions", CG),
        "attach" => ("", "v1", "PodAttachOptions", CG),
        "portforward" => ("", "v1", "PodPortForwardOptions", CG),
        "log" => ("", "v1", "Pod", &["get"]),
        "eviction" => ("policy", "v1", "Eviction", &["create"]),
        // status and anything else answer with the parent kind.
        _ => (rt.group, rt.version, rt.kind, GPU),
    }
}

fn resources_of<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceType> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

/// Whether `group/version` is served (`""`/`v1` is the core group).
pub fn serves(group: &str, version: &str) -> bool {
    resources_of(group, version).next().is_some()
}

/// `GET /api` (legacy).
pub fn api_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
}

fn group_entry(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `GET /apis` (legacy).
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = GROUPS.iter().map(|(g, v)| group_entry(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`.
pub fn api_group(group: &str) -> Option<Value> {
    let (g, v) = GROUPS.iter().find(|(g, _)| *g == group)?;
    let mut e = group_entry(g, v);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

/// `GET /api/v1` or `/apis/{group}/{version}`: an `APIResourceList`, subresources included.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    if !serves(group, version) {
        return None;
    }
    let mut resources = Vec::new();
    for rt in resources_of(group, version) {
        let mut r = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs(),
        });
        add_names(&mut r, rt);
        resources.push(r);
        for sub in rt.subresources {
            let (g, v, kind, verbs) = subresource_kind(rt, sub);
            let mut s = json!({
                "name": format!("{}/{}", rt.plural, sub),
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if (g, v) != (rt.group, rt.version) {
                s["group"] = json!(g);
                s["version"] = json!(v);
            }
            resources.push(s);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

fn aggregated_version(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = resources_of(group, version)
        .map(|rt| {
            let subresources: Vec<Value> = rt
                .subresources
                .iter()
                .map(|sub| {
                    let (g, v, kind, verbs) = subresource_kind(rt, sub);
                    json!({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": kind}, "verbs": verbs})
                })
                .collect();
            let mut r = json!({
                "resource": rt.plural,
                "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
                "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
                "singularResource": rt.singular,
                "verbs": rt.verbs(),
            });
            add_names(&mut r, rt);
            if !subresources.is_empty() {
                r["subresources"] = json!(subresources);
            }
            r
        })
        .collect();
    json!({"version": version, "resources": resources, "freshness": "Current"})
}

fn aggregated(items: Vec<Value>) -> Value {
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// `GET /api` asking for `as=APIGroupDiscoveryList`: the core group, with an empty name.
pub fn aggregated_core() -> Value {
    aggregated(vec![
        json!({"metadata": {"creationTimestamp": null}, "versions": [aggregated_version("", "v1")]}),
    ])
}

/// `GET /apis` asking for `as=APIGroupDiscoveryList`.
pub fn aggregated_groups() -> Value {
    aggregated(
        GROUPS
            .iter()
            .map(|(g, v)| json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": [aggregated_version(g, v)]}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn legacy_core_and_apps() {
        let core = resource_list("", "v1").unwrap();
        assert_eq!(core["groupVersion"], "v1");
        let pods = find(&core, "pods");
        assert_eq!(pods["shortNames"], json!(["po"]));
        // `kubectl get all` reads the categories off the kinds' rows.
        assert_eq!(pods["categories"], json!(["all"]));
        assert!(find(&core, "nodes").get("categories").is_none());
        assert_eq!(pods["namespaced"], true);
        assert_eq!(find(&core, "pods/exec")["kind"], "PodExecOptions");
        assert_eq!(find(&core, "pods/log")["kind"], "Pod");
        assert_eq!(find(&core, "nodes")["namespaced"], false);
        let apps = resource_list("apps", "v1").unwrap();
        assert_eq!(apps["groupVersion"], "apps/v1");
        let scale = find(&apps, "statefulsets/scale");
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
        assert_eq!(find(&apps, "statefulsets")["shortNames"], json!(["sts"]));
        assert!(resource_list("apps", "v2").is_none());
        assert!(resource_list("storage.k8s.io", "v1").is_some());
        let groups = api_group_list();
        assert_eq!(
            groups["groups"][0]["preferredVersion"]["groupVersion"],
            "apps/v1"
        );
        assert_eq!(api_group("apps").unwrap()["kind"], "APIGroup");
        assert!(api_group("batch").is_none());
    }

    #[test]
    fn aggregated_matches_resources_table() {
        let core = aggregated_core();
        assert_eq!(core["items"][0]["metadata"].get("name"), None);
        let v1 = &core["items"][0]["versions"][0];
        assert_eq!(v1["freshness"], "Current");
        let n = v1["resources"].as_array().unwrap().len();
        assert_eq!(n, RESOURCES.iter().filter(|r| r.group.is_empty()).count());
        let groups = aggregated_groups();
        let apps = &groups["items"][0];
        assert_eq!(apps["metadata"]["name"], "apps");
        let sts = &apps["versions"][0]["resources"][0];
        assert_eq!(sts["scope"], "Namespaced");
        let scale = sts["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(scale["responseKind"]["group"], "autoscaling");
    }
}
