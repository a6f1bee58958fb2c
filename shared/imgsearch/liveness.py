"""Marks a process leaves on the images it processes, and whether the process behind a mark still runs.

Each process that may claim images holds an exclusive lock on its own file under data/run/. The lock
ends with the process however it ends (even killed), so a mark whose file can be locked by someone
else belongs to a process that is gone, and its images can be taken over at once instead of after
the processing lease. Local storage only: on AWS, the lease and Lambda's retries do this job.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no marks, the lease alone frees stuck images
    fcntl = None


class ProcessMarks:
    """This process's mark (held for its lifetime from the first hold()) and a check of other marks."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.mark = f"{os.getpid()}-{uuid.uuid4().hex[:16]}"
        self._handle = None

    def hold(self) -> str | None:
        """Take this process's lock (once) and return its mark; None where locks are not available."""
        if fcntl is None:
            return None
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self._path(self.mark), "a+b")  # noqa: SIM115 - held until the process ends
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._handle = handle
            self._forget_dead()
        return self.mark

    def alive(self, mark: str) -> bool:
        """Whether the process that left this mark still runs."""
        if mark == self.mark and self._handle is not None:
            return True
        if fcntl is None or "/" in mark or not mark:
            return True  # cannot tell: leave it to the lease
        path = self._path(mark)
        try:
            handle = open(path, "r+b")  # noqa: SIM115
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return False

    def _forget_dead(self) -> None:
        for path in self.folder.glob("*.lock"):
            if path.stem != self.mark:
                self.alive(path.stem)

    def _path(self, mark: str) -> Path:
        return self.folder / f"{mark}.lock"
