output "function_name" {
  description = "Name of the ingest function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the ingest function."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the log group, built from its name so policies using it are known at plan time."
  value       = local.log_group_arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue for events that failed every retry."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue, built from its name so policies using it are known at plan time."
  value       = local.dlq_arn
}
