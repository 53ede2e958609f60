import { takeColdStart } from '../lib/cold-start';
import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { getModel, preload } from '../lib/registry';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/** GET /health: 200 with the loaded default model, or 503 with the reason it is not ready. */
export const handler = httpRoute('health', async () => {
  const coldStart = takeColdStart();
  const { name, version, kind, sha256, loadedAt, loadMs, goldenMs } = (await getModel(defaultModelName())).info;
  return jsonResponse(200, {
    status: 'ok',
    model: { name, version, kind, sha256, loaded_at: loadedAt, load_ms: loadMs, golden_ms: goldenMs },
    cold_start: coldStart,
  });
});
