"""What the index holds, file by file, and what changed in the seeds since.

The manifest is a file of lines: a JSON header (counts, skipped files, the engine
commit it describes), then one line per indexed file in path order. It is read and
written a line at a time, side by side with the walk of the seeds folder (which
comes in the same order), so that neither grows with the number of files in memory.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import attrs

from .._fs import write_atomically
from ..sources import Skipped, SourceFile

_FORMAT = 2


@attrs.frozen
class Entry:
    """An indexed file as it was when indexed."""

    size: int
    mtime_ns: int
    sha256: str
    passages: int


@attrs.frozen
class SkippedEntry:
    """A file that was left out, and the stat it had then (-1 when it had none).

    The status change time is part of it: a file made readable by ``chmod`` keeps its
    size and modification time, and must be read again.
    """

    reason: str
    size: int = -1
    mtime_ns: int = -1
    ctime_ns: int = -1


@attrs.frozen
class Manifest:
    """The manifest's header: totals, skipped files, and the engine commit it describes.

    The manifest is written just after the engine commits; when a crash comes
    between the two, ``generation`` no longer matches the engine's and the
    index is rebuilt rather than trusted.
    """

    files: int = 0
    passages: int = 0
    skipped: dict[str, SkippedEntry] = attrs.field(factory=dict)
    updated: float = 0.0
    generation: int = -1


class DamagedManifestError(ValueError):
    """The manifest's lines cannot be read: the index is rebuilt."""


#: A manifest line: the file's path and the line as written (copied as it is to the
#: next manifest when the file has not changed; its entry read only when it has).
Line = tuple[str, str]

# Up to this many changed files, the first walk of an update remembers them and the
# second pass needs no walk.
_REMEMBERED = 1000
# The manifest is read in lists of lines of about this many bytes: the second pass
# copies a list without a change as it is.
_CHUNK_BYTES = 1 << 20


@attrs.frozen
class Seen:
    """A file of the seeds folder beside the manifest's entry for its path.

    ``source`` is None for a file that is gone (or, with ``same_stat``, not looked at
    again); ``known`` is None for a file the manifest does not list.
    """

    path: str
    source: SourceFile | None
    known: Entry | None
    same_stat: bool


@attrs.frozen
class Remembered:
    """The changes a walk found, when few: enough to apply them without walking again."""

    suspects: tuple[SourceFile, ...]
    removed: frozenset[str]
    known: dict[str, Entry]  # the manifest's entries of the changed and removed files
    unread_kept: tuple[str, ...]  # unreadable files that have not changed
    left_out: dict[str, str]  # (path, reason) of what the walk left out


@attrs.frozen
class Changes:
    """What changed since the manifest: files to look at (``suspects``: new or with
    a different stat), files removed, and whether the skipped files differ."""

    suspects: int
    removed: int
    skipped_changed: bool
    damaged: bool = False
    remembered: Remembered | None = None
    suspect_bytes: int = 0  # the suspects' sizes, summed

    def __bool__(self) -> bool:
        return bool(self.suspects or self.removed or self.skipped_changed or self.damaged)


def side_by_side(
    manifest: Manifest, lines: Iterable[Line], found: Iterable[SourceFile]
) -> Iterator[Seen | str]:
    """Join the manifest's lines and the files found, both in path order. An indexed
    file whose stat is still the line's comes as its line, as it is (nearly every file
    of an update: neither the line nor the file is looked at further).

    Raises DamagedManifestError when a line cannot be read."""
    entries, files = iter(lines), iter(found)
    entry, source = next(entries, None), next(files, None)
    while entry is not None or source is not None:
        if source is None or (entry is not None and entry[0] < source.path):
            assert entry is not None
            yield Seen(entry[0], None, _entry(entry[1]), same_stat=False)
            entry = next(entries, None)
        elif entry is None or source.path < entry[0]:
            known = manifest.skipped.get(source.path)
            yield Seen(source.path, source, None, _same_stat(known, source))
            source = next(files, None)
        else:
            line = entry[1]
            if _same_stat_line(line, source):
                yield line
            else:
                yield Seen(source.path, source, _entry(line), same_stat=False)
            entry, source = next(entries, None), next(files, None)


def replay(chunks: Iterable[list[str]], remembered: Remembered) -> Iterator[Seen | Unchanged]:
    """What ``side_by_side`` gave, from the manifest's lines (in lists, see ``chunks``)
    and the remembered changes; the lines between changes come as they are, a list
    without a change at once (its lines not looked at one by one)."""
    changes = _Replay(remembered)
    for chunk in chunks:
        last = _path(chunk[-1])
        if changes.none_up_to(last):
            yield _unchanged(chunk)
        else:
            yield from changes.among(chunk)
        changes.passed(last)
    yield from changes.rest()


class _Replay:
    """The remembered changes, given out in path order beside the manifest's lines."""

    def __init__(self, remembered: Remembered) -> None:
        self._remembered = remembered
        self._suspects = iter(remembered.suspects)
        self._source = next(self._suspects, None)
        self._removed = sorted(remembered.removed)
        self._removed_passed = 0

    def none_up_to(self, path: str) -> bool:
        """Whether no change is of a path up to ``path`` (the lines passed aside)."""
        removed, passed = self._removed, self._removed_passed
        return (self._source is None or path < self._source.path) and (
            passed == len(removed) or path < removed[passed]
        )

    def passed(self, path: str) -> None:
        """The lines up to ``path`` are given out."""
        self._removed_passed = bisect.bisect_right(self._removed, path, self._removed_passed)

    def among(self, lines: list[str]) -> Iterator[Seen | Unchanged]:
        """The changes up to the last of ``lines``, and the lines between them."""
        known, removed = self._remembered.known, self._remembered.removed
        kept: list[str] = []
        for line in lines:
            path = _path(line)
            source = self._source
            if (source is None or path < source.path) and path not in removed:
                kept.append(line)
                continue
            if kept:
                yield _unchanged(kept)
                kept = []
            while source is not None and source.path < path:  # new files before it
                yield Seen(source.path, source, None, same_stat=False)
                source = self._source = next(self._suspects, None)
            if source is not None and source.path == path:
                yield Seen(path, source, known[path], same_stat=False)
                self._source = next(self._suspects, None)
            elif path in removed:
                yield Seen(path, None, known[path], same_stat=False)
            else:
                kept.append(line)
        if kept:
            yield _unchanged(kept)

    def rest(self) -> Iterator[Seen]:
        """The new files after the manifest's last line, and the unreadable kept."""
        while self._source is not None:
            yield Seen(self._source.path, self._source, None, same_stat=False)
            self._source = next(self._suspects, None)
        for path in self._remembered.unread_kept:
            yield Seen(path, None, None, same_stat=True)


@attrs.frozen
class Unchanged:
    """Consecutive lines of the manifest whose files have not changed, as they are."""

    text: str
    files: int
    passages: int


def _unchanged(lines: list[str]) -> Unchanged:
    return Unchanged("".join(lines), len(lines), sum(map(_passages, lines)))


def _same_stat_line(line: str, source: SourceFile) -> bool:
    """Whether a manifest line has ``source``'s stat; DamagedManifestError when the
    line could not be read whole (as ``_entry`` reads it, should the file change)."""
    if line.count("\t") != 4:
        raise DamagedManifestError("damaged manifest line: not five fields")
    _passages(line)
    return line.startswith(f"\t{source.size}\t{source.mtime_ns}\t", line.find("\t"))


def _same_stat(known: SkippedEntry | None, source: SourceFile) -> bool:
    """Whether a file left out before has the stat it had then."""
    if known is None:
        return False
    return (known.size, known.mtime_ns, known.ctime_ns) == (
        source.size,
        source.mtime_ns,
        source.ctime_ns,
    )


def changes(
    manifest: Manifest, lines: Iterable[Line], walk: Iterable[SourceFile | Skipped]
) -> Changes:
    """Compare a walk of the seeds with the manifest's ``lines`` by stat alone (cheap)."""
    left_out: dict[str, str] = {}
    unread_kept: set[str] = set()
    changed: list[Seen] = []  # the first _REMEMBERED and one
    suspects = removed = suspect_bytes = 0
    try:
        for seen in side_by_side(manifest, lines, files(walk, left_out)):
            if isinstance(seen, str):
                continue
            if seen.same_stat:
                if seen.known is None:
                    unread_kept.add(seen.path)
                continue
            suspects += seen.source is not None
            suspect_bytes += seen.source.size if seen.source is not None else 0
            removed += seen.source is None
            if len(changed) <= _REMEMBERED:
                changed.append(seen)
    except DamagedManifestError:
        return Changes(0, 0, False, damaged=True)
    before = {p: e.reason for p, e in manifest.skipped.items() if e.size < 0}
    unread_gone = any(e.size >= 0 and p not in unread_kept for p, e in manifest.skipped.items())
    remembered = None
    if len(changed) <= _REMEMBERED:
        remembered = Remembered(
            suspects=tuple(seen.source for seen in changed if seen.source is not None),
            removed=frozenset(seen.path for seen in changed if seen.source is None),
            known={seen.path: seen.known for seen in changed if seen.known is not None},
            unread_kept=tuple(sorted(unread_kept)),
            left_out=left_out,
        )
    skipped_changed = unread_gone or left_out != before
    return Changes(suspects, removed, skipped_changed, False, remembered, suspect_bytes)


def files(walk: Iterable[SourceFile | Skipped], skipped: dict[str, str]) -> Iterator[SourceFile]:
    """The files of a walk; what it left out is put in ``skipped`` on the way."""
    for item in walk:
        if isinstance(item, Skipped):
            skipped[item.path] = item.reason
        else:
            yield item


def load(path: Path) -> Manifest | None:
    """The manifest's header, or None when it is missing, unreadable or of another format."""
    try:
        with open(path, encoding="utf-8") as lines:
            data = json.loads(lines.readline())
        if data.get("format") != _FORMAT:
            return None
        return Manifest(
            files=int(data["files"]),
            passages=int(data["passages"]),
            skipped={p: SkippedEntry(*values) for p, values in data["skipped"].items()},
            updated=float(data["updated"]),
            generation=int(data["generation"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def entry(path: Path, file: str) -> Entry | None:
    """The manifest's entry of ``file``; None when it lists no such file.

    Raises DamagedManifestError when its line cannot be read.
    """
    return next((_entry(line) for found, line in lines(path) if found == file), None)


def _entry(line: str) -> Entry:
    try:
        _file, size, mtime_ns, sha256, passages = line[:-1].split("\t")
        return Entry(int(size), int(mtime_ns), sha256, int(passages))
    except ValueError as exc:
        raise DamagedManifestError(f"damaged manifest line: {exc}") from None


def lines(path: Path) -> Iterator[Line]:
    """(file path, line) of the manifest's lines in path order, the rest of each line
    not read; none when there is no manifest.

    Raises DamagedManifestError when a line is cut short."""
    for chunk in chunks(path):
        for line in chunk:
            yield _path(line), line


def chunks(path: Path) -> Iterator[list[str]]:
    """The manifest's lines in path order, in lists of about ``_CHUNK_BYTES``; none
    when there is no manifest.

    Raises DamagedManifestError when a line is cut short."""
    body = _body(path)
    if body is None:
        return
    with body:
        while chunk := body.readlines(_CHUNK_BYTES):
            if not chunk[-1].endswith("\n"):  # (only a file's last line can lack one)
                raise DamagedManifestError("damaged manifest line: cut short")
            yield chunk


def _path(line: str) -> str:
    """The file path of a manifest line."""
    end = line.find("\t")
    if end < 0:
        raise DamagedManifestError("damaged manifest line: cut short")
    file = line[:end]
    return _unescape(file) if "\\" in file else file


def _body(path: Path) -> TextIO | None:
    """The manifest opened after its header; None when there is none."""
    try:
        body = open(path, encoding="utf-8", newline="\n")  # noqa: SIM115  (the caller closes it)
    except FileNotFoundError:
        return None
    body.readline()
    return body


def _passages(line: str) -> int:
    try:
        return int(line[line.rindex("\t") + 1 : -1])
    except ValueError as exc:
        raise DamagedManifestError(f"damaged manifest line: {exc}") from None


# A line is the path and the entry's fields, tab-separated: a tab, a newline or a
# backslash in a path is written as a backslash and a letter.
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n"})
_ESCAPED = re.compile(r"\\(.)")
_UNESCAPE = {"\\": "\\", "t": "\t", "n": "\n"}


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda match: _UNESCAPE[match.group(1)], text)


class ManifestWriter:
    """Writes a new manifest a line at a time; it replaces the old one in ``save``."""

    def __init__(self, path: Path) -> None:
        """Only under the write lock: what a killed writer left beside the manifest goes."""
        for left in path.parent.glob(f".{path.name}.*"):
            left.unlink(missing_ok=True)
        self._path = path
        self._body = path.with_name(f".{path.name}.{os.getpid()}.lines")
        self._lines = open(self._body, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.files = self.passages = 0

    def add(self, path: str, entry: Entry) -> None:
        """The next file, in path order."""
        fields = (entry.size, entry.mtime_ns, entry.sha256, entry.passages)
        self._lines.write("\t".join([path.translate(_ESCAPE), *map(str, fields)]) + "\n")
        self.files += 1
        self.passages += entry.passages

    def keep(self, line: str) -> None:
        """The next file's unchanged line of the old manifest."""
        self._lines.write(line)
        self.files += 1
        self.passages += _passages(line)

    def copy(self, unchanged: Unchanged) -> None:
        """The next files' unchanged lines of the old manifest."""
        self._lines.write(unchanged.text)
        self.files += unchanged.files
        self.passages += unchanged.passages

    def save(self, skipped: dict[str, SkippedEntry], generation: int) -> Manifest:
        """Write the header and the lines to the manifest's place in one step."""
        header = Manifest(self.files, self.passages, skipped, time.time(), generation)
        data = {
            "format": _FORMAT,
            "generation": generation,
            "updated": header.updated,
            "files": self.files,
            "passages": self.passages,
            "skipped": {p: attrs.astuple(e) for p, e in skipped.items()},
        }
        self._lines.close()

        def write(handle: TextIO) -> None:
            handle.write(json.dumps(data, separators=(",", ":")) + "\n")
            with open(self._body, encoding="utf-8", newline="\n") as body:
                shutil.copyfileobj(body, handle)

        # Not flushed to the disk: a manifest lost to a power cut reads as missing, and the
        # index is rebuilt (it is a cache); a killed process cannot tear it (atomic rename).
        write_atomically(self._path, write, durable=False)
        self.discard()
        return header

    def discard(self) -> None:
        self._lines.close()
        self._body.unlink(missing_ok=True)
