"""Embedders: anything with a name, a dimension and ``embed(texts) -> array``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors: ``embed`` returns one row of ``dimension`` floats a
    text. ``name`` and ``dimension`` are part of the index's fingerprint: another
    embedder means another index."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Any: ...


def fingerprint(embedder: Embedder) -> str:
    return f"{embedder.name}/{embedder.dimension}"


class WordLlama:
    """WordLlama's static token embeddings (MIT), shipped inside its wheel: no download,
    numpy only, about a millisecond a query."""

    name = "wordllama-l2-supercat-256"
    dimension = 256

    def __init__(self) -> None:
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> Any:
        if self._model is None:
            self._model = _load_wordllama()
        return self._model.embed(list(texts), norm=True, return_np=True)


def _load_wordllama() -> Any:
    """The model from the package's own files. (``WordLlama.load()`` looks for a
    ``tokenizer/`` folder while the wheel ships ``tokenizers/``, and would try to
    download; pointing the cache at the package's folder, offline, works.)"""
    try:
        import wordllama
        from wordllama import WordLlama as Model
    except ImportError:
        raise ConfigError(
            "semantic search needs the semantic extra: pip install 'seedindex[semantic]'"
        ) from None
    from pathlib import Path

    folder = Path(wordllama.__file__).parent
    return Model.load(dim=256, cache_dir=folder, disable_download=True)


_DEFAULT: WordLlama | None = None


def default_embedder() -> Embedder:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = WordLlama()
    return _DEFAULT
