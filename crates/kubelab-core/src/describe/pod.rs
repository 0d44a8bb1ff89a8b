//! `kubectl describe pod`: identity, status, each container's state, reason, probes, environment
//! (passwords hidden) and mounts, conditions, volumes.

use super::*;

fn probe_text(p: &Probe) -> String {
    let how = if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "))
    } else if let Some(t) = &p.tcp_socket {
        format!("tcp-socket :{}", int_or_string(&t.port))
    } else if let Some(h) = &p.http_get {
        format!(
            "http-get http://:{}{}",
            int_or_string(&h.port),
            h.path.clone().unwrap_or_default()
        )
    } else {
        "unknown".into()
    };
    format!(
        "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    )
}

fn int_or_string(v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString) -> String {
    match v {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    }
}

/// `Waiting`/`Running`/`Terminated` and its reason, from a container status.
fn state_of(s: Option<&ContainerStatus>) -> (String, String, String) {
    let Some(st) = s.and_then(|s| s.state.as_ref()) else {
        return ("Waiting".into(), String::new(), String::new());
    };
    if let Some(w) = &st.waiting {
        (
            "Waiting".into(),
            w.reason.clone().unwrap_or_default(),
            w.message.clone().unwrap_or_default(),
        )
    } else if let Some(t) = &st.terminated {
        (
            "Terminated".into(),
            t.reason.clone().unwrap_or_default(),
            t.message.clone().unwrap_or_default(),
        )
    } else {
        ("Running".into(), String::new(), String::new())
    }
}

fn container_lines(l: &mut Lines, c: &Container, s: Option<&ContainerStatus>) {
    // kubectl's containers section aligns its values two columns further right
    let outer = std::mem::replace(&mut l.width, 20);
    container_fields(l, c, s);
    l.width = outer;
}

fn container_fields(l: &mut Lines, c: &Container, s: Option<&ContainerStatus>) {
    l.raw(&format!("  {}:", c.name));
    l.kv(4, "Image", c.image.as_deref().unwrap_or(""));
    for p in c.ports.iter().flatten() {
        l.kv(
            4,
            "Port",
            &format!(
                "{}/{}",
                p.container_port,
                p.protocol.as_deref().unwrap_or("TCP")
            ),
        );
    }
    let (state, reason, message) = state_of(s);
    l.kv(4, "State", &state);
    if !reason.is_empty() {
        l.kv(6, "Reason", &reason);
    }
    if !message.is_empty() {
        l.kv(6, "Message", &message);
    }
    l.kv(
        4,
        "Ready",
        if s.is_some_and(|s| s.ready) {
            "True"
        } else {
            "False"
        },
    );
    l.kv(
        4,
        "Restart Count",
        &s.map_or(0, |s| s.restart_count).to_string(),
    );
    if let Some(p) = &c.readiness_probe {
        l.kv(4, "Readiness", &probe_text(p));
    }
    if let Some(p) = &c.liveness_probe {
        l.kv(4, "Liveness", &probe_text(p));
    }
    let env = c.env.clone().unwrap_or_default();
    if env.is_empty() {
        l.kv(4, "Environment", "<none>");
    } else {
        l.raw("    Environment:");
        for e in env {
            let shown = match (&e.value, &e.value_from) {
                // a literal password is never shown (kubectl would)
                (Some(_), _) if e.name.to_ascii_uppercase().contains("PASSWORD") => {
                    "<값은 표시하지 않음>".to_string()
                }
                (Some(v), _) => v.clone(),
                (None, Some(f)) => match (&f.secret_key_ref, &f.config_map_key_ref) {
                    (Some(r), _) => format!(
                        "<set to the key '{}' in secret '{}'>  Optional: {}",
                        r.key,
                        r.name,
                        r.optional.unwrap_or(false)
                    ),
                    (_, Some(r)) => format!(
                        "<set to the key '{}' of config map '{}'>  Optional: {}",
                        r.key,
                        r.name,
                        r.optional.unwrap_or(false)
                    ),
                    _ => "<set from a field>".into(),
                },
                _ => String::new(),
            };
            l.raw(&format!("      {}:  {shown}", e.name));
        }
    }
    let mounts = c.volume_mounts.clone().unwrap_or_default();
    if !mounts.is_empty() {
        l.raw("    Mounts:");
        for m in mounts {
            let rw = if m.read_only.unwrap_or(false) {
                "ro"
            } else {
                "rw"
            };
            l.raw(&format!("      {} from {} ({rw})", m.mount_path, m.name));
        }
    }
}

/// A pod: identity, status, each container's state/reason/probe, conditions, claims, Events.
pub fn describe_pod(p: &Pod, events: &[Event], now: DateTime<Utc>) -> Description {
    let mut l = Lines::new(18);
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    let phase = if p.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.clone().unwrap_or_else(|| "Pending".into())
    };
    l.kv(0, "Name", &p.name_any());
    l.kv(0, "Namespace", &p.namespace().unwrap_or_default());
    let node = match (&spec.node_name, &status.host_ip) {
        (Some(n), Some(ip)) => format!("{n}/{ip}"),
        (Some(n), None) => n.clone(),
        _ => "<none>".into(),
    };
    l.kv(0, "Node", &node);
    l.map("Labels", p.labels());
    l.map("Annotations", p.annotations());
    l.kv(0, "Status", &phase);
    l.kv(0, "IP", status.pod_ip.as_deref().unwrap_or(""));
    if let Some(o) = p
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true))
    {
        l.kv(0, "Controlled By", &format!("{}/{}", o.kind, o.name));
    }
    let statuses = status.container_statuses.clone().unwrap_or_default();
    l.raw("Containers:");
    let mut fields = vec![("Status".to_string(), phase.clone())];
    for (i, c) in spec.containers.iter().enumerate() {
        let s = statuses.iter().find(|s| s.name == c.name);
        container_lines(&mut l, c, s);
        if i == 0 {
            let (state, reason, _) = state_of(s);
            fields.push(("State".into(), state));
            fields.push(("Reason".into(), reason));
            fields.push((
                "Ready".into(),
                if s.is_some_and(|s| s.ready) {
                    "True"
                } else {
                    "False"
                }
                .into(),
            ));
            fields.push(("Image".into(), c.image.clone().unwrap_or_default()));
        }
    }
    let conds = status.conditions.clone().unwrap_or_default();
    if conds.is_empty() {
        l.kv(0, "Conditions", "<none>");
    } else {
        l.raw("Conditions:");
        let w = conds
            .iter()
            .map(|c| c.type_.len())
            .max()
            .unwrap_or(4)
            .max(4)
            + 2;
        l.raw(&format!("  {:<w$}Status", "Type"));
        for c in &conds {
            l.raw(&format!("  {:<w$}{}", c.type_, c.status));
            fields.push((format!("Condition {}", c.type_), c.status.clone()));
        }
    }
    let vols = spec.volumes.clone().unwrap_or_default();
    if !vols.is_empty() {
        l.raw("Volumes:");
        for v in vols {
            l.raw(&format!("  {}:", v.name));
            if let Some(c) = &v.persistent_volume_claim {
                l.kv(4, "Type", "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)");
                l.kv(4, "ClaimName", &c.claim_name);
                fields.push(("ClaimName".into(), c.claim_name.clone()));
            } else {
                l.kv(4, "Type", "(other)");
            }
        }
    }
    finish("pod", &p.name_any(), l, fields, event_table(events, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now = Utc::now();
        let ago = |s: i64| age(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(5), "5s");
        assert_eq!(ago(125), "2m5s");
        assert_eq!(ago(600), "10m");
        assert_eq!(ago(4 * 3600), "4h");
    }

    #[test]
    fn a_pod_stuck_on_its_image_shows_the_reason_and_hides_passwords() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0", "namespace": "default", "uid": "u1",
                "labels": {"app": "mysql"}},
            "spec": {"nodeName": "minikube-m02", "containers": [{"name": "mysql", "image": "myslq:8.4.3",
                "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "secret-value"}]}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "mysql", "ready": false,
                "restartCount": 0, "image": "myslq:8.4.3", "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"myslq:8.4.3\": ErrImagePull: Error response from daemon: pull access denied for myslq, repository does not exist or may require 'docker login'"}}}],
                "conditions": [{"type": "Ready", "status": "False"}]}
        }))
        .unwrap();
        let ev: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0.1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "mysql-0", "uid": "u1"},
            "type": "Warning", "reason": "Failed", "message": "Error: ImagePullBackOff", "count": 3,
            "source": {"component": "kubelet"},
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:20Z"
        }))
        .unwrap();
        let now = "2026-01-01T00:00:30Z".parse().unwrap();
        let d = describe_pod(&pod, &[ev], now);
        assert_eq!(d.get("Reason"), Some("ImagePullBackOff"));
        assert_eq!(d.get("Status"), Some("Pending"));
        let text = d.to_string();
        assert!(text.contains("Reason:       ImagePullBackOff"), "{text}");
        assert!(text.contains("10s (x3 over 30s)"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        assert_eq!(d.events.len(), 1);
    }

    #[test]
    fn a_multi_line_probe_message_stays_in_its_column() {
        let ev: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0.2", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "mysql-0"},
            "type": "Warning", "reason": "Unhealthy", "source": {"component": "kubelet"},
            "message": "Readiness probe failed: mysqladmin: connect to server at '127.0.0.1' failed\nerror: 'Can't connect'",
            "lastTimestamp": "2026-01-01T00:00:20Z"
        }))
        .unwrap();
        let now = "2026-01-01T00:00:30Z".parse().unwrap();
        let text = events_text(&event_table(&[ev], now));
        let cont = text.lines().find(|l| l.contains("error: 'Can't")).unwrap();
        let first = text
            .lines()
            .find(|l| l.contains("Readiness probe"))
            .unwrap();
        assert_eq!(cont.find("error"), first.find("Readiness"), "{text}");
    }
}
