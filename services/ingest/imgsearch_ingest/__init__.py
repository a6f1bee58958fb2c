"""The ingest service: an AWS Lambda handler for S3 object events."""
