// The README's screenshot: a short run on bundled MNIST on the CPU backend (fast in headless
// Chromium), batch 64, three epochs of 1,024 images, probes on.
//   trunk build --release && node scripts/screenshot.mjs [out.png]
import { browser, open, serve, setField } from '../tests/e2e/harness.mjs';

const out = process.argv[2] ?? new URL('../docs/screenshot.png', import.meta.url).pathname;
const server = await serve();
const chrome = await browser();
const { page } = await open(chrome, `${server.url}?device=cpu`);
await page.waitForFunction(() => /Running on/.test(document.getElementById('device-info')?.innerText)
  && /MNIST/.test(document.getElementById('data-summary')?.innerText), null, { timeout: 120_000 });
await setField(page, 'epochs', 3);
await setField(page, 'images', 1024);
await page.click('#start');
await page.waitForFunction(() => document.getElementById('app').dataset.state === 'finished', null, { timeout: 1_800_000, polling: 500 });
await page.waitForTimeout(1000);
await page.screenshot({ path: out, fullPage: true });
console.log(`wrote ${out}`);
await chrome.close();
await server.close();
