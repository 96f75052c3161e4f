"""The write side of an index: files -> documents -> passages -> engine, and the manifest.

Only files whose stat changed since the manifest are read, hashed and (when their
content changed) re-indexed, all in one engine commit; then the manifest that
describes that commit replaces the old one. The caller holds the write lock.
"""

from __future__ import annotations

import logging
import posixpath
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import documents, sources
from ._config import Config
from .documents import SECTION_SEPARATOR
from .engine import CorruptEngineError, Engine, EngineError, EngineWriter, NewDocument, NewPassage
from .errors import IndexDirError, PassageNotFoundError, SeedIndexError, StaleDocumentError
from .store import IndexDirectory
from .store import manifest as _manifest
from .store.manifest import Entry, Manifest, ManifestWriter, Seen, SkippedEntry, Unchanged

if TYPE_CHECKING:
    from .semantic import VectorStore

logger = logging.getLogger("seedindex")

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
    legacy_text: int = 0  # files read as Windows-1252 or Latin-1 (they are not UTF-8)
    passages_written: int = 0
    passages: int = 0  # passages in the index afterwards
    full: bool = False
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.full)


Found = tuple[Manifest, _manifest.Changes]


class Syncer:
    """Keeps an index directory's engine and manifest in step with the seeds folder."""

    def __init__(
        self, seeds: Path, directory: IndexDirectory, config: Config, progress: ProgressHook | None
    ) -> None:
        self.seeds = seeds
        self.directory = directory
        self.config = config
        self.progress = progress
        self._manifest_seen: tuple[tuple[int, int, int], Manifest] | None = None
        self.embedder: Any = None
        self.vectors: VectorStore | None = None
        if config.semantic:
            from . import semantic

            self.embedder = config.embedder or semantic.default_embedder()
            self.vectors = semantic.VectorStore(directory.vectors)

    def changes(self, manifest: Manifest, others: Counter[str] | None = None) -> _manifest.Changes:
        """What changed in the seeds since ``manifest``; files of other types are
        counted in ``others``, if given."""
        lines = _manifest.lines(self.directory.manifest)
        return _manifest.changes(manifest, lines, self._walk(others))

    def load_manifest(self) -> Manifest:
        """The manifest on disk, read again only when the file was replaced."""
        key = self._manifest_key()
        if key is None:
            return Manifest()
        if self._manifest_seen is None or self._manifest_seen[0] != key:
            self._manifest_seen = (key, _manifest.load(self.directory.manifest) or Manifest())
        return self._manifest_seen[1]

    @staticmethod
    def current(engine: Engine | None, manifest: Manifest) -> bool:
        """Whether ``manifest`` describes the engine's last commit."""
        return engine is not None and manifest.generation == engine.generation()

    def write(self, engine: Engine, *, full: bool, found: Found | None = None) -> UpdateReport:
        """Apply the seeds' changes in one commit.

        Without a manifest that matches the engine's last commit (new index, or a
        crash between commit and manifest), everything is indexed afresh. The seeds
        folder is walked to count what changed (``found``: what the caller found beside
        a manifest), then, unless the changes were few, again to index them.
        """
        began = time.monotonic()
        before = self.load_manifest()
        full = full or not self.current(engine, before) or not self.vectors_current(engine)
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
        try:
            writer: EngineWriter = engine.writer(files=changes.suspects, size=changes.suspect_bytes)
        except (OSError, EngineError) as exc:
            raise self._cannot_write(exc) from exc
        recording = _Recording(writer) if self.vectors is not None else None
        writer = recording or writer
        out: ManifestWriter | None = None
        try:
            out = ManifestWriter(self.directory.manifest)
            seen, left_out = self._seen(before, changes, full=full)
            counts, skipped = _apply(writer, out, before, seen, changes.suspects, self, full=full)
            skipped.update((path, SkippedEntry(reason)) for path, reason in left_out.items())
            writer.commit(replace_all=full)
        except BaseException as exc:
            writer.cancel()
            if out is not None:
                out.discard()
            if isinstance(exc, OSError | EngineError) and not isinstance(exc, CorruptEngineError):
                raise self._cannot_write(exc) from exc
            raise
        try:
            after = out.save(skipped, engine.generation())
            self._remember_manifest(after)
            if recording is not None:
                self._save_vectors(engine.generation(), recording, full=full)
        except OSError as exc:
            out.discard()
            # The next writer sees the manifest (or the vectors) behind the engine: rebuilds.
            raise self._cannot_write(exc) from exc
        engine.refresh()
        return UpdateReport(
            **counts,
            skipped=len(skipped),
            passages=after.passages,
            full=full,
            seconds=time.monotonic() - began,
        )

    def vectors_current(self, engine: Engine | None) -> bool:
        """Whether the vectors (if semantic) describe the engine's last commit."""
        if self.vectors is None or engine is None:
            return True
        return self.vectors.describes(engine.generation(), self.embedder)

    def _save_vectors(self, generation: int, recording: _Recording, *, full: bool) -> None:
        assert self.vectors is not None
        progress = self.progress

        def embedded(done: int, to_do: int) -> None:
            if progress is not None:
                progress(done, to_do, 0)

        self.vectors.apply(
            generation,
            self.embedder,
            recording.removed,
            recording.added,
            full=full,
            progress=embedded,
        )

    def document(self, path: str) -> documents.Parsed:
        """The document ``path`` as it was indexed (its text is what passage offsets
        point into); PassageNotFoundError when it is not indexed, StaleDocumentError when
        its file changed since."""
        entry = _manifest.entry(self.directory.manifest, path)
        source = sources.find(self.seeds, path, self.config)
        if entry is None or isinstance(source, sources.Skipped):
            raise PassageNotFoundError(f"no indexed document {path}")
        loaded = sources.read(source, self.config.max_file_bytes)
        if isinstance(loaded, sources.Skipped) or loaded.sha256 != entry.sha256:
            raise StaleDocumentError(f"{path} changed since it was indexed; update the index")
        try:
            return documents.parse(path, loaded.data, self.config.max_file_bytes)
        except documents.Unreadable as exc:  # a reader's code changed since, say
            raise StaleDocumentError(f"{path} cannot be read again: {exc}") from None

    def _cannot_write(self, problem: Exception) -> SeedIndexError:
        if isinstance(problem, SeedIndexError):  # a shard that cannot be reached, say
            return problem
        return IndexDirError(f"cannot write index at {self.directory.root}: {problem}")

    def _walk(
        self, others: Counter[str] | None = None
    ) -> Iterator[sources.SourceFile | sources.Skipped]:
        return sources.walk(self.seeds, self.config, others)

    def _remember_manifest(self, saved: Manifest) -> None:
        """What this process just saved need not be read back."""
        key = self._manifest_key()
        self._manifest_seen = None if key is None else (key, saved)

    def _manifest_key(self) -> tuple[int, int, int] | None:
        try:
            st = self.directory.manifest.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _changes_since(self, before: Manifest, found: Found | None) -> _manifest.Changes:
        if found is not None and found[0] is before:  # no other writer came between
            return found[1]
        return self.changes(before)

    def _seen(
        self, before: Manifest, changes: _manifest.Changes, *, full: bool
    ) -> tuple[Iterator[Seen | Unchanged | str], dict[str, str]]:
        """Every file beside its manifest line, and the files left out (filled in as the
        files come, when the folder is walked again)."""
        path = self.directory.manifest
        if changes.remembered is not None:
            chunks = () if full else _manifest.chunks(path)
            return _manifest.replay(chunks, changes.remembered), changes.remembered.left_out
        left_out: dict[str, str] = {}
        return _manifest.side_by_side(
            before,
            () if full else _manifest.lines(path),
            _manifest.files(self._walk(), left_out),
        ), left_out


class _Recording:
    """An engine writer that also notes what it deletes and adds, for the vectors."""

    def __init__(self, writer: EngineWriter) -> None:
        self._writer = writer
        self.removed: set[str] = set()
        self.added: dict[str, list[tuple[int, str]]] = {}

    def delete(self, path: str) -> None:
        self.removed.add(path)
        self.added.pop(path, None)
        self._writer.delete(path)

    def add(self, document: NewDocument) -> None:
        passages = list(document.passages)
        self.added[document.path] = [(p.start, f"{p.context}\n{p.text}") for p in passages]
        self._writer.add(attrs.evolve(document, passages=passages))

    def commit(self, *, replace_all: bool = False) -> None:
        self._writer.commit(replace_all=replace_all)

    def cancel(self) -> None:
        self._writer.cancel()


def _apply(
    writer: EngineWriter,
    out: ManifestWriter,
    before: Manifest,
    seen: Iterator[Seen | Unchanged | str],
    to_do: int,
    syncer: Syncer,
    *,
    full: bool,
) -> tuple[dict[str, int], dict[str, SkippedEntry]]:
    """Write the changed files' passages and the new manifest's lines; return the
    counts for the report, and the files left out because they could not be read."""
    skipped: dict[str, SkippedEntry] = {}
    counts = dict.fromkeys(
        ("added", "changed", "removed", "touched", "legacy_text", "passages_written"), 0
    )
    progress = syncer.progress
    done = 0
    for file in seen:
        if isinstance(file, str):  # the line of a file whose stat has not changed
            out.keep(file)
        elif isinstance(file, Unchanged):
            out.copy(file)
        elif file.same_stat:  # unreadable before, and unchanged
            skipped[file.path] = before.skipped[file.path]
        elif file.source is None:
            writer.delete(file.path)
            counts["removed"] += 1
        else:
            if progress is not None:
                progress(done, max(to_do, done), counts["passages_written"])
            done += 1
            entry = _index_file(
                writer, file.source, file.known, syncer.config, counts, skipped, full
            )
            if entry is not None:
                out.add(file.path, entry)
    if progress is not None:
        progress(done, max(to_do, done), counts["passages_written"])
    return counts, skipped


def _index_file(
    writer: EngineWriter,
    source: sources.SourceFile,
    known: Entry | None,
    config: Config,
    counts: dict[str, int],
    skipped: dict[str, SkippedEntry],
    full: bool,
) -> Entry | None:
    """Read a new or changed file and write its passages; its manifest entry."""
    loaded = sources.read(source, config.max_file_bytes)
    if isinstance(loaded, sources.Skipped):
        _skip(writer, source, known, loaded.reason, counts, skipped)
        return None
    if known is not None and known.sha256 == loaded.sha256:
        counts["touched"] += 1
        return attrs.evolve(known, size=loaded.source.size, mtime_ns=loaded.source.mtime_ns)
    try:
        document = documents.parse(source.path, loaded.data, config.max_file_bytes)
    except documents.Unreadable as exc:
        _skip(writer, source, known, str(exc), counts, skipped)
        return None
    if document.legacy_encoding:
        logger.info("read %s as Windows-1252 (it is not UTF-8)", source.path)
        counts["legacy_text"] += 1
    spans = documents.passages(document, config.max_passage_words)
    if not full:  # a full build replaces everything at commit: nothing to delete
        writer.delete(source.path)  # also after a crash left passages the manifest lacks
    passages = _passages(document, spans, source.path)
    writer.add(NewDocument(source.path, document.title, document.tags, passages, document.text))
    counts["changed" if known is not None else "added"] += 1
    counts["passages_written"] += len(spans)
    return Entry(loaded.source.size, loaded.source.mtime_ns, loaded.sha256, len(spans))


def _skip(
    writer: EngineWriter,
    source: sources.SourceFile,
    known: Entry | None,
    reason: str,
    counts: dict[str, int],
    skipped: dict[str, SkippedEntry],
) -> None:
    """Leave a file out (and its passages, if it had any), remembering why."""
    logger.warning("skipped %s: %s", source.path, reason)
    skipped[source.path] = SkippedEntry(reason, source.size, source.mtime_ns, source.ctime_ns)
    if known is not None:
        writer.delete(source.path)
        counts["removed"] += 1


def _passages(
    document: documents.Parsed, spans: list[documents.Span], path: str
) -> Iterator[NewPassage]:
    """Each passage with the words it is also found by: the titles of its section and
    document, and its file name's words (numbers and single letters aside)."""
    # Not a PurePosixPath: it interns every file name, and Python's table of interned
    # strings grows with the folder (1 MB at 50,000 files) and never shrinks.
    stem = posixpath.splitext(posixpath.basename(path))[0]
    name = " ".join(w for w in re.split(r"[\W_]+", stem) if len(w) > 1 and not w.isdigit())
    text, title = document.text, document.title
    for span in spans:
        own = text[span.start : span.end]
        headings = [title, *span.section.split(SECTION_SEPARATOR)] if span.section else [title]
        # A passage that is the title (a plain text's first line) holds its words already.
        context = [h for h in dict.fromkeys(headings) if h and h != " ".join(own.split())]
        yield NewPassage(
            span.start,
            span.end,
            span.line,
            span.end_line,
            own,
            "\n".join([*context, name]),
            span.section,
            span.page,
        )
