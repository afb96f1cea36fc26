// Memory: the trainer's WebAssembly heap (the line beside the device) stops growing once a run has
// settled — a leak would raise its high-water mark epoch after epoch —, and the whole browser's
// memory does not climb over a few minutes of training (the short version of `benches/soak.mjs`).
// A short run on the CPU backend, probes and autosaves included (they are the largest transient work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, chromiumPss, noErrors, open, ready, shows, text, useBrowser, waitState } from './harness.mjs';

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
  await shows(page, 'memory', 'trainer \\d+ MB · page \\d+ MB');
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
