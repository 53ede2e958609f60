import type { ValidateFunction } from 'ajv';
import type { CaptureSource } from '../../capture/observation';
import { captured } from '../../capture/summary';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { compileSchema } from '../../ajv';
import { ValidationFailed } from '../../errors';
import { pointer } from '../../json-pointer';
import type { Feeds } from '../../kinds/kind';
import type { TensorSpec } from '../../manifest/base';
import { infer as serve, type ModelRequest, type Scored } from '../../dataplane/infer';
import { negotiateMediaType } from '../../http/accept';
import type { Answer } from '../../http/dispatch';
import { jsonResponse, versionHeader } from '../../http/response';
import type { Model } from '../../model';
import { traced } from '../../observability/tracing';
import { shorten } from '../../shorten';
import { jsonElements } from '../../tensors/datatypes';
import { assertFinite } from '../../tensors/finite';
import { kindOf, protocolInputsOf } from '../../kinds';
import { checkShape, tensorOf } from '../../tensors/from-json';
import { flattenToShape, leadingDim } from '../../tensors/shape';

/**
 * POST /v2/models/{name}[/versions/{v}]/infer: tensors in, tensors out, for
 * every kind of model, on the graph's own inputs and outputs (README, "Open
 * Inference Protocol"). Data may be flat or nested; nested data must match
 * the declared shape at every level.
 */

export const inferenceRequestSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters: { type: 'object' },
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters: { type: 'object' } } },
    },
  },
} as const satisfies JSONSchema;

type InferenceRequest = FromSchema<typeof inferenceRequestSchema>;
type RequestInput = InferenceRequest['inputs'][number];

// Compiled on first use: most containers never serve this route.
let validateRequest: ValidateFunction<InferenceRequest> | undefined;

const names = (specs: readonly TensorSpec[]) => specs.map((s) => `"${s.name}"`).join(', ');

/** One request input's elements, flat, once its datatype and shape are the spec's. */
function checkedValues(spec: TensorSpec, input: RequestInput, index: number): unknown[] {
  const at = pointer('inputs', index);
  const bad = (message: string, problem: string) => new ValidationFailed(`input "${spec.name}" ${message}`, [{ path: at, problem }]);
  if (input.datatype !== spec.datatype) throw bad(`has datatype ${shorten(input.datatype)}; the model takes ${spec.datatype}`, `datatype must be ${spec.datatype}`);
  checkShape(spec, input.shape, at);
  const flat = flattenToShape(input.data, input.shape);
  if ('problem' in flat) throw bad(flat.problem, flat.problem);
  return flat.values;
}

/**
 * The graph's feeds from the request's inputs: each known, given once, of
 * the declared datatype and shape. The inputs are the graph's own, or the
 * kind's (an image model's encoded pictures), which its runtime turns into
 * the graph's.
 */
async function feedsOf(model: Model, requestInputs: RequestInput[]): Promise<{ feeds: Feeds; rows: number }> {
  const inputSpecs = protocolInputsOf(model.manifest);
  const given = new Map<string, { spec: TensorSpec; input: RequestInput; index: number }>();
  requestInputs.forEach((input, index) => {
    const spec = inputSpecs.find((s) => s.name === input.name);
    if (!spec) {
      throw new ValidationFailed(`unknown input "${shorten(input.name)}"; the model takes ${names(inputSpecs)}`, [{ path: pointer('inputs', index, 'name'), problem: 'unknown input' }]);
    }
    if (given.has(spec.name)) throw new ValidationFailed(`input "${spec.name}" is given more than once`, [{ path: pointer('inputs', index), problem: 'duplicate input' }]);
    given.set(spec.name, { spec, input, index });
  });
  const missing = inputSpecs.find((s) => !given.has(s.name));
  if (missing) throw new ValidationFailed(`input "${missing.name}" is missing; the model takes ${names(inputSpecs)}`, [{ path: '/inputs', problem: `needs "${missing.name}"` }]);
  const rows = leadingDim(requestInputs[0]!.shape);
  const { protocolFeeds } = model.runtime;
  // A kind with inputs of its own (ModelKind.protocolInputs) turns them into the graph's; otherwise they are the graph's.
  if (protocolFeeds && kindOf(model.manifest).protocolInputs !== undefined) {
    const values = new Map([...given].map(([name, { spec, input, index }]) => [name, checkedValues(spec, input, index)]));
    return { feeds: await protocolFeeds(values), rows };
  }
  const feeds: Feeds = {};
  for (const [name, { spec, input, index }] of given) {
    feeds[name] = tensorOf(spec, input.shape, checkedValues(spec, input, index), pointer('inputs', index), model.runtime.prepareStrings);
  }
  return { feeds, rows };
}

/**
 * POST /v2/models/{name}[/versions/{v}]/infer, served by the data plane: the
 * version the request was routed to answers; a split's shadow version
 * answers the same request aside and its outputs are compared with the
 * served ones (README, "Releasing a new version").
 */
export async function inferWith(request: ModelRequest, body: unknown, accept: string | undefined): Promise<Answer> {
  // The protocol answers JSON only: 406 for an Accept that admits none, as on /predict.
  negotiateMediaType(accept, ['application/json']);
  const { answer, model, facts } = await serve(request, (model) => infer(model, body));
  // One capture line per request: its tensors as their summaries, without the inputs the manifest marks capture: false.
  const { notCaptured } = model.monitoring;
  const inputs = (body as InferenceRequest).inputs.filter((input) => !notCaptured.has(input.name));
  const capture: CaptureSource = { observations: () => [{ input: { inputs: captured(inputs) }, output: captured(answer.outputs) }], batch: false };
  return { response: jsonResponse(200, answer, versionHeader(model.info.version)), facts: { ...facts, capture } };
}

/** One version's inference on the request's tensors: the protocol's answer, and what the request's facts need. */
export async function infer(model: Model, body: unknown): Promise<Scored<Record<string, unknown>>> {
  validateRequest ??= compileSchema<InferenceRequest>(inferenceRequestSchema);
  if (!validateRequest(body)) {
    const first = validateRequest.errors?.[0];
    const path = first?.instancePath ?? '';
    throw new ValidationFailed(`invalid inference request: ${path || '/'} ${first?.message ?? ''}`.trim(), [{ path, problem: first?.message ?? 'is invalid' }]);
  }
  const { outputs: outputSpecs } = model.manifest.onnx;
  // No "outputs", or an empty list: every output (README, "Open Inference Protocol"). Checked before the inputs are encoded (an image model decodes its pictures there).
  const requested = body.outputs?.length ? [...new Set(body.outputs.map((o) => o.name))] : outputSpecs.map((o) => o.name);
  const unknownOutput = requested.find((n) => !outputSpecs.some((o) => o.name === n));
  if (unknownOutput !== undefined) {
    throw new ValidationFailed(`unknown output "${shorten(unknownOutput)}"; the model produces ${names(outputSpecs)}`, [{ path: '/outputs', problem: 'unknown output' }]);
  }
  const { feeds, rows } = await traced('encode', () => feedsOf(model, body.inputs));

  const { outputs: results, inferenceMs } = await model.run(feeds, requested);
  assertFinite(results, requested, (row) => `/inputs (row ${row})`);
  const outputs = requested.map((name) => {
    const tensor = results[name]!;
    const spec = outputSpecs.find((o) => o.name === name)!;
    return { name, datatype: spec.datatype, shape: [...tensor.dims], data: jsonElements(tensor) };
  });
  const answer = {
    model_name: model.info.name,
    model_version: model.info.version,
    ...(body.id !== undefined ? { id: body.id } : {}),
    outputs,
  };
  return {
    answer,
    compared: outputs,
    records: rows,
    // The kind's drift figures need every output it reads: only when all were computed.
    signals: requested.length === outputSpecs.length ? model.runtime.signals(results, rows) : [],
    warnings: 0,
    inferenceMs,
  };
}
