"""Where an index lives on disk: its directory and marker, the write lock, and the
manifest of what it holds."""

from . import manifest
from ._directory import IndexDirectory
from ._lock import WriteLock

__all__ = ["IndexDirectory", "WriteLock", "manifest"]
