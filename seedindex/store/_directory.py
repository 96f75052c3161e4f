"""The index directory: its layout, and the marker that says it is ours.

A directory that exists, is not empty and has no valid marker is refused and
left untouched: it may be a user's folder given by mistake, and the engine's
stored data (pickles, for Whoosh) must never be read from a place we did not make.
Nor from a place another user could have written: a directory owned by another
user, or writable by others, is refused unless the user says it is to be trusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Collection
from pathlib import Path

from .._config import Config
from .._fs import write_atomically
from ..errors import ForeignIndexError, IndexDirError, UnsafeIndexDirError
from ._lock import WriteLock

# Raised whenever what an index holds changes shape (the Whoosh schema's class paths
# included): an index of another format is rebuilt.
_FORMAT = 7
_LOCK = "write.lock"
# What the lock file of a directory being claimed holds (see WriteLock): empty, or its
# holder. Any other file of that name is somebody else's.
_LOCK_TEXT = re.compile(r"(pid \d+ on [^\n]*\n)?")
_MARKER_KEYS = {"format": int, "seeds": str, "config": str, "seedindex": str}


class IndexDirectory:
    """Where each part of an index lives inside its directory."""

    def __init__(
        self, root: Path, engine: str, engines: Collection[str], *, trusted: bool = False
    ) -> None:
        """``engine``: the folder of the engine in use; ``engines``: every engine's;
        ``trusted``: use the directory even when another user owns it or may write it."""
        self.root = root
        self._trusted = trusted
        self.marker = root / "seedindex.json"
        self.manifest = root / "manifest.json"
        self.engine = root / engine
        self._engines = tuple(root / name for name in engines)
        #: The passages' vectors, for semantic ranking.
        self.vectors = root / "vectors"

    def lock(self, timeout: float) -> WriteLock:
        return WriteLock(self.root / _LOCK, timeout)

    def claim(
        self, seeds: Path, config: Config, version: str, lock_timeout: float, *, force: bool = False
    ) -> bool:
        """Make sure the directory is ours; True when the index must be built afresh.

        An index made by another version of seedindex, for another seeds folder or with
        other settings is built afresh. With ``force``, so is a directory whose marker is
        damaged but whose contents are an index's (nothing but our files).
        """
        wanted = _wanted(seeds, config, version)
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.check_safe()
            if self._ours(wanted, force):
                return False
            # Starting afresh (new, or another format, seeds folder or settings): one
            # process at a time, so that none clears what another is building.
            with self.lock(lock_timeout):
                if self._ours(wanted, force):
                    return False
                self._refuse_strangers()
                for folder in (*self._engines, self.vectors):
                    shutil.rmtree(folder, ignore_errors=True)
                self.manifest.unlink(missing_ok=True)
                if self.marker.is_dir() and not self.marker.is_symlink():
                    shutil.rmtree(self.marker)
                write_atomically(self.marker, json.dumps(wanted))
        except FileExistsError:
            raise IndexDirError(f"index path is not a directory: {self.root}") from None
        except IndexDirError:
            raise
        except OSError as exc:
            raise IndexDirError(f"cannot use index directory {self.root}: {exc.strerror}") from exc
        return True

    def check_safe(self) -> None:
        """Refuse (UnsafeIndexDirError) a directory that another user owns or may write
        in, unless trusted: anything in it could have been planted."""
        if self._trusted or not self.root.is_dir():
            return
        st = self.root.stat()
        problem = _unsafe(st)
        if problem:
            raise UnsafeIndexDirError(
                f"refusing index directory {self.root}: {problem}, so what it holds could "
                "have been planted by somebody else (nothing was read or changed); fix its "
                "owner and permissions, or trust it with --trust-index-dir "
                "(Config(trust_index_dir=True))"
            )

    def holds(self, seeds: Path, config: Config, version: str) -> bool:
        """Whether the marker says this is the index that ``claim`` would keep (no writes)."""
        self.check_safe()
        marker = self._read_marker()
        wanted = _wanted(seeds, config, version)
        return marker is not None and all(marker.get(k) == v for k, v in wanted.items())

    def _ours(self, wanted: dict[str, object], force: bool) -> bool:
        """True when the marker is ours and as wanted; False when ours but stale or
        absent from an empty directory (or, with ``force``, a damaged marker beside our
        files only); ForeignIndexError for anybody else's directory."""
        marker = self._read_marker()
        if marker is None and self._has_others():
            ours = self._only_ours()
            if force and ours:
                return False
            if ours:
                raise ForeignIndexError(
                    f"the marker of the index in {self.root} ({self.marker.name}) is missing "
                    "or damaged; nothing was changed. If this folder is a seedindex index, "
                    f"`seedindex build --force` rebuilds it (removing {self._removed()})"
                )
            raise ForeignIndexError(
                f"{self.root} is not empty and was not made by seedindex; "
                "refusing to use it (nothing in it was changed)"
            )
        return marker is not None and all(marker.get(k) == v for k, v in wanted.items())

    def _only_ours(self) -> bool:
        """Whether everything here has a name of the index's layout."""
        return not self._strangers()

    def _strangers(self) -> list[str]:
        """The names here that are not of the index's layout."""
        names = {_LOCK, self.marker.name, self.manifest.name, self.vectors.name}
        names.update(f.name for f in self._engines)
        temporary = (f".{self.marker.name}.", f".{self.manifest.name}.")
        return sorted(
            e.name
            for e in self.root.iterdir()
            if not (e.name in names or e.name.startswith(temporary))
        )

    def _refuse_strangers(self) -> None:
        """Before an index of ours is replaced: files that are not ours stay untouched."""
        strangers = self._strangers()
        if strangers:
            shown = ", ".join(strangers[:5]) + (" ..." if len(strangers) > 5 else "")
            raise ForeignIndexError(
                f"the index in {self.root} must be rebuilt, but the folder also holds files "
                f"seedindex did not make ({shown}); nothing was changed. Move them away, "
                "or use another index directory"
            )

    def _removed(self) -> str:
        present = [p for p in (self.marker, self.manifest, *self._engines) if p.exists()]
        return ", ".join(p.name + ("/" if p.is_dir() else "") for p in present) or "nothing"

    def _has_others(self) -> bool:
        """Anything here but the lock and the marker of another process claiming the
        directory (a lock file holding anything else is somebody else's)."""
        temporary = f".{self.marker.name}."
        for entry in self.root.iterdir():
            if entry.name == _LOCK and _is_our_lock(entry):
                continue
            if not entry.name.startswith(temporary):
                return True
        return False

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
        if isinstance(data, dict) and _is_marker(data):
            return data
        return None


def _wanted(seeds: Path, config: Config, version: str) -> dict[str, object]:
    return {
        "format": _FORMAT,
        "seeds": str(seeds),
        "config": config.fingerprint(),
        "seedindex": version,
    }


def _is_marker(data: dict[str, object]) -> bool:
    """Whether ``data`` has the shape of a marker (of any format, seeds folder or
    settings; older formats lack some keys, never have others)."""
    return {"format", "seeds"} <= data.keys() <= _MARKER_KEYS.keys() and all(
        type(value) is _MARKER_KEYS[key] for key, value in data.items()
    )


def _is_our_lock(path: Path) -> bool:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 256:
            return False
        with open(path, encoding="utf-8") as handle:
            return _LOCK_TEXT.fullmatch(handle.read()) is not None
    except (OSError, ValueError):
        return False


def _unsafe(st: os.stat_result) -> str:
    """Why a directory with stat ``st`` cannot be trusted, or ''."""
    if st.st_uid != os.geteuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return "every user may write in it"
    if st.st_mode & stat.S_IWGRP and st.st_gid != os.getegid():
        return f"the users of group {st.st_gid} may write in it"
    return ""
