"""How passages are kept in a Xapian database so that Xapian's BM25 ranks them as
seedindex's own (``ranking``) does, and which shard a file's passages go to.

A passage is one Xapian document:

- each word of its text is an unprefixed term, with its positions (for phrases) and a
  wdf of ``TEXT_WDF`` per occurrence; a word of its context adds ``CONTEXT_WDF`` per
  occurrence to the same term, without positions, and the marks ``C<term>`` (in the
  context) and, when the text lacks it, ``N<term>``. So one term's wdf is
  ``4 × (tf in text + 0.75 × tf in context)``: seedindex's two-field BM25, scaled;
- its document length is padded (term ``ZL``) to ``4 × text length + 3 × context
  length``, each length rounded as seedindex keeps it (``ranking.kept_length``);
- its file's title words (with positions), tags and path, its section's words, the
  batch it was written in, and (on a file's first passage) the file's words as
  written are terms of their own prefix, of wdf 0, so they change no length;
- value ``PATH_SLOT`` is its path (to keep at most so many passages a file), value
  ``PASSAGE_SLOT`` its path, offset and the passage itself: sorted by, it orders equal
  scores as seedindex does and brings the passages back with the matches.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Iterator

from ... import _analysis
from ...ranking import CONTEXT_WEIGHT, K1, kept_length
from .. import NewDocument, NewPassage, StoredPassage
from ._xapian import xapian

TEXT_WDF, CONTEXT_WDF = 4, 3
assert CONTEXT_WDF / TEXT_WDF == CONTEXT_WEIGHT
#: Xapian's k1 that gives seedindex's, as every wdf is ``TEXT_WDF`` times its tf.
SCALED_K1 = K1 * TEXT_WDF

#: Term prefixes of the fields (the text's terms have none).
PREFIXES = {
    "context": "C",
    "path": "P",
    "section": "S",
    "tag": "K",
    "title": "XT",
    "word": "W",
}
CONTEXT_ONLY = "N"
BATCH = "B"
_PADDING = b"ZL"
PATH_SLOT, PASSAGE_SLOT = 0, 1
# Xapian refuses terms of more than 245 bytes.
_MOST_TERM_BYTES = 245

#: Metadata of every shard: its place among the shards, the generation it was last
#: committed at, and whether a write began there and has not ended.
SHARD_KEY, GENERATION_KEY, WRITING_KEY = (
    "seedindex:shard",
    "seedindex:generation",
    "seedindex:writing",
)


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def decoded(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=1 << 16)
def term(field: str, text: str) -> bytes | None:
    """The Xapian term of ``text`` in ``field``; None when Xapian cannot hold it."""
    if field == "path":
        return path_term(text)
    raw = encoded(PREFIXES.get(field, "") + text)
    return raw if len(raw) <= _MOST_TERM_BYTES else None


def path_term(path: str) -> bytes:
    """A file's term: its path, or a digest of a path too long to be a term (such a
    file is not found by a pattern on paths)."""
    raw = b"P" + encoded(path)
    if len(raw) <= _MOST_TERM_BYTES:
        return raw
    return b"P#" + hashlib.blake2b(encoded(path), digest_size=24).hexdigest().encode()


def shard_of(path: str, shards: int) -> int:
    """The shard a file's passages are kept on: from a hash of its path alone."""
    digest = hashlib.blake2b(encoded(path), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def documents(document: NewDocument, batch: str) -> Iterator[xapian.Document]:
    """The Xapian documents of a file's passages, in file order."""
    shared = [path_term(document.path), encoded(BATCH + batch)]
    shared += _terms("tag", " ".join(document.tags))
    title = [
        (raw, at)
        for at, word in enumerate(_analysis.terms(document.title), 1)
        if (raw := term("title", word)) is not None
    ]
    for number, passage in enumerate(document.passages):
        found = _document(document.path, passage)
        for raw in shared:
            found.add_boolean_term(raw)
        for raw, position in title:
            found.add_posting(raw, position, 0)
        if number == 0:  # the file's words as written, once a file (for near spellings)
            for raw in _terms("word", document.text):
                found.add_boolean_term(raw)
        yield found


def _terms(field: str, text: str) -> list[bytes]:
    values = _analysis.written_words(text) if field == "word" else _analysis.terms(text)
    return [raw for value in dict.fromkeys(values) if (raw := term(field, value)) is not None]


def _document(path: str, passage: NewPassage) -> xapian.Document:
    found = xapian.Document()
    text = _analysis.terms(passage.text)
    context = Counter(_analysis.terms(passage.context))
    held = 0  # the wdf of the terms Xapian holds
    for position, word in enumerate(text, 1):
        raw = term("text", word)
        if raw is not None:
            found.add_posting(raw, position, TEXT_WDF)
            held += TEXT_WDF
    in_text = set(text)
    for word, count in context.items():
        raw, mark = term("text", word), term("context", word)
        if raw is None or mark is None:
            continue
        found.add_term(raw, CONTEXT_WDF * count)
        held += CONTEXT_WDF * count
        found.add_boolean_term(mark)
        if word not in in_text:
            found.add_boolean_term(encoded(CONTEXT_ONLY + word))
    for raw in _terms("section", passage.section):
        found.add_boolean_term(raw)
    kept = TEXT_WDF * kept_length(len(text)) + CONTEXT_WDF * kept_length(context.total())
    if kept > held:
        found.add_term(_PADDING, kept - held)
    found.add_value(PATH_SLOT, encoded(path))
    found.add_value(PASSAGE_SLOT, _stored_value(path, passage))
    return found


def _stored_value(path: str, passage: NewPassage) -> bytes:
    said = [passage.end, passage.line, passage.end_line, passage.text, passage.section]
    said.append(passage.page)
    payload = json.dumps(said, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return b"%s\0%010d\0%s" % (encoded(path), passage.start, payload)


def stored(value: bytes) -> StoredPassage:
    """The passage kept in a document's ``PASSAGE_SLOT`` value."""
    path, start, payload = value.split(b"\0", 2)
    end, line, end_line, text, section, page = json.loads(payload.decode("utf-8", "surrogatepass"))
    return StoredPassage(decoded(path), int(start), end, line, end_line, text, section, page)
