"""The index of a seeds folder: where it lives, keeping it current, and searching it.

The index directory holds a marker (``seedindex.json``) saying it is ours, the
file manifest (``manifest.json``), the write lock and the engine's files. It is
a cache: anything wrong with it is mended by rebuilding from the seeds, except
a directory without our marker, which is never touched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from . import _documents, _manifest, _passages, _query
from ._config import Config, index_location, seeds_root
from ._engine import CorruptEngineError, Engine, EngineWriter
from ._lock import WriteLock
from ._manifest import Entry, Manifest, SkippedEntry
from ._results import Passage, to_passage
from .errors import ConfigError, ForeignIndexError, IndexDirError

logger = logging.getLogger("seedindex")

_FORMAT = 1
_MARKER = "seedindex.json"
_MANIFEST = "manifest.json"
_LOCK = "write.lock"
_ENGINE = "whoosh"


@attrs.frozen
class UpdateReport:
    """What an update or build changed, in files and passages."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    touched: int = 0  # stat changed, content did not: hashed, not re-indexed
    skipped: int = 0  # files left out now (binary, unreadable, ...)
    passages_written: int = 0
    passages: int = 0  # passages in the index afterwards
    full: bool = False
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.full)


class Index:
    """A searchable index of one seeds folder. Open it with :meth:`Index.open`."""

    def __init__(self, seeds: Path, location: Path, config: Config) -> None:
        self.seeds = seeds
        self.location = location
        self.config = config
        self._engine: Engine | None = None
        self._parser: Any = None
        self._lock = WriteLock(location / _LOCK, config.lock_timeout)

    @classmethod
    def open(
        cls,
        seeds: str | os.PathLike[str] | None = None,
        *,
        index_dir: str | os.PathLike[str] | None = None,
        config: Config | None = None,
        auto_update: bool = True,
    ) -> Index:
        """Open (building or updating as needed) the index of ``seeds``.

        ``seeds`` defaults to ``$SEEDINDEX_SEEDS`` or the bundled seeds; the index
        lives in ``index_dir``, ``$SEEDINDEX_INDEX_DIR`` or the user cache.
        """
        root = seeds_root(seeds)
        scan = _documents.scan(root, config or Config())
        ix = cls(root, index_location(root, index_dir), config or Config())
        try:
            ix._start(scan, auto_update)
        except BaseException:
            ix.close()
            raise
        return ix

    # -- reading -------------------------------------------------------------

    def search(self, text: str, *, limit: int = 10, strict: bool = False) -> list[Passage]:
        """The passages matching ``text``, best first (ties by path, then offset)."""
        if not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"limit must be a positive whole number, not {limit!r}")
        searcher = self._require_engine().searcher()
        if self._parser is None:
            self._parser = _query.make_parser(searcher.schema)
        parsed = _query.parse(text, self._parser, strict=strict)
        hits = _query.run(searcher, parsed, limit)
        words = _query.query_words(parsed, text, searcher.reader()) if hits else ()
        return [to_passage(hit, words, self.config.highlight) for hit in hits]

    # -- writing -------------------------------------------------------------

    def update(self) -> UpdateReport:
        """Re-index only what changed in the seeds since the last update."""
        with self._lock:
            return self._write(_documents.scan(self.seeds, self.config), full=False)

    def build(self) -> UpdateReport:
        """Re-index everything; readers see the old index until the new one is committed."""
        with self._lock:
            return self._write(_documents.scan(self.seeds, self.config), full=True)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Index(seeds={str(self.seeds)!r}, location={str(self.location)!r})"

    # -- internals -----------------------------------------------------------

    def _start(self, scan: _documents.Scan, auto_update: bool) -> None:
        if not _claim_directory(self.location, self.seeds, self.config):
            self._engine = self._open_engine()
        if self._engine is not None and (self.location / _MANIFEST).exists():
            if auto_update:
                self._update_if_free(scan)
            return
        with self._lock:
            # Another process may have built the index while this one waited.
            self._engine = self._engine or self._open_engine()
            built = self._engine is not None and (self.location / _MANIFEST).exists()
            self._write(scan, full=not built)

    def _update_if_free(self, scan: _documents.Scan) -> None:
        """Bring the index up to date unless another process is already writing it."""
        if not _manifest.changes(self._load_manifest(), scan):
            return
        if not self._lock.acquire(wait=False):
            logger.info("another process is updating %s; searching its last state", self.location)
            return
        try:
            self._write(scan, full=False)
        except IndexDirError as exc:
            logger.warning("index not updated, searching its last state: %s", exc)
        finally:
            self._lock.release()

    def _open_engine(self) -> Engine | None:
        folder = self.location / _ENGINE
        if not folder.exists():
            return None
        try:
            return Engine.open(folder)
        except CorruptEngineError as exc:
            logger.warning("index at %s is damaged (%s); rebuilding it", self.location, exc)
            return None

    def _require_engine(self) -> Engine:
        if self._engine is None:
            raise IndexDirError(f"index at {self.location} is closed")
        return self._engine

    def _load_manifest(self) -> Manifest:
        return _manifest.load(self.location / _MANIFEST) or Manifest()

    def _write(self, scan: _documents.Scan, *, full: bool) -> UpdateReport:
        """Apply the seeds' changes in one commit (the caller holds the write lock)."""
        began = time.monotonic()
        if self._engine is None:
            self._engine = self._open_engine() or _create_engine(self.location / _ENGINE)
        before = Manifest() if full else self._load_manifest()
        changes = _manifest.changes(before, scan)
        if not full and not changes:
            return UpdateReport(
                skipped=len(before.skipped),
                passages=before.passages,
                seconds=time.monotonic() - began,
            )
        writer = self._engine.writer()
        try:
            report, after = _apply(writer, before, scan, changes, self.config)
            writer.commit(replace_all=full)
        except BaseException as exc:
            writer.cancel()
            if isinstance(exc, OSError):
                raise IndexDirError(f"cannot write index at {self.location}: {exc}") from exc
            raise
        try:
            _manifest.save(self.location / _MANIFEST, after)
        except OSError as exc:
            raise IndexDirError(f"cannot write index at {self.location}: {exc}") from exc
        self._engine.refresh()
        return attrs.evolve(report, full=full, seconds=time.monotonic() - began)


def _apply(
    writer: EngineWriter,
    before: Manifest,
    scan: _documents.Scan,
    changes: _manifest.Changes,
    config: Config,
) -> tuple[UpdateReport, Manifest]:
    """Write the changed files' passages; return the report and the new manifest."""
    files = dict(before.files)
    present = {f.path for f in scan.files}
    suspects = {f.path for f in changes.suspects}
    skipped = {s.path: SkippedEntry(s.reason) for s in scan.skipped}
    skipped.update(
        (path, entry)
        for path, entry in before.skipped.items()
        if entry.size >= 0 and path in present and path not in suspects
    )
    counts = dict.fromkeys(("added", "changed", "removed", "touched", "written"), 0)
    for path in changes.removed:
        writer.delete(path)
        del files[path]
        counts["removed"] += 1
    for source in changes.suspects:
        known = files.get(source.path)
        document = _documents.read(source)
        if isinstance(document, _documents.Skipped):
            logger.warning("skipped %s: %s", document.path, document.reason)
            skipped[source.path] = SkippedEntry(document.reason, source.size, source.mtime_ns)
            if files.pop(source.path, None) is not None:
                writer.delete(source.path)
                counts["removed"] += 1
            continue
        skipped.pop(source.path, None)
        if known is not None and known.sha256 == document.sha256:
            files[source.path] = attrs.evolve(known, size=source.size, mtime_ns=source.mtime_ns)
            counts["touched"] += 1
            continue
        spans = _passages.split(document.text, config.max_passage_words)
        if known is not None:
            writer.delete(source.path)
        writer.add(source.path, document.text, spans)
        files[source.path] = Entry(source.size, source.mtime_ns, document.sha256, len(spans))
        counts["changed" if known is not None else "added"] += 1
        counts["written"] += len(spans)
    after = Manifest(files=files, skipped=skipped, updated=time.time())
    report = UpdateReport(
        added=counts["added"],
        changed=counts["changed"],
        removed=counts["removed"],
        touched=counts["touched"],
        skipped=len(skipped),
        passages_written=counts["written"],
        passages=after.passages,
    )
    return report, after


def _create_engine(folder: Path) -> Engine:
    try:
        return Engine.create(folder)
    except OSError as exc:
        raise IndexDirError(f"cannot create index in {folder.parent}: {exc.strerror}") from exc


def _claim_directory(location: Path, seeds: Path, config: Config) -> bool:
    """Make sure ``location`` is ours; True when the index must be built from scratch.

    A directory that exists, is not empty and has no valid marker of ours is
    refused untouched: it may be a user's folder given by mistake.
    """
    wanted = {"format": _FORMAT, "seeds": str(seeds), "config": config.fingerprint()}
    try:
        if not location.exists():
            location.mkdir(parents=True)
        elif not location.is_dir():
            raise IndexDirError(f"index path is not a directory: {location}")
        marker = _read_marker(location / _MARKER)
        if marker is None and any(location.iterdir()):
            raise ForeignIndexError(
                f"{location} is not empty and was not made by seedindex; "
                "refusing to use it (nothing in it was changed)"
            )
        if marker is not None and all(marker.get(k) == v for k, v in wanted.items()):
            return False
        # Ours but for another format, seeds folder or settings (or new): start afresh.
        shutil.rmtree(location / _ENGINE, ignore_errors=True)
        (location / _MANIFEST).unlink(missing_ok=True)
        marker_text = json.dumps(wanted | {"seedindex": _version()})
        _manifest.write_atomically(location / _MARKER, marker_text)
    except IndexDirError:
        raise
    except OSError as exc:
        raise IndexDirError(f"cannot use index directory {location}: {exc.strerror}") from exc
    return True


def _read_marker(path: Path) -> dict[str, object] | None:
    """The marker's content, or None when there is no valid marker of ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and "format" in data and "seeds" in data:
        return data
    return None


def _version() -> str:
    from . import __version__

    return __version__


def query(
    text: str,
    *,
    limit: int = 10,
    seeds: str | os.PathLike[str] | None = None,
    index_dir: str | os.PathLike[str] | None = None,
    strict: bool = False,
    config: Config | None = None,
    auto_update: bool = True,
) -> list[Passage]:
    """Search ``seeds`` (default: ``$SEEDINDEX_SEEDS`` or the bundled seeds) for ``text``.

    The index is built on first use and brought up to date when the seeds change.
    """
    with Index.open(seeds, index_dir=index_dir, config=config, auto_update=auto_update) as ix:
        return ix.search(text, limit=limit, strict=strict)
