// Memory benchmark: the built page (dist/) in headless Debian Chromium. Sums the proportional set size
// (PSS, /proc/<pid>/smaps_rollup) of every Chromium process for a blank tab, the page ready (pretrained
// snapshot shown), and the peak while training bundled MNIST on the CPU backend (probes on: the
// end-of-epoch work counts), per batch size; plus what the page reports of itself (the worker's
// WebAssembly memory, the page's, the JS heap).
//
//   trunk build --release && node benches/memory.mjs [batch ...]      (default: 8 32 64)
//   DEVICE=webgpu node benches/memory.mjs 32
import { browser, chromiumPssByProcess, open, serve, setField } from '../tests/e2e/harness.mjs';

const batches = process.argv.slice(2).map(Number).filter((b) => b >= 2);
const DEVICE = process.env.DEVICE ?? 'cpu';
const IMAGES = Number(process.env.IMAGES ?? 512);
const EPOCHS = Number(process.env.EPOCHS ?? 2);

const rounded = (byProcess) => Object.fromEntries(Object.entries(byProcess ?? {}).map(([k, v]) => [k, Math.round(v)]));
const settle = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The page's own view of its memory (`#memory` on the page, once it shows it). */
const selfReport = (page) => page.evaluate(() => ({
  shown: document.getElementById('memory')?.textContent ?? null,
  js_heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
})).catch(() => null);

const server = await serve();
const chrome = await browser();
const rows = [];
for (const batch of batches.length ? batches : [8, 32, 64]) {
  const blankPage = await chrome.newPage();
  await blankPage.goto('about:blank');
  await settle(2000);
  const blankByProcess = chromiumPssByProcess();
  const blank = Object.values(blankByProcess).reduce((a, b) => a + b, 0);
  const { page } = await open(chrome, `${server.url}?device=${DEVICE}`);
  await blankPage.close();
  await page.waitForFunction(() => /Running on/.test(document.getElementById('device-info')?.innerText)
    && /MNIST/.test(document.getElementById('data-summary')?.innerText), null, { timeout: 180_000 });
  await page.waitForFunction(() => document.getElementById('app').dataset.pretrainedMs, null, { timeout: 900_000 }).catch(() => {});
  await settle(3000);
  const readyByProcess = chromiumPssByProcess();
  const ready = Object.values(readyByProcess).reduce((a, b) => a + b, 0);
  const readySelf = await selfReport(page);
  await setField(page, 'batch', batch);
  await setField(page, 'images', IMAGES);
  await setField(page, 'epochs', EPOCHS);
  await page.click('#start');
  let peak = 0;
  let peakByProcess = null;
  let samples = [];
  const t0 = Date.now();
  while ((await page.evaluate(() => document.getElementById('app').dataset.state)) !== 'finished') {
    const byProcess = chromiumPssByProcess();
    const now = Object.values(byProcess).reduce((a, b) => a + b, 0);
    if (now > peak) [peak, peakByProcess] = [now, byProcess];
    samples.push([(Date.now() - t0) / 1000, now, await page.evaluate(() => document.getElementById('memory')?.textContent)]);
    await settle(250);
  }
  const trainedSelf = await selfReport(page);
  const row = { device: DEVICE, batch, blank_mb: blank, ready_mb: ready, ready_above_blank_mb: ready - blank, training_peak_mb: peak,
    training_above_blank_mb: peak - blank,
    blank_by_process: rounded(blankByProcess), ready_by_process: rounded(readyByProcess), peak_by_process: rounded(peakByProcess), seconds: (Date.now() - t0) / 1000, ready_self: readySelf, trained_self: trainedSelf };
  rows.push(row);
  console.log(JSON.stringify(row));
  if (process.env.TRACE) for (const [t, m, shown] of samples) console.log(`${t.toFixed(1)} s  ${m.toFixed(0)} MB  ${shown}`);
  await page.close();
  await settle(2000);
}
console.log('\n| device | batch | blank tab (MB) | ready (MB above blank) | training peak (MB above blank) | page reports (after training) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.device} | ${r.batch} | ${r.blank_mb.toFixed(0)} | ${r.ready_above_blank_mb.toFixed(0)} | ${r.training_above_blank_mb.toFixed(0)} | ${r.trained_self?.shown ?? '–'} |`);
}
await chrome.close();
await server.close();
