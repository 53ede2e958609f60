import { ModelUnavailable } from '../../errors';
import { settings } from '../../settings';

/** DEFAULT_MODEL (serverless.yml) names the model behind POST /predict and GET /health. */
export function defaultModelName(): string {
  const name = settings.defaultModel();
  if (!name) throw new ModelUnavailable('model unavailable: DEFAULT_MODEL is not set');
  return name;
}
