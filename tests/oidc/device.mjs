// A person entering a device code, for tokenwallet's device-flow tests:
// `node device.mjs VERIFICATION_URI USER_CODE` types the code on oidc-provider's /device
// page, confirms it, and clicks through login and consent. Exits 0 when the provider says
// the device is signed in. DEVICE_ACTION=deny aborts at the confirmation instead.
const [verificationUri, userCode] = process.argv.slice(2);
const deny = process.env.DEVICE_ACTION === 'deny';
const cookies = new Map();
async function request(target, fields) {
  const init = { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } };
  if (fields) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(fields).toString();
  }
  const response = await fetch(target, init);
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return response;
}
const xsrf = (html) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1];

let page = await (await request(verificationUri)).text();
page = await (await request(verificationUri, { xsrf: xsrf(page), user_code: userCode })).text();
let response = await request(verificationUri, deny
  ? { xsrf: xsrf(page), user_code: userCode, abort: 'yes' }
  : { xsrf: xsrf(page), user_code: userCode, confirm: 'yes' });
for (let i = 0; i < 10 && response.headers.get('location'); i += 1) {
  const next = new URL(response.headers.get('location'), verificationUri).href;
  if (new URL(next).pathname.startsWith('/interaction/')) {
    const html = await (await request(next)).text();
    const login = html.includes('name="prompt" value="login"');
    response = await request(next, login
      ? { prompt: 'login', login: 'device-user', password: 'test' }
      : { prompt: 'consent' });
  } else {
    response = await request(next);
  }
}
const text = await response.text();
if (response.status !== 200 || !text.includes('Sign-in Success')) {
  console.error(`the device sign-in did not finish: ${response.status}`);
  process.exit(1);
}
