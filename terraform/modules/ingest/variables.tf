variable "function_name" {
  description = "Name of the ingest function (also names its log group and dead-letter queue)."
  type        = string
}

variable "role_arn" {
  description = "Execution role of the function."
  type        = string
}

variable "zip_path" {
  description = "Path of the deployment package (build/ingest.zip from `make package-ingest`)."
  type        = string
}

variable "handler" {
  description = "Entry point of the function."
  type        = string
  default     = "imgsearch_ingest.handler.handler"
}

variable "runtime" {
  description = "Lambda runtime; must match the one the zip was built for."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set (arm64 or x86_64); must match the one the zip was built for."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU grows with it): decoding and resizing photos is the heavy part."
  type        = number
  default     = 1024
}

variable "timeout" {
  description = "Seconds one image may take (a Bedrock description with retries dominates)."
  type        = number
  default     = 120
}

variable "reserved_concurrent_executions" {
  description = "Most copies running at once, so a burst of uploads stays within Bedrock quotas and database connections; -1 for no reservation. Reserved concurrency costs nothing, but AWS keeps 100 executions (all of them on a new account, whose quota is 10) unreserved, so none is reserved by default."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables of the function (configuration and parameter names, never secret values)."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs."
  type        = number
  default     = 14
}

variable "bucket_id" {
  description = "Name of the bucket whose object events trigger the function."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of that bucket (the only source allowed to invoke the function)."
  type        = string
}

variable "originals_prefix" {
  description = "Key prefix of uploaded originals; only events under it trigger the function, so thumbnails written back do not."
  type        = string
  default     = "originals/"

  validation {
    condition     = var.originals_prefix != ""
    error_message = "originals_prefix must not be empty: an unfiltered trigger would fire on the function's own thumbnails."
  }
}

variable "maximum_retry_attempts" {
  description = "Times Lambda retries a failed asynchronous invocation before sending the event to the dead-letter queue."
  type        = number
  default     = 2
}

variable "maximum_event_age_in_seconds" {
  description = "Oldest an event may get (while throttled or retried) before it goes to the dead-letter queue."
  type        = number
  default     = 21600
}

variable "dlq_message_retention_seconds" {
  description = "How long failed events wait in the dead-letter queue (14 days is the SQS maximum)."
  type        = number
  default     = 1209600
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
