// Trunk post-build hook (Trunk.toml): puts the page's Content-Security-Policy into the built
// index.html, with the SHA-256 of each inline script trunk wrote (its wasm loader, whose text names
// the hashed file names of this build). Only the page's own origin may serve scripts, styles,
// images, workers and connections; 'wasm-unsafe-eval' lets the page compile its WebAssembly.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(process.env.TRUNK_STAGING_DIR ?? 'dist', 'index.html');
let html = readFileSync(file, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
    // Browsers hash the script's text with line breaks normalised to LF.
  .map((m) => `'sha256-${createHash('sha256').update(m[1].replace(/\r\n?/g, '\n'), 'utf8').digest('base64')}'`);
const policy = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`.trim(),
  "style-src 'self'",
  // Leptos sets a few style attributes (legend swatches); no style element from anywhere else.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, '');
html = html.replace(/(<meta charset="utf-8"\s*\/?>)/i, `$1\n  <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
if (!html.includes('Content-Security-Policy')) {
  console.error('csp.mjs: no <meta charset> in index.html to put the policy after');
  process.exit(1);
}
writeFileSync(file, html);
console.log(`csp.mjs: policy with ${hashes.length} inline script hash(es) written to ${file}`);
