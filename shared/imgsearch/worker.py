"""The local background worker: uploads return at once; images are processed here, one queue per process."""

from __future__ import annotations

import logging
import queue
import threading
import time

from imgsearch.errors import NotFound
from imgsearch.models import Status
from imgsearch.pipeline.ingest import IngestService

log = logging.getLogger(__name__)


class IngestWorker:
    """Threads that take image ids off a queue and process them.

    Work left pending, or stuck in processing by a process that died, is found at start and by a
    sweep every sweep_s seconds; the claim in IngestService.process decides whether it is stuck.
    """

    def __init__(self, ingest: IngestService, threads: int = 1, sweep_s: float = 60.0) -> None:
        self.ingest = ingest
        self.threads = threads
        self.sweep_s = sweep_s
        self._stopping = threading.Event()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._queued: dict[str, bool] = {}  # image id -> describe it again (even if indexed)
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
        """Queue every image that is pending or may be stuck in processing."""
        for image_id in self.ingest.repository.ids_with_status([Status.PENDING, Status.PROCESSING]):
            self.submit(image_id)

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.sweep_s):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeps
                log.exception("ingest sweep failed")

    def submit(self, image_id: str, again: bool = False) -> None:
        """Queue an image for processing (once, however often it is submitted before it runs).

        With again, an indexed image is described again (IngestService.redescribe).
        """
        with self._lock:
            if image_id in self._queued:
                self._queued[image_id] = self._queued[image_id] or again
                return
            self._queued[image_id] = again
        self._queue.put(image_id)

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
            image_id = self._queue.get()
            try:
                if image_id is None:
                    return
                with self._lock:
                    again = self._queued.pop(image_id, False)
                started = time.monotonic()
                image = self.ingest.redescribe(image_id) if again else self.ingest.process(image_id)
                if image.status == Status.INDEXED and not image.error:  # failures were logged already
                    took = time.monotonic() - started
                    log.info("indexed %s (%s) in %.2f s", image.filename, image.id, took)
            except NotFound:
                log.info("image %s was deleted before it was processed", image_id)
            except Exception:  # process() records failures itself; this guards the thread
                log.exception("worker could not process %s", image_id)
            finally:
                self._queue.task_done()
