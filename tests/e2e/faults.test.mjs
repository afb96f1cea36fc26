// Faults injected into the running page (CPU backend): NaN losses from an extreme learning rate,
// IndexedDB unavailable or full, the tab hidden and shown again, and a reload during training.
// Each time: a clear message, training stops or goes on, the last autosave is offered, at most
// one epoch is lost, and the page stays usable. The WebGPU device lost is in webgpu.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosavedAfter, drawn, noErrors, open, progressDone, ready, setField, shortRun, shows, text, until, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();


test('NaN losses from an extreme learning rate: the run stops with a message, the autosave stays', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`);
  await ready(page);
  await shortRun(page, { epochs: 1, images: 16 });
  await page.click('#start');
  await waitState(page, ['finished']);
  await autosavedAfter(page, 1);
  await page.click('#reset');
  await shortRun(page, { epochs: 1, images: 16, lr: '1000' });
  await page.click('#start');
  await shows(page, 'run-error', 'diverged');
  assert.match(await text(page, '#run-error'), /training diverged at epoch 1, iteration 1: a loss is NaN or infinite/);
  assert.equal(await page.evaluate(() => document.getElementById('app').dataset.state), 'idle');
  assert.equal(await page.isDisabled('#resume-autosave'), false, 'the last autosave is offered');
  assert.match(await text(page, '#resume-autosave'), /epoch 1/);
  // Still usable: a sane learning rate trains.
  await setField(page, 'lr', '2e-4');
  await page.click('#start');
  await waitState(page, ['finished']);
  noErrors(log);
});

for (const [name, script, message] of [
  ['unavailable', () => {
    Object.defineProperty(window, 'indexedDB', { get() { throw new DOMException('IndexedDB is disabled here', 'SecurityError'); } });
  }, /^autosave.*: IndexedDB is not available \(.+\)/],
  ['full', () => {
    IDBObjectStore.prototype.put = function () { throw new DOMException('the quota has been exceeded', 'QuotaExceededError'); };
  }, /autosave: cannot write the autosave .*quota.*; training goes on/],
]) {
  test(`IndexedDB ${name}: a message, training goes on, the autosave is still offered in this page`, { timeout: 1_200_000 }, async () => {
    const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`, (p) => p.addInitScript(script));
    await ready(page);
    await shortRun(page, { epochs: 2, images: 16 });
    await page.click('#start');
    await waitState(page, ['finished']);
    // The worker writes the autosave's file, then the page records it in IndexedDB, which fails.
    await shows(page, 'model-error', message.source);
    assert.match(await text(page, '#epoch-label'), /epoch 2 \/ 2/);
    await page.click('#reset');
    await waitState(page, ['idle']);
    assert.match(await text(page, '#resume-autosave'), /epoch 2/);
    assert.equal(await page.isDisabled('#resume-autosave'), false);
    noErrors(log);
  });
}

test('the tab hidden and frozen, then shown again: training goes on, the page catches up', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`);
  await ready(page);
  await shortRun(page, { epochs: 3, images: 64 });
  await page.click('#start');
  await waitState(page, ['running']);
  // Hidden (the visibilitychange a background tab gets), then frozen as browsers freeze background
  // tabs (timers and tasks stop), for three seconds.
  const visibility = (hidden) => page.evaluate((hidden) => {
    if (hidden) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete document.visibilityState;
      delete document.hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await visibility(true);
  const hiddenAt = await progressDone(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  await new Promise((ok) => setTimeout(ok, 3000));
  await cdp.send('Page.setWebLifecycleState', { state: 'active' });
  await visibility(false);
  await waitState(page, ['finished']);
  assert.ok((await progressDone(page)) > hiddenAt, 'iterations after the thaw');
  assert.match(await text(page, '#epoch-label'), /epoch 3 \/ 3/);
  assert.equal((await drawn(page, 'reconstruction')).opaque, 1);
  assert.equal(await text(page, '#run-error'), '');
  noErrors(log);
});

test('a reload during training offers the last autosave: at most one epoch lost', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0`);
  await ready(page);
  await shortRun(page, { epochs: 4, images: 64 });
  await page.click('#start');
  await autosavedAfter(page, 1);
  await shows(page, 'epoch-label', 'epoch 2 /');
  const saved = Number((await text(page, '#autosave-status')).match(/after epoch (\d+)/)[1]);
  await page.reload();
  await ready(page);
  await shows(page, 'resume-autosave', 'Resume autosave \\(epoch \\d+\\)');
  const offered = Number((await text(page, '#resume-autosave')).match(/epoch (\d+)/)[1]);
  assert.ok(offered >= saved, `offered epoch ${offered}, saved before the reload ${saved}`);
  await setField(page, 'epochs', 1);
  await page.click('#resume-autosave');
  await waitState(page, ['paused']);
  await page.click('#resume');
  await waitState(page, ['finished']);
  assert.match(await text(page, '#epoch-label'), new RegExp(`epoch ${offered + 1} / ${offered + 1}`));
  noErrors(log);
});
