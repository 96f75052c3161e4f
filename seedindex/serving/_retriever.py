"""What both framework retrievers share: the index they open on first use."""

from __future__ import annotations

import threading
from typing import Any

from .. import Config, Index


class LazyIndex:
    """An index opened (and brought up to date) on first use, then kept open."""

    def __init__(self, seeds: Any, index_dir: Any, config: Config | None) -> None:
        self._where = (seeds, index_dir, config)
        self._index: Index | None = None
        self._opening = threading.Lock()

    def get(self) -> Index:
        with self._opening:
            if self._index is None:
                seeds, index_dir, config = self._where
                self._index = Index.open(seeds, index_dir=index_dir, config=config)
            return self._index

    def close(self) -> None:
        with self._opening:
            if self._index is not None:
                self._index.close()
                self._index = None
