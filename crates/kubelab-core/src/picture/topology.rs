//! `topology()`: the nodes as boxes holding their pods, each pod linked to its PVC → PV → the disk
//! its data lives on. The pod → PVC → PV → node:path rows are `placement()`'s
//! ([`crate::placement::placement_table`]), so both views always agree.

use k8s_openapi::api::core::v1::{
    Node, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodSpec,
    Volume,
};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::{short, short_tail, Error, Picture, PictureData, PictureKind, Svg, AMBER, GREEN, GREY};
use crate::context::ClusterKind;
use crate::facts::{self, read};
use crate::Lab;

/// A node box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBox {
    /// Node name.
    pub name: String,
    /// Ready condition True.
    pub ready: bool,
    /// Has the control-plane role label.
    pub control_plane: bool,
}

/// PVC → PV → where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// PVC name.
    pub pvc: String,
    /// PVC phase (`Bound`, `Pending`, or empty when the PVC is missing).
    pub phase: String,
    /// PV name (empty when not bound).
    pub pv: String,
    /// The node the PV is tied to; `*` for a PV that any node may use (hostPath); empty if unknown.
    pub pv_node: String,
    /// The directory on that disk.
    pub path: String,
}

/// A pod box inside its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodBox {
    /// Pod name.
    pub name: String,
    /// Node it runs on (`<none>` while unscheduled).
    pub node: String,
    /// kubectl's READY (`1/1`).
    pub ready: String,
    /// kubectl's STATUS.
    pub status: String,
    /// Ready and not terminating.
    pub is_ready: bool,
    /// Its claims.
    pub chains: Vec<Chain>,
}

/// What the picture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Nodes by name.
    pub nodes: Vec<NodeBox>,
    /// Pods in ordinal order.
    pub pods: Vec<PodBox>,
    /// PVCs no pod uses (kept after scaling down or deleting the StatefulSet).
    pub unused: Vec<Chain>,
    /// The cluster is labsim (all nodes share this computer's disk).
    pub labsim: bool,
}

/// Splits placement's `node:path` (node names never hold a colon).
fn split_location(s: &str) -> (String, String) {
    match s.split_once(':') {
        Some((n, p)) if !s.starts_with('<') => (n.to_string(), p.to_string()),
        _ => (String::new(), String::new()),
    }
}

/// The chains of `pods` from placement's rows, keyed by pod name.
fn chains(
    pods: &[Pod],
    pvcs: &[PersistentVolumeClaim],
    pvs: &[PersistentVolume],
) -> Vec<(String, Chain)> {
    let t = crate::placement::placement_table(pods, pvcs, pvs);
    t.rows()
        .iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let (pv_node, path) = split_location(&cell(4));
            let pvc = cell(2);
            let phase = pvcs
                .iter()
                .find(|c| c.name_any() == pvc)
                .and_then(|c| c.status.as_ref().and_then(|s| s.phase.clone()))
                .unwrap_or_default();
            let pv = match cell(3) {
                v if v == "<none>" => String::new(),
                v => v,
            };
            (
                cell(0),
                Chain {
                    pvc,
                    phase,
                    pv,
                    pv_node,
                    path,
                },
            )
        })
        .collect()
}

impl Topology {
    /// Builds the picture's model from the cluster's objects.
    pub fn build(
        nodes: &[Node],
        pods: &[Pod],
        pvcs: &[PersistentVolumeClaim],
        pvs: &[PersistentVolume],
        labsim: bool,
    ) -> Topology {
        let mut nodes: Vec<NodeBox> = nodes
            .iter()
            .map(|n| NodeBox {
                name: n.name_any(),
                ready: n
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
                    .is_some_and(|c| c.status == "True"),
                control_plane: n
                    .labels()
                    .contains_key("node-role.kubernetes.io/control-plane"),
            })
            .collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut pods = pods.to_vec();
        facts::sort_by_ordinal(&mut pods);
        let links = chains(&pods, pvcs, pvs);
        let boxes: Vec<PodBox> = pods
            .iter()
            .map(|p| PodBox {
                name: p.name_any(),
                node: facts::node(p).unwrap_or_else(|| "<none>".into()),
                ready: facts::ready_text(p),
                status: facts::status_text(p),
                is_ready: facts::is_ready(p),
                chains: links
                    .iter()
                    .filter(|(pod, _)| *pod == p.name_any())
                    .map(|(_, c)| c.clone())
                    .collect(),
            })
            .collect();
        // PVCs no pod claims: run them through placement as the claims of a pod-less stand-in
        let used: Vec<&str> = links.iter().map(|(_, c)| c.pvc.as_str()).collect();
        let mut unused_names: Vec<String> = pvcs
            .iter()
            .map(|c| c.name_any())
            .filter(|n| !used.contains(&n.as_str()))
            .collect();
        unused_names.sort_by_key(|n| (facts::ordinal(n), n.clone()));
        let stand_in = Pod {
            spec: Some(PodSpec {
                volumes: Some(
                    unused_names
                        .iter()
                        .map(|n| Volume {
                            name: n.clone(),
                            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                claim_name: n.clone(),
                                read_only: None,
                            }),
                            ..Volume::default()
                        })
                        .collect(),
                ),
                ..PodSpec::default()
            }),
            ..Pod::default()
        };
        let unused = chains(&[stand_in], pvcs, pvs)
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        Topology {
            nodes,
            pods: boxes,
            unused,
            labsim,
        }
    }

    fn pods_on(&self, node: &str) -> Vec<&PodBox> {
        self.pods.iter().filter(|p| p.node == node).collect()
    }

    /// Pods whose node is not one of the nodes (unscheduled).
    fn homeless(&self) -> Vec<&PodBox> {
        self.pods
            .iter()
            .filter(|p| !self.nodes.iter().any(|n| n.name == p.node))
            .collect()
    }

    fn any_unpinned(&self) -> bool {
        self.pods
            .iter()
            .flat_map(|p| &p.chains)
            .chain(&self.unused)
            .any(|c| c.pv_node == "*")
    }

    /// The text drawing.
    pub fn to_text(&self) -> String {
        let mut o = Vec::new();
        for n in &self.nodes {
            let role = if n.control_plane {
                "control-plane, "
            } else {
                ""
            };
            let ready = if n.ready { "Ready" } else { "NotReady" };
            o.push(format!("노드 {} ({role}{ready})", n.name));
            let pods = self.pods_on(&n.name);
            if pods.is_empty() {
                o.push("  (파드 없음)".into());
            }
            for p in pods {
                pod_text(&mut o, p, self.labsim);
            }
        }
        let homeless = self.homeless();
        if !homeless.is_empty() {
            o.push("노드에 아직 배치되지 않은 파드".into());
            for p in homeless {
                pod_text(&mut o, p, self.labsim);
            }
        }
        if !self.unused.is_empty() {
            o.push("쓰는 파드가 없는 PVC (데이터는 남아 있음)".into());
            for c in &self.unused {
                o.push(format!("    └─▶ {}", chain_text(c, None, self.labsim)));
            }
        }
        o.extend(self.notes());
        o.join("\n")
    }

    fn notes(&self) -> Vec<String> {
        let mut o = Vec::new();
        if self.any_unpinned() {
            o.push("(*) PV가 노드에 묶여 있지 않습니다(hostPath): 파드가 어느 노드에 뜨든 그 노드 디스크의 같은 경로를 씁니다.".into());
        }
        if self.labsim {
            o.push("labsim: 세 노드가 모두 이 컴퓨터의 디스크를 함께 쓰므로, 파드가 다른 노드로 가도 같은 데이터를 봅니다. 멀티 노드 minikube에서는 파드가 도는 노드의 디스크입니다.".into());
        }
        o
    }

    /// The SVG drawing.
    pub fn to_svg(&self) -> String {
        const W: f64 = 330.0;
        const GAP: f64 = 16.0;
        const HEAD: f64 = 34.0;
        const POD: f64 = 28.0;
        const CHAIN: f64 = 134.0;
        let mut columns: Vec<(String, String, bool, Vec<&PodBox>)> = self
            .nodes
            .iter()
            .map(|n| {
                let role = if n.control_plane {
                    " (control-plane)"
                } else {
                    ""
                };
                (
                    format!("노드 {}{role}", n.name),
                    if n.ready { "Ready" } else { "NotReady" }.to_string(),
                    n.ready,
                    self.pods_on(&n.name),
                )
            })
            .collect();
        let homeless = self.homeless();
        if !homeless.is_empty() {
            columns.push(("배치되지 않은 파드".into(), String::new(), false, homeless));
        }
        let pod_h = |p: &PodBox| POD + p.chains.len() as f64 * CHAIN + 14.0;
        let col_h = |pods: &[&PodBox]| {
            HEAD + if pods.is_empty() {
                36.0
            } else {
                pods.iter().map(|p| pod_h(p)).sum::<f64>()
            } + 6.0
        };
        // PVCs no pod uses go in one box below the nodes, a chain per slot, as many per row as
        // there are node columns (the picture stays as wide as the cluster)
        let ncols = columns.len().max(1);
        let unused_rows = self.unused.len().div_ceil(ncols);
        let unused_h = HEAD + unused_rows as f64 * CHAIN;
        let height = columns.iter().map(|c| col_h(&c.3)).fold(0.0, f64::max);
        let unused_y = GAP + height + GAP;
        let below = if self.unused.is_empty() {
            0.0
        } else {
            unused_h + GAP
        };
        let notes = self.notes();
        let total_h = unused_y + below + notes.len() as f64 * 18.0 + 8.0;
        let total_w = GAP + ncols as f64 * (W + GAP);
        let mut svg = Svg::new(total_w.ceil() as u32, total_h.ceil() as u32);
        for (i, (title, state, ready, pods)) in columns.iter().enumerate() {
            let x = GAP + i as f64 * (W + GAP);
            let h = col_h(pods);
            svg.rect(x, GAP, W, h, "#f6f8fa", "#8c959f", false);
            svg.text(x + 10.0, GAP + 21.0, 13, "#24292f", "start", true, title);
            if !state.is_empty() {
                let color = if *ready { GREEN } else { AMBER };
                svg.text(x + W - 10.0, GAP + 21.0, 12, color, "end", true, state);
            }
            let mut y = GAP + HEAD;
            if pods.is_empty() {
                svg.text(x + 14.0, y + 20.0, 12, GREY, "start", false, "(파드 없음)");
            }
            for p in pods {
                let (fill, stroke) = if p.is_ready {
                    ("#dafbe1", GREEN)
                } else {
                    ("#fff8c5", AMBER)
                };
                svg.rect(x + 10.0, y, W - 20.0, POD - 4.0, fill, stroke, false);
                svg.text(
                    x + 18.0,
                    y + 17.0,
                    12,
                    "#24292f",
                    "start",
                    true,
                    &format!("파드 {}", p.name),
                );
                svg.text(
                    x + W - 18.0,
                    y + 17.0,
                    11,
                    stroke,
                    "end",
                    false,
                    &format!("{} {}", p.ready, p.status),
                );
                let mut cy = y + POD - 4.0;
                for c in &p.chains {
                    chain_svg(
                        &mut svg,
                        x + 10.0,
                        cy,
                        W - 20.0,
                        c,
                        Some(&p.node),
                        self.labsim,
                    );
                    cy += CHAIN;
                }
                y += pod_h(p);
            }
        }
        if !self.unused.is_empty() {
            svg.rect(
                GAP,
                unused_y,
                total_w - 2.0 * GAP,
                unused_h,
                "#ffffff",
                "#8c959f",
                true,
            );
            svg.text(
                GAP + 10.0,
                unused_y + 21.0,
                13,
                "#24292f",
                "start",
                true,
                "쓰는 파드가 없는 PVC (데이터는 남아 있음)",
            );
            for (i, c) in self.unused.iter().enumerate() {
                let x = GAP + (i % ncols) as f64 * (W + GAP);
                let y = unused_y + HEAD - 14.0 + (i / ncols) as f64 * CHAIN;
                chain_svg(&mut svg, x + 10.0, y, W - 20.0, c, None, self.labsim);
            }
        }
        let mut y = unused_y + below + 10.0;
        for n in &notes {
            svg.text(GAP, y, 12, GREY, "start", false, n);
            y += 18.0;
        }
        svg.finish("노드, 파드, PVC, PV와 데이터 위치")
    }

    /// The picture.
    pub fn picture(&self) -> Picture {
        Picture {
            data: PictureData {
                kind: PictureKind::Topology,
                pods: self.pods.iter().map(|p| p.name.clone()).collect(),
            },
            text: self.to_text(),
            svg: self.to_svg(),
        }
    }
}

fn pod_text(o: &mut Vec<String>, p: &PodBox, labsim: bool) {
    o.push(format!("  파드 {} [{} {}]", p.name, p.ready, p.status));
    if p.chains.is_empty() {
        o.push("    (PVC 없음)".into());
    }
    for c in &p.chains {
        o.push(format!("    └─▶ {}", chain_text(c, Some(&p.node), labsim)));
    }
}

/// Where the data of `c` lives, for a pod on `node` (None: no pod uses it), and whether the PV is
/// tied to no node. labsim's nodes all use this computer's disk.
fn disk(c: &Chain, node: Option<&str>, labsim: bool) -> (String, bool) {
    match (c.pv_node.as_str(), node) {
        ("", _) => ("아직 없음 (PV가 바인딩되지 않음)".into(), false),
        ("*", _) if labsim => ("이 컴퓨터의 디스크 (labsim)".into(), true),
        ("*", Some(n)) if n != "<none>" => (format!("{n}의 디스크"), true),
        ("*", _) => ("파드가 뜨는 노드의 디스크".into(), true),
        (n, _) => (format!("{n}의 디스크"), false),
    }
}

fn chain_text(c: &Chain, node: Option<&str>, labsim: bool) -> String {
    let phase = if c.phase.is_empty() {
        "없음"
    } else {
        c.phase.as_str()
    };
    let pv = if c.pv.is_empty() {
        "PV 없음".to_string()
    } else {
        format!("PV {}", c.pv)
    };
    let (where_, unpinned) = disk(c, node, labsim);
    let mark = if unpinned { " (*)" } else { "" };
    let path = if c.path.is_empty() {
        String::new()
    } else {
        format!(" {}", c.path)
    };
    format!(
        "PVC {} [{phase}] ─▶ {pv} ─▶ 데이터: {where_}{path}{mark}",
        c.pvc
    )
}

/// Draws PVC → PV → disk below (x, y) in a column of width `w`.
#[allow(clippy::too_many_arguments)]
fn chain_svg(svg: &mut Svg, x: f64, y: f64, w: f64, c: &Chain, node: Option<&str>, labsim: bool) {
    let mid = x + w / 2.0;
    let inner = w - 20.0;
    // the arrow from the pod above (a PVC no pod uses has none)
    if node.is_some() {
        svg.line(mid, y, mid, y + 13.0, GREY, true, false);
    }
    let bound = c.phase == "Bound";
    svg.rect(
        x + 10.0,
        y + 14.0,
        inner,
        24.0,
        "#ddf4ff",
        if bound { "#0969da" } else { AMBER },
        !bound,
    );
    let phase = if c.phase.is_empty() {
        "없음"
    } else {
        &c.phase
    };
    svg.text(
        x + 18.0,
        y + 30.0,
        11,
        "#24292f",
        "start",
        false,
        &format!("PVC {}", c.pvc),
    );
    svg.text(
        x + w - 18.0,
        y + 30.0,
        11,
        if bound { GREEN } else { AMBER },
        "end",
        false,
        phase,
    );
    svg.line(mid, y + 38.0, mid, y + 51.0, GREY, true, false);
    svg.group(&c.pv);
    svg.rect(
        x + 10.0,
        y + 52.0,
        inner,
        24.0,
        "#fbefff",
        "#8250df",
        c.pv.is_empty(),
    );
    let pv = if c.pv.is_empty() {
        "PV 없음".to_string()
    } else {
        format!("PV {}", short(&c.pv, 36))
    };
    svg.text(x + 18.0, y + 68.0, 11, "#24292f", "start", false, &pv);
    svg.end_group();
    svg.line(mid, y + 76.0, mid, y + 89.0, GREY, true, false);
    let (where_, unpinned) = disk(c, node, labsim);
    svg.rect(
        x + 10.0,
        y + 90.0,
        inner,
        38.0,
        "#ffffff",
        "#57606a",
        unpinned,
    );
    let mark = if unpinned { " (*)" } else { "" };
    svg.text(
        x + 18.0,
        y + 105.0,
        11,
        "#24292f",
        "start",
        true,
        &format!("데이터: {where_}{mark}"),
    );
    svg.text(
        x + 18.0,
        y + 121.0,
        10,
        GREY,
        "start",
        false,
        &short_tail(&c.path, 44),
    );
}

impl Lab {
    /// `topology()`: nodes holding their pods, each pod → PVC → PV → the disk its data is on.
    pub async fn topology(&self) -> crate::Result<Picture> {
        crate::out::cmd(
            "kubectl get nodes && kubectl get pods -o wide && kubectl get pvc && kubectl get pv",
        );
        let c = self.client().clone();
        let lp = ListParams::default();
        let nodes = read("kubectl get nodes", Api::<Node>::all(c.clone()).list(&lp))
            .await
            .map_err(Error::from)?;
        let pods = read(
            "kubectl get pods",
            Api::<Pod>::default_namespaced(c.clone()).list(&lp),
        )
        .await
        .map_err(Error::from)?;
        let pvcs = read(
            "kubectl get pvc",
            Api::<PersistentVolumeClaim>::default_namespaced(c.clone()).list(&lp),
        )
        .await
        .map_err(Error::from)?;
        let pvs = read("kubectl get pv", Api::<PersistentVolume>::all(c).list(&lp))
            .await
            .map_err(Error::from)?;
        let t = Topology::build(
            &nodes.items,
            &pods.items,
            &pvcs.items,
            &pvs.items,
            self.kind() == ClusterKind::Labsim,
        );
        Ok(t.picture())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    pub(crate) fn sample() -> Topology {
        let node = |n: &str, cp: bool| -> Node {
            let labels = if cp {
                json!({"node-role.kubernetes.io/control-plane": ""})
            } else {
                json!({})
            };
            from(json!({"metadata": {"name": n, "labels": labels},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}}))
        };
        let pod = |n: &str, node: &str, ready: bool| -> Pod {
            from(json!({"metadata": {"name": n},
                "spec": {"nodeName": node, "containers": [{"name": "mysql"}],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("data-{n}")}}]},
                "status": {"phase": if ready { "Running" } else { "Pending" },
                    "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                    "containerStatuses": [{"name": "mysql", "ready": ready, "restartCount": 0, "image": "m", "imageID": ""}]}}))
        };
        let pvc = |n: &str, pv: &str| -> PersistentVolumeClaim {
            from(
                json!({"metadata": {"name": n}, "spec": {"volumeName": pv}, "status": {"phase": "Bound"}}),
            )
        };
        let pv = |n: &str, claim: &str| -> PersistentVolume {
            from(json!({"metadata": {"name": n},
                "spec": {"hostPath": {"path": format!("/tmp/hostpath-provisioner/default/{claim}")}}}))
        };
        Topology::build(
            &[
                node("minikube-m02", false),
                node("minikube", true),
                node("minikube-m03", false),
            ],
            &[
                pod("mysql-1", "minikube-m03", true),
                pod("mysql-0", "minikube-m02", true),
            ],
            &[
                pvc("data-mysql-0", "pvc-0"),
                pvc("data-mysql-1", "pvc-1"),
                pvc("data-mysql-2", "pvc-2"),
            ],
            &[
                pv("pvc-0", "data-mysql-0"),
                pv("pvc-1", "data-mysql-1"),
                pv("pvc-2", "data-mysql-2"),
            ],
            false,
        )
    }

    #[test]
    fn text_drawing_is_the_golden_one() {
        let want = "\
노드 minikube (control-plane, Ready)
  (파드 없음)
노드 minikube-m02 (Ready)
  파드 mysql-0 [1/1 Running]
    └─▶ PVC data-mysql-0 [Bound] ─▶ PV pvc-0 ─▶ 데이터: minikube-m02의 디스크 /tmp/hostpath-provisioner/default/data-mysql-0 (*)
노드 minikube-m03 (Ready)
  파드 mysql-1 [1/1 Running]
    └─▶ PVC data-mysql-1 [Bound] ─▶ PV pvc-1 ─▶ 데이터: minikube-m03의 디스크 /tmp/hostpath-provisioner/default/data-mysql-1 (*)
쓰는 파드가 없는 PVC (데이터는 남아 있음)
    └─▶ PVC data-mysql-2 [Bound] ─▶ PV pvc-2 ─▶ 데이터: 파드가 뜨는 노드의 디스크 /tmp/hostpath-provisioner/default/data-mysql-2 (*)
(*) PV가 노드에 묶여 있지 않습니다(hostPath): 파드가 어느 노드에 뜨든 그 노드 디스크의 같은 경로를 씁니다.";
        assert_eq!(sample().to_text(), want);
    }

    #[test]
    fn svg_holds_every_node_pod_and_claim() {
        let svg = sample().to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        for s in [
            "노드 minikube (control-plane)",
            "노드 minikube-m02",
            "파드 mysql-0",
            "파드 mysql-1",
            "PVC data-mysql-2",
            "쓰는 파드가 없는 PVC",
            "데이터: minikube-m03의 디스크 (*)",
        ] {
            assert!(svg.contains(s), "{s} missing in\n{svg}");
        }
        assert!(!svg.contains("<script"));
    }
}
