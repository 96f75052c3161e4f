"""An MCP server over an index (the extra ``seedindex[mcp]``): ``seedindex mcp``.

Tools ``search(query, limit)`` and ``fetch(id)`` in the shape search connectors expect
(``{"results": [{"id", "title", "url", ...}]}``; ``{"id", "title", "text", "url",
"metadata"}``), ``similar(id, limit)``, ``refresh()``, and a resource template for
whole documents (``seedindex://documents/{+path}``). The index is brought up to date
before serving and by ``refresh``; nothing but the protocol is written to stdout.
"""

from __future__ import annotations

import threading
from typing import Any

from .. import Config, Index, SeedIndexError
from ._records import file_url, passage_id, passage_record, resolve, title_of

try:
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations
except ImportError as exc:  # the extra is not installed
    raise ImportError("the MCP server needs the mcp extra: pip install 'seedindex[mcp]'") from exc

__all__ = ["serve", "server"]

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_INSTRUCTIONS = (
    "Full-text search over a folder of documents. `search` answers passages (exact text, "
    "file, lines, section, page, score); `fetch` an id (a passage) or a path (a whole "
    "document); `similar` passages like one; `refresh` re-indexes what changed. Queries "
    'take words, "phrases", AND/OR/NOT, prefix*, fuzzy~ and field:word (title, section, path).'
)


def server(ix: Index) -> MCPServer:
    """The MCP server of an open index (one call at a time reaches it)."""
    app = MCPServer("seedindex", instructions=_INSTRUCTIONS)
    lock = threading.Lock()  # sync tools run on worker threads

    def guarded(call: Any, *args: Any) -> Any:
        with lock:
            try:
                return call(*args)
            except SeedIndexError as exc:
                raise ToolError(str(exc)) from None

    @app.tool(annotations=_READ_ONLY)
    def search(query: str, limit: int = 10) -> dict[str, Any]:
        """Passages matching the query, best first."""
        hits = guarded(lambda: ix.search(query, limit=limit))
        return {"results": [passage_record(hit, ix.seeds) for hit in hits]}

    @app.tool(annotations=_READ_ONLY)
    def fetch(id: str) -> dict[str, Any]:
        """A passage by the id `search` gave, or a whole document by its path."""
        found: dict[str, Any] = guarded(_fetch, ix, id)
        return found

    @app.tool(annotations=_READ_ONLY)
    def similar(id: str, limit: int = 10) -> dict[str, Any]:
        """Passages most like the one with this id."""
        hits = guarded(_similar, ix, id, limit)
        return {"results": [passage_record(hit, ix.seeds) for hit in hits]}

    @app.tool()
    def refresh() -> dict[str, Any]:
        """Re-index what changed in the folder since the last update."""
        report = guarded(ix.update)
        return {
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "skipped": report.skipped,
            "passages": report.passages,
        }

    @app.resource("seedindex://documents/{+path}", mime_type="text/plain")
    def document(path: str) -> str:
        """A whole document's text (the text its passages' offsets point into)."""
        found: str = guarded(ix.text, path)
        return found

    return app


def _fetch(ix: Index, ref: str) -> dict[str, Any]:
    if "#" not in ref:  # a document's path
        text = ix.text(ref)
        url = file_url(ix.seeds, ref)
        return {"id": ref, "title": ref, "text": text, "url": url, "metadata": {"path": ref}}
    path, start, end, text = resolve(ix.text, ref)
    passage = _passage(ix, path, start)
    return {
        "id": passage_id(path, start, end, text),
        "title": title_of(path, passage.section),
        "text": text,
        "url": file_url(ix.seeds, path, passage.line),
        "metadata": {
            "path": path,
            "line": passage.line,
            "end_line": passage.end_line,
            "section": passage.section,
            "page": passage.page,
        },
    }


def _similar(ix: Index, ref: str, limit: int) -> list[Any]:
    path, start, _end, _text = resolve(ix.text, ref)
    return ix.similar(_passage(ix, path, start), limit=limit)


def _passage(ix: Index, path: str, start: int) -> Any:
    line = ix.text(path).count("\n", 0, start) + 1
    return ix.passage_at(path, line)


def serve(seeds: str | None, index_dir: str | None, config: Config | None = None) -> None:
    """Open (and update) the index, then answer MCP over stdio until the client leaves."""
    with Index.open(seeds, index_dir=index_dir, config=config) as ix:
        server(ix).run("stdio")
