output "url" {
  description = "The site's URL."
  value       = local.public_url
}

output "api_endpoint" {
  description = "URL of the HTTP API (https://<id>.execute-api.<region>.amazonaws.com)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "function_name" {
  description = "Name of the web function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the web function."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group, known at plan time."
  value       = local.log_group_arn
}
