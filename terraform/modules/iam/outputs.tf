output "role_arn" {
  description = "ARN of the role, available once its policy is in place (so a function using it starts with its permissions)."
  value       = aws_iam_role.this.arn

  # Lambda checks the role's permissions when an asynchronous-invocation destination is configured.
  depends_on = [aws_iam_role_policy.this]
}

output "role_name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}

output "policy_json" {
  description = "The role's inline policy document."
  value       = data.aws_iam_policy_document.this.json
}
