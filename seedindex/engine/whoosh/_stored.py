"""A passage as the Whoosh engine stores it: one uncompressed value of a column.

Whoosh's stored fields are a pickled dict, compressed, a passage: reading the text of
a thousand passages (a deep query) took half its time in zlib, pickle and Whoosh's
dict filtering. A column value is read in place: a fixed head of numbers, the
section, then the text. Damage is found by the segment file's CRC (``_compat``).
"""

from __future__ import annotations

import struct

from .. import NewPassage, StoredPassage

# start, end, line, end_line, page (-1: none), the section's length in bytes
_HEAD = struct.Struct("<qqqqqI")
_START = struct.Struct("<q")
_NO_PAGE = -1


def pack(passage: NewPassage) -> bytes:
    section = _encoded(passage.section)
    page = _NO_PAGE if passage.page is None else passage.page
    head = _HEAD.pack(
        passage.start, passage.end, passage.line, passage.end_line, page, len(section)
    )
    return head + section + _encoded(passage.text)


def unpack(path: str, value: bytes) -> StoredPassage:
    """The stored passage of ``path`` held in ``value``; ValueError when it has not the
    shape of one."""
    try:
        start, end, line, end_line, page, section_length = _HEAD.unpack_from(value)
    except struct.error:
        raise ValueError("a stored passage is shorter than its head") from None
    text_at = _HEAD.size + section_length
    if text_at > len(value):
        raise ValueError("a stored passage's section runs past its end")
    try:
        text, section = _decoded(value[text_at:]), _decoded(value[_HEAD.size : text_at])
    except UnicodeDecodeError:
        raise ValueError("a stored passage is not UTF-8") from None
    return StoredPassage(
        path=path,
        start=start,
        end=end,
        line=line,
        end_line=end_line,
        text=text,
        section=section,
        page=None if page == _NO_PAGE else page,
    )


def start_of(value: bytes) -> int:
    """The start of the passage held in ``value``."""
    try:
        start: int = _START.unpack_from(value)[0]
    except struct.error:
        raise ValueError("a stored passage is shorter than its head") from None
    return start


def _encoded(text: str) -> bytes:
    # Lone surrogates (from undecodable file names or text) round-trip too.
    return text.encode("utf-8", "surrogatepass")


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")
