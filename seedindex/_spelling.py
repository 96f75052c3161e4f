"""Did you mean: spelling corrections from the index's own vocabulary."""

from __future__ import annotations

from . import _analysis
from .engine import Search, Snapshot
from .query import near_terms, tree

# Unknown words looked up at most (each costs milliseconds).
_MAX_RESPELT = 8
# Passages looked in for the way a word is written.
_LOOK_IN = 5


def suggest(text: str, snapshot: Snapshot) -> str | None:
    """``text`` with each word the index does not know replaced by its likeliest
    known spelling, or None when there is nothing to correct."""
    pieces, position, changed, looked = [], 0, False, 0
    tokens = list(_analysis.tokens(text))
    known = snapshot.frequencies(token.term for token in tokens)
    for token in tokens:
        if token.term in _analysis.STOP_TERMS or known[token.term]:
            continue
        looked += 1
        candidates = near_terms(token.term, snapshot) if looked <= _MAX_RESPELT else []
        if not candidates:
            continue
        # The commonest near spelling; equal counts by alphabet, so the answer is stable.
        frequency = snapshot.frequencies(candidates)
        stem = min(candidates, key=lambda t: (-frequency[t], t))
        word = _surface(stem, snapshot)
        typed = text[token.start : token.end]
        pieces += [text[position : token.start], word.title() if typed[:1].isupper() else word]
        position, changed = token.end, True
    if not changed:
        return None
    pieces.append(text[position:])
    return "".join(pieces)


def _surface(stem: str, snapshot: Snapshot) -> str:
    """A word as written in the seeds whose index term is ``stem``."""
    hits = snapshot.search(Search(tree.Term("text", stem), (), limit=_LOOK_IN))
    for stored in snapshot.fetch([key for key, _score in hits]):
        if stored is None:
            continue
        for token in _analysis.tokens(stored.text):  # the word may be in a title only
            if token.term == stem:
                return stored.text[token.start : token.end].lower()
    return stem
