import type { InferenceSession } from 'onnxruntime-node';
import { NonFiniteOutput } from '../../lib/errors';
import { kindOf, type Manifest } from '../../lib/kinds';
import { goldenAnswer, sessionRunner, withoutSourceReferences } from '../../lib/model';
import type { CompanionFiles } from '../../lib/model/model-files';
import type { GoldenCase, TensorSpec } from '../../lib/manifest/base';
import { generateTensor } from '../../lib/kinds/tensor/generate';
import { hasBatchDim, isDynamic } from '../../lib/tensors/shape';

/** Sizes tried, in order, for a dynamic dimension that is not the batch (image height and width, sequence length). */
const TRIAL_SIZES = [16, 32, 64, 224];

/** Golden cases of a new model, made from a seed: tries the next seeds when the model has no finite answer for one (a Log of a negative number). */
type CaseMaker = (seed: number) => GoldenCase;
const SEEDS_TRIED = 20;

/** Three single records generated from seeds, for a new tabular model. */
export function tabularCases(inputs: readonly TensorSpec[]): CaseMaker[] {
  return [1, 2, 3].map((n) => (seed) => ({
    request: Object.fromEntries(inputs.map((spec, i) => [spec.name, (generateTensor(spec.datatype, [1], (n * 100 + seed) * 100 + i) as unknown[])[0]])),
    answer: null,
  }));
}

/** Batch 1 and (where every input has a batch dimension) 2, other dynamic dimensions at a trial size, for a new tensor model. */
export function tensorCases(inputs: readonly TensorSpec[], trial: number): CaseMaker[] {
  const shapes = (batch: number) =>
    Object.fromEntries(inputs.map((spec) => [spec.name, spec.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : trial))]));
  const batched = inputs.every((spec) => hasBatchDim(spec.shape));
  return [1, ...(batched ? [2] : [])].map((batch) => (seed) => ({ seed: batch * 1000 + seed, shapes: shapes(batch), answer: null }));
}

/** Records each case's answer, with the first seed whose answer is finite. */
export async function recordGenerated(manifest: Manifest, session: InferenceSession, makers: readonly CaseMaker[]): Promise<GoldenCase[]> {
  const cases: GoldenCase[] = [];
  for (const make of makers) {
    for (let seed = 0; ; seed++) {
      try {
        cases.push(...(await recordAnswers({ ...manifest, golden: { ...manifest.golden, cases: [make(seed)] } } as Manifest, session)));
        break;
      } catch (error) {
        if (!(error instanceof NonFiniteOutput) || seed + 1 >= SEEDS_TRIED) throw error;
      }
    }
  }
  return cases;
}

/** The answers the model gives its golden requests now, through the kind's own runtime: what the service will recompute at load. */
export async function recordAnswers(manifest: Manifest, session: InferenceSession, files: CompanionFiles = new Map()): Promise<GoldenCase[]> {
  const runtime = kindOf(manifest).runtime(manifest, files);
  const run = sessionRunner(session, manifest);
  const cases: GoldenCase[] = [];
  for (const golden of manifest.golden.cases) cases.push({ ...golden, answer: await goldenAnswer(manifest, runtime, run, golden, files) });
  return cases;
}

/**
 * Records tensor golden cases, trying larger sizes for free dimensions until
 * the graph runs; `skipped` says which sizes the graph refused and why (a
 * detector whose strides need 64 pixels refuses 16 and 32), for model:add to
 * print rather than leave unexplained.
 */
export async function recordTensorAnswers(manifest: Manifest, session: InferenceSession): Promise<{ cases: GoldenCase[]; skipped: string[] }> {
  let lastError: unknown;
  const skipped: string[] = [];
  for (const trial of TRIAL_SIZES) {
    try {
      return { cases: await recordGenerated(manifest, session, tensorCases(manifest.onnx.inputs, trial)), skipped };
    } catch (error) {
      lastError = error;
      if (!manifest.onnx.inputs.some((spec) => spec.shape.slice(1).some(isDynamic))) break;
      skipped.push(`free dimensions at ${trial}: ${withoutSourceReferences((error instanceof Error ? error.message : String(error)).split('\n')[0]!).slice(0, 200)}`);
    }
  }
  throw new Error(`the graph does not run on generated inputs: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}
