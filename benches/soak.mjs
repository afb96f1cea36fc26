// Soak benchmark: the built page (dist/) trains in headless Debian Chromium for MINUTES and the
// browser's memory is recorded over time — the proportional set size (PSS) summed over every
// Chromium process, the trainer's WebAssembly heap and the page's JS heap (as the page shows them)
// — every SAMPLE seconds. Memory must stay flat after warm-up: the result is the growth in MB per
// 10 minutes after WARMUP minutes (a least-squares line through the samples), and the samples.
//
//   trunk build --release && node benches/soak.mjs                  (CPU backend, 30 minutes)
//   DEVICE=webgpu MINUTES=10 node benches/soak.mjs                  (SwiftShader WebGPU)
//   REPORT=out/e2e/soak-cpu.json node benches/soak.mjs              (analyse a run again)
//   MINUTES BATCH (32) IMAGES (512 per epoch) SAMPLE (30 s) WARMUP (5 min) WINDOW (5 min); probes on, as a visitor
//   has them: the end-of-epoch probes and autosaves are the largest transient work.
// Writes out/soak-<device>.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT, browser, chromiumPss, open, serve } from '../tests/e2e/harness.mjs';

const DEVICE = process.env.DEVICE ?? 'cpu';
const MINUTES = Number(process.env.MINUTES ?? 30);
const BATCH = Number(process.env.BATCH ?? 32);
const IMAGES = Number(process.env.IMAGES ?? 512);
const SAMPLE = Number(process.env.SAMPLE ?? 30);
const WARMUP = Number(process.env.WARMUP ?? Math.min(5, MINUTES / 3));
const WINDOW = Number(process.env.WINDOW ?? 5);

/** Slope of the least-squares line through (x, y), per unit of x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Train MINUTES in the page and sample its memory: the samples and whether it still trained. */
async function soak() {
  const server = await serve();
  const chrome = await browser();
  // A long run: epochs enough to outlast the soak (the run is stopped at MINUTES).
  const { page } = await open(chrome, `${server.url}?device=${DEVICE}&batch=${BATCH}&images=${IMAGES}&epochs=1000&autopause=0`);
  await page.waitForFunction(() => /Running on/.test(document.getElementById('device-info')?.innerText)
    && /MNIST/.test(document.getElementById('data-summary')?.innerText), null, { timeout: 600_000 });
  const device = await page.evaluate(() => document.getElementById('device-info').innerText);
  await page.click('#start');
  const t0 = Date.now();
  const samples = [];
  while (Date.now() - t0 < MINUTES * 60_000) {
    await sleep(SAMPLE * 1000);
    const self = await page.evaluate(() => ({
      trainer: Number(document.getElementById('memory')?.textContent.match(/trainer (\d+) MB/)?.[1] ?? NaN),
      js: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : NaN,
      epoch: document.getElementById('epoch-label')?.textContent,
      error: document.getElementById('run-error')?.textContent,
    }));
    const s = { minutes: (Date.now() - t0) / 60_000, pss_mb: chromiumPss(), trainer_mb: self.trainer, js_heap_mb: self.js, epoch: self.epoch };
    samples.push(s);
    console.log(`${s.minutes.toFixed(1)} min  PSS ${s.pss_mb.toFixed(0)} MB  trainer ${s.trainer_mb} MB  JS heap ${s.js_heap_mb.toFixed(0)} MB  ${s.epoch}${self.error ? `  ERROR ${self.error}` : ''}`);
  }
  const state = await page.evaluate(() => document.getElementById('app').dataset.state);
  await chrome.close();
  await server.close();
  return { device, state, samples };
}

/** The lowest PSS of each whole WINDOW-minute window after warm-up. The PSS moves between two
 * levels: the page holds each autosave's checkpoint (41 MB, and IndexedDB's copy) until V8 collects
 * it, which can take minutes when nothing else allocates; a leak raises the floor itself. */
function windowFloors(settled) {
  const floors = new Map();
  const whole = Math.floor(MINUTES / WINDOW) * WINDOW; // the last window, if cut short, is left out
  for (const s of settled.filter((s) => s.minutes < whole)) {
    const w = Math.floor(s.minutes / WINDOW);
    floors.set(w, Math.min(floors.get(w) ?? Infinity, s.pss_mb));
  }
  return [...floors.values()];
}

// REPORT=<a soak's JSON> analyses an earlier run again instead of training.
const earlier = process.env.REPORT && JSON.parse(await readFile(process.env.REPORT, 'utf8'));
const { device, state, samples } = earlier ? { ...earlier, state: earlier.still_training ? 'running' : 'stopped' } : await soak();
const settled = samples.filter((s) => s.minutes >= WARMUP);
const per10 = (key) => slope(settled.map((s) => [s.minutes, s[key]])) * 10;
const spread = (key) => Math.max(...settled.map((s) => s[key])) - Math.min(...settled.map((s) => s[key]));
const result = {
  date: new Date().toISOString(), device, batch: BATCH, images_per_epoch: IMAGES, minutes: MINUTES, warmup_minutes: WARMUP,
  still_training: state === 'running', last_epoch: samples.at(-1)?.epoch,
  pss_mb_per_10_min: per10('pss_mb'), pss_spread_mb: spread('pss_mb'),
  pss_window_floors_mb: windowFloors(settled), pss_window_floor_spread_mb: 0,
  trainer_mb_per_10_min: per10('trainer_mb'), trainer_spread_mb: spread('trainer_mb'),
  js_heap_mb_per_10_min: per10('js_heap_mb'), samples,
};
result.pss_window_floor_spread_mb = Math.max(...result.pss_window_floors_mb) - Math.min(...result.pss_window_floors_mb);
await mkdir(OUT, { recursive: true });
const file = process.env.REPORT ? `${process.env.REPORT}.report.json` : join(OUT, `soak-${DEVICE}.json`);
await writeFile(file, JSON.stringify(result, null, 2));
console.log(`\n${device}, batch ${BATCH}, ${MINUTES} min (${result.last_epoch}), after ${WARMUP} min of warm-up:`);
console.log(`  PSS of all Chromium processes: ${result.pss_mb_per_10_min.toFixed(1)} MB per 10 min (samples within ${result.pss_spread_mb.toFixed(0)} MB)`);
console.log(`  lowest PSS of each ${WINDOW}-minute window: ${result.pss_window_floors_mb.map((m) => m.toFixed(0)).join(', ')} MB (spread ${result.pss_window_floor_spread_mb.toFixed(0)} MB)`);
console.log(`  trainer's WebAssembly heap:    ${result.trainer_mb_per_10_min.toFixed(1)} MB per 10 min (within ${result.trainer_spread_mb.toFixed(0)} MB)`);
console.log(`  page's JS heap:                ${result.js_heap_mb_per_10_min.toFixed(1)} MB per 10 min`);
console.log(`  ${file}`);
