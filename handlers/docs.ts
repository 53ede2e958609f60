import { syncRepository } from '../lib/dataplane/repository-sync';
import { httpFunction } from '../lib/http/api';
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
export const handler = httpFunction(
  'docs',
  {
    openApiDocument: async (event) => {
      // The document lists the served models: with a model store, as last listed.
      await syncRepository();
      return { response: jsonResponse(200, openApiDocument(basePath(event))) };
    },
    docsPage: async (event) => ({ response: docsPage(basePath(event)) }),
    docsAsset: async (event) => ({ response: docsAsset(event.pathParameters?.asset) }),
  },
  DOCS_CSP,
);
