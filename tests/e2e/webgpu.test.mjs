// The page on WebGPU (SwiftShader, Chromium's software adapter), once: a software GPU takes
// seconds per iteration and compiles every kernel anew, so all WebGPU checks share one scenario
// while the other browser tests run on the CPU backend. The self-check (train/verify.rs: the same
// weights, batch and draws on WebGPU and on the CPU give the same forward pass and PAD losses)
// passes and the page says so; it trains, draws, answers a dropped file at once, and when the
// GPU device is destroyed mid-run it says so, restarts the trainer and resumes the autosave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, noErrors, open, phaseViewsDrawn, ready, setField, shortRun, shows, text, until, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

test('WebGPU: the self-check agrees with the CPU, training, a dropped file answered, the device lost and the autosave resumed', { timeout: 1_800_000 }, async () => {
  // Keep every GPUDevice the worker creates reachable, so the test can destroy it.
  const capture = async (page) => page.route('**/worker_loader.js', async (route) => {
    const original = await (await route.fetch()).text();
    const prelude = `const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (...a) { const d = await requestDevice.apply(this, a); (self.__padDevices ??= []).push(d); return d; };\n`;
    await route.fulfill({ body: prelude + original, contentType: 'text/javascript' });
  });
  const { page, log } = await open(env.chrome, `${env.server.url}?device=webgpu&pretrained=0`, capture);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on WebGPU \(.*swiftshader/);
  const note = await text(page, '#device-note');
  console.log(`WebGPU self-check: ${note}`);
  assert.match(note, /checked against the CPU: forward pass within \d(\.\d+)?e-\d+, losses within \d(\.\d+)?e-\d+/);

  // Two epochs of two iterations (8 images, batch 4), probes off.
  await shortRun(page, { epochs: 2, images: 8, batch: 4 });
  await page.click('#start');
  await until(page, () => document.getElementById('app').dataset.firstPicturesMs, null, { what: 'the first pictures on WebGPU' });
  await phaseViewsDrawn(page, 4);
  // A file dropped while the software GPU works is answered at once.
  await page.setInputFiles('#files', { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a dataset at all') });
  await shows(page, 'data-error', 'garbage\\.bin: not a recognised dataset file');

  await autosavedAfter(page, 1);
  const destroyed = await Promise.all(page.workers().map((w) => w.evaluate(() => (self.__padDevices ?? []).map((d) => d.destroy()).length)));
  assert.ok(destroyed.reduce((a, b) => a + b, 0) >= 1, 'a device was destroyed');
  await shows(page, 'run-error', 'The trainer stopped');
  assert.match(await text(page, '#run-error'), /^The trainer stopped \(.*lost.*\)\. It is being restarted\. The last autosave \(epoch 1\) can be resumed/);
  // The restarted trainer (WebGPU again, checked again) takes the autosave and finishes the run.
  await ready(page);
  assert.equal(await page.evaluate(() => document.getElementById('app').dataset.state), 'idle');
  await setField(page, 'epochs', 1);
  await page.click('#resume-autosave');
  await waitState(page, ['paused']);
  assert.match(await text(page, '#notice'), /Loaded a PAD model trained 1 epoch/);
  await page.click('#resume');
  await waitState(page, ['finished']);
  assert.match(await text(page, '#epoch-label'), /epoch 2 \/ 2/);
  assert.equal(await text(page, '#run-error'), '');
  noErrors(log, /favicon|device|Destroyed|lost|GPU|wgpu|WebGPU/i);
});
