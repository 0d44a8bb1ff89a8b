#!/usr/bin/env bash
# scripts/cluster.sh: make sure a lab cluster runs, and write the KUBECONFIG the lab should use.
#
# Usage: CLUSTER=auto|minikube|labsim scripts/cluster.sh LABSIM_STATE_DIR ENV_FILE
# auto: 1) a reachable cluster whose current context is `minikube` (or $KUBELAB_CONTEXT);
#       2) `minikube start` with the lab's flags, where minikube and a working Docker exist;
#       3) labsim (a simulated 3-node minikube) in LABSIM_STATE_DIR, which needs mariadb-server.
# ENV_FILE receives `KUBECONFIG=...` for scripts/jupyter.sh (and so for the kernels).
set -euo pipefail
state=${1:?state dir}; envfile=${2:?env file}
mode=${CLUSTER:-auto}
labsim=${KUBELAB_LABSIM:-labsim}
mkdir -p "$(dirname "$envfile")"
default_kubeconfig=${KUBECONFIG:-$HOME/.kube/config}
lab_context=${KUBELAB_CONTEXT:-minikube}

reachable() { # kubeconfig -> 0 if its current context is the lab's and the API answers in 5 s
  command -v kubectl >/dev/null || return 1
  [ -f "$1" ] || return 1
  [ "$(KUBECONFIG=$1 kubectl config current-context 2>/dev/null)" = "$lab_context" ] || return 1
  KUBECONFIG=$1 timeout 8 kubectl get --raw /version --request-timeout=5s >/dev/null 2>&1
}

use() { echo "KUBECONFIG=$1" > "$envfile"; echo "[cluster] $2 (KUBECONFIG=$1)"; }

start_labsim() {
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    echo "[cluster] labsim에는 MariaDB 서버(mariadbd)가 필요합니다. 설치하세요:" >&2
    echo "          sudo apt-get update && sudo apt-get install -y mariadb-server mariadb-client" >&2
    echo "          (minikube와 Docker가 있다면: make lab CLUSTER=minikube)" >&2
    exit 1
  fi
  if [ -f "$state/kubeconfig" ] && "$labsim" status --state-dir "$state" >/dev/null 2>&1; then
    use "$state/kubeconfig" "실행 중인 labsim을 사용합니다"; return
  fi
  mkdir -p "$state"
  echo "[cluster] labsim 시작: $labsim up --state-dir $state"
  "$labsim" up --state-dir "$state"
  use "$state/kubeconfig" "labsim이 준비되었습니다 (가상 3노드 minikube)"
}

start_minikube() {
  echo "[cluster] minikube start --driver=docker --cni=calico --kubernetes-version=stable --nodes=3 (몇 분 걸립니다)"
  minikube start --driver='docker' --cni='calico' --kubernetes-version='stable' --nodes=3
  use "$default_kubeconfig" "minikube가 준비되었습니다"
}

have_minikube() { command -v minikube >/dev/null && command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }

case "$mode" in
  labsim) start_labsim ;;
  minikube)
    if reachable "$default_kubeconfig"; then use "$default_kubeconfig" "실행 중인 minikube를 사용합니다"
    elif have_minikube; then start_minikube
    else echo "[cluster] minikube 또는 Docker가 없습니다 (https://minikube.sigs.k8s.io/docs/start/). labsim: make lab CLUSTER=labsim" >&2; exit 1
    fi ;;
  auto)
    if reachable "$default_kubeconfig"; then use "$default_kubeconfig" "실행 중인 '$lab_context' 클러스터를 사용합니다"
    elif have_minikube; then start_minikube
    else start_labsim
    fi ;;
  *) echo "CLUSTER는 auto, minikube, labsim 중 하나입니다 (받은 값: $mode)" >&2; exit 2 ;;
esac
