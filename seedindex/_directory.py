"""The index directory: its layout, and the marker that says it is ours.

A directory that exists, is not empty and has no valid marker is refused and
left untouched: it may be a user's folder given by mistake, and the engine's
stored data (pickles, for Whoosh) must never be read from a place we did not make.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ._config import Config
from ._lock import WriteLock
from ._manifest import write_atomically
from .errors import ForeignIndexError, IndexDirError

_FORMAT = 2


class IndexDirectory:
    """Where each part of an index lives inside its directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.marker = root / "seedindex.json"
        self.manifest = root / "manifest.json"
        self.engine = root / "whoosh"

    def lock(self, timeout: float) -> WriteLock:
        return WriteLock(self.root / "write.lock", timeout)

    def claim(self, seeds: Path, config: Config, version: str) -> bool:
        """Make sure the directory is ours; True when the index must be built afresh."""
        wanted = {"format": _FORMAT, "seeds": str(seeds), "config": config.fingerprint()}
        try:
            if not self.root.exists():
                self.root.mkdir(parents=True)
            elif not self.root.is_dir():
                raise IndexDirError(f"index path is not a directory: {self.root}")
            marker = self._read_marker()
            if marker is None and self._has_others():
                raise ForeignIndexError(
                    f"{self.root} is not empty and was not made by seedindex; "
                    "refusing to use it (nothing in it was changed)"
                )
            if marker is not None and all(marker.get(k) == v for k, v in wanted.items()):
                return False
            # Ours but for another format, seeds folder or settings (or new): start afresh.
            shutil.rmtree(self.engine, ignore_errors=True)
            self.manifest.unlink(missing_ok=True)
            write_atomically(self.marker, json.dumps(wanted | {"seedindex": version}))
        except IndexDirError:
            raise
        except OSError as exc:
            raise IndexDirError(f"cannot use index directory {self.root}: {exc.strerror}") from exc
        return True

    def _has_others(self) -> bool:
        """Anything here but the temporary file of a marker another process is writing."""
        temporary = f".{self.marker.name}."
        return any(not entry.name.startswith(temporary) for entry in self.root.iterdir())

    def size(self) -> int:
        """Bytes used by the files of the index."""
        total = 0
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                try:
                    total += os.stat(os.path.join(folder, name)).st_size
                except OSError:
                    continue  # removed by a concurrent commit
        return total

    def _read_marker(self) -> dict[str, object] | None:
        """The marker's content, or None when there is no valid marker of ours."""
        try:
            data = json.loads(self.marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and "format" in data and "seeds" in data:
            return data
        return None
