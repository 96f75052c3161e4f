"""seedindex: full-text search over a folder of documents, answered with exact passages."""

from ._config import Config
from ._index import Index, Stats, UpdateReport, query
from ._results import Explanation, Passage, TermScore
from .errors import QuerySyntaxError, SeedIndexError

__version__ = "0.1.0"  # setup.cfg reads it from here

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
