// Firefox and WebKit for the browser tests, behind the few page methods the harness's helpers use
// (evaluate, waitForFunction, fill, uncheck, click, locator(…).innerText, waitForTimeout), so that
// `ready`, `until`, `shortRun`, `phaseViewsDrawn`… run unchanged in every engine.
//
// - Firefox: Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi (headless).
// - WebKit: WebKitGTK's MiniBrowser, driven by WebKitWebDriver (W3C WebDriver) under Xvfb:
//   MiniBrowser has no headless mode, it takes `--automation`.
//
// Every action runs as a script in the page (a click is `element.click()`): these tests are about
// the engine running the page — WebAssembly, workers, canvases, IndexedDB, files —, while input
// events are covered in Chromium.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import puppeteer from 'puppeteer-core';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The page methods the helpers call, on top of one primitive: `run(source, arg)` evaluates the
 * function whose source is given with `arg` in the page and resolves to its (awaited) result. */
class ScriptedPage {
  evaluate(fn, arg = null) {
    return this.run(String(fn), arg);
  }

  async waitForFunction(fn, arg = null, { timeout = 30_000, polling = 100 } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      if (await this.evaluate(fn, arg)) return true;
      if (Date.now() > end) {
        const e = new Error(`waitForFunction: ${timeout} ms`);
        e.name = 'TimeoutError';
        throw e;
      }
      await sleep(polling);
    }
  }

  waitForTimeout(ms) {
    return sleep(ms);
  }

  /** An element by selector, or a clear failure. */
  async #on(selector, action, value = null) {
    const done = await this.evaluate(([selector, action, value]) => {
      const e = document.querySelector(selector);
      if (!e) return false;
      if (action === 'click') e.click();
      if (action === 'fill') {
        e.value = value;
        e.dispatchEvent(new Event('input', { bubbles: true }));
        e.dispatchEvent(new Event('change', { bubbles: true }));
      }
      if (action === 'uncheck' && e.checked) e.click();
      return true;
    }, [selector, action, value]);
    if (!done) throw new Error(`no element ${selector}`);
  }

  click(selector) {
    return this.#on(selector, 'click');
  }

  fill(selector, value) {
    return this.#on(selector, 'fill', String(value));
  }

  uncheck(selector) {
    return this.#on(selector, 'uncheck');
  }

  locator(selector) {
    return { innerText: () => this.evaluate((s) => document.querySelector(s)?.innerText ?? '', selector) };
  }
}

/** Firefox over WebDriver BiDi (puppeteer-core). `log` collects console errors and page errors. */
export async function firefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocol: 'webDriverBiDi',
  });
  const version = await browser.version();
  class FirefoxPage extends ScriptedPage {
    constructor(page) {
      super();
      this.page = page;
      this.log = [];
      page.on('console', (m) => { if (m.type() === 'error') this.log.push(m.text()); });
      page.on('pageerror', (e) => this.log.push(`pageerror: ${e.message}`));
    }

    run(source, arg) {
      return this.page.evaluate(`(${source})(${JSON.stringify(arg)})`);
    }

    goto(url) {
      return this.page.goto(url);
    }
  }
  return {
    name: 'Firefox',
    version,
    async open(url) {
      const page = new FirefoxPage(await browser.newPage());
      await page.goto(url);
      return page;
    },
    close: () => browser.close(),
  };
}

/** A free TCP port on the loopback interface. */
async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** A free X display number (no lock file). */
async function freeDisplay() {
  for (let n = 90; n < 200; n++) {
    try {
      await access(`/tmp/.X${n}-lock`);
    } catch {
      return n;
    }
  }
  throw new Error('no free X display');
}

/** WebKitGTK's MiniBrowser through WebKitWebDriver, in a virtual X server of its own. Page errors
 * are not reported over WebDriver classic: the tests read the page's own error lines instead. */
export async function webkit() {
  const display = `:${await freeDisplay()}`;
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1400x1100x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  };
  let session;
  for (let attempt = 0; ; attempt++) {
    try {
      session = await call('POST', '/session', {
        capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
      });
      break;
    } catch (e) {
      if (attempt > 50) throw new Error(`WebKitWebDriver did not start: ${e.message}`);
      await sleep(200);
    }
  }
  const id = session.sessionId;
  await call('POST', `/session/${id}/timeouts`, { script: 120_000 });
  class WebKitPage extends ScriptedPage {
    constructor() {
      super();
      this.log = [];
    }

    run(source, arg) {
      return call('POST', `/session/${id}/execute/sync`, { script: `return (${source})(arguments[0]);`, args: [arg] });
    }

    goto(url) {
      return call('POST', `/session/${id}/url`, { url });
    }
  }
  return {
    name: 'WebKit',
    version: `WebKitGTK ${session.capabilities.browserVersion}`,
    async open(url) {
      const page = new WebKitPage();
      await page.goto(url);
      return page;
    },
    async close() {
      await call('DELETE', `/session/${id}`).catch(() => {});
      driver.kill();
      xvfb.kill();
    },
  };
}
