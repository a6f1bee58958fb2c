output "bucket_id" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_name" {
  description = "Name of the bucket, known at plan time."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket, known at plan time."
  value       = local.bucket_arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket (the host presigned POSTs go to)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
