locals {
  emulated = var.aws_endpoint_url != ""
}

provider "aws" {
  region = var.aws_region

  # An emulator (moto server, LocalStack) answers every service on one URL and takes any credentials.
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  s3_use_path_style           = local.emulated

  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []

    content {
      apigatewayv2 = endpoints.value
      iam          = endpoints.value
      lambda       = endpoints.value
      logs         = endpoints.value
      s3           = endpoints.value
      sqs          = endpoints.value
      ssm          = endpoints.value
      sts          = endpoints.value
    }
  }

  default_tags {
    tags = merge({ Project = var.name }, var.tags)
  }
}
