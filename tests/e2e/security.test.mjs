// The page as a static site that keeps to itself: its Content-Security-Policy allows only its own
// origin (plus 'wasm-unsafe-eval'), nothing breaks under it, and while loading, reading a user's
// files and training it asks nothing of any other origin — uploaded files never leave the browser;
// and it works under a sub-path, as a GitHub project site serves it (README "Host it").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noErrors, open, ready, serve, shortRun, useBrowser, waitState, until } from './harness.mjs';

const env = useBrowser();

/** Two IDX files (MNIST layout) of 64 8×8 images, made here. */
function idxPair() {
  const idx = (dims, data) => Buffer.concat([Buffer.from([0, 0, 8, dims.length]), ...dims.map((d) => { const b = Buffer.alloc(4); b.writeUInt32BE(d); return b; }), Buffer.from(data)]);
  const n = 64;
  const pixels = Array.from({ length: n * 64 }, (_, i) => (i * 37) % 256);
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  return [
    { name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: idx([n, 8, 8], pixels) },
    { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: idx([n], labels) },
  ];
}

test('a strict CSP, no request to another origin, uploads stay in the browser', { timeout: 1_200_000 }, async () => {
  const requests = [];
  const record = async (page) => {
    page.context().on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  };
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu`, record);
  // The policy is in the served page.
  const policy = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content);
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(policy, /connect-src 'self'/);
  await ready(page);
  await until(page, () => document.getElementById('app').dataset.pretrainedMs, null);

  // The user's own files, read and trained on.
  const files = idxPair();
  await page.setInputFiles('#files', files);
  await until(page, () => /64 training/.test(document.getElementById('data-summary').textContent), null);
  await shortRun(page, { epochs: 1, images: 64 });
  await page.click('#start');
  await waitState(page, ['finished']);

  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'nothing the page does is blocked by its policy');
  const origin = new URL(env.server.url).origin;
  assert.ok(requests.length > 5, `requests seen: ${requests.length}`);
  const elsewhere = requests.filter((r) => !r.url.startsWith(`${origin}/`) && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
  assert.deepEqual(elsewhere.map((r) => r.url), [], 'no request to another origin');
  assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`), [], 'only GETs');
  const sent = requests.filter((r) => r.body && files.some((f) => r.body.includes(f.buffer.subarray(0, 64))));
  assert.deepEqual(sent, [], 'the uploaded files are never sent');
  assert.ok(requests.every((r) => !files.some((f) => r.url.includes(f.name))), 'nor named in a request');

  // The policy holds: a script asking another origin is refused.
  const outcome = await page.evaluate(() => fetch('https://example.org/pad').then(() => 'sent', () => 'blocked'));
  assert.equal(outcome, 'blocked');
  await until(page, () => window.__violations.some((v) => /connect-src https:\/\/example\.org/.test(v)), null);
  noErrors(log, /favicon|example\.org|Content Security Policy/);
});

test('served under a sub-path (/pad/, a GitHub project site): the page, its worker, data and snapshot load from there', { timeout: 600_000 }, async () => {
  const site = await serve(undefined, '/pad/');
  try {
    const { page, log } = await open(env.chrome, `${site.url}?device=cpu`);
    await ready(page);
    await until(page, () => document.getElementById('app').dataset.pretrainedMs, null, { what: 'the pretrained snapshot' });
    const outside = site.requests.filter((p) => !p.startsWith('/pad/'));
    assert.deepEqual(outside, [], 'every request stays under /pad/');
    for (const file of ['index.html', 'worker-entry.js', 'worker_loader.js', 'worker_bg.wasm', 'mnist.padb', 'mnist-pad.padckpt']) {
      assert.ok(site.requests.some((p) => p.endsWith(file) || (file === 'index.html' && p === '/pad/')), `${file} requested`);
    }
    noErrors(log);
  } finally {
    await site.close();
  }
});
