// What a teacher uses, in headless Chromium on the CPU backend: knobs turned mid-run (acting at the
// next iteration, marked on the loss plot), one brain state at a time (each phase step runs only
// its phase and lights its path in the diagram), slow motion, and drawing your own input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OUT, noErrors, open, progressDone, ready, shortRun, shows, text, until, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

/** The five losses of the table under the progress bar, as numbers (NaN for "–"). */
const lossRow = (page) => page.evaluate(() => [...document.querySelectorAll('#loss-values tr:nth-child(2) td')].map((td) => Number(td.textContent)));

/** Iterations done reach `n`. */
const doneReaches = (page, n) => until(page, (n) => {
  const e = document.getElementById('epoch-label').innerText.match(/epoch (\d+)/);
  const i = document.getElementById('iteration-label').innerText.match(/iteration (\d+) \/ (\d+)/);
  return e && i && (Number(e[1]) - 1) * Number(i[2]) + Number(i[1]) >= n;
}, n, { what: `${n} iterations done` });

/** A short paused run of MNIST stepped `n` whole iterations. */
async function stepped(page, n) {
  await ready(page);
  await shortRun(page, { epochs: 1, images: 64, batch: 8 });
  for (let i = 1; i <= n; i++) {
    await page.click('#step');
    await doneReaches(page, i);
    await waitState(page, ['paused']);
  }
}

test('a knob turned mid-run acts at the next iteration and is marked on the loss plot', { timeout: 1_200_000 }, async () => {
  const url = `${env.server.url}?device=cpu&pretrained=0`;
  const twin = await open(env.chrome, url);
  await stepped(twin.page, 3);
  const untouched = await lossRow(twin.page);

  const { page, log } = await open(env.chrome, url);
  await stepped(page, 2);
  assert.equal(await page.evaluate(() => document.getElementById('variant').value), 'pad');
  // ε (Wake's latent noise) 0 → 3: the edit is complete when the field is left.
  await page.fill('#epsilon', '3');
  await page.press('#epsilon', 'Tab');
  await shows(page, 'notice', 'Knobs turned from iteration 3: ε 0 → 3');
  assert.equal(await page.evaluate(() => document.getElementById('variant').value), 'custom', 'a touched knob makes the run custom');
  await page.click('#step');
  await doneReaches(page, 3);
  const turned = await lossRow(page);
  // G now reconstructs from noisy latents (L_img moves); L_KL acts on the clean ones (same weights).
  assert.notEqual(turned[0], untouched[0], `L_img ${turned[0]} vs ${untouched[0]}`);
  assert.equal(turned[1], untouched[1], 'L_KL');
  assert.match(await page.getAttribute('#losses', 'aria-label'), /knobs turned from iteration 3: ε 0 → 3/);
  // A preset sets every knob back (and is a change too).
  await page.selectOption('#variant', 'pad');
  await shows(page, 'notice', 'Knobs turned from iteration 4: ε 3 → 0');
  assert.equal(await page.inputValue('#epsilon'), '0');
  await page.waitForTimeout(500); // the plot redraws at most every 300 ms
  await page.locator('#losses').screenshot({ path: join(OUT, 'knobs-plot.png') });
  await page.locator('fieldset.knobs').screenshot({ path: join(OUT, 'knobs.png') });
  noErrors(log);
  noErrors(twin.log);
});

/** The diagram's lit boxes. */
const lit = (page) => page.evaluate(() => [...document.querySelectorAll('#diagram .part.on text')].map((t) => t.textContent));

test('one brain state at a time: each step runs only its phase and lights its path; slow motion plays them', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`);
  await ready(page);
  await shortRun(page, { epochs: 1, images: 64, batch: 8 });
  assert.equal(await page.isDisabled('#step-nrem'), true, 'NREM needs a memory from Wake first');
  assert.equal(await page.isDisabled('#step-wake'), false);

  await page.click('#step-wake');
  await shows(page, 'next-phase', 'next: NREM');
  assert.equal(await page.getAttribute('#diagram', 'data-phase'), 'Wake');
  assert.ok((await lit(page)).includes('x (image)') && !(await lit(page)).includes('occlusion'), `${await lit(page)}`);
  assert.match(await text(page, '#diagram-losses'), /L_img \d\.\d{4} · L_KL \d/);
  assert.equal(await progressDone(page), 0, 'no iteration done yet');
  assert.deepEqual(await Promise.all(['wake', 'rem'].map((p) => page.isDisabled(`#step-${p}`))), [true, true]);

  await page.click('#step-nrem');
  await shows(page, 'next-phase', 'next: REM');
  assert.equal(await page.getAttribute('#diagram', 'data-phase'), 'NREM');
  assert.ok((await lit(page)).includes('occlusion') && !(await lit(page)).includes('x (image)'), `${await lit(page)}`);
  assert.match(await text(page, '#diagram-losses'), /L_NREM \d\.\d{4}/);

  await page.click('#step-rem');
  await doneReaches(page, 1);
  await shows(page, 'next-phase', 'next: Wake');
  assert.equal(await page.getAttribute('#diagram', 'data-phase'), 'REM');
  assert.ok((await lit(page)).includes('E_d: real?'));
  assert.equal(await page.evaluate(() => document.querySelector('#diagram .reversed').classList.contains('on')), true, "REM's reversed gradient into G");
  assert.match(await text(page, '#diagram-losses'), /L_fake \d\.\d{4}/);
  await page.locator('#diagram').screenshot({ path: join(OUT, 'diagram-rem.png') });

  // Slow motion: phase after phase with a rest, until stopped.
  await page.selectOption('#slow-seconds', '0.25');
  await page.click('#slow');
  assert.equal(await page.getAttribute('#slow', 'aria-pressed'), 'true');
  await doneReaches(page, 2);
  await page.click('#slow');
  assert.equal(await page.getAttribute('#slow', 'aria-pressed'), 'false');
  await page.waitForTimeout(1500); // a phase under way may still answer
  const stopped = await progressDone(page);
  const next = await text(page, '#next-phase');
  await page.waitForTimeout(1500);
  assert.equal(await progressDone(page), stopped, 'no more phases once stopped');
  assert.equal(await text(page, '#next-phase'), next);
  await waitState(page, ['paused']);
  noErrors(log);
});

/** A canvas's pixels, to compare pictures exactly. */
const pixels = (page, id) => page.evaluate((id) => {
  const c = document.getElementById(id);
  return c.width && c.height ? Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') : '';
}, id);

/** Draw a polyline on the pad with the mouse (points in the unit square). */
async function stroke(page, points) {
  const box = await page.locator('#drawpad').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
}

test('draw your own input: the model reconstructs it, and reads it once a probe exists', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu`);
  await ready(page);
  await until(page, () => document.getElementById('app').dataset.pretrainedMs, null, { what: 'the pretrained snapshot' });
  await page.locator('#drawpad').scrollIntoViewIfNeeded();
  // A "1" drawn with the mouse: the pretrained snapshot answers at once.
  await stroke(page, [[0.45, 0.2], [0.55, 0.1], [0.55, 0.9]]);
  // The model's answer has arrived once the note speaks of it (the canvas is 32 wide in the HTML
  // before anything is drawn, so its width alone does not say so).
  await shows(page, 'drawing-note', 'No linear probe yet');
  await until(page, () => document.getElementById('drawn-reconstruction').width === 32, null, { what: 'the drawing reconstructed' });
  const one = await pixels(page, 'drawn-reconstruction');
  // Cleared and drawn again (a horizontal bar): another reconstruction.
  await page.click('#drawing-clear');
  await stroke(page, [[0.15, 0.5], [0.85, 0.5]]);
  await until(page, (one) => {
    const c = document.getElementById('drawn-reconstruction');
    return c.width === 32 && Array.from(c.getContext('2d').getImageData(0, 0, 32, 32).data).join(',') !== one;
  }, one, { what: 'a new reconstruction' });
  // An example, then an evaluation: the probe's probabilities and the place on the latent map.
  await page.click('.drawing-example[data-example="7"]');
  await page.click('#evaluate');
  await until(page, () => document.querySelectorAll('#drawing-probabilities li').length === 10, null, { what: 'the probe reading the drawing' });
  assert.match(await text(page, '#drawing-note'), /linear probe of epoch 10 reads its latent as:.*lands at \(/s);
  const shares = await page.evaluate(() => [...document.querySelectorAll('#drawing-probabilities .value')].map((v) => parseFloat(v.textContent)));
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) <= 6, `probabilities add up to 100 %: ${shares}`);
  await page.locator('#drawing').screenshot({ path: join(OUT, 'drawing.png') });
  await page.locator('#evaluation').screenshot({ path: join(OUT, 'drawing-map.png') });
  noErrors(log);
});
