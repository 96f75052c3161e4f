"""Xapian's Python bindings (the extra ``seedindex[shards]``), or a clear error."""

from __future__ import annotations

from ...errors import ConfigError

try:
    import xapian
except ImportError:
    raise ConfigError(
        "shards need the shards extra (Xapian's bindings, GPL): pip install 'seedindex[shards]'"
    ) from None

__all__ = ["xapian"]
