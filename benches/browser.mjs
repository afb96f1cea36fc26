// Browser benchmark: the built page (dist/) in headless Debian Chromium, training bundled MNIST with
// the linear probes off, once on WebGPU (software adapter: SwiftShader) and once on the CPU backend
// (WebAssembly), in the same browser. Reports, per device and batch size: seconds from navigation to
// the pretrained snapshot's pictures, seconds to the first pictures after Start, steady-state
// images/s (after the first iteration), and the longest main-thread task while training; plus the
// page's wasm sizes.
//
//   trunk build --release && node benches/browser.mjs [batch ...]      (default: 8 32)
//   ITERS=6 node benches/browser.mjs 64
import { readdir, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, browser, open, serve, setField } from '../tests/e2e/harness.mjs';

const batches = process.argv.slice(2).map(Number).filter((b) => b >= 2);
const ITERS = Number(process.env.ITERS ?? 5);

for (const f of (await readdir(DIST)).filter((f) => f.endsWith('.wasm'))) {
  const bytes = readFileSync(join(DIST, f));
  console.log(`${f}: ${(bytes.length / 1e6).toFixed(2)} MB raw, ${(gzipSync(bytes, { level: 9 }).length / 1e6).toFixed(2)} MB gzip -9`);
}

const server = await serve();
const chrome = await browser();
const rows = [];
for (const batch of batches.length ? batches : [8, 32]) {
  for (const device of (process.env.DEVICES ?? 'webgpu,cpu').split(',')) {
    const loaded = Date.now();
    const { page } = await open(chrome, `${server.url}?device=${device}`);
    await page.waitForFunction(() => /Running on/.test(document.getElementById('device-info')?.innerText)
      && /MNIST/.test(document.getElementById('data-summary')?.innerText), null, { timeout: 180_000 });
    const readyS = (Date.now() - loaded) / 1000;
    // The snapshot is skipped on a software adapter (SwiftShader): no pictures to wait for there.
    const software = await page.evaluate(() => /software adapter/.test(document.getElementById('device-note')?.innerText ?? ''));
    if (!software) await page.waitForFunction(() => document.getElementById('app').dataset.pretrainedMs, null, { timeout: 900_000, polling: 50 });
    const pretrainedS = software ? null : Number(await page.evaluate(() => document.getElementById('app').dataset.pretrainedMs)) / 1000;
    await setField(page, 'batch', batch);
    await setField(page, 'images', batch * (ITERS + 1));
    await setField(page, 'epochs', 1);
    await page.uncheck('#probe');
    const since = await page.evaluate(() => performance.now());
    const t0 = Date.now();
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('app').dataset.firstPicturesMs, null, { timeout: 900_000, polling: 100 });
    const first = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    await page.waitForFunction(() => document.getElementById('app').dataset.state === 'finished', null, { timeout: 1_800_000, polling: 100 });
    const rest = (Date.now() - t1) / 1000;
    const longest = await page.evaluate((s) => Math.max(0, ...window.__longTasks.filter((t) => t.start >= s).map((t) => t.ms)), since);
    const row = { device, batch, ready_s: readyS, pretrained_s: pretrainedS, first_pictures_s: first, images_per_s: (ITERS * batch) / rest, longest_task_ms: longest };
    rows.push(row);
    console.log(JSON.stringify(row));
    await page.close();
  }
}
console.log('\n| device | batch | page load → ready (s) | navigation → pretrained pictures (s) | Start → first pictures (s) | images/s (steady) | longest main-thread task (ms) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.device} | ${r.batch} | ${r.ready_s.toFixed(1)} | ${r.pretrained_s === null ? '–' : r.pretrained_s.toFixed(1)} | ${r.first_pictures_s.toFixed(1)} | ${r.images_per_s.toFixed(2)} | ${r.longest_task_ms.toFixed(0)} |`);
}
await chrome.close();
await server.close();
