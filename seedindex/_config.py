"""Settings, and where the seeds folder and the index directory are."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ._analysis import LANGUAGES
from .documents import EXTENSIONS
from .errors import ConfigError

SEEDS_ENV = "SEEDINDEX_SEEDS"
INDEX_DIR_ENV = "SEEDINDEX_INDEX_DIR"
SHARDS_ENV = "SEEDINDEX_SHARDS"


def _extensions(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted({e.lower() if e.startswith(".") else "." + e.lower() for e in value}))


#: The engines, by name, and the module that makes each (imported only when used).
ENGINES = {
    "whoosh": "seedindex.engine.whoosh",
    "memory": "seedindex.engine.memory",
    "xapian": "seedindex.engine.xapian",
}
#: What a sharded index does when a shard does not answer.
ON_SHARD_ERROR = ("raise", "partial")


def _address(text: str) -> str:
    host, colon, port = text.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"a shard's address is HOST:PORT, not {text!r}")
    return f"{host}:{int(port)}"


def _addresses(texts: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(map(_address, texts))


@attrs.frozen
class Shard:
    """One shard of a sharded index: the server its part is written to (read from too),
    and replicas of it, read from first. ``Shard.parse("host:port|replica:port")``."""

    address: str = attrs.field(converter=_address)
    replicas: tuple[str, ...] = attrs.field(default=(), converter=_addresses)

    @classmethod
    def parse(cls, text: str) -> Shard:
        address, *replicas = text.split("|")
        return cls(address, tuple(replicas))

    @property
    def readers(self) -> tuple[str, ...]:
        """The addresses to read from, in the order they are tried."""
        return (*self.replicas, self.address)

    def __str__(self) -> str:
        return "|".join((self.address, *self.replicas))


def _shards_of(
    value: str | Shard | Sequence[str | Shard],
) -> tuple[Shard, ...]:
    """Shards from ``Shard`` values or text: ``"host:port,host:port|replica:port"``."""
    items: Sequence[str | Shard]
    if isinstance(value, Shard):
        items = [value]
    else:
        items = value.split(",") if isinstance(value, str) else value
    return tuple(item if isinstance(item, Shard) else Shard.parse(item) for item in items if item)


def _engine(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(sorted(ENGINES))}, not {value!r}")


def _language(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {value!r}")


def _on_shard_error(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ON_SHARD_ERROR:
        raise ConfigError(
            f"on_shard_error must be one of {', '.join(ON_SHARD_ERROR)}, not {value!r}"
        )


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
    #: directory), ``"memory"`` (built again at every open; for tests and tiny folders) or
    #: ``"xapian"`` (remote shards: set by ``shards``).
    engine: str = attrs.field(default="whoosh", validator=_engine)
    #: The servers of a sharded index (``seedindex[shards]``), one ``Shard`` (or
    #: ``"host:port"``) each: passages are kept and searched there, the manifest here.
    shards: tuple[Shard, ...] = attrs.field(default=(), converter=_shards_of)
    #: Seconds a shard may take to accept a connection, and to answer once connected.
    shard_connect_timeout: float = attrs.field(default=1.0, validator=_positive)
    shard_timeout: float = attrs.field(default=2.0, validator=_positive)
    #: When a shard does not answer: ``"raise"`` ``ShardUnavailableError``, or
    #: ``"partial"``: answer from the others, with a warning.
    on_shard_error: str = attrs.field(default="raise", validator=_on_shard_error)
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

    def __attrs_post_init__(self) -> None:
        if self.shards and self.engine == "whoosh":  # (the default: shards say which)
            object.__setattr__(self, "engine", "xapian")
        if (self.engine == "xapian") != bool(self.shards):
            raise ConfigError("the xapian engine is the engine of shards: give both, or neither")

    def fingerprint(self) -> str:
        """What the index content depends on: a change means a full rebuild."""
        parts = [",".join(self.extensions), str(self.max_passage_words)]
        parts += [str(self.max_file_bytes), str(self.follow_external_links), self.engine]
        parts.append(self.language)
        if self.shards:  # (their addresses may change: the shards stay the same)
            parts.append(f"shards:{len(self.shards)}")
        if self.semantic:
            embedder = self.embedder
            named = "default" if embedder is None else f"{embedder.name}/{embedder.dimension}"
            parts.append(f"semantic:{named}")
        return "|".join(parts)


def with_shards(config: Config, shards: str | Sequence[str | Shard] | None) -> Config:
    """``config`` on ``shards`` if given, else on its own, else on ``$SEEDINDEX_SHARDS``."""
    if shards is None and not config.shards:
        shards = os.environ.get(SHARDS_ENV) or None
    if shards is None:
        return config
    sharded = attrs.evolve(config, shards=shards)
    if not sharded.shards:
        raise ConfigError("no shard addresses were given")
    return sharded


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
