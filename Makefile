# Makefile: `make lab` opens the course in JupyterLab, `make test` checks everything.
# Both start with `make setup` (idempotent): evcxr_jupyter, the .venv, labsim, the kubelab kernel.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
CARGO_HOME ?= $(HOME)/.cargo
CARGO_BIN := $(CARGO_HOME)/bin
# Build output lives outside the clone (shared by `make lab`, `make test` and the IDE).
CARGO_TARGET_DIR ?= $(HOME)/.cache/kubelab-target
export CARGO_TARGET_DIR
export PATH := $(CARGO_BIN):$(PATH)

VENV := $(REPO)/.venv
PYTHON := $(VENV)/bin/python
EVCXR_VERSION := 0.22.0
# kubelab's start_cluster() and the notebook tests start this labsim binary.
KUBELAB_LABSIM := $(CARGO_TARGET_DIR)/debug/labsim
export KUBELAB_LABSIM
LABSIM_STATE ?= $(REPO)/.labsim
# :opt level of the kernel. 0 measured here: cold prebuild 8.3 min vs 14 min at evcxr's default 2,
# same per-cell time (~1-2 s); the lab waits on the network, not on the CPU.
EVCXR_OPT ?= 0
export EVCXR_OPT
# auto: a running lab cluster, else minikube (with Docker), else labsim. Or: minikube, labsim.
CLUSTER ?= auto
PORT ?= 8888
NOTEBOOK_OUT ?= $(REPO)/tests/notebooks/out

.PHONY: help setup evcxr venv labsim kernel lab cluster test rust-checks notebook-tests labsim-down

help:
	@echo "make lab    설정 + 클러스터 + JupyterLab (notebooks/)"
	@echo "make test   fmt, clippy, cargo test, 노트북 테스트 (labsim)"
	@echo "make setup  evcxr_jupyter, .venv, labsim, kubelab 커널 (멱등)"
	@echo "make labsim-down   .labsim 클러스터 정지 (데이터는 남음)"

setup: evcxr venv labsim kernel

evcxr:
	@if cargo install --list | grep -q '^evcxr_jupyter v$(EVCXR_VERSION):'; then \
	  echo "[setup] evcxr_jupyter $(EVCXR_VERSION): 설치되어 있습니다."; \
	else \
	  echo "[setup] evcxr_jupyter $(EVCXR_VERSION) 설치 중 (처음 한 번, 2코어에서 5-10분)..."; \
	  cargo install evcxr_jupyter --locked --version $(EVCXR_VERSION); \
	fi

venv:
	@if [ -x "$(PYTHON)" ] && cmp -s kernel/requirements.txt "$(VENV)/.kubelab-requirements"; then \
	  echo "[setup] .venv: 최신 상태입니다."; \
	else \
	  echo "[setup] Python 가상환경 .venv 준비 중 (JupyterLab, nbclient)..."; \
	  python3 -m venv "$(VENV)" || { echo "python3 -m venv 실패: Debian/Ubuntu라면 'sudo apt-get install -y python3-venv'" >&2; exit 1; }; \
	  "$(PYTHON)" -m pip install --disable-pip-version-check --progress-bar on -r kernel/requirements.txt; \
	  cp kernel/requirements.txt "$(VENV)/.kubelab-requirements"; \
	fi

labsim:
	@echo "[setup] labsim 빌드 (cargo build -p labsim, $(CARGO_TARGET_DIR))"
	@cargo build -p labsim

kernel: venv evcxr
	@PYTHON="$(PYTHON)" CARGO_BIN="$(CARGO_BIN)" kernel/setup.sh

cluster:
	@CLUSTER="$(CLUSTER)" scripts/cluster.sh "$(LABSIM_STATE)" "$(REPO)/.lab/cluster.env"

lab: setup
	@$(MAKE) cluster
	@PYTHON="$(PYTHON)" PORT="$(PORT)" scripts/jupyter.sh "$(REPO)/.lab/cluster.env" "$(REPO)/notebooks"

test: rust-checks notebook-tests

rust-checks:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace

notebook-tests: setup
	"$(PYTHON)" -m unittest tests/notebooks/test_run.py
	"$(PYTHON)" tests/notebooks/run.py --labsim "$(KUBELAB_LABSIM)" --out "$(NOTEBOOK_OUT)" "$(REPO)/notebooks"

labsim-down:
	@[ -x "$(KUBELAB_LABSIM)" ] && "$(KUBELAB_LABSIM)" down --state-dir "$(LABSIM_STATE)" || true
