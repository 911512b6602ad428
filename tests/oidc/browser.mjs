// A stand-in for a person at a browser, for tokenwallet's sign-in tests: run as
// `$BROWSER` (`node browser.mjs URL`), it clicks through oidc-provider's real login and
// consent pages with a cookie jar and delivers the answer to the redirect URI.
// BROWSER_ACTION: `login` (default), `deny` (abort at consent), `wrong-state` (first
// deliver an answer with another state). BROWSER_LOG: a file that gets one JSON line.
import { appendFileSync } from 'node:fs';

const url = process.argv[process.argv.length - 1];
const action = process.env.BROWSER_ACTION ?? 'login';
const record = (entry) => {
  if (process.env.BROWSER_LOG) appendFileSync(process.env.BROWSER_LOG, `${JSON.stringify(entry)}\n`);
};

const cookies = new Map();
const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
async function get(target, init = {}) {
  const response = await fetch(target, {
    ...init,
    redirect: 'manual',
    headers: { ...init.headers, cookie: cookieHeader() },
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return response;
}
const post = (target, fields) => get(target, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const authUrl = new URL(url);
const redirectUri = authUrl.searchParams.get('redirect_uri');
record({ auth_url: url });
try {
  if (action === 'wrong-state') {
    const wrong = new URL(redirectUri);
    wrong.search = new URLSearchParams({ code: 'forged', state: 'not-the-state' }).toString();
    const response = await fetch(wrong);
    record({ wrong_state_status: response.status });
  }
  let next = url;
  for (let i = 0; i < 10; i += 1) {
    if (next.startsWith(redirectUri)) break;
    const { pathname } = new URL(next);
    let response;
    if (pathname.startsWith('/interaction/')) {
      const page = await (await get(next)).text();
      const login = page.includes('name="prompt" value="login"');
      if (!login && action === 'deny') {
        response = await get(new URL(`${pathname}/abort`, next).href);
      } else {
        response = await post(next, login
          ? { prompt: 'login', login: 'signed-in-user', password: 'test' }
          : { prompt: 'consent' });
      }
    } else {
      response = await get(next);
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`${next} answered ${response.status} without a redirect`);
    next = new URL(location, next).href;
  }
  const answer = await fetch(next);
  record({ callback: next.split('?')[0], status: answer.status, page: await answer.text() });
} catch (err) {
  record({ error: String(err) });
  process.exit(1);
}
