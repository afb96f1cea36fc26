// Memory: the trainer's WebAssembly heap (the line beside the device) stops growing once a run has
// settled — a leak would raise its high-water mark epoch after epoch —, and the whole browser's
// memory does not climb over a few minutes of training (the short version of `benches/soak.mjs`).
// A short run on the CPU backend, probes and autosaves included (they are the largest transient work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, chromiumPss, inWorkerFirst, noErrors, open, ready, shortRun, shows, text, until, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

/** How much the browser's memory may grow from epoch 3 to epoch 10, read after a garbage
 * collection. The 30-minute soak (BENCHMARKS.md) found the browser's lowest PSS of each 5-minute
 * window within 8 MB over 25 minutes, while each autosave adds 85 MB until V8 collects it: 30 MB is
 * about four times the noise, and a third of what one checkpoint kept per epoch would add. */
const PSS_GROWTH_MB = 30;

/** The browser's PSS once the page's garbage is collected (MB). */
async function keptPss(page) {
  for (let i = 0; i < 2; i++) {
    await page.evaluate(() => window.gc?.());
    await page.waitForTimeout(500);
  }
  return chromiumPss();
}

/** The trainer's heap as the page shows it (MB). */
async function trainerMb(page) {
  const m = (await text(page, '#memory')).match(/trainer (\d+) MB/);
  assert.ok(m, 'the page shows the trainer\'s memory');
  return Number(m[1]);
}

test("the trainer's memory does not grow from one epoch to the next, nor the browser's over a few minutes", { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0&epochs=11&images=128&batch=16`);
  await ready(page);
  await shows(page, 'memory', 'trainer \\d+ MB \\(\\d+ MB in use, at most \\d+ MB\\) · page \\d+ MB');
  await page.click('#start');
  await autosavedAfter(page, 2);
  const settled = await trainerMb(page);
  await autosavedAfter(page, 3);
  const early = await keptPss(page);
  await autosavedAfter(page, 10);
  const late = await keptPss(page);
  await waitState(page, ['finished']);
  await autosavedAfter(page, 11);
  const end = await trainerMb(page);
  console.log(`trainer heap after epoch 2: ${settled} MB, after epoch 11: ${end} MB; browser PSS after epoch 3: ${early.toFixed(0)} MB, after epoch 10: ${late.toFixed(0)} MB`);
  assert.ok(end <= settled + 1, `the heap grew from ${settled} to ${end} MB over nine epochs`);
  assert.ok(late - early <= PSS_GROWTH_MB, `the browser's memory grew by ${(late - early).toFixed(0)} MB from epoch 3 to 10 (at most ${PSS_GROWTH_MB})`);
  noErrors(log);
});

/** A device that will not give the trainer more than this (MB live in its heap), played by the
 * worker's heap limit (`src/heap.rs`): a batch of 256 needs more while it iterates (measured: at
 * most 162 MB in use), a batch of 128 and its autosave need less (112 MB). */
const HEAP_LIMIT_MB = 140;

test('out of memory: the page says so in plain words, restarts the trainer and continues at a smaller batch', { timeout: 1_200_000 }, async () => {
  const limit = inWorkerFirst(`self.padHeapLimit = ${HEAP_LIMIT_MB * 1048576};`);
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`, limit);
  await ready(page);
  await shortRun(page, { epochs: 1, images: 512, batch: 256 });
  await page.click('#start');
  await shows(page, 'run-error', '^The trainer ran out of memory: it needed \\d+ MB more with \\d+ MB in use');
  const said = await text(page, '#run-error');
  console.log(said);
  assert.match(said, /start it again with a smaller batch/);
  assert.doesNotMatch(said, /RuntimeError|unreachable/);
  await ready(page); // a new trainer
  await until(page, () => !document.getElementById('smaller-batch').hidden && !document.getElementById('smaller-batch').disabled, null, { what: 'the smaller batch offered' });
  assert.equal(await text(page, '#smaller-batch'), 'Continue at batch 128');
  await page.click('#smaller-batch');
  await waitState(page, ['finished']);
  assert.equal(await page.inputValue('#batch'), '128');
  assert.match(await text(page, '#epoch-label'), /epoch 1 \/ 1/);
  await autosavedAfter(page, 1);
  assert.equal(await text(page, '#run-error'), '');
  assert.equal(await page.isHidden('#smaller-batch'), true);
  const m = (await text(page, '#memory')).match(/at most (\d+) MB/);
  assert.ok(Number(m[1]) <= HEAP_LIMIT_MB, `the trainer stayed within the device's ${HEAP_LIMIT_MB} MB: ${m[0]}`);
  noErrors(log, /favicon|RuntimeError|unreachable|out of memory|private file system/);
});
