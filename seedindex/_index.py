"""The index of a seeds folder: a facade over the directory, the engine, the read
side (``_searcher``) and the write side (``_sync``).

An ``Index`` may be used from any number of threads at once: searches run side by
side, each on one committed state; writes are serialised (within the process by a
lock, across processes by the directory's write lock). Readers never wait for a
writer: they search the last committed state.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import attrs

from . import _analysis, sources
from ._config import Config, Shard, index_location, seeds_root, with_shards
from ._results import Explanation, Passage, Results
from ._searcher import Searcher
from ._sync import ProgressHook, Syncer, UpdateReport
from ._version import __version__
from .engine import ENGINES, CorruptEngineError, Engine, create_engine, open_engine
from .errors import ConfigError, IndexDirError
from .store import IndexDirectory
from .store.manifest import Manifest

logger = logging.getLogger("seedindex")

T = TypeVar("T")
# Reads of an index that fails before it is taken for damaged.
_READ_ATTEMPTS = 3


@attrs.frozen
class Stats:
    """The state of an index, as ``seedindex status`` shows it."""

    seeds: str
    index_dir: str
    files: int
    passages: int
    skipped: tuple[tuple[str, str], ...]  # (path, reason)
    not_indexed: tuple[tuple[str, int], ...]  # (file ending, files) of other types, most first
    size_bytes: int
    updated: datetime | None  # None: never built
    stale: bool


class Index:
    """A searchable index of one seeds folder. Open it with :meth:`Index.open`."""

    def __init__(
        self, seeds: Path, location: Path, config: Config, progress: ProgressHook | None
    ) -> None:
        self.seeds = seeds
        self.location = location
        self.config = config
        self._directory = IndexDirectory(
            location, config.engine, ENGINES, trusted=config.trust_index_dir
        )
        self._lock = self._directory.lock(config.lock_timeout)
        self._writing = threading.RLock()
        self._sync = Syncer(seeds, self._directory, config, progress)
        self._engine: Engine | None = None
        self._searcher: Searcher | None = None
        #: What the last build or update through this object did (opening included).
        self.last_write: UpdateReport | None = None

    @classmethod
    def open(
        cls,
        seeds: str | os.PathLike[str] | None = None,
        *,
        index_dir: str | os.PathLike[str] | None = None,
        config: Config | None = None,
        auto_update: bool = True,
        progress: ProgressHook | None = None,
        force: bool = False,
        shards: str | Sequence[str | Shard] | None = None,
    ) -> Index:
        """Open the index of ``seeds``, building it or bringing it up to date as needed.

        ``seeds`` defaults to ``$SEEDINDEX_SEEDS`` or the bundled seeds; the index
        lives in ``index_dir``, ``$SEEDINDEX_INDEX_DIR`` or the user cache. With
        ``auto_update=False`` an index that exists is searched as it is: only a
        missing or unreadable one is built. ``force`` rebuilds an index directory whose
        marker is damaged, when it holds nothing but an index's files (without it, such a
        directory is refused with ``ForeignIndexError``, as any foreign one).

        ``shards`` (``"host:port,..."``, a list of them or of ``Shard``; else
        ``Config.shards`` or ``$SEEDINDEX_SHARDS``) keeps the passages on Xapian shard
        servers instead (``seedindex[shards]``); the manifest stays in ``index_dir``. A
        machine that only searches them opens them with ``auto_update=False``.
        """
        config = with_shards(config or Config(), shards)
        root = seeds_root(seeds)
        sources.check_root(root)
        ix = cls(root, index_location(root, index_dir, config), config, progress)
        try:
            ix._start(auto_update, force)
        except BaseException:
            ix.close()
            raise
        return ix

    # -- reading -------------------------------------------------------------

    def search(
        self, text: str, *, limit: int = 10, strict: bool = False, per_file: int | None = None
    ) -> Results:
        """The passages matching ``text``, best first (ties by path, then offset).

        ``per_file`` keeps at most that many passages of any one file.
        """
        _check_count("limit", limit)
        if per_file is not None:
            _check_count("per_file", per_file)
        return self._read(
            lambda searcher: searcher.search(text, limit=limit, strict=strict, per_file=per_file)
        )

    def suggest(self, text: str) -> str | None:
        """The query with unknown words replaced by their likeliest spelling in the
        index (``"humanitarain aid"`` -> ``"humanitarian aid"``), or None."""
        return self._read(lambda searcher: searcher.suggest(text))

    def passage_at(self, path: str, line: int) -> Passage:
        """The passage of file ``path`` (relative to the seeds) that holds ``line``."""
        return self._read(lambda searcher: searcher.passage_at(path, line))

    def similar(self, passage: Passage, *, limit: int = 10) -> Results:
        """Passages most like ``passage`` (more like this), best first, not itself."""
        _check_count("limit", limit)
        return self._read(lambda searcher: searcher.similar(passage, limit=limit))

    def explain(self, text: str, passage: Passage) -> Explanation:
        """Why ``passage`` scores as it does for ``text``: each query term's part."""
        return self._read(lambda searcher: searcher.explain(text, passage))

    def text(self, path: str) -> str:
        """The text of document ``path`` (relative to the seeds) that its passages'
        offsets point into: the file's own text for text formats, the extracted text for
        HTML, PDF, DOCX, ODT and EPUB, so ``passage.text == ix.text(passage.path)[
        passage.start : passage.end]``. StaleDocumentError when the file changed since
        it was indexed."""
        return self._sync.document(path).text

    def stats(self) -> Stats:
        """Counts, size, last update and whether the seeds changed since."""
        return _stats(self.seeds, self.location, self._sync, self._engine, self._directory)

    # -- writing -------------------------------------------------------------

    def update(self) -> UpdateReport:
        """Re-index only what changed in the seeds since the last update."""
        return self._write(full=False)

    def build(self) -> UpdateReport:
        """Re-index everything; readers see the old index until the new one is committed."""
        return self._write(full=True)

    def watch(
        self,
        *,
        stop: threading.Event | None = None,
        on_update: Callable[[UpdateReport], None] | None = None,
        events: Iterable[object] | None = None,
    ) -> None:
        """Keep the index up to date as the seeds folder changes, until ``stop`` is set
        (or Ctrl-C): each batch of changes (an editor's save, a copied folder) is one
        update, and ``on_update`` gets its report when it changed anything. ``events``
        replaces the folder's own changes (an item per batch: for tests)."""
        from . import _watch

        stop = stop or threading.Event()
        source = _watch.batches(self.seeds, self.location, stop) if events is None else events
        _watch.follow(self.update, source, on_update, stop)

    def close(self) -> None:
        with self._writing:
            if self._engine is not None:
                self._engine.close()
            self._engine = self._searcher = None

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

    def _start(self, auto_update: bool, force: bool) -> None:
        if self._directory.claim(
            self.seeds, self.config, __version__, self.config.lock_timeout, force=force
        ):
            _warn_if_broad(self.seeds)
        # (a new index directory may be for shards that are written already)
        self._use(self._open_engine(warn=False))
        manifest = self._sync.load_manifest()
        if self._engine is not None and (
            not auto_update or self._sync.current(self._engine, manifest)
        ):
            if auto_update:
                self._update_if_free(manifest)
            return
        if self._engine is not None:
            self._lock.acquire()
        elif not self._lock.acquire(wait=False):
            # Nothing to search yet, and another process is building it: wait for that,
            # however long it takes (it cannot hang: its lock dies with it).
            holder = self._lock.holder() or "another process"
            logger.info("waiting for %s to build the index", holder)
            self._lock.acquire(forever=True)
        # Another process may have built the index while this one waited.
        self._use(self._engine or self._open_engine(warn=True))
        if self._engine is not None and not auto_update:
            self._lock.release()  # there is an index now: searched as it is
            return
        self._write_locked(lambda engine: self._sync.write(engine, full=False))

    def _update_if_free(self, manifest: Manifest) -> None:
        """Bring the index up to date unless another process is already writing it."""
        changes = self._sync.changes(manifest)
        if not changes and self._sync.vectors_current(self._engine):
            return
        try:
            if not self._lock.acquire(wait=False):
                logger.info(
                    "another process is updating %s; searching its last state", self.location
                )
                return
            self._write_locked(
                lambda engine: self._sync.write(engine, full=False, found=(manifest, changes))
            )
        except IndexDirError as exc:  # a read-only or full disk, say
            logger.warning("index not updated, searching its last state: %s", exc)

    def _write(self, *, full: bool) -> UpdateReport:
        with self._writing:  # threads first, then processes
            self._lock.acquire()
            self._write_locked(lambda engine: self._sync.write(engine, full=full))
        assert self.last_write is not None
        return self.last_write

    def _write_locked(self, write: Callable[[Engine], UpdateReport]) -> None:
        """Run ``write`` with the write lock the caller took; an index found damaged on
        the way is rebuilt from the seeds once the lock is let go."""
        damaged: CorruptEngineError | None = None
        try:
            with self._writing, _analysis.using(self.config.language):
                self.last_write = write(self._require_writable())
        except CorruptEngineError as exc:
            damaged = exc
        finally:
            self._lock.release()
        if damaged is not None:
            self._rebuild_damaged(damaged)

    def _use(self, engine: Engine | None) -> None:
        self._engine = engine
        self._searcher = (
            None
            if engine is None
            else Searcher(engine, self.config, self._sync.vectors, self._sync.embedder)
        )

    def _open_engine(self, *, warn: bool) -> Engine | None:
        for attempt in range(_READ_ATTEMPTS):  # (a commit may remove what was just listed)
            try:
                return open_engine(self.config, self._directory.engine)
            except CorruptEngineError as exc:
                if attempt == _READ_ATTEMPTS - 1 and warn:
                    self._say_damaged(exc)
        return None

    def _say_damaged(self, problem: CorruptEngineError) -> None:
        logger.warning("index at %s is damaged (%s); rebuilding it", self.location, problem)

    def _require_writable(self) -> Engine:
        """The engine, made empty when there is none yet."""
        if self._engine is None:
            try:
                self._use(create_engine(self.config, self._directory.engine))
            except OSError as exc:
                raise IndexDirError(
                    f"cannot create index in {self.location}: {exc.strerror}"
                ) from exc
        assert self._engine is not None
        return self._engine

    def _read(self, ask: Callable[[Searcher], T]) -> T:
        """``ask`` the searcher; an index found damaged is rebuilt, and asked again.

        A reader that opened while a writer committed may find files the commit has just
        removed: before anything is called damaged, it reads the newest commit again.
        """
        with _analysis.using(self.config.language):
            for _attempt in range(_READ_ATTEMPTS):
                try:
                    return ask(self._reader())
                except CorruptEngineError as exc:
                    problem = exc
                if self._engine is not None:
                    self._engine.refresh()
            self._rebuild_damaged(problem)
            return ask(self._reader())

    def _reader(self) -> Searcher:
        searcher = self._searcher
        if searcher is None:
            raise IndexDirError(f"index at {self.location} is closed")
        return searcher

    def _rebuild_damaged(self, problem: CorruptEngineError) -> None:
        """The index is a cache: damaged files are replaced by a build from the seeds."""
        self._say_damaged(problem)
        with self._writing, self._lock, _analysis.using(self.config.language):
            if self._engine is not None:
                self._engine.close()
            self._use(None)
            self.last_write = self._sync.write(self._require_writable(), full=True)


def _stats(
    seeds: Path, location: Path, sync: Syncer, engine: Engine | None, directory: IndexDirectory
) -> Stats:
    manifest = sync.load_manifest()
    built = sync.current(engine, manifest)
    others: Counter[str] = Counter()
    changed = bool(sync.changes(manifest, others))  # (counts the other types on the way)
    stale = not built or changed
    return Stats(
        seeds=str(seeds),
        index_dir=str(location),
        files=manifest.files,
        passages=manifest.passages,
        skipped=tuple(sorted((p, e.reason) for p, e in manifest.skipped.items())),
        not_indexed=tuple(sorted(others.items(), key=lambda item: (-item[1], item[0]))),
        size_bytes=directory.size() if directory.root.is_dir() else 0,
        updated=datetime.fromtimestamp(manifest.updated, timezone.utc) if built else None,
        stale=stale,
    )


def stats(
    seeds: str | os.PathLike[str] | None = None,
    *,
    index_dir: str | os.PathLike[str] | None = None,
    config: Config | None = None,
) -> Stats:
    """The state of the index of ``seeds``, read without building or changing anything
    (a missing or interrupted index is reported as never built, and stale)."""
    config = config or Config()
    root = seeds_root(seeds)
    sources.check_root(root)
    location = index_location(root, index_dir, config)
    directory = IndexDirectory(location, config.engine, ENGINES, trusted=config.trust_index_dir)
    sync = Syncer(root, directory, config, None)
    engine = None
    if directory.holds(root, config, __version__):
        try:
            engine = open_engine(config, directory.engine)
        except CorruptEngineError:
            engine = None
    try:
        return _stats(root, location, sync, engine, directory)
    finally:
        if engine is not None:
            engine.close()


def _warn_if_broad(seeds: Path) -> None:
    """A first build of the whole disk or home folder is most likely a mistake."""
    if seeds in (Path(seeds.anchor), Path.home()):
        logger.warning(
            "indexing every document under %s (the whole %s): this may take long and "
            "fill the cache; --seeds DIR indexes one folder",
            seeds,
            "disk" if seeds == Path(seeds.anchor) else "home folder",
        )


def _check_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}")


def query(
    text: str,
    *,
    limit: int = 10,
    seeds: str | os.PathLike[str] | None = None,
    index_dir: str | os.PathLike[str] | None = None,
    strict: bool = False,
    config: Config | None = None,
    auto_update: bool = True,
    progress: ProgressHook | None = None,
) -> Results:
    """Search ``seeds`` (default: ``$SEEDINDEX_SEEDS`` or the bundled seeds) for ``text``.

    The index is built on first use and brought up to date when the seeds change.
    """
    with Index.open(
        seeds, index_dir=index_dir, config=config, auto_update=auto_update, progress=progress
    ) as ix:
        return ix.search(
            text,
            limit=limit,
            strict=strict,
        )
