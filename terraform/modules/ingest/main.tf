data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Built from names rather than read from .arn, so the policies that use them are known at plan time.
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${aws_cloudwatch_log_group.this.name}"
  dlq_arn       = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${aws_sqs_queue.dlq.name}"
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted at rest by CloudWatch; a customer managed KMS key bills monthly even when idle.
  #checkov:skip=CKV_AWS_338:A year of logs is not worth its storage for this product; retention is a variable.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.function_name}-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:No VPC: the function reaches Bedrock, Pinecone and Neon over the internet; a VPC would need a NAT gateway or endpoints, which bill by the hour when idle.
  #checkov:skip=CKV_AWS_116:Failed asynchronous events go to an SQS on-failure destination (aws_lambda_function_event_invoke_config), which supersedes a dead_letter_config.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (only SSM parameter names); a customer managed KMS key bills monthly even when idle.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles and a signing step in the build; the zip is built and deployed by the same trusted pipeline.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is left off to keep the function lean; logs carry the timings.
  function_name    = var.function_name
  role             = var.role_arn
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = var.environment
  }

  tags = var.tags

  # Lambda would otherwise create the log group itself, with no retention.
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowS3ObjectEvents"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.bucket_arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "this" {
  bucket = var.bucket_id

  lambda_function {
    id                  = "ingest-originals"
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    filter_prefix       = var.originals_prefix
  }

  # S3 test-invokes the destination when the notification is saved, so the permission must exist first.
  depends_on = [aws_lambda_permission.s3]
}
