// The official MCP TypeScript SDK's Streamable HTTP client against tracker-mcp.
// Usage: MCP_TOKEN=... node client.mjs URL
// 1. A wrong token must be refused. 2. With the token: connect (initialize), list the tools,
// call redmine_whoami, print what came back. Exits non-zero when anything differs.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = new URL(process.argv[2]);
const token = process.env.MCP_TOKEN;

async function session(bearer) {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
  const client = new Client({ name: 'tracker-mcp-ts-test', version: '1' });
  await client.connect(transport);
  try {
    const tools = await client.listTools();
    const result = await client.callTool({ name: 'redmine_whoami', arguments: {} });
    return { server: client.getServerVersion(), tools: tools.tools.map((t) => t.name).sort(), result };
  } finally {
    await client.close();
  }
}

try {
  await session(`wrong-${token}`);
  console.error('a wrong token was accepted');
  process.exit(1);
} catch (error) {
  if (!/401|Unauthorized/.test(String(error))) {
    console.error(`refused, but not as unauthorized: ${error}`);
    process.exit(1);
  }
  console.log(`unauthorized: refused (${String(error).slice(0, 120)})`);
}
const { server, tools, result } = await session(token);
const text = result.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
console.log(`server: ${server.name} ${server.version}`);
console.log(`tools: ${tools.length}: ${tools.join(', ')}`);
console.log(`redmine_whoami (isError=${result.isError === true}): ${text}`);
if (server.name !== 'tracker-mcp' || !tools.includes('redmine_whoami') || result.isError) process.exit(1);
