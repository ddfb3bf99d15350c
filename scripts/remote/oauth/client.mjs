// The test client of as.mjs.
//   node client.mjs token ISSUER AUDIENCE SCOPE   authorization code + PKCE (S256) through the
//                                                 real endpoints; prints {"access_token": ...}
//   node client.mjs forge ISSUER AUDIENCE KEYS_FILE GOOD_TOKEN
//                                                 prints tokens that must all be refused (and one
//                                                 without tracker scopes), as {name: token}
import { createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const [command, issuer, audience, ...rest] = process.argv.slice(2);

async function token(scope) {
  const clientId = 'tracker-mcp-test';
  const redirectUri = 'http://127.0.0.1/callback';
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(12));
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const jar = new Map();
  const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let url = `${meta.authorization_endpoint}?${new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256', resource: audience,
  })}`;
  let code;
  for (let hop = 0; hop < 20 && !code; hop += 1) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: cookies() } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`no redirect from ${url}: ${res.status} ${await res.text()}`);
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUri)) {
      if (next.searchParams.get('state') !== state) throw new Error('state mismatch');
      code = next.searchParams.get('code');
      if (!code) throw new Error(`authorization failed: ${next.search}`);
    }
    url = next.href;
  }
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId,
      code_verifier: verifier, resource: audience,
    }),
  });
  const body = await res.json();
  if (!body.access_token) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}

function forge(keysFile, good) {
  const { keys } = JSON.parse(readFileSync(keysFile, 'utf8'));
  const rsa = keys.find((k) => k.kid === 'rsa-1');
  const privateKey = createPrivateKey({ key: rsa, format: 'jwk' });
  const [, goodPayload] = good.split('.');
  const base = JSON.parse(Buffer.from(goodPayload, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  const rs256 = (claims, header = { alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' }) => {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`;
  };
  const claims = (changes) => ({ ...base, ...changes });
  const [h, , s] = good.split('.');
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' });
  const hsInput = `${b64url(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' }))}.${b64url(JSON.stringify(base))}`;
  return {
    // Correctly signed with the issuer's own key; one thing wrong each.
    expired: rs256(claims({ iat: now - 3600, exp: now - 600 })),
    not_yet_valid: rs256(claims({ nbf: now + 3600 })),
    wrong_audience: rs256(claims({ aud: 'https://someone-else.test/mcp' })),
    wrong_issuer: rs256(claims({ iss: 'http://127.0.0.1:1' })),
    string_exp: rs256(claims({ exp: String(now + 600) })),
    unknown_kid: rs256(claims({}), { alg: 'RS256', kid: 'rotated-9' }),
    // Not signed by the issuer.
    tampered: `${h}.${b64url(JSON.stringify(claims({ scope: 'tracker:read tracker:write', sub: 'mallory' })))}.${s}`,
    alg_none: `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(base))}.`,
    hmac_with_public_key: `${hsInput}.${b64url(createHmac('sha256', publicPem).update(hsInput).digest())}`,
    // Valid, but without any tracker scope: 403.
    no_tracker_scope: rs256(claims({ scope: 'openid' })),
  };
}

try {
  if (command === 'token') console.log(JSON.stringify({ access_token: await token(rest[0]) }));
  else if (command === 'forge') console.log(JSON.stringify(forge(rest[0], rest[1])));
  else throw new Error(`unknown command ${command}`);
} catch (error) {
  console.error(error.stack || String(error));
  process.exit(1);
}
