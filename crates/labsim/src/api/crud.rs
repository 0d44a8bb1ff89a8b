//! Resource verbs on Kubernetes paths: get, list (+ watch), create, update, patch, delete,
//! deletecollection, and the `status` and `scale` subresources.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::api::negotiate::{self, Output};
use crate::api::patch::{self, PatchKind};
use crate::api::tables::{including, IncludeObject};
use crate::api::target::{self, Query, Target};
use crate::api::watch::{self, Filter};
use crate::api::App;
use crate::api::{json_response, status_response};
use crate::api_error::ApiError;
use crate::controllers::gc;
use crate::objects::{defaults, pod_grace};
use crate::resources::{self, ResourceType};
use crate::shutdown::Shutdown;
use crate::store::Store;

/// How often a PATCH is retried when another writer changed the object in between.
const PATCH_ATTEMPTS: usize = 5;

/// The fallback handler for every resource path.
pub async fn handle(State(app): State<App>, req: Request) -> Response {
    match dispatch(app, req).await {
        Ok(r) => r,
        Err(e) => status_response(&e),
    }
}

/// `/api/v1/watch/...` and `/apis/{group}/{version}/watch/...` (deprecated, still served by
/// kube-apiserver, GET only): the path without `watch`.
pub(crate) fn legacy_watch_path(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let at = match segs.as_slice() {
        ["", "api", _, "watch", ..] => 3,
        ["", "apis", _, _, "watch", ..] => 4,
        _ => return None,
    };
    let mut rest = segs;
    rest.remove(at);
    Some(rest.join("/"))
}

async fn dispatch(app: App, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let legacy_watch = legacy_watch_path(parts.uri.path());
    let t = target::parse(legacy_watch.as_deref().unwrap_or(parts.uri.path()))?;
    let mut q = Query::parse(parts.uri.query());
    if legacy_watch.is_some() {
        if parts.method != Method::GET {
            return Err(ApiError::method_not_allowed(format!(
                "{} is not supported on {}",
                parts.method,
                parts.uri.path()
            )));
        }
        q = q.with("watch", "true");
    }
    let headers = parts.headers;
    let output = negotiate::output(&headers);
    let m = &parts.method;
    let name = t.name.clone();
    if t.rt.is_review() {
        return match name {
            None if m == Method::POST => {
                let bytes = crate::api::body::read_body(body).await?;
                let obj = parse_object(t.rt, &headers, &bytes)?;
                let answer = crate::api::reviews::answer(t.rt, obj)?;
                Ok(json_response(StatusCode::CREATED, &answer))
            }
            _ => Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on the requested resource ({m} {})",
                parts.uri.path()
            ))),
        };
    }
    let shutdown = parts.extensions.get::<Shutdown>().cloned();
    match (t.sub.as_deref(), name.as_deref()) {
        (None, None) if m == Method::GET => {
            if q.flag("watch") {
                watch::watch(&app, &t, &q, output, shutdown)
            } else {
                list(&app, &t, &q, output)
            }
        }
        (None, Some(name)) if m == Method::GET && q.flag("watch") => {
            // A watch on one object is a collection watch selecting it by name.
            let collection = Target {
                name: None,
                ..t.clone()
            };
            let by_name = q.and_field_selector(&format!("metadata.name={name}"));
            watch::watch(&app, &collection, &by_name, output, shutdown)
        }
        (None, None) if t.rt.namespaced && t.namespace.is_none() => Err(
            ApiError::method_not_allowed(format!("{m} is not supported on all namespaces")),
        ),
        (None, None) if m == Method::POST => {
            let bytes = crate::api::body::read_body(body).await?;
            create(&app, &t, &q, &headers, &bytes)
        }
        (None, None) if m == Method::DELETE => {
            let bytes = crate::api::body::read_body(body).await?;
            delete_collection(&app, &t, &q, &bytes)
        }
        (None | Some("status"), Some(name)) if m == Method::GET => {
            let obj = app.store.get(t.rt, t.namespace.as_deref(), name)?;
            Ok(one(t.rt, obj, output, &q))
        }
        (None | Some("status"), Some(name)) if m == Method::PUT => {
            let bytes = crate::api::body::read_body(body).await?;
            update(&app, &t, name, &q, &headers, &bytes)
        }
        (None | Some("status") | Some("scale"), Some(name)) if m == Method::PATCH => {
            let bytes = crate::api::body::read_body(body).await?;
            patch_object(&app, &t, name, &q, &headers, &bytes)
        }
        (None, Some(name)) if m == Method::DELETE => {
            let bytes = crate::api::body::read_body(body).await?;
            delete(&app, &t, name, &q, &bytes)
        }
        (Some("eviction"), Some(name)) if m == Method::POST => {
            let bytes = crate::api::body::read_body(body).await?;
            crate::api::eviction::create(&app, &t, name, &bytes)
        }
        (Some("scale"), Some(name)) if m == Method::GET => {
            let obj = app.store.get(t.rt, t.namespace.as_deref(), name)?;
            Ok(json_response(StatusCode::OK, &scale_of(&obj)))
        }
        (Some("scale"), Some(name)) if m == Method::PUT => {
            let bytes = crate::api::body::read_body(body).await?;
            put_scale(&app, &t, name, &q, &headers, &bytes)
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({m} {})",
            parts.uri.path()
        ))),
    }
}

/// One object, as JSON or as a one-row Table.
fn one(rt: &ResourceType, obj: Value, output: Output, q: &Query) -> Response {
    match output {
        Output::Table => {
            let rv = rv_of(&obj);
            let table = crate::api::tables::table(rt, std::slice::from_ref(&obj), rv, true);
            let include = IncludeObject::from_query(q.get("includeObject"));
            json_response(StatusCode::OK, &including(table, &[obj], include))
        }
        Output::Json => json_response(StatusCode::OK, &obj),
    }
}

fn rv_of(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `GET` a collection, a page at a time when the client names a `limit`.
fn list(app: &App, t: &Target, q: &Query, output: Output) -> Result<Response, ApiError> {
    let filter = Filter::new(t, q)?;
    let page = crate::api::paging::page(&app.store, t, q, &filter)?;
    let mut body = match output {
        Output::Table => including(
            crate::api::tables::table(t.rt, &page.items, page.rv, true),
            &page.items,
            IncludeObject::from_query(q.get("includeObject")),
        ),
        Output::Json => list_object(t.rt, page.items, page.rv),
    };
    if let Some(next) = page.next {
        body["metadata"]["continue"] = json!(next);
    }
    if let Some(n) = page.remaining {
        body["metadata"]["remainingItemCount"] = json!(n);
    }
    Ok(json_response(StatusCode::OK, &body))
}

fn list_object(rt: &ResourceType, items: Vec<Value>, rv: u64) -> Value {
    json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": rv.to_string()},
        "items": items,
    })
}

/// The body's `apiVersion`/`kind`, when given, must name the URL's resource. Errors: 400.
fn check_type(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    let api_version = obj["apiVersion"].as_str().unwrap_or("");
    let kind = obj["kind"].as_str().unwrap_or("");
    if (!api_version.is_empty() && api_version != rt.api_version())
        || (!kind.is_empty() && kind != rt.kind)
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) and the kind ({kind}) do not match the expected {} {}",
            rt.api_version(),
            rt.kind
        )));
    }
    Ok(())
}

/// Objects may only be created in a namespace that exists. Errors: 404.
fn check_namespace(
    store: &Store,
    rt: &ResourceType,
    namespace: Option<&str>,
) -> Result<(), ApiError> {
    match namespace {
        Some(ns) if rt.namespaced => store.get(resources::get("Namespace"), None, ns).map(|_| ()),
        _ => Ok(()),
    }
}

fn parse_object(rt: &ResourceType, headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    let format = negotiate::body_format(headers, rt)?;
    let obj = negotiate::parse_body(format, bytes, rt)?;
    check_type(rt, &obj)?;
    Ok(obj)
}

/// `POST` a collection: 201 with the stored object.
fn create(
    app: &App,
    t: &Target,
    q: &Query,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let mut obj = parse_object(t.rt, headers, bytes)?;
    check_namespace(&app.store, t.rt, t.namespace.as_deref())?;
    if t.rt.subresources.contains(&"status") {
        // As the real server: a client creates spec; status belongs to controllers.
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    defaults::apply(&app.store, t.rt, &mut obj, None);
    record_update(t.rt, None, &mut obj, &field_manager(q, headers), None)?;
    if q.dry_run()? {
        // Validate as create would, store nothing.
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() && obj["metadata"]["generateName"].is_string() {
            return Ok(json_response(StatusCode::CREATED, &obj));
        }
        crate::store::validate_name(t.rt, &name)?;
        if app.store.get(t.rt, t.namespace.as_deref(), &name).is_ok() {
            return Err(ApiError::already_exists(t.rt, &name));
        }
        obj["apiVersion"] = json!(t.rt.api_version());
        obj["kind"] = json!(t.rt.kind);
        if let Some(ns) = &t.namespace {
            obj["metadata"]["namespace"] = json!(ns);
        }
        return Ok(json_response(StatusCode::CREATED, &obj));
    }
    let created = app.store.create(t.rt, t.namespace.as_deref(), obj)?;
    tracing::info!("created {} {}", t.rt.kind, describe(&created));
    Ok(json_response(StatusCode::CREATED, &created))
}

fn describe(obj: &Value) -> String {
    let m = &obj["metadata"];
    match m["namespace"].as_str() {
        Some(ns) => format!("{ns}/{}", m["name"].as_str().unwrap_or("")),
        None => m["name"].as_str().unwrap_or("").to_string(),
    }
}

/// `PUT` an object or its status.
fn update(
    app: &App,
    t: &Target,
    name: &str,
    q: &Query,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let obj = parse_object(t.rt, headers, bytes)?;
    let ns = t.namespace.as_deref();
    let status_only = t.sub.as_deref() == Some("status");
    let live = app.store.get(t.rt, ns, name)?;
    let mut new = if status_only {
        // Only `status` changes through the status subresource.
        let mut merged = live.clone();
        merged["status"] = obj["status"].clone();
        if let Some(rv) = obj["metadata"]["resourceVersion"].as_str() {
            merged["metadata"]["resourceVersion"] = json!(rv);
        }
        merged
    } else {
        let mut obj = obj;
        defaults::apply(&app.store, t.rt, &mut obj, Some(&live));
        crate::objects::validation::validate_update(t.rt, &obj, &live)?;
        obj
    };
    let manager = field_manager(q, headers);
    record_update(t.rt, Some(&live), &mut new, &manager, t.sub.as_deref())?;
    if q.dry_run()? {
        let mut out = new;
        out["metadata"]["uid"] = live["metadata"]["uid"].clone();
        return Ok(json_response(StatusCode::OK, &out));
    }
    let stored = app.store.update(t.rt, ns, name, new, status_only)?;
    Ok(json_response(StatusCode::OK, &stored))
}

/// Records `manager`'s write in `managedFields` (operation `Update`), as the apiserver does for
/// every write that is not server-side apply.
fn record_update(
    rt: &ResourceType,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
) -> Result<(), ApiError> {
    patch::update::record_update(rt, old, new, manager, subresource, &crate::store::now())
}

/// The `fieldManager` of a write: given, or derived from the User-Agent like the real server.
fn field_manager(q: &Query, headers: &HeaderMap) -> String {
    if let Some(m) = q.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

/// `PATCH` an object (all four patch types), its status or its scale. Server-side apply of a
/// missing object creates it.
fn patch_object(
    app: &App,
    t: &Target,
    name: &str,
    q: &Query,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let ct = negotiate::content_type(headers);
    let kind =
        PatchKind::from_content_type(&ct).ok_or_else(|| ApiError::unsupported_media_type(&ct))?;
    if kind == PatchKind::Apply && q.get("fieldManager").unwrap_or("").is_empty() {
        return Err(ApiError::bad_request(
            "PATCH requests using the apply content type must specify fieldManager",
        ));
    }
    let manager = field_manager(q, headers);
    let force = q.flag("force");
    let dry = q.dry_run()?;
    let ns = t.namespace.as_deref();
    let mut last = None;
    for _ in 0..PATCH_ATTEMPTS {
        let live = match app.store.get(t.rt, ns, name) {
            Ok(v) => Some(v),
            Err(e) if e.code == 404 && kind == PatchKind::Apply && t.sub.is_none() => None,
            Err(e) => return Err(e),
        };
        let result = match (t.sub.as_deref(), live) {
            (None, None) => {
                let mut new = patch::patch(t.rt, None, kind, bytes, &manager, force)?;
                check_type(t.rt, &new)?;
                if new["metadata"]["name"].as_str().is_some_and(|n| n != name) {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({name})",
                        new["metadata"]["name"].as_str().unwrap_or("")
                    )));
                }
                new["metadata"]["name"] = json!(name);
                check_namespace(&app.store, t.rt, ns)?;
                defaults::apply(&app.store, t.rt, &mut new, None);
                if dry {
                    return Ok(json_response(StatusCode::CREATED, &new));
                }
                let created = app.store.create(t.rt, ns, new)?;
                return Ok(json_response(StatusCode::CREATED, &created));
            }
            (None, Some(live)) => {
                let mut new = patch::patch(t.rt, Some(&live), kind, bytes, &manager, force)?;
                check_type(t.rt, &new)?;
                defaults::apply(&app.store, t.rt, &mut new, Some(&live));
                crate::objects::validation::validate_update(t.rt, &new, &live)?;
                if kind != PatchKind::Apply {
                    record_update(t.rt, Some(&live), &mut new, &manager, None)?;
                }
                if dry {
                    return Ok(json_response(StatusCode::OK, &new));
                }
                app.store.update(t.rt, ns, name, new, false)
            }
            (Some("status"), Some(live)) => {
                let new = patch::patch(t.rt, Some(&live), kind, bytes, &manager, force)?;
                let mut merged = live.clone();
                merged["status"] = new["status"].clone();
                if kind == PatchKind::Apply {
                    merged["metadata"]["managedFields"] = new["metadata"]["managedFields"].clone();
                } else {
                    record_update(t.rt, Some(&live), &mut merged, &manager, Some("status"))?;
                }
                if dry {
                    return Ok(json_response(StatusCode::OK, &merged));
                }
                app.store.update(t.rt, ns, name, merged, true)
            }
            (Some("scale"), Some(live)) => {
                let scale = patch_scale(t.rt, &scale_of(&live), kind, bytes, &manager, force)?;
                let replicas = replicas_of(t.rt, name, &scale)?;
                let mut new = live.clone();
                new["spec"]["replicas"] = json!(replicas);
                if dry {
                    return Ok(json_response(StatusCode::OK, &scale_of(&new)));
                }
                app.store
                    .update(t.rt, ns, name, new, false)
                    .map(|stored| scale_of(&stored))
            }
            _ => return Err(ApiError::not_found(t.rt, name)),
        };
        match result {
            Ok(v) => return Ok(json_response(StatusCode::OK, &v)),
            // Someone else wrote in between: patch the newer version.
            Err(e) if e.reason == "Conflict" => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::internal("patch retries exhausted")))
}

/// A Scale holds no lists, so strategic merge equals JSON merge and it needs no kind schema.
fn patch_scale(
    rt: &ResourceType,
    scale: &Value,
    kind: PatchKind,
    bytes: &[u8],
    manager: &str,
    force: bool,
) -> Result<Value, ApiError> {
    let bad = |e: String| ApiError::bad_request(format!("invalid patch: {e}"));
    match kind {
        PatchKind::Merge | PatchKind::Strategic => {
            let p: Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
            let mut out = scale.clone();
            json_patch::merge(&mut out, &p);
            Ok(out)
        }
        PatchKind::Json => {
            let p: json_patch::Patch =
                serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
            let mut out = scale.clone();
            json_patch::patch(&mut out, &p).map_err(|e| {
                ApiError::invalid(
                    rt,
                    "scale",
                    vec![crate::api_error::Cause {
                        reason: "FieldValueInvalid".into(),
                        message: e.to_string(),
                        field: "patch".into(),
                    }],
                )
            })?;
            Ok(out)
        }
        PatchKind::Apply => patch::patch(rt, Some(scale), kind, bytes, manager, force),
    }
}

/// `spec.replicas` of a Scale. Errors: 422 when missing or negative.
fn replicas_of(rt: &ResourceType, name: &str, scale: &Value) -> Result<i64, ApiError> {
    match scale["spec"]["replicas"].as_i64() {
        Some(r) if r >= 0 => Ok(r),
        _ => Err(ApiError::invalid(
            rt,
            name,
            vec![crate::api_error::Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {}: must be greater than or equal to 0",
                    scale["spec"]["replicas"]
                ),
                field: "spec.replicas".into(),
            }],
        )),
    }
}

/// The `autoscaling/v1` Scale view of a StatefulSet.
pub fn scale_of(obj: &Value) -> Value {
    let m = &obj["metadata"];
    let selector = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"],
            "namespace": m["namespace"],
            "uid": m["uid"],
            "resourceVersion": m["resourceVersion"],
            "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

/// `PUT .../scale`: sets `spec.replicas` (`kubectl scale` with preconditions, kube-rs).
fn put_scale(
    app: &App,
    t: &Target,
    name: &str,
    q: &Query,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    // The body is a Scale, which labsim takes as JSON or YAML only.
    let format = match negotiate::body_format(headers, t.rt)? {
        negotiate::BodyFormat::Protobuf => {
            return Err(ApiError::unsupported_body_media_type(false))
        }
        f => f,
    };
    let scale = negotiate::parse_body(format, bytes, t.rt)?;
    let replicas = replicas_of(t.rt, name, &scale)?;
    let ns = t.namespace.as_deref();
    let mut new = app.store.get(t.rt, ns, name)?;
    new["spec"]["replicas"] = json!(replicas);
    if let Some(rv) = scale["metadata"]["resourceVersion"].as_str() {
        new["metadata"]["resourceVersion"] = json!(rv);
    }
    if q.dry_run()? {
        return Ok(json_response(StatusCode::OK, &scale_of(&new)));
    }
    let stored = app.store.update(t.rt, ns, name, new, false)?;
    Ok(json_response(StatusCode::OK, &scale_of(&stored)))
}

/// The parts of `DeleteOptions` labsim honours (body, overridden by query parameters).
struct DeleteOptions {
    grace: Option<i64>,
    orphan: bool,
    uid: Option<String>,
    resource_version: Option<String>,
    dry_run: bool,
}

fn delete_options(q: &Query, bytes: &[u8]) -> Result<DeleteOptions, ApiError> {
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let policy = q
        .get("propagationPolicy")
        .or_else(|| body["propagationPolicy"].as_str())
        .unwrap_or("Background");
    if !matches!(policy, "Background" | "Foreground" | "Orphan") {
        return Err(ApiError::bad_request(format!(
            "propagationPolicy: Unsupported value: {policy:?}"
        )));
    }
    let orphan = policy == "Orphan" || body["orphanDependents"] == json!(true);
    let body_dry = body["dryRun"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok(DeleteOptions {
        grace: q
            .int("gracePeriodSeconds")?
            .or(body["gracePeriodSeconds"].as_i64()),
        orphan,
        uid: body["preconditions"]["uid"].as_str().map(String::from),
        resource_version: body["preconditions"]["resourceVersion"]
            .as_str()
            .map(String::from),
        dry_run: q.dry_run()? || body_dry,
    })
}

/// `DELETE` one object: 200 with the object as of the deletion.
fn delete(
    app: &App,
    t: &Target,
    name: &str,
    q: &Query,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let opts = delete_options(q, bytes)?;
    let deleted = delete_one(app, t.rt, t.namespace.as_deref(), name, &opts)?;
    Ok(json_response(StatusCode::OK, &deleted))
}

fn delete_one(
    app: &App,
    rt: &ResourceType,
    ns: Option<&str>,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Value, ApiError> {
    let live = app.store.get(rt, ns, name)?;
    let meta = &live["metadata"];
    precondition(rt, name, "UID", opts.uid.as_deref(), meta["uid"].as_str())?;
    precondition(
        rt,
        name,
        "ResourceVersion",
        opts.resource_version.as_deref(),
        meta["resourceVersion"].as_str(),
    )?;
    if opts.dry_run {
        return Ok(live);
    }
    let grace = if rt.kind == "Pod" {
        pod_grace(&live, opts.grace)
    } else {
        None
    };
    // The garbage collector's work, done before the answer as labsim's API always did: the
    // client sees dependents orphaned and the namespace emptied when its DELETE returns.
    if rt.kind == "Namespace" {
        if opts.orphan {
            gc::orphan_dependents(&app.store, meta["uid"].as_str().unwrap_or(""));
        }
        gc::delete_namespace_contents(&app.store, name, opts.grace, opts.orphan);
    }
    let deleted = if opts.orphan && rt.kind != "Namespace" {
        gc::delete_orphaning(&app.store, rt, ns, name, grace)?
    } else {
        app.store.delete(rt, ns, name, grace)?
    };
    tracing::info!(
        "deleted {} {} (grace {grace:?})",
        rt.kind,
        describe(&deleted)
    );
    Ok(deleted)
}

/// `DELETE` a collection (with selectors): the list of what was deleted.
fn delete_collection(app: &App, t: &Target, q: &Query, bytes: &[u8]) -> Result<Response, ApiError> {
    let opts = delete_options(q, bytes)?;
    let filter = Filter::new(t, q)?;
    let (items, _) = app.store.list(t.rt, t.namespace.as_deref());
    let mut deleted = Vec::new();
    for obj in items.iter().filter(|o| filter.matches(o)) {
        let m = &obj["metadata"];
        match delete_one(
            app,
            t.rt,
            m["namespace"].as_str(),
            m["name"].as_str().unwrap_or(""),
            &opts,
        ) {
            Ok(d) => deleted.push(d),
            Err(e) if e.code == 404 => {} // gone meanwhile
            Err(e) => return Err(e),
        }
    }
    let rv = app.store.resource_version();
    Ok(json_response(
        StatusCode::OK,
        &list_object(t.rt, deleted, rv),
    ))
}

/// A delete precondition (`preconditions.uid` / `.resourceVersion`): 409 when it names another
/// version of the object than the stored one.
fn precondition(
    rt: &ResourceType,
    name: &str,
    what: &str,
    want: Option<&str>,
    got: Option<&str>,
) -> Result<(), ApiError> {
    match want {
        Some(w) if Some(w) != got => Err(ApiError::conflict(
            rt,
            name,
            &format!(
                "Precondition failed: {what} in precondition: {w}, {what} in object meta: {}",
                got.unwrap_or("")
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_grace_rules() {
        let unscheduled = json!({"spec": {}});
        assert_eq!(pod_grace(&unscheduled, Some(30)), None);
        let pod = json!({"spec": {"nodeName": "minikube"}});
        assert_eq!(pod_grace(&pod, None), Some(30));
        assert_eq!(pod_grace(&pod, Some(0)), None);
        assert_eq!(pod_grace(&pod, Some(5)), Some(5));
        let custom = json!({"spec": {"nodeName": "m", "terminationGracePeriodSeconds": 10}});
        assert_eq!(pod_grace(&custom, None), Some(10));
    }

    #[test]
    fn scale_view() {
        let sts = json!({"metadata": {"name": "mysql", "namespace": "default", "resourceVersion": "7"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "mysql"}}}, "status": {"replicas": 2}});
        let s = scale_of(&sts);
        assert_eq!(s["spec"]["replicas"], 3);
        assert_eq!(s["status"]["selector"], "app=mysql");
        assert_eq!(s["metadata"]["resourceVersion"], "7");
        let rt = resources::get("StatefulSet");
        let p = patch_scale(
            rt,
            &s,
            PatchKind::Merge,
            br#"{"spec":{"replicas":5}}"#,
            "m",
            false,
        )
        .unwrap();
        assert_eq!(replicas_of(rt, "mysql", &p).unwrap(), 5);
        let p = patch_scale(
            rt,
            &s,
            PatchKind::Json,
            br#"[{"op":"replace","path":"/spec/replicas","value":-1}]"#,
            "m",
            false,
        )
        .unwrap();
        assert_eq!(replicas_of(rt, "mysql", &p).unwrap_err().code, 422);
    }

    #[test]
    fn delete_options_parse() {
        let q = Query::parse(Some("gracePeriodSeconds=0"));
        let o = delete_options(
            &q,
            br#"{"propagationPolicy":"Orphan","preconditions":{"uid":"u"}}"#,
        )
        .unwrap();
        assert_eq!(o.grace, Some(0));
        assert!(o.orphan);
        assert_eq!(o.uid.as_deref(), Some("u"));
        assert!(!delete_options(&Query::default(), b"").unwrap().orphan);
        assert_eq!(
            delete_options(&Query::default(), b"junk")
                .err()
                .unwrap()
                .code,
            400
        );
        assert_eq!(
            delete_options(&Query::default(), br#"{"propagationPolicy":"Never"}"#)
                .err()
                .unwrap()
                .code,
            400
        );
    }

    #[test]
    fn type_check() {
        let rt = resources::get("ConfigMap");
        assert!(check_type(rt, &json!({"apiVersion": "v1", "kind": "ConfigMap"})).is_ok());
        assert!(check_type(rt, &json!({})).is_ok());
        assert_eq!(
            check_type(rt, &json!({"apiVersion": "v1", "kind": "Secret"}))
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            check_type(rt, &json!({"apiVersion": "apps/v1", "kind": "ConfigMap"}))
                .unwrap_err()
                .code,
            400
        );
    }
}
