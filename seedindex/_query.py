"""Planning and running a query: which index terms to score, and the best passages.

Plain words (most queries) are planned here from the analyzer alone; text with
query syntax goes through ``_syntax``, loaded only then, so a plain query never
imports Whoosh's query parser.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from itertools import islice
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
# Pseudo-relevance feedback (a relevance model, as RM3): the best passages of this
# many files lend a query this many of their words, the likeliest at this weight.
# Chosen on SciFact and CISI together (benchmarks/relevance.py), never per query.
FEEDBACK_FILES = 10
FEEDBACK_TERMS = 15
FEEDBACK_WEIGHT = 0.2


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


def rank(
    engine: Engine, how: Plan, matching: set[int] | None, *, feedback: bool
) -> tuple[Plan, dict[int, float]]:
    """Every matching passage's score, and the plan that gave it.

    ``matching`` is the passages a query with syntax matches (``matching()``), None
    for a bag of words (every passage holding a term). With ``feedback``, the plan
    also scores the words the best passages share, at a low weight (``lent_terms``),
    in the passages the query found.
    """
    postings = engine.postings()
    scores = dict.fromkeys(matching or (), 0.0)
    postings.corpus.score(_term_postings(how.scored, postings), only=matching, into=scores)
    if feedback:
        lent = lent_terms(how, engine, scores)
        # Lent words rank the passages the query found; they find none of their own.
        found = set(scores)
        postings.corpus.score(_term_postings(lent, postings), only=found, into=scores)
        how = attrs.evolve(how, scored=how.scored + lent)
    return how, scores


def lent_terms(
    how: Plan, engine: Engine, scores: dict[int, float]
) -> tuple[tuple[str, float], ...]:
    """The words the best passages share, weighted: pseudo-relevance feedback (RM3).

    Each of the best passages (one a file) lends its words in proportion to their
    share of its words and to how close its score is to the best one's: words that
    say what the query is about in the collection's own terms, and raise relevant
    passages that hold few of the query's words.
    """
    postings = engine.postings()
    feedback = best(scores, FEEDBACK_FILES, postings.path, per_file=1)
    likelihood: defaultdict[str, float] = defaultdict(float)
    for doc, score in feedback:
        text = engine.stored(doc)["text"]
        words = [t for t in _analysis.terms(text) if t not in _analysis.STOP_TERMS]
        share = math.exp(score - feedback[0][1]) / max(1, len(words))
        for term in words:
            likelihood[term] += share
    known = {term for term, _weight in how.scored}
    candidates = sorted(
        ((value, term) for term, value in likelihood.items() if term not in known), reverse=True
    )
    # A word of one passage alone finds nothing new.
    shared = ((value, term) for value, term in candidates if postings.frequency(term) > 1)
    lent = list(islice(shared, FEEDBACK_TERMS))
    return tuple((term, FEEDBACK_WEIGHT * value / lent[0][0]) for value, term in lent)


def matching(engine: Engine, parsed: Any) -> set[int]:
    """The passages a parsed query (from ``_syntax``) matches."""
    from . import _syntax

    return _syntax.matches(parsed, engine.searcher(), engine.postings())


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
    terms = _term_postings(how.scored, postings)
    parts = postings.corpus.explain(terms, doc)
    word_of = {term: word.text for word in how.words for term in word.terms}
    scores = tuple(
        TermScore(word_of.get(t.term, ""), t.term, tf, idf, t.weight, value)
        for t, (tf, idf, value) in zip(terms, parts, strict=True)
    )
    return Explanation(sum(s.score for s in scores), scores)


def _term_postings(scored: tuple[tuple[str, float], ...], postings: Postings) -> list[TermPostings]:
    return [TermPostings(t, w, *postings.terms("text", t)) for t, w in scored]


def top_hits(
    engine: Engine, scores: dict[int, float], limit: int, per_file: int | None = None
) -> list[Hit]:
    """The best ``limit`` hits, by score, then path, then offset: always the same order."""
    top = best(scores, limit, engine.postings().path, per_file)
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
