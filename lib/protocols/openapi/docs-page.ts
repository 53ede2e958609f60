import type { APIGatewayProxyResult } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { NotFound } from '../../errors';
import type { ContentSecurityPolicy } from '../../http/api';
import { shorten } from '../../shorten';

/**
 * GET /docs: Swagger UI on /openapi.json, where a user enters the API key and
 * tries every route. Swagger UI comes from the npm package swagger-ui-dist,
 * shipped in the deployment (serverless.yml, package.patterns) and served by
 * this function from /docs/{asset}: the page loads nothing from elsewhere.
 */

/**
 * Swagger UI's start: a file, not an inline script, so the page's policy can
 * allow scripts from this origin only. It reads the document's address from
 * the page. validatorUrl null: no call to Swagger's online validator;
 * persistAuthorization false: the key is never written to the browser's storage.
 */
const START_SCRIPT = `'use strict';
(function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.getAttribute('data-openapi'),
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
`;

interface Asset {
  type: string;
  /** The file in an npm package, resolved at run time (in the zip: node_modules/…). */
  file?: string;
  text?: string;
}

const ASSETS: Record<string, Asset> = {
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-dist/swagger-ui-bundle.js' },
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui-dist/swagger-ui.css' },
  'start.js': { type: 'text/javascript; charset=utf-8', text: START_SCRIPT },
};

export const DOCS_ASSETS = Object.keys(ASSETS);

/**
 * The page's own Content-Security-Policy (the shared chain's `default-src
 * 'none'` renders it blank). Scripts and styles from this origin only, no
 * inline script, no eval; images from this origin and data: URIs (Swagger
 * UI's stylesheet draws its icons as data: SVGs); fetches to this origin
 * only (the document and the calls "Try it out" makes). Dropped from the
 * chain's default: `sandbox` (it stops every script), Trusted Types
 * (Swagger UI writes sanitised HTML with innerHTML), and
 * upgrade-insecure-requests (the local API is plain http on 127.0.0.1; the
 * deployed one is https only).
 */
export const DOCS_CSP: ContentSecurityPolicy = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
  sandbox: undefined,
  // Withdrawn from the specification; Chromium warns about it on every load.
  'navigate-to': undefined,
  // No reporting endpoint is configured (lib/http/api.ts), so nothing to report to.
  'report-to': undefined,
  'require-trusted-types-for': undefined,
  'trusted-types': undefined,
  'upgrade-insecure-requests': undefined,
};

const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page, its files and the document addressed under `base` (./base-path.ts). */
export function docsPage(base: string): APIGatewayProxyResult {
  const at = escapeAttribute(base);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ml-inference API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${at}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="${at}/openapi.json"></div>
<script src="${at}/docs/swagger-ui-bundle.js"></script>
<script src="${at}/docs/start.js"></script>
</body>
</html>
`;
  return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }, body: html };
}

const loaded = new Map<string, string>();

/** A file of the page, read once per container. */
export function docsAsset(name: string | undefined): APIGatewayProxyResult {
  const asset = name !== undefined && Object.hasOwn(ASSETS, name) ? ASSETS[name]! : undefined;
  if (!asset) throw new NotFound(`no docs file "${shorten(name ?? '')}"; the page's files are ${DOCS_ASSETS.join(', ')}`);
  let body = loaded.get(name!);
  if (body === undefined) {
    body = asset.text ?? readFileSync(require.resolve(asset.file!), 'utf8');
    loaded.set(name!, body);
  }
  // An hour: a deployment that upgrades Swagger UI reaches browsers within one.
  return { statusCode: 200, headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' }, body };
}
