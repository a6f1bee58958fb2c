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

variable "s3_object_prefixes" {
  description = "Key prefixes (e.g. \"originals/\") under which the S3 object actions are allowed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for prefix in var.s3_object_prefixes : prefix != "" && !strcontains(prefix, "*")])
    error_message = "S3 object prefixes must be non-empty and contain no wildcard."
  }
}

variable "s3_object_actions" {
  description = "Object-level S3 actions allowed under the prefixes."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for action in var.s3_object_actions : contains(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], action)])
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
