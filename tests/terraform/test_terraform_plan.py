"""The plan of the whole stack (terraform show -json), against an empty moto server.

What must never be in it: anything billed while idle, a function in a VPC, a secret value, an IAM
grant wider than the function needs.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.terraform

# Resource types that bill by the hour whether or not anyone uses the site.
ALWAYS_ON_TYPES = {
    "aws_nat_gateway",
    "aws_vpc_endpoint",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_opensearch_domain",
    "aws_elasticsearch_domain",
    "aws_lambda_provisioned_concurrency_config",
    "aws_secretsmanager_secret",
    "aws_instance",
    "aws_eip",
    "aws_ecs_service",
    "aws_lb",
    "aws_alb",
    "aws_elb",
    "aws_kms_key",
}
# Settings that would carry a secret value itself rather than the name of its parameter.
SECRET_VARIABLES = {"IMGSEARCH_DATABASE_URL", "IMGSEARCH_PINECONE_API_KEY", "IMGSEARCH_SECRET_KEY"}
ALWAYS_ON_PREFIXES = ("aws_elasticache_", "aws_memorydb_", "aws_redshift_", "aws_sagemaker_endpoint")


def test_plan_creates_only_pay_per_use_resources(plan):
    types = {resource["type"] for resource in plan.resources()}
    assert types, "empty plan"
    assert not types & ALWAYS_ON_TYPES
    assert not [t for t in types if t.startswith(ALWAYS_ON_PREFIXES)]
    assert {r["change"]["actions"][0] for r in plan.document["resource_changes"]} == {"create"}


def test_functions_are_lean_and_outside_any_vpc(plan):
    functions = {
        r["values"]["function_name"]: r["values"]
        for r in plan.resources()
        if r["type"] == "aws_lambda_function"
    }
    assert set(functions) == {"imgsearch-ingest", "imgsearch-web"}
    for values in functions.values():
        assert values["architectures"] == ["arm64"]
        assert values["runtime"] == "python3.12"
        assert not values.get("vpc_config")
        assert not values.get("snap_start")
        assert values["publish"] is False  # no versions, so no provisioned concurrency either
    # Nothing reserved: a new account (quota 10) must keep all 10 unreserved (make deploy reserves
    # where get-account-settings shows room; see scripts/lambda_concurrency.py).
    assert functions["imgsearch-ingest"]["reserved_concurrent_executions"] == -1
    assert functions["imgsearch-web"]["reserved_concurrent_executions"] == -1
    assert functions["imgsearch-ingest"]["memory_size"] == 1024
    assert functions["imgsearch-web"]["memory_size"] == 512


def test_no_secret_value_reaches_the_plan(plan, secrets):
    for value in secrets.values():
        assert value not in plan.text
    parameters = [r for r in plan.resources() if r["type"] == "aws_ssm_parameter"]
    assert {p["values"]["name"] for p in parameters} == {
        "/imgsearch/database-url",
        "/imgsearch/pinecone-api-key",
        "/imgsearch/web-secret-key",
    }
    assert all(p["values"]["type"] == "SecureString" for p in parameters)


def test_functions_get_parameter_names_not_values(plan):
    (ingest,) = [r for r in plan.resources() if r["address"] == "module.ingest.aws_lambda_function.this"]
    # The web function's environment holds the API's URL, unknown until apply: test_terraform_apply checks it.
    for resource in [ingest]:
        variables = resource["values"]["environment"][0]["variables"]
        assert variables["IMGSEARCH_SSM_DATABASE_URL_PARAM"] == "/imgsearch/database-url"
        assert variables["IMGSEARCH_SSM_PINECONE_API_KEY_PARAM"] == "/imgsearch/pinecone-api-key"
        assert variables["IMGSEARCH_PROCESSING_LEASE_S"] == "120"  # the ingest function's timeout
        assert not SECRET_VARIABLES & set(variables)


def worst_case_s(variables: dict[str, str]) -> float:
    """A Bedrock call's worst case with these settings (as imgsearch.config computes it)."""
    from imgsearch.config import load_settings

    names = ("IMGSEARCH_AWS_MAX_ATTEMPTS", "IMGSEARCH_AWS_CONNECT_TIMEOUT_S", "IMGSEARCH_BEDROCK_TIMEOUT_S")
    return load_settings(environ={n: variables[n] for n in names}, env_file=None).bedrock_worst_case_s


def test_every_call_gives_up_inside_the_function_timeouts(plan):
    functions = {
        r["values"]["function_name"]: r["values"]
        for r in plan.resources()
        if r["type"] == "aws_lambda_function"
    }
    ingest = functions["imgsearch-ingest"]
    variables = ingest["environment"][0]["variables"]
    # A hung Bedrock marks the photo failed with time to spare (and the app checks it against the lease).
    assert worst_case_s(variables) <= ingest["timeout"] - 15
    assert float(variables["IMGSEARCH_DB_TIMEOUT_S"]) * 2 < ingest["timeout"]
    assert float(variables["IMGSEARCH_AWS_READ_TIMEOUT_S"]) < ingest["timeout"] / 3
    # The web function's environment is known after apply only: test_terraform_apply checks it.


def test_pinecone_defaults_to_the_free_plans_region(plan):
    (ingest,) = [r for r in plan.resources() if r["address"] == "module.ingest.aws_lambda_function.this"]
    assert ingest["values"]["environment"][0]["variables"]["IMGSEARCH_PINECONE_REGION"] == "us-east-1"


@pytest.mark.parametrize("function", ["ingest", "web"])
def test_role_policy_is_least_privilege(plan, least_privilege, function):
    address = f"module.{function}_role.aws_iam_role_policy.this"
    (policy,) = [r for r in plan.resources() if r["address"] == address]
    least_privilege(function, json.loads(policy["values"]["policy"]))


def test_s3_vectors_roles_reach_only_their_bucket_and_index(plan, least_privilege):
    with_vectors = plan.make("-var=vector_index=s3vectors")
    for function in ("ingest", "web"):
        address = f"module.{function}_role.aws_iam_role_policy.this"
        (policy,) = [r for r in with_vectors.resources() if r["address"] == address]
        least_privilege(function, json.loads(policy["values"]["policy"]), index="s3vectors")
    (ingest,) = [r for r in with_vectors.resources() if r["address"] == "module.ingest.aws_lambda_function.this"]
    variables = ingest["values"]["environment"][0]["variables"]
    assert variables["IMGSEARCH_INDEX"] == "s3vectors"
    assert variables["IMGSEARCH_S3VECTORS_BUCKET"] == "imgsearch-vectors-123456789012-us-east-1"
    assert variables["IMGSEARCH_S3VECTORS_INDEX"] == "descriptions"
    assert not [name for name in variables if name.startswith("IMGSEARCH_PINECONE")]
    # No aws_s3vectors_* resource: the stack deploys with AWS provider 5.x as with 6.x (see README).
    assert not [r for r in with_vectors.resources() if r["type"].startswith("aws_s3vectors")]


def test_a_customer_managed_key_is_usable_only_through_ssm(plan):
    key = "arn:aws:kms:us-east-1:123456789012:key/0b3f7c1e-0000-4000-8000-000000000000"
    with_key = plan.make(f"-var=ssm_kms_key_arn={key}")
    for function in ("ingest", "web"):
        address = f"module.{function}_role.aws_iam_role_policy.this"
        (policy,) = [r for r in with_key.resources() if r["address"] == address]
        (statement,) = [
            s for s in json.loads(policy["values"]["policy"])["Statement"] if s["Sid"].startswith("Decrypt")
        ]
        assert (statement["Action"], statement["Resource"]) == ("kms:Decrypt", key)
        assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}
    parameters = [r for r in with_key.resources() if r["type"] == "aws_ssm_parameter"]
    assert {p["values"]["key_id"] for p in parameters} == {key}


def test_no_managed_policies_are_attached(plan):
    types = {r["type"] for r in plan.resources()}
    assert not types & {
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_policy",
        "aws_iam_role_policies_exclusive",
    }
    for role in (r for r in plan.resources() if r["type"] == "aws_iam_role"):
        assert not role["values"].get("managed_policy_arns")
        trust = json.loads(role["values"]["assume_role_policy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]


def test_bucket_allows_only_tls(plan):
    (policy,) = [r for r in plan.resources() if r["type"] == "aws_s3_bucket_policy"]
    (statement,) = json.loads(policy["values"]["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
