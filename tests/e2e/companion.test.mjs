// The page as a paper companion, in headless Chromium on the CPU backend (fast): embed and share URL
// parameters (valid and invalid), the share link round trip, save → reload → load giving identical
// reconstructions and continuing training, resuming the IndexedDB autosave after a reload, a corrupt
// checkpoint refused, the dream explorer's sliders changing the dream, and the pretrained MNIST
// snapshot shown at once. Screenshots of embed mode, the explorer and the snapshot go to out/e2e/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT, browser, drawn, noErrors, open, ready, serve, setField, shortRun, text, waitState, until } from './harness.mjs';

let server, chrome;
before(async () => {
  await mkdir(OUT, { recursive: true });
  server = await serve();
  chrome = await browser();
});
after(async () => {
  await chrome?.close();
  await server?.close();
});


/** A canvas's pixels, to compare pictures exactly. */
const pixels = (page, id) => page.evaluate((id) => {
  const c = document.getElementById(id);
  return c.width && c.height ? Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') : '';
}, id);


test('embed mode from URL parameters, with invalid ones noted', { timeout: 1_200_000 }, async () => {
  const q = 'embed=1&dataset=fashion&variant=no-rem&view=dreams&autostart=1&epochs=1&batch=8&images=16&probe=0&device=cpu';
  const { page, log } = await open(chrome, `${server.url}?${q}`);
  await page.setViewportSize({ width: 640, height: 480 });
  await until(page, () => /Fashion/.test(document.getElementById('data-summary')?.textContent), null);
  assert.equal(await page.evaluate(() => document.getElementById('app').className), 'embed');
  assert.equal(await page.evaluate(() => document.getElementById('app').dataset.view), 'dreams');
  assert.equal(await page.evaluate(() => document.getElementById('variant').value), 'no-rem');
  assert.equal(await text(page, '#url-note'), '');
  // autostart: it trains by itself, to the end of its one epoch.
  await waitState(page, ['finished']);
  for (const id of ['input', 'reconstruction', 'nrem', 'rem']) {
    assert.equal((await drawn(page, id)).opaque, 1, `${id} drawn`);
    const box = await page.locator(`#${id}`).boundingBox();
    assert.ok(box.x + box.width <= 640 && box.y + box.height <= 480, `${id} fits the 640×480 frame: ${JSON.stringify(box)}`);
  }
  assert.equal(await page.locator('#losses').count(), 0, 'view=dreams leaves the plots out');
  assert.equal(await page.locator('#explorer').count(), 0, 'embed mode leaves the explorer out');
  await page.screenshot({ path: join(OUT, 'embed.png') });
  noErrors(log);

  const bad = await open(chrome, `${server.url}?embed=maybe&view=nope&lr=abc&dataset=imagenet&device=cpu`);
  await ready(bad.page);
  const note = await text(bad.page, '#url-note');
  for (const m of ["embed 'maybe' is not 1 or 0", "view 'nope' is not all, dreams or plots", "dataset 'imagenet' is not a bundled dataset", "lr 'abc': learning rate must be"]) {
    assert.ok(note.includes(m), `${m} in: ${note}`);
  }
  assert.equal(await bad.page.evaluate(() => document.getElementById('lr').value), '0.0002', 'the default learning rate');
  assert.equal(await bad.page.evaluate(() => document.getElementById('app').className), '', 'not embedded');
  noErrors(bad.log);
});

test('the pretrained snapshot: dreams at once, explorer and evaluation on it, Start trains afresh', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=cpu`);
  await ready(page);
  await until(page, () => document.getElementById('app').dataset.pretrainedMs, null);
  const ms = Number(await page.evaluate(() => document.getElementById('app').dataset.pretrainedMs));
  console.log(`pretrained pictures ${ms} ms after navigation (CPU backend, headless Chromium)`);
  assert.match(await text(page, '#pretrained-note'), /^Pretrained snapshot: PAD after 10 epochs on MNIST/);
  assert.equal(await page.evaluate(() => document.getElementById('app').dataset.state), 'idle');
  for (const id of ['input', 'reconstruction', 'nrem', 'rem']) {
    assert.equal(await page.evaluate((id) => document.getElementById(id).height, id), 8 * 32, `${id}: 64 pictures`);
    assert.equal((await drawn(page, id)).opaque, 1, `${id} drawn`);
  }
  // The explorer and the evaluation use the snapshot while nothing runs.
  await until(page, () => document.getElementById('dream').width === 32, null);
  assert.equal((await drawn(page, 'dream')).opaque, 1);
  assert.equal(await page.isDisabled('#evaluate'), false);
  await page.locator('.phases').screenshot({ path: join(OUT, 'pretrained.png') });
  // Start trains a model of its own, from scratch.
  await shortRun(page, { epochs: 1, images: 16 });
  await page.click('#start');
  await waitState(page, ['finished']);
  assert.match(await text(page, '#epoch-label'), /epoch 1 \/ 1/);
  assert.equal(await page.isHidden('#pretrained-note'), true, 'the note goes once a run starts');
  noErrors(log);

  // `pretrained=0` leaves it out.
  const plain = await open(chrome, `${server.url}?device=cpu&pretrained=0`);
  await ready(plain.page);
  await plain.page.waitForTimeout(1000);
  assert.equal(await plain.page.evaluate(() => document.getElementById('app').dataset.pretrainedMs), undefined);
  assert.equal(await plain.page.evaluate(() => document.getElementById('reconstruction').height), 32, 'no pictures before a run');
  noErrors(plain.log);
});

test('a share link reproduces the settings; the embed code is an iframe', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=cpu`);
  await ready(page);
  await page.selectOption('#variant', 'wake-only');
  await setField(page, 'epochs', 3);
  await setField(page, 'batch', 16);
  await page.click('#share-link');
  const link = await page.inputValue('#share-text');
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/\?variant=wake-only&epochs=3&batch=16&device=cpu$/);
  await page.click('#embed-code');
  const code = await page.inputValue('#share-text');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?variant=wake-only&amp;epochs=3&amp;batch=16&amp;device=cpu&amp;view=dreams&amp;embed=1&amp;autostart=1" width="640" height="480"/);
  const shared = await open(chrome, link);
  await ready(shared.page);
  assert.deepEqual(
    await shared.page.evaluate(() => ['variant', 'epochs', 'batch', 'lr'].map((id) => document.getElementById(id).value)),
    ['wake-only', '3', '16', '0.0002'],
  );
  assert.equal(await text(shared.page, '#url-note'), '');
  noErrors(log);
  noErrors(shared.log);
});

test('save, reload, load: identical reconstructions, training continues; corrupt files refused; dream explorer', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=cpu`);
  await ready(page);
  await shortRun(page, { epochs: 1, images: 64 });
  await page.click('#start');
  await waitState(page, ['finished']);
  // The finished model on the first 64 training images.
  await until(page, () => document.getElementById('reconstruction').height === 8 * 32, null);
  const before = await pixels(page, 'reconstruction');

  // The dream explorer follows its sliders.
  await until(page, () => document.getElementById('dream').width === 32, null);
  const dream = await pixels(page, 'dream');
  assert.equal((await drawn(page, 'dream-seen')).opaque, 1);
  await page.$eval('#dream-mix', (el) => { el.value = '1'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await until(page, (d) => Array.from(document.getElementById('dream').getContext('2d').getImageData(0, 0, 32, 32).data).join(',') !== d, dream);
  assert.match(await text(page, '#explorer'), /memory mix λ = 1\.00/);
  await page.locator('#explorer').screenshot({ path: join(OUT, 'explorer.png') });

  // The evaluation views: occlusion robustness and the latent map, with the ratios.
  await page.click('#evaluate');
  await until(page, () => /intra\/inter \d/.test(document.getElementById('latent-ratios').textContent), null);
  assert.match(await text(page, '#latent-ratios'), /^PAD after 1 epoch: intra\/inter [\d.]+ · clean-occluded\/inter [\d.]+/);
  assert.ok((await drawn(page, 'occlusion')).colours > 10 && (await drawn(page, 'latent-map')).colours > 10, 'both evaluation plots drawn');
  await page.locator('#evaluation').screenshot({ path: join(OUT, 'evaluation.png') });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.match(download.suggestedFilename(), /^pad-pad-mnist.*-epoch1\.padckpt$/);
  const file = join(OUT, 'saved.padckpt');
  await download.saveAs(file);
  noErrors(log);

  await page.reload();
  await ready(page);
  // Corrupt or foreign files are refused; nothing changes.
  await page.setInputFiles('#load-model', { name: 'broken.padckpt', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint') });
  await until(page, () => document.getElementById('model-error').textContent.length > 0, null);
  assert.match(await text(page, '#model-error'), /broken\.padckpt: not a PAD checkpoint/);
  assert.equal(await page.evaluate(() => document.getElementById('app').dataset.state), 'idle');

  await setField(page, 'epochs', 1);
  await setField(page, 'images', 64);
  await page.setInputFiles('#load-model', file);
  await waitState(page, ['paused']);
  assert.equal(await text(page, '#model-error'), '');
  assert.match(await text(page, '#notice'), /Loaded a PAD model trained 1 epoch on MNIST/);
  await until(page, () => document.getElementById('reconstruction').height === 8 * 32, null);
  assert.equal(await pixels(page, 'reconstruction'), before, 'identical reconstructions after save → reload → load');
  assert.equal(await page.evaluate(() => document.getElementById('batch').value), '8', 'the model brings its settings');
  // Training continues from epoch 2.
  await page.click('#resume');
  await waitState(page, ['finished']);
  assert.match(await text(page, '#epoch-label'), /epoch 2 \/ 2/);
  await until(page, () => /after epoch 2/.test(document.getElementById('autosave-status').textContent), null);
  noErrors(log);

  // Reload: the autosave after epoch 2 (IndexedDB) is offered and resumes the run.
  await page.reload();
  await ready(page);
  await until(page, () => /epoch 2/.test(document.getElementById('resume-autosave').textContent), null);
  assert.match(await text(page, '#notice'), /autosaved after epoch 2/);
  await setField(page, 'epochs', 1);
  await setField(page, 'images', 64);
  await page.click('#resume-autosave');
  await waitState(page, ['paused']);
  assert.match(await text(page, '#notice'), /Loaded a PAD model trained 2 epochs/);
  assert.equal(await page.evaluate(() => document.getElementById('epochs').value), '3');
  noErrors(log);
});

/** Make the page look hidden (the `visibilitychange` of a background tab) or visible again. */
const visibility = (page, hidden) => page.evaluate((hidden) => {
  if (hidden) {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
  } else {
    delete document.hidden;
  }
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

test('polite in a tutorial: out of sight it pauses and comes back; ?autopause=0 trains on; an embed posts its height', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(chrome, `${server.url}?device=cpu&pretrained=0`);
  await ready(page);
  await shortRun(page, { epochs: 20, images: 64 });
  await page.click('#start');
  await waitState(page, ['running']);
  await visibility(page, true);
  await waitState(page, ['paused']);
  assert.match(await text(page, '#notice'), /Paused while the page is out of sight/);
  await visibility(page, false);
  await waitState(page, ['running']);
  assert.match(await text(page, '#notice'), /Resumed: the page is in sight again/);
  // Scrolled out of view counts too (an embed in a long article): the page's body leaves the viewport.
  await page.evaluate(() => { document.body.style.marginTop = '5000px'; });
  await waitState(page, ['paused']);
  await page.evaluate(() => { document.body.style.marginTop = ''; });
  await waitState(page, ['running']);
  noErrors(log);

  const off = await open(chrome, `${server.url}?device=cpu&pretrained=0&autopause=0`);
  await ready(off.page);
  await shortRun(off.page, { epochs: 20, images: 64 });
  await off.page.click('#start');
  await waitState(off.page, ['running']);
  await visibility(off.page, true);
  const before = Number(await off.page.evaluate(() => document.getElementById('app').dataset.heard));
  await until(off.page, (n) => Number(document.getElementById('app').dataset.heard) > n + 10, before, { what: 'training while hidden' });
  assert.equal(await off.page.evaluate(() => document.getElementById('app').dataset.state), 'running');
  noErrors(off.log);

  // The embed code, in a page of its own: the frame takes the height the page posts.
  await off.page.click('#embed-code');
  const code = await off.page.locator('#share-text').inputValue();
  assert.match(code, /^<iframe [^\n]*<\/iframe>\n<script>.*pad-height.*<\/script>$/s);
  const host = await chrome.newPage();
  const listen = '<script>window.__posted = []; addEventListener("message", (e) => window.__posted.push(e.data));</script>';
  await host.setContent(`${listen}<p>An article.</p>${code.replace('autostart=1', 'autostart=0')}`);
  await host.waitForFunction(() => window.__posted.some((d) => d?.type === 'pad-height'), null, { timeout: 120_000 });
  const { posted, frame } = await host.evaluate(() => ({
    posted: window.__posted.filter((d) => d?.type === 'pad-height').at(-1).height,
    frame: Number(document.querySelector('iframe').height),
  }));
  assert.ok(posted > 100, `the page posts its content height: ${posted}`);
  assert.equal(frame, Math.min(4000, Math.ceil(posted)), 'the embed code sizes the frame to it');
  await host.close();
});
