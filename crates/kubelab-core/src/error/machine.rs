//! `machine::Error`: stopping or starting a node machine and turning an addon on or off (what
//! `minikube node stop|start` and `minikube addons enable|disable` change).

/// Errors of `node_stop`, `node_start`, `addon_enable` and `addon_disable`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No node of that name.
    #[error("노드 \"{node}\"이(가) 없습니다 (있는 노드: {nodes}).\n→ nodes()? 로 노드 이름을 확인하세요. 워커 노드는 minikube-m02, minikube-m03처럼 이름이 -m02, -m03으로 끝납니다.")]
    UnknownNode {
        /// The name asked for.
        node: String,
        /// The nodes there are.
        nodes: String,
    },
    /// The control-plane node: stopping it stops the API server.
    #[error("\"{node}\"은(는) 컨트롤 플레인 노드라서 멈추지 않습니다. API 서버가 이 노드에 있어서, 멈추면 kubectl도 kubelab도 클러스터에 닿지 못합니다.\n→ 워커 노드(예: minikube-m02)를 멈추세요.")]
    ControlPlane {
        /// The node.
        node: String,
    },
    /// An addon the course does not turn on.
    #[error("애드온 \"{name}\"은(는) 이 실습에서 다루지 않습니다 (다루는 애드온: {known}).\n→ addon_enable(\"{known}\")? 처럼 쓰세요.")]
    UnknownAddon {
        /// The name asked for.
        name: String,
        /// The addon the course uses.
        known: String,
    },
    /// A cluster that is neither minikube nor labsim: no machine to stop, no addon to enable.
    #[error("지금 클러스터(컨텍스트 '{context}')는 minikube도 labsim도 아니어서 {what}을(를) 할 수 없습니다.\n→ 이 연습은 minikube나 labsim에서 하세요. 다른 클러스터라면 그 클러스터의 방법(클라우드 콘솔 등)으로 하세요.")]
    NotHere {
        /// The context.
        context: String,
        /// What was asked (Korean).
        what: String,
    },
    /// The command (minikube) or labsim's admin call failed.
    #[error("$ {command}\n{detail}\n→ {hint}")]
    Failed {
        /// The command as the learner would type it.
        command: String,
        /// What went wrong.
        detail: String,
        /// What to do next.
        hint: String,
    },
}
