// Memory benchmark: the built page (dist/) in headless Debian Chromium. Sums the proportional set size
// (PSS, /proc/<pid>/smaps_rollup) of every Chromium process for a blank tab, the page ready (pretrained
// snapshot shown), and the peak while training bundled MNIST on the CPU backend (probes on: the
// end-of-epoch work counts), per batch size; plus what the page reports of itself (the worker's
// WebAssembly memory, the page's, the JS heap).
//
// Each reading starts a fresh browser on its address with nothing attached (`unattended`): the
// page loads as a visitor's does, and the benchmark attaches only once it has fetched its files.
// (A driver attached from the start keeps every response body in the page's process for
// DevTools: 31 MB more for the ready page, none of it the page's. `ATTACHED=1` measures that way,
// as this benchmark did before 2026-12-02, for comparison.)
//
// A blank tab settles too (about 10 MB less some 30 s after the browser starts, on this machine): it
// is read 3 s after its start and again as long after as the ready page's settled reading, and each
// later figure is taken above the blank tab of the same age — the ready page 8 s after its files
// above the young blank, the settled page and the training peak above the settled one.
//
//   trunk build --release && node benches/memory.mjs [batch ...]      (default: 8 32 64)
//   DEVICE=webgpu node benches/memory.mjs 32
import { browser, chromiumPssByProcess, open, serve, setField, unattended } from '../tests/e2e/harness.mjs';

const batches = process.argv.slice(2).map(Number).filter((b) => b >= 2);
const DEVICE = process.env.DEVICE ?? 'cpu';
const IMAGES = Number(process.env.IMAGES ?? 512);
const EPOCHS = Number(process.env.EPOCHS ?? 2);

/** The ready page is read this long after its last file, and again this much later, settled. */
const READY_FIRST_MS = 8000;
const READY_SETTLE_MS = Number(process.env.READY_SETTLE_MS ?? 40000);

const rounded = (byProcess) => Object.fromEntries(Object.entries(byProcess ?? {}).map(([k, v]) => [k, Math.round(v)]));
const settle = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The page's own view of its memory (`#memory` on the page, once it shows it). */
const selfReport = (page) => page.evaluate(() => ({
  shown: document.getElementById('memory')?.textContent ?? null,
  js_heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
})).catch(() => null);

const server = await serve();
const total = (byProcess) => Object.values(byProcess).reduce((a, b) => a + b, 0);
const pretrainedFetched = () => server.requests.some((p) => p.includes('/static/pretrained/'));
const rows = [];
for (const batch of batches.length ? batches : [8, 32, 64]) {
  let chrome = null;
  let readyByProcess;
  let firstByProcess = null;
  let page;
  const blankBrowser = process.env.ATTACHED ? await browser() : await unattended('about:blank');
  if (process.env.ATTACHED) await (await blankBrowser.newPage()).goto('about:blank');
  await settle(3000);
  const blankByProcess = chromiumPssByProcess();
  const blankFirst = total(blankByProcess);
  if (!process.env.ATTACHED) await settle(READY_FIRST_MS + READY_SETTLE_MS);
  const blank = total(chromiumPssByProcess());
  const url = `${server.url}?device=${DEVICE}`;
  if (process.env.ATTACHED) {
    chrome = blankBrowser;
    ({ page } = await open(chrome, url));
    await chrome.contexts()[0].close(); // the blank tab's
    await page.waitForFunction(() => document.getElementById('app').dataset.pretrainedMs, null, { timeout: 900_000 }).catch(() => {});
    await settle(3000);
    readyByProcess = chromiumPssByProcess();
  } else {
    await blankBrowser.close();
    server.requests.length = 0;
    chrome = await unattended(url);
    for (let t = 0; t < 900 && !pretrainedFetched(); t++) await settle(1000);
    // Its pictures are made within seconds (checked below); the page is read then, and once
    // settled: about 30 s after the load on this machine the worker's first garbage collection
    // frees ~40 MB, mostly the buffers of compiling its 14 MB module (BENCHMARKS.md, fourth pass).
    await settle(READY_FIRST_MS);
    firstByProcess = chromiumPssByProcess();
    await settle(READY_SETTLE_MS);
    readyByProcess = chromiumPssByProcess();
    page = await chrome.attach();
    if (!(await page.evaluate(() => document.getElementById('app').dataset.pretrainedMs))) {
      console.error('the page was not ready when measured: raise READY_SETTLE_MS');
    }
  }
  const ready = total(readyByProcess);
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
    const now = total(byProcess);
    if (now > peak) [peak, peakByProcess] = [now, byProcess];
    samples.push([(Date.now() - t0) / 1000, now, await page.evaluate(() => document.getElementById('memory')?.textContent)]);
    await settle(250);
  }
  const trainedSelf = await selfReport(page);
  const first = firstByProcess && total(firstByProcess);
  const row = { device: DEVICE, batch, blank_first_mb: blankFirst, blank_mb: blank, ready_first_above_blank_mb: first && first - blankFirst, ready_mb: ready, ready_above_blank_mb: ready - blank, training_peak_mb: peak,
    training_above_blank_mb: peak - blank,
    blank_by_process: rounded(blankByProcess), ready_by_process: rounded(readyByProcess), peak_by_process: rounded(peakByProcess), seconds: (Date.now() - t0) / 1000, ready_self: readySelf, trained_self: trainedSelf };
  rows.push(row);
  console.log(JSON.stringify(row));
  if (process.env.TRACE) for (const [t, m, shown] of samples) console.log(`${t.toFixed(1)} s  ${m.toFixed(0)} MB  ${shown}`);
  await chrome.close();
  await settle(2000);
}
console.log('\n| device | batch | blank tab: 3 s / settled (MB) | ready: 8 s after its files / settled (MB above blank) | training peak (MB above the settled blank) | page reports (after training) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.device} | ${r.batch} | ${r.blank_first_mb.toFixed(0)} / ${r.blank_mb.toFixed(0)} | ${r.ready_first_above_blank_mb?.toFixed(0) ?? '–'} / ${r.ready_above_blank_mb.toFixed(0)} | ${r.training_above_blank_mb.toFixed(0)} | ${r.trained_self?.shown ?? '–'} |`);
}
await server.close();
