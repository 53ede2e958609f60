import { NotFound } from '../lib/errors';
import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { basePath } from '../lib/protocols/openapi/base-path';
import { DOCS_CSP, docsAsset, docsPage } from '../lib/protocols/openapi/docs-page';
import { openApiDocument } from '../lib/protocols/openapi/document';

/**
 * GET /openapi.json, GET /docs and GET /docs/{asset}: the API described, and
 * Swagger UI to try it. Public (README, "The API"): a browser sends no
 * x-api-key when it opens a page. A function of its own, so the scoring
 * functions never load the document's code or the page's files.
 */
export const handler = httpRoute(
  'docs',
  async (event) => {
    switch (event.resource) {
      case '/openapi.json':
        return jsonResponse(200, openApiDocument(basePath(event)));
      case '/docs':
        return docsPage(basePath(event));
      case '/docs/{asset}':
        return docsAsset(event.pathParameters?.asset);
      default:
        throw new NotFound(`no such docs route: ${event.resource}`);
    }
  },
  DOCS_CSP,
);
