import { ModelLoadError } from '../errors';
import type { CompanionFiles } from '../manifest/base';
import { BASELINE_FILE, parseBaseline, vocabulariesOf, type Baseline } from './baseline';
import type { ObservationContext } from '../capture/observation';
import type { MonitoringSpec } from '../capture/spec';

/** What a loaded model version holds for monitoring: how its records are observed, and its baseline if it has one. */
export interface ModelMonitoring extends ObservationContext {
  baseline?: Baseline;
}

/**
 * Built when the model loads, from the manifest's `capture` (fields never
 * captured) and its baseline file (already checked against its sha256). A
 * `capture: false` that names no input field of the model refuses the load:
 * a misspelt personal field would otherwise be captured without a word.
 */
export function modelMonitoring(manifest: { capture?: Record<string, false> }, spec: MonitoringSpec, files: CompanionFiles): ModelMonitoring {
  const notCaptured = new Set(Object.keys(manifest.capture ?? {}));
  const names = spec.fields.map((f) => f.name);
  for (const name of notCaptured) {
    if (!names.includes(name)) {
      throw new ModelLoadError(`capture: "${name}" is not an input field of the model (${names.length > 0 ? `its fields: ${names.join(', ')}` : 'its inputs are captured as summaries only'})`);
    }
  }
  const bytes = files.get(BASELINE_FILE);
  const baseline = bytes === undefined ? undefined : parseBaseline(bytes);
  if (typeof baseline === 'string') throw new ModelLoadError(baseline);
  return { spec, notCaptured, vocabularies: vocabulariesOf(baseline), ...(baseline ? { baseline } : {}) };
}
