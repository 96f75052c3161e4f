"""A write lock on the index directory that names its holder and dies with it.

``fcntl.flock`` locks belong to the open file: the kernel drops them when the
holding process exits or is killed, so a lock can never be left behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from ..errors import IndexDirError, IndexLockedError

_POLL_SECONDS = 0.05


class WriteLock:
    """An exclusive lock held while the index is written."""

    def __init__(self, path: Path, timeout: float) -> None:
        self._path = path
        self._timeout = timeout
        self._fd: int | None = None

    def acquire(self, *, wait: bool = True, forever: bool = False) -> bool:
        """Take the lock; wait up to the timeout when ``wait`` (for as long as it takes
        when ``forever``), else give up at once."""
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise IndexDirError(f"cannot create lock file {self._path}: {exc.strerror}") from None
        deadline = None if forever else time.monotonic() + (self._timeout if wait else 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    if wait:
                        raise self._locked_error() from None
                    return False
                time.sleep(_POLL_SECONDS)
                continue
            self._fd = fd
            self._write_holder()
            return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the file drops the flock

    def holder(self) -> str | None:
        try:
            return self._path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _write_holder(self) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"pid {os.getpid()} on {os.uname().nodename}\n".encode(), 0)

    def _locked_error(self) -> IndexLockedError:
        holder = self.holder()
        who = holder or "another process"
        return IndexLockedError(
            f"index {self._path.parent} is being written by {who}; "
            f"gave up after {self._timeout:g} s",
            holder=holder,
        )

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
