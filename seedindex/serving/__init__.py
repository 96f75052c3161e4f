"""Serving other programs: an MCP server (``seedindex[mcp]``), retrievers for LangChain
(``seedindex[langchain]``) and LlamaIndex (``seedindex[llamaindex]``). Each is a thin
shell over the public library API, imported only when used."""
