//! Pod status as data: the kubelet's view of one pod (`PodView`) rendered into `status` JSON the way
//! the real kubelet writes it (phase, conditions, containerStatuses). Pure, so rules are testable.

use serde_json::{json, Value};

/// The container's current state (`state.waiting|running|terminated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not running: `ContainerCreating`, `ErrImagePull`, `ImagePullBackOff`, `CrashLoopBackOff`,
    /// `CreateContainerConfigError`.
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started_at: String,
    },
    Terminated(Terminated),
}

/// A finished container run (`state.terminated` / `lastState.terminated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    /// `Error`, `Completed`, `OOMKilled`.
    pub reason: String,
    pub started_at: String,
    pub finished_at: String,
    pub container_id: String,
}

impl Terminated {
    /// A container that exited with `code` now: `Completed` for 0, else `Error`.
    pub fn exited(code: i32, started_at: String, container_id: String) -> Terminated {
        Terminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            started_at,
            finished_at: crate::store::now(),
            container_id,
        }
    }

    fn to_json(&self) -> Value {
        json!({"terminated": {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "containerID": self.container_id,
        }})
    }
}

/// One init container: it runs to completion before the next one, all before the containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitView {
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub container_id: Option<String>,
    /// `Waiting{PodInitializing}` until it runs; `Terminated` with exit 0 when done.
    pub state: State,
    pub restart_count: u32,
    pub last: Option<Terminated>,
}

impl InitView {
    pub fn new(name: &str, image: &str) -> InitView {
        InitView {
            name: name.into(),
            image: image.into(),
            image_id: String::new(),
            container_id: None,
            state: State::Waiting {
                reason: "PodInitializing".into(),
                message: None,
            },
            restart_count: 0,
            last: None,
        }
    }

    /// Finished successfully.
    pub fn done(&self) -> bool {
        matches!(&self.state, State::Terminated(t) if t.exit_code == 0)
    }
}

/// One container of the pod (`spec.containers[i]`): its own process, restarts, state and
/// probes, as the kubelet keeps a status per container (pkg/kubelet/kubelet_pods.go
/// `convertToAPIContainerStatuses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub container_id: Option<String>,
    pub state: State,
    pub ready: bool,
    /// Startup probe passed (or none) while running.
    pub started: bool,
    pub restart_count: u32,
    pub last: Option<Terminated>,
}

impl ContainerView {
    pub fn new(name: &str, image: &str, state: State) -> ContainerView {
        ContainerView {
            name: name.into(),
            image: image.into(),
            image_id: String::new(),
            container_id: None,
            state,
            ready: false,
            started: false,
            restart_count: 0,
            last: None,
        }
    }

    fn running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    /// Running and ready (what `ContainersReady` counts).
    pub fn is_ready(&self) -> bool {
        self.running() && self.ready
    }

    fn to_json(&self) -> Value {
        let never_ran = matches!(&self.state, State::Waiting { reason, .. }
            if reason == "ContainerCreating" || reason == "PodInitializing");
        let mut cs = json!({
            "name": self.name,
            "image": self.image,
            "imageID": if never_ran { String::new() } else { self.image_id.clone() },
            "ready": self.is_ready(),
            "restartCount": self.restart_count,
            "started": self.running() && self.started,
            "state": state_json(&self.state),
            "lastState": self.last.as_ref().map(Terminated::to_json).unwrap_or_else(|| json!({})),
        });
        if let Some(id) = &self.container_id {
            cs["containerID"] = json!(id);
        }
        cs
    }
}

/// Everything the kubelet knows about one pod: its containers (in spec order), its init
/// containers, where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    /// `spec.containers`, in spec order.
    pub containers: Vec<ContainerView>,
    pub host_ip: String,
    pub pod_ip: Option<String>,
    pub start_time: String,
    /// The init containers, in order.
    pub init: Vec<InitView>,
    /// `Succeeded` / `Failed` once every container ended for good (`restartPolicy` Never, or
    /// OnFailure after exit 0).
    pub final_phase: Option<&'static str>,
}

impl PodView {
    /// Every init container completed (or there are none).
    pub fn initialized(&self) -> bool {
        self.init.iter().all(InitView::done)
    }

    /// Phase as the kubelet's `getPhase` (pkg/kubelet/kubelet_pods.go) reads it for labsim's
    /// states: Pending until the init containers completed and while a container has never
    /// run; Running once every container runs or ran (through crashes and back-offs); the
    /// final phase once all ended for good.
    pub fn phase(&self) -> &'static str {
        if let Some(p) = self.final_phase {
            return p;
        }
        if !self.initialized() || self.containers.is_empty() {
            return "Pending";
        }
        let ran = |c: &ContainerView| c.running() || c.restart_count > 0 || c.last.is_some();
        if self.containers.iter().all(ran) {
            "Running"
        } else {
            "Pending"
        }
    }

    /// All containers running and ready.
    pub fn ready(&self) -> bool {
        !self.containers.is_empty() && self.containers.iter().all(ContainerView::is_ready)
    }
}

/// Renders `status`. `old` is the live status: conditions keep their `lastTransitionTime` while
/// their value does not change, as the real kubelet does.
pub fn render(view: &PodView, old: &Value, now: &str) -> Value {
    // The sandbox is ready once no container waits for it any more.
    let creating = view.containers.iter().all(
        |c| matches!(&c.state, State::Waiting { reason, .. } if reason == "ContainerCreating"),
    );
    let ready = view.ready();
    // pkg/kubelet/status/generate.go: `containers with unready status: [a b]`, in spec order.
    let unready_names: Vec<&str> = view
        .containers
        .iter()
        .filter(|c| !c.is_ready())
        .map(|c| c.name.as_str())
        .collect();
    let unready = json!(format!(
        "containers with unready status: [{}]",
        unready_names.join(" ")
    ));
    let cond = |kind: &str, ok: bool, reason: Option<&str>| {
        let since = old["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
            .filter(|c| c["status"] == if ok { "True" } else { "False" })
            .and_then(|c| c["lastTransitionTime"].as_str())
            .unwrap_or(now)
            .to_string();
        let mut c = json!({"type": kind, "status": if ok {"True"} else {"False"},
            "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = json!(r);
            if r != "PodCompleted" {
                c["message"] = unready.clone();
            }
        }
        c
    };
    let not_ready = if ready {
        None
    } else if view.final_phase.is_some() {
        Some("PodCompleted")
    } else {
        Some("ContainersNotReady")
    };
    let initialized = view.initialized();
    let mut init_cond = cond("Initialized", initialized, None);
    if !initialized {
        let pending: Vec<&str> = view
            .init
            .iter()
            .filter(|i| !i.done())
            .map(|i| i.name.as_str())
            .collect();
        init_cond["reason"] = json!("ContainersNotInitialized");
        init_cond["message"] = json!(format!(
            "containers with incomplete status: [{}]",
            pending.join(" ")
        ));
    }
    let conditions = vec![
        cond("PodReadyToStartContainers", !creating, None),
        init_cond,
        cond("Ready", ready, not_ready),
        cond("ContainersReady", ready, not_ready),
        cond("PodScheduled", true, None),
    ];
    // The status manager sorts container statuses by name (pkg/kubelet/status/status_manager.go
    // `normalizeStatus`, kubetypes.SortedContainerStatuses); init containers keep spec order.
    let mut sorted: Vec<&ContainerView> = view.containers.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let statuses: Vec<Value> = sorted.iter().map(|c| c.to_json()).collect();
    let mut status = json!({
        "phase": view.phase(),
        "conditions": conditions,
        "hostIP": view.host_ip,
        "hostIPs": [{"ip": view.host_ip}],
        "startTime": view.start_time,
        "containerStatuses": statuses,
        // Set once at creation from requests and limits (objects::defaults), never recomputed.
        "qosClass": old["qosClass"].as_str().unwrap_or("BestEffort"),
    });
    if !view.init.is_empty() {
        status["initContainerStatuses"] = view
            .init
            .iter()
            .map(|i| {
                let mut c = json!({
                    "name": i.name,
                    "image": i.image,
                    "imageID": i.image_id,
                    "ready": i.done(),
                    "restartCount": i.restart_count,
                    "started": matches!(i.state, State::Running { .. }),
                    "state": state_json(&i.state),
                    "lastState": i.last.as_ref().map(Terminated::to_json).unwrap_or_else(|| json!({})),
                });
                if let Some(id) = &i.container_id {
                    c["containerID"] = json!(id);
                }
                c
            })
            .collect();
    }
    if let Some(ip) = &view.pod_ip {
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
    }
    status
}

fn state_json(state: &State) -> Value {
    match state {
        State::Waiting { reason, message } => {
            let mut w = json!({"reason": reason});
            if let Some(m) = message {
                w["message"] = json!(m);
            }
            json!({"waiting": w})
        }
        State::Running { started_at } => json!({"running": {"startedAt": started_at}}),
        State::Terminated(t) => t.to_json(),
    }
}

/// The pod IP range of a node, minikube style: `minikube` 10.244.0.x, `minikube-m02` 10.244.1.x.
/// A duration as Go's `time.Duration.String()` prints it: `1m20s`, `5m0s`, `10s`, `834ms`,
/// `2.145s`, `1h0m0s` (what the kubelet's messages show, e.g. `back-off 1m20s restarting failed
/// container=...`).
pub fn go_duration(d: std::time::Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        // Go picks ns, µs or ms and prints a fraction without trailing zeros.
        let (unit, div) = if nanos < 1_000 {
            ("ns", 1)
        } else if nanos < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", fraction(nanos, div));
    }
    let total_secs = d.as_secs();
    let (h, m) = (total_secs / 3600, (total_secs / 60) % 60);
    let secs = fraction(
        (total_secs % 60) as u128 * 1_000_000_000 + d.subsec_nanos() as u128,
        1_000_000_000,
    );
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

/// `value / div` with its fraction, trailing zeros dropped (`2145000000 / 1e9` → `2.145`).
fn fraction(value: u128, div: u128) -> String {
    let (whole, rest) = (value / div, value % div);
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let frac = format!("{rest:0width$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

pub fn node_index(node: &str) -> u8 {
    node.rsplit_once("-m")
        .and_then(|(_, n)| n.parse::<u8>().ok())
        .map(|n| n.saturating_sub(1))
        .unwrap_or(0)
}

/// The node's InternalIP as minikube's docker driver assigns it (192.168.49.2, .3, .4).
pub fn host_ip(node: &Value, name: &str) -> String {
    node["status"]["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
        .and_then(|x| x["address"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("192.168.49.{}", 2 + node_index(name) as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: State) -> PodView {
        let mut c = ContainerView::new("mysql", "mysql:8.4.3", state);
        c.image_id = "docker-pullable://mysql@sha256:ab".into();
        PodView {
            containers: vec![c],
            host_ip: "192.168.49.3".into(),
            pod_ip: None,
            start_time: "2026-01-01T00:00:00Z".into(),
            init: vec![],
            final_phase: None,
        }
    }

    fn golden(name: &str, got: &Value) {
        let path = format!(
            "{}/src/kubelet/testdata/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        testkit::golden::check_json(path, got);
    }

    #[test]
    fn creating_is_pending_and_not_ready() {
        let v = view(State::Waiting {
            reason: "ContainerCreating".into(),
            message: None,
        });
        let s = render(&v, &Value::Null, "2026-01-01T00:00:01Z");
        assert_eq!(s["phase"], "Pending");
        golden("creating", &s);
    }

    #[test]
    fn running_ready_after_restart_golden() {
        let mut v = view(State::Running {
            started_at: "2026-01-01T00:01:00Z".into(),
        });
        v.pod_ip = Some("10.244.1.2".into());
        v.containers[0].container_id = Some("docker://cafe".into());
        v.containers[0].ready = true;
        v.containers[0].started = true;
        v.containers[0].restart_count = 1;
        v.containers[0].last = Some(Terminated {
            exit_code: 137,
            reason: "Error".into(),
            started_at: "2026-01-01T00:00:02Z".into(),
            finished_at: "2026-01-01T00:00:59Z".into(),
            container_id: "docker://beef".into(),
        });
        let s = render(&v, &Value::Null, "2026-01-01T00:01:01Z");
        assert_eq!(s["phase"], "Running");
        golden("running_ready", &s);
    }

    #[test]
    fn crashloop_keeps_running_phase_and_transition_times_stick() {
        let mut v = view(State::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: Some("back-off 1s restarting failed container".into()),
        });
        v.containers[0].restart_count = 2;
        let first = render(&v, &Value::Null, "T1");
        assert_eq!(first["phase"], "Running");
        assert_eq!(first["containerStatuses"][0]["ready"], false);
        let second = render(&v, &first, "T2");
        assert_eq!(second["conditions"][2]["lastTransitionTime"], "T1");
        v.containers[0].state = State::Running {
            started_at: "T3".into(),
        };
        v.containers[0].ready = true;
        let third = render(&v, &second, "T3");
        assert_eq!(third["conditions"][2]["status"], "True");
        assert_eq!(third["conditions"][2]["lastTransitionTime"], "T3");
        assert_eq!(third["conditions"][1]["lastTransitionTime"], "T1");
    }

    #[test]
    fn init_containers_run_first_golden() {
        let mut v = view(State::Waiting {
            reason: "PodInitializing".into(),
            message: None,
        });
        v.pod_ip = Some("10.244.1.2".into());
        let mut first = InitView::new("init-db", "mysql:8.4.3");
        first.image_id = "docker-pullable://mysql@sha256:ab".into();
        first.container_id = Some("docker://f00d".into());
        first.state = State::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: Some("back-off 1s restarting failed container=init-db".into()),
        };
        first.restart_count = 1;
        first.last = Some(Terminated {
            exit_code: 1,
            reason: "Error".into(),
            started_at: "2026-01-01T00:00:02Z".into(),
            finished_at: "2026-01-01T00:00:03Z".into(),
            container_id: "docker://f00d".into(),
        });
        v.init = vec![first, InitView::new("init-2", "mysql:8.4.3")];
        let s = render(&v, &Value::Null, "2026-01-01T00:00:04Z");
        assert_eq!(s["phase"], "Pending");
        assert_eq!(s["conditions"][1]["status"], "False");
        assert_eq!(
            s["conditions"][1]["message"],
            "containers with incomplete status: [init-db init-2]"
        );
        golden("init_crashloop", &s);
        // All done: Initialized, the main container may run.
        for i in &mut v.init {
            i.state = State::Terminated(Terminated {
                exit_code: 0,
                reason: "Completed".into(),
                started_at: "T".into(),
                finished_at: "T".into(),
                container_id: "docker://1".into(),
            });
        }
        v.containers[0].state = State::Running {
            started_at: "T".into(),
        };
        let s = render(&v, &s, "2026-01-01T00:00:05Z");
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["conditions"][1]["status"], "True");
        assert_eq!(s["initContainerStatuses"][1]["ready"], true);
    }

    #[test]
    fn several_containers_ready_only_when_all_are() {
        // Spec order web, app: statuses come sorted by name (pkg/kubelet/status/
        // status_manager.go normalizeStatus), the unready message in spec order
        // (pkg/kubelet/status/generate.go).
        let running = || State::Running {
            started_at: "T".into(),
        };
        let mut v = view(running());
        v.containers[0].name = "web".into();
        v.containers[0].ready = true;
        v.containers[0].started = true;
        v.containers.push(ContainerView::new(
            "app",
            "busybox",
            State::Waiting {
                reason: "ContainerCreating".into(),
                message: None,
            },
        ));
        let s = render(&v, &Value::Null, "T1");
        assert_eq!(s["phase"], "Pending", "a container never ran");
        let names: Vec<&str> = s["containerStatuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["app", "web"]);
        assert_eq!(s["containerStatuses"][1]["ready"], true);
        assert_eq!(s["conditions"][2]["status"], "False");
        assert_eq!(
            s["conditions"][2]["message"],
            "containers with unready status: [app]"
        );
        v.containers[1].state = running();
        let s = render(&v, &s, "T2");
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["conditions"][3]["status"], "False", "app not ready yet");
        v.containers[1].ready = true;
        let s = render(&v, &s, "T3");
        assert_eq!(s["conditions"][2]["status"], "True");
        assert_eq!(s["conditions"][3]["status"], "True");
        // One crashes: the pod stays Running, not ready.
        v.containers[0].state = State::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: None,
        };
        v.containers[0].restart_count = 1;
        let s = render(&v, &s, "T4");
        assert_eq!(s["phase"], "Running");
        assert_eq!(
            s["conditions"][2]["message"],
            "containers with unready status: [web]"
        );
    }

    #[test]
    fn go_durations_print_as_go_does() {
        use std::time::Duration as D;
        // Go's time.Duration.String() (src/time/time.go).
        let cases = [
            (D::from_secs(80), "1m20s"),
            (D::from_secs(10), "10s"),
            (D::from_secs(300), "5m0s"),
            (D::from_secs(3600), "1h0m0s"),
            (D::from_millis(834), "834ms"),
            (D::from_millis(2145), "2.145s"),
            (D::from_millis(62345), "1m2.345s"),
            (D::from_micros(1500), "1.5ms"),
            (D::ZERO, "0s"),
        ];
        for (d, want) in cases {
            assert_eq!(go_duration(d), want);
        }
    }

    #[test]
    fn qos_class_is_kept_from_creation() {
        let v = view(State::Waiting {
            reason: "ContainerCreating".into(),
            message: None,
        });
        let s = render(
            &v,
            &json!({"qosClass": "Guaranteed"}),
            "2024-01-01T00:00:00Z",
        );
        assert_eq!(s["qosClass"], "Guaranteed");
        let s = render(&v, &json!({}), "2024-01-01T00:00:00Z");
        assert_eq!(s["qosClass"], "BestEffort");
    }

    #[test]
    fn nodes_map_to_pod_ranges_and_host_ips() {
        assert_eq!(node_index("minikube"), 0);
        assert_eq!(node_index("minikube-m02"), 1);
        assert_eq!(node_index("minikube-m03"), 2);
        assert_eq!(host_ip(&Value::Null, "minikube-m03"), "192.168.49.4");
        let n = json!({"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.9"}]}});
        assert_eq!(host_ip(&n, "minikube"), "10.0.0.9");
    }
}
