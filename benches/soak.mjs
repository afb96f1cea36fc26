// Soak benchmark: the built page (dist/) trains in headless Debian Chromium for MINUTES and the
// browser's memory is recorded over time — the proportional set size (PSS) summed over every
// Chromium process, the trainer's WebAssembly heap and the page's JS heap (as the page shows them)
// — every SAMPLE seconds. Memory must stay flat after warm-up: the result is the growth in MB per
// 10 minutes after WARMUP minutes (a least-squares line through the samples), and the samples.
//
//   trunk build --release && node benches/soak.mjs                  (CPU backend, 30 minutes)
//   DEVICE=webgpu MINUTES=10 node benches/soak.mjs                  (SwiftShader WebGPU)
//   MINUTES BATCH (32) IMAGES (512 per epoch) SAMPLE (30 s) WARMUP (5 min); probes on, as a visitor
//   has them: the end-of-epoch probes and autosaves are the largest transient work.
// Writes out/soak-<device>.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, browser, open, serve } from '../tests/e2e/harness.mjs';

const DEVICE = process.env.DEVICE ?? 'cpu';
const MINUTES = Number(process.env.MINUTES ?? 30);
const BATCH = Number(process.env.BATCH ?? 32);
const IMAGES = Number(process.env.IMAGES ?? 512);
const SAMPLE = Number(process.env.SAMPLE ?? 30);
const WARMUP = Number(process.env.WARMUP ?? Math.min(5, MINUTES / 3));

/** PSS of every Chromium process, MB. */
async function chromiumPss() {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!/^chrom/.test((await readFile(`/proc/${pid}/comm`, 'utf8')).trim())) continue;
      const m = (await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')).match(/^Pss:\s+(\d+) kB/m);
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

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
  const s = { minutes: (Date.now() - t0) / 60_000, pss_mb: await chromiumPss(), trainer_mb: self.trainer, js_heap_mb: self.js, epoch: self.epoch };
  samples.push(s);
  console.log(`${s.minutes.toFixed(1)} min  PSS ${s.pss_mb.toFixed(0)} MB  trainer ${s.trainer_mb} MB  JS heap ${s.js_heap_mb.toFixed(0)} MB  ${s.epoch}${self.error ? `  ERROR ${self.error}` : ''}`);
}
const state = await page.evaluate(() => document.getElementById('app').dataset.state);
await chrome.close();
await server.close();

const settled = samples.filter((s) => s.minutes >= WARMUP);
const per10 = (key) => slope(settled.map((s) => [s.minutes, s[key]])) * 10;
const spread = (key) => Math.max(...settled.map((s) => s[key])) - Math.min(...settled.map((s) => s[key]));
const result = {
  date: new Date().toISOString(), device, batch: BATCH, images_per_epoch: IMAGES, minutes: MINUTES, warmup_minutes: WARMUP,
  still_training: state === 'running', last_epoch: samples.at(-1)?.epoch,
  pss_mb_per_10_min: per10('pss_mb'), pss_spread_mb: spread('pss_mb'),
  trainer_mb_per_10_min: per10('trainer_mb'), trainer_spread_mb: spread('trainer_mb'),
  js_heap_mb_per_10_min: per10('js_heap_mb'), samples,
};
await mkdir(OUT, { recursive: true });
const file = join(OUT, `soak-${DEVICE}.json`);
await writeFile(file, JSON.stringify(result, null, 2));
console.log(`\n${device}, batch ${BATCH}, ${MINUTES} min (${result.last_epoch}), after ${WARMUP} min of warm-up:`);
console.log(`  PSS of all Chromium processes: ${result.pss_mb_per_10_min.toFixed(1)} MB per 10 min (samples within ${result.pss_spread_mb.toFixed(0)} MB)`);
console.log(`  trainer's WebAssembly heap:    ${result.trainer_mb_per_10_min.toFixed(1)} MB per 10 min (within ${result.trainer_spread_mb.toFixed(0)} MB)`);
console.log(`  page's JS heap:                ${result.js_heap_mb_per_10_min.toFixed(1)} MB per 10 min`);
console.log(`  ${file}`);
