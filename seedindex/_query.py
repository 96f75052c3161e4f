"""Reading query text and running it against the Whoosh index.

The query language is Whoosh's: words, "phrases" (with ~N slop), AND/OR/NOT
and parentheses, prefix* and wild?cards, fuzzy~ terms, field:value filters and
^boosts. Words without operators are OR-ed, passages holding more of them
first. Text that cannot be read as syntax is searched as plain words, unless
``strict`` asks for a ``QuerySyntaxError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, OrGroup, QueryParser, SingleQuotePlugin, syntax

from . import _analysis
from ._results import Hit, QueryWord
from .errors import QuerySyntaxError

# Bonus for passages matching more of the words of an OR query (Whoosh's coord scale).
_COORD_SCALE = 0.9
# A "?" not followed by a word character ends a question; it is no wildcard.
_QUESTION_MARK = re.compile(r"\?(?!\w)")
_MAX_EXPANSION = 256


def make_parser(schema: Any) -> QueryParser:
    """The parser for an index's schema; make it once and keep it."""
    parser = QueryParser("text", schema, group=OrGroup.factory(_COORD_SCALE))
    parser.remove_plugin_class(SingleQuotePlugin)  # apostrophes are part of words
    parser.add_plugin(FuzzyTermPlugin())
    return parser


def parse(text: str, parser: QueryParser, *, strict: bool = False) -> Any:
    """The Whoosh query for ``text``; lenient unless ``strict``."""
    cleaned = _QUESTION_MARK.sub(" ", text)
    problem = _syntax_problem(parser, cleaned)
    if problem is not None:
        message, position = problem
        if strict:
            raise QuerySyntaxError(message, query=text, position=position)
        return _plain_words(text)
    try:
        parsed = parser.parse(cleaned)
    except Exception as exc:  # Whoosh raises assorted errors on odd input
        if strict:
            raise QuerySyntaxError(str(exc), query=text, position=0) from None
        return _plain_words(text)
    return _rewrite(parsed) if parsed is not None else wq.NullQuery


def _rewrite(node: Any) -> Any:
    """Mend two Whoosh readings a search-engine user would not expect.

    ``a NOT b`` under OR grouping means "a, without b" (as in Lucene), not
    "a, or anything without b"; and fuzzy words are stemmed like the index.
    """
    if isinstance(node, wq.FuzzyTerm):
        return _stemmed_fuzzy(node)
    if not node.is_leaf():
        node = node.apply(_rewrite)
    if isinstance(node, wq.Or):
        negated = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        kept = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        if negated and kept:
            return wq.AndNot(_either(kept, node.scale), _either(negated, None))
    return node


def _either(queries: list[Any], scale: float | None) -> Any:
    return queries[0] if len(queries) == 1 else wq.Or(queries, scale=scale)


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


def _syntax_problem(parser: QueryParser, text: str) -> tuple[str, int] | None:
    """The first syntax error in ``text`` as (message, position), or None."""
    balance = _unbalanced(text)
    if balance is not None:
        return balance
    try:
        tree = parser.process(text)
    except Exception as exc:
        return str(exc), 0
    for node in _walk(tree):
        if isinstance(node, syntax.ErrorNode):
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
    yield node
    if isinstance(node, syntax.ErrorNode):
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
    return wq.Or(list(terms.values()), scale=_COORD_SCALE)


def query_words(parsed: Any, text: str, reader: Any) -> tuple[QueryWord, ...]:
    """The positive words, patterns and phrases of a query, with their index terms."""
    typed: dict[str, str] = {}
    for token in _analysis.tokens(text):
        typed.setdefault(token.term, text[token.start : token.end])
    words = []
    for leaf in _positive_leaves(parsed):
        terms = _leaf_terms(leaf, reader)
        if terms:
            words.append(QueryWord(_as_typed(leaf, typed), terms, isinstance(leaf, wq.Phrase)))
    return tuple(words)


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
        expanded.add(term.decode("utf-8") if isinstance(term, bytes) else term)
        if len(expanded) >= _MAX_EXPANSION:
            break
    return frozenset(expanded)


def run(searcher: Any, parsed: Any, limit: int) -> list[Hit]:
    """The best ``limit`` hits, by score, then path, then offset: always the same order."""
    if parsed is wq.NullQuery:
        return []
    wanted = limit * 2
    while True:
        results = searcher.search(parsed, limit=wanted)
        hits = [_hit(searcher, found.docnum, found.score) for found in results]
        hits.sort(key=lambda h: (-h.score, h.path, h.start))
        # Equal scores across the cut would make the order depend on the engine.
        if len(hits) < wanted or hits[min(limit, len(hits)) - 1].score > hits[-1].score:
            return hits[:limit]
        wanted *= 4


def _hit(searcher: Any, docnum: int, score: float | None) -> Hit:
    stored = searcher.stored_fields(docnum)
    return Hit(
        path=stored["path"],
        start=stored["start"],
        end=stored["end"],
        line=stored["line"],
        end_line=stored["end_line"],
        text=stored["text"],
        score=float(score or 0.0),
    )
