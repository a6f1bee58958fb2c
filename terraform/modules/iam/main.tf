data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  profile_pattern = "^(${join("|", keys(var.bedrock_inference_profile_regions))})\\.(.+)$"
  inference_profiles = {
    for id in var.bedrock_model_ids : id => {
      geography = regex(local.profile_pattern, id)[0]
      model     = regex(local.profile_pattern, id)[1]
      arn       = "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/${id}"
    } if length(var.bedrock_inference_profile_regions) > 0 && can(regex(local.profile_pattern, id))
  }
  foundation_model_arns = [
    for id in var.bedrock_model_ids : "arn:${local.partition}:bedrock:${local.region}::foundation-model/${id}"
    if !contains(keys(local.inference_profiles), id)
  ]
  # A profile runs the model in its source region or any destination region: the caller needs the
  # model there as well as the profile itself.
  profile_model_arns = distinct(flatten([
    for profile in values(local.inference_profiles) : [
      for region in distinct(concat([local.region], var.bedrock_inference_profile_regions[profile.geography])) :
      "arn:${local.partition}:bedrock:${region}::foundation-model/${profile.model}"
    ]
  ]))

  # Prefixes grouped by the exact set of actions they get: {"1" = {actions, prefixes}, ...}.
  s3_object_action_sets = distinct([for actions in values(var.s3_object_grants) : sort(distinct(actions)) if length(actions) > 0])
  s3_object_statements = {
    for n, actions in local.s3_object_action_sets : tostring(n + 1) => {
      actions  = actions
      prefixes = sort([for prefix, granted in var.s3_object_grants : prefix if sort(distinct(granted)) == actions])
    }
  }

  s3vectors_index_arn = var.s3vectors_bucket_arn != null && var.s3vectors_index_name != null ? "${var.s3vectors_bucket_arn}/index/${var.s3vectors_index_name}" : null

  ssm_parameter_arns = [
    for name in var.ssm_parameter_names :
    "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(name, "/")}"
  ]
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(var.log_group_arns) > 0 ? [1] : []

    content {
      sid       = "WriteOwnLogs"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources = [for arn in var.log_group_arns : "${arn}:*"]
    }
  }

  # One statement per set of actions, so each prefix gets exactly its own.
  dynamic "statement" {
    for_each = var.s3_bucket_arn != null ? local.s3_object_statements : {}

    content {
      sid       = "UseObjects${statement.key}"
      actions   = statement.value.actions
      resources = [for prefix in statement.value.prefixes : "${var.s3_bucket_arn}/${prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = var.s3_bucket_arn != null && length(var.s3_bucket_actions) > 0 ? [1] : []

    content {
      sid       = "UseBucket"
      actions   = var.s3_bucket_actions
      resources = [var.s3_bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = local.s3vectors_index_arn != null && length(var.s3vectors_index_actions) > 0 ? [1] : []

    content {
      sid       = "UseVectorIndex"
      actions   = var.s3vectors_index_actions
      resources = [local.s3vectors_index_arn]
    }
  }

  dynamic "statement" {
    for_each = var.s3vectors_bucket_arn != null && length(var.s3vectors_bucket_actions) > 0 ? [1] : []

    content {
      sid       = "UseVectorBucket"
      actions   = var.s3vectors_bucket_actions
      resources = [var.s3vectors_bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = length(local.foundation_model_arns) > 0 ? [1] : []

    content {
      sid       = "InvokeFoundationModels"
      actions   = ["bedrock:InvokeModel"]
      resources = local.foundation_model_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.inference_profiles) > 0 ? [1] : []

    content {
      sid       = "InvokeInferenceProfiles"
      actions   = ["bedrock:InvokeModel"]
      resources = [for profile in values(local.inference_profiles) : profile.arn]
    }
  }

  dynamic "statement" {
    for_each = length(local.inference_profiles) > 0 ? [1] : []

    content {
      sid       = "InvokeModelsThroughInferenceProfiles"
      actions   = ["bedrock:InvokeModel"]
      resources = local.profile_model_arns

      condition {
        test     = "StringEquals"
        variable = "bedrock:InferenceProfileArn"
        values   = [for profile in values(local.inference_profiles) : profile.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.ssm_parameter_arns) > 0 ? [1] : []

    content {
      sid       = "ReadSecrets"
      actions   = ["ssm:GetParameter"]
      resources = local.ssm_parameter_arns
    }
  }

  dynamic "statement" {
    for_each = var.ssm_kms_key_arn != null && length(local.ssm_parameter_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptSecretsThroughSsm"
      actions   = ["kms:Decrypt"]
      resources = [var.ssm_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.sqs_queue_arns) > 0 ? [1] : []

    content {
      sid       = "SendFailedEvents"
      actions   = ["sqs:SendMessage"]
      resources = var.sqs_queue_arns
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
