import { takeColdStart } from '../lib/cold-start';
import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { preload, primaryModel } from '../lib/registry';
import { trafficView } from '../lib/rollout/route';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/**
 * GET /health: 200 with the default model's primary version (the one its
 * traffic split serves most) and its traffic file, once every version that
 * file serves is ready; 503 with the reason otherwise.
 */
export const handler = httpRoute('health', async () => {
  const coldStart = takeColdStart();
  const model = await primaryModel(defaultModelName());
  const { name, version, kind, sha256, loadedAt, loadMs, goldenMs } = model.info;
  return jsonResponse(200, {
    status: 'ok',
    model: { name, version, kind, sha256, loaded_at: loadedAt, load_ms: loadMs, golden_ms: goldenMs },
    traffic: trafficView(name),
    cold_start: coldStart,
  });
});
