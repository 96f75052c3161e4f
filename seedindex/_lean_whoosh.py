"""Whoosh imported without two heavy modules it never needs here.

``whoosh.compat`` imports ``urllib.request`` (for a download helper seedindex never
calls) and ``whoosh.reading`` imports the ``cached_property`` package, which imports
``asyncio``: together about 40 ms of a 150 ms one-shot CLI query. While those two
Whoosh modules load, light stand-ins take the heavy modules' places in
``sys.modules``; they are removed straight after, so any later import gets the real
modules. ``_engine`` imports this module before anything of Whoosh's.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


@contextmanager
def _stand_in(name: str, **attributes: Any) -> Iterator[None]:
    if name in sys.modules:
        yield
        return
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    try:
        yield
    finally:
        if sys.modules.get(name) is module:
            del sys.modules[name]


with (
    _stand_in("urllib.request", urlretrieve=_urlretrieve),
    # The package's descriptor does what the standard library's does for Whoosh's one use.
    _stand_in("cached_property", cached_property=functools.cached_property),
):
    import whoosh.compat
    import whoosh.reading  # noqa: F401
