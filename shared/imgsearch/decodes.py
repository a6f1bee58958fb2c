"""How many photos a process decodes at once (kept free of Pillow: the web Lambda sets it too)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

# Decoding is where a photo costs memory (about its pixel count times a few bytes; README, "Limits"),
# so only so many decode at once in a process, whatever the number of requests and workers.
_slots = threading.BoundedSemaphore(2)


def limit_decodes(at_once: int) -> None:
    """How many photos this process may decode at the same time (Settings.max_decodes)."""
    global _slots
    _slots = threading.BoundedSemaphore(max(1, at_once))


@contextmanager
def decoding():
    """Hold one of the process's decode slots."""
    with _slots:
        yield
