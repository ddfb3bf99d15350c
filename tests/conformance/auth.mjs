// The conformance CLI has no option for a header, and over HTTP tracker-mcp serves nothing
// without one. This preload adds the bearer token to every request the CLI sends to the server
// under test (its origin only), through undici's global dispatcher, which both Node's fetch
// and the CLI's own undici requests use. Nothing else about the requests changes.
import { Agent, setGlobalDispatcher } from 'undici';

const token = process.env.CONFORMANCE_BEARER_TOKEN;
const origin = new URL(process.env.CONFORMANCE_URL).origin;
if (!token) throw new Error('CONFORMANCE_BEARER_TOKEN is not set');

const withToken = (dispatch) => (opts, handler) => {
  if (new URL(opts.origin).origin === origin) {
    const headers = Array.isArray(opts.headers)
      ? [...opts.headers, 'authorization', `Bearer ${token}`]
      : { ...(opts.headers ?? {}), authorization: `Bearer ${token}` };
    opts = { ...opts, headers };
  }
  return dispatch(opts, handler);
};
setGlobalDispatcher(new Agent().compose(withToken));
