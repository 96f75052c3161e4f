"""Did you mean: spelling corrections from the words of the indexed documents."""

from __future__ import annotations

from . import _analysis
from .engine import Snapshot
from .query import near_words

# Unknown words looked up at most (each costs milliseconds).
_MAX_RESPELT = 8


def suggest(text: str, snapshot: Snapshot) -> str | None:
    """``text`` with each word the index does not know replaced by its likeliest
    spelling among the words of the live documents, as written (``recursivly`` ->
    ``recursively``), or None when there is nothing to correct."""
    pieces, position, changed, looked = [], 0, False, 0
    tokens = list(_analysis.tokens(text))
    known = snapshot.frequencies(token.term for token in tokens)
    for token in tokens:
        if token.term in _analysis.stop_terms() or known[token.term]:
            continue
        looked += 1
        typed = text[token.start : token.end]
        # The commonest near spelling first (equal counts by alphabet: a stable answer).
        candidates = near_words(typed, snapshot) if looked <= _MAX_RESPELT else []
        if not candidates:
            continue
        word = candidates[0]
        pieces += [text[position : token.start], word.title() if typed[:1].isupper() else word]
        position, changed = token.end, True
    if not changed:
        return None
    pieces.append(text[position:])
    return "".join(pieces)
