"""seedindex: full-text search over a folder of documents, answered with exact passages."""

from importlib.metadata import PackageNotFoundError, version

from ._config import Config
from ._index import Index, Stats, UpdateReport, query
from ._results import Explanation, Passage, TermScore
from .errors import QuerySyntaxError, SeedIndexError

try:
    __version__ = version("seedindex")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Config",
    "Explanation",
    "Index",
    "Passage",
    "QuerySyntaxError",
    "SeedIndexError",
    "Stats",
    "TermScore",
    "UpdateReport",
    "__version__",
    "query",
]
