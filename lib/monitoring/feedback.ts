import { isPlainObject } from '../plain-object';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from '../errors';
import { pointer } from '../json-pointer';
import { shorten } from '../shorten';
import type { FeedbackLine } from '../capture/capture-line';
import type { Outcome } from '../capture/spec';

/**
 * POST /models/{name}/feedback (README, "Monitoring"): what actually
 * happened for captured inferences, one item or a batch, each checked
 * against what the model predicts (its kind's outcome). The items become
 * feedback lines, recorded by the same path as captures; the monitor joins
 * them to the inferences by id and API key.
 *
 *   {"inference_id": "abc", "actual": true}
 *   {"feedback": [{"inference_id": "abc/0", "actual": "praise"}, …]}
 */

/** An inference id as answers carry it (X-Inference-Id), and `/<i>` for record i of a batch. */
const FEEDBACK_ID = /^[A-Za-z0-9._:-]{1,128}(\/[0-9]{1,6})?$/;

export interface FeedbackItem {
  inference_id: string;
  actual: FeedbackLine['actual'];
}

/** What `actual` must be for the outcome, as a problem's wording; null when the value is one. */
function actualProblem(outcome: Outcome, actual: unknown): string | null {
  switch (outcome.type) {
    case 'binary':
      return typeof actual === 'boolean' ? null : 'must be true or false';
    case 'label':
      return (typeof actual === 'string' || typeof actual === 'number') && outcome.labels.includes(String(actual))
        ? null
        : `must be one of the model's labels: ${shorten(outcome.labels.map((l) => JSON.stringify(l)).join(', '), 200)}`;
    case 'value':
      return typeof actual === 'number' && Number.isFinite(actual) ? null : 'must be a number';
  }
}

/**
 * The body's items, or ValidationFailed naming every bad field (at most 20).
 * The body's shape and size come first (413 over MAX_BATCH, whatever the
 * model); then a model that states no outcome refuses any item (`noOutcome`).
 */
export function feedbackItems(body: unknown, outcome: Outcome | undefined, maxItems: number, noOutcome: () => never): FeedbackItem[] {
  if (!isPlainObject(body)) throw new ValidationFailed('feedback must be a JSON object: {"inference_id": …, "actual": …} or {"feedback": [...]}', [{ path: '', problem: 'must be an object' }]);
  const batch = Object.hasOwn(body, 'feedback');
  const items: unknown[] = batch ? (Array.isArray(body.feedback) ? body.feedback : []) : [body];
  if (batch && items.length === 0) throw new ValidationFailed('"feedback" must be a non-empty array', [{ path: '/feedback', problem: 'must be a non-empty array' }]);
  if (items.length > maxItems) throw new PayloadTooLarge(`"feedback" holds ${items.length} items; at most ${maxItems} are accepted per request (MAX_BATCH)`);
  if (outcome === undefined) noOutcome();
  const problems: ErrorDetail[] = [];
  items.forEach((item, i) => {
    const at = (field?: string) => (batch ? pointer('feedback', i, ...(field ? [field] : [])) : field ? pointer(field) : '');
    if (!isPlainObject(item)) {
      problems.push({ path: at(), problem: 'must be an object with inference_id and actual' });
      return;
    }
    if (typeof item.inference_id !== 'string' || !FEEDBACK_ID.test(item.inference_id)) {
      problems.push({ path: at('inference_id'), problem: Object.hasOwn(item, 'inference_id') ? 'must be an inference id as X-Inference-Id answered it, with /<i> for record i of a batch' : 'is required' });
    }
    if (!Object.hasOwn(item, 'actual')) problems.push({ path: at('actual'), problem: 'is required' });
    else {
      const problem = actualProblem(outcome, item.actual);
      if (problem) problems.push({ path: at('actual'), problem });
    }
    for (const key of Object.keys(item)) if (key !== 'inference_id' && key !== 'actual') problems.push({ path: at(key), problem: 'is not a feedback field' });
  });
  if (problems.length > 0) {
    throw new ValidationFailed(`feedback refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}, the first at ${problems[0]!.path || '/'}: ${problems[0]!.problem}`, problems.slice(0, 20));
  }
  return items as FeedbackItem[];
}
