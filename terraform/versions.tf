terraform {
  # 1.11: write-only attributes, which keep the secrets out of the state.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100: aws_ssm_parameter's value_wo is there and tested; 6.x not yet tried.
      version = "~> 5.100"
    }
  }

  # State is local (terraform/terraform.tfstate, git-ignored). For a team, add an S3 backend here
  # (S3 native locking, use_lockfile = true, costs nothing when idle); see docs/deploy-notes.md.
}
