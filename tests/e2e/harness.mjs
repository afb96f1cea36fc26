// Shared by the browser tests and the browser benchmark: serve dist/ on localhost, start Debian's
// headless Chromium with a software WebGPU adapter, and read what the page shows.
import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const DIST = process.env.PAD_DIST ?? join(ROOT, 'dist');
export const OUT = process.env.PAD_E2E_OUT ?? join(ROOT, 'out', 'e2e');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.padb': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Serve `dir` on 127.0.0.1 (a free port) at `base` (a path ending in `/`: `/pad/` serves it as a
 * GitHub project site would, and answers 404 outside it). Records every request path in `requests`. */
export async function serve(dir = DIST, base = '/') {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    if (!path.startsWith(base)) { res.writeHead(404).end('not found'); return; }
    const inside = path.slice(base.length - 1);
    const file = normalize(join(dir, inside === '/' ? 'index.html' : inside));
    if (!file.startsWith(normalize(dir))) { res.writeHead(403).end(); return; }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(await readFile(file));
    } catch { res.writeHead(404).end('not found'); }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}${base}`;
  return { url, requests, close: () => new Promise((ok) => server.close(ok)) };
}

export const VIEWPORT = { width: 1360, height: 1100 };

/** The proportional set size (PSS, /proc/<pid>/smaps_rollup) summed over every Chromium process
 * on the machine, MB: what the browser costs the machine, shared pages split fairly. */
export function chromiumPss() {
  return Object.values(chromiumPssByProcess()).reduce((a, b) => a + b, 0);
}

/** PSS (MB) of each Chromium process by its kind (`--type=`: renderer, gpu-process, utility,
 * zygote; the browser process has none), renderers one by one ("renderer 2"), largest first. */
export function chromiumPssByProcess() {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!/^chrom/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
      const type = readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
      if (m) found.push([type, Number(m[1]) / 1024]);
    } catch { /* gone */ }
  }
  found.sort((a, b) => b[1] - a[1]);
  const byKind = {};
  const count = {};
  for (const [type, mb] of found) {
    if (type === 'renderer') {
      count[type] = (count[type] ?? 0) + 1;
      byKind[`renderer ${count[type]}`] = mb;
    } else {
      byKind[type] = (byKind[type] ?? 0) + mb;
    }
  }
  return byKind;
}

/** A page setup (for `open`) that runs `prelude` in the training worker before anything else —
 * before its entry script adjusts WebGPU for Burn and loads the wasm: the test's changes to the
 * browser's objects (WebGPU's, the trainer's heap limit) are what the trainer finds. */
export const inWorkerFirst = (prelude) => (page) => page.route('**/worker-entry.js', async (route) => {
  const original = await (await route.fetch()).text();
  await route.fulfill({ body: `${prelude}\n${original}`, contentType: 'text/javascript' });
});

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags of every Chromium the tests and benchmarks start: SwiftShader WebGPU, no
 * background throttling, `gc()` (for the memory test: a garbage collection before a reading,
 * so that it measures what is kept, not what V8 has yet to collect). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--js-flags=--expose-gc',
];

/** Headless Chromium with SwiftShader WebGPU and no background throttling. */
export async function browser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Headless Chromium started as a visitor starts it — on `url`, no automation attached — with a
 * DevTools port to attach to later (`attach`). Attached from the start, a driver's network
 * domain keeps every response body in the page's process for DevTools (base64: 4/3 of each file,
 * the 14 MB worker module included — 31 MB of the ready page measured that way); attached once
 * the page has fetched what it needs, it keeps none of them. `close` ends it. */
export async function unattended(url, port = 9339) {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const profile = mkdtempSync('/tmp/pad-chromium-');
  const child = spawn(CHROMIUM, ['--headless=new', ...CHROMIUM_ARGS, `--remote-debugging-port=${port}`,
    `--window-size=${VIEWPORT.width},${VIEWPORT.height}`, `--user-data-dir=${profile}`, url], { stdio: 'ignore', detached: true });
  let attached = null;
  return {
    async attach() {
      for (let i = 0; !attached; i++) {
        try { attached = await chromium.connectOverCDP(`http://127.0.0.1:${port}`); } catch (e) { if (i > 50) throw e; await new Promise((ok) => setTimeout(ok, 200)); }
      }
      return attached.contexts()[0].pages()[0];
    },
    async close() {
      await attached?.close().catch(() => {});
      const exited = new Promise((ok) => child.exitCode !== null ? ok() : child.once('exit', ok));
      try { process.kill(-child.pid); } catch { /* gone */ } // the browser and all its processes
      await exited;
      await new Promise((ok) => setTimeout(ok, 1000)); // its last processes let go of the profile
      (await import('node:fs')).rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** A page (of a browser or of a context) that records long main-thread tasks, console errors and
 * uncaught exceptions; `setup`
 * (optional) prepares the page before it loads (routes, init scripts). */
export async function open(b, url, setup = async () => {}) {
  // A browser makes a page in a context of its own; a context (several tabs) keeps its viewport.
  const page = 'newContext' in b ? await b.newPage({ viewport: VIEWPORT }) : await b.newPage();
  const log = [];
  page.on('console', (m) => { if (m.type() === 'error') log.push(m.text()); });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longTasks.push({ start: e.startTime, ms: e.duration })))
      .observe({ type: 'longtask', buffered: true });
  });
  await setup(page);
  await page.goto(url);
  return { page, log };
}

/** What a canvas shows: the fraction of its pixels drawn (opaque), and how many distinct colours. */
export async function drawn(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    if (!c || c.width === 0 || c.height === 0) return { opaque: 0, colours: 0 };
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let opaque = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) opaque++;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return { opaque: opaque / (d.length / 4), colours: colours.size };
  }, id);
}

/** Pixels of a plot canvas in a given colour (a series drawn). */
export async function colourPixels(page, id, [r, g, b]) {
  return page.evaluate(([id, r, g, b]) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 8 && Math.abs(d[i + 1] - g) < 8 && Math.abs(d[i + 2] - b) < 8) n++;
    return n;
  }, [id, r, g, b]);
}

export const text = (page, sel) => page.locator(sel).innerText();

/** Set a settings field (fires the input event the page listens to). */
export async function setField(page, id, value) {
  await page.fill(`#${id}`, String(value));
}

/** Silence from the trainer that counts as a stalled page: a bound, not an estimate of a normal
 * wait (a software GPU compiling its kernels is silent for tens of seconds on a busy machine). */
export const STALL = Number(process.env.PAD_E2E_STALL_MS ?? 300_000);

/** The trainer's message count (`#app[data-heard]`); `null` while the page navigates. */
const heard = (page) => page.evaluate(() => document.getElementById('app')?.dataset.heard ?? '').catch(() => null);

/** Poll `attempt` (true when the wait is over) while the trainer makes progress: fail only when
 * the trainer has been silent for `stall` ms (its message count stopped moving) — never because
 * the machine is slow or busy. `what` names the wait in the failure. */
async function whileProgressing(page, attempt, { what = 'the page', stall = STALL } = {}) {
  let last = await heard(page);
  let since = Date.now();
  while (!(await attempt())) {
    const now = await heard(page);
    if (now !== last || now === null) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > stall) {
      assert.fail(`${what}: not yet, and the trainer has been silent for ${stall / 1000} s (${last} messages heard)`);
    }
  }
}

/** Wait until `predicate(arg)` holds in the page (evaluated there), as long as the trainer makes
 * progress. */
export async function until(page, predicate, arg = null, options = {}) {
  await whileProgressing(page, async () => {
    try {
      await page.waitForFunction(predicate, arg, { timeout: 5_000, polling: 100 });
      return true;
    } catch (e) {
      if (e.name !== 'TimeoutError') throw e;
      return false;
    }
  }, options);
}

/** Wait until `check()` (run here, e.g. reading a canvas) holds, as long as the trainer makes progress. */
export async function eventually(page, check, options = {}) {
  await whileProgressing(page, async () => (await check()) || (await page.waitForTimeout(250), false), options);
}

/** Wait for the page's run state (`data-state` of #app). */
export async function waitState(page, states) {
  await until(page, (s) => s.includes(document.getElementById('app')?.dataset.state), states, { what: `state ${states.join(' or ')}` });
}

/** All four phase views hold a full grid of `images` images (pixels drawn, opaque); the input varies. */
export async function phaseViewsDrawn(page, images = 8) {
  for (const id of ['input', 'reconstruction', 'nrem', 'rem']) {
    const d = await drawn(page, id);
    assert.equal(d.opaque, 1, `${id}: every pixel of the grid is drawn`);
    assert.equal(await page.evaluate((id) => document.getElementById(id).width, id), images * 32, `${id}: ${images} images side by side`);
  }
  assert.ok((await drawn(page, 'input')).colours > 50, 'the input shows digits');
}

/** No console errors or uncaught exceptions in `log`, but those `allowed` (a missing favicon). */
export const noErrors = (log, allowed = /favicon/) => assert.deepEqual(log.filter((l) => !allowed.test(l)), [], 'no console errors');

/** Iterations done so far (from the iteration label and epoch), or 0. */
export async function progressDone(page) {
  return page.evaluate(() => {
    const e = document.getElementById('epoch-label').innerText.match(/epoch (\d+)/);
    const i = document.getElementById('iteration-label').innerText.match(/iteration (\d+) \/ (\d+)/);
    return e && i ? (Number(e[1]) - 1) * Number(i[2]) + Number(i[1]) : 0;
  });
}

/** A test file's server and browser, started before its tests and closed after them. */
export function useBrowser() {
  const env = {};
  before(async () => {
    await mkdir(OUT, { recursive: true });
    env.server = await serve();
    env.chrome = await browser();
  });
  after(async () => {
    await env.chrome?.close();
    await env.server?.close();
  });
  return env;
}

/** Wait until the trainer runs and the bundled MNIST is loaded. */
export const ready = (page) => until(
  page,
  () => /Running on/.test(document.getElementById('device-info')?.textContent) && /MNIST/.test(document.getElementById('data-summary')?.textContent),
  null, { what: 'the trainer ready with bundled MNIST' });

/** A message in an element (its text matches `pattern`, given as a string for the page). */
export const shows = (page, id, pattern) => until(
  page, ([id, p]) => new RegExp(p).test(document.getElementById(id)?.textContent ?? ''), [id, pattern], { what: `#${id} showing /${pattern}/` });

/** Autosaved after epoch `e` (the IndexedDB autosave's status line). */
export const autosavedAfter = (page, e) => shows(page, 'autosave-status', `after epoch ${e}\\b`);

/** Settings for a short run: `epochs` epochs of `images` images in batches of `batch`, probes off. */
export async function shortRun(page, { epochs, images, batch = 8, lr = '2e-4' }) {
  await setField(page, 'epochs', epochs);
  await setField(page, 'batch', batch);
  await setField(page, 'images', images);
  await setField(page, 'lr', lr);
  await page.uncheck('#probe');
}
