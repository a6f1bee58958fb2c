#!/usr/bin/env bash
# Destroy the Terraform stack (see scripts/deploy.sh for the environment it reads).
exec "$(dirname "$0")/deploy.sh" destroy
