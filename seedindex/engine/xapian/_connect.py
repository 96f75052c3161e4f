"""Connections to the shard servers (``xapian-tcpsrv``): opened with timeouts, tried
replica by replica, opened again once when a server dropped them (an idle connection,
a restart), and a shard that does not answer named in ``ShardUnavailableError``."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from ..._config import Config, Shard
from ...errors import IndexLockedError, ShardUnavailableError
from .. import CorruptEngineError
from ._xapian import xapian

logger = logging.getLogger("seedindex")

T = TypeVar("T")
# Seconds a shard that did not answer is left alone before it is tried again.
_RETRY_AFTER = 5.0
# A write (a commit above all) may take much longer than a search.
_WRITE_TIMEOUT_MS = 120_000
_LOCK_POLL_SECONDS = 0.05
_REMOTE = re.compile(r"remote:tcp\(([^)]*)\)")
_CONTEXT = re.compile(r" ?\(context: [^()]*(\([^)]*\))?[^()]*\)")


@attrs.frozen
class Timeouts:
    connect_ms: int
    read_ms: int
    lock_seconds: float

    @classmethod
    def of(cls, config: Config) -> Timeouts:
        return cls(
            round(config.shard_connect_timeout * 1000),
            round(config.shard_timeout * 1000),
            config.lock_timeout,
        )


def _host_port(address: str) -> tuple[str, int]:
    host, _colon, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class _Unreachable(Exception):
    """No server of a shard answered; ``reason`` says what they did."""

    def __init__(self, shard: Shard, reason: str) -> None:
        super().__init__(reason)
        self.shard, self.reason = shard, reason


def read_database(shard: Shard, timeouts: Timeouts) -> Any:
    """A connection to the first of the shard's servers that answers."""
    problems = []
    for address in shard.readers:
        host, port = _host_port(address)
        try:
            return xapian.remote_open(host, port, timeouts.read_ms, timeouts.connect_ms)
        except xapian.Error as exc:
            problems.append(f"{address}: {_reason(exc)}" if shard.replicas else _reason(exc))
    raise _Unreachable(shard, "; ".join(problems))


def write_database(shard: Shard, timeouts: Timeouts) -> Any:
    """A connection that writes the shard (its ``address``, served ``--writable``),
    waiting up to ``timeouts.lock_seconds`` for another writer to let go: a server
    frees the lock of a writer that died only once it has committed what it was sent."""
    host, port = _host_port(shard.address)
    deadline = time.monotonic() + timeouts.lock_seconds
    while True:
        try:
            return xapian.remote_open_writable(host, port, _WRITE_TIMEOUT_MS, timeouts.connect_ms)
        except xapian.DatabaseLockError:
            if time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"shard {shard.address} is being written by another writer; "
                    f"gave up after {timeouts.lock_seconds:g} s",
                    holder=shard.address,
                ) from None
            time.sleep(_LOCK_POLL_SECONDS)
        except xapian.Error as exc:
            raise unavailable([shard], _reason(exc)) from None


def _reason(exc: Any) -> str:
    """What Xapian says went wrong, without where (the address is said already)."""
    # (str() only: Xapian's own getters crash on an error without a cause)
    message = _CONTEXT.sub("", str(exc)).removeprefix("REMOTE:").strip()
    return message or type(exc).__name__


def unavailable(shards: Sequence[Shard], reason: str) -> ShardUnavailableError:
    """The error of ``shards`` not answering."""
    named = ", ".join(shard.address for shard in shards)
    several = "s" if len(shards) > 1 else ""
    return ShardUnavailableError(
        f"shard{several} {named} did not answer ({reason})",
        shards=tuple(shard.address for shard in shards),
    )


def failure(exc: Any, shards: Sequence[Shard]) -> ShardUnavailableError:
    """The error of a connection lost: its shard named, when Xapian says which."""
    named = set(_REMOTE.findall(str(exc)))
    return unavailable([s for s in shards if {*s.readers} & named] or shards, _reason(exc))


class Connections:
    """One thread's connections to every shard, and the database that reads them as one.

    With ``partial``, shards that do not answer are left out (and tried again now and
    then); the others are searched as the whole index.
    """

    def __init__(self, shards: Sequence[Shard], timeouts: Timeouts, *, partial: bool) -> None:
        self._shards = tuple(shards)
        self._timeouts = timeouts
        self._partial = partial
        self.each: list[Any] = []  # each shard's own database, None when missing
        self.database: Any = None
        self._tried = 0.0
        self.connect()

    @property
    def missing(self) -> tuple[str, ...]:
        """The shards left out, by address."""
        if self.database is None:  # (a connection that failed: every shard is tried again)
            return ()
        return tuple(s.address for s, db in zip(self._shards, self.each, strict=True) if db is None)

    def connect(self) -> None:
        """Open every shard again (all of them, or with ``partial`` those that answer)."""
        self.close()
        problems: list[_Unreachable] = []
        for shard in self._shards:
            try:
                self.each.append(read_database(shard, self._timeouts))
            except _Unreachable as exc:
                self.each.append(None)
                problems.append(exc)
        self._tried = time.monotonic()
        if problems:
            error = unavailable([p.shard for p in problems], "; ".join(p.reason for p in problems))
            if not self._partial or len(problems) == len(self._shards):
                self.close()
                raise error
            logger.warning("searching the other shards: %s", error)
        self.database = xapian.Database()
        for database in self.each:
            if database is not None:
                self.database.add_database(database)

    def call(self, ask: Callable[[Any], T]) -> T:
        """``ask(database)``; a connection the server dropped is opened again, once."""
        if self.database is None:
            self.connect()
        try:
            try:
                return ask(self.database)
            except xapian.DatabaseModifiedError:  # (two commits went by: read the newest)
                self.database.reopen()
                return ask(self.database)
        except xapian.NetworkError:
            pass
        except (xapian.DatabaseCorruptError, xapian.DatabaseOpeningError) as exc:
            raise CorruptEngineError(f"a shard cannot be read: {_reason(exc)}") from None
        self.connect()
        try:
            return ask(self.database)
        except xapian.NetworkError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: Any) -> ShardUnavailableError:
        return failure(exc, self._shards)

    def reopen(self) -> bool:
        """Whether a shard has been committed to (or came back) since the last look."""
        if self.database is None:
            self.connect()
            return True
        if self.missing and time.monotonic() - self._tried >= _RETRY_AFTER:
            before = self.missing
            self.connect()
            if self.missing != before:
                return True
        return bool(self.call(lambda database: database.reopen()))

    def metadata(self, key: str) -> list[str | None]:
        """Each shard's value of ``key`` (None for a missing shard)."""

        def each(_database: Any) -> list[str | None]:
            return [
                None if db is None else db.get_metadata(key).decode("utf-8", "replace")
                for db in self.each
            ]

        return self.call(each)

    def close(self) -> None:
        for database in self.each:
            if database is not None:
                database.close()
        self.each, self.database = [], None
