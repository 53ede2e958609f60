import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { httpFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import { modelDetail, modelList } from '../lib/protocols/rest/describe';
import { settings } from '../lib/settings';

/**
 * GET /models, GET /models/{name} and GET /models/{name}/versions/{version}:
 * read from the manifests only, so this function never loads onnxruntime and
 * its cold start stays small.
 */
export const handler = httpFunction('models', {
  listModels: async () => modelList(settings.defaultModel()),
  describeModel: async (event) => modelDetail(pathParameter(event, 'name')),
  describeModelVersion: async (event) => modelDetail(pathParameter(event, 'name'), pathParameter(event, 'version')),
}).use(inSyncWithRepository());
