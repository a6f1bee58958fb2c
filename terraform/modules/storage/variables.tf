variable "bucket_name" {
  description = "Name of the bucket that holds the originals and their thumbnails."
  type        = string
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with every object version in it (for throw-away stacks)."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept before S3 expires it."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which the parts of an unfinished multipart upload are deleted."
  type        = number
  default     = 1
}

variable "create_cors_configuration" {
  description = "Whether to create the CORS rules that let the site's pages upload to (POST) and read from (GET) the bucket."
  type        = bool
  default     = true
}

variable "cors_allowed_origins" {
  description = "Origins (scheme://host[:port], no path) allowed to POST and GET from a browser: the site's own origin."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^https?://[^/*]+$", origin))])
    error_message = "Each CORS origin must be scheme://host[:port], with no path and no wildcard."
  }
}

variable "cors_max_age_seconds" {
  description = "How long a browser may cache the answer to a CORS preflight request."
  type        = number
  default     = 3000
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
