"""The passages' vectors, in the index directory: a matrix (one row a passage, float32,
unit length) and the rows' passages (path, start, content hash), for one engine commit.

Vectors are reused by content hash: an update embeds only new or changed passages, and a
rebuild only what no passage had before. The store names the commit it describes; a
store that describes another one (a crash between the two) is rebuilt with the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._fs import write_atomically
from ..engine import PassageKey
from ..errors import ConfigError
from ._embedder import Embedder, fingerprint

_ROWS = "rows.json"
_BATCH = 256

Row = tuple[str, int, str]  # path, start, content hash


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class VectorStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    # -- reading ---------------------------------------------------------------

    def state(self) -> dict[str, Any] | None:
        """{"generation", "embedder", "rows", "matrix"}, or None when there is none."""
        try:
            st = (self.folder / _ROWS).stat()
        except OSError:
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._loaded is None or self._loaded[0] != key:
            import numpy

            try:
                header = json.loads((self.folder / _ROWS).read_text(encoding="utf-8"))
                matrix = numpy.load(self.folder / header["matrix"], allow_pickle=False)
                rows = [(str(p), int(s), str(h)) for p, s, h in header["rows"]]
                if matrix.shape[0] != len(rows):
                    return None
            except (OSError, ValueError, KeyError, TypeError):
                return None
            self._loaded = (key, {**header, "rows": rows, "matrix": matrix})
        return self._loaded[1]

    def describes(self, generation: int, embedder: Embedder) -> bool:
        state = self.state()
        return (
            state is not None
            and state["generation"] == generation
            and state["embedder"] == fingerprint(embedder)
        )

    def nearest(self, vector: Any, limit: int) -> list[tuple[PassageKey, float]]:
        """The ``limit`` passages whose vectors are nearest ``vector`` (cosine), best first."""
        import numpy

        state = self.state()
        if state is None or not state["rows"]:
            return []
        scores = state["matrix"] @ numpy.asarray(vector, dtype=numpy.float32)
        count = min(limit, len(scores))
        best = numpy.argpartition(-scores, count - 1)[:count]
        best = best[numpy.argsort(-scores[best], kind="stable")]
        keys = state.get("_keys")
        if keys is None:  # made once a loaded store, not once a query
            keys = state["_keys"] = [PassageKey(path, start) for path, start, _h in state["rows"]]
        return list(zip(map(keys.__getitem__, best.tolist()), scores[best].tolist(), strict=True))

    def similarity(self, vector: Any, path: str, start: int) -> float | None:
        """The cosine of ``vector`` and the passage's vector, or None without one."""
        import numpy

        state = self.state()
        if state is None:
            return None
        rows = state.setdefault(
            "_row_of", {(p, s): i for i, (p, s, _h) in enumerate(state["rows"])}
        )
        row = rows.get((path, start))
        if row is None:
            return None
        return float(state["matrix"][row] @ numpy.asarray(vector, dtype=numpy.float32))

    # -- writing -----------------------------------------------------------------

    def apply(
        self,
        generation: int,
        embedder: Embedder,
        removed: Iterable[str],
        added: Mapping[str, Sequence[tuple[int, str]]],
        *,
        full: bool,
        progress: Any = None,
    ) -> None:
        """Describe commit ``generation``: the passages of ``removed`` and ``added``
        files go, ``added``'s (start, text to embed) come (with ``full``, only those)."""
        import numpy

        state = self.state()
        usable = state is not None and state["embedder"] == fingerprint(embedder)
        old_rows: list[Row] = state["rows"] if usable and state else []
        old_matrix = state["matrix"] if usable and state else None
        gone = set(removed) | set(added)
        kept = [] if full else [i for i, row in enumerate(old_rows) if row[0] not in gone]
        new_rows: list[Row] = [old_rows[i] for i in kept]
        texts = {}
        for path, passages in added.items():
            for start, text in passages:
                digest = content_hash(text)
                new_rows.append((path, start, digest))
                texts[digest] = text
        new_rows.sort()
        known = {row[2]: i for i, row in enumerate(old_rows)}
        to_embed = [d for d in dict.fromkeys(row[2] for row in new_rows) if d not in known]
        fresh = self._embed(embedder, [texts[d] for d in to_embed], progress)
        fresh_of = {d: i for i, d in enumerate(to_embed)}
        matrix = numpy.zeros((len(new_rows), embedder.dimension), dtype=numpy.float32)
        for number, (_path, _start, digest) in enumerate(new_rows):
            if digest in fresh_of:
                matrix[number] = fresh[fresh_of[digest]]
            else:
                assert old_matrix is not None
                matrix[number] = old_matrix[known[digest]]
        self._save(generation, embedder, new_rows, matrix)

    def _embed(self, embedder: Embedder, texts: list[str], progress: Any) -> Any:
        import numpy

        parts = []
        for first in range(0, len(texts), _BATCH):
            batch = numpy.asarray(
                embedder.embed(texts[first : first + _BATCH]), dtype=numpy.float32
            )
            if batch.shape != (len(texts[first : first + _BATCH]), embedder.dimension):
                raise ConfigError(
                    f"embedder {embedder.name} gave vectors of shape {batch.shape}, "
                    f"not ({len(texts[first : first + _BATCH])}, {embedder.dimension})"
                )
            norms = numpy.linalg.norm(batch, axis=1, keepdims=True)
            parts.append(batch / numpy.where(norms > 0, norms, 1.0))
            if progress is not None:
                progress(min(first + _BATCH, len(texts)), len(texts))
        if not parts:
            return numpy.zeros((0, embedder.dimension), dtype=numpy.float32)
        return numpy.concatenate(parts)

    def _save(self, generation: int, embedder: Embedder, rows: list[Row], matrix: Any) -> None:
        import numpy

        self.folder.mkdir(exist_ok=True)
        name = f"vectors-{generation}.npy"
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            numpy.save(handle, matrix, allow_pickle=False)
        os.replace(temporary, self.folder / name)
        header = {
            "generation": generation,
            "embedder": fingerprint(embedder),
            "matrix": name,
            "rows": rows,
        }
        write_atomically(self.folder / _ROWS, json.dumps(header, separators=(",", ":")))
        for old in self.folder.glob("vectors-*.npy"):
            if old.name != name:
                old.unlink(missing_ok=True)
