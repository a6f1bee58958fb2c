variable "name" {
  description = "Name of the Lambda execution role."
  type        = string
}

variable "log_group_arns" {
  description = "CloudWatch log groups the function may write to (its own)."
  type        = list(string)
  default     = []
}

variable "s3_bucket_arn" {
  description = "ARN of the bucket the function may use objects in; null for no S3 access."
  type        = string
  default     = null
}

variable "s3_object_grants" {
  description = "Object-level S3 actions allowed, per key prefix (e.g. { \"originals/\" = [\"s3:GetObject\"] })."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for prefix in keys(var.s3_object_grants) : prefix != "" && !strcontains(prefix, "*")])
    error_message = "S3 object prefixes must be non-empty and contain no wildcard."
  }

  validation {
    condition = alltrue(flatten([
      for actions in values(var.s3_object_grants) : [for action in actions : contains(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], action)]
    ]))
    error_message = "Only s3:GetObject, s3:PutObject and s3:DeleteObject are allowed."
  }
}

variable "s3_bucket_actions" {
  description = "Bucket-level S3 actions allowed on the bucket itself."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for action in var.s3_bucket_actions : contains(["s3:ListBucket"], action)])
    error_message = "Only s3:ListBucket is allowed."
  }
}

variable "s3vectors_bucket_arn" {
  description = "ARN of the S3 Vectors bucket holding the vector index; null for no S3 Vectors access."
  type        = string
  default     = null
}

variable "s3vectors_index_name" {
  description = "Name of the vector index in that bucket."
  type        = string
  default     = null
}

variable "s3vectors_index_actions" {
  description = "S3 Vectors actions allowed on the index (e.g. s3vectors:QueryVectors)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for action in var.s3vectors_index_actions : can(regex("^s3vectors:[A-Za-z]+$", action))])
    error_message = "S3 Vectors index actions are named s3vectors:<Action>, with no wildcard."
  }
}

variable "s3vectors_bucket_actions" {
  description = "S3 Vectors actions allowed on the vector bucket itself (creating it when missing)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for action in var.s3vectors_bucket_actions : contains(["s3vectors:GetVectorBucket", "s3vectors:CreateVectorBucket"], action)])
    error_message = "Only s3vectors:GetVectorBucket and s3vectors:CreateVectorBucket are allowed on the vector bucket."
  }
}

variable "bedrock_model_ids" {
  description = "Bedrock model IDs the function may invoke: foundation models (\"cohere.embed-english-v3\") or cross-region inference profiles (\"us.anthropic.claude-...\")."
  type        = list(string)
  default     = []
}

variable "bedrock_inference_profile_regions" {
  description = "For each inference-profile prefix, the destination regions whose foundation model the profile may route to (\"\" is the region-less ARN used by global profiles). Access to them is only granted through the profile."
  type        = map(list(string))
  default     = {}
}

variable "ssm_parameter_names" {
  description = "SSM parameters (names, e.g. \"/imgsearch/database-url\") the function may read."
  type        = list(string)
  default     = []
}

variable "ssm_kms_key_arn" {
  description = "Customer managed KMS key encrypting the SecureString parameters; null for the AWS managed aws/ssm key, whose key policy already lets the account's principals decrypt through SSM."
  type        = string
  default     = null
}

variable "sqs_queue_arns" {
  description = "SQS queues the function may send to (its asynchronous-invocation failure destination)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
