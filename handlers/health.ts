import { isColdStart } from '../lib/cold-start';
import { preload } from '../lib/dataplane/preload';
import { health } from '../lib/dataplane/readiness';
import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { httpFunction } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { trafficView } from '../lib/rollout/route';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/**
 * GET /health: 200 with the default model's primary version (the one its
 * traffic split serves most) and its traffic file, once every version that
 * file serves is ready; 503 with the reason otherwise.
 */
export const handler = httpFunction('health', {
  health: async () => {
    const { answer: entry, model, facts } = await health(defaultModelName());
    const { name, version, kind, sha256, loadedAt, loadMs, goldenMs } = model.info;
    const body = {
      status: 'ok',
      model: { name, version, kind, sha256, loaded_at: loadedAt, load_ms: loadMs, golden_ms: goldenMs },
      traffic: trafficView(entry),
      cold_start: isColdStart(),
    };
    return { response: jsonResponse(200, body), facts };
  },
}).use(inSyncWithRepository());
