import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from './errors';
import type { Manifest } from './manifest';
import { loadModel } from './model';
import type { FeatureRecord } from './tasks/task';

/** Worst difference allowed between ONNX and the training library's own output. */
export const PARITY_TOLERANCE = 1e-5;

interface ParityCase {
  /** Tabular models: the record as the API takes it. */
  input?: FeatureRecord;
  /** Text models: the message as a user sends it. */
  text?: string;
  /** Text models: the library's predicted label. */
  intent?: string;
  probabilities?: number[];
  [output: string]: unknown;
}

export interface CheckReport {
  name: string;
  version: string;
  cases: number;
  worstDelta: number;
  problems: string[];
}

/** The record and the expected output row of one parity case, per task. */
function expectation(manifest: Manifest, c: ParityCase): { record: FeatureRecord; expected: number[]; label?: string } {
  if (manifest.task === 'text-classification') {
    return { record: { [manifest.text.field]: c.text }, expected: c.probabilities ?? [], label: c[manifest.output.label] as string };
  }
  return { record: c.input ?? {}, expected: [Number(c[manifest.output.probability])] };
}

/**
 * Verifies one model folder: the manifest against the ONNX graph (names,
 * types, shapes: loadModel refuses a mismatch), the sha256, and every parity
 * case through the same encoding the API uses.
 */
export async function checkModelFolder(dir: string): Promise<CheckReport> {
  const where = path.relative(path.resolve(dir, '..', '..'), dir);
  let model;
  try {
    model = await loadModel(dir);
  } catch (error) {
    const reason = error instanceof ModelLoadError ? error.message : String(error);
    return { name: where, version: '', cases: 0, worstDelta: NaN, problems: [reason] };
  }
  const { manifest } = model;
  const problems: string[] = [];
  let fixture: { version?: string; cases?: ParityCase[] };
  try {
    fixture = JSON.parse(readFileSync(path.join(dir, 'parity.json'), 'utf8'));
  } catch {
    return { name: manifest.name, version: manifest.version, cases: 0, worstDelta: NaN, problems: ['parity.json is missing or not JSON'] };
  }
  const cases = fixture.cases ?? [];
  if (fixture.version !== manifest.version) problems.push(`parity.json is for version ${fixture.version}, not ${manifest.version}`);
  if (cases.length === 0) problems.push('parity.json has no cases');

  const expectations = cases.map((c) => expectation(manifest, c));
  let worstDelta = 0;
  // Batches as the API would send them; also proves batching changes nothing.
  for (let start = 0; start < expectations.length; start += 500) {
    const chunk = expectations.slice(start, start + 500);
    const { feeds } = model.task.encode(chunk.map((e) => e.record));
    const outputs = await model.run(feeds);
    const rows = model.task.rows(outputs, chunk.length);
    const answers = model.task.answers(outputs, chunk.length);
    chunk.forEach((e, i) => {
      const row = rows[i]!;
      if (row.length !== e.expected.length) {
        problems.push(`case ${start + i}: ${row.length} outputs, fixture has ${e.expected.length}`);
        return;
      }
      row.forEach((value, j) => {
        worstDelta = Math.max(worstDelta, Math.abs(value - e.expected[j]!));
      });
      if (e.label !== undefined && answers[i]![manifest.output.label] !== e.label) {
        problems.push(`case ${start + i}: label ${String(answers[i]![manifest.output.label])}, the library said ${e.label}`);
      }
    });
  }
  if (!(worstDelta < PARITY_TOLERANCE)) problems.push(`worst |Δ| ${worstDelta.toExponential(2)} is not below ${PARITY_TOLERANCE}`);
  await model.release();
  return { name: manifest.name, version: manifest.version, cases: cases.length, worstDelta, problems };
}
