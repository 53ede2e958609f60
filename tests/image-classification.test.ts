import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { MAX_PICTURES } from '../lib/kinds/image-classification/request';
import { addModel } from '../scripts/model-add/main';
import type { ErrorBody } from './helpers/error-body';
import { formBody } from './helpers/form';
import { invoke, type EventOptions, type HttpHandler } from './helpers/lambda';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { readmeBlock } from './helpers/readme';
import { route } from './helpers/routes';

// The image-classification kind end to end through the real handlers, on a
// classifier trained here (tests/fixtures/images: 4 shapes, 100 % on held-out
// pictures) and PaddleOCR's text-direction classifier from an npm package.
const predict = predictHandler as unknown as HttpHandler;
const infer = inferHandler as unknown as HttpHandler;
const metadata = metadataHandler as unknown as HttpHandler;
const models = modelsHandler as unknown as HttpHandler;
const images = path.join(repoRoot, 'tests', 'fixtures', 'images');
const picture = (name: string) => readFileSync(path.join(images, name));
const paddle = path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

// churn beside them, for a picture sent to a model that takes records.
const dir = scratchModelsDir(['churn/1.0.0']);
beforeAll(async () => {
  useModelsDir(dir);
  await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
  const labels = path.join(images, 'direction_labels.txt');
  // PaddleOCR's cls preprocessing (ppocr/data/imaug: ClsResizeImg): BGR, height 48, width up to 192 keeping the ratio, padded right; (x/255 - 0.5) / 0.5.
  await addModel({
    file: paddle,
    name: 'text-direction',
    image: { labels, size: '48x192', resize: 'pad', mean: '0.5,0.5,0.5', std: '0.5,0.5,0.5', channels: 'BGR' },
  });
  useModelsDir(dir);
}, 60_000);
afterAll(() => removeModelsDir(dir));

const onModel = (name: string, rest: EventOptions) => route('POST', '/models/{name}/predict', { name }, rest);
/** A raw picture body, as API Gateway hands it over (every body base64-encoded: serverless.yml's binaryMediaTypes). */
const raw = (name: string, bytes: Buffer, mediaType: string, query?: Record<string, string>) =>
  invoke(predict, onModel(name, { body: bytes.toString('base64'), isBase64Encoded: true, headers: { 'content-type': mediaType }, query }));

/** A browser form's body (helpers/form.ts), as API Gateway hands it over. */
async function form(name: string, fields: Parameters<typeof formBody>[0], query?: Record<string, string>) {
  const { body, contentType } = await formBody(fields);
  return invoke(predict, onModel(name, { body: body.toString('base64'), isBase64Encoded: true, headers: { 'content-type': contentType }, query }));
}
const blob = (bytes: Buffer, type: string) => ({ bytes, type });
const json = (name: string, body: unknown, query?: Record<string, string>) => invoke(predict, { ...onModel(name, { query }), json: body });
const b64 = (file: string) => ({ b64: picture(file).toString('base64') });

type ImageAnswer = { label: string; probabilities: Record<string, number> };
const error = (reply: { json: Record<string, unknown> }) => reply.json as unknown as ErrorBody;

/** Each sample is named after its class. */
const SAMPLES = [
  ['circle.jpg', 'image/jpeg', 'circle'],
  ['square.png', 'image/png', 'square'],
  ['triangle.webp', 'image/webp', 'triangle'],
  ['stripes.jpg', 'image/jpeg', 'stripes'],
] as const;

describe('model:add on an image classifier', () => {
  it('chooses image-classification with torchvision ImageNet preprocessing, and writes the labels and the golden picture beside the model with their sha256', () => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'shapes', '1.0.0', 'model.json'), 'utf8'));
    expect(manifest.kind).toBe('image-classification');
    expect(manifest.image).toEqual({
      input: 'input', size: [224, 224], resize: 'shorter-crop', shorter_side: 256, interpolation: 'bilinear',
      scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: 'RGB', layout: 'NCHW',
    });
    expect(manifest.labels).toEqual(readFileSync(path.join(images, 'shapes_labels.txt'), 'utf8').trim().split('\n'));
    expect(Object.keys(manifest.files).sort()).toEqual(['example.png', 'shapes_labels.txt']);
    expect(manifest.golden.cases).toEqual([expect.objectContaining({ content_type: 'image/png', file: 'example.png' })]);
  });
});

describe('POST /models/{name}/predict with a picture', () => {
  it.each(SAMPLES)('%s as a raw %s body: its class first, every label when there are fewer than top_k, most probable first', async (file, mediaType, label) => {
    const reply = await raw('shapes', picture(file), mediaType);
    expect(reply.status).toBe(200);
    const answer = reply.json as unknown as ImageAnswer;
    expect(answer.label).toBe(label);
    const probabilities = Object.values(answer.probabilities);
    expect(Object.keys(answer.probabilities)).toHaveLength(4);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(answer.probabilities[label]).toBeGreaterThan(0.9);
    expect(reply.json.model).toEqual({ name: 'shapes', version: '1.0.0' });
  });

  it('as a browser form upload in the "image" field, with top_k as a form field', async () => {
    const reply = await form('shapes', { image: blob(picture('circle.jpg'), 'image/jpeg'), top_k: '2' });
    expect(reply.status).toBe(200);
    expect(reply.json.label).toBe('circle');
    expect(Object.keys(reply.json.probabilities as object)).toHaveLength(2);
  });

  it("as TensorFlow Serving's b64 JSON, one picture or a batch answered in order", async () => {
    const one = await json('shapes', { image: b64('square.png') });
    expect(one.json.label).toBe('square');
    const batch = await json('shapes', { instances: SAMPLES.map(([file]) => b64(file)), top_k: 1 });
    expect(batch.status).toBe(200);
    expect((batch.json.predictions as ImageAnswer[]).map((p) => p.label)).toEqual(SAMPLES.map(([, , label]) => label));
    expect((batch.json.predictions as ImageAnswer[]).every((p) => Object.keys(p.probabilities).length === 1)).toBe(true);
  });

  it('answers top_k from the query string, the body winning over it', async () => {
    const query = await raw('shapes', picture('stripes.jpg'), 'image/jpeg', { top_k: '3' });
    expect(Object.keys(query.json.probabilities as object)).toHaveLength(3);
    const both = await json('shapes', { image: b64('stripes.jpg'), top_k: 1 }, { top_k: '3' });
    expect(Object.keys(both.json.probabilities as object)).toHaveLength(1);
    expect(both.json.warnings).toEqual([{ path: '/top_k', problem: "top_k 1 of the body is used; the query string's 3 is ignored" }]);
  });

  it.each([['0'], ['-1'], ['two'], ['1.5']])('refuses top_k=%s with 400 naming top_k', async (value) => {
    const reply = await raw('shapes', picture('circle.jpg'), 'image/jpeg', { top_k: value });
    expect(reply.status).toBe(400);
    expect(error(reply).error).toMatch(/^top_k in the query string must be a whole number from 1/);
  });

  it('applies the EXIF orientation: a triangle stored on its side (Orientation 6) is a triangle', async () => {
    const meta = await sharp(picture('triangle_exif6.jpg')).metadata();
    expect(meta.orientation).toBe(6);
    const reply = await raw('shapes', picture('triangle_exif6.jpg'), 'image/jpeg');
    expect(reply.json.label).toBe('triangle');
  });

  it('flattens alpha, makes grayscale three channels and scores the first frame of an animation, saying so', async () => {
    expect((await raw('shapes', picture('square_alpha.png'), 'image/png')).json.label).toBe('square');
    expect((await raw('shapes', picture('gray.jpg'), 'image/jpeg')).status).toBe(200);
    const animated = await raw('shapes', picture('animated.gif'), 'image/gif');
    expect(animated.status).toBe(200);
    expect(animated.json.warnings).toEqual([{ path: '', problem: 'is animated: the first of its 2 frames was scored' }]);
  });

  it('scores a 1×1 picture with a warning that it was upscaled', async () => {
    const reply = await raw('shapes', picture('tiny.png'), 'image/png');
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([{ path: '', problem: 'is 1×1: upscaled to 256×256, so the answer may mean little' }]);
  });
});

describe('model:add on an image classifier refuses what the service would refuse, and applies the flags given for a new version', () => {
  it('refuses --shorter-side under the size, as the manifest check would', async () => {
    await expect(addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes-small', image: { 'shorter-side': '200' } })).rejects.toThrow(/image\.shorter_side 200 is smaller than the size 224×224/);
  });

  it('a new version with image flags is served by them, not by the previous version\'s', async () => {
    const added = await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', version: '2.0.0', image: { labels: path.join(images, 'shapes_labels.txt'), 'top-k': '2' } });
    expect((added.manifest as { top_k: number }).top_k).toBe(2);
    useModelsDir(dir);
  });
});

describe('hostile pictures get a 4xx naming the problem, never a 500', () => {
  it.each([
    ['a truncated JPEG', () => raw('shapes', picture('truncated.jpg'), 'image/jpeg'), 400, 'invalid_image', /^the image cannot be decoded: the JPEG data is cut short or corrupt$/],
    ['a decompression bomb (a PNG declaring 20,000×20,000)', () => raw('shapes', picture('bomb.png'), 'image/png'), 413, 'payload_too_large', /^the image is 20000×20000 \(400000000 pixels\), more than the 40000000 this API decodes/],
    ['text sent as image/png', () => raw('shapes', Buffer.from('not a picture at all'), 'image/png'), 415, 'unsupported_media_type', /is not a JPEG, PNG, WebP or GIF picture/],
    ['an empty body', () => raw('shapes', Buffer.alloc(0), 'image/jpeg'), 400, 'invalid_image', /^the image is empty$/],
    ['an SVG', () => raw('shapes', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png'), 415, 'unsupported_media_type', /not a JPEG, PNG, WebP or GIF/],
    ['image/tiff, a type no kind takes', () => raw('shapes', picture('circle.jpg'), 'image/tiff'), 415, 'unsupported_media_type', /^Content-Type must be application\/json, text\/csv, multipart\/form-data, image\/jpeg, image\/png, image\/webp or image\/gif$/],
    ['a picture to the churn model', () => raw('churn', picture('circle.jpg'), 'image/jpeg'), 415, 'unsupported_media_type', /^the churn model takes application\/json or text\/csv, not image\/jpeg$/],
    ['CSV to an image model', () => invoke(predict, onModel('shapes', { body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })), 415, 'unsupported_media_type', /^the shapes model takes application\/json, image\/jpeg, .* or multipart\/form-data, not text\/csv$/],
    ['b64 that is not base64', () => json('shapes', { image: { b64: 'not base64!' } }), 400, 'validation_failed', /^the image is not base64$/],
    ['an empty batch', () => json('shapes', { instances: [] }), 400, 'validation_failed', /must be a non-empty array/],
    ['a form without the image field', () => form('shapes', { photo: blob(picture('circle.jpg'), 'image/jpeg') }), 400, 'validation_failed', /^the form needs a file field "image" \(it has "photo"\)$/],
    ['a form file that is a PDF', () => form('shapes', { image: blob(Buffer.from('%PDF-1.4'), 'application/pdf') }), 415, 'unsupported_media_type', /"image" file is application\/pdf/],
  ])('%s', async (_what, send, status, code, message) => {
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(error(reply).code).toBe(code);
    expect(error(reply).error).toMatch(message);
  });

  it('a multipart body without a boundary: 400 invalid_form', async () => {
    const reply = await invoke(predict, onModel('shapes', { body: Buffer.from('x').toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'multipart/form-data' } }));
    expect(reply.status).toBe(400);
    expect(error(reply).code).toBe('invalid_form');
  });

  it('one bad picture in a batch names it and its path', async () => {
    const reply = await json('shapes', { instances: [b64('circle.jpg'), { b64: picture('truncated.jpg').toString('base64') }] });
    expect(reply.status).toBe(400);
    expect(error(reply).error).toBe('instance 1 cannot be decoded: the JPEG data is cut short or corrupt');
    expect(error(reply).details).toEqual([{ path: '/instances/1/b64', problem: 'cannot be decoded' }]);
  });

  it('text in a b64 field is a bad value (400 invalid_image at its path), not a media type the route refuses', async () => {
    const reply = await json('shapes', { image: { b64: Buffer.from('not a picture at all').toString('base64') } });
    expect(reply.status).toBe(400);
    expect(error(reply)).toMatchObject({ code: 'invalid_image', details: [{ path: '/image/b64', problem: 'is not a JPEG, PNG, WebP or GIF picture' }] });
  });

  it(`refuses more than ${MAX_PICTURES} pictures in one request before decoding any (413), in JSON and on the Open Inference Protocol`, async () => {
    const tiny = picture('tiny.png').toString('base64');
    const many = await json('shapes', { instances: Array.from({ length: MAX_PICTURES + 1 }, () => ({ b64: tiny })) });
    expect(many.status).toBe(413);
    expect(error(many).error).toBe(`"instances" holds ${MAX_PICTURES + 1} pictures; at most ${MAX_PICTURES} are decoded per request: send the rest in further requests`);
    const v2 = await invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'shapes' }), json: { inputs: [{ name: 'image', datatype: 'BYTES', shape: [MAX_PICTURES + 1], data: Array(MAX_PICTURES + 1).fill(tiny) }] } });
    expect(v2.status).toBe(413);
  });

  it('a multipart body cut off inside its file part: 400 invalid_form, and the function lives on', async () => {
    const body = Buffer.from('--xx\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nabc');
    const cut = await invoke(predict, onModel('shapes', { body: body.toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'multipart/form-data; boundary=xx' } }));
    expect(cut.status).toBe(400);
    expect(error(cut).code).toBe('invalid_form');
    expect((await raw('shapes', picture('circle.jpg'), 'image/jpeg')).status).toBe(200);
  });
});

describe('the Open Inference Protocol on an image model', () => {
  it('advertises the encoded pictures as a BYTES [-1] input and answers their logits', async () => {
    const described = await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'shapes' }));
    expect(described.json.inputs).toEqual([{ name: 'image', datatype: 'BYTES', shape: [-1] }]);
    const reply = await invoke(infer, {
      ...route('POST', '/v2/models/{name}/infer', { name: 'shapes' }),
      json: { inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: [b64('circle.jpg').b64, b64('stripes.jpg').b64] }] },
    });
    expect(reply.status).toBe(200);
    const [logits] = reply.json.outputs as { name: string; shape: number[]; data: number[] }[];
    expect(logits!.shape).toEqual([2, 4]);
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    expect([argmax(logits!.data.slice(0, 4)), argmax(logits!.data.slice(4))]).toEqual([0, 3]);
  });

  it('refuses a picture that is not base64 with 400 naming its element', async () => {
    const reply = await invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'shapes' }), json: { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['%%%'] }] } });
    expect(reply.status).toBe(400);
    expect(error(reply).details).toEqual([{ path: '/inputs/0/data/0', problem: 'is not base64' }]);
  });
});

describe('GET /models/{name} on an image model', () => {
  it('tells what to send: the media types, the form field, the preprocessing, the labels and top_k', async () => {
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'shapes' }));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      kind: 'image-classification',
      input: { media_types: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'], form_field: 'image' },
      labels: ['circle', 'square', 'triangle', 'stripes'],
      top_k: 5,
      preprocessing: { resize: 'shorter-crop', size: [224, 224] },
    });
  });
});

describe('a model from an npm package nobody here built: PaddleOCR text direction', () => {
  it('tells a rendered text line from the same line turned 180°', async () => {
    const upright = await raw('text-direction', picture('text_line.png'), 'image/png');
    const turned = await raw('text-direction', picture('text_line_180.png'), 'image/png');
    expect([upright.json.label, turned.json.label]).toEqual(['0', '180']);
  });
});

describe("the README's torchvision export", () => {
  it('added by the README\'s model:add line, answers a photo with five of torchvision\'s ImageNet categories', async () => {
    const block = readmeBlock('torchvision-export');
    const python = /```python\n([\s\S]*?)```/.exec(block)![1]!;
    const addLine = /^npm run model:add -- (.+)$/m.exec(block)![1]!.split(' ');
    const work = mkdtempSync(path.join(tmpdir(), 'torchvision-'));
    try {
      // Pretrained weights download from PyTorch's hub, which this machine cannot reach: the same graph, randomly initialised.
      const offline = python.replace('weights=ResNet18_Weights.DEFAULT', 'weights=None');
      expect(offline).not.toBe(python);
      const exported = spawnSync('/usr/bin/python3', ['-c', offline], { cwd: work, encoding: 'utf8', timeout: 120_000 });
      expect(exported.status).toBe(0);
      const [file, , name, , labels] = addLine;
      await addModel({ file: path.join(work, file!), name: name!, image: { labels: path.join(work, labels!) } });
      useModelsDir(dir);
      const reply = await raw(name!, picture('circle.jpg'), 'image/jpeg');
      expect(reply.status).toBe(200);
      const categories = readFileSync(path.join(work, labels!), 'utf8').split('\n');
      expect(categories).toHaveLength(1000);
      const shown = Object.keys(reply.json.probabilities as object);
      expect(shown).toHaveLength(5);
      for (const label of shown) expect(categories).toContain(label);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
