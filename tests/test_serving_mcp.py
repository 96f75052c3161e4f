"""The MCP server, through the SDK's own client: in process (fast), and once end to end
over stdio as a desktop client runs it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters

from seedindex import Index
from seedindex.serving.mcp import server
from tests.conftest import MakeCorpus

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def ix(make_corpus: MakeCorpus, index_dir: Path) -> Iterator[Index]:
    root = make_corpus(
        {
            "aid.md": "# Aid\n\nMedical supplies reached the city.\n\n## Later\n\nConvoys back.",
            "notes/other.txt": "Other words about supplies of food.",
        }
    )
    with Index.open(root, index_dir=index_dir) as opened:
        yield opened


def results(answer: Any) -> list[dict[str, Any]]:
    assert not answer.is_error, answer.content
    found: list[dict[str, Any]] = answer.structured_content["results"]
    return found


async def test_search_then_fetch_a_passage_and_a_document(ix: Index) -> None:
    async with Client(server(ix)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {"search", "fetch", "similar", "refresh"}
        found = results(await client.call_tool("search", {"query": "medical supplies"}))
        first = found[0]
        assert first["path"] == "aid.md"
        assert first["section"] == "Aid"
        assert first["title"] == "aid.md: Aid"
        assert first["url"].startswith("file:///")
        assert first["url"].endswith("#L3")
        for hit in found:
            assert ix.text(hit["path"]).find(hit["text"]) >= 0
        fetched = (await client.call_tool("fetch", {"id": first["id"]})).structured_content
        assert fetched["text"] == "Medical supplies reached the city."
        assert fetched["metadata"]["line"] == 3
        whole = (await client.call_tool("fetch", {"id": "aid.md"})).structured_content
        assert whole["text"] == ix.text("aid.md")
        resource = await client.read_resource("seedindex://documents/aid.md")
        assert getattr(resource.contents[0], "text", None) == ix.text("aid.md")


async def test_similar_and_refresh(ix: Index) -> None:
    async with Client(server(ix)) as client:
        (hit, *_rest) = results(await client.call_tool("search", {"query": "supplies"}))
        like = results(await client.call_tool("similar", {"id": hit["id"], "limit": 5}))
        assert hit["id"] not in {other["id"] for other in like}
        (ix.seeds / "new.txt").write_text("Fresh supplies of medical kits.")
        report = (await client.call_tool("refresh", {})).structured_content
        assert report["added"] == 1
        paths = {h["path"] for h in results(await client.call_tool("search", {"query": "kits"}))}
        assert paths == {"new.txt"}


async def test_errors_are_tool_errors_with_the_reason(ix: Index) -> None:
    async with Client(server(ix)) as client:
        (hit, *_rest) = results(await client.call_tool("search", {"query": "medical"}))
        (ix.seeds / "aid.md").write_text("# Aid\n\nAll new text now.")
        stale = await client.call_tool("fetch", {"id": hit["id"]})
        assert stale.is_error
        assert "changed since" in getattr(stale.content[0], "text", "")
        for bad in ("nope.txt", "aid.md#1-2@00000000", "not an id#"):
            answer = await client.call_tool("fetch", {"id": bad})
            assert answer.is_error
        syntax = await client.call_tool("search", {"query": "medical", "limit": 0})
        assert syntax.is_error


async def test_the_server_over_stdio_as_a_desktop_client_runs_it(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "Humanitarian convoys carried medical supplies."})
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "seedindex", "mcp", "--seeds", str(root), "--index-dir", str(index_dir)],
    )
    async with Client(params) as client:
        found = results(await client.call_tool("search", {"query": "convoys", "limit": 3}))
        assert [hit["path"] for hit in found] == ["a.txt"]
        fetched = (await client.call_tool("fetch", {"id": found[0]["id"]})).structured_content
        assert fetched["text"] == "Humanitarian convoys carried medical supplies."
