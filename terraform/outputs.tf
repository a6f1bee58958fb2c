output "site_url" {
  description = "The site's URL."
  value       = module.web.url
}

output "api_endpoint" {
  description = "URL of the HTTP API."
  value       = module.web.api_endpoint
}

output "bucket_name" {
  description = "Bucket holding the originals and thumbnails."
  value       = module.storage.bucket_name
}

output "ingest_function_name" {
  description = "Name of the ingest function."
  value       = module.ingest.function_name
}

output "web_function_name" {
  description = "Name of the web function."
  value       = module.web.function_name
}

output "ingest_dlq_url" {
  description = "Queue holding the S3 events ingest failed on after every retry (kept 14 days): `imgsearch redrive --queue <this URL>` replays them."
  value       = module.ingest.dlq_url
}

output "ssm_parameter_names" {
  description = "Names of the SecureString parameters holding the secrets (the values are never output)."
  value       = local.ssm_names
}

output "vector_index" {
  description = "Where the description vectors live (pinecone, or s3vectors with its bucket and index)."
  value = local.use_s3vectors ? {
    kind   = "s3vectors"
    bucket = local.s3vectors_bucket_name
    index  = var.s3vectors_index_name
    } : {
    kind   = "pinecone"
    bucket = null
    index  = var.pinecone_index
  }
}
