// The page in Chromium, Firefox and WebKit alike: ready with the bundled data, the device line
// (no WebGPU in these engines here → the CPU, with the page's reason), a short run that paints all
// four views, then the model saved (the page's download, caught in the page) and loaded back.
// Prints, per engine, the figures BENCHMARKS.md tabulates (out/e2e/engines.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT, browser, open, phaseViewsDrawn, ready, serve, shortRun, text, until, waitState } from './harness.mjs';
import { firefox, webkit } from './engines.mjs';

const IMAGES = Number(process.env.PAD_ENGINES_IMAGES ?? 16);
let server;
const figures = {};
before(async () => {
  await mkdir(OUT, { recursive: true });
  server = await serve();
});
after(async () => {
  await server?.close();
  await writeFile(join(OUT, 'engines.json'), JSON.stringify(figures, null, 2));
});

/** The page's error lines, all empty. */
async function noPageErrors(page) {
  const lines = await page.evaluate(() => ['run-error', 'data-error', 'model-error', 'settings-error']
    .map((id) => [id, document.getElementById(id)?.textContent ?? '']).filter(([, t]) => t.length > 0));
  assert.deepEqual(lines, [], 'no error on the page');
}

async function scenario(launch) {
  const engine = await launch();
  try {
    const started = Date.now();
    const page = await engine.open(`${server.url}?pretrained=0`);
    await ready(page);
    const readyS = (Date.now() - started) / 1000;
    const device = await text(page, '#device-info');
    const note = await text(page, '#device-note');
    assert.match(device, /^Running on (CPU|WebGPU)/);
    if (/CPU/.test(device)) assert.match(note, /training on the CPU/, 'the page says why it is the CPU');

    // One epoch of two iterations of 8 images, probes off (PAD_ENGINES_IMAGES=160 for the
    // benchmark table: a rate over 20 iterations).
    await shortRun(page, { epochs: 1, images: IMAGES, batch: 8 });
    await page.click('#start');
    await waitState(page, ['finished']);
    await phaseViewsDrawn(page, 8);
    const stats = await text(page, '#stats');
    const rate = Number(stats.match(/([\d.]+) images\/s/)?.[1]);
    const firstPicturesS = Number(await page.evaluate(() => document.getElementById('app').dataset.firstPicturesMs)) / 1000;

    // Save: the download's bytes are caught in the page, as the Blob it makes for the link
    // (engines differ in what automation does with downloads; web-sys calls the link's click
    // through the prototype it saw at start-up, so the Blob is where to look), then loaded back as
    // a picked file.
    await page.evaluate(() => {
      window.__saved = null;
      const Blob = window.Blob;
      window.Blob = class extends Blob {
        constructor(parts, options) {
          super(parts, options);
          if (options?.type === 'application/octet-stream') window.__saved = this;
        }
      };
    });
    await page.click('#save');
    await until(page, () => window.__saved !== null, null, { what: 'the saved model' });
    const bytes = await page.evaluate(() => window.__saved.size);
    assert.ok(bytes > 1_000_000, `a whole checkpoint (${bytes} bytes)`);
    await page.evaluate(() => {
      const files = new DataTransfer();
      files.items.add(new File([window.__saved], 'saved.padckpt'));
      const input = document.getElementById('load-model');
      input.files = files.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitState(page, ['paused']);
    assert.match(await text(page, '#notice'), /Loaded a PAD model trained 1 epoch on MNIST/);
    await noPageErrors(page);
    assert.deepEqual(page.log.filter((l) => !/favicon/.test(l)), [], 'no console errors');

    figures[engine.name] = {
      version: engine.version, device, why: note, ready_s: readyS, first_pictures_s: firstPicturesS, images_per_s: rate, checkpoint_bytes: bytes,
    };
    console.log(`${engine.name} (${engine.version}): ${device} — ${note}; ready ${readyS.toFixed(1)} s, first trained pictures ${firstPicturesS.toFixed(1)} s after navigation, ${rate} images/s (batch 8)`);
  } finally {
    await engine.close();
  }
}

/** Chromium (playwright-core), for the same figures: the other browser tests cover it in depth. */
async function chromium() {
  const chrome = await browser();
  return {
    name: 'Chromium',
    version: `Chromium ${chrome.version()}`,
    async open(url) {
      const { page, log } = await open(chrome, url);
      page.log = log;
      return page;
    },
    close: () => chrome.close(),
  };
}

test('Chromium: the same short run, for the table', { timeout: 600_000 }, () => scenario(chromium));

test('Firefox: ready, the device line, a short run painting all four views, save and load', { timeout: 600_000 }, () => scenario(firefox));

test('WebKit: ready, the device line, a short run painting all four views, save and load', { timeout: 600_000 }, () => scenario(webkit));
