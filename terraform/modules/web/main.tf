data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The API's own URL is known before the function exists (the API does not depend on it), so the
  # function can be told its public URL without a dependency cycle.
  public_url = var.public_url != "" ? var.public_url : aws_apigatewayv2_api.this.api_endpoint

  # Built from the name rather than read from .arn, so the policies that use it are known at plan time.
  log_group_arn = join(":", [
    "arn", data.aws_partition.current.partition, "logs", data.aws_region.current.name,
    data.aws_caller_identity.current.account_id, "log-group", aws_cloudwatch_log_group.this.name,
  ])
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted at rest by CloudWatch; a customer managed KMS key bills monthly even when idle.
  #checkov:skip=CKV_AWS_338:A year of logs is not worth its storage for this product; retention is a variable.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:No VPC: the function reaches Bedrock, Pinecone and Neon over the internet; a VPC would need a NAT gateway or endpoints, which bill by the hour when idle.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway, which returns the error to the caller; a dead-letter queue only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (only SSM parameter names); a customer managed KMS key bills monthly even when idle.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles and a signing step in the build; the zip is built and deployed by the same trusted pipeline.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is left off to keep the function lean; API access logs and function logs carry the timings.
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
    variables = merge(var.environment, { (var.public_url_variable) = local.public_url })
  }

  tags = var.tags

  # Lambda would otherwise create the log group itself, with no retention.
  depends_on = [aws_cloudwatch_log_group.this]
}
