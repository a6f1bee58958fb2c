#!/usr/bin/env python3
"""How many executions `make deploy` may reserve for the ingest function on this account.

Reserving concurrency is free, but AWS keeps at least 100 executions of an account unreserved, and a
new account's whole quota is 10: a fixed reservation fails to deploy there. This asks
get-account-settings and prints the reservation to use: the wanted one when it leaves 100
unreserved, else -1 (none; the account's own quota is then the bound). The reason goes to stderr.

    python scripts/lambda_concurrency.py --function imgsearch-ingest --region us-east-1 --wanted 4
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

MIN_UNRESERVED = 100  # AWS: "the unreserved account concurrency can't go below 100"


def reservable(client: Any, function_name: str, wanted: int) -> tuple[int, str]:
    """(reservation, why): wanted if the account keeps MIN_UNRESERVED after it, else -1."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        limits = client.get_account_settings()["AccountLimit"]
    except (BotoCoreError, ClientError) as exc:
        return -1, f"cannot read the account's Lambda settings ({exc}); reserving none"
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    try:
        mine = client.get_function_concurrency(FunctionName=function_name).get("ReservedConcurrentExecutions")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            return -1, f"cannot read {function_name}'s concurrency ({exc}); reserving none"
        mine = None
    # A redeploy gives back what the function holds now before taking the new reservation.
    available = unreserved + int(mine or 0)
    if available - wanted >= MIN_UNRESERVED:
        return wanted, f"reserving {wanted} of {available} unreserved executions for {function_name}"
    return -1, (
        f"the account has {available} unreserved executions and AWS keeps {MIN_UNRESERVED}: "
        f"{function_name} is not reserved, so the account's quota bounds it "
        f"(ask AWS for more to reserve {wanted})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--function", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--wanted", type=int, default=4)
    args = parser.parse_args(argv)
    try:
        import boto3
    except ImportError:
        print(-1)
        print("boto3 is not installed here; reserving none", file=sys.stderr)
        return 0
    client = boto3.session.Session().client("lambda", region_name=args.region)
    reservation, why = reservable(client, args.function, args.wanted)
    print(reservation)
    print(f"deploy: {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
