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
# kubelab's start_cluster() and the notebook tests start this labsim binary.
KUBELAB_LABSIM := $(CARGO_TARGET_DIR)/debug/labsim
export KUBELAB_LABSIM
# The course's kernel and REPL: evcxr + kubelab-core in one process (docs/kernel.md). Release:
# evcxr's rust-analyzer decides a `let`'s type, and a debug build of it is many times slower.
KERNEL_BIN := $(CARGO_TARGET_DIR)/release/kubelab-kernel
LABSIM_STATE ?= $(REPO)/.labsim
# auto: a running lab cluster, else minikube (with Docker), else labsim. Or: minikube, labsim.
CLUSTER ?= auto
PORT ?= 8888
NOTEBOOK_OUT ?= $(REPO)/tests/notebooks/out

.PHONY: help setup system venv builds labsim kernel-bin kernel lab repl cluster test rust-checks notebook-tests browser-tests bench-kernel labsim-down

help:
	@echo "make lab    설정 + 클러스터 + JupyterLab (notebooks/)"
	@echo "make repl   설정 + 클러스터 + 터미널 REPL (같은 함수, 텍스트 표)"
	@echo "make test   fmt, clippy, cargo test, 노트북 테스트 (labsim, 브라우저 포함)"
	@echo "make setup  시스템 패키지, .venv, labsim, kubelab 커널 (멱등)"
	@echo "make labsim-down   .labsim 클러스터 정지 (데이터는 남음)"

# System packages first (they may ask for sudo); then the venv (pip) and the Rust builds, which
# do not depend on each other, side by side.
setup: system
	@$(MAKE) -j2 venv builds
	@$(MAKE) kernel

system:
	@scripts/system-deps.sh

venv:
	@if [ -x "$(PYTHON)" ] && cmp -s kernel/requirements.txt "$(VENV)/.kubelab-requirements"; then \
	  echo "[setup] .venv: 최신 상태입니다."; \
	else \
	  echo "[setup] Python 가상환경 .venv 준비 중 (JupyterLab, nbclient)..."; \
	  python3 -m venv "$(VENV)" || { echo "python3 -m venv 실패: Debian/Ubuntu라면 'sudo apt-get install -y python3-venv'" >&2; exit 1; }; \
	  "$(PYTHON)" -m pip install -q --disable-pip-version-check -r kernel/requirements.txt; \
	  cp kernel/requirements.txt "$(VENV)/.kubelab-requirements"; \
	  echo "[setup] .venv 준비 완료"; \
	fi

# One cargo at a time (they share the target dir): labsim (debug), then the kernel (release).
builds: labsim kernel-bin

labsim:
	@echo "[setup] labsim 빌드 (cargo build -p labsim, $(CARGO_TARGET_DIR))"
	@cargo build -q -p labsim

kernel-bin: labsim
	@echo "[setup] kubelab 커널 빌드 (cargo build --release -p kubelab-kernel; 처음 한 번 2코어에서 10분 안팎)"
	@cargo build -q --release -p kubelab-kernel

kernel: venv kernel-bin
	@PYTHON="$(PYTHON)" KERNEL_BIN="$(KERNEL_BIN)" kernel/setup.sh

cluster:
	@CLUSTER="$(CLUSTER)" scripts/cluster.sh "$(LABSIM_STATE)" "$(REPO)/.lab/cluster.env"

lab: setup
	@$(MAKE) cluster
	@PYTHON="$(PYTHON)" PORT="$(PORT)" scripts/jupyter.sh "$(REPO)/.lab/cluster.env" "$(REPO)/notebooks"

# The REPL needs no venv: system packages, the binaries, the cluster, then the terminal.
repl: system builds
	@$(MAKE) cluster
	@set -a; . "$(REPO)/.lab/cluster.env"; set +a; cd "$(REPO)/notebooks" && exec "$(KERNEL_BIN)" repl

test: rust-checks notebook-tests

rust-checks:
	cargo fmt --all --check
	@# kubelab-core's modules in layers without a cycle (labsim's layers are a unit test, layers.rs)
	python3 scripts/module-layers.py crates/kubelab-core/src
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace --exclude kubelab-kernel
	@# the kernel's tests without its evcxr part (one build of rust-analyzer is enough; the
	@# cells are tested through Jupyter, the REPL and the browser below)
	cargo test -p kubelab-kernel --no-default-features

notebook-tests: setup
	"$(PYTHON)" -m unittest tests/notebooks/test_run.py
	@# every notebook twice in a row on the same cluster, as a learner who runs it again would
	"$(PYTHON)" tests/notebooks/run.py --labsim "$(KUBELAB_LABSIM)" --out "$(NOTEBOOK_OUT)" \
	  $(foreach nb,$(notdir $(wildcard $(REPO)/notebooks/*.ipynb)),--again $(nb)) "$(REPO)/notebooks"
	"$(PYTHON)" tests/notebooks/errors.py --labsim "$(KUBELAB_LABSIM)"
	KERNEL_BIN="$(KERNEL_BIN)" "$(PYTHON)" tests/repl/test_repl.py --labsim "$(KUBELAB_LABSIM)"
	@$(MAKE) browser-tests

# JupyterLab in headless Chromium (Debian's chromium; Playwright from the venv drives it).
browser-tests: setup
	@command -v chromium >/dev/null || { echo "chromium이 없습니다: sudo apt-get install -y chromium" >&2; exit 1; }
	@# every notebook twice in a row on the same cluster here too, as the headless run does
	"$(PYTHON)" tests/notebooks/browser.py --labsim "$(KUBELAB_LABSIM)" --out "$(NOTEBOOK_OUT)/browser" \
	  $(foreach nb,$(notdir $(wildcard $(REPO)/notebooks/*.ipynb)),--again $(nb)) "$(REPO)/notebooks"

# Side by side: a plain evcxr kernel and the kubelab kernel, same machine, same run (not a test).
bench-kernel: setup
	@PYTHON="$(PYTHON)" KERNEL_BIN="$(KERNEL_BIN)" scripts/bench-kernel.sh

labsim-down:
	@[ -x "$(KUBELAB_LABSIM)" ] && "$(KUBELAB_LABSIM)" down --state-dir "$(LABSIM_STATE)" || true
