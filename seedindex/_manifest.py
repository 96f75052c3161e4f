"""What the index holds, file by file, and what changed in the seeds since."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import attrs

from ._documents import Scan, SourceFile

_FORMAT = 1


@attrs.frozen
class Entry:
    """An indexed file as it was when indexed."""

    size: int
    mtime_ns: int
    sha256: str
    passages: int


@attrs.frozen
class SkippedEntry:
    """A file that was left out, and the stat it had then (-1 when it had none)."""

    reason: str
    size: int = -1
    mtime_ns: int = -1


@attrs.frozen
class Manifest:
    """Every file of the index, and the engine commit it describes.

    The manifest is written just after the engine commits; when a crash comes
    between the two, ``generation`` no longer matches the engine's and the
    index is rebuilt rather than trusted.
    """

    files: dict[str, Entry] = attrs.field(factory=dict)
    skipped: dict[str, SkippedEntry] = attrs.field(factory=dict)
    updated: float = 0.0
    generation: int = -1

    @property
    def passages(self) -> int:
        return sum(entry.passages for entry in self.files.values())


@attrs.frozen
class Changes:
    """Files to look at: ``suspects`` are new or have a different stat."""

    suspects: tuple[SourceFile, ...]
    removed: tuple[str, ...]
    skipped_changed: bool

    def __bool__(self) -> bool:
        return bool(self.suspects or self.removed or self.skipped_changed)


def changes(manifest: Manifest, scan: Scan) -> Changes:
    """Compare the seeds with the manifest by stat alone (cheap)."""
    seen = {f.path for f in scan.files}
    suspects = tuple(f for f in scan.files if not _same_stat(manifest, f))
    removed = tuple(sorted(set(manifest.files) - seen))
    skipped_now = {s.path: s.reason for s in scan.skipped}
    skipped_before = {p: e.reason for p, e in manifest.skipped.items() if e.size < 0}
    unread_gone = any(e.size >= 0 and p not in seen for p, e in manifest.skipped.items())
    skipped_changed = unread_gone or skipped_now != skipped_before
    return Changes(suspects, removed, skipped_changed)


def _same_stat(manifest: Manifest, source: SourceFile) -> bool:
    known: Entry | SkippedEntry | None = manifest.files.get(source.path)
    if known is None:
        known = manifest.skipped.get(source.path)
    return known is not None and (known.size, known.mtime_ns) == (source.size, source.mtime_ns)


def load(path: Path) -> Manifest | None:
    """The manifest at ``path``, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT:
            return None
        return Manifest(
            files={p: Entry(*values) for p, values in data["files"].items()},
            skipped={p: SkippedEntry(*values) for p, values in data["skipped"].items()},
            updated=float(data["updated"]),
            generation=int(data["generation"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, manifest: Manifest) -> None:
    """Write atomically: readers see the old manifest or the new one, never a part."""
    data = {
        "format": _FORMAT,
        "updated": manifest.updated or time.time(),
        "generation": manifest.generation,
        "files": {p: (e.size, e.mtime_ns, e.sha256, e.passages) for p, e in manifest.files.items()},
        "skipped": {p: (e.reason, e.size, e.mtime_ns) for p, e in manifest.skipped.items()},
    }
    # Not flushed to the disk: a manifest lost to a power cut reads as missing, and the
    # index is rebuilt (it is a cache); a killed process cannot tear it (atomic rename).
    write_atomically(path, json.dumps(data, separators=(",", ":")), durable=False)


def write_atomically(path: Path, text: str, *, durable: bool = True) -> None:
    """Replace ``path`` in one step; ``durable`` also waits until the disk has it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
