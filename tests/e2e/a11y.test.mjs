// The page for everyone and on every screen, in headless Chromium on the CPU backend: axe-core (WCAG rules) finds no
// serious or critical violation on the page idle, training and embedded; every control is reached and
// operated by keyboard with a visible focus; every canvas has a text alternative; state changes are
// announced through a live region; a phone (375×812, touch) and the 640×480 embed never scroll sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { OUT, VIEWPORT, noErrors, open, ready, shortRun, text, useBrowser, waitState } from './harness.mjs';

const env = useBrowser();

/** axe-core's serious and critical violations, one line each (axe wants a page of its own context). */
async function serious(page) {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('axe-core: no serious or critical violation idle, training and embedded', { timeout: 1_200_000 }, async () => {
  const ctx = await env.chrome.newContext({ viewport: VIEWPORT });
  const { page, log } = await open(ctx, `${env.server.url}?device=cpu&pretrained=0`);
  await ready(page);
  assert.deepEqual(await serious(page), [], 'idle');
  await shortRun(page, { epochs: 3, images: 64 });
  await page.click('#start');
  await waitState(page, ['running']);
  assert.deepEqual(await serious(page), [], 'training');
  // Every canvas says what it shows; the run's state is a live region.
  const canvases = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => [c.id, c.getAttribute('role'), c.getAttribute('aria-label')]));
  for (const [id, role, label] of canvases) {
    assert.ok(role === 'img' && label?.length > 10, `canvas #${id}: role ${role}, label ${label}`);
  }
  await waitState(page, ['finished']);
  assert.match(await page.getAttribute('#losses', 'aria-label'), /^Losses per iteration, log scale; at iteration \d+: L_img \d/);
  assert.equal(await page.getAttribute('#state', 'aria-live'), 'polite');
  noErrors(log);
  await ctx.close();

  const small = await env.chrome.newContext({ viewport: { width: 640, height: 480 } });
  const embed = await open(small, `${env.server.url}?embed=1&view=dreams&device=cpu&pretrained=0`);
  await ready(embed.page);
  assert.deepEqual(await serious(embed.page), [], 'embedded');
  noErrors(embed.log);
  await small.close();
});

test('every control by keyboard, with a visible focus: Tab reaches them, Enter starts a run', { timeout: 1_200_000 }, async () => {
  const { page, log } = await open(env.chrome, `${env.server.url}?device=cpu&pretrained=0&epochs=1&images=64&batch=8&probe=0`);
  await ready(page);
  const reached = new Set();
  let start = null;
  for (let i = 0; i < 80 && !start; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      // A file input is invisible: its label shows the focus.
      const style = getComputedStyle(e.type === 'file' ? e.closest('label') : e);
      return { id: e.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    reached.add(focused.id);
    assert.ok(focused.outline !== 'none' && focused.width >= 2, `#${focused.id} shows its focus (${focused.outline} ${focused.width}px)`);
    if (focused.id === 'start') start = focused;
  }
  for (const id of ['dataset', 'files', 'variant', 'epochs', 'batch', 'lr', 'seed', 'images', 'probe', 'start']) {
    assert.ok(reached.has(id), `Tab reaches #${id} (reached: ${[...reached].join(' ')})`);
  }
  await page.keyboard.press('Enter');
  await waitState(page, ['running', 'finished']);
  await waitState(page, ['finished']);
  assert.match(await text(page, '#state'), /finished/);
  noErrors(log);
});

/** Elements that stick out of a `width`-pixel viewport, and the page's scroll width. */
const overflow = (page, width) => page.evaluate((w) => ({
  scroll: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5).map((e) => `${e.tagName}#${e.id}.${e.className}`),
}), width);

test('every screen: a phone (375×812, touch) and the 640×480 embed never scroll sideways; touch trains', { timeout: 1_200_000 }, async () => {
  const phone = await env.chrome.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const { page, log } = await open(phone, `${env.server.url}?device=cpu&pretrained=0&epochs=1&images=64&batch=8&probe=0`);
  await ready(page);
  assert.deepEqual(await overflow(page, 375), { scroll: 375, wide: [] });
  // Controls big enough for a finger (WCAG 2.5.8: at least 24 px; here 40 where the pointer is coarse).
  const small = await page.evaluate(() => [...document.querySelectorAll('button, select, input[type=text]')]
    .filter((e) => e.offsetParent && e.getBoundingClientRect().height < 40).map((e) => e.id));
  assert.deepEqual(small, [], 'touch targets');
  // The four phase views reflow: two a row.
  const rows = await page.evaluate(() => new Set(['input', 'reconstruction', 'nrem', 'rem'].map((id) => Math.round(document.getElementById(id).getBoundingClientRect().top))).size);
  assert.equal(rows, 2, 'two rows of two phase views');
  await page.tap('#start');
  await waitState(page, ['finished']);
  assert.deepEqual(await overflow(page, 375), { scroll: 375, wide: [] }, 'after training (plots drawn)');
  await page.screenshot({ path: `${OUT}/phone.png`, fullPage: true });
  noErrors(log);
  await phone.close();

  const frame = await env.chrome.newContext({ viewport: { width: 640, height: 480 } });
  const embed = await open(frame, `${env.server.url}?embed=1&view=dreams&device=cpu&pretrained=0`);
  await ready(embed.page);
  assert.deepEqual(await overflow(embed.page, 640), { scroll: 640, wide: [] });
  noErrors(embed.log);
  await frame.close();
});
