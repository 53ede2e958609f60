import { isPlainObject } from '../../plain-object';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from '../../errors';
import { pointer } from '../../json-pointer';
import type { GoldenCase, KindFields, KindManifest, TensorSpec } from '../../manifest/base';
import { traced } from '../../observability/tracing';
import { captured } from '../../capture/summary';
import { settings } from '../../settings';
import { shorten } from '../../shorten';
import { elementSchema, jsonElements, jsonElementSchema } from '../../tensors/datatypes';
import { assertFinite } from '../../tensors/finite';
import { checkShape, tensorOf } from '../../tensors/from-json';
import { hasBatchDim, inferShape, leadingDim, nest, protocolShape, shapeText, type Dim } from '../../tensors/shape';
import { MAX_WARNINGS } from '../records/request';
import { jsonOf, unchangedStrings, type Feeds, type KindRuntime, type ModelKind, type Outputs } from '../kind';
import { generateTensor } from './generate';

/**
 * Any graph, tensors in and out, over the predict route in TensorFlow
 * Serving's two JSON formats (README, "Tensor models"):
 * - row: {"instances": [...]} answered with {"predictions": [...]}; needs a
 *   leading batch dimension on every input;
 * - columnar: {"inputs": ...} answered with {"outputs": ...}.
 * With one input (output) the value is that tensor; with several, an object
 * by name.
 */
const manifestFields = { required: [], properties: {} } as const satisfies KindFields;
export type TensorManifest = KindManifest<'tensor', typeof manifestFields>;

/** Most values a request may hold across its tensors; bounds the work before onnxruntime. */
const MAX_VALUES = 4_000_000;

/** Nested arrays of `dims` around `element`: fixed dimensions exactly, dynamic ones at least `minDynamic` long. */
function nestedSchema(element: Record<string, unknown>, dims: readonly Dim[], minDynamic = 1): Record<string, unknown> {
  return dims.reduceRight<Record<string, unknown>>((items, dim) => {
    const count = typeof dim === 'number' ? { minItems: dim, maxItems: dim } : { minItems: minDynamic };
    return { type: 'array', ...count, items };
  }, element);
}

const requestTensor = (spec: TensorSpec, dims: readonly Dim[]) => nestedSchema(elementSchema(spec.datatype), dims);
// A graph may answer an empty dynamic dimension.
const answerTensor = (spec: TensorSpec, dims: readonly Dim[]) => nestedSchema(jsonElementSchema(spec.datatype), dims, 0);

function namedObject(specs: readonly TensorSpec[], schema: (spec: TensorSpec) => Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', required: specs.map((s) => s.name), properties: Object.fromEntries(specs.map((s) => [s.name, schema(s)])) };
}

/** One tensor's value, or (any number of inputs) an object by input name. */
function valueSchema(specs: readonly TensorSpec[], schema: (spec: TensorSpec) => Record<string, unknown>): Record<string, unknown> {
  const named = namedObject(specs, schema);
  return specs.length === 1 ? { anyOf: [schema(specs[0]!), named] } : named;
}

function rowFormatProblem(inputs: readonly TensorSpec[]): string | null {
  const fixed = inputs.find((i) => !hasBatchDim(i.shape));
  return fixed
    ? `the row format ("instances") needs a leading batch dimension on every input, and input "${fixed.name}" is ${shapeText(fixed.shape)}; send the columnar format {"inputs": ...} or use POST /v2/models/{name}/infer`
    : null;
}

/** The value of each input from a columnar or row value: the bare tensor when the model has one input, else by name. */
function perInput(value: unknown, inputs: readonly TensorSpec[], at: string): Map<string, unknown> {
  const only = inputs.length === 1 ? inputs[0]! : undefined;
  if (only && !(isPlainObject(value) && Object.hasOwn(value, only.name) && Object.keys(value).length === 1)) {
    return new Map([[only.name, value]]);
  }
  if (!isPlainObject(value)) {
    throw new ValidationFailed(`${at || 'the value'} must be an object by input name (${inputs.map((i) => i.name).join(', ')})`, [{ path: at, problem: 'must be an object' }]);
  }
  const unknown = Object.keys(value).find((k) => !inputs.some((i) => i.name === k));
  if (unknown !== undefined) {
    throw new ValidationFailed(`unknown input "${shorten(unknown)}"; the model takes ${inputs.map((i) => `"${i.name}"`).join(', ')}`, [
      // The parent's path: an error path holds names from the manifest and positions, never the client's own keys (they reach the access line).
      { path: at, problem: 'has an unknown input' },
    ]);
  }
  const missing = inputs.find((i) => !Object.hasOwn(value, i.name));
  if (missing) throw new ValidationFailed(`input "${missing.name}" is missing`, [{ path: `${at}${pointer(missing.name)}`, problem: 'is required' }]);
  return new Map(inputs.map((i) => [i.name, value[i.name]]));
}

function columnarFeeds(value: unknown, inputs: readonly TensorSpec[], prepare: KindRuntime['prepareStrings']): Feeds {
  const feeds: Feeds = {};
  let total = 0;
  for (const [name, tensorValue] of perInput(value, inputs, '/inputs')) {
    const spec = inputs.find((i) => i.name === name)!;
    const at = inputs.length === 1 && tensorValue === value ? '/inputs' : pointer('inputs', name);
    const inferred = inferShape(tensorValue, MAX_VALUES - total);
    if ('problem' in inferred) throw new ValidationFailed(`input "${name}" ${inferred.problem}`, [{ path: at, problem: inferred.problem }]);
    checkShape(spec, inferred.shape, at);
    total += inferred.values.length;
    feeds[name] = tensorOf(spec, inferred.shape, inferred.values, at, prepare);
  }
  return feeds;
}

function rowFeeds(instances: unknown[], inputs: readonly TensorSpec[], prepare: KindRuntime['prepareStrings']): Feeds {
  const rows = new Map<string, { shape: number[]; values: unknown[] }>(inputs.map((i) => [i.name, { shape: [], values: [] }]));
  let total = 0;
  instances.forEach((instance, index) => {
    for (const [name, rowValue] of perInput(instance, inputs, pointer('instances', index))) {
      const collected = rows.get(name)!;
      const at = inputs.length === 1 ? pointer('instances', index) : pointer('instances', index, name);
      const inferred = inferShape(rowValue, MAX_VALUES - total);
      if ('problem' in inferred) throw new ValidationFailed(`input "${name}" of instance ${index} ${inferred.problem}`, [{ path: at, problem: inferred.problem }]);
      if (index > 0 && inferred.shape.join() !== collected.shape.join()) {
        throw new ValidationFailed(`input "${name}" of instance ${index} has shape ${shapeText(inferred.shape)}, unlike instance 0's ${shapeText(collected.shape)}`, [
          { path: at, problem: 'every instance must have the same shape' },
        ]);
      }
      collected.shape = inferred.shape;
      total += inferred.values.length;
      for (const v of inferred.values) collected.values.push(v);
    }
  });
  return Object.fromEntries(
    inputs.map((spec) => {
      const { shape, values } = rows.get(spec.name)!;
      const full = [instances.length, ...shape];
      checkShape(spec, full, '/instances');
      return [spec.name, tensorOf(spec, full, values, '/instances', prepare)];
    }),
  );
}

/** An output tensor as nested JSON; the caller has refused non-finite values already. */
function nestedOutput(outputs: Outputs, name: string): unknown {
  const tensor = outputs[name]!;
  return nest(jsonElements(tensor), tensor.dims);
}

function rowAnswers(outputs: Outputs, specs: readonly TensorSpec[], count: number): unknown[] {
  const perOutput = specs.map((spec) => {
    const tensor = outputs[spec.name]!;
    if (tensor.dims[0] !== count) {
      throw new ValidationFailed(`output "${spec.name}" has shape ${shapeText([...tensor.dims])}, not one row per instance; send the columnar format {"inputs": ...}`);
    }
    return nestedOutput(outputs, spec.name) as unknown[];
  });
  return Array.from({ length: count }, (_, i) =>
    specs.length === 1 ? perOutput[0]![i] : Object.fromEntries(specs.map((s, j) => [s.name, perOutput[j]![i]])),
  );
}

/** What a golden case keeps of one tensor: its shape, the sum of its numbers, and at most 32 evenly spaced values. */
function tensorView(value: unknown): unknown {
  const inferred = inferShape(value, Infinity);
  if ('problem' in inferred) return value;
  const { shape, values } = inferred;
  const sampled = values.length <= 32 ? values : Array.from({ length: 32 }, (_, i) => values[Math.floor((i * values.length) / 32)]);
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return { shape, sum: numbers.length === values.length ? numbers.reduce((a, b) => a + b, 0) : null, sample: sampled };
}

export const tensor: ModelKind<TensorManifest> = {
  summary: 'any graph: tensors of every datatype in and out, in TensorFlow Serving\'s row and columnar JSON formats and the Open Inference Protocol',
  records: false,
  fileTypes: [],
  manifestFields,

  check: () => null,

  goldenRequest: (manifest, golden) => ({
    inputs: Object.fromEntries(
      manifest.onnx.inputs.map((spec, i) => [spec.name, generateTensor(spec.datatype, golden.shapes?.[spec.name] ?? [], (golden.seed ?? 0) + i)]),
    ),
  }),

  requestSchema(manifest) {
    const { inputs } = manifest.onnx;
    const columnar = { type: 'object', required: ['inputs'], properties: { inputs: valueSchema(inputs, (s) => requestTensor(s, s.shape)) } };
    if (rowFormatProblem(inputs)) return columnar;
    const row = { type: 'object', required: ['instances'], properties: { instances: { type: 'array', minItems: 1, items: valueSchema(inputs, (s) => requestTensor(s, s.shape.slice(1))) } } };
    return { oneOf: [row, columnar] };
  },

  answerSchema(manifest) {
    const { inputs, outputs } = manifest.onnx;
    // One output: the bare tensor; several: an object by output name (as the answers are built below).
    const value = (tensor: (spec: TensorSpec) => Record<string, unknown>) =>
      outputs.length === 1 ? tensor(outputs[0]!) : { ...namedObject(outputs, tensor), additionalProperties: false };
    const columnar = { type: 'object', required: ['outputs'], properties: { outputs: value((s) => answerTensor(s, s.shape)) } };
    if (rowFormatProblem(inputs)) return columnar;
    const row = { type: 'object', required: ['predictions'], properties: { predictions: { type: 'array', items: value((s) => answerTensor(s, s.shape.slice(1))) } } };
    return { oneOf: [row, columnar] };
  },

  // A tensor's meaning is the model's own: its captures are summaries, and no outcome can be checked generically.
  monitoring: () => ({ fields: [] }),

  describe: (manifest) => ({
    inputs: manifest.onnx.inputs.map((s) => ({ name: s.name, datatype: s.datatype, shape: protocolShape(s.shape), dims: s.shape })),
    outputs: manifest.onnx.outputs.map((s) => ({ name: s.name, datatype: s.datatype, shape: protocolShape(s.shape), dims: s.shape })),
    formats: rowFormatProblem(manifest.onnx.inputs) ? ['columnar'] : ['row', 'columnar'],
  }),

  runtime(manifest): KindRuntime {
    const { inputs, outputs: outputSpecs } = manifest.onnx;
    const outputNames = outputSpecs.map((o) => o.name);
    const prepareStrings = unchangedStrings;
    return {
      async predict(request, run) {
        const body = jsonOf(request);
        if (!isPlainObject(body)) throw new ValidationFailed('request body must be a JSON object', [{ path: '', problem: 'must be an object' }]);
        const hasRows = Object.hasOwn(body, 'instances');
        const hasColumns = Object.hasOwn(body, 'inputs');
        if (hasRows === hasColumns) {
          throw new ValidationFailed('send either {"instances": [...]} (row format) or {"inputs": ...} (columnar format)', [
            { path: '', problem: hasRows ? 'has both "instances" and "inputs"' : 'needs "instances" or "inputs"' },
          ]);
        }
        const warnings: ErrorDetail[] = Object.keys(body)
          .filter((k) => k !== 'instances' && k !== 'inputs')
          .slice(0, MAX_WARNINGS)
          .map((k) => ({ path: pointer(k), problem: 'unknown field, ignored' }));
        if (hasColumns) {
          const feeds = traced('encode', () => columnarFeeds(body.inputs, inputs, prepareStrings));
          const outputs = await run(feeds);
          assertFinite(outputs, outputNames, () => '/inputs');
          const answer = outputSpecs.length === 1 ? nestedOutput(outputs, outputNames[0]!) : Object.fromEntries(outputNames.map((n) => [n, nestedOutput(outputs, n)]));
          // Columnar: one captured record, the inputs and outputs as their summaries.
          const scored = () => [{ input: captured(body.inputs) as Record<string, unknown>, answer: captured({ outputs: answer }) as Record<string, unknown> }];
          return { body: { outputs: answer }, warnings, records: leadingDim(outputs[outputNames[0]!]!.dims), signals: [], scored };
        }
        const problem = rowFormatProblem(inputs);
        if (problem) throw new ValidationFailed(problem, [{ path: '/instances', problem: 'row format not possible for this model' }]);
        const instances = body.instances;
        if (!Array.isArray(instances) || instances.length === 0) {
          throw new ValidationFailed('"instances" must be a non-empty array', [{ path: '/instances', problem: 'must be a non-empty array' }]);
        }
        if (instances.length > settings.maxBatch()) {
          throw new PayloadTooLarge(`"instances" holds ${instances.length} rows; at most ${settings.maxBatch()} are accepted per request`);
        }
        const outputs = await run(traced('encode', () => rowFeeds(instances, inputs, prepareStrings)));
        assertFinite(outputs, outputNames, (row) => pointer('instances', row));
        const predictions = rowAnswers(outputs, outputSpecs, instances.length);
        const scored = () => predictions.map((answer, i) => ({ input: { instance: captured(instances[i]) }, answer: { prediction: captured(answer) } }));
        return { body: { predictions }, warnings, records: instances.length, signals: [], scored };
      },
      // A tensor's meaning is the model's own: no drift figure can be read from it generically.
      signals: () => [],
      goldenView(answer) {
        const outputs = answer.outputs;
        return outputSpecs.length === 1 ? tensorView(outputs) : Object.fromEntries(outputNames.map((n) => [n, tensorView((outputs as Record<string, unknown>)[n])]));
      },
      prepareStrings,
    };
  },
};
