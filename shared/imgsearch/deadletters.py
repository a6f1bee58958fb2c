"""The ingest function's dead-letter queue (SQS), read by `imgsearch redrive`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from imgsearch.pipeline.recovery import DeadLetter

# Received messages stay hidden this long, so one pass sees each message once.
HIDE_S = 900


class SqsDeadLetters:
    """DeadLetters over one SQS queue; the client comes from imgsearch.aws."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def receive(self) -> Iterator[DeadLetter]:
        """Every message, ten per request, until the queue has none left to show."""
        seen: set[str] = set()
        while True:
            response = self.client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=HIDE_S
            )
            messages = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
            if not messages:
                return
            for message in messages:
                seen.add(message["MessageId"])
                yield DeadLetter(message["MessageId"], message["Body"], message["ReceiptHandle"])

    def delete(self, letter: DeadLetter) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=letter.receipt)

    def release(self, letters: Iterable[DeadLetter]) -> None:
        """Visible again at once, for the next redrive (or the queue's own 14-day expiry)."""
        batch = [
            {"Id": str(n), "ReceiptHandle": letter.receipt, "VisibilityTimeout": 0}
            for n, letter in enumerate(letters)
        ]
        for start in range(0, len(batch), 10):
            self.client.change_message_visibility_batch(
                QueueUrl=self.queue_url, Entries=batch[start : start + 10]
            )
