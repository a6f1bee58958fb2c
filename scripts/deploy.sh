#!/usr/bin/env bash
# Apply (or destroy) the Terraform stack in terraform/ and print the site's URL.
#
#   scripts/deploy.sh [apply|destroy]
#
# Environment:
#   AWS_ENDPOINT_URL  deploy to an emulator at this URL (moto server, LocalStack) instead of AWS;
#                     dummy credentials and secrets are filled in, and the state is kept in the
#                     "emulator" workspace so it never mixes with the real stack's.
#   TF_PLUGIN_DIR     install providers from this local mirror (offline machines).
#   LAMBDA_RUNTIME, LAMBDA_ARCH   what the zips were built for (defaults python3.12, arm64).
#   AUTO_APPROVE=1    destroy real AWS resources without asking.
#   INGEST_CONCURRENCY  executions to reserve for ingest when the account has room (default 4), used
#                     when terraform.tfvars leaves ingest_reserved_concurrency unset.
#   DEPLOY_PYTHON     a Python with boto3 for that check (make passes the project's venv).
# Settings and secrets come from terraform/terraform.tfvars when it exists (Terraform reads it itself).
set -euo pipefail

action=${1:-apply}
cd "$(dirname "$0")/.."
terraform=${TERRAFORM:-terraform}
tf() { "$terraform" -chdir=terraform "$@"; }

if ! command -v "$terraform" >/dev/null; then
    echo "deploy: $terraform is not installed (https://developer.hashicorp.com/terraform/install)" >&2
    exit 1
fi

export TF_IN_AUTOMATION=1
# On the command line, not as TF_VAR_*: terraform.tfvars would win over those, and the functions
# must be declared for what the zips were built for.
zip_vars=(-var "lambda_runtime=${LAMBDA_RUNTIME:-python3.12}" -var "lambda_architecture=${LAMBDA_ARCH:-arm64}")

workspace=default
if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
    workspace=emulator
    export TF_VAR_aws_endpoint_url=$AWS_ENDPOINT_URL
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}
    export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
    export TF_VAR_force_destroy_bucket=${TF_VAR_force_destroy_bucket:-true}
fi

# A provider mirror holding hashicorp/aws, in the places Terraform and vendors keep them.
find_mirror() {
    local base
    for base in ~/.terraform.d/plugins ~/.local/share/terraform/plugins \
        /usr/local/share/terraform/plugins /usr/share/terraform/plugins /opt/* /opt/*/plugins; do
        if compgen -G "$base/registry.terraform.io/hashicorp/aws/5.*/*" >/dev/null; then
            echo "$base"
            return 0
        fi
    done
    return 1
}

init_args=(-input=false)
if [[ -n ${TF_PLUGIN_DIR:-} ]]; then
    tf init "${init_args[@]}" "-plugin-dir=$(cd "$TF_PLUGIN_DIR" && pwd)" >/dev/null
elif ! init_log=$(tf init "${init_args[@]}" 2>&1); then
    # No registry (an offline machine): fall back to a local mirror if there is one.
    if mirror=$(find_mirror); then
        echo "deploy: the registry is out of reach; using the provider mirror in $mirror" >&2
        tf init "${init_args[@]}" "-plugin-dir=$mirror" >/dev/null
    else
        echo "$init_log" >&2
        echo "deploy: terraform init failed; offline, set TF_PLUGIN_DIR to a provider mirror" >&2
        exit 1
    fi
fi
tf workspace select -or-create "$workspace" >/dev/null

# terraform console reads terraform.tfvars like apply does, and needs no credentials.
tf_value() { tf console <<<"$1" 2>/dev/null | tr -d '"'; }

# Reserve ingest concurrency only where the account keeps 100 unreserved (never on a new account).
reserve_vars=()
if [[ $action == apply && $(tf_value 'var.ingest_reserved_concurrency == null') == true ]]; then
    reservation=-1
    if [[ $workspace == default ]]; then
        reservation=$("${DEPLOY_PYTHON:-python3}" scripts/lambda_concurrency.py \
            --function "$(tf_value 'var.name')-ingest" --region "$(tf_value 'var.aws_region')" \
            --wanted "${INGEST_CONCURRENCY:-4}") || reservation=-1
    fi
    reserve_vars=(-var "ingest_reserved_concurrency=$reservation")
fi

case $action in
    apply)
        for zip in build/ingest.zip build/web.zip; do
            [[ -f $zip ]] || { echo "deploy: $zip is missing: run make package" >&2; exit 1; }
        done
        tf apply -input=false -auto-approve "${zip_vars[@]}" ${reserve_vars[@]+"${reserve_vars[@]}"}
        echo
        echo "site: $(tf output -raw site_url)"
        ;;
    destroy)
        approve=()
        if [[ $workspace == emulator || ${AUTO_APPROVE:-} == 1 ]]; then
            approve=(-auto-approve)
        fi
        # The zips are only read by apply; placeholders let a destroy run from a clean checkout.
        [[ -f build/ingest.zip ]] || export TF_VAR_ingest_zip_path=$PWD/scripts/deploy.sh
        [[ -f build/web.zip ]] || export TF_VAR_web_zip_path=$PWD/scripts/deploy.sh
        tf destroy -input=false "${zip_vars[@]}" ${approve[@]+"${approve[@]}"}  # this form survives set -u on bash 3 (macOS)
        ;;
    *)
        echo "usage: scripts/deploy.sh [apply|destroy]" >&2
        exit 2
        ;;
esac
