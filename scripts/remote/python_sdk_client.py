"""Drive tracker-mcp's Streamable HTTP endpoint with the official MCP Python SDK.

Usage: MCP_TOKEN=... python_sdk_client.py URL

1. A wrong token must be refused (the SDK raises before any tool is listed).
2. With the token: initialize, list the tools, call redmine_whoami; print what came back.
Exits non-zero when anything differs.
"""

import asyncio
import os
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def session_with(url: str, token: str):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client, streamable_http_client(url, http_client=client) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            names = sorted(tool.name for tool in tools.tools)
            result = await session.call_tool("redmine_whoami", {})
            text = "\n".join(block.text for block in result.content if getattr(block, "text", None))
            return init, names, result.is_error, text


def flatten(error: BaseException):
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from flatten(inner)
    else:
        yield error
        if error.__cause__ is not None:
            yield from flatten(error.__cause__)


async def main() -> int:
    url, token = sys.argv[1], os.environ["MCP_TOKEN"]
    try:
        await asyncio.wait_for(session_with(url, "wrong-" + token), timeout=30)
    except Exception as error:  # the SDK wraps the HTTP error in exception groups
        leaves = list(flatten(error))
        # The server's 401 carries a JSON-RPC error, which the SDK passes on.
        if not any("Unauthorized: the bearer token is not valid" in str(leaf) for leaf in leaves):
            print(f"refused, but not as unauthorized: {leaves!r}", file=sys.stderr)
            return 1
        print(f"unauthorized: refused ({leaves[0]})")
    else:
        print("a wrong token was accepted", file=sys.stderr)
        return 1
    init, names, is_error, text = await asyncio.wait_for(session_with(url, token), timeout=60)
    print(f"server: {init.server_info.name} {init.server_info.version} protocol {init.protocol_version}")
    print(f"tools: {len(names)}: {', '.join(names)}")
    print(f"redmine_whoami (isError={is_error}): {text}")
    if init.server_info.name != "tracker-mcp" or "redmine_whoami" not in names or is_error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
