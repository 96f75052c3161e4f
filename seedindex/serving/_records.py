"""Passages as records for other programs: stable ids, ``file://`` URLs, plain dicts.

An id names a passage by its file, its offsets and a hash of its text
(``notes/a.md#120-480@1a2b3c4d``): it stays valid while the file is unchanged, and
resolving it after the file changed says so instead of answering other text.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..errors import PassageNotFoundError, StaleDocumentError

_ID = re.compile(r"(?P<path>.+)#(?P<start>\d+)-(?P<end>\d+)@(?P<digest>[0-9a-f]{8})")


def passage_id(path: str, start: int, end: int, text: str) -> str:
    return f"{path}#{start}-{end}@{_digest(text)}"


def file_url(seeds: Path, path: str, line: int | None = None) -> str:
    """A ``file://`` URI of a document (at a line): a non-empty URL, which citations need."""
    url = (seeds / path).resolve().as_uri()
    return f"{url}#L{line}" if line else url


def passage_record(passage: Any, seeds: Path) -> dict[str, Any]:
    """A passage as a plain dict: id, title and url (the fields search connectors
    expect), then its text and where it sits."""
    return {
        "id": passage_id(passage.path, passage.start, passage.end, passage.text),
        "title": title_of(passage.path, passage.section),
        "url": file_url(seeds, passage.path, passage.line),
        "text": passage.text,
        "path": passage.path,
        "line": passage.line,
        "end_line": passage.end_line,
        "section": passage.section,
        "page": passage.page,
        "score": passage.score,
    }


def passage_metadata(passage: Any, seeds: Path) -> dict[str, Any]:
    """What a framework's document carries beside the passage's text."""
    record = passage_record(passage, seeds)
    del record["text"]
    return {**record, "start": passage.start, "end": passage.end, "source": record["url"]}


def title_of(path: str, section: str) -> str:
    return f"{path}: {section}" if section else path


def resolve(text_of: Any, passage_ref: str) -> tuple[str, int, int, str]:
    """(path, start, end, text) of the passage an id names, read from the document's
    text now (``text_of`` is ``Index.text``). PassageNotFoundError for an id that names
    no passage, StaleDocumentError when the file changed since the id was given."""
    found = _ID.fullmatch(passage_ref)
    if found is None:
        raise PassageNotFoundError(
            f"not a passage id: {passage_ref!r} (ids look like path#start-end@hash)"
        )
    path, start, end = found["path"], int(found["start"]), int(found["end"])
    text = text_of(path)[start:end]
    if _digest(text) != found["digest"]:
        raise StaleDocumentError(f"{path} changed since this id was given; search again")
    return path, start, end, text


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
