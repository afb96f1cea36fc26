// Memory: the trainer's WebAssembly heap (the line beside the device) stops growing once a run has
// settled — a leak would raise its high-water mark epoch after epoch. A short run on the CPU backend,
// probes and autosaves included (they are the largest transient work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, noErrors, open, ready, shows, text, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

/** The trainer's heap as the page shows it (MB). */
async function trainerMb(page) {
  const m = (await text(page, '#memory')).match(/trainer (\d+) MB/);
  assert.ok(m, 'the page shows the trainer\'s memory');
  return Number(m[1]);
}

test("the trainer's memory does not grow from one epoch to the next", { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0&epochs=5&images=128&batch=16`);
  await ready(page);
  await shows(page, 'memory', 'trainer \\d+ MB · page \\d+ MB');
  await page.click('#start');
  await autosavedAfter(page, 2);
  const settled = await trainerMb(page);
  await waitState(page, ['finished']);
  await autosavedAfter(page, 5);
  const end = await trainerMb(page);
  console.log(`trainer heap after epoch 2: ${settled} MB, after epoch 5: ${end} MB`);
  assert.ok(end <= settled + 1, `the heap grew from ${settled} to ${end} MB over three epochs`);
  noErrors(log);
});
