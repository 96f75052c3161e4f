"""Writing the shards: each file's passages go to the shard its path hashes to.

A write marks every shard as being written (committed at once), changes them in a
transaction each, and commits them one after another with the new generation and
the mark taken away. Shards are not committed together: while that goes on, a reader
may see some shards at the new generation and others at the old. A server that loses
its writer (the writing process killed) commits what it was sent; the mark then stays,
the index's generation is unknown (-1), and the next update rebuilds it whole.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import secrets
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..._config import Shard
from .. import EngineWriteError, NewDocument
from ._connect import Timeouts, failure, write_database
from ._layout import (
    BATCH,
    GENERATION_KEY,
    SHARD_KEY,
    WRITING_KEY,
    documents,
    encoded,
    path_term,
    shard_of,
)
from ._xapian import xapian

F = TypeVar("F", bound=Callable[..., Any])
# Changes waiting for a shard's thread at most.
_QUEUED = 256


def _writes(method: F) -> F:
    """Xapian's errors as the engine's: a lost server named, anything else a failed write."""

    @functools.wraps(method)
    def guarded(self: ShardWriter, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except xapian.NetworkError as exc:
            raise failure(exc, self.shards) from None
        except xapian.Error as exc:
            raise EngineWriteError(f"a shard was not written: {exc}") from None

    return guarded  # type: ignore[return-value]


def generation_of(generations: Sequence[str], writing: Sequence[str]) -> int:
    """The generation of shards that all agree and none of which is being written; -1
    when they do not (an update stopped half-way, say); 0 when none was ever written."""
    if any(writing) or len(set(generations)) > 1:
        return -1
    return int(generations[0] or 0) if generations else 0


class ShardWriter:
    """Deletes and adds passages on every shard (see ``seedindex.engine.EngineWriter``)."""

    @_writes
    def __init__(self, shards: Sequence[Shard], timeouts: Timeouts) -> None:
        self.shards = tuple(shards)
        self._batch = secrets.token_hex(8)
        self._databases: list[Any] = []
        try:
            for shard in shards:
                self._databases.append(write_database(shard, timeouts))
            for database in self._databases:
                database.set_metadata(WRITING_KEY, self._batch)
                database.commit()
                database.begin_transaction(True)
        except BaseException:
            self._close()
            raise

        self._senders = [_Sender(database) for database in self._databases]

    @_writes
    def delete(self, path: str) -> None:
        database, sender = self._shard_of(path)
        sender.send(functools.partial(database.delete_document, path_term(path)))

    @_writes
    def add(self, document: NewDocument) -> None:
        database, sender = self._shard_of(document.path)
        for found in documents(document, self._batch):
            sender.send(functools.partial(database.add_document, found))

    @_writes
    def commit(self, *, replace_all: bool = False) -> None:
        try:
            for sender in self._senders:
                sender.drain()
            generations = [db.get_metadata(GENERATION_KEY) for db in self._databases]
            generation = max(int(g or 0) for g in generations) + 1
            ours = encoded(BATCH + self._batch)
            for number, database in enumerate(self._databases):
                if replace_all:
                    for item in list(database.allterms(encoded(BATCH))):
                        if item.term != ours:
                            database.delete_document(item.term)
                database.set_metadata(GENERATION_KEY, str(generation))
                database.set_metadata(SHARD_KEY, f"{number + 1}/{len(self._databases)}")
                database.set_metadata(WRITING_KEY, "")
                database.commit_transaction()
        finally:
            self._close()

    def cancel(self) -> None:
        try:
            for sender in self._senders:
                with contextlib.suppress(Exception):
                    sender.drain()
            for database in self._databases:
                if database.get_metadata(WRITING_KEY):  # (not committed yet)
                    database.cancel_transaction()
                    database.set_metadata(WRITING_KEY, "")
                    database.commit()
        except xapian.Error:
            pass  # the mark stays: the next update rebuilds the index
        finally:
            self._close()

    def _shard_of(self, path: str) -> tuple[Any, _Sender]:
        number = shard_of(path, len(self._databases))
        return self._databases[number], self._senders[number]

    def _close(self) -> None:
        for sender in getattr(self, "_senders", ()):
            sender.stop()
        for database in self._databases:
            with contextlib.suppress(xapian.Error):
                database.close()
        self._databases = []


class _Sender:
    """Sends one shard its changes, in order, from a thread of its own: Xapian lets go
    of the interpreter while it waits for a server, so the shards work side by side and
    beside the analysis. A change that fails is raised at the next ``send`` or ``drain``,
    and the changes after it are dropped."""

    def __init__(self, database: Any) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(_QUEUED)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="seedindex-shard", daemon=True)
        self._thread.start()

    def send(self, change: Callable[[], object]) -> None:
        self._check()
        self._queue.put(change)

    def drain(self) -> None:
        """Wait until every change is sent (then nothing more can be)."""
        self.stop()
        self._check()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (change := self._queue.get()) is not None:
            if self._failed is None:
                try:
                    change()
                except BaseException as exc:  # (raised in the writing thread)
                    self._failed = exc

    def _check(self) -> None:
        if self._failed is not None:
            raise self._failed
