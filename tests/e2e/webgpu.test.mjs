// The page on WebGPU (SwiftShader, Chromium's software adapter), once: a software GPU takes
// seconds per iteration and compiles every kernel anew, so all WebGPU checks share one scenario
// while the other browser tests run on the CPU backend. The self-check (train/verify.rs: the same
// weights, batch and draws on WebGPU and on the CPU give the same forward pass and PAD losses)
// passes and the page says so, on an adapter without timestamp-query; it shows that it prepares the
// GPU kernels, trains, draws, answers a dropped file at once; when the GPU device is destroyed
// mid-run, or WebGPU reports an error nobody caught, it moves to the CPU and continues the run by
// itself. And a GPU that computes wrong numbers fails the self-check: the CPU trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, inWorkerFirst, noErrors, open, phaseViewsDrawn, ready, setField, shortRun, shows, text, until, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

/** Do `act(device)` in the worker to the latest GPUDevice it created (kept by the test's prelude). */
async function onWorkersGpu(page, act) {
  const done = await Promise.all(page.workers().map((w) => w.evaluate(`(self.__padDevices ?? []).slice(-1).map(${act}).length`)));
  assert.ok(done.reduce((a, b) => a + b, 0) >= 1, 'a GPU device was reached');
}

/** The GPU failed (`why` on the device line): the page moved to the CPU by itself, said `how`, and
 * the run reached its end (`epochs` on the epoch label) with no error. */
async function movedToCpu(page, why, how, epochs) {
  await shows(page, 'device-note', `^WebGPU failed \\(${why}`);
  await shows(page, 'notice', how);
  await waitState(page, ['finished']);
  assert.match(await text(page, '#device-info'), /^Running on CPU/);
  assert.equal(await text(page, '#epoch-label'), epochs);
  assert.equal(await text(page, '#run-error'), '');
}

test('WebGPU without timestamp-query: the self-check agrees, kernels prepared, training, a dropped file answered; the device lost and an uncaught error move the run to the CPU', { timeout: 1_800_000 }, async () => {
  // SwiftShader's adapter made to lack timestamp-query, as some real adapters do (the worker's
  // entry script must make cubecl train anyway: static/worker-entry.js), and every GPUDevice the
  // worker creates kept reachable, so the test can destroy it. Runs before the entry script.
  const capture = inWorkerFirst(`const has = GPUSupportedFeatures.prototype.has;
GPUSupportedFeatures.prototype.has = function (f) { return f !== 'timestamp-query' && has.call(this, f); };
const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (d) {
  if ([...(d?.requiredFeatures ?? [])].includes('timestamp-query')) throw new TypeError('timestamp-query is not supported (hidden by the test)');
  const device = await requestDevice.call(this, d); (self.__padDevices ??= []).push(device); return device;
};`);
  const { page, log } = await open(env.chrome, `${env.server.url}?device=webgpu&pretrained=0`, capture);
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on WebGPU \(.*swiftshader/);
  const note = await text(page, '#device-note');
  console.log(`WebGPU self-check: ${note}`);
  assert.match(note, /checked against the CPU: forward pass within \d(\.\d+)?e-\d+, losses within \d(\.\d+)?e-\d+/);
  assert.match(note, /lacks timestamp-query, which only profiling needs: left out/);

  // Two epochs of two iterations (8 images, batch 4), probes off.
  await shortRun(page, { epochs: 2, images: 8, batch: 4 });
  await page.click('#start');
  // The first WebGPU iteration compiles the kernels: the page says so, counting the seconds.
  await shows(page, 'preparing-gpu', '^Preparing GPU kernels… \\d+ s');
  await until(page, () => document.getElementById('app').dataset.firstPicturesMs, null, { what: 'the first pictures on WebGPU' });
  await until(page, () => document.getElementById('preparing-gpu').textContent === '', null, { what: 'the kernels message gone after an iteration' });
  await phaseViewsDrawn(page, 4);
  // A file dropped while the software GPU works is answered at once.
  await page.setInputFiles('#files', { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a dataset at all') });
  await shows(page, 'data-error', 'garbage\\.bin: not a recognised dataset file');

  // The device lost after epoch 1's autosave: the page moves to the CPU by itself and continues
  // from that autosave to the run's end — no click.
  await autosavedAfter(page, 1);
  await onWorkersGpu(page, (d) => d.destroy());
  await movedToCpu(page, 'the WebGPU device was lost', 'Training moved to the CPU and continues from the autosave after epoch 1', 'epoch 2 / 2');
  assert.equal(await page.evaluate(() => document.getElementById('device').value), 'cpu', 'the device control says CPU');

  // Back to WebGPU (checked again), a new run, and a WebGPU error nobody catches in its first
  // epoch (a buffer with no usage: a validation error): no autosave of this run yet, so the run
  // starts again on the CPU, by itself, and finishes.
  await page.selectOption('#device', 'webgpu');
  await ready(page);
  assert.match(await text(page, '#device-info'), /Running on WebGPU/);
  await shortRun(page, { epochs: 1, images: 8, batch: 4 });
  await page.click('#start');
  await until(page, () => document.getElementById('app').dataset.state === 'running' && /iteration [1-9]/.test(document.getElementById('iteration-label').textContent), null, { what: 'the new run training on WebGPU' });
  await onWorkersGpu(page, (d) => d.createBuffer({ size: 4, usage: 0 }));
  await movedToCpu(page, 'WebGPU reported an error the trainer did not expect', 'the run starts again on the CPU', 'epoch 1 / 1');
  noErrors(log, /favicon|device|Destroyed|lost|GPU|wgpu|WebGPU|usage/i);
});

test('a GPU that reads back wrong numbers fails the self-check: the page trains on the CPU and says why', { timeout: 600_000 }, async () => {
  // Every read-back from the GPU comes back scaled and shifted (wgpu reads results through
  // getMappedRange), as a kernel skipped after a validation failure would hand back stale numbers.
  const corrupt = inWorkerFirst(`const getMappedRange = GPUBuffer.prototype.getMappedRange;
GPUBuffer.prototype.getMappedRange = function (...a) {
  const range = getMappedRange.apply(this, a);
  if (this.mapState === 'mapped' && (this.usage & GPUBufferUsage.MAP_READ)) {
    const f = new Float32Array(range, 0, range.byteLength >> 2);
    for (let i = 0; i < f.length; i++) f[i] = f[i] * 1.5 + 0.25;
  }
  return range;
};`);
  const { page, log } = await open(env.chrome, `${env.server.url}?device=webgpu&pretrained=0`, corrupt);
  await ready(page);
  assert.match(await text(page, '#device-info'), /^Running on CPU/);
  assert.match(await text(page, '#device-note'), /failed its self-check, .*: training on the CPU instead/);
  console.log(`corrupted GPU: ${await text(page, '#device-note')}`);
  noErrors(log);
});

test('auto on a hardware adapter: WebGPU and the CPU timed at the run\'s batch size, the faster trains, remembered after a reload', { timeout: 1_200_000 }, async () => {
  // SwiftShader made to look like a hardware adapter (auto sends a software one straight to the CPU).
  const hardware = inWorkerFirst(`Object.defineProperty(GPUAdapter.prototype, 'info', { configurable: true,
  get() { return { vendor: 'test', architecture: 'hardware', device: '', description: '', isFallbackAdapter: false }; } });`);
  const { page, log } = await open(env.chrome, `${env.server.url}?pretrained=0`, hardware);
  await ready(page);
  assert.match(await text(page, '#device-info'), /^Running on WebGPU \(test · hardware\)/);
  await shortRun(page, { epochs: 1, images: 8, batch: 4 });
  await page.click('#start');
  await shows(page, 'device-note', '^WebGPU [\\d.]+ img/s · CPU [\\d.]+ img/s at batch 4 → (WebGPU|CPU)');
  const note = await text(page, '#device-note');
  console.log(`auto, measured: ${await text(page, '#device-info')} — ${note}`);
  const faster = note.match(/→ (WebGPU|CPU)/)[1];
  assert.match(await text(page, '#device-info'), new RegExp(`^Running on ${faster === 'CPU' ? 'CPU' : 'WebGPU'}`));
  await waitState(page, ['finished']);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('pad.measured-devices')));
  assert.equal(stored.length, 1);
  assert.equal(stored[0].adapter, 'test · hardware');
  assert.equal(stored[0].batch, 4);

  // A reload does not measure again: the remembered choice, said so.
  await page.reload();
  await ready(page);
  assert.match(await text(page, '#device-note'), /→ (WebGPU|CPU) \(measured before on this browser\)/);
  assert.match(await text(page, '#device-info'), new RegExp(`^Running on ${faster === 'CPU' ? 'CPU' : 'WebGPU'}`));
  noErrors(log);
});
