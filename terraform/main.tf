data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region      = data.aws_region.current.name
  bucket_name = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${local.region}")

  ingest_function_name = "${var.name}-ingest"
  web_function_name    = "${var.name}-web"
  object_prefixes      = [var.originals_prefix, var.thumbnails_prefix]
  # Without ListBucket, S3 answers 403 rather than 404 for a missing key, and the app tells them apart.
  s3_bucket_actions = ["s3:ListBucket"]

  # What both functions are told; the secrets themselves stay in SSM and only their names travel.
  environment = merge(
    {
      IMGSEARCH_STORAGE                 = "s3"
      IMGSEARCH_S3_BUCKET               = module.storage.bucket_name
      IMGSEARCH_S3_ORIGINALS_PREFIX     = var.originals_prefix
      IMGSEARCH_S3_THUMBNAILS_PREFIX    = var.thumbnails_prefix
      IMGSEARCH_INDEX                   = "pinecone"
      IMGSEARCH_EMBEDDER                = "bedrock"
      IMGSEARCH_DESCRIBER               = "bedrock"
      IMGSEARCH_BEDROCK_DESCRIBER_MODEL = var.bedrock_describer_model
      IMGSEARCH_BEDROCK_EMBED_MODEL     = var.bedrock_embed_model
      IMGSEARCH_PINECONE_INDEX          = var.pinecone_index
      IMGSEARCH_PINECONE_CLOUD          = var.pinecone_cloud
      IMGSEARCH_PINECONE_REGION         = coalesce(var.pinecone_region, local.region)
      # Retries (standard mode, backing off on throttling) end well inside the function timeouts,
      # so a throttled Bedrock surfaces as a readable failure rather than a Lambda timeout.
      IMGSEARCH_AWS_MAX_ATTEMPTS           = "3"
      IMGSEARCH_AWS_REGION                 = local.region
      IMGSEARCH_SSM_DATABASE_URL_PARAM     = local.ssm_names.database_url
      IMGSEARCH_SSM_PINECONE_API_KEY_PARAM = local.ssm_names.pinecone_api_key
      # A claim on a photo lasts as long as an ingest invocation may run, so Lambda's retry of a
      # timed-out invocation can take the photo over.
      IMGSEARCH_PROCESSING_LEASE_S = tostring(var.ingest_timeout)
      # /var/task is read-only; anything the app writes locally goes to Lambda's scratch space.
      IMGSEARCH_DATA_DIR = "/tmp/imgsearch"
    },
    local.emulated ? { IMGSEARCH_AWS_ENDPOINT_URL = var.aws_endpoint_url } : {},
    var.extra_environment,
  )
}

module "storage" {
  source = "./modules/storage"

  bucket_name                        = local.bucket_name
  force_destroy                      = var.force_destroy_bucket
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  cors_allowed_origins               = [module.web.url]

  tags = var.tags
}

# ---------------------------------------------------------------- ingest

module "ingest_role" {
  source = "./modules/iam"

  name                              = local.ingest_function_name
  log_group_arns                    = [module.ingest.log_group_arn]
  s3_bucket_arn                     = module.storage.bucket_arn
  s3_object_prefixes                = local.object_prefixes
  s3_object_actions                 = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
  s3_bucket_actions                 = local.s3_bucket_actions
  bedrock_model_ids                 = distinct([var.bedrock_describer_model, var.bedrock_embed_model])
  bedrock_inference_profile_regions = var.bedrock_inference_profile_regions
  ssm_parameter_names               = [local.ssm_names.database_url, local.ssm_names.pinecone_api_key]
  ssm_kms_key_arn                   = var.ssm_kms_key_arn
  sqs_queue_arns                    = [module.ingest.dlq_arn]

  tags = var.tags
}

module "ingest" {
  source = "./modules/ingest"

  function_name                  = local.ingest_function_name
  role_arn                       = module.ingest_role.role_arn
  zip_path                       = coalesce(var.ingest_zip_path, "${path.root}/../build/ingest.zip")
  runtime                        = var.lambda_runtime
  architecture                   = var.lambda_architecture
  memory_size                    = var.ingest_memory_size
  timeout                        = var.ingest_timeout
  reserved_concurrent_executions = var.ingest_reserved_concurrency
  maximum_retry_attempts         = var.ingest_maximum_retry_attempts
  log_retention_days             = var.log_retention_days
  environment                    = local.environment

  bucket_id        = module.storage.bucket_id
  bucket_arn       = module.storage.bucket_arn
  originals_prefix = var.originals_prefix

  tags = var.tags
}

# ---------------------------------------------------------------- web

module "web_role" {
  source = "./modules/iam"

  name               = local.web_function_name
  log_group_arns     = [module.web.log_group_arn]
  s3_bucket_arn      = module.storage.bucket_arn
  s3_object_prefixes = local.object_prefixes
  # Get: presigned GETs of photos; Put: presigned POSTs of uploads; Delete: removing a photo.
  s3_object_actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
  s3_bucket_actions = local.s3_bucket_actions
  # Search embeds the query; only ingest describes photos.
  bedrock_model_ids                 = [var.bedrock_embed_model]
  bedrock_inference_profile_regions = var.bedrock_inference_profile_regions
  ssm_parameter_names               = values(local.ssm_names)
  ssm_kms_key_arn                   = var.ssm_kms_key_arn

  tags = var.tags
}

module "web" {
  source = "./modules/web"

  function_name                  = local.web_function_name
  role_arn                       = module.web_role.role_arn
  zip_path                       = coalesce(var.web_zip_path, "${path.root}/../build/web.zip")
  runtime                        = var.lambda_runtime
  architecture                   = var.lambda_architecture
  memory_size                    = var.web_memory_size
  timeout                        = var.web_timeout
  reserved_concurrent_executions = var.web_reserved_concurrency
  log_retention_days             = var.log_retention_days
  throttling_burst_limit         = var.api_throttling_burst_limit
  throttling_rate_limit          = var.api_throttling_rate_limit
  public_url                     = var.site_origin
  environment = merge(local.environment, {
    IMGSEARCH_SSM_SECRET_KEY_PARAM = local.ssm_names.web_secret_key
    # Search embeds one short query; API Gateway gives up at 29 s.
    IMGSEARCH_BEDROCK_TIMEOUT_S = "8"
    # Creating an index takes minutes: only ingest (or reindex) does it.
    IMGSEARCH_PINECONE_CREATE_INDEX = "false"
  })

  tags = var.tags
}
