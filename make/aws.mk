# AWS: Lambda packages, Terraform deploy and checks. Included from the Makefile, which defines
# PYTHON, VENV, BIN, INSTALLED and DEV_INSTALLED.
#
#   make deploy                                      real AWS (credentials from the usual AWS chain)
#   make deploy AWS_ENDPOINT_URL=http://127.0.0.1:5000   an emulator (python -m moto.server -p 5000)
#   make deploy TF_PLUGIN_DIR=/path/to/mirror        offline: providers from a local mirror

LAMBDA_RUNTIME ?= python3.12
LAMBDA_ARCH ?= arm64
# slim: pinned boto3 with only the service models the functions use (see docs/deploy-notes.md)
LAMBDA_BOTO3 ?= slim
TERRAFORM ?= terraform
TF_PLUGIN_DIR ?=
AWS_ENDPOINT_URL ?=
CHECKOV_VENV ?= build/checkov-venv

# Packaging needs only pip, not the project's dependencies: the venv's Python if there is one.
PACKAGE_PYTHON = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
PACKAGE_ARGS = --runtime $(LAMBDA_RUNTIME) --arch $(LAMBDA_ARCH) --boto3 $(LAMBDA_BOTO3)
TF_INIT_ARGS = -input=false $(if $(TF_PLUGIN_DIR),-plugin-dir=$(abspath $(TF_PLUGIN_DIR)))

DEPLOY_PYTHON = $(PACKAGE_PYTHON)

export LAMBDA_RUNTIME LAMBDA_ARCH TERRAFORM TF_PLUGIN_DIR AWS_ENDPOINT_URL DEPLOY_PYTHON

.PHONY: package-ingest package-web package deploy destroy tf-fmt tf-validate checkov bedrock-check

package-ingest: ## build build/ingest.zip for Lambda (LAMBDA_ARCH=arm64|x86_64, LAMBDA_PYTHON=, ALLOW_SOURCE_ONLY=1)
	$(PACKAGE_PYTHON) scripts/package_lambda.py ingest $(PACKAGE_ARGS)

package-web: ## build build/web.zip for Lambda
	$(PACKAGE_PYTHON) scripts/package_lambda.py web $(PACKAGE_ARGS)

package: package-ingest package-web ## build both Lambda zips

deploy: package ## package and terraform apply; prints the site URL (AWS_ENDPOINT_URL=... for moto)
	scripts/deploy.sh

bedrock-check: $(INSTALLED) ## one Converse and one embed call with your AWS credentials (subscribes the account to the model)
	$(BIN)/python scripts/bedrock_check.py

destroy: ## terraform destroy the stack (asks first on real AWS)
	scripts/destroy.sh

tf-fmt: ## terraform fmt the configuration
	$(TERRAFORM) fmt -recursive terraform

tf-validate: ## terraform fmt -check and validate (no credentials needed)
	$(TERRAFORM) fmt -check -recursive terraform
	$(TERRAFORM) -chdir=terraform init -backend=false $(TF_INIT_ARGS) >/dev/null
	$(TERRAFORM) -chdir=terraform validate

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov

checkov: $(CHECKOV_VENV)/bin/checkov ## static security checks of terraform/ (own venv: its pins clash with ours)
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --quiet --compact
