// flamock conformance adapter in Node, with fetch and jose.
//
//   npm install            (in this folder: jose, and undici for a fetch that trusts one CA)
//   flamock conform --client "node conformance/adapters/node/flamock-client.mjs"
//
// The adapter contract (conformance/CONTRACT.md): read the FLAMOCK_* variables,
// perform the operations of FLAMOCK_OPERATIONS in order, print one JSON result
// line per operation on stdout, log on stderr, exit 0.
//
// Retries: one token renewal and one retry after a 401; Retry-After on 429 and
// 503; exponential back-off with jitter on 500, 502 and 504; at most 3 retries
// of one operation; nothing else retried.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// jose and undici come from npm; without them, say so in one line.
let SignJWT, Agent, fetch;
try {
  ({ SignJWT } = await import('jose'));
  ({ Agent, fetch } = await import('undici'));
} catch (e) {
  process.stderr.write(`node-adapter: needs jose and undici: run npm install in ${dirname(fileURLToPath(import.meta.url))}: ${String(e.message).split('\n')[0]}\n`);
  process.exit(2);
}

const MAX_RETRIES = 3; // of one operation, after 429, 503 or 5xx
const RENEW_MARGIN_S = 30; // get a new token this long before expires_in ends
const ASSERTION_LIFETIME_S = 300; // at most 600

const env = process.env;
const tokenURL = env.FLAMOCK_TOKEN_URL;
const apiURL = env.FLAMOCK_API_URL.replace(/\/$/, '');
const clientID = env.FLAMOCK_CLIENT_ID;
const scope = env.FLAMOCK_SCOPE || '';
const key = createPrivateKey(readFileSync(env.FLAMOCK_KEY_PEM));
const alg = key.asymmetricKeyType === 'rsa' ? 'RS256'
  : { secp384r1: 'ES384', secp521r1: 'ES512' }[key.asymmetricKeyDetails.namedCurve] || 'ES256';
// Trust the given CA, and only it (Node's global fetch cannot be given a CA;
// NODE_EXTRA_CA_CERTS would add it to the public roots instead).
const dispatcher = new Agent({ connect: { ca: readFileSync(env.FLAMOCK_CA_FILE) } });

const log = (msg) => process.stderr.write(`node-adapter: ${msg}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let token = null;
let tokenUntil = 0;

// YOUR CLIENT (1 of 2): this is flamock's reference code getting an access token. Replace it with a call of your own client's token code; until you do, flamock conform judges flamock's code, not yours (and says so).
async function accessToken() {
  if (token && Date.now() < tokenUntil) return token;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(clientID).setSubject(clientID).setAudience(tokenURL)
    .setIssuedAt(now).setExpirationTime(now + ASSERTION_LIFETIME_S).setJti(randomUUID())
    .sign(key);
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
  if (scope) form.set('scope', scope);
  const res = await fetch(tokenURL, { method: 'POST', body: form, headers: { accept: 'application/json' }, dispatcher });
  const text = await res.text();
  log(`POST ${tokenURL} -> ${res.status}`);
  if (res.status !== 200) throw new Error(`token: status ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  token = body.access_token;
  tokenUntil = Date.now() + ((body.expires_in || 300) - RENEW_MARGIN_S) * 1000;
  return token;
}

// backoff is the wait before retry n+1: 200, 400, 800 ms with jitter from
// their upper half.
const backoff = (n) => { const d = 200 * 2 ** n; return d / 2 + Math.random() * (d / 2); };

function retryAfter(value) {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isNaN(n) ? 1000 : Math.min(Math.max(n, 0), 10) * 1000;
}

async function perform(op) {
  let renewed = false;
  let retries = 0;
  for (;;) {
    let res;
    try {
      const headers = { authorization: `Bearer ${await accessToken()}`, accept: 'application/json, application/problem+json' };
      if (op.body !== undefined) headers['content-type'] = 'application/json';
      // YOUR CLIENT (2 of 2): this is flamock's reference code calling the API. Replace it with a call of your own client's API code, which must reuse, renew and retry as conformance/CONTRACT.md says.
      res = await fetch(apiURL + op.path, {
        method: op.method, headers, dispatcher, body: op.body === undefined ? undefined : JSON.stringify(op.body),
      });
    } catch (e) {
      return { id: op.id, error: String(e.cause ? `${e.message}: ${e.cause.message ?? e.cause}` : e.message) };
    }
    const text = await res.text();
    log(`${op.method} ${op.path} -> ${res.status}`);
    if (res.status === 401 && !renewed) { renewed = true; token = null; continue; }
    if (res.status === 401) token = null;
    else if ([429, 503].includes(res.status) && retries < MAX_RETRIES) {
      retries++; await sleep(retryAfter(res.headers.get('retry-after'))); continue;
    } else if ([500, 502, 504].includes(res.status) && retries < MAX_RETRIES) {
      await sleep(backoff(retries)); retries++; continue;
    }
    const result = { id: op.id, status: res.status };
    if (text !== '') {
      try { result.body = JSON.parse(text); } catch { result.body = text; } // a problem's detail and issues as they came
    }
    return result;
  }
}

const { operations } = JSON.parse(readFileSync(env.FLAMOCK_OPERATIONS, 'utf8'));
for (const op of operations) {
  if (op.pauseMs) await sleep(op.pauseMs);
  process.stdout.write(`${JSON.stringify(await perform(op))}\n`);
}
