"""Whoosh's pickles read as data: only the classes an index of ours holds are built.

Whoosh stores its schema and segment list (the TOC), stored passages and postings
blocks as pickles, and a pickle can name any callable. Read with the stock
unpickler, a crafted index directory would run code as it is opened. While
seedindex reads (see ``_compat.ours``), Whoosh's unpickling goes through
``RestrictedUnpickler``, which refuses every global but those listed here.
"""

from __future__ import annotations

import io
import pickle
import types
from collections.abc import Callable
from typing import IO, Any

# What an index of ours holds (found by listing the globals of each of its pickles):
# the schema's fields, formats, columns and analyzer, the segments, and values.
ALLOWED = frozenset(
    {
        ("builtins", "frozenset"),
        ("builtins", "int"),
        ("builtins", "set"),
        ("_codecs", "encode"),  # bytes, as protocol 2 writes them
        ("array", "_array_reconstructor"),
        ("collections", "defaultdict"),
        ("whoosh.analysis.tokenizers", "IDTokenizer"),
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.columns", "VarBytesColumn"),
        ("whoosh.fields", "COLUMN"),
        ("whoosh.fields", "ID"),
        ("whoosh.fields", "Schema"),
        ("whoosh.fields", "TEXT"),
        ("whoosh.formats", "Existence"),
        ("seedindex.engine.whoosh._schema", "Analyzer"),
        ("seedindex.engine.whoosh._schema", "Codec"),
        ("seedindex.engine.whoosh._schema", "PassageFrequency"),
        ("seedindex.engine.whoosh._schema", "PassagePositions"),
        ("seedindex.engine.whoosh._schema", "WrittenWords"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the ``ALLOWED`` globals."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(
                f"the index holds a {module}.{name}, which is not part of a seedindex index"
            )
        return super().find_class(module, name)


def restricted_loads(data: bytes | bytearray | memoryview) -> Any:
    return RestrictedUnpickler(io.BytesIO(data)).load()


def restricted_load(file: IO[bytes]) -> Any:
    return RestrictedUnpickler(file).load()


def install(restricted: Callable[[], bool]) -> None:
    """Point Whoosh's unpickling at the restricted unpickler whenever ``restricted()``."""
    from whoosh import columns, index
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    def loads(data: bytes, *args: Any, **kwargs: Any) -> Any:
        return restricted_loads(data) if restricted() else pickle.loads(data, *args, **kwargs)

    def load(file: IO[bytes], *args: Any, **kwargs: Any) -> Any:
        return restricted_load(file) if restricted() else pickle.load(file, *args, **kwargs)

    whoosh3.loads = columns.loads = loads
    structfile.load_pickle = load
    # The TOC reads its schema with ``pickle.loads``: that module, with our loads.
    index.pickle = types.SimpleNamespace(
        loads=loads, dumps=pickle.dumps, PicklingError=pickle.PicklingError
    )
