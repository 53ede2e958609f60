import { takeColdStart } from '../lib/cold-start';
import { defaultModel } from '../lib/default-model';
import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';

/** GET /health: 200 with the loaded model, or 503 with the reason it is not loaded. */
export const handler = httpRoute(async () => {
  const coldStart = takeColdStart();
  const { name, version, sha256, loadedAt, loadMs } = (await defaultModel()).info;
  return jsonResponse(200, {
    status: 'ok',
    model: { name, version, sha256, loaded_at: loadedAt, load_ms: loadMs },
    cold_start: coldStart,
  });
});
