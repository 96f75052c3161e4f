"""Planning a query: which index terms to score, at what weight, and the words to report.

Plain words (most queries) are planned from the analyzer alone, without a parse;
a query tree is planned from its positive leaves, patterns expanded over the
engine's vocabulary. Planning asks the engine only for term statistics.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

import attrs

from .. import _analysis
from ..ranking import idf
from . import _tree as t
from ._parse import QUESTION_MARK

# Text without these is plain words.
_SYNTAX = re.compile(r"""["()\[\]{}*~^:+\-]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b""")
#: Near spellings of a word the index lacks, and fuzzy~ expansions, count half.
FUZZY_WEIGHT = 0.5
_FUZZY_MIN_CHARS = 4
_FUZZY_TWO_EDITS_CHARS = 8
_MAX_RESPELT = 8
#: A phrase of the whole query gains this much of the idf of its words.
PHRASE_WEIGHT = 1.0
#: Terms a pattern adds to a query's scoring at most: the commonest of the first
#: ``_LOOKED_AT_EXPANSION`` it matches (a fuzzy word's nearest, then commonest).
MAX_SCORED_EXPANSION = 64
_LOOKED_AT_EXPANSION = 1024
# How many of a passage's words a more-like-this query keeps.
_SIMILAR_TERMS = 25


class Vocabulary(Protocol):
    """What planning needs of an engine: its terms and their statistics."""

    def frequencies(self, terms: Iterable[str]) -> Mapping[str, int]:
        """How many live passages hold each term (0 for terms it lacks)."""

    def passage_count(self) -> int:
        """Live passages in the index."""

    def near(self, word: str, distance: int, prefix: int) -> list[str]:
        """The words of the live documents, as written (normalised, not stemmed), within
        ``distance`` edits of ``word`` and sharing its first ``prefix`` letters: the
        nearest first, then those in the most files."""

    def expand(self, pattern: t.Pattern, limit: int) -> list[str]:
        """At most ``limit`` terms a pattern matches, in term order."""


@attrs.frozen
class QueryWord:
    """A word, pattern or phrase of the query as typed, with the index terms it stands for.

    A phrase (``whole``) matches a passage only when all of its terms are there.
    """

    text: str
    terms: frozenset[str]
    whole: bool = False


@attrs.frozen
class Plan:
    """How a query is ranked: the index terms to score (each once, with its weight),
    what a passage must match (None: any scored term), and the words to report."""

    words: tuple[QueryWord, ...]
    scored: tuple[tuple[str, float], ...]
    match: t.Node | None
    #: Queries whose passages score more: a plain query's words standing together.
    bonus: tuple[tuple[t.Node, float], ...] = ()


def is_plain(text: str) -> bool:
    """Only words and punctuation that is no syntax, each word one index term."""
    if _SYNTAX.search(text):
        return False
    return all(len(_analysis.words(chunk)) <= 1 for chunk in QUESTION_MARK.sub(" ", text).split())


def plain_plan(text: str, vocabulary: Vocabulary) -> Plan:
    """The plan of plain words: stop words dropped unless there is nothing else."""
    typed, counts = typed_words(text)
    content = [t for t in counts if t not in _analysis.stop_terms()] or list(counts)
    plan = _plan_words([(term, 1.0) for term in content], typed, counts, vocabulary)
    return attrs.evolve(plan, bonus=_phrase_bonus(_analysis.terms(text), vocabulary))


def _phrase_bonus(terms: list[str], vocabulary: Vocabulary) -> tuple[tuple[t.Node, float], ...]:
    """Passages holding the query's words as typed, side by side and in order (stop
    words included: ``to be or not to be``, ``call me Ishmael``), rank above those
    where they stand apart, and so do passages whose context holds them so: they gain
    about the score of every word found once more."""
    if len(terms) < 2:
        return ()
    frequency = vocabulary.frequencies(set(terms))
    passages = vocabulary.passage_count()
    if not all(frequency.values()):
        return ()
    value = PHRASE_WEIGHT * sum(idf(passages, frequency[term]) for term in set(terms))
    # A passage under headings holding every word is about them as much, and more so
    # when its document's own title holds them together.
    return (
        (t.Phrase("text", tuple(terms), slop=1), value),
        (t.And(tuple(t.Term("context", term) for term in dict.fromkeys(terms))), value),
        (t.Phrase("title", tuple(terms), slop=1), value),
    )


def tree_plan(tree: t.Node, text: str, vocabulary: Vocabulary) -> Plan:
    """The plan of a parsed query: its positive leaves, patterns expanded."""
    typed, counts = typed_words(text)
    bag = _bag_of_terms(tree)
    if bag is not None:
        return _plan_words([(leaf.text, leaf.boost) for leaf in bag], typed, counts, vocabulary)
    words: list[QueryWord] = []
    scored: dict[str, float] = {}
    for leaf in _positive_leaves(tree):
        expanded = _leaf_terms(leaf, vocabulary)
        if not expanded:
            continue
        words.append(
            QueryWord(_as_typed(leaf, typed), frozenset(expanded), isinstance(leaf, t.Phrase))
        )
        near = FUZZY_WEIGHT if isinstance(leaf, t.Fuzzy) else 1.0
        for term in expanded:
            weight = leaf.boost * (max(1, counts[term]) if term in counts else near)
            scored[term] = max(weight, scored.get(term, 0.0))
    return Plan(tuple(words), tuple(scored.items()), tree)


def similar_plan(text: str, vocabulary: Vocabulary) -> Plan:
    """More like this: a passage's most telling words, as one long bag-of-words query."""
    typed, counts = typed_words(text)
    content = [term for term in counts if term not in _analysis.stop_terms()]
    frequency = vocabulary.frequencies(content)
    passages = vocabulary.passage_count()
    telling = sorted(
        (
            (counts[term] * idf(passages, frequency[term]), term)
            for term in content
            if frequency[term] > 1
        ),
        reverse=True,
    )[:_SIMILAR_TERMS]
    terms = sorted(term for _value, term in telling)
    return Plan(
        words=tuple(QueryWord(typed[term], frozenset([term])) for term in terms),
        scored=tuple((term, float(counts[term])) for term in terms),
        match=None,
    )


def typed_words(text: str) -> tuple[dict[str, str], Counter[str]]:
    """Each index term of ``text`` as first typed, and how often it comes."""
    typed: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for term, start, end in _analysis.spans(text):
        typed.setdefault(term, text[start:end])
        counts[term] += 1
    return typed, counts


def near_words(typed: str, vocabulary: Vocabulary) -> list[str]:
    """Words of the index, as written, that a misspelt word may stand for (none for
    short words), the commonest first: ``recursivly`` -> ``recursively``."""
    word = _analysis.normalize(typed)
    if len(word) < _FUZZY_MIN_CHARS:
        return []
    # Typos rarely touch the first letter; requiring it keeps the search fast.
    return vocabulary.near(word, 1 if len(word) < _FUZZY_TWO_EDITS_CHARS else 2, 1)


def near_terms(typed: str, vocabulary: Vocabulary) -> list[str]:
    """The index terms of ``near_words``."""
    return list(dict.fromkeys(_analysis.term(w) for w in near_words(typed, vocabulary)))


def _plan_words(
    terms: list[tuple[str, float]],
    typed: dict[str, str],
    counts: Counter[str],
    vocabulary: Vocabulary,
) -> Plan:
    """Score each (term, boost); a term the index lacks stands for its near spellings."""
    words: list[QueryWord] = []
    scored: dict[str, float] = {}
    unknown = 0
    frequency = vocabulary.frequencies(term for term, _boost in terms)
    for term, boost in terms:
        # A word said twice in a long question matters more (BM25's query term frequency).
        weight = boost * max(1, counts[term])
        known = frequency[term] > 0
        unknown += not known
        # Looking for near spellings costs milliseconds a word: a few words, not a pasted page.
        spelt = typed.get(term, term)
        near = near_terms(spelt, vocabulary) if not known and unknown <= _MAX_RESPELT else []
        stands_for = [term] if known else near
        if stands_for:
            words.append(QueryWord(typed.get(term, term), frozenset(stands_for)))
        for found in stands_for:
            value = weight if known else weight * FUZZY_WEIGHT
            scored[found] = max(value, scored.get(found, 0.0))
    return Plan(tuple(words), tuple(scored.items()), None)


def _bag_of_terms(tree: t.Node) -> list[t.Term] | None:
    """The terms of a query that is only words OR-ed together, else None."""
    leaves = tree.children if isinstance(tree, t.Or) else (tree,)
    terms = [leaf for leaf in leaves if isinstance(leaf, t.Term) and leaf.field == "text"]
    return terms if len(terms) == len(leaves) else None


def _positive_leaves(node: t.Node) -> Iterator[t.Leaf]:
    if isinstance(node, t.Not | t.Nothing):
        return
    if isinstance(node, t.AndNot):
        yield from _positive_leaves(node.positive)
    elif isinstance(node, t.AndMaybe):
        yield from _positive_leaves(node.required)
        yield from _positive_leaves(node.optional)
    elif isinstance(node, t.And | t.Or):
        for child in node.children:
            yield from _positive_leaves(child)
    else:
        yield node


def _leaf_terms(leaf: t.Leaf, vocabulary: Vocabulary) -> tuple[str, ...]:
    if leaf.field != "text":
        return ()
    if isinstance(leaf, t.Phrase):
        return tuple(dict.fromkeys(leaf.terms))
    if isinstance(leaf, t.Term):
        return (leaf.text,)
    if isinstance(leaf, t.Fuzzy):
        return tuple(vocabulary.expand(leaf, MAX_SCORED_EXPANSION))
    matched = vocabulary.expand(leaf, _LOOKED_AT_EXPANSION)
    frequency = vocabulary.frequencies(matched)
    commonest = set(sorted(matched, key=lambda term: -frequency[term])[:MAX_SCORED_EXPANSION])
    return tuple(term for term in matched if term in commonest)


def _as_typed(leaf: t.Leaf, typed: dict[str, str]) -> str:
    """How the user wrote a query leaf, as near as the tree tells."""
    if isinstance(leaf, t.Phrase):
        return " ".join(typed.get(word, word) for word in leaf.terms)
    if isinstance(leaf, t.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, t.Fuzzy):
        return f"{typed.get(leaf.text, leaf.text)}~"
    if isinstance(leaf, t.Wildcard):
        return leaf.pattern
    if isinstance(leaf, t.Range):
        return f"[{leaf.low or ''} TO {leaf.high or ''}]"
    return typed.get(leaf.text, leaf.text)
