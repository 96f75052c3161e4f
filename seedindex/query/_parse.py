"""Query text to a query tree.

Words, "phrases" (with ~N slop), AND/OR/NOT/ANDNOT/ANDMAYBE and parentheses,
prefix* and wild?cards, fuzzy~ words, ranges ``[a TO b]``, ``field:value`` and
``^boosts``. Operators bind only their neighbours: NOT tightest, then AND, OR,
ANDNOT and ANDMAYBE; words side by side are OR-ed. Text that cannot be read as
syntax is searched as its plain words, unless ``strict`` asks for a
``QuerySyntaxError`` saying where it breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import attrs

from .. import _analysis
from ..errors import QuerySyntaxError
from . import _tree as t

#: A "?" not followed by a word character ends a question; it is no wildcard.
QUESTION_MARK = re.compile(r"\?(?!\w)")
#: Edit distance of fuzzy words at most (more matches most of the vocabulary).
MAX_EDITS = 2
#: Boosts beyond this are capped: scores stay finite.
MAX_BOOST = 1e6
#: Parentheses nested deeper than this are refused.
MAX_DEPTH = 32

_PHRASE = re.compile(r'"([^"]*)"(?:~([1-9][0-9]*))?')
_RANGE = re.compile(r"([\[{])([^\]}]*?)?\s*\bTO\b\s*([^\]}]*?)([\]}])", re.IGNORECASE)
_FIELD = re.compile(r"(\w+):")
_BOOST = re.compile(r"\^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?=$|[ \t\r\n)])")
_FUZZY = re.compile(r"~([0-9])?(?:/([1-9][0-9]*))?")
_INFIX = {"AND", "OR", "ANDNOT", "ANDMAYBE"}
_OPERATOR = re.compile(r"(?:ANDNOT|ANDMAYBE|AND|OR|NOT)(?=\s|$)")
_SPACE = re.compile(r"\s+")


@attrs.frozen
class _Word:
    text: str
    field: str | None = None
    boost: float = 1.0
    fuzzy: tuple[int, int] | None = None  # (distance, prefix)


@attrs.frozen
class _Quoted:
    text: str
    slop: int
    field: str | None = None
    boost: float = 1.0


@attrs.frozen
class _Span:
    low: str
    high: str
    include_low: bool
    include_high: bool
    field: str | None = None
    boost: float = 1.0


@attrs.frozen
class _Operator:
    name: str
    start: int


@attrs.frozen
class _Group:
    items: tuple[_Item, ...]
    field: str | None = None
    boost: float = 1.0


_Item = _Word | _Quoted | _Span | _Operator | _Group


class _Problem(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def parse(text: str, *, strict: bool = False) -> t.Node:
    """The query tree of ``text``; lenient (plain words on bad syntax) unless ``strict``."""
    cleaned = QUESTION_MARK.sub(" ", text)
    try:
        problem = unbalanced(cleaned)
        if problem is not None:
            raise _Problem(*problem)
        return _rewrite(_build(_Reader(cleaned).group(0, top=True)))
    except _Problem as problem:
        if strict:
            raise QuerySyntaxError(str(problem), query=text, position=problem.position) from None
        return plain_words(text)


def plain_words(text: str) -> t.Node:
    """Every word of ``text`` OR-ed, with no syntax at all."""
    terms = dict.fromkeys(token.term for token in _analysis.tokens(text))
    return _rewrite(t.either([t.Term("text", term) for term in terms]))


class _Reader:
    """Reads text into nested groups of words, phrases, ranges and operators."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.depth = 0

    def group(self, start: int, *, top: bool = False) -> _Group:
        items: list[_Item] = []
        field: tuple[str, int] | None = None
        while self.position < len(self.text):
            text, at = self.text, self.position
            if space := _SPACE.match(text, at):
                self.position = space.end()
                if field is not None:  # "name: value": the name is a word of its own
                    items.append(_Word(text[field[1] : at]))
                    field = None
                continue
            if text[at] == ")":
                if top:
                    raise _Problem("unmatched ')'", at)
                self.position += 1
                return _Group(tuple(items))
            item = self._item(field)
            field = None
            if isinstance(item, tuple):
                field = item
            else:
                items.append(self._boosted(item))
        if field is not None:
            items.append(_Word(self.text[field[1] :]))
        if not top:
            raise _Problem("unclosed '('", start)
        return _Group(tuple(items))

    def _item(self, field: tuple[str, int] | None) -> _Item | tuple[str, int]:
        text, at = self.text, self.position
        name = field[0] if field else None
        if text[at] == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Problem(f"parentheses nested more than {MAX_DEPTH} deep", at)
            self.position += 1
            group = self.group(at)
            self.depth -= 1
            return attrs.evolve(group, field=name)
        if text[at] == '"':
            phrase = _PHRASE.match(text, at)
            if phrase is None:
                raise _Problem("unclosed '\"'", at)
            self.position = phrase.end()
            return _Quoted(phrase.group(1), int(phrase.group(2) or 1), name)
        if text[at] in "[{" and (span := _RANGE.match(text, at)):
            self.position = span.end()
            low, high = (span.group(2) or "").strip(), span.group(3).strip()
            return _Span(low, high, span.group(1) == "[", span.group(4) == "]", name)
        if field is None and (operator := _operator(text, at)):
            self.position = operator.end()
            return _Operator(operator.group(), at)
        if field is None and (named := _FIELD.match(text, at)) and named.group(1) in t.FIELDS:
            self.position = named.end()
            return named.group(1), at
        return self._word(field)

    def _word(self, field: tuple[str, int] | None) -> _Word:
        """A word runs to white space, a parenthesis, a closed phrase, a boost or a fuzz."""
        text, begin = self.text, self.position
        at = begin
        while at < len(text) and not text[at].isspace() and text[at] not in "()":
            if at > begin and _breaks_word(text, at):
                break
            at += 1
        self.position = at = max(at, begin + 1)
        word, name = text[begin:at], _field(field)
        fuzzy = _FUZZY.match(text, at) if text.startswith("~", at) else None
        if fuzzy is None:
            return _Word(word, name)
        self.position = fuzzy.end()
        distance = min(int(fuzzy.group(1) or 1), MAX_EDITS)
        return _Word(word, name, fuzzy=(distance, int(fuzzy.group(2) or 0)))

    def _boosted(self, item: _Item) -> _Item:
        boost = _BOOST.match(self.text, self.position)
        if boost is None or isinstance(item, _Operator):
            return item
        self.position = boost.end()
        return attrs.evolve(item, boost=min(float(boost.group(1)), MAX_BOOST))


def _breaks_word(text: str, at: int) -> bool:
    """Whether a phrase, a boost or a fuzz starts inside a word at ``at``."""
    char = text[at]
    if char == '"':
        return _PHRASE.match(text, at) is not None
    if char == "^":
        return _BOOST.match(text, at) is not None
    return char == "~"


def _field(field: tuple[str, int] | None) -> str | None:
    return field[0] if field else None


def _operator(text: str, at: int) -> re.Match[str] | None:
    found = _OPERATOR.match(text, at)
    if found is None:
        return None
    before = text[at - 1] if at else ""
    if found.group() == "NOT":
        return found if not before or before.isspace() or before in "()" else None
    return found if not before or before.isspace() else None


def _build(group: _Group, field: str | None = None, boost: float = 1.0) -> t.Node:
    """A group's items with their operators applied, then OR-ed."""
    field = group.field or field
    boost *= group.boost
    nodes: list[t.Node | _Operator] = [
        item if isinstance(item, _Operator) else _node(item, field, boost) for item in group.items
    ]
    nodes = _prefix_not(nodes)
    for name in ("AND", "OR", "ANDNOT", "ANDMAYBE"):
        nodes = _infix(nodes, name)
    kept: list[t.Node] = []
    for node in nodes:
        if isinstance(node, _Operator):  # an operator with nothing on one side
            raise _Problem(f"{node.name} needs a query on both sides", node.start)
        kept.append(node)
    return t.either([n for n in kept if n != t.NOTHING])


def _prefix_not(nodes: list[t.Node | _Operator]) -> list[t.Node | _Operator]:
    out: list[t.Node | _Operator] = []
    index = len(nodes) - 1
    while index >= 0:
        node = nodes[index]
        if isinstance(node, _Operator) and node.name == "NOT":
            if not out or isinstance(out[-1], _Operator):
                raise _Problem("NOT needs a query after it", node.start)
            child = out.pop()
            assert not isinstance(child, _Operator)
            out.append(t.Not(child))
        else:
            out.append(node)
        index -= 1
    out.reverse()
    return out


_COMBINE: dict[str, Callable[[t.Node, t.Node], t.Node]] = {
    "AND": lambda a, b: t.And((*a.children, b) if isinstance(a, t.And) else (a, b)),
    "OR": lambda a, b: t.Or((*a.children, b) if isinstance(a, t.Or) else (a, b)),
    "ANDNOT": t.AndNot,
    "ANDMAYBE": t.AndMaybe,
}


def _infix(nodes: list[t.Node | _Operator], name: str) -> list[t.Node | _Operator]:
    out: list[t.Node | _Operator] = []
    items = iter(nodes)
    for node in items:
        if isinstance(node, _Operator) and node.name == name:
            right = next(items, None)
            if not out or isinstance(out[-1], _Operator) or right is None:
                raise _Problem(f"{name} needs a query on both sides", node.start)
            if isinstance(right, _Operator):
                raise _Problem(f"{name} needs a query on both sides", node.start)
            left = out.pop()
            assert not isinstance(left, _Operator)
            out.append(_COMBINE[name](left, right))
        else:
            out.append(node)
    return out


def _node(item: _Item, field: str | None, boost: float) -> t.Node:
    field = getattr(item, "field", None) or field or "text"
    boost *= item.boost  # type: ignore[union-attr]
    if isinstance(item, _Group):
        return _build(item, field, boost)
    if isinstance(item, _Quoted):
        return _phrase(field, item.text, item.slop, boost)
    if isinstance(item, _Span):
        return _range(item, field, boost)
    assert isinstance(item, _Word)
    return _word(item, field, boost)


def _word(item: _Word, field: str, boost: float) -> t.Node:
    text = item.text
    if field == "path":
        return _path_word(text, boost)
    if item.fuzzy is not None:
        distance, prefix = item.fuzzy
        return t.Fuzzy(field, _analysis.normalize(text), distance, prefix, boost)
    if "*" in text or "?" in text:
        return _pattern(field, _analysis.normalize(text), boost)
    return _phrase(field, text, 1, boost)


def _path_word(text: str, boost: float) -> t.Node:
    if text.endswith("*") and "*" not in text[:-1] and "?" not in text:
        return t.Prefix("path", text[:-1], boost) if text[:-1] else t.Wildcard("path", "*", boost)
    if "*" in text or "?" in text:
        return t.Wildcard("path", text, boost)
    return t.Term("path", text, boost)


def _pattern(field: str, text: str, boost: float) -> t.Node:
    if text.endswith("*") and "*" not in text[:-1] and "?" not in text and text[:-1]:
        return t.Prefix(field, text[:-1], boost)
    return t.Wildcard(field, text, boost)


def _phrase(field: str, text: str, slop: int, boost: float) -> t.Node:
    """A word or quoted text: one term, or the phrase of its terms."""
    if field == "path":
        return t.Term("path", text, boost)
    terms = tuple(_analysis.terms(text))
    if not terms:
        return t.NOTHING
    if len(terms) == 1:
        return t.Term(field, terms[0], boost)
    if field in t.UNORDERED_FIELDS:  # they keep no positions: every word of the phrase
        return t.And(tuple(t.Term(field, term, boost) for term in terms))
    return t.Phrase(field, terms, slop, boost)


def _range(item: _Span, field: str, boost: float) -> t.Node:
    def bound(text: str) -> str | None:
        if not text:
            return None
        return text if field == "path" else _analysis.term(text)

    return t.Range(
        field, bound(item.low), bound(item.high), item.include_low, item.include_high, boost
    )


def _rewrite(node: t.Node) -> t.Node:
    """Readings a search-engine user expects, applied from the leaves up.

    ``a NOT b`` among OR-ed words means "a, without b" (as in Lucene), not "a, or
    anything without b"; stop words among other OR-ed words are dropped (inside
    phrases they stay).
    """
    if isinstance(node, t.And):
        parts = [c for c in _flat(t.And, map(_rewrite, node.children)) if c != t.NOTHING]
        return parts[0] if len(parts) == 1 else t.And(tuple(parts)) if parts else t.NOTHING
    if isinstance(node, t.Not):
        return t.Not(_rewrite(node.child))
    if isinstance(node, t.AndNot):
        return t.AndNot(_rewrite(node.positive), _rewrite(node.negative))
    if isinstance(node, t.AndMaybe):
        return t.AndMaybe(_rewrite(node.required), _rewrite(node.optional))
    if not isinstance(node, t.Or):
        return node
    children = [c for c in _flat(t.Or, map(_rewrite, node.children)) if c != t.NOTHING]
    negated = [c.child for c in children if isinstance(c, t.Not)]
    kept = _without_stop_words([c for c in children if not isinstance(c, t.Not)])
    if negated and kept:
        return t.AndNot(t.either(kept), t.either(negated))
    return t.either(kept if len(kept) < len(children) else children)


def _flat(kind: type[t.And | t.Or], nodes: Iterator[t.Node]) -> Iterator[t.Node]:
    for node in nodes:
        if isinstance(node, kind):
            yield from node.children
        else:
            yield node


def _without_stop_words(nodes: list[t.Node]) -> list[t.Node]:
    content = [n for n in nodes if not (isinstance(n, t.Term) and n.text in _analysis.stop_terms())]
    return content or nodes


def unbalanced(text: str) -> tuple[str, int] | None:
    """The first unclosed quote or parenthesis, or unmatched ')', as (message, position)."""
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
