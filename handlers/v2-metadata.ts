import { preload } from '../lib/dataplane/preload';
import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { httpFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import { modelMetadata, serverMetadata } from '../lib/protocols/open-inference/metadata';
import { modelReady, serverLive, serverReady } from '../lib/protocols/open-inference/readiness';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/**
 * The Open Inference Protocol's GET routes, one function: they share the
 * model cache and are small, so one warm container serves them all.
 */
export const handler = httpFunction('v2-metadata', {
  v2ServerMetadata: async () => serverMetadata(),
  v2ServerLive: async () => serverLive(),
  v2ServerReady: () => serverReady(),
  v2ModelMetadata: (event) => modelMetadata(pathParameter(event, 'name')),
  v2ModelVersionMetadata: (event) => modelMetadata(pathParameter(event, 'name'), pathParameter(event, 'version')),
  v2ModelReady: (event) => modelReady(pathParameter(event, 'name')),
  v2ModelVersionReady: (event) => modelReady(pathParameter(event, 'name'), pathParameter(event, 'version')),
}).use(inSyncWithRepository());
