//! [`Call`]: every step a cell can ask the engine for, with typed arguments, and how it travels
//! (`into_frame`/`from_frame`, as mini-redis's `Command`); [`send`] sends one to the kernel's
//! engine, prints its lines as they arrive and returns the typed result.
//!
//! The engine (kubelab-core inside the kernel process) lives as long as the kernel: one runtime,
//! one client, SQL sessions and watches that outlive cells. A cell only holds this small client,
//! which connects to the socket the kernel names in `KUBELAB_SOCKET`.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::show::Shown;
use crate::wire::{read_frame, write_frame, Data, Field, Frame, Value, Wire};
use crate::Error;

/// The environment variable holding the engine's socket path (set by the kernel).
pub const SOCKET_ENV: &str = "KUBELAB_SOCKET";

/// Longest a call may take: every engine step has its own shorter timeout (300 s at most), so
/// this only ends a call whose kernel stopped answering.
const CALL_LIMIT: Duration = Duration::from_secs(900);

/// The enum, its operation names and its frame form from one list of variants.
macro_rules! calls {
    ($($(#[$doc:meta])* $variant:ident = $op:literal { $($field:ident: $ty:ty),* $(,)? },)*) => {
        /// One step a cell asks the engine for. The engine's dispatch is a `match` on it, so a
        /// variant without an arm there does not compile.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Call {
            $($(#[$doc])* $variant { $($field: $ty),* },)*
        }

        impl Call {
            /// Every operation's name, in the table's order.
            pub const OPS: &'static [&'static str] = &[$($op),*];

            /// The operation's name on the wire.
            pub fn op(&self) -> &'static str {
                match self {
                    $(Call::$variant { .. } => $op,)*
                }
            }

            /// The frame that carries this call: the operation's name and each argument by name.
            pub fn into_frame(self) -> Frame {
                match self {
                    $(Call::$variant { $($field),* } => Frame::Call(Value {
                        kind: $op.to_string(),
                        fields: vec![$((stringify!($field).to_string(), $field.to_field())),*],
                        ..Value::default()
                    }),)*
                }
            }

            /// The call a frame carries; an error names what did not fit.
            pub fn from_frame(frame: Frame) -> Result<Call, Error> {
                let Frame::Call(v) = frame else {
                    return Err(bad_call("호출이 아닌 프레임"));
                };
                #[allow(unused_variables)]
                let f = &v.fields;
                Ok(match v.kind.as_str() {
                    $($op => Call::$variant { $($field: arg(f, $op, stringify!($field))?),* },)*
                    other => return Err(bad_call(&format!("알 수 없는 작업 '{other}'"))),
                })
            }
        }
    };
}

calls! {
    /// Connects (`Lab::connect`): checks the context and the API server.
    Connect = "connect" {},
    /// `start_cluster()`.
    StartCluster = "start_cluster" {},
    /// `cluster()`.
    Cluster = "cluster" {},
    /// `allow_context(name)`.
    AllowContext = "allow_context" { name: String },
    /// `nodes()`.
    Nodes = "nodes" {},
    /// `pods()`.
    Pods = "pods" {},
    /// `pods_wide()`.
    PodsWide = "pods_wide" {},
    /// `statefulsets()`.
    Statefulsets = "statefulsets" {},
    /// `pvcs()`.
    Pvcs = "pvcs" {},
    /// `pvs()`.
    Pvs = "pvs" {},
    /// `storage_classes()`.
    StorageClasses = "storage_classes" {},
    /// `services()`.
    Services = "services" {},
    /// `events()`.
    Events = "events" {},
    /// `placement()`.
    Placement = "placement" {},
    /// `apply(path)`.
    Apply = "apply" { path: String },
    /// `apply_yaml(yaml)`.
    ApplyYaml = "apply_yaml" { yaml: String },
    /// `watch_pods_for(selector, timeout)`.
    WatchPods = "watch_pods" { selector: String, timeout: Duration },
    /// `delete_pods(selector)`.
    DeletePods = "delete_pods" { selector: String },
    /// `delete_pod(name)`.
    DeletePod = "delete_pod" { name: String },
    /// `wait_ready_for(name, timeout)`.
    WaitReady = "wait_ready" { name: String, timeout: Duration },
    /// `scale(name, replicas)`.
    Scale = "scale" { name: String, replicas: i32 },
    /// `delete_statefulset(name)`.
    DeleteStatefulset = "delete_statefulset" { name: String },
    /// `cleanup()`.
    Cleanup = "cleanup" {},
    /// `delete_data()`.
    DeleteData = "delete_data" {},
    /// `exec(pod, command)`.
    Exec = "exec" { pod: String, command: Vec<String> },
    /// `kubectl_for(args, timeout)`: the real kubectl.
    Kubectl = "kubectl" { args: String, timeout: Duration },
    /// `logs(pod)` / `logs_previous(pod)`.
    Logs = "logs" { pod: String, previous: bool },
    /// `mysql(pod)`: opens a session.
    Mysql = "mysql" { pod: String },
    /// `db.sql(script)`.
    Sql = "sql" { session: u64, script: String },
    /// `db.database()`.
    SqlDatabase = "sql_database" { session: u64 },
    /// `leftovers()`.
    Leftovers = "leftovers" {},
    /// `start_fresh()`.
    StartFresh = "start_fresh" {},
    /// `check(step)`.
    Check = "check" { step: String },
    /// `topology()`.
    Topology = "topology" {},
    /// `timeline(selector)`.
    Timeline = "timeline" { selector: String },
    /// `describe(kind, name)`.
    Describe = "describe" { kind: String, name: String },
    /// `delete(kind, name)`.
    Delete = "delete" { kind: String, name: String },
    /// `wait_deleted_for(kind, name, timeout)`.
    WaitDeleted = "wait_deleted" { kind: String, name: String, timeout: Duration },
    /// `watch_rollout_for(name, timeout)`.
    WatchRollout = "watch_rollout" { name: String, timeout: Duration },
    /// `revisions(name)`.
    Revisions = "revisions" { name: String },
    /// `node_stop(node)`: `minikube node stop NODE` (labsim: its admin endpoint).
    NodeStop = "node_stop" { node: String },
    /// `node_start(node)`: `minikube node start NODE`.
    NodeStart = "node_start" { node: String },
    /// `addon_enable(name)`: `minikube addons enable NAME`.
    AddonEnable = "addon_enable" { name: String },
    /// `addon_disable(name)`: `minikube addons disable NAME`.
    AddonDisable = "addon_disable" { name: String },
}

/// Argument `name` of a call.
fn arg<T: Wire>(fields: &[(String, Field)], op: &str, name: &str) -> Result<T, Error> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, f)| T::from_field(f))
        .ok_or_else(|| bad_call(&format!("{op}: 인자 {name}")))
}

/// A call the engine could not understand: a cell and a kernel of different versions.
pub(crate) fn bad_call(what: &str) -> Error {
    Error::new(
        "잘못된 호출",
        format!(
            "kubelab 커널이 이해하지 못한 호출입니다 ({what}).\n→ 셀의 kubelab과 커널의 버전이 다를 수 있습니다: make setup 후 커널을 다시 시작하세요."
        ),
    )
}

/// Runs `call` in the engine, printing its lines, and returns its result.
pub fn send<T: Data>(call: Call) -> Result<Shown<T>, Error> {
    let path = std::env::var_os(SOCKET_ENV).ok_or_else(|| {
        Error::new(
            "커널 밖에서 실행",
            "kubelab 엔진에 연결할 수 없습니다: KUBELAB_SOCKET이 설정되지 않았습니다.\n\
             → 'Rust (StatefulSet 실습)' 커널(make lab) 또는 make repl 안에서 실행하세요.",
        )
    })?;
    let lost = |e: std::io::Error| {
        Error::new(
            "커널 엔진 연결 끊김",
            format!(
                "kubelab 엔진과의 연결이 끊겼습니다 ({e}).\n→ 커널을 다시 시작하세요 (Kernel → Restart Kernel)."
            ),
        )
    };
    let mut stream = UnixStream::connect(&path).map_err(lost)?;
    stream.set_read_timeout(Some(CALL_LIMIT)).map_err(lost)?;
    write_frame(&mut stream, &call.into_frame()).map_err(lost)?;
    let mut reader = BufReader::new(stream);
    let stdout = std::io::stdout();
    loop {
        match read_frame(&mut reader).map_err(lost)? {
            Some(Frame::Out(line)) => {
                let mut o = stdout.lock();
                let _ = writeln!(o, "{line}");
                let _ = o.flush();
            }
            Some(Frame::Value(v)) => return Shown::from_value(v),
            Some(Frame::Failure(e)) => return Err(e),
            Some(Frame::Call(_)) => return Err(lost(std::io::Error::other("unexpected call"))),
            None => return Err(lost(std::io::Error::other("no reply"))),
        }
    }
}
