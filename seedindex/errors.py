"""Every error seedindex raises, under one base class.

Each error also subclasses the closest builtin, so ``except ValueError`` or
``except OSError`` keeps working, and carries the exit code the CLI uses for it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ForeignIndexError",
    "IndexDirError",
    "IndexLockedError",
    "PassageNotFoundError",
    "QuerySyntaxError",
    "QueryTimeoutError",
    "SeedIndexError",
    "SeedsError",
    "ShardUnavailableError",
    "StaleDocumentError",
    "UnsafeIndexDirError",
]


class SeedIndexError(Exception):
    """Base class of every seedindex error."""

    exit_code = 1


class ConfigError(SeedIndexError, ValueError):
    """An argument or setting has a value seedindex cannot use."""

    exit_code = 2


class QuerySyntaxError(SeedIndexError, ValueError):
    """A query could not be read as query syntax (raised only with ``strict=True``)."""

    exit_code = 2

    def __init__(self, message: str, *, query: str, position: int) -> None:
        super().__init__(f"{message} at character {position + 1} of {query!r}")
        self.query = query
        self.position = position


class QueryTimeoutError(SeedIndexError, TimeoutError):
    """A query ran past ``Config.query_timeout`` (raised only with ``strict=True``;
    otherwise the best passages found by then are returned, with a warning)."""

    exit_code = 6


class PassageNotFoundError(SeedIndexError, LookupError):
    """No indexed passage is at the place asked for."""

    exit_code = 1


class StaleDocumentError(SeedIndexError, LookupError):
    """A document's file changed since it was indexed: its passages' offsets no longer
    point into its text until the index is updated."""

    exit_code = 5


class SeedsError(SeedIndexError, OSError):
    """The seeds folder is missing, is not a folder, or cannot be read."""

    exit_code = 3


class IndexDirError(SeedIndexError, OSError):
    """The index directory cannot be created, read or written."""

    exit_code = 4


class ForeignIndexError(IndexDirError):
    """The index directory was not made by seedindex; nothing in it was touched."""


class UnsafeIndexDirError(IndexDirError):
    """The index directory belongs to another user or others may write in it: what it
    holds could have been planted there. Nothing in it was read or touched."""


class IndexLockedError(IndexDirError, TimeoutError):
    """Another process kept the index locked for longer than the lock timeout."""

    def __init__(self, message: str, *, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class ShardUnavailableError(SeedIndexError, ConnectionError):
    """A shard of a sharded index (``Config(shards=...)``) did not answer: ``shards``
    names the addresses that did not."""

    exit_code = 4

    def __init__(self, message: str, *, shards: tuple[str, ...]) -> None:
        super().__init__(message)
        self.shards = shards
