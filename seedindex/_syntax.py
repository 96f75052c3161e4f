"""The query language: Whoosh's parser, mended, and what it cannot do alone.

Words, "phrases" (with ~N slop), AND/OR/NOT and parentheses, prefix* and
wild?cards, fuzzy~ terms, field:value filters and ^boosts. Text that cannot be
read as syntax is searched as plain words, unless ``strict`` asks for a
``QuerySyntaxError``. Only queries with syntax load this module (and Whoosh's
query parser): plain words are planned by ``_query`` alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, OrGroup, QueryParser, SingleQuotePlugin
from whoosh.qparser.syntax import ErrorNode

from . import _analysis
from ._engine import Postings
from ._query import FUZZY_WEIGHT, QUESTION_MARK, Plan, plan_words, typed_words
from ._results import QueryWord
from .errors import QuerySyntaxError

_MAX_EXPANSION = 256


class QueryReader:
    """Turns query text into Whoosh queries for one index schema."""

    def __init__(self, schema: Any) -> None:
        self._parser = QueryParser("text", schema, group=OrGroup)
        self._parser.remove_plugin_class(SingleQuotePlugin)  # apostrophes are in words
        self._parser.add_plugin(FuzzyTermPlugin())

    def parse(self, text: str, *, strict: bool = False) -> Any:
        """The Whoosh query for ``text``; lenient unless ``strict``."""
        parser = self._parser
        cleaned = QUESTION_MARK.sub(" ", text)
        problem = _syntax_problem(parser, cleaned)
        if problem is not None:
            message, position = problem
            if strict:
                raise QuerySyntaxError(message, query=text, position=position)
            return _rewrite(_plain_words(text))
        try:
            parsed = parser.parse(cleaned)
        except Exception as exc:  # Whoosh raises assorted errors on odd input
            if strict:
                raise QuerySyntaxError(str(exc), query=text, position=0) from None
            return _rewrite(_plain_words(text))
        return _rewrite(parsed) if parsed is not None else wq.NullQuery


def _rewrite(node: Any) -> Any:
    """Mend Whoosh readings a search-engine user would not expect.

    ``a NOT b`` under OR grouping means "a, without b" (as in Lucene), not
    "a, or anything without b"; stop words among other OR-ed words are dropped
    (inside phrases they stay); fuzzy words are stemmed like the index.
    """
    if isinstance(node, wq.FuzzyTerm):
        return _stemmed_fuzzy(node)
    if not node.is_leaf():
        node = node.apply(_rewrite)
    if isinstance(node, wq.Or):
        negated = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        kept = _without_stop_words([c for c in node.subqueries if not isinstance(c, wq.Not)])
        if negated and kept:
            return wq.AndNot(_either(kept), _either(negated))
        if len(kept) < len(node.subqueries):
            return _either(kept)
    return node


def _without_stop_words(queries: list[Any]) -> list[Any]:
    content = [q for q in queries if not (type(q) is wq.Term and q.text in _analysis.STOP_TERMS)]
    return content or queries


def _either(queries: list[Any]) -> Any:
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _stemmed_fuzzy(node: Any) -> Any:
    stemmed = wq.FuzzyTerm(
        node.fieldname,
        _analysis.term(node.text),
        boost=node.boost,
        maxdist=node.maxdist,
        prefixlength=node.prefixlength,
    )
    stemmed.startchar, stemmed.endchar = node.startchar, node.endchar
    return stemmed


def _syntax_problem(parser: Any, text: str) -> tuple[str, int] | None:
    """The first syntax error in ``text`` as (message, position), or None."""
    balance = _unbalanced(text)
    if balance is not None:
        return balance
    try:
        tree = parser.process(text)
    except Exception as exc:
        return str(exc), 0
    for node in _walk(tree):
        if isinstance(node, ErrorNode):
            return str(node.message), node.startchar or 0
    return None


def _unbalanced(text: str) -> tuple[str, int] | None:
    """Whoosh reads unclosed quotes and parentheses silently; a strict reader should not."""
    depth = 0
    in_phrase_from = -1
    for position, char in enumerate(text):
        if char == '"':
            in_phrase_from = -1 if in_phrase_from >= 0 else position
        elif in_phrase_from >= 0:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return "unmatched ')'", position
            depth -= 1
    if in_phrase_from >= 0:
        return "unclosed '\"'", in_phrase_from
    if depth:
        return "unclosed '('", text.rindex("(")
    return None


def _walk(node: Any) -> Iterator[Any]:
    """A syntax tree's nodes, not looking inside error nodes."""
    yield node
    if isinstance(node, ErrorNode):
        return
    for child in getattr(node, "nodes", ()) or ():
        yield from _walk(child)


def _plain_words(text: str) -> Any:
    """Every word of ``text`` OR-ed, with no syntax at all."""
    terms: dict[str, Any] = {}
    for token in _analysis.tokens(text):
        if token.term not in terms:
            term = wq.Term("text", token.term)
            term.startchar, term.endchar = token.start, token.end
            terms[token.term] = term
    if not terms:
        return wq.NullQuery
    return wq.Or(list(terms.values()))


def plan(parsed: Any, text: str, postings: Postings, reader: Any) -> Plan:
    """What to score for a parsed query, and the words to report."""
    typed, counts = typed_words(text)
    bag = _bag_of_terms(parsed)
    if bag is not None:
        return plan_words([(leaf.text, leaf.boost) for leaf in bag], typed, counts, postings)
    words: list[QueryWord] = []
    scored: dict[str, float] = {}
    for leaf in _positive_leaves(parsed):
        expanded = _leaf_terms(leaf, reader)
        if not expanded:
            continue
        words.append(QueryWord(_as_typed(leaf, typed), expanded, isinstance(leaf, wq.Phrase)))
        near = FUZZY_WEIGHT if isinstance(leaf, wq.FuzzyTerm) else 1.0
        for term in expanded:
            weight = leaf.boost * (max(1, counts[term]) if term in counts else near)
            scored[term] = max(weight, scored.get(term, 0.0))
    return Plan(tuple(words), tuple(scored.items()), bag=False)


def _bag_of_terms(parsed: Any) -> list[Any] | None:
    """The terms of a query that is only words OR-ed together, else None."""
    leaves = parsed.subqueries if type(parsed) is wq.Or else [parsed]
    if all(type(leaf) is wq.Term and leaf.fieldname == "text" for leaf in leaves):
        return list(leaves)
    return None


def _as_typed(leaf: Any, typed: dict[str, str]) -> str:
    """How the user wrote a query leaf, as near as the parsed query tells."""
    if isinstance(leaf, wq.Phrase):
        return " ".join(typed.get(word, word) for word in leaf.words)
    if isinstance(leaf, wq.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, wq.FuzzyTerm):
        return f"{typed.get(leaf.text, leaf.text)}~"
    return str(typed.get(leaf.text, leaf.text))


def _positive_leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, wq.Not):
        return
    if isinstance(node, wq.AndNot):
        yield from _positive_leaves(node.a)
        return
    if isinstance(node, wq.Phrase) or node.is_leaf():
        yield node
        return
    for child in node.children():
        yield from _positive_leaves(child)


def _leaf_terms(leaf: Any, reader: Any) -> frozenset[str]:
    if getattr(leaf, "fieldname", None) != "text":
        return frozenset()
    if isinstance(leaf, wq.Phrase):
        return frozenset(leaf.words)
    if isinstance(leaf, wq.Term) and not isinstance(leaf, wq.MultiTerm):
        return frozenset([leaf.text])
    expanded = set()
    for _field, term in leaf.existing_terms(reader, expand=True):
        expanded.add(_as_text(term))
        if len(expanded) >= _MAX_EXPANSION:
            break
    return frozenset(expanded)


def _as_text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def matches(node: Any, searcher: Any, postings: Postings) -> set[int]:
    """The passages a query matches: words and boolean logic from our postings,
    the rest (phrases, patterns, fields) from Whoosh's matchers."""
    kind = type(node)
    if kind is wq.Term and node.fieldname == "text":
        return set(postings.terms("text", node.text)[0])
    if kind in (wq.Or, wq.And):
        parts = [matches(child, searcher, postings) for child in node.subqueries]
        return set.union(*parts) if kind is wq.Or else set.intersection(*parts)
    if kind is wq.AndNot:
        return matches(node.a, searcher, postings) - matches(node.b, searcher, postings)
    return set(searcher.docs_for_query(node))
