"""The peer for `cargo bench --bench remote`: the official Python SDK's MCPServer (FastMCP's
successor in mcp 2.x) with one tool doing what tracker-mcp's redmine_whoami does against the
bench's fake Redmine (GET /users/current.json with the API key header, a line of text back),
served over Streamable HTTP, stateless with JSON answers, like `serve --http --http-stateless`.
No authentication (tracker-mcp checks a bearer token on every request; the peer does less).

Usage: python peer_mcpserver.py PORT UPSTREAM_URL
"""

import sys

import httpx2
from mcp.server.mcpserver import MCPServer

port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
server = MCPServer("peer", log_level="WARNING")
client: httpx2.AsyncClient | None = None


@server.tool()
async def redmine_whoami() -> str:
    """Who the server acts as on Redmine."""
    global client
    if client is None:
        client = httpx2.AsyncClient(timeout=30)
    response = await client.get(f"{upstream}/users/current.json", headers={"X-Redmine-API-Key": "bench"})
    user = response.json()["user"]
    return f"Redmine user {user['login']} ({user['firstname']} {user['lastname']}), id {user['id']}"


server.run("streamable-http", host="127.0.0.1", port=port, stateless_http=True, json_response=True)
