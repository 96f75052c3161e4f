"""Planning and running a query: which index terms to score, and the best passages.

Plain words (most queries) are planned here from the analyzer alone; text with
query syntax goes through ``_syntax``, loaded only then, so a plain query never
imports Whoosh's query parser.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import attrs

from . import _analysis
from ._engine import Engine, Postings
from ._ranking import TermPostings, best
from ._results import Explanation, Hit, QueryWord, TermScore

# Text without these is plain words.
_SYNTAX = re.compile(r"""["()\[\]{}*~^:+\-]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b""")
#: A "?" not followed by a word character ends a question; it is no wildcard.
QUESTION_MARK = re.compile(r"\?(?!\w)")
#: Near spellings of a word the index lacks, and fuzzy~ expansions, count half.
FUZZY_WEIGHT = 0.5
_FUZZY_MIN_CHARS = 4
_FUZZY_TWO_EDITS_CHARS = 8
_MAX_RESPELT = 8
# How many of a passage's words a more-like-this query keeps.
_SIMILAR_TERMS = 25


@attrs.frozen
class Plan:
    """How a query is ranked: the index terms to score, and the words to report."""

    words: tuple[QueryWord, ...]
    scored: tuple[tuple[str, float], ...]  # (index term, weight), each term once
    bag: bool  # plain words: every passage holding one matches, no Whoosh matching needed


def is_plain(text: str) -> bool:
    """Only words and punctuation that is no syntax, each word one index term."""
    if _SYNTAX.search(text):
        return False
    return all(len(_analysis.words(chunk)) <= 1 for chunk in QUESTION_MARK.sub(" ", text).split())


def plain_plan(text: str, postings: Postings) -> Plan:
    """The plan of plain words: stop words dropped unless there is nothing else."""
    typed, counts = typed_words(text)
    content = [t for t in counts if t not in _analysis.STOP_TERMS] or list(counts)
    return plan_words([(term, 1.0) for term in content], typed, counts, postings)


def typed_words(text: str) -> tuple[dict[str, str], Counter[str]]:
    """Each index term of ``text`` as first typed, and how often it comes."""
    typed: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for term, start, end in _analysis.spans(text):
        typed.setdefault(term, text[start:end])
        counts[term] += 1
    return typed, counts


def plan_words(
    terms: list[tuple[str, float]], typed: dict[str, str], counts: Counter[str], postings: Postings
) -> Plan:
    """Score each (term, boost); a term the index lacks stands for its near spellings."""
    words: list[QueryWord] = []
    scored: dict[str, float] = {}
    unknown = 0
    for term, boost in terms:
        # A word said twice in a long question matters more (BM25's query term frequency).
        weight = boost * max(1, counts[term])
        known = postings.frequency(term) > 0
        unknown += not known
        # Looking for near spellings costs milliseconds a word: a few words, not a pasted page.
        near = near_terms(term, postings) if not known and unknown <= _MAX_RESPELT else []
        stands_for = frozenset([term]) if known else frozenset(near)
        if stands_for:
            words.append(QueryWord(typed.get(term, term), stands_for))
        for found in stands_for:
            value = weight if known else weight * FUZZY_WEIGHT
            scored[found] = max(value, scored.get(found, 0.0))
    return Plan(tuple(words), tuple(scored.items()), bag=True)


def near_terms(term: str, postings: Postings) -> list[str]:
    """Index terms a misspelt ``term`` may stand for (none for short words)."""
    if len(term) < _FUZZY_MIN_CHARS:
        return []
    return postings.near(term, 1 if len(term) < _FUZZY_TWO_EDITS_CHARS else 2)


def similar_plan(text: str, postings: Postings) -> Plan:
    """More like this: a passage's most telling words, as one long bag-of-words query."""
    typed, counts = typed_words(text)
    telling = sorted(
        (
            (tf * postings.corpus.idf(postings.frequency(term)), term)
            for term, tf in counts.items()
            if term not in _analysis.STOP_TERMS and postings.frequency(term) > 1
        ),
        reverse=True,
    )[:_SIMILAR_TERMS]
    terms = sorted(term for _value, term in telling)
    return Plan(
        words=tuple(QueryWord(typed[t], frozenset([t])) for t in terms),
        scored=tuple((t, float(counts[t])) for t in terms),
        bag=True,
    )


def explain(how: Plan, postings: Postings, doc: int) -> Explanation:
    """Each scored term's part in passage ``doc``'s score."""
    terms = _term_postings(how, postings)
    parts = postings.corpus.explain(terms, doc)
    word_of = {term: word.text for word in how.words for term in word.terms}
    scores = tuple(
        TermScore(word_of.get(t.term, t.term), t.term, tf, idf, t.weight, value)
        for t, (tf, idf, value) in zip(terms, parts, strict=True)
    )
    return Explanation(sum(s.score for s in scores), scores)


def _term_postings(how: Plan, postings: Postings) -> list[TermPostings]:
    return [TermPostings(t, w, *postings.terms("text", t)) for t, w in how.scored]


def run(
    engine: Engine,
    how: Plan,
    limit: int,
    per_file: int | None = None,
    parsed: Any = None,
) -> list[Hit]:
    """The best ``limit`` hits, by score, then path, then offset: always the same order.

    ``parsed`` (from ``_syntax``) is needed only when the plan is not a bag of words.
    """
    postings = engine.postings()
    terms = _term_postings(how, postings)
    if how.bag:
        scores = postings.corpus.score(terms)
    else:
        from . import _syntax

        matching = _syntax.matches(parsed, engine.searcher(), postings)
        scores = dict.fromkeys(matching, 0.0)
        scores.update(postings.corpus.score(terms, only=matching))
    top = best(scores, limit, postings.path, per_file)
    return [hit(engine.stored(doc), value) for doc, value in top]


def hit(stored: dict[str, Any], score: float) -> Hit:
    """A hit from a passage's stored fields."""
    return Hit(
        path=stored["path"],
        start=stored["start"],
        end=stored["end"],
        line=stored["line"],
        end_line=stored["end_line"],
        text=stored["text"],
        score=score,
    )
