// Local, loopback-only OAuth 2.0 / OIDC server (panva's oidc-provider) for
// tokenwallet's Rust integration tests. See README.md in this folder.
//
// stdout carries exactly one line of JSON (the handshake); everything else,
// including oidc-provider's own notices, goes to stderr.

import { createServer } from 'node:http';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

// oidc-provider prints notices with console.info; keep stdout for the handshake.
const toStderr = (...args) => console.error(...args);
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

const log = (...args) => console.error('[oidc-test-server]', ...args);

function ttlFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    log(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const ACCESS_TTL = ttlFromEnv('ACCESS_TTL_SECS', 60);
const REFRESH_TTL = ttlFromEnv('REFRESH_TTL_SECS', 3600);
// Benchmarks only (scripts/bench-oidc-agent.sh); unset, the server is the tests' server.
// MAX_LIFETIME_MS: the safety exit, in ms (default 10 minutes, at most 3 hours).
const MAX_LIFETIME_MS = Math.min(ttlFromEnv('MAX_LIFETIME_MS', 10 * 60 * 1000), 3 * 3600 * 1000);
// BENCH_STORE_SIZE: entries the in-memory store keeps (oidc-provider's own keeps ~1000).
const BENCH_STORE_SIZE = process.env.BENCH_STORE_SIZE ? ttlFromEnv('BENCH_STORE_SIZE', 1000) : undefined;
// BENCH_PASSWORD_GRANT=1: the resource-owner password grant for the tw-bench client.
const BENCH_PASSWORD_GRANT = process.env.BENCH_PASSWORD_GRANT === '1';
const BENCH_USER = { username: 'test-user', password: 'test' };
const HOST = '127.0.0.1';
const API_RESOURCE = 'urn:tokenwallet:test-api';
const API_SCOPES = 'api:read api:write';

const CLIENTS = [
  { id: 'tw-basic', secret: 'tw-basic-secret', auth: 'client_secret_basic' },
  { id: 'tw-post', secret: 'tw-post-secret', auth: 'client_secret_post' },
];

// ---------------------------------------------------------------------------
// Lifetime: exit when stdin closes (the Rust test holds the pipe), or after
// 10 minutes whatever happens.
// ---------------------------------------------------------------------------
function shutdown(reason, code = 0) {
  log(`exiting: ${reason}`);
  process.exit(code);
}
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.on('close', () => shutdown('stdin closed'));
process.stdin.on('error', () => shutdown('stdin error'));
process.stdin.resume();
setTimeout(() => shutdown(`${MAX_LIFETIME_MS / 1000} s safety limit reached`), MAX_LIFETIME_MS);

// ---------------------------------------------------------------------------
// HTTP server on a random loopback port; the provider is attached once the
// port (and therefore the issuer) is known.
// ---------------------------------------------------------------------------
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, HOST, resolve);
});
const { port } = server.address();
const issuer = `http://${HOST}:${port}`;
const redirectUri = `${issuer}/cb`;

// A throwaway signing key (ES256 is much faster to generate than RSA).
const signingKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid: 'test-es256',
  use: 'sig',
  alg: 'ES256',
};

// Every client may ask for the API's scopes and gets ES256-signed id tokens.
const client = (metadata) => ({
  scope: `openid offline_access ${API_SCOPES}`,
  id_token_signed_response_alg: 'ES256',
  ...metadata,
});

// A public native client (RFC 8252): PKCE only, a loopback redirect on any port, and the
// device flow. tokenwallet signs people in with it.
const NATIVE_CLIENT = client({
  client_id: 'tw-native',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
});

// Benchmark client (BENCH_PASSWORD_GRANT=1): a confidential client for oidc-gen --flow=password
// and tokenwallet --grant password. Not in CLIENTS, so the strict-auth shim leaves it alone:
// client_secret_basic and client_secret_post both work.
const BENCH_CLIENT = client({
  client_id: 'tw-bench',
  client_secret: 'tw-bench-secret',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['password', 'refresh_token', 'client_credentials'],
  response_types: [],
  redirect_uris: ['http://localhost:4242'], // oidc-gen wants one of the form http://localhost:PORT
});

// A plain LRU with expiry, for BENCH_STORE_SIZE (oidc-provider's own adapter is capped at 1000).
class BenchMemoryAdapter {
  static store = new Map(); // key -> { value, expiresAt }

  static get(key) {
    const entry = this.store.get(key);
    if (!entry) return undefined;
    this.store.delete(key);
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) return undefined;
    this.store.set(key, entry); // most recently used last
    return entry.value;
  }

  static set(key, value, expiresInSecs) {
    this.store.delete(key);
    this.store.set(key, { value, expiresAt: expiresInSecs ? Date.now() + expiresInSecs * 1000 : undefined });
    while (this.store.size > BENCH_STORE_SIZE) this.store.delete(this.store.keys().next().value);
  }

  static grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
    'BackchannelAuthenticationRequest']);

  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async destroy(id) { BenchMemoryAdapter.store.delete(this.key(id)); }

  async consume(id) {
    const payload = BenchMemoryAdapter.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async find(id) { return BenchMemoryAdapter.get(this.key(id)); }

  async findByUid(uid) { return this.find(BenchMemoryAdapter.get(`sessionUid:${uid}`)); }

  async findByUserCode(userCode) { return this.find(BenchMemoryAdapter.get(`userCode:${userCode}`)); }

  async upsert(id, payload, expiresIn) {
    const A = BenchMemoryAdapter;
    if (this.model === 'Session') A.set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (A.grantable.has(this.model) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const keys = A.get(grantKey);
      if (keys) keys.push(this.key(id));
      else A.set(grantKey, [this.key(id)]);
    }
    if (payload.userCode) A.set(`userCode:${payload.userCode}`, id, expiresIn);
    A.set(this.key(id), payload, expiresIn);
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    const keys = BenchMemoryAdapter.get(grantKey);
    for (const key of keys ?? []) BenchMemoryAdapter.store.delete(key);
    BenchMemoryAdapter.store.delete(grantKey);
  }
}

const provider = new Provider(issuer, {
  ...(BENCH_STORE_SIZE ? { adapter: BenchMemoryAdapter } : {}),
  clients: [...CLIENTS.map(({ id, secret, auth }) => client({
    client_id: id,
    client_secret: secret,
    token_endpoint_auth_method: auth,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
  })), NATIVE_CLIENT, ...(BENCH_PASSWORD_GRANT ? [BENCH_CLIENT] : [])],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access', ...API_SCOPES.split(' ')],
  claims: { openid: ['sub'] },
  async findAccount(_ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // client_credentials without a `resource` parameter gets the test API;
      // authorization_code / refresh_token tokens stay plain OIDC tokens.
      async defaultResource(ctx, _client, oneOf) {
        if (oneOf) return oneOf;
        if (ctx.oidc.params?.grant_type === 'client_credentials') return API_RESOURCE;
        return undefined;
      },
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== API_RESOURCE) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: API_SCOPES,
          audience: API_RESOURCE,
          accessTokenTTL: ACCESS_TTL,
          accessTokenFormat: 'opaque',
        };
      },
      async useGrantedResource() {
        return false;
      },
    },
  },
  // Every refresh returns a new refresh token; the old one becomes invalid_grant.
  rotateRefreshToken: true,
  ttl: {
    AccessToken: ACCESS_TTL,
    ClientCredentials: ACCESS_TTL,
    IdToken: ACCESS_TTL,
    RefreshToken: REFRESH_TTL,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 24 * 3600 + REFRESH_TTL,
    Grant: 24 * 3600 + REFRESH_TTL,
    DeviceCode: 600,
    BackchannelAuthenticationRequest: 600,
  },
});

provider.on('server_error', (_ctx, err) => log('server_error', err));

// Resource-owner password grant (RFC 6749 section 4.3), benchmarks only: one fixed user; the
// access token is opaque and the refresh token rotates like every other one here.
async function passwordGrant(ctx, next) {
  const { client, params } = ctx.oidc;
  if (!params.username || !params.password) {
    throw new errors.InvalidRequest('username and password are required');
  }
  if (params.username !== BENCH_USER.username || params.password !== BENCH_USER.password) {
    throw new errors.InvalidGrant('invalid resource owner credentials');
  }
  const { Account, Grant, AccessToken, RefreshToken, IdToken } = ctx.oidc.provider;
  const account = await Account.findAccount(ctx, BENCH_USER.username);
  const allowed = new Set(client.scope.split(' '));
  // Unknown or not-allowed scopes (oidc-gen asks for profile, email, ...) are dropped.
  const scopes = [...new Set((params.scope || 'openid offline_access').split(' '))]
    .filter((scope) => allowed.has(scope));
  const scope = scopes.join(' ');

  const grant = new Grant({ accountId: account.accountId, clientId: client.clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  ctx.oidc.entity('Grant', grant);
  ctx.oidc.entity('Account', account);

  const common = { accountId: account.accountId, client, grantId, gty: 'password' };
  const at = new AccessToken({ ...common, scope });
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  const rt = new RefreshToken({ ...common, scope, rotations: 0, authTime: Math.floor(Date.now() / 1000) });
  ctx.oidc.entity('RefreshToken', rt);
  const refreshToken = await rt.save();

  let idToken;
  if (scopes.includes('openid')) {
    const token = new IdToken({ ...await account.claims('id_token', scope, {}, []), auth_time: rt.authTime }, { ctx });
    token.scope = 'openid';
    token.set('at_hash', accessToken);
    idToken = await token.issue({ use: 'idtoken' });
  }

  ctx.body = {
    access_token: accessToken,
    expires_in: at.expiration,
    id_token: idToken,
    refresh_token: refreshToken,
    scope: at.scope || undefined,
    token_type: at.tokenType,
  };
  await next();
}
if (BENCH_PASSWORD_GRANT) {
  provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);
}

// Strict client authentication (test shim). oidc-provider deliberately accepts
// client_secret_basic and client_secret_post interchangeably for any client
// that has a secret. To let the tests prove that tokenwallet uses the method a
// provider is configured with, reject the other method with 401 invalid_client
// before the request reaches oidc-provider. STRICT_CLIENT_AUTH=0 turns it off.
const STRICT_CLIENT_AUTH = process.env.STRICT_CLIENT_AUTH !== '0';
const AUTH_METHOD = Object.fromEntries(CLIENTS.map(({ id, auth }) => [id, auth]));
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/revocation', '/token/introspection']);

function basicClientId(authorization) {
  if (!/^basic /i.test(authorization ?? '')) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString();
  const colon = decoded.indexOf(':');
  try {
    return decodeURIComponent(colon === -1 ? decoded : decoded.slice(0, colon));
  } catch {
    return undefined;
  }
}

async function rejectedByStrictAuth(req, res) {
  if (!STRICT_CLIENT_AUTH || req.method !== 'POST') return false;
  if (!CLIENT_AUTH_PATHS.has(new URL(req.url, issuer).pathname)) return false;
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return false; // let oidc-provider reject non-form bodies itself
  }

  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 56 * 1024) {
      res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: 'request body too large' }));
      return true;
    }
    chunks.push(chunk);
  }
  // oidc-provider reads an already-consumed body from req.body.
  req.body = Buffer.concat(chunks);
  const params = new URLSearchParams(req.body.toString());

  const viaBasic = basicClientId(req.headers.authorization);
  let mismatch;
  if (viaBasic !== undefined && AUTH_METHOD[viaBasic] === 'client_secret_post') {
    mismatch = `${viaBasic} must authenticate with client_secret_post, not HTTP Basic`;
  } else if (viaBasic === undefined && params.has('client_secret')
    && AUTH_METHOD[params.get('client_id')] === 'client_secret_basic') {
    mismatch = `${params.get('client_id')} must authenticate with client_secret_basic, not client_secret in the body`;
  }
  if (!mismatch) return false;

  log(`strict client auth: ${mismatch}`);
  res.writeHead(401, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(viaBasic !== undefined ? { 'www-authenticate': `Basic realm="${issuer}"` } : {}),
  });
  res.end(JSON.stringify({ error: 'invalid_client', error_description: `client authentication failed: ${mismatch}` }));
  return true;
}

const callback = provider.callback();
handler = async (req, res) => {
  try {
    if (await rejectedByStrictAuth(req, res)) return;
  } catch (err) {
    log('strict client auth check failed', err);
    res.statusCode = 400;
    res.end();
    return;
  }
  callback(req, res);
};

// ---------------------------------------------------------------------------
// Headless authorization-code flow against ourselves, to mint one real
// refresh token per client.
// ---------------------------------------------------------------------------
class CookieJar {
  #cookies = new Map(); // `${name};${path}` -> { name, value, path }

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') path = v.trim();
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter(({ path }) => pathname === path
        || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

async function step(jar, url, init = {}) {
  const headers = { ...init.headers, cookie: jar.header(url) };
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  const location = response.headers.get('location');
  const body = await response.text();
  if (response.status < 300 || response.status >= 400 || !location) {
    const text = body.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    throw new Error(`${init.method ?? 'GET'} ${url} -> ${response.status}: ${text.slice(0, 500)}`);
  }
  return new URL(location, url).href;
}

const form = (fields) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function mintRefreshToken({ id, secret, auth }) {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');

  const authUrl = new URL('/auth', issuer);
  authUrl.search = new URLSearchParams({
    client_id: id,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid offline_access',
    prompt: 'consent',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  // authorize -> login interaction -> resume -> consent interaction -> resume -> redirect_uri
  let next = await step(jar, authUrl.href);
  for (let i = 0; i < 6 && !next.startsWith(redirectUri); i += 1) {
    const { pathname } = new URL(next);
    if (pathname.startsWith('/interaction/')) {
      const page = await fetch(next, { headers: { cookie: jar.header(next) } });
      const html = await page.text();
      const prompt = html.includes('name="prompt" value="login"') ? 'login' : 'consent';
      next = await step(jar, next, form(
        prompt === 'login' ? { prompt, login: 'test-user', password: 'test' } : { prompt },
      ));
    } else {
      next = await step(jar, next);
    }
  }

  const callbackParams = new URL(next).searchParams;
  if (!next.startsWith(redirectUri) || callbackParams.get('state') !== state || !callbackParams.get('code')) {
    throw new Error(`${id}: authorization flow did not end at the redirect URI: ${next}`);
  }

  const fields = {
    grant_type: 'authorization_code',
    code: callbackParams.get('code'),
    redirect_uri: redirectUri,
    code_verifier: verifier,
  };
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'client_secret_basic') {
    const enc = encodeURIComponent;
    headers.authorization = `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
  } else {
    Object.assign(fields, { client_id: id, client_secret: secret });
  }
  const response = await fetch(new URL('/token', issuer), {
    method: 'POST',
    headers,
    body: new URLSearchParams(fields).toString(),
  });
  const json = await response.json();
  if (!response.ok || typeof json.refresh_token !== 'string') {
    throw new Error(`${id}: token endpoint ${response.status}: ${JSON.stringify(json)}`);
  }
  return json.refresh_token;
}

const started = performance.now();
let refreshTokens;
try {
  refreshTokens = await Promise.all(CLIENTS.map(mintRefreshToken));
} catch (err) {
  log('startup failed:', err);
  process.exit(1);
}

const discovery = await (await fetch(new URL('/.well-known/openid-configuration', issuer))).json();
if (!discovery.token_endpoint || !discovery.revocation_endpoint) {
  log('discovery document lacks token_endpoint or revocation_endpoint', discovery);
  process.exit(1);
}

const handshake = {
  issuer,
  token_endpoint: discovery.token_endpoint,
  revocation_endpoint: discovery.revocation_endpoint,
  clients: Object.fromEntries(CLIENTS.map(({ id, secret }, i) => [
    id, { client_secret: secret, refresh_token: refreshTokens[i] },
  ])),
  ...(BENCH_PASSWORD_GRANT ? {
    bench: {
      client_id: BENCH_CLIENT.client_id,
      client_secret: BENCH_CLIENT.client_secret,
      redirect_uri: BENCH_CLIENT.redirect_uris[0],
      username: BENCH_USER.username,
      password: BENCH_USER.password,
    },
  } : {}),
};
process.stdout.write(`${JSON.stringify(handshake)}\n`);
log(`ready on ${issuer} (refresh tokens minted in ${Math.round(performance.now() - started)} ms;`
  + ` access ttl ${ACCESS_TTL}s, refresh ttl ${REFRESH_TTL}s)`);
