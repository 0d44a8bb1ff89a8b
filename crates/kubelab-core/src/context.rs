//! The kube context kubelab acts on: kubeconfig from `KUBECONFIG` or `~/.kube/config`, its current
//! context, and the guard that only lab clusters (minikube, labsim) are touched unless opted in.

use std::path::PathBuf;
use std::sync::Mutex;

use kube::config::Kubeconfig;

use crate::error::cluster::Error;

/// What kind of cluster a context points at (minikube, labsim, other).
pub use kubelab::ClusterKind;

/// The current context as read from the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    /// Context name.
    pub name: String,
    /// Cluster name the context refers to.
    pub cluster: String,
    /// API server URL.
    pub server: String,
}

static ALLOWED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records that kubelab may act on a kube context that is not a lab cluster (process-wide).
/// The call learners make is `allow_context` (`cluster.rs`): it also forgets the connected `Lab`.
pub fn allow(name: &str) {
    let mut a = ALLOWED.lock().unwrap_or_else(|e| e.into_inner());
    if !a.iter().any(|n| n == name) {
        a.push(name.to_string());
    }
    // Also in the environment: evcxr gives every cell its own copy of kubelab's statics, but
    // one process environment, so the choice holds in later cells too.
    let mut env: Vec<String> = std::env::var("KUBELAB_ALLOW_CONTEXT")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !env.iter().any(|n| n == name) {
        env.push(name.to_string());
        std::env::set_var("KUBELAB_ALLOW_CONTEXT", env.join(","));
    }
}

fn allowed_names() -> Vec<String> {
    let mut v = ALLOWED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Ok(n) = std::env::var("KUBELAB_ALLOW_CONTEXT") {
        v.extend(
            n.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
    }
    v
}

/// The repository root (this crate's directory): labsim keeps its state in `<repo>/.labsim`.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Directory holding minikube profiles (`$MINIKUBE_HOME/.minikube` or `~/.minikube`).
/// Names and API server URLs (`https://IP:PORT` of each node) of the minikube profiles in
/// `$MINIKUBE_HOME/.minikube/profiles` or `~/.minikube/profiles`.
fn minikube_profiles() -> Vec<String> {
    let base = match std::env::var_os("MINIKUBE_HOME") {
        Some(h) => {
            let h = PathBuf::from(h);
            if h.ends_with(".minikube") {
                h
            } else {
                h.join(".minikube")
            }
        }
        None => match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".minikube"),
            None => return Vec::new(),
        },
    };
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(base.join("profiles")) else {
        return out;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let Ok(text) = std::fs::read_to_string(e.path().join("config.json")) else {
            continue;
        };
        if let Ok(name) = e.file_name().into_string() {
            out.push(name);
        }
        out.extend(profile_servers(&text));
    }
    out
}

/// `https://IP:PORT` of the control-plane nodes in a minikube profile's config.json.
pub fn profile_servers(config_json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(config_json).unwrap_or_default();
    v["Nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| n["ControlPlane"].as_bool().unwrap_or(true))
                .filter_map(|n| {
                    Some(format!(
                        "https://{}:{}",
                        n["IP"].as_str()?,
                        n["Port"].as_u64()?
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Classifies a context: `minikube`, a minikube profile's name or server (`profiles` holds both),
/// `labsim` on loopback, or other.
pub fn classify(ctx: &ContextInfo, profiles: &[String]) -> ClusterKind {
    if ctx.name == "labsim" && is_loopback(&ctx.server) {
        ClusterKind::Labsim
    } else if ctx.name == "minikube"
        || profiles
            .iter()
            .any(|p| *p == ctx.name || *p == ctx.cluster || *p == ctx.server)
    {
        ClusterKind::Minikube
    } else {
        ClusterKind::Other
    }
}

fn is_loopback(server: &str) -> bool {
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"));
    rest.is_some_and(|r| {
        r.starts_with("127.0.0.1:") || r.starts_with("localhost:") || r.starts_with("[::1]:")
    })
}

/// Refuses a context that is not a lab cluster unless it was allowed.
pub fn guard(
    ctx: &ContextInfo,
    profiles: &[String],
    allowed: &[String],
) -> Result<ClusterKind, Error> {
    let kind = classify(ctx, profiles);
    if kind != ClusterKind::Other || allowed.contains(&ctx.name) {
        Ok(kind)
    } else {
        Err(Error::ContextRefused {
            context: ctx.name.clone(),
            server: ctx.server.clone(),
        })
    }
}

/// Reads the kubeconfig (`KUBECONFIG` or `~/.kube/config`) and its current context.
pub fn load() -> Result<(Kubeconfig, ContextInfo), Error> {
    adopt_labsim_kubeconfig();
    let kc = Kubeconfig::read().map_err(|e| Error::NoKubeconfig {
        location: kubeconfig_location(),
        detail: e.to_string(),
    })?;
    let ctx = current_context(&kc)?;
    Ok((kc, ctx))
}

/// With no `KUBECONFIG` and no `~/.kube/config`, a labsim started earlier by `start_cluster`
/// (state in `<repo>/.labsim`) is the cluster: a new kernel finds it without another start.
fn adopt_labsim_kubeconfig() {
    if std::env::var_os("KUBECONFIG").is_some() {
        return;
    }
    let home_config = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config"));
    if home_config.is_some_and(|p| p.is_file()) {
        return;
    }
    let labsim = repo_root().join(".labsim/kubeconfig");
    if labsim.is_file() {
        std::env::set_var("KUBECONFIG", labsim);
    }
}

/// Where the kubeconfig is read from, for messages.
pub fn kubeconfig_location() -> String {
    std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".to_string())
}

/// The current context of a kubeconfig.
pub fn current_context(kc: &Kubeconfig) -> Result<ContextInfo, Error> {
    let name = kc
        .current_context
        .clone()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::NoContext {
            location: kubeconfig_location(),
        })?;
    let context = kc.contexts.iter().find(|c| c.name == name);
    let cluster = context
        .and_then(|c| Some(c.context.as_ref()?.cluster.clone()))
        .unwrap_or_default();
    let entry = kc.clusters.iter().find(|c| c.name == cluster);
    let server = entry
        .and_then(|c| c.cluster.as_ref()?.server.clone())
        .unwrap_or_default();
    Ok(ContextInfo {
        name,
        cluster,
        server,
    })
}

/// Loads the kubeconfig and applies the guard with the process's opt-ins.
pub fn load_guarded() -> Result<(Kubeconfig, ContextInfo, ClusterKind), Error> {
    let (kc, ctx) = load()?;
    let kind = guard(&ctx, &minikube_profiles(), &allowed_names())?;
    Ok((kc, ctx, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str, cluster: &str, server: &str) -> ContextInfo {
        ContextInfo {
            name: name.into(),
            cluster: cluster.into(),
            server: server.into(),
        }
    }

    #[test]
    fn minikube_is_a_lab_cluster() {
        let c = ctx("minikube", "minikube", "https://192.168.49.2:8443");
        assert_eq!(guard(&c, &[], &[]).unwrap(), ClusterKind::Minikube);
    }

    #[test]
    fn other_minikube_profile_is_a_lab_cluster() {
        let c = ctx("lab2", "lab2", "https://192.168.58.2:8443");
        assert_eq!(
            guard(&c, &["lab2".into()], &[]).unwrap(),
            ClusterKind::Minikube
        );
        assert!(guard(&c, &["minikube".into()], &[]).is_err());
    }

    #[test]
    fn minikube_profile_server_is_a_lab_cluster() {
        let cfg = r#"{"Name":"lab","Nodes":[{"Name":"","IP":"192.168.49.2","Port":8443,"ControlPlane":true},
            {"Name":"m02","IP":"192.168.49.3","Port":8443,"ControlPlane":false}]}"#;
        let servers = profile_servers(cfg);
        assert_eq!(servers, vec!["https://192.168.49.2:8443"]);
        let c = ctx("renamed-ctx", "renamed", "https://192.168.49.2:8443");
        assert_eq!(guard(&c, &servers, &[]).unwrap(), ClusterKind::Minikube);
        assert!(profile_servers("not json").is_empty());
    }

    #[test]
    fn labsim_on_loopback_is_a_lab_cluster() {
        let c = ctx("labsim", "labsim", "https://127.0.0.1:41234");
        assert_eq!(guard(&c, &[], &[]).unwrap(), ClusterKind::Labsim);
        // a context merely named labsim that points elsewhere is not trusted
        let far = ctx("labsim", "labsim", "https://prod.example.com:6443");
        assert!(guard(&far, &[], &[]).is_err());
    }

    #[test]
    fn foreign_context_is_refused_with_how_to_opt_in() {
        let c = ctx("prod-eks", "prod", "https://ABC.eks.amazonaws.com");
        let e = guard(&c, &[], &[]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("prod-eks"), "{msg}");
        assert!(msg.contains("https://ABC.eks.amazonaws.com"), "{msg}");
        assert!(msg.contains("allow_context(\"prod-eks\")"), "{msg}");
        assert!(msg.contains("KUBELAB_ALLOW_CONTEXT=prod-eks"), "{msg}");
        assert!(msg.contains("실습"), "{msg}");
    }

    #[test]
    fn opt_in_allows_a_foreign_context() {
        let c = ctx("kind-dev", "kind-dev", "https://127.0.0.1:6443");
        assert_eq!(
            guard(&c, &[], &["kind-dev".into()]).unwrap(),
            ClusterKind::Other
        );
    }

    #[test]
    fn current_context_is_resolved_from_kubeconfig() {
        let kc = Kubeconfig::from_yaml(
            "apiVersion: v1\nkind: Config\ncurrent-context: labsim\n\
             clusters:\n- name: labsim\n  cluster:\n    server: https://127.0.0.1:40001\n\
             contexts:\n- name: labsim\n  context:\n    cluster: labsim\n    user: labsim\n\
             users:\n- name: labsim\n  user:\n    token: t\n",
        )
        .unwrap();
        let c = current_context(&kc).unwrap();
        assert_eq!(c, ctx("labsim", "labsim", "https://127.0.0.1:40001"));
        let empty = Kubeconfig::from_yaml("apiVersion: v1\nkind: Config\n").unwrap();
        assert!(matches!(
            current_context(&empty),
            Err(Error::NoContext { .. })
        ));
    }
}
