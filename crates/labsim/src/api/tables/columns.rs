//! Column tables, one per kind, with kube-apiserver's names, types, priorities and cell logic
//! (`pkg/printers/internalversion/printers.go`). Adding a kind is adding a table here.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::age::{age_of, parse_time, since};
use super::pod_status::summarize;
use super::quantity::canonicalize;

/// Computes one cell of `obj` at `now`.
pub type CellFn = fn(&Value, DateTime<Utc>) -> Value;

/// One `TableColumnDefinition` plus the function filling its cells.
pub struct Column {
    pub name: &'static str,
    /// `string`, `integer`, `boolean`, `date`.
    pub ty: &'static str,
    /// `name` for the NAME column, empty otherwise.
    pub format: &'static str,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: u8,
    pub description: &'static str,
    pub cell: CellFn,
}

impl Column {
    /// The column as it appears in `columnDefinitions`.
    pub fn definition(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.ty,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

const fn col(name: &'static str, description: &'static str, cell: CellFn) -> Column {
    Column {
        name,
        ty: "string",
        format: "",
        priority: 0,
        description,
        cell,
    }
}

const fn wide(name: &'static str, description: &'static str, cell: CellFn) -> Column {
    Column {
        name,
        ty: "string",
        format: "",
        priority: 1,
        description,
        cell,
    }
}

/// `ObjectMeta.name`'s swagger doc, the description of every NAME column.
pub const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// `ObjectMeta.creationTimestamp`'s swagger doc, the description of every AGE column.
pub const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const NAME: Column = Column {
    name: "Name",
    ty: "string",
    format: "name",
    priority: 0,
    description: NAME_DOC,
    cell: name_cell,
};
const AGE: Column = col("Age", AGE_DOC, age_cell);

// ---- small accessors -------------------------------------------------------------------

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn map_len(v: &Value, ptr: &str) -> usize {
    v.pointer(ptr)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len())
}

fn or(value: &str, fallback: &str) -> Value {
    Value::from(if value.is_empty() { fallback } else { value })
}

fn deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// `labels.FormatLabels`: sorted `k=v` joined by commas, `<none>` when empty.
fn format_labels(v: &Value, ptr: &str) -> Value {
    let mut pairs: Vec<String> = v
        .pointer(ptr)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    or(&pairs.join(","), "<none>")
}

/// `layoutContainerCells`: container names and images, comma separated.
fn container_field(obj: &Value, field: &str) -> Value {
    let parts: Vec<&str> = arr(obj, "/spec/template/spec/containers")
        .iter()
        .map(|c| s(c, field))
        .collect();
    Value::from(parts.join(","))
}

/// `helper.GetAccessModesAsString`: always ordered RWO,ROX,RWX,RWOP.
fn access_modes(v: &Value, ptr: &str) -> String {
    let modes: Vec<&str> = arr(v, ptr).iter().filter_map(Value::as_str).collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(m, _)| modes.contains(m))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// `Quantity.String()` of a resource list entry; the zero quantity prints `0`.
fn quantity(v: &Value, ptr: &str) -> String {
    match v.pointer(ptr) {
        Some(Value::String(q)) => canonicalize(q),
        Some(Value::Number(n)) => canonicalize(&n.to_string()),
        _ => "0".to_string(),
    }
}

fn name_cell(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/metadata/name"))
}

fn age_cell(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(age_of(o, now))
}

// ---- Pod ------------------------------------------------------------------------------

fn pod_ready(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).ready)
}
fn pod_status(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).status)
}
fn pod_restarts(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).restarts)
}
fn pod_ip(o: &Value, _: DateTime<Utc>) -> Value {
    // v1 -> internal conversion fills podIPs from podIP; the printer reads podIPs[0].
    let ip = arr(o, "/status/podIPs")
        .first()
        .map(|p| s(p, "/ip"))
        .unwrap_or_else(|| s(o, "/status/podIP"));
    or(ip, "<none>")
}
fn pod_node(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/spec/nodeName"), "<none>")
}
fn pod_nominated(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nominatedNodeName"), "<none>")
}
fn pod_gates(o: &Value, _: DateTime<Utc>) -> Value {
    let gates = arr(o, "/spec/readinessGates");
    if gates.is_empty() {
        return Value::from("<none>");
    }
    let conditions = arr(o, "/status/conditions");
    let true_count = gates
        .iter()
        .filter(|g| {
            conditions
                .iter()
                .find(|c| s(c, "/type") == s(g, "/conditionType"))
                .is_some_and(|c| s(c, "/status") == "True")
        })
        .count();
    Value::from(format!("{true_count}/{}", gates.len()))
}

static POD: &[Column] = &[
    NAME,
    col(
        "Ready",
        "The aggregate readiness state of this pod for accepting traffic.",
        pod_ready,
    ),
    col(
        "Status",
        "The aggregate status of the containers in this pod.",
        pod_status,
    ),
    col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", pod_restarts),
    AGE,
    wide("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", pod_ip),
    wide("Node", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.", pod_node),
    wide("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", pod_nominated),
    wide("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\"", pod_gates),
];

// ---- Node -----------------------------------------------------------------------------

fn node_status(o: &Value, _: DateTime<Utc>) -> Value {
    let mut status: Vec<&str> = Vec::new();
    // Only the Ready condition counts (NodeAllConditions); the last one of a type wins.
    if let Some(c) = arr(o, "/status/conditions")
        .iter()
        .rev()
        .find(|c| s(c, "/type") == "Ready")
    {
        status.push(if s(c, "/status") == "True" {
            "Ready"
        } else {
            "NotReady"
        });
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    Value::from(status.join(","))
}
fn node_roles(o: &Value, _: DateTime<Utc>) -> Value {
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = o.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role.to_string());
                }
            } else if k == "kubernetes.io/role" {
                if let Some(v) = v.as_str().filter(|v| !v.is_empty()) {
                    roles.push(v.to_string());
                }
            }
        }
    }
    roles.sort();
    roles.dedup();
    or(&roles.join(","), "<none>")
}
fn node_version(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/nodeInfo/kubeletVersion"))
}
fn node_address(o: &Value, ty: &str) -> Value {
    let addr = arr(o, "/status/addresses")
        .iter()
        .find(|a| s(a, "/type") == ty)
        .map(|a| s(a, "/address"))
        .unwrap_or("<none>");
    Value::from(addr)
}
fn node_internal_ip(o: &Value, _: DateTime<Utc>) -> Value {
    node_address(o, "InternalIP")
}
fn node_external_ip(o: &Value, _: DateTime<Utc>) -> Value {
    node_address(o, "ExternalIP")
}
fn node_os_image(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nodeInfo/osImage"), "<unknown>")
}
fn node_kernel(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nodeInfo/kernelVersion"), "<unknown>")
}
fn node_runtime(o: &Value, _: DateTime<Utc>) -> Value {
    or(
        s(o, "/status/nodeInfo/containerRuntimeVersion"),
        "<unknown>",
    )
}

const ADDRESSES_DOC: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses";

static NODE: &[Column] = &[
    NAME,
    col("Status", "The status of the node", node_status),
    col("Roles", "The roles of the node", node_roles),
    AGE,
    col("Version", "Kubelet Version reported by the node.", node_version),
    wide("Internal-IP", ADDRESSES_DOC, node_internal_ip),
    wide("External-IP", ADDRESSES_DOC, node_external_ip),
    wide(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        node_os_image,
    ),
    wide(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        node_kernel,
    ),
    wide(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        node_runtime,
    ),
];

// ---- Service --------------------------------------------------------------------------

/// The apiserver defaults `spec.type` to ClusterIP; labsim's store may keep it unset.
fn service_type(o: &Value) -> &str {
    match s(o, "/spec/type") {
        "" => "ClusterIP",
        t => t,
    }
}
fn svc_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(service_type(o))
}
fn svc_cluster_ip(o: &Value, _: DateTime<Utc>) -> Value {
    let ip = arr(o, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| s(o, "/spec/clusterIP"));
    or(ip, "<none>")
}
fn svc_external_ip(o: &Value, _: DateTime<Utc>) -> Value {
    let external: Vec<&str> = arr(o, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match service_type(o) {
        "ClusterIP" | "NodePort" => or(&external.join(","), "<none>"),
        "LoadBalancer" => {
            // Server-side printing is always wide, so the list is never clipped.
            let mut lb: Vec<&str> = arr(o, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| match s(i, "/ip") {
                    "" => s(i, "/hostname"),
                    ip => ip,
                })
                .filter(|a| !a.is_empty())
                .collect();
            lb.sort();
            lb.dedup();
            lb.extend(external);
            or(&lb.join(","), "<pending>")
        }
        "ExternalName" => Value::from(s(o, "/spec/externalName")),
        _ => Value::from("<unknown>"),
    }
}
fn svc_ports(o: &Value, _: DateTime<Utc>) -> Value {
    let ports: Vec<String> = arr(o, "/spec/ports")
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = or(s(p, "/protocol"), "TCP");
            let proto = proto.as_str().unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(np) if np > 0 => format!("{port}:{np}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    or(&ports.join(","), "<none>")
}
fn svc_selector(o: &Value, _: DateTime<Utc>) -> Value {
    format_labels(o, "/spec/selector")
}

static SERVICE: &[Column] = &[
    NAME,
    col("Type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.", svc_type),
    col("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly.", svc_cluster_ip),
    col("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.", svc_external_ip),
    col("Port(s)", "The list of ports that are exposed by this service.", svc_ports),
    AGE,
    wide("Selector", "Route service traffic to pods with label keys and values matching this selector.", svc_selector),
];

// ---- StatefulSet / ControllerRevision -------------------------------------------------

fn sts_ready(o: &Value, _: DateTime<Utc>) -> Value {
    // spec.replicas is defaulted to 1 by the apiserver.
    let desired = o
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let ready = o
        .pointer("/status/readyReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Value::from(format!("{ready}/{desired}"))
}
fn template_names(o: &Value, _: DateTime<Utc>) -> Value {
    container_field(o, "/name")
}
fn template_images(o: &Value, _: DateTime<Utc>) -> Value {
    container_field(o, "/image")
}

static STATEFUL_SET: &[Column] = &[
    NAME,
    col("Ready", "Number of the pod with ready state", sts_ready),
    AGE,
    wide(
        "Containers",
        "Names of each container in the template.",
        template_names,
    ),
    wide(
        "Images",
        "Images referenced by each container in the template.",
        template_images,
    ),
];

fn cr_controller(o: &Value, _: DateTime<Utc>) -> Value {
    let Some(owner) = arr(o, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
    else {
        return Value::from("<none>");
    };
    // formatResourceName(GroupKind, name): `statefulset.apps/mysql`.
    let group = s(owner, "/apiVersion")
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or("");
    let kind = s(owner, "/kind");
    let name = s(owner, "/name");
    if kind.is_empty() && group.is_empty() {
        return Value::from(name);
    }
    let gk = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    Value::from(format!("{}/{name}", gk.to_lowercase()))
}
fn cr_revision(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(o.get("revision").and_then(Value::as_i64).unwrap_or(0))
}

static CONTROLLER_REVISION: &[Column] = &[
    NAME,
    col("Controller", "Controller of the object", cr_controller),
    col(
        "Revision",
        "Revision indicates the revision of the state represented by Data.",
        cr_revision,
    ),
    AGE,
];

// ---- Endpoints ------------------------------------------------------------------------

/// `net.JoinHostPort`: IPv6 addresses get brackets.
fn join_host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn ep_endpoints(o: &Value, _: DateTime<Utc>) -> Value {
    let subsets = arr(o, "/subsets");
    if subsets.is_empty() {
        return Value::from("<none>");
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addresses = arr(ss, "/addresses");
        let ports = arr(ss, "/ports");
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(s(a, "/ip").to_string());
            }
            continue;
        }
        for p in ports {
            count += addresses.len();
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(s(a, "/ip"), port));
            }
        }
    }
    let joined = list.join(",");
    if more {
        Value::from(format!("{joined} + {} more...", count - MAX))
    } else {
        Value::from(joined)
    }
}

static ENDPOINTS: &[Column] = &[
    NAME,
    col("Endpoints", "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share.", ep_endpoints),
    AGE,
];

// ---- EndpointSlice ----------------------------------------------------------------------

/// `listWithMoreString`: at most three, then `+ N more...`; nothing is `<unset>`.
fn list_with_more(list: &[String], count: usize) -> Value {
    const MAX: usize = 3;
    let joined = list.join(",");
    if count > MAX {
        Value::from(format!("{joined} + {} more...", count - MAX))
    } else if joined.is_empty() {
        Value::from("<unset>")
    } else {
        Value::from(joined)
    }
}

fn eps_address_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/addressType"))
}

/// `formatDiscoveryPorts`: the port number, else its name, else `*`.
fn eps_ports(o: &Value, _: DateTime<Utc>) -> Value {
    let ports = arr(o, "/ports");
    let list: Vec<String> = ports
        .iter()
        .take(3)
        .map(
            |p| match (p.get("port").and_then(Value::as_i64), p.get("name")) {
                (Some(n), _) => n.to_string(),
                (None, Some(Value::String(name))) => name.clone(),
                _ => "*".to_string(),
            },
        )
        .collect();
    list_with_more(&list, ports.len())
}

/// `formatDiscoveryEndpoints`: every address of every endpoint.
fn eps_endpoints(o: &Value, _: DateTime<Utc>) -> Value {
    let all: Vec<String> = arr(o, "/endpoints")
        .iter()
        .flat_map(|e| arr(e, "/addresses"))
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect();
    list_with_more(&all[..all.len().min(3)], all.len())
}

static ENDPOINT_SLICE: &[Column] = &[
    NAME,
    col("AddressType", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.", eps_address_type),
    col("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 ports.", eps_ports),
    col("Endpoints", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.", eps_endpoints),
    AGE,
];

// ---- Namespace, Secret, ConfigMap, ServiceAccount -------------------------------------

fn ns_status(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/phase"))
}
fn secret_type(o: &Value, _: DateTime<Utc>) -> Value {
    // The apiserver defaults an unset type to Opaque.
    or(s(o, "/type"), "Opaque")
}
fn secret_data(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(map_len(o, "/data") as i64)
}
fn cm_data(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from((map_len(o, "/data") + map_len(o, "/binaryData")) as i64)
}
fn sa_secrets(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(arr(o, "/secrets").len() as i64)
}

static NAMESPACE: &[Column] = &[
    NAME,
    col("Status", "The status of the namespace", ns_status),
    AGE,
];
static SECRET: &[Column] = &[
    NAME,
    col("Type", "Used to facilitate programmatic handling of secret data.", secret_type),
    col("Data", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'.", secret_data),
    AGE,
];
static CONFIG_MAP: &[Column] = &[
    NAME,
    col("Data", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'.", cm_data),
    AGE,
];
static SERVICE_ACCOUNT: &[Column] = &[
    NAME,
    col("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", sa_secrets),
    AGE,
];

// ---- PersistentVolume / PersistentVolumeClaim / StorageClass --------------------------

const BETA_CLASS_ANNOTATION: &str =
    "/metadata/annotations/volume.beta.kubernetes.io~1storage-class";

fn volume_mode(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/spec/volumeMode"), "<unset>")
}
fn vac(o: &Value, _: DateTime<Utc>) -> Value {
    match o
        .pointer("/spec/volumeAttributesClassName")
        .and_then(Value::as_str)
    {
        Some(name) => Value::from(name),
        None => Value::from("<unset>"),
    }
}
fn phase_or_terminating(o: &Value) -> Value {
    if deleting(o) {
        Value::from("Terminating")
    } else {
        Value::from(s(o, "/status/phase"))
    }
}
/// `GetPersistentVolumeClass` / `GetPersistentVolumeClaimClass`: the beta annotation first.
fn storage_class(o: &Value, _: DateTime<Utc>) -> Value {
    match o.pointer(BETA_CLASS_ANNOTATION).and_then(Value::as_str) {
        Some(class) => Value::from(class),
        None => Value::from(s(o, "/spec/storageClassName")),
    }
}

fn pv_capacity(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(quantity(o, "/spec/capacity/storage"))
}
fn pv_access(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(access_modes(o, "/spec/accessModes"))
}
fn pv_reclaim(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/spec/persistentVolumeReclaimPolicy"))
}
fn pv_status(o: &Value, _: DateTime<Utc>) -> Value {
    phase_or_terminating(o)
}
fn pv_claim(o: &Value, _: DateTime<Utc>) -> Value {
    match o.pointer("/spec/claimRef").filter(|c| c.is_object()) {
        Some(c) => Value::from(format!("{}/{}", s(c, "/namespace"), s(c, "/name"))),
        None => Value::from(""),
    }
}
fn pv_reason(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/reason"))
}

static PERSISTENT_VOLUME: &[Column] = &[
    NAME,
    col("Capacity", "capacity is the description of the persistent volume's resources and capacity.", pv_capacity),
    col("Access Modes", "accessModes contains all ways the volume can be mounted.", pv_access),
    col("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", pv_reclaim),
    col("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim.", pv_status),
    col("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", pv_claim),
    col("StorageClass", "StorageClass of the pv", storage_class),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pv", vac),
    col("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", pv_reason),
    AGE,
    wide("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", volume_mode),
];

fn bound(o: &Value) -> bool {
    !s(o, "/spec/volumeName").is_empty()
}
fn pvc_status(o: &Value, _: DateTime<Utc>) -> Value {
    phase_or_terminating(o)
}
fn pvc_volume(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/spec/volumeName"))
}
fn pvc_capacity(o: &Value, _: DateTime<Utc>) -> Value {
    // Capacity and access modes show only once the claim names its volume.
    if bound(o) {
        Value::from(quantity(o, "/status/capacity/storage"))
    } else {
        Value::from("")
    }
}
fn pvc_access(o: &Value, _: DateTime<Utc>) -> Value {
    if bound(o) {
        Value::from(access_modes(o, "/status/accessModes"))
    } else {
        Value::from("")
    }
}

static PERSISTENT_VOLUME_CLAIM: &[Column] = &[
    NAME,
    col("Status", "phase represents the current phase of PersistentVolumeClaim.", pvc_status),
    col("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim.", pvc_volume),
    col("Capacity", "capacity represents the actual resources of the underlying volume.", pvc_capacity),
    col("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has.", pvc_access),
    col("StorageClass", "StorageClass of the pvc", storage_class),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pvc", vac),
    AGE,
    wide("VolumeMode", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.", volume_mode),
];

fn sc_name(o: &Value, _: DateTime<Utc>) -> Value {
    // storageutil.IsDefaultAnnotation: the GA or the beta annotation set to "true".
    let is_default = [
        "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
        "/metadata/annotations/storageclass.beta.kubernetes.io~1is-default-class",
    ]
    .iter()
    .any(|p| o.pointer(p).and_then(Value::as_str) == Some("true"));
    let name = s(o, "/metadata/name");
    Value::from(if is_default {
        format!("{name} (default)")
    } else {
        name.to_string()
    })
}
fn sc_provisioner(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/provisioner"))
}
fn sc_reclaim(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/reclaimPolicy"), "Delete")
}
fn sc_binding(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/volumeBindingMode"), "Immediate")
}
fn sc_expansion(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(
        o.get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}

static STORAGE_CLASS: &[Column] = &[
    Column {
        cell: sc_name,
        ..NAME
    },
    col("Provisioner", "provisioner indicates the type of the provisioner.", sc_provisioner),
    col("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.", sc_reclaim),
    col("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used.", sc_binding),
    col("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand.", sc_expansion),
    AGE,
];

// ---- Event ----------------------------------------------------------------------------

fn ev_first(o: &Value, now: DateTime<Utc>) -> String {
    match parse_time(o.get("firstTimestamp")) {
        Some(t) => since(Some(t), now),
        None => since(parse_time(o.get("eventTime")), now),
    }
}
fn ev_last(o: &Value, now: DateTime<Utc>) -> Value {
    if let Some(series) = o.get("series").filter(|v| v.is_object()) {
        return Value::from(since(parse_time(series.get("lastObservedTime")), now));
    }
    match parse_time(o.get("lastTimestamp")) {
        Some(t) => Value::from(since(Some(t), now)),
        None => Value::from(ev_first(o, now)),
    }
}
fn ev_first_cell(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(ev_first(o, now))
}
fn ev_count(o: &Value, _: DateTime<Utc>) -> Value {
    if let Some(series) = o.get("series").filter(|v| v.is_object()) {
        return Value::from(series.get("count").and_then(Value::as_i64).unwrap_or(0));
    }
    // Singleton events of the events.k8s.io API carry no count.
    match o.get("count").and_then(Value::as_i64).unwrap_or(0) {
        0 => Value::from(1),
        n => Value::from(n),
    }
}
fn ev_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/type"))
}
fn ev_reason(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/reason"))
}
fn ev_object(o: &Value, _: DateTime<Utc>) -> Value {
    let kind = s(o, "/involvedObject/kind").to_lowercase();
    match s(o, "/involvedObject/name") {
        "" => Value::from(kind),
        name => Value::from(format!("{kind}/{name}")),
    }
}
fn ev_subobject(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/involvedObject/fieldPath"))
}
fn ev_source(o: &Value, _: DateTime<Utc>) -> Value {
    let component = or(s(o, "/source/component"), s(o, "/reportingComponent"));
    let component = component.as_str().unwrap_or("");
    let host = or(s(o, "/source/host"), s(o, "/reportingInstance"));
    match host.as_str().unwrap_or("") {
        "" => Value::from(component),
        host => Value::from(format!("{component}, {host}")),
    }
}
fn ev_message(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/message").trim())
}

static EVENT: &[Column] = &[
    col("Last Seen", "The time at which the most recent occurrence of this event was recorded.", ev_last),
    col("Type", "Type of this event (Normal, Warning), new types could be added in the future", ev_type),
    col("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", ev_reason),
    col("Object", "The object that this event is about.", ev_object),
    wide("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", ev_subobject),
    wide("Source", "The component reporting this event. Should be a short machine understandable string.", ev_source),
    col("Message", "A human-readable description of the status of this operation.", ev_message),
    wide("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", ev_first_cell),
    wide("Count", "The number of times this event has occurred.", ev_count),
    Column {
        priority: 1,
        ..NAME
    },
];

/// Kinds without a printer get the apiserver's default convertor: NAME and CREATED AT.
fn created_at(o: &Value, _: DateTime<Utc>) -> Value {
    o.pointer("/metadata/creationTimestamp")
        .cloned()
        .unwrap_or(Value::Null)
}

static DEFAULT: &[Column] = &[
    NAME,
    Column {
        name: "Created At",
        ty: "date",
        format: "",
        priority: 0,
        description: AGE_DOC,
        cell: created_at,
    },
];

/// The columns kube-apiserver prints for `kind`.
pub fn for_kind(kind: &str) -> &'static [Column] {
    match kind {
        "Pod" => POD,
        "Node" => NODE,
        "Service" => SERVICE,
        "StatefulSet" => STATEFUL_SET,
        "ControllerRevision" => CONTROLLER_REVISION,
        "Endpoints" => ENDPOINTS,
        "EndpointSlice" => ENDPOINT_SLICE,
        "Namespace" => NAMESPACE,
        "Secret" => SECRET,
        "ConfigMap" => CONFIG_MAP,
        "ServiceAccount" => SERVICE_ACCOUNT,
        "PersistentVolume" => PERSISTENT_VOLUME,
        "PersistentVolumeClaim" => PERSISTENT_VOLUME_CLAIM,
        "StorageClass" => STORAGE_CLASS,
        "Event" => EVENT,
        _ => DEFAULT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_one_name_column_and_sane_types() {
        for kind in [
            "Pod",
            "Node",
            "Service",
            "StatefulSet",
            "ControllerRevision",
            "Endpoints",
            "EndpointSlice",
            "Namespace",
            "Secret",
            "ConfigMap",
            "ServiceAccount",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "StorageClass",
            "Event",
            "Unknown",
        ] {
            let cols = for_kind(kind);
            assert_eq!(
                cols.iter().filter(|c| c.format == "name").count(),
                1,
                "{kind}"
            );
            for c in cols {
                assert!(
                    ["string", "integer", "boolean", "date"].contains(&c.ty),
                    "{kind}"
                );
                assert!(c.priority <= 1 && !c.description.is_empty(), "{kind}");
            }
        }
    }

    #[test]
    fn access_modes_are_ordered_and_deduplicated() {
        let v =
            json!({"m": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce", "ReadWriteOncePod"]});
        assert_eq!(access_modes(&v, "/m"), "RWO,RWX,RWOP");
        assert_eq!(access_modes(&json!({}), "/m"), "");
    }

    #[test]
    fn endpoints_cut_after_three() {
        let now = Utc::now();
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.1.3"},
            {"ip": "10.244.2.4"}, {"ip": "fd00::1"}], "ports": [{"port": 3306}]}]});
        assert_eq!(
            ep_endpoints(&ep, now),
            json!("10.244.0.5:3306,10.244.1.3:3306,10.244.2.4:3306 + 1 more...")
        );
        let v6 = json!({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]});
        assert_eq!(ep_endpoints(&v6, now), json!("[fd00::1]:80"));
        let headless =
            json!({"subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.1.3"}]}]});
        assert_eq!(ep_endpoints(&headless, now), json!("10.244.0.5,10.244.1.3"));
        assert_eq!(ep_endpoints(&json!({}), now), json!("<none>"));
    }

    #[test]
    fn endpoint_slices_list_ports_and_addresses() {
        let now = Utc::now();
        let eps = json!({"addressType": "IPv4",
            "ports": [{"name": "mysql", "port": 3306}, {"name": "x"}, {}],
            "endpoints": [{"addresses": ["10.244.0.5"]}, {"addresses": ["10.244.1.3"]},
                {"addresses": ["10.244.2.4"]}, {"addresses": ["10.244.0.6"]}]});
        assert_eq!(eps_ports(&eps, now), json!("3306,x,*"));
        assert_eq!(
            eps_endpoints(&eps, now),
            json!("10.244.0.5,10.244.1.3,10.244.2.4 + 1 more...")
        );
        let empty = json!({"addressType": "IPv4", "endpoints": []});
        assert_eq!(eps_ports(&empty, now), json!("<unset>"));
        assert_eq!(eps_endpoints(&empty, now), json!("<unset>"));
        assert_eq!(eps_address_type(&empty, now), json!("IPv4"));
    }

    #[test]
    fn node_status_from_ready_condition_and_cordon() {
        let now = Utc::now();
        let ready = |s: &str| json!({"status": {"conditions": [{"type": "Ready", "status": s}]}});
        assert_eq!(node_status(&ready("True"), now), json!("Ready"));
        assert_eq!(node_status(&ready("Unknown"), now), json!("NotReady"));
        assert_eq!(node_status(&json!({}), now), json!("Unknown"));
        let mut cordoned = ready("True");
        cordoned["spec"] = json!({"unschedulable": true});
        assert_eq!(
            node_status(&cordoned, now),
            json!("Ready,SchedulingDisabled")
        );
        let legacy = json!({"metadata": {"labels": {"kubernetes.io/role": "master",
            "node-role.kubernetes.io/": "", "node-role.kubernetes.io/worker": ""}}});
        assert_eq!(node_roles(&legacy, now), json!("master,worker"));
    }

    #[test]
    fn event_series_and_singletons() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = json!({"eventTime": "2026-11-25T02:50:00.000000Z",
            "series": {"count": 7, "lastObservedTime": "2026-11-25T02:59:30.000000Z"}});
        assert_eq!(ev_last(&ev, now), json!("30s"));
        assert_eq!(ev_first_cell(&ev, now), json!("10m"));
        assert_eq!(ev_count(&ev, now), json!(7));
        let single = json!({"eventTime": "2026-11-25T02:59:00.000000Z"});
        assert_eq!(ev_count(&single, now), json!(1));
        assert_eq!(ev_last(&single, now), json!("60s"));
        assert_eq!(ev_last(&json!({}), now), json!("<unknown>"));
        let no_name = json!({"involvedObject": {"kind": "Node"}});
        assert_eq!(ev_object(&no_name, now), json!("node"));
    }

    #[test]
    fn service_external_ip_by_type() {
        let now = Utc::now();
        let lb = json!({"spec": {"type": "LoadBalancer"}});
        assert_eq!(svc_external_ip(&lb, now), json!("<pending>"));
        let lb = json!({"spec": {"type": "LoadBalancer", "externalIPs": ["1.2.3.4"]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}, {"ip": "5.6.7.8"}]}}});
        assert_eq!(
            svc_external_ip(&lb, now),
            json!("5.6.7.8,lb.example,1.2.3.4")
        );
        let en = json!({"spec": {"type": "ExternalName", "externalName": "db.example"}});
        assert_eq!(svc_external_ip(&en, now), json!("db.example"));
        let np = json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}});
        assert_eq!(svc_ports(&np, now), json!("80:30080/TCP"));
    }
}
