# SecureString parameters are free (standard tier) and encrypted with the AWS managed aws/ssm key at no
# charge; Secrets Manager would bill per secret per month. The values are write-only (value_wo): they
# reach SSM but never the plan or the state.

locals {
  ssm_prefix = coalesce(var.ssm_parameter_prefix, "/${var.name}/")
  ssm_names = {
    database_url     = "${local.ssm_prefix}database-url"
    pinecone_api_key = "${local.ssm_prefix}pinecone-api-key"
    web_secret_key   = "${local.ssm_prefix}web-secret-key"
  }
  ssm_descriptions = {
    database_url     = "PostgreSQL URL of the imgsearch metadata database"
    pinecone_api_key = "Pinecone API key of the imgsearch vector index"
    web_secret_key   = "Key signing the imgsearch web UI's session cookies"
  }
  # Written when a secret was not given, to be replaced with the CLI (see docs/deploy-notes.md).
  ssm_unset = "UNSET"
  # Ephemeral (like the variables): usable only in write-only attributes and checks.
  ssm_values = {
    database_url     = var.database_url
    pinecone_api_key = var.pinecone_api_key
    web_secret_key   = var.web_secret_key
  }
}

resource "aws_ssm_parameter" "secret" {
  #checkov:skip=CKV_AWS_337:Encrypted with the AWS managed aws/ssm key; a customer managed KMS key bills monthly even when idle (set ssm_kms_key_arn to use one).
  for_each = var.create_ssm_parameters ? local.ssm_descriptions : {}

  name        = local.ssm_names[each.key]
  description = each.value
  type        = "SecureString"
  key_id      = var.ssm_kms_key_arn
  # Sent only on create and when value_wo_version changes: later applies (and destroy) need no secrets,
  # and a value put with `aws ssm put-parameter --overwrite` is never overwritten.
  value_wo         = coalesce(local.ssm_values[each.key], local.ssm_unset)
  value_wo_version = lookup(var.ssm_secret_versions, each.key, 1)
}
