"""The local background worker: uploads return at once; images are processed here, one queue per process."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING

from imgsearch.errors import NotFound
from imgsearch.models import LOCAL_OWNER, Status

if TYPE_CHECKING:
    from imgsearch.library import Library

log = logging.getLogger(__name__)


class IngestWorker:
    """Threads that take images (of any owner) off a queue and process them in their owner's library.

    Work left pending, or stuck in processing by a process that died, is found at start and by a
    sweep every sweep_s seconds. Images held by a local process that is gone (see imgsearch.liveness)
    are taken over at once; otherwise the claim in IngestService.process decides whether it is stuck.
    """

    def __init__(self, library: Library, threads: int = 1, sweep_s: float = 60.0) -> None:
        self.library = library
        self.threads = threads
        self.sweep_s = sweep_s
        self._stopping = threading.Event()
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._queued: dict[tuple[str, str], bool] = {}  # (owner, image id) -> describe it again
        self._lock = threading.Lock()

    def start(self, resume: bool = True) -> IngestWorker:
        """Start the threads; with resume, queue what a previous run left pending or processing."""
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, name=f"ingest-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if resume:
            self.sweep()
            threading.Thread(target=self._sweep_forever, name="ingest-sweeper", daemon=True).start()
        return self

    def sweep(self) -> None:
        """Queue every image that is pending or may be stuck in processing (every owner's)."""
        everyone = self.library.everyone
        marks = self.library.marks
        if marks is not None:
            released = everyone.release_abandoned(marks.alive)
            if released:
                log.info("%d photos held by a process that is gone are queued again", released)
        for owner, image_id in everyone.waiting():
            self.submit(image_id, owner=owner)

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.sweep_s):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeps
                log.exception("ingest sweep failed")

    def submit(self, image_id: str, again: bool = False, owner: str = LOCAL_OWNER) -> None:
        """Queue an owner's image for processing (once, however often it is submitted before it runs).

        With again, an indexed image is described again (IngestService.redescribe).
        """
        item = (owner, image_id)
        with self._lock:
            if item in self._queued:
                self._queued[item] = self._queued[item] or again
                return
            self._queued[item] = again
        self._queue.put(item)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the queue is empty; True if it emptied in time."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            image_id = item[1] if item else None
            try:
                if item is None:
                    return
                with self._lock:
                    again = self._queued.pop(item, False)
                started = time.monotonic()
                ingest = self.library.for_owner(item[0]).ingest
                image = ingest.redescribe(image_id) if again else ingest.process(image_id)
                if image.status == Status.INDEXED and not image.error:  # failures were logged already
                    took = time.monotonic() - started
                    log.info("indexed %s (%s) in %.2f s", image.filename, image.id, took)
            except NotFound:
                log.info("image %s was deleted before it was processed", image_id)
            except Exception:  # process() records failures itself; this guards the thread
                log.exception("worker could not process %s", image_id)
            finally:
                self._queue.task_done()
