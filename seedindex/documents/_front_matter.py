"""YAML (``---``) or TOML (``+++``) front matter at the top of a file: the title, tags
and aliases a note or a static site's page declares. Only those keys are read, in the
forms such front matter uses (``key: value``, ``key: [a, b]``, a list of ``- item``
lines; TOML's ``key = "value"`` and ``key = ["a", "b"]``)."""

from __future__ import annotations

import re

import attrs

_FENCES = {"---": re.compile(r"(?:---|\.\.\.)[ \t]*"), "+++": re.compile(r"\+\+\+[ \t]*")}
_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*[:=][ \t]*(.*)")
_ITEM = re.compile(r"[ \t]*-[ \t]+(.*)")
_LIST_KEYS = ("tags", "aliases", "keywords", "categories")


@attrs.frozen
class Metadata:
    title: str = ""
    tags: tuple[str, ...] = ()


def front_matter(text: str) -> tuple[Metadata, int]:
    """The metadata at the top of ``text`` and where the rest begins (0: none)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() not in _FENCES:
        return Metadata(), 0
    closing = _FENCES[lines[0].strip()]
    offset = len(lines[0])
    body: list[str] = []
    for line in lines[1:]:
        offset += len(line)
        if closing.fullmatch(line.rstrip("\r\n")):
            return _metadata(body), offset
        body.append(line.rstrip("\r\n"))
    return Metadata(), 0  # never closed: not front matter


def _metadata(lines: list[str]) -> Metadata:
    values: dict[str, list[str]] = {}
    key = ""
    for line in lines:
        item = _ITEM.fullmatch(line)
        if item and key:
            values[key].append(_scalar(item.group(1)))
            continue
        found = _KEY.fullmatch(line)
        if found is None:
            continue
        key = found.group(1).lower()
        value = found.group(2).strip()
        values[key] = _list(value) if value.startswith("[") else ([_scalar(value)] if value else [])
    tags = [v for k in _LIST_KEYS for v in values.get(k, []) if v]
    title = next(iter(values.get("title", [])), "")
    return Metadata(title, tuple(dict.fromkeys(tags)))


def _list(value: str) -> list[str]:
    return [_scalar(item) for item in value.strip("[] ").split(",") if item.strip()]


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #")[0].strip()
