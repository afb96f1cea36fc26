// The real page in headless Chromium (software WebGPU): train on bundled MNIST with a tiny setting,
// watch the four phase views and the plots fill, pause and resume, refuse a corrupt file and keep
// working, and fall back to the CPU in auto mode. Writes a screenshot and the measured timings to
// out/e2e/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT, browser, colourPixels, drawn, open, progressDone, serve, setField, text, waitState } from './harness.mjs';

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

/** Tiny settings that keep a software-GPU run short. */
async function tiny(page, { epochs = 1, batch = 8, images = 64 } = {}) {
  await setField(page, 'epochs', epochs);
  await setField(page, 'batch', batch);
  await setField(page, 'images', images);
}

/** All four phase views hold a full grid of 8 images (pixels drawn, opaque); the input varies. */
async function phaseViewsDrawn(page) {
  for (const id of ['input', 'reconstruction', 'nrem', 'rem']) {
    const d = await drawn(page, id);
    assert.equal(d.opaque, 1, `${id}: every pixel of the grid is drawn`);
    assert.equal(await page.evaluate((id) => document.getElementById(id).width, id), 8 * 32, `${id}: 8 images side by side`);
  }
  assert.ok((await drawn(page, 'input')).colours > 50, 'the input shows digits');
}

/** Poll `check` until it holds (or fail after `timeout` ms with `what`). */
async function eventually(check, timeout, what) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${timeout / 1000} s`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

async function ready(page, timeout = 120_000) {
  await page.waitForFunction(
    () => /Running on/.test(document.getElementById('device-info')?.innerText) && /MNIST/.test(document.getElementById('data-summary')?.innerText),
    null, { timeout, polling: 250 });
}

test('trains on WebGPU: live views, plots, pause and resume, corrupt upload', { timeout: 900_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=webgpu`);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on WebGPU \(.*swiftshader/);
  assert.match(await text(page, '#data-summary'), /8000 training \/ 2000 test images, 1 channel, 10 classes/);
  assert.ok((await drawn(page, 'input')).colours > 50, 'the data preview is drawn before training');

  // A value that cannot work is refused next to its control and blocks Start.
  await setField(page, 'batch', 1);
  assert.equal(await text(page, '[data-field="batch"]'), 'batch size must be a whole number from 2 to 1024');
  assert.ok(await page.isDisabled('#start'));
  await setField(page, 'lr', 'NaN');
  assert.match(await text(page, '[data-field="lr"]'), /learning rate must be a number above 0/);
  await setField(page, 'lr', '2e-4');

  await tiny(page);
  assert.equal(await text(page, '[data-field="batch"]'), '');
  const t0 = Date.now();
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('app').dataset.firstPicturesMs, null, { timeout: 600_000, polling: 250 });
  metrics.webgpu_first_iteration_s = (Date.now() - t0) / 1000;
  await phaseViewsDrawn(page);
  await page.waitForFunction(() => !/–/.test(document.getElementById('loss-values').innerText), null, { timeout: 60_000 });
  // The loss plot draws L_img in its colour (rgb 31,119,180) once there are two iterations.
  await eventually(async () => await colourPixels(page, 'losses', [31, 119, 180]) > 20, 120_000, 'losses are plotted');
  for (const phase of [[240, 180, 40], [60, 110, 200], [150, 60, 170]]) {
    assert.ok(await colourPixels(page, 'hypnogram', phase) > 10, `the hypnogram shows phase ${phase}`);
  }

  // Pause: nothing moves; resume: it goes on to the end of the epoch.
  await page.click('#pause');
  await waitState(page, ['paused'], 120_000);
  const paused = await progressDone(page);
  await page.waitForTimeout(3000);
  assert.equal(await progressDone(page), paused, 'no iteration while paused');
  await page.click('#resume');
  await waitState(page, ['running', 'finished'], 10_000);
  await waitState(page, ['finished'], 600_000);
  assert.equal(await progressDone(page), 8, '64 images, batch 8: 8 iterations');
  metrics.webgpu_run_s = (Date.now() - t0) / 1000;
  metrics.webgpu_stats = await text(page, '#stats');
  metrics.first_pictures_ms_since_navigation = Number(await page.evaluate(() => document.getElementById('app').dataset.firstPicturesMs));
  // The probes ran (epoch 0 and 1): the stable probe's series is drawn.
  assert.ok(await colourPixels(page, 'probes', [31, 119, 180]) > 20, 'probe accuracy is plotted');
  // Main-thread work during training: every long task (> 50 ms) since Start was pressed.
  const longTasks = await page.evaluate((since) => window.__longTasks.filter((t) => t.start >= since).map((t) => t.ms), clicked);
  metrics.long_tasks_during_training = longTasks.length;
  metrics.longest_main_thread_task_ms = Math.max(0, ...longTasks);
  await page.screenshot({ path: join(OUT, 'app.png'), fullPage: true });

  // A corrupt file is refused with a message; the page goes on working.
  await page.setInputFiles('#files', { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a dataset at all') });
  await page.waitForFunction(() => document.getElementById('data-error').innerText.length > 0, null, { timeout: 30_000 });
  assert.match(await text(page, '#data-error'), /garbage\.bin: not a recognised dataset file/);
  await page.click('#step');
  await waitState(page, ['paused'], 300_000);
  await page.waitForFunction(() => /iteration 1 \//.test(document.getElementById('iteration-label').innerText), null, { timeout: 300_000 });
  assert.equal(await text(page, '#run-error'), '');
  assert.deepEqual(log.filter((l) => !/favicon/.test(l)), [], 'no console errors');
});

test('auto mode prefers the CPU to a software adapter and says so', { timeout: 300_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=auto&bogus=1`);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on CPU/);
  assert.match(await text(page, '#device-note'), /only a software WebGPU adapter is available .*swiftshader/);
  assert.match(await text(page, '#url-note'), /unknown parameter 'bogus' ignored/);
  await tiny(page);
  await page.click('#step');
  await page.waitForFunction(() => /iteration 1 \//.test(document.getElementById('iteration-label').innerText), null, { timeout: 120_000 });
  await phaseViewsDrawn(page);
  assert.deepEqual(log.filter((l) => !/favicon/.test(l)), []);
});
