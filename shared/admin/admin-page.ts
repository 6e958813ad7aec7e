import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpResponseInit } from '@azure/functions';
import { ADMIN_HEADERS } from './admin-http.ts';
import { pageCatalog } from './settings-catalog.ts';

/**
 * GET /api/admin: one HTML page with its CSS and script inlined, so it is one request and needs
 * no build step. It holds no data: the script asks for the key and calls the admin API. The
 * Content-Security-Policy allows exactly these inline blocks (by hash) and calls to this origin.
 */
let page: { html: string; csp: string } | null = null;

function build(): { html: string; csp: string } {
  const dir = new URL('./page/', import.meta.url);
  const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
  const css = read('admin.css');
  const js = read('admin.js');
  // A function replacer, so `$` sequences in the script are not read as patterns.
  const html = read('admin.html')
    .replace('/*STYLE*/', () => css)
    .replace('id="settings-catalog">{}<', () => `id="settings-catalog">${settingsCatalogJson()}<`)
    .replace('/*SCRIPT*/', () => js);
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(js)}`,
    `style-src ${hash(css)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/** The page's form, from the settings table, as JSON safe inside a script element. */
function settingsCatalogJson(): string {
  return JSON.stringify(pageCatalog()).replaceAll('<', '\\u003c');
}

export function adminPage(): HttpResponseInit {
  page ??= build();
  return {
    status: 200,
    body: page.html,
    headers: {
      ...ADMIN_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': page.csp,
    },
  };
}
