"""An engine over remote Xapian shards (the extra ``seedindex[shards]``): passages are
kept and searched on ``xapian-tcpsrv`` servers, one database a shard, and ranked there
as seedindex ranks them (``_layout``, ``_query``); the manifest stays in the index
directory of the machine that writes. ``seedindex shard serve`` starts a server.

Xapian is GPL-2.0-or-later; seedindex is MIT, and uses it only through this optional
package.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..._config import Config
from ...errors import ConfigError
from ._connect import Connections, Timeouts
from ._layout import GENERATION_KEY, SHARD_KEY, WRITING_KEY
from ._snapshot import ShardSnapshot
from ._write import ShardWriter, generation_of

__all__ = ["ShardEngine", "ShardSnapshot", "create", "open"]


def open(folder: Path, config: Config) -> ShardEngine | None:
    """The shards of ``config``; None when they were never written."""
    engine = ShardEngine(config)
    try:
        written = engine.check()
    except BaseException:
        engine.close()
        raise
    if not written:
        engine.close()
        return None
    return engine


def create(folder: Path, config: Config) -> ShardEngine:
    """The shards of ``config``, to be written whole (what they hold goes at the commit)."""
    engine = ShardEngine(config)
    engine.check()
    return engine


class ShardEngine:
    """The shards of one index (see ``seedindex.engine.Engine``); each thread reads
    them through connections of its own."""

    def __init__(self, config: Config) -> None:
        self._shards = config.shards
        self._timeouts = Timeouts.of(config)
        self._partial = config.on_shard_error == "partial"
        self._local = threading.local()
        self._opened: list[Connections] = []
        self._lock = threading.Lock()

    def check(self) -> bool:
        """Whether the shards were written; ConfigError when one of them holds another
        shard (the addresses given in another order, or of another index)."""
        places = self._connections().metadata(SHARD_KEY)
        count = len(self._shards)
        for number, (shard, place) in enumerate(zip(self._shards, places, strict=True), 1):
            if place and place != f"{number}/{count}":
                raise ConfigError(
                    f"the server at {shard.address} holds shard {place}, not shard "
                    f"{number}/{count}: give the shards in the order they were written"
                )
        return any(place for place in places)

    def snapshot(self) -> ShardSnapshot:
        connections = self._connections()
        view: ShardSnapshot | None = getattr(self._local, "view", None)
        if view is None or connections.reopen():
            view = ShardSnapshot(connections, self._generation(connections))
            self._local.view = view
        return view

    def generation(self) -> int:
        connections = self._connections()
        connections.reopen()
        return self._generation(connections)

    @staticmethod
    def _generation(connections: Connections) -> int:
        present = [g for g in connections.metadata(GENERATION_KEY) if g is not None]
        return generation_of(present, [w for w in connections.metadata(WRITING_KEY) if w])

    def writer(self, *, files: int, size: int = 0) -> ShardWriter:
        return ShardWriter(self._shards, self._timeouts)

    def refresh(self) -> None:
        self._local.view = None

    def close(self) -> None:
        with self._lock:
            for connections in self._opened:
                connections.close()
            self._opened = []
        self._local = threading.local()

    def _connections(self) -> Connections:
        connections: Connections | None = getattr(self._local, "connections", None)
        if connections is None:
            connections = Connections(self._shards, self._timeouts, partial=self._partial)
            self._local.connections = connections
            with self._lock:
                self._opened.append(connections)
        return connections
