// A real OAuth 2.1 / OpenID authorization server for the tests: oidc-provider (pinned in
// package.json), on 127.0.0.1 at a free port. Public client `tracker-mcp-test` (PKCE, no
// secret, redirect http://127.0.0.1/callback); JWT access tokens for the resource in AUDIENCE
// with the scopes tracker:read and tracker:write; interactions approve at once as user
// `alice` (the client still goes through /authorize, the login and consent redirects, and
// /token). Its signing keys (private!) are written to KEYS_FILE so the tests can forge
// tokens that are signed correctly but wrong in one claim. Prints {"issuer": ...} when up.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const audience = process.env.AUDIENCE;
const keysFile = process.env.KEYS_FILE;
const alg = process.env.ALG || 'RS256';
if (!audience || !keysFile) {
  console.error('AUDIENCE and KEYS_FILE are required');
  process.exit(2);
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const keys = [
  { ...rsa, kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  { ...ec, kid: 'ec-1', alg: 'ES256', use: 'sig' },
];
writeFileSync(keysFile, JSON.stringify({ keys }), { mode: 0o600 });

let handler = (_req, res) => { res.statusCode = 503; res.end(); };
const server = http.createServer((req, res) => handler(req, res));
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tracker-mcp-test',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys },
    scopes: ['openid', 'tracker:read', 'tracker:write'],
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new errors.InvalidTarget();
          return {
            scope: 'tracker:read tracker:write',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg } },
          };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  const callback = provider.callback();
  handler = async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      // Grant exactly what the client asked for (the prompt lists what is still missing).
      const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
      if (missingOIDCScope.length) grant.addOIDCScope(missingOIDCScope.join(' '));
      for (const [resource, scopes] of Object.entries(missingResourceScopes)) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (error) {
      console.error('interaction failed', error);
      res.statusCode = 500;
      res.end(String(error));
    }
  };
  console.log(JSON.stringify({ issuer }));
});
