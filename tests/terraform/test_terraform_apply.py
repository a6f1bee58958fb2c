"""`terraform apply` of the whole stack into a moto server, then what boto3 sees there.

The last test destroys the stack; the fixture destroys it anyway if that test did not run.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.terraform

INGEST = "imgsearch-ingest"
WEB = "imgsearch-web"
ENV_NAMES = {
    "IMGSEARCH_STORAGE",
    "IMGSEARCH_S3_BUCKET",
    "IMGSEARCH_INDEX",
    "IMGSEARCH_EMBEDDER",
    "IMGSEARCH_DESCRIBER",
    "IMGSEARCH_BEDROCK_DESCRIBER_MODEL",
    "IMGSEARCH_BEDROCK_EMBED_MODEL",
    "IMGSEARCH_PINECONE_INDEX",
    "IMGSEARCH_AWS_REGION",
    "IMGSEARCH_SSM_DATABASE_URL_PARAM",
    "IMGSEARCH_SSM_PINECONE_API_KEY_PARAM",
    "IMGSEARCH_AWS_ENDPOINT_URL",
    "IMGSEARCH_PROCESSING_LEASE_S",
}


def test_apply_is_stable(stack):
    # GIVEN the stack just applied, WHEN planning again, THEN nothing is left to change.
    result = stack.run("plan", "-detailed-exitcode", "-input=false", "-no-color", check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_bucket_is_private_encrypted_and_versioned(stack):
    s3 = stack.client("s3")
    bucket = stack.outputs["bucket_name"]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (ownership,) = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership["ObjectOwnership"] == "BucketOwnerEnforced"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_expires_old_versions_and_abandoned_uploads(stack):
    s3 = stack.client("s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=stack.outputs["bucket_name"])["Rules"]
    by_id = {rule["ID"]: rule for rule in rules}
    versions = by_id["expire-noncurrent-versions"]
    assert versions["Status"] == "Enabled"
    assert versions["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert versions["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert by_id["remove-expired-delete-markers"]["Expiration"]["ExpiredObjectDeleteMarker"] is True


def test_cors_admits_only_the_site(stack):
    (rule,) = stack.client("s3").get_bucket_cors(Bucket=stack.outputs["bucket_name"])["CORSRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert rule["AllowedOrigins"] == [stack.outputs["site_url"]]


def test_originals_and_only_originals_trigger_ingest(stack):
    config = stack.client("s3").get_bucket_notification_configuration(Bucket=stack.outputs["bucket_name"])
    (trigger,) = config["LambdaFunctionConfigurations"]
    function_arn = stack.client("lambda").get_function(FunctionName=INGEST)["Configuration"]["FunctionArn"]
    assert trigger["LambdaFunctionArn"] == function_arn
    assert sorted(trigger["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    rules = trigger["Filter"]["Key"]["FilterRules"]
    # moto answers "prefix" where AWS answers "Prefix".
    assert [(rule["Name"].lower(), rule["Value"]) for rule in rules] == [("prefix", "originals/")]
    (statement,) = json.loads(stack.client("lambda").get_policy(FunctionName=INGEST)["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}


@pytest.mark.parametrize(
    ("name", "handler", "memory", "timeout", "reserved"),
    [
        # Unreserved: deployable on a new account (concurrency quota 10, all of it kept unreserved).
        (INGEST, "imgsearch_ingest.handler.handler", 1024, 120, None),
        (WEB, "imgsearch_web.lambda_handler.handler", 512, 29, None),  # bounded by API throttling
    ],
)
def test_functions(stack, secrets, name, handler, memory, timeout, reserved):
    aws_lambda = stack.client("lambda")
    config = aws_lambda.get_function_configuration(FunctionName=name)
    assert config["Runtime"] == "python3.12"
    assert config["Architectures"] == ["arm64"]
    assert config["Handler"] == handler
    assert (config["MemorySize"], config["Timeout"]) == (memory, timeout)
    assert "VpcConfig" not in config or not config["VpcConfig"].get("SubnetIds")
    variables = config["Environment"]["Variables"]
    assert set(variables) >= ENV_NAMES
    assert variables["IMGSEARCH_S3_BUCKET"] == stack.outputs["bucket_name"]
    assert variables["IMGSEARCH_AWS_ENDPOINT_URL"] == stack.endpoint
    for secret in secrets.values():
        assert secret not in json.dumps(variables)
    assert aws_lambda.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") == reserved
    role = config["Role"].rsplit("/", 1)[1]
    assert stack.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_web_knows_its_own_url(stack):
    config = stack.client("lambda").get_function_configuration(FunctionName=WEB)
    variables = config["Environment"]["Variables"]
    assert variables["IMGSEARCH_PUBLIC_URL"] == stack.outputs["site_url"]
    assert variables["IMGSEARCH_SSM_SECRET_KEY_PARAM"] == "/imgsearch/web-secret-key"


def test_a_search_gives_up_before_api_gateway_does(stack):
    from test_terraform_plan import worst_case_s

    variables = stack.client("lambda").get_function_configuration(FunctionName=WEB)["Environment"]["Variables"]
    assert worst_case_s(variables) < 29 - 3  # one query embedding, every attempt hanging
    assert float(variables["IMGSEARCH_DB_TIMEOUT_S"]) * 2 < 29
    assert variables["IMGSEARCH_CREATE_INDEX"] == "false"  # creating an index is ingest's job


def test_failed_ingest_events_go_to_the_dead_letter_queue(stack):
    config = stack.client("lambda").get_function_event_invoke_config(FunctionName=INGEST)
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.outputs["ingest_dlq_url"], AttributeNames=["All"])
    attributes = attributes["Attributes"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == attributes["QueueArn"]
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_http_api_proxies_everything_to_the_web_function(stack):
    api = stack.client("apigatewayv2")
    (found,) = [a for a in api.get_apis()["Items"] if a["Name"] == WEB]
    assert found["ProtocolType"] == "HTTP"
    assert found["ApiEndpoint"] == stack.outputs["site_url"]
    (route,) = api.get_routes(ApiId=found["ApiId"])["Items"]
    (integration,) = api.get_integrations(ApiId=found["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert WEB in integration["IntegrationUri"]
    (stage,) = api.get_stages(ApiId=found["ApiId"])["Items"]
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 20
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 50
    (statement,) = json.loads(stack.client("lambda").get_policy(FunctionName=WEB)["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}


@pytest.mark.parametrize("function", ["ingest", "web"])
def test_roles_are_least_privilege(stack, least_privilege, function):
    iam = stack.client("iam")
    role = f"imgsearch-{function}"
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    least_privilege(function, json.loads(document) if isinstance(document, str) else document)


def test_log_groups_expire(stack):
    groups = stack.client("logs").describe_log_groups()["logGroups"]
    retention = {group["logGroupName"]: group.get("retentionInDays") for group in groups}
    assert retention == {
        f"/aws/lambda/{INGEST}": 14,
        f"/aws/lambda/{WEB}": 14,
        f"/aws/apigateway/{WEB}": 14,
    }


def test_secrets_are_in_ssm_and_nowhere_else(stack, secrets):
    ssm = stack.client("ssm")
    for key, value in secrets.items():
        name = stack.outputs["ssm_parameter_names"][key]
        parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert (parameter["Type"], parameter["Value"]) == ("SecureString", value)
    state = (stack.workdir / "terraform.tfstate").read_text()
    outputs = stack.run("output", "-json").stdout
    for value in secrets.values():
        assert value not in state
        assert value not in outputs


def test_destroy_leaves_nothing(stack):
    stack.destroy()
    assert stack.client("lambda").list_functions()["Functions"] == []
    assert stack.client("s3").list_buckets()["Buckets"] == []
    assert stack.client("apigatewayv2").get_apis()["Items"] == []
    assert stack.client("iam").list_roles()["Roles"] == []
    assert stack.client("sqs").list_queues().get("QueueUrls", []) == []
    assert stack.client("ssm").describe_parameters()["Parameters"] == []
