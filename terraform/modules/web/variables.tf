variable "function_name" {
  description = "Name of the web function (also names its log groups and the HTTP API)."
  type        = string
}

variable "role_arn" {
  description = "Execution role of the function."
  type        = string
}

variable "zip_path" {
  description = "Path of the deployment package (build/web.zip from `make package-web`)."
  type        = string
}

variable "handler" {
  description = "Entry point of the function."
  type        = string
  default     = "imgsearch_web.lambda_handler.handler"
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
  description = "Memory in MB (CPU grows with it, and with CPU the cold start shortens)."
  type        = number
  default     = 512
}

variable "timeout" {
  description = "Seconds a request may take; API Gateway gives up on an integration after 30."
  type        = number
  default     = 29

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be between 1 and 30 seconds (the HTTP API integration limit)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Most copies running at once (bounds database connections and the bill under a flood); -1 for no reservation. Reserved concurrency costs nothing, but AWS keeps 100 executions (all of them on a new account, whose quota is 10) unreserved, so none is reserved by default."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables of the function (configuration and parameter names, never secret values)."
  type        = map(string)
  default     = {}
}

variable "public_url" {
  description = "The site's own origin when it is served from a custom domain; empty to use the HTTP API's URL."
  type        = string
  default     = ""
}

variable "public_url_variable" {
  description = "Name of the environment variable that tells the app its own public URL."
  type        = string
  default     = "IMGSEARCH_PUBLIC_URL"
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's and the API's logs."
  type        = number
  default     = 14
}

variable "throttling_burst_limit" {
  description = "Requests the HTTP API accepts in a burst before answering 429."
  type        = number
  default     = 50
}

variable "throttling_rate_limit" {
  description = "Steady requests per second the HTTP API accepts."
  type        = number
  default     = 20
}

variable "create_access_log_group" {
  description = "Whether the HTTP API writes one access-log line per request (billed per GB ingested, nothing when idle)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
