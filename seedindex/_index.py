"""The index of a seeds folder: keeping it current and searching it.

Files -> documents -> passages -> engine: only files whose stat changed since
the manifest are read, hashed and (when their content changed) re-indexed, all
in one engine commit, under a write lock. Readers never wait for a writer: they
search the last committed state.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from . import _documents, _manifest, _query
from ._config import Config, index_location, seeds_root
from ._directory import IndexDirectory
from ._engine import CorruptEngineError, Engine, EngineWriter, Postings, WriterProcessError
from ._manifest import Entry, Manifest, ManifestWriter, Seen, SkippedEntry, Unchanged
from ._results import Explanation, Passage, to_passage
from .errors import ConfigError, IndexDirError, PassageNotFoundError

if TYPE_CHECKING:
    from ._passages import Span

logger = logging.getLogger("seedindex")

# Batches of this many files or more are analysed by one process per core.
_PARALLEL_FROM_FILES = 500

#: Called while indexing with (files done, files to do, passages written).
ProgressHook = Callable[[int, int, int], None]


@attrs.frozen
class UpdateReport:
    """What an update or build changed, in files and passages."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    touched: int = 0  # stat changed, content did not: hashed, not re-indexed
    skipped: int = 0  # files left out (binary, unreadable, ...)
    passages_written: int = 0
    passages: int = 0  # passages in the index afterwards
    full: bool = False
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.full)


@attrs.frozen
class Stats:
    """The state of an index, as ``seedindex status`` shows it."""

    seeds: str
    index_dir: str
    files: int
    passages: int
    skipped: tuple[tuple[str, str], ...]  # (path, reason)
    size_bytes: int
    updated: datetime | None
    stale: bool


class Index:
    """A searchable index of one seeds folder. Open it with :meth:`Index.open`."""

    def __init__(
        self, seeds: Path, location: Path, config: Config, progress: ProgressHook | None
    ) -> None:
        self.seeds = seeds
        self.location = location
        self.config = config
        self._directory = IndexDirectory(location)
        self._lock = self._directory.lock(config.lock_timeout)
        self._progress = progress
        self._engine: Engine | None = None
        self._syntax: Any = None
        self._manifest_seen: tuple[tuple[int, int, int], Manifest] | None = None
        # The last query ranked, with the postings it was ranked over: explaining its
        # passages one by one (``--explain``) ranks it once, not once a passage.
        self._last_ranked: (
            tuple[tuple[str, bool, Postings], _query.Plan, dict[int, float]] | None
        ) = None
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
    ) -> Index:
        """Open the index of ``seeds``, building it or bringing it up to date as needed.

        ``seeds`` defaults to ``$SEEDINDEX_SEEDS`` or the bundled seeds; the index
        lives in ``index_dir``, ``$SEEDINDEX_INDEX_DIR`` or the user cache.
        """
        config = config or Config()
        root = seeds_root(seeds)
        _documents.check_root(root)
        ix = cls(root, index_location(root, index_dir), config, progress)
        try:
            ix._start(auto_update)
        except BaseException:
            ix.close()
            raise
        return ix

    # -- reading -------------------------------------------------------------

    def search(
        self, text: str, *, limit: int = 10, strict: bool = False, per_file: int | None = None
    ) -> list[Passage]:
        """The passages matching ``text``, best first (ties by path, then offset).

        ``per_file`` keeps at most that many passages of any one file.
        """
        _check_count("limit", limit)
        if per_file is not None:
            _check_count("per_file", per_file)
        engine = self._require_engine()
        how, scores = self._rank(text, strict)
        hits = _query.top_hits(engine, scores, limit, per_file)
        return [to_passage(hit, how.words, self.config.highlight) for hit in hits]

    def suggest(self, text: str) -> str | None:
        """The query with unknown words replaced by their likeliest spelling in the
        index (``"humanitarain aid"`` -> ``"humanitarian aid"``), or None."""
        from . import _spelling

        engine = self._require_engine()
        return _spelling.suggest(text, engine.postings(), lambda doc: engine.stored(doc)["text"])

    def passage_at(self, path: str, line: int) -> Passage:
        """The passage of file ``path`` (relative to the seeds) that holds ``line``."""
        for _doc, stored in self._require_engine().passages_of(path):
            if stored["line"] <= line <= stored["end_line"]:
                return to_passage(_query.hit(stored, 0.0), (), self.config.highlight)
        raise PassageNotFoundError(f"no indexed passage at {path}:{line}")

    def similar(self, passage: Passage, *, limit: int = 10) -> list[Passage]:
        """Passages most like ``passage`` (more like this), best first, not itself."""
        _check_count("limit", limit)
        engine = self._require_engine()
        how, scores = _query.rank(
            engine, _query.similar_plan(passage.text, engine.postings()), None, feedback=False
        )
        hits = _query.top_hits(engine, scores, limit + 1)
        others = [h for h in hits if (h.path, h.start) != (passage.path, passage.start)]
        return [to_passage(hit, how.words, self.config.highlight) for hit in others[:limit]]

    def explain(self, text: str, passage: Passage) -> Explanation:
        """Why ``passage`` scores as it does for ``text``: each query term's part."""
        engine = self._require_engine()
        for doc, stored in engine.passages_of(passage.path):
            if stored["start"] == passage.start:
                how, _scores = self._rank(text, strict=False)
                return _query.explain(how, engine.postings(), doc)
        raise PassageNotFoundError(f"no indexed passage at {passage.path}:{passage.line}")

    def _rank(self, text: str, strict: bool) -> tuple[_query.Plan, dict[int, float]]:
        """How ``text`` is ranked (with the words feedback lends), and the scores."""
        engine = self._require_engine()
        key = (text, strict, engine.postings())  # new postings after every write
        if self._last_ranked is not None and self._last_ranked[0] == key:
            return self._last_ranked[1], self._last_ranked[2]
        parsed, how = self._plan(text, strict)
        matching = None if how.bag else _query.matching(engine, parsed)
        how, scores = _query.rank(engine, how, matching, feedback=self.config.feedback)
        self._last_ranked = (key, how, scores)
        return how, scores

    def _plan(self, text: str, strict: bool) -> tuple[Any, _query.Plan]:
        """The parsed query (None for plain words) and how to rank it."""
        engine = self._require_engine()
        if _query.is_plain(text):
            return None, _query.plain_plan(text, engine.postings())
        from . import _syntax  # the query language, loaded only for queries that use it

        if self._syntax is None:
            self._syntax = _syntax.QueryReader(engine.reader().schema)
        parsed = self._syntax.parse(text, strict=strict)
        return parsed, _syntax.plan(parsed, text, engine.postings(), engine.reader())

    def stats(self) -> Stats:
        """Counts, size, last update and whether the seeds changed since."""
        manifest = self._load_manifest()
        stale = not self._manifest_current(manifest) or bool(self._changes(manifest))
        return Stats(
            seeds=str(self.seeds),
            index_dir=str(self.location),
            files=manifest.files,
            passages=manifest.passages,
            skipped=tuple(sorted((p, e.reason) for p, e in manifest.skipped.items())),
            size_bytes=self._directory.size(),
            updated=datetime.fromtimestamp(manifest.updated, timezone.utc)
            if manifest.updated
            else None,
            stale=stale,
        )

    # -- writing -------------------------------------------------------------

    def update(self) -> UpdateReport:
        """Re-index only what changed in the seeds since the last update."""
        with self._lock:
            return self._write(full=False)

    def build(self) -> UpdateReport:
        """Re-index everything; readers see the old index until the new one is committed."""
        with self._lock:
            return self._write(full=True)

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

    def _walk(self) -> Iterator[_documents.SourceFile | _documents.Skipped]:
        return _documents.walk(self.seeds, self.config)

    def _changes(self, manifest: Manifest) -> _manifest.Changes:
        lines = _manifest.entries(self._directory.manifest)
        return _manifest.changes(manifest, lines, self._walk())

    def _start(self, auto_update: bool) -> None:
        from . import __version__

        if not self._directory.claim(
            self.seeds, self.config, __version__, self.config.lock_timeout
        ):
            self._engine = self._open_engine(warn=False)
        if self._engine is not None and self._manifest_current(self._load_manifest()):
            if auto_update:
                self._update_if_free()
            return
        with self._lock:
            # Another process may have built the index while this one waited.
            self._engine = self._engine or self._open_engine(warn=True)
            self._write(full=False)

    def _update_if_free(self) -> None:
        """Bring the index up to date unless another process is already writing it."""
        manifest = self._load_manifest()
        changes = self._changes(manifest)
        if not changes:
            return
        if not self._lock.acquire(wait=False):
            logger.info("another process is updating %s; searching its last state", self.location)
            return
        try:
            self._write(full=False, found=(manifest, changes))
        except IndexDirError as exc:
            logger.warning("index not updated, searching its last state: %s", exc)
        finally:
            self._lock.release()

    def _open_engine(self, *, warn: bool) -> Engine | None:
        if not self._directory.engine.exists():
            return None
        try:
            return Engine.open(self._directory.engine)
        except CorruptEngineError as exc:
            if warn:
                logger.warning("index at %s is damaged (%s); rebuilding it", self.location, exc)
            return None

    def _require_engine(self) -> Engine:
        if self._engine is None:
            raise IndexDirError(f"index at {self.location} is closed")
        return self._engine

    def _load_manifest(self) -> Manifest:
        """The manifest on disk, read again only when the file was replaced."""
        key = self._manifest_key()
        if key is None:
            return Manifest()
        if self._manifest_seen is None or self._manifest_seen[0] != key:
            self._manifest_seen = (key, _manifest.load(self._directory.manifest) or Manifest())
        return self._manifest_seen[1]

    def _remember_manifest(self, saved: Manifest) -> None:
        """What this process just saved need not be read back."""
        key = self._manifest_key()
        self._manifest_seen = None if key is None else (key, saved)

    def _manifest_key(self) -> tuple[int, int, int] | None:
        try:
            st = self._directory.manifest.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _manifest_current(self, manifest: Manifest) -> bool:
        return self._engine is not None and manifest.generation == self._engine.generation()

    def _changes_since(
        self, before: Manifest, found: tuple[Manifest, _manifest.Changes] | None
    ) -> _manifest.Changes:
        if found is not None and found[0] is before:  # no other writer came between
            return found[1]
        return self._changes(before)

    def _seen(
        self, before: Manifest, changes: _manifest.Changes, *, full: bool
    ) -> tuple[Iterator[Seen | Unchanged], dict[str, str]]:
        """Every file beside its manifest line, and the files left out (filled in as the
        files come, when the folder is walked again)."""
        path = self._directory.manifest
        if changes.remembered is not None:
            lines = () if full else _manifest.lines(path)
            return _manifest.replay(lines, changes.remembered), changes.remembered.left_out
        left_out: dict[str, str] = {}
        return _manifest.side_by_side(
            before,
            () if full else _manifest.entries(path),
            _manifest.files(self._walk(), left_out),
        ), left_out

    def _write(
        self, *, full: bool, found: tuple[Manifest, _manifest.Changes] | None = None
    ) -> UpdateReport:
        """Apply the seeds' changes in one commit (the caller holds the write lock).

        Without a manifest that matches the engine's last commit (new index, or
        a crash between commit and manifest), everything is indexed afresh. The
        seeds folder is walked to count what changed (``found``: what the caller found
        beside a manifest), then, unless the changes were few, again to index them.
        """
        began = time.monotonic()
        if self._engine is None:
            self._engine = _create_engine(self._directory.engine)
        before = self._load_manifest()
        full = full or not self._manifest_current(before)
        changes = None if full else self._changes_since(before, found)
        if changes is not None and not changes:
            return UpdateReport(
                skipped=len(before.skipped),
                passages=before.passages,
                seconds=time.monotonic() - began,
            )
        if changes is None or changes.damaged:
            full, before = True, Manifest()
            changes = _manifest.changes(before, (), self._walk())
        writer = self._engine.writer(parallel=changes.suspects >= _PARALLEL_FROM_FILES)
        out: ManifestWriter | None = None
        try:
            out = ManifestWriter(self._directory.manifest)
            seen, left_out = self._seen(before, changes, full=full)
            counts, skipped = _apply(
                writer, out, before, seen, changes.suspects, self.config, self._progress, full=full
            )
            skipped.update((path, SkippedEntry(reason)) for path, reason in left_out.items())
            writer.commit(replace_all=full)
        except BaseException as exc:
            writer.cancel()
            if out is not None:
                out.discard()
            if isinstance(exc, (OSError, WriterProcessError)):
                raise IndexDirError(f"cannot write index at {self.location}: {exc}") from exc
            raise
        try:
            after = out.save(skipped, self._engine.generation())
            self._remember_manifest(after)
        except OSError as exc:
            out.discard()
            # The next writer sees the manifest is behind the engine and rebuilds.
            raise IndexDirError(f"cannot write index at {self.location}: {exc}") from exc
        self._engine.refresh()
        self.last_write = UpdateReport(
            **counts,
            skipped=len(skipped),
            passages=after.passages,
            full=full,
            seconds=time.monotonic() - began,
        )
        return self.last_write


def _apply(
    writer: EngineWriter,
    out: ManifestWriter,
    before: Manifest,
    seen: Iterator[Seen | Unchanged],
    to_do: int,
    config: Config,
    progress: ProgressHook | None,
    *,
    full: bool,
) -> tuple[dict[str, int], dict[str, SkippedEntry]]:
    """Write the changed files' passages and the new manifest's lines; return the
    counts for the report, and the files left out because they could not be read."""
    skipped: dict[str, SkippedEntry] = {}
    counts = dict.fromkeys(("added", "changed", "removed", "touched", "passages_written"), 0)
    done = 0
    for file in seen:
        if isinstance(file, Unchanged):
            out.copy(file)
        elif file.same_stat:
            if file.known is not None:
                out.add(file.path, file.known, file.line)
            else:  # unreadable before, and unchanged
                skipped[file.path] = before.skipped[file.path]
        elif file.source is None:
            writer.delete(file.path)
            counts["removed"] += 1
        else:
            if progress is not None:
                progress(done, max(to_do, done), counts["passages_written"])
            done += 1
            entry = _index_file(writer, file.source, file.known, config, counts, skipped, full)
            if entry is not None:
                out.add(file.path, entry)
    if progress is not None:
        progress(done, max(to_do, done), counts["passages_written"])
    return counts, skipped


def _index_file(
    writer: EngineWriter,
    source: _documents.SourceFile,
    known: Entry | None,
    config: Config,
    counts: dict[str, int],
    skipped: dict[str, SkippedEntry],
    full: bool,
) -> Entry | None:
    """Read a new or changed file and write its passages; its manifest entry."""
    from . import _passages  # writing only: a search does not load it

    document = _documents.read(source)
    if isinstance(document, _documents.Skipped):
        logger.warning("skipped %s: %s", document.path, document.reason)
        skipped[source.path] = SkippedEntry(document.reason, source.size, source.mtime_ns)
        if known is not None:
            writer.delete(source.path)
            counts["removed"] += 1
        return None
    if known is not None and known.sha256 == document.sha256:
        counts["touched"] += 1
        return attrs.evolve(known, size=source.size, mtime_ns=source.mtime_ns)
    spans = _passages.split(document.text, config.max_passage_words)
    if not full:  # a full build replaces everything at commit: nothing to delete
        writer.delete(source.path)  # also after a crash left passages the manifest lacks
    title = _passages.title(document.text, spans)
    writer.add(source.path, document.text, _with_context(spans, title, source.path), title)
    counts["changed" if known is not None else "added"] += 1
    counts["passages_written"] += len(spans)
    return Entry(source.size, source.mtime_ns, document.sha256, len(spans))


def _with_context(spans: list[Span], title: str, path: str) -> Iterator[tuple[Span, str]]:
    """Each passage with the words it is also found by: its file's title and name."""
    # Not a PurePosixPath: it interns every file name, and Python's table of interned
    # strings grows with the folder (1 MB at 50,000 files) and never shrinks.
    name = re.sub(r"[\W_]+", " ", posixpath.splitext(posixpath.basename(path))[0])
    for number, span in enumerate(spans):
        # The title's own passage already holds the title's words.
        yield span, name if number == 0 and title else f"{title}\n{name}"


def _check_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}")


def _create_engine(folder: Path) -> Engine:
    try:
        return Engine.create(folder)
    except OSError as exc:
        raise IndexDirError(f"cannot create index in {folder.parent}: {exc.strerror}") from exc


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
) -> list[Passage]:
    """Search ``seeds`` (default: ``$SEEDINDEX_SEEDS`` or the bundled seeds) for ``text``.

    The index is built on first use and brought up to date when the seeds change.
    """
    with Index.open(
        seeds, index_dir=index_dir, config=config, auto_update=auto_update, progress=progress
    ) as ix:
        return ix.search(text, limit=limit, strict=strict)
