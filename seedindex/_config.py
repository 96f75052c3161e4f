"""Settings, and where the seeds folder and the index directory are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from ._analysis import LANGUAGES
from .documents import EXTENSIONS
from .errors import ConfigError

SEEDS_ENV = "SEEDINDEX_SEEDS"
INDEX_DIR_ENV = "SEEDINDEX_INDEX_DIR"


def _extensions(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted({e.lower() if e.startswith(".") else "." + e.lower() for e in value}))


#: The engines, by name, and the module that makes each (imported only when used).
ENGINES = {"whoosh": "seedindex.engine.whoosh", "memory": "seedindex.engine.memory"}


def _engine(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(sorted(ENGINES))}, not {value!r}")


def _language(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{attribute.name} must be positive, not {value!r}")


@attrs.frozen
class Config:
    """How seedindex reads, splits, marks and locks. Every field has a sensible default."""

    #: File name endings read as documents (case-insensitive).
    extensions: tuple[str, ...] = attrs.field(default=EXTENSIONS, converter=_extensions)
    #: Paragraphs with more words than this are split at sentence ends.
    max_passage_words: int = attrs.field(default=500, validator=_positive)
    #: Files larger than this many bytes are skipped with a warning.
    max_file_bytes: int = attrs.field(default=256 * 1024 * 1024, validator=_positive)
    #: Follow symbolic links that point outside the seeds folder.
    follow_external_links: bool = False
    #: Text put before and after each matched word in ``Passage.highlights``.
    highlight: tuple[str, str] = ("[[", "]]")
    #: Plain word queries also score the words their best passages share (pseudo-relevance
    #: feedback): better ranking, and passages found that miss some of the query's words.
    feedback: bool = True
    #: Seconds a query may take: then the best passages found so far are returned, with a
    #: warning (with ``strict``, ``QueryTimeoutError``).
    query_timeout: float = attrs.field(default=5.0, validator=_positive)
    #: Seconds a writer waits for another writer before ``IndexLockedError``.
    lock_timeout: float = attrs.field(default=10.0, validator=_positive)
    #: The engine that stores and searches the passages: ``"whoosh"`` (in the index
    #: directory) or ``"memory"`` (built again at every open; for tests and tiny folders).
    engine: str = attrs.field(default="whoosh", validator=_engine)
    #: The language words are stemmed in, and whose stop words plain queries leave out
    #: (Snowball's: english, french, german, spanish, russian, ...).
    language: str = attrs.field(default="english", validator=_language)
    #: Rank by BM25 fused with a semantic signal: every passage is embedded at index
    #: time (the extra ``seedindex[semantic]``).
    semantic: bool = False
    #: What embeds passages and queries when ``semantic`` (None: WordLlama): anything with
    #: ``name``, ``dimension`` and ``embed(texts) -> array`` (``seedindex.semantic.Embedder``).
    embedder: Any = attrs.field(default=None, eq=False)
    #: Use an index directory that another user owns or that others may write in
    #: (refused by default: its files could have been planted).
    trust_index_dir: bool = False

    def fingerprint(self) -> str:
        """What the index content depends on: a change means a full rebuild."""
        parts = [",".join(self.extensions), str(self.max_passage_words)]
        parts += [str(self.max_file_bytes), str(self.follow_external_links), self.engine]
        parts.append(self.language)
        if self.semantic:
            embedder = self.embedder
            named = "default" if embedder is None else f"{embedder.name}/{embedder.dimension}"
            parts.append(f"semantic:{named}")
        return "|".join(parts)


def bundled_seeds() -> Path:
    """The seeds shipped with the package (or, in a source checkout, the repo's)."""
    here = Path(__file__).resolve().parent
    installed = here / "seeds"
    return installed if installed.is_dir() else here.parent / "seeds"


def seeds_root(seeds: str | os.PathLike[str] | None) -> Path:
    """Explicit argument, else ``$SEEDINDEX_SEEDS``, else the bundled seeds."""
    if seeds is not None:
        return Path(seeds).expanduser().absolute()
    from_env = os.environ.get(SEEDS_ENV)
    if from_env:
        return Path(from_env).expanduser().absolute()
    return bundled_seeds()


def index_location(seeds: Path, index_dir: str | os.PathLike[str] | None, config: Config) -> Path:
    """Explicit argument, else ``$SEEDINDEX_INDEX_DIR``, else one cache folder per seeds
    root and settings (two settings of one folder must not rebuild each other's index)."""
    if index_dir is not None:
        return Path(index_dir).expanduser().absolute()
    from_env = os.environ.get(INDEX_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser().absolute()
    import hashlib  # here: OpenSSL's start-up is not needed when the folder is given

    import platformdirs

    key = os.fsencode(seeds) + b"\0" + config.fingerprint().encode("utf-8")
    digest = hashlib.sha256(key).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("seedindex")) / f"{seeds.name or 'root'}-{digest}"
