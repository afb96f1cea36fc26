// The real page in headless Chromium on the CPU backend: train on bundled MNIST with a small
// setting, watch the four phase views and the plots fill, pause and resume, refuse a corrupt file
// (answered while the trainer works) and keep working, and fall back to the CPU in auto mode. The
// WebGPU scenario is webgpu.test.mjs. Writes a screenshot and the measured timings to out/e2e/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT, browser, colourPixels, drawn, eventually, noErrors, open, phaseViewsDrawn, progressDone, ready, serve, setField, shows, text, until, waitState } from './harness.mjs';

let server, chrome;
const metrics = {};
before(async () => {
  await mkdir(OUT, { recursive: true });
  server = await serve();
  chrome = await browser();
});
after(async () => {
  await writeFile(join(OUT, 'metrics.json'), JSON.stringify(metrics, null, 2));
  await chrome?.close();
  await server?.close();
});

/** Small settings: `images` images in batches of `batch`, `epochs` epochs. */
async function small(page, { epochs = 1, batch = 8, images = 64 } = {}) {
  await setField(page, 'epochs', epochs);
  await setField(page, 'batch', batch);
  await setField(page, 'images', images);
}

test('trains on the CPU: live views, plots, probes, pause and resume, a corrupt file answered while it trains', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=cpu&pretrained=0`);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on CPU/);
  assert.match(await text(page, '#data-summary'), /8000 training \/ 2000 test images, 1 channel, 10 classes/);
  assert.ok((await drawn(page, 'input')).colours > 50, 'the data preview is drawn before training');

  // A value that cannot work is refused next to its control and blocks Start.
  await setField(page, 'batch', 1);
  assert.equal(await text(page, '[data-field="batch"]'), 'batch size must be a whole number from 2 to 1024');
  assert.ok(await page.isDisabled('#start'));
  await setField(page, 'lr', 'NaN');
  assert.match(await text(page, '[data-field="lr"]'), /learning rate must be a number above 0/);
  await setField(page, 'lr', '2e-4');

  // 256 images in batches of 8: 32 iterations, then the probes (epoch 0 and 1).
  await small(page, { images: 256 });
  assert.equal(await text(page, '[data-field="batch"]'), '');
  const t0 = Date.now();
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#start');
  await until(page, () => document.getElementById('app').dataset.firstPicturesMs, null, { what: 'the first pictures' });
  metrics.cpu_first_iteration_s = (Date.now() - t0) / 1000;
  await phaseViewsDrawn(page);
  await until(page, () => !/–/.test(document.getElementById('loss-values').innerText), null, { what: 'the loss values' });
  // The loss plot draws L_img in its colour (rgb 31,119,180) once there are two iterations.
  await eventually(page, async () => await colourPixels(page, 'losses', [31, 119, 180]) > 20, { what: 'the losses plotted' });
  for (const phase of [[240, 180, 40], [60, 110, 200], [150, 60, 170]]) {
    assert.ok(await colourPixels(page, 'hypnogram', phase) > 10, `the hypnogram shows phase ${phase}`);
  }

  // Pause: nothing moves; resume: it goes on to the end of the epoch.
  await page.click('#pause');
  await waitState(page, ['paused', 'finished']);
  if (await page.evaluate(() => document.getElementById('app').dataset.state) === 'paused') {
    const paused = await progressDone(page);
    await page.waitForTimeout(2000);
    assert.equal(await progressDone(page), paused, 'no iteration while paused');
    await page.click('#resume');
    await waitState(page, ['running', 'finished']);
  }
  // A corrupt file dropped while the trainer works (iterations, then the epoch's probes) is
  // answered at once; training goes on.
  await page.setInputFiles('#files', { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a dataset at all') });
  await shows(page, 'data-error', 'garbage\\.bin: not a recognised dataset file');
  await waitState(page, ['finished']);
  assert.equal(await progressDone(page), 32, '256 images, batch 8: 32 iterations');
  metrics.cpu_run_s = (Date.now() - t0) / 1000;
  metrics.cpu_stats = await text(page, '#stats');
  metrics.first_pictures_ms_since_navigation = Number(await page.evaluate(() => document.getElementById('app').dataset.firstPicturesMs));
  // The probes ran (epoch 0 and 1): the stable probe's series is drawn.
  assert.ok(await colourPixels(page, 'probes', [31, 119, 180]) > 20, 'probe accuracy is plotted');
  // The value under the pointer, on both plots; gone when the pointer leaves.
  const pointAt = async (id, fx, fy) => {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    const box = await page.locator(`#${id}`).boundingBox();
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
  };
  await pointAt('losses', 0.55, 0.5);
  await until(page, () => document.getElementById('losses-readout').innerText !== '', null, { what: 'the loss under the pointer' });
  assert.match(await text(page, '#losses-readout'), /^L_(img|KL|real|NREM|fake) at iteration \d+: \d+\.\d{4}$/);
  await pointAt('probes', 0.95, 0.5);
  await until(page, () => document.getElementById('probes-readout').innerText !== '', null, { what: 'the probe under the pointer' });
  assert.match(await text(page, '#probes-readout'), /^(stable|official) probe after epoch 1: \d+\.\d %$/);
  await page.mouse.move(1, 1);
  await until(page, () => document.getElementById('probes-readout').innerText === '', null, { what: 'the readout cleared' });
  // The model diagram: while training it showed the phases that ran (checked above by the hypnogram);
  // now a button chooses one: REM lights its path, its loss with its value, and the reversed gradient into G.
  await page.getByRole('button', { name: 'REM', exact: true }).click();
  await until(page, () => document.getElementById('diagram').dataset.phase === 'REM', null, { what: 'the REM diagram' });
  assert.match(await text(page, '#diagram-losses'), /^L_fake \d+\.\d{4} — learns: E and G \(G through the reversed gradient −∇\)$/);
  assert.equal(await page.locator('#diagram .reversed.on').count(), 1, 'the reversed gradient is drawn');
  await page.getByRole('button', { name: 'NREM', exact: true }).click();
  await until(page, () => document.getElementById('diagram').dataset.phase === 'NREM', null, { what: 'the NREM diagram' });
  assert.match(await text(page, '#diagram-losses'), /^L_NREM \d+\.\d{4} — learns: E$/);
  assert.equal(await page.locator('#diagram .reversed.on').count(), 0);
  // Main-thread work during training: every long task (> 50 ms) since Start was pressed.
  const longTasks = await page.evaluate((since) => window.__longTasks.filter((t) => t.start >= since).map((t) => t.ms), clicked);
  metrics.long_tasks_during_training = longTasks.length;
  metrics.longest_main_thread_task_ms = Math.max(0, ...longTasks);
  await page.screenshot({ path: join(OUT, 'app.png'), fullPage: true });

  // Still usable: one step of a new run.
  await page.click('#step');
  await waitState(page, ['paused']);
  await until(page, () => /iteration 1 \//.test(document.getElementById('iteration-label').innerText), null, { what: 'one step' });
  assert.equal(await text(page, '#run-error'), '');
  noErrors(log);
});

test('auto mode prefers the CPU to a software adapter and says so', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=auto&bogus=1`);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on CPU/);
  assert.match(await text(page, '#device-note'), /only a software WebGPU adapter is available .*swiftshader/);
  assert.match(await text(page, '#url-note'), /unknown parameter 'bogus' ignored/);
  await small(page);
  await page.click('#step');
  await until(page, () => /iteration 1 \//.test(document.getElementById('iteration-label').innerText), null, { what: 'one step' });
  await phaseViewsDrawn(page);
  noErrors(log);
});
