# ---------------------------------------------------------------- where and what

variable "name" {
  description = "Prefix of every resource name; also the Project tag."
  type        = string
  default     = "imgsearch"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "aws_region" {
  description = "Region of the stack (Bedrock models must be enabled there)."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint_url" {
  description = "Deploy to an AWS emulator at this URL (e.g. http://127.0.0.1:5000 for `python -m moto.server`); empty for real AWS."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- storage

variable "bucket_name" {
  description = "Name of the photo bucket; null for \"<name>-<account id>-<region>\"."
  type        = string
  default     = null
}

variable "force_destroy_bucket" {
  description = "Let `terraform destroy` delete the bucket and every photo in it (throw-away stacks only)."
  type        = bool
  default     = false
}

variable "site_origin" {
  description = "The site's origin when served from a custom domain (https://photos.example.com); empty to use the HTTP API's URL. Used for the bucket's CORS rule and IMGSEARCH_PUBLIC_URL."
  type        = string
  default     = ""

  validation {
    condition     = var.site_origin == "" || can(regex("^https?://[^/*]+$", var.site_origin))
    error_message = "site_origin must be scheme://host[:port] with no path."
  }
}

variable "originals_prefix" {
  description = "Key prefix of uploaded originals (the only keys that trigger ingest)."
  type        = string
  default     = "originals/"
}

variable "thumbnails_prefix" {
  description = "Key prefix of the thumbnails ingest writes."
  type        = string
  default     = "thumbnails/"
}

variable "noncurrent_version_expiration_days" {
  description = "Days a deleted or replaced photo stays recoverable as a noncurrent version."
  type        = number
  default     = 30
}

# ---------------------------------------------------------------- functions

variable "lambda_runtime" {
  description = "Runtime of both functions; the zips must be built for it (LAMBDA_RUNTIME in make)."
  type        = string
  default     = "python3.12"
}

variable "lambda_architecture" {
  description = "Instruction set of both functions; the zips must be built for it (LAMBDA_ARCH in make). arm64 (Graviton) costs 20% less per GB-second."
  type        = string
  default     = "arm64"
}

variable "ingest_zip_path" {
  description = "Deployment package of the ingest function; null for build/ingest.zip."
  type        = string
  default     = null
}

variable "web_zip_path" {
  description = "Deployment package of the web function; null for build/web.zip."
  type        = string
  default     = null
}

variable "ingest_memory_size" {
  description = "Memory (MB) of the ingest function."
  type        = number
  default     = 1024
}

variable "ingest_timeout" {
  description = "Timeout (seconds) of the ingest function; also the lease on a photo, and it must exceed the worst-case describe (aws_max_attempts x (connect + read timeouts))."
  type        = number
  default     = 120
}

variable "ingest_reserved_concurrency" {
  # Not reserved by default: AWS keeps at least 100 (on a new account, all 10) executions unreserved,
  # so a fixed reservation fails to deploy on new accounts. `make deploy` reserves
  # INGEST_CONCURRENCY (4) when get-account-settings shows room; otherwise the account's own quota
  # (10 on a new account) is the bound.
  description = "Most ingest functions running at once (Bedrock quotas, database connections); -1 for no reservation; null lets `make deploy` reserve 4 where the account has room (plain terraform: none)."
  type        = number
  default     = null
}

variable "ingest_maximum_retry_attempts" {
  description = "Retries of a failed ingest before the event goes to the dead-letter queue."
  type        = number
  default     = 2
}

variable "web_memory_size" {
  description = "Memory (MB) of the web function."
  type        = number
  default     = 512
}

variable "web_timeout" {
  description = "Timeout (seconds) of the web function (at most 30, the HTTP API limit)."
  type        = number
  default     = 29
}

variable "web_reserved_concurrency" {
  # Unreserved by default: the API stage's throttling already bounds it, and accounts with a
  # concurrency quota of 10 (new ones) cannot reserve any while 10 must stay unreserved.
  description = "Most web functions running at once; -1 for no limit."
  type        = number
  default     = -1
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the HTTP API accepts before answering 429."
  type        = number
  default     = 50
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second the HTTP API accepts."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 14
}

variable "extra_environment" {
  description = "More IMGSEARCH_* settings for both functions (e.g. IMGSEARCH_PINECONE_HOST). Never put secrets here."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- models and index

variable "bedrock_describer_model" {
  description = "Bedrock model (or cross-region inference profile) that describes photos: global.anthropic.claude-haiku-4-5-20251001-v1:0 (default), global.anthropic.claude-sonnet-4-5-20250929-v1:0 (best, ~4x the cost) or us.amazon.nova-lite-v1:0 (cheapest); see README, \"What it costs\"."
  type        = string
  default     = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
}

variable "bedrock_embed_model" {
  description = "Bedrock model that embeds descriptions and queries."
  type        = string
  default     = "cohere.embed-english-v3"
}

variable "bedrock_inference_profile_regions" {
  description = "For each cross-region inference-profile prefix, the regions it may route to; the roles may invoke the model there only through the profile. Check the model's page in the Bedrock docs; \"\" is the region-less ARN of global profiles."
  type        = map(list(string))
  default = {
    us     = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    us-gov = ["us-gov-east-1", "us-gov-west-1"]
    ca     = ["ca-central-1", "ca-west-1"]
    eu     = ["eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3"]
    apac   = ["ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4"]
    jp     = ["ap-northeast-1", "ap-northeast-3"]
    au     = ["ap-southeast-2", "ap-southeast-4"]
    global = [""]
  }
}

variable "vector_index" {
  description = "Where description vectors live: \"pinecone\" (Pinecone serverless) or \"s3vectors\" (Amazon S3 Vectors: no minimum charge, created on first use by the ingest function)."
  type        = string
  default     = "pinecone"

  validation {
    condition     = contains(["pinecone", "s3vectors"], var.vector_index)
    error_message = "vector_index must be pinecone or s3vectors."
  }
}

variable "s3vectors_bucket_name" {
  description = "S3 Vectors bucket (vector_index = \"s3vectors\"); null for \"<name>-vectors-<account id>-<region>\". The ingest function creates it and its index when missing."
  type        = string
  default     = null
}

variable "s3vectors_index_name" {
  description = "Name of the vector index inside the S3 Vectors bucket."
  type        = string
  default     = "descriptions"
}

variable "pinecone_index" {
  description = "Name of the Pinecone serverless index."
  type        = string
  default     = "imgsearch"
}

variable "pinecone_cloud" {
  description = "Cloud of the Pinecone serverless index (created on first use if missing)."
  type        = string
  default     = "aws"
}

variable "pinecone_region" {
  # Pinecone's free Starter plan serves only aws/us-east-1, whatever the stack's region.
  description = "Region of the Pinecone serverless index (the free Starter plan offers only us-east-1)."
  type        = string
  default     = "us-east-1"
}

# ---------------------------------------------------------------- secrets (SSM Parameter Store)

variable "create_ssm_parameters" {
  description = "Create the SecureString parameters, with the secret variables below as their first values (\"UNSET\" for one not given); false to use parameters you created yourself under the same names."
  type        = bool
  default     = true
}

variable "ssm_parameter_prefix" {
  description = "Path under which the parameters live; null for \"/<name>/\"."
  type        = string
  default     = null
}

variable "ssm_kms_key_arn" {
  description = "Customer managed KMS key for the parameters; null for the free AWS managed aws/ssm key."
  type        = string
  default     = null
}

variable "ssm_secret_versions" {
  description = "Per secret (database_url, pinecone_api_key, web_secret_key), a number to bump to write its variable's value again: values are write-only, sent on create and on a version change only. Missing keys count as 1."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.ssm_secret_versions) : contains(["database_url", "pinecone_api_key", "web_secret_key"], key)])
    error_message = "ssm_secret_versions keys are database_url, pinecone_api_key and web_secret_key."
  }
}

variable "database_url" {
  description = "PostgreSQL URL (Neon), e.g. postgresql+pg8000://user:password@host/db; written to SSM, never to the state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "pinecone_api_key" {
  description = "Pinecone API key; written to SSM, never to the state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "web_secret_key" {
  description = "Key that signs the web UI's session cookies (python -c 'import secrets; print(secrets.token_urlsafe(32))'); written to SSM, never to the state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}
