"""Did you mean: spelling corrections from the index's own vocabulary."""

from __future__ import annotations

from collections.abc import Callable

from . import _analysis
from ._engine import Postings
from ._query import near_terms

# Unknown words looked up at most (each costs milliseconds).
_MAX_RESPELT = 8


def suggest(text: str, postings: Postings, passage_text: Callable[[int], str]) -> str | None:
    """``text`` with each word the index does not know replaced by its likeliest
    known spelling, or None when there is nothing to correct."""
    pieces, position, changed, looked = [], 0, False, 0
    for token in _analysis.tokens(text):
        if token.term in _analysis.STOP_TERMS or postings.frequency(token.term):
            continue
        looked += 1
        candidates = near_terms(token.term, postings) if looked <= _MAX_RESPELT else []
        if not candidates:
            continue
        # The commonest near spelling; equal counts by alphabet, so the answer is stable.
        stem = min(candidates, key=lambda t: (-postings.frequency(t), t))
        word = _surface(stem, postings, passage_text)
        typed = text[token.start : token.end]
        pieces += [text[position : token.start], word.title() if typed[:1].isupper() else word]
        position, changed = token.end, True
    if not changed:
        return None
    pieces.append(text[position:])
    return "".join(pieces)


def _surface(stem: str, postings: Postings, passage_text: Callable[[int], str]) -> str:
    """A word as written in the seeds whose index term is ``stem``."""
    ids, _frequencies = postings.terms("text", stem)
    for doc in ids[:_LOOK_IN]:  # the word may be in a passage's title only
        text = passage_text(doc)
        for token in _analysis.tokens(text):
            if token.term == stem:
                return text[token.start : token.end].lower()
    return stem


_LOOK_IN = 5
