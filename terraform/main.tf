data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region      = data.aws_region.current.name
  bucket_name = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${local.region}")

  ingest_function_name = "${var.name}-ingest"
  web_function_name    = "${var.name}-web"

  s3vectors_bucket_name = coalesce(var.s3vectors_bucket_name, "${var.name}-vectors-${data.aws_caller_identity.current.account_id}-${local.region}")
  s3vectors_bucket_arn  = "arn:${data.aws_partition.current.partition}:s3vectors:${local.region}:${data.aws_caller_identity.current.account_id}:bucket/${local.s3vectors_bucket_name}"
  use_s3vectors         = var.vector_index == "s3vectors"
  use_pinecone          = var.vector_index == "pinecone"

  index_environment = local.use_pinecone ? {
    IMGSEARCH_PINECONE_INDEX             = var.pinecone_index
    IMGSEARCH_PINECONE_CLOUD             = var.pinecone_cloud
    IMGSEARCH_PINECONE_REGION            = var.pinecone_region
    IMGSEARCH_SSM_PINECONE_API_KEY_PARAM = local.ssm_names.pinecone_api_key
    } : {
    IMGSEARCH_S3VECTORS_BUCKET = local.s3vectors_bucket_name
    IMGSEARCH_S3VECTORS_INDEX  = var.s3vectors_index_name
  }
  index_ssm_parameters = local.use_pinecone ? [local.ssm_names.pinecone_api_key] : []

  # What both functions are told; the secrets themselves stay in SSM and only their names travel.
  environment = merge(
    {
      IMGSEARCH_STORAGE                 = "s3"
      IMGSEARCH_S3_BUCKET               = module.storage.bucket_name
      IMGSEARCH_S3_ORIGINALS_PREFIX     = var.originals_prefix
      IMGSEARCH_S3_THUMBNAILS_PREFIX    = var.thumbnails_prefix
      IMGSEARCH_INDEX                   = var.vector_index
      IMGSEARCH_EMBEDDER                = "bedrock"
      IMGSEARCH_DESCRIBER               = "bedrock"
      IMGSEARCH_BEDROCK_DESCRIBER_MODEL = var.bedrock_describer_model
      IMGSEARCH_BEDROCK_EMBED_MODEL     = var.bedrock_embed_model
      # Every call's retries (standard mode, backing off on throttling) end inside the ingest
      # timeout: 3 x (5 s connect + 25 s Bedrock read) + backoff is ~96 s of 120, so a hung or
      # throttled Bedrock marks the photo failed instead of killing the invocation. The app
      # refuses to start when the worst case would not fit the lease (the timeout, below).
      IMGSEARCH_AWS_MAX_ATTEMPTS       = "3"
      IMGSEARCH_AWS_CONNECT_TIMEOUT_S  = "5"
      IMGSEARCH_AWS_READ_TIMEOUT_S     = "20"
      IMGSEARCH_BEDROCK_TIMEOUT_S      = "25"
      IMGSEARCH_DB_TIMEOUT_S           = "15"
      IMGSEARCH_AWS_REGION             = local.region
      IMGSEARCH_SSM_DATABASE_URL_PARAM = local.ssm_names.database_url
      # A claim on a photo lasts as long as an ingest invocation may run, so Lambda's retry of a
      # timed-out invocation can take the photo over.
      IMGSEARCH_PROCESSING_LEASE_S = tostring(var.ingest_timeout)
      # /var/task is read-only; anything the app writes locally goes to Lambda's scratch space.
      IMGSEARCH_DATA_DIR = "/tmp/imgsearch"
    },
    local.index_environment,
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

  name           = local.ingest_function_name
  log_group_arns = [module.ingest.log_group_arn]
  s3_bucket_arn  = module.storage.bucket_arn
  # Reads uploads and deletes refused or duplicate ones; writes and deletes thumbnails.
  s3_object_grants = {
    (var.originals_prefix)  = ["s3:GetObject", "s3:DeleteObject"]
    (var.thumbnails_prefix) = ["s3:PutObject", "s3:DeleteObject"]
  }
  # Without ListBucket S3 answers 403 rather than 404 for a missing key, and a late removal event
  # must tell "deleted" from "forbidden".
  s3_bucket_actions                 = ["s3:ListBucket"]
  s3vectors_bucket_arn              = local.use_s3vectors ? local.s3vectors_bucket_arn : null
  s3vectors_index_name              = var.s3vectors_index_name
  s3vectors_index_actions           = ["s3vectors:CreateIndex", "s3vectors:GetIndex", "s3vectors:PutVectors", "s3vectors:GetVectors", "s3vectors:DeleteVectors", "s3vectors:QueryVectors"]
  s3vectors_bucket_actions          = ["s3vectors:GetVectorBucket", "s3vectors:CreateVectorBucket"]
  bedrock_model_ids                 = distinct([var.bedrock_describer_model, var.bedrock_embed_model])
  bedrock_inference_profile_regions = var.bedrock_inference_profile_regions
  ssm_parameter_names               = concat([local.ssm_names.database_url], local.index_ssm_parameters)
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
  reserved_concurrent_executions = coalesce(var.ingest_reserved_concurrency, -1)
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

  name           = local.web_function_name
  log_group_arns = [module.web.log_group_arn]
  s3_bucket_arn  = module.storage.bucket_arn
  # Get: presigned GETs of photos and thumbnails; Put: presigned POSTs of uploads and Retry's copy of
  # an original onto itself; Delete: removing a photo. No Put on thumbnails/ (only ingest makes
  # them) and no ListBucket (the web function never asks whether a key exists).
  s3_object_grants = {
    (var.originals_prefix)  = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    (var.thumbnails_prefix) = ["s3:GetObject", "s3:DeleteObject"]
  }
  # Search queries the index; deleting a photo deletes its vectors.
  s3vectors_bucket_arn    = local.use_s3vectors ? local.s3vectors_bucket_arn : null
  s3vectors_index_name    = var.s3vectors_index_name
  s3vectors_index_actions = ["s3vectors:GetVectors", "s3vectors:DeleteVectors", "s3vectors:QueryVectors"]
  # Search embeds the query; only ingest describes photos.
  bedrock_model_ids                 = [var.bedrock_embed_model]
  bedrock_inference_profile_regions = var.bedrock_inference_profile_regions
  ssm_parameter_names               = concat([local.ssm_names.database_url, local.ssm_names.web_secret_key], local.index_ssm_parameters)
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
    # API Gateway gives up at 29 s: a search's worst case, 2 x (3 s + 8 s) per call, stays inside.
    IMGSEARCH_AWS_MAX_ATTEMPTS      = "2"
    IMGSEARCH_AWS_CONNECT_TIMEOUT_S = "3"
    IMGSEARCH_AWS_READ_TIMEOUT_S    = "8"
    IMGSEARCH_BEDROCK_TIMEOUT_S     = "8"
    IMGSEARCH_DB_TIMEOUT_S          = "8"
    # Creating an index may take minutes: only ingest (or reindex) does it.
    IMGSEARCH_CREATE_INDEX = "false"
  })

  tags = var.tags
}
