"""make deploy reserves ingest concurrency only where the account has room (Lambda client under Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from lambda_concurrency import reservable

FUNCTION = "imgsearch-ingest"


def lambda_client():
    return boto3.session.Session().client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def account(unreserved: int, total: int, mine: int | None) -> Stubber:
    client = lambda_client()
    stub = Stubber(client)
    limits = {
        "TotalCodeSize": 80530636800,
        "CodeSizeUnzipped": 262144000,
        "CodeSizeZipped": 52428800,
        "ConcurrentExecutions": total,
        "UnreservedConcurrentExecutions": unreserved,
    }
    stub.add_response("get_account_settings", {"AccountLimit": limits, "AccountUsage": {}})
    if mine is None:
        stub.add_client_error("get_function_concurrency", "ResourceNotFoundException", http_status_code=404)
    else:
        stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": mine})
    stub.activate()
    return stub


@pytest.mark.parametrize(
    ("unreserved", "total", "mine", "expected"),
    [
        (10, 10, None, -1),  # a new account: its whole quota of 10 stays unreserved
        (1000, 1000, None, 4),  # the usual quota: plenty of room
        (104, 1000, None, 4),  # exactly 100 left afterwards
        (103, 1000, None, -1),  # one short
        (100, 1000, 4, 4),  # a redeploy: the function's own 4 count as available again
    ],
)
def test_reserves_only_where_100_stay_unreserved(unreserved, total, mine, expected):
    stub = account(unreserved, total, mine)
    reservation, why = reservable(stub.client, FUNCTION, wanted=4)
    assert reservation == expected
    assert FUNCTION in why
    stub.assert_no_pending_responses()


def test_an_account_it_cannot_read_gets_no_reservation():
    client = lambda_client()
    stub = Stubber(client)
    stub.add_client_error("get_account_settings", "AccessDeniedException", http_status_code=403)
    stub.activate()
    reservation, why = reservable(client, FUNCTION, wanted=4)
    assert reservation == -1 and "reserving none" in why
