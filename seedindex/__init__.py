"""seedindex: full-text search over a folder of documents, answered with exact passages."""

from ._config import Config, Shard
from ._index import Index, Stats, query, stats
from ._results import Explanation, Passage, Results, TermScore
from ._sync import UpdateReport
from ._version import __version__
from .errors import QuerySyntaxError, SeedIndexError, ShardUnavailableError

__all__ = [
    "Config",
    "Explanation",
    "Index",
    "Passage",
    "QuerySyntaxError",
    "Results",
    "SeedIndexError",
    "Shard",
    "ShardUnavailableError",
    "Stats",
    "TermScore",
    "UpdateReport",
    "__version__",
    "query",
    "stats",
]
